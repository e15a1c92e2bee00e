"""Where each partition of a Dask ``fit_resample`` result comes from, for a caller
that writes the result with columns the sampler never saw (the command line's
``--exclude``, ``--index-col`` and ``--provenance``).

A partition of the result holds original rows (a partition of the input, whole
or filtered by a cleaner) or new rows (a block of an over-sampler's new rows,
whole or filtered by the cleaner of SMOTETomek or SMOTEENN), never both.
``result_sources`` says which, partition by partition, from the sampler's
``ResultLayout`` and its draws. The caller reads original rows from its own
partitions of the input (whole rows, with every column); ``parent_values``
gathers some columns of the new rows' parents, from the partitions that hold
them only, within the gather budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import is_dask_collection
from ._budget import check_budget
from ._gather import _host, gather_rows
from ._input import _moved, _partitions, offsets_of


@dataclass
class Original:
    """Rows of the input's partition ``i``: all of them (``positions`` None), or
    those at the global row indices ``positions`` (a Delayed int64 array), in
    that order."""

    i: int
    positions: Any = None


@dataclass
class New:
    """New rows. ``parents``: a Delayed pair of int64 arrays, per row the input row
    it was made from and the row it was interpolated towards (-1 for none), as
    global row indices (``row_provenance``'s parent and neighbour)."""

    parents: Any


def _layout(sampler):
    layout = sampler.__dict__.get("_dask_layout")
    if layout is None:
        raise ValueError(f"{type(sampler).__name__} has no result on Dask to describe; "
                         "call fit_resample with Dask collections first.")
    return layout


def _over_sampler(sampler):
    """The step of ``sampler`` that makes new rows: SMOTETomek's and SMOTEENN's SMOTE."""
    return sampler.smote_ if getattr(sampler, "_cleaner_param", "") else sampler


def result_sources(sampler) -> tuple[np.ndarray, list]:
    """The input's partition lengths, and an ``Original`` or a ``New`` for each
    partition of the result of ``sampler``'s last ``fit_resample`` on Dask."""
    import dask

    cleaner_param = getattr(sampler, "_cleaner_param", "")
    if cleaner_param:
        # the cleaner's kept rows of SMOTE's result (whose first rows are the input's)
        lengths, made = result_sources(sampler.smote_)
        layout = _layout(getattr(sampler, f"{cleaner_param}_"))
        offsets = layout.offsets
        sources = []
        for part in layout.parts:
            src = made[part[1]]
            if part[0] != "kept":  # a partition of SMOTE's result as it is
                sources.append(src)
            elif isinstance(src, Original):  # SMOTE's originals: whole partitions
                sources.append(Original(src.i, part[2]))
            else:
                sources.append(New(dask.delayed(_kept_parents, pure=True)(
                    src.parents, part[2], int(offsets[part[1]]))))
        return lengths, sources
    layout = _layout(sampler)
    record = sampler.__dict__.get("_synthetic")
    base = neighbour = None
    if any(part[0] == "new" for part in layout.parts):
        # one task each, read by every block (the draws stay where they are)
        base = dask.delayed(_host, pure=True)(record.base)
        if record.neighbour is not None:
            neighbour = dask.delayed(_host, pure=True)(record.neighbour)
    sources = []
    for part in layout.parts:
        if part[0] == "new":
            sources.append(New(dask.delayed(_block_parents, pure=True)(
                base, neighbour, part[1], part[2])))
        else:
            sources.append(Original(part[1], part[2] if part[0] == "kept" else None))
    return np.asarray(layout.lengths), sources


def _block_parents(base, neighbour, lo: int, hi: int):
    """The parents of new rows ``lo:hi``, from the draws."""
    parent = np.asarray(base[lo:hi], dtype=np.int64)
    if neighbour is None:  # copies: interpolated towards no row
        return parent, np.full(hi - lo, -1, dtype=np.int64)
    return parent, np.asarray(neighbour[lo:hi], dtype=np.int64)


def _kept_parents(parents, index, offset: int):
    """The parents of the rows a cleaner kept of one block of new rows (``index``:
    their global indices in the cleaned frame, whose block starts at ``offset``)."""
    local = np.asarray(index, dtype=np.int64) - offset
    return parents[0][local], parents[1][local]


def original_rows(part, i: int, lengths, positions=None):
    """The rows of the input's partition ``i`` (``part``, as read) that the result
    holds, and their global row indices."""
    n = int(lengths[i])
    part = _checked(part, i, n)
    offset = int(np.sum(lengths[:i]))
    if positions is None:
        return part, np.arange(offset, offset + n, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    return part.iloc[positions - offset], positions


def partitions(frame) -> list:
    """One Delayed per partition of a Dask DataFrame, partition i the same rows
    as in every pass of ``fit_resample`` (``_input._partitions``)."""
    return _partitions(frame)


class _Columns:
    """Picklable: some columns of a partition's rows."""

    def __init__(self, columns):
        self.columns = list(columns)

    def __call__(self, rows, gidx=None):
        return rows[self.columns]


def _checked(part, i: int, n: int):
    """Partition ``i`` as read, its length checked against the count."""
    if len(part) != n:
        raise _moved(i, n, len(part), "the input")
    return part


@dataclass
class _Parts:
    """The input's partitions as ``gather_rows`` reads them."""

    x_parts: list
    lengths: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        return offsets_of(self.lengths)


def parent_rows(sampler) -> np.ndarray:
    """The sorted global row indices of the parents of ``sampler``'s new rows
    (computed: at most one per row of the classes it over-samples)."""
    record = _over_sampler(sampler).__dict__.get("_synthetic")
    if record is None or record.base is None:
        return np.empty(0, dtype=np.int64)
    base = record.base
    if is_dask_collection(base):
        import dask.array as da

        return _host(da.unique(base).compute()).astype(np.int64)
    return np.unique(_host(base)).astype(np.int64)


def parent_values(sampler, sources: list, parts: list, lengths, columns, row_bytes: int,
                  fix: str = "or ask for fewer new rows (sampling_strategy), or pass fewer "
                             "columns through."):
    """For each ``New`` of ``sources`` (None for the others), a Delayed pandas
    DataFrame: ``columns`` of each new row's parent, in the new rows' order.

    ``parts`` are the caller's partitions of the input (``partitions``), with
    ``columns`` among theirs; only those holding parents are read, only
    ``columns`` of the parents are kept, and the parents must fit the gather
    budget (``row_bytes`` each; ``fix``: the other ways out, for the error)."""
    import dask

    out = [None] * len(sources)
    if not any(isinstance(s, New) for s in sources):
        return out
    gidx = parent_rows(sampler)
    check_budget("the passed-through values of the new rows' parents", gidx.size,
                 row_bytes, type(sampler).__name__, fix)
    checked = [dask.delayed(_checked, pure=True)(p, i, int(n))
               for i, (p, n) in enumerate(zip(parts, lengths, strict=True))]
    pool = gather_rows(_Parts(checked, np.asarray(lengths)), gidx, _Columns(columns))
    for j, src in enumerate(sources):
        if isinstance(src, New):
            out[j] = dask.delayed(_values_at, pure=True)(pool, src.parents)
    return out


def _values_at(pool, parents):
    """The gathered values of each row's parent, in the rows' order."""
    return pool.rows.iloc[pool.positions(parents[0])]
