"""NearMiss: keep the rows of each class that lie nearest to (or farthest from) the minority."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._borderline import rows_of
from ._cleaning import _N_JOBS
from ._labels import plain_label
from ._random_under import UNDER_FITTED, UNDER_STRATEGY, take_rows
from ._timing import phase
from ._validation import dense_for_search
from .base import BaseUnderSampler
from .neighbors import _exact_d2, _integers, kneighbors


class NearMiss(BaseUnderSampler):
    __doc__ = f"""Under-sample with NearMiss: keep the rows nearest to the minority class.

    A drop-in replacement for ``imblearn.under_sampling.NearMiss`` that runs
    on NumPy or, with CuPy, on the GPU. Each class named by
    ``sampling_strategy`` keeps the rows it asks for, chosen by their
    distances to the rows of the minority class:

    * ``version=1``: the rows whose ``n_neighbors`` nearest minority rows
      are nearest on average;
    * ``version=2``: the rows whose ``n_neighbors`` farthest minority rows
      are nearest on average;
    * ``version=3``: first, the ``n_neighbors_ver3`` nearest rows of the
      class to each minority row are short-listed; of those, the rows whose
      ``n_neighbors`` nearest minority rows are farthest on average.

    Parameters
    ----------
    {UNDER_STRATEGY}

    version : int, default=1
        Which NearMiss rule to use: 1, 2 or 3 (see above).

    n_neighbors : int or object, default=3
        Number of minority rows whose distances are averaged. An object with
        ``kneighbors`` (for example ``sklearn.neighbors.NearestNeighbors``)
        is used as given, on the host: fitted on the minority rows and
        asked for its ``n_neighbors`` neighbours (all minority rows for
        version 2), as imbalanced-learn does.

    n_neighbors_ver3 : int or object, default=3
        Version 3 only: how many nearest rows of the class each minority row
        short-lists. An object is fitted on the class's rows and asked for
        its own ``n_neighbors``.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {UNDER_FITTED}

    nn_ : estimator object
        The neighbour estimator given as ``n_neighbors``, or for an int the
        ``NearestNeighbors(n_neighbors)`` imbalanced-learn would use (its
        ``n_neighbors`` is the number of distances averaged).

    nn_ver3_ : estimator object
        The same for ``n_neighbors_ver3``; version 3 only.

    See Also
    --------
    imblearn.under_sampling.NearMiss : the CPU implementation this mirrors.
    RandomUnderSampler : keep a random subset instead.

    Notes
    -----
    The minority class is the class with the fewest rows; when several tie,
    the one that occurs first in y (as imbalanced-learn's ``Counter``).
    The searches are gpusmote's exact blocked search (the queries are the
    rows of the class, the references the minority rows); no n x n matrix is
    made. Version 2 needs every minority row's distance for each row of the
    class (as in imbalanced-learn): the queries go through the search in
    blocks sized by ``working_memory``.

    Distances are Euclidean, measured exactly in float64 (float32 X too,
    which costs a float64 copy of the rows of the class being searched).
    The averages are summed and ordered as imbalanced-learn does: a stable
    sort, so equal averages keep the lower index first (``'farthest'``
    included). The kept rows come class by class in sorted label order,
    each class's rows in the order of their averages.

    Where imbalanced-learn and gpusmote can differ: ties at the
    ``n_neighbors_ver3``-th distance of version 3's short list (gpusmote
    takes the lower index; scikit-learn's search takes whichever its tree
    or brute force meets first), and averages equal in exact arithmetic that
    scikit-learn's brute-force search (more than 15 features) rounds apart.
    Without such ties the kept rows are the same. Version 3 may keep fewer
    rows than asked when the short list is shorter; it warns then, as
    imbalanced-learn does.

    {docs.CLEANER_ROWS}

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import NearMiss
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> nm = NearMiss(version=1)
    >>> X_res, y_res = nm.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 103), (1, 103)]
    >>> bool((X_res == X[nm.sample_indices_]).all())
    True
    """

    _selects_rows = True

    _parameter_constraints: dict = {
        **BaseUnderSampler._parameter_constraints,
        "version": [Interval(numbers.Integral, 1, 3, closed="both")],
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "n_neighbors_ver3": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", version=1, n_neighbors=3,
                 n_neighbors_ver3=3, n_jobs=None, backend="auto", working_memory=None,
                 verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.version = version
        self.n_neighbors = n_neighbors
        self.n_neighbors_ver3 = n_neighbors_ver3
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    @staticmethod
    def _estimator(value):
        """``NearestNeighbors(value)`` for an int, else a clone of the given object."""
        if isinstance(value, numbers.Integral):
            return NearestNeighbors(n_neighbors=int(value))
        return clone(value)

    def _validate_estimator(self) -> None:
        self.nn_ = self._estimator(self.n_neighbors)
        if "n_jobs" in self.nn_.get_params():
            self.nn_.set_params(n_jobs=self.n_jobs)
        if self.version == 3:
            self.nn_ver3_ = self._estimator(self.n_neighbors_ver3)
            if "n_jobs" in self.nn_ver3_.get_params():
                self.nn_ver3_.set_params(n_jobs=self.n_jobs)

    def _minority(self):
        """The minority label: fewest rows, ties to the class that occurs first in y."""
        labels = self._labels
        tied = labels.classes[labels.counts == labels.counts.min()]
        if tied.shape[0] == 1:
            return tied[0]
        first = [int(labels.rows(label)[0]) for label in tied]  # a scalar per tied class
        return tied[int(np.argmin(first))]

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        xp = be.xp
        labels = self._labels
        minority = self._minority()
        n_min = int(labels.counts[labels.code_of(minority)])
        X_min = rows_of(be, X, be.asarray(labels.rows(minority)))
        # the minority rows are the references of every search (version 3's
        # second): imbalanced-learn fits nn_ on them once
        if not isinstance(self.n_neighbors, numbers.Integral):
            self.nn_.fit(self._host(be, X_min))
        parts = []
        with phase("neighbours", be):
            for label in labels.classes:
                rows = be.asarray(labels.rows(label))
                if label in self.sampling_strategy_:
                    local = self._select(be, X, rows, X_min, n_min, label,
                                         int(self.sampling_strategy_[label]))
                    rows = rows[local]
                parts.append(rows)
        keep = xp.concatenate(parts).astype(xp.int64, copy=False)
        self.sample_indices_ = labels.beside_y(be, keep)
        return take_rows(be, X, keep), y[self.sample_indices_]

    def _select(self, be, X, rows, X_min, n_min: int, label, n_keep: int):
        """Positions (into ``rows``) of the rows the class keeps, in output order."""
        X_class = rows_of(be, X, rows)
        k_avg = int(self.nn_.n_neighbors)
        if self.version == 1:
            self._check_k(k_avg, n_min, "n_neighbors", "the minority class")
            score = self._scores(be, X_min, X_class, k_avg, k_avg)
            return self._sorted(be, score, farthest=False)[:n_keep]
        if self.version == 2:
            # every minority row is a neighbour; the last k_avg are averaged
            score = self._scores(be, X_min, X_class, n_min, k_avg)
            return self._sorted(be, score, farthest=False)[:n_keep]
        # version 3: the short list, then the farthest averages among it
        n_class = int(rows.shape[0])
        if isinstance(self.n_neighbors_ver3, numbers.Integral):
            k3 = int(self.n_neighbors_ver3)
            self._check_k(k3, n_class, "n_neighbors_ver3", f"class {plain_label(label)!r}")
            near = kneighbors(self._search_rows(be, X_class), k3,
                              queries=self._search_rows(be, X_min), backend=be.name,
                              working_memory=self.working_memory, return_distance=False)
        else:
            self.nn_ver3_.fit(self._host(be, X_class))
            near = be.asarray(self.nn_ver3_.kneighbors(self._host(be, X_min),
                                                       return_distance=False))
        short = be.xp.unique(near.reshape(-1))  # sorted, as imbalanced-learn
        self._check_k(k_avg, n_min, "n_neighbors", "the minority class")
        score = self._scores(be, X_min, rows_of(be, X_class, short), k_avg, k_avg)
        if int(short.shape[0]) < n_keep:
            warnings.warn(
                f"NearMiss(version=3): only {int(short.shape[0])} rows of class "
                f"{plain_label(label)!r} are among the n_neighbors_ver3 nearest of some minority "
                f"row, and sampling_strategy asks for {n_keep}; all {int(short.shape[0])} "
                "are kept, so the class ends with fewer rows than asked. Use a larger "
                "n_neighbors_ver3, or version 1 or 2, for the exact count.",
                UserWarning, stacklevel=5)
        return short[self._sorted(be, score, farthest=True)[:n_keep]]

    def _scores(self, be, X_min, Q, k_search: int, k_avg: int):
        """Per row of Q, the sum of the last ``k_avg`` of its ``k_search`` nearest
        minority distances (float64; imbalanced-learn's sum of the same columns)."""
        xp = be.xp
        if not isinstance(self.n_neighbors, numbers.Integral):
            dist = self.nn_.kneighbors(self._host(be, Q), n_neighbors=k_search)[0]
            return be.asarray(np.asarray(dist, dtype=np.float64)[:, -k_avg:].sum(axis=1))
        ref = self._search_rows(be, X_min)
        budget = budget_bytes(self.working_memory, be.free_bytes())
        if k_search == ref.shape[0]:
            # version 2: every minority row is a neighbour, only the farthest count
            return _farthest_sums(be, ref, self._search_rows(be, Q), k_avg, budget)
        # (queries x k_search) distances and indices, with room for the
        # search's own output copies: blocks of queries within the budget
        step = rows_per_block(k_search * 8 * 6, budget, Q.shape[0])
        out = xp.empty(Q.shape[0], dtype=xp.float64)
        for q0 in block_starts(Q.shape[0], step):
            block = self._search_rows(be, Q[q0:q0 + step])
            dist, _ = kneighbors(ref, k_search, queries=block, backend=be.name,
                                 working_memory=self.working_memory)
            out[q0:q0 + step] = xp.sum(dist[:, -k_avg:], axis=1)
        return out

    @staticmethod
    def _sorted(be, score, farthest: bool):
        """Row order by average distance, stable (equal averages: lower row first),
        nearest or farthest first: Python's ``sorted`` as imbalanced-learn calls it."""
        return be.argsort_stable(-score if farthest else score)

    @staticmethod
    def _search_rows(be, A):
        """Dense float64 rows on the backend: the search then returns float64
        distances, measured exactly, whatever X's dtype."""
        A = dense_for_search(A, "NearMiss")
        return be.asarray(A).astype(be.xp.float64, copy=False)

    @staticmethod
    def _host(be, A):
        """Rows for a user's estimator, on the host (sparse stays sparse)."""
        return A if sparse.issparse(A) else be.to_numpy(A)

    @staticmethod
    def _check_k(k: int, n_rows: int, param: str, what: str) -> None:
        if k <= n_rows:
            return
        raise ValueError(
            f"{param}={k} is too large: NearMiss averages the distances to the {param} "
            f"nearest rows of {what}, which has only {n_rows} rows. Use {param} <= "
            f"{n_rows}, or add rows to that class.")


# Candidates proposed beyond the k farthest: enough that most rows settle
# (KEEL's kddcup sets: 1 sends a third of the rows to the full measure), few
# enough that measuring them stays cheap (8 took twice as long on kddcup land,
# rootkit and flaref, the same rows kept)
_FARTHEST_MARGIN = 3


def _farthest_sums(be, R, Q, k: int, budget: int):
    """Per row of Q, the sum of its k largest distances to the rows of R, added in
    ascending order: NearMiss-2's score (the last k of all of a row's distances,
    sorted), without a search that keeps every row of R as a neighbour.

    For a block of queries the expanded form, in float64 on data centred on R's
    mean, proposes the k + 3 farthest references; they are measured exactly
    (differences of the rows as given). A row is settled when its k-th largest
    exact distance exceeds the largest expanded value left out by more than the
    expanded form's rounding bound; the others (ties at the k-th distance, mostly)
    are measured against every row of R. Exact either way: the sum depends only
    on the k largest values, not on which of equal ones were taken.

    Small integers (one-hot and count data, where ties are everywhere) on an
    integer centre make every product and sum of the expanded form an integer
    below 2**53: its values are exact, and their k largest are the answer.
    """
    xp = be.xp
    m, d = R.shape
    integers = _integers(be, R, Q, self_search=False)
    centre = R.mean(axis=0)
    if integers:
        centre = xp.rint(centre)
    Rc = R - centre
    r_sq = xp.einsum("ij,ij->i", Rc, Rc)
    r_max = float(xp.sqrt(r_sq.max()))
    c = min(m, k + _FARTHEST_MARGIN)
    # per query row: the expanded scores, their partition, and the candidates'
    # differences, the last in cache-sized pieces on a CPU
    step = rows_per_block(m * 8 * 3 + c * d * 8 * 2, budget, Q.shape[0])
    out = xp.empty(Q.shape[0], dtype=xp.float64)
    for q0 in block_starts(Q.shape[0], step):
        q = Q[q0:q0 + step]
        if c == m and not integers:
            d2 = _exact_top_all(be, R, q, k, budget)
        else:
            qc = q - centre
            q_sq = xp.einsum("ij,ij->i", qc, qc)
            approx = q_sq[:, None] + r_sq[None, :] - 2.0 * (qc @ Rc.T)
            if integers:  # exact values: their k largest are the answer
                d2 = xp.sort(xp.partition(approx, m - k, axis=1)[:, m - k:], axis=1)
            else:
                d2 = _settled_top(be, R, q, approx, q_sq, r_max, c, k, budget)
        out[q0:q0 + q.shape[0]] = xp.sum(xp.sqrt(d2), axis=1)
    return out


def _settled_top(be, R, q, approx, q_sq, r_max: float, c: int, k: int, budget: int):
    """The k largest exact squared distances of each row of q, ascending: its c
    farthest by the expanded form (``approx``) measured exactly, and where the
    k-th of those is not clear of the largest left out by the rounding bound,
    every reference that may reach it."""
    xp = be.xp
    m, d = R.shape
    eps = float(np.finfo(np.float64).eps)
    part = xp.argpartition(approx, m - c - 1, axis=1)
    left_out = approx[xp.arange(q.shape[0]), part[:, m - c - 1]]  # the largest not proposed
    top = _exact_top(be, R, q, part[:, m - c:], k, budget)
    err = (d + 8) * eps * (xp.sqrt(q_sq) + r_max) ** 2
    floor = top[:, 0] * (1 - 4 * (d + 4) * eps) - 2 * err
    redo = xp.flatnonzero(~(floor > left_out))
    if redo.shape[0]:
        # every reference that may reach the k-th largest (a tie group, mostly)
        r, j = xp.nonzero(approx[redo] >= floor[redo][:, None])
        top[redo] = _largest_of_pairs(xp, R, q[redo], r, j, k)
    return top


def _largest_of_pairs(xp, R, q, r, j, k: int):
    """From pairs (row ``r`` of q, row ``j`` of R), each row's k largest exact
    squared distances, ascending; every row has at least k pairs."""
    diff = R[j] - q[r]
    d2 = xp.einsum("ij,ij->i", diff, diff)
    order = xp.lexsort(xp.stack([-d2, r.astype(xp.float64)]))  # by row, largest first
    r_sorted = r[order]
    first = xp.searchsorted(r_sorted, xp.arange(q.shape[0]))
    keep = order[(xp.arange(r_sorted.shape[0]) - first[r_sorted]) < k]
    return xp.sort(d2[keep].reshape(q.shape[0], k), axis=1)


def _exact_top_all(be, R, q, k: int, budget: int):
    """``_exact_top`` against every row of R."""
    every = be.xp.broadcast_to(be.xp.arange(R.shape[0]), (q.shape[0], R.shape[0]))
    return _exact_top(be, R, q, every, k, budget)


def _exact_top(be, R, q, cand, k: int, budget: int):
    """The k largest exact squared distances from each row of q to its candidate
    rows of R (``cand``, one row of indices per query), ascending; the
    differences in cache-sized pieces (on a CPU, 6 MB of them at once took
    four times as long as the same work in 1 MB pieces)."""
    xp = be.xp
    out = xp.empty((q.shape[0], k), dtype=xp.float64)
    step = rows_per_block(cand.shape[1] * R.shape[1] * 8 * 2, min(budget, be.refine_bytes),
                          q.shape[0])
    for q0 in block_starts(q.shape[0], step):
        q1 = q0 + step
        d2 = _exact_d2(xp, R, q[q0:q1], slice(None), cand[q0:q1])
        out[q0:q1] = xp.sort(d2, axis=1)[:, -k:]
    return out
