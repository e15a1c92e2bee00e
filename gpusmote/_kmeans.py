"""Lloyd's k-means written once against ``be.xp``: KMeansSMOTE's clustering on the GPU.

Every pass over X is blocked (the ``working_memory`` budget), so no n x k
distance matrix larger than a block is made. The assignment step is the
neighbour engine itself: each row's nearest centre is
``kneighbors(centres, 1, queries=X)``, exact, ties to the lower centre. The
update sums each cluster's rows with one small GEMM per block (a one-hot
block times the rows), in float64.

Initialisation (``init='k-means++'``): k-means++ seeding (Arthur and
Vassilvitskii, 2007) drawn on the backend: the first centre is a uniformly
drawn row, each next one a row drawn with probability proportional to its
squared distance to the nearest centre so far (one draw each, not
scikit-learn's greedy best-of-several). Nothing of X leaves the device.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._blocking import block_starts, budget_bytes, rows_per_block
from ._generate import seed_from
from .backends import get_backend
from .base import _BACKEND_CONSTRAINTS
from .neighbors import kneighbors


def _float_rows(be, X):
    X = be.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


def _block_rows(be, X, per_row_bytes: int, working_memory) -> int:
    budget = budget_bytes(working_memory, be.free_bytes())
    return rows_per_block(per_row_bytes, budget, int(X.shape[0]))


def squared_distances_to(be, X, centre, working_memory=None):
    """float64 ``||x - centre||^2`` of every row, block by block."""
    xp = be.xp
    c = centre.astype(xp.float64).reshape(1, -1)
    n, d = X.shape
    out = xp.empty(n, dtype=xp.float64)
    step = _block_rows(be, X, 16 * d, working_memory)
    for s in block_starts(n, step):
        diff = X[s:s + step].astype(xp.float64) - c
        out[s:s + step] = (diff * diff).sum(axis=1)
    return out


def kmeans_plusplus(be, X, n_clusters: int, seed: int, working_memory=None):
    """k-means++ seeding on the backend: ``n_clusters`` rows of X (see the module)."""
    xp = be.xp
    n = int(X.shape[0])
    u = be.rng(seed).random(n_clusters)  # one uniform per centre, on the backend
    centres = xp.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    pick = xp.minimum((u[:1] * n).astype(xp.int64), n - 1)
    centres[0:1] = X[pick]
    d2 = squared_distances_to(be, X, centres[0], working_memory)
    for j in range(1, n_clusters):
        cdf = xp.cumsum(d2)
        # the first row whose cumulative weight passes u * total; all weights
        # zero (fewer distinct rows than clusters) gives the last row
        pick = xp.minimum(xp.searchsorted(cdf, u[j:j + 1] * cdf[-1:], side="right"), n - 1)
        centres[j:j + 1] = X[pick]
        d2 = xp.minimum(d2, squared_distances_to(be, X, centres[j], working_memory))
    return centres


def assign(be, X, centres, working_memory=None):
    """Index of each row's nearest centre (exact; ties to the lower index)."""
    return kneighbors(centres.astype(X.dtype), 1, queries=X, backend=be.name,
                      working_memory=working_memory, return_distance=False)[:, 0]


def cluster_means(be, X, labels, previous, working_memory=None):
    """float64 mean of each cluster's rows; an empty cluster keeps ``previous``."""
    xp = be.xp
    k = int(previous.shape[0])
    n, d = X.shape
    sums = xp.zeros((k, d), dtype=xp.float64)
    ids = xp.arange(k)
    step = _block_rows(be, X, 8 * (k + 2 * d), working_memory)
    for s in block_starts(n, step):
        onehot = (labels[s:s + step, None] == ids[None, :]).astype(xp.float64)
        sums += onehot.T @ X[s:s + step].astype(xp.float64)
    counts = xp.bincount(labels, minlength=k).astype(xp.float64)
    means = sums / xp.maximum(counts, 1.0)[:, None]
    return xp.where(counts[:, None] > 0, means, previous.astype(xp.float64))


def mean_variance(be, X, working_memory=None) -> float:
    """``mean(var(X, axis=0))`` in float64, block by block (scikit-learn's tol scale)."""
    xp = be.xp
    n, d = X.shape
    step = _block_rows(be, X, 16 * d, working_memory)
    total = xp.zeros(d, dtype=xp.float64)
    for s in block_starts(n, step):
        total += X[s:s + step].astype(xp.float64).sum(axis=0)
    mean = total / n
    sq = xp.zeros(d, dtype=xp.float64)
    for s in block_starts(n, step):
        diff = X[s:s + step].astype(xp.float64) - mean
        sq += (diff * diff).sum(axis=0)
    return float((sq / n).mean())


