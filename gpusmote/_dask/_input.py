"""What came in, and the one pass over y that counts the classes.

``read_input`` checks the collections' kinds, shapes and partitioning without
computing anything; ``count_classes`` is the single pass over y (and, for
DataFrames, over X's index alone) that gives the class counts behind
``sampling_strategy_``, each partition's length (the global row numbering) and
what the new rows' index needs.

Aligned partitions. Every pass numbers rows by partition (the offsets from the
counting pass), so partition i of X and of y must hold the same rows in every
pass. Dask's optimiser may change a DataFrame's partition count: dask-expr fuses
the partitions of a Parquet read after a column projection, more for y alone
(one column) than for X, so ``X.to_delayed()`` and ``y.to_delayed()``, each
optimised alone, can be cut differently. The partitions are therefore listed
with Dask's partition tuning off (``optimization.tune.active``: "prevent the
partition count from changing at optimization time"): partition i is then the
same rows in X, in y, in X's index and in X with y beside it, and the counting
pass reads only y and X's index (for Parquet: the y column and the row counts).
The passes that read X and y together read one frame, y beside X's columns
under a private name, paired partition by partition (``pair_frames``: one read
of a source they share, split in the task); each partition's length is checked
against the counting pass's when it is read again. No zip of partition lists
may truncate: every one is strict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._labels import Labels, _encode, _host_labels, plain_label
from ..backends import is_cupy_array


def offsets_of(lengths) -> np.ndarray:
    """The global index of each partition's first row, from the partition lengths."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


@dataclass
class ResultLayout:
    """Where each partition of a ``fit_resample`` result on Dask comes from (kept on
    the sampler as ``_dask_layout``, read by ``_sources``): ``lengths``, the input's
    partition lengths, and per partition of the result ``("input", i)`` (partition
    i of the input as it is), ``("kept", i, index)`` (its rows at the global row
    indices ``index``, a Delayed int64 array) or ``("new", lo, hi)`` (new rows lo:hi)."""

    lengths: np.ndarray
    parts: list

    @property
    def offsets(self) -> np.ndarray:
        return offsets_of(self.lengths)


@dataclass
class DaskInput:
    """X and y as Dask sees them, and what the tasks need to know about them."""

    kind: str                 # "array" | "frame"
    X: Any                    # the caller's X (its partitions are passed through)
    y: Any
    x_parts: list             # one Delayed per row partition of X (all columns) ...
    y_parts: list             # ... and of y: the same rows (passes that read both)
    label_parts: list         # y alone (passes that read only y), aligned with them
    n_features: int
    backend: str              # "numpy" | "cupy": the chunks' array library
    dtype: Any                # X's dtype (arrays) or None (frames: ``dtypes``)
    columns: Any = None       # frames: the columns and their dtypes
    dtypes: Any = None
    # filled by count_classes
    lengths: np.ndarray | None = None
    labels: Labels | None = None
    index: list = field(default_factory=list)  # frames: per partition (kind, top, inferred)
    index_parts: list = field(default_factory=list)  # frames: X's index alone (counting)
    both: Any = None          # frames: X with y beside it (``pair_frames``) ...
    y_column: str | None = None  # ... under this private name
    layout: ResultLayout | None = None  # fit_resample: where the result's partitions come from

    @property
    def n(self) -> int:
        return int(self.lengths.sum())

    @property
    def offsets(self) -> np.ndarray:
        return offsets_of(self.lengths)

    @property
    def npartitions(self) -> int:
        return len(self.x_parts)

    def work_dtype(self):
        """The float dtype the SMOTE family computes in, as ``check_X`` picks it:
        float32 and float64 kept, everything else float64; a DataFrame is float32
        only when every column is."""
        if self.kind == "frame":
            return (np.dtype(np.float32) if set(self.dtypes) == {np.dtype(np.float32)}
                    else np.dtype(np.float64))
        dtype = np.dtype(self.dtype)
        return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)

    def row_bytes(self) -> int:
        """Bytes of one row as the SMOTE family holds it."""
        return self.n_features * self.work_dtype().itemsize

    def meta(self):
        """An empty X of the caller's kind (for ``feature_names_in_``)."""
        return self.X._meta


