"""Condensing under-samplers: CondensedNearestNeighbour and OneSidedSelection.

CondensedNearestNeighbour, as imbalanced-learn runs it for each class t that
may lose rows: a set C starts as the minority's rows and ``n_seeds_S`` random
rows of t; t's rows are scanned in order, and a row that the k-NN classifier
on C misclassifies joins C (imbalanced-learn refits the classifier and
predicts all of t's rows each time one joins: minutes at 20 000 rows).

The same answer, computed in bulk (``_Condenser``). With only two classes in
C (the minority and t), whether C classifies a row q correctly comes down to
one count: q is correct when at least ``need`` rows of t in C are closer to
it than ``thr[q]``, its j-th nearest minority row (j and ``need`` follow from
k and the vote's tie rule). The count only grows as C grows, so a correct row
stays correct. The scan then takes t's still-misclassified rows a window at a
time: each window is brought up to date against the rows that joined since
the last bulk update (one GEMM), and the order in which its own rows join is
settled in a few vectorised passes over the window's own distances (a row
joins if it is still misclassified once the earlier joiners are counted).
Every few hundred joins, all rows not yet scanned are updated in one
blocked GEMM and those that became correct are dropped for good.

One quirk of imbalanced-learn is kept, as it changes which rows are kept:
its skip list mixes positions in t's rows with row indices of X, so a
position equal to the index of a row already in C is skipped unseen.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._blocking import block_starts, budget_bytes, rows_per_block
from ._borderline import rows_of
from ._cleaning import _FITTED, _N_JOBS, EditedNearestNeighbours, TomekLinks
from ._labels import encode_labels, resolve_sampling_strategy
from ._repeated import counter_minority
from ._timing import phase
from ._validation import dense_for_search
from .base import BaseCleaningSampler
from .neighbors import kneighbors

__all__ = ["CondensedNearestNeighbour", "OneSidedSelection"]

# Rows of t scanned per window, and joins between two bulk updates.
_WINDOW = 512
_SYNC_EVERY = 512


def run_inner(sampler, be, X, y):
    """Run one of our samplers' ``_fit_resample`` on arrays already on ``be``
    (a step inside another sampler: no second validation, no containers)."""
    labels = encode_labels(y, X.shape[0], device=be.name == "cupy")
    sampler.backend_ = be.name
    sampler.n_features_in_ = int(X.shape[1])
    sampler.sampling_strategy_ = resolve_sampling_strategy(
        sampler.sampling_strategy, labels, sampler._sampling_type)
    sampler._labels = labels
    try:
        return sampler._fit_resample(be, X, y)
    finally:
        del sampler._labels


def _euclidean_uniform(est) -> bool:
    """Whether a KNeighborsClassifier votes as the exact search answers: uniform
    weights, Euclidean distance."""
    params = est.get_params()
    metric, p = params.get("metric"), params.get("p", 2)
    return (params.get("weights") == "uniform" and not params.get("metric_params")
            and (metric == "euclidean" or (metric == "minkowski" and p == 2)))


class _Classifier:
    """The k-NN classifier imbalanced-learn builds from ``n_neighbors``: ``k`` for
    our search, and the estimator (``estimators_``, and the host path for one
    that is not Euclidean with uniform weights)."""

    def __init__(self, sampler):
        value = sampler.n_neighbors
        name = type(sampler).__name__
        if value is None or isinstance(value, numbers.Integral):
            self.estimator = KNeighborsClassifier(
                n_neighbors=1 if value is None else int(value), n_jobs=sampler.n_jobs)
        elif isinstance(value, KNeighborsClassifier):
            self.estimator = clone(value)
        else:
            raise TypeError(
                f"{name}: n_neighbors must be None, an int or a KNeighborsClassifier (the "
                f"classifier that condenses), got {type(value).__name__}. Pass "
                f"n_neighbors={getattr(value, 'n_neighbors', 1)} instead.")
        self.k = int(self.estimator.n_neighbors)
        self.fast = _euclidean_uniform(self.estimator)

    def check_size(self, name: str, n_minority: int, n_seeds: int, label) -> None:
        if n_minority + n_seeds >= self.k:
            return
        label = label.item() if hasattr(label, "item") else label
        raise ValueError(
            f"n_neighbors={self.k} is too large for {name}: the classifier for class "
            f"{label!r} starts from the {n_minority} minority rows and n_seeds_S="
            f"{n_seeds} seed rows. Use n_neighbors <= {n_minority + n_seeds}, or raise "
            "n_seeds_S.")


def _host(be, A):
    return A if sparse.issparse(A) else be.to_numpy(A)


def _on_host(A):
    """A host copy of a NumPy, CuPy or sparse array, without the backend object
    (the fitted sampler keeps no backend: it must pickle)."""
    if sparse.issparse(A) or isinstance(A, np.ndarray):
        return A
    return A.get()


class _FittedOnSets:
    """``estimators_`` fitted on first use, on the host, from the C sets kept at
    fit (imbalanced-learn's fitted classifiers hold the same rows)."""

    @property
    def estimators_(self):
        sets = self.__dict__.get("_classifier_sets")
        if sets is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute "
                                 "'estimators_'; call fit_resample first.")
        if "_estimators" not in self.__dict__:
            self._estimators = [clone(est).fit(_on_host(X_C), _on_host(y_C))
                                for est, X_C, y_C in sets]
        return self._estimators


