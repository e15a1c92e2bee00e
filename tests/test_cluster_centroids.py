"""ClusterCentroids: imbalanced-learn's centroids and rows on NumPy, and a k-means on
the device path that converges to a Lloyd fixed point with imbalanced-learn's counts."""

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import ClusterCentroids as ImbCC
from scipy import sparse
from sklearn.cluster import Birch, KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gpusmote._cluster_centroids import ClusterCentroids, kmeans_plus_plus
from gpusmote.backends import get_backend
from tests._helpers import to_numpy


def _data(n=300, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               random_state=seed)
    return X.astype(dtype), y


def _halve_majority(y):
    counts = Counter(np.asarray(y).tolist())
    top = max(counts, key=counts.get)
    return {top: counts[top] // 2}


STRATEGIES = ["auto", "all", "majority", "not minority", "not majority",
              {0: 60, 1: 40}, _halve_majority]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_soft_voting_equals_imblearn_on_numpy(strategy):
    X, y = _data()
    ours = ClusterCentroids(sampling_strategy=strategy, random_state=0, backend="numpy")
    X_res, y_res = ours.fit_resample(X, y)
    theirs = ImbCC(sampling_strategy=strategy, random_state=0)
    X_imb, y_imb = theirs.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_imb)
    np.testing.assert_array_equal(y_res, y_imb)
    assert ours.sampling_strategy_ == theirs.sampling_strategy_
    assert ours.voting_ == "soft" and not hasattr(ours, "sample_indices_")


def test_float_strategy_and_other_estimators_equal_imblearn():
    X, y = _data()
    X, y = X[y != 2], y[y != 2]
    for ratio in (0.6, 1.0):
        X_res, _ = ClusterCentroids(sampling_strategy=ratio, random_state=1).fit_resample(X, y)
        X_imb, _ = ImbCC(sampling_strategy=ratio, random_state=1).fit_resample(X, y)
        np.testing.assert_array_equal(X_res, X_imb)
    for est in (KMeans(n_init=1, algorithm="lloyd", random_state=3),
                MiniBatchKMeans(n_init=1, random_state=0, batch_size=64)):
        cc = ClusterCentroids(estimator=est, voting="soft")
        centres, _ = cc.fit_resample(X, y)
        X_imb, _ = ImbCC(estimator=est, voting="soft").fit_resample(X, y)
        np.testing.assert_array_equal(centres, X_imb)
        X_res, y_res = ClusterCentroids(estimator=est, voting="hard").fit_resample(X, y)
        X_imb, y_imb = ImbCC(estimator=est, voting="hard").fit_resample(X, y)
        _assert_same_rows_up_to_ties(X, y, X_res, y_res, X_imb, y_imb, centres,
                                     cc.sampling_strategy_)


