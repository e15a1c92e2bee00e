"""ADASYN: more new rows where a class is surrounded by other classes."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import HasMethods, Interval

from . import _docstrings as docs
from ._borderline import neighbours_from_estimator, rows_of
from ._generate import ClassPlan
from ._timing import phase
from ._validation import (adasyn_no_other_class, adasyn_nothing_generated, dense_for_search,
                          check_class_size, check_enough_rows, check_interpolation_range)
from ._smote import generate_rows
from .base import BaseOverSampler, neighbours_among_all
from .neighbors import kneighbors


def _pairwise_leaves(start: int, n: int, out: list) -> int:
    """Post-order tree of NumPy's pairwise summation over ``n`` values from
    ``start``: leaves (start, length) of at most 128 values, and internal nodes
    (left, right) as indices into ``out``. Returns the root's index."""
    if n <= 128:
        out.append(("leaf", start, n))
        return len(out) - 1
    half = n // 2
    half -= half % 8
    left = _pairwise_leaves(start, half, out)
    right = _pairwise_leaves(start + half, n - half, out)
    out.append(("node", left, right))
    return len(out) - 1


def pairwise_sum(xp, a):
    """``np.sum(a)`` of a contiguous 1-D float64 array, bit for bit, on any array
    module: NumPy's pairwise summation (8 running sums per block of at most 128
    values, the remainder added in order, blocks added in a fixed tree), with
    every block of one step at once. Every step is one IEEE addition, so a
    device gives NumPy's rounding; ``xp.sum``'s reduction order would not.
    Returns a 0-d array where ``a`` is."""
    n = int(a.shape[0])
    if n < 8:
        total = xp.zeros((), dtype=a.dtype)
        for i in range(n):
            total = total + a[i]
        return total
    tree: list = []
    _pairwise_leaves(0, n, tree)
    leaves = [(t[1], t[2]) for t in tree if t[0] == "leaf"]
    padded = xp.concatenate([a, xp.zeros(1, dtype=a.dtype)])  # index n reads 0.0
    main = np.full((len(leaves), 16, 8), n, dtype=np.int64)
    tail = np.full((len(leaves), 7), n, dtype=np.int64)
    for j, (start, size) in enumerate(leaves):
        body = size - size % 8
        main[j, :body // 8] = np.arange(start, start + body).reshape(-1, 8)
        tail[j, :size - body] = np.arange(start + body, start + size)
    blocks = padded[xp.asarray(main)]
    acc = blocks[:, 0]
    for step in range(1, 16):  # x + 0.0 == x: padded steps change nothing
        acc = acc + blocks[:, step]
    res = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + (
        (acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7]))
    rest = padded[xp.asarray(tail)]
    for step in range(7):
        res = res + rest[:, step]
    if len(leaves) == 1:
        return res[0]
    # the tree, level by level: a node's value is its children's sum
    slot, height, levels = {}, {}, {}
    for i, t in enumerate(tree):
        if t[0] == "leaf":
            slot[i], height[i] = len(slot), 0
    n_leaves = len(slot)
    for i, t in enumerate(tree):
        if t[0] == "node":
            slot[i] = len(slot)
            height[i] = 1 + max(height[t[1]], height[t[2]])
            levels.setdefault(height[i], []).append(i)
    values = xp.concatenate([res, xp.zeros(len(slot) - n_leaves, dtype=a.dtype)])
    for h in sorted(levels):
        nodes = levels[h]
        left = xp.asarray(np.array([slot[tree[i][1]] for i in nodes], dtype=np.int64))
        right = xp.asarray(np.array([slot[tree[i][2]] for i in nodes], dtype=np.int64))
        values[xp.asarray(np.array([slot[i] for i in nodes], dtype=np.int64))] = (
            values[left] + values[right])
    return values[slot[len(tree) - 1]]


def adasyn_counts(n_other, n_neighbors: int, n_new: int, xp=np):
    """New rows per seed: imbalanced-learn's arithmetic, step for step, so that
    the rounding (``rint``) gives the same counts; on the device too (the sum
    is NumPy's pairwise one, every other step is one IEEE operation per value).
    None when no seed has another class among its neighbours."""
    ratio = xp.asarray(n_other) / n_neighbors
    total = np.sum(ratio) if xp is np else pairwise_sum(xp, ratio)
    if not bool(total):
        return None
    ratio /= total
    return xp.rint(ratio * n_new).astype(xp.int64)


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

    {docs.WEIGHT_MODE}

    Attributes
    ----------
    {docs.FITTED}

    {docs.BASE_INDICES}

    {docs.ORIGINAL_ROWS}

    {docs.PROVENANCE}

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
    ``sampling_strategy_`` by the rounding; the counts equal imbalanced-learn's
    wherever the neighbours do. {docs.NEIGHBOUR_RULE}

    {docs.INTEGER_FEATURES}

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
                 backend="auto", working_memory=None, verbose=False, weight_mode="copy"):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.n_neighbors = n_neighbors
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose
        self.weight_mode = weight_mode

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
        # on the backend, with NumPy's roundings (pairwise_sum): only totals cross
        n_other = (self._codes[nbrs] != code).sum(axis=1)
        counts = adasyn_counts(n_other, k, n_new, be.xp)
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
        check_interpolation_range(
            be, X, ((label, be.asarray(labels.rows(label)))
                    for label, n_new in self.sampling_strategy_.items() if n_new),
            "ADASYN", getattr(self, "feature_names_in_", None))
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
        return generate_rows(self, be, X, plans)
