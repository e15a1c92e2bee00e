"""Exact k nearest neighbours under SMOTE-NC's mixed distance, from integer codes.

imbalanced-learn measures SMOTE-NC distances on the numeric columns plus a
one-hot encoding of the categorical ones whose entries are ``median_std /
sqrt(2)``, so each categorical mismatch adds ``median_std ** 2``::

    d(a, b)^2 = |a_num - b_num|^2 + w * #{j : a_cat[j] != b_cat[j]}     w = median_std^2

With thousands of categories per column that one-hot matrix is what runs out
of memory. Here the categories stay integer codes. A category match lowers the
distance by ``w``, so, per query block against every row of the class::

    score = |q|^2 + |r|^2 - 2 q.r           numeric columns only, but q.r from
            - w * (frequent matches)        one GEMM with one-hot columns of the
                                            few frequent categories at sqrt(w / 2)
            - w * (rare matches)            scattered: rows of the same rare
                                            category, found in the sorted codes

``score + w * n_categorical`` is the squared distance up to the expanded form's
rounding. A category is frequent when more than 1/64 of the class holds it (at
most 64 per column), so the scattered matches are at most 1/64 of the pairs.
Every row whose score is within twice the rounding bound of the k-th smallest
is then measured exactly (float64 differences and mismatch counts) and the k
nearest are kept, ties to the lower row index: exact by construction, as the
engine's direct path. Temporaries are blocks within ``working_memory``.
"""

from __future__ import annotations

import numpy as np

from ._blocking import block_starts, rows_per_block

__all__ = ["mixed_kneighbors"]

# A category held by more than this share of the class is one-hot in the GEMM;
# rarer ones are matched through the sorted codes.
_FREQUENT_SHARE = 1 / 64
# Column groups per neighbour asked for in the bound on the k-th score
# (``_kth_bound``): more groups, a tighter bound and fewer candidates.
_GROUPS_PER_K = 8
# Bytes per (query, reference) pair of a block: the float64 score of a retry,
# the float32 one, and slack for the group minima and the scattered matches.
_PAIR_BYTES = 8 + 4 + 4
# A block whose float32 scores leave more candidates per row than this many
# times k (values too far apart for float32 to separate) is scored in float64.
_CANDIDATES_PER_K = 16


def mixed_kneighbors(be, numeric, codes, weight: float, k: int, budget: int, bar=None):
    """The ``k`` nearest other rows of every row, under the mixed distance.

    Parameters
    ----------
    be : backend
    numeric : (n, d) float array on the backend (d may be 0)
    codes : (n, c) integer array on the backend, the categorical columns' codes
    weight : float
        What one categorical mismatch adds to the squared distance (``median_std ** 2``).
    k : int
        Neighbours per row (``k < n``); a row is never its own neighbour.
    budget : int
        Bytes for one block's temporaries.

    Returns
    -------
    (n, k) int64 array of row indices, nearest first, ties to the lower index.
    """
    xp = be.xp
    n = int(codes.shape[0])
    num = xp.asarray(numeric, dtype=xp.float64)
    codes = xp.asarray(codes)
    weight = float(weight)
    frames = _Frame.build(be, num, codes, weight)
    out = xp.empty((n, k), dtype=xp.int64)
    block = rows_per_block(n * _PAIR_BYTES, budget, n)
    for q0 in block_starts(n, block):
        q1 = min(q0 + block, n)
        for frame in frames:  # float32 first; float64 when float32 cannot separate
            rows, refs = frame.candidates(be, q0, q1, k)
            if rows.shape[0] <= _CANDIDATES_PER_K * k * (q1 - q0) or frame is frames[-1]:
                break
        out[q0:q1] = _nearest_exact(be, num, codes, weight, rows, refs, q0, q1 - q0, k, budget)
        if bar is not None:
            bar.update(q1 - q0)
    return out


