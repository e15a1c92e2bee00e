"""The NumPy backend's host-memory helpers."""

import mmap

import numpy as np

import gpusmote.backends._numpy as numpy_backend
from gpusmote import SMOTE


def test_large_outputs_on_huge_pages_hold_the_same_rows(monkeypatch):
    taken = []
    original = numpy_backend.NumpyBackend.empty_output
    monkeypatch.setattr(numpy_backend.NumpyBackend, "empty_output", staticmethod(
        lambda shape, dtype: taken.append(shape) or original(shape, dtype)))
    X = np.random.default_rng(0).standard_normal((600, 7)).astype(np.float32)
    y = np.r_[np.zeros(500, int), np.ones(100, int)]
    expected = SMOTE(random_state=3, backend="numpy").fit_resample(X, y)[0]
    monkeypatch.setattr(numpy_backend, "_HUGE_PAGES_MIN_BYTES", 1024)
    monkeypatch.setattr(numpy_backend, "_COPY_CHUNK_BYTES", 700)  # many copy tasks
    got = SMOTE(random_state=3, backend="numpy").fit_resample(X, y)[0]
    assert got.flags.writeable and got.dtype == np.float32
    assert taken == [(1000, 7), (1000, 7)]
    np.testing.assert_array_equal(got, expected)


def test_empty_output_shape_and_dtype(monkeypatch):
    be = numpy_backend.NumpyBackend()
    monkeypatch.setattr(numpy_backend, "_HUGE_PAGES_MIN_BYTES", 1)
    out = be.empty_output((5, 3), np.float64)
    out[:] = 1.5
    assert out.shape == (5, 3) and out.dtype == np.float64 and out.sum() == 22.5
    owner = out
    while isinstance(owner, np.ndarray):
        owner = owner.base
    assert isinstance(owner, memoryview) and isinstance(owner.obj, mmap.mmap)  # not np.empty
