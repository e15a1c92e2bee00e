"""Benchmark workloads W1-W6 (SPEC section 6): gpusmote against imbalanced-learn.

Each workload is timed for gpusmote and for imbalanced-learn in the same
process, interleaved (gpusmote, imblearn, gpusmote, ...) so that a noisy
machine hurts both alike; the median of ``repeat`` runs is reported with the
raw timings, the per-phase split, and the peak extra host memory of each call
(Linux ``VmHWM`` after resetting it, so the input itself is not counted).
Results are written as JSON with the machine and library versions.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import _timing


@dataclass(frozen=True)
class Workload:
    """One row of SPEC section 6."""

    id: str
    rows: int
    features: int
    weights: tuple
    methods: tuple
    # what makes the data hard (STRESS_SHAPES); "plain" is the blobs alone
    shape: str = "plain"


def _stress(id: str, minority: int, shape: str, majority: int = 180_000) -> Workload:
    n = majority + minority
    return Workload(id, n, 30, (majority / n, minority / n), ("SMOTE",), shape)


# The shapes of fraud data that defeat a plain float32 search (issue #11):
# heavy tails, repeated rows, ties. Row-level shapes touch the minority, the
# class SMOTE searches; column-level ones touch every row.
STRESS_SHAPES = {
    "plain": "Gaussian blobs",
    "rows_1e3": "0.5 % of the minority's rows scaled by 1e3",
    "rows_1e6": "0.5 % of the minority's rows scaled by 1e6",
    "repeat_5_10": "each minority row 5 or 10 times",
    "one_row": "the minority is one row repeated",
    "repeat_20": "each minority row 20 times",
    "binary": "all 30 features binary (Bernoulli 0.1)",
    "one_1e7": "a single value of 1e7 in the minority",
    "column_1e9": "one column in 1e9 next to 29 columns in 1e-3",
    "zeros": "70 % of all values exactly zero",
}

STRESS = {w.id: w for w in (
    _stress("S1", 20_000, "plain"),
    _stress("S2", 20_000, "rows_1e3"),
    _stress("S3", 20_000, "rows_1e6"),
    _stress("S4", 20_000, "repeat_5_10"),
    _stress("S5", 2_000, "one_row"),
    _stress("S6", 5_000, "one_row"),
    _stress("S7", 20_000, "repeat_20"),
    _stress("S8", 20_000, "binary"),
    _stress("S9", 5_000, "one_1e7"),
    _stress("S10", 20_000, "column_1e9"),
    _stress("S11", 20_000, "zeros"),
)}

WORKLOADS = {
    "W1": Workload("W1", 100_000, 30, (0.99, 0.01), ("SMOTE",)),
    "W2": Workload("W2", 1_000_000, 30, (0.99, 0.01), ("SMOTE",)),
    "W3": Workload("W3", 10_000_000, 64, (0.99, 0.01), ("SMOTE",)),
    "W4": Workload("W4", 1_000_000, 32, (0.9, 0.05, 0.03, 0.015, 0.005), ("SMOTE",)),
    "W5": Workload("W5", 200_000, 30, (0.95, 0.05),
                   ("BorderlineSMOTE", "ADASYN", "SMOTETomek", "SMOTEENN")),
    "W6": Workload("W6", 2_000_000, 32, (0.98, 0.02), ("SMOTEENN", "BorderlineSMOTE")),
}
# `gpusmote bench` with no --workloads runs SPEC's; "stress" names all of STRESS.
DEFAULT_WORKLOADS = tuple(WORKLOADS)
WORKLOADS.update(STRESS)
# The common case at larger minorities (issue #11's floor targets): wider rows,
# and a minority of 200 000 rows whose all-pairs search dominates.
WORKLOADS.update({
    "C1": Workload("C1", 1_000_000, 64, (0.95, 0.05), ("SMOTE",)),
    "C2": Workload("C2", 1_000_000, 32, (0.8, 0.2), ("SMOTE",)),
    # W5's data (same rows, counts and seed), for the samplers of issue 15 that users
    # wait longest for: the sequential and all-rows cleaners, and SVMSMOTE
    "W5U": Workload("W5U", 200_000, 30, (0.95, 0.05),
                    ("CondensedNearestNeighbour", "SVMSMOTE", "NeighbourhoodCleaningRule",
                     "AllKNN")),
})

# Short workloads are repeated beyond --repeat until this much gpusmote time.
_MIN_SECONDS = 2.0
_MAX_ROUNDS = 31
_IDLE_GAP = 0.3

# "quick" keeps the workloads' shape at a tenth of the rows, for smoke runs.
PROFILES = {"full": 1.0, "quick": 0.1}
# Where the data of a CuPy run starts: on the device, or on the host (transfers timed).
INPUTS = ("device", "host")


def make_data(workload: Workload, scale: float = 1.0, dtype=np.float32, seed: int = 0):
    """A make_classification-style data set: one Gaussian blob per class whose
    centre differs on the first 10 features, with exact class shares."""
    rng = np.random.default_rng(seed)
    n = max(int(workload.rows * scale), 200 * len(workload.weights))
    # (the 1e-6 keeps shares like 2000 / 182000 from flooring one row short)
    counts = np.floor(np.array(workload.weights) * n + 1e-6).astype(np.int64)
    counts = np.maximum(counts, 20)  # smoke-run scales: every class can still be searched
    counts[0] += n - counts.sum()
    y = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(y)
    X = rng.standard_normal((n, workload.features), dtype=np.float32)
    informative = min(10, workload.features)
    centres = rng.normal(scale=1.5, size=(len(counts), informative)).astype(np.float32)
    X[:, :informative] += centres[y]
    X = X.astype(dtype, copy=False)
    if workload.shape != "plain":
        _make_hard(X, np.flatnonzero(y == len(counts) - 1), workload.shape, rng)
    return X, y


def _make_hard(X: np.ndarray, minority: np.ndarray, shape: str, rng) -> None:
    """Apply one of ``STRESS_SHAPES`` to ``X`` in place."""
    if shape not in STRESS_SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose from {sorted(STRESS_SHAPES)}.")
    rows = X[minority]
    if shape in ("rows_1e3", "rows_1e6"):
        some = rng.choice(len(rows), max(1, len(rows) // 200), replace=False)
        rows[some] *= 1e3 if shape == "rows_1e3" else 1e6
    elif shape == "one_row":
        rows[:] = rows[0]
    elif shape in ("repeat_5_10", "repeat_20"):
        times = (rng.choice([5, 10], len(rows)) if shape == "repeat_5_10"
                 else np.full(len(rows), 20))
        rows[:] = rng.permutation(np.repeat(rows, times, axis=0)[:len(rows)])
    elif shape == "one_1e7":
        rows[rng.integers(len(rows)), rng.integers(X.shape[1])] = 1e7
    X[minority] = rows
    if shape == "binary":
        X[:] = rng.random(X.shape) < 0.1
    elif shape == "column_1e9":
        X[:, 0] *= 1e9
        X[:, 1:] *= 1e-3
    elif shape == "zeros":
        X[rng.random(X.shape) < 0.7] = 0


# -- peak memory -------------------------------------------------------------
def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(fn: Callable[[], object]) -> dict:
    """Run ``fn`` once: wall seconds, per-phase seconds and peak extra host bytes."""
    can_reset = _reset_peak()
    before = _status_kib("VmRSS")
    with _timing.record() as phases:
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM") if can_reset else None
    rows_out = int(len(out[1])) if isinstance(out, tuple) else None
    del out
    extra = None if peak is None or before is None else max(0, peak - before) * 1024
    return {"seconds": seconds, "phases": dict(phases), "peak_extra_bytes": extra,
            "rows_out": rows_out, "search_counts": dict(phases.counts),
            "overhead": overhead_seconds(seconds, phases)}


def measure_with_limit(fn: Callable[[], object], limit: float) -> dict:
    """``measure(fn)`` in a forked child that is stopped after ``limit`` seconds.

    A run that does not finish is recorded as ``{"seconds": None,
    "timed_out_after": limit}``: imbalanced-learn's CondensedNearestNeighbour
    refits a classifier per row it adds and runs for hours on W5's rows, and
    a benchmark must report that as a bound, not wait for it. The child shares
    the data copy-on-write (Linux's fork), so nothing is pickled but the result.
    """
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(measure(fn))
        except BaseException as exc:  # the parent re-raises it with its message
            send.send({"error": f"{type(exc).__name__}: {exc}"})

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()
    done = receive.poll(limit)
    result = receive.recv() if done else None
    if not done:
        proc.kill()
    proc.join()
    if result is None:
        return {"seconds": None, "timed_out_after": float(limit), "phases": {},
                "peak_extra_bytes": None, "rows_out": None, "search_counts": {},
                "overhead": None}
    if "error" in result:
        raise RuntimeError(f"the timed run failed in its child process: {result['error']}")
    return result


# The phases that are the work itself; everything else in a run is overhead
# (validation, labels, transfers, assembly, Python between the phases).
# The neighbour search and its inner phases (prepare: duplicates, frame,
# scaling; refine: exact distances and certification; recheck) are work too.
NEIGHBOUR_PHASES = ("neighbours", "neighbours_prepare", "neighbours_refine",
                    "neighbours_recheck")
WORK_PHASES = NEIGHBOUR_PHASES + ("generation",)


def neighbour_seconds(phases: dict) -> float:
    """The whole neighbour search of one run: ``neighbours`` and its inner phases."""
    return sum(phases.get(p, 0.0) for p in NEIGHBOUR_PHASES)


def overhead_seconds(seconds: float, phases: dict) -> float | None:
    """Wall time outside the work phases; None for a run that records no phases
    (imbalanced-learn)."""
    if not phases:
        return None
    return seconds - sum(phases.get(p, 0.0) for p in WORK_PHASES)


def _sampler(library: str, method: str, backend: str, seed: int = 0,
             working_memory: float | None = None):
    if library == "imblearn":
        import imblearn.combine
        import imblearn.over_sampling
        import imblearn.under_sampling

        for module in (imblearn.over_sampling, imblearn.under_sampling, imblearn.combine):
            cls = getattr(module, method, None)
            if cls is not None:
                break
        else:
            raise ValueError(f"imbalanced-learn has no sampler {method!r}.")
        # a cleaner draws no random numbers: it has no random_state to set
        seeded = "random_state" in cls._get_param_names()
        return cls(**({"random_state": seed} if seeded else {}))
    import gpusmote

    cls = getattr(gpusmote, method)
    params = {"backend": backend, "working_memory": working_memory}
    if "random_state" in cls._get_param_names():
        params["random_state"] = seed
    return cls(**params)


def run_workload(workload: Workload, method: str, backend: str, dtype, repeat: int,
                 scale: float, with_imblearn: bool = True, progress=None,
                 min_seconds: float = _MIN_SECONDS, idle_gap: float = _IDLE_GAP,
                 input: str = "device", working_memory: float | None = None,
                 imblearn_repeat: int | None = None,
                 imblearn_limit: float | None = None) -> dict:
    """Interleaved runs of gpusmote and imbalanced-learn on one workload.

    ``input`` matters on ``backend="cupy"`` only: ``"device"`` hands gpusmote
    CuPy arrays already on the GPU, ``"host"`` hands it NumPy arrays, so the
    timings include the transfers both ways. ``working_memory`` (MiB) is
    passed to gpusmote's sampler: the block budget, for block-size sweeps.
    ``imblearn_repeat``, when given, runs imbalanced-learn in the first that
    many rounds only (gpusmote's rounds go on): one imbalanced-learn run of
    W3 takes tens of seconds, and the rounds that make up gpusmote's
    ``min_seconds`` must not rerun it. ``imblearn_limit`` (seconds) stops an
    imbalanced-learn run that takes longer (``measure_with_limit``): the
    speedup is then a lower bound, ``speedup_vs_imblearn_at_least``, and the
    warm-up is skipped for it.
    """
    if input not in INPUTS:
        raise ValueError(f"input must be one of {INPUTS}, got {input!r}.")
    if imblearn_repeat is not None and imblearn_repeat < 1:
        raise ValueError(f"imblearn_repeat must be at least 1, got {imblearn_repeat}.")
    X, y = make_data(workload, scale, dtype)
    if backend == "cupy" and input == "device":
        import cupy

        X_in, y_in = cupy.asarray(X), cupy.asarray(y)
    else:
        X_in, y_in = X, y
    libraries = ["gpusmote"] + (["imblearn"] if with_imblearn else [])
    runs: dict = {lib: [] for lib in libraries}
    # one untimed warm-up each (imports, thread pools, kernel compilation). On
    # the CPU a slice is enough and cheap even where one full run takes
    # minutes. On the GPU it is the full input: CuPy compiles each kernel on
    # its first use, a slice takes other search paths (the H100 check of
    # 2026-11-27 timed CNN's compilation, 6.1 s, as its run), and GPU runs
    # are short. That first call is kept as first_call_seconds.
    warm = slice(0, min(len(y), 20_000))
    first_call_seconds = None
    for lib in libraries:
        if lib == "imblearn" and imblearn_limit is not None:
            continue  # a warm-up of a run that may take hours would defeat the limit
        sampler = _sampler(lib, method, backend, working_memory=working_memory)
        if lib == "gpusmote" and backend == "cupy":
            first_call_seconds = _measure_on_device(
                lambda: sampler.fit_resample(X_in, y_in))["seconds"]
        else:
            data = (X_in[warm], y_in[warm]) if lib == "gpusmote" else (X[warm], y[warm])
            sampler.fit_resample(*data)
    # at least `repeat` rounds, and more for short runs (up to _MAX_ROUNDS) until
    # gpusmote has run _MIN_SECONDS in all: medians of a few 20 ms runs are noise
    rounds = 0
    after_cpu_run = True  # the warm-up ran imbalanced-learn or the NumPy backend
    while rounds < repeat or (rounds < _MAX_ROUNDS and
                              sum(r["seconds"] for r in runs["gpusmote"]) < min_seconds):
        for lib in libraries:
            if lib == "imblearn" and imblearn_repeat is not None and rounds >= imblearn_repeat:
                continue
            data = (X_in, y_in) if lib == "gpusmote" else (X, y)
            sampler = _sampler(lib, method, backend, working_memory=working_memory)
            # OpenBLAS and OpenMP workers spin for up to ~0.1 s after a call;
            # a pause lets them sleep so no run pays for the previous one (a
            # GPU run after a GPU run leaves no spinning workers: no pause)
            on_gpu = lib == "gpusmote" and backend == "cupy"
            if after_cpu_run or not on_gpu:
                time.sleep(idle_gap)
            after_cpu_run = not on_gpu
            if lib == "gpusmote" and backend == "cupy":
                runs[lib].append(_measure_on_device(lambda: sampler.fit_resample(*data)))
            elif lib == "imblearn" and imblearn_limit is not None:
                runs[lib].append(measure_with_limit(lambda: sampler.fit_resample(*data),
                                                    imblearn_limit))
            else:
                runs[lib].append(measure(lambda: sampler.fit_resample(*data)))
            if progress is not None and rounds < repeat:
                progress()
        rounds += 1
    result = {
        "workload": workload.id, "method": method, "backend": backend,
        "input": input if backend == "cupy" else "host", "working_memory": working_memory,
        "imblearn_repeat": imblearn_repeat,
        "dtype": np.dtype(dtype).name, "rows": int(X.shape[0]), "features": int(X.shape[1]),
        "shape": workload.shape,
        "class_counts": np.bincount(y).tolist(), "repeat": len(runs["gpusmote"]),
        # the neighbour search's defences in the last run (duplicates collapsed,
        # rows searched exactly, doubtful rows, rows re-checked exhaustively)
        "search_counts": runs["gpusmote"][-1].get("search_counts", {}),
        "recheck_share": statistics.median(
            r["phases"].get("neighbours_recheck", 0.0) / r["seconds"]
            for r in runs["gpusmote"]),
        # wall time outside neighbours, neighbours_recheck and generation (issue 10)
        "overhead_seconds": _median_or_none([r.get("overhead") for r in runs["gpusmote"]]),
        "overhead_share": _median_or_none([r["overhead"] / r["seconds"]
                                           for r in runs["gpusmote"]
                                           if r.get("overhead") is not None]),
        "rows_out": runs["gpusmote"][-1]["rows_out"],
        # the GPU warm-up on the full input: kernel compilation included (CuPy
        # keeps compiled kernels on disk, so this is once per machine and version)
        "first_call_seconds": first_call_seconds,
        "runs": runs,
        "imblearn_limit": imblearn_limit,
        # (None for a library none of whose runs finished within imblearn_limit)
        "median_seconds": {lib: None if any(r["seconds"] is None for r in runs[lib])
                           else statistics.median(r["seconds"] for r in runs[lib])
                           for lib in libraries},
        "best_seconds": {lib: min((r["seconds"] for r in runs[lib]
                                   if r["seconds"] is not None), default=None)
                         for lib in libraries},
        "median_peak_extra_bytes": {lib: _median_or_none([r["peak_extra_bytes"]
                                                          for r in runs[lib]])
                                    for lib in libraries},
    }
    if backend == "numpy" and method == "SMOTE":
        result.update(_cpu_context(X, y, result["median_seconds"]["gpusmote"]))
    if backend == "cupy" and method == "SMOTE" and input == "device":
        result.update(_gpu_context(X_in, y, repeat, result["median_seconds"]["gpusmote"]))
        if result.get("torch_median_neighbours_seconds"):
            ours = statistics.median(neighbour_seconds(r["phases"]) for r in runs["gpusmote"])
            result["neighbours_speedup_vs_torch"] = (
                result["torch_median_neighbours_seconds"] / ours if ours else None)
    if with_imblearn:
        med, best = result["median_seconds"], result["best_seconds"]
        timed_out = any(r["seconds"] is None for r in runs["imblearn"])
        if timed_out:
            # imbalanced-learn took longer than the limit: gpusmote is at least this
            # much faster, and no median of the unfinished runs exists
            result["speedup_vs_imblearn"] = None
            result["speedup_best_vs_imblearn"] = None
            result["speedup_vs_imblearn_at_least"] = imblearn_limit / med["gpusmote"]
        else:
            result["speedup_vs_imblearn"] = med["imblearn"] / med["gpusmote"]
            result["speedup_best_vs_imblearn"] = best["imblearn"] / best["gpusmote"]
        mem = result["median_peak_extra_bytes"]
        if mem["gpusmote"] and mem["imblearn"]:
            result["peak_memory_ratio_vs_imblearn"] = mem["gpusmote"] / mem["imblearn"]
    return result


def _measure_on_device(fn: Callable[[], object]) -> dict:
    """``measure`` plus the peak device bytes in use during the call."""
    from ._bench_gpu import track_device_peak

    with track_device_peak() as peak:
        out = measure(fn)
    out["peak_device_bytes"] = int(peak.peak_bytes)
    return out


def _gpu_context(X_dev, y, repeat: int, median_seconds: float, k: int = 5) -> dict:
    """The plain PyTorch baseline on the same GPU and the roofline floor of the run."""
    from ._bench_gpu import roofline_floor, torch_baseline

    counts = np.bincount(y)
    n_minority = int(counts[counts < counts.max()].sum())
    n_new = int(sum(counts.max() - c for c in counts if c < counts.max()))
    floor = roofline_floor(int(X_dev.shape[0]), int(X_dev.shape[1]), n_minority, n_new, k)
    context = {"roofline_floor_seconds": floor, "fraction_of_roofline": floor / median_seconds}
    try:
        import torch  # noqa: F401 - only to know whether the baseline can run
    except ImportError:
        return {**context, "torch_baseline": None,
                "torch_note": "PyTorch is not installed here: no baseline "
                              "(pip install torch to add it)"}
    baseline = []
    for _ in range(repeat):
        phases: dict = {}
        for label in np.flatnonzero(counts < counts.max()):
            rows = np.flatnonzero(y == label)
            one = torch_baseline(X_dev[rows], k, int(counts.max() - counts[label]))
            for name, value in one.items():
                if isinstance(value, float):
                    phases[name] = phases.get(name, 0.0) + value
                else:
                    phases[name] = value
        baseline.append(phases)
    return {**context, "torch_baseline": baseline,
            "torch_median_seconds": statistics.median(b["total"] for b in baseline),
            "torch_median_neighbours_seconds": statistics.median(
                b["neighbours"] for b in baseline)}


def _cpu_context(X, y, median_seconds: float, k: int = 5) -> dict:
    """The CPU floor of the run (``_bench_cpu``) and the run's fraction of it."""
    from ._bench_cpu import smote_floor

    counts = np.bincount(y)
    minority = [c for c in range(len(counts)) if 0 < counts[c] < counts.max()]
    n_new = int(sum(counts.max() - counts[c] for c in minority))
    # the search needs only the distinct rows: repeated ones are collapsed first
    searched = [len(np.unique(X[y == c], axis=0)) for c in minority]
    floor = smote_floor(int(X.shape[0]), int(X.shape[1]), searched, n_new, k,
                        X.dtype.itemsize)
    return {**floor, "fraction_of_floor": floor["floor_seconds"] / median_seconds}


def _median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def machine_info() -> dict:
    """What ran the benchmark: CPU, cores, memory, GPU (if any) and versions."""
    import imblearn
    import scipy
    import sklearn
    import threadpoolctl

    from . import __version__
    from .backends import cupy_available

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = None
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1) if mem_kib else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {"gpusmote": __version__, "numpy": np.__version__,
                     "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                     "imbalanced-learn": imblearn.__version__},
        "blas": [{k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads",
                                                           "architecture")}
                 for lib in threadpoolctl.threadpool_info() if lib.get("user_api") == "blas"],
        "gpu": None,
    }
    if cupy_available():  # pragma: no cover - needs a GPU
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        info["gpu"] = {"name": name.decode() if isinstance(name, bytes) else str(name),
                       "memory_gib": round(props["totalGlobalMem"] / 2**30, 1)}
        info["versions"]["cupy"] = cupy.__version__
    return info


