"""SMOTENC (mixed numeric and categorical columns) and SMOTEN (all categorical).

Both accept non-numeric X, so they validate it themselves: categorical
columns become integer codes on the host (through the encoder, as
imbalanced-learn does), numeric columns go to the backend as floats.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
from sklearn.utils._param_validation import HasMethods, StrOptions

from . import _docstrings as docs
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._generate import ClassPlan, draw, interpolate_rows, seed_from
from ._timing import phase
from ._validation import (categorical_feature_problem, check_categorical_finite,
                          check_class_size, check_interpolation_range, host_array, non_numeric_columns,
                          smotenc_all_categorical,
                          smotenc_encoder_columns, smotenc_no_categorical)
from .backends import is_cupy_array
from ._random import check_shape
from ._smote import SMOTE
from ._mixed_neighbors import mixed_kneighbors


@dataclass
class _Table:
    """X as SMOTEN reads it; ``shape`` is that of X."""

    shape: tuple
    raw: Any          # X as given, as a host array or CuPy
    codes: Any        # (n, n_features) int64 ordinal codes, on the backend
    frame_int_cols: Any = None  # DataFrame columns of integer dtype (rounded on output)
    sparse_format: Any = None   # "csr"/"csc" when X was sparse (pandas sparse: "csr")


def _sparse_format(X):
    """The sparse format to give back: SciPy's own, or CSR for all-sparse DataFrames."""
    if sparse.issparse(X):
        return X.format
    if _is_frame(X) and len(X.columns):
        import pandas as pd

        if all(isinstance(t, pd.SparseDtype) for t in X.dtypes):
            return "csr"
    return None


def _as_sparse(be, X_res, fmt):
    if fmt is None:
        return X_res
    return sparse.csr_matrix(be.to_numpy(X_res)).asformat(fmt)


def _is_frame(X) -> bool:
    return hasattr(X, "iloc") and hasattr(X, "columns")


def _host_2d(X):
    """X as a 2-D host array of any dtype, or CuPy as given.

    Rows given as lists that mix numbers and strings become an object array, not
    NumPy's string array: the original rows must come back as they went in, numbers
    as numbers."""
    if is_cupy_array(X):
        out = X
    elif _is_frame(X):
        out = X.to_numpy()
    else:
        out = host_array(X)
        if isinstance(X, (list, tuple)) and out.dtype.kind in "US":
            out = np.array(X, dtype=object)
    check_shape(out)
    return out


def _is_numeric_column(values) -> bool:
    try:
        values.astype(np.float64)
    except (ValueError, TypeError):
        return False
    return True


@dataclass
class _MixedTable:
    """X as SMOTENC reads it: the rows of one class at a time, never a dense copy
    of a DataFrame (whose ``to_numpy()`` would box every value of mixed columns)."""

    shape: tuple
    raw: Any          # X: host array (object for mixed columns), CuPy, or a DataFrame
    cont: np.ndarray  # numeric column indices
    cat: np.ndarray   # categorical column indices
    dtype: Any        # float dtype of the numeric columns
    numeric: Any      # the numeric columns as floats on the backend (arrays only)
    categorical: Any  # the categorical columns on the host (DataFrame or array)
    frame_int_cols: Any = None  # DataFrame columns of integer dtype (rounded on output)

    def numeric_rows(self, be, rows: np.ndarray):
        if self.numeric is not None:
            return self.numeric[be.asarray(rows)]
        block = self.raw.iloc[rows, self.cont].to_numpy(dtype=self.dtype)
        return be.asarray(block)

    def categorical_rows(self, rows: np.ndarray):
        block = self.categorical
        return block.iloc[rows] if _is_frame(block) else block[rows]


def _distinct_rows(frame):
    """A DataFrame with the columns and dtypes of ``frame`` that holds every value
    of each column (NaN included) once, padded with its first value: what a
    one-hot encoder learns its categories from, in a few rows instead of millions."""
    import pandas as pd

    firsts = []
    for j in range(frame.shape[1]):
        codes, _ = pd.factorize(frame.iloc[:, j], use_na_sentinel=False)
        firsts.append(np.unique(codes, return_index=True)[1])
    size = max((f.size for f in firsts), default=0)
    columns = [frame.iloc[np.pad(f, (0, size - f.size), mode="edge"), j].reset_index(drop=True)
               for j, f in enumerate(firsts)]
    out = pd.concat(columns, axis=1)
    out.columns = frame.columns
    return out


def _fit_encoder(encoder, X_cat, default: bool) -> list:
    """Fit the one-hot encoder on every row and check that it gives one column per
    category (what the vote decodes); the category count of each column. The
    default encoder (no frequency limits: only which values occur matters) learns
    a DataFrame's categories from one row per value."""
    if default and _is_frame(X_cat) and X_cat.shape[0]:
        encoder.fit(_distinct_rows(X_cat))
    else:
        encoder.fit(X_cat)
    sizes = [len(c) for c in encoder.categories_]
    first = X_cat.iloc[:1] if _is_frame(X_cat) else X_cat[:1]
    width = sparse.csr_matrix(encoder.transform(first)).shape[1]
    if width != sum(sizes):
        raise smotenc_encoder_columns(width, sum(sizes))
    return sizes


