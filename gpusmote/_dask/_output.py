"""The new partitions: one task per output block, from the drawn (base,
neighbour, step) arrays or the picked rows, appended after the caller's own
partitions (which are passed through as they are), and y likewise.
"""

from __future__ import annotations

import numpy as np

from .._blocking import rows_per_block
from .._containers import _fresh_labels, _restore_dtypes
from .._generate import interpolate_rows
from ..backends import get_backend
from ._input import split_frame
from ._malloc import roomy

# rows of one new block: X's largest partition, within this many bytes
BLOCK_BYTES = 128 * 2**20


def block_bounds(inp, n_new: int, row_bytes: int) -> list:
    """(start, stop) of each output block of the ``n_new`` new rows."""
    if n_new == 0:
        return []
    size = rows_per_block(row_bytes, BLOCK_BYTES, max(int(inp.lengths.max()), 1))
    return [(s, min(s + size, n_new)) for s in range(0, n_new, size)]


@roomy
def interpolate_block(pool, pos_base, pos_nbr, steps, backend: str, working_memory=None):
    """``rows[pos_base] + steps * (rows[pos_nbr] - rows[pos_base])`` for one block,
    with the in-memory pass (``interpolate_rows``), from the gathered rows (their
    positions in the pool, not global indices)."""
    be = get_backend(backend)
    X = pool.rows
    pb, pn = be.asarray(np.asarray(pos_base)), be.asarray(np.asarray(pos_nbr))
    out = be.empty_output((pb.shape[0], X.shape[1]), X.dtype)
    interpolate_rows(be, X, pb, pn, be.asarray(steps), out, working_memory)
    return out


def copy_block(pool, picks):
    """Copies of the gathered rows ``picks`` (global indices), as they came."""
    pos = pool.positions(picks)
    rows = pool.rows
    if hasattr(rows, "iloc"):
        return rows.iloc[pos]
    if type(rows).__module__.split(".")[0] == "cupy":
        import cupy

        pos = cupy.asarray(pos)
    return rows[pos]


def as_frame(values, columns, dtypes, index):
    """A block as a pandas DataFrame with X's columns and dtypes (integer columns
    rounded, as ``restore_X`` does in memory)."""
    import pandas as pd

    if isinstance(values, pd.DataFrame):
        out = values.copy()
        out.index = index
        return out
    df = pd.DataFrame(np.asarray(values), columns=columns, index=index, copy=False)
    return _restore_dtypes(df, dtypes)


def label_block(runs, dtype, name=None, index=None, on_device=False):
    """The labels of one block: ``runs`` of (label, count); a Series of y's dtype
    (any pandas dtype) for frames, a CuPy array for CuPy y."""
    host = dtype if isinstance(dtype, np.dtype) else None
    values = (np.concatenate([np.full(n, label, dtype=host) for label, n in runs])
              if runs else np.empty(0, dtype=host))
    if on_device:
        import cupy

        return cupy.asarray(values)
    if index is None:
        return values
    import pandas as pd

    return pd.Series(values, name=name, index=index, dtype=dtype)


def label_runs(per_class, bounds) -> list:
    """For each block, the (label, count) runs of the new rows it holds, given the
    new rows' classes in order as (label, count)."""
    ends = np.cumsum([n for _, n in per_class])
    starts = ends - np.array([n for _, n in per_class])
    out = []
    for lo, hi in bounds:
        runs = []
        for (label, _), s, e in zip(per_class, starts, ends, strict=True):
            n = min(hi, e) - max(lo, s)
            if n > 0:
                runs.append((label, int(n)))
        out.append(runs)
    return out


