"""The over-samplers on Dask collections (issue 14), on a LocalCluster of two
worker processes: the result equals the in-memory sampler's on the computed
arrays, whatever the partitioning and the number of workers; DataFrames keep
their columns, dtypes and index rules; the caller's partitions pass through.
"""

import os

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from sklearn.datasets import make_classification

import gpusmote
from tests._dask_cluster import ancestors, counted_frame, local_client, read_counts

SAMPLERS = [
    ("SMOTE", {}),
    ("BorderlineSMOTE", {"kind": "borderline-1"}),
    ("BorderlineSMOTE", {"kind": "borderline-2"}),
    ("ADASYN", {}),
    ("RandomOverSampler", {}),
    ("RandomOverSampler", {"shrinkage": 1.5}),
]
IDS = ["smote", "borderline-1", "borderline-2", "adasyn", "random", "random-shrinkage"]
PROVENANCE = ("sample_indices_", "synthetic_parents_", "synthetic_steps_", "base_indices_")


@pytest.fixture(scope="module")
def client():
    yield from local_client(2)


@pytest.fixture(scope="module")
def one_worker(client):
    yield from local_client(1)


def _data(n=600, seed=0):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               n_classes=3, weights=[0.75, 0.18, 0.07], class_sep=0.7,
                               random_state=seed)
    return X, y


def _frame(X, y):
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    df["a"] = (df["a"] * 100).round().astype("int32")
    df["b"] = df["b"].astype("float32")
    index = pd.Index(np.arange(len(df)) * 3 + 7, name="id")
    df.index = index
    return df, pd.Series(y, index=index, name="label")


def _sampler(name, kw):
    return getattr(gpusmote, name)(random_state=3, **kw)


def _check_attributes(ours, ref):
    assert ours.sampling_strategy_ == ref.sampling_strategy_
    assert ours.n_features_in_ == ref.n_features_in_
    assert ours.backend_ == "numpy"
    for name in PROVENANCE:
        mine = getattr(ours, name)
        if name == "sample_indices_" and type(ours).__name__ == "RandomOverSampler":
            assert isinstance(mine, da.Array)  # as long as the output: lazy
            mine = mine.compute()
        assert isinstance(mine, np.ndarray), name
        np.testing.assert_array_equal(mine, getattr(ref, name), err_msg=name)
    if hasattr(ref, "in_danger_indices"):
        assert ours.in_danger_indices.keys() == ref.in_danger_indices.keys()
        for label, rows in ref.in_danger_indices.items():
            np.testing.assert_array_equal(ours.in_danger_indices[label], rows)


@pytest.mark.parametrize("name, kw", SAMPLERS, ids=IDS)
def test_arrays_equal_the_in_memory_result(client, name, kw):
    X, y = _data()
    ref = _sampler(name, kw)
    X_ref, y_ref = ref.fit_resample(X, y)
    ours = _sampler(name, kw)
    # uneven row chunks, and two column chunks
    Xd = da.from_array(X, chunks=((150, 250, 90, 110), (3, 2)))
    yd = da.from_array(y, chunks=((150, 250, 90, 110),))
    X_res, y_res = ours.fit_resample(Xd, yd)
    assert isinstance(X_res, da.Array) and isinstance(y_res, da.Array)
    assert X_res.chunks[0][:4] == Xd.chunks[0] and X_res.chunks[1] == Xd.chunks[1]
    assert y_res.chunks[0] == X_res.chunks[0]
    X_out, y_out = dask.compute(X_res, y_res)
    assert X_out.dtype == X_ref.dtype and y_out.dtype == y_ref.dtype
    np.testing.assert_array_equal(X_out, X_ref)
    np.testing.assert_array_equal(y_out, y_ref)
    _check_attributes(ours, ref)


@pytest.mark.parametrize("name, kw", SAMPLERS, ids=IDS)
def test_dataframes_equal_the_in_memory_result(client, name, kw):
    df, ys = _frame(*_data())
    ref = _sampler(name, kw)
    X_ref, y_ref = ref.fit_resample(df, ys)
    ours = _sampler(name, kw)
    X_res, y_res = ours.fit_resample(dd.from_pandas(df, npartitions=3),
                                     dd.from_pandas(ys, npartitions=3))
    assert isinstance(X_res, dd.DataFrame) and isinstance(y_res, dd.Series)
    assert list(X_res.columns) == list(df.columns)
    assert dict(X_res.dtypes) == dict(df.dtypes)
    X_out, y_out = dask.compute(X_res, y_res)
    # columns, dtypes (int32 rounded, float32 kept), index (new labels after the
    # largest, named "id") and values: as in memory
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)
    np.testing.assert_array_equal(ours.feature_names_in_, ref.feature_names_in_)
    _check_attributes(ours, ref)
    assert X_res.npartitions == y_res.npartitions
    assert X_res.known_divisions  # the new labels come after X's divisions


