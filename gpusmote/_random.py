"""RandomOverSampler: duplicate rows, or jitter the duplicates (smoothed bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.sparsefuncs import mean_variance_axis

from . import _docstrings as docs
from ._generate import seed_from
from ._timing import phase
from ._validation import check_shrinkage, host_array, shrinkage_needs_numbers
from .backends import is_cupy_array
from .base import BaseOverSampler


def check_any_X(be, X):
    """2-D X of any dtype (strings, objects, NaN allowed): for samplers that only pick rows.

    Numeric host arrays go to the backend; DataFrames become one array
    (object when their columns mix kinds) and get their dtypes back at the end.
    """
    if is_cupy_array(X):
        out = X
    elif sparse.issparse(X):
        out = X if X.format in ("csr", "csc") else X.tocsr()
    elif hasattr(X, "iloc") and hasattr(X, "columns"):
        import pandas as pd

        if len(X.columns) and all(isinstance(t, pd.SparseDtype) for t in X.dtypes):
            out = X.sparse.to_coo().tocsr()  # comes back as sparse columns
        else:
            out = X.to_numpy()
    else:
        out = host_array(X)
    check_shape(out)
    if not sparse.issparse(out) and out.dtype.kind in "biuf":
        out = be.asarray(out)
    return out


def check_shape(X) -> None:
    """X must be 2-D with at least one row and one column."""
    if X.ndim != 2:
        hint = " Reshape one feature with X.reshape(-1, 1)." if X.ndim == 1 else ""
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}."
                         f"{hint}")
    if X.shape[1] == 0:
        raise ValueError(f"X has no features: 0 feature(s) (shape={X.shape}) while a "
                         "minimum of 1 is required; pass at least one column.")
    if X.shape[0] == 0:
        raise ValueError(f"X is empty: 0 sample(s) (shape={X.shape}) while a minimum of "
                         "1 is required; pass at least one row per class.")


class RandomOverSampler(BaseOverSampler):
    __doc__ = f"""Over-sample by drawing rows of each class at random, with replacement.

    A drop-in replacement for ``imblearn.over_sampling.RandomOverSampler``
    that runs on NumPy or, with CuPy, on the GPU. With ``shrinkage=None`` the
    new rows are copies of rows of their class (any dtype, strings and NaN
    included). With a ``shrinkage`` the copies are jittered with Gaussian
    noise (a smoothed bootstrap), which needs numeric X.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    shrinkage : float or dict, default=None
        Scale of the smoothed bootstrap's noise, per class (dict) or for all
        classes (float); ``None`` makes plain copies. The noise of a class is
        Gaussian with standard deviation ``shrinkage * h * std`` per feature,
        ``std`` that of the class and ``h = (4 / ((n_features + 2) *
        n_samples)) ** (1 / (n_features + 4))``.

    {docs.BACKEND}

    {docs.WEIGHT_MODE_COPY}

    Attributes
    ----------
    {docs.FITTED}

    sample_indices_ : ndarray of shape (n_new_samples,)
        Index (into X) of the row each output row comes from (imbalanced-learn's
        meaning for this class: the copies too). A NumPy array.

    {docs.PROVENANCE}

    shrinkage_ : dict or None
        Class label -> shrinkage factor used; None for plain copies.

    See Also
    --------
    imblearn.over_sampling.RandomOverSampler : the CPU implementation this mirrors.

    Notes
    -----
    Plain copies (``shrinkage=None``) keep X's dtype, whatever it is. With a
    shrinkage the copies are jittered: integer and boolean arrays come back
    float64 (as in imbalanced-learn), a DataFrame's integer columns rounded to
    the nearest integer; float32 X stays float32 (imbalanced-learn returns
    float64 there). Either way ``synthetic_parents_`` names the row each new
    row copies (no neighbour, no step: a jittered copy is that row plus noise).

    The smoothed bootstrap is refused (ValueError naming the column and the
    class) when a class's largest magnitude plus ten noise scales would pass
    the dtype's largest value; the spread of values past 1e150 is taken on
    the column scaled by its largest magnitude, so it does not overflow
    (imbalanced-learn's does, and gives inf rows).

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import RandomOverSampler
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> ros = RandomOverSampler(random_state=0)
    >>> X_res, y_res = ros.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 897), (1, 897)]
    >>> bool((X_res == X[ros.sample_indices_]).all())
    True
    """

    # works on host labels (y comes to the host for CuPy input)
    _host_labels = True

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "shrinkage": [Interval(Real, 0, None, closed="left"), dict, None],
        "weight_mode": [StrOptions({"copy"})],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, shrinkage=None,
                 backend="auto", working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.shrinkage = shrinkage
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose
        self.weight_mode = weight_mode

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # plain copies take any values; the smoothed bootstrap needs finite numbers
        tags.input_tags.allow_nan = self.shrinkage is None
        tags.input_tags.string = self.shrinkage is None
        return tags

    def _check_X(self, be, X):
        X = check_any_X(be, X)
        return X if self.shrinkage is None else self._numeric(be, X)

    def _resolve_shrinkage(self):
        if isinstance(self.shrinkage, Real):
            return {label: self.shrinkage for label in self.sampling_strategy_}
        if isinstance(self.shrinkage, Mapping):
            check_shrinkage(self.shrinkage, self.sampling_strategy_)
            return dict(self.shrinkage)
        return None

    def _fit_resample(self, be, X, y):
        xp = be.xp
        self.shrinkage_ = self._resolve_shrinkage()
        rng = be.rng(seed_from(self.random_state))
        # all draws on the backend: one uniform per new row picks a row of its class
        picks = []
        for label, n_new in self.sampling_strategy_.items():
            if n_new == 0:
                continue
            rows = be.asarray(np.flatnonzero(y == label))
            u = rng.random(int(n_new))
            pos = xp.minimum((u * rows.shape[0]).astype(xp.int64), rows.shape[0] - 1)
            picks.append((label, rows, rows[pos]))
        boot = (xp.concatenate([p[2] for p in picks]) if picks
                else xp.empty(0, dtype=xp.int64))
        n = X.shape[0]
        self.sample_indices_ = np.concatenate([np.arange(n), be.to_numpy(boot)])
        # a copy (jittered or not) has its row as base and no neighbour
        self._record_synthetic(n, boot, be=be)
        with phase("generation", be):
            if self.shrinkage_ is None:
                # host X on a GPU run (objects, sparse) is indexed on the host
                on_device = is_cupy_array(X) or be.name == "numpy"
                X_new = X[boot] if on_device and not sparse.issparse(X) else X[
                    be.to_numpy(boot)]
            else:
                X_new = self._smoothed(be, X, picks, rng)
            if sparse.issparse(X):
                X_res = sparse.vstack([X, X_new], format=X.format)
            elif is_cupy_array(X):  # pragma: no cover - needs a GPU
                X_res = xp.concatenate([X, X_new])
            else:
                X_res = np.concatenate([X, X_new])
        y_res = np.concatenate([y, y[self.sample_indices_[n:]]])
        return X_res, y_res

    @staticmethod
    def _numeric(be, X):
        """Finite float X for the smoothed bootstrap (objects holding numbers are fine)."""
        if X.dtype.kind == "c":
            raise shrinkage_needs_numbers(f"dtype {X.dtype} (Complex data not supported)",
                                          ValueError)
        if X.dtype.kind not in "biuf":
            try:
                X = X.astype(np.float64)
            except (ValueError, TypeError) as exc:
                raise shrinkage_needs_numbers(
                    f"non-numeric values (dtype {X.dtype}: {exc})") from None
            if not sparse.issparse(X):
                X = be.asarray(X)
        # a sparse matrix stays on the host, its values too
        finite = np.isfinite(X.data) if sparse.issparse(X) else be.xp.isfinite(X)
        if not bool(finite.all()):
            raise shrinkage_needs_numbers("NaN or infinity", ValueError)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        return X

    @staticmethod
    def _std(be, X_class, top):
        """Per-column standard deviation in float64. Squares of values past 1e154
        overflow float64: such columns are scaled by their largest magnitude first."""
        xp = be.xp
        # cast first: CuPy's std(dtype=float64) squares float32 input in float32,
        # which overflows past 1.8e19 (seen on an H100; NumPy casts first)
        X_class = X_class.astype(xp.float64, copy=False)
        if float(top.max()) <= 1e150:  # the usual case: as computed before
            return xp.std(X_class, axis=0)
        scale = xp.where(top > 0, top, 1).astype(xp.float64)
        return xp.std(X_class / scale, axis=0) * scale

    def _check_noise_range(self, be, dtype, label, top, std, h) -> None:
        """Refuse a class whose jittered copies would overflow X's dtype: its
        spread (std) overflows, or its largest magnitude plus ten noise scales
        passes the dtype's largest value (larger noise has odds below 1e-22)."""
        fmax = float(np.finfo(dtype).max)
        with np.errstate(over="ignore", invalid="ignore"):
            noise = float(self.shrinkage_[label]) * h * be.to_numpy(std).astype(np.float64)
            reach = be.to_numpy(top).astype(np.float64) + 10 * noise
            bad = np.flatnonzero(~(reach <= fmax))
        if not bad.size:
            return
        col = int(bad[0])
        names = getattr(self, "feature_names_in_", None)
        name = repr(str(names[col])) if names is not None else str(col)
        more = f" (and {bad.size - 1} more column(s))" if bad.size > 1 else ""
        label = label.item() if hasattr(label, "item") else label
        dtype = np.dtype(dtype).name
        fix = ("pass X as float64 (X.astype(np.float64)), rescale that column"
               if dtype == "float32" else "rescale that column (for example divide it by "
               "a power of ten)")
        spread = (f"a noise scale of {noise[col]:.3g} (shrinkage * h * std)"
                  if np.isfinite(noise[col]) else
                  "a spread (standard deviation) that itself overflows float64")
        raise ValueError(
            f"RandomOverSampler: column {name}{more} of class {label!r} holds values up to "
            f"{float(be.to_numpy(top)[col]):.3g} in magnitude with {spread}; the smoothed "
            f"bootstrap would overflow {dtype} (largest {fmax:.3g}) and give inf rows. To "
            f"resample this data, {fix}, or use shrinkage=None (plain copies).")

    def _smoothed(self, be, X, picks, rng):
        """Copies plus Gaussian noise scaled by each class's spread."""
        xp = be.xp
        n, d = X.shape
        h = (4 / ((d + 2) * n)) ** (1 / (d + 4))
        parts = []
        for label, rows, boot in picks:
            if sparse.issparse(X):
                X_class = X[be.to_numpy(rows)]
                with np.errstate(over="ignore", invalid="ignore"):  # checked just below
                    _, var = mean_variance_axis(X_class, axis=0)
                std = np.sqrt(var)
                top = np.asarray(abs(X_class).max(axis=0).todense()).ravel()
                base = X[be.to_numpy(boot)].toarray()
            else:
                X_class = X[rows]
                top = xp.abs(X_class).max(axis=0)
                std = self._std(be, X_class, top)
                base = X[boot]
            self._check_noise_range(be, X.dtype, label, top, std, h)
            scale = std.astype(X.dtype)
            noise = rng.standard_normal((boot.shape[0], d), dtype=X.dtype)
            if sparse.issparse(X):
                noise = be.to_numpy(noise)
            noise *= X.dtype.type(self.shrinkage_[label] * h) * scale
            parts.append(base + noise)
        mod = np if sparse.issparse(X) else xp
        new = mod.concatenate(parts) if parts else mod.empty((0, d), dtype=X.dtype)
        return sparse.csr_matrix(new, dtype=X.dtype) if sparse.issparse(X) else new
