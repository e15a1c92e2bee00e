"""The ``fit_resample`` template shared by every gpusmote sampler.

imbalanced-learn's ``SamplerMixin.fit_resample`` validates through scikit-learn,
which turns every input into a host NumPy array. gpusmote keeps the same steps
(remember containers, validate, resolve ``sampling_strategy_``, resample,
restore containers) but validates on the backend so that CuPy data never
round-trips to the host. Subclasses implement ``_fit_resample(be, X, y)``.

The template also carries ``sample_weight`` through (``sample_weight_``) and
gives the over-samplers their provenance attributes (``SyntheticRows``), and
``Pipeline`` hands a sampler's resampled weights to the steps after it.
"""

from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler as _ImbOverSampler
from imblearn.under_sampling.base import BaseCleaningSampler as _ImbCleaningSampler
from imblearn.under_sampling.base import BaseUnderSampler as _ImbUnderSampler
from sklearn.utils._param_validation import (Interval, InvalidParameterError, StrOptions,
                                            validate_parameter_constraints)
from sklearn.utils.validation import _check_feature_names

from ._progress import verbosity
from ._timing import phase
from ._containers import describe, needs_caller_rows, restore_X, restore_y, select_rows
from ._labels import encode_labels, resolve_sampling_strategy, strategy_parameter_message
from ._validation import check_X, dense_for_search
from .backends import BACKEND_NAMES, get_backend, is_cupy_array

_BACKEND_CONSTRAINTS = {
    "backend": [StrOptions(set(BACKEND_NAMES))],
    "working_memory": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "verbose": ["verbose"],
}

WEIGHT_MODES = ("copy", "interpolate")

# Fitted attributes of an over-sampler computed from its ``SyntheticRows`` on
# first read (and kept): dropped, with the record, when it is fitted again.
_PROVENANCE_NAMES = ("sample_indices_", "synthetic_mask_", "synthetic_parents_",
                     "synthetic_steps_", "base_indices_")


# --------------------------------------------------------------------------
# sample weights
# --------------------------------------------------------------------------
def check_sample_weight(be, sample_weight, n_samples: int, sampler_name: str):
    """``sample_weight`` as a 1-D float array on the backend, or a clear error.

    One finite, non-negative number per row of X. Integer and boolean weights
    become float64; float weights keep their dtype. The caller's array is
    never modified.
    """
    name = f"{sampler_name}.fit_resample"
    w = sample_weight
    if is_cupy_array(w):
        if be.name != "cupy":
            w = w.get()
    elif hasattr(w, "to_numpy") and hasattr(w, "dtype"):  # a pandas Series
        w = w.to_numpy()
    if not is_cupy_array(w):
        try:
            w = np.asarray(w)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name}: sample_weight could not be read as an array of "
                            f"numbers ({exc}); pass one number per row of X.") from None
    if w.ndim != 1:
        if w.ndim == 0:
            fix = "one weight per row of X, for example np.full(len(X), w)"
        else:
            fix = "one weight per row of X as a 1-D array (w.ravel() if it has one column)"
        raise ValueError(f"{name}: sample_weight must be 1-D with one weight per row; "
                         f"got shape {tuple(w.shape)}. Pass {fix}.")
    if w.shape[0] != n_samples:
        raise ValueError(f"{name}: sample_weight has {w.shape[0]} values but X has "
                         f"{n_samples} rows; pass one weight per row of X, in X's order.")
    if w.dtype.kind not in "biuf":
        # text is refused even where it reads as a number ("1.5"): weights
        # given as strings are a column read wrongly more often than not
        odd = [v for v in w.tolist() if not _is_number(v)][:1]
        if odd:
            first = odd[0]
            raise TypeError(f"{name}: sample_weight must hold numbers; got dtype "
                            f"{w.dtype} with values such as {first!r}. Convert it "
                            "(for example np.asarray(w, dtype=float)) or drop the "
                            "rows whose weight is not a number.")
        w = w.astype(np.float64)
    if w.dtype.kind != "f":
        w = w.astype(np.float64)
    w = be.asarray(w)
    xp = be.xp
    bad = ~xp.isfinite(w)
    if bool(bad.any()):
        at = int(xp.argmax(bad))
        raise ValueError(f"{name}: sample_weight holds {int(bad.sum())} value(s) that are "
                         f"NaN or infinite (the first, {float(w[at])!r}, at position {at}); "
                         "weights must be finite: fill them (for example with 1.0) or drop "
                         "those rows.")
    negative = w < 0
    if bool(negative.any()):
        at = int(xp.argmax(negative))
        raise ValueError(f"{name}: sample_weight holds {int(negative.sum())} negative "
                         f"value(s) (the first, {float(w[at])!r}, at position {at}); weights "
                         "must be >= 0: fix them or drop those rows.")
    return w