@pytest.mark.parametrize("name, kw", SAMPLERS[:4], ids=IDS[:4])
def test_ties_across_partitions_as_in_memory(client, name, kw):
    """Small-integer rows: ties and duplicates everywhere, so the merge of the
    partitions' candidates must order them as the engine does (distance, then
    the lower global index) for the danger sets, ratios and neighbours to agree."""
    rng = np.random.default_rng(5)
    X = rng.integers(0, 3, size=(500, 3)).astype(np.float64)
    y = (rng.random(500) < 0.25).astype(np.int64) + (X[:, 0] == 2) * (rng.random(500) < 0.3)
    y = np.minimum(y, 1)
    ref = _sampler(name, kw)
    X_ref, y_ref = ref.fit_resample(X, y)
    ours = _sampler(name, kw)
    out = ours.fit_resample(da.from_array(X, chunks=77), da.from_array(y, chunks=77))
    X_out, y_out = dask.compute(*out)
    np.testing.assert_array_equal(X_out, X_ref)
    np.testing.assert_array_equal(y_out, y_ref)
    _check_attributes(ours, ref)


def test_float32_and_strings_of_labels(client):
    X, y = _data(400, seed=1)
    X = X.astype(np.float32)
    y = np.array(["neg", "pos", "rare"])[y]
    ref = gpusmote.SMOTE(random_state=0, k_neighbors=3).fit_resample(X, y)
    X_res, y_res = gpusmote.SMOTE(random_state=0, k_neighbors=3).fit_resample(
        da.from_array(X, chunks=130), da.from_array(y, chunks=130))
    assert X_res.dtype == np.float32
    X_out, y_out = dask.compute(X_res, y_res)
    np.testing.assert_array_equal(X_out, ref[0])
    np.testing.assert_array_equal(y_out, ref[1])


def test_frames_with_strings(client):
    """String labels and a string column (copies keep it), and a string index
    (new labels are integers from n, as in memory); compared with the in-memory
    sampler on the computed collections (Dask may store strings as pyarrow)."""
    X, y = _data(400, seed=4)
    df = pd.DataFrame(X, columns=list("abcde"))
    df["s"] = np.where(X[:, 0] > 0, "up", "down")
    df.index = [f"row{i}" for i in range(len(df))]
    ys = pd.Series(np.array(["ok", "fraud", "other"])[y], index=df.index, name="t")
    for sampler, frame in ((gpusmote.RandomOverSampler, df),
                           (gpusmote.SMOTE, df.drop(columns="s"))):
        Xd = dd.from_pandas(frame, npartitions=3, sort=False)
        yd = dd.from_pandas(ys, npartitions=3, sort=False)
        X_ref, y_ref = sampler(random_state=1).fit_resample(*dask.compute(Xd, yd))
        X_out, y_out = dask.compute(*sampler(random_state=1).fit_resample(Xd, yd))
        pd.testing.assert_frame_equal(X_out, X_ref)
        pd.testing.assert_series_equal(y_out, y_ref)
        assert X_out.index[-1] == len(X_out) - 1


def test_categorical_labels(client):
    """Categorical y, with its categories known or not to Dask: the new labels are
    categories, never NaN."""
    X, y = _data(300, seed=7)
    df = pd.DataFrame(X, columns=list("abcde"))
    ys = pd.Series(pd.Categorical(np.array(["a", "b", "c"])[y]), name="t")
    Xd, yd = dd.from_pandas(df, npartitions=3), dd.from_pandas(ys, npartitions=3)
    for labels in (yd, yd.cat.as_unknown()):
        _, y_ref = gpusmote.SMOTE(random_state=0).fit_resample(*dask.compute(Xd, labels))
        _, y_out = dask.compute(*gpusmote.SMOTE(random_state=0).fit_resample(Xd, labels))
        assert not y_out.isna().any()
        pd.testing.assert_series_equal(y_out, y_ref)


def test_copies_keep_categorical_columns(client):
    """RandomOverSampler copies a categorical column whose partitions hold
    different categories (as read from files): still categorical, as Dask
    computes X."""
    df = pd.DataFrame({"v": np.arange(12.0), "c": pd.Categorical(list("xxyyzzxyzwwx"))})
    y = pd.Series([0, 1] * 6, name="t")

    def own_categories(part):
        return part.assign(c=part["c"].cat.remove_unused_categories())

    parts = [dask.delayed(own_categories)(df.iloc[i:i + 3]) for i in (0, 3, 6, 9)]
    Xd = dd.from_delayed(parts, meta=df.iloc[:0], verify_meta=False)
    Xd = Xd.assign(c=Xd["c"].cat.as_unknown())
    yd = dd.from_pandas(y, npartitions=4)
    strategy = {0: 6, 1: 30}
    X_ref, _ = gpusmote.RandomOverSampler(random_state=0, sampling_strategy=strategy
                                          ).fit_resample(*dask.compute(Xd, yd))
    X_out, _ = dask.compute(*gpusmote.RandomOverSampler(
        random_state=0, sampling_strategy=strategy).fit_resample(Xd, yd))
    assert X_out["c"].dtype == "category"
    pd.testing.assert_frame_equal(X_out, X_ref)