def run(workloads: list[str], backends: list[str], repeat: int = 3, profile: str = "full",
        out_dir: str | None = "benchmarks/results", dtypes=("float32",),
        with_imblearn: bool = True, progress: bool = False,
        methods: list[str] | None = None, min_seconds: float | None = None,
        idle_gap: float | None = None,
        inputs: tuple[str, ...] = ("device",),
        working_memory: float | None = None,
        imblearn_repeat: int | None = None,
        imblearn_limit: float | None = None) -> tuple[dict, str | None]:
    """Run the given workloads and write a JSON file; returns (results, path).

    ``methods``, when given, keeps only those of each workload's methods.
    Short workloads repeat until gpusmote has run ``min_seconds`` (at most
    31 rounds); every run starts after ``idle_gap`` seconds of quiet. Both
    default to 2 s and 0.3 s for the "full" profile and to 0 for "quick"
    smoke runs. ``inputs`` ("device" and/or "host") says where the data of
    CuPy runs starts and ``working_memory`` is gpusmote's block budget in MiB
    (see ``run_workload``), ``imblearn_repeat`` caps imbalanced-learn's
    runs per workload and ``imblearn_limit`` the seconds of each (see
    ``run_workload``).
    """
    full = profile == "full"
    min_seconds = (_MIN_SECONDS if full else 0.0) if min_seconds is None else min_seconds
    idle_gap = (_IDLE_GAP if full else 0.0) if idle_gap is None else idle_gap
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; choose from {sorted(WORKLOADS)}.")
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}.")
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}.")
    bad = [i for i in inputs if i not in INPUTS]
    if bad or not inputs:
        raise ValueError(f"inputs must be among {INPUTS}, got {list(inputs)}.")
    jobs = [(WORKLOADS[w], m, b, d, i) for w in workloads for m in WORKLOADS[w].methods
            if methods is None or m in methods for b in backends for d in dtypes
            for i in (inputs if b == "cupy" else ("host",))]
    if not jobs:
        raise ValueError(f"no method of {workloads} is in {methods}.")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs) * repeat * (1 + with_imblearn), desc="bench", unit="run")
    results = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "profile": profile,
               "scale": PROFILES[profile], "machine": machine_info(), "results": []}
    for wl, method, backend, dtype, where in jobs:
        results["results"].append(run_workload(
            wl, method, backend, np.dtype(dtype), repeat, PROFILES[profile], with_imblearn,
            progress=bar.update if bar else None, min_seconds=min_seconds, idle_gap=idle_gap,
            input=where, working_memory=working_memory, imblearn_repeat=imblearn_repeat,
            imblearn_limit=imblearn_limit))
    if bar:
        bar.close()
    path = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        tag = "gpu" if results["machine"]["gpu"] else "cpu"
        what = "-".join(workloads) + ("" if methods is None else "-" + "-".join(methods))
        name = f"{what}_{'-'.join(backends)}_{profile}_{tag}_{time.strftime('%Y%m%d-%H%M%S')}.json"
        path = str(Path(out_dir) / name)
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    return results, path


