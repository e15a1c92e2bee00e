"""SMOTE and the base shared by its variants."""

from __future__ import annotations

import numbers

from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._timing import phase
from ._generate import ClassPlan, generate, seed_from
from ._validation import check_class_size, check_interpolation_range, dense_for_search
from .base import BaseOverSampler
from .neighbors import kneighbors


# Sparse classes wider than this are searched sparse (scikit-learn), not densified.
_DENSE_MAX_FEATURES = 4096


def generate_rows(sampler, be, X, plans: list[ClassPlan]):
    """The generation phase of an over-sampler: every planned row in one pass
    (``generate``), its provenance recorded, and the labels of the output."""
    with phase("generation", be):
        made = generate(be, X, plans, seed_from(sampler.random_state), sampler.working_memory)
        sampler._record_synthetic(X.shape[0], made.base, made.neighbour, made.steps, be=be)
        # where y is: CuPy fills the new labels on the device
        y_res = sampler._labels.extend((p.label, p.n_new) for p in plans)
    return made.X, y_res


class BaseSMOTE(BaseOverSampler):
    """Shared by the SMOTE variants: neighbour search, plans, one generation pass.

    A variant decides, per class, which rows seed new samples and with which
    neighbours (``_plan_class``, which this template calls); the base draws and
    writes every row of every class in one batched pass (``_generate_rows``).
    Variants that plan across classes (SVMSMOTE's Beta draws, KMeansSMOTE's
    clusters) write their own ``_fit_resample`` around ``_generate_rows``.
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "k_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
    }

    def __init__(self, sampling_strategy="auto", random_state=None, k_neighbors=5,
                 backend="auto", working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose
        self.weight_mode = weight_mode

    # -- neighbours ----------------------------------------------------------
    def _validate_estimator(self) -> None:
        if isinstance(self.k_neighbors, numbers.Integral):
            # what imbalanced-learn would fit; our own engine does the search
            self.nn_k_ = NearestNeighbors(n_neighbors=self.k_neighbors + 1)
        else:
            self.nn_k_ = clone(self.k_neighbors)

    def _n_neighbors(self) -> int:
        if isinstance(self.k_neighbors, numbers.Integral):
            return int(self.k_neighbors)
        return int(self.nn_k_.get_params().get("n_neighbors", 6)) - 1

    def _class_neighbours(self, be, X_class):
        """Row-local indices of each row's k nearest same-class rows, self excluded."""
        if isinstance(self.k_neighbors, numbers.Integral):
            if sparse.issparse(X_class) and X_class.shape[1] > _DENSE_MAX_FEATURES:
                # wide sparse rows (text-like): scikit-learn's exact sparse search,
                # as imbalanced-learn does, rather than a dense copy of every column
                nn = NearestNeighbors(n_neighbors=self.k_neighbors + 1).fit(X_class)
                return be.asarray(nn.kneighbors(X_class, return_distance=False)[:, 1:])
            X_class = dense_for_search(X_class, type(self).__name__)
            return kneighbors(X_class, self.k_neighbors, backend=be.name,
                              working_memory=self.working_memory, return_distance=False)
        host = X_class if sparse.issparse(X_class) else be.to_numpy(X_class)
        self.nn_k_.fit(host)
        nns = self.nn_k_.kneighbors(host, return_distance=False)[:, 1:]
        return be.asarray(nns)

    # -- the template --------------------------------------------------------
    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        labels = self._labels
        check_interpolation_range(
            be, X, ((label, self._interpolation_rows(be, label))
                    for label, n_new in self.sampling_strategy_.items() if n_new),
            type(self).__name__, getattr(self, "feature_names_in_", None))
        plans = []
        with phase("neighbours", be):
            for label, n_new in self.sampling_strategy_.items():
                if n_new == 0:
                    continue
                # on y's side; be.asarray moves host rows to a device backend
                rows = be.asarray(labels.rows(label))
                plans.append(self._plan_class(be, X, y, label, rows, int(n_new)))
        return generate_rows(self, be, X, plans)

    def _interpolation_rows(self, be, label):
        """The rows new rows of ``label`` are interpolated between: its own."""
        return be.asarray(self._labels.rows(label))



class SMOTE(BaseSMOTE):
    __doc__ = f"""Over-sample with SMOTE: new rows on segments between same-class neighbours.

    A drop-in replacement for ``imblearn.over_sampling.SMOTE`` that runs on
    NumPy or, with CuPy, on the GPU. Each new row of a class is
    ``x + u * (x_nn - x)`` for a row ``x`` drawn uniformly from the class,
    one of its ``k_neighbors`` nearest same-class rows ``x_nn`` drawn
    uniformly, and ``u`` uniform in [0, 1).

    Parameters
    ----------
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

    nn_k_ : estimator object
        The neighbour estimator given as ``k_neighbors``, or for an int the
        ``NearestNeighbors(k_neighbors + 1)`` imbalanced-learn would use.

    See Also
    --------
    imblearn.over_sampling.SMOTE : the CPU implementation this mirrors.

    Notes
    -----
    Output: the original rows first, unchanged and in order, then the new
    rows class by class in the order of ``sampling_strategy_``. Neighbours
    are exact (ties go to the lower row index) and found block by block, so
    memory stays bounded for any number of rows.

    {docs.INTEGER_FEATURES}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import SMOTE
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> np.bincount(y).tolist()
    [897, 103]
    >>> X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)
    >>> np.bincount(y_res).tolist()
    [897, 897]
    """

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5,
                 backend="auto", working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy, random_state=random_state,
                         k_neighbors=k_neighbors, backend=backend,
                         working_memory=working_memory, verbose=verbose,
                         weight_mode=weight_mode)

    def _plan_class(self, be, X, y, label, rows, n_new) -> ClassPlan:
        check_class_size(label, rows.shape[0], self._n_neighbors(), type(self).__name__)
        rows_dev = be.asarray(rows)
        local = self._class_neighbours(be, X[rows_dev] if not sparse.issparse(X)
                                       else X[be.to_numpy(rows)])
        return ClassPlan(label, rows_dev, rows_dev[local], n_new)
