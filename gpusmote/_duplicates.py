"""Exact duplicate rows, collapsed before a neighbour search and expanded after.

Repeated rows (the same card, merchant and amount) are ties of distance 0; a
group larger than the candidates kept per row defeats any top-k filter and
sends every copy to the exhaustive re-check. Searching the distinct rows
instead, then handing each row the lowest-index members of its nearest
groups, gives the same answer as a search over all rows, ties included:

* distinct rows are ordered by their lowest member index, so the search's own
  tie rule (lower index first) orders tied groups by their lowest member;
* the ``t`` lowest indices among tied groups all lie in the first ``t`` of
  those groups in that order (a group holding one of them has its lowest
  member at or below it), so ``k`` nearest groups, and at most ``k + 1``
  members of each, always contain the ``k`` (or ``k + 1``) nearest rows.

Written once against ``be.xp``: the same code runs on NumPy and CuPy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ._blocking import block_starts, rows_per_block


@dataclass
class Groups:
    """Rows of X grouped by exact equality.

    ``first`` holds each group's lowest row index, ascending (so group ``g``
    is distinct row ``g``); ``label`` maps every row to its group;
    ``members`` lists rows by (group, index) and group ``g``'s members are
    ``members[start[g]:start[g] + count[g]]``.
    """

    first: object
    label: object
    members: object
    start: object
    count: object

    @property
    def n_groups(self) -> int:
        return int(self.first.shape[0])


@functools.lru_cache(maxsize=16)
def _hash_weights(d: int, dtype) -> np.ndarray:
    """A fixed random projection of rows of ``d`` features (made once: a new
    generator costs more than hashing a small X)."""
    return np.random.default_rng(0x5EED).standard_normal(d).astype(dtype)


def find_groups(be, X, budget: int) -> Groups | None:
    """Exact duplicate groups of the rows of ``X``, or None when every row is distinct.

    Rows are hashed (a random projection, exact arithmetic not needed), sorted
    by hash, and neighbours in that order are compared exactly. Rows whose
    projections differ only by rounding, or only in the hash bits the sort
    gives up to the row index (``_by_key_then_row``), are then simply not
    merged: a missed duplicate costs speed, never correctness.
    """
    xp = be.xp
    n, d = X.shape
    if n < 2:
        return None
    h = X @ be.asarray(_hash_weights(d, X.dtype))
    # (equal hashes have equal bits, and only their adjacency matters)
    order = _by_key_then_row(xp, h.astype(xp.float64).view(xp.uint64), n)
    h_sorted = h[order]
    maybe = xp.flatnonzero(h_sorted[1:] == h_sorted[:-1]) + 1
    if maybe.size == 0:
        return None
    same = xp.zeros(n, dtype=bool)        # same[i]: sorted row i equals sorted row i - 1
    chunk = rows_per_block(d * X.itemsize * 2, budget, maybe.shape[0])
    for p0 in block_starts(maybe.shape[0], chunk):
        pos = maybe[p0:p0 + chunk]
        same[pos] = (X[order[pos]] == X[order[pos - 1]]).all(axis=1)
    if not bool(same.any()):
        return None
    # runs of equal rows in hash order are the groups (each run in row order,
    # so it starts at its lowest index); relabel them by that lowest member:
    # the runs' first rows are distinct, so their ranks come from a count
    run = xp.cumsum(~same) - 1
    run_first = order[xp.flatnonzero(~same)]
    is_first = xp.zeros(n, dtype=xp.int64)
    is_first[run_first] = 1
    rank = xp.cumsum(is_first) - 1        # rank[r]: how many runs start below row r
    label = xp.empty(n, dtype=xp.int64)
    label[order] = rank[run_first][run]
    n_runs = int(run_first.shape[0])
    # by group, ascending index inside each (label and row share 64 bits)
    row_bits = _row_bits(n)
    members = (_by_key_then_row(xp, label.astype(xp.uint64) << xp.uint64(row_bits), n)
               if 2 * row_bits <= 64 else be.argsort_stable(label))
    count = xp.bincount(label, minlength=n_runs)
    start = xp.cumsum(count) - count
    return Groups(first=xp.flatnonzero(is_first), label=label, members=members,
                  start=start, count=count)


def _row_bits(n: int) -> int:
    return max(1, (n - 1).bit_length())


def _by_key_then_row(xp, key, n: int):
    """Row indices ordered by ``key``'s high bits, then by row: the row takes
    the key's lowest ``_row_bits(n)`` bits, and one sort of the packed values
    does it (on the CPU a SIMD sort; a stable argsort of 5 000 floats costs
    five times as much where its branches cannot be learnt). Exact for keys
    whose low bits are zero. ``key`` (uint64) is overwritten."""
    low = xp.uint64((1 << _row_bits(n)) - 1)
    xp.bitwise_and(key, ~low, out=key)
    xp.bitwise_or(key, xp.arange(n, dtype=xp.uint64), out=key)
    key.sort()
    xp.bitwise_and(key, low, out=key)
    return key.view(xp.int64)


def first_members(be, groups: Groups, width: int, pad: int):
    """(n_groups, width): each group's ``width`` lowest row indices, ``pad`` after the last."""
    xp = be.xp
    j = xp.arange(width, dtype=xp.int64)
    pos = groups.start[:, None] + j
    inside = j < groups.count[:, None]
    return xp.where(inside, groups.members[xp.minimum(pos, groups.members.shape[0] - 1)], pad)