def _backend_label(r: dict) -> str:
    """``cupy`` for device-resident input, ``cupy(host)`` when transfers are timed."""
    return "cupy(host)" if r["backend"] == "cupy" and r.get("input") == "host" else r["backend"]


def format_table(results: dict) -> str:
    """A plain-text table of the medians, one line per workload, method, backend, dtype."""
    head = (f"{'workload':8} {'method':16} {'backend':11} {'dtype':7} {'rows':>10} "
            f"{'gpusmote s':>10} {'imblearn s':>10} {'speedup':>8} {'best-of':>8} "
            f"{'mem ratio':>9}")
    gpu = any("fraction_of_roofline" in r for r in results["results"])
    if gpu:  # the GPU context: PyTorch baseline and roofline
        head += f" {'torch s':>8} {'vs torch':>8} {'nn vs torch':>11} {'roofline':>8}"
    cpu_floor = any("fraction_of_floor" in r for r in results["results"])
    if cpu_floor:  # the CPU context: the measured GEMM + copy floor
        head += f" {'floor':>6}"
    stress = any(r.get("shape", "plain") != "plain" for r in results["results"])
    if stress:  # the neighbour search's defences, per hard shape
        head += f" {'shape':12} {'dup rows':>8} {'doubtful':>8} {'exhaust.':>8} {'recheck':>7}"
    lines = [head, "-" * len(head)]
    for r in results["results"]:
        med = r["median_seconds"]
        imb = med.get("imblearn")
        speed = r.get("speedup_vs_imblearn")
        at_least = r.get("speedup_vs_imblearn_at_least")
        best = r.get("speedup_best_vs_imblearn")
        mem = r.get("peak_memory_ratio_vs_imblearn")
        # an imbalanced-learn run stopped at the limit: '>600' seconds, '>84x' faster
        imb_text = ('-' if imb is None and at_least is None
                    else f">{r['imblearn_limit']:g}" if imb is None else format(imb, '.3f'))
        speed_text = ('-' if speed is None and at_least is None
                      else f">{at_least:.0f}x" if speed is None else format(speed, '.2f') + 'x')
        lines.append(
            f"{r['workload']:8} {r['method']:16} {_backend_label(r):11} {r['dtype']:7} "
            f"{r['rows']:>10} {med['gpusmote']:>10.3f} "
            f"{imb_text:>10} "
            f"{speed_text:>8} "
            f"{'-' if best is None else format(best, '.2f') + 'x':>8} "
            f"{'-' if mem is None else format(mem, '.2f'):>9}"
        )
        if gpu:
            torch_s = r.get("torch_median_seconds")
            nn = r.get("neighbours_speedup_vs_torch")
            roof = r.get("fraction_of_roofline")
            lines[-1] += (
                f" {'-' if torch_s is None else format(torch_s, '.3f'):>8}"
                f" {'-' if torch_s is None else format(torch_s / med['gpusmote'], '.2f') + 'x':>8}"
                f" {'-' if nn is None else format(nn, '.2f') + 'x':>11}"
                f" {'-' if roof is None else format(roof, '.1%'):>8}")
        if cpu_floor:
            frac = r.get("fraction_of_floor")
            lines[-1] += f" {'-' if frac is None else format(frac, '.0%'):>6}"
        if stress:
            c = r.get("search_counts", {})
            lines[-1] += (f" {r.get('shape', 'plain'):12} {c.get('duplicate_rows', 0):>8}"
                          f" {c.get('doubtful_rows', 0):>8} {c.get('exhaustive_rows', 0):>8}"
                          f" {r.get('recheck_share', 0.0):>7.1%}")
    return "\n".join(lines)