def _groups(n: int, k: int) -> int:
    """How many column groups ``_kth_bound`` splits a row of ``n`` scores into."""
    return min(_GROUPS_PER_K * k, n // 2)


def _kth_bound(xp, score, k: int):
    """Per row, a value at least the k-th smallest score and close to it, and the
    group minima it came from: the k-th smallest of the minima of ``_groups``
    equal column groups (k of those minima are k distinct entries of the row;
    the last few columns are a group of their own). One reducing pass instead of
    a partition of every row, which costs five times as much."""
    b, n = score.shape
    groups = _groups(n, k)
    if groups <= k:  # a handful of columns: every column its own group
        return xp.partition(score, k - 1, axis=1)[:, k - 1], score, n
    width = n // groups
    minima = score[:, :groups * width].reshape(b, groups, width).min(axis=2)
    if groups * width < n:
        minima = xp.concatenate([minima, score[:, groups * width:].min(axis=1)[:, None]],
                                axis=1)
    return xp.partition(minima, k - 1, axis=1)[:, k - 1], minima, groups * width


def _below(xp, score, minima, full: int, limit):
    """(row, column) of the scores at most ``limit`` (per row), reading only the
    groups whose minimum is: a few per row. ``full`` columns make the equal
    groups, the rest one more. In no particular order."""
    b, n = score.shape
    g_rows, g_cols = xp.nonzero(minima <= limit[:, None])
    width = full // (minima.shape[1] - (1 if full < n else 0))
    tail = g_cols * width >= full  # the remainder group: read column by column
    main = ~tail
    g_rows_m, g_cols_m = g_rows[main], g_cols[main]
    cells = score[:, :full].reshape(b, -1, width)[g_rows_m, g_cols_m]
    hit, offset = xp.nonzero(cells <= limit[g_rows_m][:, None])
    rows, cols = g_rows_m[hit], g_cols_m[hit] * width + offset
    if full < n and bool(tail.any()):
        t_rows = g_rows[tail]
        t_hit, t_off = xp.nonzero(score[t_rows, full:] <= limit[t_rows][:, None])
        rows = xp.concatenate([rows, t_rows[t_hit]])
        cols = xp.concatenate([cols, full + t_off])
    return rows, cols


class _Frame:
    """The class's rows as the GEMM and the scattered matches read them, in one
    float dtype: ``left[q] @ right[r]`` is the score of the pair (q, r)."""

    # Scores past this size are kept out of float32 (its products would overflow).
    FLOAT32_MAX_SQ = 1e30

    def __init__(self, left, right, ext_sq, eps: float, weight: float, n_cat: int, rare):
        self.left = left      # [-2 ext, |num|^2, 1]: ext is centred numeric + frequent one-hot
        self.right = right    # [ext, 1, |num|^2]
        self.ext_sq = ext_sq  # |ext row|^2 (float64), for the rounding bound
        self.eps = eps        # relative rounding bound of a score in this dtype
        self.weight = weight
        self.n_cat = n_cat
        self.rare = rare      # per column with rare categories: (local codes, rows by
                              # category, first position of each, rare counts)

    @classmethod
    def build(cls, be, num, codes, weight: float) -> list:
        """Frames to score with: float32 first where its range allows, then float64."""
        xp = be.xp
        n, c = codes.shape
        centred = num - num.mean(axis=0) if num.shape[1] else num
        parts, rare = [centred], []
        scale = np.sqrt(weight / 2)
        for j in range(c if weight > 0 else 0):  # no weight: categories do not count
            values, local, counts = xp.unique(codes[:, j], return_inverse=True,
                                              return_counts=True)
            local = local.reshape(-1)
            frequent = counts > n * _FREQUENT_SHARE
            slot = xp.cumsum(frequent) - 1  # frequent category -> its one-hot column
            n_frequent = int(frequent.sum())
            if n_frequent:
                onehot = xp.zeros((n, n_frequent), dtype=xp.float64)
                hot = frequent[local]
                onehot[xp.nonzero(hot)[0], slot[local[hot]]] = scale
                parts.append(onehot)
            if n_frequent < values.shape[0]:
                order = be.argsort_stable(local)  # rows grouped by category, in row order
                first = xp.cumsum(counts) - counts
                rare.append((local, order, first, xp.where(frequent, 0, counts)))
        ext = xp.concatenate(parts, axis=1) if len(parts) > 1 else centred
        # the one-hot part enters through the product only (w/2 per shared frequent
        # category, doubled): each row's own one-hot norm is the same for every
        # reference of a query and would rank rows with rare categories apart
        sq = (centred * centred).sum(axis=1)[:, None]
        ones = xp.ones_like(sq)
        left = xp.concatenate([-2.0 * ext, sq, ones], axis=1)
        right = xp.concatenate([ext, ones, sq], axis=1)
        ext_sq = (ext * ext).sum(axis=1)
        # |fl(score) - score| <= eps * (|q_ext|^2 + |r_ext|^2 + c w): the GEMM's
        # terms, their rounding to the dtype, the scattered subtractions, the centring
        terms = ext.shape[1] + len(rare) + 16
        frames = []
        top = float(ext_sq.max()) if n else 0.0
        if top * 4 < cls.FLOAT32_MAX_SQ:
            frames.append(cls(left.astype(xp.float32), right.astype(xp.float32), ext_sq,
                              terms * 2.0**-23, weight, c, rare))
        frames.append(cls(left, right, ext_sq, terms * 2.0**-52, weight, c, rare))
        return frames

    def scores(self, be, q0: int, q1: int):
        """(q1 - q0, n) scores: the squared distance less ``w * n_categorical``."""
        xp = be.xp
        score = self.left[q0:q1] @ self.right.T
        for local, order, first, counts in self.rare:
            q_local = local[q0:q1]
            per_row = counts[q_local]
            total = int(per_row.sum())
            if not total:
                continue
            rows = be.repeat_rows(per_row, total)
            start = xp.cumsum(per_row) - per_row
            refs = order[first[q_local][rows] + xp.arange(total) - start[rows]]
            # one (row, ref) pair per match: plain fancy assignment is exact
            score[rows, refs] -= score.dtype.type(self.weight)
        return score

    def candidates(self, be, q0: int, q1: int, k: int):
        """The pairs (block row, reference) that may be among each row's k nearest."""
        xp = be.xp
        score = self.scores(be, q0, q1)
        local = xp.arange(q1 - q0)
        score[local, local + q0] = xp.inf  # a row is not its own neighbour
        kth, minima, full = _kth_bound(xp, score, k)
        bound = self.eps * (self.ext_sq[q0:q1] + self.ext_sq.max() + self.n_cat * self.weight)
        limit = (kth + 2 * bound).astype(score.dtype)
        # one unit up: the cast to the score's dtype may have rounded down
        limit = xp.nextafter(limit, xp.asarray(xp.inf, dtype=score.dtype))
        return _below(xp, score, minima, full, limit)


def _nearest_exact(be, num, codes, weight, rows, refs, q0: int, n_rows: int, k: int,
                   budget: int):
    """The k nearest of each row's candidates by exact distance, ties to the lower index.

    ``rows`` (block-local) and ``refs`` list the candidate pairs, in any order."""
    xp = be.xp
    d2 = xp.empty(rows.shape[0], dtype=xp.float64)
    width = num.shape[1] + codes.shape[1]
    chunk = rows_per_block((width + 2) * 8, budget, max(int(rows.shape[0]), 1))
    for s in block_starts(int(rows.shape[0]), chunk):
        r, c = rows[s:s + chunk] + q0, refs[s:s + chunk]
        diff = num[c] - num[r]
        d2[s:s + chunk] = (diff * diff).sum(axis=1)
        if weight > 0:
            d2[s:s + chunk] += weight * (codes[c] != codes[r]).sum(axis=1)
    # stable sorts by reference, then distance, then row: each row's candidates
    # ordered by (distance, index)
    order = be.argsort_stable(refs)
    order = order[be.argsort_stable(d2[order])]
    order = order[be.argsort_stable(rows[order])]
    counts = xp.bincount(rows, minlength=n_rows)
    first = xp.cumsum(counts) - counts
    take = first[:, None] + xp.arange(k)[None, :]
    return refs[order[take]]
