"""CondensedNearestNeighbour and OneSidedSelection keep exactly the rows
imbalanced-learn keeps with the same random_state."""

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import CondensedNearestNeighbour as ImbCNN
from imblearn.under_sampling import OneSidedSelection as ImbOSS
from sklearn.datasets import make_classification
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

import gpusmote._condensed as condensed
from gpusmote._condensed import CondensedNearestNeighbour, OneSidedSelection
from tests._helpers import to_numpy


def _data(n=300, seed=0, dtype=np.float64, sep=0.5, weights=(0.6, 0.3, 0.1)):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=list(weights), n_classes=len(weights),
                               n_clusters_per_class=1, class_sep=sep, random_state=seed)
    return X.astype(dtype), y


def _same(ours, theirs, X, y, X_res, y_res):
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])


@pytest.mark.parametrize("strategy", ["auto", "all", "majority", [0, 2]])
@pytest.mark.parametrize("n_neighbors, n_seeds_S", [(None, 1), (2, 3), (3, 1)])
def test_cnn_equals_imblearn(backend, xp, strategy, n_neighbors, n_seeds_S):
    X, y = _data()
    ours = CondensedNearestNeighbour(sampling_strategy=strategy, n_neighbors=n_neighbors,
                                     n_seeds_S=n_seeds_S, random_state=1, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbCNN(sampling_strategy=strategy, n_neighbors=n_neighbors,
                    n_seeds_S=n_seeds_S, random_state=1)
    theirs.fit_resample(X, y)
    _same(ours, theirs, X, y, X_res, y_res)


@pytest.mark.parametrize("seed", range(4))
def test_cnn_equals_imblearn_over_many_windows_and_bulk_updates(monkeypatch, seed):
    # small windows and frequent bulk updates: the same rows join, in the same order
    monkeypatch.setattr(condensed, "_WINDOW", 16)
    monkeypatch.setattr(condensed, "_SYNC_EVERY", 8)
    X, y = _data(n=700, seed=seed, weights=(0.85, 0.15))
    for k in (None, 2):
        ours = CondensedNearestNeighbour(n_neighbors=k, random_state=seed, backend="numpy")
        theirs = ImbCNN(n_neighbors=k, random_state=seed)
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        assert len(theirs.sample_indices_) > 100  # many rows joined
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_cnn_keeps_imblearns_skip_list_quirk(monkeypatch):
    # imbalanced-learn skips a position of the scanned class that equals the
    # row index (in X) of a member of C; on interleaved classes that changes
    # which rows join
    X, y = _data(n=400, seed=0, weights=(0.7, 0.3), sep=0.3)
    theirs = ImbCNN(random_state=0)
    theirs.fit_resample(X, y)
    ours = CondensedNearestNeighbour(random_state=0, backend="numpy")
    ours.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    # without the quirk, other rows would be kept
    monkeypatch.setattr(condensed._Condenser, "_mark", lambda self, skipped, positions: None)
    plain = CondensedNearestNeighbour(random_state=0, backend="numpy")
    plain.fit_resample(X, y)
    assert not np.array_equal(plain.sample_indices_, theirs.sample_indices_)


def test_cnn_and_oss_expose_the_fitted_classifiers():
    X, y = _data()
    for ours, theirs in ((CondensedNearestNeighbour(random_state=0), ImbCNN(random_state=0)),
                         (OneSidedSelection(random_state=0), ImbOSS(random_state=0))):
        with pytest.raises(AttributeError, match="call fit_resample first"):
            _ = ours.estimators_
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        assert len(ours.estimators_) == len(theirs.estimators_) == 2
        for a, b in zip(ours.estimators_, theirs.estimators_):
            assert isinstance(a, KNeighborsClassifier)
            np.testing.assert_array_equal(np.sort(a._fit_X, axis=0), np.sort(b._fit_X, axis=0))
            np.testing.assert_array_equal(np.sort(a._y), np.sort(b._y))


def test_fitted_classifiers_from_cupy_input_and_pickling(fake_cupy):
    import pickle

    X, y = _data()
    theirs = ImbCNN(random_state=0)
    theirs.fit_resample(X, y)
    ours = CondensedNearestNeighbour(random_state=0, backend="cupy")
    ours.fit_resample(fake_cupy.asarray(X), fake_cupy.asarray(y))
    again = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(to_numpy(again.sample_indices_), theirs.sample_indices_)
    for a, b in zip(again.estimators_, theirs.estimators_):
        np.testing.assert_array_equal(np.sort(a._fit_X, axis=0), np.sort(b._fit_X, axis=0))


def test_a_classifier_object():
    X, y = _data(n=200)
    # uniform Euclidean: our search with its n_neighbors
    knc = KNeighborsClassifier(n_neighbors=3)
    for ours, theirs in ((CondensedNearestNeighbour(n_neighbors=knc, random_state=0),
                          ImbCNN(n_neighbors=knc, random_state=0)),
                         (OneSidedSelection(n_neighbors=knc, random_state=0),
                          ImbOSS(n_neighbors=knc, random_state=0))):
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    # another classifier runs as given, on the host
    knc = KNeighborsClassifier(n_neighbors=3, weights="distance", metric="manhattan")
    for ours, theirs in ((CondensedNearestNeighbour(n_neighbors=knc, random_state=0),
                          ImbCNN(n_neighbors=knc, random_state=0)),
                         (OneSidedSelection(n_neighbors=knc, random_state=0),
                          ImbOSS(n_neighbors=knc, random_state=0))):
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


@pytest.mark.parametrize("strategy", ["auto", "all", "not majority", [0, 2]])
@pytest.mark.parametrize("n_neighbors, n_seeds_S", [(None, 1), (2, 5), (4, 1)])
def test_oss_equals_imblearn(backend, xp, strategy, n_neighbors, n_seeds_S):
    X, y = _data(n=500)
    ours = OneSidedSelection(sampling_strategy=strategy, n_neighbors=n_neighbors,
                             n_seeds_S=n_seeds_S, random_state=3, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbOSS(sampling_strategy=strategy, n_neighbors=n_neighbors,
                    n_seeds_S=n_seeds_S, random_state=3)
    theirs.fit_resample(X, y)
    _same(ours, theirs, X, y, X_res, y_res)


def test_oss_keeps_a_seed_drawn_twice_twice():
    X, y = _data(n=200)
    ours = OneSidedSelection(n_seeds_S=40, random_state=0, backend="numpy")
    theirs = ImbOSS(n_seeds_S=40, random_state=0)
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert len(np.unique(theirs.sample_indices_)) < len(theirs.sample_indices_)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_minority_ties_go_to_the_class_seen_first():
    # classes 0 and 2 tie for the fewest rows and class 2 comes first in y: C is
    # built around class 2, and class 0 is condensed (imbalanced-learn's Counter)
    X, y = _data(n=400, seed=1)
    keep = np.r_[np.flatnonzero(y == 2)[:30], np.flatnonzero(y == 1),
                 np.flatnonzero(y == 0)[:30]]
    X, y = X[keep], y[keep]
    for ours, theirs in ((CondensedNearestNeighbour(random_state=0, sampling_strategy="all"),
                          ImbCNN(random_state=0, sampling_strategy="all")),
                         (OneSidedSelection(random_state=0, sampling_strategy="all"),
                          ImbOSS(random_state=0, sampling_strategy="all"))):
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_float32_string_labels_and_pandas():
    X, y = _data(dtype=np.float32)
    labels = np.array(["a", "b", "c"])[y]
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1000 + len(y)))
    for ours, theirs in ((CondensedNearestNeighbour(random_state=0, working_memory=0.01),
                          ImbCNN(random_state=0)),
                         (OneSidedSelection(random_state=0), ImbOSS(random_state=0))):
        X_res, y_res = ours.fit_resample(df, pd.Series(labels, index=df.index))
        theirs.fit_resample(X, labels)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
        assert list(X_res.index) == list(df.index[ours.sample_indices_])
        assert (X_res.dtypes == np.float32).all()
        np.testing.assert_array_equal(y_res.to_numpy(), labels[theirs.sample_indices_])