def fresh_index(inp, n_new: int):
    """The index labels of the new rows, as ``_containers.resampled_index`` gives
    them in memory, from the per-partition summaries of the counting pass
    (integers or floats after the largest label; strings and dates: integers from
    n). Other indexes are read whole, as in memory (their gaps are looked for)."""
    summaries = [s for s, n in zip(inp.index, inp.lengths, strict=True) if n > 0]
    kinds = {s[0] for s in summaries}
    n = inp.n
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind in "iu":
            dtype = np.dtype(np.uint64 if kind == "u" else np.int64)
            top = max(s[1] for s in summaries)
            if top + n_new <= np.iinfo(dtype).max:
                return np.arange(n_new, dtype=dtype) + dtype.type(top + 1)
        elif kind == "f":
            tops = [s[1] for s in summaries if s[1] is not None and np.isfinite(s[1])]
            top = max(tops) if tops else np.nan
            if np.isfinite(top) and abs(np.floor(top)) + n_new < 2.0 ** 53:
                return np.floor(top) + 1 + np.arange(n_new, dtype=np.float64)
        elif all(s[2] in ("string", "bytes", "datetime64", "timedelta64", "period", "date",
                          "time", "interval") for s in summaries):
            return np.arange(n, n + n_new, dtype=np.int64)
    index = inp.X.index.compute()
    return _fresh_labels(index, n_new)


def assemble(inp, blocks_in, bounds, runs, y_dtype, x_dtype):
    """X and y of the caller's kind: the original partitions, then the blocks
    (Delayed arrays, or frames for copies) of the new rows."""
    import dask

    if inp.layout is not None:
        inp.layout.parts += [("new", lo, hi) for lo, hi in bounds]
    if inp.kind == "array":
        return _assemble_arrays(inp, blocks_in, bounds, runs, y_dtype, x_dtype)
    import dask.dataframe as dd
    import pandas as pd

    if not bounds:
        return inp.X, inp.y
    labels = fresh_index(inp, bounds[-1][1])

    blocks = []
    for (lo, hi), block, run in zip(bounds, blocks_in, runs, strict=True):
        index = pd.Index(labels[lo:hi], name=inp.X._meta.index.name)
        blocks.append(dask.delayed(_frame_block, pure=True)(
            block, run, inp.columns, inp.dtypes, y_dtype, inp.y_column, index))
    divisions = _divisions(inp, labels, bounds)
    new = dd.from_delayed(blocks, meta=inp.both._meta, divisions=divisions,
                          verify_meta=False)
    # one frame holding X and y, its first partitions the pairs that were read
    return split_frame(inp, dd.concat([inp.both, new]))


def _frame_block(values, runs, columns, dtypes, y_dtype, y_column: str, index):
    """One new partition of X with its labels as column ``y_column``."""
    x = as_frame(values, columns, dtypes, index)
    return x.assign(**{y_column: label_block(runs, y_dtype, None, index).array})


def _divisions(inp, labels, bounds):
    """Known divisions for the new partitions when X's are known and the new labels
    come after them in order."""
    index_dtype = inp.X._meta.index.dtype
    if (not inp.X.known_divisions or labels.dtype.kind not in "iuf"
            or not isinstance(index_dtype, np.dtype) or index_dtype.kind not in "iuf"):
        return None
    if not labels[0] > inp.X.divisions[-1]:
        return None
    return tuple(labels[lo].item() for lo, _ in bounds) + (labels[-1].item(),)


def _assemble_arrays(inp, blocks, bounds, runs, y_dtype, x_dtype):
    import dask
    import dask.array as da

    from ..backends import is_cupy_array

    if not blocks:
        return inp.X, inp.y
    X, y = inp.X, inp.y
    x_meta = X._meta.astype(x_dtype)
    parts = [da.from_delayed(b, shape=(hi - lo, inp.n_features), dtype=x_dtype, meta=x_meta)
             for b, (lo, hi) in zip(blocks, bounds, strict=True)]
    X_new = da.concatenate(parts, axis=0)
    if len(X.chunks[1]) > 1:
        X_new = X_new.rechunk({1: X.chunks[1]})
    on_device = is_cupy_array(y._meta)
    y_meta = y._meta.astype(y_dtype)
    y_parts = [da.from_delayed(dask.delayed(label_block, pure=True)(run, y_dtype, None, None,
                                                                    on_device),
                               shape=(hi - lo,), dtype=y_dtype, meta=y_meta)
               for run, (lo, hi) in zip(runs, bounds, strict=True)]
    return (da.concatenate([X, X_new], axis=0),
            da.concatenate([y, da.concatenate(y_parts)], axis=0))
