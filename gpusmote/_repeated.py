"""Edited nearest neighbours, repeated: RepeatedEditedNearestNeighbours and AllKNN.

Both run rounds of EditedNearestNeighbours, each on the rows the previous
rounds kept (imbalanced-learn calls ``EditedNearestNeighbours.fit_resample``
once per round: one full neighbour search per round). Rows only ever leave, so
here one search serves many rounds (``NeighbourLists``): every row's ``width``
nearest rows are found once; in a later round a row's first ``k`` neighbours
that are still kept are its ``k`` nearest among the kept rows, and only the
rows that have lost too many neighbours are searched again, among the rows
left. AllKNN's rounds (k = 1, 2, ..., n_neighbors) read prefixes of the same
lists.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _docstrings as docs
from ._borderline import neighbours_from_estimator, rows_of
from ._cleaning import _FITTED, _N_JOBS, EditedNearestNeighbours, _targets
from ._labels import Labels, resolve_sampling_strategy
from ._timing import phase
from ._validation import dense_for_search
from .base import BaseCleaningSampler, neighbours_among_all

__all__ = ["AllKNN", "RepeatedEditedNearestNeighbours"]


def counter_minority(be, labels):
    """imbalanced-learn's ``min(Counter(y), key=...)``: the class with the fewest
    rows, ties to the class that appears first in y (not the smaller label, which
    is how ``sampling_strategy`` breaks the same tie)."""
    counts = labels.counts
    tied = np.flatnonzero(counts == counts.min())
    if tied.size == 1:
        return labels.classes[tied[0]]
    return labels.classes[tied[np.argmin(first_rows(be, labels, tied))]]


def first_rows(be, labels, codes_wanted):
    """The first row of each class code in ``codes_wanted`` (host ints)."""
    xp = be.xp
    codes = labels.codes(be)
    return [int(xp.argmax(codes == int(c))) for c in codes_wanted]


def appearance_order(be, labels):
    """Class labels in the order of their first row in y (a ``Counter``'s keys)."""
    order = np.argsort(first_rows(be, labels, range(labels.n_classes)), kind="stable")
    return [labels.classes[i] for i in order]


class NeighbourLists:
    """Each row's nearest rows among the rows still kept, from few searches.

    Rows only ever leave. The ``width`` nearest rows of a row among a larger
    set, with the rows that left struck out, are in order its nearest among
    the rows left (ties to the lower index in both), so a row's first ``k``
    survivors are its ``k`` nearest now. Only a row with fewer than ``k``
    survivors is searched again, among the kept rows. ``lists`` holds -1 for
    rows never searched.
    """

    def __init__(self, be, X, width: int, working_memory=None):
        xp = be.xp
        self.be, self.X, self.width, self.working_memory = be, X, int(width), working_memory
        n = X.shape[0]
        self.lists = xp.full((n, self.width), -1, dtype=xp.int32 if n < 2**31 else xp.int64)
        self.searches = 0  # rows searched, for the tests

    def nearest(self, rows, k: int, alive):
        """(len(rows), k) int64: the k nearest kept rows of each of ``rows`` (sorted,
        kept rows), nearest first."""
        xp = self.be.xp
        ok, cum, L = self._survivors(rows, alive)
        short = cum[:, -1] < k
        if bool(short.any()):
            self._search(rows[short], alive)
            ok, cum, L = self._survivors(rows, alive)
        take = ok & (cum <= k)
        return L[take].reshape(-1, k).astype(xp.int64, copy=False)

    def _survivors(self, rows, alive):
        xp = self.be.xp
        L = self.lists[rows]
        ok = (L >= 0) & alive[xp.maximum(L, 0)]
        return ok, xp.cumsum(ok, axis=1), L

    def _search(self, rows, alive):
        xp = self.be.xp
        kept = xp.flatnonzero(alive)
        n_kept = int(kept.shape[0])
        width = min(self.width, n_kept - 1)
        X = self.X if n_kept == self.X.shape[0] else self.X[kept]
        pos = xp.searchsorted(kept, rows)
        found = neighbours_among_all(self.be, X, pos, width, self.working_memory)
        self.lists[rows, :width] = kept[found]
        self.lists[rows, width:] = -1
        self.searches += int(rows.shape[0])


class _EditRounds(BaseCleaningSampler):
    """Rounds of EditedNearestNeighbours on the rows kept so far."""

    _parameter_constraints: dict = {
        **BaseCleaningSampler._parameter_constraints,
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
        ],
        "kind_sel": [StrOptions({"all", "mode"})],
        "n_jobs": [numbers.Integral, None],
    }

    def _validate_estimator(self) -> None:
        if isinstance(self.n_neighbors, numbers.Integral):
            self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors + 1)
        else:
            self.nn_ = clone(self.n_neighbors)
        self.enn_ = EditedNearestNeighbours(
            sampling_strategy=self.sampling_strategy, n_neighbors=self.nn_,
            kind_sel=self.kind_sel, n_jobs=self.n_jobs, backend=self.backend,
            working_memory=self.working_memory, verbose=self.verbose)

    def _rounds(self, be, X, sizes, width: int, stop_when_unchanged: bool,
                allow_minority: bool, use_estimator: bool):
        """Run ENN with ``sizes[r]`` neighbours in round r until a stopping rule
        holds; return the kept rows in imbalanced-learn's order and the number
        of rounds run."""
        xp = be.xp
        labels = self._labels
        codes = labels.codes(be)
        n, n_classes = codes.shape[0], labels.n_classes
        minority = labels.code_of(counter_minority(be, labels))
        n_minority = int(labels.counts[minority])
        others = np.arange(n_classes) != minority
        vote = EditedNearestNeighbours(kind_sel=self.kind_sel)
        dense = None if use_estimator else be.asarray(dense_for_search(X, type(self).__name__))
        lists = None
        alive = xp.ones(n, dtype=bool)
        counts = labels.counts.copy()
        n_rounds = 0
        for k in sizes:
            strategy = (self.sampling_strategy_ if n_rounds == 0
                        else self._strategy_now(be, alive, counts))
            n_rounds += 1
            rows = xp.flatnonzero(alive & _targets(be, labels, strategy))
            n_alive = int(counts.sum())
            if rows.shape[0]:
                if k is not None:
                    self._check_rows_left(n_alive, k, n_rounds)
                with phase("neighbours", be):
                    if use_estimator:
                        nbrs = self._estimator_neighbours(be, X, alive, rows, n_rounds)
                    else:
                        if lists is None:
                            lists = NeighbourLists(be, dense, min(width, n - 1),
                                                   self.working_memory)
                        nbrs = lists.nearest(rows, k, alive)
                keep = vote._agrees(be, codes[nbrs], codes[rows])
                alive[rows[~keep]] = False
                counts = be.to_numpy(xp.bincount(codes[alive].astype(xp.int64),
                                                 minlength=n_classes))
            unchanged = int(counts.sum()) == n_alive
            gone = bool((counts == 0).any())
            present_others = others & (counts > 0)
            shrunk = bool((counts[present_others] < n_minority).any()) and not allow_minority
            if (stop_when_unchanged and unchanged) or shrunk or gone:
                break
        # rows searched (one search a row, plus the rows searched again): for the tests
        self._rows_searched = 0 if lists is None else lists.searches
        kept = xp.flatnonzero(alive)
        if n_rounds:  # every ENN round gives its rows class by class
            kept = kept[be.argsort_stable(codes[kept])]
        return kept, n_rounds

    def _strategy_now(self, be, alive, counts):
        """``sampling_strategy`` resolved on the rows kept so far, as imbalanced-learn's
        ENN resolves it on the y it is given in each round."""
        labels = self._labels
        present = counts > 0
        y_now = None
        if callable(self.sampling_strategy):
            y_now = labels.y[labels.beside_y(be, self._in_order(be, alive))]
        return resolve_sampling_strategy(
            self.sampling_strategy, Labels(y_now, labels.classes[present], counts[present]),
            self._sampling_type)

    def _in_order(self, be, alive):
        """Kept rows in the order of imbalanced-learn's X_ after a round: by class."""
        kept = be.xp.flatnonzero(alive)
        return kept[be.argsort_stable(self._labels.codes(be)[kept])]

    def _estimator_neighbours(self, be, X, alive, rows, n_round):
        """The user's estimator, as imbalanced-learn's ENN uses it: fitted on the
        rows kept (in its order), queried with the target rows, column 0 dropped."""
        xp = be.xp
        current = xp.arange(alive.shape[0]) if n_round == 1 else self._in_order(be, alive)
        X_now = rows_of(be, X, current)
        target = xp.zeros(alive.shape[0], dtype=bool)
        target[rows] = True
        at = xp.flatnonzero(target[current])
        found = neighbours_from_estimator(clone(self.nn_), be, X_now, rows_of(be, X_now, at))
        nbrs = current[found]
        # verdicts are read in the order of ``rows`` (sorted): reorder
        return nbrs[be.argsort_stable(current[at])]

    def _check_rows_left(self, n_alive: int, k: int, n_round: int) -> None:
        if n_alive >= k + 1:
            return
        where = "X has" if n_round == 1 else f"after round {n_round - 1}, X has"
        raise ValueError(
            f"{type(self).__name__}: round {n_round} looks for {k} neighbours of each row "
            f"among the other rows, and {where} only {n_alive} rows left. Use "
            f"n_neighbors <= {n_alive - 1}.")