def _is_number(value) -> bool:
    """A real number (not text, not complex, not None)."""
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, str)


# --------------------------------------------------------------------------
# provenance of an over-sampler's rows
# --------------------------------------------------------------------------
def _to_host(a):
    return a if a is None or isinstance(a, np.ndarray) else np.asarray(a.get())


@dataclass
class SyntheticRows:
    """Where each row of an over-sampler's output comes from.

    ``base``, ``neighbour`` (int64, indices into X, -1 for none) and ``steps``
    (the step of ``X[base] + step * (X[neighbour] - X[base])``, NaN for none)
    describe the synthetic rows in output order; ``neighbour`` and ``steps``
    are None where no row has one (copies, votes). ``kept`` holds the indices
    into X of the output's original rows, in output order (None: every row of
    X, first and in order); ``mask`` the output rows that are synthetic (None:
    those after the originals). The arrays stay where they were made (the
    device on a CuPy run) until a fitted attribute is read; ``host`` says
    whether they are then handed out as NumPy arrays (X was not CuPy).

    ``of`` and ``positions`` (see ``selection``) describe a selection of the
    rows of another record's output (SMOTE's, kept by a cleaner), worked out
    when first read.
    """

    n_in: int
    base: Any = None
    neighbour: Any = None
    steps: Any = None
    kept: Any = None
    mask: Any = None
    host: bool = True
    of: Any = None
    positions: Any = None

    @classmethod
    def selection(cls, made: SyntheticRows, positions, host: bool) -> SyntheticRows:
        """The rows at ``positions`` (indices into the output ``made`` describes)."""
        return cls(made.n_in, host=host, of=made, positions=positions)

    def namespace(self):
        """NumPy (the arrays brought to the host, once) or the arrays' CuPy."""
        if self.of is not None:
            self._select()
        if self.host:
            for name in ("base", "neighbour", "steps", "kept", "mask"):
                setattr(self, name, _to_host(getattr(self, name)))
            return np
        return np if isinstance(self.base, np.ndarray) else sys.modules["cupy"]

    def _select(self) -> None:
        made, pos = self.of, self.positions
        arrays = (made.base, made.neighbour, made.steps)
        if self.host or isinstance(made.base, np.ndarray):
            pos, arrays = _to_host(pos), [_to_host(a) for a in arrays]
        else:
            pos = sys.modules["cupy"].asarray(pos)
        is_new = pos >= made.n_in
        new = pos[is_new] - made.n_in
        self.base, self.neighbour, self.steps = (None if a is None else a[new]
                                                 for a in arrays)
        self.kept, self.mask = pos[~is_new], is_new
        self.of = self.positions = None


def _int64(xp, a):
    return xp.asarray(a).astype(xp.int64, copy=False)


def _neighbours(xp, r):
    if r.neighbour is None:
        return xp.full(r.base.shape[0], -1, dtype=xp.int64)
    return _int64(xp, r.neighbour)


def _steps(xp, r):
    if r.steps is None:
        return xp.full(r.base.shape[0], np.nan, dtype=xp.float64)
    return xp.asarray(r.steps)