def test_integer_X_comes_back_as_given():
    X, y = _data(n=200)
    X = np.round(X * 100).astype(np.int64)
    cnn = CondensedNearestNeighbour(random_state=0)
    X_res, _ = cnn.fit_resample(X, y)
    assert X_res.dtype == np.int64
    np.testing.assert_array_equal(X_res, X[cnn.sample_indices_])


def test_same_random_state_same_rows_other_state_other_rows():
    X, y = _data(n=300)
    a = CondensedNearestNeighbour(random_state=5).fit_resample(X, y)[1]
    b = CondensedNearestNeighbour(random_state=5).fit_resample(X, y)[1]
    np.testing.assert_array_equal(a, b)
    rs = np.random.RandomState(5)
    c = CondensedNearestNeighbour(random_state=rs)
    c.fit_resample(X, y)
    d = ImbCNN(random_state=np.random.RandomState(5))
    d.fit_resample(X, y)
    np.testing.assert_array_equal(c.sample_indices_, d.sample_indices_)


@pytest.mark.parametrize("sampler, match", [
    (CondensedNearestNeighbour(n_seeds_S=0), "'n_seeds_S' parameter of CondensedNearestNeighbour"),
    (CondensedNearestNeighbour(n_neighbors=0), "'n_neighbors' parameter"),
    (CondensedNearestNeighbour(random_state="x"), "'random_state' parameter"),
    (CondensedNearestNeighbour(n_neighbors=20),
     (r"n_neighbors=20 is too large for CondensedNearestNeighbour: the classifier for "
      r"class 0 starts from the 5 minority rows and n_seeds_S=1 seed rows. Use "
      r"n_neighbors <= 6")),
    (OneSidedSelection(n_neighbors=20, n_seeds_S=2),
     r"n_neighbors=20 is too large for OneSidedSelection.*Use n_neighbors <= 7"),
    (OneSidedSelection(sampling_strategy=0.5), r"a float works for two classes only"),
    (OneSidedSelection(backend="gpu"), "'backend' parameter of OneSidedSelection"),
])
def test_bad_input(sampler, match):
    X, y = _data(n=50)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


def test_a_neighbours_object_that_is_not_a_classifier_is_refused_with_the_fix():
    X, y = _data(n=50)
    for cls in (CondensedNearestNeighbour, OneSidedSelection):
        with pytest.raises(TypeError, match=r"must be None, an int or a KNeighborsClassifier.*"
                                            r"got NearestNeighbors. Pass n_neighbors=4"):
            cls(n_neighbors=NearestNeighbors(n_neighbors=4)).fit_resample(X, y)


@pytest.mark.parametrize("cls", [CondensedNearestNeighbour, OneSidedSelection])
def test_cupy_input_downloads_do_not_grow_with_the_rows(fake_cupy, cls):
    from tests.test_repeated import downloaded_bytes

    moved = downloaded_bytes(fake_cupy, lambda: cls(backend="cupy", random_state=0))
    # a few scalars per round or window besides: kilobytes, not rows
    assert max(moved.values()) < 4096, moved
