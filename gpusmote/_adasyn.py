"""ADASYN: more new rows where a class is surrounded by other classes."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._borderline import neighbours_from_estimator, rows_of
from ._generate import ClassPlan, generate, seed_from
from ._timing import phase
from ._validation import (adasyn_no_other_class, adasyn_nothing_generated, dense_for_search,
                          check_class_size, check_enough_rows)
from .base import BaseOverSampler, neighbours_among_all
from .neighbors import kneighbors


def adasyn_counts(n_other, n_neighbors: int, n_new: int) -> np.ndarray:
    """New rows per seed: imbalanced-learn's arithmetic, step for step, so that
    the rounding (``np.rint``) gives the same counts."""
    ratio = np.asarray(n_other) / n_neighbors
    total = np.sum(ratio)
    if not total:
        return None
    ratio /= total
    return np.rint(ratio * n_new).astype(int)


class ADASYN(BaseOverSampler):
    __doc__ = f"""Over-sample with ADASYN: new rows weighted towards hard regions.

    A drop-in replacement for ``imblearn.over_sampling.ADASYN`` that runs on
    NumPy or, with CuPy, on the GPU. Each row of a class being over-sampled
    gets new rows in proportion to the share of other-class rows among its
    ``n_neighbors`` nearest rows (over all classes); each new row lies on
    the segment to one of its ``n_neighbors`` nearest same-class rows, drawn
    uniformly, at a uniform step.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    n_neighbors : int or object, default=5
        Number of nearest neighbours, used both for the density weights (over
        all classes) and for the interpolation (same class). An object with
        ``kneighbors`` is used as given, on the host.

    {docs.BACKEND}

    Attributes
    ----------
    {docs.FITTED}

    nn_ : estimator object
        The neighbour estimator given as ``n_neighbors``, or for an int the
        ``NearestNeighbors(n_neighbors + 1)`` imbalanced-learn would use.

    See Also
    --------
    imblearn.over_sampling.ADASYN : the CPU implementation this mirrors.
    SMOTE : the same interpolation with uniform weights.

    Notes
    -----
    The number of new rows per seed is ``rint(n_new * r_i / sum(r))`` with
    ``r_i`` the share of other-class neighbours, exactly as in
    imbalanced-learn, so the class totals can differ from
    ``sampling_strategy_`` by the rounding.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import ADASYN
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> X_res, y_res = ADASYN(random_state=0).fit_resample(X, y)
    >>> counts = Counter(y_res.tolist())
    >>> counts[0], abs(counts[1] - counts[0]) < 10
    (897, True)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, n_neighbors=5,
                 backend="auto", working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.n_neighbors = n_neighbors
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _validate_estimator(self) -> None:
        if isinstance(self.n_neighbors, numbers.Integral):
            self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors + 1)
        else:
            self.nn_ = clone(self.n_neighbors)

    def _seed_counts(self, be, X, rows, label, code, n_new: int):
        """Per-row counts from the other-class share among the neighbours."""
        if isinstance(self.n_neighbors, numbers.Integral):
            k = int(self.n_neighbors)
            check_enough_rows(X.shape[0], k, "ADASYN", "n_neighbors")
            nbrs = neighbours_among_all(be, X, rows, k, self.working_memory)
        else:
            k = int(self.nn_.n_neighbors) - 1
            nbrs = neighbours_from_estimator(self.nn_, be, X, rows_of(be, X, rows))
        # the counts go to the host: the float arithmetic must be NumPy's to round alike
        n_other = be.to_numpy((self._codes[nbrs] != code).sum(axis=1))
        counts = adasyn_counts(n_other, k, n_new)
        if counts is None:
            raise adasyn_no_other_class(label)
        total = int(counts.sum())
        if not total:
            raise adasyn_nothing_generated(label, n_new)
        return be.asarray(counts), total

    def _class_neighbours(self, be, X_class, label):
        if isinstance(self.n_neighbors, numbers.Integral):
            check_class_size(label, X_class.shape[0], int(self.n_neighbors), "ADASYN",
                             "n_neighbors")
            dense = dense_for_search(X_class, type(self).__name__)
            return kneighbors(dense, int(self.n_neighbors), backend=be.name,
                              working_memory=self.working_memory, return_distance=False)
        return neighbours_from_estimator(self.nn_, be, X_class, X_class)

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        labels = self._labels
        self._codes = labels.codes(be)
        plans = []
        with phase("neighbours", be):
            for label, n_new in self.sampling_strategy_.items():
                if n_new == 0:
                    continue
                rows = be.asarray(labels.rows(label))
                counts, total = self._seed_counts(be, X, rows, label, labels.code_of(label),
                                                  int(n_new))
                local = self._class_neighbours(be, rows_of(be, X, rows), label)
                plans.append(ClassPlan(label, rows, rows[local], total, seed_counts=counts))
        del self._codes
        with phase("generation", be):
            X_res = generate(be, X, plans, seed_from(self.random_state), self.working_memory)
            y_res = labels.extend((p.label, p.n_new) for p in plans)
        return X_res, y_res