def test_callable_strategy_and_nothing_to_make(client):
    X, y = _data(300, seed=6)
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)

    def strategy(labels):
        return {2: int((labels == 2).sum()) + 25}

    ref = gpusmote.SMOTE(random_state=0, sampling_strategy=strategy).fit_resample(X, y)
    out = dask.compute(*gpusmote.SMOTE(random_state=0,
                                       sampling_strategy=strategy).fit_resample(Xd, yd))
    np.testing.assert_array_equal(out[0], ref[0])
    np.testing.assert_array_equal(out[1], ref[1])
    sm = gpusmote.SMOTE(sampling_strategy={0: int((y == 0).sum())})
    X_res, y_res = sm.fit_resample(Xd, yd)
    assert X_res is Xd and y_res is yd and sm.synthetic_parents_.shape == (0, 2)


@pytest.mark.parametrize("name, kw", [SAMPLERS[0], SAMPLERS[2], SAMPLERS[3]],
                         ids=["smote", "borderline-2", "adasyn"])
def test_same_rows_whatever_the_partitioning_and_workers(client, one_worker, name, kw):
    """Two chunkings on two workers, and one of them on a single worker: the same
    rows (the draws come from global indices, in one stream)."""
    X, y = _data(700, seed=2)
    results = []
    for chunks in (97, 350):
        out = _sampler(name, kw).fit_resample(da.from_array(X, chunks=(chunks, 5)),
                                              da.from_array(y, chunks=chunks))
        results.append(dask.compute(*out))
    with one_worker.as_current():
        assert len(one_worker.scheduler_info()["workers"]) == 1
        out = _sampler(name, kw).fit_resample(da.from_array(X, chunks=(97, 5)),
                                              da.from_array(y, chunks=97))
        results.append(dask.compute(*out))
    for X_out, y_out in results[1:]:
        np.testing.assert_array_equal(X_out, results[0][0])
        np.testing.assert_array_equal(y_out, results[0][1])
    assert results[0][0].shape[0] > X.shape[0]


def _x_keys(collection):
    return {k for row in collection.__dask_keys__() for k in row}


@pytest.mark.parametrize("name, kw", SAMPLERS, ids=IDS)
def test_original_blocks_pass_through_untouched(client, name, kw):
    """Block i < n of the result is X's own block i (an alias, its task
    unchanged); the new blocks read no block of X (the classes were gathered
    once, during fit_resample, and are held by the cluster)."""
    from dask.core import get_dependencies

    X, y = _data()
    Xd = da.from_array(X, chunks=(150, 5))
    yd = da.from_array(y, chunks=150)
    X_res, _ = _sampler(name, kw).fit_resample(Xd, yd)
    graph = dict(X_res.__dask_graph__())
    own = dict(Xd.__dask_graph__())
    x_keys = _x_keys(Xd)
    out_keys = [row[0] for row in X_res.__dask_keys__()]
    for i, key in enumerate(out_keys[:len(x_keys)]):
        assert get_dependencies(graph, key) == {(Xd.name, i, 0)}
    for key in x_keys:
        assert graph[key] is own[key]

    copies = name == "RandomOverSampler" or kw.get("kind") == "borderline-2"
    for key in out_keys[len(x_keys):]:
        touched = ancestors(graph, key) & x_keys
        # copies and borderline-2's steps towards other classes read only the
        # blocks that hold the rows they need (gathered in one task)
        assert copies or not touched


@pytest.mark.parametrize("name, kw, passes", [
    ("SMOTE", {}, 2), ("ADASYN", {}, 3), ("BorderlineSMOTE", {"kind": "borderline-1"}, 3)],
    ids=["smote", "adasyn", "borderline-1"])
def test_each_partition_read_once_per_pass(client, tmp_path, name, kw, passes):
    """Counted reads of a DataFrame's partitions: fit_resample reads each one once
    for the counts, once to gather the classes and, for the searches over all
    rows, once more; computing the result reads each once more (passed through),
    never to make the new rows."""
    df, ys = _frame(*_data())
    df["label"] = ys
    log = tmp_path / "reads.log"
    full = counted_frame(df, 4, log)
    X_res, _ = _sampler(name, kw).fit_resample(full.drop(columns="label"), full["label"])

    def counts():
        return read_counts(log, 4)

    assert (counts() <= passes).all() and (counts() >= 2).all(), counts()
    before = counts()
    X_out = X_res.compute()
    assert (counts() - before == 1).all(), counts() - before
    assert len(X_out) > len(df)


def test_import_gpusmote_does_not_import_dask():
    import subprocess
    import sys

    code = ("import sys, numpy as np, gpusmote, gpusmote.base\n"
            "from gpusmote import SMOTE\n"
            "X = np.random.default_rng(0).normal(size=(60, 2)); y = np.r_[[0] * 50, [1] * 10]\n"
            "SMOTE(random_state=0).fit_resample(X, y)\n"
            "assert 'dask' not in sys.modules and 'distributed' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "PYTHONPATH": os.getcwd()})
