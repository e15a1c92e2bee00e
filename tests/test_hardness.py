"""InstanceHardnessThreshold keeps exactly the rows imbalanced-learn keeps."""

import copy
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import InstanceHardnessThreshold as ImbIHT
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB

from gpusmote._hardness import InstanceHardnessThreshold
from tests._helpers import to_numpy


def _data(n=300, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               random_state=seed)
    return X.astype(dtype), y


def _halve_majority(y):
    counts = Counter(np.asarray(y).tolist())
    top = max(counts, key=counts.get)
    return {top: counts[top] // 2}


STRATEGIES = ["auto", "all", "majority", "not minority", "not majority",
              {0: 100, 1: 40}, _halve_majority]
FOREST = RandomForestClassifier(n_estimators=8)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("estimator", [FOREST, GaussianNB()], ids=["forest", "bayes"])
def test_sample_indices_equal_imblearn(backend, xp, strategy, estimator):
    X, y = _data()
    ours = InstanceHardnessThreshold(estimator=estimator, sampling_strategy=strategy,
                                     random_state=0, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbIHT(estimator=estimator, sampling_strategy=strategy, random_state=0)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])
    assert ours.sampling_strategy_ == theirs.sampling_strategy_


def test_default_forest_and_random_state_instances_equal_imblearn():
    X, y = _data(n=200)
    ours = InstanceHardnessThreshold(random_state=1)
    ours.fit_resample(X, y)
    theirs = ImbIHT(random_state=1)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.estimator_.get_params() == theirs.estimator_.get_params()
    state = np.random.RandomState(5)
    ours = InstanceHardnessThreshold(estimator=FOREST, random_state=copy.deepcopy(state))
    theirs = ImbIHT(estimator=FOREST, random_state=copy.deepcopy(state))
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


@pytest.mark.parametrize("per_tree", [0.0, float("inf")], ids=["threaded", "one-core"])
def test_default_forest_uses_the_cores_and_keeps_imblearns_rows(monkeypatch, per_tree):
    # the forest itself (the lean fit off): the later folds' forests are
    # fitted on all cores when the first fold's trees were slow enough; each
    # forest still predicts on one thread, so the rows kept equal
    # imbalanced-learn's single-job run either way
    import gpusmote._hardness as hardness

    monkeypatch.setattr(hardness.lean_forest, "supports", lambda forest, X: False)
    monkeypatch.setattr(hardness, "_n_threads", lambda: 2)
    monkeypatch.setattr(hardness, "_THREADED_TREE_SECONDS", per_tree)
    fitted_with, predicted_with = [], []
    fit, predict = RandomForestClassifier.fit, RandomForestClassifier.predict_proba
    monkeypatch.setattr(RandomForestClassifier, "fit", lambda self, *a, **kw: (
        fitted_with.append(self.n_jobs), fit(self, *a, **kw))[1])
    monkeypatch.setattr(RandomForestClassifier, "predict_proba", lambda self, X: (
        predicted_with.append(self.n_jobs), predict(self, X))[1])
    X, y = _data(n=400)
    ours = InstanceHardnessThreshold(random_state=3)
    ours.fit_resample(X, y)
    assert fitted_with == [None] + [2 if per_tree == 0 else None] * 4
    assert predicted_with == [None] * 5
    monkeypatch.setattr(RandomForestClassifier, "fit", fit)
    monkeypatch.setattr(RandomForestClassifier, "predict_proba", predict)
    theirs = ImbIHT(random_state=3)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.estimator_.n_jobs is None


