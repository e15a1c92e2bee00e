"""RepeatedEditedNearestNeighbours and AllKNN keep exactly the rows imbalanced-learn keeps."""

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import AllKNN as ImbAllKNN
from imblearn.under_sampling import RepeatedEditedNearestNeighbours as ImbRENN
from sklearn.datasets import make_classification
from sklearn.neighbors import NearestNeighbors

from gpusmote._labels import encode_labels
from gpusmote._repeated import AllKNN, RepeatedEditedNearestNeighbours, counter_minority
from gpusmote.backends import get_backend
from tests._helpers import to_numpy


def _data(n=600, seed=0, dtype=np.float64, sep=0.5):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               class_sep=sep, random_state=seed)
    return X.astype(dtype), y


STRATEGIES = ["auto", "all", "majority", "not majority", [0, 2]]


def _same(ours, theirs, X, y, X_res, y_res):
    np.testing.assert_array_equal(to_numpy(ours.sample_indices_), theirs.sample_indices_)
    np.testing.assert_array_equal(to_numpy(X_res), X[theirs.sample_indices_])
    np.testing.assert_array_equal(to_numpy(y_res), y[theirs.sample_indices_])


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind_sel", ["all", "mode"])
@pytest.mark.parametrize("k", [1, 3])
def test_renn_equals_imblearn(backend, xp, strategy, kind_sel, k):
    X, y = _data()
    ours = RepeatedEditedNearestNeighbours(sampling_strategy=strategy, kind_sel=kind_sel,
                                           n_neighbors=k, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbRENN(sampling_strategy=strategy, kind_sel=kind_sel, n_neighbors=k)
    theirs.fit_resample(X, y)
    _same(ours, theirs, X, y, X_res, y_res)
    assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind_sel", ["all", "mode"])
@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("allow_minority", [False, True])
def test_allknn_equals_imblearn(backend, xp, strategy, kind_sel, k, allow_minority):
    X, y = _data()
    ours = AllKNN(sampling_strategy=strategy, kind_sel=kind_sel, n_neighbors=k,
                  allow_minority=allow_minority, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbAllKNN(sampling_strategy=strategy, kind_sel=kind_sel, n_neighbors=k,
                       allow_minority=allow_minority)
    theirs.fit_resample(X, y)
    _same(ours, theirs, X, y, X_res, y_res)


@pytest.mark.parametrize("seed", range(6))
def test_many_rounds_and_both_stopping_rules_equal_imblearn(seed):
    # heavy overlap: many rounds, and classes that fall below the minority
    X, y = _data(n=500, seed=seed, sep=0.2)
    for max_iter in (1, 2, 100):
        ours = RepeatedEditedNearestNeighbours(max_iter=max_iter, backend="numpy")
        theirs = ImbRENN(max_iter=max_iter)
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
        assert ours.n_iter_ == theirs.n_iter_
    for n_neighbors in (3, 8):
        ours = AllKNN(n_neighbors=n_neighbors, sampling_strategy="all", backend="numpy")
        theirs = ImbAllKNN(n_neighbors=n_neighbors, sampling_strategy="all")
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_renn_stops_when_a_class_falls_below_the_minority():
    # two heavily overlapping classes of nearly the same size: the first round
    # takes the larger one below the smaller one's size
    rng = np.random.default_rng(0)
    X = rng.normal(size=(230, 3))
    y = np.r_[np.zeros(120, int), np.ones(110, int)]
    ours = RepeatedEditedNearestNeighbours(backend="numpy")
    theirs = ImbRENN()
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert (y[ours.sample_indices_] == 0).sum() < 110
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    # allow_minority lets AllKNN go on past that point
    for allow in (False, True):
        a = AllKNN(n_neighbors=5, allow_minority=allow, backend="numpy")
        b = ImbAllKNN(n_neighbors=5, allow_minority=allow)
        a.fit_resample(X, y)
        b.fit_resample(X, y)
        np.testing.assert_array_equal(a.sample_indices_, b.sample_indices_)
    assert (len(AllKNN(n_neighbors=5, allow_minority=True).fit_resample(X, y)[1])
            < len(AllKNN(n_neighbors=5).fit_resample(X, y)[1]))


def test_the_strategy_is_resolved_again_each_round():
    # 'majority' is class 0 in round 1; once edited below class 1, round 2
    # cleans class 1 instead, as imbalanced-learn's ENN resolves it each round
    X, y = make_classification(n_samples=500, n_features=5, n_informative=3,
                               n_redundant=0, weights=[0.4, 0.37, 0.23], n_classes=3,
                               n_clusters_per_class=1, class_sep=0.3, random_state=4)
    ours = RepeatedEditedNearestNeighbours(sampling_strategy="majority", backend="numpy")
    theirs = ImbRENN(sampling_strategy="majority")
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 2
    before, after = np.bincount(y), np.bincount(y[ours.sample_indices_])
    assert after[0] < before[0] and after[1] < before[1] and after[2] == before[2]
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_minority_ties_go_to_the_class_seen_first():
    # classes 0 and 2 tie for the fewest rows; class 2 comes first in y, so it
    # is imbalanced-learn's minority for the stopping rule (sampling_strategy's
    # 'not minority' picks class 0, the smaller label)
    X, y = _data(n=400, seed=1, sep=0.3)
    keep = np.r_[np.flatnonzero(y == 1), np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 2)[:40]]
    X, y = X[keep], y[keep]
    order = np.r_[np.flatnonzero(y == 2)[:1], np.flatnonzero(y != 2),
                  np.flatnonzero(y == 2)[1:]]
    X, y = X[order], y[order]
    be = get_backend("numpy", X)
    assert counter_minority(be, encode_labels(y, len(y))) == 2
    for cls in (RepeatedEditedNearestNeighbours, AllKNN):
        ours, theirs = cls(sampling_strategy="all", backend="numpy"), \
            {RepeatedEditedNearestNeighbours: ImbRENN, AllKNN: ImbAllKNN}[cls](
                sampling_strategy="all")
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_first_round_without_change_keeps_indices_that_index_the_output():
    # well separated classes, y not sorted: nothing is removed in round 1.
    # imbalanced-learn applies the class sort twice to sample_indices_ there
    # (they no longer index its own X_res); ours index our output, which is
    # imbalanced-learn's output.
    X, y = make_classification(n_samples=200, n_features=4, n_informative=2,
                               n_redundant=0, class_sep=5.0, flip_y=0,
                               n_clusters_per_class=1, random_state=0)
    ours = RepeatedEditedNearestNeighbours(backend="numpy")
    theirs = ImbRENN()
    X_ours, _ = ours.fit_resample(X, y)
    X_theirs, _ = theirs.fit_resample(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    np.testing.assert_array_equal(X_ours, X_theirs)
    np.testing.assert_array_equal(X_ours, X[ours.sample_indices_])
    order = np.argsort(y, kind="stable")
    np.testing.assert_array_equal(ours.sample_indices_, order)
    np.testing.assert_array_equal(theirs.sample_indices_, order[order])


def test_one_search_serves_the_rounds():
    X, y = _data(n=800, sep=0.3)
    allknn = AllKNN(n_neighbors=5, backend="numpy")
    allknn.fit_resample(X, y)
    n_targets = int((y != 2).sum())
    # one search per target row, and a few rows searched again; imbalanced-learn
    # searches every row once per round (five rounds here)
    assert n_targets <= allknn._rows_searched < 1.5 * n_targets
    X, y = _data(n=800, seed=1, sep=0.8)
    n_targets = int((y != 2).sum())
    renn = RepeatedEditedNearestNeighbours(backend="numpy")
    renn.fit_resample(X, y)
    assert renn.n_iter_ >= 5  # imbalanced-learn: n_iter_ searches of every row
    assert renn._rows_searched < 1.5 * n_targets


def test_with_a_neighbours_object_equals_imblearn():
    X, y = _data(n=400)
    ours = RepeatedEditedNearestNeighbours(n_neighbors=NearestNeighbors(n_neighbors=4),
                                           backend="numpy")
    theirs = ImbRENN(n_neighbors=NearestNeighbors(n_neighbors=4))
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.nn_.n_neighbors == 4
    ours = AllKNN(n_neighbors=NearestNeighbors(n_neighbors=4), backend="numpy")
    theirs = ImbAllKNN(n_neighbors=NearestNeighbors(n_neighbors=4))
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_allknn_with_no_round_keeps_every_row_in_order():
    X, y = _data(n=100)
    ours = AllKNN(n_neighbors=NearestNeighbors(n_neighbors=1), backend="numpy")
    theirs = ImbAllKNN(n_neighbors=NearestNeighbors(n_neighbors=1))
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, np.arange(100))
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


def test_float32_string_labels_pandas_and_small_blocks():
    X, y = _data(dtype=np.float32)
    labels = np.array(["a", "b", "c"])[y]
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1000 + len(y)))
    for cls, imb in ((RepeatedEditedNearestNeighbours, ImbRENN), (AllKNN, ImbAllKNN)):
        ours = cls(working_memory=0.01)
        X_res, y_res = ours.fit_resample(df, pd.Series(labels, index=df.index))
        theirs = imb()
        theirs.fit_resample(X, labels)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
        assert list(X_res.index) == list(df.index[ours.sample_indices_])
        assert (X_res.dtypes == np.float32).all()
        np.testing.assert_array_equal(y_res.to_numpy(), labels[theirs.sample_indices_])


