"""NearMiss keeps exactly the rows imbalanced-learn keeps, ties in the averages included."""

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import NearMiss as ImbNearMiss
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote._nearmiss import NearMiss
from tests._helpers import brute_knn, to_numpy


def _data(n=400, seed=0, dtype=np.float64, n_features=5):
    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=3,
                               n_redundant=0, weights=[0.6, 0.3, 0.1], n_classes=3,
                               n_clusters_per_class=1, random_state=seed)
    return X.astype(dtype), y


def _grid(n=400, seed=0, n_features=3):
    """Small integers: many rows at equal distances, so equal averages everywhere."""
    _X, y = _data(n, seed)
    return np.random.RandomState(seed).randint(0, 4, size=(n, n_features)).astype(float), y


def _duplicates(n=400, seed=0):
    X, y = _data(n, seed)
    X[n // 4:n // 2] = X[:n // 4]  # exact copies: equal averages for the copies
    return X, y


def _halve_majority(y):
    counts = Counter(np.asarray(y).tolist())
    top = max(counts, key=counts.get)
    return {top: counts[top] // 2}


STRATEGIES = ["auto", "all", "majority", "not minority", "not majority",
              {0: 120, 1: 50}, _halve_majority]


def _both(data, **params):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # version 3's short list
        theirs = ImbNearMiss(**params)
        theirs.fit_resample(X, y)
    return theirs


@pytest.mark.parametrize("version", [1, 2, 3])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sample_indices_equal_imblearn(backend, xp, version, strategy):
    X, y = _data()
    ours = NearMiss(version=version, sampling_strategy=strategy, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = _both((X, y), version=version, sampling_strategy=strategy)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])
    assert ours.sampling_strategy_ == theirs.sampling_strategy_


@pytest.mark.parametrize("make", [_grid, _duplicates], ids=["grid", "duplicates"])
@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_ties_in_the_averages_are_ordered_as_imblearn(backend, xp, make, version, k):
    X, y = make()
    ours = NearMiss(version=version, n_neighbors=k, backend=backend)
    ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = _both((X, y), version=version, n_neighbors=k)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)


class LowerIndexNeighbours(BaseEstimator):
    """An exact neighbour search whose ties go to the lower index: gpusmote's rule,
    as an estimator imbalanced-learn can be given."""

    def __init__(self, n_neighbors=3, n_jobs=None):
        self.n_neighbors = n_neighbors
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self.X_ = np.asarray(X, dtype=np.float64)
        return self

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        d2, idx = brute_knn(self.X_, n_neighbors or self.n_neighbors, queries=X)
        return (np.sqrt(d2), idx) if return_distance else idx

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        raise NotImplementedError


@pytest.mark.parametrize("make", [_grid, _duplicates, _data], ids=["grid", "duplicates",
                                                                  "plain"])
