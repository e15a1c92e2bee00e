"""CUDA sources and the memoized factories that compile them; used only by ``_cupy.py``.

Two kernels, each the twin of the ``NumpyBackend`` method of the same name:

``gpusmote_topk_update<T, KB>``
    One thread block per query row. The block keeps the row's best ``m``
    (``m <= KB``) in shared memory, sorted best first, and streams the row of
    ``G`` (``q . r`` from cuBLAS) through it: score ``G - |r|^2 / 2``, the self
    column skipped, and only scores that beat the current ``m``-th best are
    appended to a pending area (one shared atomic per warp: ``__ballot_sync``
    counts the warp's takers, lane 0 reserves their slots). On an empty state
    the bar is seeded from the first tile (the (m+1)-th best of the threads'
    maxima), so the first tile is not merged wholesale. When the pending area
    could not take another tile, a bitonic sort of the live slots only (the
    next power of two above kept + pending, not the 1024-slot pool) puts the
    best ``m`` first again and raises the bar. Nothing is fully sorted per
    element; most of a long row is rejected by one comparison in registers.
    The next tile's loads are issued before the current tile is filtered (its
    barrier would otherwise wait on memory), and a tile no thread took from
    costs one barrier (``__syncthreads_or``): on an H100 this took W3's top-k
    from 49 to 32 ms. Order is (score descending, index ascending), so the
    lower index wins ties.

``gpusmote_interpolate<T>``
    ``out[i, j] = X[rows[i], j] + steps[i] * (X[nbrs[i], j] - X[rows[i], j])``,
    written straight into the output slice. A 2-D launch (columns by
    ``threadIdx.x``, rows by ``threadIdx.y``; ``interpolate_geometry``) with
    no per-element division. Compiled with ``--fmad=false`` so
    the three roundings are those of the NumPy twin and results match bit for
    bit, with one exception: CuPy always compiles with ``-ftz=true``, so float32
    subnormals (below about 1.2e-38 in magnitude) are flushed to zero on the
    device. float64 is not affected, and the neighbour search does not care:
    it scales data to [-1, 1] and certifies against a far larger bound.

Templates are instantiated for float and double and for each k bucket
(``K_BUCKETS``, as FAISS specialises its block select per k range) through
``cupy.RawModule(name_expressions=...)``. Modules and kernels are built lazily
and cached per device, dtype and bucket with ``functools.lru_cache``.

The CUDA source uses no headers, so it compiles under NVRTC (CuPy's default)
and under plain nvcc; ``tests/test_kernels.py`` also builds it as C++ on the
CPU with a small emulation of blocks and barriers.
"""

from __future__ import annotations

import functools

import numpy as np

# -- launch geometry (mirrored by the #defines at the top of the source) -----
TOPK_THREADS = 128          # threads per block; one block per query row
TOPK_PER_THREAD = 4         # columns each thread reads per tile
TOPK_POOL = 1024            # shared-memory pool: best m, then pending candidates
K_BUCKETS = (32, 64, 128, 256)
INTERP_THREADS = 256         # threads per block: columns x rows, see interpolate_geometry
INTERP_MAX_GRID = 65535      # blocks per grid dimension; the kernel loops past it

_TYPE_NAMES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
_OPTIONS = ("-std=c++17", "--fmad=false")

