"""Dask arrays of CuPy chunks (issue 14): every task runs on the chunks' backend
and the result equals the in-memory CuPy sampler's, block by block, the new
blocks on the device too. On the CuPy stand-in (``tests/_fake_cupy``, which
lives in this process: the synchronous scheduler) everywhere, and on a real
CuPy with the threaded scheduler where a GPU is usable."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import gpusmote

SAMPLERS = [("SMOTE", {}), ("BorderlineSMOTE", {"kind": "borderline-1"}),
            ("BorderlineSMOTE", {"kind": "borderline-2"}), ("ADASYN", {}),
            ("RandomOverSampler", {})]


@pytest.mark.parametrize("name, kw", SAMPLERS,
                         ids=["smote", "borderline-1", "borderline-2", "adasyn", "random"])
def test_cupy_chunks_equal_the_in_memory_cupy_result(cupy_module, name, kw):
    cp = cupy_module
    rng = np.random.default_rng(0)
    X = rng.normal(size=(360, 3))
    y = (rng.random(360) < 0.2).astype(np.int64) + (rng.random(360) < 0.1)
    Xd = da.from_array(X, chunks=(90, 3)).map_blocks(cp.asarray, meta=cp.empty((0, 0)))
    yd = da.from_array(y, chunks=90).map_blocks(cp.asarray,
                                                meta=cp.empty((0,), dtype=np.int64))
    ref = getattr(gpusmote, name)(random_state=0, backend="cupy", **kw)
    X_ref, y_ref = ref.fit_resample(cp.asarray(X), cp.asarray(y))
    ours = getattr(gpusmote, name)(random_state=0, **kw)
    scheduler = "sync" if getattr(cp, "FAKE", False) else "threads"
    with dask.config.set(scheduler=scheduler):
        X_res, y_res = ours.fit_resample(Xd, yd)
        assert ours.backend_ == "cupy"
        assert isinstance(X_res._meta, cp.ndarray)
        x_blocks = [b.compute() for b in X_res.blocks]
        y_blocks = [b.compute() for b in y_res.blocks]
    assert all(isinstance(b, cp.ndarray) for b in x_blocks + y_blocks)
    np.testing.assert_array_equal(np.concatenate([b.get() for b in x_blocks]), X_ref.get())
    np.testing.assert_array_equal(np.concatenate([b.get() for b in y_blocks]), y_ref.get())
    parents = ours.synthetic_parents_
    assert isinstance(parents, np.ndarray)  # provenance on the host, documented
    np.testing.assert_array_equal(parents, ref.synthetic_parents_.get()
                                  if hasattr(ref.synthetic_parents_, "get")
                                  else ref.synthetic_parents_)


def test_smotenc_on_cupy_chunks_equals_the_in_memory_cupy_result(cupy_module):
    """SMOTENC on CuPy chunks, column 2 holding category codes: the new blocks on
    the device, equal to the in-memory CuPy SMOTENC."""
    cp = cupy_module
    rng = np.random.default_rng(1)
    X = rng.normal(size=(360, 4))
    X[:, 2] = rng.integers(0, 4, size=360)
    y = (rng.random(360) < 0.2).astype(np.int64) + (rng.random(360) < 0.1)
    Xd = da.from_array(X, chunks=(90, 4)).map_blocks(cp.asarray, meta=cp.empty((0, 0)))
    yd = da.from_array(y, chunks=90).map_blocks(cp.asarray,
                                                meta=cp.empty((0,), dtype=np.int64))
    ref = gpusmote.SMOTENC(categorical_features=[2], random_state=0, backend="cupy")
    X_ref, y_ref = ref.fit_resample(cp.asarray(X), cp.asarray(y))
    ours = gpusmote.SMOTENC(categorical_features=[2], random_state=0)
    scheduler = "sync" if getattr(cp, "FAKE", False) else "threads"
    with dask.config.set(scheduler=scheduler):
        X_res, y_res = ours.fit_resample(Xd, yd)
        x_blocks = [b.compute() for b in X_res.blocks]
        y_blocks = [b.compute() for b in y_res.blocks]
    assert all(isinstance(b, cp.ndarray) for b in x_blocks + y_blocks)
    np.testing.assert_array_equal(np.concatenate([b.get() for b in x_blocks]), X_ref.get())
    np.testing.assert_array_equal(np.concatenate([b.get() for b in y_blocks]), y_ref.get())


@pytest.mark.gpu
def test_cupy_chunks_on_a_local_cluster_of_worker_processes(gpu):
    """What ``dask_cuda.LocalCUDACluster`` gives a user, without its extras: a
    worker process holding the GPU, CuPy chunks sent to it and back through
    distributed's CuPy serialisation; the result equals the in-memory CuPy SMOTE."""
    distributed = pytest.importorskip("distributed")
    import cupy as cp

    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 4)).astype(np.float32)
    y = (rng.random(2000) < 0.1).astype(np.int64)
    ref = gpusmote.SMOTE(random_state=0, backend="cupy")
    X_ref, y_ref = ref.fit_resample(cp.asarray(X), cp.asarray(y))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        Xd = client.persist(da.from_array(X, chunks=(500, 4)).map_blocks(
            cp.asarray, meta=cp.empty((0, 0), dtype=np.float32)))
        yd = client.persist(da.from_array(y, chunks=500).map_blocks(
            cp.asarray, meta=cp.empty((0,), dtype=np.int64)))
        ours = gpusmote.SMOTE(random_state=0)
        X_res, y_res = ours.fit_resample(Xd, yd)
        assert ours.backend_ == "cupy"
        x_blocks, y_blocks = client.compute([list(X_res.blocks), list(y_res.blocks)],
                                            sync=True)
    assert all(isinstance(b, cp.ndarray) for b in x_blocks + y_blocks)
    np.testing.assert_array_equal(cp.concatenate(x_blocks).get(), X_ref.get())
    np.testing.assert_array_equal(cp.concatenate(y_blocks).get(), y_ref.get())