def test_integer_X_comes_back_as_given():
    X, y = _data(n=300)
    X = np.round(X * 100).astype(np.int64)
    renn = RepeatedEditedNearestNeighbours()
    X_res, _ = renn.fit_resample(X, y)
    assert X_res.dtype == np.int64
    np.testing.assert_array_equal(X_res, X[renn.sample_indices_])


@pytest.mark.parametrize("sampler, n, match", [
    (RepeatedEditedNearestNeighbours(kind_sel="bogus"), 50,
     "'kind_sel' parameter of RepeatedEditedNearestNeighbours must be"),
    (RepeatedEditedNearestNeighbours(max_iter=0), 50, "'max_iter' parameter"),
    (RepeatedEditedNearestNeighbours(n_neighbors=0), 50, "'n_neighbors' parameter"),
    (RepeatedEditedNearestNeighbours(n_neighbors=60), 50,
     r"round 1 looks for 60 neighbours.*X has only 50 rows left. Use n_neighbors <= 49"),
    (AllKNN(allow_minority="yes"), 50, "'allow_minority' parameter of AllKNN"),
    (AllKNN(sampling_strategy=0.5), 50, r"a float works for two classes only and y has 3"),
    (AllKNN(sampling_strategy={0: 10}), 50, "Cleaning samplers decide how many rows go"),
    (AllKNN(backend="gpu"), 50, "'backend' parameter of AllKNN"),
])
def test_bad_input(sampler, n, match):
    X, y = _data(n=n)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