class RepeatedEditedNearestNeighbours(_EditRounds):
    __doc__ = f"""Under-sample by editing nearest neighbours again and again.

    A drop-in replacement for
    ``imblearn.under_sampling.RepeatedEditedNearestNeighbours`` that runs on
    NumPy or, with CuPy, on the GPU. Each round is an
    :class:`EditedNearestNeighbours` pass over the rows kept so far. The
    rounds stop after ``max_iter``, when a round removes nothing, when a
    class other than the minority falls below the minority's original size,
    or when a class has lost all its rows.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable. As in
        imbalanced-learn it is resolved again in each round, on the rows kept.

    n_neighbors : int or object, default=3
        Number of nearest rows that vote. An object with ``kneighbors`` is
        used as given in every round (fitted on the rows kept, its first
        column dropped as the row itself, as imbalanced-learn does), on the
        host.

    max_iter : int, default=100
        Largest number of rounds.

    kind_sel : {{'all', 'mode'}}, default='all'
        ``'all'`` keeps a row only when every neighbour shares its class;
        ``'mode'`` when the most common class among them (ties to the
        smallest label) is its class.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    nn_ : estimator object
        The neighbour estimator given as ``n_neighbors``, or for an int the
        ``NearestNeighbors(n_neighbors + 1)`` imbalanced-learn would use.

    enn_ : EditedNearestNeighbours
        The edit each round runs, as configured (not fitted: the rounds
        share their neighbour searches instead of calling it).

    n_iter_ : int
        Number of rounds run.

    See Also
    --------
    imblearn.under_sampling.RepeatedEditedNearestNeighbours : the CPU implementation this mirrors.
    EditedNearestNeighbours : one round.
    AllKNN : rounds with 1, 2, ..., n_neighbors neighbours.

    Notes
    -----
    One neighbour search serves many rounds: each row's ``2 n_neighbors +
    1`` nearest rows are found once, and only rows that lose more than
    ``n_neighbors + 1`` of them are searched again, among the rows left.
    Only an int ``n_neighbors`` does this; an estimator is refitted each
    round, as in imbalanced-learn.

    The kept rows come class by class in sorted label order, each class's
    rows in their original order, as in imbalanced-learn. One exception:
    when the first round removes nothing, imbalanced-learn applies that
    round's reordering to ``sample_indices_`` twice, so that its
    ``sample_indices_`` do not index its own output unless y is sorted;
    here they do (the output rows are the same).

    {docs.NEIGHBOUR_RULE}

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import RepeatedEditedNearestNeighbours
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> renn = RepeatedEditedNearestNeighbours()
    >>> X_res, y_res = renn.fit_resample(X, y)
    >>> renn.n_iter_ >= 1, bool((X_res == X[renn.sample_indices_]).all())
    (True, True)
    """

    _parameter_constraints: dict = {
        **_EditRounds._parameter_constraints,
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, sampling_strategy="auto", n_neighbors=3, max_iter=100,
                 kind_sel="all", n_jobs=None, backend="auto", working_memory=None,
                 verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.kind_sel = kind_sel
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        as_int = isinstance(self.n_neighbors, numbers.Integral)
        k = int(self.n_neighbors) if as_int else None
        kept, self.n_iter_ = self._rounds(
            be, X, [k] * int(self.max_iter), width=2 * k + 1 if as_int else 0,
            stop_when_unchanged=True, allow_minority=False, use_estimator=not as_int)
        self.sample_indices_ = self._labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]


