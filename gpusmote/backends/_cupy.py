"""CuPy backend: the GPU path.

The same protocol as ``NumpyBackend`` (whose methods are the reference each
kernel is tested against), with what differs on a device:

* blocks are large (one block at a time fills the GPU) and sized from the
  device's free memory, capped by the caller's budget;
* the top-k selection and the interpolation are the CUDA kernels of
  ``_kernels.py``; cuBLAS does the GEMM through ``@``;
* host arrays are moved in pinned, double-buffered chunks;
* device out-of-memory errors are exposed as ``oom_errors`` so that the
  blocked loops can halve their blocks and retry (``neighbors._shrink_on_oom``).

CuPy is imported when a ``CupyBackend`` is made, never at package import.
Nothing here runs without a CUDA device, hence the coverage pragmas.
"""

from __future__ import annotations

import contextlib

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

import numpy as np

from . import _kernels

# Host arrays smaller than this go through one plain cupy.asarray (or .get()):
# staging buys nothing below a few milliseconds of copy.
_PINNED_MIN_BYTES = 8 << 20
# Each of the two pinned staging buffers; large enough to reach full PCIe
# bandwidth, small enough to keep pinned (unswappable) memory modest.
_PINNED_CHUNK_BYTES = 32 << 20
# Host threads that copy between pageable arrays and a pinned buffer: one
# thread's memcpy (~5-10 GB/s) is slower than PCIe 4/5 (25-50 GB/s); NumPy's
# copy releases the GIL, so a chunk split over a few threads keeps up.
_HOST_COPY_THREADS = max(1, min(4, os.cpu_count() or 1))
# Distance blocks: wide enough that one cuBLAS call and one top-k launch
# amortise their overheads, tall enough to give every SM many row blocks.
_MAX_BLOCK_COLS = 1 << 15
_MIN_BLOCK_ROWS = 2048
_MIN_BLOCK_COLS = 1024
# cuRAND states of the generator: enough threads to fill a device, few enough
# that their initialisation is negligible next to one fit_resample
_RNG_STATES = 1 << 16


class DeviceTopK:  # pragma: no cover - needs a GPU
    """Running best-``m`` of a block of query rows, on the device, sorted best first."""

    def __init__(self, cupy, n_rows: int, m: int, dtype):
        self.m = m
        self.score = cupy.full((n_rows, m), -cupy.inf, dtype=dtype)
        self.index = cupy.full((n_rows, m), -1, dtype=cupy.int64)
        self.bucket = _kernels.k_bucket(m)


class DeviceRandom:  # pragma: no cover - needs a GPU
    """``random`` and ``standard_normal`` of a ``cupy.random.Generator``, with
    uniforms on NumPy's grid.

    CuPy's float64 ``Generator.random`` is one float32 cuRAND draw widened,
    so ``floor(u * n)`` could never pick some rows once n passes 2**24 (and
    would pick others twice as often). Uniforms are built here from exact
    integers instead, as NumPy builds them: 53 random bits times 2**-53 for
    float64, 24 bits times 2**-24 for float32, so every value is in [0, 1).
    """

    def __init__(self, generator):
        self._gen = generator

    def random(self, size=None, dtype=np.float64):
        dtype = np.dtype(dtype)
        bits = {np.dtype(np.float64): 53, np.dtype(np.float32): 24}.get(dtype)
        if bits is None:
            raise TypeError(f"uniforms are float32 or float64, got {dtype}")
        ints = self._gen.integers(0, 1 << bits, size=size, dtype=np.int64)
        return ints.astype(dtype) * dtype.type(2.0 ** -bits)

    def standard_normal(self, size=None, dtype=np.float64):
        return self._gen.standard_normal(size, dtype=dtype)


# -- host <-> pinned copies, split over a few host threads ----------------------

_POOL_LOCK = threading.Lock()
_COPY_POOL: ThreadPoolExecutor | None = None


def _copy_pool() -> ThreadPoolExecutor:
    """The host threads of the staging copies (made on first use, kept)."""
    global _COPY_POOL
    with _POOL_LOCK:
        if _COPY_POOL is None:
            _COPY_POOL = ThreadPoolExecutor(_HOST_COPY_THREADS,
                                            thread_name_prefix="gpusmote-copy")
        return _COPY_POOL


