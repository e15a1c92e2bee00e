"""Remember what kind of container came in (NumPy, CuPy, pandas, list, SciPy sparse)
and give the result back in the same kind, with names, dtypes and index kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from ._timing import phase
from .backends import is_cupy_array


def _is_pandas(obj: Any, kind: str) -> bool:
    cls = type(obj)
    return cls.__module__.split(".")[0] == "pandas" and cls.__name__ == kind


@dataclass
class Container:
    """What an input was, enough to rebuild an output of the same kind."""

    kind: str  # "numpy" | "cupy" | "list" | "dataframe" | "series" | "sparse"
    columns: Any = None
    dtypes: Any = None
    index: Any = None
    name: Any = None
    dtype: Any = None
    sparse_format: str | None = None
    pandas_sparse: bool = False
    extra: dict = field(default_factory=dict)


def describe(obj: Any) -> Container:
    """Record the container of ``obj``."""
    if is_cupy_array(obj):
        return Container("cupy", dtype=obj.dtype)
    if sparse.issparse(obj):
        return Container("sparse", dtype=obj.dtype, sparse_format=obj.format)
    if _is_pandas(obj, "DataFrame"):
        import pandas as pd

        is_sparse = any(isinstance(t, pd.SparseDtype) for t in obj.dtypes)
        return Container("dataframe", columns=obj.columns, dtypes=obj.dtypes,
                         index=obj.index, pandas_sparse=is_sparse)
    if _is_pandas(obj, "Series"):
        return Container("series", dtype=obj.dtype, index=obj.index, name=obj.name)
    if isinstance(obj, (list, tuple)):
        return Container("list")
    return Container("numpy", dtype=getattr(obj, "dtype", None))


def resampled_index(index: Any, n_new: int):
    """Original labels first, then fresh labels for the synthetic rows; the
    index's name is kept.

    The new labels never equal an original label and never overflow: a numeric
    index (integers of any width, uint64 ids past 2**63 included, or floats)
    continues after its maximum, in its own dtype, when that fits; otherwise,
    and for every other index, the new labels are the smallest non-negative
    integers (whole floats for a float index) that the index does not hold,
    from ``len(index)`` up.
    """
    import pandas as pd

    if n_new == 0:
        return index
    # the new labels carry the index's name, so append keeps it (pandas drops
    # a name that the two parts do not share)
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return pd.RangeIndex(len(index) + n_new, name=index.name)
    return index.append(pd.Index(_fresh_labels(index, n_new), name=index.name))


def _fresh_labels(index, n_new: int) -> np.ndarray:
    """``n_new`` labels that ``index`` does not hold (see ``resampled_index``)."""
    import pandas as pd

    kind = index.dtype.kind if isinstance(index.dtype, np.dtype) else "O"
    n = len(index)
    if kind in ("i", "u"):
        dtype = np.dtype(np.uint64 if kind == "u" else np.int64)
        if n:
            top = int(index.max())  # Python int: no wrap-around
            if top + n_new <= np.iinfo(dtype).max:
                return np.arange(n_new, dtype=dtype) + dtype.type(top + 1)
    elif kind == "f":
        dtype = np.dtype(np.float64)
        top = float(index.max()) if n else np.nan
        # whole floats after the maximum are exact below 2**53
        if np.isfinite(top) and abs(np.floor(top)) + n_new < 2.0 ** 53:
            start = np.floor(top) + 1
            return start + np.arange(n_new, dtype=np.float64)
    else:
        dtype = np.dtype(np.int64)
        if index.inferred_type in ("string", "bytes", "datetime64", "timedelta64",
                                   "period", "date", "time", "interval"):
            return np.arange(n, n + n_new, dtype=dtype)  # integers cannot collide
    # gaps: at most n of the first n + n_new candidates are taken
    candidates = np.arange(n, 2 * n + n_new, dtype=dtype)
    free = candidates[~pd.Index(candidates).isin(index)]
    return free[:n_new]


def restore_X(X_res: Any, c: Container, n_original: int, keep_rows: Any = None):
    """Turn the sampler's array back into the kind of container ``X`` was.

    ``keep_rows`` (cleaning samplers) are the original rows kept, in order;
    otherwise the first ``n_original`` rows are the originals. Device results
    of host inputs come back to the host here, in one copy (through pinned
    chunks when large); CuPy inputs stay
    on the device.
    """
    if c.kind == "cupy":
        if not is_cupy_array(X_res) and not sparse.issparse(X_res):  # pragma: no cover
            import cupy  # CuPy in, NumPy backend: give CuPy back

            X_res = cupy.asarray(X_res)
        return X_res
    X_res, keep_rows = _to_host(X_res), _to_host(keep_rows)
    if c.kind == "dataframe":
        import pandas as pd

        if keep_rows is not None:
            index = c.index[np.asarray(keep_rows)]
        else:
            index = resampled_index(c.index, X_res.shape[0] - n_original)
        if _is_pandas(X_res, "DataFrame"):  # built column by column (SMOTENC)
            X_res.index = index
            return X_res
        if sparse.issparse(X_res):
            df = pd.DataFrame.sparse.from_spmatrix(X_res, columns=c.columns, index=index)
        else:
            df = pd.DataFrame(np.asarray(X_res), columns=c.columns, index=index, copy=False)
        return _restore_dtypes(df, c.dtypes)
    if c.kind == "list":
        return np.asarray(X_res).tolist()
    if c.kind == "sparse" and sparse.issparse(X_res):
        return X_res.asformat(c.sparse_format)
    return X_res


def needs_caller_rows(X: Any, c: Container, X_res: Any) -> bool:
    """Whether a cleaner's result must be taken from the caller's X rather than
    from the validated copy: when validation changed the values' type (integer
    or boolean X became float64), and for DataFrames and lists (their columns
    and elements come back exactly as given)."""
    if c.kind in ("dataframe", "list"):
        return True
    return c.dtype is not None and np.dtype(c.dtype) != X_res.dtype


def select_rows(X: Any, c: Container, keep: Any):
    """Rows ``keep`` of the caller's X, in the caller's container and dtype (the
    cleaners' output). CuPy X is indexed on the device, host X on the host."""
    if c.kind == "cupy":
        import cupy

        return X[cupy.asarray(keep)]
    keep = np.asarray(_to_host(keep))
    if c.kind == "dataframe":
        return X.iloc[keep]
    if c.kind == "sparse":
        rows = X if X.format in ("csr", "csc") else X.tocsr()
        return rows[keep].asformat(c.sparse_format)
    if c.kind == "list":
        return np.asarray(X)[keep].tolist() if len(X) else []
    return np.asarray(X)[keep]


def _to_host(a: Any):
    """A host copy of a CuPy array (large ones through pinned, double-buffered
    chunks: ``backends._cupy.download``); anything else unchanged."""
    if not is_cupy_array(a):
        return a
    from .backends._cupy import download

    with phase("transfer"):
        return download(a)


def _restore_dtypes(df, dtypes):
    import pandas as pd

    for col, dtype in dtypes.items():
        if isinstance(dtype, pd.SparseDtype) or df[col].dtype == dtype:
            continue
        values = df[col]
        if dtype.kind in "iub" and values.dtype.kind == "f":
            values = values.round()  # synthetic values of integer columns: nearest
        df[col] = values.astype(dtype)
    return df


def restore_y(y_res: Any, c: Container, X_out: Any = None):
    """Turn the labels back into the kind of container ``y`` was."""
    if c.kind != "cupy":
        y_res = _to_host(y_res)
    if c.kind in ("series", "dataframe"):
        import pandas as pd

        index = getattr(X_out, "index", None)
        if c.kind == "series":
            return pd.Series(np.asarray(y_res), name=c.name, dtype=c.dtype, index=index)
        values = np.asarray(y_res)
        values = values.reshape(values.shape[0], -1)
        df = pd.DataFrame(values, columns=c.columns, index=index)
        return df.astype(dict(c.dtypes.items()))
    if c.kind == "list":
        return np.asarray(y_res).tolist()
    if c.kind == "cupy":  # pragma: no cover - needs a GPU
        import cupy

        return cupy.asarray(y_res)
    return y_res
