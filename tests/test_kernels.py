"""The CUDA kernels against their NumPy twins (``NumpyBackend`` methods of the same name).

Three layers, so that the kernels are checked even where no GPU is lent:

* CPU: the exact CUDA source of ``_kernels.SOURCE`` built as C++ with a small
  emulation of thread blocks (one OS thread per CUDA thread, a real barrier
  for ``__syncthreads``) and compared with the NumPy twins; skipped without a
  C++ compiler.
* CPU: the backend-neutral pieces (OOM block halving, the new protocol
  methods, launch arithmetic).
* GPU (``-m gpu``): ``CupyBackend`` against ``NumpyBackend`` on random data,
  ties, duplicates, large offsets, k=1 and k=64, d=1 and d=1000, ragged
  blocks, with FAISS's k-select invariants. Skipped without CuPy and a device.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from gpusmote.backends import _kernels
from gpusmote.backends._numpy import NumpyBackend
from gpusmote.neighbors import _search, _shrink_on_oom

from . import _emulation
from ._helpers import brute_knn, to_numpy

# -- shared checks -----------------------------------------------------------


def block_scores(blocks, half, offsets):
    """All scores ``G - |r|^2/2`` side by side (in the blocks' dtype), self columns -inf."""
    scores = np.concatenate([G - h for G, h in zip(blocks, half)], axis=1)
    n_rows = scores.shape[0]
    for (c0, off), G in zip(offsets, blocks):
        if off is not None:
            rows = np.arange(n_rows)
            cols = rows + off
            inside = (cols >= 0) & (cols < G.shape[1])
            scores[rows[inside], c0 + cols[inside]] = -np.inf
    return scores


def reference_topk(scores, m):
    """Best m (scores, indices) per row by a full sort: larger first, lower index among equals."""
    cols = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    best = np.lexsort((cols, -scores), axis=1)[:, :m]
    return np.take_along_axis(scores, best, axis=1), best


def assert_kselect(score, index, ref_score, ref_index, all_scores):
    """FAISS's k-select invariants: values equal a CPU sort, no duplicate index
    in a row, and where indices differ the gathered values are equal."""
    score, index = np.asarray(score), np.asarray(index)
    got = -np.sort(-score, axis=1)
    np.testing.assert_array_equal(got, ref_score)
    for row in range(index.shape[0]):
        valid = index[row][index[row] >= 0]
        assert np.unique(valid).size == valid.size, f"duplicate index in row {row}"
    differ = np.sort(index, axis=1) != np.sort(ref_index, axis=1)
    if differ.any():
        gathered = np.take_along_axis(all_scores, np.where(index < 0, 0, index), axis=1)
        np.testing.assert_array_equal(np.where(index < 0, -np.inf, gathered), score)


def make_blocks(rng, n_rows, widths, dtype, kind):
    """Column blocks of a q.r matrix and their half norms, of a given flavour."""
    blocks, half = [], []
    for w in widths:
        if kind == "ties":       # few distinct values: many equal scores
            G = rng.integers(0, 4, size=(n_rows, w)).astype(dtype)
            h = rng.integers(0, 2, size=w).astype(dtype)
        elif kind == "duplicates":  # identical reference columns
            col = rng.standard_normal((n_rows, 1)).astype(dtype)
            G = np.repeat(col, w, axis=1)
            h = np.full(w, 0.25, dtype=dtype)
        elif kind == "rising":   # every column beats all before it: each tile
            # fills the pending area past its merge point, so the pool merges
            # in the middle of a row, not only at its end
            start = sum(b.shape[1] for b in blocks)
            G = np.broadcast_to(np.arange(start, start + w, dtype=dtype),
                                (n_rows, w)).copy()
            h = np.zeros(w, dtype=dtype)
        elif kind == "offset":   # 1e6 + noise: cancellation-prone magnitudes
            G = (1e6 + rng.standard_normal((n_rows, w))).astype(dtype)
            h = (1e6 + rng.standard_normal(w)).astype(dtype)
        else:
            G = rng.standard_normal((n_rows, w)).astype(dtype)
            h = np.abs(rng.standard_normal(w)).astype(dtype)
        blocks.append(G)
        half.append(h)
    return blocks, half


CASES = [
    # (n_rows, block widths, m, self search, kind)
    (37, [700, 700, 301], 3, True, "random"),       # k=1 (+margin), ragged last block
    (20, [2000, 77], 72, True, "random"),           # k=64 + 8
    (16, [1500], 72, False, "ties"),
    (16, [600, 600], 10, True, "duplicates"),
    (16, [900, 400], 13, True, "offset"),
    (9, [50], 40, False, "random"),                 # fewer columns than a tile
    (8, [300, 300], 200, False, "random"),          # the 256 bucket
    (4, [2100, 1000], 6, False, "rising"),           # merges mid-row, every tile
]

# -- CPU emulation of the CUDA source (tests/_emulation.py) -------------------


@pytest.fixture(scope="module")
def emulated():
    """The CUDA source compiled for the CPU (once per test run), loaded with ctypes."""
    lib = _emulation.library()
    if lib is None:
        pytest.skip("no C++ compiler to build the kernel emulation")
    return lib


def emulated_topk(lib, state_score, state_index, G, h, col0, self_offset):
    """One launch of gpusmote_topk_update on the emulator (state updated in place)."""
    _emulation.topk(lib, state_score, state_index, G, h, col0, self_offset)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows, widths, m, self_search, kind", CASES)
def test_emulated_topk_matches_numpy(emulated, dtype, n_rows, widths, m, self_search, kind):
    rng = np.random.default_rng(len(widths) * 1000 + m)
    blocks, half = make_blocks(rng, n_rows, widths, dtype, kind)
    # each row is its own thread block running the same code: 8 rows (about 60
    # barriers each on 128 OS threads) cover a case; the device tests take them all
    n_rows = min(n_rows, 8)
    blocks = [G[:n_rows] for G in blocks]
    q0 = 5  # query rows start at reference 5 when searching X against itself
    offsets, c0 = [], 0
    score = np.full((n_rows, m), -np.inf, dtype=dtype)
    index = np.full((n_rows, m), -1, dtype=np.int64)
    np_be = NumpyBackend()
    state = np_be.topk_init(n_rows, m, dtype)
    for G, h in zip(blocks, half):
        off = (q0 - c0) if self_search else None
        emulated_topk(emulated, score, index, G, h, c0, off)
        np_be.topk_update(state, G.copy(), h, c0, off)
        offsets.append((c0, off))
        c0 += G.shape[1]
    all_scores = block_scores(blocks, half, offsets)
    ref_score, ref_index = reference_topk(all_scores, m)
    # the kernel keeps rows sorted best first, lower index first among equals
    np.testing.assert_array_equal(score, ref_score)
    np.testing.assert_array_equal(index, ref_index)
    assert_kselect(score, index, ref_score, ref_index, all_scores)
    # and it agrees with its NumPy twin up to the order within a row
    twin_s, twin_i = np_be.topk_result(state)
    np.testing.assert_array_equal(-np.sort(-twin_s, axis=1), score)
    assert_kselect(twin_s, twin_i, ref_score, ref_index, all_scores)


def _interp_case(dtype, n, d, seed):
    rng = np.random.default_rng(seed)
    X = (1e3 * rng.standard_normal((40, d))).astype(dtype)
    rows = rng.integers(0, 40, n).astype(np.int64)
    nbrs = rng.integers(0, 40, n).astype(np.int64)
    steps = rng.random(n, dtype=dtype)
    want = np.empty((n, d), dtype=dtype)
    NumpyBackend().interpolate(X, rows, nbrs, steps, want, chunk_rows=16)
    return X, rows, nbrs, steps, want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, d, grid, block", [
    (50, 1, None, None),             # one column: 256 rows a block
    (33, 1000, None, None),          # d over the block: 4 column blocks, the last ragged
    (257, 7, (1, 3), None),          # a short grid: each thread loops over rows
    (61, 37, (1, 2), (16, 4)),       # columns and rows both loop, ragged in each
    (300, 300, None, None),          # d a little over 256: a 44-column last tile
])
def test_emulated_interpolate_matches_numpy_bitwise(emulated, dtype, n, d, grid, block):
    """The 2-D interpolation kernel against its NumPy twin, bit for bit, on
    ragged shapes and on grids smaller than the output (the loops)."""
    X, rows, nbrs, steps, want = _interp_case(dtype, n, d, n + d)
    got = np.full((n, d), np.nan, dtype=dtype)
    _emulation.interpolate(emulated, X, rows, nbrs, steps, got, grid, block)
    np.testing.assert_array_equal(got, want)


