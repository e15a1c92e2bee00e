"""The cleaning under-samplers: TomekLinks and EditedNearestNeighbours."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _docstrings as docs
from ._borderline import neighbours_from_estimator, rows_of
from ._timing import phase
from ._validation import check_enough_rows, dense_for_search
from .base import BaseCleaningSampler, neighbours_among_all
from .neighbors import kneighbors

_N_JOBS = """n_jobs : int, default=None
        Accepted for imbalanced-learn compatibility and not used: the
        neighbour search uses every core (NumPy) or the GPU (CuPy)."""

_FITTED = """sampling_strategy_ : dict
        Class label -> the classes that may lose rows.

    sample_indices_ : ndarray of shape (n_new_samples,)
        Indices (into X) of the rows kept, in output order; a CuPy array when
        y is one (they stay on the device with the data).

    """ + docs.FEATURES_AND_BACKEND


def _targets(be, labels, strategy):
    """Per row, whether its class is one that may lose rows (on the backend)."""
    by_code = np.isin(labels.classes, list(strategy))
    return be.asarray(by_code)[labels.codes(be)]


class TomekLinks(BaseCleaningSampler):
    __doc__ = f"""Under-sample by removing Tomek links.

    A drop-in replacement for ``imblearn.under_sampling.TomekLinks`` that
    runs on NumPy or, with CuPy, on the GPU. Two rows of different classes
    form a Tomek link when each is the other's nearest neighbour; the rows
    of a link that belong to a class named by ``sampling_strategy`` are
    removed.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    See Also
    --------
    imblearn.under_sampling.TomekLinks : the CPU implementation this mirrors.
    EditedNearestNeighbours : remove rows whose neighbours disagree with them.

    Notes
    -----
    The nearest neighbours come from one exact search of every row against
    all rows (ties go to the lower index); no n x n matrix is made.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import TomekLinks
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> tl = TomekLinks()
    >>> X_res, y_res = tl.fit_resample(X, y)
    >>> len(y_res) < len(y), bool((X_res == X[tl.sample_indices_]).all())
    (True, True)
    """

    def __init__(self, *, sampling_strategy="auto", n_jobs=None, backend="auto",
                 working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    _parameter_constraints: dict = {
        **BaseCleaningSampler._parameter_constraints,
        "n_jobs": [numbers.Integral, None],
    }

    @staticmethod
    def is_tomek(y, nn_index, class_type):
        """Boolean mask of the rows in a Tomek link whose class is in ``class_type``.

        ``nn_index`` holds each row's nearest neighbour (imbalanced-learn's
        static method, vectorised).
        """
        y = np.asarray(y)
        nn_index = np.asarray(nn_index)
        mutual = nn_index[nn_index] == np.arange(y.shape[0])
        return mutual & (y[nn_index] != y) & np.isin(y, list(class_type))

    def _fit_resample(self, be, X, y):
        xp = be.xp
        check_enough_rows(X.shape[0], 1, "TomekLinks", "the nearest neighbour search")
        with phase("neighbours", be):
            dense = dense_for_search(X, type(self).__name__)
            codes = self._labels.codes(be)
            nn = self._nearest(be, dense, codes)
            # rows whose nearest row was not searched (-1) are in no link
            partner = xp.maximum(nn, 0)
            mutual = (nn >= 0) & (nn[partner] == xp.arange(nn.shape[0]))
            links = mutual & (codes[partner] != codes) & _targets(be, self._labels,
                                                                   self.sampling_strategy_)
            keep = xp.flatnonzero(~links)
            self.sample_indices_ = self._labels.beside_y(be, keep)
        return rows_of(be, X, keep), y[self.sample_indices_]


    def _nearest(self, be, X, codes):
        """Each row's nearest other row where it can matter to a link, else -1.

        Every link joins two classes, so one of its rows lies outside the largest
        class: those rows are searched, then the largest class's rows that they
        point to. On fraud data that is a few percent of the rows instead of all
        of them; when most rows are outside the largest class, all are searched."""
        xp = be.xp
        n = X.shape[0]
        largest = int(np.argmax(self._labels.counts))
        outside = xp.flatnonzero(codes != largest)
        if 2 * int(outside.shape[0]) >= n:
            return kneighbors(X, 1, backend=be.name, working_memory=self.working_memory,
                              return_distance=False)[:, 0]
        nn = xp.full(n, -1, dtype=xp.int64)
        near = neighbours_among_all(be, X, outside, 1, self.working_memory)[:, 0]
        nn[outside] = near
        partners = xp.unique(near[codes[near] == largest])
        if partners.shape[0]:
            nn[partners] = neighbours_among_all(be, X, partners, 1, self.working_memory)[:, 0]
        return nn


class EditedNearestNeighbours(BaseCleaningSampler):
    __doc__ = f"""Under-sample by removing rows that their neighbours outvote.

    A drop-in replacement for ``imblearn.under_sampling.EditedNearestNeighbours``
    that runs on NumPy or, with CuPy, on the GPU. A row of a class named by
    ``sampling_strategy`` is kept when all (``kind_sel='all'``) or most
    (``kind_sel='mode'``) of its ``n_neighbors`` nearest rows, over all
    classes, share its class.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable.

    n_neighbors : int or object, default=3
        Number of nearest rows that vote. An object with ``kneighbors`` is
        used as given (fitted on X, its first column dropped as the row
        itself, as imbalanced-learn does).

    kind_sel : {{'all', 'mode'}}, default='all'
        ``'all'`` keeps a row only when every neighbour shares its class;
        ``'mode'`` when the most common class among them (ties to the
        smallest label, as ``scipy.stats.mode``) is its class.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    nn_ : estimator object
        The neighbour estimator given as ``n_neighbors``, or for an int the
        ``NearestNeighbors(n_neighbors + 1)`` imbalanced-learn would use.

    See Also
    --------
    imblearn.under_sampling.EditedNearestNeighbours : the CPU implementation this mirrors.
    TomekLinks : remove only mutual nearest neighbours of different classes.

    Notes
    -----
    As in imbalanced-learn, the kept rows come class by class in sorted
    label order, each class's rows in their original order.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import EditedNearestNeighbours
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> enn = EditedNearestNeighbours()
    >>> X_res, y_res = enn.fit_resample(X, y)
    >>> Counter(y_res.tolist())[1] == Counter(y.tolist())[1], Counter(y_res.tolist())[0] < Counter(y.tolist())[0]
    (True, True)
    """

    _parameter_constraints: dict = {
        **BaseCleaningSampler._parameter_constraints,
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "kind_sel": [StrOptions({"all", "mode"})],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(self, *, sampling_strategy="auto", n_neighbors=3, kind_sel="all",
                 n_jobs=None, backend="auto", working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _validate_estimator(self) -> None:
        if isinstance(self.n_neighbors, numbers.Integral):
            self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors + 1)
        else:
            self.nn_ = clone(self.n_neighbors)

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        xp = be.xp
        codes = self._labels.codes(be)
        rows = xp.flatnonzero(_targets(be, self._labels, self.sampling_strategy_))
        with phase("neighbours", be):
            keep_target = xp.zeros(0, dtype=bool)
            if rows.shape[0]:
                if isinstance(self.n_neighbors, numbers.Integral):
                    check_enough_rows(X.shape[0], int(self.n_neighbors),
                                      "EditedNearestNeighbours", "n_neighbors")
                    nbrs = neighbours_among_all(be, X, rows, int(self.n_neighbors),
                                                self.working_memory)
                else:
                    nbrs = neighbours_from_estimator(self.nn_, be, X, rows_of(be, X, rows))
                keep_target = self._agrees(be, codes[nbrs], codes[rows])
        keep = xp.ones(codes.shape[0], dtype=bool)
        keep[rows] = keep_target
        # imbalanced-learn's order: class by class, in sorted label order
        kept = xp.flatnonzero(keep)
        kept = kept[be.argsort_stable(codes[kept])]
        self.sample_indices_ = self._labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]

    def _agrees(self, be, votes, own):
        """Per row: do the neighbours' classes (codes) keep it under ``kind_sel``?"""
        xp = be.xp
        if self.kind_sel == "all":
            return (votes == own[:, None]).all(axis=1)
        # mode with ties to the smallest code (= smallest label), as scipy.stats.mode
        counts = (votes[:, :, None] == votes[:, None, :]).sum(axis=2)
        best = counts.max(axis=1, keepdims=True)
        big = xp.iinfo(votes.dtype).max
        mode = xp.where(counts == best, votes, big).min(axis=1)
        return mode == own
