"""What crosses between host and device on the CuPy path (issue 10), counted by
the CuPy stand-in (every upload and download it sees, with its bytes).

* CuPy input: the class counts, a few scalars and per-feature summaries come
  to the host, nothing of X or y: the bytes downloaded do not grow with the
  number of rows.
* NumPy input with backend="cupy": X goes up once and the result comes down
  once; the rest is small (index arrays and the host-side result attributes).
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from gpusmote import ADASYN, SMOTE, SMOTEENN, BorderlineSMOTE, SMOTETomek
from gpusmote.backends import _cupy
from tests import _fake_cupy

SAMPLERS = {
    "SMOTE": lambda: SMOTE(random_state=0, backend="cupy"),
    "BorderlineSMOTE-1": lambda: BorderlineSMOTE(random_state=0, backend="cupy"),
    "BorderlineSMOTE-2": lambda: BorderlineSMOTE(kind="borderline-2", random_state=0,
                                                 backend="cupy"),
    "ADASYN": lambda: ADASYN(random_state=0, backend="cupy"),
    "SMOTEENN": lambda: SMOTEENN(random_state=0, backend="cupy"),
    "SMOTETomek": lambda: SMOTETomek(random_state=0, backend="cupy"),
}


def _data(n, n_classes=2):
    weights = [0.8, 0.2] if n_classes == 2 else [0.6, 0.25, 0.15]
    return make_classification(n_samples=n, n_features=8, n_informative=4,
                               n_classes=n_classes, weights=weights, class_sep=0.5,
                               random_state=0)


def _moved(cp, direction):
    return _fake_cupy.transferred(direction)


@pytest.fixture
def cp(monkeypatch):
    return _fake_cupy.install(monkeypatch)


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_cupy_input_downloads_only_class_counts(cp, name, n_classes):
    downloaded = {}
    for n in (300, 900):
        X, y = _data(n, n_classes)
        X_dev, y_dev = cp.asarray(X), cp.asarray(y)
        cp.transfers.clear()
        X_res, y_res = SAMPLERS[name]().fit_resample(X_dev, y_dev)
        assert isinstance(X_res, cp.ndarray) and isinstance(y_res, cp.ndarray)
        down, up = _moved(cp, "d2h"), _moved(cp, "h2d")
        # the largest downloads are the class counts (8 bytes a class) and each
        # search's summaries of the features (its frame, 4 x d float64, and the
        # d x d second moments its dominant direction is found from); nothing
        # of X (64 bytes a row) or y; the rest are scalars
        d = X.shape[1]
        per_search = 8 * d * d + 32 * d
        assert max(down) <= max(8 * n_classes, 8 * d * d), cp.transfers
        assert sum(down) <= 128 * n_classes + 2 * n_classes * per_search, cp.transfers
        # nothing of X or y goes back up (y_res is filled on the device)
        assert max(up, default=0) < y.nbytes // 2, cp.transfers
        downloaded[n] = sum(down)
    # O(number of classes): three times the rows, the same bytes
    assert downloaded[300] == downloaded[900]


@pytest.mark.parametrize("name", SAMPLERS)
def test_host_input_uploads_X_once_and_downloads_the_result_once(cp, name):
    X, y = _data(1800)
    cp.transfers.clear()
    sampler = SAMPLERS[name]()
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)
    up, down = _moved(cp, "h2d"), _moved(cp, "d2h")
    assert up.count(X.nbytes) == 1 and down.count(X_res.nbytes) == 1, cp.transfers
    # everything else: row indices up, small results (kept indices, rows in
    # danger) down; never X again, never a resampled X or y
    assert sorted(up)[-2] < y.nbytes // 2, cp.transfers
    # (the cleaners' sample_indices_: one index per row SMOTE gave, < 2 n rows)
    assert sum(down) - X_res.nbytes <= 2 * y.nbytes + 256, cp.transfers


def test_large_host_X_goes_up_and_the_result_comes_down_in_pinned_chunks_once(cp, monkeypatch):
    """Past the pinned threshold X is staged chunk by chunk through pinned
    memory, and the result comes back the same way: the chunks add up to X
    once up and the result once down, nothing else of that size moves, and
    the result is the plain path's, bit for bit."""
    X, y = _data(1800)
    want, _ = SMOTE(random_state=0, backend="cupy").fit_resample(X, y)  # plain copies
    monkeypatch.setattr(_cupy, "_PINNED_MIN_BYTES", 8192)  # X, not the row indices
    monkeypatch.setattr(_cupy, "_PINNED_CHUNK_BYTES", 4096)
    cp.transfers.clear()
    sampler = SMOTE(random_state=0, backend="cupy")
    X_res, _ = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, want)
    staged = [n for d, n, what in cp.transfers if d == "h2d" and what == "set"]
    assert len(staged) == -(-X.nbytes // 4096) and sum(staged) == X.nbytes
    assert cp.pinned_uploads == staged  # every chunk from pinned memory
    # the result only: the provenance (base_indices_ among it) stays on the
    # device until it is read
    drained = [n for d, n, what in cp.transfers if d == "d2h" and what == "get pinned"]
    assert sum(drained) == X_res.nbytes
    assert len(drained) == -(-X_res.nbytes // 4096)
    # nothing else of X's or the result's size, in either direction
    others = [n for d, n, what in cp.transfers if what not in ("set", "get pinned")]
    assert max(others) < 8192, cp.transfers
    assert all(n == 4096 for n in cp.pinned_allocations)  # two per copy, no more
    assert len(cp.pinned_allocations) == 4  # X up; the result down
    base = sampler.base_indices_  # read: now it comes down, as NumPy (X was)
    assert isinstance(base, np.ndarray) and base.shape == (len(X_res) - len(X),)


def _deferred_copies(monkeypatch):
    """Run the copy threads' parts only when their result is asked for (as late
    as a slow thread could): a buffer reused before its parts were waited for
    then gives a wrong copy, every time."""
    real = _cupy._submit_copy
    log = []

    class Deferred:
        def __init__(self, fn):
            self.fn, self.done = fn, False

        def result(self):
            if not self.done:
                self.fn()
                self.done = True

    def submit(dst, src, wait=None):
        futures = []

        def run(a, z):
            if wait is not None:
                wait.synchronize()
            dst[a:z] = src[a:z]

        for a, z in _cupy._split(src.size):
            futures.append(Deferred(lambda a=a, z=z: run(a, z)))
        log.append(len(futures))
        return futures

    monkeypatch.setattr(_cupy, "_submit_copy", submit)
    assert real is not submit
    return log


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("deferred", [False, True])
@pytest.mark.parametrize("shape, dtype", [((5000, 3), np.float64),   # 29 chunks, ragged
                                          ((1024,), np.float32),     # exactly one chunk
                                          ((1025,), np.int64),       # two, the last of 1
                                          ((7, 0), np.float32)])     # nothing to copy
def test_pinned_upload_and_download_round_trip(cp, monkeypatch, threads, deferred, shape, dtype):
    """The pinned paths on their own: several copy threads, double buffering
    (the stand-in's stream copies are asynchronous, so a buffer reused before
    its copy ended would corrupt a chunk), any size, into a fresh NumPy array."""
    monkeypatch.setattr(_cupy, "_PINNED_MIN_BYTES", 0)
    monkeypatch.setattr(_cupy, "_PINNED_CHUNK_BYTES", 4096)
    monkeypatch.setattr(_cupy, "_HOST_COPY_THREADS", threads)
    monkeypatch.setattr(_cupy, "_COPY_POOL", None)
    if deferred:
        parts = _deferred_copies(monkeypatch)
    be = _cupy.CupyBackend()
    host = (np.arange(int(np.prod(shape))) * 7 % 1000).astype(dtype).reshape(shape)
    cp.transfers.clear()
    dev = be.asarray(host)
    np.testing.assert_array_equal(dev.get(), host)
    back = be.to_numpy(dev)
    assert type(back) is np.ndarray and back.dtype == dtype and back.shape == shape
    assert back.flags.c_contiguous and back.flags.writeable
    assert not _fake_cupy._is_pinned(back)  # the result owns its memory: no staging view
    np.testing.assert_array_equal(back, host)
    chunks = -(-host.nbytes // 4096)
    assert len(cp.pinned_allocations) == 2 * min(2, chunks)
    if host.size:
        assert sum(cp.pinned_uploads) == host.nbytes and len(cp.pinned_uploads) == chunks
        down = [n for d, n, w in cp.transfers if w == "get pinned"]
        assert sum(down) == host.nbytes and len(down) == chunks
    if deferred and min(host.size, 4096 // host.itemsize) >= 128 * threads:
        assert max(parts) == threads  # a chunk is split over the threads


def test_small_arrays_take_the_plain_path(cp):
    be = _cupy.CupyBackend()
    host = np.arange(1000.0)
    cp.transfers.clear()
    back = be.to_numpy(be.asarray(host))
    np.testing.assert_array_equal(back, host)
    assert [w for _, _, w in cp.transfers] == ["asarray", "get"]
    assert cp.pinned_allocations == []


def test_get_out_is_as_strict_as_cupys(cp):
    a = cp.asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        a.get(out=[0] * 6)
    with pytest.raises(TypeError, match="cannot be obtained"):
        a.get(out=np.empty((2, 3), np.float32))
    with pytest.raises(ValueError, match="Shape mismatch"):
        a.get(out=np.empty(6))
    with pytest.raises(RuntimeError, match="non-contiguous"):
        a.get(out=np.empty((2, 6))[:, ::2])
    with pytest.raises(TypeError, match="Stream"):
        a.get(stream=0)
    out = np.empty((2, 3))
    assert a.get(out=out) is out
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3))


def test_stream_copies_through_pinned_memory_are_asynchronous(cp):
    """The stand-in's model of a device: a pinned copy queued on a stream lands
    when an event after it is waited for, not before."""
    stream = cp.cuda.get_current_stream()
    mem = cp.cuda.alloc_pinned_memory(32)
    pinned = np.frombuffer(mem, dtype=np.float64, count=4)
    dev = cp.zeros(4)
    pinned[...] = 1.0
    dev.set(pinned, stream=stream)
    done = stream.record()
    pinned[...] = 2.0  # too early: the copy has not run
    done.synchronize()
    np.testing.assert_array_equal(dev.get(), np.full(4, 2.0))
    dev.get(stream=stream, out=pinned)
    assert (pinned == 2.0).all()
    dev[...] = 3.0
    stream.record().synchronize()  # the queued download ran after the change
    assert (pinned == 3.0).all()


def test_one_counter_based_generator_with_few_states_per_fit(cp):
    """The device draws come from one Philox generator (counter-based: no
    per-state skip-ahead at init) of a small, fixed state count."""
    X, y = _data(600)
    SMOTE(random_state=0, backend="cupy").fit_resample(cp.asarray(X), cp.asarray(y))
    assert [g.size for g in cp.bit_generators] == [_cupy._RNG_STATES]
    assert _cupy._RNG_STATES <= 1 << 16