class _Condenser:
    """The condensed rows of one class t, in imbalanced-learn's order."""

    def __init__(self, be, X, rows, minority_rows, k: int, need: int, working_memory):
        xp = be.xp
        self.be, self.rows, self.need = be, rows, need
        self.budget = budget_bytes(working_memory, be.free_bytes())
        self.m = int(rows.shape[0])
        # |q - r|^2 < thr[q]  <=>  q.r - |r|^2 / 2 > (|q|^2 - thr[q]) / 2: one GEMM
        # of [q, 1] with [r, -|r|^2 / 2] scores the left side (rows centred)
        d = X.shape[1]
        self.Q = xp.empty((self.m, d + 1), dtype=xp.float64)
        self.Q[:, :d] = X[rows]
        self.Q[:, :d] -= self.Q[:, :d].mean(axis=0)
        self.Q[:, d] = 1.0
        sq = (self.Q[:, :d] * self.Q[:, :d]).sum(axis=1)
        self.R = self.Q.copy()
        self.R[:, d] = -sq / 2
        j = k - need + 1  # the j-th nearest minority row sets the bar
        if j > minority_rows.shape[0]:
            thr = xp.full(self.m, xp.inf)
        else:
            nb = kneighbors(X[minority_rows], j, queries=X[rows], backend=be.name,
                            working_memory=working_memory, return_distance=False)[:, j - 1]
            thr = self._exact_sq(X, rows, minority_rows[nb])
        self.bar = (sq - thr) / 2

    def _exact_sq(self, X, a, b):
        """Squared distances between rows a[i] and b[i] of X, in float64, by
        differences."""
        xp = self.be.xp
        out = xp.empty(a.shape[0], dtype=xp.float64)
        step = rows_per_block(3 * 8 * X.shape[1], self.budget, a.shape[0])
        for s in block_starts(a.shape[0], step):
            diff = X[a[s:s + step]].astype(xp.float64) - X[b[s:s + step]].astype(xp.float64)
            out[s:s + step] = (diff * diff).sum(axis=1)
        return out

    def _closer(self, q, r):
        """Per position in q, how many positions in r (with repeats) lie closer
        to it than its j-th nearest minority row (by GEMM, float64)."""
        xp = self.be.xp
        out = xp.zeros(q.shape[0], dtype=xp.int64)
        if r.shape[0] == 0:
            return out
        R = self.R[r]
        step = rows_per_block(2 * 8 * r.shape[0], self.budget, q.shape[0])
        for s in block_starts(q.shape[0], step):
            qs = q[s:s + step]
            out[s:s + step] = ((self.Q[qs] @ R.T) > self.bar[qs][:, None]).sum(axis=1)
        return out

    def run(self, seeds):
        """Positions (into ``rows``) that join C after the seeds, in order."""
        xp, need, m = self.be.xp, self.need, self.m
        count = self._closer(xp.arange(m), seeds)
        # imbalanced-learn's skip list holds row indices of X and is tested
        # with positions in t's rows: a position equal to a member's index is
        # skipped
        skipped = xp.zeros(m, dtype=bool)
        self._mark(skipped, seeds)
        todo = xp.flatnonzero(count < need)
        joined = xp.zeros(0, dtype=xp.int64)
        synced = 0
        start = 0
        while start < todo.shape[0]:
            window = todo[start:start + _WINDOW]
            start += _WINDOW
            in_window = count[window] + self._closer(window, joined[synced:])
            wrong = (in_window < need) & ~skipped[window]
            F = window[wrong]
            if F.shape[0] == 0:
                continue
            new = self._settle(F, in_window[wrong], skipped)
            if new.shape[0]:
                joined = xp.concatenate([joined, new])
                self._mark(skipped, new)
            if joined.shape[0] - synced >= _SYNC_EVERY and start < todo.shape[0]:
                rest = todo[start:]
                count[rest] += self._closer(rest, joined[synced:])
                synced = joined.shape[0]
                todo = rest[(count[rest] < need) & ~skipped[rest]]
                start = 0
        return joined

    def _mark(self, skipped, positions):
        values = self.rows[positions]
        skipped[values[values < self.m]] = True

    def _settle(self, F, count, skipped):
        """Which rows of F (sorted positions, each misclassified by C as it was
        before the window) join C, scanned in order: a row joins when the rows
        of F that joined before it leave it misclassified, and no earlier
        joiner's index equals its position."""
        xp, need = self.be.xp, self.need
        f = F.shape[0]
        ahead = xp.arange(f)
        # covers[r, q]: r comes before q and is closer to q than q's bar
        closer = (self.Q[F] @ self.R[F].T) > self.bar[F][:, None]
        covers = closer.T & (ahead[:, None] < ahead[None, :])
        # skipper[q]: the row of F whose index in X equals q's position, if any
        values = self.rows[F]
        at = xp.minimum(xp.searchsorted(F, values), f - 1)
        hit = (F[at] == values) & (at != ahead)
        skipper = xp.full(f, -1, dtype=xp.int64)
        skipper[at[hit]] = ahead[hit]
        has_skipper = skipper >= 0
        state = xp.zeros(f, dtype=xp.int8)  # 0 open, 1 joins, 2 does not
        while True:
            joins, open_ = state == 1, state == 0
            low = count + (covers & joins[:, None]).sum(axis=0)
            high = low + (covers & open_[:, None]).sum(axis=0)
            by = xp.where(has_skipper, state[xp.maximum(skipper, 0)], 2)
            no = open_ & ((low >= need) | (by == 1))
            yes = open_ & (high < need) & (by == 2)
            state = xp.where(no, xp.int8(2), xp.where(yes, xp.int8(1), state))
            if not bool((state == 0).any()):
                break
        return F[state == 1]


