"""TomekLinks and EditedNearestNeighbours remove exactly the rows imbalanced-learn removes."""

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import EditedNearestNeighbours as ImbENN
from imblearn.under_sampling import TomekLinks as ImbTomekLinks
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote import EditedNearestNeighbours, TomekLinks
from tests._helpers import to_numpy


def _data(n=800, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               class_sep=0.5, random_state=seed)
    return X.astype(dtype), y


STRATEGIES = ["auto", "all", "majority", "not minority", "not majority", [0, 2]]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_tomek_links_sample_indices_equal_imblearn(backend, xp, strategy):
    X, y = _data()
    ours = TomekLinks(sampling_strategy=strategy, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbTomekLinks(sampling_strategy=strategy)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])


@pytest.mark.parametrize("strategy", ["auto", "all", [1, 2]])
def test_tomek_links_from_the_rows_outside_the_largest_class_equal_all_rows(backend, xp,
                                                                            strategy):
    """Only the rows outside the largest class, and the largest class's rows they
    point to, are searched: the links must be those of every row's nearest
    neighbour, with duplicates and ties (an integer grid) and links between two
    smaller classes."""
    from gpusmote.neighbors import kneighbors

    rng = np.random.default_rng(4)
    X = rng.integers(0, 25, size=(1500, 2)).astype(np.float64)
    y = rng.choice([0, 1, 2], size=1500, p=[0.9, 0.06, 0.04])
    ours = TomekLinks(sampling_strategy=strategy, backend=backend)
    ours.fit_resample(xp.asarray(X), xp.asarray(y))
    nn = kneighbors(X, 1, backend="numpy", return_distance=False)[:, 0]
    links = TomekLinks.is_tomek(y, nn, list(ours.sampling_strategy_))
    assert links.sum() > 10
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), np.flatnonzero(~links))


def test_is_tomek_static_method_matches_imblearn():
    X, y = _data()
    nn = NearestNeighbors(n_neighbors=2).fit(X).kneighbors(X, return_distance=False)[:, 1]
    for classes in ([0], [0, 1], [0, 1, 2]):
        np.testing.assert_array_equal(TomekLinks.is_tomek(y, nn, classes),
                                      ImbTomekLinks.is_tomek(y, nn, classes))


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind_sel", ["all", "mode"])
@pytest.mark.parametrize("k", [1, 3, 4])
def test_enn_sample_indices_equal_imblearn(backend, xp, strategy, kind_sel, k):
    X, y = _data()
    ours = EditedNearestNeighbours(sampling_strategy=strategy, kind_sel=kind_sel,
                                   n_neighbors=k, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbENN(sampling_strategy=strategy, kind_sel=kind_sel, n_neighbors=k)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])


def test_enn_with_a_neighbours_object_equals_imblearn():
    X, y = _data()
    ours = EditedNearestNeighbours(n_neighbors=NearestNeighbors(n_neighbors=4))
    theirs = ImbENN(n_neighbors=NearestNeighbors(n_neighbors=4))
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_float32_and_string_labels_and_small_blocks():
    X, y = _data(dtype=np.float32)
    labels = np.array(["a", "b", "c"])[y]
    ours = EditedNearestNeighbours(working_memory=0.01)
    X_res, y_res = ours.fit_resample(X, labels)
    theirs = ImbENN().fit(X, labels)
    theirs.fit_resample(X, labels)
    assert X_res.dtype == np.float32
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    np.testing.assert_array_equal(y_res, labels[theirs.sample_indices_])


def test_dataframe_keeps_the_index_of_the_kept_rows():
    X, y = _data(n=300)
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1300))
    tl = TomekLinks()
    X_res, y_res = tl.fit_resample(df, pd.Series(y, index=df.index))
    assert list(X_res.index) == list(df.index[tl.sample_indices_])
    assert list(y_res.index) == list(X_res.index)
    pd.testing.assert_frame_equal(X_res, df.iloc[tl.sample_indices_])


@pytest.mark.parametrize("sampler, n, match", [
    (EditedNearestNeighbours(kind_sel="bogus"), 50,
     "'kind_sel' parameter of EditedNearestNeighbours must be"),
    (EditedNearestNeighbours(n_neighbors=0), 50, "'n_neighbors' parameter"),
    (EditedNearestNeighbours(n_neighbors=60), 50,
     r"n_neighbors=60 is too large.*X has only 50 rows.*n_neighbors <= 49"),
    (TomekLinks(sampling_strategy=0.5), 50, r"a float works for two classes only and y has 3"),
    (TomekLinks(backend="gpu"), 50, "'backend' parameter of TomekLinks"),
])
def test_bad_input(sampler, n, match):
    X, y = _data(n=n)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)