def _split(n: int) -> list[tuple[int, int]]:
    """(start, stop) of each copy thread's share of n elements (no share under
    128 elements; shares a multiple of 64 elements, the last ragged)."""
    if n <= 0:
        return []
    parts = max(1, min(_HOST_COPY_THREADS, n // 128))
    step = -(-n // parts)
    step = -(-step // 64) * 64
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def _submit_copy(dst: np.ndarray, src: np.ndarray, wait=None) -> list:
    """Queue ``dst[...] = src`` (1-D, same length) on the copy threads in parts;
    each part first waits for ``wait`` (a CUDA event) when given."""

    def part(a: int, z: int) -> None:
        if wait is not None:
            wait.synchronize()
        dst[a:z] = src[a:z]

    pool = _copy_pool()
    return [pool.submit(part, a, z) for a, z in _split(src.size)]


def _host_copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` over the copy threads; returns when every part is done."""
    for f in _submit_copy(dst, src):
        f.result()


def _pinned_chunks(cp, dtype, n: int) -> list[tuple[int, int, int, np.ndarray]]:
    """``(buffer number, start, stop, staging view)`` for each chunk of an
    n-element copy, the chunks taking up to two pinned buffers in turn (one
    when n fits in one). The caller waits for a buffer's previous chunk to
    leave it before reusing it. A list, not a generator: the caller holds it,
    and with it both buffers, until its last asynchronous copy is done."""
    dtype = np.dtype(dtype)
    chunk = max(1, _PINNED_CHUNK_BYTES // dtype.itemsize)
    buffers = []
    for _ in range(min(2, -(-n // chunk))):
        mem = cp.cuda.alloc_pinned_memory(chunk * dtype.itemsize)
        buffers.append(np.frombuffer(mem, dtype=dtype, count=chunk))
    chunks = []
    for i, start in enumerate(range(0, n, chunk)):
        b = i % len(buffers)
        stop = min(start + chunk, n)
        chunks.append((b, start, stop, buffers[b][:stop - start]))
    return chunks


def download(x) -> np.ndarray:  # pragma: no cover - needs a GPU (the stand-in runs it)
    """A host copy of device array ``x``.

    Small arrays come back in one plain ``.get()``. From ``_PINNED_MIN_BYTES``
    on, the copy goes through two pinned buffers in turn into a preallocated
    NumPy array: the device->pinned copy of one chunk is queued on the current
    stream while host threads move the previous chunk from the other pinned
    buffer to its place in the result (each thread first waits for that
    chunk's copy to end, on its event).
    """
    import cupy as cp

    if x.nbytes < _PINNED_MIN_BYTES or x.size == 0:
        return x.get()
    x = cp.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    src, dst = x.reshape(-1), out.reshape(-1)
    stream = cp.cuda.get_current_stream()
    draining: dict[int, list] = {}
    chunks = _pinned_chunks(cp, x.dtype, src.size)
    for b, start, stop, staged in chunks:
        for f in draining.get(b, ()):
            f.result()  # the buffer's previous chunk is in ``out``: it may be overwritten
        # queued on the stream (after the work that made x); CuPy >= 13 may
        # also wait for it here, which only costs the overlap, not correctness
        src[start:stop].get(stream=stream, out=staged)
        landed = stream.record()
        draining[b] = _submit_copy(dst[start:stop], staged, wait=landed)
    for futures in draining.values():
        for f in futures:
            f.result()
    return out


class CupyBackend:  # pragma: no cover - needs a GPU
    """Device arrays, cuBLAS GEMM, CUDA top-k and interpolation kernels."""

    name = "cupy"
    # the top-k kernel subtracts |r|^2/2 as it reads G, at no extra pass; a
    # folded GEMM column would also be rounded to TF32 under CUPY_TF32=1
    folds_norms = False
    # no column-wise top-k kernel: every self-search computes its full square
    symmetric_self_search = False
    # recentred blocks keep the usual shape (the NumPy backend narrows them)
    recentred_block = None
    # exact refinement chunks: the GPU wants large batches, not cache-sized ones
    refine_bytes = 64 << 20
    refine_candidates_bytes = refine_bytes

    def __init__(self):
        import cupy

        self.xp = cupy
        self.oom_errors = (cupy.cuda.memory.OutOfMemoryError,)
        # CUPY_TF32=1 lets cuBLAS round GEMM inputs to 10-bit mantissas; the
        # certification bound of the neighbour search must then use TF32's epsilon.
        self.gemm_eps = 2.0**-10 if os.environ.get("CUPY_TF32", "0") == "1" else float(
            np.finfo(np.float32).eps)

    # -- arrays and memory -------------------------------------------------
    def asarray(self, x: Any, dtype=None):
        """A device array; host input is copied once, through pinned memory when large."""
        cp = self.xp
        if isinstance(x, cp.ndarray):
            return x if dtype is None else x.astype(dtype, copy=False)
        host = np.asarray(x, dtype=dtype)
        if host.nbytes < _PINNED_MIN_BYTES or host.dtype == object:
            return cp.asarray(host)
        return self._upload(host)

    def _upload(self, host: np.ndarray):
        """Copy a large host array to the device in pinned, double-buffered chunks.

        While the DMA engine copies one pinned buffer, host threads fill the
        other from the (pageable) source, so the copy runs near pinned
        bandwidth without pinning the whole array.
        """
        cp = self.xp
        host = np.ascontiguousarray(host)
        out = cp.empty(host.shape, dtype=host.dtype)
        src, dst = host.reshape(-1), out.reshape(-1)
        # the current stream: later work on it is ordered after the copies
        stream = cp.cuda.get_current_stream()
        done: dict = {}
        chunks = _pinned_chunks(cp, host.dtype, src.size)
        for b, start, stop, staged in chunks:
            if b in done:
                done[b].synchronize()  # its previous copy has left the buffer
            _host_copy(staged, src[start:stop])   # several threads; all done on return
            dst[start:stop].set(staged, stream=stream)
            done[b] = stream.record()
        stream.synchronize()  # the pinned buffers go back to the pool after this
        return out

    def to_numpy(self, x: Any) -> np.ndarray:
        if isinstance(x, self.xp.ndarray):
            return download(x)
        return np.asarray(x)

    def free_bytes(self) -> int:
        """Free device memory plus what CuPy's pool holds unused."""
        free, _total = self.xp.cuda.Device().mem_info
        return int(free) + int(self.xp.get_default_memory_pool().free_bytes())

    def release_memory(self) -> None:
        """Give the pool's cached blocks back to the device (before an OOM retry)."""
        self.xp.get_default_memory_pool().free_all_blocks()

    def synchronize(self) -> None:
        """Wait for the queued work (phase timers call this)."""
        self.xp.cuda.get_current_stream().synchronize()

    @staticmethod
    def block_shape(n_rows: int, n_cols: int, itemsize: int, budget_bytes: int):
        """Rows x columns of one distance block: as large as the budget allows.

        Columns are capped at ``_MAX_BLOCK_COLS``; when that leaves fewer
        than ``_MIN_BLOCK_ROWS`` rows, columns give way (down to
        ``_MIN_BLOCK_COLS``) so the top-k launch has enough row blocks.
        """
        cols = max(1, min(n_cols, _MAX_BLOCK_COLS))

        def rows_for(c: int) -> int:
            return max(1, min(n_rows, budget_bytes // max(c * itemsize, 1)))

        rows = rows_for(cols)
        while rows < min(n_rows, _MIN_BLOCK_ROWS) and cols > _MIN_BLOCK_COLS:
            cols = max(_MIN_BLOCK_COLS, cols // 2)
            rows = rows_for(cols)
        return rows, cols

    @staticmethod
    def serial():
        """Nothing to limit on a device (``NumpyBackend.serial``'s twin)."""
        return contextlib.nullcontext()

    @staticmethod
    def map_blocks(fn: Callable, items: Iterable) -> list:
        """One block at a time: each launch already fills the device."""
        return [fn(item) for item in items]

    # -- top-k selection ---------------------------------------------------
    def topk_init(self, n_rows: int, m: int, dtype) -> DeviceTopK:
        return DeviceTopK(self.xp, n_rows, m, dtype)

    def topk_update(self, state: DeviceTopK, G, half_sq_norms, col0: int,
                    self_offset: int | None) -> None:
        """Fold one block into the running best-m (``NumpyBackend.topk_update``'s twin).

        ``G`` holds ``q . r``; unlike the NumPy twin it is left unchanged.
        """
        cp = self.xp
        if G.shape[0] != state.score.shape[0]:
            raise ValueError(f"block has {G.shape[0]} rows, top-k state {state.score.shape[0]}")
        dtype = state.score.dtype
        G = cp.ascontiguousarray(G, dtype=dtype)
        half = cp.ascontiguousarray(half_sq_norms, dtype=dtype)
        if state.bucket is None:
            self._topk_update_sorted(state, G, half, col0, self_offset)
            return
        _kernels.launch_topk(G, half, state.score, state.index, col0, self_offset)

    def _topk_update_sorted(self, state: DeviceTopK, G, half, col0: int,
                            self_offset: int | None) -> None:
        """Fallback for m beyond the largest k bucket: sort state and block together."""
        cp = self.xp
        n_rows, n_cols = G.shape
        S = G - half
        if self_offset is not None:
            rows = cp.arange(n_rows)
            cols = rows + self_offset
            inside = (cols >= 0) & (cols < n_cols)
            S[rows[inside], cols[inside]] = -cp.inf
        idx = cp.broadcast_to(cp.arange(col0, col0 + n_cols, dtype=cp.int64), S.shape)
        pool_s = cp.concatenate([state.score, S], axis=1)
        pool_i = cp.concatenate([state.index, idx], axis=1)
        # lower index first among equal scores: stable sorts, index then score
        key_i = cp.where(pool_i < 0, cp.iinfo(cp.int64).max, pool_i)
        order = cp.argsort(key_i, axis=1)
        pool_s = cp.take_along_axis(pool_s, order, axis=1)
        pool_i = cp.take_along_axis(pool_i, order, axis=1)
        best = cp.argsort(-pool_s, axis=1)[:, :state.m]
        score = cp.take_along_axis(pool_s, best, axis=1)
        index = cp.take_along_axis(pool_i, best, axis=1)
        state.score[...] = score
        state.index[...] = cp.where(cp.isneginf(score), -1, index)

    @staticmethod
    def topk_result(state: DeviceTopK):
        """The best-m scores and reference indices (sorted best first)."""
        return state.score, state.index

    # -- small primitives whose CuPy form differs --------------------------
    def argsort_stable(self, a, axis: int = -1):
        """Stable argsort (CuPy's argsort is always stable and takes no ``kind``)."""
        return self.xp.argsort(a, axis=axis)

    def argsort_rows_by(self, primary, secondary):
        """Each row's order by ``primary``, ties by ``secondary`` (CuPy's lexsort
        takes no axis: by ``secondary``, then stably by ``primary``)."""
        xp = self.xp
        by_secondary = xp.argsort(secondary, axis=-1)
        return xp.take_along_axis(
            by_secondary, xp.argsort(xp.take_along_axis(primary, by_secondary, axis=-1), axis=-1),
            axis=-1)

    def sum_squares(self, diff):
        """Sum of squares over the last axis, overwriting ``diff``: squared in
        place, then columns added pairwise by elementwise steps, so that every
        row's sum takes the same operations whatever the array's shape. (CuPy's
        einsum does not: on an H100 one pair measured alone came out one ulp
        below the same pair measured among others, and an exact tie between
        two copies of a row went to the higher index.)"""
        self.xp.multiply(diff, diff, out=diff)
        width = diff.shape[-1]
        while width > 1:
            half = width // 2
            # the last ``half`` columns onto the first (an odd middle one waits)
            diff[..., :half] += diff[..., width - half:width]
            width -= half
        return diff[..., 0].copy()

    def repeat_rows(self, counts, total: int):
        """``repeat(arange(len(counts)), counts)``; CuPy's repeat takes no array counts."""
        cp = self.xp
        ends = cp.cumsum(cp.asarray(counts, dtype=cp.int64))
        return cp.searchsorted(ends, cp.arange(total, dtype=cp.int64), side="right")

    # -- generation --------------------------------------------------------
    def empty_output(self, shape: tuple, dtype):
        """An uninitialised output array on the device."""
        return self.xp.empty(shape, dtype=dtype)

    @staticmethod
    def copy_rows(src, dst) -> None:
        """``dst[...] = src`` (one device copy)."""
        dst[...] = src

    def rng(self, seed: int) -> DeviceRandom:
        """Uniforms and normals on the device, with NumPy's resolution (see ``DeviceRandom``)."""
        random = self.xp.random
        philox = getattr(random, "Philox4x3210", None)
        if philox is None:  # an older CuPy: XORWOW, whose many states cost an init each
            return DeviceRandom(random.default_rng(seed))
        # counter-based: a state's init is a key and a counter, with no skip-ahead
        # (XORWOW's curand_init skips 2**67 draws per state, for every state, per fit)
        return DeviceRandom(random.Generator(philox(seed, size=_RNG_STATES)))

    def interpolate(self, X, rows, nbrs, steps, out, chunk_rows: int) -> None:
        """``out[i] = X[rows[i]] + steps[i] * (X[nbrs[i]] - X[rows[i]])`` in one fused launch.

        ``chunk_rows`` bounds the NumPy twin's temporaries; the kernel has
        none, so it is ignored here.
        """
        cp = self.xp
        X = cp.ascontiguousarray(X)
        rows = cp.ascontiguousarray(rows, dtype=cp.int64)
        nbrs = cp.ascontiguousarray(nbrs, dtype=cp.int64)
        steps = cp.ascontiguousarray(steps, dtype=X.dtype)
        if out.dtype == X.dtype and out.flags.c_contiguous:
            _kernels.launch_interpolate(X, rows, nbrs, steps, out)
            return
        tmp = cp.empty(out.shape, dtype=X.dtype)
        _kernels.launch_interpolate(X, rows, nbrs, steps, tmp)
        out[...] = tmp
