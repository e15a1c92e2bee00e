"""InstanceHardnessThreshold: drop the rows a classifier finds hardest to predict."""

from __future__ import annotations

import numbers
import time

import numpy as np
from scipy import sparse
from sklearn.base import clone, is_classifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.ensemble._base import _set_random_states
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_predict
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods

from . import _docstrings as docs
from . import _lean_forest as lean_forest
from ._random_under import UNDER_FITTED, UNDER_STRATEGY, take_rows
from ._timing import phase
from .backends._numpy import _n_threads
from .base import BaseUnderSampler

# A forest's threads share the Cython tree building but not scikit-learn's
# Python work per tree (~1 ms here: validation, cloning, seeding), which holds
# the GIL. On KEEL sets trees that took < 2 ms each on one core were slower on
# two (pima 1.4 ms: 139 -> 203 ms a fit); from ~2.3 ms on two were faster
# (segment0 1.2x, page_blocks0 7.7 ms: 1.7x).
_THREADED_TREE_SECONDS = 2e-3
# The lean fit's Python work per tree is ~0.1 ms, so threads pay sooner:
# pima (0.8 ms a tree) 83 -> 65 ms a fold on two; ecoli1 (0.35 ms) 35 -> 46.
_THREADED_LEAN_TREE_SECONDS = 0.7e-3


