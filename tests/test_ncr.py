"""NeighbourhoodCleaningRule keeps exactly the rows imbalanced-learn 0.14 keeps."""

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import EditedNearestNeighbours as ImbENN
from imblearn.under_sampling import NeighbourhoodCleaningRule as ImbNCR
from sklearn.datasets import make_classification
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from gpusmote._cleaning import EditedNearestNeighbours
from gpusmote._ncr import NeighbourhoodCleaningRule
from tests._helpers import to_numpy


def _data(n=600, seed=0, dtype=np.float64, sep=0.5, weights=(0.6, 0.3, 0.1)):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=list(weights), n_classes=len(weights),
                               n_clusters_per_class=1, class_sep=sep, random_state=seed)
    return X.astype(dtype), y


@pytest.mark.parametrize("strategy", ["auto", "all", "majority", "not majority", [0, 2]])
@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_ncr_equals_imblearn(backend, xp, strategy, k):
    X, y = _data()
    ours = NeighbourhoodCleaningRule(sampling_strategy=strategy, n_neighbors=k,
                                     backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbNCR(sampling_strategy=strategy, n_neighbors=k)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])
    assert ours.classes_to_clean_ == theirs.classes_to_clean_


@pytest.mark.parametrize("threshold", [0.1, 1.0, 2.5, 5.0])
def test_threshold_cleaning_and_the_order_of_classes_to_clean(threshold):
    # classes first seen in the order 2, 0, 1: classes_to_clean_ follows y
    X, y = _data(seed=2)
    order = np.r_[np.flatnonzero(y == 2)[:1], np.flatnonzero(y == 0)[:1],
                  np.flatnonzero(y == 1)[:1]]
    order = np.r_[order, np.setdiff1d(np.arange(len(y)), order)]
    X, y = X[order], y[order]
    ours = NeighbourhoodCleaningRule(sampling_strategy="all", threshold_cleaning=threshold)
    theirs = ImbNCR(sampling_strategy="all", threshold_cleaning=threshold)
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert ours.classes_to_clean_ == theirs.classes_to_clean_
    assert all(type(a) is type(b) for a, b in zip(ours.classes_to_clean_,
                                                    theirs.classes_to_clean_))
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    if threshold == 0.1:
        assert ours.classes_to_clean_ == [2, 0, 1]


def test_the_a2_step_removes_rows():
    # without the A2 step (only ENN), more rows would be kept
    X, y = _data(sep=0.3)
    ncr = NeighbourhoodCleaningRule(sampling_strategy="all", threshold_cleaning=0.1)
    ncr.fit_resample(X, y)
    enn = EditedNearestNeighbours(sampling_strategy="all", kind_sel="mode")
    enn.fit_resample(X, y)
    assert set(ncr.sample_indices_) < set(enn.sample_indices_)
    np.testing.assert_array_equal(ncr.edited_nearest_neighbours_.sample_indices_,
                                  enn.sample_indices_)


@pytest.mark.parametrize("n_neighbors", [
    NearestNeighbors(n_neighbors=4),
    KNeighborsClassifier(n_neighbors=3),
    KNeighborsClassifier(n_neighbors=3, weights="distance"),
])
def test_neighbour_objects_equal_imblearn(n_neighbors):
    X, y = _data(n=300)
    # imbalanced-learn hands n_neighbors to its ENN too, which fits it without y:
    # a classifier fails there, so give both the same ENN
    enn_theirs = ImbENN(kind_sel="mode")
    ours = NeighbourhoodCleaningRule(n_neighbors=n_neighbors,
                                     edited_nearest_neighbours=enn_theirs)
    theirs = ImbNCR(n_neighbors=n_neighbors, edited_nearest_neighbours=enn_theirs)
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.nn_.get_params() == theirs.nn_.get_params()


def test_given_enn_ours_or_imblearns():
    X, y = _data(n=400)
    theirs = ImbNCR(edited_nearest_neighbours=ImbENN(n_neighbors=5, kind_sel="all"))
    theirs.fit_resample(X, y)
    for enn in (ImbENN(n_neighbors=5, kind_sel="all"),
                EditedNearestNeighbours(n_neighbors=5, kind_sel="all", backend="numpy")):
        ours = NeighbourhoodCleaningRule(edited_nearest_neighbours=enn)
        ours.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
        assert ours.edited_nearest_neighbours_ is not enn  # cloned
        assert not hasattr(enn, "sample_indices_")


def test_given_enn_on_the_cupy_path(fake_cupy):
    X, y = _data(n=400)
    theirs = ImbNCR(edited_nearest_neighbours=ImbENN(n_neighbors=4))
    theirs.fit_resample(X, y)
    for enn in (ImbENN(n_neighbors=4), EditedNearestNeighbours(n_neighbors=4)):
        ours = NeighbourhoodCleaningRule(edited_nearest_neighbours=enn, backend="cupy")
        ours.fit_resample(fake_cupy.asarray(X), fake_cupy.asarray(y))
        np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)


def test_float32_string_labels_and_pandas():
    X, y = _data(dtype=np.float32)
    labels = np.array(["a", "b", "c"])[y]
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1000 + len(y)))
    ours = NeighbourhoodCleaningRule(working_memory=0.01)
    X_res, y_res = ours.fit_resample(df, pd.Series(labels, index=df.index))
    # imbalanced-learn's mode vote (scipy.stats.mode) refuses string labels: it
    # gets the integer codes, which sort as the strings do
    theirs = ImbNCR()
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.classes_to_clean_ == [["a", "b", "c"][c] for c in theirs.classes_to_clean_]
    assert list(X_res.index) == list(df.index[ours.sample_indices_])
    assert (X_res.dtypes == np.float32).all()
    np.testing.assert_array_equal(y_res.to_numpy(), labels[theirs.sample_indices_])


def test_integer_X_comes_back_as_given():
    X, y = _data(n=300)
    X = np.round(X * 100).astype(np.int64)
    ncr = NeighbourhoodCleaningRule()
    X_res, _ = ncr.fit_resample(X, y)
    assert X_res.dtype == np.int64
    np.testing.assert_array_equal(X_res, X[ncr.sample_indices_])


@pytest.mark.parametrize("sampler, match", [
    (NeighbourhoodCleaningRule(threshold_cleaning=0), "'threshold_cleaning' parameter"),
    (NeighbourhoodCleaningRule(n_neighbors=0), "'n_neighbors' parameter"),
    (NeighbourhoodCleaningRule(edited_nearest_neighbours="enn"),
     "'edited_nearest_neighbours' parameter"),
    (NeighbourhoodCleaningRule(n_neighbors=60),
     r"n_neighbors=60 is too large.*X has only 50 rows.*n_neighbors <= 49"),
    (NeighbourhoodCleaningRule(n_neighbors=NearestNeighbors(n_neighbors=1),
                               edited_nearest_neighbours=ImbENN()),
     r"NearestNeighbors\(n_neighbors=1\) stands for a classifier with 0 neighbours"),
    (NeighbourhoodCleaningRule(sampling_strategy=0.5), r"a float works for two classes only"),
    (NeighbourhoodCleaningRule(backend="gpu"), "'backend' parameter of NeighbourhoodCleaningRule"),
])
def test_bad_input(sampler, match):
    X, y = _data(n=50)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


def test_cupy_input_downloads_do_not_grow_with_the_rows(fake_cupy):
    from tests.test_repeated import downloaded_bytes

    moved = downloaded_bytes(fake_cupy, lambda: NeighbourhoodCleaningRule(backend="cupy"))
    # a few scalars per round or window besides: kilobytes, not rows
    assert max(moved.values()) < 4096, moved