_COMPUTE = {
    "base_indices_": lambda xp, r: _int64(xp, r.base),
    "synthetic_parents_": lambda xp, r: xp.stack([_int64(xp, r.base), _neighbours(xp, r)],
                                                 axis=1),
    "synthetic_steps_": _steps,
    "sample_indices_": lambda xp, r: (xp.arange(r.n_in, dtype=xp.int64) if r.kept is None
                                      else _int64(xp, r.kept)),
    "synthetic_mask_": lambda xp, r: (
        xp.concatenate([xp.zeros(r.n_in, dtype=bool), xp.ones(r.base.shape[0], dtype=bool)])
        if r.mask is None else xp.asarray(r.mask).astype(bool, copy=False)),
}


class _FromRecord:
    """A fitted attribute computed from the sampler's ``SyntheticRows`` on first
    read, then kept in the instance (which a refit clears). A non-data
    descriptor: a sampler may still set the attribute itself (RandomOverSampler's
    ``sample_indices_``)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        record = obj.__dict__.get("_synthetic")
        if record is None:
            raise AttributeError(f"'{type(obj).__name__}' object has no attribute "
                                 f"'{self.name}'; call fit_resample first.")
        value = _COMPUTE[self.name](record.namespace(), record)
        obj.__dict__[self.name] = value
        return value


class _SyntheticRowsMixin:
    """The provenance attributes of the over-samplers (documented in
    ``_docstrings.PROVENANCE``), from the ``SyntheticRows`` their
    ``_fit_resample`` records."""

    sample_indices_ = _FromRecord()
    synthetic_mask_ = _FromRecord()
    synthetic_parents_ = _FromRecord()
    synthetic_steps_ = _FromRecord()
    base_indices_ = _FromRecord()

    def _record_synthetic(self, n_in: int, base, neighbour=None, steps=None, *, be,
                          kept=None, mask=None) -> None:
        """Record the synthetic rows' base rows, neighbour rows and steps, on the
        backend (None: the rows have none; -1 and NaN are made when read)."""
        self._synthetic = SyntheticRows(int(n_in), base, neighbour, steps, kept, mask)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags


class _ResampleTemplate:
    """fit / fit_resample for samplers that run on a backend."""

    # Whether X may be a SciPy sparse matrix (host only).
    _accept_sparse = True
    # Whether _fit_resample wants y on the host (samplers that work on host
    # labels); otherwise y is where it came (the device for CuPy y on CuPy),
    # and self._labels (gpusmote._labels.Labels) gives rows and codes there.
    _host_labels = False
    # Whether the output is a selection of the input's rows (``sample_indices_``
    # in output order): the caller's own rows come back, index and dtype kept.
    # The cleaners and the under-samplers that pick rows; not ClusterCentroids.
    _selects_rows = False

    def _validate_params(self):
        # sampling_strategy first, so that a refused value gets our message (plain
        # words and the fix) rather than the constraint classes' reprs
        constraints = self._parameter_constraints.get("sampling_strategy")
        if constraints is not None:
            try:
                validate_parameter_constraints(
                    {"sampling_strategy": constraints},
                    {"sampling_strategy": self.sampling_strategy},
                    caller_name=type(self).__name__)
            except InvalidParameterError:
                raise InvalidParameterError(strategy_parameter_message(
                    type(self).__name__, self.sampling_strategy,
                    self._sampling_type)) from None
        super()._validate_params()

    def fit(self, X, y, **params):
        """Check inputs and compute ``sampling_strategy_`` without resampling.

        Use ``fit_resample`` to get the resampled data.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            Data array.
        y : array-like of shape (n_samples,)
            Target array.

        Returns
        -------
        self : object
            The sampler.
        """
        self._validate_params()
        self._forget_fit()  # provenance and weights belong to fit_resample
        be = get_backend(self.backend, X)
        X_arr = self._check_X(be, X)
        labels = encode_labels(y, X_arr.shape[0], device=be.name == "cupy")
        self._remember_features(X, X_arr)
        self.backend_ = be.name
        self.sampling_strategy_ = resolve_sampling_strategy(
            self.sampling_strategy, labels, self._sampling_type)
        return self

    def fit_resample(self, X, y, sample_weight=None, **params):
        """Resample the data set.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The data. NumPy, CuPy, pandas, lists and SciPy CSR are accepted
            and given back in the same kind of container.
        y : array-like of shape (n_samples,)
            The class label of each row.
        sample_weight : array-like of shape (n_samples,), default=None
            A finite, non-negative weight per row of X. When given, the
            weights of the output rows are stored in ``sample_weight_`` (see
            the class's ``weight_mode``); the return value stays
            ``(X_resampled, y_resampled)``, as imbalanced-learn's Pipeline
            expects. gpusmote's own parameter.

        Returns
        -------
        X_resampled : {array-like, dataframe, sparse matrix} of shape (n_samples_new, n_features)
            The original rows first, then the new rows.
        y_resampled : array-like of shape (n_samples_new,)
            The labels of ``X_resampled``.
        """
        self._validate_params()
        self._forget_fit(params)
        x_kind, y_kind = describe(X), describe(y)
        be = get_backend(self.backend, X)
        with phase("validation", be):
            X_arr = self._check_X(be, X)
            # y is encoded once, where it lives (the device for CuPy y on the
            # CuPy backend): only the class counts come to the host
            labels = encode_labels(y, X_arr.shape[0], device=be.name == "cupy")
            weights = None
            if sample_weight is not None:
                self._check_carries_weights()
                weights = check_sample_weight(be, sample_weight, X_arr.shape[0],
                                              type(self).__name__)
            self._remember_features(X, X_arr)
            self.backend_ = be.name
            self.sampling_strategy_ = resolve_sampling_strategy(
                self.sampling_strategy, labels, self._sampling_type)

        self._labels = labels
        try:
            with verbosity(getattr(self, "verbose", False)):
                y_arr = labels.host() if self._host_labels else labels.y
                X_res, y_res = self._fit_resample(be, X_arr, y_arr)
        finally:
            del self._labels

        with phase("assembly", be):
            if weights is not None:
                w_res = self._resampled_weights(be, weights)
                # on X's side, like the result and the provenance
                self.sample_weight_ = w_res if x_kind.kind == "cupy" else be.to_numpy(w_res)
            record = self.__dict__.get("_synthetic")
            if record is not None:
                # provenance indexes rows of X: on X's side, like the result,
                # brought to the host only when read
                record.host = x_kind.kind != "cupy"
            if labels.one_vs_all:
                y_res = labels.one_vs_all_matrix(y_res)
            keep = getattr(self, "sample_indices_", None) if self._selects_rows else None
            if keep is not None and needs_caller_rows(X, x_kind, X_res):
                # the sampler only selects rows: give the caller's own rows back
                # (integers, booleans, exact int64 values, a DataFrame's columns)
                X_out = select_rows(X, x_kind, keep)
            else:
                X_out = restore_X(X_res, x_kind, X_arr.shape[0], keep)
            y_out = restore_y(y_res, y_kind, X_out)
        return X_out, y_out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self._selects_rows:  # imbalanced-learn's checks then test sample_indices_
            tags.sampler_tags.sample_indices = True
        return tags

    def _check_X(self, be, X):
        return check_X(be, X, type(self).__name__, accept_sparse=self._accept_sparse)

    def _forget_fit(self, params=None) -> None:
        """Refuse parameters fit_resample does not take; drop what a previous
        fit_resample left that this one may not set again."""
        if params:
            raise TypeError(f"{type(self).__name__}.fit_resample() got unexpected keyword "
                            f"argument(s) {', '.join(map(repr, sorted(params)))}; it takes "
                            "X, y and sample_weight.")
        for name in ("sample_weight_", "_synthetic") + _PROVENANCE_NAMES:
            self.__dict__.pop(name, None)

    def _check_carries_weights(self) -> None:
        if isinstance(self, _SyntheticRowsMixin) or self._selects_rows:
            return
        raise ValueError(
            f"{type(self).__name__} does not take sample_weight: its output rows are new "
            "rows made from many input rows (cluster centroids), so no input row's weight "
            "belongs to them. Resample without sample_weight, or use an under-sampler "
            "that keeps rows of X (RandomUnderSampler, NearMiss).")

    def _resampled_weights(self, be, w):
        """The weight of each output row: the original rows keep theirs; a
        synthetic row takes its base row's (``weight_mode='copy'``) or the
        weights of its two parents interpolated with its own step
        (``'interpolate'``; floored at 0 where the step extrapolates)."""
        xp = be.xp
        record = self.__dict__.get("_synthetic")
        if record is None:  # a selection of the rows of X
            return w[be.asarray(self.sample_indices_)]
        base = be.asarray(record.base)
        originals = w if record.kept is None else w[be.asarray(record.kept)]
        new = w[base]
        if (getattr(self, "weight_mode", "copy") == "interpolate" and base.shape[0]
                and record.neighbour is not None):
            nbr = be.asarray(record.neighbour)
            steps = be.asarray(record.steps).astype(w.dtype, copy=False)
            has = (nbr >= 0) & xp.isfinite(steps)
            other = w[xp.where(has, nbr, base)]
            step = xp.where(has, steps, xp.zeros((), dtype=w.dtype))
            new = xp.maximum(new + step * (other - new), xp.zeros((), dtype=w.dtype))
        if record.mask is None:
            return xp.concatenate([originals, new])
        mask = be.asarray(record.mask)
        out = xp.empty(mask.shape[0], dtype=w.dtype)
        out[~mask] = originals
        out[mask] = new
        return out

    def _remember_features(self, X, X_arr) -> None:
        _check_feature_names(self, X, reset=True)
        self.n_features_in_ = int(X_arr.shape[1])


class BaseOverSampler(_SyntheticRowsMixin, _ResampleTemplate, _ImbOverSampler):
    """Base of the over-samplers: imbalanced-learn's, plus ``backend``,
    ``weight_mode`` and the provenance attributes."""

    _parameter_constraints: dict = {**_ImbOverSampler._parameter_constraints,
                                    **_BACKEND_CONSTRAINTS,
                                    "weight_mode": [StrOptions(set(WEIGHT_MODES))]}


class BaseCleaningSampler(_ResampleTemplate, _ImbCleaningSampler):
    """Base of the cleaning under-samplers: imbalanced-learn's, plus ``backend``."""

    _parameter_constraints: dict = {**_ImbCleaningSampler._parameter_constraints,
                                    **_BACKEND_CONSTRAINTS}
    _selects_rows = True


class BaseUnderSampler(_ResampleTemplate, _ImbUnderSampler):
    """Base of the under-samplers that choose how many rows each class keeps
    (``sampling_strategy`` as counts or a ratio): imbalanced-learn's, plus ``backend``."""

    _parameter_constraints: dict = {**_ImbUnderSampler._parameter_constraints,
                                    **_BACKEND_CONSTRAINTS}


def neighbours_among_all(be, X, rows, k: int, working_memory=None):
    """Indices into X of the k nearest rows of every row of X in ``rows``, among
    all rows of X, the row itself left out (danger sets, ADASYN, ENN).
    ``rows`` are sorted and unique (``np.flatnonzero`` of a mask).

    When every row is a query the engine excludes self directly. Otherwise the
    query rows are themselves in X: ask for k + 1 and drop each row's own index
    (or the last column, when more than k + 1 exact duplicates tie with it).
    """
    from .neighbors import kneighbors

    xp = be.xp
    # sparse X comes back dense on the host: move it where the queries are indexed
    X = be.asarray(dense_for_search(X, "the neighbour search"))
    if rows.shape[0] == X.shape[0]:  # rows of y == label for all labels: every row, in order
        return kneighbors(X, k, backend=be.name, working_memory=working_memory,
                          return_distance=False)
    rows_dev = be.asarray(rows)
    idx = kneighbors(X, k + 1, queries=X[rows_dev], backend=be.name,
                     working_memory=working_memory, return_distance=False)
    is_self = idx == rows_dev[:, None]
    drop = xp.where(is_self.any(axis=1), xp.argmax(is_self, axis=1), k)
    keep = xp.arange(k + 1)[None, :] != drop[:, None]
    return idx[keep].reshape(-1, k)
