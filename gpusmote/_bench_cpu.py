"""The CPU floor of a SMOTE run, measured on the machine that runs the benchmark.

A run cannot beat the float32 GEMM of its neighbour searches (``2 n_c^2 d``
FLOPs per class searched) at the rate this machine's BLAS reaches on the
search's own block shape with every core busy, plus the bytes it must move
(``_bench_gpu.roofline_seconds``'s model: read X, write the output, gather two
rows per synthetic row) at the machine's copy bandwidth. ``fraction`` of a run
is ``floor / seconds``: 1.0 would be a search that is only its GEMM and a
generation that is only its copies.

Both rates are measured once per process (``machine_rates``), with the same
thread pool and one-thread BLAS per block that the NumPy backend uses.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ._bench_gpu import roofline_seconds
from .backends._numpy import _BLOCK_COLS, _BLOCK_ROWS, NumpyBackend

_GEMM_REFS = 16_384       # reference rows of the GEMM rate probe
_COPY_BYTES = 1 << 28     # bytes of the copy bandwidth probe
# best of 7: on this shared 2-core VM one probe in ~10 ran at 88 instead of
# 133-151 GFLOP/s, and a best of 3 that caught such a spell inflated W2's
# floor by half (28 % -> 48 % of it for the same run time)
_PROBE_REPEAT = 7


def _best_seconds(fn) -> float:
    fn()  # warm: first-touch pages, thread start-up
    best = float("inf")
    for _ in range(_PROBE_REPEAT):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@functools.lru_cache(maxsize=None)
def gemm_rate(n_features: int) -> float:
    """float32 FLOP/s of the search's GEMM blocks (``_BLOCK_ROWS`` queries x
    ``_BLOCK_COLS`` references x ``n_features``), every core busy."""
    be = NumpyBackend()
    rng = np.random.default_rng(0)
    refs = rng.standard_normal((_GEMM_REFS, n_features), dtype=np.float32)
    queries = rng.standard_normal((_BLOCK_ROWS * 16, n_features), dtype=np.float32)

    def one(q0: int) -> None:
        block = queries[q0:q0 + _BLOCK_ROWS]
        for c0 in range(0, _GEMM_REFS, _BLOCK_COLS):
            block @ refs[c0:c0 + _BLOCK_COLS].T

    seconds = _best_seconds(lambda: be.map_blocks(one, range(0, len(queries), _BLOCK_ROWS)))
    return 2.0 * len(queries) * _GEMM_REFS * n_features / seconds


@functools.lru_cache(maxsize=1)
def copy_bandwidth() -> float:
    """Bytes/s (read + write) of a large copy split over every core."""
    be = NumpyBackend()
    src = np.ones(_COPY_BYTES // 8)
    dst = np.empty_like(src)
    chunk = -(-src.size // 64)

    def one(start: int) -> None:
        np.copyto(dst[start:start + chunk], src[start:start + chunk])

    seconds = _best_seconds(lambda: be.map_blocks(one, range(0, src.size, chunk)))
    return 2.0 * src.nbytes / seconds


def smote_floor(n_rows: int, n_features: int, searched: list[int], n_new: int, k: int,
                itemsize: int) -> dict:
    """The floor of a SMOTE run over ``searched`` class sizes, with its parts."""
    rate = gemm_rate(n_features)
    bandwidth = copy_bandwidth()
    gemm = sum(2.0 * c * c * n_features for c in searched) / rate
    nbytes = roofline_seconds(n_rows, n_features, 0, n_new, k, float("inf"), bandwidth,
                              itemsize) + sum(searched) * k * 8 / bandwidth
    return {"floor_seconds": gemm + nbytes, "floor_gemm_seconds": gemm,
            "floor_bytes_seconds": nbytes, "gemm_flops": rate, "copy_bandwidth": bandwidth}