def _condense_on_host(estimator, X, y, rows, seeds, minority_rows, label):
    """imbalanced-learn's scan with the user's classifier, row by row (for a
    classifier that is not Euclidean with uniform weights)."""
    sample = list(rows[seeds])
    members = np.concatenate([minority_rows, rows[seeds]])
    clf = clone(estimator).fit(X[members], y[members])
    skip = {int(v) for v in sample}
    for p, r in enumerate(rows):
        if p in skip:
            continue
        if clf.predict(X[r:r + 1])[0] != label:
            sample.append(r)
            members = np.append(members, r)
            clf.fit(X[members], y[members])
            right = np.flatnonzero(clf.predict(X[rows]) == label)
            skip = {int(v) for v in sample} | set(right.tolist())
    return np.asarray(sample, dtype=np.int64)


class _SeededBase(_FittedOnSets, BaseCleaningSampler):
    _parameter_constraints: dict = {
        **BaseCleaningSampler._parameter_constraints,
        "n_neighbors": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["kneighbors", "kneighbors_graph"]),
            None,
        ],
        "n_seeds_S": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, n_neighbors=None,
                 n_seeds_S=1, n_jobs=None, backend="auto", working_memory=None,
                 verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.n_neighbors = n_neighbors
        self.n_seeds_S = n_seeds_S
        self.n_jobs = n_jobs
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def _classes(self, be):
        """(code, label, rows on the backend, whether it may lose rows) per class,
        in sorted label order, and the minority (imbalanced-learn's choice)."""
        labels = self._labels
        for code, label in enumerate(labels.classes):
            yield code, label, be.asarray(labels.rows(label)), label in self.sampling_strategy_

    def _minority(self, be):
        labels = self._labels
        label = counter_minority(be, labels)
        return label, be.asarray(labels.rows(label))


