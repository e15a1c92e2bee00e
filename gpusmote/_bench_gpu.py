"""GPU timing helpers for the benchmark harness (``gpusmote.bench``).

* ``cuda_timer()``: wall time of a block of GPU work, from CUDA events on the
  current stream, synchronised at the end (``cupyx.profiler.benchmark``'s way).
* ``peak_device_bytes()`` / ``track_device_peak()``: device memory, from CuPy's pool.
* ``torch_baseline(...)``: the same SMOTE job written plainly in PyTorch
  (blocked ``torch.cdist`` + ``torch.topk``, indexing for generation) on the
  same GPU, timed per phase: the "what a careful user writes" reference.
* ``roofline_floor(...)``: a lower bound on the run time of a SMOTE job on a
  device: the kNN GEMM at the FP32 peak plus the unavoidable bytes at the
  measured copy bandwidth.

CuPy and PyTorch are imported inside the functions; the pure arithmetic
(``roofline_seconds``, ``fp32_lanes_per_sm``) runs anywhere.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

# FP32 lanes per SM by compute capability (CUDA programming guide, arithmetic
# instruction throughput table): 64 on 6.0/7.x/8.0, 128 on 6.1/8.6/8.9/9.0/10.x/12.x.
_FP32_LANES = {(6, 0): 64, (7, 0): 64, (7, 2): 64, (7, 5): 64, (8, 0): 64}


@dataclass
class Timing:
    """Seconds of one timed block; ``seconds`` is set when the block exits."""

    seconds: float = float("nan")


@contextlib.contextmanager
def cuda_timer():  # pragma: no cover - needs a GPU
    """Time the GPU work queued inside the block.

    Yields a ``Timing`` whose ``seconds`` is the elapsed time between CUDA
    events recorded on the current stream before and after the block, taken
    once the end event has completed (so the work is finished, not queued).

    Examples
    --------
    >>> with cuda_timer() as t:  # doctest: +SKIP
    ...     y = x @ x.T
    >>> t.seconds  # doctest: +SKIP
    """
    import cupy

    timing = Timing()
    stream = cupy.cuda.get_current_stream()
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record(stream)
    try:
        yield timing
    finally:
        end.record(stream)
        end.synchronize()
        timing.seconds = cupy.cuda.get_elapsed_time(start, end) / 1e3


def reset_device_pool() -> None:  # pragma: no cover - needs a GPU
    """Return every cached block of CuPy's pool to the device (before a measured run)."""
    import cupy

    cupy.get_default_memory_pool().free_all_blocks()


def peak_device_bytes() -> int:  # pragma: no cover - needs a GPU
    """Bytes CuPy's memory pool holds from the device.

    The pool keeps freed blocks, so after ``reset_device_pool()`` and a run
    this is the run's high-water mark of device memory (including the
    pool's rounding), not the bytes in use at the end.
    """
    import cupy

    return int(cupy.get_default_memory_pool().total_bytes())


@contextlib.contextmanager
def track_device_peak():  # pragma: no cover - needs a GPU
    """Peak bytes in use from CuPy's pool inside the block, by a memory hook.

    Yields an object whose ``peak_bytes`` grows while the block runs; it
    counts arrays only (not the pool's cached blocks). Hooks are per thread.
    """
    from cupy.cuda import memory_hook

    class _Peak(memory_hook.MemoryHook):
        name = "gpusmote_peak"

        def __init__(self):
            self.live = {}  # pointer -> size of the arrays allocated inside the block
            self.in_use = 0
            self.peak_bytes = 0

        def malloc_postprocess(self, **kw):
            # CuPy calls this for failed allocations too (mem_ptr 0): an
            # out-of-memory retry must not count
            if kw["mem_ptr"]:
                self.live[kw["mem_ptr"]] = kw["mem_size"]
                self.in_use += kw["mem_size"]
                self.peak_bytes = max(self.peak_bytes, self.in_use)

        def free_postprocess(self, **kw):
            # blocks allocated before the hook started are not ours to subtract
            self.in_use -= self.live.pop(kw["mem_ptr"], 0)

    hook = _Peak()
    with hook:
        yield hook


def _sync_torch(torch) -> None:  # pragma: no cover - needs a GPU
    torch.cuda.synchronize()


