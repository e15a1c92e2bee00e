"""SVMSMOTE: SMOTE seeded from an SVM's support vectors, inwards near the border and
outwards where the class is safe."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import SVC
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._borderline import neighbours_from_estimator, rows_of
from ._generate import ClassPlan
from ._labels import plain_label
from ._smote import BaseSMOTE, generate_rows
from ._timing import phase
from ._validation import (
    _SPAN_MARGIN,
    _column_extremes,
    _span_overflow,
    check_class_size,
    check_enough_rows,
)
from .base import neighbours_among_all


def check_extrapolation_range(be, X, groups, out_step: float, sampler_name: str,
                              columns=None) -> None:
    """Refuse a class whose new rows would overflow X's dtype: interpolated rows
    need the span of the class's rows to fit, extrapolated ones (up to
    ``out_step`` times a difference beyond a row) need ``|x| + out_step * span``
    to fit too."""
    if X.shape[0] == 0:
        return
    limit = float(np.finfo(X.dtype).max) * (1 - _SPAN_MARGIN)
    with np.errstate(over="ignore", invalid="ignore"):
        for label, rows in groups:
            lo, hi = _column_extremes(be, X, rows)
            span = hi - lo
            bad = np.flatnonzero(~(span <= limit))
            if bad.size:
                raise _span_overflow(sampler_name, columns, bad, label, lo, hi, X.dtype)
            reach = np.maximum(np.abs(lo), np.abs(hi)) + out_step * span
            bad = np.flatnonzero(~(reach <= limit))
            if bad.size:
                col = int(bad[0])
                name = col if columns is None else repr(plain_label(columns[col]))
                kind = np.dtype(X.dtype).name
                raise ValueError(
                    f"{sampler_name}: column {name} of class {plain_label(label)!r} holds values "
                    f"from {lo[col]:.3g} to {hi[col]:.3g}; rows extrapolated away from a "
                    f"neighbour by up to out_step={out_step} times that difference would "
                    f"reach {reach[col]:.3g}, beyond {kind}'s largest "
                    f"({np.finfo(X.dtype).max:.3g}), so they would be inf. Rescale that "
                    "column (or pass X as float64), or lower out_step.")


def no_support_vectors(label, n_support: int, m: int) -> ValueError:
    """imbalanced-learn's 'all support vectors are noise' error, with the counts and a fix."""
    if n_support == 0:
        what = f"the SVM kept no support vector of class {plain_label(label)!r}"
    else:
        what = (f"all {n_support} support vectors of class {plain_label(label)!r} are noise "
                f"(every one of their m_neighbors={m} nearest rows is of another class)")
    return ValueError(
        f"SVMSMOTE found no support vector to seed new rows from: {what}. SVM-SMOTE is "
        "not adapted to your dataset: use SMOTE or BorderlineSMOTE, or pass another "
        "svm_estimator (for example SVC(C=10)) or a larger m_neighbors.")


