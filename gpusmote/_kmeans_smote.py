"""KMeansSMOTE: cluster X, then SMOTE inside the clusters where a class is common,
more new rows where its rows are sparse."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _docstrings as docs
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._borderline import rows_of
from ._generate import ClassPlan
from ._kmeans import BackendKMeans
from ._labels import plain_label
from ._smote import BaseSMOTE, generate_rows
from ._timing import phase
from ._validation import check_interpolation_range, dense_for_search
from .backends import get_backend

_DEFAULT_CLUSTERS = 8  # MiniBatchKMeans' default, which imbalanced-learn uses


def mean_pairwise_distance(be, A, working_memory=None):
    """Mean Euclidean distance between two different rows of A (at least 2 rows),
    as imbalanced-learn's ``euclidean_distances(A).sum() / (m * m - m)``, block
    by block: no m x m matrix. Dense rows on the backend, centred and in float64
    (|a|^2 + |b|^2 - 2 a.b, clamped at 0); sparse rows on the host with
    scikit-learn. Returns a NumPy float64."""
    m = int(A.shape[0])
    budget = budget_bytes(working_memory, be.free_bytes())
    step = rows_per_block(8 * m * 3, budget, m)  # a block of d2, its sqrt, the GEMM
    if sparse.issparse(A):
        from sklearn.metrics.pairwise import euclidean_distances

        A = A.astype(np.float64)  # float32 distances would be summed in float32
        total = 0.0
        for s in block_starts(m, step):
            block = euclidean_distances(A[s:s + step], A)
            block[np.arange(block.shape[0]), s + np.arange(block.shape[0])] = 0.0
            total += float(block.sum())
        return np.float64(total) / (m * m - m)
    xp = be.xp
    A = A.astype(xp.float64)
    A = A - A.mean(axis=0)  # distances do not change; the cancellation shrinks
    sq = (A * A).sum(axis=1)
    total = xp.zeros((), dtype=xp.float64)
    for s in block_starts(m, step):
        stop = min(s + step, m)
        d2 = sq[s:stop, None] + sq[None, :] - 2.0 * (A[s:stop] @ A.T)
        d2 = xp.maximum(d2, 0.0)
        own = xp.arange(stop - s)
        d2[own, s + own] = 0.0  # a row's distance to itself
        total += xp.sqrt(d2).sum()
    return np.float64(float(total)) / (m * m - m)


def no_cluster_found(label, n_clusters, threshold, n_needed, shares, owns) -> RuntimeError:
    """imbalanced-learn's 'No clusters found' error, with what was found and the fixes."""
    best_share = float(shares.max()) if shares.size else 0.0
    best_count = int(owns.max()) if owns.size else 0
    return RuntimeError(
        f"KMeansSMOTE found no cluster with sufficient samples of class {plain_label(label)!r}: "
        f"a cluster is over-sampled when at least {threshold:.3g} of its rows are of that "
        f"class (cluster_balance_threshold) and it holds at least k_neighbors + 1 = "
        f"{n_needed} of them; of the {n_clusters} clusters, the largest share of the class "
        f"is {best_share:.3g} and the most rows of it in one cluster {best_count}. Lower "
        "cluster_balance_threshold, change the number of clusters (kmeans_estimator=<int>), "
        "or lower k_neighbors; or use SMOTE.")


def bad_weights(label, sparsities) -> ValueError:
    values = ", ".join(f"{float(s):.3g}" for s in sparsities)
    return ValueError(
        f"KMeansSMOTE: the density weights of the clusters kept for class "
        f"{plain_label(label)!r} are not finite (cluster sparsities {values}). This happens "
        "when the class's rows in every kept cluster are identical (mean distance 0), or "
        "with a density_exponent that sends the sparsities to 0 or infinity. Use "
        "density_exponent='auto', remove duplicate rows, or use SMOTE.")


