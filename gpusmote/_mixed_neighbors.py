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
# Bytes per (query, reference) pair of a block: the score (float64), its
# partition copy, the candidate mask and slack for the scattered matches.
_PAIR_BYTES = 8 + 8 + 1 + 7


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
    frame = _Frame.build(be, num, codes, weight)
    out = xp.empty((n, k), dtype=xp.int64)
    block = rows_per_block(n * _PAIR_BYTES, budget, n)
    for q0 in block_starts(n, block):
        q1 = min(q0 + block, n)
        score = frame.scores(be, q0, q1)
        local = xp.arange(q1 - q0)
        score[local, local + q0] = xp.inf  # a row is not its own neighbour
        kth = xp.partition(score, k - 1, axis=1)[:, k - 1]
        slack = 2 * frame.bound(q0, q1)
        rows, refs = xp.nonzero(score <= (kth + slack)[:, None])
        del score
        out[q0:q1] = _nearest_exact(be, num, codes, weight, rows, refs, q0, q1 - q0, k, budget)
        if bar is not None:
            bar.update(q1 - q0)
    return out


class _Frame:
    """The class's rows as the GEMM and the scattered matches read them."""

    def __init__(self, ext, sq, ext_sq, eps, weight, rare):
        self.ext = ext            # (n, d + frequent one-hot columns), centred
        self.sq = sq              # |numeric row|^2, centred
        self.ext_sq = ext_sq      # |ext row|^2, for the rounding bound
        self.eps = eps            # relative rounding bound of a score
        self.weight = weight
        self.rare = rare          # per column: (sorted rows, first, count, is_rare) or None

    @classmethod
    def build(cls, be, num, codes, weight: float):
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
        sq = (centred * centred).sum(axis=1)
        # |fl(score) - score| <= eps * (|q_ext|^2 + |r_ext|^2), with room for the
        # centring and the scattered subtractions
        eps = (ext.shape[1] + len(rare) + 16) * 2.0**-52
        return cls(ext, sq, (ext * ext).sum(axis=1), eps, weight, rare)

    def scores(self, be, q0: int, q1: int):
        """(q1 - q0, n) scores: the squared distance less ``w * n_categorical``."""
        xp = be.xp
        score = self.ext[q0:q1] @ self.ext.T
        score *= -2.0
        score += self.sq[q0:q1, None]
        score += self.sq[None, :]
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
            score[rows, refs] -= self.weight
        return score

    def bound(self, q0: int, q1: int):
        """Per query row, how far a score may be from its exact value."""
        return self.eps * (self.ext_sq[q0:q1] + self.ext_sq.max() + self.weight)


def _nearest_exact(be, num, codes, weight, rows, refs, q0: int, n_rows: int, k: int,
                   budget: int):
    """The k nearest of each row's candidates by exact distance, ties to the lower index.

    ``rows`` (block-local) and ``refs`` list the candidate pairs in row-major order."""
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
    # pairs come ordered by (row, ref): a stable sort by distance, then by row,
    # orders each row's candidates by (distance, index)
    order = be.argsort_stable(d2)
    order = order[be.argsort_stable(rows[order])]
    counts = xp.bincount(rows, minlength=n_rows)
    first = xp.cumsum(counts) - counts
    take = first[:, None] + xp.arange(k)[None, :]
    return refs[order[take]]
