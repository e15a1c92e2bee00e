"""The CUDA source of ``_kernels.SOURCE``, built as C++ for the CPU and loaded with ctypes.

Used by ``test_kernels.py`` (the kernels against reference top-k and
interpolation) and by the CuPy stand-in (``_fake_cupy``), whose ``RawModule``
launches can run this build instead of the NumPy specification.

How CUDA is emulated: a persistent pool of ``GPUSMOTE_TOPK_THREADS`` OS
threads, one per CUDA thread of a block, started once per test run and reused
by every launch. The block's threads run one block (query row) after another,
with a real barrier for ``__syncthreads`` and one more between blocks (the
kernel's shared memory is one static array, reused by the next block). The
barrier waits on an atomic (C++20 ``wait``/``notify_all``, a futex on Linux),
so the waiting threads sleep instead of queueing on a mutex. The interpolation
kernel has no barrier: its blocks and threads (2-D) run in turn on the calling thread.

``library()`` compiles once per process (the source is read from
``_kernels.SOURCE`` at that moment, so a scratch copy with a changed kernel
builds the changed kernel) and returns None where no C++ compiler is found.
"""

from __future__ import annotations

import ctypes
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from gpusmote.backends import _kernels

_EMULATION = r"""
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

struct gs_dim3 { unsigned x = 0, y = 1, z = 1; };
static thread_local gs_dim3 threadIdx;
static thread_local gs_dim3 blockIdx;
static gs_dim3 blockDim, gridDim;

// A reusable barrier: the last thread to arrive starts the next generation.
struct gs_barrier {
    std::atomic<int> waiting{0};
    std::atomic<long> gen{0};
    int n = 0;
    void wait() {
        const long g = gen.load(std::memory_order_acquire);
        if (waiting.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
            waiting.store(0, std::memory_order_relaxed);
            gen.fetch_add(1, std::memory_order_acq_rel);
            gen.notify_all();
            return;
        }
        long now = g;
        while (now == g) {
            gen.wait(now, std::memory_order_acquire);
            now = gen.load(std::memory_order_acquire);
        }
    }
};
static gs_barrier gs_block_barrier;

// The block's threads, started once and reused by every launch.
struct gs_pool {
    std::mutex mu;
    std::condition_variable start_cv, done_cv;
    std::function<void(unsigned)> job;
    long launch = 0;
    unsigned finished = 0, n = 0;

    explicit gs_pool(unsigned threads) : n(threads) {
        for (unsigned t = 0; t < n; ++t) std::thread([this, t] { worker(t); }).detach();
    }
    void worker(unsigned t) {
        long seen = 0;
        for (;;) {
            std::function<void(unsigned)> fn;
            {
                std::unique_lock<std::mutex> lock(mu);
                start_cv.wait(lock, [&] { return launch != seen; });
                seen = launch;
                fn = job;
            }
            fn(t);
            std::lock_guard<std::mutex> lock(mu);
            if (++finished == n) done_cv.notify_one();
        }
    }
    void run(std::function<void(unsigned)> fn) {
        std::unique_lock<std::mutex> lock(mu);
        job = std::move(fn);
        finished = 0;
        ++launch;
        start_cv.notify_all();
        done_cv.wait(lock, [&] { return finished == n; });
    }
};

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(n)
#define __shared__ static
inline void __syncthreads() { gs_block_barrier.wait(); }
static int gs_block_vote[128];
inline int __syncthreads_or(int pred) {
    gs_block_vote[threadIdx.x] = pred != 0;
    gs_block_barrier.wait();
    int any = 0;
    for (unsigned t = 0; t < blockDim.x; ++t) any |= gs_block_vote[t];
    gs_block_barrier.wait();  // all have read the votes before the next write
    return any;
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }

// Warp votes and shuffles: the 32 threads of a warp meet at their warp's
// barrier, once to publish their values and once before anyone overwrites them.
static gs_barrier gs_warp_barrier[4];   // 128 threads: 4 warps of 32
static unsigned gs_warp_vote[128];
static long long gs_warp_value[128];
inline unsigned __ballot_sync(unsigned, int pred) {
    const unsigned t = threadIdx.x, w = t / 32;
    gs_warp_vote[t] = pred ? 1u : 0u;
    gs_warp_barrier[w].wait();
    unsigned mask = 0;
    for (unsigned l = 0; l < 32; ++l) mask |= gs_warp_vote[w * 32 + l] << l;
    gs_warp_barrier[w].wait();
    return mask;
}
inline int __shfl_sync(unsigned, int v, int src) {
    const unsigned t = threadIdx.x, w = t / 32;
    gs_warp_value[t] = v;
    gs_warp_barrier[w].wait();
    const int out = (int)gs_warp_value[w * 32 + (unsigned)src];
    gs_warp_barrier[w].wait();
    return out;
}

// merges of the top-k pool and the slots they sorted, since the last read
static std::atomic<long long> gs_merges{0}, gs_sorted{0};
#define GPUSMOTE_MERGE_HOOK(slots) \
    do { gs_merges.fetch_add(1); gs_sorted.fetch_add(slots); } while (0)

@SOURCE@

static gs_pool& gs_topk_pool() {
    // never destroyed: its detached threads live as long as the process
    static gs_pool* pool = new gs_pool(GPUSMOTE_TOPK_THREADS);
    return *pool;
}

static std::mutex gs_launch_mutex;  // one launch at a time: the pool is one block

template <typename T, int KB>
static void run_topk(const T* G, const T* h, T* s, long long* idx, long long n_rows,
                     long long n_cols, long long col0, long long off, int has_self, int m) {
    std::lock_guard<std::mutex> launch_lock(gs_launch_mutex);
    blockDim.x = GPUSMOTE_TOPK_THREADS;
    gridDim.x = (unsigned)n_rows;
    gs_block_barrier.n = GPUSMOTE_TOPK_THREADS;
    static_assert(GPUSMOTE_TOPK_THREADS == 128, "the warp emulation has 4 warps");
    for (auto& b : gs_warp_barrier) b.n = 32;
    gs_topk_pool().run([=](unsigned t) {
        threadIdx.x = t;
        for (long long row = 0; row < n_rows; ++row) {
            blockIdx.x = (unsigned)row;
            gpusmote_topk_update<T, KB>(G, h, s, idx, n_cols, col0, off, has_self, m);
            __syncthreads();  // the next block reuses the shared memory
        }
    });
}

template <typename T>
static void topk(const T* G, const T* h, T* s, long long* idx, long long n_rows,
                 long long n_cols, long long col0, long long off, int has_self, int m, int kb) {
    if (kb == 32) run_topk<T, 32>(G, h, s, idx, n_rows, n_cols, col0, off, has_self, m);
    else if (kb == 64) run_topk<T, 64>(G, h, s, idx, n_rows, n_cols, col0, off, has_self, m);
    else if (kb == 128) run_topk<T, 128>(G, h, s, idx, n_rows, n_cols, col0, off, has_self, m);
    else run_topk<T, 256>(G, h, s, idx, n_rows, n_cols, col0, off, has_self, m);
}

template <typename T>
static void interp(const T* X, const long long* r, const long long* nb, const T* st, T* out,
                   long long n, long long d, const unsigned* grid, const unsigned* block) {
    std::lock_guard<std::mutex> launch_lock(gs_launch_mutex);
    blockDim.x = block[0];
    blockDim.y = block[1];
    gridDim.x = grid[0];
    gridDim.y = grid[1];
    // no barrier in this kernel: run blocks and their threads in turn
    for (unsigned by = 0; by < grid[1]; ++by) {
        for (unsigned bx = 0; bx < grid[0]; ++bx) {
            blockIdx.x = bx;
            blockIdx.y = by;
            for (unsigned ty = 0; ty < block[1]; ++ty) {
                for (unsigned tx = 0; tx < block[0]; ++tx) {
                    threadIdx.x = tx;
                    threadIdx.y = ty;
                    gpusmote_interpolate<T>(X, r, nb, st, out, n, d);
                }
            }
        }
    }
}

extern "C" {
void merge_counts(long long* out) {
    out[0] = gs_merges.exchange(0);
    out[1] = gs_sorted.exchange(0);
}
void topk_f32(const float* G, const float* h, float* s, long long* i, long long r, long long c,
              long long c0, long long off, int has_self, int m, int kb) {
    topk<float>(G, h, s, i, r, c, c0, off, has_self, m, kb);
}
void topk_f64(const double* G, const double* h, double* s, long long* i, long long r,
              long long c, long long c0, long long off, int has_self, int m, int kb) {
    topk<double>(G, h, s, i, r, c, c0, off, has_self, m, kb);
}
void interp_f32(const float* X, const long long* r, const long long* nb, const float* st,
                float* out, long long n, long long d, const unsigned* grid,
                const unsigned* block) {
    interp<float>(X, r, nb, st, out, n, d, grid, block);
}
void interp_f64(const double* X, const long long* r, const long long* nb, const double* st,
                double* out, long long n, long long d, const unsigned* grid,
                const unsigned* block) {
    interp<double>(X, r, nb, st, out, n, d, grid, block);
}
}
"""