def lloyd(be, X, centres, max_iter: int = 100, tol: float = 1e-4, working_memory=None):
    """Lloyd's iterations from ``centres``; returns (centres in X's dtype, labels,
    iterations). Stops when no label changes or the centres move (sum of
    squared shifts) by at most ``tol`` times the mean feature variance, as
    scikit-learn's KMeans does; the labels always belong to the centres returned."""
    xp = be.xp
    tol_abs = tol * mean_variance(be, X, working_memory)
    current = centres.astype(xp.float64)
    labels = assign(be, X, current, working_memory)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        moved = cluster_means(be, X, labels, current, working_memory)
        shift = float(((moved - current) ** 2).sum())
        current = moved
        new_labels = assign(be, X, current, working_memory)
        unchanged = bool((new_labels == labels).all())
        labels = new_labels
        if unchanged or shift <= tol_abs:
            break
    return current.astype(X.dtype), labels, n_iter


class BackendKMeans(ClusterMixin, BaseEstimator):
    """Lloyd's k-means on NumPy or CuPy, blocked (KMeansSMOTE's clustering on the GPU).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.

    init : 'k-means++' or array of shape (n_clusters, n_features), default='k-means++'
        k-means++ seeding drawn on the backend (one draw per centre), or the
        starting centres.

    max_iter : int, default=100
        Most Lloyd iterations.

    tol : float, default=1e-4
        Stop when the centres move (sum of squared shifts) by at most ``tol``
        times the mean feature variance, or when no label changes.

    random_state : int, RandomState instance or None, default=None
        Seed of the k-means++ draws.

    backend : {'auto', 'numpy', 'cupy'}, default='auto'
        Where to compute (``'auto'`` follows X).

    working_memory : float, default=None
        Cap, in MiB, on the temporaries of one block (default 256).

    Attributes
    ----------
    cluster_centers_ : array of shape (n_clusters, n_features)
        The centres, in X's floating dtype, on X's backend.

    labels_ : array of shape (n_samples,)
        The cluster of each row (int64), on the backend.

    n_iter_ : int
        Lloyd iterations run.

    backend_ : {'numpy', 'cupy'}
        The backend that ran.

    Notes
    -----
    An empty cluster keeps its centre (scikit-learn moves it to a far row).

    Examples
    --------
    >>> import numpy as np
    >>> from gpusmote._kmeans import BackendKMeans
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> km = BackendKMeans(n_clusters=2, random_state=0).fit(X)
    >>> bool(km.labels_[0] == km.labels_[1]), bool(km.labels_[0] != km.labels_[2])
    (True, True)
    """

    _parameter_constraints: dict = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++"}), "array-like"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "backend": _BACKEND_CONSTRAINTS["backend"],
        "working_memory": _BACKEND_CONSTRAINTS["working_memory"],
    }

    def __init__(self, n_clusters=8, *, init="k-means++", max_iter=100, tol=1e-4,
                 random_state=None, backend="auto", working_memory=None):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.backend = backend
        self.working_memory = working_memory

    def fit(self, X, y=None):
        """Cluster X (NumPy or CuPy rows)."""
        self._validate_params()
        be = get_backend(self.backend, X)
        X = _float_rows(be, X)
        n, k = int(X.shape[0]), int(self.n_clusters)
        if n < k:
            raise ValueError(
                f"n_samples={n} should be >= n_clusters={k}: k-means cannot make more "
                f"clusters than there are rows. Use n_clusters <= {n}.")
        if isinstance(self.init, str):
            centres = kmeans_plusplus(be, X, k, seed_from(self.random_state),
                                      self.working_memory)
        else:
            centres = be.asarray(self.init).astype(X.dtype)
            if centres.shape != (k, X.shape[1]):
                raise ValueError(
                    f"init has shape {tuple(centres.shape)}; it must be (n_clusters, "
                    f"n_features) = ({k}, {X.shape[1]}).")
        self.cluster_centers_, self.labels_, self.n_iter_ = lloyd(
            be, X, centres, int(self.max_iter), float(self.tol), self.working_memory)
        self.backend_ = be.name
        return self

    def predict(self, X):
        """The nearest centre of each row of X."""
        be = get_backend(self.backend_, X)
        X = _float_rows(be, X)
        return assign(be, X, be.asarray(self.cluster_centers_), self.working_memory)