def read_input(X, y, sampler_name: str, backend_param: str) -> DaskInput:
    """Check X and y (no compute) and list their partitions."""
    import dask.array as da
    import dask.dataframe as dd

    from . import is_dask_collection

    if not is_dask_collection(X):
        raise TypeError(
            f"y is a Dask {type(y).__name__} but X is a {type(X).__name__}; pass X as a "
            "Dask collection partitioned like y, or compute y first (y.compute()).")
    if not is_dask_collection(y):
        raise TypeError(
            f"X is a Dask {type(X).__name__} but y is a {type(y).__name__}; pass y as a "
            "Dask collection partitioned like X (a dask.array for a dask.array X, a "
            "dask.dataframe Series for a dask.dataframe X), e.g. y = df[target] and "
            "X = df.drop(columns=target).")
    if isinstance(X, da.Array):
        if not isinstance(y, da.Array):
            raise TypeError(f"X is a dask.array but y is a Dask {type(y).__name__}; pass y "
                            "as a dask.array too (y.to_dask_array(lengths=True)).")
        return _read_arrays(X, y, backend_param)
    if isinstance(X, dd.DataFrame):
        if not isinstance(y, dd.Series):
            raise TypeError(
                f"X is a dask.dataframe DataFrame but y is a Dask {type(y).__name__}; pass "
                "y as a dask.dataframe Series partitioned like X (y = df[target]).")
        return _read_frames(X, y, sampler_name)
    raise TypeError(f"X is a Dask {type(X).__name__}; pass a dask.array.Array (2-D) or a "
                    "dask.dataframe.DataFrame.")


def _read_arrays(X, y, backend_param: str) -> DaskInput:
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row) for Dask input, got shape "
                         f"{y.shape}.")
    for name, arr in (("X", X), ("y", y)):
        if any(np.isnan(c) for c in arr.chunks[0]):
            raise ValueError(
                f"{name} has unknown chunk sizes (NaN), as after boolean indexing; the "
                "rows must be numbered across chunks. Call "
                f"{name} = {name}.compute_chunk_sizes() first (it reads the data once).")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels; pass "
                         "exactly one label per row of X.")
    if X.chunks[0] != y.chunks[0]:
        raise ValueError(
            f"X and y are chunked differently along the rows ({_show(X.chunks[0])} "
            f"against {_show(y.chunks[0])}); each chunk of y must hold the labels of the "
            "same chunk of X. Rechunk y like X: y = y.rechunk((X.chunks[0],)).")
    if X.shape[1] == 0:
        raise ValueError(f"X has no features: shape {X.shape}. Pass at least one column.")
    work = X if len(X.chunks[1]) == 1 else X.rechunk({1: -1})
    cupy = is_cupy_array(X._meta) or backend_param == "cupy"
    y_parts = list(y.to_delayed())
    return DaskInput("array", X, y, list(work.to_delayed()[:, 0]), y_parts, y_parts,
                     n_features=int(X.shape[1]), backend="cupy" if cupy else "numpy",
                     dtype=X.dtype, lengths=np.asarray(X.chunks[0], dtype=np.int64))


def _show(chunks) -> str:
    text = ", ".join(str(c) for c in chunks[:6])
    return f"({text}{', ...' if len(chunks) > 6 else ''})"


def _read_frames(X, y, sampler_name: str) -> DaskInput:
    import pandas as pd

    if not isinstance(X._meta, pd.DataFrame):
        raise TypeError(f"{sampler_name} on Dask takes pandas-backed DataFrames; X's "
                        f"partitions are {type(X._meta).__name__}.")
    if X.npartitions != y.npartitions:
        raise ValueError(
            f"X has {X.npartitions} partitions but y has {y.npartitions}; each partition "
            "of y must hold the labels of the same partition of X. Take both from one "
            "DataFrame (y = df[target]; X = df.drop(columns=target)), or repartition them "
            "alike.")
    if len(X.columns) == 0:
        raise ValueError("X has no features: 0 columns. Pass at least one column.")
    # X[[]]: no column of X, so Dask reads only what the index needs (X.index alone
    # reads every column when the index was set from one: set_index(col, sort=False))
    label_parts, index_parts = _partitions(y), _partitions(X[[]].index)
    _check_counts(X, (("y", label_parts), ("X's index", index_parts)))
    # x_parts and y_parts need the lengths: ``pair_frames``, after the counting pass
    return DaskInput("frame", X, y, [], [], label_parts, n_features=len(X.columns),
                     backend="numpy", dtype=None, columns=X.columns, dtypes=X.dtypes,
                     index_parts=index_parts)


