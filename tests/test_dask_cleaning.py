"""TomekLinks and EditedNearestNeighbours on Dask collections (issue 14), on a
LocalCluster of two worker processes: the kept rows, their order and
``sample_indices_`` equal the in-memory sampler's (and imbalanced-learn's where
the neighbours agree), whatever the partitioning; every output block is a
filtered block of X."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import imblearn.under_sampling as imb
from sklearn.datasets import make_classification

import gpusmote
from tests._dask_cluster import ancestors, local_client

CLEANERS = [("TomekLinks", {}), ("TomekLinks", {"sampling_strategy": "all"}),
            ("EditedNearestNeighbours", {}),
            ("EditedNearestNeighbours", {"kind_sel": "mode", "sampling_strategy": "all"})]
IDS = ["tomek", "tomek-all", "enn", "enn-mode-all"]


@pytest.fixture(scope="module")
def client():
    yield from local_client()


def _data(n=600, seed=0):
    return make_classification(n_samples=n, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, weights=[0.75, 0.18, 0.07], class_sep=0.5,
                               random_state=seed)


def _ties(n=500):
    rng = np.random.default_rng(5)
    X = rng.integers(0, 3, size=(n, 3)).astype(np.float64)
    y = np.minimum((rng.random(n) < 0.25) + (X[:, 0] == 2) * (rng.random(n) < 0.3), 1)
    return X, y.astype(np.int64)


@pytest.mark.parametrize("name, kw", CLEANERS, ids=IDS)
@pytest.mark.parametrize("data", [_data, _ties], ids=["blobs", "ties"])
def test_arrays_equal_the_in_memory_result(client, name, kw, data):
    X, y = data()
    ref = getattr(gpusmote, name)(**kw)
    X_ref, y_ref = ref.fit_resample(X, y)
    ours = getattr(gpusmote, name)(**kw)
    results = []
    for chunks in ((130, 2), (250, 4)):
        X_res, y_res = ours.fit_resample(da.from_array(X, chunks=chunks),
                                         da.from_array(y, chunks=chunks[0]))
        results.append(dask.compute(X_res, y_res, ours.sample_indices_))
        assert ours.sampling_strategy_ == ref.sampling_strategy_
    for X_out, y_out, kept in results:
        np.testing.assert_array_equal(X_out, X_ref)
        np.testing.assert_array_equal(y_out, y_ref)
        np.testing.assert_array_equal(kept, ref.sample_indices_)
    assert X_ref.shape[0] < X.shape[0]


@pytest.mark.parametrize("name, kw", CLEANERS, ids=IDS)
def test_sample_indices_equal_imbalanced_learn(client, name, kw):
    X, y = _data(400, seed=3)  # no duplicate rows, no distance ties
    theirs = getattr(imb, name)(**kw)
    theirs.fit_resample(X, y)
    ours = getattr(gpusmote, name)(**kw)
    ours.fit_resample(da.from_array(X, chunks=90), da.from_array(y, chunks=90))
    np.testing.assert_array_equal(ours.sample_indices_.compute(), theirs.sample_indices_)


@pytest.mark.parametrize("name, kw", CLEANERS[::2], ids=IDS[::2])
def test_dataframes_keep_columns_dtypes_and_index(client, name, kw):
    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["a"] = (df["a"] * 10).round().astype("int16")
    df.index = np.arange(len(df)) * 2 + 1
    Xd = dd.from_pandas(df, npartitions=3)
    yd = dd.from_pandas(pd.Series(y, index=df.index, name="t"), npartitions=3)
    X_ref, y_ref = getattr(gpusmote, name)(**kw).fit_resample(*dask.compute(Xd, yd))
    X_out, y_out = dask.compute(*getattr(gpusmote, name)(**kw).fit_resample(Xd, yd))
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)


@pytest.mark.parametrize("name, kw", CLEANERS[::2], ids=IDS[::2])
def test_each_output_block_is_one_filtered_block_of_X(client, name, kw):
    X, y = _data()
    Xd = da.from_array(X, chunks=(150, 4))
    X_res, _ = getattr(gpusmote, name)(**kw).fit_resample(Xd, da.from_array(y, chunks=150))
    graph = dict(X_res.__dask_graph__())
    x_keys = {k for row in Xd.__dask_keys__() for k in row}

    for row in X_res.__dask_keys__():
        assert len(ancestors(graph, row[0]) & x_keys) == 1


@pytest.mark.parametrize("name, kw", CLEANERS[::2], ids=IDS[::2])
def test_cleaning_a_frame_that_smote_made(client, name, kw):
    """The cleaner on SMOTE's Dask output (what SMOTETomek and SMOTEENN chain):
    the rows and ``sample_indices_`` of the in-memory chain. The indices' array
    must not depend on the frame's tasks (Dask's array fusion lost one of
    them)."""
    X, y = _data(seed=3)
    frame, labels = pd.DataFrame(X, columns=list("abcd")), pd.Series(y, name="t")
    X_mid, y_mid = gpusmote.SMOTE(random_state=0).fit_resample(frame, labels)
    ref = getattr(gpusmote, name)(**kw)
    X_ref, y_ref = ref.fit_resample(X_mid, y_mid)
    Xd, yd = gpusmote.SMOTE(random_state=0).fit_resample(
        dd.from_pandas(frame, npartitions=3), dd.from_pandas(labels, npartitions=3))
    ours = getattr(gpusmote, name)(**kw)
    X_res, y_res = ours.fit_resample(Xd, yd)
    X_out, y_out = dask.compute(X_res, y_res)
    index = ours.sample_indices_.compute()
    pd.testing.assert_frame_equal(X_out.reset_index(drop=True), X_ref.reset_index(drop=True))
    np.testing.assert_array_equal(y_out.to_numpy(), y_ref.to_numpy())
    np.testing.assert_array_equal(index, ref.sample_indices_)
