"""SMOTE followed by cleaning: SMOTETomek and SMOTEENN."""

from __future__ import annotations

import numbers

import numpy as np
from imblearn.base import BaseSampler as _ImbSampler
from sklearn.base import clone

from . import _docstrings as docs
from ._progress import verbosity
from ._timing import phase
from ._cleaning import EditedNearestNeighbours, TomekLinks
from ._smote import SMOTE
from .backends import get_backend, is_cupy_array
from ._dask import is_dask_collection
from ._provenance import SyntheticRows, SyntheticRowsMixin
from ._weights import check_sample_weight
from .base import _BACKEND_CONSTRAINTS, BaseOverSampler, _ResampleTemplate


class _SMOTEThenClean(SyntheticRowsMixin, _ResampleTemplate, _ImbSampler):
    """SMOTE, then a cleaner, each on the backend resolved for the input.

    Like imbalanced-learn's, a plain ``BaseSampler`` with the over-sampling
    type, not an over-sampler: cleaning may leave classes below the majority.
    Its provenance and weights are SMOTE's, for the rows the cleaner kept.
    """

    _sampling_type = "over-sampling"
    _cleaner_param = ""

    def _steps(self, be):
        smote = (clone(self.smote) if self.smote is not None else
                 SMOTE(sampling_strategy=self.sampling_strategy,
                       random_state=self.random_state, weight_mode=self.weight_mode))
        given = getattr(self, self._cleaner_param)
        cleaner = clone(given) if given is not None else self._default_cleaner()
        for step in (smote, cleaner):
            # one backend for the whole chain: the data moves at most once
            step.set_params(backend=be.name)
            if step.working_memory is None:
                step.set_params(working_memory=self.working_memory)
        return smote, cleaner

    def fit_resample(self, X, y, sample_weight=None, **params):
        """Resample with SMOTE, then clean the result.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The data, in any container SMOTE accepts; it comes back in the same kind.
        y : array-like of shape (n_samples,)
            The class label of each row.
        sample_weight : array-like of shape (n_samples,), default=None
            A finite, non-negative weight per row of X: SMOTE gives its new
            rows weights (its ``weight_mode``), the cleaner drops those of the
            rows it drops, and ``sample_weight_`` holds the rest. The return
            value stays ``(X_resampled, y_resampled)``. gpusmote's own parameter.

        Returns
        -------
        X_resampled : {array-like, dataframe, sparse matrix} of shape (n_samples_new, n_features)
            The rows SMOTE gave, less those the cleaner removed.
        y_resampled : array-like of shape (n_samples_new,)
            The labels of ``X_resampled``.
        """
        self._validate_params()
        self._forget_fit(params)
        # both steps (defaults or given ones) show progress when this sampler asks
        with verbosity(self.verbose):
            return self._chain(X, y, sample_weight)

    def _chain(self, X, y, sample_weight=None):
        if is_dask_collection(X):
            # each step runs on Dask (``gpusmote._dask``), on its chunks' backend;
            # this chain's own bookkeeping (provenance) is on the host
            be = get_backend("numpy" if self.backend == "auto" else self.backend)
        else:
            be = get_backend(self.backend, X)
        smote, cleaner = self._steps(be)
        host_out = not is_cupy_array(X)
        if sample_weight is not None:  # refused in this sampler's name, before any work
            n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
            sample_weight = check_sample_weight(be, sample_weight, n_rows,
                                                type(self).__name__)
        # a NumPy X on the GPU goes up once and its result comes down once: the
        # steps pass device arrays between them (other containers go step by
        # step, so that a DataFrame's index follows the rows)
        on_device = (be.name == "cupy" and isinstance(X, np.ndarray)
                     and X.dtype.kind in "biuf")
        if on_device:
            with phase("transfer", be):
                X = be.asarray(X)
        X_res, y_res = smote.fit_resample(X, y, sample_weight=sample_weight)
        self.n_features_in_ = smote.n_features_in_
        if hasattr(smote, "feature_names_in_"):
            self.feature_names_in_ = smote.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.backend_ = getattr(smote, "backend_", be.name)
        # imbalanced-learn stores the parameter itself here, not a resolved dict
        self.sampling_strategy_ = self.sampling_strategy
        self._set_steps(smote, cleaner)
        weights = getattr(smote, "sample_weight_", None)
        X_res, y_res = cleaner.fit_resample(X_res, y_res, sample_weight=weights)
        self._record_kept(be, smote, cleaner, host_out)
        if weights is not None:
            weights = cleaner.sample_weight_
            self.sample_weight_ = be.to_numpy(weights) if host_out else weights
        if on_device:
            with phase("transfer", be):
                X_res = be.to_numpy(X_res)
        return X_res, y_res

    def _record_kept(self, be, smote, cleaner, host: bool) -> None:
        """SMOTE's provenance, for the rows of its output the cleaner kept
        (positions in SMOTE's output, whose first rows are X's): worked out
        when first read, so that nothing moves meanwhile."""
        self._synthetic = SyntheticRows.selection(smote.__dict__["_synthetic"],
                                                  cleaner.sample_indices_, host)

    def _fit_resample(self, be, X, y):
        smote, cleaner = self._steps(be)
        self._set_steps(smote, cleaner)
        X_res, y_res = smote.fit_resample(X, y)
        return cleaner.fit_resample(X_res, y_res)