def test_emulated_interpolate_past_the_grid_row_limit(emulated):
    """More rows than one launch's grid holds (65535 blocks of ``by`` rows):
    with d = 129 a block is 256 x 1 threads, so 65 541 rows need the row loop;
    the launch geometry is the one CupyBackend uses. float32 only (17 M
    emulated threads, ~0.6 s): the short-grid cases above loop in float64 too."""
    dtype = np.float32
    n, d = _kernels.INTERP_MAX_GRID + 6, 129
    grid, block = _kernels.interpolate_geometry(n, d)
    assert grid == (1, _kernels.INTERP_MAX_GRID) and block == (256, 1)
    X, rows, nbrs, steps, want = _interp_case(dtype, n, d, 5)
    got = np.full((n, d), np.nan, dtype=dtype)
    _emulation.interpolate(emulated, X, rows, nbrs, steps, got)
    np.testing.assert_array_equal(got, want)


# -- CPU: the CUDA source through nvcc, where a CUDA toolkit is installed ----


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_cuda_source_builds_for_the_device_without_spills(arch, tmp_path):
    """Every instantiation CuPy will ask NVRTC for builds with nvcc under CuPy's
    options (ours plus the ``-ftz=true`` CuPy appends), and ptxas's resource
    report shows no spills or stack, static shared memory under 48 KB and few
    enough registers for eight 128-thread blocks per SM. No GPU is needed."""
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("no CUDA toolkit (nvcc) to build the kernels with")
    src = tmp_path / "kernels.cu"
    # taking each instantiation's address makes nvcc build exactly those
    src.write_text(_kernels.SOURCE + "\nvoid gpusmote_instantiate_all() {\n" + "".join(
        f"    (void)&{name};\n" for name in _kernels.name_expressions()) + "}\n")
    proc = subprocess.run([nvcc, *_kernels._OPTIONS, "-ftz=true", f"-arch={arch}", "-cubin",
                           "-Xptxas", "-v", "-o", str(tmp_path / "kernels.cubin"), str(src)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = proc.stderr
    assert "warning" not in report.lower(), report
    entries = re.findall(r"Compiling entry function '(\w+)'", report)
    assert len(entries) == len(_kernels.name_expressions())
    frames = re.findall(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                        r"(\d+) bytes spill loads", report)
    assert len(frames) == len(entries) and all(f == ("0", "0", "0") for f in frames), report
    registers = [int(r) for r in re.findall(r"Used (\d+) registers", report)]
    assert max(registers) * _kernels.TOPK_THREADS * 8 <= 65536, registers
    smem = [int(b) for b in re.findall(r"(\d+) bytes smem", report)]
    assert smem and max(smem) <= 48 * 1024, smem


# -- CPU: launch arithmetic and backend-neutral pieces ----------------------


def test_source_constants_match_launch_constants():
    src = _kernels.SOURCE
    assert f"#define GPUSMOTE_TOPK_THREADS {_kernels.TOPK_THREADS}\n" in src
    assert f"#define GPUSMOTE_TOPK_PER_THREAD {_kernels.TOPK_PER_THREAD}\n" in src
    assert f"#define GPUSMOTE_TOPK_POOL {_kernels.TOPK_POOL}\n" in src
    tile = _kernels.TOPK_THREADS * _kernels.TOPK_PER_THREAD
    assert all(b + tile < _kernels.TOPK_POOL for b in _kernels.K_BUCKETS)
    assert _kernels.TOPK_POOL & (_kernels.TOPK_POOL - 1) == 0  # bitonic sort needs 2**p


def test_k_buckets_and_names():
    assert [_kernels.k_bucket(m) for m in (1, 32, 33, 72, 128, 200, 256, 257)] == \
        [32, 32, 64, 128, 128, 256, 256, None]
    names = _kernels.name_expressions()
    assert "gpusmote_topk_update<float, 32>" in names
    assert "gpusmote_interpolate<double>" in names
    assert len(names) == len(set(names)) == 2 * len(_kernels.K_BUCKETS) + 2
    with pytest.raises(TypeError, match="float32 or float64"):
        _kernels.type_name(np.int32)


@pytest.mark.parametrize("n, d", [(1, 1), (1000, 1), (5, 2), (77, 37), (9, 256), (9, 257),
                                  (3, 10**6), (10**9, 8), (10**9, 3000)])
def test_interpolate_geometry_covers_and_caps(n, d):
    (gx, gy), (bx, by) = _kernels.interpolate_geometry(n, d)
    assert bx * by == _kernels.INTERP_THREADS and bx & (bx - 1) == 0
    assert bx >= min(d, _kernels.INTERP_THREADS) and (bx == 1 or bx // 2 < d)  # no idle warps
    assert 1 <= gx <= _kernels.INTERP_MAX_GRID and 1 <= gy <= _kernels.INTERP_MAX_GRID
    # the grid covers the output once, or is capped and the kernel loops
    assert gx == -(-d // bx) or gx == _kernels.INTERP_MAX_GRID
    assert gy == -(-n // by) or gy == _kernels.INTERP_MAX_GRID
    assert (gx - 1) * bx < d and (gy - 1) * by < n  # no block without work


def test_interpolate_kernel_has_no_division():
    """The 2-D kernel indexes by row and column: no per-element (64-bit) division or modulo."""
    src = _kernels.SOURCE
    body = src[src.index("gpusmote_interpolate("):]
    body = re.sub(r"//[^\n]*", "", body)
    assert "/" not in body and "%" not in body
    assert "threadIdx.y" in body and "gridDim.y" in body


def test_numpy_argsort_stable_and_repeat_rows():
    be = NumpyBackend()
    a = np.array([[2, 1, 2, 1, 0]])
    np.testing.assert_array_equal(be.argsort_stable(a, axis=1), [[4, 1, 3, 0, 2]])
    np.testing.assert_array_equal(be.repeat_rows(np.array([2, 0, 1, 3]), 6), [0, 0, 2, 3, 3, 3])
    with pytest.raises(ValueError, match="sum to 3"):
        be.repeat_rows(np.array([1, 2]), 4)


def test_searchsorted_form_of_repeat_rows_matches_numpy():
    # the form CupyBackend.repeat_rows uses, checked with NumPy
    counts = np.array([0, 3, 0, 0, 2, 1, 0])
    total = int(counts.sum())
    got = np.searchsorted(np.cumsum(counts), np.arange(total), side="right")
    np.testing.assert_array_equal(got, NumpyBackend().repeat_rows(counts, total))


class _FakeOOM(Exception):
    pass


class _TightBackend(NumpyBackend):
    """NumPy backend whose 'device' fails any distance block above a size."""

    name = "tight"
    oom_errors = (_FakeOOM,)
    # a device's search: every block retried on OOM, none computed for two (as CupyBackend)
    symmetric_self_search = False

    def __init__(self, max_block: int):
        self.max_block = max_block
        self.released = 0
        self.shapes = []

    def release_memory(self):
        self.released += 1

    def topk_update(self, state, G, half_sq_norms, col0, self_offset):
        self.shapes.append(G.shape)
        if G.size > self.max_block:
            raise _FakeOOM(f"block {G.shape}")
        super().topk_update(state, G, half_sq_norms, col0, self_offset)


def test_oom_halves_blocks_and_gives_the_same_answer():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    be = _TightBackend(max_block=40 * 60)
    d2, idx = _search(be, X, X, 5, True, budget=1 << 20)
    want_d2, want_idx = brute_knn(X, 5)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(d2, want_d2, rtol=1e-12)
    assert be.released > 0
    assert max(r * c for r, c in be.shapes[-3:]) <= be.max_block


def test_progress_after_an_oom_retry_counts_each_row_once():
    class Bar:
        n = 0
        most = 0

        def update(self, k):
            self.n += k
            self.most = max(self.most, self.n)

    class FailsOnce(_TightBackend):
        """Runs a few row blocks, then one out-of-memory error, then fine;
        one block at a time, as CupyBackend runs them."""

        @staticmethod
        def map_blocks(fn, items):
            return [fn(item) for item in items]

        @staticmethod
        def block_shape(n_rows, n_cols, itemsize, budget):
            return min(64, n_rows), min(75, n_cols)

        def topk_update(self, state, G, half_sq_norms, col0, self_offset):
            self.shapes.append(G.shape)
            if len(self.shapes) == 10:  # in the third row block
                raise _FakeOOM("once")
            NumpyBackend.topk_update(self, state, G, half_sq_norms, col0, self_offset)

    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4))
    bar = Bar()
    be = FailsOnce(max_block=0)
    _search(be, X, X, 5, True, budget=1 << 20, bar=bar)
    assert be.released == 1
    assert bar.n == 300 and bar.most == 300


def test_oom_gives_up_with_the_sizes():
    calls = []

    class Be:
        name = "cupy"
        oom_errors = (_FakeOOM,)

        @staticmethod
        def free_bytes():
            return 3 * 2**20

    def run(rows, cols):
        calls.append((rows, cols))
        raise _FakeOOM("no memory")

    with pytest.raises(MemoryError, match=r"10 queries x 50 references.*3 MiB are free"):
        _shrink_on_oom(Be(), run, 8, 32, 6, "10 queries x 50 references x 3 features")
    assert calls[0] == (8, 32) and calls[-1] == (1, 6)
    assert all(r * c < r0 * c0 for (r, c), (r0, c0) in zip(calls[1:], calls))


def test_numpy_backend_runs_once_without_oom_errors():
    def run(rows, cols):
        raise MemoryError("host")

    with pytest.raises(MemoryError, match="host"):
        _shrink_on_oom(NumpyBackend(), run, 8, 8, 2, "")


# -- GPU: CupyBackend against NumpyBackend ----------------------------------

@pytest.fixture
def cupy_pair(cupy_module):
    """(cupy module, CupyBackend, NumpyBackend); on the stand-in CuPy the
    kernels are computed by their specification, on a GPU by CUDA."""
    from gpusmote.backends._cupy import CupyBackend

    return cupy_module, CupyBackend(), NumpyBackend()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows, widths, m, self_search, kind", CASES + [
    (1025, [4097], 3, False, "offset"),
    (50, [800], 300, False, "random"),               # beyond the buckets: sort fallback
    (16, [700, 400], 300, True, "ties"),             # the fallback with many equal scores
    (12, [500], 260, False, "duplicates"),           # the fallback, every score equal
])
def test_gpu_topk_matches_numpy(cupy_pair, dtype, n_rows, widths, m, self_search, kind):
    cp, cu_be, np_be = cupy_pair
    rng = np.random.default_rng(len(widths) * 1000 + m)
    blocks, half = make_blocks(rng, n_rows, widths, dtype, kind)
    q0, c0, offsets = 5, 0, []
    cu_state = cu_be.topk_init(n_rows, m, dtype)
    np_state = np_be.topk_init(n_rows, m, dtype)
    for G, h in zip(blocks, half):
        off = (q0 - c0) if self_search else None
        cu_be.topk_update(cu_state, cp.asarray(G), cp.asarray(h), c0, off)
        np_be.topk_update(np_state, G.copy(), h, c0, off)
        offsets.append((c0, off))
        c0 += G.shape[1]
    score, index = (to_numpy(a) for a in cu_be.topk_result(cu_state))
    all_scores = block_scores(blocks, half, offsets)
    ref_score, ref_index = reference_topk(all_scores, m)
    assert_kselect(score, index, ref_score, ref_index, all_scores)
    # the kernel and the sort fallback alike: sorted best first, lower index wins ties
    np.testing.assert_array_equal(score, ref_score)
    np.testing.assert_array_equal(index, ref_index)
    twin_s, _ = np_be.topk_result(np_state)
    np.testing.assert_array_equal(-np.sort(-twin_s, axis=1), -np.sort(-score, axis=1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, d", [(1, 1), (1000, 1), (5000, 30), (300, 1000)])
def test_gpu_interpolate_matches_numpy_bitwise(cupy_pair, dtype, n, d):
    cp, cu_be, np_be = cupy_pair
    rng = np.random.default_rng(n * d)
    X = (1e6 + rng.standard_normal((500, d))).astype(dtype)
    rows = rng.integers(0, 500, n)
    nbrs = rng.integers(0, 500, n)
    steps = rng.random(n, dtype=dtype)
    want = np.empty((n + 7, d), dtype=dtype)
    np_be.interpolate(X, rows, nbrs, steps, want[7:], chunk_rows=64)
    out = cp.zeros((n + 7, d), dtype=dtype)
    cu_be.interpolate(cp.asarray(X), cp.asarray(rows), cp.asarray(nbrs), cp.asarray(steps),
                      out[7:], chunk_rows=64)  # a slice of the preallocated output
    np.testing.assert_array_equal(to_numpy(out)[7:], want[7:])
    assert not to_numpy(out)[:7].any()


def test_gpu_small_primitives_match_numpy(cupy_pair):
    cp, cu_be, np_be = cupy_pair
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, size=(40, 50)).astype(np.float64)
    np.testing.assert_array_equal(to_numpy(cu_be.argsort_stable(cp.asarray(a), axis=1)),
                                  np_be.argsort_stable(a, axis=1))
    counts = rng.integers(0, 4, size=100)
    total = int(counts.sum())
    np.testing.assert_array_equal(to_numpy(cu_be.repeat_rows(cp.asarray(counts), total)),
                                  np_be.repeat_rows(counts, total))
    u = cu_be.rng(3).random(1000, dtype=np.float32)
    assert u.dtype == np.float32 and float(u.min()) >= 0 and float(u.max()) < 1
    # float64 uniforms on NumPy's 2**-53 grid, not cuRAND's float32 one, so that
    # floor(u * n) reaches every row however large n is
    u64 = to_numpy(cu_be.rng(3).random((300, 2)))
    assert u64.shape == (300, 2) and u64.dtype == np.float64 and u64.max() < 1
    ticks = u64 * 2.0**53
    np.testing.assert_array_equal(ticks, np.floor(ticks))
    assert (np.mod(ticks, 2.0**29) != 0).mean() > 0.9


@pytest.mark.parametrize("shape, dtype", [((10, 3), np.float64),
                                          ((30_001, 3), np.float32),   # pinned path, ragged
                                          ((20_000, 8), np.float64)])
def test_gpu_asarray_round_trip(cupy_pair, monkeypatch, shape, dtype):
    from gpusmote.backends import _cupy

    # the pinned, double-buffered path at 1/100 of its sizes: the same chunk logic
    monkeypatch.setattr(_cupy, "_PINNED_MIN_BYTES", _cupy._PINNED_MIN_BYTES // 100)
    monkeypatch.setattr(_cupy, "_PINNED_CHUNK_BYTES", _cupy._PINNED_CHUNK_BYTES // 100)
    cp, cu_be, _ = cupy_pair
    host = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    dev = cu_be.asarray(host)
    assert isinstance(dev, cp.ndarray) and dev.dtype == dtype
    np.testing.assert_array_equal(cu_be.to_numpy(dev), host)
    strided = host[::2, ::-1]  # non-contiguous input
    np.testing.assert_array_equal(cu_be.to_numpy(cu_be.asarray(strided)), strided)


def test_gpu_block_shape_and_memory(cupy_pair):
    _, cu_be, _ = cupy_pair
    rows, cols = cu_be.block_shape(10**6, 10**6, 4, 256 << 20)
    assert rows * cols * 4 <= 256 << 20 and rows >= 2048 and cols >= 1024
    assert cu_be.block_shape(10, 20, 4, 1 << 30) == (10, 20)
    assert cu_be.free_bytes() > 0


@pytest.mark.parametrize("n, d, k, wm", [(600, 1, 1, None), (1000, 30, 5, 0.02),
                                         (300, 1000, 64, 0.5), (1500, 4, 10, 0.01)])
def test_gpu_kneighbors_matches_brute(cupy_pair, n, d, k, wm):
    from gpusmote.neighbors import kneighbors

    cp, _, _ = cupy_pair
    rng = np.random.default_rng(d)
    X = rng.standard_normal((n, d))
    X[n // 2:n // 2 + 20] = X[:20]  # exact duplicates: ties broken by lower index
    dist, idx = kneighbors(cp.asarray(X), k, backend="cupy", working_memory=wm)
    want_d2, want_idx = brute_knn(X, k)
    np.testing.assert_array_equal(to_numpy(idx), want_idx)
    np.testing.assert_allclose(to_numpy(dist) ** 2, want_d2, rtol=1e-9, atol=1e-12)


def test_gpu_containers_numpy_in_numpy_out_cupy_in_cupy_out(cupy_pair):
    from gpusmote import SMOTE

    cp, _, _ = cupy_pair
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 6)).astype(np.float32)
    y = (rng.random(400) < 0.1).astype(np.int64)
    X_np, y_np = SMOTE(random_state=0, backend="cupy").fit_resample(X, y)
    assert isinstance(X_np, np.ndarray) and X_np.dtype == np.float32
    assert isinstance(y_np, np.ndarray)
    np.testing.assert_array_equal(X_np[:400], X)
    X_cp, y_cp = SMOTE(random_state=0).fit_resample(cp.asarray(X), y)
    assert isinstance(X_cp, cp.ndarray) and X_cp.dtype == np.float32
    np.testing.assert_array_equal(to_numpy(X_cp), X_np)  # same backend, same seed
    assert np.bincount(y_np).tolist() == [int((y == 0).sum())] * 2


def test_emulated_topk_merges_only_live_slots(emulated):
    """The top-k merge does live work only (issue 10), on a W3-like minority
    (random float32 rows, 64 features, k=5 so m=10; 100 000 references in
    launches of 32 768 columns, the CuPy backend's widest block).

    Before: every launch began with an automatic merge of the first tile and
    every merge sorted the whole 1024-slot pool: 5 merges and 5120 slots sorted
    per row. Now the bar is seeded from the first tile (no first merge) and a
    merge sorts the next power of two above kept + pending: 4 merges (one at
    the end of each launch) and 1216 slots per row. The result is the exact top-k.
    """
    n_rows, n_cols, block, m = 2, 100_000, 32_768, 10
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_cols, 64), dtype=np.float32)
    half = (np.einsum("ij,ij->i", X, X) / 2).astype(np.float32)
    score = np.full((n_rows, m), -np.inf, np.float32)
    index = np.full((n_rows, m), -1, np.int64)
    _emulation.merge_counts(emulated)  # zero the counters
    for c0 in range(0, n_cols, block):
        G = np.ascontiguousarray(X[:n_rows] @ X[c0:c0 + block].T)
        _emulation.topk(emulated, score, index, G, half[c0:c0 + block].copy(), c0, -c0)
    merges, slots = _emulation.merge_counts(emulated)
    assert merges / n_rows <= 4 and slots / n_rows <= 1216, (merges, slots)
    S = X[:n_rows] @ X.T - half
    S[np.arange(n_rows), np.arange(n_rows)] = -np.inf
    np.testing.assert_array_equal(index, np.argsort(-S, axis=1, kind="stable")[:, :m])


def test_emulated_topk_merges_mid_row_when_the_pending_area_fills(emulated):
    """Rising scores: every column beats the bar the last merge set, so each
    512-column tile fills the pending area past its merge point and the pool
    must merge after every tile, not only at the end of the row (a tile with
    takers that skipped the check would overflow the 1024-slot pool)."""
    n_rows, n_cols, m = 2, 6 * 512, 6
    G = np.broadcast_to(np.arange(n_cols, dtype=np.float32), (n_rows, n_cols)).copy()
    half = np.zeros(n_cols, dtype=np.float32)
    score = np.full((n_rows, m), -np.inf, np.float32)
    index = np.full((n_rows, m), -1, np.int64)
    _emulation.merge_counts(emulated)  # zero the counters
    _emulation.topk(emulated, score, index, G, half, 0, None)
    merges, _ = _emulation.merge_counts(emulated)
    assert merges == n_rows * 5, merges  # tiles 2..6 each merge; the end finds nothing pending
    np.testing.assert_array_equal(index, np.tile(np.arange(n_cols - 1, n_cols - 1 - m, -1),
                                                 (n_rows, 1)))
