"""The ``fit_resample`` template shared by every gpusmote sampler.

imbalanced-learn's ``SamplerMixin.fit_resample`` validates through scikit-learn,
which turns every input into a host NumPy array. gpusmote keeps the same steps
(remember containers, validate, resolve ``sampling_strategy_``, resample,
restore containers) but validates on the backend so that CuPy data never
round-trips to the host. Subclasses implement ``_fit_resample(be, X, y)``.
"""

from __future__ import annotations

import numbers

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
from .backends import BACKEND_NAMES, get_backend

_BACKEND_CONSTRAINTS = {
    "backend": [StrOptions(set(BACKEND_NAMES))],
    "working_memory": [Interval(numbers.Real, 0, None, closed="neither"), None],
    "verbose": ["verbose"],
}


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
        be = get_backend(self.backend, X)
        X_arr = self._check_X(be, X)
        labels = encode_labels(y, X_arr.shape[0], device=be.name == "cupy")
        self._remember_features(X, X_arr)
        self.backend_ = be.name
        self.sampling_strategy_ = resolve_sampling_strategy(
            self.sampling_strategy, labels, self._sampling_type)
        return self

    def fit_resample(self, X, y, **params):
        """Resample the data set.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The data. NumPy, CuPy, pandas, lists and SciPy CSR are accepted
            and given back in the same kind of container.
        y : array-like of shape (n_samples,)
            The class label of each row.

        Returns
        -------
        X_resampled : {array-like, dataframe, sparse matrix} of shape (n_samples_new, n_features)
            The original rows first, then the new rows.
        y_resampled : array-like of shape (n_samples_new,)
            The labels of ``X_resampled``.
        """
        self._validate_params()
        x_kind, y_kind = describe(X), describe(y)
        be = get_backend(self.backend, X)
        with phase("validation", be):
            X_arr = self._check_X(be, X)
            # y is encoded once, where it lives (the device for CuPy y on the
            # CuPy backend): only the class counts come to the host
            labels = encode_labels(y, X_arr.shape[0], device=be.name == "cupy")
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
            # base_indices_ index rows of X: on X's side, like the result
            if x_kind.kind != "cupy" and getattr(self, "base_indices_", None) is not None:
                self.base_indices_ = be.to_numpy(self.base_indices_)
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

    def _check_X(self, be, X):
        return check_X(be, X, type(self).__name__, accept_sparse=self._accept_sparse)

    def _remember_features(self, X, X_arr) -> None:
        _check_feature_names(self, X, reset=True)
        self.n_features_in_ = int(X_arr.shape[1])


class BaseOverSampler(_ResampleTemplate, _ImbOverSampler):
    """Base of the over-samplers: imbalanced-learn's, plus ``backend``."""

    _parameter_constraints: dict = {**_ImbOverSampler._parameter_constraints,
                                    **_BACKEND_CONSTRAINTS}


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
