"""The lean forest fit grows scikit-learn's trees, bit for bit, or says it cannot."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

import gpusmote._lean_forest as lean_forest


def _blobs(n=240, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return rng.normal(size=(n, d)) + y[:, None], y


def _ties(seed=1):
    # integer features with many repeated rows and a constant column
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, (300, 4))
    X[:, 2] = 7
    X[100:200] = X[:100]
    return X, (X[:, 0] + rng.integers(0, 2, 300) > 1).astype(int)


CASES = {
    "binary": lambda: _blobs(classes=2),
    "three classes": _blobs,
    "codes 0 and 2 only": lambda: (_blobs()[0], np.where(_blobs()[1] == 1, 2, _blobs()[1])),
    "ties and duplicates": _ties,
    "one feature": lambda: (_blobs(d=1)[0], _blobs(d=1)[1]),
    "one class": lambda: (_blobs()[0], np.zeros(240, dtype=int)),
}


def _assert_same(forest, X, y, **kwargs):
    X_train, y_train, X_test = X[::2], y[::2], X[1::2]
    theirs = clone(forest).fit(X_train, y_train)
    classes, proba = lean_forest.fit_predict_proba(clone(forest), X_train, y_train, X_test,
                                                   **kwargs)
    np.testing.assert_array_equal(classes, theirs.classes_)
    np.testing.assert_array_equal(proba, theirs.predict_proba(X_test))


@pytest.mark.parametrize("case", CASES)
def test_probabilities_equal_the_forests_bit_for_bit(case):
    X, y = CASES[case]()
    forest = RandomForestClassifier(n_estimators=12, random_state=3)
    assert lean_forest.supports(forest, X)
    _assert_same(forest, X, y, verify=True)


def test_every_tree_equals_the_forests():
    X, y = _ties()
    forest = RandomForestClassifier(n_estimators=6, random_state=0).fit(X, y)
    state = np.random.RandomState(0)
    seeds = [state.randint(np.iinfo(np.int32).max) for _ in range(6)]
    _, codes = np.unique(y, return_inverse=True)
    for seed, theirs in zip(seeds, forest.estimators_):
        ours = lean_forest._tree(np.asarray(X, np.float32), codes.astype(float).reshape(-1, 1),
                                 np.array([2], dtype=np.intp), 2, seed)
        for name in lean_forest._TREE_ARRAYS:
            np.testing.assert_array_equal(getattr(ours, name), getattr(theirs.tree_, name))


@pytest.mark.parametrize("random_state", ["instance", "global"])
def test_random_state_instances_and_the_global_state_draw_as_the_forest_does(random_state):
    X, y = _blobs()
    if random_state == "instance":
        _assert_same(RandomForestClassifier(n_estimators=9,
                                            random_state=np.random.RandomState(11)), X, y)
        return
    np.random.seed(5)
    theirs = RandomForestClassifier(n_estimators=9).fit(X[::2], y[::2])
    np.random.seed(5)
    _, proba = lean_forest.fit_predict_proba(RandomForestClassifier(n_estimators=9),
                                             X[::2], y[::2], X[1::2])
    np.testing.assert_array_equal(proba, theirs.predict_proba(X[1::2]))


def test_threads_give_the_same_probabilities():
    X, y = _blobs(n=600)
    _assert_same(RandomForestClassifier(n_estimators=16, random_state=2), X, y, threads=2)


@pytest.mark.parametrize("forest, X", [
    (RandomForestClassifier(max_depth=3), _blobs()[0]),
    (RandomForestClassifier(class_weight="balanced"), _blobs()[0]),
    (ExtraTreesClassifier(), _blobs()[0]),
    (RandomForestClassifier(), sparse.csr_matrix(_blobs()[0])),
    (RandomForestClassifier(), np.where(_blobs()[0] > 2, np.nan, _blobs()[0])),
    (RandomForestClassifier(), _blobs()[0].astype(object)),
], ids=["max_depth", "class_weight", "extra trees", "sparse", "NaN", "object"])
def test_other_forests_and_inputs_are_left_to_scikit_learn(forest, X):
    assert not lean_forest.supports(forest, X)


def test_a_missing_or_changed_private_api_is_reported_not_raised(monkeypatch):
    X, y = _blobs()
    forest = RandomForestClassifier(n_estimators=4, random_state=0)

    def changed(*args):
        raise TypeError("__init__() takes exactly 2 positional arguments")

    monkeypatch.setattr(lean_forest, "Tree", changed)
    assert lean_forest.fit_predict_proba(forest, X, y, X, verify=True) is None
    monkeypatch.setattr(lean_forest, "Tree", None)
    assert not lean_forest.supports(forest, X)
