"""The lean k-means++ seeding draws scikit-learn's centres, bit for bit, and
ClusterCentroids uses it only where it does."""

import numpy as np
import pytest
from imblearn.under_sampling import ClusterCentroids as ImbCC
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import make_classification

import gpusmote._lean_kmeans as lean_kmeans
from gpusmote._cluster_centroids import ClusterCentroids


def _scaled(n=400, d=6, seed=0):
    rng = np.random.RandomState(seed)
    return rng.standard_normal((n, d)) * np.logspace(-2, 3, d) + 50.0


def _duplicates():
    X = _scaled(n=300, d=3, seed=1)
    X[100:250] = X[:150]
    return X


CASES = {
    "scaled columns": (_scaled, 37),
    "duplicate rows": (_duplicates, 60),
    "one feature": (lambda: _scaled(d=1), 25),
    "one centre": (_scaled, 1),
    "a centre per row": (lambda: _scaled(n=40), 40),
    "wide": (lambda: _scaled(n=120, d=80), 30),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 11])
def test_centres_equal_scikit_learns_bit_for_bit(case, seed):
    make, n_clusters = CASES[case]
    X = make()
    X = X - X.mean(axis=0)  # as KMeans hands X to its init
    theirs, _ = kmeans_plusplus(X, n_clusters, random_state=np.random.RandomState(seed))
    ours = lean_kmeans.seed_centres(X, n_clusters, np.random.RandomState(seed))
    np.testing.assert_array_equal(ours, theirs)


def test_the_once_per_process_check_passes_on_this_scikit_learn():
    lean_kmeans._agrees_with_scikit_learn.cache_clear()
    assert lean_kmeans._agrees_with_scikit_learn()
    assert lean_kmeans.usable(np.zeros((3, 2)))
    assert not lean_kmeans.usable(np.zeros((3, 2), dtype=np.float32))


def _data(dtype=np.float64):
    X, y = make_classification(n_samples=500, n_features=5, weights=[0.7, 0.3],
                               random_state=0)
    return X.astype(dtype), y


def _spy(monkeypatch):
    calls = []
    seed = lean_kmeans.seed_centres
    monkeypatch.setattr(lean_kmeans, "seed_centres",
                        lambda X, n, random_state: (calls.append(n), seed(X, n, random_state))[1])
    return calls


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cluster_centroids_seeds_lean_on_float64_and_equals_imblearn(monkeypatch, dtype):
    calls = _spy(monkeypatch)
    X, y = _data(dtype)
    ours = ClusterCentroids(random_state=2, backend="numpy")
    X_res, y_res = ours.fit_resample(X, y)
    X_imb, y_imb = ImbCC(random_state=2).fit_resample(X, y)
    assert calls == ([int(np.bincount(y).min())] if dtype == np.float64 else [])
    np.testing.assert_array_equal(X_res, X_imb)
    np.testing.assert_array_equal(y_res, y_imb)
    # the fitted estimator shows the parameters it stands for
    assert ours.estimator_.get_params() == KMeans(
        n_clusters=int(np.bincount(y).min()), random_state=2).get_params()


def test_a_seeding_unlike_scikit_learns_is_not_used(monkeypatch):
    calls = _spy(monkeypatch)
    monkeypatch.setattr(lean_kmeans, "_agrees_with_scikit_learn", lambda: False)
    X, y = _data()
    X_res, _ = ClusterCentroids(random_state=2, backend="numpy").fit_resample(X, y)
    assert calls == []
    np.testing.assert_array_equal(X_res, ImbCC(random_state=2).fit_resample(X, y)[0])


@pytest.mark.parametrize("kmeans, seeded", [
    (KMeans(n_init=3, random_state=4), 3),
    (KMeans(n_init=1, algorithm="elkan", random_state=4), 1),
    (KMeans(init="random", random_state=4), 0),
], ids=["three runs", "elkan", "random init"])
def test_a_given_kmeans_is_seeded_lean_where_it_seeds_with_k_means_plus_plus(
        monkeypatch, kmeans, seeded):
    calls = _spy(monkeypatch)
    X, y = _data()
    ours = ClusterCentroids(estimator=kmeans, random_state=2, backend="numpy")
    X_res, _ = ours.fit_resample(X, y)
    theirs = ImbCC(estimator=kmeans, random_state=2)
    X_imb, _ = theirs.fit_resample(X, y)
    assert len(calls) == seeded
    np.testing.assert_array_equal(X_res, X_imb)
    assert ours.estimator_.get_params() == theirs.estimator_.get_params()