def compiler() -> str | None:
    """A C++ compiler on the PATH, or None."""
    return shutil.which("g++") or shutil.which("clang++")


@functools.lru_cache(maxsize=None)
def _build(source: str):
    cxx = compiler()
    if cxx is None:
        return None
    work = Path(tempfile.mkdtemp(prefix="gpusmote-kernels-"))
    src = work / "emulated.cpp"
    src.write_text(_EMULATION.replace("@SOURCE@", source))
    lib = work / "emulated.so"
    # -ffp-contract=off: no FMA, as the GPU module is built with --fmad=false
    proc = subprocess.run([cxx, "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread",
                           "-ffp-contract=off", "-o", str(lib), str(src)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("the kernel emulation did not build:\n" + proc.stderr[-4000:])
    return ctypes.CDLL(str(lib))


def library():
    """The emulation of the current ``_kernels.SOURCE`` (built on first use), or None
    without a C++ compiler. A source that does not build raises."""
    return _build(_kernels.SOURCE)


def _ptr(a: np.ndarray):
    assert a.flags.c_contiguous, "kernel arrays are C-contiguous"
    return a.ctypes.data_as(ctypes.c_void_p)


def topk(lib, score, index, G, half, col0: int, self_offset, m: int | None = None) -> None:
    """One launch of ``gpusmote_topk_update`` over all rows of ``G``; ``score``
    (n_rows, m) and ``index`` update in place, as on the device."""
    fn = lib.topk_f32 if G.dtype == np.float32 else lib.topk_f64
    m = score.shape[1] if m is None else m
    G, half = np.ascontiguousarray(G), np.ascontiguousarray(half)
    fn(_ptr(G), _ptr(half), _ptr(score), _ptr(index),
       ctypes.c_longlong(G.shape[0]), ctypes.c_longlong(G.shape[1]), ctypes.c_longlong(col0),
       ctypes.c_longlong(0 if self_offset is None else self_offset),
       ctypes.c_int(self_offset is not None), ctypes.c_int(m),
       ctypes.c_int(_kernels.k_bucket(m)))


def merge_counts(lib) -> tuple[int, int]:
    """(merges, pool slots sorted) by the top-k kernel since the last call."""
    out = (ctypes.c_longlong * 2)()
    lib.merge_counts(out)
    return int(out[0]), int(out[1])


def interpolate(lib, X, rows, nbrs, steps, out, grid=None, block=None) -> None:
    """One launch of ``gpusmote_interpolate`` writing ``out`` (n, d) in place.

    ``grid`` and ``block`` are (x, y) pairs; by default those of
    ``_kernels.interpolate_geometry`` (a smaller grid exercises the kernel's loops).
    """
    fn = lib.interp_f32 if X.dtype == np.float32 else lib.interp_f64
    n, d = out.shape
    geometry = _kernels.interpolate_geometry(n, d)
    grid = geometry[0] if grid is None else tuple(grid)
    block = geometry[1] if block is None else tuple(block)
    assert len(grid) == len(block) == 2 and min(grid + block) >= 1, (grid, block)
    fn(_ptr(X), _ptr(rows), _ptr(nbrs), _ptr(steps), _ptr(out), ctypes.c_longlong(n),
       ctypes.c_longlong(d), (ctypes.c_uint * 2)(*grid), (ctypes.c_uint * 2)(*block))