def _codes(encoder, X_cat, sizes) -> np.ndarray:
    """Integer codes (n, n_features) of rows of the categorical columns, through the
    fitted one-hot encoder."""
    if X_cat.shape[0] == 0:
        return np.zeros((0, len(sizes)), dtype=np.int64)
    return _one_hot_codes(encoder.transform(X_cat), sizes)


def _one_hot_codes(encoded, sizes) -> np.ndarray:
    encoded = sparse.csr_matrix(encoded)
    if encoded.shape[1] != sum(sizes):
        raise smotenc_encoder_columns(encoded.shape[1], sum(sizes))
    encoded.sum_duplicates()
    encoded.eliminate_zeros()
    encoded.sort_indices()
    n, n_feat = encoded.shape[0], len(sizes)
    if encoded.nnz != n * n_feat:
        raise smotenc_encoder_columns(encoded.shape[1], sum(sizes))
    offsets = np.cumsum([0] + sizes[:-1])
    # one non-zero per feature block per row, blocks in column order
    codes = encoded.indices.reshape(n, n_feat) - offsets
    return codes.astype(np.int64)


def _encode(encoder, X_cat, default: bool = False):
    """Ordinal codes (n, n_features) of the columns, and the category counts (SMOTEN).

    The default ``OrdinalEncoder`` is fitted, and its codes (each value's position
    among the column's sorted categories) are then read off ``np.unique``: its
    ``transform`` checks every column again, two thirds of SMOTEN's time on a
    thousand rows of 30 columns. Where a column's values do not sort alike (None
    or NaN among them) the encoder's own ``transform`` answers."""
    if not default:
        encoded = encoder.fit_transform(X_cat)
    else:
        encoder.fit(X_cat)
        encoded = _sorted_codes(X_cat, encoder.categories_)
        if encoded is None:
            encoded = encoder.transform(X_cat)
    sizes = [len(c) for c in encoder.categories_]
    return np.asarray(encoded).astype(np.int64), sizes


def _sorted_codes(X_cat: np.ndarray, categories) -> np.ndarray | None:
    """Each value's position in its column's ``categories`` (sorted), or None when a
    column's sorted distinct values are not exactly ``categories``."""
    codes = np.empty(X_cat.shape, dtype=np.int64)
    for j, cats in enumerate(categories):
        try:
            values, inverse = np.unique(X_cat[:, j], return_inverse=True)
        except TypeError:  # values that do not compare (None next to strings)
            return None
        if values.shape != cats.shape or not np.array_equal(values, cats):
            return None  # NaN (never equal), or a type the encoder sorts its own way
        codes[:, j] = inverse.reshape(-1)
    return codes


def _decode(encoder, codes: np.ndarray, sizes, one_hot: bool, default: bool = False):
    """Category values of integer codes, as the encoder's inverse_transform gives them
    (read from ``categories_`` for the default encoders, whose inverse_transform
    maps a code to its category and nothing else)."""
    n, n_feat = codes.shape
    if type(encoder) is OneHotEncoder or (default and n):
        # what OneHotEncoder.inverse_transform returns, without building the one-hot
        # matrix (its columns were checked to be one per category)
        out = np.empty((n, n_feat), dtype=np.result_type(*encoder.categories_))
        for j, cats in enumerate(encoder.categories_):
            out[:, j] = cats[codes[:, j]]
        return out
    if n == 0:  # encoders refuse empty input
        return np.empty(codes.shape, dtype=object)
    if not one_hot:
        return encoder.inverse_transform(codes.astype(np.int32))
    offsets = np.cumsum([0] + list(sizes[:-1]))
    cols = (codes + offsets).reshape(-1)
    onehot = sparse.csr_matrix((np.ones(cols.size), cols, np.arange(0, cols.size + 1, n_feat)),
                               shape=(n, sum(sizes)))
    return encoder.inverse_transform(onehot)


_MIX = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)


def tie_keys(xp, seed: int, r0: int, r1: int, k: int, column: int, n_columns: int):
    """Uniform keys in [0, 1) for the ties of new rows ``r0:r1`` in one column, an
    (r1 - r0, k) array: splitmix64 of (seed, row, column, position), so the same
    row gets the same keys whatever block it is computed in, on either backend."""
    u64 = xp.uint64
    rows = xp.arange(r0, r1, dtype=u64)[:, None]
    counter = (rows * u64(n_columns) + u64(column)) * u64(k) + xp.arange(k, dtype=u64)[None, :]
    z = counter + u64((seed * _MIX[0]) % 2**64)
    z = z + u64(_MIX[0])
    z = (z ^ (z >> u64(30))) * u64(_MIX[1])
    z = (z ^ (z >> u64(27))) * u64(_MIX[2])
    z = z ^ (z >> u64(31))
    return (z >> u64(11)).astype(xp.float64) * 2.0**-53


