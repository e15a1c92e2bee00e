"""ADASYN: per-row counts equal imbalanced-learn's; new rows on same-class segments."""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import ADASYN as ImbADASYN
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote import ADASYN
from gpusmote._adasyn import adasyn_counts
from gpusmote.backends import get_backend
from tests._helpers import brute_knn, on_segments, to_numpy


def _data(n=600, seed=0):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.7, 0.2, 0.1], n_classes=3, n_clusters_per_class=1,
                               class_sep=0.6, flip_y=0, random_state=seed)
    return X, y


def _imblearn_counts(X, y, label, n_new, k):
    """imbalanced-learn's per-row counts, computed the way its _fit_resample does."""
    rows = np.flatnonzero(y == label)
    nns = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X[rows],
                                                                return_distance=False)[:, 1:]
    ratio = np.sum(y[nns] != label, axis=1) / k
    ratio /= np.sum(ratio)
    return np.rint(ratio * n_new).astype(int)


@pytest.mark.parametrize("k", [3, 5, 8])
def test_per_row_counts_equal_imblearn(backend, k):
    X, y = _data()
    sampler = ADASYN(n_neighbors=k, backend=backend)
    sampler.fit(X, y)
    sampler._validate_estimator()
    be = get_backend(backend)
    classes = np.unique(y)
    sampler._codes = be.asarray(np.searchsorted(classes, y))
    for label, n_new in sampler.sampling_strategy_.items():
        if not n_new:
            continue
        rows = np.flatnonzero(y == label)
        ours, total = sampler._seed_counts(be, be.asarray(X), be.asarray(rows), label,
                                           int(np.searchsorted(classes, label)), n_new)
        ours = to_numpy(ours)
        assert total == ours.sum()
        np.testing.assert_array_equal(ours, _imblearn_counts(X, y, label, n_new, k))


def test_class_totals_equal_imblearn(backend, xp):
    X, y = _data()
    _, y_res = ADASYN(random_state=0, backend=backend).fit_resample(xp.asarray(X),
                                                                      xp.asarray(y))
    _, y_imb = ImbADASYN(random_state=0).fit_resample(X, y)
    assert Counter(to_numpy(y_res).tolist()) == Counter(y_imb.tolist())


def test_counts_round_half_to_even_like_numpy():
    # 2 rows with equal weight, 3 rows asked: 1.5 each rounds to 2 (even), total 4
    np.testing.assert_array_equal(adasyn_counts([1, 1], 5, 3), [2, 2])
    assert adasyn_counts([0, 0], 5, 3) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_on_segments_to_same_class_neighbours(backend, xp, dtype):
    X, y = _data()
    X = X.astype(dtype)
    X_res, y_res = ADASYN(n_neighbors=4, random_state=2, backend=backend).fit_resample(
        xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    assert X_res.dtype == dtype
    np.testing.assert_array_equal(X_res[:len(X)], X)
    new_X, new_y = X_res[len(X):], y_res[len(X):]
    for label in np.unique(new_y):
        rows = np.flatnonzero(y == label)
        _, nn = brute_knn(X[rows], 4)
        ok = on_segments(X, new_X[new_y == label], rows, rows[nn],
                         atol=1e-5 if dtype == np.float32 else 1e-9)
        assert ok.all()


def test_neighbours_object_gives_the_same_counts_as_the_int():
    X, y = _data()
    a = ADASYN(n_neighbors=5, random_state=0).fit_resample(X, y)[1]
    b = ADASYN(n_neighbors=NearestNeighbors(n_neighbors=6), random_state=0).fit_resample(X, y)[1]
    assert Counter(a.tolist()) == Counter(b.tolist())


def _separated():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(50, 1, (20, 2))])
    return X, np.array([0] * 100 + [1] * 20)


@pytest.mark.parametrize("params, data, error, match", [
    ({"n_neighbors": 0}, "mixed", ValueError, "'n_neighbors' parameter of ADASYN"),
    ({"n_neighbors": 700}, "mixed", ValueError,
     r"n_neighbors=700 is too large.*n_neighbors <= 599"),
    ({"n_neighbors": 70}, "mixed", ValueError,
     r"class 2 has 60 rows; ADASYN needs n_neighbors \+ 1 = 71"),
    ({}, "separated", RuntimeError, "no row of class 1 has a neighbour of another class"),
    ({"sampling_strategy": {1: 21}}, "tiny", ValueError,
     "no samples will be generated for class 1"),
])
def test_bad_input(params, data, error, match):
    if data == "mixed":
        X, y = _data()
    elif data == "separated":
        X, y = _separated()
    else:
        X, y = _separated()
        X[100] = [0.0, 0.0]  # one row of class 1 among class 0: the rest have no weight
        X[101] = [0.1, 0.0]
    with pytest.raises(error, match=match):
        ADASYN(**params).fit_resample(X, y)


def test_pairwise_sum_is_numpys_sum_bit_for_bit():
    """The device form of np.sum (ADASYN's total): equal to np.sum for every length
    across the 8/128-value leaf and tree boundaries, on values that round."""
    from gpusmote._adasyn import pairwise_sum

    rng = np.random.default_rng(0)
    sizes = list(range(1, 300)) + [1000, 1023, 4099, 8192, 8193, 20_011, 100_003]
    for n in sizes:
        for a in (rng.integers(0, 8, n) / 7, rng.random(n) * 1e3 - 300):
            assert float(pairwise_sum(np, a)) == np.sum(a), n


def test_base_indices_follow_the_per_row_counts(backend, xp):
    # each minority row is the base of exactly as many new rows as ADASYN gave it
    # (its neighbour, the segment's other end, is not)
    X, y = _data()
    sampler = ADASYN(n_neighbors=5, random_state=0, backend=backend)
    sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    per_row = np.bincount(to_numpy(sampler.base_indices_), minlength=len(X))
    for label, n_new in sampler.sampling_strategy_.items():
        if n_new:
            rows = np.flatnonzero(y == label)
            np.testing.assert_array_equal(per_row[rows],
                                          _imblearn_counts(X, y, label, n_new, 5))