class AllKNN(_EditRounds):
    __doc__ = f"""Under-sample with edited nearest neighbours of growing size.

    A drop-in replacement for ``imblearn.under_sampling.AllKNN`` that runs on
    NumPy or, with CuPy, on the GPU. Round k (k = 1, 2, ...,
    ``n_neighbors``) is an :class:`EditedNearestNeighbours` pass with k
    neighbours over the rows kept so far. The rounds stop early when a class
    other than the minority falls below the minority's original size
    (unless ``allow_minority``) or when a class has lost all its rows.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable. As in
        imbalanced-learn it is resolved again in each round, on the rows kept.

    n_neighbors : int or object, default=3
        Size of the largest neighbourhood. For an object with
        ``kneighbors``, its ``n_neighbors - 1`` (imbalanced-learn reads only
        that attribute and searches with its own estimator in each round).

    kind_sel : {{'all', 'mode'}}, default='all'
        ``'all'`` keeps a row only when every neighbour shares its class;
        ``'mode'`` when the most common class among them (ties to the
        smallest label) is its class.

    allow_minority : bool, default=False
        Go on with the rounds when a class falls below the minority's size.

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    nn_ : estimator object
        The neighbour estimator given as ``n_neighbors``, or for an int the
        ``NearestNeighbors(n_neighbors + 1)`` imbalanced-learn would use.

    enn_ : EditedNearestNeighbours
        The edit the rounds run, as configured (not fitted).

    See Also
    --------
    imblearn.under_sampling.AllKNN : the CPU implementation this mirrors.
    EditedNearestNeighbours : one round.
    RepeatedEditedNearestNeighbours : rounds of the same size until nothing changes.

    Notes
    -----
    One neighbour search serves all rounds: each row's nearest rows up to
    ``n_neighbors + max(2, n_neighbors)`` are found once; round k reads the
    first k of them that are still kept, and only rows that have lost too
    many are searched again, among the rows left.

    The kept rows come class by class in sorted label order, each class's
    rows in their original order, as in imbalanced-learn.

    {docs.NEIGHBOUR_RULE}

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import AllKNN
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> allknn = AllKNN()
    >>> X_res, y_res = allknn.fit_resample(X, y)
    >>> len(y_res) < len(y), bool((X_res == X[allknn.sample_indices_]).all())
    (True, True)
    """

    _parameter_constraints: dict = {
        **_EditRounds._parameter_constraints,
        "allow_minority": ["boolean"],
    }

    def __init__(self, *, sampling_strategy="auto", n_neighbors=3, kind_sel="all",
                 allow_minority=False, n_jobs=None, backend="auto", working_memory=None,
                 verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel
        self.allow_minority = allow_minority
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _fit_resample(self, be, X, y):
        self._validate_estimator()
        largest = int(self.nn_.n_neighbors) - 1
        kept, _ = self._rounds(
            be, X, range(1, largest + 1), width=largest + max(2, largest),
            stop_when_unchanged=False, allow_minority=bool(self.allow_minority),
            use_estimator=False)
        self.sample_indices_ = self._labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]