SOURCE = r"""
#define GPUSMOTE_TOPK_THREADS 128
#define GPUSMOTE_TOPK_PER_THREAD 4
#define GPUSMOTE_TOPK_POOL 1024

template <typename T> __device__ __forceinline__ T gpusmote_neg_inf();
template <> __device__ __forceinline__ float gpusmote_neg_inf<float>() {
    return __int_as_float((int)0xff800000u);
}
template <> __device__ __forceinline__ double gpusmote_neg_inf<double>() {
    return __longlong_as_double((long long)0xfff0000000000000ull);
}

// (score, index) order: larger score first, then lower index. Empty slots
// hold index -1, which as unsigned sorts after every real index.
template <typename T>
__device__ __forceinline__ bool gpusmote_better(T s_a, long long i_a,
                                                T s_b, long long i_b) {
    return s_a > s_b ||
           (s_a == s_b && (unsigned long long)i_a < (unsigned long long)i_b);
}

// Counts merges and the slots each sorts where the emulation defines it.
#ifndef GPUSMOTE_MERGE_HOOK
#define GPUSMOTE_MERGE_HOOK(slots)
#endif

// Bitonic sort of the first n slots (n a power of two), best first. Every
// thread of the block must call it (it synchronises); the caller
// synchronises before.
template <typename T>
__device__ void gpusmote_sort_pool(T* score, long long* index, const int n) {
    for (int size = 2; size <= n; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int t = threadIdx.x; t < n; t += GPUSMOTE_TOPK_THREADS) {
                const int p = t ^ stride;
                if (p > t) {
                    const bool best_first = (t & size) == 0;
                    if (gpusmote_better(score[p], index[p], score[t], index[t])
                            == best_first) {
                        const T s = score[t];
                        score[t] = score[p];
                        score[p] = s;
                        const long long i = index[t];
                        index[t] = index[p];
                        index[p] = i;
                    }
                }
            }
            __syncthreads();
        }
    }
}

// Sort the live slots (the kept KB and the pending ones, to the next power
// of two: every slot past them is empty), keep the best m, clear the rest so
// nothing is merged twice. live is the same in every thread.
template <typename T>
__device__ void gpusmote_merge(T* score, long long* index, int m, int live,
                               int* n_pending) {
    int n = 2;
    while (n < live) {
        n <<= 1;
    }
    if (threadIdx.x == 0) {
        GPUSMOTE_MERGE_HOOK(n);
    }
    gpusmote_sort_pool<T>(score, index, n);
    const T neg_inf = gpusmote_neg_inf<T>();
    for (int t = m + threadIdx.x; t < n; t += GPUSMOTE_TOPK_THREADS) {
        score[t] = neg_inf;
        index[t] = -1;
    }
    if (threadIdx.x == 0) {
        *n_pending = 0;
    }
    __syncthreads();
}

// This thread's columns of the tile at base: G and |r|^2 / 2, zero past the row.
template <typename T>
__device__ __forceinline__ void gpusmote_load_tile(const T* __restrict__ g_row,
                                                   const T* __restrict__ half_sq,
                                                   const long long base,
                                                   const long long n_cols, T* g, T* h) {
#pragma unroll
    for (int v = 0; v < GPUSMOTE_TOPK_PER_THREAD; ++v) {
        const long long c = base + (long long)(v * GPUSMOTE_TOPK_THREADS) + threadIdx.x;
        g[v] = c < n_cols ? g_row[c] : (T)0;
        h[v] = c < n_cols ? half_sq[c] : (T)0;
    }
}

// G: (n_rows, n_cols) row-major q.r block; half_sq: (n_cols,) |r|^2 / 2;
// best_score / best_index: (n_rows, m) running best-m, sorted best first,
// updated in place. Column c is reference col0 + c; column row + self_offset
// is the query itself when has_self. Launch: grid (n_rows,), block (128,).
template <typename T, int KB>
__global__ void __launch_bounds__(GPUSMOTE_TOPK_THREADS)
gpusmote_topk_update(const T* __restrict__ G, const T* __restrict__ half_sq,
                     T* __restrict__ best_score, long long* __restrict__ best_index,
                     const long long n_cols, const long long col0,
                     const long long self_offset, const int has_self, const int m) {
    constexpr int TILE = GPUSMOTE_TOPK_THREADS * GPUSMOTE_TOPK_PER_THREAD;
    constexpr int POOL = GPUSMOTE_TOPK_POOL;
    static_assert(KB + TILE < POOL, "the pool must hold the best KB and a full tile");
    // merge once the pending area could not take another full tile
    constexpr int MERGE_AT = POOL - KB - TILE;

    __shared__ T pool_score[POOL];
    __shared__ long long pool_index[POOL];
    __shared__ T seed_score[GPUSMOTE_TOPK_THREADS];
    __shared__ long long seed_index[GPUSMOTE_TOPK_THREADS];
    __shared__ int n_pending;

    const long long row = blockIdx.x;
    T* row_score = best_score + row * m;
    long long* row_index = best_index + row * m;
    const T neg_inf = gpusmote_neg_inf<T>();

    for (int t = threadIdx.x; t < POOL; t += GPUSMOTE_TOPK_THREADS) {
        if (t < m) {
            pool_score[t] = row_score[t];
            pool_index[t] = row_index[t];
        } else {
            pool_score[t] = neg_inf;
            pool_index[t] = -1;
        }
    }
    if (threadIdx.x == 0) {
        n_pending = 0;
    }
    __syncthreads();

    // the state is sorted, so its m-th entry is the bar a candidate must beat
    T bar_score = pool_score[m - 1];
    long long bar_index = pool_index[m - 1];
    const T* g_row = G + row * n_cols;
    const long long self_col = has_self ? row + self_offset : -1;

    // An empty state would let the whole first tile in and merge at once.
    // Seed the bar instead: each thread's best of the first tile, sorted; the
    // (m+1)-th of those has m entries strictly better than it, so every row
    // of the final best m beats it too. (bar_score is the same in every thread.)
    if (bar_score == neg_inf && m < GPUSMOTE_TOPK_THREADS) {
        T best_s = neg_inf;
        long long best_i = -1;
#pragma unroll
        for (int v = 0; v < GPUSMOTE_TOPK_PER_THREAD; ++v) {
            const long long c = (long long)(v * GPUSMOTE_TOPK_THREADS) + threadIdx.x;
            if (c < n_cols && c != self_col) {
                const T s = g_row[c] - half_sq[c];
                if (s != neg_inf && gpusmote_better(s, col0 + c, best_s, best_i)) {
                    best_s = s;
                    best_i = col0 + c;
                }
            }
        }
        seed_score[threadIdx.x] = best_s;
        seed_index[threadIdx.x] = best_i;
        __syncthreads();
        gpusmote_sort_pool<T>(seed_score, seed_index, GPUSMOTE_TOPK_THREADS);
        bar_score = seed_score[m];
        bar_index = seed_index[m];
    }

    // Software pipeline: the next tile's G and |r|^2 / 2 are loaded into
    // registers before this tile is filtered, so the tile's barrier never
    // waits on memory and a block keeps two tiles of loads in flight.
    T g_cur[GPUSMOTE_TOPK_PER_THREAD], h_cur[GPUSMOTE_TOPK_PER_THREAD];
    gpusmote_load_tile<T>(g_row, half_sq, 0, n_cols, g_cur, h_cur);
    const int lane = threadIdx.x & 31;
    for (long long base = 0; base < n_cols; base += TILE) {
        T g_next[GPUSMOTE_TOPK_PER_THREAD], h_next[GPUSMOTE_TOPK_PER_THREAD];
        gpusmote_load_tile<T>(g_row, half_sq, base + TILE, n_cols, g_next, h_next);
        bool took = false;
#pragma unroll
        for (int v = 0; v < GPUSMOTE_TOPK_PER_THREAD; ++v) {
            const long long c = base + (long long)(v * GPUSMOTE_TOPK_THREADS) + threadIdx.x;
            T s = neg_inf;
            const long long gi = col0 + c;
            bool take = false;
            if (c < n_cols && c != self_col) {
                s = g_cur[v] - h_cur[v];
                take = s != neg_inf && gpusmote_better(s, gi, bar_score, bar_index);
            }
            // one atomic per warp: lane 0 reserves the warp's slots, each taker
            // writes at its rank among the warp's takers
            const unsigned takers = __ballot_sync(0xffffffffu, take);
            if (takers != 0u) {
                int first = 0;
                if (lane == 0) {
                    first = atomicAdd(&n_pending, __popc(takers));
                }
                first = __shfl_sync(0xffffffffu, first, 0);
                if (take) {
                    const int slot = first + __popc(takers & ((1u << lane) - 1u));
                    pool_score[KB + slot] = s;
                    pool_index[KB + slot] = gi;
                }
            }
            took = took || take;
        }
        // A tile nobody took from left n_pending as the last check found it
        // (at most MERGE_AT): one barrier, no shared read. Most tiles of a
        // long row are such tiles once the bar has risen.
        if (__syncthreads_or(took)) {
            const int pending = n_pending;
            __syncthreads();  // all have read n_pending before anyone changes it
            if (pending > MERGE_AT) {
                gpusmote_merge<T>(pool_score, pool_index, m, KB + pending, &n_pending);
                bar_score = pool_score[m - 1];
                bar_index = pool_index[m - 1];
            }
        }
#pragma unroll
        for (int v = 0; v < GPUSMOTE_TOPK_PER_THREAD; ++v) {
            g_cur[v] = g_next[v];
            h_cur[v] = h_next[v];
        }
    }
    // n_pending last changed before a barrier: every thread reads the same
    const int pending = n_pending;
    if (pending > 0) {
        gpusmote_merge<T>(pool_score, pool_index, m, KB + pending, &n_pending);
    }
    for (int t = threadIdx.x; t < m; t += GPUSMOTE_TOPK_THREADS) {
        row_score[t] = pool_score[t];
        row_index[t] = pool_index[t];
    }
}

// out (n, d) row-major, X (., d) row-major; rows, nbrs, steps (n,).
// Launch: 2-D. threadIdx.x / blockIdx.x run over columns, threadIdx.y /
// blockIdx.y over rows; both loop by the grid's extent, so any n and d are
// covered (gridDim.y is at most 65535). A row's offsets are computed once
// (64-bit multiplies per row, no division anywhere); within a row a warp
// reads and writes consecutive columns.
template <typename T>
__global__ void gpusmote_interpolate(const T* __restrict__ X,
                                     const long long* __restrict__ rows,
                                     const long long* __restrict__ nbrs,
                                     const T* __restrict__ steps,
                                     T* __restrict__ out,
                                     const long long n, const long long d) {
    const long long col_stride = (long long)gridDim.x * blockDim.x;
    const long long row_stride = (long long)gridDim.y * blockDim.y;
    const long long j0 = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (long long i = (long long)blockIdx.y * blockDim.y + threadIdx.y; i < n;
         i += row_stride) {
        const T* a_row = X + rows[i] * d;
        const T* b_row = X + nbrs[i] * d;
        T* o_row = out + i * d;
        const T s = steps[i];
        for (long long j = j0; j < d; j += col_stride) {
            const T a = a_row[j];
            const T b = b_row[j];
            o_row[j] = a + s * (b - a);
        }
    }
}
"""


