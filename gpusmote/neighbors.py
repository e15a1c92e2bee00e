"""Exact k-nearest neighbours, block by block, on NumPy or CuPy.

How a blocked search runs (the same code for both backends; only ``be.topk_*``
differs)::

    collapse exact duplicate rows (searched once, expanded after)
    centre on a median, scale to [-1, 1] (integers: shift only, exact search)
    for each block of query rows:                       (threads on CPU)
        for each block of reference rows:
            G = Q_blk @ R_blk.T                          (BLAS / cuBLAS GEMM)
            be.topk_update: score = G - |r|^2/2, drop self, keep best m
    refine: exact float64 distances of the m candidates, order by (distance, index)
    certify: the k-th exact distance must beat every non-candidate's score by
             more than the rounding bound of the expanded form; rows that fail
             are searched again the same way in float64, and the few that
             still fail (true near-ties) get every reference inside the bound
             re-checked exactly.

Which search runs (``_search_distinct``; the same answer from each, ties to
the lower index):

* **direct** (``_direct``) for small searches (at most ``_DIRECT_MAX_PAIRS``
  query x reference pairs), and on the CPU for every search up to
  ``_DIRECT_WIDE_MAX_PAIRS`` that the tree does not take: scores of every
  pair, a strip of queries at a time (float32 where squares cannot overflow,
  float64 for the rows float32 cannot separate); any k references bound each
  row's k-th distance and every reference whose score reaches that bound is
  measured exactly. Exact by construction: no certification, no re-check, few
  launches, no threads for a single strip. Small-integer data (one-hot,
  counts) are scored exactly in float64 and argmax's first-index rule settles
  their ties.
* **tree** (``_tree``, CPU only) for data in at most ``_TREE_MAX_FEATURES``
  features whose effective dimension is low: SciPy's cKDTree proposes
  candidates, measured exactly and certified; tied rows go direct.
* **blocked** (the loop above) for everything larger, and on the GPU, where
  the direct path is written and tested but off until a device run has
  measured where it pays (``_DIRECT_BACKENDS``).

Memory: candidates are n_queries x m with m = k + a small margin; every
temporary is a block sized from ``working_memory``. No n x n matrix is made.
"""

from __future__ import annotations

import numbers
import threading
from typing import Any

import numpy as np

from . import _timing
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._duplicates import expand, find_groups
from ._progress import progress_bar, verbose_default
from ._validation import first_non_finite
from .backends import get_backend
from .backends._numpy import _n_threads

__all__ = ["kneighbors"]

# Larger values would overflow float64 once squared.
_MAX_MAGNITUDE = 1e150
# Rows sampled for the centre of the search (a median: robust to a few extremes).
_CENTRE_SAMPLE = 4096
# ... and for a small direct search, where a median of 4 096 rows took a
# tenth of the search (KEEL's segment0: 0.5 of 4 ms) and 512 are as robust
_DIRECT_CENTRE_SAMPLE = 512
# Queries other than X are checked for repeats from this many rows on (below it
# the check costs about what it could save)
_QUERY_GROUPS_MIN_ROWS = 64
# Integer data within this of an integer centre is searched exactly: such
# integers are exact in float32 and in TF32 (11 significant bits), and with
# squared row norms up to _EXACT_MAX_SQ every product and partial sum of the
# GEMM, and every score q.r - |r|^2/2, is exact in float32 too.
_EXACT_MAX_ABS = 2048
_EXACT_MAX_SQ = 2.0**22
# Share of the variance along one direction above which query blocks are
# sorted along it and centred on themselves (``_dominant_direction``).
_DOMINANT_SHARE = 0.5
# Searches of at most this many query x reference pairs take the direct path
# (``_direct``): below it the blocked search's fixed costs (frame, threads,
# float32 candidates, refine, certification) cost more than scoring every
# pair in float64 on one thread (measured on abalone rows, 2 busy cores: 32 x
# 4 174 pairs 2.4 ms direct vs 2.7 ms blocked, 100 x 100 0.37 vs 0.48 ms; at
# 500 x 500 the blocked search wins, 2.5 vs 3.1 ms).
_DIRECT_MAX_PAIRS = 1 << 17
# Searches the tree does not take go direct up to this many pairs too: past
# the smallest sizes the direct path costs about what the blocked one does on
# easy data (abalone's 4 174 rows: 45 vs 48 ms), and far
# less where rows are doubtful (KEEL's kddcup rootkit-imap, 2 225 x 41: 10 vs
# 24-30 ms), since it never certifies nor re-checks. KEEL's kr-vs-k after SMOTE
# (5 592 x 5 592 tie-heavy rows) is past 2**24 pairs and sent 1 784 rows to
# the exhaustive re-check: direct, SMOTETomek went from 0.48x to 0.88x
# imbalanced-learn (benchmarks/keel.py, 2 busy cores).
_DIRECT_WIDE_MAX_PAIRS = 1 << 26
# Direct searches of at most this many pairs do not expand duplicate groups
# (``_duplicates``) unless the groups are large (``_groupless``): they measure
# every tied reference anyway, and expanding groups costs more than the search
# (KEEL's kddcup sets: 1 of 2 ms; segment0's 329 x 2 308 danger search, 224
# duplicate rows: 8.9 -> 7.2 ms for BorderlineSMOTE at 2**21 instead of 2**17).
_DIRECT_GROUPLESS_MAX_PAIRS = 1 << 21
_GROUPLESS_TIES_PER_ROW = 8
# Searches of at most this many pairs (after repeated queries are collapsed:
# NearMiss-1's 1 040 majority rows of land, 435 distinct) look for no duplicate
# rows in X: finding the groups and expanding them cost more than measuring the
# ties they make (KEEL kddcup land, BorderlineSMOTE's 21 x 1 061 danger search:
# 0.43 of 1.3 ms). A search that meets more than _UNGROUPED_MAX_MEASURED tied
# pairs (a group of many copies at some row's k-th distance) starts again with
# the groups.
_UNGROUPED_MAX_PAIRS = 1 << 16
_UNGROUPED_MAX_MEASURED = 1 << 13
# The same for searches of other queries than X (BorderlineSMOTE's danger
# search, NearMiss): up to 2^20 pairs. segment0's danger search (329 x 2 308):
# 4.5 -> 3.8 ms for BorderlineSMOTE-1. Self-searches keep 2^16: ENN on kddcup
# land (1 061 rows, mostly copies) met too many ties and searched twice,
# 3.4 -> 5.2 ms.
_UNGROUPED_QUERIES_MAX_PAIRS = 1 << 20
# The backends whose small searches take the direct path. It is written
# against ``be.xp`` and tested on the CuPy path too, but on a GPU it stays off
# until a device run has measured where it pays (one block, few launches).
_DIRECT_BACKENDS = frozenset({"numpy"})
# The backends whose searches along a dominant direction skip the reference
# blocks too far along it (``_outward``): on a GPU each skip would wait for the
# device's bars, and it stays off until a device run has measured it.
_PRUNING_BACKENDS = frozenset({"numpy"})
# A certified self-search of at least this many blocks of rows computes each
# pair of blocks once (``_symmetric_candidates``) where the backend offers it.
_SYMMETRIC_MIN_BLOCKS = 2
# On the CPU, searches in at most this many features (scikit-learn's own limit
# for a k-d tree) whose candidates a k-d tree finds faster than brute force:
# above _DIRECT_MAX_PAIRS, SciPy's cKDTree proposes candidates that are then
# measured exactly and certified (``_tree``). The GPU searches by brute force.
_TREE_MAX_FEATURES = 15
# Tree searches of at least this many queries split them over every core
# (SciPy's ``workers``): KEEL abalone19's 4 174-row self-search 16.9 -> 9.0 ms,
# page_blocks0's 14.4 -> 10.7 ms; a few hundred rows gain nothing.
_TREE_THREADED_MIN_QUERIES = 512
# ... and only with at least this many references: against fewer, scoring every
# pair in strips costs less than a tree's per-query walk and refinement, however
# many the queries (4 000 abalone rows against 64 / 128 / 256 of them, 3
# neighbours: 3.8 / 3.5 / 6.9 ms by the tree, 2.8 / 2.7 / 3.7 ms direct; even
# at 512, 7.7 vs 6.9). NearMiss-1 on KEEL's abalone19, 4 142 majority rows
# against 32 minority ones: 5.3 -> 3.4 ms.
_TREE_MIN_REFS = 512
# SciPy's sliding-midpoint split instead of the median: a faster build, and as
# fast or faster queries on KEEL sets (segment0's minority against all rows:
# 0.61 + 2.81 -> 0.53 + 1.37 ms)
_TREE_BALANCED = False
# The tree returns k + _TREE_MARGIN candidates per query (each one more costs
# its walk); rows whose k-th distance the margin cannot certify (ties, near-ties)
# ask again for k + _TREE_WIDE_MARGIN, and only rows still doubtful are scored
# against every reference.
_TREE_MARGIN = 2
_TREE_WIDE_MARGIN = 16
# A small direct search (at most _DIRECT_MAX_PAIRS pairs, one strip) runs its
# GEMM on one BLAS thread up to this many multiply-adds; larger searches always
# do (their strips run on gpusmote's own threads). Two BLAS threads save ~30 us
# there alone, but where another library's threads still spin on the cores (a
# classifier fitted between two resamplings) the two-thread GEMM waits for
# them: land's 21 x 1 061 x 68 danger search in a BorderlineSMOTE-1 run right
# after imbalanced-learn's, 1.99 -> 1.49 ms a call. Small searches in many
# features (2^17 pairs in 32 or more) keep BLAS's threads.
_SERIAL_STRIP_MAX_WORK = 1 << 22
# A k-d tree search for _TREE_GROUPLESS_MIN_K or more neighbours measures
# duplicate rows as ties when the rows in groups of more than _TREE_TIE_COPIES
# copies are at most max(_GROUPLESS_LARGE_MIN_ROWS, n_ref / _GROUPLESS_LARGE_SHARE)
# (``_few_large_groups``).
_TREE_GROUPLESS_MIN_K = 6
_TREE_TIE_COPIES = 3
_GROUPLESS_LARGE_MIN_ROWS = 64
_GROUPLESS_LARGE_SHARE = 64
# ... and only where the data's effective dimension (``_effective_dimension``)
# is at most this: a k-d tree prunes well in few dimensions. Real sets mostly
# lie near a line or a plane (KEEL's abalone 2.1, page-blocks 1.1) where the
# tree beats scoring every pair two to one (and poker's SMOTE output, 5.0:
# 36 vs 83 ms); round Gaussian data make it no faster than brute force in 6
# dimensions and slower in 8 (4 000 rows: 55 vs 33 ms).
_TREE_MAX_EFFECTIVE_DIMENSION = 5.5
# Data whose every value is an integer of at most this magnitude (one-hot,
# counts) in at most this many features are searched exactly in float64 by the
# direct path (``_direct``'s ``integers``), up to this many pairs: their ties
# are settled by the first-index rule of argmax, where a k-d tree or a rounding
# bound would have to look at every tied reference.
_DIRECT_INTEGER_MAX_ABS = 2**20
_DIRECT_INTEGER_MAX_FEATURES = 1024
_DIRECT_INTEGER_MAX_PAIRS = 1 << 24
# The direct path scores in float32 when the centred data's squared spread
# times (features + 1) stays below this (far from float32's 3.4e38).
_DIRECT_FLOAT32_MAX_SQ = 1e36
# A small float64 direct search scores X as it is, without its centred,
# folded copy (``_unfolded``), when its values are at most this many times
# their range from 0 (a rounding bound a million times the centred one's still
# lets only near-ties through). KEEL's land, BorderlineSMOTE's 21 x 1 061
# danger search: 1.01 -> 0.49 ms; random data, 4 to 128 queries against 500 to
# 4 174 rows in 3 to 68 features and small self-searches: 4-30 % faster.
_UNCENTRED_MAX_OFFSET = 1024
# With at most this many neighbours the direct path finds its k bounding
# references by k passes of argmax (one SIMD pass each; fewer launches than a
# sort on a device); with more, by argpartition.
_DIRECT_ARGMAX_MAX_K = 16
# A row of a float32 direct search whose scores leave at most n_ref / this many
# references inside the rounding bound has them measured exactly; one with more
# is scored again in float64 (a GEMM row costs about as much as measuring that many).
_DIRECT_EXACT_SHARE = 32
# Bytes of one strip of the direct search (scores and masks). Past the L2 cache,
# but a strip's fixed costs (a dozen NumPy calls) then weigh less: on KEEL's
# segment0 and kr-vs-k, 8 MiB strips ran 20-30 % faster than 2 MiB ones.
_DIRECT_STRIP_BYTES = 8 << 20
# When more than 1 / this share of the first strip's rows had to be scored again
# in float64, the other strips skip float32.
_DIRECT_FLOAT64_SWITCH_SHARE = 4