class SMOTETomek(_SMOTEThenClean):
    __doc__ = f"""Over-sample with SMOTE, then remove Tomek links.

    A drop-in replacement for ``imblearn.combine.SMOTETomek``; both steps run
    on the backend chosen for the input.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    smote : SMOTE, default=None
        The over-sampler (a gpusmote ``SMOTE``). None uses
        ``SMOTE(sampling_strategy=sampling_strategy, random_state=random_state)``.

    tomek : TomekLinks, default=None
        The cleaner (a gpusmote ``TomekLinks``). None uses
        ``TomekLinks(sampling_strategy='all')``.

    n_jobs : int, default=None
        Accepted for imbalanced-learn compatibility and not used.

    {docs.BACKEND}
        Both steps run on this backend, whatever theirs says.

    {docs.WEIGHT_MODE}
        Used by the default SMOTE; a given ``smote`` keeps its own (as
        ``sampling_strategy`` and ``random_state`` here).

    Attributes
    ----------
    sampling_strategy_ : float, str, dict or callable
        The ``sampling_strategy`` parameter, as imbalanced-learn stores it.

    smote_ : SMOTE
        The fitted over-sampler.

    tomek_ : TomekLinks
        The fitted cleaner.

    n_features_in_ : int
        Number of features seen during ``fit_resample``.

    backend_ : {{'numpy', 'cupy'}}
        The backend that ran.

    sample_indices_ : ndarray of shape (n_original_rows,)
        Indices into X of the output rows that are original rows (those the
        cleaner kept), in output order. gpusmote's own attribute.

    {docs.PROVENANCE}

    See Also
    --------
    imblearn.combine.SMOTETomek : the CPU implementation this mirrors.
    SMOTEENN : SMOTE, then edited nearest neighbours.

    Notes
    -----
    The rows come out of SMOTE first, so integer and boolean arrays come back
    float64 (see SMOTE's notes); a DataFrame keeps its columns' dtypes.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import SMOTETomek
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> X_res, y_res = SMOTETomek(random_state=0).fit_resample(X, y)
    >>> counts = Counter(y_res.tolist())
    >>> counts[0] <= 897 and counts[1] <= 897 and counts[1] > 800
    True
    """

    _cleaner_param = "tomek"
    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        **_BACKEND_CONSTRAINTS,
        "smote": [SMOTE, None],
        "tomek": [TomekLinks, None],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, smote=None,
                 tomek=None, n_jobs=None, backend="auto", working_memory=None, verbose=False,
                 weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.smote = smote
        self.tomek = tomek
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose
        self.weight_mode = weight_mode

    @staticmethod
    def _default_cleaner():
        return TomekLinks(sampling_strategy="all")

    def _set_steps(self, smote, cleaner) -> None:
        self.smote_, self.tomek_ = smote, cleaner


class SMOTEENN(_SMOTEThenClean):
    __doc__ = f"""Over-sample with SMOTE, then clean with edited nearest neighbours.

    A drop-in replacement for ``imblearn.combine.SMOTEENN``; both steps run on
    the backend chosen for the input.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    smote : SMOTE, default=None
        The over-sampler (a gpusmote ``SMOTE``). None uses
        ``SMOTE(sampling_strategy=sampling_strategy, random_state=random_state)``.

    enn : EditedNearestNeighbours, default=None
        The cleaner (a gpusmote ``EditedNearestNeighbours``). None uses
        ``EditedNearestNeighbours(sampling_strategy='all')``.

    n_jobs : int, default=None
        Accepted for imbalanced-learn compatibility and not used.

    {docs.BACKEND}
        Both steps run on this backend, whatever theirs says.

    {docs.WEIGHT_MODE}
        Used by the default SMOTE; a given ``smote`` keeps its own (as
        ``sampling_strategy`` and ``random_state`` here).

    Attributes
    ----------
    sampling_strategy_ : float, str, dict or callable
        The ``sampling_strategy`` parameter, as imbalanced-learn stores it.

    smote_ : SMOTE
        The fitted over-sampler.

    enn_ : EditedNearestNeighbours
        The fitted cleaner.

    n_features_in_ : int
        Number of features seen during ``fit_resample``.

    backend_ : {{'numpy', 'cupy'}}
        The backend that ran.

    sample_indices_ : ndarray of shape (n_original_rows,)
        Indices into X of the output rows that are original rows (those the
        cleaner kept), in output order. gpusmote's own attribute.

    {docs.PROVENANCE}

    See Also
    --------
    imblearn.combine.SMOTEENN : the CPU implementation this mirrors.
    SMOTETomek : SMOTE, then Tomek links.

    Notes
    -----
    The rows come out of SMOTE first, so integer and boolean arrays come back
    float64 (see SMOTE's notes); a DataFrame keeps its columns' dtypes.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import SMOTEENN
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> X_res, y_res = SMOTEENN(random_state=0).fit_resample(X, y)
    >>> counts = Counter(y_res.tolist())
    >>> counts[0] < 897 and counts[1] < 897
    True
    """

    _cleaner_param = "enn"
    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        **_BACKEND_CONSTRAINTS,
        "smote": [SMOTE, None],
        "enn": [EditedNearestNeighbours, None],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, smote=None,
                 enn=None, n_jobs=None, backend="auto", working_memory=None, verbose=False,
                 weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.smote = smote
        self.enn = enn
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose
        self.weight_mode = weight_mode

    @staticmethod
    def _default_cleaner():
        return EditedNearestNeighbours(sampling_strategy="all")

    def _set_steps(self, smote, cleaner) -> None:
        self.smote_, self.enn_ = smote, cleaner