@pytest.mark.parametrize("k3", [1, 3])
@pytest.mark.parametrize("strategy", ["auto", {0: 120, 1: 50}])
def test_version_3_short_list_takes_the_lower_index_at_ties(backend, xp, make, k3,
                                                            strategy):
    """Version 3 equals imbalanced-learn run with a search whose ties go to the
    lower index: the one rule where the two libraries may differ (the rest of the
    selection, its ties included, is the same)."""
    X, y = make()
    ours = NearMiss(version=3, n_neighbors_ver3=k3, sampling_strategy=strategy,
                    backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = _both((X, y), version=3, sampling_strategy=strategy,
                   n_neighbors=LowerIndexNeighbours(3),
                   n_neighbors_ver3=LowerIndexNeighbours(k3))
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_estimator_objects_are_used_as_given(version):
    X, y = _grid()
    ours = NearMiss(version=version, n_neighbors=NearestNeighbors(n_neighbors=2),
                    n_neighbors_ver3=NearestNeighbors(n_neighbors=4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours.fit_resample(X, y)
    theirs = _both((X, y), version=version, n_neighbors=NearestNeighbors(n_neighbors=2),
                   n_neighbors_ver3=NearestNeighbors(n_neighbors=4))
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.nn_.n_neighbors == 2
    assert version != 3 or ours.nn_ver3_.n_neighbors == 4


@pytest.mark.parametrize("version", [1, 2, 3])
def test_float32_wide_data_and_small_blocks(version):
    X, y = _data(n_features=20, dtype=np.float32)
    ours = NearMiss(version=version, working_memory=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X_res, _ = ours.fit_resample(X, y)
    theirs = _both((X, y), version=version)
    assert X_res.dtype == np.float32
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_float_strategy_and_counts(backend, xp):
    X, y = _data()
    X, y = X[y != 2], y[y != 2]
    for ratio in (0.5, 0.75, 1.0):
        for version in (1, 2):
            ours = NearMiss(version=version, sampling_strategy=ratio, backend=backend)
            _, _y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
            theirs = _both((X, y), version=version, sampling_strategy=ratio)
            np.testing.assert_array_equal(to_numpy(ours.sample_indices_),
                                          theirs.sample_indices_)


def test_minority_ties_go_to_the_class_that_comes_first_in_y():
    """Two classes of the same (smallest) size: imbalanced-learn's Counter makes the
    one that occurs first in y the minority; the searches are against its rows."""
    X, y = _data(n=300)
    counts = np.bincount(y)
    keep = np.concatenate([np.flatnonzero(y == 0)[:counts[2]], np.flatnonzero(y == 1)[:50],
                           np.flatnonzero(y == 2)])
    for order in (keep, keep[::-1]):
        Xs, ys = X[order], y[order]
        for version in (1, 2, 3):
            ours = NearMiss(version=version, sampling_strategy="all")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                ours.fit_resample(Xs, ys)
            theirs = _both((Xs, ys), version=version, sampling_strategy="all")
            np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_version_3_warns_when_the_short_list_is_too_short():
    X, y = _data()
    with pytest.warns(UserWarning, match=r"NearMiss\(version=3\): only \d+ rows of class"):
        NearMiss(version=3, n_neighbors_ver3=1).fit_resample(X, y)


def test_containers_are_kept(backend, xp):
    X, y = _data(n=300)
    ints = np.round(X * 4).astype(np.int64)
    nm = NearMiss(backend=backend)
    X_res, _ = nm.fit_resample(ints, y)
    assert X_res.dtype == np.int64
    np.testing.assert_array_equal(X_res, ints[to_numpy(nm.sample_indices_)])
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(9000, 9300))
    nm = NearMiss(backend=backend)
    X_res, y_res = nm.fit_resample(df, pd.Series(y, index=df.index, name="t"))
    pd.testing.assert_frame_equal(X_res, df.iloc[to_numpy(nm.sample_indices_)])
    assert list(y_res.index) == list(X_res.index) and y_res.name == "t"
    X_sp, _ = NearMiss(backend=backend).fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)
    X_dense, _ = NearMiss(backend=backend).fit_resample(X, y)
    np.testing.assert_array_equal(X_sp.toarray(), X_dense)


@pytest.mark.parametrize("sampler, match", [
    (NearMiss(version=4), "'version' parameter of NearMiss"),
    (NearMiss(n_neighbors=0), "'n_neighbors' parameter of NearMiss"),
    (NearMiss(n_neighbors_ver3="3"), "'n_neighbors_ver3' parameter of NearMiss"),
    (NearMiss(n_neighbors=30), (r"n_neighbors=30 is too large.*minority class, which has "
                               r"only 10 rows.*n_neighbors <= 10")),
    (NearMiss(version=3, n_neighbors_ver3=30, sampling_strategy={0: 5}),
     r"n_neighbors_ver3=30 is too large.*class 0, which has only 15 rows"),
    (NearMiss(sampling_strategy=0.5), "a float works for two classes only"),
    (NearMiss(backend="gpu"), "'backend' parameter of NearMiss"),
])
def test_bad_input(sampler, match):
    X, y = _data(n=100)
    y = np.array([0] * 15 + [1] * 75 + [2] * 10)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_cupy_input_moves_only_scalars_to_the_host(fake_cupy, version):
    cp = fake_cupy
    X, y = _data(n=1000)
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    nm = NearMiss(version=version, backend="cupy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X_res, _ = nm.fit_resample(X_dev, y_dev)
    down = [n for d, n, _ in cp.transfers if d == "d2h"]
    assert max(down) <= 256 and sum(down) < X.nbytes // 8, cp.transfers
    assert isinstance(X_res, cp.ndarray) and isinstance(nm.sample_indices_, cp.ndarray)


@pytest.mark.parametrize("shape", ["plain", "ties", "integers", "few"])
def test_version_2_scores_are_the_k_farthest_distances_summed(shape, monkeypatch):
    # the farthest-k pass against every distance measured and sorted; ties at the
    # k-th distance (grids) send rows to the full measure, exactly as well; on
    # small integers the expanded form is exact and nothing is measured
    from gpusmote import _nearmiss
    from gpusmote.backends import get_backend

    rng = np.random.default_rng(3)
    if shape in ("ties", "integers"):
        # four distinct rows, about 15 copies each: more ties than candidates
        R, Q = rng.integers(0, 2, (60, 2)).astype(float), rng.integers(0, 3, (200, 2)) * 1.0
        if shape == "ties":  # the same grid, not of integers
            R, Q = R * 0.1, Q * 0.1
    elif shape == "few":
        R, Q = rng.normal(size=(5, 3)), rng.normal(size=(50, 3))   # k + 8 > 5: every row
    else:
        R, Q = rng.normal(size=(300, 6)) * 1e3 + 5e4, rng.normal(size=(400, 6)) * 1e3 + 5e4
    full = np.sort(np.sqrt(((Q[:, None, :] - R[None, :, :]) ** 2).sum(-1)), axis=1)
    calls = []
    for name in ("_exact_top_all", "_largest_of_pairs"):
        real = getattr(_nearmiss, name)
        monkeypatch.setattr(_nearmiss, name,
                            lambda *a, _name=name, _real=real: calls.append(_name) or _real(*a))
    got = _nearmiss._farthest_sums(get_backend("numpy"), R, Q, 3, 1 << 16)
    np.testing.assert_allclose(got, full[:, -3:].sum(axis=1), rtol=1e-12)
    # plain rows are settled by their candidates; tied rows measure their tie
    # group; with fewer rows than candidates every distance is measured
    assert set(calls) == {"plain": set(), "ties": {"_largest_of_pairs"}, "integers": set(),
                          "few": {"_exact_top_all"}}[shape]