def majority_vote(be, votes, keys):
    """Most frequent code per row of ``votes`` (n, k); ties to the tied position with
    the largest key (keys uniform in [0, 1): ties broken uniformly at random)."""
    xp = be.xp
    counts = (votes[:, :, None] == votes[:, None, :]).sum(axis=2, dtype=xp.int8)
    # a count decides, a key (< 1) only among equal counts; every tied value fills
    # the same number of positions, so a uniform pick among tied positions is a
    # uniform pick among tied values
    pick = (counts + keys).argmax(axis=1)
    return xp.take_along_axis(votes, pick[:, None], axis=1)[:, 0]


def smallest_mode(be, votes):
    """Most frequent code along the last axis of ``votes``, ties to the smallest
    (``scipy.stats.mode``): (n, k) -> (n,), (n, columns, k) -> (n, columns)."""
    xp = be.xp
    k = votes.shape[-1]
    counts = (votes[..., :, None] == votes[..., None, :]).sum(
        axis=-1, dtype=xp.int16 if k < 2**15 else xp.int64)
    best = counts.max(axis=-1, keepdims=True)
    return xp.where(counts == best, votes, xp.iinfo(votes.dtype).max).min(axis=-1)


def column_modes(be, codes, sel, working_memory=None):
    """``smallest_mode`` of every column of ``codes`` over the rows ``sel`` (n, k)
    picks, for all columns at once, in blocks of rows within ``working_memory``."""
    xp = be.xp
    n, k = sel.shape
    n_cols = codes.shape[1]
    out = xp.empty((n, n_cols), dtype=codes.dtype)
    # the gathered votes, their pairwise equalities and counts, per row
    per_row = n_cols * k * (codes.itemsize + 3 * k)
    chunk = rows_per_block(per_row, budget_bytes(working_memory, be.free_bytes()), n)
    for r0 in block_starts(n, chunk):
        votes = xp.swapaxes(codes[sel[r0:r0 + chunk]], 1, 2)  # (rows, columns, k)
        out[r0:r0 + chunk] = smallest_mode(be, votes)
    return out


def _assemble(be, table, new_parts: dict, n_new: int, keep_dtype: bool = False):
    """Original rows, then new rows whose columns come from ``new_parts``
    (column indices -> host or backend block). Numeric X stays numeric: float
    as it came, integers as float64 unless ``keep_dtype`` (no interpolation)."""
    raw = table.raw
    n, d = table.shape
    if is_cupy_array(raw) or raw.dtype.kind in "biuf":
        xp = be.xp
        dtype = raw.dtype if raw.dtype.kind == "f" or keep_dtype else np.float64
        out = xp.empty((n + n_new, d), dtype=dtype)
        out[:n] = be.asarray(raw)
        for cols, block in new_parts.items():
            if not is_cupy_array(block):  # decoded categories may be objects: cast on the host
                block = np.asarray(block).astype(dtype, copy=False)
            out[n:, list(cols)] = be.asarray(block).astype(dtype, copy=False)
        return out
    # SMOTEN's new values are categories of the same columns: a NumPy string
    # array keeps its dtype (as in imblearn); anything else mixed is object
    string_kept = keep_dtype and isinstance(raw, np.ndarray) and raw.dtype.kind in "US"
    out = np.empty((n + n_new, d), dtype=raw.dtype if string_kept else object)
    out[:n] = raw
    for cols, block in new_parts.items():
        block = be.to_numpy(block) if not isinstance(block, np.ndarray) else block
        cols = list(cols)
        if table.frame_int_cols is not None and block.dtype.kind == "f":
            block = block.copy()
            for j, c in enumerate(cols):
                if c in table.frame_int_cols:
                    block[:, j] = np.rint(block[:, j])  # integer column: nearest
        out[n:, cols] = block
    return out


def _in_column_dtype(values, dtype):
    """New numeric values of a DataFrame column, in the column's dtype: integer
    columns get the nearest integer (also the Dask path's)."""
    import pandas as pd

    if dtype == values.dtype:
        return values
    if getattr(dtype, "kind", "O") in "iub":
        values = np.rint(values)
    return pd.Series(values, copy=False).astype(dtype).array


def _frame_column(dtype, categories, codes=None):
    """New values of one categorical DataFrame column, in its own dtype: the
    ``categories`` picked by ``codes`` (or the values themselves without codes);
    a pandas category column is made straight from the codes."""
    import pandas as pd

    if codes is not None and isinstance(dtype, pd.CategoricalDtype):
        where = dtype.categories.get_indexer(categories)  # NaN and unknown: -1
        return pd.Categorical.from_codes(where[codes], dtype=dtype)
    values = categories if codes is None else categories[codes]
    return values if dtype == object else pd.Series(values, copy=False).astype(dtype).array