class SVMSMOTE(BaseSMOTE):
    __doc__ = f"""Over-sample with SVM-SMOTE: new rows around the support vectors of an SVM.

    A drop-in replacement for ``imblearn.over_sampling.SVMSMOTE`` that runs on
    NumPy or, with CuPy, on the GPU. An SVM (by default
    ``SVC(gamma='scale')``) is fitted to X and y; the support vectors of the
    class being over-sampled seed its new rows. Among its ``m_neighbors``
    nearest rows (over all classes), a support vector is *noise* when all are
    of other classes (it is dropped), *in danger* when at least half are, and
    *safe* otherwise. A share ``f`` of the new rows, drawn from a Beta(10, 10)
    distribution, is interpolated from danger support vectors towards one of
    their ``k_neighbors`` nearest same-class rows (step in [0, 1)); the rest
    is extrapolated from safe support vectors away from such a neighbour (step
    in (-out_step, 0]).

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    {docs.K_NEIGHBORS}

    m_neighbors : int or object, default=10
        Number of nearest rows, over all classes, that decide whether a support
        vector is noise, in danger or safe. An object with ``kneighbors`` is
        used as given (fitted on X, its first column dropped as the row
        itself, as imbalanced-learn does).

    svm_estimator : estimator object, default=None
        The classifier whose ``support_`` (indices of the support vectors) is
        used; None means ``sklearn.svm.SVC(gamma='scale',
        random_state=random_state)``, as in imbalanced-learn. It is fitted on
        the host (scikit-learn), so a CuPy X is copied to the host once for it.

    out_step : float, default=0.5
        How far beyond a safe support vector new rows may go, as a fraction of
        the difference to its neighbour.

    {docs.BACKEND}

    {docs.WEIGHT_MODE}

    Attributes
    ----------
    {docs.FITTED}

    {docs.BASE_INDICES}

    {docs.ORIGINAL_ROWS}

    {docs.PROVENANCE}

    nn_k_ : estimator object
        The neighbour estimator given as ``k_neighbors``, or for an int the
        ``NearestNeighbors(k_neighbors + 1)`` imbalanced-learn would use.

    nn_m_ : estimator object
        The same for ``m_neighbors``.

    svm_estimator_ : estimator object
        The fitted SVM.

    danger_indices_ : dict
        Class label -> indices (into X) of its support vectors in danger,
        sorted (CuPy arrays when y is one). gpusmote's own attribute.

    safe_indices_ : dict
        Class label -> indices (into X) of its safe support vectors, sorted
        (CuPy arrays when y is one). gpusmote's own attribute.

    See Also
    --------
    imblearn.over_sampling.SVMSMOTE : the CPU implementation this mirrors.
    BorderlineSMOTE : seeds from the rows in danger, found without an SVM.

    Notes
    -----
    The class counts follow imbalanced-learn exactly, quirk included: with
    ``n`` rows asked for a class, ``int(f * (n + 1))`` come from the danger
    support vectors and ``n - int(f * (n + 1))`` from the safe ones, and when
    a class has only danger (or only safe) support vectors only that part is
    made, so the class ends with fewer (or, by one, more) rows than asked. The
    Beta draws use ``random_state`` as imbalanced-learn does (a RandomState
    instance advances as it would there), so the counts equal
    imbalanced-learn's for the same ``random_state``; the new rows themselves
    are drawn by gpusmote's own generator.

    The SVM is fitted once (imbalanced-learn refits the same SVM on the same
    data for every class), except when ``random_state`` is a RandomState
    instance and the default SVC shares it: then once per class, so that the
    instance advances as in imbalanced-learn. The neighbour searches and the
    generation run on the backend.

    The danger and safe sets equal imbalanced-learn's wherever the neighbours
    do. {docs.NEIGHBOUR_RULE}

    {docs.INTEGER_FEATURES}

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import SVMSMOTE
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.8, random_state=0)
    >>> sorted(Counter(y.tolist()).items())
    [(0, 897), (1, 103)]
    >>> X_res, y_res = SVMSMOTE(random_state=0).fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 897), (1, 897)]
    """

    _parameter_constraints: dict = {
        **BaseSMOTE._parameter_constraints,
        "m_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "svm_estimator": [HasMethods(["fit", "predict"]), None],
        "out_step": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5,
                 m_neighbors=10, svm_estimator=None, out_step=0.5, backend="auto",
                 working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)
        self.m_neighbors = m_neighbors
        self.svm_estimator = svm_estimator
        self.out_step = out_step

    def _validate_estimator(self) -> None:
        super()._validate_estimator()
        if isinstance(self.m_neighbors, numbers.Integral):
            self.nn_m_ = NearestNeighbors(n_neighbors=self.m_neighbors + 1)
        else:
            self.nn_m_ = clone(self.m_neighbors)
        if self.svm_estimator is None:
            self.svm_estimator_ = SVC(gamma="scale", random_state=self.random_state)
        else:
            self.svm_estimator_ = clone(self.svm_estimator)

    def _m(self) -> int:
        if isinstance(self.m_neighbors, numbers.Integral):
            return int(self.m_neighbors)
        return int(self.nn_m_.n_neighbors) - 1

    # -- the SVM (host) ---------------------------------------------------------
    def _support(self, host_X, host_y) -> np.ndarray:
        """Fit the SVM; the indices (into X) of its support vectors."""
        self.svm_estimator_.fit(host_X, host_y)
        support = getattr(self.svm_estimator_, "support_", None)
        if support is None:
            raise RuntimeError(
                f"svm_estimator={type(self.svm_estimator_).__name__}() has no `support_` "
                "after fitting: SVMSMOTE seeds new rows from the support vectors, so the "
                "estimator must be a support vector machine that exposes them (for "
                "example sklearn.svm.SVC or NuSVC). Use SMOTE or BorderlineSMOTE with "
                "other classifiers.")
        return np.asarray(support, dtype=np.int64)

    # -- support vectors: noise, danger, safe ------------------------------------
    def _other_class_counts(self, be, X, sv, code):
        """Per support vector: how many of its m nearest rows (all classes) are
        of another class."""
        if isinstance(self.m_neighbors, numbers.Integral):
            check_enough_rows(X.shape[0], int(self.m_neighbors), type(self).__name__,
                              "m_neighbors")
            nbrs = neighbours_among_all(be, X, sv, int(self.m_neighbors),
                                        self.working_memory)
        else:
            nbrs = neighbours_from_estimator(self.nn_m_, be, X, rows_of(be, X, sv))
        return (self._codes[nbrs] != code).sum(axis=1)

    def _class_neighbours_of(self, be, X, rows, seeds, label):
        """Indices (into X) of the k nearest same-class rows of each seed, itself out."""
        xp = be.xp
        check_class_size(label, rows.shape[0], self._n_neighbors(), type(self).__name__)
        X_class = rows_of(be, X, rows)
        local = xp.searchsorted(rows, seeds)
        if isinstance(self.k_neighbors, numbers.Integral):
            nn = neighbours_among_all(be, X_class, local, int(self.k_neighbors),
                                      self.working_memory)
        else:
            nn = neighbours_from_estimator(self.nn_k_, be, X_class,
                                           rows_of(be, X_class, local))
        return rows[nn]

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        name = type(self).__name__
        labels = self._labels
        asked = [(label, int(n)) for label, n in self.sampling_strategy_.items() if n]
        check_extrapolation_range(
            be, X, ((label, be.asarray(labels.rows(label))) for label, _ in asked),
            float(self.out_step), name, getattr(self, "feature_names_in_", None))
        # imbalanced-learn's generator for the Beta draws: for an int seed a fresh
        # RandomState (its samples draw from their own); for an instance, that one,
        # which its sample draws and a shared SVC advance too
        random_state = check_random_state(self.random_state)
        shared = isinstance(self.random_state, np.random.RandomState)
        refit = shared and self.svm_estimator is None
        self.danger_indices_, self.safe_indices_ = {}, {}
        self._codes = labels.codes(be)
        plans = []
        try:
            host_X = host_y = support = None
            for label, n_new in asked:
                with phase("svm", be):
                    if support is None or refit:
                        if host_X is None:  # one download of X for CuPy X
                            host_X = X if sparse.issparse(X) else be.to_numpy(X)
                            host_y = labels.host()
                        support = self._support(host_X, host_y)
                    own = np.sort(support[host_y[support] == labels.classes[
                        labels.code_of(label)]])
                with phase("neighbours", be):
                    plans += self._plan_parts(be, X, label, n_new, be.asarray(own),
                                              random_state, shared)
        finally:
            del self._codes
        return generate_rows(self, be, X, plans)

    def _plan_parts(self, be, X, label, n_new, sv, random_state, shared):
        """The danger part (interpolation) and the safe part (extrapolation) of a class."""
        code = self._labels.code_of(label)
        m = self._m()
        if sv.shape[0] == 0:
            raise no_support_vectors(label, 0, m)
        n_other = self._other_class_counts(be, X, sv, code)
        kept = n_other < m  # all m neighbours of other classes: noise
        sv, n_other = sv[kept], n_other[kept]
        if sv.shape[0] == 0:
            raise no_support_vectors(label, int(kept.shape[0]), m)
        danger = n_other >= m / 2
        self.danger_indices_[label] = self._labels.beside_y(be, sv[danger])
        self.safe_indices_[label] = self._labels.beside_y(be, sv[~danger])
        n_danger = int(danger.sum())
        n_safe = int(sv.shape[0]) - n_danger

        n_inner = int(random_state.beta(10, 10) * (n_new + 1))
        rows = be.asarray(self._labels.rows(label))
        nbrs = self._class_neighbours_of(be, X, rows, sv, label)
        k = int(nbrs.shape[1])
        parts = []
        if n_danger:
            parts.append(ClassPlan(label, sv[danger], nbrs[danger], n_inner))
        if n_safe:
            scale = be.xp.full((n_safe, k), -float(self.out_step))
            parts.append(ClassPlan(label, sv[~danger], nbrs[~danger], n_new - n_inner,
                                   step_scale=scale))
        if shared:
            # imbalanced-learn draws each part's cells and steps from the same
            # instance before the next class's Beta: advance it alike
            for size, n in ((n_danger, n_inner), (n_safe, n_new - n_inner)):
                if size:
                    random_state.randint(low=0, high=size * k, size=n)
                    random_state.uniform(size=n)
        return parts