class CondensedNearestNeighbour(_SeededBase):
    __doc__ = f"""Under-sample with the condensed nearest neighbour rule.

    A drop-in replacement for ``imblearn.under_sampling.CondensedNearestNeighbour``
    that runs on NumPy or, with CuPy, on the GPU. For each class that may
    lose rows, a set C starts as all rows of the minority class and
    ``n_seeds_S`` random rows of the class; the class's rows are scanned in
    order and each row that the k-NN classifier on C gets wrong joins C. The
    rows of the class in C are kept.

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable.

    {docs.RANDOM_STATE} The seed rows are drawn with NumPy as
        imbalanced-learn draws them, so the same ``random_state`` keeps the
        same rows.

    n_neighbors : int, KNeighborsClassifier or None, default=None
        Neighbours that vote in the classifier on C (None: 1). A
        ``KNeighborsClassifier`` is used for its ``n_neighbors`` when it
        votes uniformly with Euclidean distance, and otherwise run as given,
        on the host, row by row (slow).

    n_seeds_S : int, default=1
        Number of random rows of the class that start C (drawn with
        replacement, as imbalanced-learn draws them).

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    estimators_ : list of KNeighborsClassifier
        Per class that lost rows, the classifier fitted on its final C
        (fitted on the host when first read).

    See Also
    --------
    imblearn.under_sampling.CondensedNearestNeighbour : the CPU implementation this mirrors.
    OneSidedSelection : one classification pass, then Tomek links.
    EditedNearestNeighbours : remove rows their neighbours outvote.

    Notes
    -----
    The result is imbalanced-learn's, computed without refitting a
    classifier per row: each row's standing against C is a count kept up to
    date in bulk (blocked GEMMs) as C grows, and the order in which rows join
    is settled a window of rows at a time. It is exact: on data without
    distance ties ``sample_indices_`` equal imbalanced-learn's for the same
    ``random_state``, quirks included (imbalanced-learn's skip list compares
    positions in the class with row indices of X; the same rows are skipped
    here).

    Ties: at equal distance the classifier here ranks the minority's rows
    first, then C's rows in the order they joined; scikit-learn's
    ``KNeighborsClassifier`` orders equal distances as its tree happens to.
    Votes that tie go to the smaller label in both. Distances to C are
    compared in float64 (expanded form on centred rows), so two distances
    within rounding of each other may also be ordered differently.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import CondensedNearestNeighbour
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> cnn = CondensedNearestNeighbour(random_state=0)
    >>> X_res, y_res = cnn.fit_resample(X, y)
    >>> len(y_res) < len(y), bool((X_res == X[cnn.sample_indices_]).all())
    (True, True)
    """

    def _fit_resample(self, be, X, y):
        xp = be.xp
        classifier = _Classifier(self)
        rng = check_random_state(self.random_state)
        labels = self._labels
        min_label, min_rows = self._minority(be)
        n_min = int(min_rows.shape[0])
        dense = None
        parts, sets = [], []
        for code, label, rows, target in self._classes(be):
            if not target:
                parts.append(rows)
                continue
            seeds = rng.randint(low=0, high=int(labels.counts[code]), size=self.n_seeds_S)
            classifier.check_size(type(self).__name__, n_min, self.n_seeds_S, label)
            seeds = be.asarray(seeds.astype(np.int64))
            with phase("neighbours", be):
                if label == min_label:
                    # C holds one class only: every row is classified right
                    joined = xp.zeros(0, dtype=xp.int64)
                elif classifier.fast:
                    if dense is None:
                        dense = be.asarray(dense_for_search(X, type(self).__name__))
                    k = classifier.k
                    need = k // 2 + 1 if min_label < label else (k + 1) // 2
                    joined = _Condenser(be, dense, rows, min_rows, k, need,
                                        self.working_memory).run(seeds)
                else:
                    joined = None
            if joined is None:
                kept = be.asarray(_condense_on_host(
                    classifier.estimator, _host(be, X), labels.host(), be.to_numpy(rows),
                    be.to_numpy(seeds), be.to_numpy(min_rows), label))
            else:
                kept = xp.concatenate([rows[seeds], rows[joined]])
            parts.append(kept)
            members = xp.concatenate([min_rows, kept])
            sets.append((classifier.estimator, rows_of(be, X, members),
                         y[labels.beside_y(be, members)]))
        kept = xp.concatenate(parts)
        self._classifier_sets = sets
        self.__dict__.pop("_estimators", None)
        self.sample_indices_ = labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]