def _partitions(collection) -> list:
    """One Delayed per partition, with Dask's partition tuning off, so that the
    optimiser keeps the partition count (and partition i is the same rows
    whatever columns are read)."""
    import dask

    with dask.config.set({"optimization.tune.active": False}):
        return list(collection.to_delayed())


def _check_counts(X, listed) -> None:
    for what, parts in listed:
        if len(parts) != X.npartitions:
            raise ValueError(
                f"Dask lists {len(parts)} partitions for {what} but X has "
                f"{X.npartitions}; gpusmote needs partition i of X and y to hold the same "
                "rows. Take X and y from one DataFrame, or persist them first "
                "(X, y = dask.persist(X, y)).")


def private_column(columns) -> str:
    """A column name X does not have, to carry y beside X's columns."""
    name, n = "__gpusmote_y__", 0
    taken = set(map(str, columns))
    while name in taken:
        n += 1
        name = f"__gpusmote_y{n}__"
    return name


def pair_frames(inp: DaskInput) -> None:
    """``inp.x_parts`` and ``inp.y_parts``: partition i of X and of y, the same
    rows, for the passes that read both. X and y are read as one frame, y beside
    X's columns under a private name, partition by partition as they are listed
    (``map_partitions`` with ``align_dataframes=False``: Dask reads a source they
    share once, with the columns of both); each partition's length is checked
    against the counting pass's, then the frame is split in the task. Sets
    ``inp.both``, the same partitions as a Dask DataFrame, for the output."""
    import dask
    import dask.dataframe as dd

    X, y = inp.X, inp.y
    name = private_column(X.columns)
    meta = X._meta.assign(**{name: y._meta.array})
    both = _partitions(dd.map_partitions(_beside, X, y, name, meta=meta,
                                         align_dataframes=False, enforce_metadata=False))
    _check_counts(X, (("X with y", both),))
    # the output's first partitions: these very tasks, optimised once here. Left
    # as an expression, Dask would tune it again when the result is computed, and
    # dask-expr 2026.8 loses y's read when it fuses X's under map_partitions
    # ("Missing dependency" for X and y from two read_parquet calls)
    inp.both = dd.from_delayed(both, meta=meta, divisions=X.divisions, verify_meta=False)
    inp.y_column = name
    pairs = [dask.delayed(_split, nout=2, pure=True)(part, i, int(n), inp.columns, name,
                                                     y.name)
             for i, (part, n) in enumerate(zip(both, inp.lengths, strict=True))]
    inp.x_parts = [p[0] for p in pairs]
    inp.y_parts = [p[1] for p in pairs]


def _beside(x_part, y_part, name: str):
    """X's partition with y's labels as one more column, row by row."""
    if len(x_part) != len(y_part):
        raise ValueError(
            f"a partition of X has {len(x_part)} rows and the same partition of y has "
            f"{len(y_part)} labels; each partition of y must hold the labels of the same "
            "rows of X. Take both from one DataFrame (y = df[target]; "
            "X = df.drop(columns=target)).")
    return x_part.assign(**{name: y_part.array})


def _moved(i: int, n: int, got: int, what: str):
    return ValueError(
        f"partition {i} of {what} has {got} rows now but had {n} when the classes were "
        "counted; the input changed between reads (a source that is not deterministic?). "
        "Persist X and y first (X, y = dask.persist(X, y)).")


def _split(part, i: int, n: int, columns, name: str, y_name):
    """X's columns (with X's own column index) and y, from one read of both."""
    if len(part) != n:
        raise _moved(i, n, len(part), "X")
    return x_of(part, name, columns), y_of(part, name, y_name)


def x_of(part, name: str, columns):
    """X's columns of a frame that holds y as column ``name``, under X's own
    column index (its dtype and names kept)."""
    x_part = part.drop(columns=name)
    if not (x_part.columns.equals(columns) and x_part.columns.dtype == columns.dtype
            and x_part.columns.names == columns.names):
        x_part.columns = columns
    return x_part


def y_of(part, name: str, y_name):
    """y, from a frame that holds it as column ``name``."""
    return part[name].rename(y_name)