def _assert_same_rows_up_to_ties(X, y, X_res, y_res, X_imb, y_imb, centres, resampled):
    """The rows nearest to imbalanced-learn's centroids: the same rows, except where
    a centroid is (within rounding) equally far from several rows, the mean of a
    two-row cluster being the usual case; both picks are then among those rows.
    Returns how many centroids had such ties."""
    np.testing.assert_array_equal(y_res, y_imb)
    n_ties = 0
    for i, (label, centre) in enumerate(zip(y_imb, centres)):
        Xc = X[y == label]
        if label in resampled:
            d = np.sqrt(((Xc - centre) ** 2).sum(axis=1))
            tied = Xc[d <= d.min() * (1 + 1e-12)]
        else:
            tied = X_imb[i:i + 1]
        if len(tied) == 1:
            np.testing.assert_array_equal(X_res[i], X_imb[i])
        assert (tied == X_res[i]).all(axis=1).any() and (tied == X_imb[i]).all(axis=1).any()
        n_ties += len(tied) > 1
    return n_ties


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_hard_voting_equals_imblearn_on_numpy_up_to_ties(strategy):
    X, y = _data(n=400, seed=3)
    ours = ClusterCentroids(sampling_strategy=strategy, voting="hard", random_state=0)
    X_res, y_res = ours.fit_resample(X, y)
    X_imb, y_imb = ImbCC(sampling_strategy=strategy, voting="hard",
                         random_state=0).fit_resample(X, y)
    centres, _ = ImbCC(sampling_strategy=strategy, voting="soft",
                       random_state=0).fit_resample(X, y)
    n_ties = _assert_same_rows_up_to_ties(X, y, X_res, y_res, X_imb, y_imb, centres,
                                          ours.sampling_strategy_)
    if strategy == "auto":
        assert n_ties  # this data has tied centroids: the rule above is exercised


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_counts_equal_imblearn_on_every_backend(backend, xp, strategy, voting):
    X, y = _data()
    ours = ClusterCentroids(sampling_strategy=strategy, voting=voting, random_state=0,
                            backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    _, y_imb = ImbCC(sampling_strategy=strategy, voting=voting,
                     random_state=0).fit_resample(X, y)
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    np.testing.assert_array_equal(y_res, y_imb)  # classes in sorted order, same counts
    for label in np.unique(y):
        mine = X_res[y_res == label]
        if label not in ours.sampling_strategy_:
            np.testing.assert_array_equal(mine, X[y == label])
        elif voting == "hard":  # real rows of the class
            assert all((X[y == label] == row).all(axis=1).any() for row in mine)
    assert np.isfinite(X_res).all()


def _assigned_means(Xc, centres):
    d2 = ((Xc[:, None, :] - centres[None]) ** 2).sum(axis=2)
    near = np.argmin(d2, axis=1)
    return near, np.array([Xc[near == j].mean(axis=0) if (near == j).any() else centres[j]
                           for j in range(len(centres))])


def test_device_kmeans_reaches_a_lloyd_fixed_point_as_good_as_sklearns(fake_cupy):
    cp = fake_cupy
    X, y = _data(n=600)
    cc = ClusterCentroids(random_state=0, backend="cupy")
    X_res, y_res = cc.fit_resample(cp.asarray(X), cp.asarray(y))
    X_res, y_res = X_res.get(), y_res.get()
    X_imb, y_imb = ImbCC(random_state=0).fit_resample(X, y)
    for label in (0, 1):
        Xc, centres = X[y == label], X_res[y_res == label]
        near, means = _assigned_means(Xc, centres)
        # every centroid is (within the stopping tolerance) the mean of its rows
        np.testing.assert_allclose(centres, means, atol=1e-2 * Xc.std())
        assert len(np.unique(near)) == len(centres)  # no empty cluster
        inertia = ((Xc - centres[near]) ** 2).sum()
        theirs = ((Xc[:, None, :] - X_imb[y_imb == label][None]) ** 2).sum(2).min(1).sum()
        assert inertia <= 1.1 * theirs


def test_device_kmeans_finds_separated_blobs_and_is_reproducible(fake_cupy):
    cp = fake_cupy
    blobs, which = make_blobs(n_samples=400, centers=8, cluster_std=0.3,
                              center_box=(-50, 50), random_state=2)
    X = np.vstack([blobs, np.random.RandomState(0).normal(size=(40, 2))])
    y = np.r_[np.zeros(400, dtype=int), np.ones(40, dtype=int)]
    runs = []
    for seed in (0, 0, 1):
        cc = ClusterCentroids(sampling_strategy={0: 8}, random_state=seed, backend="cupy")
        X_res, y_res = cc.fit_resample(cp.asarray(X), cp.asarray(y))
        runs.append(X_res.get()[y_res.get() == 0])
    np.testing.assert_array_equal(runs[0], runs[1])
    true_means = np.array([blobs[which == j].mean(axis=0) for j in range(8)])
    for centres in (runs[0], runs[2]):  # one centroid on each blob's mean
        order = np.lexsort(centres.T)
        np.testing.assert_allclose(centres[order], true_means[np.lexsort(true_means.T)],
                                   atol=1e-9)


def test_device_hard_voting_takes_the_row_nearest_each_centroid(fake_cupy):
    cp = fake_cupy
    X, y = _data()
    soft, y_soft = ClusterCentroids(voting="soft", random_state=4, backend="cupy") \
        .fit_resample(cp.asarray(X), cp.asarray(y))
    hard, y_hard = ClusterCentroids(voting="hard", random_state=4, backend="cupy") \
        .fit_resample(cp.asarray(X), cp.asarray(y))
    soft, hard, y_soft = soft.get(), hard.get(), y_soft.get()
    np.testing.assert_array_equal(y_soft, y_hard.get())
    n_ties = 0
    for centre, row, label in zip(soft, hard, y_soft):
        Xc = X[y == label]
        d = np.sqrt(((Xc - centre) ** 2).sum(axis=1))
        nearest = Xc[d <= d.min() * (1 + 1e-12)]  # a two-row cluster's mean: two
        assert (nearest == row).all(axis=1).any()
        n_ties += len(nearest) > 1
    assert n_ties < len(soft) // 4


@pytest.mark.parametrize("voting", ["soft", "hard"])
def test_device_path_gives_sparse_X_the_centroids_of_dense_X(fake_cupy, voting):
    cp = fake_cupy
    X, y = _data()
    dense, _ = ClusterCentroids(voting=voting, random_state=0, backend="cupy") \
        .fit_resample(cp.asarray(X), y)
    X_sp, _ = ClusterCentroids(voting=voting, random_state=0, backend="cupy") \
        .fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)
    np.testing.assert_array_equal(X_sp.toarray(), dense.get())


