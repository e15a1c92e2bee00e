"""BorderlineSMOTE: the danger set equals imbalanced-learn's; new rows on the right segments."""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import BorderlineSMOTE as ImbBorderlineSMOTE
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote import BorderlineSMOTE
from tests._helpers import brute_knn, on_segments, to_numpy


def _data(n=600, seed=0):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.7, 0.2, 0.1], n_classes=3, n_clusters_per_class=1,
                               class_sep=0.6, flip_y=0, random_state=seed)
    return X, y


@pytest.mark.parametrize("kind", ["borderline-1", "borderline-2"])
@pytest.mark.parametrize("m", [3, 10])
def test_danger_set_equals_imblearn(backend, xp, kind, m):
    X, y = _data()
    ours = BorderlineSMOTE(kind=kind, m_neighbors=m, random_state=0, backend=backend)
    _, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbBorderlineSMOTE(kind=kind, m_neighbors=m, random_state=0)
    _, y_imb = theirs.fit_resample(X, y)
    assert ours.in_danger_indices.keys() == theirs.in_danger_indices.keys()
    for label, rows in theirs.in_danger_indices.items():
        np.testing.assert_array_equal(to_numpy(ours.in_danger_indices[label]), rows)
    assert Counter(to_numpy(y_res).tolist()) == Counter(y_imb.tolist())


def test_danger_set_with_a_neighbours_object_equals_int():
    X, y = _data()
    a = BorderlineSMOTE(m_neighbors=10, random_state=0)
    b = BorderlineSMOTE(m_neighbors=NearestNeighbors(n_neighbors=11), random_state=0)
    a.fit_resample(X, y)
    b.fit_resample(X, y)
    for label in a.in_danger_indices:
        np.testing.assert_array_equal(a.in_danger_indices[label], b.in_danger_indices[label])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_borderline1_rows_on_segments_from_danger_rows_to_same_class_neighbours(
        backend, xp, dtype):
    X, y = _data()
    X = X.astype(dtype)
    sampler = BorderlineSMOTE(k_neighbors=4, random_state=1, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    assert X_res.dtype == dtype
    np.testing.assert_array_equal(X_res[:len(X)], X)
    new_X, new_y = X_res[len(X):], y_res[len(X):]
    for label, seeds in sampler.in_danger_indices.items():
        rows = np.flatnonzero(y == label)
        _, nn = brute_knn(X[rows], 4)
        local = np.searchsorted(rows, to_numpy(seeds))
        ok = on_segments(X, new_X[new_y == label], to_numpy(seeds), rows[nn[local]],
                         atol=1e-5 if dtype == np.float32 else 1e-9)
        assert ok.all()


def test_borderline2_steps_towards_other_classes_stay_in_the_first_half(backend, xp):
    X, y = _data()
    sampler = BorderlineSMOTE(kind="borderline-2", k_neighbors=4, random_state=3,
                              backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    new_X, new_y = X_res[len(X):], y_res[len(X):]
    for label, seeds in sampler.in_danger_indices.items():
        seeds = to_numpy(seeds)
        _, nn = brute_knn(X, 4)
        nn = nn[seeds]  # over all classes, self excluded
        other = y[nn] != label
        # same-class cells: anywhere on the segment; other-class cells: first half
        half = X[seeds][:, None, :] + 0.5 * (X[nn] - X[seeds][:, None, :])
        ends = np.where(other[:, :, None], half, X[nn])
        a = np.repeat(X[seeds], 4, axis=0)
        b = ends.reshape(-1, X.shape[1])
        ok = on_segments(np.vstack([a, b]), new_X[new_y == label], np.arange(len(a)),
                         (len(a) + np.arange(len(a)))[:, None], atol=1e-9)
        assert ok.all()


def test_borderline2_takes_its_k_nearest_from_the_danger_search(monkeypatch):
    # k <= m: the k nearest among all rows are the first k of the danger
    # search's m nearest (both by distance, then index); no second search
    import gpusmote.neighbors as nb

    X, y = _data()
    X = np.vstack([X, X[y == 2][:15]])  # copies: ties at distance 0, self among them
    y = np.concatenate([y, np.full(15, 2)])
    searches = []
    search = nb.kneighbors
    monkeypatch.setattr(nb, "kneighbors", lambda *a, **kw: searches.append(1) or search(*a, **kw))
    ours = BorderlineSMOTE(kind="borderline-2", k_neighbors=4, random_state=0)
    X_res, _ = ours.fit_resample(X, y)
    assert len(searches) == 2  # one danger search per minority class, nothing more
    # an m_neighbors estimator finds the same danger rows but leaves the k
    # nearest to a search of their own
    other = BorderlineSMOTE(kind="borderline-2", k_neighbors=4, random_state=0,
                            m_neighbors=NearestNeighbors(n_neighbors=11))
    X_other, _ = other.fit_resample(X, y)
    assert len(searches) == 4
    np.testing.assert_array_equal(X_res, X_other)
    # k > m: a search of its own too
    BorderlineSMOTE(kind="borderline-2", k_neighbors=6, m_neighbors=5,
                    random_state=0).fit_resample(X, y)
    assert len(searches) == 8


def test_a_class_without_danger_rows_gets_no_new_rows_as_in_imblearn():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (20, 2))])
    y = np.array([0] * 100 + [1] * 20)
    ours = BorderlineSMOTE(random_state=0)
    with pytest.warns(UserWarning, match="no minority row in danger"):  # see below
        _X_res, y_res = ours.fit_resample(X, y)
    _, y_imb = ImbBorderlineSMOTE(random_state=0).fit_resample(X, y)
    assert ours.in_danger_indices == {}
    assert len(y_res) == len(y_imb) == len(y)


