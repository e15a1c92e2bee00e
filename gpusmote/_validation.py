"""Every data check and its message: name the problem, the value and the fix."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from scipy import sparse

from ._timing import phase
from .backends import is_cupy_array


def host_array(X: Any) -> np.ndarray:
    """``np.asarray(X)``, with a clear message for ragged rows."""
    try:
        return np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"X could not be read as a 2-D array ({exc}); pass rows of "
                         "equal length.") from None


def non_numeric_columns(X: Any) -> list:
    """Names of the pandas columns that are not numeric (category, object, string)."""
    import pandas as pd

    return [col for col, dtype in X.dtypes.items()
            if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))]


def check_X(be, X: Any, sampler_name: str, *, accept_sparse: bool = True):
    """Validate X and return it as a 2-D float array of ``be`` (or a CSR/CSC matrix).

    float32 and float64 are kept; integers and booleans become float64. The
    caller's object is never modified.
    """
    xp = be.xp
    if X is None:
        raise TypeError(f"{sampler_name}.fit_resample needs X, got None.")
    if sparse.issparse(X):
        return _check_sparse(X, sampler_name, accept_sparse)
    if type(X).__module__.split(".")[0] == "pandas" and type(X).__name__ == "DataFrame":
        X = _from_dataframe(X, sampler_name, accept_sparse)
        if sparse.issparse(X):
            return _check_sparse(X, sampler_name, accept_sparse)
    if not is_cupy_array(X) and not hasattr(X, "__array__") and not isinstance(X, (list, tuple)):
        raise TypeError(
            f"X must be an array-like of shape (n_samples, n_features), got "
            f"{type(X).__name__}; pass a NumPy/CuPy array, a list of rows or a DataFrame."
        )
    if not is_cupy_array(X):
        X = host_array(X)
        if X.dtype == object or X.dtype.kind in "USV":
            try:  # numbers stored as objects are fine; anything else is not
                X = X.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{sampler_name} needs numeric features but X has dtype {X.dtype} "
                    f"({exc}); use SMOTENC(categorical_features=...) for mixed numeric "
                    "and categorical columns, SMOTEN for all-categorical data, or encode "
                    "the columns as numbers first."
                ) from None
    if X.ndim != 2:
        hint = " Reshape one feature with X.reshape(-1, 1)." if X.ndim == 1 else ""
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"X is empty: shape {X.shape}. Pass at least one row per class.")
    if X.shape[1] == 0:
        raise ValueError(f"X has no features: 0 feature(s) (shape={X.shape}) while a "
                         "minimum of 1 is required. Pass at least one column.")
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X has dtype {X.dtype}; pass real "
                         "numbers (for example X.real or abs(X)).")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    upload = be.name == "cupy" and not is_cupy_array(X)
    with phase("transfer", be) if upload else contextlib.nullcontext():
        X = be.asarray(X)
    _check_finite(xp, X)
    return X


def _from_dataframe(X, sampler_name: str, accept_sparse: bool):
    import pandas as pd

    bad = non_numeric_columns(X)
    if bad:
        raise TypeError(
            f"{sampler_name} needs numeric features but column(s) {bad[:5]} "
            f"{'are' if len(bad) > 1 else 'is'} not numeric; use "
            "SMOTENC(categorical_features='auto') for mixed numeric and categorical "
            "columns, or SMOTEN for all-categorical data."
        )
    if any(isinstance(t, pd.SparseDtype) for t in X.dtypes):
        return X.sparse.to_coo().tocsr()
    dtypes = set(X.dtypes)
    target = np.float32 if dtypes == {np.dtype(np.float32)} else np.float64
    return X.to_numpy(dtype=target)


def _check_sparse(X, sampler_name: str, accept_sparse: bool):
    if not accept_sparse:
        raise TypeError(f"{sampler_name} does not accept sparse X; pass X.toarray().")
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty: shape {X.shape}. Pass at least one row per class.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not np.isfinite(X.data).all():
        raise ValueError("X contains NaN or infinity; impute or drop those values before "
                         "resampling (for example sklearn.impute.SimpleImputer in the pipeline).")
    return X


def first_non_finite(xp, A):
    """(row, column, "NaN" or "infinity") of the first non-finite value of the
    2-D array ``A``, or None when every value is finite."""
    bad = ~xp.isfinite(A)
    if not bool(bad.any()):
        return None
    row, col = (int(v[0]) for v in xp.nonzero(bad))
    return row, col, ("NaN" if bool(xp.isnan(A[row, col])) else "infinity")


def _check_finite(xp, X) -> None:
    # The sum is finite for almost every clean array: one cheap pass. Only when
    # it is not do we look for the culprit (the sum may also just overflow). In
    # X's own dtype: a float64 sum of float32 data casts as it goes (1M x 30:
    # 17 ms instead of 5), and float32's rarer overflow only costs the look.
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum is looked into
        total = X.sum()
    if bool(xp.isfinite(total)):
        return
    cell = first_non_finite(xp, X)
    if cell is None:
        return
    row, col, what = cell
    raise ValueError(
        f"X contains {what} (first at row {row}, column {col}); impute or drop those "
        "values before resampling, for example with sklearn.impute.SimpleImputer "
        "inside the pipeline."
    )


def check_class_size(label: Any, count: int, n_neighbors: int, sampler_name: str,
                     param: str = "k_neighbors") -> None:
    """A class must have ``n_neighbors + 1`` rows to find n_neighbors neighbours."""
    if count >= n_neighbors + 1:
        return
    label = label.item() if hasattr(label, "item") else label
    if count > 1:
        fix = (f"The largest {param} that works is {count - 1}: pass {param}={count - 1} "
               "or fewer, or add rows of this class.")
    else:
        fix = ("No neighbour search works on a single row: over-sample it with "
               "RandomOverSampler or leave it out of sampling_strategy.")
    raise ValueError(
        f"class {label!r} has {count} row{'s' if count != 1 else ''}; {sampler_name} needs "
        f"{param} + 1 = {n_neighbors + 1} rows in every class it over-samples. {fix}"
    )


# -- the SMOTE variants, cleaners and categorical samplers ------------------

def check_enough_rows(n_rows: int, n_neighbors: int, sampler_name: str,
                      param: str) -> None:
    """A search among all rows of X needs ``n_neighbors + 1`` rows (the row itself)."""
    if n_rows >= n_neighbors + 1:
        return
    raise ValueError(
        f"{param}={n_neighbors} is too large: {sampler_name} looks for {param} "
        f"neighbours of each row among the other rows of X, and X has only {n_rows} "
        f"rows. Use {param} <= {n_rows - 1}."
    )


def adasyn_no_other_class(label: Any) -> RuntimeError:
    label = label.item() if hasattr(label, "item") else label
    # RuntimeError, as imbalanced-learn raises for the same case
    return RuntimeError(
        f"ADASYN: no row of class {label!r} has a neighbour of another class, so its "
        "density weights are all zero (a division by zero). ADASYN is not suited to "
        "this data set; use SMOTE instead, or a larger n_neighbors."
    )


def adasyn_nothing_generated(label: Any, n_new: int) -> ValueError:
    label = label.item() if hasattr(label, "item") else label
    return ValueError(
        f"ADASYN: no samples will be generated for class {label!r}: {n_new} new rows "
        "were asked and every row's share rounds to 0. Ask for more rows in "
        "sampling_strategy, or use SMOTE."
    )


def check_shrinkage(shrinkage: Any, classes) -> None:
    """A dict ``shrinkage`` needs a factor >= 0 for every class that is resampled."""
    missing = [c.item() if hasattr(c, "item") else c for c in set(classes) - set(shrinkage)]
    if missing:
        raise ValueError(
            f"shrinkage should contain a shrinkage factor for each class that will be "
            f"resampled. The missing classes are: {sorted(missing, key=repr)!r}; add "
            "them to the dict or pass one float for all classes."
        )
    for label, factor in shrinkage.items():
        if factor < 0:
            label = label.item() if hasattr(label, "item") else label
            factor = factor.item() if hasattr(factor, "item") else factor
            raise ValueError(
                f"The shrinkage factor needs to be >= 0. Got {factor} for class "
                f"{label!r}; use 0 for no smoothing."
            )


def shrinkage_needs_numbers(what: str, error=TypeError) -> Exception:
    return error(
        f"When shrinkage is not None, X needs to contain only finite numerical data to "
        f"generate a smoothed bootstrap sample; X has {what}. Encode the columns as "
        "numbers (and impute missing values) first, or use shrinkage=None (plain "
        "duplication)."
    )


def categorical_feature_problem(problem: str) -> ValueError:
    return ValueError(f"SMOTENC categorical_features: {problem}")


def smotenc_all_categorical(n_features: int) -> ValueError:
    return ValueError(
        f"SMOTE-NC is not designed to work only with categorical features: all "
        f"{n_features} columns are categorical. It requires some numerical features; "
        "use SMOTEN for all-categorical data."
    )


def smotenc_no_categorical() -> ValueError:
    return ValueError(
        "SMOTE-NC is not designed to work only with numerical features: no column is "
        "categorical. It requires some categorical features; use SMOTE for "
        "all-numerical data, or name the categorical columns in categorical_features."
    )


def smotenc_encoder_columns(n_columns: int, n_categories: int) -> ValueError:
    return ValueError(
        f"SMOTENC requires a one-hot encoding with one column per category for the "
        f"categorical features. The provided categorical_encoder produced {n_columns} "
        f"columns for {n_categories} categories (it drops or merges categories). Pass "
        "an encoder that keeps all categories, such as "
        "OneHotEncoder(handle_unknown='ignore')."
    )


def check_categorical_finite(X, sampler_name: str) -> None:
    """Numeric columns given to SMOTENC/SMOTEN must be finite; categories may be anything."""
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError(
            f"{sampler_name}: the numerical columns of X contain NaN or infinity; impute "
            "or drop those values before resampling (for example "
            "sklearn.impute.SimpleImputer in the pipeline)."
        )


# A sparse X is made dense for the neighbour search; past this size that is
# more likely a mistake (text-like data) than what the user wants.
MAX_DENSE_BYTES = 2 << 30


def dense_for_search(X, sampler_name: str):
    """A dense copy of a sparse X for the neighbour search, refused when it would be huge."""
    if not sparse.issparse(X):
        return X
    dense_bytes = X.shape[0] * X.shape[1] * X.dtype.itemsize
    if dense_bytes > MAX_DENSE_BYTES:
        raise ValueError(
            f"{sampler_name}: X is sparse with shape {X.shape}; the exact neighbour search "
            f"works on dense rows and would need {dense_bytes / 2**30:.1f} GiB for them. "
            "Reduce the features first (for example sklearn.decomposition.TruncatedSVD), "
            "or, for SMOTE, pass a neighbours estimator that accepts sparse input as "
            "k_neighbors (for example NearestNeighbors(n_neighbors=6)).")
    return X.toarray()


# -- generation: differences that would overflow the dtype ------------------------

# A relative margin below the dtype's largest value: x + u * (x_nn - x) rounds
# (and may be fused) in the kernels, so a span a few ulps under the maximum is
# refused too.
_SPAN_MARGIN = 1e-6


def _column_extremes(be, X, rows):
    """Per column, the smallest and largest value of rows ``rows`` of X (all rows
    when None), as float64 host arrays (sparse X counts its implicit zeros)."""
    if sparse.issparse(X):
        part = X if rows is None else X[be.to_numpy(rows)]
        lo = np.asarray(part.min(axis=0).todense()).ravel()
        hi = np.asarray(part.max(axis=0).todense()).ravel()
        return lo.astype(np.float64), hi.astype(np.float64)
    part = X if rows is None else X[be.asarray(rows)]
    xp = be.xp
    lo, hi = be.to_numpy(xp.stack([part.min(axis=0), part.max(axis=0)]))  # one download
    return lo.astype(np.float64), hi.astype(np.float64)


def check_interpolation_range(be, X, groups, sampler_name: str, columns=None) -> None:
    """Refuse, before any search or draw, a class whose rows span more than X's
    dtype can hold in some column: the step ``x_nn - x`` of the interpolation
    would overflow and the new rows would be inf (imbalanced-learn returns them
    silently).

    ``groups`` are ``(label, rows)`` pairs: the rows (on the backend) that the
    class's new rows are interpolated between, or None for all rows of X
    (BorderlineSMOTE-2 steps towards any class). Only those rows are read: a
    pass over the whole of X would cost more than the search of a small
    minority.
    """
    if X.shape[0] == 0:
        return
    limit = float(np.finfo(X.dtype).max) * (1 - _SPAN_MARGIN)
    whole_done = False
    with np.errstate(over="ignore", invalid="ignore"):
        for label, rows in groups:
            if rows is None:
                if whole_done:  # the same rows for every class
                    continue
                whole_done = True
            lo, hi = _column_extremes(be, X, rows)
            bad = np.flatnonzero(~(hi - lo <= limit))
            if bad.size:
                raise _span_overflow(sampler_name, columns, bad, label, lo, hi, X.dtype)


def _span_overflow(sampler_name, columns, bad, label, lo, hi, dtype) -> ValueError:
    col = int(bad[0])
    name = col if columns is None else columns[col]
    name = repr(name.item() if hasattr(name, "item") else name) if columns is not None \
        else str(col)
    more = f" (and {bad.size - 1} more column(s))" if bad.size > 1 else ""
    label = label.item() if hasattr(label, "item") else label
    kind = np.dtype(dtype).name
    fix = ("pass X as float64 (X.astype(np.float64)) or rescale that column"
           if kind == "float32" else
           "rescale that column (for example divide it by a power of ten, or use "
           "sklearn.preprocessing.StandardScaler)")
    return ValueError(
        f"{sampler_name}: column {name}{more} of class {label!r} holds values from "
        f"{lo[col]:.3g} to {hi[col]:.3g}; the difference of two such rows, along which "
        f"new rows are interpolated, overflows {kind} (largest "
        f"{np.finfo(dtype).max:.3g}), so new rows would be inf. To resample this data, "
        f"{fix}.")
