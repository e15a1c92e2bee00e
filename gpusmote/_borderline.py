"""BorderlineSMOTE: SMOTE seeded only from the rows at the border between classes."""

from __future__ import annotations

import numbers
import warnings

from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _docstrings as docs
from ._generate import ClassPlan
from ._labels import plain_label
from ._smote import BaseSMOTE
from ._validation import check_class_size, check_enough_rows
from .base import neighbours_among_all


def rows_of(be, X, idx):
    """Rows ``idx`` of X: sparse X (host) with host indices, dense X on its backend."""
    return X[be.to_numpy(idx)] if sparse.issparse(X) else X[be.asarray(idx)]


def neighbours_from_estimator(nn, be, X, queries):
    """imbalanced-learn's way with a user's estimator: fit on X, query, drop column 0."""
    host = X if sparse.issparse(X) else be.to_numpy(X)
    q = queries if sparse.issparse(queries) else be.to_numpy(queries)
    nn.fit(host)
    return be.asarray(nn.kneighbors(q, return_distance=False)[:, 1:])


class BorderlineSMOTE(BaseSMOTE):
    __doc__ = f"""Over-sample with Borderline-SMOTE: SMOTE seeded from the border rows.

    A drop-in replacement for ``imblearn.over_sampling.BorderlineSMOTE`` that
    runs on NumPy or, with CuPy, on the GPU. A row of the class being
    over-sampled is *in danger* when at least half, but not all, of its
    ``m_neighbors`` nearest rows (over all classes) belong to other classes.
    Only rows in danger seed new rows. ``kind='borderline-1'`` interpolates
    towards the seed's ``k_neighbors`` nearest rows of its own class;
    ``kind='borderline-2'`` towards its nearest rows of any class, with steps
    in [0, 0.5) towards rows of other classes.

    Parameters
    ----------
    {docs.SAMPLING_STRATEGY}

    {docs.RANDOM_STATE}

    {docs.K_NEIGHBORS}

    m_neighbors : int or object, default=10
        Number of nearest rows, over all classes, that decide whether a row is
        in danger. An object with ``kneighbors`` is used as given (fitted on
        X, its first column dropped as the row itself, as imbalanced-learn
        does).

    kind : {{'borderline-1', 'borderline-2'}}, default='borderline-1'
        Which neighbours the new rows are drawn towards (see above).

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

    in_danger_indices : dict
        Class label -> indices (into X) of its rows in danger (CuPy arrays
        when y is one). A class with
        no row in danger is left out, and no row is made for it (as in
        imbalanced-learn).

    See Also
    --------
    imblearn.over_sampling.BorderlineSMOTE : the CPU implementation this mirrors.
    SMOTE : seeds from every row of the class.

    Notes
    -----
    Borderline-2 steps towards rows of other classes are uniform in
    [0, 0.5), as in Han et al. (2005); imbalanced-learn multiplies two
    uniforms there instead, which has the same range and a different
    distribution.

    The danger set equals imbalanced-learn's wherever the neighbours do.
    {docs.NEIGHBOUR_RULE}

    {docs.INTEGER_FEATURES}

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import BorderlineSMOTE
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.8, random_state=0)
    >>> sorted(Counter(y.tolist()).items())
    [(0, 897), (1, 103)]
    >>> X_res, y_res = BorderlineSMOTE(random_state=0).fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 897), (1, 897)]
    """

    _parameter_constraints: dict = {
        **BaseSMOTE._parameter_constraints,
        "m_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "kind": [StrOptions({"borderline-1", "borderline-2"})],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5,
                 m_neighbors=10, kind="borderline-1", backend="auto",
                 working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)
        self.m_neighbors = m_neighbors
        self.kind = kind

    def _validate_estimator(self) -> None:
        super()._validate_estimator()
        if isinstance(self.m_neighbors, numbers.Integral):
            self.nn_m_ = NearestNeighbors(n_neighbors=self.m_neighbors + 1)
        else:
            self.nn_m_ = clone(self.m_neighbors)

    def _fit_resample(self, be, X, y):
        self.in_danger_indices = {}
        self._codes = self._labels.codes(be)
        try:
            X_res, y_res = super()._fit_resample(be, X, y)
        finally:
            del self._codes
        self._warn_if_no_danger()
        return X_res, y_res

    def _interpolation_rows(self, be, label):
        # borderline-2 steps towards rows of any class
        return None if self.kind == "borderline-2" else super()._interpolation_rows(be, label)

    def _warn_if_no_danger(self) -> None:
        """imbalanced-learn returns the input silently when no row is in danger;
        say so, and what to do."""
        asked = [label for label, n in self.sampling_strategy_.items() if n > 0]
        empty = [label for label in asked if label not in self.in_danger_indices]
        if not empty:
            return
        m = (int(self.m_neighbors) if isinstance(self.m_neighbors, numbers.Integral)
             else int(self.nn_m_.n_neighbors) - 1)
        labels = self._labels
        rows = ", ".join(
            f"class {plain_label(label)!r}: {int(labels.counts[labels.code_of(label)])} rows"
            for label in empty)
        rule = (f"no row has at least half, but not all, of its m_neighbors={m} nearest "
                "rows in other classes")
        if len(empty) == len(asked):
            outcome = "so it made no new rows and returned the input unchanged"
        else:
            which = "that class" if len(empty) == 1 else "those classes"
            outcome = (f"so it made no new rows for {which} (the other classes were "
                       "over-sampled)")
        warnings.warn(
            f"BorderlineSMOTE found no minority row in danger ({rows}; {rule}), "
            f"{outcome}. The classes are separated (or the minority rows sit inside "
            "other classes); use SMOTE for this data, or try another m_neighbors.", UserWarning, stacklevel=4)

    def _danger(self, be, X, rows, code):
        """Boolean mask over ``rows``: at least half, not all, neighbours of
        other classes; and the m nearest of each row among all rows, nearest
        first, when gpusmote's own search found them (None otherwise)."""
        name = type(self).__name__
        own_search = isinstance(self.m_neighbors, numbers.Integral)
        if own_search:
            m = int(self.m_neighbors)
            check_enough_rows(X.shape[0], m, name, "m_neighbors")
            nbrs = neighbours_among_all(be, X, rows, m, self.working_memory)
        else:
            m = int(self.nn_m_.n_neighbors) - 1
            nbrs = neighbours_from_estimator(self.nn_m_, be, X, rows_of(be, X, rows))
        n_other = (self._codes[nbrs] != code).sum(axis=1)
        # stays on the backend: only whether any row is in danger is read
        return (n_other >= m / 2) & (n_other < m), (nbrs if own_search else None)

    def _plan_class(self, be, X, y, label, rows, n_new) -> ClassPlan:
        xp = be.xp
        name = type(self).__name__
        code = self._labels.code_of(label)
        rows = be.asarray(rows)
        danger, m_nearest = self._danger(be, X, rows, code)
        if not bool(danger.any()):
            k = max(self._n_neighbors(), 1)
            return ClassPlan(label, xp.empty(0, dtype=xp.int64),
                             xp.empty((0, k), dtype=xp.int64), 0)
        seeds_dev = rows[danger]
        self.in_danger_indices[label] = self._labels.beside_y(be, seeds_dev)
        integral = isinstance(self.k_neighbors, numbers.Integral)
        if self.kind == "borderline-1":
            check_class_size(label, rows.shape[0], self._n_neighbors(), name)
            X_class = rows_of(be, X, rows)
            in_danger = xp.flatnonzero(danger)
            if integral:
                local = neighbours_among_all(be, X_class, in_danger,
                                             int(self.k_neighbors), self.working_memory)
            else:
                local = neighbours_from_estimator(self.nn_k_, be, X_class,
                                                  rows_of(be, X_class, in_danger))
            return ClassPlan(label, seeds_dev, rows[local], n_new)
        # borderline-2: neighbours of any class; steps towards other classes halved
        if integral and m_nearest is not None and int(self.k_neighbors) <= m_nearest.shape[1]:
            # the k nearest among all rows are the first k of the m nearest the
            # danger search found (both ordered by distance, then index): no
            # second search
            nbrs = m_nearest[danger][:, :int(self.k_neighbors)]
        elif integral:
            check_enough_rows(X.shape[0], int(self.k_neighbors), name, "k_neighbors")
            nbrs = neighbours_among_all(be, X, seeds_dev, int(self.k_neighbors),
                                        self.working_memory)
        else:
            nbrs = neighbours_from_estimator(self.nn_k_, be, X, rows_of(be, X, seeds_dev))
        scale = xp.where(self._codes[nbrs] != code, 0.5, 1.0)
        return ClassPlan(label, seeds_dev, nbrs, n_new, step_scale=scale)