def kneighbors(X: Any, k: int, queries: Any = None, *, backend: str = "auto",
               working_memory: float | None = None, return_distance: bool = True,
               verbose: bool | None = None):
    """Exact k nearest neighbours in Euclidean distance, computed in blocks.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Reference rows: NumPy, CuPy or anything ``numpy.asarray`` accepts.
    k : int
        Number of neighbours per query row.
    queries : array-like of shape (n_queries, n_features), default=None
        Rows to find neighbours for. When None, every row of ``X`` is a query
        and is excluded from its own neighbours.
    backend : {"auto", "numpy", "cupy"}, default="auto"
        Where to compute; "auto" follows the input (CuPy in, GPU used).
    working_memory : float, default=None
        Cap on the temporaries of one block, in MiB (default 256). Smaller
        caps mean more, smaller blocks and the same answer.
    return_distance : bool, default=True
        Also return the distances.
    verbose : bool, default=None
        Show a progress bar over the query rows on stderr. None follows the
        ``verbose`` of the sampler that calls this (off otherwise).

    Returns
    -------
    dist : array of shape (n_queries, k)
        Euclidean distances, ascending, in the dtype of ``X`` (float32 stays
        float32). Only when ``return_distance`` is True.
    idx : array of shape (n_queries, k)
        Row indices into ``X`` (int64). Ties are broken by the lower index.

    Examples
    --------
    >>> import numpy as np
    >>> from gpusmote.neighbors import kneighbors
    >>> X = np.array([[0.0], [1.0], [3.0], [4.0]])
    >>> dist, idx = kneighbors(X, 1, backend="numpy")
    >>> idx.ravel().tolist()
    [1, 0, 3, 2]
    """
    be = get_backend(backend, X)
    X = _as_float_matrix(be, X, "X")
    self_search = queries is None
    Q = X if self_search else _as_float_matrix(be, queries, "queries", dtype=X.dtype)
    if Q.shape[1] != X.shape[1]:
        raise ValueError(
            f"queries have {Q.shape[1]} features but X has {X.shape[1]}; "
            "pass rows with the same columns as X."
        )
    n_avail = X.shape[0] - (1 if self_search else 0)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if k > n_avail:
        raise ValueError(
            f"k={k} neighbours were asked but only {n_avail} reference rows are "
            f"available{' besides the query itself' if self_search else ''}; "
            f"use k <= {n_avail}."
        )
    if verbose is None:
        verbose = verbose_default()
    with progress_bar(verbose, Q.shape[0], "neighbours") as bar:
        try:
            d2, idx = _search(be, X, Q, int(k), self_search,
                              budget_bytes(working_memory, be.free_bytes()), bar)
        except _NotFinite as exc:
            _check_finite(be, X, "X")  # names the first NaN or infinity, if there is one
            raise ValueError(str(exc)) from None  # finite but too large: a plain ValueError
    if not return_distance:
        return idx
    xp = be.xp
    return xp.sqrt(d2).astype(X.dtype, copy=False), idx


def _as_float_matrix(be, A, name: str, dtype=None):
    xp = be.xp
    A = be.asarray(A)
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {A.shape}.")
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {A.shape}); pass at least one row and column.")
    if A.dtype.kind == "c":
        # casting would drop the imaginary part without a word (scikit-learn refuses too)
        raise ValueError(
            f"{name} is complex ({A.dtype}); the neighbour search needs real numbers. "
            f"Pass {name}.real, or abs({name}), if that is what you mean.")
    if dtype is None:
        dtype = A.dtype if A.dtype in (xp.float32, xp.float64) else xp.float64
    return xp.ascontiguousarray(A, dtype=dtype)


def _search(be, X, Q, k: int, self_search: bool, budget: int, bar=None):
    """Squared distances (float64) and indices of the k nearest references.

    Queries other than X that repeat (ENN's and the danger sets' rows of X,
    NearMiss's majority rows) are searched once: equal queries have equal
    answers, handed to every copy.
    """
    if not self_search and Q.shape[0] >= _QUERY_GROUPS_MIN_ROWS:
        with _timing.phase("neighbours_prepare", be):
            query_groups = find_groups(be, Q, budget)
        if query_groups is not None:
            _timing.count("duplicate_queries", Q.shape[0] - query_groups.n_groups)
            d2, idx = _search_references(be, X, Q[query_groups.first], k, False, budget, bar)
            if bar is not None:
                bar.update(Q.shape[0] - query_groups.n_groups)
            return d2[query_groups.label], idx[query_groups.label]
    return _search_references(be, X, Q, k, self_search, budget, bar)


def _search_references(be, X, Q, k: int, self_search: bool, budget: int, bar=None):
    """``_search`` for distinct queries (or a self-search).

    Exact duplicate references are collapsed first (``_duplicates``): the
    distinct rows are searched and each row gets the lowest-index members of
    its nearest groups, which is the same answer without the tie groups that
    no top-k filter can hold.
    """
    ungrouped = _UNGROUPED_MAX_PAIRS if self_search else _UNGROUPED_QUERIES_MAX_PAIRS
    if (be.name in _DIRECT_BACKENDS and Q.shape[0] * X.shape[0]
            <= min(ungrouped, _DIRECT_GROUPLESS_MAX_PAIRS)):
        try:
            return _search_distinct(be, X, Q, k, self_search, budget, bar,
                                    max_measured=_UNGROUPED_MAX_MEASURED)
        except _ManyTies:
            _timing.count("ungrouped_retries", 1)
    with _timing.phase("neighbours_prepare", be):
        groups = find_groups(be, X, budget)
    if groups is None or _groupless(be, groups, X.shape[0], Q.shape[0], k):
        return _search_distinct(be, X, Q, k, self_search, budget, bar)
    if (be.name == "numpy" and k >= _TREE_GROUPLESS_MIN_K and _few_large_groups(be, groups)
            and _tree_suits(be, X, Q, self_search)):
        return _search_distinct(be, X, Q, k, self_search, budget, bar, tree_suits=True)
    xp = be.xp
    _timing.count("duplicate_rows", X.shape[0] - groups.n_groups)
    U = X[groups.first]
    n_groups = groups.n_groups
    if self_search:
        k_groups = min(k, n_groups - 1)
        if k_groups == 0:  # every row is the same row
            d2_g = xp.empty((n_groups, 0), dtype=xp.float64)
            nn_g = xp.empty((n_groups, 0), dtype=xp.int64)
        else:
            d2_g, nn_g = _search_distinct(be, U, U, k_groups, True, budget, bar)
        if bar is not None:
            bar.update(X.shape[0] - (n_groups if k_groups else 0))
        return expand(be, groups, d2_g, nn_g, k, X.shape[0], groups.label,
                      _order_by_distance, budget)
    d2_g, nn_g = _search_distinct(be, U, Q, min(k, n_groups), False, budget, bar)
    return expand(be, groups, d2_g, nn_g, k, X.shape[0], None, _order_by_distance, budget)