def split_frame(inp: DaskInput, frame):
    """X and y of a result from one Dask DataFrame that holds both (y as
    ``inp.y_column``): each a blockwise map of the same partitions, so Dask sees
    them co-aligned, and ``X_res.assign(t=y_res)`` pairs partitions as they are
    (two separate frames would be aligned by index: a shuffle, or an error on
    the repeated 0-based index of files read by Dask)."""
    X = frame.map_partitions(x_of, inp.y_column, inp.columns, meta=inp.X._meta)
    y = frame.map_partitions(y_of, inp.y_column, inp.y.name, meta=inp.y._meta)
    return X, y


# -- the counting pass ---------------------------------------------------------

def _partition_summary(index_part, y_part, frame: bool) -> dict:
    """Classes and counts of one partition of y; for frames also the length of X's
    partition, whether its index and y's agree, and what the new rows' index
    needs (from X's index alone: no column of X is read)."""
    out = {}
    if frame:
        out["n_x"] = len(index_part)
        out["aligned"] = bool(index_part.equals(y_part.index))
        out["index"] = _index_summary(index_part)
        y_part = y_part.to_numpy()
    if is_cupy_array(y_part):
        import cupy as xp
    else:
        xp = np
        y_part = _host_labels(y_part)
    if y_part.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got a chunk of shape "
                         f"{y_part.shape}.")
    labels = _encode(xp, y_part)
    out["n_y"] = int(y_part.shape[0])
    out["classes"], out["counts"] = labels.classes, labels.counts
    return out


def _index_summary(index) -> tuple:
    kind = index.dtype.kind if isinstance(index.dtype, np.dtype) else "O"
    if not len(index):
        return kind, None, None
    if kind in "iu":
        return kind, int(index.max()), None
    if kind == "f":
        return kind, float(index.max()), None
    return kind, None, index.inferred_type


def count_classes(inp: DaskInput, sampling_strategy) -> Labels:
    """The one pass, over y and (frames) X's index: class counts, partition lengths
    and the index summary. Sets ``inp.lengths``, ``inp.labels`` and ``inp.index``;
    for frames, ``pair_frames`` then lists the aligned partitions of X and y."""
    import dask

    frame = inp.kind == "frame"
    index_parts = inp.index_parts if frame else [None] * len(inp.label_parts)
    tasks = [dask.delayed(_partition_summary, pure=True)(ip, yp, frame)
             for ip, yp in zip(index_parts, inp.label_parts, strict=True)]
    summaries = dask.compute(*tasks)
    if frame:
        n_x = np.array([s["n_x"] for s in summaries], dtype=np.int64)
        n_y = np.array([s["n_y"] for s in summaries], dtype=np.int64)
        if n_x.sum() != n_y.sum():
            raise ValueError(f"X has {int(n_x.sum())} rows but y has {int(n_y.sum())} labels; "
                             "pass exactly one label per row of X.")
        bad = [i for i, s in enumerate(summaries) if n_x[i] != n_y[i] or not s["aligned"]]
        if bad:
            i = bad[0]
            raise ValueError(
                f"X and y are partitioned differently: partition {i} of X has {n_x[i]} rows "
                f"and partition {i} of y has {n_y[i]} labels"
                f"{'' if n_x[i] != n_y[i] else ' with a different index'}; each partition "
                "of y must hold the labels of the same rows of X. Take both from one "
                "DataFrame (y = df[target]; X = df.drop(columns=target)).")
        inp.lengths = n_x
        inp.index = [s["index"] for s in summaries]
    classes = [s["classes"] for s in summaries if len(s["classes"])]
    if not classes:
        raise ValueError("X is empty: 0 rows. Pass at least one row per class.")
    all_classes = np.unique(np.concatenate(classes))
    counts = np.zeros(all_classes.shape[0], dtype=np.int64)
    for s in summaries:
        if len(s["classes"]):
            counts[np.searchsorted(all_classes, s["classes"])] += s["counts"]
    if all_classes.shape[0] < 2:
        raise ValueError(f"y has only one class ({plain_label(all_classes[0])!r}); "
                         "resampling needs at least two classes in y.")
    labels = Labels(None, all_classes, counts)
    if callable(sampling_strategy):
        # imbalanced-learn hands a callable the whole y: only then is y gathered
        y = inp.y.compute()
        labels._cache["host"] = _host_labels(y.to_numpy() if frame else
                                             (y.get() if is_cupy_array(y) else y))
    inp.labels = labels
    return labels