def expand(be, groups: Groups, d2_groups, nn_groups, k: int, n_rows: int, query_labels,
           order_by_distance, budget: int):
    """Row-level k nearest from a search over the distinct rows.

    ``d2_groups`` / ``nn_groups`` are the squared distances and group indices
    of the nearest groups of each query (one query per distinct row for a
    self-search, whose group is then excluded from its own result). For a
    self-search ``query_labels`` is ``groups.label`` and each row's own copies
    come first, at distance 0; otherwise ``query_labels`` is None and every
    query is its own row of ``d2_groups``.
    """
    xp = be.xp
    self_search = query_labels is not None
    keep = k + 1 if self_search else k        # a self-search drops the row itself later
    pad = n_rows                              # sorts after every real index
    n_q, k_g = nn_groups.shape
    d2_out = xp.empty((n_q, keep), dtype=xp.float64)
    idx_out = xp.empty((n_q, keep), dtype=xp.int64)
    # Queries whose own group (self-search) and nearest groups are single rows,
    # most of them where copies are few: their answer is the groups' own, in
    # the search's order. Only the others are expanded and sorted.
    own_width = 1 if self_search else 0
    if own_width + k_g >= keep:
        single = groups.count == 1
        plain = single[nn_groups].all(axis=1)
        if self_search:
            plain &= single               # query i of a self-search is distinct row i
        rest = xp.flatnonzero(~plain)
        at = xp.flatnonzero(plain)
        if self_search:
            d2_out[at, 0] = 0.0
            idx_out[at, 0] = groups.first[at]
        d2_out[at, own_width:] = d2_groups[at, :keep - own_width]
        idx_out[at, own_width:] = groups.first[nn_groups[at, :keep - own_width]]
    else:
        rest = xp.arange(n_q)
    per_group = first_members(be, groups, keep, pad)
    width = keep * own_width + k_g * keep
    chunk = rows_per_block(width * 8 * 6, budget, max(int(rest.shape[0]), 1))
    for r0 in block_starts(int(rest.shape[0]), chunk):
        rows = rest[r0:r0 + chunk]
        nbr = per_group[nn_groups[rows]].reshape(rows.shape[0], k_g * keep)
        dist = xp.repeat(d2_groups[rows], keep, axis=1)
        if self_search:
            own = per_group[rows]  # query i of a self-search is distinct row i
            nbr = xp.concatenate([own, nbr], axis=1)
            dist = xp.concatenate([xp.zeros(own.shape, dtype=xp.float64), dist], axis=1)
        dist = xp.where(nbr == pad, xp.inf, dist)
        dist, nbr = order_by_distance(be, dist, nbr)
        d2_out[rows] = dist[:, :keep]
        idx_out[rows] = nbr[:, :keep]
    if not self_search:
        return d2_out, idx_out
    # row i takes its group's best k + 1 without itself: drop i where it appears,
    # else the last one
    d2_rows = d2_out[query_labels]
    idx_rows = idx_out[query_labels]
    rows = xp.arange(n_rows, dtype=xp.int64)
    hit = idx_rows == rows[:, None]
    drop = xp.where(hit.any(axis=1), xp.argmax(hit, axis=1), k)
    j = xp.arange(k, dtype=xp.int64)
    take = j + (j >= drop[:, None])
    return (xp.take_along_axis(d2_rows, take, axis=1),
            xp.take_along_axis(idx_rows, take, axis=1))
