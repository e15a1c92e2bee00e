"""RandomOverSampler: copies (any dtype) and the smoothed bootstrap."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler as ImbRandomOverSampler
from scipy import sparse
from sklearn.datasets import make_classification

from gpusmote import RandomOverSampler
from tests._helpers import to_numpy


def _data(n=500, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.7, 0.2, 0.1], n_classes=3, n_clusters_per_class=1,
                               random_state=0)
    return X.astype(dtype), y


@pytest.mark.parametrize("strategy", ["auto", "minority", "not majority", "all",
                                      {1: 200, 2: 90}])
def test_copies_match_sample_indices_and_counts_equal_imblearn(backend, xp, strategy):
    X, y = _data()
    sampler = RandomOverSampler(sampling_strategy=strategy, random_state=0, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    idx = sampler.sample_indices_
    np.testing.assert_array_equal(X_res, X[idx])
    np.testing.assert_array_equal(y_res, y[idx])
    np.testing.assert_array_equal(idx[:len(X)], np.arange(len(X)))
    theirs = ImbRandomOverSampler(sampling_strategy=strategy, random_state=0)
    assert Counter(y_res.tolist()) == Counter(theirs.fit_resample(X, y)[1].tolist())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smoothed_bootstrap_noise_scale(backend, xp, dtype):
    X, y = _data(n=3000, dtype=dtype)
    sampler = RandomOverSampler(shrinkage=2.0, random_state=0, backend=backend)
    X_res = to_numpy(sampler.fit_resample(xp.asarray(X), xp.asarray(y))[0])
    assert X_res.dtype == dtype
    idx = sampler.sample_indices_
    n, d = X.shape
    h = (4 / ((d + 2) * n)) ** (1 / (d + 4))
    for label, n_new in sampler.sampling_strategy_.items():
        if n_new < 500:
            continue
        new = np.flatnonzero(y[idx] == label)
        new = new[new >= n]
        noise = (X_res[new] - X[idx[new]]) / (2.0 * h * X[y == label].std(axis=0))
        np.testing.assert_allclose(noise.std(axis=0), 1.0, atol=0.1)
        np.testing.assert_allclose(noise.mean(axis=0), 0.0, atol=0.1)


def test_zero_shrinkage_is_plain_copies_and_dict_shrinkage():
    X, y = _data()
    s0 = RandomOverSampler(shrinkage=0.0, random_state=0)
    np.testing.assert_array_equal(s0.fit_resample(X, y)[0], X[s0.sample_indices_])
    sd = RandomOverSampler(shrinkage={1: 1.0, 2: 0.0}, random_state=0)
    X_res = sd.fit_resample(X, y)[0]
    new2 = np.flatnonzero(y[sd.sample_indices_] == 2)
    np.testing.assert_array_equal(X_res[new2], X[sd.sample_indices_[new2]])
    assert sd.shrinkage_ == {1: 1.0, 2: 0.0}


def test_strings_nan_and_dataframes_are_copied_as_they_are():
    df = pd.DataFrame({"a": ["x", "y", "z"] * 20, "b": np.r_[np.nan, np.arange(59.0)],
                       "c": pd.Categorical(["p", "q"] * 30)},
                      index=np.arange(100, 160))
    y = pd.Series([0] * 50 + [1] * 10, index=df.index, name="t")
    sampler = RandomOverSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(df, y)
    assert list(X_res.dtypes) == list(df.dtypes)
    assert Counter(y_res.tolist()) == {0: 50, 1: 50}
    assert list(X_res.index[:60]) == list(df.index)
    pd.testing.assert_frame_equal(X_res.reset_index(drop=True),
                                  df.iloc[sampler.sample_indices_].reset_index(drop=True))


def test_sparse_in_sparse_out():
    X, y = _data()
    X_sp = sparse.csr_matrix(X)
    sampler = RandomOverSampler(random_state=0)
    X_res = sampler.fit_resample(X_sp, y)[0]
    assert sparse.issparse(X_res) and X_res.format == "csr"
    np.testing.assert_array_equal(X_res.toarray(), X[sampler.sample_indices_])
    X_res = RandomOverSampler(shrinkage=1.0, random_state=0).fit_resample(X_sp, y)[0]
    assert sparse.issparse(X_res) and X_res.shape[0] == len(sampler.sample_indices_)


@pytest.mark.parametrize("params, X_kind, error, match", [
    ({"shrinkage": -1.0}, "num", ValueError, "'shrinkage' parameter of RandomOverSampler"),
    ({"shrinkage": {1: 1.0}}, "num", ValueError,
     (r"shrinkage should contain a shrinkage factor for each class.*missing classes are: "
     r"\[2\]")),
    ({"shrinkage": {1: 1.0, 2: -0.5}}, "num", ValueError,
     "The shrinkage factor needs to be >= 0. Got -0.5 for class 2"),
    ({"shrinkage": 1.0}, "str", TypeError,
     "shrinkage is not None, X needs to contain only finite numerical data"),
    ({"shrinkage": 1.0}, "nan", ValueError, "X has NaN or infinity"),
    ({}, "1d", ValueError, "X must be 2-D"),
])
def test_bad_input(params, X_kind, error, match):
    X, y = _data()
    if X_kind == "str":
        X = X.astype(str).astype(object)
        X[0, 0] = "abc"
    elif X_kind == "nan":
        X[3, 1] = np.nan
    elif X_kind == "1d":
        X = X[:, 0]
    with pytest.raises(error, match=match):
        RandomOverSampler(**params).fit_resample(X, y)


@pytest.mark.parametrize("dtype, value, shrinkage", [(np.float64, 1.5e308, 10.0),
                                                     (np.float32, 3.3e38, 1.0)])
@pytest.mark.parametrize("container", ["numpy", "frame", "csr"])
def test_smoothed_bootstrap_that_would_overflow_is_refused(backend, xp, dtype, value,
                                                           shrinkage, container):
    # issue 13 item 19: shrinkage near the float maximum gave inf rows
    if container != "numpy" and backend != "numpy":
        pytest.skip("host containers")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3)).astype(dtype)
    y = np.r_[[0] * 45, [1] * 15]
    X[45:, 2] = (rng.uniform(0.9, 1.0, 15) * value).astype(dtype)
    X_in = {"numpy": lambda: xp.asarray(X),
            "frame": lambda: pd.DataFrame(X, columns=["a", "b", "c"]),
            "csr": lambda: sparse.csr_matrix(X)}[container]()
    name = "'c'" if container == "frame" else "2"
    with pytest.raises(ValueError, match=rf"RandomOverSampler: column {name} of class 1 holds "
                       rf"values up to .*smoothed bootstrap would overflow "
                       rf"{np.dtype(dtype).name}.*shrinkage=None"):
        RandomOverSampler(shrinkage=shrinkage, random_state=0, backend=backend).fit_resample(
            X_in, xp.asarray(y) if container == "numpy" else y)
    # plain copies and a small enough shrinkage are fine
    X_res, _ = RandomOverSampler(random_state=0, backend=backend).fit_resample(
        xp.asarray(X), xp.asarray(y))
    assert np.isfinite(to_numpy(X_res)).all()
    X[45:, 2] /= 1e6
    X_res, _ = RandomOverSampler(shrinkage=1.0, random_state=0, backend=backend).fit_resample(
        xp.asarray(X), xp.asarray(y))
    assert np.isfinite(to_numpy(X_res)).all()


def test_spread_of_values_near_the_float64_maximum_does_not_overflow():
    # imbalanced-learn squares the values for the std: inf noise, inf rows; the
    # std is taken on the column scaled by its largest magnitude here
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = np.r_[[0] * 45, [1] * 15]
    X[45:, 2] = rng.uniform(0.9, 1.0, 15) * 1.5e308
    with np.errstate(all="ignore"):
        X_imb, _ = ImbRandomOverSampler(shrinkage=1.0, random_state=0).fit_resample(X, y)
    assert not np.isfinite(X_imb).all()
    X_res, _ = RandomOverSampler(shrinkage=1.0, random_state=0).fit_resample(X, y)
    assert np.isfinite(X_res).all()
    np.testing.assert_allclose(np.std(X_res[45:60, 2] / 1e308), np.std(X[45:, 2] / 1e308))
