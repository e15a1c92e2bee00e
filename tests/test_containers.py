"""Containers come back as they went in: NumPy, lists, pandas, CSR, CuPy; dtypes kept."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from gpusmote import (
    ADASYN,
    SMOTE,
    SMOTEENN,
    SMOTEN,
    SMOTENC,
    BorderlineSMOTE,
    EditedNearestNeighbours,
    RandomOverSampler,
    SMOTETomek,
    TomekLinks,
)
from tests._helpers import to_numpy


def _data():
    X, y = make_classification(n_samples=300, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.8, 0.2], random_state=0)
    return X, y


def test_dataframe_keeps_columns_dtypes_and_original_index():
    X, y = _data()
    df = pd.DataFrame(X, columns=["amount", "age", "score", "hour"])
    df["age"] = df["age"].astype(np.float32)
    df["hour"] = (df["hour"] * 10).round().astype(np.int64)
    df.index = pd.Index(np.arange(300) * 3 + 1000, name="tx_id")
    target = pd.Series(y, index=df.index, name="is_fraud")
    X_res, y_res = SMOTE(random_state=0).fit_resample(df, target)
    assert list(X_res.columns) == list(df.columns)
    assert dict(X_res.dtypes) == dict(df.dtypes)
    want = pd.Index(np.r_[df.index.to_numpy(), 1898 + np.arange(len(X_res) - 300)],
                    name="tx_id")
    pd.testing.assert_index_equal(X_res.index, want, exact=True, check_names=True)
    assert y_res.name == "is_fraud"
    pd.testing.assert_index_equal(y_res.index, want, check_names=True)
    pd.testing.assert_frame_equal(X_res.iloc[:300], df)


def test_string_index_gets_fresh_labels_for_synthetic_rows():
    X, y = _data()
    df = pd.DataFrame(X, index=[f"r{i}" for i in range(300)])
    X_res, _ = SMOTE(random_state=0).fit_resample(df, y)
    assert list(X_res.index[:300]) == list(df.index)
    assert X_res.index.is_unique


def test_dataframe_target_stays_dataframe():
    X, y = _data()
    _X_res, y_res = SMOTE(random_state=0).fit_resample(pd.DataFrame(X), pd.DataFrame({"t": y}))
    assert isinstance(y_res, pd.DataFrame) and list(y_res.columns) == ["t"]


def test_lists_in_lists_out():
    X, y = _data()
    X_res, y_res = SMOTE(random_state=0).fit_resample(X.tolist(), y.tolist())
    assert isinstance(X_res, list) and isinstance(y_res, list)
    np.testing.assert_allclose(X_res, SMOTE(random_state=0).fit_resample(X, y)[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_kept_and_label_dtype_kept(backend, xp, dtype):
    X, y = _data()
    X_res, y_res = SMOTE(random_state=0, backend=backend).fit_resample(
        xp.asarray(X.astype(dtype)), xp.asarray(y.astype(np.int32)))
    assert X_res.dtype == dtype
    assert y_res.dtype == np.int32


def test_integer_features_become_float64():
    X, y = _data()
    X_res, _ = SMOTE(random_state=0).fit_resample((X * 100).astype(np.int64), y)
    assert X_res.dtype == np.float64


def test_cupy_in_cupy_out(cupy_module):
    cupy = cupy_module
    X, y = _data()
    sampler = SMOTE(random_state=0)
    X_res, y_res = sampler.fit_resample(cupy.asarray(X, dtype=cupy.float32), cupy.asarray(y))
    assert isinstance(X_res, cupy.ndarray) and isinstance(y_res, cupy.ndarray)
    assert sampler.backend_ == "cupy"


def test_numpy_in_with_cupy_backend_gives_numpy_out(cupy_module):
    X, y = _data()
    X_res, y_res = SMOTE(random_state=0, backend="cupy").fit_resample(X, y)
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)
    np.testing.assert_array_equal(X_res[:len(X)], X)


def test_input_arrays_are_never_modified(backend, xp):
    X, y = _data()
    X_in, y_in = xp.asarray(X), xp.asarray(y)
    SMOTE(random_state=0, backend=backend).fit_resample(X_in, y_in)
    np.testing.assert_array_equal(to_numpy(X_in), X)
    np.testing.assert_array_equal(to_numpy(y_in), y)


SAMPLERS = [
    SMOTE(random_state=0), BorderlineSMOTE(random_state=0),
    BorderlineSMOTE(kind="borderline-2", random_state=0), ADASYN(random_state=0),
    SMOTENC(categorical_features=["cat"], random_state=0), SMOTEN(random_state=0),
    RandomOverSampler(random_state=0), RandomOverSampler(shrinkage=1.0, random_state=0),
    TomekLinks(), EditedNearestNeighbours(), SMOTETomek(random_state=0),
    SMOTEENN(random_state=0),
]


def _named_frame(sampler, index):
    X, y = _data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"], index=index)
    if isinstance(sampler, SMOTENC):
        df["cat"] = np.where(X[:, 0] > 0, "p", "q")
    if isinstance(sampler, SMOTEN):
        df = (df > 0).astype(str)
    return df, pd.Series(y, index=df.index, name="target")


def _expected_index(sampler, index, n_out):
    """Original labels first, then fresh integer labels after the largest (or, for a
    non-integer index, from its length); rows kept by a cleaner in their order."""
    def over(index, n_out):
        start = int(index.max()) + 1 if index.dtype.kind in "iu" else len(index)
        labels = np.r_[index.to_numpy(dtype=object), np.arange(start, start + n_out - len(index))]
        return pd.Index(labels.tolist(), name=index.name)

    if isinstance(sampler, (TomekLinks, EditedNearestNeighbours)):
        return index[sampler.sample_indices_]
    if isinstance(sampler, (SMOTETomek, SMOTEENN)):
        cleaner = sampler.tomek_ if isinstance(sampler, SMOTETomek) else sampler.enn_
        n_smote = len(sampler.smote_.fit_resample(*_named_frame(sampler, index))[0])
        return over(index, n_smote)[cleaner.sample_indices_]
    return over(index, n_out)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("index", [
    pd.Index(np.arange(300) * 3 + 1000, name="tx_id"),
    pd.RangeIndex(300, name="row"),
    pd.Index([f"r{i}" for i in range(300)], name="key"),
], ids=["int", "range", "str"])
def test_every_sampler_keeps_the_index_and_its_name(sampler, index):
    df, target = _named_frame(sampler, index)
    sampler = clone(sampler)
    X_res, y_res = sampler.fit_resample(df, target)
    want = _expected_index(sampler, index, len(X_res))
    pd.testing.assert_index_equal(X_res.index, want, exact=False, check_names=True)
    pd.testing.assert_index_equal(y_res.index, want, exact=False, check_names=True)
    assert X_res.index.is_unique and y_res.name == "target"


@pytest.mark.parametrize("sampler", [SMOTE(random_state=0), RandomOverSampler(random_state=0),
                                     SMOTETomek(random_state=0)],
                         ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("index", [
    pd.Index(np.arange(300) * 2.0, name="f"),                                  # whole floats
    pd.Index(np.arange(300, dtype=np.uint64) * 7 + np.uint64(2**63 + 11), name="u"),
    pd.Index(np.r_[np.arange(299, dtype=np.uint64), np.uint64(2**64 - 1)], name="u_top"),
    pd.Index(np.r_[np.arange(299), np.iinfo(np.int64).max], name="i_top"),    # int64 max
    pd.Index(np.r_[np.arange(299) * 3.0, 1e300], name="f_huge"),
    pd.Index(["a"] + list(range(1, 300)), dtype=object, name="mixed"),
], ids=["whole floats", "uint64 past 2**63", "uint64 max", "int64 max", "float 1e300",
        "object ints"])
def test_synthetic_labels_never_collide_or_overflow(sampler, index):
    # issue 13 item 15: whole-number float labels collided with the new ones, and
    # uint64 ids past 2**63 raised OverflowError
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abcd"), index=index)
    X_res, y_res = clone(sampler).fit_resample(df, pd.Series(y, index=index, name="t"))
    assert X_res.index.is_unique and X_res.index.name == index.name
    assert len(X_res) > 300 if not isinstance(sampler, SMOTETomek) else True
    original = X_res.index.isin(index)
    if not isinstance(sampler, SMOTETomek):  # the originals first, then only new labels
        assert original[:300].all() and not original[300:].any()
    pd.testing.assert_index_equal(y_res.index, X_res.index)
    if index.dtype.kind in "uf":
        assert X_res.index.dtype == index.dtype  # new labels in the index's own dtype


def test_new_labels_continue_after_the_largest_when_they_fit():
    from gpusmote._containers import resampled_index

    idx = pd.Index(np.array([2**63 + 5, 2**63 + 1], dtype=np.uint64), name="id")
    out = resampled_index(idx, 3)
    assert out.tolist() == [2**63 + 5, 2**63 + 1, 2**63 + 6, 2**63 + 7, 2**63 + 8]
    assert resampled_index(pd.Index([0.0, 2.5, 4.0]), 2).tolist() == [0.0, 2.5, 4.0, 5.0, 6.0]
    # no room after the maximum: the smallest free labels from len(index) up
    full = pd.Index(np.array([2**64 - 1, 3, 4], dtype=np.uint64))
    assert resampled_index(full, 3).tolist()[3:] == [5, 6, 7]


# -- issue 13 item 8: integer features ------------------------------------------------

def _int_data(dtype):
    X, y = _data()
    if dtype == np.bool_:
        return X > 0, y
    Xi = np.rint(X * 20).astype(dtype)
    if dtype == np.int64:
        Xi[:, 0] += 2**60  # exact only as int64: float64 would round these
    return Xi, y


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("cleaner", [TomekLinks(), EditedNearestNeighbours(),
                                     EditedNearestNeighbours(kind_sel="mode")],
                         ids=lambda s: f"{type(s).__name__}-{s.kind_sel}"
                         if hasattr(s, "kind_sel") else type(s).__name__)
def test_cleaners_give_the_callers_rows_in_its_dtype(backend, xp, cleaner, dtype):
    X, y = _int_data(dtype)
    if dtype == np.uint8:
        X = X - X.min(axis=0)  # wrap-free
    sampler = clone(cleaner).set_params(backend=backend)
    X_res, _y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    assert X_res.dtype == X.dtype and type(X_res) is type(xp.asarray(X))
    kept = to_numpy(sampler.sample_indices_)
    assert 0 < len(kept) < len(X)
    np.testing.assert_array_equal(to_numpy(X_res), X[kept])  # exact, 2**60 + k included


def test_cleaners_keep_lists_sparse_and_frames_exact():
    from scipy import sparse

    X, y = _int_data(np.int64)
    tl = TomekLinks()
    X_res, _ = tl.fit_resample(X.tolist(), y.tolist())
    assert X_res == X[tl.sample_indices_].tolist() and isinstance(X_res[0][0], int)
    X_res, _ = tl.fit_resample(sparse.csr_matrix(X), y)
    assert X_res.dtype == np.int64 and X_res.format == "csr"
    np.testing.assert_array_equal(X_res.toarray(), X[tl.sample_indices_])
    df = pd.DataFrame(X, columns=list("abcd"))
    df["d"] = df["d"].astype(np.int16)
    X_res, _ = tl.fit_resample(df, y)
    assert dict(X_res.dtypes) == dict(df.dtypes)
    pd.testing.assert_frame_equal(X_res, df.iloc[tl.sample_indices_])


OVER_SAMPLERS = [SMOTE(random_state=0), BorderlineSMOTE(random_state=0),
                 ADASYN(random_state=0), SMOTETomek(random_state=0), SMOTEENN(random_state=0),
                 RandomOverSampler(shrinkage=1.0, random_state=0)]


@pytest.mark.parametrize("sampler", OVER_SAMPLERS, ids=lambda s: type(s).__name__)
def test_over_samplers_give_integer_arrays_back_as_float64(sampler):
    """The rule (docstrings, README): interpolated or jittered rows are not
    integers, so integer (and boolean) arrays come back float64, the original
    rows' values unchanged; imbalanced-learn casts back to the input's dtype,
    truncating each synthetic value towards zero."""
    X, y = _int_data(np.int32)
    X_res, _y_res = clone(sampler).fit_resample(X, y)
    assert X_res.dtype == np.float64
    if not isinstance(sampler, (SMOTETomek, SMOTEENN)):
        np.testing.assert_array_equal(X_res[:len(X)], X)
        assert (X_res[len(X):] != np.round(X_res[len(X):])).any()  # not rounded
    X_res, _ = clone(sampler).fit_resample(X > 0, y)
    assert X_res.dtype == np.float64
    assert "float64" in " ".join(type(sampler).__doc__.split())  # the rule is documented


def test_plain_random_over_sampling_keeps_the_dtype():
    X, y = _int_data(np.int64)
    ros = RandomOverSampler(random_state=0)
    X_res, _ = ros.fit_resample(X, y)
    assert X_res.dtype == np.int64
    np.testing.assert_array_equal(X_res, X[ros.sample_indices_])


@pytest.mark.parametrize("sampler", [SMOTE(random_state=0), ADASYN(random_state=0),
                                     RandomOverSampler(shrinkage=1.0, random_state=0)],
                         ids=lambda s: type(s).__name__)
def test_dataframe_integer_columns_stay_integer_rounded_to_nearest(sampler):
    X, y = _int_data(np.int32)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["a"] = df["a"].astype(np.float64) / 7
    X_res, _ = clone(sampler).fit_resample(df, y)
    assert dict(X_res.dtypes) == dict(df.dtypes)
    pd.testing.assert_frame_equal(X_res.iloc[:len(df)], df)
    # the same sampler on the float array: integer columns are its values, rounded
    floats, _ = clone(sampler).fit_resample(df.to_numpy(dtype=np.float64), y)
    np.testing.assert_array_equal(X_res[["b", "c", "d"]].to_numpy(),
                                  np.rint(floats[:, 1:]).astype(np.int32))


@pytest.mark.parametrize("make", [lambda: SMOTE(random_state=0), lambda: TomekLinks(),
                                  lambda: BorderlineSMOTE(random_state=0)],
                         ids=["SMOTE", "TomekLinks", "BorderlineSMOTE"])
def test_column_names_are_remembered_and_forgotten_as_scikit_learn_does(make):
    # a DataFrame's names are kept; a later fit on a plain array drops them
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.8], random_state=0)
    sampler = make()
    sampler.fit_resample(pd.DataFrame(X, columns=list("abcd")), y)
    assert list(sampler.feature_names_in_) == list("abcd") and sampler.n_features_in_ == 4
    sampler.fit_resample(X[:, :3], y)
    assert not hasattr(sampler, "feature_names_in_") and sampler.n_features_in_ == 3
    # each class keeps its own parameter names (read once per class)
    assert sorted(sampler.get_params()) == sorted(clone(sampler).get_params())
    assert "kind" in BorderlineSMOTE().get_params() and "kind" not in SMOTE().get_params()
