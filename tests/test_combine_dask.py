"""SMOTETomek and SMOTEENN on Dask collections (issue 14): each step runs on Dask,
and the result equals the in-memory sampler's."""

from __future__ import annotations

import numpy as np
import pytest

from gpusmote import SMOTEENN, SMOTETomek

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")
pd = pytest.importorskip("pandas")


def _data(n=2400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(np.int64)
    X = rng.normal(size=(n, 4))
    X[y == 1] += 1.0
    return X, y


@pytest.mark.parametrize("cls", [SMOTETomek, SMOTEENN])
@pytest.mark.parametrize("chunks", [600, 1000])
def test_arrays_equal_the_in_memory_result_with_provenance(cls, chunks):
    X, y = _data()
    memory = cls(random_state=0)
    X_mem, y_mem = memory.fit_resample(X, y)
    sampler = cls(random_state=0)
    with dask.config.set(scheduler="sync"):
        X_res, y_res = sampler.fit_resample(da.from_array(X, chunks=chunks),
                                            da.from_array(y, chunks=chunks))
        assert isinstance(X_res, da.Array) and isinstance(y_res, da.Array)
        np.testing.assert_array_equal(X_res.compute(), X_mem)
        np.testing.assert_array_equal(y_res.compute(), y_mem)
        for name in ("synthetic_parents_", "synthetic_steps_", "synthetic_mask_"):
            np.testing.assert_array_equal(getattr(sampler, name), getattr(memory, name))
        np.testing.assert_array_equal(np.asarray(sampler.sample_indices_),
                                      memory.sample_indices_)
    assert sampler.backend_ == "numpy"


@pytest.mark.parametrize("cls", [SMOTETomek, SMOTEENN])
def test_dataframes_equal_the_in_memory_result(cls):
    X, y = _data(seed=1)
    frame = pd.DataFrame(X, columns=["amount", "age", "score", "hour"])
    labels = pd.Series(y, name="is_fraud")
    X_mem, y_mem = cls(random_state=0).fit_resample(frame, labels)
    with dask.config.set(scheduler="sync"):
        X_res, y_res = cls(random_state=0).fit_resample(dd.from_pandas(frame, npartitions=3),
                                                        dd.from_pandas(labels, npartitions=3))
        got_X, got_y = X_res.compute(), y_res.compute()
    np.testing.assert_array_equal(got_X.to_numpy(), X_mem.to_numpy())
    assert list(got_X.columns) == list(X_mem.columns)
    np.testing.assert_array_equal(got_y.to_numpy(), y_mem.to_numpy())


def test_dataframe_provenance():
    X, y = _data(seed=2)
    frame, labels = pd.DataFrame(X), pd.Series(y)
    memory = SMOTETomek(random_state=0)
    memory.fit_resample(frame, labels)
    sampler = SMOTETomek(random_state=0)
    with dask.config.set(scheduler="sync"):
        sampler.fit_resample(dd.from_pandas(frame, npartitions=3),
                             dd.from_pandas(labels, npartitions=3))
        for name in ("synthetic_parents_", "synthetic_steps_", "synthetic_mask_"):
            np.testing.assert_array_equal(getattr(sampler, name), getattr(memory, name))
        np.testing.assert_array_equal(np.asarray(sampler.sample_indices_),
                                      memory.sample_indices_)
