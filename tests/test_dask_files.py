"""Dask input read from files (issue 14): X and y taken from one
``read_parquet`` / ``read_csv`` frame, as the CLI and most users take them.

Dask's optimiser cuts such frames differently for X and for y (dask-expr fuses
a Parquet read's partitions after a column projection, more for one column
than for eight), so these tests check that every pass reads partition i of X
and of y as the same rows: the result equals the in-memory sampler's on the
computed frames. They also count what the counting pass reads (only y and the
row counts) and check that ``fit`` reads no column of X.
"""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import gpusmote
from tests._dask_cluster import local_client, logged_parquet_reads

FEATURES = [f"f{j}" for j in range(8)]


@pytest.fixture(scope="module")
def client():
    yield from local_client()


def _table(n=2400, seed=0):
    """Eight float columns and a 0/1 ``is_fraud`` (about 4 % frauds, near each other)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    fraud = rng.random(n) < 0.04
    X[fraud] += 1.5
    df = pd.DataFrame(X, columns=FEATURES)
    df["f7"] = df["f7"].astype("float32")
    df["is_fraud"] = fraud.astype(np.int64)
    return df


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory):
    """Four Parquet files of 600 rows each, written by pandas (no index stored)."""
    path = tmp_path_factory.mktemp("parquet")
    df = _table()
    for i, rows in enumerate(np.array_split(np.arange(len(df)), 4)):
        df.iloc[rows].to_parquet(path / f"part{i}.parquet", index=False)
    return path


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    _table(seed=1).to_csv(path, index=False)
    return path


def _x_and_y(frame, drop=()):
    return frame.drop(columns=["is_fraud", *drop]), frame["is_fraud"]


SAMPLERS = [
    ("SMOTE", {"sampling_strategy": 0.1}),
    ("BorderlineSMOTE", {"kind": "borderline-2"}),
    ("ADASYN", {}),
    ("RandomOverSampler", {}),
    ("EditedNearestNeighbours", {}),
    ("TomekLinks", {}),
]
SAMPLER_IDS = ["smote", "borderline-2", "adasyn", "random", "enn", "tomek"]


def _check_equal(name, kw, X, y):
    """The Dask result, computed, equals the in-memory sampler's on the computed
    X and y (values, columns, dtypes and index), and X and y stay aligned."""
    kw = dict(kw)
    if name not in ("EditedNearestNeighbours", "TomekLinks"):
        kw["random_state"] = 0
    X_in, y_in = dask.compute(X, y)
    X_ref, y_ref = getattr(gpusmote, name)(**kw).fit_resample(X_in, y_in)
    X_res, y_res = getattr(gpusmote, name)(**kw).fit_resample(X, y)
    X_out, y_out = dask.compute(X_res, y_res)
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)
    return X_out


def test_the_files_are_cut_differently_for_x_and_y(parquet_dir):
    """The situation these tests are about (dask 2026.8): optimised alone, y is
    read in fewer partitions than X, though both list four."""
    X, y = _x_and_y(dd.read_parquet(parquet_dir))
    assert X.npartitions == y.npartitions == 4
    assert y.optimize().npartitions < X.optimize().npartitions


@pytest.mark.parametrize("name, kw", SAMPLERS, ids=SAMPLER_IDS)
def test_parquet_directory(client, parquet_dir, name, kw):
    X, y = _x_and_y(dd.read_parquet(parquet_dir))
    X_out = _check_equal(name, kw, X, y)
    if name in ("SMOTE", "RandomOverSampler"):
        assert len(X_out) > 2400


@pytest.mark.parametrize("name, kw", SAMPLERS[:2] + SAMPLERS[4:5],
                         ids=SAMPLER_IDS[:2] + SAMPLER_IDS[4:5])
def test_parquet_with_columns_dropped(client, parquet_dir, name, kw):
    """Five of the eight features dropped: Dask then fuses even X and y read
    together (X.assign(t=y)), in yet other partitions."""
    X, y = _x_and_y(dd.read_parquet(parquet_dir), drop=FEATURES[:5])
    assert X.assign(t=y).optimize().npartitions < 4
    _check_equal(name, kw, X, y)


@pytest.mark.parametrize("name, kw", SAMPLERS[:1] + SAMPLERS[4:5],
                         ids=SAMPLER_IDS[:1] + SAMPLER_IDS[4:5])
def test_parquet_filtered(client, parquet_dir, name, kw):
    """A row filter before the split into X and y."""
    ddf = dd.read_parquet(parquet_dir)
    X, y = _x_and_y(ddf[ddf["f0"] > -1.0])
    _check_equal(name, kw, X, y)


@pytest.mark.parametrize("name, kw", SAMPLERS[:2] + SAMPLERS[4:5],
                         ids=SAMPLER_IDS[:2] + SAMPLER_IDS[4:5])
def test_csv_in_small_blocks(client, csv_file, name, kw):
    """read_csv cut in byte blocks (about 15 partitions, each with its own
    0-based index)."""
    frame = dd.read_csv(csv_file, blocksize=30_000)
    assert frame.npartitions > 8
    _check_equal(name, kw, *_x_and_y(frame))


def test_x_and_y_from_two_reads(client, parquet_dir):
    """X and y from two read_parquet calls of the same files (no shared
    expression): still partitioned alike, still equal."""
    X = dd.read_parquet(parquet_dir, columns=FEATURES)
    y = dd.read_parquet(parquet_dir, columns=["is_fraud"])["is_fraud"]
    _check_equal("SMOTE", {}, X, y)


# Dask's Parquet reader itself calls reset_index(inplace=True), deprecated in
# pandas 3.1: seen here, where the reads run in this process
IN_PROCESS = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")


@IN_PROCESS
def test_fit_reads_only_y_and_row_counts(parquet_dir, monkeypatch):
    """``fit`` is the counting pass: each file read for y's column and for X's
    index (no column), never for a feature; then the sampling strategy is set
    as in memory."""
    reads = logged_parquet_reads(monkeypatch)
    X, y = _x_and_y(dd.read_parquet(parquet_dir))
    with dask.config.set(scheduler="synchronous"):
        sm = gpusmote.SMOTE(sampling_strategy=0.1).fit(X, y)
    assert sorted(reads) == sorted([(f"part{i}.parquet", cols) for i in range(4)
                                    for cols in (("is_fraud",), ())])
    ref = gpusmote.SMOTE(sampling_strategy=0.1).fit(*dask.compute(X, y))
    assert sm.sampling_strategy_ == ref.sampling_strategy_
    np.testing.assert_array_equal(sm.feature_names_in_, FEATURES)
    assert sm.n_features_in_ == 8


@IN_PROCESS
def test_each_pass_reads_each_file_once(parquet_dir, monkeypatch):
    """SMOTE's fit_resample: the counting pass (y and the row counts), then one
    read of X with y to gather the frauds; nothing else until the result is
    computed."""
    reads = logged_parquet_reads(monkeypatch)
    X, y = _x_and_y(dd.read_parquet(parquet_dir))
    with dask.config.set(scheduler="synchronous"):
        gpusmote.SMOTE(random_state=0).fit_resample(X, y)
    everything = tuple(FEATURES + ["is_fraud"])
    for i in range(4):
        mine = sorted(cols for f, cols in reads if f == f"part{i}.parquet")
        assert mine == sorted([("is_fraud",), (), everything]), mine


def test_fit_on_arrays_never_computes_x(client):
    """A Dask array X whose blocks cannot be computed: ``fit`` reads y alone, and
    sets what the in-memory ``fit`` sets."""
    da = pytest.importorskip("dask.array")

    def unreadable():
        raise AssertionError("fit read X")

    rng = np.random.default_rng(3)
    y = (rng.random(500) < 0.1).astype(np.int64)
    X = da.concatenate([da.from_delayed(dask.delayed(unreadable)(), shape=(100, 4),
                                        dtype=np.float64) for _ in range(5)])
    sm = gpusmote.BorderlineSMOTE(sampling_strategy=0.5).fit(X, da.from_array(y, chunks=100))
    ref = gpusmote.BorderlineSMOTE(sampling_strategy=0.5).fit(np.zeros((500, 4)), y)
    assert sm.sampling_strategy_ == ref.sampling_strategy_
    assert sm.n_features_in_ == 4 and sm.backend_ == "numpy"
    assert not hasattr(sm, "feature_names_in_")
    with pytest.raises(TypeError, match="SMOTEN does not take Dask collections yet"):
        gpusmote.SMOTEN().fit(X, da.from_array(y, chunks=100))


@pytest.mark.parametrize("name, kw", SAMPLERS[:1] + SAMPLERS[3:5],
                         ids=SAMPLER_IDS[:1] + SAMPLER_IDS[3:5])
def test_the_result_joins_and_writes(client, parquet_dir, tmp_path, name, kw):
    """X_res and y_res come from one frame, so Dask pairs their partitions as
    they are: ``X_res.assign(is_fraud=y_res)`` needs no index alignment (the files'
    0-based indexes repeat, which alignment refuses), written to Parquet it
    holds the in-memory rows, and the partitions of X_res and y_res, each
    optimised alone, have the same lengths."""
    kw = dict(kw)
    if name != "EditedNearestNeighbours":
        kw["random_state"] = 0
    X, y = _x_and_y(dd.read_parquet(parquet_dir))
    X_res, y_res = getattr(gpusmote, name)(**kw).fit_resample(X, y)
    X_res.assign(is_fraud=y_res).to_parquet(tmp_path / "out", write_index=False)
    written = pd.read_parquet(tmp_path / "out")
    X_ref, y_ref = getattr(gpusmote, name)(**kw).fit_resample(*dask.compute(X, y))
    expected = X_ref.assign(is_fraud=y_ref.to_numpy()).reset_index(drop=True)
    pd.testing.assert_frame_equal(written, expected)
    lengths = [dask.compute(*(dask.delayed(len)(p) for p in c.to_delayed()))
               for c in (X_res, y_res)]
    assert lengths[0] == lengths[1]
