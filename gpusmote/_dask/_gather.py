"""Rows into one task: the rows of some classes, or the rows at some global
indices, in global row order, each partition read once.

A gathered set is a ``Pool``: ``gidx`` (sorted global row indices, host int64)
and ``rows`` (the rows: a float matrix on the chunks' backend for the SMOTE
family, or the caller's own rows, a pandas DataFrame or an array, for copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_X, first_non_finite
from ..backends import get_backend, is_cupy_array


@dataclass
class Pool:
    gidx: np.ndarray
    rows: Any

    def positions(self, gidx) -> np.ndarray:
        """Positions in ``rows`` of global rows ``gidx`` (all of them held)."""
        return np.searchsorted(self.gidx, np.asarray(gidx))


def as_matrix(be, rows, sampler_name: str, n_features: int, dtype):
    """Rows as the SMOTE family computes on them (``check_X``: numeric columns,
    finite values, float32 kept, the rest float64), on ``be``."""
    if rows.shape[0] == 0:
        return be.xp.empty((0, n_features), dtype=dtype)
    return check_X(be, rows, sampler_name, accept_sparse=False)


def _host(a):
    return a.get() if is_cupy_array(a) else np.asarray(a)


def _label_values(y_part):
    return y_part.to_numpy() if hasattr(y_part, "to_numpy") else y_part


def _take(part, pos):
    return part.iloc[pos] if hasattr(part, "iloc") else part[pos]


def _select_classes(x_part, y_part, offset: int, labels: tuple, convert):
    """Per label, (global indices, rows) of this partition's rows of that class."""
    y = _label_values(y_part)
    out = []
    for label in labels:
        pos = _host(y == label).nonzero()[0]
        rows = _take(x_part, pos if not is_cupy_array(x_part) else _device(pos))
        gidx = pos.astype(np.int64) + offset
        out.append((gidx, rows if convert is None else convert(rows, gidx)))
    return out


def _device(pos):
    import cupy

    return cupy.asarray(pos)


def _class_indices(y_part, offset: int, labels: tuple):
    y = _label_values(y_part)
    return [_host(y == label).nonzero()[0].astype(np.int64) + offset for label in labels]


def _select_at(x_part, pos, offset: int, convert):
    pos = np.asarray(pos, dtype=np.int64)
    rows = _take(x_part, pos if not is_cupy_array(x_part) else _device(pos))
    return rows if convert is None else convert(rows, pos + offset)


def _concat(pieces) -> Pool:
    gidx = np.concatenate([p[0] for p in pieces])
    rows = [p[1] for p in pieces]
    first = rows[0]
    if hasattr(first, "iloc"):
        # Dask's concat: categorical columns whose partitions hold different
        # categories stay categorical (their union), as when Dask computes X
        from dask.dataframe.dispatch import concat

        joined = concat(rows) if len(rows) > 1 else first
    elif is_cupy_array(first):
        import cupy

        joined = cupy.concatenate(rows)
    else:
        joined = np.concatenate(rows)
    return Pool(gidx, joined)


def _pick(results, j):
    return results[j]


class Converter:
    """Picklable: a partition's rows -> the float matrix the SMOTE family uses."""

    def __init__(self, backend: str, sampler_name: str, n_features: int, dtype):
        self.backend, self.sampler_name = backend, sampler_name
        self.n_features, self.dtype = n_features, np.dtype(dtype)

    def __call__(self, rows, gidx=None):
        be = get_backend(self.backend)
        try:
            return as_matrix(be, rows, self.sampler_name, self.n_features, self.dtype)
        except ValueError as exc:
            if gidx is None or not str(exc).startswith("X contains"):
                raise
            # name the row of X, not of this partition's selection
            values = rows.to_numpy(dtype=np.float64) if hasattr(rows, "iloc") else rows
            row, col, what = first_non_finite(be.xp, be.asarray(values))
            raise ValueError(
                f"X contains {what} (first at row {int(gidx[row])} of X, column {col}); "
                "impute or drop those values before resampling, for example with "
                "sklearn.impute.SimpleImputer inside the pipeline.") from None


def gather_classes(inp, labels: list, convert=None) -> list:
    """One Delayed ``Pool`` per label: its rows, in global row order (one read of
    every partition for all labels)."""
    import dask

    labels = tuple(labels)
    per_part = [dask.delayed(_select_classes, pure=True)(xp, yp, int(off), labels, convert)
                for xp, yp, off in zip(inp.x_parts, inp.y_parts, inp.offsets, strict=True)]
    pools = []
    for j in range(len(labels)):
        pieces = [dask.delayed(_pick, pure=True)(r, j) for r in per_part]
        pools.append(dask.delayed(_concat, pure=True)(pieces))
    return pools


def class_indices(inp, labels: list) -> list:
    """Per label, the global indices of its rows (reads y only), computed."""
    import dask

    labels = tuple(labels)
    per_part = [dask.delayed(_class_indices, pure=True)(yp, int(off), labels)
                for yp, off in zip(inp.label_parts, inp.offsets, strict=True)]
    parts = dask.compute(*per_part)
    return [np.concatenate([p[j] for p in parts]) for j in range(len(labels))]


def gather_rows(inp, gidx: np.ndarray, convert=None):
    """A Delayed ``Pool`` of the rows at sorted, unique global indices ``gidx``:
    only the partitions that hold some are read."""
    import dask

    offsets, lengths = inp.offsets, inp.lengths
    pieces = []
    for i, (off, n) in enumerate(zip(offsets, lengths, strict=True)):
        lo, hi = np.searchsorted(gidx, [off, off + n])
        if hi > lo:
            local = gidx[lo:hi] - off
            rows = dask.delayed(_select_at, pure=True)(inp.x_parts[i], local, int(off),
                                                       convert)
            pieces.append((gidx[lo:hi], rows))
    return dask.delayed(_concat, pure=True)(pieces)


def merge_pools(*pools) -> Pool:
    """Disjoint pools as one, in global row order."""
    pool = _concat([(p.gidx, p.rows) for p in pools])
    order = np.argsort(pool.gidx, kind="stable")
    if np.all(order[1:] > order[:-1]):
        return pool
    rows = pool.rows
    if hasattr(rows, "iloc"):
        rows = rows.iloc[order]
    else:
        rows = rows[_device(order) if is_cupy_array(rows) else order]
    return Pool(pool.gidx[order], rows)
