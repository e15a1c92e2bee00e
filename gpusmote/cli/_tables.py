"""Files and columns for ``resample`` and ``compare``: reading and writing
tables, the roles of columns (target, index, pass-through, categorical), hints
about columns that look like ids, and the pass-through values of resampled rows.

pandas and NumPy are imported inside the functions (``--help`` needs neither);
this module is below the commands
and imports only ``_registry`` from the tool layer.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ._registry import CATEGORICAL_METHODS, CLIError, need, one_line

READ_EXTENSIONS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}

# Column names that usually hold a row number or an identifier, not a feature:
# pandas' own name for an index written to CSV ("Unnamed: 0"), id, index, *_id.
_ID_NAME = re.compile(r"^(unnamed: \d+|id|index|row|row_?id|u?uid|guid|.*[_ ]id|id[_ ].*)$",
                      re.I)
# An integer column with a distinct value per row looks like an id only when
# there are enough rows for that to mean something.
_ID_MIN_ROWS = 20


def file_kind(path: str, role: str) -> str:
    """``"csv"`` or ``"parquet"``, from the extension of ``path``."""
    low = path.lower()
    for ext, kind in sorted(READ_EXTENSIONS.items(), key=lambda kv: -len(kv[0])):
        if low.endswith(ext):
            return kind
    raise CLIError(f"{role} {path!r} has an unknown extension; use one of: "
                   f"{', '.join(READ_EXTENSIONS)}")


def same_file(a: str, b: str) -> bool:
    """True when two paths name the same file (existing or not)."""
    if os.path.exists(a) and os.path.exists(b):
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)


def read_table(path: str, command: str = "resample"):
    """Read a CSV or Parquet file (chosen by extension) into a DataFrame.

    A file without rows (a CSV with only its header line) is an error here,
    before its empty columns could be mistaken for anything else.
    """
    pd = need("pandas", command)
    kind = file_kind(path, "input")
    if not os.path.exists(path):
        raise CLIError(f"input file {path!r} does not exist")
    if os.path.isdir(path):
        raise CLIError(f"input {path!r} is a directory, not a file")
    try:
        if kind == "parquet":
            need("pyarrow", command)
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path)
    except CLIError:
        raise
    except Exception as exc:  # parsers raise many kinds; all mean "unreadable"
        raise CLIError(f"could not read {path!r} as {kind.upper()}: {one_line(exc)}") from None
    if len(df) == 0:
        what = "only a header line" if kind == "csv" else "no data"
        raise CLIError(f"{path} has no rows ({what}, {df.shape[1]} column(s)); "
                       "there is nothing to resample")
    return df


def write_table(df, path: str) -> None:
    """Write a DataFrame as CSV or Parquet (chosen by extension), without the index.

    In a CSV, a column that pandas named ``Unnamed: i`` at position ``i`` had an
    empty header (pandas writes its index that way); it gets its empty header back.
    """
    kind = file_kind(path, "output")
    if kind == "csv":
        names = ["" if str(c) == f"Unnamed: {i}" else c for i, c in enumerate(df.columns)]
        if names != list(df.columns):
            df = df.set_axis(names, axis=1)
    try:
        if kind == "parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_csv(path, index=False)
    except Exception as exc:
        raise CLIError(f"could not write {path!r}: {one_line(exc)}") from None


def column_list(text: str | None) -> list[str]:
    """The names of a comma-separated column option, stripped, empty items dropped."""
    if not text:
        return []
    return list(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


def _shown(columns, limit: int = 30) -> str:
    cols = [str(c) for c in columns]
    return ", ".join(cols[:limit]) + (f", ... ({len(cols)} in all)" if len(cols) > limit
                                      else "")


@dataclass
class Columns:
    """The role of each column of an input table, from the command-line options."""

    target: Any
    index: Any = None
    exclude: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    order: list = field(default_factory=list)  # the file's column order

    @property
    def not_features(self) -> list:
        return [self.target] + ([self.index] if self.index is not None else []) + self.exclude


def resolve_columns(df, path: str, target: str, *, index_col: str | None = None,
                    exclude: str | None = None, categorical: str | None = None) -> Columns:
    """Check the column options against the file and give each column its role.

    Names are matched as written in the file (for Parquet, by their text).
    A column may have one role only.
    """
    by_text = {str(c): c for c in df.columns}

    def find(name: str, flag: str):
        if name not in by_text:
            what = "target column" if flag == "--target" else f"{flag} column"
            raise CLIError(f"{what} {name!r} is not in {path}; available columns: "
                           f"{_shown(df.columns)}")
        return by_text[name]

    cols = Columns(target=find(target, "--target"), order=list(df.columns))
    if index_col:
        cols.index = find(index_col, "--index-col")
    cols.exclude = [find(c, "--exclude") for c in column_list(exclude)]
    cols.categorical = [find(c, "--categorical") for c in column_list(categorical)]
    roles: dict[Any, str] = {cols.target: "--target"}
    for flag, names in (("--index-col", [cols.index] if cols.index is not None else []),
                        ("--exclude", cols.exclude), ("--categorical", cols.categorical)):
        for name in names:
            if name in roles:
                raise CLIError(f"column {str(name)!r} is given to both {roles[name]} and "
                               f"{flag}; a column has one role")
            roles[name] = flag
    return cols


def check_provenance_free(columns, path: str) -> None:
    """Refuse ``--provenance`` for a table that already has one of its columns."""
    taken = [c for c in PROVENANCE_COLUMNS if c in {str(c) for c in columns}]
    if taken:
        raise CLIError(f"--provenance adds the columns {', '.join(PROVENANCE_COLUMNS)}, "
                       f"but {path} already has {', '.join(map(repr, taken))}; "
                       "rename or drop that column first")


def categorical_columns(X) -> list:
    """The columns of ``X`` (a DataFrame, or a Dask DataFrame's meta) that are
    category, object or string."""
    import pandas as pd

    return [c for c, t in X.dtypes.items()
            if isinstance(t, pd.CategoricalDtype) or pd.api.types.is_object_dtype(t)
            or pd.api.types.is_string_dtype(t)]


def check_features_for(X, method: str) -> None:
    """Refuse categorical feature columns for a method that needs numbers."""
    categorical = categorical_columns(X)
    if categorical and method.lower() not in CATEGORICAL_METHODS:
        shown = ", ".join(map(str, categorical[:10]))
        raise CLIError(f"column(s) {shown} are categorical and method {method!r} "
                       "needs numeric features; use --method smotenc for mixed "
                       "numeric and categorical columns (smoten if all are "
                       "categorical), or encode/drop them")


def id_like_columns(df, columns) -> list:
    """The columns among ``columns`` that look like a row number or an id.

    A name such as ``Unnamed: 0`` (pandas' name for an index written to CSV),
    ``id``, ``index`` or ``customer_id``, or an integer or text column with a
    distinct value in every row (0..n-1 among them).
    """
    import pandas as pd

    found = []
    for col in columns:
        values = df[col]
        if _ID_NAME.match(str(col)):
            found.append(col)
        elif ((pd.api.types.is_integer_dtype(values.dtype)
               or pd.api.types.is_object_dtype(values.dtype)
               or pd.api.types.is_string_dtype(values.dtype))
              and not pd.api.types.is_bool_dtype(values.dtype)
              and len(values) >= _ID_MIN_ROWS and values.is_unique):
            found.append(col)
    return found


def id_hint(df, cols: Columns) -> str | None:
    """A one-line hint naming feature columns that look like an index or an id, or None."""
    features = [c for c in df.columns if c not in cols.not_features]
    suspects = id_like_columns(df, features)
    if not suspects:
        return None
    names = ", ".join(repr(str(c)) for c in suspects)
    if len(suspects) == 1:
        col = shlex.quote(str(suspects[0]))
        return (f"column {names} looks like a row number or an id and is used as a "
                f"feature; pass --index-col {col} to keep it as the index, or "
                f"--exclude {col} to pass it through unchanged")
    cols = shlex.quote(",".join(str(c) for c in suspects))
    return (f"columns {names} look like row numbers or ids and are used as features; "
            f"pass --exclude {cols} to pass them through unchanged (or --index-col "
            "for the one that is the index)")


# --------------------------------------------------------------------------
# where each resampled row comes from
# --------------------------------------------------------------------------
def _host(a):
    import numpy as np

    return np.asarray(a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a)


PROVENANCE_COLUMNS = ("is_synthetic", "parent_row", "neighbour_row")


def row_provenance(sampler, n_out: int, flag: str = "--exclude"):
    """Where each row of the sampler's output comes from.

    Positions are those of the input's rows (from 0). An original row is not
    synthetic, has its own position as parent and no neighbour (-1). A new row
    has the row it was made from as parent (the row it copies, is interpolated
    from, or whose neighbours voted) and the row it was interpolated towards as
    neighbour (-1 for none): the sampler's ``synthetic_parents_``. Rows kept
    by a cleaner or an under-sampler are originals (``sample_indices_``).

    Parameters
    ----------
    sampler : fitted gpusmote sampler
    n_out : int
        Rows of its output.
    flag : str
        The option that asks, for the error when the rows have no source row.

    Returns
    -------
    is_synthetic : ndarray of bool, shape (n_out,)
    parent, neighbour : ndarray of int64, shape (n_out,)
    """
    import numpy as np

    indices = getattr(sampler, "sample_indices_", None)
    mask = getattr(sampler, "synthetic_mask_", None)
    if indices is None:
        # ClusterCentroids: its rows are centroids, each the mean of many rows
        what = ("excluded columns have no values to copy" if flag == "--exclude"
                else f"{flag} has no rows to name")
        raise CLIError(f"{type(sampler).__name__} writes new rows that come from no single "
                       f"original row, so {what}; drop {flag}, or choose a method that "
                       "keeps rows")
    indices = _host(indices).astype(np.int64)
    if mask is None:  # a cleaner or an under-sampler: every row is an original
        mask = np.zeros(len(indices), dtype=bool)
    mask = _host(mask).astype(bool)
    if len(mask) != n_out:  # pragma: no cover - a sampler outside these rules
        raise CLIError(f"cannot tell where the rows of {type(sampler).__name__}'s output "
                       f"come from; drop {flag}")
    parent = np.empty(n_out, dtype=np.int64)
    neighbour = np.full(n_out, -1, dtype=np.int64)
    # RandomOverSampler's sample_indices_ name every output row (imbalanced-learn's
    # meaning); elsewhere they name the original rows only
    parent[~mask] = indices[~mask] if len(indices) == n_out else indices
    if mask.any():
        parents = _host(sampler.synthetic_parents_).astype(np.int64)
        parent[mask] = parents[:, 0]
        neighbour[mask] = parents[:, 1]
    return mask, parent, neighbour


def row_sources(sampler, X, y, X_res, y_res):
    """For each row of the sampler's output, the original row it copies pass-through
    values from: its parent in ``row_provenance`` (an original row is its own
    source; a new row's source is the row it was drawn, interpolated from, or
    whose neighbours voted for it).

    Parameters
    ----------
    sampler : fitted gpusmote sampler
    X, y : DataFrame and Series
        What the sampler was given.
    X_res, y_res : DataFrame and Series
        What it returned.

    Returns
    -------
    sources : ndarray of int64, shape (len(y_res),)
        Positions in ``X``.
    """
    return row_provenance(sampler, len(y_res))[1]


def counts_table(before, after) -> str:
    """The class counts before and after, as the summary's aligned table."""
    labels = list(before.index) + [c for c in after.index if c not in before.index]
    rows = [("class", "before", "after")]
    for label in labels:
        rows.append((str(label), str(int(before.get(label, 0))), str(int(after.get(label, 0)))))
    rows.append(("total", str(int(before.sum())), str(int(after.sum()))))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}"
                     for r in rows)