def test_device_kmeans_moves_only_scalars_to_the_host(fake_cupy):
    cp = fake_cupy
    X, y = _data(n=600)
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    X_res, _ = ClusterCentroids(random_state=0, backend="cupy").fit_resample(X_dev, y_dev)
    down = [n for d, n, _ in cp.transfers if d == "d2h"]
    # class counts, one flag and one shift per Lloyd iteration, the searches' scalars
    assert max(down) <= 256 and sum(down) < X.nbytes // 4, cp.transfers
    assert isinstance(X_res, cp.ndarray)


def test_kmeans_plus_plus_seeds_one_row_per_blob_and_all_rows_when_k_is_n():
    be = get_backend("numpy")
    blobs, which = make_blobs(n_samples=200, centers=5, cluster_std=0.1,
                              center_box=(-100, 100), random_state=0)
    seeds = kmeans_plus_plus(be, blobs, 5, be.rng(0), 1 << 20)
    assert sorted(which[seeds]) == [0, 1, 2, 3, 4]
    X = np.random.RandomState(1).normal(size=(30, 3))
    seeds = kmeans_plus_plus(be, X, 30, be.rng(0), 256)  # small blocks too
    assert sorted(seeds.tolist()) == list(range(30))


def test_duplicate_rows_and_k_equal_to_the_class(backend, xp):
    """Fewer distinct rows than clusters (empty clusters on the device path keep
    their centre, a row of the class): still the counts asked, finite rows."""
    X, y = _data(n=200)
    X[:100:2] = X[1:100:2]  # pairs of equal rows
    n0 = int((y == 0).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for keep in (n0, 20):
            cc = ClusterCentroids(sampling_strategy={0: keep}, random_state=0,
                                  backend=backend)
            X_res, y_res = cc.fit_resample(xp.asarray(X), xp.asarray(y))
            X_res, y_res = to_numpy(X_res), to_numpy(y_res)
            assert (y_res == 0).sum() == keep and np.isfinite(X_res).all()


def test_containers_are_kept(backend, xp):
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abcd"), index=np.arange(500, 800))
    cc = ClusterCentroids(random_state=0, backend=backend)
    X_res, y_res = cc.fit_resample(df, pd.Series(y, index=df.index, name="target"))
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list("abcd")
    assert isinstance(X_res.index, pd.RangeIndex) and len(X_res) == len(y_res)
    assert y_res.name == "target" and list(y_res.index) == list(X_res.index)
    X_np, _ = ClusterCentroids(random_state=0, backend=backend).fit_resample(X, y)
    np.testing.assert_allclose(X_res.to_numpy(), to_numpy(X_np))
    X32, _ = ClusterCentroids(random_state=0, backend=backend).fit_resample(
        X.astype(np.float32), y)
    assert X32.dtype == np.float32
    cc = ClusterCentroids(random_state=0, backend=backend)
    X_sp, y_sp = cc.fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp) and cc.voting_ == "hard"
    assert all((X[y == c] == row).all(axis=1).any()
               for row, c in zip(X_sp.toarray(), y_sp))
    X_sp, _ = ClusterCentroids(voting="soft", random_state=0,
                               backend=backend).fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)


def test_string_labels(backend, xp):
    X, y = _data()
    names = np.array(["x", "y", "z"])[y]
    _X_res, y_res = ClusterCentroids(random_state=0, backend=backend).fit_resample(
        xp.asarray(X), names)
    n_min = int(np.bincount(y).min())
    assert Counter(y_res.tolist()) == {"x": n_min, "y": n_min, "z": n_min}


@pytest.mark.parametrize("sampler, match, error", [
    (ClusterCentroids(voting="bogus"), "'voting' parameter of ClusterCentroids",
     ValueError),
    (ClusterCentroids(estimator=GaussianMixture()),
     "estimator GaussianMixture has no n_clusters parameter", ValueError),
    (ClusterCentroids(estimator=Birch()), "Birch has no cluster_centers_ after fit",
     RuntimeError),
    (ClusterCentroids(sampling_strategy={0: 0}), ("asks for 0 rows of class 0.*at least one "
                                                 "cluster"), ValueError),
    (ClusterCentroids(sampling_strategy=0.5), "a float works for two classes only",
     ValueError),
    (ClusterCentroids(backend="gpu"), "'backend' parameter of ClusterCentroids", ValueError),
])
def test_bad_input(sampler, match, error):
    X, y = _data(n=100)
    with pytest.raises(error, match=match):
        sampler.fit_resample(X, y)