class SMOTENC(SMOTE):
    __doc__ = f"""Over-sample data with numeric and categorical columns (SMOTE-NC).

    A drop-in replacement for ``imblearn.over_sampling.SMOTENC`` that runs
    the neighbour search and interpolation on NumPy or, with CuPy, on the
    GPU. Neighbours are found in the space of the numeric columns plus a
    one-hot encoding of the categorical ones scaled by ``median_std_ /
    sqrt(2)``, so that each categorical mismatch costs the median standard
    deviation of the class's numeric columns. Numeric values of a new row are
    interpolated as in SMOTE; each categorical value is the most frequent
    value among the seed's ``k_neighbors`` neighbours (ties at random).

    Parameters
    ----------
    categorical_features : "auto" or array-like of shape (n_cat_features,) or (n_features,)
        Which columns are categorical: indices, column names (DataFrame), a
        boolean mask over the columns, or ``"auto"`` for a DataFrame's
        category, object and string columns.

    categorical_encoder : estimator, default=None
        One-hot encoder of the categorical columns, with one column per
        category. None uses ``OneHotEncoder(handle_unknown='ignore')``.

    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    {docs.K_NEIGHBORS}

    {docs.BACKEND}

    {docs.WEIGHT_MODE}

    Attributes
    ----------
    {docs.FITTED}

    {docs.BASE_INDICES}

    {docs.ORIGINAL_ROWS}

    {docs.PROVENANCE}

    categorical_features_ : ndarray of shape (n_cat_features,)
        Indices of the categorical columns.

    continuous_features_ : ndarray of shape (n_cont_features,)
        Indices of the numeric columns.

    categorical_encoder_ : estimator
        The fitted encoder.

    n_features_ : int
        Number of features (columns of X) seen during ``fit_resample``, as
        imbalanced-learn's attribute of the same name (equal to ``n_features_in_``).

    median_std_ : dict
        Class label -> median standard deviation of its numeric columns.

    nn_k_ : estimator object
        The neighbour estimator given as ``k_neighbors``, or for an int the
        ``NearestNeighbors(k_neighbors + 1)`` imbalanced-learn would use.

    See Also
    --------
    imblearn.over_sampling.SMOTENC : the CPU implementation this mirrors.
    SMOTEN : for data whose columns are all categorical.

    Notes
    -----
    Output columns keep their kind: a DataFrame's category and string
    columns come back with their dtypes, integer columns rounded to the
    nearest integer. ``"auto"`` also takes object and string columns as
    categorical (imbalanced-learn takes only category columns, and fails on
    the others). Sparse X is not accepted.

    No one-hot matrix is built: the distance is that of imbalanced-learn's
    encoding, ``|a - b|^2 + median_std^2 * (categorical mismatches)``,
    computed from integer codes (``gpusmote._mixed_neighbors``), so columns
    with tens of thousands of categories cost no more memory than a few.
    Only the rows of the classes to over-sample are searched and voted on,
    block by block within ``working_memory``; a DataFrame's result is built
    column by column, never through an object array of all its values.
    Ties of the vote are broken by keys drawn from the new row's number, so
    the rows do not depend on ``working_memory``. With an estimator as
    ``k_neighbors``, it gets the class's numeric columns and the one-hot
    columns of the categories present in the class, as a dense matrix.

    Examples
    --------
    >>> from collections import Counter
    >>> import numpy as np
    >>> from gpusmote import SMOTENC
    >>> rng = np.random.RandomState(0)
    >>> X = np.empty((100, 3), dtype=object)
    >>> X[:, :2] = rng.normal(size=(100, 2))
    >>> X[:, 2] = rng.choice(["a", "b", "c"], size=100)
    >>> y = np.array([0] * 80 + [1] * 20)
    >>> X_res, y_res = SMOTENC(categorical_features=[2], random_state=0).fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 80), (1, 80)]
    >>> sorted(set(X_res[:, 2]))
    ['a', 'b', 'c']
    """

    # works on host labels (y comes to the host for CuPy input)
    _host_labels = True

    _required_parameters = ["categorical_features"]
    _parameter_constraints: dict = {
        **SMOTE._parameter_constraints,
        "categorical_features": ["array-like", StrOptions({"auto"})],
        "categorical_encoder": [HasMethods(["fit_transform", "inverse_transform"]), None],
    }

    def __init__(self, categorical_features, *, categorical_encoder=None,
                 sampling_strategy="auto", random_state=None, k_neighbors=5,
                 backend="auto", working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)
        self.categorical_features = categorical_features
        self.categorical_encoder = categorical_encoder

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        return tags

    # -- columns -------------------------------------------------------------
    def _resolve_columns(self, X, n_features: int) -> np.ndarray:
        spec = self.categorical_features
        if isinstance(spec, str) and spec == "auto":
            if not _is_frame(X):
                raise categorical_feature_problem(
                    f"'auto' reads the column dtypes of a pandas DataFrame, but X is a "
                    f"{type(X).__name__}. Pass the indices, names or a boolean mask of "
                    "the categorical columns instead.")
            bad = set(non_numeric_columns(X))
            return np.array([i for i, c in enumerate(X.columns) if c in bad], dtype=np.int64)
        values = np.asarray(spec)
        if values.ndim != 1:
            raise categorical_feature_problem(
                f"expected a 1-D list of indices, names or a boolean mask, got shape "
                f"{values.shape}.")
        if values.size == 0:
            return np.zeros(0, dtype=np.int64)
        if values.dtype == bool:
            if values.size != n_features:
                raise categorical_feature_problem(
                    f"the boolean mask has {values.size} entries but X has {n_features} "
                    "columns; give one entry per column.")
            return np.flatnonzero(values)
        if values.dtype.kind in "iu":
            bad = values[(values >= n_features) | (values < -n_features)]
            if bad.size:
                raise categorical_feature_problem(
                    f"index {int(bad[0])} is out of range for X with {n_features} "
                    f"columns; use indices in [0, {n_features - 1}].")
            return np.where(values < 0, values + n_features, values).astype(np.int64)
        if values.dtype.kind in "USO":
            if not _is_frame(X):
                raise categorical_feature_problem(
                    f"column names {list(values[:3])} need X as a pandas DataFrame, but X "
                    f"is a {type(X).__name__}; pass column indices instead.")
            columns = list(X.columns)
            missing = [v.item() if hasattr(v, "item") else v for v in values
                       if v not in columns]
            if missing:
                raise categorical_feature_problem(
                    f"column {missing[0]!r} is not in X; its columns are "
                    f"{columns[:10]}{'...' if len(columns) > 10 else ''}.")
            return np.array([columns.index(v) for v in values], dtype=np.int64)
        raise categorical_feature_problem(
            f"expected indices, column names or a boolean mask, got values of dtype "
            f"{values.dtype}.")

    def _check_X(self, be, X):
        name = type(self).__name__
        if sparse.issparse(X):
            raise TypeError(f"{name} does not accept sparse X; pass X.toarray().")
        frame = _is_frame(X)
        raw = X if frame else _host_2d(X)
        n_features = raw.shape[1]
        cat = self._resolve_columns(X, n_features)
        if cat.size == n_features:
            raise smotenc_all_categorical(n_features)
        if cat.size == 0:
            raise smotenc_no_categorical()
        self.n_features_ = int(n_features)
        self.categorical_features_ = cat
        self.continuous_features_ = cont = np.setdiff1d(np.arange(n_features), cat)
        if frame:
            # column by column: a mixed DataFrame's to_numpy() would box every value
            dtypes = X.dtypes.iloc[cont]
            dtype = np.float32 if all(t == np.float32 for t in dtypes) else np.float64
            int_cols = {int(c) for c, t in zip(cont, dtypes) if t.kind in "iub"}
            for c in cont:
                self._numeric_column(X.iloc[:, c], X.columns[c], dtype)
            numeric, cat_block = None, X.iloc[:, cat]
        else:
            host = be.to_numpy(raw[:, cont]) if is_cupy_array(raw) else raw[:, cont]
            numeric = self._numeric_block(host, cont)
            dtype, int_cols = numeric.dtype, None
            numeric = be.asarray(numeric)
            cat_block = be.to_numpy(raw[:, cat]) if is_cupy_array(raw) else raw[:, cat]
        self.categorical_encoder_ = (
            OneHotEncoder(handle_unknown="ignore", dtype=dtype)
            if self.categorical_encoder is None else clone(self.categorical_encoder))
        self._sizes = _fit_encoder(self.categorical_encoder_, cat_block,
                                   self.categorical_encoder is None)
        return _MixedTable(raw.shape, raw, cont, cat, dtype, numeric, cat_block, int_cols)

    def _numeric_column(self, column, label, dtype):
        """Check one DataFrame column that is to be interpolated: numbers, finite."""
        try:
            values = column.to_numpy(dtype=dtype)
        except (ValueError, TypeError):
            raise self._not_numbers([label]) from None
        check_categorical_finite(values, type(self).__name__)

    def _not_numbers(self, columns) -> TypeError:
        return TypeError(
            f"{type(self).__name__}: columns {columns[:5]} are treated as numeric but hold "
            "values that are not numbers; add them to categorical_features.")

    def _numeric_block(self, host, cont):
        """The numeric columns of an array X as floats (float dtypes kept), checked."""
        if host.dtype.kind not in "biuf":
            try:
                host = host.astype(np.float64)
            except (ValueError, TypeError):
                bad = [c for j, c in enumerate(cont) if not _is_numeric_column(host[:, j])]
                raise self._not_numbers([int(c) for c in bad]) from None
        host = host.astype(host.dtype if host.dtype.kind == "f" else np.float64, copy=False)
        check_categorical_finite(host, type(self).__name__)
        return host

    # -- resampling -------------------------------------------------------------
    def _class_rows(self, be, table, rows):
        """A class's numeric columns (backend floats) and categorical codes (int64)."""
        codes = _codes(self.categorical_encoder_, table.categorical_rows(rows), self._sizes)
        return table.numeric_rows(be, rows), be.asarray(codes)

    def _median_std(self, be, num, label) -> float:
        xp = be.xp
        # cast first: CuPy's var(dtype=float64) works on float32 input in float32
        std = xp.sqrt(xp.var(num.astype(xp.float64, copy=False), axis=0))
        med = float(np.median(be.to_numpy(std)))
        self.median_std_[label] = med
        return med

    def _neighbours(self, be, num, codes, med: float, k: int):
        """The class's neighbour table (local rows): the mixed distance from codes, or
        the user's estimator on imbalanced-learn's encoding of the class."""
        if isinstance(self.k_neighbors, numbers.Integral):
            budget = budget_bytes(self.working_memory, be.free_bytes())
            return mixed_kneighbors(be, num, codes, med * med, k, budget)
        xp = be.xp
        # only the categories present in the class: the others are zero in every row
        blocks = [num]
        for j in range(codes.shape[1]):
            present, local = xp.unique(codes[:, j], return_inverse=True)
            onehot = xp.zeros((codes.shape[0], present.shape[0]), dtype=num.dtype)
            onehot[xp.arange(codes.shape[0]), local.reshape(-1)] = med / math.sqrt(2)
            blocks.append(onehot)
        host = be.to_numpy(xp.concatenate(blocks, axis=1))
        self.nn_k_.fit(host)
        return be.asarray(self.nn_k_.kneighbors(host, return_distance=False)[:, 1:])

    def _plan_classes(self, be, table, classes):
        """Search and plan each class to over-sample, in the classes' own numbering
        (``classes``: (label, n_new, its rows of ``table``), in order; also the
        Dask path's, on gathered rows). Returns the classes' numeric rows stacked,
        their codes (an array per class) and the plans."""
        xp = be.xp
        name = type(self).__name__
        names = getattr(self, "feature_names_in_", None)
        cont = self.continuous_features_
        columns = list(names[cont]) if names is not None else list(cont)
        k = self._n_neighbors()
        for label, _, rows in classes:
            check_class_size(label, len(rows), k, name)
        self.median_std_ = {}
        nums, codes, plans, offset = [], [], [], 0
        for label, n_new, rows in classes:
            num, code = self._class_rows(be, table, rows)
            check_interpolation_range(be, num, [(label, None)], name, columns)
            med = self._median_std(be, num, label)
            local = self._neighbours(be, num, code, med, k)
            seeds = xp.arange(offset, offset + len(rows), dtype=xp.int64)
            plans.append(ClassPlan(label, seeds, local + offset, int(n_new)))
            nums.append(num)
            codes.append(code)
            offset += len(rows)
        num_all = (xp.concatenate(nums) if nums
                   else xp.empty((0, cont.size), dtype=table.dtype))
        return num_all, codes, plans

    def _fit_resample(self, be, X, y):
        table = X
        cont = self.continuous_features_
        self._validate_estimator()
        # only the rows of the classes to over-sample are read, searched and
        # voted on: in their own (local) numbering, mapped back at the end
        classes = [(label, int(n_new), np.flatnonzero(y == label))
                   for label, n_new in self.sampling_strategy_.items() if n_new]
        with phase("neighbours", be):
            num_all, codes, plans = self._plan_classes(be, table, classes)
        rows_all = be.asarray(np.concatenate([r for _, _, r in classes])
                              if classes else np.zeros(0, dtype=np.int64))
        seed = seed_from(self.random_state)
        n = table.shape[0]
        with phase("generation", be):
            base, nbr, steps = draw(be, plans, seed, num_all.dtype)
            # the numeric columns' provenance; the categorical values are the
            # votes of the base row's neighbours
            self._record_synthetic(n, rows_all[base], rows_all[nbr], steps, be=be)
            cat_new = be.to_numpy(self._vote(be, plans, codes, seed, base))
            rows = (base, nbr, steps)
            if _is_frame(table.raw):
                X_res = self._frame_result(be, table, num_all, rows, cat_new)
            else:
                numeric = be.empty_output((int(base.shape[0]), cont.size), num_all.dtype)
                interpolate_rows(be, num_all, *rows, numeric, self.working_memory)
                new_values = _decode(self.categorical_encoder_, cat_new, self._sizes, True)
                X_res = _assemble(be, table, {tuple(cont): numeric,
                                              tuple(self.categorical_features_): new_values},
                                  int(base.shape[0]))
            y_new = [np.full(n_new_c, label, dtype=y.dtype) for label, n_new_c, _ in classes]
            y_res = np.concatenate([y] + y_new)
        return X_res, y_res

    def _frame_result(self, be, table, num_all, rows, cat_new):
        """The caller's DataFrame and the new rows, built in place: one float
        array holds every row of the numeric columns (originals copied in, new
        rows interpolated straight into it) and becomes the result's float block
        without a copy; the categorical columns are concatenated codes. Beyond the
        result, only the classes' rows and the new codes are held."""
        import pandas as pd

        frame, cont, cat = table.raw, self.continuous_features_, self.categorical_features_
        n, n_new = frame.shape[0], int(cat_new.shape[0])
        encoder = self.categorical_encoder_
        if type(encoder) is OneHotEncoder:  # categories_[j][code] is the value
            columns = [_frame_column(frame.dtypes.iloc[c], cats, cat_new[:, j])
                       for j, (c, cats) in enumerate(zip(cat, encoder.categories_))]
        else:
            values = _decode(encoder, cat_new, self._sizes, True)
            columns = [_frame_column(frame.dtypes.iloc[c], values[:, j])
                       for j, c in enumerate(cat)]
        numeric = be.empty_output((n + n_new, cont.size), table.dtype)
        for j, c in enumerate(cont):
            numeric[:n, j] = be.asarray(frame.iloc[:, c].to_numpy(dtype=table.dtype))
        interpolate_rows(be, num_all, *rows, numeric[n:], self.working_memory)
        out = pd.DataFrame(be.to_numpy(numeric), copy=False)
        for j, c in enumerate(cont):
            dtype = frame.dtypes.iloc[c]
            if dtype != table.dtype:  # integer columns: the nearest integer
                new = _in_column_dtype(out.iloc[n:, j].to_numpy(), dtype)
                out.isetitem(j, pd.concat([frame.iloc[:, c].reset_index(drop=True),
                                           pd.Series(new)], ignore_index=True))
        for c, new in sorted(zip(cat, columns)):
            old = frame.iloc[:, c]
            out.insert(int(c), c, pd.concat([old.reset_index(drop=True),
                                             pd.Series(new, index=pd.RangeIndex(n, n + n_new))]),
                       allow_duplicates=True)
        out.columns = frame.columns
        return out

    def _vote(self, be, plans, codes, seed: int, base):
        """Categorical codes of the new rows (made from local rows ``base``): the most
        frequent code among each base row's neighbours, block by block; ties are
        settled by keys drawn from the new row's number, so the blocks do not matter."""
        xp = be.xp
        n_cat = len(self._sizes)
        n_new = int(base.shape[0])
        out = xp.empty((n_new, n_cat), dtype=xp.int64)
        if n_new == 0:
            return out
        neighbours = xp.concatenate([p.neighbours for p in plans])
        codes = xp.concatenate(codes)
        k = int(neighbours.shape[1])
        chunk = rows_per_block(k * k * 8 * 4, budget_bytes(self.working_memory,
                                                           be.free_bytes()), n_new)
        for r0 in block_starts(n_new, chunk):
            r1 = min(r0 + chunk, n_new)
            nbrs = neighbours[base[r0:r1]]
            for j in range(n_cat):
                keys = tie_keys(xp, seed, r0, r1, k, j, n_cat)
                out[r0:r1, j] = majority_vote(be, codes[:, j][nbrs], keys)
        return out


