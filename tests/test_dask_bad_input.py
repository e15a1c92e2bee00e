"""Bad Dask input gets a clear error naming the problem and the fix (issue 14),
on a LocalCluster of two worker processes: errors raised inside tasks reach the
caller with their type and message."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import OneHotEncoder

from gpusmote import (
    ADASYN,
    SMOTE,
    SMOTEN,
    SMOTENC,
    BorderlineSMOTE,
    EditedNearestNeighbours,
    NearMiss,
    RandomOverSampler,
)
from tests._dask_cluster import local_client


@pytest.fixture(scope="module")
def client():
    yield from local_client()


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = np.r_[[0] * 500, [1] * 97, [2] * 3]
    return X, y


def _arrays(chunks=100):
    X, y = _data()
    return da.from_array(X, chunks=(chunks, 3)), da.from_array(y, chunks=chunks)


def _frames():
    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    return df, pd.Series(y, name="t")


def test_misaligned_chunks_of_arrays(client):
    Xd, _ = _arrays()
    _, y = _data()
    with pytest.raises(ValueError, match=r"chunked differently.*y = y\.rechunk"):
        SMOTE().fit_resample(Xd, da.from_array(y, chunks=150))
    with pytest.raises(ValueError, match="X has 600 rows but y has 599 labels"):
        SMOTE().fit_resample(Xd, da.from_array(y[:-1], chunks=100))


def test_unknown_chunk_sizes_say_how_to_compute_them(client):
    Xd, yd = _arrays()
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*X\.compute_chunk_sizes\(\)"):
        SMOTE().fit_resample(Xd[Xd[:, 0] > -100], yd)


def test_misaligned_partitions_of_frames(client):
    df, ys = _frames()
    X = dd.from_pandas(df, npartitions=3)
    with pytest.raises(ValueError, match="X has 3 partitions but y has 2.*y = df"):
        SMOTE(k_neighbors=2).fit_resample(X, dd.from_pandas(ys, npartitions=2))
    # as many partitions, cut elsewhere
    parts = [dask.delayed(lambda s: s)(ys.iloc[a:b]) for a, b in ((0, 100), (100, 400),
                                                                  (400, 600))]
    y_cut = dd.from_delayed(parts, meta=ys.iloc[:0], verify_meta=False)
    with pytest.raises(ValueError, match="partition 0 of X has 200 rows and partition 0 "
                                         "of y has 100 labels"):
        SMOTE(k_neighbors=2).fit_resample(X, y_cut)
    # the same lengths, other rows
    shuffled = ys.copy()
    shuffled.index = shuffled.index[::-1]
    with pytest.raises(ValueError, match="with a different index"):
        SMOTE(k_neighbors=2).fit_resample(
            dd.from_pandas(df, npartitions=3, sort=False),
            dd.from_pandas(shuffled, npartitions=3, sort=False))


def test_unknown_divisions_are_computed(client):
    """Unknown divisions are no error: the partitions' lengths come from the
    counting pass; the result equals the in-memory one, its divisions unknown."""
    df, ys = _frames()
    X = dd.from_pandas(df, npartitions=3).clear_divisions()
    y = dd.from_pandas(ys, npartitions=3).clear_divisions()
    X_res, y_res = SMOTE(k_neighbors=2, random_state=0).fit_resample(X, y)
    X_ref, y_ref = SMOTE(k_neighbors=2, random_state=0).fit_resample(df, ys)
    assert not X_res.known_divisions
    X_out, y_out = dask.compute(X_res, y_res)
    pd.testing.assert_frame_equal(X_out, X_ref)
    pd.testing.assert_series_equal(y_out, y_ref)


@pytest.mark.parametrize("sampler", [SMOTE(), ADASYN(), SMOTENC(categorical_features=[0])],
                         ids=["smote", "adasyn", "smotenc"])
def test_a_class_with_too_few_rows(client, sampler):
    Xd, yd = _arrays()
    param = "n_neighbors" if isinstance(sampler, ADASYN) else "k_neighbors"
    with pytest.raises(ValueError, match=f"class 2 has 3 rows.*{param}=2 or fewer"):
        sampler.fit_resample(Xd, yd)


def test_not_both_dask(client):
    Xd, yd = _arrays()
    X, y = _data()
    with pytest.raises(TypeError, match="y is a ndarray; pass y as a Dask collection"):
        SMOTE().fit_resample(Xd, y)
    with pytest.raises(TypeError, match="X is a ndarray; pass X as a Dask collection"):
        SMOTE().fit_resample(X, yd)
    df, _ = _frames()
    with pytest.raises(TypeError, match="pass y as a dask.dataframe Series"):
        SMOTE().fit_resample(dd.from_pandas(df, npartitions=3), da.from_array(y))


@pytest.mark.parametrize("sampler", [NearMiss(), SMOTEN()], ids=["nearmiss", "smoten"])
def test_samplers_without_dask_name_those_with(client, sampler):
    Xd, yd = _arrays()
    with pytest.raises(TypeError, match="the samplers that do are SMOTE, BorderlineSMOTE, "
                                        "ADASYN, RandomOverSampler, SMOTENC, TomekLinks, "
                                        "EditedNearestNeighbours"):
        sampler.fit_resample(Xd, yd)


def test_what_dask_input_does_not_take_yet(client):
    Xd, yd = _arrays()
    with pytest.raises(TypeError, match="sample_weight"):
        SMOTE(k_neighbors=2).fit_resample(Xd, yd, sample_weight=np.ones(600))
    with pytest.raises(TypeError, match="m_neighbors as an int"):
        BorderlineSMOTE(m_neighbors=NearestNeighbors(n_neighbors=4)).fit_resample(Xd, yd)
    with pytest.raises(TypeError, match="n_neighbors as an int"):
        EditedNearestNeighbours(n_neighbors=NearestNeighbors(n_neighbors=4)).fit_resample(
            Xd, yd)
    with pytest.raises(ValueError, match=r"shrinkage factor for each class.*\[2\]"):
        RandomOverSampler(shrinkage={1: 1.0}).fit_resample(Xd, yd)
    with pytest.raises(TypeError, match="the default categorical_encoder"):
        SMOTENC(categorical_features=[0], categorical_encoder=OneHotEncoder(
            handle_unknown="ignore")).fit_resample(Xd, yd)


def test_gather_budget(client):
    Xd, yd = _arrays()
    with dask.config.set({"gpusmote.dask.gather-budget": "1KiB"}), pytest.raises(
            ValueError, match=r"gathers the rows of class 1 into one task: 97 "
                              r"rows.*gpusmote\.dask\.gather-budget"):
        SMOTE(k_neighbors=2).fit_resample(Xd, yd)


def test_values_and_labels(client):
    X, y = _data()
    bad = X.copy()
    bad[550, 1] = np.nan  # a row of class 1, in the fifth chunk
    with pytest.raises(ValueError, match=r"X contains NaN \(first at row 550 of X, column 1\)"):
        SMOTE(k_neighbors=2).fit_resample(da.from_array(bad, chunks=100),
                                          da.from_array(y, chunks=100))
    Xd, _ = _arrays()
    with pytest.raises(ValueError, match="y has only one class"):
        SMOTE().fit_resample(Xd, da.zeros(600, chunks=100))
    with pytest.raises(ValueError, match="y must be 1-D"):
        SMOTE().fit_resample(Xd, da.zeros((600, 2), chunks=100))
    with pytest.raises(ValueError, match="m_neighbors=700 is too large.*m_neighbors <= 599"):
        BorderlineSMOTE(m_neighbors=700, k_neighbors=2).fit_resample(
            Xd, da.from_array(y, chunks=100))
    df, ys = _frames()
    df["s"] = "x"
    with pytest.raises(TypeError, match=r"column\(s\) \['s'\] is not numeric; use SMOTENC"):
        SMOTE(k_neighbors=2).fit_resample(dd.from_pandas(df, npartitions=3),
                                          dd.from_pandas(ys, npartitions=3))
