"""SMOTE's behaviour: geometry, counts, determinism, order, pipelines."""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE as ImbSMOTE
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neighbors import NearestNeighbors

from gpusmote import SMOTE
from tests._helpers import brute_knn, on_segments, to_numpy


def _data(n=400, weights=(0.8, 0.2), n_classes=2, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=n_classes, weights=list(weights), flip_y=0,
                               n_clusters_per_class=1, random_state=seed)
    return X.astype(dtype), y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 5])
def test_every_synthetic_row_is_on_a_segment_to_a_same_class_neighbour(backend, xp, dtype, k):
    X, y = _data(n=600, weights=(0.7, 0.2, 0.1), n_classes=3, dtype=dtype)
    X_res, y_res = SMOTE(k_neighbors=k, random_state=1, backend=backend).fit_resample(
        xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    assert X_res.dtype == dtype
    new_X, new_y = X_res[len(X):], y_res[len(X):]
    for label in np.unique(new_y):
        rows = np.flatnonzero(y == label)
        _, nn = brute_knn(X[rows], k)
        ok = on_segments(X, new_X[new_y == label], rows, rows[nn],
                         atol=1e-5 if dtype == np.float32 else 1e-9)
        assert ok.all(), f"{(~ok).sum()} rows of class {label} are off every segment"


def test_original_rows_first_unchanged_then_classes_in_strategy_order(backend, xp):
    X, y = _data(n=500, weights=(0.6, 0.3, 0.1), n_classes=3)
    sampler = SMOTE(random_state=0, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    np.testing.assert_array_equal(X_res[:len(X)], X)
    np.testing.assert_array_equal(y_res[:len(y)], y)
    expected = np.concatenate([np.full(n, c) for c, n in sampler.sampling_strategy_.items()])
    np.testing.assert_array_equal(y_res[len(y):], expected)


def test_same_random_state_same_output_and_different_seed_differs(backend, xp):
    X, y = _data()
    a = SMOTE(random_state=7, backend=backend).fit_resample(xp.asarray(X), xp.asarray(y))[0]
    b = SMOTE(random_state=7, backend=backend).fit_resample(xp.asarray(X), xp.asarray(y))[0]
    c = SMOTE(random_state=8, backend=backend).fit_resample(xp.asarray(X), xp.asarray(y))[0]
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    assert not np.array_equal(to_numpy(a), to_numpy(c))


def test_random_state_instance_is_accepted():
    X, y = _data()
    out = SMOTE(random_state=np.random.RandomState(0)).fit_resample(X, y)
    assert len(out[0]) == len(out[1])


STRATEGIES_BINARY = ["auto", "minority", "not minority", "not majority", "all", 0.5, 1.0, 0.26,
                     {1: 250}, {0: 330, 1: 100}, lambda y: {1: int((y == 1).sum() * 2)}]
STRATEGIES_MULTI = ["auto", "minority", "not minority", "not majority", "all",
                    {1: 300, 2: 200}, lambda y: {c: 400 for c in np.unique(y)}]


@pytest.mark.parametrize("strategy", STRATEGIES_BINARY)
def test_class_counts_equal_imblearn_binary(strategy):
    X, y = _data(n=400, weights=(0.8, 0.2))
    ours = Counter(SMOTE(sampling_strategy=strategy, random_state=0).fit_resample(X, y)[1])
    theirs = Counter(ImbSMOTE(sampling_strategy=strategy, random_state=0).fit_resample(X, y)[1])
    assert ours == theirs


@pytest.mark.parametrize("strategy", STRATEGIES_MULTI)
def test_class_counts_equal_imblearn_multiclass(strategy):
    X, y = _data(n=600, weights=(0.6, 0.3, 0.1), n_classes=3)
    ours = Counter(SMOTE(sampling_strategy=strategy, random_state=0).fit_resample(X, y)[1])
    theirs = Counter(ImbSMOTE(sampling_strategy=strategy, random_state=0).fit_resample(X, y)[1])
    assert ours == theirs


def test_string_labels_and_fitted_attributes():
    X, y = _data()
    labels = np.where(y == 1, "fraud", "legit")
    sampler = SMOTE(random_state=0)
    X_res, y_res = sampler.fit_resample(X, labels)
    assert Counter(y_res) == {"fraud": 320, "legit": 320}
    assert sampler.sampling_strategy_ == {"fraud": 240}
    assert sampler.n_features_in_ == 6
    assert sampler.backend_ == "numpy"
    assert isinstance(sampler.nn_k_, NearestNeighbors)
    assert sampler.nn_k_.n_neighbors == 6


def test_neighbours_object_is_used_as_given():
    X, y = _data()
    nn = NearestNeighbors(n_neighbors=3)
    sampler = SMOTE(k_neighbors=nn, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    rows = np.flatnonzero(y == 1)
    _, ref = brute_knn(X[rows], 2)
    assert on_segments(X, X_res[len(X):], rows, rows[ref]).all()
    assert sampler.nn_k_ is not nn  # cloned, the user's object is left alone


def test_fit_sets_strategy_without_resampling():
    X, y = _data()
    sampler = SMOTE().fit(X, y)
    assert sampler.sampling_strategy_ == {1: 240}


def test_clone_and_params_round_trip():
    sampler = SMOTE(k_neighbors=3, random_state=1, backend="numpy", working_memory=8)
    twin = clone(sampler)
    assert twin.get_params() == sampler.get_params()
    assert "k_neighbors=3" in repr(sampler)


def test_pipeline_with_cross_validate_resamples_training_folds_only():
    X, y = _data(n=600, weights=(0.9, 0.1))
    seen = []

    class Spy(LogisticRegression):
        def fit(self, X, y, **kw):
            seen.append(Counter(y))
            return super().fit(X, y, **kw)

    pipe = Pipeline([("smote", SMOTE(random_state=0)), ("clf", Spy(max_iter=500))])
    scores = cross_validate(pipe, X, y, cv=StratifiedKFold(3), scoring="recall")
    assert len(scores["test_score"]) == 3
    for counts in seen:  # balanced training folds: resampling happened there
        assert counts[0] == counts[1]
    # the test folds were left alone: predict saw the original fold sizes
    assert sum(sum(c.values()) for c in seen) > len(y)


def test_sparse_csr_in_gives_csr_out_equal_to_dense():
    from scipy import sparse

    X, y = _data()
    X[X < 0] = 0
    Xs = sparse.csr_matrix(X)
    dense = SMOTE(random_state=0).fit_resample(X, y)[0]
    out = SMOTE(random_state=0).fit_resample(Xs, y)[0]
    assert sparse.issparse(out) and out.format == "csr"
    np.testing.assert_allclose(out.toarray(), dense, rtol=1e-12)


def test_verbose_shows_a_progress_bar_on_stderr(capfd):
    X, y = _data()
    SMOTE(random_state=0, verbose=True).fit_resample(X, y)
    assert "neighbours" in capfd.readouterr().err
    SMOTE(random_state=0).fit_resample(X, y)
    assert capfd.readouterr().err == ""


def test_every_sampler_takes_verbose_and_nested_steps_follow_it(capfd):
    import gpusmote

    X, y = _data(n=300)
    for name in ["SMOTE", "BorderlineSMOTE", "ADASYN", "TomekLinks",
                 "EditedNearestNeighbours", "SMOTETomek", "SMOTEENN", "RandomOverSampler"]:
        sampler = getattr(gpusmote, name)(verbose=True)
        assert sampler.get_params()["verbose"] is True
        sampler.fit_resample(X, y)
    err = capfd.readouterr().err
    assert err.count("neighbours") >= 7  # every neighbour search showed a bar
