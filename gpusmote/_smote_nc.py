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
from ._generate import ClassPlan, generate, seed_from
from ._timing import phase
from ._validation import (categorical_feature_problem, check_categorical_finite,
                          check_class_size, check_interpolation_range, host_array, non_numeric_columns,
                          smotenc_all_categorical,
                          smotenc_encoder_columns, smotenc_no_categorical)
from .backends import is_cupy_array
from ._random import check_shape
from ._smote import SMOTE
from .neighbors import kneighbors


@dataclass
class _Table:
    """X split for the categorical samplers; ``shape`` is that of X."""

    shape: tuple
    raw: Any          # X as given, as a host array (object for mixed columns) or CuPy
    numeric: Any      # continuous columns, float, on the backend (SMOTENC)
    codes: Any        # (n, n_categorical) int64 codes, on the backend
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


def _encode(encoder, X_cat, one_hot: bool):
    """Integer codes (n, n_features) of the categorical columns, and the categories."""
    encoded = encoder.fit_transform(X_cat)
    sizes = [len(c) for c in encoder.categories_]
    if not one_hot:
        return np.asarray(encoded).astype(np.int64), sizes
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
    return codes.astype(np.int64), sizes


def _decode(encoder, codes: np.ndarray, sizes, one_hot: bool):
    """Category values of integer codes, through the encoder's inverse_transform."""
    if codes.shape[0] == 0:  # encoders refuse empty input
        return np.empty(codes.shape, dtype=object)
    if not one_hot:
        return encoder.inverse_transform(codes.astype(np.int32))
    n, n_feat = codes.shape
    offsets = np.cumsum([0] + list(sizes[:-1]))
    cols = (codes + offsets).reshape(-1)
    onehot = sparse.csr_matrix((np.ones(cols.size), cols, np.arange(0, cols.size + 1, n_feat)),
                               shape=(n, sum(sizes)))
    return encoder.inverse_transform(onehot)


def majority_vote(be, votes, rng):
    """Most frequent code per row of ``votes`` (n, k); ties broken uniformly at random."""
    xp = be.xp
    counts = (votes[:, :, None] == votes[:, None, :]).sum(axis=2)
    best = counts.max(axis=1, keepdims=True)
    # every tied value fills the same number of positions: a uniform pick among
    # tied positions is a uniform pick among tied values
    key = xp.where(counts == best, rng.random(votes.shape), -1.0)
    return xp.take_along_axis(votes, key.argmax(axis=1)[:, None], axis=1)[:, 0]


def smallest_mode(be, votes):
    """Most frequent code per row, ties to the smallest (``scipy.stats.mode``)."""
    xp = be.xp
    counts = (votes[:, :, None] == votes[:, None, :]).sum(axis=2)
    best = counts.max(axis=1, keepdims=True)
    return xp.where(counts == best, votes, xp.iinfo(votes.dtype).max).min(axis=1)


