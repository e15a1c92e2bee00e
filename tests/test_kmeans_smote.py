"""KMeansSMOTE: the clusters kept, their counts and the class counts equal
imbalanced-learn's with the same clustering; new rows lie on segments inside one
cluster; the mean distance equals scikit-learn's; the backend's Lloyd k-means."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import KMeansSMOTE as ImbKMeansSMOTE
from imblearn.over_sampling._smote.base import BaseSMOTE as ImbBaseSMOTE
from scipy import sparse
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs, make_classification
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors

from gpusmote._kmeans import BackendKMeans, kmeans_plusplus
from gpusmote._kmeans_smote import KMeansSMOTE, mean_pairwise_distance
from gpusmote._smote import SMOTE
from gpusmote.backends import get_backend
from tests import _fake_cupy
from tests._helpers import brute_knn, on_segments, to_numpy


def _data(n=1500, seed=0, n_classes=3):
    weights = [0.7, 0.2, 0.1] if n_classes == 3 else [0.8, 0.2]
    return make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=weights, n_classes=n_classes, n_clusters_per_class=2,
                               class_sep=2.0, flip_y=0, random_state=seed)


def _imblearn_clusters(X, y, **params):
    """Run imbalanced-learn's KMeansSMOTE; per class, the (sorted seed rows, rows
    asked) of each cluster it over-samples, in order."""
    found = {}
    original = ImbBaseSMOTE._make_samples
    row_of = {X[i].tobytes(): i for i in range(len(X))}

    def spy(self, X_seeds, y_dtype, y_type, nn_data, nn_num, n_samples, step_size=1.0,
            y=None):
        seeds = np.sort([row_of[r.tobytes()] for r in np.asarray(X_seeds)])
        found.setdefault(y_type, []).append((seeds, n_samples))
        return original(self, X_seeds, y_dtype, y_type, nn_data, nn_num, n_samples,
                        step_size, y)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ImbBaseSMOTE, "_make_samples", spy)
        sampler = ImbKMeansSMOTE(**params)
        _, y_res = sampler.fit_resample(X, y)
    return found, y_res, sampler


def _our_clusters(sampler, y):
    clusters = to_numpy(sampler.kmeans_estimator_.labels_)
    return {label: [(np.flatnonzero((clusters == c) & (y == label)), n)
                    for c, n in made.items()]
            for label, made in sampler.n_new_per_cluster_.items()}


def _check_equal(ours, theirs, y_res, y_imb, seeds_of=None):
    """Class counts, and per class the kept clusters' counts and rows (for the
    classes ``seeds_of``, all by default: ``kmeans_estimator_`` holds the last fit)."""
    assert Counter(to_numpy(y_res).tolist()) == Counter(y_imb.tolist())
    assert set(ours) == set(theirs)
    for label, parts in theirs.items():
        assert len(ours[label]) == len(parts)
        for (seeds, n), (want_seeds, want_n) in zip(ours[label], parts):
            if seeds_of is None or label in seeds_of:
                np.testing.assert_array_equal(seeds, want_seeds)
            assert n == want_n


STRATEGIES = ["auto", "minority", "not majority", "all", "not minority",
              {1: 700, 2: 500}, lambda y: {2: 400}]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: str(s)[:12])
def test_kept_clusters_and_counts_equal_imblearn(strategy):
    X, y = _data()
    theirs, y_imb, _ = _imblearn_clusters(X, y, random_state=0, k_neighbors=3,
                                          sampling_strategy=strategy)
    sampler = KMeansSMOTE(random_state=0, k_neighbors=3, sampling_strategy=strategy)
    _, y_res = sampler.fit_resample(X, y)
    assert isinstance(sampler.kmeans_estimator_, MiniBatchKMeans)
    _check_equal(_our_clusters(sampler, y), theirs, y_res, y_imb)


@pytest.mark.parametrize("strategy", [0.6, 1.0])
@pytest.mark.parametrize("threshold, exponent", [("auto", "auto"), (0.1, 2.0), (0.3, 0.5)])
def test_float_strategies_thresholds_and_exponents_equal_imblearn(strategy, threshold,
                                                                   exponent):
    X, y = _data(n=1200, seed=3, n_classes=2)
    params = {"random_state": 1, "sampling_strategy": strategy, "kmeans_estimator": 6,
              "cluster_balance_threshold": threshold, "density_exponent": exponent}
    theirs, y_imb, _ = _imblearn_clusters(X, y, **params)
    sampler = KMeansSMOTE(**params)
    _, y_res = sampler.fit_resample(X, y)
    _check_equal(_our_clusters(sampler, y), theirs, y_res, y_imb)


def test_host_estimator_on_the_cupy_path_keeps_imblearns_clusters(backend, xp):
    # a user's estimator is fitted on the host whatever the backend: the same clusters
    X, y = _data()
    est = KMeans(n_clusters=6, n_init=1, random_state=0)
    theirs, y_imb, _ = _imblearn_clusters(X, y, random_state=0, kmeans_estimator=est)
    sampler = KMeansSMOTE(random_state=0, kmeans_estimator=est, backend=backend)
    _, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    _check_equal(_our_clusters(sampler, y), theirs, y_res, y_imb)


def test_a_random_state_instance_advances_as_in_imblearn():
    # the second class's clustering draws from the instance after the first
    # class's clustering and sample draws: refitted, as in imbalanced-learn
    X, y = _data()
    theirs, y_imb, _ = _imblearn_clusters(X, y, random_state=np.random.RandomState(3))
    sampler = KMeansSMOTE(random_state=np.random.RandomState(3))
    _, y_res = sampler.fit_resample(X, y)
    # the clusters of the last class are the last fit's
    _check_equal(_our_clusters(sampler, y), theirs, y_res, y_imb, seeds_of=[2])


def test_one_cluster_is_smote():
    X, y = _data()
    a = KMeansSMOTE(kmeans_estimator=1, cluster_balance_threshold=0.0, k_neighbors=5,
                    random_state=42)
    X_a, y_a = a.fit_resample(X, y)
    X_b, y_b = SMOTE(random_state=42).fit_resample(X, y)
    np.testing.assert_array_equal(X_a, X_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert a.nn_k_.n_neighbors == 6 and a.kmeans_estimator_.n_clusters == 1
    assert a.cluster_balance_threshold_ == -np.inf
    assert "batch_size" in a.kmeans_estimator_.get_params()


@pytest.mark.parametrize("k_neighbors", [2, NearestNeighbors(n_neighbors=3)])
@pytest.mark.parametrize("kmeans_estimator", [
    3, KMeans(n_clusters=3, n_init=1, random_state=42),
    MiniBatchKMeans(n_clusters=3, n_init=1, random_state=42)])
def test_custom_estimators_as_in_imblearns_tests(k_neighbors, kmeans_estimator):
    X, y = make_blobs([14, 6], centers=[(0, 0), (3, 3)], cluster_std=1.5, random_state=1)
    sampler = KMeansSMOTE(random_state=42, kmeans_estimator=kmeans_estimator,
                          k_neighbors=k_neighbors, cluster_balance_threshold=0.0)
    X_res, _ = sampler.fit_resample(X, y)
    theirs = ImbKMeansSMOTE(random_state=42, kmeans_estimator=kmeans_estimator,
                            k_neighbors=k_neighbors, cluster_balance_threshold=0.0)
    X_imb, _ = theirs.fit_resample(X, y)
    assert X_res.shape == X_imb.shape
    assert sampler.nn_k_.n_neighbors == 3 and sampler.kmeans_estimator_.n_clusters == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_new_rows_lie_on_segments_inside_their_cluster(backend, xp, dtype):
    X, y = _data(n=900)
    X = X.astype(dtype)
    sampler = KMeansSMOTE(random_state=2, k_neighbors=3, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    assert X_res.dtype == dtype
    np.testing.assert_array_equal(X_res[:len(X)], X)
    new, base = X_res[len(X):], to_numpy(sampler.base_indices_)
    np.testing.assert_array_equal(y[base], y_res[len(X):])
    clusters = to_numpy(sampler.kmeans_estimator_.labels_)
    start = 0
    for label, made in sampler.n_new_per_cluster_.items():
        for c, n in made.items():
            members = np.flatnonzero((clusters == c) & (y == label))
            rows = slice(start, start + n)
            assert np.isin(base[rows], members).all()  # based in its own cluster
            _, nn = brute_knn(X[members], 3)
            ok = on_segments(X, new[rows], members, members[nn],
                             atol=1e-5 if dtype == np.float32 else 1e-9)
            assert ok.all()
            start += n
    assert start == len(new)


def test_the_gpu_path_clusters_on_the_device_and_never_downloads_X(monkeypatch):
    cp = _fake_cupy.install(monkeypatch)
    X, y = _data()
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    sampler = KMeansSMOTE(random_state=0, k_neighbors=3, backend="cupy")
    X_res, y_res = sampler.fit_resample(X_dev, y_dev)
    assert isinstance(X_res, cp.ndarray) and isinstance(y_res, cp.ndarray)
    assert isinstance(sampler.kmeans_estimator_, BackendKMeans)
    assert isinstance(sampler.cluster_centers_, cp.ndarray)
    assert sampler.cluster_centers_.shape == (8, X.shape[1])
    down = _fake_cupy.transferred("d2h")
    assert max(down) < X.nbytes // 10, cp.transfers  # summaries and counts only
    counts = Counter(to_numpy(y_res).tolist())
    for label, n_new in sampler.sampling_strategy_.items():
        made = sampler.n_new_per_cluster_.get(label, {})
        assert sum(made.values()) >= n_new and sum(made.values()) <= n_new + len(made)
        assert counts[label] == int((y == label).sum()) + sum(made.values())


def test_same_seed_same_output(backend, xp):
    X, y = _data(n=600)
    a = KMeansSMOTE(random_state=5, backend=backend).fit_resample(xp.asarray(X),
                                                                  xp.asarray(y))[0]
    b = KMeansSMOTE(random_state=5, backend=backend).fit_resample(xp.asarray(X),
                                                                  xp.asarray(y))[0]
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("wm", [None, 0.001])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_distance_equals_scikit_learns(backend, xp, wm, dtype):
    rng = np.random.RandomState(0)
    A = (rng.normal(size=(257, 6)) * [1, 10, 0.1, 1, 1, 1] + 100).astype(dtype)
    D = euclidean_distances(A.astype(np.float64))
    np.fill_diagonal(D, 0)
    want = D.sum() / (257 * 256)
    be = get_backend(backend)
    got = mean_pairwise_distance(be, xp.asarray(A), wm)
    assert isinstance(got, np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    if backend == "numpy":
        np.testing.assert_allclose(mean_pairwise_distance(be, sparse.csr_matrix(A), wm),
                                   want, rtol=1e-12)


def test_dataframe_and_sparse_containers():
    X, y = _data(n=600)
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1600))
    X_res, y_res = KMeansSMOTE(random_state=0).fit_resample(df, pd.Series(y, index=df.index))
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list("abcde")
    pd.testing.assert_frame_equal(X_res.iloc[:600], df)
    assert isinstance(y_res, pd.Series) and len(y_res) == len(X_res)
    dense = KMeansSMOTE(random_state=0).fit_resample(X, y)[0]
    X_sp, _ = KMeansSMOTE(random_state=0).fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp) and X_sp.shape == dense.shape


def test_no_cluster_found_is_explained():
    X, y = _data(n=600)
    with pytest.raises(RuntimeError, match=r"found no cluster with sufficient samples of "
                       r"class 1: .*at least 10 of its rows.*k_neighbors \+ 1 = 3.*largest "
                       r"share.*Lower cluster_balance_threshold"):
        KMeansSMOTE(cluster_balance_threshold=10, random_state=42).fit_resample(X, y)
    with pytest.raises(RuntimeError, match="No clusters found"):
        ImbKMeansSMOTE(cluster_balance_threshold=10, random_state=42).fit_resample(X, y)


def test_identical_rows_in_every_kept_cluster_are_explained():
    X = np.r_[np.random.RandomState(0).normal(size=(40, 2)), np.ones((6, 2))]
    y = np.r_[[0] * 40, [1] * 6]
    with pytest.raises(ValueError, match=r"density weights .* class 1 are not finite.*"
                       r"identical.*remove duplicate rows"):
        KMeansSMOTE(kmeans_estimator=1, random_state=0).fit_resample(X, y)


@pytest.mark.parametrize("params, match", [
    ({"kmeans_estimator": 0}, "'kmeans_estimator' parameter of KMeansSMOTE must be"),
    ({"kmeans_estimator": "kmeans"}, "'kmeans_estimator' parameter"),
    ({"cluster_balance_threshold": "high"}, "'cluster_balance_threshold' parameter"),
    ({"density_exponent": "x"}, "'density_exponent' parameter"),
    ({"n_jobs": "all"}, "'n_jobs' parameter"),
    ({"k_neighbors": 0}, "'k_neighbors' parameter"),
    ({"kmeans_estimator": 700}, r"n_samples=600 should be >= n_clusters=700"),
    ({"backend": "gpu"}, "'backend' parameter of KMeansSMOTE"),
])
def test_bad_input(params, match):
    X, y = _data(n=600)
    with pytest.raises(ValueError, match=match):
        KMeansSMOTE(**params).fit_resample(X, y)


# -- the backend's Lloyd k-means ------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lloyd_from_given_centres_equals_scikit_learns(backend, xp, dtype):
    X, _ = make_blobs(2000, n_features=4, centers=6, cluster_std=3.0, random_state=0)
    X = X.astype(dtype)
    init = X[np.random.RandomState(0).choice(len(X), 6, replace=False)]
    ours = BackendKMeans(6, init=init, backend=backend, working_memory=0.05).fit(
        xp.asarray(X))
    theirs = KMeans(6, init=init, n_init=1, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(to_numpy(ours.labels_), theirs.labels_)
    np.testing.assert_allclose(to_numpy(ours.cluster_centers_), theirs.cluster_centers_,
                               rtol=1e-5 if dtype == np.float32 else 1e-10)
    assert to_numpy(ours.cluster_centers_).dtype == dtype
    np.testing.assert_array_equal(to_numpy(ours.predict(xp.asarray(X))),
                                  to_numpy(ours.labels_))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_plusplus_finds_separated_blobs(backend, xp, seed):
    X, truth = make_blobs(1000, n_features=3, centers=5, cluster_std=0.5,
                          center_box=(-50, 50), random_state=seed)
    be = get_backend(backend)
    centres = to_numpy(kmeans_plusplus(be, xp.asarray(X), 5, seed))
    assert all((X == c).all(axis=1).any() for c in centres)  # rows of X
    km = BackendKMeans(5, random_state=seed, backend=backend).fit(xp.asarray(X))
    assert adjusted_rand_score(truth, to_numpy(km.labels_)) == 1.0
    again = BackendKMeans(5, random_state=seed, backend=backend).fit(xp.asarray(X))
    np.testing.assert_array_equal(to_numpy(km.cluster_centers_),
                                  to_numpy(again.cluster_centers_))


def test_kmeans_with_fewer_distinct_rows_than_clusters_keeps_empty_centres():
    X = np.repeat([[0.0, 0.0], [10.0, 10.0]], 10, axis=0)
    km = BackendKMeans(4, random_state=0, backend="numpy").fit(X)
    assert np.isfinite(km.cluster_centers_).all()
    assert len(set(km.labels_.tolist())) == 2


class _Halves(ClusterMixin, BaseEstimator):
    """Two fixed clusters: the sign of the first column."""

    def __init__(self, n_clusters=2):
        self.n_clusters = n_clusters

    def fit(self, X, y=None):
        self.labels_ = self.predict(X)
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0).astype(int)


def test_a_cluster_with_exactly_k_plus_one_rows_of_the_class_is_kept():
    # left: 20 + 3 rows of class 1 (k_neighbors + 1 = 3: kept); right: 20 + 2 (not)
    rng = np.random.RandomState(0)
    X = np.r_[rng.uniform(-9, -1, (23, 2)), rng.uniform(1, 9, (22, 2))]
    y = np.r_[[0] * 20, [1] * 3, [0] * 20, [1] * 2]
    params = {"kmeans_estimator": _Halves(), "cluster_balance_threshold": 0.05,
              "random_state": 0}
    theirs, y_imb, _ = _imblearn_clusters(X, y, **params)
    sampler = KMeansSMOTE(**params)
    _, y_res = sampler.fit_resample(X, y)
    assert sampler.n_new_per_cluster_ == {1: {0: 35}}
    _check_equal(_our_clusters(sampler, y), theirs, y_res, y_imb)


def test_kmeans_plusplus_never_draws_a_row_already_at_zero_distance(monkeypatch):
    # u = 0 is the edge of every draw: it must pick the first row of positive
    # weight, not a row that is already a centre
    class Zeros:
        def random(self, size, dtype=np.float64):
            return np.zeros(size, dtype=dtype)

    be = get_backend("numpy")
    monkeypatch.setattr(be, "rng", lambda seed: Zeros())
    X = np.arange(10, dtype=np.float64).reshape(5, 2)
    centres = kmeans_plusplus(be, X, 3, 0)
    assert len({tuple(c) for c in centres.tolist()}) == 3