def k_bucket(m: int) -> int | None:
    """The smallest compiled bucket that holds ``m`` candidates, or None when none does."""
    for bucket in K_BUCKETS:
        if m <= bucket:
            return bucket
    return None


def type_name(dtype) -> str:
    """The C type of a float32/float64 dtype."""
    try:
        return _TYPE_NAMES[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"gpusmote kernels take float32 or float64, got {np.dtype(dtype)}") from None


def topk_name(dtype, bucket: int) -> str:
    """Name expression of one top-k instantiation."""
    return f"gpusmote_topk_update<{type_name(dtype)}, {bucket}>"


def interpolate_name(dtype) -> str:
    """Name expression of one interpolation instantiation."""
    return f"gpusmote_interpolate<{type_name(dtype)}>"


def name_expressions() -> list[str]:
    """Every instantiation the module compiles."""
    names = [topk_name(t, b) for t in _TYPE_NAMES for b in K_BUCKETS]
    return names + [interpolate_name(t) for t in _TYPE_NAMES]


@functools.lru_cache(maxsize=None)
def _module(device_id: int):  # pragma: no cover - needs a GPU
    """The compiled module for one device (NVRTC runs on first use)."""
    import cupy

    return cupy.RawModule(code=SOURCE, options=_OPTIONS, name_expressions=name_expressions())