def _assemble(be, table: _Table, new_parts: dict, n_new: int, keep_dtype: bool = False):
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
        raw = _host_2d(X)
        n_features = raw.shape[1]
        cat = self._resolve_columns(X, n_features)
        if cat.size == n_features:
            raise smotenc_all_categorical(n_features)
        if cat.size == 0:
            raise smotenc_no_categorical()
        self.n_features_ = int(n_features)
        self.categorical_features_ = cat
        self.continuous_features_ = np.setdiff1d(np.arange(n_features), cat)
        cont = self.continuous_features_
        host = be.to_numpy(raw) if is_cupy_array(raw) else raw
        cont_block = host[:, cont]
        if cont_block.dtype.kind not in "biuf":
            try:
                cont_block = cont_block.astype(np.float64)
            except (ValueError, TypeError):
                bad = [c for c in cont if not _is_numeric_column(host[:, c])]
                names = (list(np.asarray(X.columns)[bad]) if _is_frame(X)
                         else [int(c) for c in bad])
                raise TypeError(
                    f"{name}: columns {names[:5]} are treated as numeric but hold values "
                    "that are not numbers; add them to categorical_features.") from None
        if _is_frame(X):
            dtypes = X.dtypes.iloc[cont]
            dtype = np.float32 if all(t == np.float32 for t in dtypes) else np.float64
            int_cols = {int(c) for c, t in zip(cont, dtypes) if t.kind in "iub"}
        else:
            dtype = cont_block.dtype if cont_block.dtype.kind == "f" else np.float64
            int_cols = None
        cont_block = cont_block.astype(dtype, copy=False)
        check_categorical_finite(cont_block, name)
        self._one_hot = True
        self.categorical_encoder_ = (
            OneHotEncoder(handle_unknown="ignore", dtype=dtype)
            if self.categorical_encoder is None else clone(self.categorical_encoder))
        codes, self._sizes = _encode(self.categorical_encoder_, host[:, cat], True)
        numeric = be.asarray(cont_block) if is_cupy_array(raw) else cont_block
        numeric = be.asarray(numeric)
        return _Table(raw.shape, raw, numeric, be.asarray(codes), int_cols, _sparse_format(X))

    # -- resampling -------------------------------------------------------------
    def _encoded_class(self, be, table: _Table, rows_dev, label):
        """The class's rows in the search space: numeric, then one-hot * median_std / sqrt 2."""
        xp = be.xp
        num = table.numeric[rows_dev]
        # cast first: CuPy's var(dtype=float64) works on float32 input in float32
        std = xp.sqrt(xp.var(num.astype(xp.float64, copy=False), axis=0))
        med = float(np.median(be.to_numpy(std)))
        self.median_std_[label] = med
        codes = table.codes[rows_dev]
        # only the categories present in the class: the others are zero in every row
        blocks = [num]
        for j in range(codes.shape[1]):
            present, local = xp.unique(codes[:, j], return_inverse=True)
            onehot = xp.zeros((codes.shape[0], present.shape[0]), dtype=num.dtype)
            onehot[xp.arange(codes.shape[0]), local.reshape(-1)] = med / math.sqrt(2)
            blocks.append(onehot)
        return xp.concatenate(blocks, axis=1)

    def _fit_resample(self, be, X, y):
        table = X
        self._validate_estimator()
        self.median_std_ = {}
        names = getattr(self, "feature_names_in_", None)
        cont = self.continuous_features_
        check_interpolation_range(
            be, table.numeric, ((label, be.asarray(np.flatnonzero(y == label)))
                                for label, n_new in self.sampling_strategy_.items() if n_new),
            type(self).__name__, list(names[cont]) if names is not None else list(cont))
        plans = []
        k = self._n_neighbors()
        with phase("neighbours", be):
            for label, n_new in self.sampling_strategy_.items():
                if n_new == 0:
                    continue
                rows = np.flatnonzero(y == label)
                check_class_size(label, rows.size, k, type(self).__name__)
                rows_dev = be.asarray(rows)
                enc = self._encoded_class(be, table, rows_dev, label)
                if isinstance(self.k_neighbors, numbers.Integral):
                    local = kneighbors(enc, k, backend=be.name,
                                       working_memory=self.working_memory,
                                       return_distance=False)
                else:
                    host = be.to_numpy(enc)
                    self.nn_k_.fit(host)
                    local = be.asarray(self.nn_k_.kneighbors(host, return_distance=False)[:, 1:])
                plans.append(ClassPlan(label, rows_dev, rows_dev[local], int(n_new)))
        seed = seed_from(self.random_state)
        n = table.shape[0]
        with phase("generation", be):
            made = generate(be, table.numeric, plans, seed, self.working_memory)
            # the numeric columns' provenance; the categorical values are the
            # votes of the base row's neighbours
            self._record_synthetic(n, made.base, made.neighbour, made.steps, be=be)
            numeric = made.X
            n_new = numeric.shape[0] - n
            cat_new = self._vote(be, table, plans, seed, made.base)
            new_values = _decode(self.categorical_encoder_, be.to_numpy(cat_new),
                                 self._sizes, True)
            X_res = _assemble(be, table, {tuple(self.continuous_features_): numeric[n:],
                                          tuple(self.categorical_features_): new_values},
                              n_new)
            y_new = [np.full(p.n_new, p.label, dtype=y.dtype) for p in plans]
            y_res = np.concatenate([y] + y_new)
        return _as_sparse(be, X_res, table.sparse_format), y_res

    def _vote(self, be, table: _Table, plans, seed: int, base):
        """Categorical codes of the new rows (made from rows ``base``): majority
        among each base row's neighbours."""
        xp = be.xp
        n_cat = table.codes.shape[1]
        if base.shape[0] == 0:
            return xp.empty((0, n_cat), dtype=xp.int64)
        seeds = xp.concatenate([p.seeds for p in plans])
        neighbours = xp.concatenate([p.neighbours for p in plans])
        where = xp.full(table.shape[0], -1, dtype=xp.int64)
        where[seeds] = xp.arange(seeds.shape[0])
        nbrs = neighbours[where[base]]
        rng = be.rng(seed + 1)
        return xp.stack([majority_vote(be, table.codes[:, j][nbrs], rng)
                         for j in range(n_cat)], axis=1)


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
        codes, self._sizes = _encode(self.categorical_encoder_, host, False)
        return _Table(raw.shape, raw, None, be.asarray(codes), sparse_format=fmt)

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
                parts.append(xp.stack([smallest_mode(be, class_codes[:, j][sel])
                                       for j in range(codes.shape[1])], axis=1))
        new_codes = (xp.concatenate(parts) if parts
                     else xp.empty((0, codes.shape[1]), dtype=xp.int64))
        base = xp.concatenate(bases) if bases else xp.empty(0, dtype=xp.int64)
        # no interpolation: the base row's neighbours voted, none is "the" neighbour
        self._record_synthetic(table.shape[0], base, be=be)
        new_values = _decode(self.categorical_encoder_, be.to_numpy(new_codes), self._sizes,
                             False)
        n_new_total = int(new_codes.shape[0])
        X_res = _assemble(be, table, {tuple(range(table.shape[1])): new_values}, n_new_total,
                          keep_dtype=True)
        X_res = _as_sparse(be, X_res, table.sparse_format)
        y_new = [np.full(int(n), label, dtype=y.dtype)
                 for label, n in self.sampling_strategy_.items() if n]
        return X_res, np.concatenate([y] + y_new)