@pytest.mark.parametrize("per_tree", [0.0, float("inf")], ids=["threaded", "one-core"])
def test_default_forest_is_fitted_lean_and_keeps_imblearns_rows(monkeypatch, per_tree):
    # every fold takes the lean fit, the first checked against a public
    # one-tree forest; the later folds' trees are grown on two threads when
    # the first fold's were slow enough
    import gpusmote._hardness as hardness

    monkeypatch.setattr(hardness, "_n_threads", lambda: 2)
    monkeypatch.setattr(hardness, "_THREADED_LEAN_TREE_SECONDS", per_tree)
    lean_calls, forest_sizes = [], []
    lean_fit, fit = hardness.lean_forest.fit_predict_proba, RandomForestClassifier.fit
    monkeypatch.setattr(hardness.lean_forest, "fit_predict_proba", lambda *a, **kw: (
        lean_calls.append((kw["threads"], kw["verify"])), lean_fit(*a, **kw))[1])
    monkeypatch.setattr(RandomForestClassifier, "fit", lambda self, *a, **kw: (
        forest_sizes.append(self.n_estimators), fit(self, *a, **kw))[1])
    X, y = _data(n=400)
    ours = InstanceHardnessThreshold(random_state=3)
    ours.fit_resample(X, y)
    threads = 2 if per_tree == 0 else 1
    assert lean_calls == [(1, True)] + [(threads, False)] * 4
    assert forest_sizes == [1]  # only the check's one-tree forest
    monkeypatch.setattr(RandomForestClassifier, "fit", fit)
    theirs = ImbIHT(random_state=3)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_a_lean_tree_unlike_scikit_learns_falls_back_to_the_forest(monkeypatch):
    # a lean fit that drifted from scikit-learn's (here: every tree one seed
    # off) is caught by the first fold's check, and the forest fits every fold
    import gpusmote._hardness as hardness
    import gpusmote._lean_forest as lean_forest

    tree = lean_forest._tree
    monkeypatch.setattr(lean_forest, "_tree", lambda *a: tree(*a[:-1], a[-1] + 1))
    forest_sizes = []
    fit = RandomForestClassifier.fit
    monkeypatch.setattr(RandomForestClassifier, "fit", lambda self, *a, **kw: (
        forest_sizes.append(self.n_estimators), fit(self, *a, **kw))[1])
    monkeypatch.setattr(hardness, "_THREADED_TREE_SECONDS", float("inf"))
    X, y = _data(n=300)
    ours = InstanceHardnessThreshold(random_state=4)
    ours.fit_resample(X, y)
    assert forest_sizes == [1] + [100] * 5
    monkeypatch.setattr(RandomForestClassifier, "fit", fit)
    theirs = ImbIHT(random_state=4)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_folds_that_are_not_a_partition_are_refused(monkeypatch):
    import gpusmote._hardness as hardness

    monkeypatch.setattr(hardness, "_n_threads", lambda: 2)  # the default forest's own loop
    X, y = _data()
    halves = [(np.arange(0, 200), np.arange(200, 300)), (np.arange(100, 300), np.arange(0, 50))]
    with pytest.raises(ValueError, match="cover every row exactly once"):
        InstanceHardnessThreshold(cv=halves, random_state=0).fit_resample(X, y)


def test_float_strategy_equals_imblearn():
    X, y = _data()
    X, y = X[y != 2], y[y != 2]
    for ratio in (0.6, 0.8, 1.0):
        ours = InstanceHardnessThreshold(estimator=GaussianNB(),
                                         sampling_strategy=ratio, random_state=0)
        theirs = ImbIHT(estimator=GaussianNB(), sampling_strategy=ratio, random_state=0)
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


@pytest.mark.parametrize("names", [np.array(["a", "b", "c"]), np.array([-1, 5, 9])],
                         ids=["strings", "-1,5,9"])
def test_any_labels_read_their_own_probability_column(names):
    """imbalanced-learn reads the column numbered by the label (0..n-1 only); the
    result for other labels equals its result on labels 0..n-1."""
    X, y = _data()
    ours = InstanceHardnessThreshold(estimator=GaussianNB(), random_state=0)
    _, y_res = ours.fit_resample(X, names[y])
    theirs = ImbIHT(estimator=GaussianNB(), random_state=0)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    np.testing.assert_array_equal(y_res, names[y][theirs.sample_indices_])


def test_the_hardest_rows_go_and_the_threshold_is_the_percentile():
    X, y = _data()
    est = LogisticRegression()
    ours = InstanceHardnessThreshold(estimator=est, sampling_strategy={0: 60},
                                     random_state=0)
    ours.fit_resample(X, y)
    # imbalanced-learn's draws: one seed for the classifier, then the folds
    state = np.random.RandomState(0)
    seed = state.randint(np.iinfo(np.int32).max)
    cv = StratifiedKFold(5, shuffle=True, random_state=state)
    proba = cross_val_predict(LogisticRegression(random_state=seed), X, y, cv=cv,
                              method="predict_proba")[np.arange(len(y)), y]
    rows = np.flatnonzero(y == 0)
    cut = np.percentile(proba[rows], (1 - 60 / len(rows)) * 100)
    kept = ours.sample_indices_[y[ours.sample_indices_] == 0]
    np.testing.assert_array_equal(kept, rows[proba[rows] >= cut])
    assert proba[kept].min() >= proba[np.setdiff1d(rows, kept)].max()