def _groupless(be, groups, n_ref: int, n_q: int, k: int) -> bool:
    """Whether a small direct search should measure its duplicate rows as ties
    instead of collapsing them: when the ties they make are few next to the k
    a row keeps. Copies meeting copies make sum(count^2) tied pairs, and a
    query whose k-th nearest is a group of c copies ties with all c of them.
    Expanding groups costs more than the search on KEEL's kddcup sets (1 of
    2 ms); one row repeated 360 times would measure 130 000 tied pairs, and
    on KEEL's kddcup land set (a group of 180 copies) 8 nearest neighbours
    measured 58 000 pairs in 29 ms where groups take 3.5 ms."""
    if (be.name not in _DIRECT_BACKENDS
            or n_q * n_ref > _DIRECT_GROUPLESS_MAX_PAIRS):
        return False
    count = groups.count.astype(be.xp.float64)
    ties, largest = be.to_numpy(be.xp.stack([(count * count).sum(), count.max()]))
    return (ties <= _GROUPLESS_TIES_PER_ROW * n_ref * k
            and largest <= _GROUPLESS_TIES_PER_ROW * k)


def _few_large_groups(be, groups) -> bool:
    """Whether few rows are in groups of more than ``_TREE_TIE_COPIES`` copies.

    A k-d tree search keeps k + 2 or more candidates, so a group of up to 3
    copies never makes a row doubtful; the rows of larger groups (and rows
    next to them) are re-checked directly. For 6 or more neighbours that
    costs less than expanding the groups while such rows are few (10
    neighbours: KEEL page_blocks0, 79 copies in groups of up to 9, its
    danger search 6.2 -> 5.4 ms; winequality_red_4 9.7 -> 6.1 ms; 20 000
    rows rounded to one decimal in 4 features 112 -> 95 ms); for 3 the
    copies slow the tree more than the expansion costs (page_blocks0's
    self-search 15 ms with the groups, 21 without). The blocked search is
    another matter: its cost grows with the rows squared, and removing the
    copies pays (26 000 rows of which 6 000 are copies, d = 10: 352 ms with
    the groups, 503 without).
    """
    count = groups.count
    in_large = int(count[count > _TREE_TIE_COPIES].sum())
    n_rows = groups.label.shape[0]
    return in_large <= max(_GROUPLESS_LARGE_MIN_ROWS, n_rows // _GROUPLESS_LARGE_SHARE)


def _tree_suits(be, X, Q, self_search: bool, integers: bool | None = None) -> bool:
    """Whether a k-d tree proposes the candidates of this search (``_tree``):
    on the CPU, in at most ``_TREE_MAX_FEATURES`` features, against at least
    ``_TREE_MIN_REFS`` references, larger than a direct search, not small
    integers (ties everywhere), and near a space of few dimensions
    (``_effective_dimension``)."""
    n_ref, n_features = X.shape
    if (be.name != "numpy" or n_features > _TREE_MAX_FEATURES or n_ref < _TREE_MIN_REFS
            or Q.shape[0] * n_ref <= _DIRECT_MAX_PAIRS):
        return False
    if integers is None:
        integers = _integers(be, X, Q, self_search)
    return not integers and _effective_dimension(be, X) <= _TREE_MAX_EFFECTIVE_DIMENSION


def _integers(be, X, Q, self_search: bool) -> bool:
    """Every value of X and Q a small integer (one pass over the data)."""
    return (X.shape[1] <= _DIRECT_INTEGER_MAX_FEATURES and _small_integers(be, X)
            and (self_search or _small_integers(be, Q)))


class _ManyTies(Exception):
    """A direct search met more tied pairs than its ``max_measured``."""


def _search_distinct(be, X, Q, k: int, self_search: bool, budget: int, bar=None,
                     max_measured: int | None = None, tree_suits: bool | None = None):
    """``_search`` for references without exact duplicates (they would still
    be answered right, only slowly). A direct search with ``max_measured``
    raises ``_ManyTies`` rather than measure more pairs than that;
    ``tree_suits`` is ``_tree_suits``'s answer where the caller has it."""
    xp = be.xp
    n_ref, n_features = X.shape
    n_q = Q.shape[0]
    pairs = n_q * n_ref
    tree = n_features <= _TREE_MAX_FEATURES and be.name == "numpy"
    if be.name in _DIRECT_BACKENDS and (
            pairs <= max(_DIRECT_MAX_PAIRS, _DIRECT_INTEGER_MAX_PAIRS, _DIRECT_WIDE_MAX_PAIRS)
            or tree):
        if tree_suits:
            return _tree(be, X, Q, k, self_search, budget, bar)
        # (one pass over the data, only where it decides the path)
        integers = _integers(be, X, Q, self_search)
        if tree_suits is None and _tree_suits(be, X, Q, self_search, integers):
            return _tree(be, X, Q, k, self_search, budget, bar)
        if (pairs <= _DIRECT_MAX_PAIRS or (integers and pairs <= _DIRECT_INTEGER_MAX_PAIRS)
                or pairs <= _DIRECT_WIDE_MAX_PAIRS):
            found = _direct(be, X, Q, k, self_search, budget, bar, integers=integers,
                            max_measured=max_measured)
            _timing.count("query_rows", n_q)  # (not for a search given up: _ManyTies)
            _timing.count("direct_rows", n_q)
            return found
    n_avail = n_ref - (1 if self_search else 0)
    m = min(n_avail, k + max(2, min(k, 8)))

    # The candidate search runs in float32 on centred, scaled data whatever the
    # input dtype: it only has to be nearly right, because candidates are then
    # measured exactly in float64 and every row is certified against the
    # rounding bound (phase C). Centring on the median keeps most rows near the
    # origin even when a few rows are extreme; scaling to [-1, 1] keeps squares
    # far from float32 overflow. Small integers (binary, one-hot, counts) are
    # only shifted by an integer, so the search is exact and ties are resolved
    # by the top-k's own rule (lower index first): no certification needed.
    with _timing.phase("neighbours_prepare", be):
        centre, inv_scale, maybe_exact, direction = _frame(be, X)
        Xc, x_sq, exact = _scaled(be, X, centre, inv_scale, budget, maybe_exact)
        if self_search:
            Qc, q_sq = Xc, x_sq
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # far queries are reported below
                Qc, q_sq, q_exact = _scaled(be, Q, centre, inv_scale, budget, exact)
            exact = exact and q_exact
            if not bool(xp.isfinite(Qc).all()):
                _check_finite(be, Q, "queries")
                raise ValueError(
                    "some queries lie so far from X (relative to X's spread) that their "
                    "distances overflow float32 in the search; rescale the data, or query "
                    "with rows on the scale of X.")
    # every dot product and partial sum of the GEMM is then an integer below 2**24
    # (a self-search's queries are X: one reduction and one sync, not two)
    exact = (exact and float(x_sq.max()) <= _EXACT_MAX_SQ
             and (self_search or float(q_sq.max()) <= _EXACT_MAX_SQ))
    half_sq = (0.5 * x_sq).astype(xp.float32)

    # Phase A: approximate best m per query row from the expanded form.
    # (a phase of its own name: its end synchronises, so the GPU work it
    # queued is not counted in the refine phase that follows)
    with _timing.phase("neighbours", be):
        score, cand, q_sq_local = _candidates(
            be, Xc, Qc, half_sq, m, self_search, budget,
            f"{n_q} queries x {n_ref} references x {n_features} features", bar,
            direction=None if exact else direction, symmetric=not exact)

    # Phase B: exact distances for the candidates, ordered by (distance, index).
    with _timing.phase("neighbours_refine", be):
        d2, idx = _refine(be, X, Q, cand, k, budget)
    _timing.count("query_rows", n_q)
    if m == n_avail or exact:
        # every reference was a candidate, or the search was exact: nothing to doubt
        _timing.count("exact_rows" if exact else "complete_rows", n_q)
        return d2, idx

    # Phase C: certify each row; re-check where rounding could misorder.
    with _timing.phase("neighbours_refine", be):
        doubtful = xp.flatnonzero(~_certified(
            be, score, d2, q_sq if q_sq_local is None else q_sq_local, inv_scale, be.gemm_eps,
            n_features, k))
    if doubtful.size:
        with _timing.phase("neighbours_recheck", be):
            _recheck(be, X, Q, Xc, Qc, half_sq, q_sq, inv_scale, doubtful,
                     d2, idx, k, m, self_search, budget)
    return d2, idx


def _sample_rows(X, n_sample: int = _CENTRE_SAMPLE):
    """At most about ``n_sample`` evenly spaced rows of X (a view)."""
    return X[::max(1, X.shape[0] // n_sample)]


def _effective_dimension(be, X) -> float:
    """The participation ratio (tr C)^2 / tr(C^2) of the covariance C of (at
    most) ``_CENTRE_SAMPLE`` evenly spaced rows: d for round data in d
    dimensions, near 1 where one direction holds the variance."""
    xp = be.xp
    sample = _sample_rows(X).astype(xp.float64)
    with np.errstate(all="ignore"):  # non-finite data are refused by the search itself
        sample = sample - sample.mean(axis=0)
        C = be.to_numpy(sample.T @ sample)
        total = float(np.trace(C))
        square = float((C * C).sum())
        return total * total / square if square > 0 else 0.0


def _small_integers(be, A) -> bool:
    """Every value an integer of magnitude at most ``_DIRECT_INTEGER_MAX_ABS``."""
    xp = be.xp

    def test(B) -> bool:
        return bool(((B == xp.rint(B)) & (xp.abs(B) <= _DIRECT_INTEGER_MAX_ABS)).all())

    # measured data answer no on their first rows: the whole pass only for the rest
    return test(A[:64]) and test(A)


def _direct(be, X, Q, k: int, self_search: bool, budget: int, bar=None, own=None,
            integers: bool = False, max_measured: int | None = None):
    """Exact k nearest neighbours of a small search, every pair scored in float64.

    For a strip of queries at a time (one strip when it fits the budget, in
    cache-sized strips on a CPU): the scores ``q.r - |r|^2/2`` of every
    reference on data centred on a median, any k references with high scores
    (their exact distances bound the k-th nearest from above), then every
    reference whose score reaches that bound less the rounding bound of the
    expanded form is measured exactly and the k nearest kept, ordered by
    (distance, index). A true neighbour's score cannot fall below the bound,
    so the answer is exact without a certification pass; ties at the k-th
    distance are all measured, and the lower index wins. Runs on one thread:
    at these sizes threads cost more than they save. ``own``, for queries that
    are rows of X (a re-check of some rows of a self-search), gives each
    query's own row in X, which is left out.

    ``integers`` (every value of X and Q a small integer, ``_small_integers``):
    on an integer centre every score is then exact in float64, so the k
    passes of argmax, which take the first (lowest) index among equal scores,
    are the answer itself: no exact distances, no bound. One-hot and count
    data tie everywhere, and a bound would let every tie through.

    ``max_measured``: raise ``_ManyTies`` instead of measuring more pairs
    than this in a strip (see ``_UNGROUPED_MAX_PAIRS``).
    """
    xp = be.xp
    n_ref, n_features = X.shape
    n_q = Q.shape[0]
    with _timing.phase("neighbours_prepare", be):
        # a median centre where float32 may score (heavy tails shift a mean, and
        # rows far from the centre go to the float64 pass); else the mean, a
        # tenth of the cost: in float64 the centre hardly matters
        small = n_q * n_ref <= _DIRECT_MAX_PAIRS
        folded64: list = []  # (X64, (Q64, q_sq)) (and -|r|^2/2 unfolded), made when first needed
        if integers:
            # every value a small integer (checked): nothing can overflow, and an
            # integer centre is all it needs (no column extremes: a tenth of a
            # millisecond on KEEL's kr-vs-k)
            centre = _sample_rows(X, _DIRECT_CENTRE_SAMPLE).astype(xp.float64).mean(axis=0)
            spread = None
        elif small and _uncentred_suits(be, X, Q):
            # X as it is: its centred, folded copy and the mean cost more than
            # the one more pass over the scores (all sizes and shapes measured)
            folded64.append(_unfolded(be, X, Q, self_search, budget))
            centre = spread = None
            _timing.count("direct_uncentred_rows", n_q)
        elif small:
            centre, spread = _lean_statistics(be, X)
        else:
            centre, spread = _lean_statistics(be, X, median=True)
        # float32 scores (half the bytes and twice the GEMM rate of float64)
        # where their squares cannot overflow; rows that float32's rounding
        # cannot separate (heavy tails, near-ties) are scored again in float64
        # (not for small searches: there the GEMM is cheap and a float64
        # pass for some rows would cost more than it saves)
        single = (not integers and not small
                  and spread * spread * (n_features + 1) <= _DIRECT_FLOAT32_MAX_SQ)
        if integers:
            centre = xp.rint(centre)
        X32 = q32 = None
        exact32 = None  # integers whose scores float32 holds exactly
        if integers and k <= _DIRECT_ARGMAX_MAX_K:
            # every product and partial sum an integer below 2**24 when the squared
            # norms are below 2**22: exact in float32 too, half the bytes for the
            # GEMM and the k argmax passes
            Xf, (Qf, q_sq) = _folded(be, X, Q, centre, self_search, xp.float32, budget)
            top = be.to_numpy(xp.stack([-2 * Xf[:, -1].min(), q_sq.max()]))
            if float(top.max()) <= _EXACT_MAX_SQ:
                exact32 = (Xf, (Qf, q_sq))
        if single:
            try:
                X32, q32 = _folded(be, X, Q, centre, self_search, xp.float32, budget)
            except ValueError:  # queries too far for float32: float64 only
                single = False
        if not single and exact32 is None and not folded64:
            folded64.append(_folded(be, X, Q, centre, self_search, xp.float64, budget))
    made64 = threading.Lock()

    def in_float64():
        """The float64 fold: at once where float32 cannot score, else only for
        the rows float32 could not separate (often none)."""
        with made64:
            if not folded64:
                folded64.append(_folded(be, X, Q, centre, self_search, xp.float64, budget))
        return folded64[0]
    d2_out = xp.empty((n_q, k), dtype=xp.float64)
    idx_out = xp.empty((n_q, k), dtype=xp.int64)
    # a strip's scores, its hit mask and a copy of the k bounding columns
    rows = rows_per_block(n_ref * (4 if single else 8) * 2, min(budget, _DIRECT_STRIP_BYTES),
                          n_q)
    n_avail = n_ref - (1 if self_search or own is not None else 0)
    eps64 = float(np.finfo(np.float64).eps)
    retried: list[int] = []  # rows scored again in float64, per strip

    def scores(folded, queries):
        """The scores of ``queries`` (global rows) against every reference,
        each query's own row left out."""
        Xf, (Qf, _) = folded[:2]
        S = Qf[queries] @ Xf.T
        if len(folded) == 3:  # unfolded: -|r|^2/2 added here
            S += folded[2]
        local = xp.arange(queries.shape[0])
        if self_search:
            S[local, queries] = -xp.inf
        elif own is not None:
            S[local, own[queries]] = -xp.inf
        return S

    def solve(S, queries, q_sq, eps: float, retry):
        """(d2, idx) of the k nearest of ``queries`` from their scores ``S``."""
        # k high scores bound the k-th distance; the (k + 1)-th says which rows
        # may have more references within that bound (ties, near-ties)
        some, next_score = _some_high(be, S, k, k < n_avail)
        d2_some = _exact_d2(xp, X, Q, queries, some)
        t_k, err = _kth_and_margin(xp, d2_some.max(axis=1), q_sq[queries], 1.0, eps,
                                   n_features)
        limit = -(t_k + 2 * err)
        # rows whose (k + 1)-th score falls below the bound: their k picks are
        # their k nearest, in (distance, index) order once sorted
        d2, idx = _order_by_distance(be, d2_some, some)
        if next_score is None:
            return d2, idx
        more = xp.flatnonzero(next_score >= limit)
        if more.size == 0:
            return d2, idx
        reach = S[more] >= limit[more][:, None]
        if retry:
            # rows with many references inside float32's bound (heavy tails make
            # it loose): score them again in float64. Rows with few (true ties,
            # near-ties: binary and count data) are measured exactly at once; a
            # float64 pass would let the same ties through.
            many = reach.sum(axis=1) > max(k + 1, n_ref // _DIRECT_EXACT_SHARE)
            if bool(many.any()):
                again_at = more[many]
                again = queries[again_at]
                retried.append(int(again.shape[0]))  # counted by the caller's thread
                folded = in_float64()
                d2[again_at], idx[again_at] = solve(scores(folded, again), again,
                                                    folded[1][1], eps64, False)
                more, reach = more[~many], reach[~many]
                if more.size == 0:
                    return d2, idx
        # every reference reaching the bound, measured exactly
        r_more, c_more = xp.nonzero(reach)
        if max_measured is not None and r_more.shape[0] > max_measured:
            raise _ManyTies
        d2[more], idx[more] = _k_nearest_pairs(be, X, Q, queries[more], r_more, c_more, k,
                                               budget)
        return d2, idx

    def strip(q0: int) -> None:
        q1 = min(q0 + rows, n_q)
        queries = xp.arange(q0, q1)
        if integers and k <= _DIRECT_ARGMAX_MAX_K:
            # exact scores: the best k by (score, lower index) are the answer
            folded = exact32 if exact32 is not None else in_float64()
            S = scores(folded, queries)
            some, best = _some_high(be, S, k, False, return_scores=True)
            d2_out[q0:q1] = (folded[1][1][q0:q1, None].astype(xp.float64)
                             - 2 * best.astype(xp.float64))
            idx_out[q0:q1] = some
        elif single and sum(retried) * _DIRECT_FLOAT64_SWITCH_SHARE <= sum(scored):
            d2_out[q0:q1], idx_out[q0:q1] = solve(scores((X32, q32), queries), queries,
                                                  q32[1], be.gemm_eps, True)
            scored.append(q1 - q0)
        else:
            # float32 could not separate a quarter of the rows scored so far
            # (heavy-tailed columns): the later strips go straight to float64
            folded = in_float64()
            d2_out[q0:q1], idx_out[q0:q1] = solve(scores(folded, queries), queries,
                                                  folded[1][1], eps64, False)
        if bar is not None:
            bar.update(q1 - q0)

    scored: list[int] = []  # rows scored in float32, per strip
    with _timing.phase("neighbours", be):
        starts = block_starts(n_q, rows)
        if len(starts) == 1 and small and n_q * n_ref * n_features > _SERIAL_STRIP_MAX_WORK:
            strip(0)  # one strip: BLAS may thread its GEMM
        else:
            with be.serial():
                strip(0)
        if len(starts) > 1:
            be.map_blocks(strip, starts[1:])
    _timing.count("direct_float64_rows", sum(retried))
    return d2_out, idx_out


def _folded(be, X, Q, centre, self_search: bool, dtype, budget: int):
    """``(X - centre)`` with -|r|^2/2 as one more column, and ``((Q - centre)``
    with 1 as one more column, squared norms of its rows)``, in ``dtype``: the
    GEMM of the two yields the scores (one pass over a strip less). The norms
    are those of the rounded values the GEMM uses."""
    xp = be.xp
    n_ref, n_features = X.shape
    Xf = xp.empty((n_ref, n_features + 1), dtype=dtype)
    xp.subtract(X, centre, out=Xf[:, :-1], casting="same_kind")  # (no temporary the size of X)
    x_sq = _row_sq_norms(be, Xf[:, :-1], budget)
    Xf[:, -1] = -0.5 * x_sq
    if self_search:
        return Xf, (xp.concatenate([Xf[:, :-1], xp.ones((n_ref, 1), dtype=dtype)], axis=1),
                    x_sq)
    Qf = xp.ones((Q.shape[0], n_features + 1), dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # reported by _query_sq_norms
        xp.subtract(Q, centre, out=Qf[:, :-1], casting="same_kind")
    return Xf, (Qf, _query_sq_norms(be, Qf[:, :-1], Q, budget))


def _query_sq_norms(be, A, Q, budget: int):
    """Squared row norms of ``A`` (the queries ``Q`` as a search scores them);
    refuses queries whose squares overflow, naming a non-finite cell of Q."""
    xp = be.xp
    with np.errstate(over="ignore", invalid="ignore"):  # reported below
        q_sq = _row_sq_norms(be, A, budget)
    if not bool(xp.isfinite(q_sq).all()):
        _check_finite(be, Q, "queries")
        raise ValueError(
            "some queries lie so far from X that their squared distances overflow "
            f"{xp.dtype(A.dtype).name}; rescale the data, or query with rows on the "
            "scale of X.")
    return q_sq


def _uncentred_suits(be, X, Q) -> bool:
    """Whether a small search scores X as it is (``_unfolded``): float64 data
    whose values lie near 0 for their range (else the rounding bound of
    uncentred scores would let many references through to be measured).
    Refuses non-finite and overflowing X."""
    xp = be.xp
    if not (X.dtype == xp.float64 and Q.dtype == xp.float64):
        return False
    top, bottom = be.to_numpy(xp.stack([X.max(), X.min()]))  # (NaN wins both)
    magnitude = float(np.max(np.abs([top, bottom])))
    _check_magnitude(magnitude)
    with np.errstate(over="ignore"):
        return magnitude <= _UNCENTRED_MAX_OFFSET * float(top - bottom)


def _unfolded(be, X, Q, self_search: bool, budget: int):
    """``(X, (Q, squared norms of Q's rows), -|r|^2/2 of X's rows)``, X and Q
    as they are: ``_direct``'s scores are then the GEMM plus the last term."""
    x_sq = _row_sq_norms(be, X, budget)
    q_sq = x_sq if self_search else _query_sq_norms(be, Q, Q, budget)
    return X, (Q, q_sq), -0.5 * x_sq


def _tree(be, X, Q, k: int, self_search: bool, budget: int, bar=None):
    """Exact k nearest neighbours on the CPU from a k-d tree's candidates.

    SciPy's cKDTree proposes the ``m = k + margin`` nearest of each query by
    its own float64 distances; they are measured exactly and ordered by
    (distance, index). A row is certified when its k-th exact distance lies
    below the tree's m-th distance (a lower bound for every reference it did
    not return) by more than the rounding of either sum of squares. The rows
    left (ties or near-ties at the k-th distance) ask the tree again for a
    wider margin, and those still left are searched directly. Data of small
    integers (one-hot, counts), where ties are the rule, do not come here.
    """
    from scipy.spatial import cKDTree

    n_ref = X.shape[0]
    n_q = Q.shape[0]
    n_avail = n_ref - (1 if self_search else 0)
    with _timing.phase("neighbours_prepare", be):
        _lean_statistics(be, X)  # refuses non-finite and overflowing values
        if not self_search and not bool(np.isfinite(Q).all()):
            _check_finite(be, Q, "queries")
        tree = cKDTree(X, copy_data=False, balanced_tree=_TREE_BALANCED)
    d2, idx, doubtful = _tree_certified(be, tree, X, Q, np.arange(n_q), k, k + _TREE_MARGIN,
                                        n_avail, self_search, budget)
    _timing.count("query_rows", n_q)
    _timing.count("tree_rows", n_q)
    if doubtful.size:
        _timing.count("doubtful_rows", doubtful.size)
        with _timing.phase("neighbours_recheck", be):
            found = _tree_certified(be, tree, X, Q, doubtful, k, k + _TREE_WIDE_MARGIN,
                                    n_avail, self_search, budget)
            d2[doubtful], idx[doubtful] = found[:2]
            doubtful = doubtful[found[2]]
            if doubtful.size:
                _timing.count("direct_recheck_rows", doubtful.size)
                d2[doubtful], idx[doubtful] = _direct(
                    be, X, Q[doubtful], k, False, budget,
                    own=doubtful if self_search else None)
    if bar is not None:
        bar.update(n_q)
    return d2, idx


def _tree_certified(be, tree, X, Q, rows, k: int, m: int, n_avail: int, self_search: bool,
                    budget: int):
    """The k nearest of queries ``rows`` (sorted, distinct) among the tree's ``m``
    nearest, measured exactly, and the positions (in ``rows``) of those not
    certified."""
    m = min(n_avail, m)
    Qr = Q if rows.size == Q.shape[0] else Q[rows]  # (all rows: no copy)
    workers = _n_threads() if rows.size >= _TREE_THREADED_MIN_QUERIES else 1
    with _timing.phase("neighbours", be):
        width = m + (1 if self_search else 0)
        dist, cand = tree.query(Qr, [*range(1, width + 1)], workers=workers)
        bound = dist[:, -1]                       # every reference not returned is this far
        if self_search:
            # drop each row itself, or the last one where more than m rows tie at 0
            is_self = cand == rows[:, None]
            drop = np.where(is_self.any(axis=1), np.argmax(is_self, axis=1), m)
            keep = np.arange(width)[None, :] != drop[:, None]
            cand = cand[keep].reshape(rows.size, m)
    with _timing.phase("neighbours_refine", be):
        d2, idx = _refine(be, X, Qr, cand, k, budget)
        if m == n_avail:
            return d2, idx, np.zeros(0, dtype=np.int64)
        # each sum of d squares is within d * eps of the true one (relative):
        # a generous margin for both, and for the tree's square root
        slack = 4 * (X.shape[1] + 4) * float(np.finfo(np.float64).eps)
        doubtful = np.flatnonzero(~(d2[:, k - 1] * (1 + slack) < bound**2 * (1 - slack)))
    return d2, idx, doubtful


def _some_high(be, S, k: int, next_one: bool, return_scores: bool = False):
    """Indices of k columns per row whose scores are among the highest and,
    when ``next_one``, the next highest score of each row (None otherwise):
    k + 1 passes of argmax for small k (highest first, the lower index first
    among equal scores), argpartition otherwise (ties in any order).
    ``return_scores`` returns the k scores instead of the next one. ``S`` is
    left as it was."""
    xp = be.xp
    n_rows, n_cols = S.shape
    n_pick = k + (1 if next_one else 0)
    if k > _DIRECT_ARGMAX_MAX_K:
        part = xp.argpartition(S, n_cols - n_pick, axis=1)[:, -n_pick:]
        vals = xp.take_along_axis(S, part, axis=1)
        order = xp.argsort(-vals, axis=1)
        part = xp.take_along_axis(part, order, axis=1)
        vals = xp.take_along_axis(vals, order, axis=1)
        if return_scores:
            return part[:, :k], vals[:, :k]
        return part[:, :k], (vals[:, k] if next_one else None)
    # flat positions into S: a 1-D gather and scatter cost half as much as a
    # 2-D (row, column) one
    if not S.flags.c_contiguous:  # (a flat view needs it; the GEMM's output is)
        S = xp.ascontiguousarray(S)
    flat_S = S.reshape(-1)
    row_start = xp.arange(0, n_rows * n_cols, n_cols)
    picked = xp.empty((n_pick, n_rows), dtype=xp.int64)
    saved = xp.empty((n_pick, n_rows), dtype=S.dtype)
    for j in range(n_pick):
        xp.add(xp.argmax(S, axis=1), row_start, out=picked[j])
        xp.take(flat_S, picked[j], out=saved[j])
        flat_S[picked[j]] = -xp.inf
    for j in reversed(range(n_pick)):
        flat_S[picked[j]] = saved[j]
    picked -= row_start
    if return_scores:
        return picked[:k].T, saved[:k].T
    return picked[:k].T, (saved[k] if next_one else None)


def _k_nearest_pairs(be, X, Q, q_rows, r, c, k: int, budget: int):
    """From pairs (local query row ``r``, reference ``c``), every row's k nearest
    by exact distance, ties to the lower index: (d2, idx) of shape (rows, k).
    Every row must have at least k pairs."""
    xp = be.xp
    n_rows = q_rows.shape[0]
    d2 = xp.empty(r.shape[0], dtype=xp.float64)
    # chunks whose differences stay in cache on a CPU (tie groups of hundreds
    # of rows measure tens of thousands of pairs)
    pairs = rows_per_block(X.shape[1] * 8 * 2, min(budget, be.refine_bytes),
                           max(r.shape[0], 1))
    for p0 in block_starts(r.shape[0], pairs):
        p1 = min(p0 + pairs, r.shape[0])
        diff = X[c[p0:p1]].astype(xp.float64, copy=False)  # (a gather: a new array)
        diff -= Q[q_rows[r[p0:p1]]]
        # (a pair's sum must not depend on its chunk: the copies of a row tie
        # exactly, and the lower index must win)
        d2[p0:p1] = be.sum_squares(diff)
    # group by row, then (distance, index) inside a row; keep the first k
    order = xp.lexsort(xp.stack([c.astype(xp.float64), d2, r.astype(xp.float64)]))
    r_sorted = r[order]
    first = xp.searchsorted(r_sorted, xp.arange(n_rows))
    rank = xp.arange(r_sorted.size) - first[r_sorted]
    keep = order[rank < k]
    return d2[keep].reshape(n_rows, k), c[keep].reshape(n_rows, k)


def _frame(be, X):
    """Centre, inverse scale, whether the search may be exact, and the dominant
    direction of the data if it has one (``_dominant_direction``).

    The centre is the per-column median of (at most) ``_CENTRE_SAMPLE``
    evenly spaced rows: one extreme value shifts a mean, and with it every
    row's rounding bound, but not a median. The scale maps the data into
    [-1, 1]. When the sampled rows are integers within ``_EXACT_MAX_ABS`` of
    an integer centre, the data are only shifted (scale 1), so that a search
    over integers stays exact (``_scaled`` then checks every row).
    """
    xp = be.xp
    centre_dev, centre, top, bottom, integral, spread, sample = _statistics(be, X)
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.rint(centre)
        if (float(np.maximum(top - rounded, rounded - bottom).max()) <= _EXACT_MAX_ABS
                and bool(integral.all())):
            return xp.rint(centre_dev), 1.0, True, None
    # (one BLAS thread: a multi-threaded call here leaves BLAS's threads spinning
    # on the cores through the threaded search that follows; a 10 000 x 30
    # self-search took 0.168 s after it, 0.138 s without)
    with be.serial():
        direction = _dominant_direction(be, sample - centre_dev)
    return centre_dev, (1.0 / spread if spread > 0 else 1.0), False, direction


def _statistics(be, X):
    """The centre of the blocked search (device and host copies), the columns'
    max and min, which sampled columns hold integers, the spread, and the
    sample; refuses non-finite values and values whose squares would overflow
    float64.

    The centre is the per-column median of (at most about) ``_CENTRE_SAMPLE``
    evenly spaced rows. Every statistic comes down in one download (one sync
    on a device, where a sync per scalar costs more than this computation).
    """
    xp = be.xp
    sample = _sample_rows(X, _CENTRE_SAMPLE)
    # in float64: the middle of two float32 values near the float32 maximum overflows
    centre_dev = xp.median(sample.astype(xp.float64, copy=False), axis=0)
    parts = [centre_dev, X.max(axis=0).astype(xp.float64), X.min(axis=0).astype(xp.float64),
             (sample == xp.rint(sample)).all(axis=0).astype(xp.float64)]
    stats = be.to_numpy(xp.stack(parts))
    centre, top, bottom, integral = stats
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        spread = float(np.maximum(top - centre, centre - bottom).max())
        magnitude = max(spread, float(np.abs(centre).max()))
    _check_magnitude(magnitude)
    return centre_dev, centre, top, bottom, integral, spread, sample


def _lean_statistics(be, X, median: bool = False):
    """The centre of a direct search and the largest distance of a value from
    it in any column (an upper bound of the spread); refuses X as
    ``_statistics`` does. The centre is the mean of X, or with ``median`` the
    per-column median of about _DIRECT_CENTRE_SAMPLE evenly spaced rows
    (robust to heavy tails, where float32 scores). Whole-array extremes and a
    matrix-vector mean: column-wise reductions of a narrow X cost more than
    the search at these sizes (segment0's 2 308 x 19: 0.14 ms for the columns'
    extremes, 0.01 ms for the array's)."""
    xp = be.xp
    n = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below
        if median:
            sample = _sample_rows(X, _DIRECT_CENTRE_SAMPLE).astype(xp.float64, copy=False)
            centre_dev = xp.median(sample, axis=0)
        else:
            centre_dev = (xp.ones(n, dtype=xp.float64) @ X.astype(xp.float64, copy=False)) / n
        # the centre and both extremes in one download
        stats = be.to_numpy(xp.concatenate([centre_dev, xp.stack([
            X.max().astype(xp.float64), X.min().astype(xp.float64)])]))
        centre, top, bottom = stats[:-2], stats[-2], stats[-1]
        # (np.max, not max: NaN must win every comparison)
        spread = float(np.max([top - centre.min(), centre.max() - bottom]))
        magnitude = float(np.max([spread, np.abs(centre).max()]))
    _check_magnitude(magnitude)
    return centre_dev, spread


def _check_magnitude(magnitude: float) -> None:
    """Refuse data whose squared distances would overflow float64 (inf or NaN:
    ``_NotFinite``, for ``kneighbors`` to name the cell)."""
    if not magnitude < _MAX_MAGNITUDE:  # also catches inf and nan
        # (X may be the distinct rows of the caller's X: ``kneighbors``
        # names the cell in the caller's rows)
        raise (ValueError if np.isfinite(magnitude) else _NotFinite)(
            f"X has values of magnitude about {magnitude:.3g}: squared distances "
            "would overflow float64. Rescale the features first, for example with "
            "sklearn.preprocessing.StandardScaler.")


class _NotFinite(ValueError):
    """A statistic of X came out inf or NaN: X may hold non-finite values."""


def _check_finite(be, A, name: str) -> None:
    """Raise, naming the first cell, when ``A`` holds NaN or infinity (run only
    once a statistic has come out non-finite: a pass over A costs time)."""
    xp = be.xp
    cell = first_non_finite(xp, A)
    if cell is None:
        return
    row, col, what = cell
    n_bad = int((~xp.isfinite(A)).sum())
    more = f" (and {n_bad - 1} more non-finite value{'s' if n_bad > 2 else ''})" if n_bad > 1 else ""
    fix = ("impute or drop the missing values first, for example with "
           "sklearn.impute.SimpleImputer" if what == "NaN"
           else "replace or drop the infinite values first")
    verb = "contain" if name == "queries" else "contains"
    raise ValueError(
        f"{name} {verb} {what} at row {row}, column {col}{more}; the neighbour search "
        f"needs finite values: {fix}.")


# Widest data whose sample covariance goes to the host for the power iteration
# (8 MiB); wider data iterates on the device.
_HOST_COVARIANCE_MAX_FEATURES = 1024


def _dominant_direction(be, S, iterations: int = 12):
    """The first principal direction (float32) of the sample's bulk (rows within
    four median norms of the centre), when it holds at least
    ``_DOMINANT_SHARE`` of the bulk's variance; else None.

    Along such a direction (a column in 1e9 next to columns in 1e-3) rows are
    far from any single centre compared with their neighbours, and the float32
    expanded form cancels; ``_candidates`` then sorts the queries along it and
    centres each block on itself. A few power iterations from the widest
    column suffice: a direction that dominates converges at once. They run on
    the bulk's d x d second-moment matrix: one GEMM on the device, then (for
    all but very wide data) a few microseconds on the host, instead of dozens
    of tiny launches and a sync per scalar.
    """
    xp = be.xp
    # the bulk's shape, not a few extreme rows': those would own the variance
    # (a 0/1 weight, not a boolean index: that would cost a sync on a device)
    norms = xp.sqrt((S * S).sum(axis=1))
    bulk = (norms <= 4 * xp.median(norms)).astype(S.dtype)
    C = (S * bulk[:, None]).T @ S
    lin = xp
    if S.shape[1] <= _HOST_COVARIANCE_MAX_FEATURES:
        C, lin = be.to_numpy(C), np
    diagonal = lin.diagonal(C)
    total = float(diagonal.sum())
    if not total > 0:
        return None
    v = lin.zeros(S.shape[1], dtype=lin.float64)
    v[int(lin.argmax(diagonal))] = 1.0
    for _ in range(iterations):
        v = C @ v
        v /= lin.sqrt(v @ v)
    if float(v @ (C @ v)) < _DOMINANT_SHARE * total:
        return None
    return be.asarray(v.astype(np.float32))


def _candidates(be, Xc, Qc, half_sq, m: int, self_search: bool, budget: int, sizes: str,
                bar=None, self_rows=None, direction=None, dtype=None, symmetric: bool = False):
    """Phase A: the best ``m`` (score, index) of each query row, block by block.

    ``self_rows``, for a re-check of a subset of a self-search, gives each
    query's own row in ``Xc`` (masked out); ``self_search`` masks the
    diagonal of a full self-search. The scores are computed in ``dtype``
    (default: Xc's).

    Each block of queries is centred on its own mean, and the references with
    it block by block, when ``half_sq`` is None or a ``direction`` is given;
    with a direction the queries are first sorted along it, so that a block's
    rows lie close together and the products stay small next to the
    distances they rank. The scores are then relative to each block's centre,
    and so are the squared query norms returned third (None otherwise).

    ``symmetric`` lets a full self-search on a backend that offers it compute
    each pair of blocks once (``_symmetric_candidates``). Only a certified
    search may: its candidates then arrive out of index order, so a score
    equal to a row's bar may be dropped in favour of a higher index, which
    certification counts as a near-tie but an exact search would get wrong.
    """
    xp = be.xp
    n_q = Qc.shape[0]
    n_ref = Xc.shape[0]
    dtype = xp.dtype(Xc.dtype if dtype is None else dtype)
    recentre = half_sq is None or direction is not None
    rows, cols = be.block_shape(n_q, n_ref, dtype.itemsize, budget)
    if recentre and be.recentred_block:
        rows, cols = min(rows, be.recentred_block), min(cols, be.recentred_block)
    if (symmetric and self_search and self_rows is None and not recentre
            and be.symmetric_self_search
            and n_q >= _SYMMETRIC_MIN_BLOCKS * min(rows, cols)):
        return _symmetric_candidates(be, Xc, half_sq, m, min(rows, cols), dtype, bar)
    min_cols = min(n_ref, m + 1)
    cols = max(cols, min_cols)
    order = ref_order = None
    if direction is not None:
        # queries sorted along the direction, and (where blocks may be skipped)
        # the references too: a block of queries then meets the reference
        # blocks nearest it first, and skips those whose gap along it passes
        # every row's bar (``_outward``)
        p_q = Qc @ direction
        order = be.argsort_stable(p_q)
        p_q = p_q[order]
        Qc = Qc[order]
        if self_search and self_rows is None:
            if be.name in _PRUNING_BACKENDS:  # X in the same order: own rows on the diagonal
                ref_order, p_ref, Xc = order, p_q, Qc
            else:
                # the references stay in index order, own rows masked by index:
                # met in sorted order, each nearer block beats every row's bar,
                # and the GPU's top-k filter merges its pool after every tile
                # (S10's search on an H100: 29.8 ms sorted, 8.6 ms without)
                self_rows = order
        else:
            if be.name in _PRUNING_BACKENDS:
                p_ref = Xc @ direction
                ref_order = be.argsort_stable(p_ref)
                p_ref, Xc = p_ref[ref_order], Xc[ref_order]
            if self_rows is not None:
                if ref_order is not None:
                    back_ref = xp.empty_like(ref_order)
                    back_ref[ref_order] = xp.arange(n_ref, dtype=ref_order.dtype)
                    self_rows = back_ref[self_rows]
                self_rows = self_rows[order]
    own_offset = self_search and self_rows is None  # the diagonal, found by offset
    prune = ref_order is not None and be.name in _PRUNING_BACKENDS
    if prune:
        # (the projections' rounding, and Xc's own, bound by the largest value)
        largest = float(xp.abs(Xc).max() if Qc is Xc
                        else xp.maximum(xp.abs(Xc).max(), xp.abs(Qc).max()))
        eps = float(xp.finfo(dtype).eps)
        gap_slack = 2 * (Xc.shape[1] + 2) * eps * largest * Xc.shape[1] ** 0.5
        v_norm = float(xp.sqrt((direction.astype(xp.float64) ** 2).sum())) * (1 + 1e-6)
    folded = None
    if not recentre and be.folds_norms:
        # -|r|^2/2 as one more reference column (and 1 as one more query
        # column): the GEMM then yields the scores, one pass less per block
        folded = xp.empty((n_ref, Xc.shape[1] + 1), dtype=dtype)
        folded[:, :-1] = Xc
        folded[:, -1] = -half_sq
    counted = 0  # rows the bar has been told of, taken back if an OOM restarts phase A

    def phase_a(rows: int, cols: int) -> list:
        nonlocal counted
        if bar is not None and counted:
            bar.update(-counted)
            counted = 0
        edges = None
        if prune:  # each reference block's first and last projection, on the host
            starts = xp.asarray(list(block_starts(n_ref, cols)))
            edges = be.to_numpy(xp.stack([p_ref[starts],
                                          p_ref[xp.minimum(starts + cols, n_ref) - 1]]))

        def search_block(q0: int):
            nonlocal counted
            q1 = min(q0 + rows, n_q)
            state = be.topk_init(q1 - q0, m, dtype)
            Q_blk = Qc[q0:q1]
            q_sq = None
            if folded is not None:
                Q_blk = xp.concatenate([Q_blk, xp.ones((q1 - q0, 1), dtype=dtype)], axis=1)
            if recentre:
                shift = Q_blk.mean(axis=0, dtype=xp.float64).astype(dtype)
                Q_blk = Q_blk.astype(dtype, copy=False) - shift
                q_sq = _row_sq_norms(be, Q_blk, budget)
            own = None if self_rows is None else self_rows[q0:q1]
            if not prune:
                visit = block_starts(n_ref, cols)
            else:
                visit = _outward(edges, cols, float(p_q[q0]), float(p_q[q1 - 1]),
                                 lambda: _block_radius(xp, state, q_sq), gap_slack, v_norm)
            for c0 in visit:
                c1 = min(c0 + cols, n_ref)
                if recentre:
                    X_blk = Xc[c0:c1].astype(dtype, copy=False) - shift
                    half = (0.5 * _row_sq_norms(be, X_blk, budget)).astype(dtype)
                elif folded is not None:
                    X_blk, half = folded[c0:c1], None
                else:
                    X_blk, half = Xc[c0:c1], half_sq[c0:c1]
                G = Q_blk @ X_blk.T
                if own is not None:
                    _mask_columns(xp, G, own - c0)
                be.topk_update(state, G, half, c0, (q0 - c0) if own_offset else None)
            if bar is not None:
                bar.update(q1 - q0)
                counted += q1 - q0
            return be.topk_result(state) + (q_sq,)

        return be.map_blocks(search_block, block_starts(n_q, rows))

    parts = _shrink_on_oom(be, phase_a, rows, cols, min_cols, sizes)
    score = xp.concatenate([p[0] for p in parts])
    cand = xp.concatenate([p[1] for p in parts])
    q_sq = xp.concatenate([p[2] for p in parts]) if recentre else None
    if order is None:
        return score, cand, q_sq
    if ref_order is not None:
        cand = xp.where(cand >= 0, ref_order[cand], cand)
    back = xp.empty_like(order)
    back[order] = xp.arange(n_q, dtype=order.dtype)
    return score[back], cand[back], q_sq[back]


def _outward(edges, cols: int, low: float, high: float, radius, slack: float,
             v_norm: float):
    """Starts of the reference blocks (sorted along the direction; ``edges``
    holds each block's first and last projection) from the one nearest the
    query block's range [low, high] outwards, each side until a block's gap
    along the direction exceeds ``radius()``: no row of the query block can
    then have a neighbour there or beyond (a distance is at least the gap of
    the projections over |v|, less the rounding of both, ``slack`` each).
    ``radius`` is asked again before each block, as the bars rise."""
    first, last = edges
    n_blocks = first.shape[0]
    middle = int(np.searchsorted(last, 0.5 * (low + high)))
    right = min(middle, n_blocks - 1)
    left = right - 1
    while right < n_blocks or left >= 0:
        reach = radius() * v_norm + 2 * slack
        if right < n_blocks and first[right] - high <= reach:
            yield right * cols
            right += 1
        else:
            right = n_blocks
        if left >= 0 and low - last[left] <= reach:
            yield left * cols
            left -= 1
        else:
            left = -1


def _block_radius(xp, state, q_sq) -> float:
    """The largest distance, over a block's query rows, that the row's bar (its
    m-th best score so far) stands for: sqrt(|q|^2 - 2 bar), in the block's own
    centre, whose squared query norms are ``q_sq``; infinite while a row has
    fewer than m candidates.

    Skipping references at least this far is exact even though the bar is a
    rounded score: such a reference scores, exactly, no better than the bar,
    so no better than the final bar, and ``_certified`` accepts a row only
    when every reference scoring below the final bar (by the rounding bound)
    is farther than its k-th neighbour."""
    d2 = q_sq - 2 * state.score.min(axis=1).astype(xp.float64)
    return float(xp.sqrt(xp.maximum(d2.max(), 0)))


def _symmetric_candidates(be, Xc, half_sq, m: int, size: int, dtype, bar=None):
    """Phase A of a full self-search, each pair of blocks computed once.

    The scores ``x_i . x_j - |x_i|^2/2 - |x_j|^2/2`` (minus half the squared
    distance) are symmetric, so one GEMM block serves block I's rows and,
    read by columns, block J's: half the GEMM work of the full square. Both
    norms are folded into the GEMM as two more columns. The rounding of these
    scores stays within the bound ``_certified`` uses for the one-sided form
    (every term is at most ``(|q| + |r|)^2 / 2``). The diagonal blocks go
    first, so that every block's rows have a bar before any column update;
    the rest run row of blocks by row of blocks on every core. Returns the
    one-sided scores of ``_candidates`` (``+ |x_i|^2/2``).
    """
    xp = be.xp
    n, d = Xc.shape
    left = xp.empty((n, d + 2), dtype=dtype)  # [x, -|x|^2/2, 1]
    left[:, :d] = Xc
    left[:, d] = -half_sq
    left[:, d + 1] = 1
    right = left[:, [*range(d), d + 1, d]]    # [x, 1, -|x|^2/2]
    # every diagonal block must seed m candidates per row (size >= m + 1): a
    # short last block joins the one before it
    size = max(size, m + 1)
    starts = list(block_starts(n, size))
    if len(starts) > 1 and n - starts[-1] < m + 1:
        starts.pop()
    ends = starts[1:] + [n]
    states = [be.topk_init(r1 - r0, m, dtype) for r0, r1 in zip(starts, ends)]
    lock = threading.Lock()
    pairs_done = 0
    rows_told = 0

    def diagonal(b: int) -> None:
        r0, r1 = starts[b], ends[b]
        be.topk_update(states[b], left[r0:r1] @ right[r0:r1].T, None, r0, 0)

    def row_of_blocks(b: int) -> None:
        nonlocal pairs_done, rows_told
        r0 = starts[b]
        L = left[r0:ends[b]]
        for c in range(b + 1, len(starts)):
            c0 = starts[c]
            S = L @ right[c0:ends[c]].T
            be.topk_update(states[b], S, None, c0, None)
            be.topk_update_columns(states[c], S, r0)
        if bar is not None:
            # the rows finish together at the end: tell the bar the share of pairs done
            with lock:
                pairs_done += len(starts) - b - 1
                rows = n * pairs_done // n_pairs
                bar.update(rows - rows_told)
                rows_told = rows

    n_pairs = max(1, len(starts) * (len(starts) - 1) // 2)
    be.map_blocks(diagonal, range(len(starts)))
    be.map_blocks(row_of_blocks, range(len(starts) - 1))
    if bar is not None and rows_told < n:
        bar.update(n - rows_told)
    parts = [be.topk_result(state) for state in states]
    score = xp.concatenate([p[0] for p in parts])
    score += half_sq[:, None]
    return score, xp.concatenate([p[1] for p in parts]), None


def _mask_columns(xp, G, local) -> None:
    """Give column ``local[i]`` of row i a score of -inf where it lies in the block."""
    inside = xp.flatnonzero((local >= 0) & (local < G.shape[1]))
    G[inside, local[inside]] = -xp.inf


def _certified(be, score, d2, q_sq, inv_scale: float, eps: float, n_features: int, k: int):
    """Rows whose k-th exact neighbour provably beats every non-candidate.

    Everything is in the scaled units of the search. A reference r competes
    with the k-th neighbour only if |q - r| <= dist_k, so |r| <= |q| + dist_k:
    any farther one is beaten exactly, whatever the rounding. The rounding
    bound of the expanded form is therefore taken at that radius, per row,
    not at the largest norm in the data: one outlier or a heavy-tailed column
    must not make every row look doubtful.
    """
    xp = be.xp
    t_k, err = _kth_and_margin(xp, d2[:, k - 1], q_sq, inv_scale, eps, n_features)
    s_worst = -score.min(axis=1).astype(xp.float64)     # every non-candidate is >= this
    return t_k + 2 * err < s_worst


def _kth_and_margin(xp, d2k, q_sq, inv_scale: float, eps: float, n_features: int):
    """The exact k-th distance in (negated) score units, and the rounding bound of
    a score at the radius ``|q| + dist_k`` (see ``_certified``)."""
    radius = (xp.sqrt(q_sq) + xp.sqrt(d2k) * inv_scale) * (1 + 8 * eps)
    err = (n_features + 8) * eps * (xp.sqrt(q_sq) + radius) ** 2
    return 0.5 * (d2k * inv_scale**2 - q_sq), err


def _recheck(be, X, Q, Xc, Qc, half_sq, q_sq, inv_scale: float, doubtful,
             d2, idx, k: int, m: int, self_search: bool, budget: int) -> None:
    """Doubtful rows, searched again: first in float64 by the same blocked
    GEMM and top-k (a rounding unit 2**29 times finer certifies all but true
    near-ties), then exhaustively for whatever is still doubtful. Writes the
    answers into ``d2`` and ``idx``."""
    xp = be.xp
    n_features = X.shape[1]
    _timing.count("doubtful_rows", int(doubtful.size))
    # each block of doubtful queries is centred on its own mean, in float64,
    # and the references with it block by block: no float64 copy of X
    Q_doubt = Q[doubtful]
    score64, cand64, q64_sq = _candidates(
        be, X, Q_doubt, None, m, False, budget,
        f"{doubtful.size} doubtful queries x {X.shape[0]} references",
        self_rows=doubtful if self_search else None, dtype=xp.float64)
    d2_64, idx_64 = _refine(be, X, Q_doubt, cand64, k, budget)
    ok = _certified(be, score64, d2_64, q64_sq, 1.0, float(np.finfo(np.float64).eps),
                    n_features, k)
    d2[doubtful] = d2_64
    idx[doubtful] = idx_64
    still = doubtful[~ok]
    if still.size:
        _timing.count("exhaustive_rows", int(still.size))
        # the float32 bound, at that row's certified radius: no reference
        # scoring below it can be among the k nearest
        t_k, err = _kth_and_margin(xp, d2[still, k - 1], q_sq[still], inv_scale,
                                   be.gemm_eps, n_features)
        d2_fix, idx_fix = _exhaustive(be, X, Q, Xc, Qc, half_sq, still, -(t_k + 2 * err), k,
                                      self_search, budget)
        d2[still] = d2_fix
        idx[still] = idx_fix


def _row_sq_norms(be, A, budget: int):
    """Squared row norms in float64, chunk by chunk."""
    xp = be.xp
    out = xp.empty(A.shape[0], dtype=xp.float64)
    chunk = rows_per_block(A.shape[1] * 8, min(budget, be.refine_bytes * 4), A.shape[0])
    for r0 in block_starts(A.shape[0], chunk):
        block = A[r0:r0 + chunk].astype(xp.float64, copy=False)
        out[r0:r0 + chunk] = xp.einsum("ij,ij->i", block, block)
    return out


def _shrink_on_oom(be, run, rows: int, cols: int, min_cols: int, sizes: str):
    """``run(rows, cols)``; on the backend's out-of-memory error, halve the block
    (its larger side) and retry, down to 1 row x ``min_cols`` columns; then fail
    with the sizes. Backends without ``oom_errors`` (NumPy) run once."""
    oom = getattr(be, "oom_errors", ())
    while True:
        try:
            return run(rows, cols)
        except oom as exc:
            release = getattr(be, "release_memory", None)
            if release is not None:
                release()
            if rows <= 1 and cols <= min_cols:
                free = be.free_bytes()
                raise MemoryError(
                    f"{be.name} backend ran out of memory on the neighbour search "
                    f"({sizes}) even with blocks of 1 query x {cols} references; "
                    f"{'' if free is None else f'{free / 2**20:.0f} MiB are free. '}"
                    "Free device memory (other processes, cached arrays) or pass "
                    "backend='numpy'."
                ) from exc
            if rows > 1 and (rows >= cols or cols <= min_cols):
                rows = max(1, rows // 2)
            else:
                cols = max(min_cols, cols // 2)


def _scaled(be, A, centre, inv_scale: float, budget: int, check_integers: bool = False):
    """float32 copy of ``(A - centre) * inv_scale``, the float64 squared norms of
    its (float32) rows, and, when ``check_integers``, whether every value is
    an integer (``_frame`` only looked at a sample). Chunk by chunk: no
    full-size float64 temporary (CuPy's einsum would cast whole operands)."""
    xp = be.xp
    out = xp.empty(A.shape, dtype=xp.float32)
    sq_norms = xp.empty(A.shape[0], dtype=xp.float64)
    chunk = rows_per_block(A.shape[1] * 8 * 3, min(budget, be.refine_bytes * 4), A.shape[0])
    integers = check_integers
    for r0 in block_starts(A.shape[0], chunk):
        block = A[r0:r0 + chunk] - centre
        block *= inv_scale
        if integers:
            integers = bool((block == xp.rint(block)).all())
        out[r0:r0 + chunk] = block
        block[...] = out[r0:r0 + chunk]  # the rounded values the search will use
        sq_norms[r0:r0 + chunk] = xp.einsum("ij,ij->i", block, block)
    return out, sq_norms, integers


def _exact_d2(xp, X, Q, q_rows, ref_idx):
    """Exact squared distances between Q[q_rows[i]] and X[ref_idx[i, j]] in float64
    (``q_rows=slice(None)``: every row of Q, in order)."""
    # the gather is a new array: subtracted in place (NumPy's broadcast
    # subtraction into a new (rows, k, d) array took ten times as long)
    diff = X[ref_idx].astype(xp.float64, copy=False)
    diff -= Q[q_rows][:, None, :]
    return xp.einsum("ijk,ijk->ij", diff, diff)


def _order_by_distance(be, d2, idx):
    """Sort each row by (distance, index): ties go to the lower index."""
    xp = be.xp
    order = be.argsort_rows_by(d2, idx)
    return xp.take_along_axis(d2, order, axis=1), xp.take_along_axis(idx, order, axis=1)


def _refine(be, X, Q, cand, k: int, budget: int):
    xp = be.xp
    n_q, m = cand.shape
    # the float64 differences of a chunk: within budget, and within cache on CPU
    chunk = rows_per_block(m * X.shape[1] * 8, min(budget, be.refine_candidates_bytes), n_q)
    d2_out = xp.empty((n_q, k), dtype=xp.float64)
    idx_out = xp.empty((n_q, k), dtype=xp.int64)

    def refine_chunk(r0: int) -> None:
        r1 = min(r0 + chunk, n_q)
        rows = xp.arange(r0, r1)
        d2, idx = _order_by_distance(be, _exact_d2(xp, X, Q, rows, cand[r0:r1]),
                                     cand[r0:r1])
        d2_out[r0:r1] = d2[:, :k]
        idx_out[r0:r1] = idx[:, :k]

    be.map_blocks(refine_chunk, block_starts(n_q, chunk))
    return d2_out, idx_out


def _exhaustive(be, X, Q, Xc, Qc, half_sq, q_rows, limit, k: int, self_search: bool,
                budget: int):
    """Exact k-NN for ``q_rows``: every reference whose score reaches ``limit``
    (all that could be among the k nearest) is measured exactly."""
    xp = be.xp
    n_ref, n_features = X.shape
    n_rows = q_rows.shape[0]
    rows_blk, cols = be.block_shape(n_rows, n_ref, 4, budget)
    # A query row may match every reference (all duplicates): size the chunk so
    # that even then its hits (row, column, distance: 24 bytes each) fit.
    # two chunks may be in flight at once (threads on the CPU)
    chunk = max(1, min(rows_blk, budget // (n_ref * 24 * 2)))
    d2_out = xp.empty((n_rows, k), dtype=xp.float64)
    idx_out = xp.empty((n_rows, k), dtype=xp.int64)

    def solve_chunk(r0: int) -> None:
        r1 = min(r0 + chunk, n_rows)
        rows = q_rows[r0:r1]
        Q_blk = Qc[rows]
        hit_rows, hit_cols = [], []
        for c0 in block_starts(n_ref, cols):
            c1 = min(c0 + cols, n_ref)
            G = Q_blk @ Xc[c0:c1].T
            G -= half_sq[c0:c1]
            if self_search:
                local = rows - c0
                inside = xp.flatnonzero((local >= 0) & (local < c1 - c0))
                G[inside, local[inside]] = -xp.inf
            r, c = xp.nonzero(G >= limit[r0:r1, None])
            hit_rows.append(r)
            hit_cols.append(c + c0)
        r, c = xp.concatenate(hit_rows), xp.concatenate(hit_cols)
        d2_out[r0:r1], idx_out[r0:r1] = _k_nearest_pairs(be, X, Q, rows, r, c, k, budget)

    be.map_blocks(solve_chunk, block_starts(n_rows, chunk))
    return d2_out, idx_out