class OneSidedSelection(_SeededBase):
    __doc__ = f"""Under-sample with one-sided selection.

    A drop-in replacement for ``imblearn.under_sampling.OneSidedSelection``
    that runs on NumPy or, with CuPy, on the GPU. For each class that may
    lose rows, a k-NN classifier on the minority's rows and ``n_seeds_S``
    random rows of the class classifies the class's other rows once; the
    seeds and the misclassified rows are kept. Tomek links are then removed
    from what is left (:class:`TomekLinks` on the classes that may lose rows).

    Parameters
    ----------
    sampling_strategy : str, list or callable, default='auto'
        Which classes may lose rows, with imbalanced-learn's meaning:
        ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not majority'``,
        ``'not minority'``, ``'all'``, a list of labels, or a callable.

    {docs.RANDOM_STATE} The seed rows are drawn with NumPy as
        imbalanced-learn draws them, so the same ``random_state`` keeps the
        same rows.

    n_neighbors : int, KNeighborsClassifier or None, default=None
        Neighbours that vote in the classifier (None: 1). A
        ``KNeighborsClassifier`` is used for its ``n_neighbors`` when it
        votes uniformly with Euclidean distance, and otherwise run as given,
        on the host.

    n_seeds_S : int, default=1
        Number of random rows of the class in the classifier (drawn with
        replacement, as imbalanced-learn draws them; a row drawn twice is
        kept twice).

    {_N_JOBS}

    {docs.BACKEND}

    Attributes
    ----------
    {_FITTED}

    estimators_ : list of KNeighborsClassifier
        Per class that lost rows, the classifier on the minority and the
        seeds (fitted on the host when first read).

    See Also
    --------
    imblearn.under_sampling.OneSidedSelection : the CPU implementation this mirrors.
    CondensedNearestNeighbour : the sequential condensing rule.
    TomekLinks : the cleaning step.

    Notes
    -----
    ``sample_indices_`` are imbalanced-learn's order: class by class in
    sorted label order, each class that may lose rows as its seeds (in draw
    order) then its misclassified rows, with the Tomek links taken out.

    Ties: the classifier ranks equal distances by the order of its rows
    (the minority's first, then the seeds), the Tomek step by the lower
    index; scikit-learn orders them as its tree happens to. On data without
    distance ties both keep the same rows.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import OneSidedSelection
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            class_sep=0.5, random_state=0)
    >>> oss = OneSidedSelection(random_state=0)
    >>> X_res, y_res = oss.fit_resample(X, y)
    >>> len(y_res) < len(y), bool((X_res == X[oss.sample_indices_]).all())
    (True, True)
    """

    def _fit_resample(self, be, X, y):
        xp = be.xp
        classifier = _Classifier(self)
        rng = check_random_state(self.random_state)
        labels = self._labels
        codes = labels.codes(be)
        min_label, min_rows = self._minority(be)
        n_min = int(min_rows.shape[0])
        vote = EditedNearestNeighbours(kind_sel="mode")
        dense = None
        parts, sets = [], []
        for code, label, rows, target in self._classes(be):
            if not target:
                parts.append(rows)
                continue
            m = int(labels.counts[code])
            drawn = rng.randint(low=0, high=m, size=self.n_seeds_S)
            seeds = rows[be.asarray(drawn.astype(np.int64))]
            rest = xp.ones(m, dtype=bool)
            rest[be.asarray(np.unique(drawn))] = False
            others = rows[rest]
            members = xp.concatenate([min_rows, seeds])
            if label == min_label or others.shape[0] == 0:
                wrong = others[:0]
            else:
                classifier.check_size(type(self).__name__, n_min, self.n_seeds_S, label)
                with phase("neighbours", be):
                    if classifier.fast:
                        if dense is None:
                            dense = be.asarray(dense_for_search(X, type(self).__name__))
                        nb = kneighbors(dense[members], classifier.k, queries=dense[others],
                                        backend=be.name, working_memory=self.working_memory,
                                        return_distance=False)
                        right = vote._agrees(be, codes[members][nb], codes[others])
                    else:
                        clf = clone(classifier.estimator).fit(
                            _host(be, rows_of(be, X, members)),
                            be.to_numpy(codes[members]))
                        pred = clf.predict(_host(be, rows_of(be, X, others)))
                        right = be.asarray(pred == code)
                wrong = others[~right]
            parts.append(xp.concatenate([seeds, wrong]))
            sets.append((classifier.estimator, rows_of(be, X, members),
                         y[labels.beside_y(be, members)]))
        picked = xp.concatenate(parts)
        self._classifier_sets = sets
        self.__dict__.pop("_estimators", None)
        with phase("neighbours", be):
            tomek = TomekLinks(sampling_strategy=list(self.sampling_strategy_),
                               backend=be.name, working_memory=self.working_memory)
            run_inner(tomek, be, rows_of(be, X, picked), y[labels.beside_y(be, picked)])
        kept = picked[be.asarray(tomek.sample_indices_)]
        self.sample_indices_ = labels.beside_y(be, kept)
        return rows_of(be, X, kept), y[self.sample_indices_]