def test_a_splitter_object_is_used_as_given():
    X, y = _data()
    ours = InstanceHardnessThreshold(estimator=GaussianNB(), cv=KFold(3),
                                     sampling_strategy={0: 60}, random_state=0)
    _, _y_res = ours.fit_resample(X, y)
    proba = cross_val_predict(GaussianNB(), X, y, cv=KFold(3),
                              method="predict_proba")[np.arange(len(y)), y]
    rows = np.flatnonzero(y == 0)
    cut = np.percentile(proba[rows], (1 - 60 / len(rows)) * 100)
    np.testing.assert_array_equal(ours.sample_indices_[y[ours.sample_indices_] == 0],
                                  rows[proba[rows] >= cut])


def test_cupy_X_comes_down_once(fake_cupy):
    cp = fake_cupy
    X, y = _data()
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    iht = InstanceHardnessThreshold(estimator=GaussianNB(), random_state=0,
                                    backend="cupy")
    X_res, _y_res = iht.fit_resample(X_dev, y_dev)
    down = [n for d, n, _ in cp.transfers if d == "d2h"]
    assert down.count(X.nbytes) == 1 and sum(down) <= X.nbytes + 2 * y.nbytes + 512, \
        cp.transfers
    assert isinstance(X_res, cp.ndarray) and isinstance(iht.sample_indices_, cp.ndarray)


def test_containers_are_kept(backend, xp):
    X, y = _data()
    ints = np.round(X * 4).astype(np.int32)
    est = GaussianNB()
    iht = InstanceHardnessThreshold(estimator=est, random_state=0, backend=backend)
    X_res, _ = iht.fit_resample(ints, y)
    assert X_res.dtype == np.int32
    np.testing.assert_array_equal(X_res, ints[to_numpy(iht.sample_indices_)])
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(700, 1000))
    iht = InstanceHardnessThreshold(estimator=est, random_state=0, backend=backend)
    X_res, y_res = iht.fit_resample(df, pd.Series(y, index=df.index, name="t"))
    pd.testing.assert_frame_equal(X_res, df.iloc[to_numpy(iht.sample_indices_)])
    assert list(y_res.index) == list(X_res.index)
    iht = InstanceHardnessThreshold(estimator=FOREST, random_state=0, backend=backend)
    X_sp, _ = iht.fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)
    np.testing.assert_array_equal(X_sp.toarray(), X[to_numpy(iht.sample_indices_)])


@pytest.mark.parametrize("sampler, match", [
    (InstanceHardnessThreshold(estimator=GaussianMixture()),
     "needs a classifier with predict_proba as estimator, got GaussianMixture"),
    (InstanceHardnessThreshold(estimator=KFold()), ("'estimator' parameter of "
                                                   "InstanceHardnessThreshold")),
    (InstanceHardnessThreshold(cv="five"), "'cv' parameter of InstanceHardnessThreshold"),
    (InstanceHardnessThreshold(estimator=GaussianNB(), cv=200),
     "n_splits=200 greater than the number of samples: n_samples=100"),
    (InstanceHardnessThreshold(sampling_strategy=0.5), "a float works for two classes"),
    (InstanceHardnessThreshold(backend="gpu"), "'backend' parameter"),
])
def test_bad_input(sampler, match):
    X, y = _data(n=100)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


@pytest.mark.parametrize("forest, lean", [
    (RandomForestClassifier(n_estimators=30), True),
    (RandomForestClassifier(n_estimators=30, max_depth=4), False),
    (RandomForestClassifier(n_estimators=30, n_jobs=2), False),
], ids=["default trees", "max_depth", "two jobs"])
def test_a_given_forest_is_fitted_lean_where_that_reproduces_it(monkeypatch, forest, lean):
    import gpusmote._hardness as hardness

    lean_calls = []
    lean_fit = hardness.lean_forest.fit_predict_proba
    monkeypatch.setattr(hardness.lean_forest, "fit_predict_proba", lambda *a, **kw: (
        lean_calls.append(kw["threads"]), lean_fit(*a, **kw))[1])
    X, y = _data(n=300)
    ours = InstanceHardnessThreshold(estimator=forest, random_state=6)
    ours.fit_resample(X, y)
    assert len(lean_calls) == (5 if lean else 0)
    theirs = ImbIHT(estimator=forest, random_state=6)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.estimator_.get_params() == theirs.estimator_.get_params()