@functools.lru_cache(maxsize=None)
def topk_kernel(device_id: int, dtype_name: str, bucket: int):  # pragma: no cover
    """The top-k kernel for one device, dtype and k bucket."""
    return _module(device_id).get_function(topk_name(dtype_name, bucket))


@functools.lru_cache(maxsize=None)
def interpolate_kernel(device_id: int, dtype_name: str):  # pragma: no cover
    """The interpolation kernel for one device and dtype."""
    return _module(device_id).get_function(interpolate_name(dtype_name))


def _device_id() -> int:  # pragma: no cover - needs a GPU
    import cupy

    return int(cupy.cuda.runtime.getDevice())


def launch_topk(G, half_sq, score, index, col0: int,
                self_offset: int | None) -> None:  # pragma: no cover - needs a GPU
    """Fold block ``G`` into the sorted running best-m (``score``, ``index``) in place.

    All arrays C-contiguous on the current device; ``G``, ``half_sq`` and
    ``score`` of one dtype, ``index`` int64, ``m = score.shape[1]`` within a bucket.
    """
    n_rows, n_cols = G.shape
    m = int(score.shape[1])
    bucket = k_bucket(m)
    if bucket is None:
        raise ValueError(f"top-k kernel holds at most {K_BUCKETS[-1]} candidates, got m={m}")
    if n_rows == 0:
        return
    kernel = topk_kernel(_device_id(), np.dtype(G.dtype).name, bucket)
    grid = (n_rows,)         # one block per query row (n_rows < 2**31)
    block = (TOPK_THREADS,)  # must equal GPUSMOTE_TOPK_THREADS in the source
    kernel(grid, block, (
        G, half_sq, score, index,
        np.int64(n_cols), np.int64(col0),
        np.int64(0 if self_offset is None else self_offset),
        np.int32(self_offset is not None), np.int32(m),
    ))


