"""NeighbourhoodCleaningRule: edited nearest neighbours, then the neighbours of
the minority rows that a k-NN classifier gets wrong (imbalanced-learn 0.12+)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._borderline import rows_of
from ._cleaning import _FITTED, _N_JOBS, EditedNearestNeighbours
from ._condensed import _euclidean_uniform, _host, run_inner
from ._repeated import appearance_order, counter_minority
from ._timing import phase
from ._validation import check_enough_rows
from .base import BaseCleaningSampler, neighbours_among_all

__all__ = ["NeighbourhoodCleaningRule"]


class NeighbourhoodCleaningRule(BaseCleaningSampler):
    __doc__ = f"""Under-sample with the neighbourhood cleaning rule.

    A drop-in replacement for ``imblearn.under_sampling.NeighbourhoodCleaningRule``
    (imbalanced-learn 0.12 and later) that runs on NumPy or, with CuPy, on the
    GPU. Two sets of rows are removed:

    * A1, the rows :class:`EditedNearestNeighbours` removes (``kind_sel='mode'``
      unless ``edited_nearest_neighbours`` is given);
    * A2, for each minority row that a k-NN classifier on all rows gets wrong
      (the row itself among its k votes), those of its ``n_neighbors``
      nearest other rows whose class is in ``classes_to_clean_``: the
      classes named by ``sampling_strategy`` with more than
      ``threshold_cleaning`` times the minority's rows.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable.

    edited_nearest_neighbours : object, default=None
        The sampler that finds A1: any object with ``fit_resample`` and
        ``sample_indices_`` (cloned). gpusmote's
        :class:`EditedNearestNeighbours` runs on this sampler's backend;
        another (imbalanced-learn's, say) gets host arrays. None:
        ``EditedNearestNeighbours(n_neighbors=n_neighbors, kind_sel='mode')``.

    n_neighbors : int or object, default=3
        Size of the neighbourhoods (the classifier's k). A
        ``NearestNeighbors`` object stands for its ``n_neighbors - 1``, as in
        imbalanced-learn; a ``KNeighborsClassifier`` that votes uniformly
        with Euclidean distance for its ``n_neighbors``; any other
        classifier with ``kneighbors`` is run as given, on the host.

    threshold_cleaning : float, default=0.5
        A class is cleaned in A2 only when it has more than
        ``threshold_cleaning`` times the minority's rows.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    nn_ : KNeighborsClassifier
        The classifier imbalanced-learn would build from ``n_neighbors``
        (not fitted: its votes come from the exact search here, unless it is
        run as given).

    edited_nearest_neighbours_ : object
        The fitted sampler that found A1.

    classes_to_clean_ : list
        The classes cleaned in A2, in the order of their first row in y (as
        imbalanced-learn lists them).

    See Also
    --------
    imblearn.under_sampling.NeighbourhoodCleaningRule : the CPU implementation this mirrors.
    EditedNearestNeighbours : the A1 step.

    Notes
    -----
    Like imbalanced-learn, the kept rows are in their original order (not
    class by class). The minority is the class with the fewest rows, ties to
    the class whose first row comes first in y, as imbalanced-learn's
    ``Counter`` picks it.

    {docs.NEIGHBOUR_RULE}

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import NeighbourhoodCleaningRule
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> ncr = NeighbourhoodCleaningRule()
    >>> X_res, y_res = ncr.fit_resample(X, y)
    >>> len(y_res) < len(y), bool((X_res == X[ncr.sample_indices_]).all())
    (True, True)
    """

    _parameter_constraints: dict = {
        **BaseCleaningSampler._parameter_constraints,
        "edited_nearest_neighbours": [HasMethods(["fit_resample"]), None],
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "threshold_cleaning": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", edited_nearest_neighbours=None,
                 n_neighbors=3, threshold_cleaning=0.5, n_jobs=None, backend="auto",
                 working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.edited_nearest_neighbours = edited_nearest_neighbours
        self.n_neighbors = n_neighbors
        self.threshold_cleaning = threshold_cleaning
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _validate_estimator(self) -> None:
        if isinstance(self.n_neighbors, numbers.Integral):
            self.nn_ = KNeighborsClassifier(n_neighbors=self.n_neighbors, n_jobs=self.n_jobs)
        elif isinstance(self.n_neighbors, NearestNeighbors):
            k = self.n_neighbors.n_neighbors - 1
            if k < 1:
                raise ValueError(
                    f"n_neighbors=NearestNeighbors(n_neighbors={k + 1}) stands for a "
                    f"classifier with {k} neighbours (one is the row itself, as in "
                    "imbalanced-learn); pass NearestNeighbors(n_neighbors=2) or more, "
                    "or an int.")
            self.nn_ = KNeighborsClassifier(n_neighbors=k, n_jobs=self.n_jobs)
        else:
            self.nn_ = clone(self.n_neighbors)
        if self.edited_nearest_neighbours is None:
            self.edited_nearest_neighbours_ = EditedNearestNeighbours(
                sampling_strategy=self.sampling_strategy, n_neighbors=self.n_neighbors,
                kind_sel="mode", n_jobs=self.n_jobs, backend=self.backend,
                working_memory=self.working_memory, verbose=self.verbose)
        else:
            self.edited_nearest_neighbours_ = clone(self.edited_nearest_neighbours)

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        xp = be.xp
        labels = self._labels
        codes = labels.codes(be)
        n = codes.shape[0]
        removed = xp.zeros(n, dtype=bool)
        removed[self._edited(be, X, y)] = True
        removed = ~removed  # A1: the rows ENN did not keep

        minority = counter_minority(be, labels)
        n_minority = int(labels.counts[labels.code_of(minority)])
        stats = dict(zip(labels.classes, labels.counts))
        self.classes_to_clean_ = [
            c for c in appearance_order(be, labels)
            if c in self.sampling_strategy_
            and stats[c] > n_minority * self.threshold_cleaning]

        rows = be.asarray(labels.rows(minority))
        with phase("neighbours", be):
            wrong, nbrs = self._misclassified_minority(be, X, y, codes, rows)
        suspects = nbrs[wrong].reshape(-1)
        if self.classes_to_clean_ and suspects.shape[0]:
            clean = np.isin(labels.classes, self.classes_to_clean_)
            suspects = suspects[be.asarray(clean)[codes[suspects]]]
            removed[suspects] = True  # A2
        kept = xp.flatnonzero(~removed)
        self.sample_indices_ = labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]

    def _edited(self, be, X, y):
        """Row indices (on the backend) that the ENN step keeps."""
        enn = self.edited_nearest_neighbours_
        if isinstance(enn, EditedNearestNeighbours):
            run_inner(enn, be, X, y)
        else:  # another library's sampler: host arrays
            enn.fit_resample(_host(be, X), self._labels.host())
        return be.asarray(enn.sample_indices_)

    def _misclassified_minority(self, be, X, y, codes, rows):
        """Per minority row: whether the k-NN classifier on all rows (the row
        itself among the votes) gets it wrong; and its k nearest other rows."""
        nn = self.nn_
        k = int(nn.n_neighbors)
        if isinstance(nn, KNeighborsClassifier) and _euclidean_uniform(nn):
            check_enough_rows(X.shape[0], k, type(self).__name__, "n_neighbors")
            nbrs = neighbours_among_all(be, X, rows, k, self.working_memory)
            own = codes[rows]
            votes = be.xp.concatenate([own[:, None], codes[nbrs[:, :k - 1]]], axis=1)
            right = EditedNearestNeighbours(kind_sel="mode")._agrees(be, votes, own)
            return ~right, nbrs
        # the classifier as given, on the host, as imbalanced-learn runs it
        X_host, y_host = _host(be, X), self._labels.host()
        queries = X_host[be.to_numpy(rows)]
        nn.fit(X_host, y_host)
        wrong = nn.predict(queries) != y_host[be.to_numpy(rows)]
        nbrs = nn.kneighbors(queries, n_neighbors=k + 1, return_distance=False)[:, 1:]
        return be.asarray(wrong), be.asarray(nbrs)