class SMOTEN(SMOTE):
    __doc__ = f"""Over-sample all-categorical data (SMOTE-N, value difference metric).

    A drop-in replacement for ``imblearn.over_sampling.SMOTEN`` that runs on
    NumPy or, with CuPy, on the GPU. Rows are compared with the value
    difference metric: two categories of a column are close when the
    classes are distributed alike among the rows that have them. Each new
    row copies, column by column, the most frequent category among a random
    row's ``k_neighbors + 1`` nearest rows of its class (itself included;
    ties to the first category in the encoder's order).

    Parameters
    ----------
    categorical_encoder : estimator, default=None
        Ordinal encoder of the columns. None uses
        ``OrdinalEncoder(dtype=np.int32)``.

    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    {docs.K_NEIGHBORS}

    {docs.BACKEND}

    {docs.WEIGHT_MODE_COPY}

    Attributes
    ----------
    {docs.FITTED}

    {docs.BASE_INDICES}

    {docs.ORIGINAL_ROWS}

    {docs.PROVENANCE}

    categorical_encoder_ : estimator
        The fitted encoder.

    nn_k_ : estimator object
        The neighbour estimator given as ``k_neighbors`` (set to a precomputed
        metric), or for an int the ``NearestNeighbors(k_neighbors + 1)``
        imbalanced-learn would use.

    See Also
    --------
    imblearn.over_sampling.SMOTEN : the CPU implementation this mirrors.
    SMOTENC : for numeric and categorical columns together.

    Notes
    -----
    The distances of a class are computed block by block (never the class's
    full distance matrix, which imbalanced-learn builds); ties go to the
    lower row index.

    Examples
    --------
    >>> from collections import Counter
    >>> import numpy as np
    >>> from gpusmote import SMOTEN
    >>> X = np.array(["A"] * 10 + ["B"] * 20 + ["C"] * 30, dtype=object).reshape(-1, 1)
    >>> y = np.array([0] * 20 + [1] * 40, dtype=np.int32)
    >>> X_res, y_res = SMOTEN(random_state=0).fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 40), (1, 40)]
    """

    # works on host labels (y comes to the host for CuPy input)
    _host_labels = True

    _parameter_constraints: dict = {
        **SMOTE._parameter_constraints,
        "categorical_encoder": [HasMethods(["fit_transform", "inverse_transform"]), None],
        "weight_mode": [StrOptions({"copy"})],
    }

    def __init__(self, categorical_encoder=None, *, sampling_strategy="auto",
                 random_state=None, k_neighbors=5, backend="auto", working_memory=None,
                 verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)
        self.categorical_encoder = categorical_encoder

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def _validate_estimator(self) -> None:
        super()._validate_estimator()
        self.nn_k_.set_params(metric="precomputed")

    def _check_X(self, be, X):
        name = type(self).__name__
        fmt = _sparse_format(X)
        raw = _host_2d(X.toarray() if sparse.issparse(X) else X)
        host = be.to_numpy(raw) if is_cupy_array(raw) else raw
        if host.dtype.kind == "f":
            check_categorical_finite(host, name)
        self.categorical_encoder_ = (OrdinalEncoder(dtype=np.int32)
                                     if self.categorical_encoder is None
                                     else clone(self.categorical_encoder))
        codes, self._sizes = _encode(self.categorical_encoder_, host,
                                     default=self.categorical_encoder is None)
        return _Table(raw.shape, raw, be.asarray(codes), sparse_format=fmt)

    def _vdm_tables(self, be, codes, y):
        """Per column, the value difference between any two of its categories:
        ``(sum over classes |P(c | a) - P(c | b)|) ** 2``, as imbalanced-learn's
        ``ValueDifferenceMetric(k=1, r=2)``."""
        classes = np.unique(y)
        codes = be.to_numpy(codes)
        budget = budget_bytes(self.working_memory, None)
        for j, size in enumerate(self._sizes):
            # each table is size x size: continuous columns given as categories
            # (every value its own category) would need gigabytes
            if size * size * 8 * 2 > budget:
                raise ValueError(
                    f"{type(self).__name__}: column {j} has {size} distinct values, so its "
                    f"value-difference table would need {size * size * 16 / 2**20:,.0f} MiB, "
                    f"more than working_memory={budget / 2**20:,.0f} MiB. Bin the column into "
                    "fewer categories (for example pandas.qcut), pass it to SMOTENC as a "
                    "numeric column, or raise working_memory.")
        tables = []
        for j, size in enumerate(self._sizes):
            proba = np.empty((size, classes.size), dtype=np.float64)
            for c, label in enumerate(classes):
                proba[:, c] = np.bincount(codes[y == label, j], minlength=size)
            with np.errstate(invalid="ignore"):
                proba /= proba.sum(axis=1).reshape(-1, 1)
            np.nan_to_num(proba, copy=False)
            diff = np.zeros((size, size))
            for c in range(classes.size):  # one size x size temporary, not one per class
                diff += np.abs(proba[:, c, None] - proba[None, :, c])
            tables.append(be.asarray(diff ** 2))
        return tables

    def _class_neighbours_vdm(self, be, codes, tables, k: int):
        """The k nearest rows of each row of the class (itself included), by VDM."""
        xp = be.xp
        n = codes.shape[0]
        chunk = rows_per_block(n * 8 * 3, budget_bytes(self.working_memory, be.free_bytes()),
                               n)
        out = xp.empty((n, k), dtype=xp.int64)
        for r0 in block_starts(n, chunk):
            r1 = min(r0 + chunk, n)
            dist = xp.zeros((r1 - r0, n), dtype=xp.float64)
            for j, table in enumerate(tables):
                dist += table[codes[r0:r1, j][:, None], codes[None, :, j]]
            # stable: equal distances keep the lower index first
            out[r0:r1] = be.argsort_stable(dist, axis=1)[:, :k]
        return out

    def _fit_resample(self, be, X, y):
        xp = be.xp
        table = X
        self._validate_estimator()
        k = self._n_neighbors()
        codes = table.codes
        tables = self._vdm_tables(be, codes, y)
        rng = be.rng(seed_from(self.random_state))
        parts, bases = [], []
        with phase("neighbours", be):
            for label, n_new in self.sampling_strategy_.items():
                if n_new == 0:
                    continue
                rows = np.flatnonzero(y == label)
                check_class_size(label, rows.size, k, type(self).__name__)
                rows_dev = be.asarray(rows)
                class_codes = codes[rows_dev]
                if isinstance(self.k_neighbors, numbers.Integral):
                    nbrs = self._class_neighbours_vdm(be, class_codes, tables, k + 1)
                else:
                    # a user's estimator gets the class's distance matrix, as in imblearn
                    dist = xp.zeros((rows.size, rows.size), dtype=xp.float64)
                    for j, t in enumerate(tables):
                        dist += t[class_codes[:, j][:, None], class_codes[None, :, j]]
                    host = be.to_numpy(dist)
                    self.nn_k_.fit(host)
                    nbrs = be.asarray(self.nn_k_.kneighbors(host, return_distance=False))
                u = rng.random(int(n_new))
                picks = xp.minimum((u * rows.size).astype(xp.int64), rows.size - 1)
                sel = nbrs[picks]
                bases.append(rows_dev[picks])
                parts.append(column_modes(be, class_codes, sel, self.working_memory))
        new_codes = (xp.concatenate(parts) if parts
                     else xp.empty((0, codes.shape[1]), dtype=xp.int64))
        base = xp.concatenate(bases) if bases else xp.empty(0, dtype=xp.int64)
        # no interpolation: the base row's neighbours voted, none is "the" neighbour
        self._record_synthetic(table.shape[0], base, be=be)
        new_values = _decode(self.categorical_encoder_, be.to_numpy(new_codes), self._sizes,
                             False, default=self.categorical_encoder is None)
        n_new_total = int(new_codes.shape[0])
        X_res = _assemble(be, table, {tuple(range(table.shape[1])): new_values}, n_new_total,
                          keep_dtype=True)
        X_res = _as_sparse(be, X_res, table.sparse_format)
        y_new = [np.full(int(n), label, dtype=y.dtype)
                 for label, n in self.sampling_strategy_.items() if n]
        return X_res, np.concatenate([y] + y_new)