def test_allknn_running_out_of_rows_names_the_round():
    # two far apart blobs: 'mode' keeps every row, and round 50 would need 51 rows
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(30, 2)), rng.normal(size=(20, 2)) + 100]
    y = np.r_[np.zeros(30, int), np.ones(20, int)]
    with pytest.raises(ValueError, match="Expected n_neighbors <= n_samples"):
        ImbAllKNN(n_neighbors=60, kind_sel="mode").fit_resample(X, y)
    with pytest.raises(ValueError, match=r"AllKNN: round 50 looks for 50 neighbours of each "
                                         r"row among the other rows, and after round 49, X "
                                         r"has only 50 rows left. Use n_neighbors <= 49."):
        AllKNN(n_neighbors=60, kind_sel="mode").fit_resample(X, y)
    assert len(AllKNN(n_neighbors=49, kind_sel="mode").fit_resample(X, y)[1]) == 50


def downloaded_bytes(cp, make_sampler, sizes=(300, 900)):
    """Bytes the CuPy stand-in saw come down to the host, for CuPy X and y of
    each size; the results stay on the device."""
    from tests import _fake_cupy

    out = {}
    for n in sizes:
        X, y = make_classification(n_samples=n, n_features=8, n_informative=4, n_classes=3,
                                   weights=[0.6, 0.25, 0.15], class_sep=0.5, random_state=0)
        X_dev, y_dev = cp.asarray(X), cp.asarray(y)
        cp.transfers.clear()
        sampler = make_sampler()
        X_res, y_res = sampler.fit_resample(X_dev, y_dev)
        assert isinstance(X_res, cp.ndarray) and isinstance(y_res, cp.ndarray)
        assert isinstance(sampler.sample_indices_, cp.ndarray)
        down = _fake_cupy.transferred("d2h")
        # class counts, scalars and each search's feature summaries: nothing of X or y
        assert max(down) <= 8 * 8 * 8, cp.transfers
        out[n] = sum(down)
    return out


@pytest.mark.parametrize("cls", [RepeatedEditedNearestNeighbours, AllKNN])
def test_cupy_input_downloads_do_not_grow_with_the_rows(fake_cupy, cls):
    moved = downloaded_bytes(fake_cupy, lambda: cls(backend="cupy"))
    # a few scalars per round or window besides: kilobytes, not rows
    assert max(moved.values()) < 4096, moved
