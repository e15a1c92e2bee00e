"""scikit-learn's default random forest, fitted without its per-tree Python work.

On small data ``RandomForestClassifier.fit`` spends longer per tree on Python
bookkeeping (a clone, ``get_params`` through ``inspect``, target checks,
sample-weight validation) than on building the tree: 2.3 ms a tree on pima
(768 x 8), of which the Cython builder takes under 1 ms. Here the same seeds
are drawn from the same ``RandomState``, the same bootstrap counts made and
the same Cython builder run, so every tree, and the averaged probabilities,
equal scikit-learn's bit for bit.

The builder is scikit-learn's private API. ``fit_predict_proba(verify=True)``
therefore first compares its first tree with a public one-tree forest, and
answers None when they differ or the private API is missing or has changed;
the caller then fits the forest itself.
"""

from __future__ import annotations

import copy
from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils import check_random_state

from .backends._numpy import _pool

try:
    from sklearn.tree._criterion import Gini
    from sklearn.tree._splitter import BestSplitter
    from sklearn.tree._tree import DepthFirstTreeBuilder, Tree
except ImportError:  # a scikit-learn laid out otherwise: the forest fits itself
    Tree = None

_SEED_HIGH = np.iinfo(np.int32).max  # the bound of each tree's seed draw
_NO_DEPTH_LIMIT = np.iinfo(np.int32).max
# parameters that do not change a tree: everything else must be the default
_FREE_PARAMS = {"n_estimators", "random_state", "n_jobs", "verbose"}
_DEFAULTS = {name: value for name, value in RandomForestClassifier().get_params().items()
             if name not in _FREE_PARAMS}
_TREE_ARRAYS = ("children_left", "children_right", "feature", "threshold",
                "n_node_samples", "weighted_n_node_samples", "value")


def supports(forest, X) -> bool:
    """Whether ``forest`` on ``X`` is a case the lean fit reproduces: a
    ``RandomForestClassifier`` with default tree parameters on a dense,
    finite X (NaN takes scikit-learn's missing-value splitter)."""
    if Tree is None or type(forest) is not RandomForestClassifier:
        return False
    params = forest.get_params(deep=False)
    if any(not _same(params[name], value) for name, value in _DEFAULTS.items()):
        return False
    return (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "biuf"
            and bool(np.isfinite(X).all()))


def _same(value, default) -> bool:
    return value is default or (type(value) is type(default) and value == default)


def fit_predict_proba(forest, X_train, y_train, X_test, *, threads: int = 1,
                      verify: bool = False):
    """``(classes_, predict_proba(X_test))`` of ``forest`` fitted on the training
    rows, or None when ``verify`` finds that the lean fit does not reproduce
    scikit-learn's. ``supports(forest, X)`` must hold. ``threads > 1`` builds
    the trees on gpusmote's thread pool, one per core (the builder releases the GIL); the
    probabilities are summed in tree order on one thread either way."""
    X_fit = np.asarray(X_train, dtype=np.float32, order="C")  # the forest's own cast
    classes, codes = np.unique(y_train, return_inverse=True)
    y_fit = codes.astype(np.float64).reshape(-1, 1)
    state = check_random_state(forest.random_state)
    reference = copy.deepcopy(state) if verify else None
    seeds = [state.randint(_SEED_HIGH) for _ in range(forest.n_estimators)]
    n_features = X_fit.shape[1]
    build = partial(_tree, X_fit, y_fit, np.array([classes.size], dtype=np.intp),
                    max(1, int(np.sqrt(n_features))))  # max_features="sqrt"
    X_test = np.asarray(X_test, dtype=np.float32, order="C")
    try:
        first = build(seeds[0])
    except (TypeError, ValueError, AttributeError):  # the private API changed
        return None
    if verify and not _equals_a_public_tree(first, classes, forest, reference,
                                            X_train, y_train, X_test):
        return None
    if threads > 1 and len(seeds) > 1:
        # (gpusmote's one pool for the process: a pool per fold starts threads)
        trees = [first, *_pool().map(build, seeds[1:])]
    else:
        trees = [first, *map(build, seeds[1:])]
    proba = np.zeros((X_test.shape[0], classes.size))
    for tree in trees:  # tree order, as the forest's one-job predict_proba sums
        proba += tree.predict(X_test)[:, :classes.size]
    proba /= len(trees)
    return classes, proba


def _tree(X, y, n_classes, max_features: int, seed: int):
    """One tree as ``_parallel_build_trees`` builds it from its seed: the
    bootstrap counts become sample weights, and a fresh ``RandomState(seed)``
    drives the splitter."""
    n_rows, n_features = X.shape
    picks = np.random.RandomState(seed).randint(0, n_rows, n_rows)
    weight = np.bincount(picks, minlength=n_rows).astype(np.float64)
    splitter = BestSplitter(Gini(1, n_classes), max_features, 1, 0.0,
                            np.random.RandomState(seed), None)
    tree = Tree(n_features, n_classes, 1)
    DepthFirstTreeBuilder(splitter, 2, 1, 0.0, _NO_DEPTH_LIMIT, 0.0).build(
        tree, X, y, weight, None)
    return tree


def _equals_a_public_tree(tree, classes, forest, state, X_train, y_train, X_test) -> bool:
    """Whether ``tree`` is the tree a one-tree copy of ``forest``, drawing from a
    copy of the same state, grows (node for node), with the same classes and
    probabilities on the test rows."""
    public = clone(forest).set_params(n_estimators=1, n_jobs=None, random_state=state)
    public.fit(X_train, y_train)
    theirs = public.estimators_[0].tree_
    return (np.array_equal(public.classes_, classes)
            and all(np.array_equal(getattr(tree, name), getattr(theirs, name))
                    for name in _TREE_ARRAYS)
            and np.array_equal(tree.predict(X_test)[:, :classes.size],
                               public.predict_proba(X_test)))