def interpolate_geometry(n: int, d: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(grid, block) of the 2-D interpolation launch for an (n, d) output.

    A block is INTERP_THREADS threads: ``bx`` over columns (the power of two
    at or above d, at most INTERP_THREADS, so a narrow row does not idle most
    of a warp) times ``by = INTERP_THREADS // bx`` rows. The grid covers the
    columns and rows once, each dimension capped at INTERP_MAX_GRID (the
    kernel loops over the rest).
    """
    bx = 1
    while bx < min(max(d, 1), INTERP_THREADS):
        bx <<= 1
    by = INTERP_THREADS // bx
    gx = max(1, min(-(-d // bx), INTERP_MAX_GRID))
    gy = max(1, min(-(-n // by), INTERP_MAX_GRID))
    return (int(gx), int(gy)), (int(bx), int(by))


def launch_interpolate(X, rows, nbrs, steps, out) -> None:  # pragma: no cover - needs a GPU
    """``out[i] = X[rows[i]] + steps[i] * (X[nbrs[i]] - X[rows[i]])`` in one launch.

    ``X`` and ``out`` C-contiguous of one dtype, ``rows``/``nbrs`` int64,
    ``steps`` in the dtype of ``X``.
    """
    n, d = out.shape
    if n == 0 or d == 0:
        return
    kernel = interpolate_kernel(_device_id(), np.dtype(X.dtype).name)
    grid, block = interpolate_geometry(n, d)
    kernel(grid, block, (X, rows, nbrs, steps, out, np.int64(n), np.int64(d)))
