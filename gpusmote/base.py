"""The ``fit_resample`` template shared by every gpusmote sampler.

imbalanced-learn's ``SamplerMixin.fit_resample`` validates through scikit-learn,
which turns every input into a host NumPy array. gpusmote keeps the same steps
(remember containers, validate, resolve ``sampling_strategy_``, resample,
restore containers) but validates on the backend so that CuPy data never
round-trips to the host. Subclasses implement ``_fit_resample(be, X, y)``.

The template also carries ``sample_weight`` through (``sample_weight_``,
checked by ``_weights``) and gives the over-samplers their provenance
attributes (``_provenance``); ``gpusmote.pipeline.Pipeline`` hands a
sampler's resampled weights to the steps after it.
"""

from __future__ import annotations

import numbers

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler as _ImbOverSampler
from imblearn.under_sampling.base import BaseCleaningSampler as _ImbCleaningSampler
from imblearn.under_sampling.base import BaseUnderSampler as _ImbUnderSampler
from sklearn.utils._param_validation import (Interval, InvalidParameterError, StrOptions,
                                            validate_parameter_constraints)
from sklearn.utils.validation import _check_feature_names

from ._dask import fit as fit_dask, fit_resample as fit_resample_dask, is_dask_collection
from ._progress import verbosity
from ._timing import phase
from ._containers import describe, needs_caller_rows, restore_X, restore_y, select_rows
from ._labels import encode_labels, resolve_sampling_strategy, strategy_parameter_message
from ._provenance import PROVENANCE_NAMES, SyntheticRowsMixin
from ._validation import check_X, dense_for_search
from ._weights import WEIGHT_MODES, check_sample_weight
from .backends import BACKEND_NAMES, get_backend

_BACKEND_CONSTRAINTS = {
    "backend": [StrOptions(set(BACKEND_NAMES))],
    "working_memory": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "verbose": ["verbose"],
}

_PARAM_NAMES: dict = {}  # class -> its sorted __init__ parameter names


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

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads __init__'s signature on every get_params (each
        # fit_resample's validation, each clone): once per class here, a tenth
        # of a millisecond of a 1.5 ms run on a small data set
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = super()._get_param_names()
        return names

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
        if is_dask_collection(X) or is_dask_collection(y):
            # Dask collections: the counting pass alone (reads y, never gathers X)
            return fit_dask(self, X, y)
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
        if is_dask_collection(X) or is_dask_collection(y):
            # Dask collections in, Dask collections out (issue 14): gpusmote._dask
            self._forget_fit(params)
            return fit_resample_dask(self, X, y, sample_weight)
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
        for name in ("sample_weight_", "_synthetic", "_dask_layout") + PROVENANCE_NAMES:
            self.__dict__.pop(name, None)

    def _check_carries_weights(self) -> None:
        if isinstance(self, SyntheticRowsMixin) or self._selects_rows:
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
        if type(X) is np.ndarray:  # no column names: what scikit-learn's check does, sooner
            self.__dict__.pop("feature_names_in_", None)
        else:
            _check_feature_names(self, X, reset=True)
        self.n_features_in_ = int(X_arr.shape[1])


class BaseOverSampler(SyntheticRowsMixin, _ResampleTemplate, _ImbOverSampler):
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
