"""Where W2's time goes on the CPU, against the floor issue 11 sets (the minority's
full float32 GEMM at the machine's rate, plus the output's bytes at its copy rate).

Times, each the median of several runs on the machine it runs on:

* gpusmote's whole W2 ``fit_resample`` and its phases;
* its neighbour search alone, and the bare GEMMs of the same symmetric search
  (the same 768 x 768 blocks on every core, nothing done with the scores);
* per 768 x 768 block of float32 scores, the NumPy passes a threshold filter
  has to make: a compare against one number, against a bar per row and per
  column (what the search needs), and ``flatnonzero`` of the mask;
* the first touch of a fresh output of W2's size (the kernel zeroes each page
  before anyone writes it), against a write of memory already touched.

Writes ``results/w2_floor_<time>.json`` with the machine and every raw run.

    python benchmarks/w2_floor.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gpusmote import SMOTE, _timing, bench
from gpusmote.backends import _numpy
from gpusmote.neighbors import kneighbors

BLOCK = 768


def timed(fn, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def bare_symmetric_gemm(X: np.ndarray) -> None:
    """The GEMMs of a symmetric self-search (each pair of blocks once, with the
    two folded norm columns), on every core, the scores thrown away."""
    n, d = X.shape
    left = np.ones((n, d + 2), dtype=np.float32)
    left[:, :d] = X
    starts = range(0, n, BLOCK)

    def row_of_blocks(r0: int) -> None:
        for c0 in range(r0, n, BLOCK):
            left[r0:r0 + BLOCK] @ left[c0:c0 + BLOCK].T

    with threadpool_limits(1, "blas"), ThreadPoolExecutor(_numpy._n_threads()) as pool:
        list(pool.map(row_of_blocks, starts))


def filter_passes(repeat: int) -> dict:
    """Microseconds per 768 x 768 block for each pass of a threshold filter, on
    scores whose bars let about 0.2 % through (W2's search: 672 595 hits in
    195 filtered blocks)."""
    rng = np.random.default_rng(0)
    S = rng.standard_normal((BLOCK, BLOCK)).astype(np.float32)
    row_bar = np.quantile(S, 1 - 1.5 / BLOCK, axis=1).astype(np.float32)[:, None]
    col_bar = np.quantile(S, 1 - 1.5 / BLOCK, axis=0).astype(np.float32)[None, :]
    one = np.float32(np.quantile(S, 1 - 1.5 / BLOCK))
    mask = S > row_bar
    passes = {
        "compare_to_one_number": lambda: S > one,
        "compare_to_row_bars": lambda: S > row_bar,
        "compare_to_column_bars": lambda: S > col_bar,
        "flatnonzero_of_mask": lambda: np.flatnonzero(mask),
        "both_filters_as_the_search_runs_them": lambda: (np.flatnonzero(S > row_bar),
                                                         np.flatnonzero(S > col_bar)),
    }
    out = {}
    for name, fn in passes.items():
        fn()
        out[name] = [t / 50 * 1e6 for t in timed(lambda fn=fn: [fn() for _ in range(50)],
                                                 repeat)]
    return out


def first_touch(shape: tuple, repeat: int) -> dict:
    """Seconds to touch every page of a fresh output (the kernel's zeroing), and to
    write the same array once its pages exist."""
    be = _numpy.NumpyBackend()
    touch, write = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        out = be.empty_output(shape, np.float32)
        out.reshape(-1).view(np.uint8)[::4096] = 1
        touch.append(time.perf_counter() - start)
        start = time.perf_counter()
        out[:] = 1.0
        write.append(time.perf_counter() - start)
        del out
    return {"first_touch_seconds": touch, "write_touched_seconds": write}


def main() -> dict:
    X, y = bench.make_data(bench.WORKLOADS["W2"])
    minority = np.ascontiguousarray(X[y == 1])
    sampler = SMOTE(random_state=0, backend="numpy")
    sampler.fit_resample(X, y)  # warm-up
    whole, phases = [], []
    for _ in range(9):
        with _timing.record() as ph:
            start = time.perf_counter()
            sampler.fit_resample(X, y)
            whole.append(time.perf_counter() - start)
        phases.append(dict(ph))
    search = timed(lambda: kneighbors(minority, 6, backend="numpy"), 9)
    gemm = timed(lambda: bare_symmetric_gemm(minority), 9)
    context = bench._cpu_context(X, y, statistics.median(whole))
    result = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "benchmark": "w2_floor",
        "machine": bench.machine_info(),
        "fit_resample_seconds": whole,
        "phases": phases,
        "search_seconds": search,
        "bare_symmetric_gemm_seconds": gemm,
        "filter_microseconds_per_block": filter_passes(9),
        "output": first_touch((X.shape[0] + int((y == 0).sum() - (y == 1).sum()),
                               X.shape[1]), 5),
        "floor": {key: context[key] for key in ("floor_seconds", "floor_gemm_seconds",
                                                "floor_bytes_seconds", "gemm_flops",
                                                "copy_bandwidth")},
    }
    med = statistics.median
    print(f"W2 fit_resample {med(whole) * 1e3:.1f} ms, floor {context['floor_seconds'] * 1e3:.1f}"
          f" ms ({context['floor_seconds'] / med(whole):.0%})")
    for name in ("validation", "neighbours_prepare", "neighbours", "neighbours_refine",
                 "generation"):
        print(f"  {name:<20} {med(p.get(name, 0.0) for p in phases) * 1e3:7.1f} ms")
    print(f"search alone {med(search) * 1e3:.1f} ms; its bare GEMMs {med(gemm) * 1e3:.1f} ms")
    for name, runs in result["filter_microseconds_per_block"].items():
        print(f"  per block: {name:<40} {med(runs):7.1f} us")
    out = result["output"]
    print(f"output first touch {med(out['first_touch_seconds']) * 1e3:.1f} ms, "
          f"write once touched {med(out['write_touched_seconds']) * 1e3:.1f} ms")
    path = Path(__file__).parent / "results" / f"w2_floor_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
