"""ClusterCentroids: replace each under-sampled class by the centroids of a k-means.

On NumPy (and for any ``estimator`` given) the clustering is scikit-learn's;
on CuPy with the default estimator it is written once against ``be.xp``:
scikit-learn's greedy k-means++ seeding (below), then the shared Lloyd
iterations of ``_kmeans`` (KMeansSMOTE's), whose assignment step is
gpusmote's exact neighbour search (each row's nearest centroid).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import HasMethods, StrOptions

from . import _docstrings as docs
from . import _lean_kmeans as lean_kmeans
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._borderline import rows_of
from ._generate import seed_from
from ._kmeans import lloyd
from ._labels import plain_label
from ._random_under import UNDER_STRATEGY
from ._timing import phase
from ._validation import dense_for_search
from .base import BaseUnderSampler
from .neighbors import kneighbors

# -- k-means on the backend ------------------------------------------------------

def _sq_dist_to(be, X, C, budget: int, closest=None):
    """Squared distances (float64) from every row of X to each of the few rows of
    C, as an (m, n) array; or, given ``closest`` (n,), only the m sums of
    ``min(closest, d2)`` (k-means++'s potential of each candidate), so that no
    (m, n) array is held."""
    xp = be.xp
    n, d = X.shape
    m = C.shape[0]
    C64 = C.astype(xp.float64)
    out = (xp.zeros(m, dtype=xp.float64) if closest is not None
           else xp.empty((m, n), dtype=xp.float64))
    step = rows_per_block(m * d * 8 * 2 + d * 8, budget, n)
    for r0 in block_starts(n, step):
        diff = X[r0:r0 + step].astype(xp.float64)[None, :, :] - C64[:, None, :]
        d2 = xp.einsum("mnd,mnd->mn", diff, diff)
        if closest is None:
            out[:, r0:r0 + step] = d2
        else:
            out += xp.minimum(d2, closest[None, r0:r0 + step]).sum(axis=1)
    return out


def kmeans_plus_plus(be, X, k: int, rng, budget: int):
    """Indices of k seed rows of X by greedy k-means++ (scikit-learn's rule:
    2 + log(k) candidates drawn by squared distance, the one that lowers the
    potential most is kept). All draws and choices stay on the backend."""
    xp = be.xp
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    chosen = xp.empty(k, dtype=xp.int64)
    first = xp.minimum((rng.random(1) * n).astype(xp.int64), n - 1)
    chosen[0:1] = first
    closest = _sq_dist_to(be, X, X[first], budget)[0]
    for c in range(1, k):
        cumulative = xp.cumsum(closest)
        # (a zero potential, every row already a seed's copy, draws row 0)
        r = rng.random(trials) * cumulative[-1]
        candidates = xp.minimum(xp.searchsorted(cumulative, r), n - 1)
        potential = _sq_dist_to(be, X, X[candidates], budget, closest=closest)
        best = xp.take(candidates, xp.argmin(potential).reshape(1))
        chosen[c:c + 1] = best
        closest = xp.minimum(closest, _sq_dist_to(be, X, X[best], budget)[0])
    return chosen


class ClusterCentroids(BaseUnderSampler):
    __doc__ = f"""Under-sample by replacing each class's rows with k-means centroids.

    A drop-in replacement for ``imblearn.under_sampling.ClusterCentroids``
    that runs on NumPy or, with CuPy, on the GPU. Each class named by
    ``sampling_strategy`` is clustered into as many clusters as the rows it
    keeps; its rows are replaced by the centroids (``voting='soft'``) or by
    the real row nearest to each centroid (``voting='hard'``). The other
    classes keep their rows.

    Parameters
    ----------
    {UNDER_STRATEGY}

    {docs.RANDOM_STATE}

    estimator : estimator object, default=None
        A clustering estimator with an ``n_clusters`` parameter and a fitted
        ``cluster_centers_`` (for example ``sklearn.cluster.MiniBatchKMeans``),
        used as given on the host. ``None`` is ``KMeans(random_state=...)``:
        scikit-learn's on the NumPy backend, gpusmote's k-means on the GPU
        (see Notes).

    voting : {{'auto', 'hard', 'soft'}}, default='auto'
        ``'soft'`` keeps the centroids; ``'hard'`` the row of the class
        nearest to each centroid; ``'auto'`` is ``'hard'`` for sparse X and
        ``'soft'`` otherwise.

    {docs.BACKEND}

    Attributes
    ----------
    sampling_strategy_ : dict
        Class label -> number of rows (centroids) it keeps.

    estimator_ : estimator object
        The clustering estimator, last fitted on the last class clustered.
        On the CuPy backend with ``estimator=None`` it holds the ``KMeans``
        parameters the device k-means follows and is not fitted.

    voting_ : str
        The voting used (``'auto'`` resolved).

    {docs.FEATURES_AND_BACKEND}

    See Also
    --------
    imblearn.under_sampling.ClusterCentroids : the CPU implementation this mirrors.
    RandomUnderSampler : keep a random subset of the rows instead.

    Notes
    -----
    The output rows are new (or, for hard voting, chosen rows that may
    repeat), so there is no ``sample_indices_``, as in imbalanced-learn. The
    classes come in sorted label order; a DataFrame comes back with a fresh
    ``RangeIndex`` (the rows have no original label), as imbalanced-learn
    gives it. Integer X comes back as float64 (DataFrame integer columns as
    integers, the centroids rounded to the nearest, where imbalanced-learn
    truncates).

    On NumPy, and whenever an ``estimator`` is given, the clustering is the
    estimator's own on the host: with the same ``random_state`` the
    centroids are imbalanced-learn's, and so are the hard-voting rows except
    at ties. The nearest row is found by gpusmote's exact search, where a
    centroid at equal distance from two rows (the centroid of a two-row
    cluster is the usual case) takes the lower index; imbalanced-learn's
    ``NearestNeighbors`` takes whichever its tree meets first. A CuPy X is
    copied to the host, one class at a time, for a given estimator. With
    ``estimator=None`` (or a ``KMeans`` with ``init='k-means++'``) and
    float64 rows, ``KMeans`` is seeded by
    ``gpusmote._lean_kmeans``: scikit-learn's k-means++ draws and float64
    operations without its per-centre Python work (the same centres, bit
    for bit, checked once per process against
    ``sklearn.cluster.kmeans_plusplus``; scikit-learn's own seeding is used
    where they differ), then scikit-learn's Lloyd iterations.

    On CuPy with ``estimator=None`` everything stays on the device:
    k-means++ seeding as scikit-learn's (``2 + log(k)`` candidates per seed,
    drawn by squared distance, the one that lowers the potential most kept;
    the first seed uniform), drawn from a device generator seeded from
    ``random_state`` (so the same seed gives the same centroids on the
    device, not scikit-learn's), then Lloyd iterations with KMeans's
    defaults (one run, at most ``max_iter=300``, ``tol=1e-4`` relative to
    the mean column variance). The assignment of rows to centroids is the
    exact blocked neighbour search, and the centroid sums are accumulated in
    float64 block by block, so memory stays within ``working_memory`` beyond
    the class's rows. One difference from scikit-learn: a cluster left
    empty (possible only with duplicate rows) keeps its centre, a row of
    the class, where scikit-learn moves it to the row farthest from its
    centre.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import ClusterCentroids
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> cc = ClusterCentroids(random_state=0)
    >>> X_res, y_res = cc.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 103), (1, 103)]
    """

    _parameter_constraints: dict = {
        **BaseUnderSampler._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "voting": [StrOptions({"auto", "hard", "soft"})],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, estimator=None,
                 voting="auto", backend="auto", working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.estimator = estimator
        self.voting = voting
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = False
        return tags

    def fit_resample(self, X, y, **params):
        # The rows are new: a DataFrame gets a fresh RangeIndex (the template
        # would extend the caller's index, which only works for added rows).
        if type(X).__module__.split(".")[0] == "pandas" and type(X).__name__ == "DataFrame":
            X = X.reset_index(drop=True)
        return super().fit_resample(X, y, **params)

    fit_resample.__doc__ = BaseUnderSampler.fit_resample.__doc__

    def _validate_estimator(self) -> None:
        if self.estimator is None:
            self.estimator_ = KMeans(random_state=self.random_state)
            return
        self.estimator_ = clone(self.estimator)
        if "n_clusters" not in self.estimator_.get_params():
            raise ValueError(
                f"ClusterCentroids: estimator {type(self.estimator).__name__} has no "
                "n_clusters parameter; pass a clustering estimator with n_clusters and a "
                "fitted cluster_centers_ (KMeans, MiniBatchKMeans), or None for KMeans.")

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        self.voting_ = (("hard" if sparse.issparse(X) else "soft") if self.voting == "auto"
                        else self.voting)
        labels = self._labels
        y_xp = labels.xp
        # sparse X too (its class rows made dense on the device): the same
        # centroids as for the same X given dense
        device_kmeans = self.estimator is None and be.name == "cupy"
        rng = be.rng(seed_from(self.random_state)) if device_kmeans else None
        X_parts, y_parts = [], []
        for label in labels.classes:
            rows = labels.rows(label)
            X_class = rows_of(be, X, rows)
            if label not in self.sampling_strategy_:
                X_parts.append(X_class)
                y_parts.append(y[rows])
                continue
            n_keep = int(self.sampling_strategy_[label])
            if n_keep < 1:
                raise ValueError(
                    f"ClusterCentroids: sampling_strategy asks for {n_keep} rows of class "
                    f"{plain_label(label)!r}; k-means needs at least one cluster. Ask for 1 row "
                    "or more, or leave the class out of sampling_strategy.")
            with phase("clustering", be):
                if device_kmeans:
                    centers = self._device_centroids(be, X_class, n_keep, rng)
                else:
                    centers = self._host_centroids(be, X_class, n_keep)
            X_parts.append(self._vote(be, X, X_class, centers))
            filled = y_xp.empty(n_keep, dtype=y.dtype)
            filled.fill(plain_label(label))
            y_parts.append(filled)
        if sparse.issparse(X):
            X_res = sparse.vstack(X_parts, format=X.format)
        else:
            X_res = be.xp.concatenate(X_parts)
        return X_res, y_xp.concatenate(y_parts)

    def _host_centroids(self, be, X_class, n_keep: int):
        """The estimator's centroids, fitted on the host (as imbalanced-learn)."""
        self.estimator_.set_params(n_clusters=n_keep)
        X_host = X_class if sparse.issparse(X_class) else be.to_numpy(X_class)
        kmeans = self.estimator_
        if (type(kmeans) is KMeans and isinstance(kmeans.init, str)
                and kmeans.init == "k-means++" and lean_kmeans.usable(X_host)):
            # scikit-learn's seeds drawn without its per-centre Python work
            # (the same centres, bit for bit), then its own Lloyd iterations;
            # the fitted estimator shows the parameters it stands for
            n_init = kmeans.n_init
            # ("auto" is one run for k-means++, but ten for a callable init)
            kmeans.set_params(init=lean_kmeans.seed_centres,
                              n_init=1 if n_init == "auto" else n_init)
            try:
                kmeans.fit(X_host)
            finally:
                kmeans.set_params(init="k-means++", n_init=n_init)
        else:
            kmeans.fit(X_host)
        if not hasattr(self.estimator_, "cluster_centers_"):
            raise RuntimeError(
                f"ClusterCentroids: estimator {type(self.estimator_).__name__} has no "
                "cluster_centers_ after fit; pass a clustering estimator that sets it "
                "(KMeans, MiniBatchKMeans).")
        return np.asarray(self.estimator_.cluster_centers_)

    def _device_centroids(self, be, X_class, n_keep: int, rng):
        """KMeans(n_clusters=n_keep) on the backend: k-means++ seeds, then Lloyd."""
        self.estimator_.set_params(n_clusters=n_keep)
        budget = budget_bytes(self.working_memory, be.free_bytes())
        X_class = be.asarray(dense_for_search(X_class, "ClusterCentroids"))
        seeds = kmeans_plus_plus(be, X_class, n_keep, rng, budget)
        centers, _, _ = lloyd(be, X_class, X_class[seeds], int(self.estimator_.max_iter),
                              float(self.estimator_.tol), self.working_memory)
        return centers

    def _vote(self, be, X, X_class, centers):
        """The rows that stand for the class: the centroids, or the nearest rows."""
        if self.voting_ == "hard":
            # the real row nearest to each centroid (ties to the lower index)
            ref = be.asarray(dense_for_search(X_class, "ClusterCentroids"))
            nearest = kneighbors(ref, 1, queries=be.asarray(centers).astype(ref.dtype),
                                 backend=be.name, working_memory=self.working_memory,
                                 return_distance=False)[:, 0]
            return rows_of(be, X_class, nearest)
        if sparse.issparse(X):
            return sparse.csr_matrix(be.to_numpy(centers), dtype=X.dtype)
        return be.asarray(centers).astype(X.dtype, copy=False)