class InstanceHardnessThreshold(BaseUnderSampler):
    __doc__ = f"""Under-sample by removing the rows a classifier finds hardest.

    A drop-in replacement for
    ``imblearn.under_sampling.InstanceHardnessThreshold`` that accepts the
    same NumPy, pandas, sparse and CuPy inputs as the other gpusmote
    samplers. Each row's hardness is one minus the probability a classifier,
    trained on the other folds of a stratified cross-validation, gives to
    its own class. Each class named by ``sampling_strategy`` keeps the rows
    whose probability is at least the percentile that leaves about the
    number of rows asked for (ties at the threshold are all kept, so a class
    may keep a few more).

    Parameters
    ----------
    estimator : estimator object, default=None
        A classifier with ``predict_proba``. It is cloned and its random
        states are set from ``random_state``. ``None`` uses
        ``RandomForestClassifier(n_estimators=100)`` with ``random_state``
        and ``n_jobs``, as imbalanced-learn does. A ``RandomForestClassifier``
        with the default tree parameters and ``n_jobs=None`` (any
        ``n_estimators``) is fitted as the default one is (see ``n_jobs``),
        with the same probabilities as its own fit.

    {UNDER_STRATEGY}

    {docs.RANDOM_STATE}

    cv : int or cross-validation generator, default=5
        An int is the number of folds of a shuffled ``StratifiedKFold``
        seeded from ``random_state`` (imbalanced-learn's). A splitter or an
        iterable of (train, test) splits is used as given.

    n_jobs : int, default=None
        Jobs for the cross-validation and the default forest (scikit-learn's
        meaning); the classifier runs on the host. With ``None`` and the
        default forest, each fold's trees are grown by scikit-learn's Cython
        tree builder without the forest's per-tree Python work (the same
        seeds and bootstrap, checked on the first fold against a public
        one-tree forest; the forest itself is used where that check fails).
        The first fold is fitted on one core; if its trees took more than
        0.7 ms each (2 ms for the forest itself), the other folds' trees are
        grown on all the cores this process may use (as gpusmote's own
        searches are). The trees' probabilities are summed in tree order on
        one thread, so they, and the rows kept, equal a one-job run's bit
        for bit.

    {docs.BACKEND}

    Attributes
    ----------
    {UNDER_FITTED}

    estimator_ : estimator object
        The classifier, cloned from ``estimator`` (or the default forest),
        as it was configured for the cross-validation (not fitted on all of
        X).

    See Also
    --------
    imblearn.under_sampling.InstanceHardnessThreshold : the CPU implementation this mirrors.
    NearMiss : keep rows by their distances to the minority instead.

    Notes
    -----
    The classifier is scikit-learn's (or yours), so it runs on the host:
    a CuPy X is copied to the host once for it (and y with it); the kept
    rows are then selected on the device. ``working_memory`` and
    ``verbose`` have nothing to bound or show here and are accepted for a
    uniform API.

    The same ``random_state``, classifier and data give imbalanced-learn's
    ``sample_indices_``. One difference: imbalanced-learn reads each row's
    probability from the column numbered by its label, which is right only
    for labels 0, 1, ..., n_classes - 1 (other labels fail, or for -1 read
    another class's column); here the column is the label's position among
    the sorted classes, which is the same for those labels and right for any
    others (strings included). An int ``cv`` is imbalanced-learn's; a
    splitter object, which imbalanced-learn refuses, is used as given.

    {docs.CLEANER_ROWS}

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from gpusmote import InstanceHardnessThreshold
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> iht = InstanceHardnessThreshold(estimator=LogisticRegression(),
    ...                                 random_state=0)
    >>> X_res, y_res = iht.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 103), (1, 103)]
    """

    _selects_rows = True

    _parameter_constraints: dict = {
        **BaseUnderSampler._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cv": ["cv_object"],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, estimator=None, sampling_strategy="auto", random_state=None, cv=5,
                 n_jobs=None, backend="auto", working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.estimator = estimator
        self.random_state = random_state
        self.cv = cv
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _validate_estimator(self, random_state) -> None:
        if self.estimator is None:
            self.estimator_ = RandomForestClassifier(n_estimators=100,
                                                     random_state=self.random_state,
                                                     n_jobs=self.n_jobs)
            return
        if not is_classifier(self.estimator):
            raise ValueError(
                f"InstanceHardnessThreshold needs a classifier with predict_proba as "
                f"estimator, got {type(self.estimator).__name__}, which is not a "
                "classifier; pass one such as RandomForestClassifier() or "
                "LogisticRegression(), or None for the default forest.")
        self.estimator_ = clone(self.estimator)
        # the same draws from the same RandomState as imbalanced-learn
        _set_random_states(self.estimator_, random_state)

    def _forest_proba(self, X, codes, n_classes: int, splitter, lean: bool) -> np.ndarray:
        """``cross_val_predict``'s probabilities for the default forest, or a
        given one the lean fit reproduces, fitted lean where that gives
        scikit-learn's trees (``_lean_forest``), and on all cores from the
        second fold when the first fold's trees were big enough (``n_jobs``;
        a given forest the lean fit turns out not to reproduce keeps its one
        job). ``lean``: ``lean_forest.supports`` holds for the forest and X."""
        proba = np.zeros((codes.shape[0], n_classes))
        times_tested = np.zeros(codes.shape[0], dtype=np.int64)
        threads = 1
        folds = check_cv(splitter, codes, classifier=True).split(X, codes)
        for fold, (train, test) in enumerate(folds):
            forest = clone(self.estimator_)
            X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
            start = time.perf_counter()
            fitted = lean and lean_forest.fit_predict_proba(
                forest, X_train, codes[train], X_test, threads=threads, verify=fold == 0)
            if not fitted:
                lean = False
                start = time.perf_counter()
                forest.set_params(n_jobs=threads if threads > 1 else None)
                forest.fit(X_train, codes[train])
                # one thread adds the trees' probabilities in tree order
                forest.set_params(n_jobs=None)
                fitted = forest.classes_, forest.predict_proba(X_test)
            per_tree = (time.perf_counter() - start) / forest.n_estimators
            # (a forest given with one job keeps it where the lean fit is not used)
            if fold == 0 and (lean or self.estimator is None) and per_tree > (
                    _THREADED_LEAN_TREE_SECONDS if lean else _THREADED_TREE_SECONDS):
                threads = _n_threads()
            # a fold without some class has no column for it: that class gets 0
            classes, fold_proba = fitted
            proba[np.ix_(test, classes)] = fold_proba
            times_tested[test] += 1
        if not np.all(times_tested == 1):
            raise ValueError(
                "InstanceHardnessThreshold needs cross-validation folds whose test "
                "parts cover every row exactly once (a partition), as cross_val_predict "
                "does; pass an int cv or a splitter such as StratifiedKFold.")
        return proba

    def _splitter(self, random_state):
        if isinstance(self.cv, numbers.Integral):
            return StratifiedKFold(n_splits=int(self.cv), shuffle=True,
                                   random_state=random_state)
        return self.cv

    def _fit_resample(self, be, X, y):
        labels = self._labels
        random_state = check_random_state(self.random_state)
        self._validate_estimator(random_state)
        with phase("transfer", be):
            # the classifier is a host estimator: X comes down once (CuPy X)
            X_host = X if sparse.issparse(X) else be.to_numpy(X)
            y_host = labels.host()
        codes = np.searchsorted(labels.classes, y_host)  # column of each row's class
        with phase("classifier", be):
            lean = lean_forest.supports(self.estimator_, X_host)
            # a given forest of several jobs sums its trees' probabilities in the
            # order its threads finish, which no other run need repeat
            if self.n_jobs is None and (self.estimator is None
                                        or (lean and self.estimator_.n_jobs is None)):
                proba = self._forest_proba(X_host, codes, len(labels.classes),
                                           self._splitter(random_state), lean)
            else:
                proba = cross_val_predict(self.estimator_, X_host, y_host,
                                          cv=self._splitter(random_state),
                                          n_jobs=self.n_jobs, method="predict_proba")
        own = proba[np.arange(y_host.shape[0]), codes]
        parts = []
        for code, (label, count) in enumerate(zip(labels.classes, labels.counts)):
            rows = np.flatnonzero(codes == code)
            if label in self.sampling_strategy_:
                n_keep = int(self.sampling_strategy_[label])
                threshold = np.percentile(own[rows], (1.0 - n_keep / int(count)) * 100.0)
                rows = rows[own[rows] >= threshold]
            parts.append(rows)
        keep = np.concatenate(parts).astype(np.int64, copy=False)
        # beside y: on the device for CuPy y (one upload of the kept indices)
        self.sample_indices_ = be.asarray(keep) if labels.on_device else keep
        return take_rows(be, X, keep), y[self.sample_indices_]
