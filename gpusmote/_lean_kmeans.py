"""scikit-learn's k-means++ seeding, without its per-centre Python work.

``KMeans(init="k-means++")`` seeds one centre at a time, and each step goes
through ``_euclidean_distances`` with its array-API dispatch and fresh
arrays. ClusterCentroids asks for as many centres as it keeps rows (559 on
KEEL's page-blocks0), so on small sets the seeding is most of the fit. This
module takes the same draws from the same ``RandomState`` and does the same
float64 operations, in the same order, on reused buffers, so the centres
equal scikit-learn's bit for bit; ``KMeans(init=seed_centres, n_init=1)``
then runs scikit-learn's own Lloyd iterations from them.

Where scikit-learn's seeding might change with its version, ``usable``
compares the two once per process on a small fixed set, and says no if they
differ (the caller then keeps ``init="k-means++"``).
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.cluster import kmeans_plusplus


def usable(X) -> bool:
    """Whether ``seed_centres`` reproduces scikit-learn's seeding for ``X``:
    dense float64 (float32 takes scikit-learn's upcast distances), checked
    against this scikit-learn's ``kmeans_plusplus``."""
    return (isinstance(X, np.ndarray) and X.dtype == np.float64
            and _agrees_with_scikit_learn())


def seed_centres(X, n_clusters: int, random_state) -> np.ndarray:
    """k-means++ centres of ``X`` as scikit-learn draws them with unit sample
    weights (``KMeans``'s ``init`` callable: ``X`` is the centred, validated
    data and ``random_state`` its ``RandomState``)."""
    n_rows, n_features = X.shape
    weight = np.ones(n_rows, dtype=X.dtype)
    x_sq = np.einsum("ij,ij->i", X, X)  # scikit-learn's row_norms(X, squared=True)
    n_trials = 2 + int(np.log(n_clusters))
    centres = np.empty((n_clusters, n_features), dtype=X.dtype)
    first = random_state.choice(n_rows, p=weight / weight.sum())
    centres[0] = X[first]
    X_t = X.T
    closest = _sq_distances(X[first][None, :], X_t, x_sq, np.empty((1, n_rows)))
    potential = closest @ weight
    closest = closest.reshape(-1).copy()
    weight_col = weight.reshape(-1, 1)
    # buffers reused by every step (fresh ones cost page faults each time)
    dist = np.empty((n_trials, n_rows))
    cumulative = np.empty(n_rows)
    potentials = np.empty((n_trials, 1))
    for c in range(1, n_clusters):
        draws = random_state.uniform(size=n_trials) * potential
        # (the weights are ones: weight * closest is closest)
        candidates = np.searchsorted(np.cumsum(closest, out=cumulative), draws)
        np.clip(candidates, None, n_rows - 1, out=candidates)
        _sq_distances(X[candidates], X_t, x_sq, dist)
        np.minimum(closest, dist, out=dist)
        np.matmul(dist, weight_col, out=potentials)
        best = np.argmin(potentials)
        potential = potentials[best].copy()
        closest[:] = dist[best]
        centres[c] = X[candidates[best]]
    return centres


def _sq_distances(A, X_t, x_sq, out):
    """``_euclidean_distances(A, X, Y_norm_squared=x_sq, squared=True)`` for
    float64, into ``out``: -2 A.X^T, plus |a|^2, plus |x|^2, clipped at 0,
    each step rounded as scikit-learn rounds it."""
    np.matmul(A, X_t, out=out)
    np.multiply(out, -2.0, out=out)
    out += np.einsum("ij,ij->i", A, A)[:, None]
    out += x_sq
    np.maximum(out, 0.0, out=out)
    return out


@functools.cache
def _agrees_with_scikit_learn() -> bool:
    """The lean seeding against scikit-learn's, once, on 300 rows with
    duplicates and 23 centres (about 2 ms)."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 5)) * [1.0, 10.0, 0.1, 3.0, 1.0]
    X[200:240] = X[:40]
    ours = seed_centres(X, 23, np.random.RandomState(7))
    theirs, _ = kmeans_plusplus(X, 23, random_state=np.random.RandomState(7))
    return bool(np.array_equal(ours, theirs))