def torch_baseline(X_class, k: int, n_new: int, seed: int = 0,
                   block_rows: int = 4096) -> dict:  # pragma: no cover - needs a GPU
    """SMOTE for one class in plain PyTorch on the GPU, timed per phase.

    Parameters
    ----------
    X_class : array of shape (n_samples, n_features)
        The class's rows: NumPy (copied to the device, timed as "transfer")
        or CuPy (shared through DLPack, no copy).
    k : int
        Neighbours per row (self excluded).
    n_new : int
        Synthetic rows to make.
    seed : int, default=0
        Seed of the torch generator.
    block_rows : int, default=4096
        Query rows per ``torch.cdist`` block.

    Returns
    -------
    dict
        Seconds per phase: ``"transfer"``, ``"neighbours"``, ``"generation"``
        and ``"total"``; plus ``"device"`` (the GPU's name).
    """
    import numpy as np
    import torch

    device = torch.device("cuda")
    _sync_torch(torch)
    t0 = time.perf_counter()
    if isinstance(X_class, np.ndarray):
        X = torch.from_numpy(np.ascontiguousarray(X_class)).to(device)
    else:
        X = torch.from_dlpack(X_class)
    X = X.float()
    _sync_torch(torch)
    t1 = time.perf_counter()

    n = X.shape[0]
    nbrs = torch.empty((n, k), dtype=torch.int64, device=device)
    for q0 in range(0, n, block_rows):
        q1 = min(q0 + block_rows, n)
        d = torch.cdist(X[q0:q1], X, compute_mode="use_mm_for_euclid_dist")
        rows = torch.arange(q1 - q0, device=device)
        d[rows, rows + q0] = float("inf")  # leave each row out of its own neighbours
        nbrs[q0:q1] = torch.topk(d, k, dim=1, largest=False).indices
    _sync_torch(torch)
    t2 = time.perf_counter()

    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    base = torch.randint(0, n, (n_new,), device=device, generator=gen)
    col = torch.randint(0, k, (n_new,), device=device, generator=gen)
    steps = torch.rand((n_new, 1), device=device, generator=gen)
    start = X[base]
    new = start + steps * (X[nbrs[base, col]] - start)
    torch.cat([X, new])
    _sync_torch(torch)
    t3 = time.perf_counter()
    return {"transfer": t1 - t0, "neighbours": t2 - t1, "generation": t3 - t2,
            "total": t3 - t0, "device": torch.cuda.get_device_name(device)}


def fp32_lanes_per_sm(major: int, minor: int) -> int:
    """FP32 lanes per SM of a compute capability (128 unless listed as 64)."""
    return _FP32_LANES.get((major, minor), 128)


def roofline_seconds(n_rows: int, n_features: int, n_minority: int, n_new: int, k: int,
                     fp32_flops: float, bandwidth: float, itemsize: int = 4) -> float:
    """Lower bound on a SMOTE run from its arithmetic and its memory traffic.

    FLOPs: the minority class's all-pairs GEMM, ``2 n_min^2 d``. Bytes: read
    X once, write the output (``n_rows + n_new`` rows) once, read two rows per
    synthetic row, and the ``n_min x k`` neighbour table (int64) once.
    The two terms are added: the GEMM cannot overlap with the copy of its own
    inputs and the writing of the output it feeds.

    Parameters
    ----------
    n_rows, n_features, n_minority, n_new, k : int
        The workload.
    fp32_flops : float
        Peak FP32 FLOP/s of the device.
    bandwidth : float
        Device memory bandwidth in bytes/s (read + write counted).
    itemsize : int, default=4
        Bytes per value (float32).

    Returns
    -------
    float
        Seconds.
    """
    flops = 2.0 * n_minority * n_minority * n_features
    values = (n_rows * n_features                  # read X
              + (n_rows + n_new) * n_features      # write the output
              + 2 * n_new * n_features)            # gather base and neighbour rows
    nbytes = values * itemsize + n_minority * k * 8
    return flops / fp32_flops + nbytes / bandwidth


def device_fp32_flops(device: int | None = None) -> float:  # pragma: no cover - needs a GPU
    """Peak FP32 FLOP/s (FMA = 2) of a CUDA device: SMs x lanes x 2 x clock."""
    import cupy

    dev = cupy.cuda.Device(device) if device is not None else cupy.cuda.Device()
    attrs = dev.attributes
    n_sm = int(attrs["MultiProcessorCount"])
    clock_khz = attrs.get("ClockRate")
    if not clock_khz:  # CUDA 13 dropped clockRate from the properties; ask the props anyway
        clock_khz = cupy.cuda.runtime.getDeviceProperties(dev.id).get("clockRate")
    if not clock_khz:
        raise RuntimeError("the device reports no clock rate; use roofline_seconds() with "
                           "the FP32 FLOP/s from the data sheet")
    cc = str(dev.compute_capability)  # "90", "100", ...
    major, minor = int(cc[:-1]), int(cc[-1])
    return n_sm * fp32_lanes_per_sm(major, minor) * 2.0 * float(clock_khz) * 1e3


def measured_bandwidth(device: int | None = None, nbytes: int = 1 << 28,
                       repeats: int = 5) -> float:  # pragma: no cover - needs a GPU
    """Device copy bandwidth in bytes/s: a CuPy device-to-device copy, read + write counted."""
    import cupy

    with cupy.cuda.Device(device if device is not None else cupy.cuda.Device().id):
        src = cupy.ones(nbytes // 4, dtype=cupy.float32)
        dst = cupy.empty_like(src)
        dst[...] = src  # warm-up
        best = float("inf")
        for _ in range(repeats):
            with cuda_timer() as t:
                dst[...] = src
            best = min(best, t.seconds)
        del src, dst
    return 2.0 * nbytes / best


def roofline_floor(n_rows: int, n_features: int, n_minority: int, n_new: int, k: int,
                   device: int | None = None) -> float:  # pragma: no cover - needs a GPU
    """Roofline floor in seconds for a SMOTE run on a CUDA device.

    The GEMM FLOPs at the device's FP32 peak plus the unavoidable bytes at
    the copy bandwidth measured now (``roofline_seconds`` has the model).

    Parameters
    ----------
    n_rows, n_features, n_minority, n_new, k : int
        The workload: all rows, features, minority rows, rows to make, neighbours.
    device : int, default=None
        CUDA device id; the current device when None.

    Returns
    -------
    float
        Seconds. A run's fraction of the floor is ``floor / measured``.
    """
    return roofline_seconds(n_rows, n_features, n_minority, n_new, k,
                            device_fp32_flops(device), measured_bandwidth(device))
