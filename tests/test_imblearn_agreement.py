"""When gpusmote's neighbour-based choices equal imbalanced-learn's, and why they may
not (issue 13 item 20).

Both look for each row's nearest rows among all rows of X. gpusmote's rule is
exact: the row itself is left out by its index, and equal distances go to the
lower index. imbalanced-learn asks scikit-learn for k + 1 neighbours and drops
column 0 as "the row itself"; with duplicate rows that column may be a copy of
the row (so the row counts itself as a neighbour and a copy stays out), and
scikit-learn orders equal distances as its tree or partition happens to. On
data without duplicate rows or distance ties the two rules pick the same
neighbours, so TomekLinks and EditedNearestNeighbours keep the same rows,
ADASYN makes the same number of rows per class and BorderlineSMOTE finds the
same rows in danger.
"""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import ADASYN as ImbADASYN
from imblearn.over_sampling import BorderlineSMOTE as ImbBorderlineSMOTE
from imblearn.under_sampling import EditedNearestNeighbours as ImbENN
from imblearn.under_sampling import TomekLinks as ImbTomekLinks
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote import ADASYN, BorderlineSMOTE, EditedNearestNeighbours, TomekLinks
from tests._helpers import brute_knn, to_numpy


def _distinct(seed):
    """Continuous data: no duplicate rows, no two equal distances."""
    X, y = make_classification(n_samples=400, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               class_sep=0.5, random_state=seed)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agreement_on_data_without_duplicates_or_ties(backend, xp, seed):
    X, y = _distinct(seed)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    upper = d2[np.triu_indices(len(X), 1)]
    assert np.unique(upper).size == upper.size  # the premise: no ties at all
    Xb, yb = xp.asarray(X), xp.asarray(y)

    for ours, theirs in [(TomekLinks(sampling_strategy="all"),
                          ImbTomekLinks(sampling_strategy="all")),
                         (EditedNearestNeighbours(sampling_strategy="all"),
                          ImbENN(sampling_strategy="all")),
                         (EditedNearestNeighbours(kind_sel="mode", n_neighbors=5),
                          ImbENN(kind_sel="mode", n_neighbors=5))]:
        ours.set_params(backend=backend).fit_resample(Xb, yb)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)

    _, y_ours = ADASYN(random_state=0, backend=backend).fit_resample(Xb, yb)
    _, y_imb = ImbADASYN(random_state=0).fit_resample(X, y)
    assert Counter(to_numpy(y_ours).tolist()) == Counter(y_imb.tolist())

    ours = BorderlineSMOTE(m_neighbors=6, random_state=0, backend=backend)
    ours.fit_resample(Xb, yb)
    theirs = ImbBorderlineSMOTE(m_neighbors=6, random_state=0)
    theirs.fit_resample(X, y)
    assert ours.in_danger_indices.keys() == theirs.in_danger_indices.keys()
    for label in theirs.in_danger_indices:
        np.testing.assert_array_equal(to_numpy(ours.in_danger_indices[label]),
                                      theirs.in_danger_indices[label])


# Rows 0, 1 and 2 are one point; 0 and 2 are class 0, 1 is class 1.
DUP_X = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [3.0, 0.0], [3.0, 1.0],
                  [0.0, 3.0], [5.0, 5.0], [5.0, 6.0]])
DUP_Y = np.array([0, 1, 0, 0, 0, 1, 0, 1])


def _exact_neighbours(X, k):
    """Our rule written out: self excluded by index, equal distances to the lower index."""
    return brute_knn(X, k)[1]


def _drop_first_column(X, k):
    """imbalanced-learn's rule: k + 1 neighbours from scikit-learn, column 0 dropped."""
    return NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)[:, 1:]


def _tomek_kept(nn, y):
    nn = nn[:, 0]
    link = (nn[nn] == np.arange(len(y))) & (y[nn] != y)
    return np.flatnonzero(~link)


def _enn_kept(nn, y):
    return np.flatnonzero((y[nn] == y[:, None]).all(axis=1))


def test_duplicate_rows_follow_the_exact_rule_where_imblearn_differs(backend, xp):
    X, y = DUP_X, DUP_Y
    # why imbalanced-learn differs here: scikit-learn's first column is not the
    # row itself for rows 0 and 1 (a copy, row 2, comes first)
    first = NearestNeighbors(n_neighbors=3).fit(X).kneighbors(X, return_distance=False)[:, 0]
    assert (first[:2] != np.arange(2)).all()

    tl = TomekLinks(sampling_strategy="all", backend=backend)
    tl.fit_resample(xp.asarray(X), xp.asarray(y))
    # ours: 0 and 1 are each other's nearest (distance 0, lower index first) and of
    # different classes, a Tomek link; so are 6 and 7
    assert to_numpy(tl.sample_indices_).tolist() == _tomek_kept(_exact_neighbours(X, 1), y).tolist() \
        == [2, 3, 4, 5]
    theirs = ImbTomekLinks(sampling_strategy="all")
    theirs.fit_resample(X, y)
    # imbalanced-learn: rows 0 and 2 get themselves as "nearest neighbour", so the
    # link 0-1 is not seen
    assert theirs.sample_indices_.tolist() == _tomek_kept(_drop_first_column(X, 1), y).tolist() \
        == [0, 1, 2, 3, 4, 5]

    enn = EditedNearestNeighbours(n_neighbors=2, sampling_strategy="all", backend=backend)
    enn.fit_resample(xp.asarray(X), xp.asarray(y))
    assert to_numpy(enn.sample_indices_).tolist() == _enn_kept(_exact_neighbours(X, 2), y).tolist() \
        == [3, 4]
    theirs = ImbENN(n_neighbors=2, sampling_strategy="all")
    theirs.fit_resample(X, y)
    assert theirs.sample_indices_.tolist() == _enn_kept(_drop_first_column(X, 2), y).tolist()
    assert theirs.sample_indices_.tolist() != [3, 4]