def test_same_seed_same_output():
    X, y = _data()
    a = BorderlineSMOTE(kind="borderline-2", random_state=5).fit_resample(X, y)[0]
    b = BorderlineSMOTE(kind="borderline-2", random_state=5).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("params, n, error, match", [
    ({"kind": "bogus"}, 600, ValueError, "'kind' parameter of BorderlineSMOTE must be"),
    ({"m_neighbors": 0}, 600, ValueError, "'m_neighbors' parameter"),
    ({"m_neighbors": 700}, 600, ValueError,
     r"m_neighbors=700 is too large.*X has only 600 rows.*m_neighbors <= 599"),
    ({"k_neighbors": 100}, 600, ValueError,
     r"class 2 has 60 rows; BorderlineSMOTE needs k_neighbors \+ 1 = 101 .*works is 59"),
    ({"kind": "borderline-2", "k_neighbors": 650}, 600, ValueError,
     r"k_neighbors=650 is too large.*k_neighbors <= 599"),
])
def test_bad_input(params, n, error, match):
    X, y = _data(n=n)
    with pytest.raises(error, match=match):
        BorderlineSMOTE(**params).fit_resample(X, y)


def _separated(seed=0):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (20, 2)),
              rng.normal(0, 1, (30, 2))]
    y = np.r_[[0] * 100, [1] * 20, [2] * 30]
    return X, y


def test_no_row_in_danger_warns_and_returns_the_input(backend, xp):
    # issue 13 item 6: the input came back silently
    X, y = _separated()
    X, y = X[:120], y[:120]  # classes 0 and 1, far apart
    sampler = BorderlineSMOTE(random_state=0, backend=backend)
    with pytest.warns(UserWarning, match=r"BorderlineSMOTE found no minority row in danger "
                      r"\(class 1: 20 rows; no row has at least half, but not all, of its "
                      r"m_neighbors=10 nearest rows in other classes\), so it made no new rows "
                      r"and returned the input unchanged.*use SMOTE for this data, or try "
                      r"another m_neighbors"):
        X_res, _y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    np.testing.assert_array_equal(to_numpy(X_res), X)
    assert sampler.in_danger_indices == {}


def test_a_class_without_danger_is_named_while_the_others_are_over_sampled():
    X, y = _separated()  # class 2 overlaps class 0; class 1 is far away
    with pytest.warns(UserWarning, match=r"no minority row in danger \(class 1: 20 rows; .*"
                      r"m_neighbors=4.*no new rows for that class \(the other classes were "
                      r"over-sampled\)"):
        _, y_res = BorderlineSMOTE(m_neighbors=4, random_state=0).fit_resample(X, y)
    assert Counter(y_res.tolist()) == {0: 100, 1: 20, 2: 100}


def test_no_warning_when_rows_are_in_danger():
    import warnings

    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BorderlineSMOTE(random_state=0).fit_resample(X, y)