class KMeansSMOTE(BaseSMOTE):
    __doc__ = f"""Over-sample with KMeans-SMOTE: SMOTE inside the clusters where a class is common.

    A drop-in replacement for ``imblearn.over_sampling.KMeansSMOTE`` that runs
    on NumPy or, with CuPy, on the GPU. X is clustered (all classes together);
    for each class being over-sampled, the clusters where the class's share of
    the rows reaches ``cluster_balance_threshold`` and which hold at least
    ``k_neighbors + 1`` of its rows are kept. Each kept cluster gets
    ``ceil(n * w)`` of the class's ``n`` new rows, with ``w`` its sparsity
    (mean distance between the class's rows in it, to the power
    ``density_exponent``, divided by their number) over the kept clusters'
    total; inside it, SMOTE interpolates between the class's rows of that
    cluster.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    k_neighbors : int or object, default=2
        Number of nearest same-class rows, within the cluster, to interpolate
        towards. An object with ``kneighbors`` and ``kneighbors_graph`` is used
        as given, on the host.

    n_jobs : int, default=None
        Accepted for imbalanced-learn compatibility and not used: the searches
        and the density use every core (NumPy) or the GPU (CuPy).

    kmeans_estimator : int or object, default=None
        The clustering. None: ``MiniBatchKMeans(random_state=random_state)``
        on NumPy, as imbalanced-learn; on CuPy, gpusmote's Lloyd k-means on
        the GPU (``gpusmote._kmeans.BackendKMeans``: k-means++ seeding drawn on
        the device, exact nearest-centre assignment), with 8 clusters. An int:
        the same with that many clusters. An object with ``fit`` and
        ``predict`` (a ``KMeans``, say) is cloned and fitted on the host (a
        CuPy X is copied there once; its labels go back up).

    cluster_balance_threshold : 'auto' or float, default='auto'
        Smallest share of a cluster's rows that must be of the class for the
        cluster to be over-sampled. ``'auto'``: the class's new rows over all
        new rows asked, halved (as imbalanced-learn).

    density_exponent : 'auto' or float, default='auto'
        Exponent of the mean distance in the sparsity. ``'auto'``:
        ``0.16 * log_1.6(m) ** 1.8`` for ``m`` rows of the class in the
        cluster (as imbalanced-learn).

    {docs.BACKEND}

    {docs.WEIGHT_MODE}

    Attributes
    ----------
    {docs.FITTED}

    {docs.BASE_INDICES}

    {docs.ORIGINAL_ROWS}

    {docs.PROVENANCE}

    kmeans_estimator_ : estimator object
        The fitted clustering (the one of the last class over-sampled).

    cluster_centers_ : array of shape (n_clusters, n_features) or None
        ``kmeans_estimator_.cluster_centers_`` where it has them: a CuPy
        array when the clustering ran on the GPU. gpusmote's own attribute.

    cluster_balance_threshold_ : 'auto' or float
        The threshold used: ``cluster_balance_threshold``, or ``-inf`` with a
        single cluster (every cluster is kept).

    n_new_per_cluster_ : dict
        Class label -> {{cluster index: number of new rows made in it}}, for
        the clusters kept, in output order. gpusmote's own attribute.

    nn_k_ : estimator object
        The neighbour estimator given as ``k_neighbors``, or for an int the
        ``NearestNeighbors(k_neighbors + 1)`` imbalanced-learn would use.

    See Also
    --------
    imblearn.over_sampling.KMeansSMOTE : the CPU implementation this mirrors.
    SMOTE : the same interpolation over the whole class.

    Notes
    -----
    As in imbalanced-learn, each kept cluster's share is rounded up, so a
    class can get a few more rows than ``sampling_strategy_`` asks (one more
    per kept cluster at most). With the same clustering (NumPy, the same
    ``random_state`` or estimator) the kept clusters and their counts equal
    imbalanced-learn's; the mean distances are computed block by block in
    float64 (imbalanced-learn sums an m x m matrix in X's dtype), which
    could only change a count where ``n * w`` lies within rounding of an
    integer. The clustering is fitted once; imbalanced-learn refits it for
    every class, which gives the same clusters when its ``random_state`` is
    an int, so gpusmote refits per class only when it is not (a
    RandomState instance then advances as it would in imbalanced-learn).

    The mean distance costs ``m * m * n_features`` operations for ``m``
    rows of the class in a cluster, in blocks of ``working_memory``.

    {docs.INTEGER_FEATURES}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from gpusmote import KMeansSMOTE
    >>> X, y = make_blobs([100, 800, 100], centers=[(-10, 0), (0, 0), (10, 0)],
    ...                   random_state=0)
    >>> y = (y == 1).astype(int)  # the two outer blobs form class 0
    >>> sampler = KMeansSMOTE(kmeans_estimator=4, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res).tolist()  # each kept cluster's share is rounded up
    [801, 800]
    >>> bool(np.all(np.abs(X_res[len(X):, 0]) > 5))  # new rows stay in the outer blobs
    True
    """

    _parameter_constraints: dict = {
        **BaseSMOTE._parameter_constraints,
        "kmeans_estimator": [
            HasMethods(["fit", "predict"]),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "cluster_balance_threshold": [StrOptions({"auto"}), numbers.Real],
        "density_exponent": [StrOptions({"auto"}), numbers.Real],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=2,
                 n_jobs=None, kmeans_estimator=None, cluster_balance_threshold="auto",
                 density_exponent="auto", backend="auto", working_memory=None,
                 verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)
        self.n_jobs = n_jobs
        self.kmeans_estimator = kmeans_estimator
        self.cluster_balance_threshold = cluster_balance_threshold
        self.density_exponent = density_exponent

    def _validate_estimator(self, be=None) -> None:
        super()._validate_estimator()
        est = self.kmeans_estimator
        if est is None or isinstance(est, numbers.Integral):
            n_clusters = _DEFAULT_CLUSTERS if est is None else int(est)
            if be is not None and be.name == "cupy":
                self.kmeans_estimator_ = BackendKMeans(
                    n_clusters=n_clusters, random_state=self.random_state, backend="cupy",
                    working_memory=self.working_memory)
            elif est is None:
                self.kmeans_estimator_ = MiniBatchKMeans(random_state=self.random_state)
            else:
                self.kmeans_estimator_ = MiniBatchKMeans(n_clusters=n_clusters,
                                                         random_state=self.random_state)
        else:
            self.kmeans_estimator_ = clone(est)
        self.cluster_balance_threshold_ = (
            self.cluster_balance_threshold
            if getattr(self.kmeans_estimator_, "n_clusters", None) != 1 else -np.inf)

    # -- clustering --------------------------------------------------------------
    def _fit_once(self) -> bool:
        """Whether one fit serves every class: an int seed refits to the same clusters."""
        seed = self.kmeans_estimator_.get_params().get("random_state")
        return isinstance(seed, numbers.Integral)

    def _cluster(self, be, X):
        """The cluster of each row (int64, on the backend) and the number of clusters."""
        est = self.kmeans_estimator_
        if isinstance(est, BackendKMeans):
            # sparse rows are made dense, as for the neighbour search
            est.fit(dense_for_search(X, type(self).__name__))
            found = est.labels_
            if est.backend_ != be.name:
                found = be.asarray(get_backend(est.backend_).to_numpy(found))
        else:
            host = X if sparse.issparse(X) else be.to_numpy(X)
            found = (est.fit_predict(host) if hasattr(est, "fit_predict")
                     else est.fit(host).predict(host))
            found = be.asarray(np.asarray(found, dtype=np.int64))
        n_clusters = getattr(est, "n_clusters", None)
        if n_clusters is None:
            n_clusters = int(found.max()) + 1 if found.shape[0] else 0
        return found.astype(be.xp.int64, copy=False), int(n_clusters)

    # -- the template --------------------------------------------------------------
    def _fit_resample(self, be, X, y):
        self._validate_estimator(be)
        labels = self._labels
        asked = [(label, int(n)) for label, n in self.sampling_strategy_.items() if n]
        check_interpolation_range(
            be, X, ((label, be.asarray(labels.rows(label))) for label, _ in asked),
            type(self).__name__, getattr(self, "feature_names_in_", None))
        total = sum(int(n) for n in self.sampling_strategy_.values())
        shared = isinstance(self.random_state, np.random.RandomState)
        self.n_new_per_cluster_ = {}
        plans = []
        clusters = None
        for label, n_new in asked:
            if clusters is None or not self._fit_once():
                with phase("clustering", be):
                    clusters, n_clusters = self._cluster(be, X)
            with phase("neighbours", be):
                plans += self._plan_clusters(be, X, label, n_new, total, clusters,
                                             n_clusters, shared)
        self.cluster_centers_ = getattr(self.kmeans_estimator_, "cluster_centers_", None)
        return generate_rows(self, be, X, plans)

    def _plan_clusters(self, be, X, label, n_new, total, clusters, n_clusters, shared):
        """One plan per kept cluster of ``label``, with imbalanced-learn's counts."""
        xp = be.xp
        rows = be.asarray(self._labels.rows(label))
        # cluster sizes and the class's rows per cluster: 2 x n_clusters to the host
        key = xp.where((clusters >= 0) & (clusters < n_clusters), clusters, n_clusters)
        own_key = key[rows]
        sizes, owns = be.to_numpy(xp.stack([
            xp.bincount(key, minlength=n_clusters + 1)[:n_clusters],
            xp.bincount(own_key, minlength=n_clusters + 1)[:n_clusters]]))
        threshold = self.cluster_balance_threshold_
        if isinstance(threshold, str):  # 'auto' 
            threshold = n_new / total / 2
        n_needed = self._n_neighbors() + 1  # imbalanced-learn's nn_k_.n_neighbors
        kept = []
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = owns / sizes  # as (y_cluster == label).mean(): float64
        for c in range(n_clusters):
            if sizes[c] == 0 or shares[c] < threshold or shares[c] * sizes[c] < n_needed:
                continue
            kept.append(c)
        if not kept:
            raise no_cluster_found(label, n_clusters, float(threshold), n_needed,
                                   shares[sizes > 0], owns)

        # the class's rows grouped by cluster, ascending inside each
        by_cluster = rows[be.argsort_stable(own_key)]
        starts = np.concatenate([[0], np.cumsum(owns)])
        members = [by_cluster[int(starts[c]):int(starts[c + 1])] for c in kept]
        sparsities = np.array([self._sparsity(be, rows_of(be, X, m)) for m in members])
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = sparsities / sparsities.sum()
        if not np.isfinite(weights).all():
            raise bad_weights(label, sparsities)

        plans, made = [], {}
        for c, member, w in zip(kept, members, weights):
            n_c = math.ceil(n_new * w)  # an int
            local = self._class_neighbours(be, rows_of(be, X, member))
            plans.append(ClassPlan(label, member, member[local], n_c))
            made[c] = n_c
            if shared:
                # imbalanced-learn draws each cluster's cells and steps from the
                # same instance the next class's clustering uses: advance it alike
                random_state = self.random_state
                random_state.randint(low=0, high=int(member.shape[0]) * int(local.shape[1]),
                                     size=n_c)
                random_state.uniform(size=n_c)
        self.n_new_per_cluster_[label] = made
        return plans

    def _sparsity(self, be, A):
        """imbalanced-learn's cluster sparsity: mean distance ** exponent / rows."""
        m = int(A.shape[0])
        mean = mean_pairwise_distance(be, A, self.working_memory)
        exponent = (math.log(m, 1.6) ** 1.8 * 0.16 if self.density_exponent == "auto"
                    else self.density_exponent)
        with np.errstate(divide="ignore", over="ignore"):
            return (mean ** exponent) / m
