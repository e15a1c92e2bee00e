"""What came in, and the one pass over y that counts the classes.

``read_input`` checks the collections' kinds, shapes and partitioning without
computing anything; ``count_classes`` is the single pass over y (and, for
DataFrames, over the lengths and index of X's partitions) that gives the class
counts behind ``sampling_strategy_``, each partition's length (the global row
numbering) and what the new rows' index needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._labels import Labels, _encode, _host_labels, plain_label
from ..backends import is_cupy_array


@dataclass
class DaskInput:
    """X and y as Dask sees them, and what the tasks need to know about them."""

    kind: str                 # "array" | "frame"
    X: Any                    # the caller's X (its partitions are passed through)
    y: Any
    x_parts: list             # one Delayed per row partition of X (all columns)
    y_parts: list
    n_features: int
    backend: str              # "numpy" | "cupy": the chunks' array library
    dtype: Any                # X's dtype (arrays) or None (frames: ``dtypes``)
    columns: Any = None       # frames: the columns and their dtypes
    dtypes: Any = None
    # filled by count_classes
    lengths: np.ndarray | None = None
    labels: Labels | None = None
    index: list = field(default_factory=list)  # frames: per partition (kind, top, inferred)

    @property
    def n(self) -> int:
        return int(self.lengths.sum())

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

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
    return DaskInput("array", X, y, list(work.to_delayed()[:, 0]), list(y.to_delayed()),
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
    return DaskInput("frame", X, y, list(X.to_delayed()), list(y.to_delayed()),
                     n_features=len(X.columns), backend="numpy", dtype=None,
                     columns=X.columns, dtypes=X.dtypes)


# -- the counting pass ---------------------------------------------------------

def _partition_summary(x_part, y_part, frame: bool) -> dict:
    """Classes and counts of one partition of y; for frames also X's length, whether
    X's index and y's index agree, and what the new rows' index needs."""
    out = {}
    if frame:
        out["n_x"] = len(x_part)
        out["aligned"] = bool(x_part.index.equals(y_part.index))
        out["index"] = _index_summary(x_part.index)
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
    """The one pass: class counts (and, for frames, partition lengths and the
    index summary). Sets ``inp.lengths``, ``inp.labels`` and ``inp.index``."""
    import dask

    frame = inp.kind == "frame"
    tasks = [dask.delayed(_partition_summary, pure=True)(xp if frame else None, yp, frame)
             for xp, yp in zip(inp.x_parts, inp.y_parts)]
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
