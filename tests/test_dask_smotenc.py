"""SMOTENC on Dask collections (issue 14), on a LocalCluster of two worker
processes: equal to the in-memory SMOTENC on the computed collections (the new
rows, their dtypes and index, the provenance, ``median_std_`` and the encoder's
categories), whatever the partitioning."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from gpusmote import SMOTENC
from tests._dask_cluster import counted_frame, local_client, read_counts

PROVENANCE = ("sample_indices_", "synthetic_parents_", "synthetic_steps_", "base_indices_")


@pytest.fixture(scope="module")
def client():
    yield from local_client()


def _frame(n=900, seed=0):
    """Two float columns (one float32), an int column, a category column with
    known categories (one never in the rare classes), a string column; three
    classes, the rare ones nearer some categories."""
    rng = np.random.default_rng(seed)
    y = rng.choice([0, 1, 2], size=n, p=[0.8, 0.15, 0.05])
    colour = np.where(y == 0, rng.choice(["red", "green", "blue", "grey"], size=n),
                      rng.choice(["red", "green"], size=n, p=[0.3, 0.7]))
    df = pd.DataFrame({
        "amount": rng.normal(size=n) + y,
        "colour": pd.Categorical(colour, categories=["red", "green", "blue", "grey",
                                                     "black"]),
        "score": (rng.normal(size=n) * 2 + y).astype(np.float32),
        "shop": rng.choice(["a", "b", "c"], size=n).astype(object),
        "count": rng.integers(0, 20, size=n) + 3 * y,
    })
    df.index = pd.Index(np.arange(n) * 2 + 5, name="id")
    return df, pd.Series(y, index=df.index, name="label")


def _check_attributes(ours, ref):
    assert ours.sampling_strategy_ == ref.sampling_strategy_
    for name in PROVENANCE:
        np.testing.assert_array_equal(getattr(ours, name), getattr(ref, name), err_msg=name)
    assert ours.median_std_ == ref.median_std_
    np.testing.assert_array_equal(ours.categorical_features_, ref.categorical_features_)
    np.testing.assert_array_equal(ours.continuous_features_, ref.continuous_features_)
    for mine, theirs in zip(ours.categorical_encoder_.categories_,
                            ref.categorical_encoder_.categories_, strict=True):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("categorical", ["auto", ["colour", "shop"], [1, 3]],
                         ids=["auto", "names", "indices"])
@pytest.mark.parametrize("npartitions", [1, 4])
def test_dataframes_equal_the_in_memory_result(client, categorical, npartitions):
    df, ys = _frame()
    Xd = dd.from_pandas(df, npartitions=npartitions)
    yd = dd.from_pandas(ys, npartitions=npartitions)
    X_in, y_in = dask.compute(Xd, yd)  # as Dask holds them (strings as pyarrow)
    ref = SMOTENC(categorical_features=categorical, random_state=2)
    X_ref, y_ref = ref.fit_resample(X_in, y_in)
    ours = SMOTENC(categorical_features=categorical, random_state=2)
    X_res, y_res = ours.fit_resample(Xd, yd)
    assert isinstance(X_res, dd.DataFrame) and dict(X_res.dtypes) == dict(X_in.dtypes)
    X_out, y_out = dask.compute(X_res, y_res)
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)
    assert X_out["colour"].dtype == df["colour"].dtype  # the caller's categories
    _check_attributes(ours, ref)


def test_arrays_of_codes_equal_the_in_memory_result(client):
    """A float dask.array whose columns 1 and 3 hold category codes."""
    df, ys = _frame(seed=1)
    X = np.column_stack([df["amount"], df["colour"].cat.codes, df["score"],
                         pd.factorize(df["shop"])[0], df["count"]]).astype(np.float64)
    y = ys.to_numpy()
    ref = SMOTENC(categorical_features=[1, 3], random_state=0, k_neighbors=4)
    X_ref, y_ref = ref.fit_resample(X, y)
    ours = SMOTENC(categorical_features=[1, 3], random_state=0, k_neighbors=4)
    X_res, y_res = ours.fit_resample(da.from_array(X, chunks=(250, 5)),
                                     da.from_array(y, chunks=250))
    X_out, y_out = dask.compute(X_res, y_res)
    assert X_out.dtype == X_ref.dtype
    np.testing.assert_array_equal(X_out, X_ref)
    np.testing.assert_array_equal(y_out, y_ref)
    _check_attributes(ours, ref)


def test_a_parquet_directory(client, tmp_path):
    """X and y from one read_parquet frame (no index stored): a category column
    whose categories Dask does not know, a string column."""
    df, ys = _frame(seed=2)
    df = df.assign(label=ys).reset_index(drop=True)
    for i, rows in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[rows].to_parquet(tmp_path / f"part{i}.parquet", index=False)
    frame = dd.read_parquet(tmp_path)
    X, y = frame.drop(columns="label"), frame["label"]
    assert not X["colour"].cat.known
    X_in, y_in = dask.compute(X, y)
    X_ref, y_ref = SMOTENC(categorical_features="auto", random_state=1).fit_resample(X_in,
                                                                                     y_in)
    out = SMOTENC(categorical_features="auto", random_state=1).fit_resample(X, y)
    X_out, y_out = dask.compute(*out)
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)


def test_each_partition_read_twice_and_never_for_the_new_rows(client, tmp_path):
    """Counted reads: fit_resample reads each partition once to count and once to
    gather the classes with each partition's categories; the new partitions come
    from the plan held on the cluster and read no partition of X."""
    df, ys = _frame()
    df["label"] = ys
    log = tmp_path / "reads.log"
    full = counted_frame(df, 3, log)
    X_res, y_res = SMOTENC(categorical_features="auto", random_state=0).fit_resample(
        full.drop(columns="label"), full["label"])

    def counts():
        return read_counts(log, 3)

    np.testing.assert_array_equal(counts(), [2, 2, 2])
    new = X_res.partitions[3:].compute()
    np.testing.assert_array_equal(counts(), [2, 2, 2])
    assert len(new) == len(y_res) - len(df) > 0


def test_fit_counts_and_resolves_the_columns(client):
    df, ys = _frame()
    ours = SMOTENC(categorical_features="auto").fit(dd.from_pandas(df, npartitions=3),
                                                    dd.from_pandas(ys, npartitions=3))
    ref = SMOTENC(categorical_features="auto").fit(df, ys)
    assert ours.sampling_strategy_ == ref.sampling_strategy_
    np.testing.assert_array_equal(ours.categorical_features_, ref.categorical_features_)
    np.testing.assert_array_equal(ours.continuous_features_, ref.continuous_features_)
    np.testing.assert_array_equal(ours.feature_names_in_, ref.feature_names_in_)
