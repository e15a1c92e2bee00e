"""The Python steps of ``benchmarks/device_check.sh`` (the one-call GPU check).

    python benchmarks/device_check.py hash gpusmote          # print the tree hash
    python benchmarks/device_check.py env OUT/env.json       # versions, NVRTC build, smoke
    python benchmarks/device_check.py bench OUT/W3.json W3 --inputs device --repeat 5
    python benchmarks/device_check.py kernel-tests "gpu_topk and not 3000"   # under a sanitizer

Each step writes what it has, even when a part of it fails (the failure is
recorded in the JSON and the exit status is non-zero), so a device call
always brings back something to read. Sizes and pacing come from the
environment, so the CI dry run (``tests/test_device_check.py``) can run the
same code at a tiny scale on the CuPy stand-in:

``DC_SCALE``        fraction of each workload's rows (default 1.0, the full size)
``DC_MIN_SECONDS``  gpusmote rounds go on until it has run this long (default 2.0)
``DC_IDLE_GAP``     pause before each timed run, seconds (default 0.3)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_hash(package_dir: str | os.PathLike) -> str:
    """sha256 over the relative paths and bytes of every ``.py`` file below
    ``package_dir``: the same for the tree and for the package a wheel installs."""
    root = Path(package_dir)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def write_json(path: str | os.PathLike, data) -> None:
    """Write ``data`` atomically (a step killed mid-write leaves the last good file)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, path)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


class Checks:
    """Named results; a failing part is recorded with its traceback and the rest goes on."""

    def __init__(self, out: dict):
        self.out = out
        self.failed: list[str] = []

    def run(self, name: str, fn):
        t = time.perf_counter()
        try:
            value = fn()
            ok = value.pop("ok", True) if isinstance(value, dict) else True
            self.out[name] = value
        except Exception:
            ok = False
            self.out[name] = {"error": traceback.format_exc(limit=6)}
            print(self.out[name]["error"], file=sys.stderr)
        if not ok:
            self.failed.append(name)
        print(f"  {name}: {'ok' if ok else 'FAILED'} ({time.perf_counter() - t:.2f}s)",
              flush=True)

    def save(self, path) -> int:
        """Write the results, with the names of the failed parts, as JSON; the exit status."""
        self.out["failed"] = self.failed
        write_json(path, self.out)
        return 1 if self.failed else 0


# -- env: versions, NVRTC build of every kernel, smoke test -----------------------------

def _versions() -> dict:
    import cupy
    import numpy

    import gpusmote

    v = {"python": platform.python_version(), "gpusmote": gpusmote.__version__,
         "gpusmote_file": gpusmote.__file__, "gpusmote_tree_hash":
         tree_hash(Path(gpusmote.__file__).parent), "numpy": numpy.__version__,
         "cupy": cupy.__version__, "fake_cupy": bool(getattr(cupy, "FAKE", False))}
    for dist in ("scipy", "scikit-learn", "imbalanced-learn", "sklearn-compat", "torch",
                 "pytest", "threadpoolctl"):
        v[dist] = _version(dist)
    rt = cupy.cuda.runtime
    for key, fn in (("cuda_runtime", lambda: rt.runtimeGetVersion()),
                    ("cuda_driver", lambda: rt.driverGetVersion()),
                    ("nvrtc", lambda: cupy.cuda.nvrtc.getVersion())):
        try:
            v[key] = fn()
        except Exception as exc:  # the stand-in has no CUDA versions
            v[key] = f"unavailable: {exc!r}"
    return v


def _device() -> dict:
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"]
    free, total = cupy.cuda.Device().mem_info
    keys = ("major", "minor", "multiProcessorCount", "clockRate", "memoryClockRate",
            "memoryBusWidth", "l2CacheSize", "sharedMemPerBlockOptin", "totalGlobalMem")
    out = {"name": name.decode() if isinstance(name, bytes) else str(name),
           "free_gib": round(free / 2**30, 2), "total_gib": round(total / 2**30, 2)}
    out.update({k: props[k] for k in keys if k in props})
    return out


def _build_kernels() -> dict:
    """Compile the module (NVRTC) and load every instantiation; per-kernel resources."""
    from gpusmote.backends import _kernels

    import cupy

    t = time.perf_counter()
    module = _kernels._module(int(cupy.cuda.runtime.getDevice()))
    kernels = {}
    for name in _kernels.name_expressions():
        fn = module.get_function(name)
        attrs = {}
        for attr in ("num_regs", "local_size_bytes", "shared_size_bytes",
                     "max_threads_per_block", "binary_version"):
            try:
                attrs[attr] = getattr(fn, attr)
            except Exception:  # the stand-in's kernels have none of these
                attrs[attr] = None
        kernels[name] = attrs
    spills = [n for n, a in kernels.items() if a.get("local_size_bytes")]
    return {"seconds": round(time.perf_counter() - t, 3), "kernels": kernels,
            "kernels_with_local_memory": spills}


def _smoke_kneighbors() -> dict:
    import cupy as cp
    import numpy as np

    from gpusmote.neighbors import kneighbors

    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 16)).astype(np.float32)
    X[1500:1510] = X[0]  # duplicates: ties the certification must settle by index
    out = {"ok": True}
    for wm in (None, 0.05):  # default blocks, then tiny ones (many launches, ragged edges)
        a = kneighbors(cp.asarray(X), 5, backend="cupy", working_memory=wm,
                       return_distance=False).get()
        b = kneighbors(X, 5, backend="numpy", working_memory=wm, return_distance=False)
        differ = int((a != b).any(axis=1).sum())
        out[f"rows_differing_wm_{wm}"] = differ
        out["ok"] &= differ == 0
    return out


def _smoke_interpolate() -> dict:
    import cupy as cp
    import numpy as np

    from gpusmote.backends._cupy import CupyBackend
    from gpusmote.backends._numpy import NumpyBackend

    rng = np.random.default_rng(1)
    out = {"ok": True}
    for dtype in (np.float32, np.float64):
        X = (1e3 + rng.standard_normal((300, 7))).astype(dtype)
        rows, nbrs = rng.integers(0, 300, 1000), rng.integers(0, 300, 1000)
        steps = rng.random(1000).astype(dtype)
        want = np.empty((1000, 7), dtype=dtype)
        NumpyBackend().interpolate(X, rows, nbrs, steps, want, chunk_rows=64)
        got = cp.full((1000, 7), np.nan, dtype=dtype)
        CupyBackend().interpolate(cp.asarray(X), cp.asarray(rows), cp.asarray(nbrs),
                                  cp.asarray(steps), got, chunk_rows=64)
        same = bool(np.array_equal(got.get(), want))
        out[f"bitwise_equal_{np.dtype(dtype).name}"] = same
        out["ok"] &= same
    return out


def _smoke_smote() -> dict:
    import cupy as cp
    import numpy as np

    from gpusmote import SMOTE

    rng = np.random.default_rng(2)
    X = rng.standard_normal((4000, 12)).astype(np.float32)
    y = (rng.random(4000) < 0.05).astype(np.int64)
    n_new = int((y == 0).sum() - (y == 1).sum())
    Xr, yr = SMOTE(random_state=0, backend="cupy").fit_resample(cp.asarray(X), y)
    Xn, yn = SMOTE(random_state=0, backend="numpy").fit_resample(X, y)
    Xr_host = Xr.get() if isinstance(Xr, cp.ndarray) else np.asarray(Xr)
    yr_host = yr.get() if hasattr(yr, "get") else np.asarray(yr)
    new = Xr_host[len(X):]
    lo, hi = X[y == 1].min(axis=0), X[y == 1].max(axis=0)
    checks = {
        "device_in_device_out": isinstance(Xr, cp.ndarray),
        "shape_matches_numpy": Xr_host.shape == Xn.shape and yr_host.shape == yn.shape,
        "originals_kept": bool(np.array_equal(Xr_host[:len(X)], X)),
        "labels_match_numpy": bool(np.array_equal(yr_host, yn)),
        "new_rows": int(new.shape[0]) == n_new,
        "finite": bool(np.isfinite(Xr_host).all()),
        # each new row lies between two minority rows, hence in their bounding box
        "inside_minority_box": bool(((new >= lo - 1e-5) & (new <= hi + 1e-5)).all()),
    }
    return {**checks, "ok": all(checks.values())}


def cmd_env(args) -> int:
    info: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    checks = Checks(info)
    checks.run("versions", _versions)
    checks.run("device", _device)
    checks.run("kernel_build", _build_kernels)
    checks.run("smoke_kneighbors", _smoke_kneighbors)
    checks.run("smoke_interpolate", _smoke_interpolate)
    checks.run("smoke_smote", _smoke_smote)
    status = checks.save(args.out)
    print(json.dumps({k: info[k] for k in ("versions", "device") if k in info}, indent=1,
                     default=str))
    print("env: " + ("all ok" if not checks.failed else f"FAILED: {checks.failed}"))
    return status


# -- bench: workloads through gpusmote.bench, one JSON rewritten after each job ----------

def cmd_bench(args) -> int:
    import numpy as np

    from gpusmote import bench

    context = bench._gpu_context

    def safe_context(*a, **k):  # the PyTorch baseline and roofline come after the
        try:                    # timings: a failure there must not lose them
            return context(*a, **k)
        except Exception as exc:
            traceback.print_exc()
            return {"gpu_context_error": repr(exc)}

    bench._gpu_context = safe_context
    scale = _env_float("DC_SCALE", 1.0)
    results = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "profile": "device_check",
               "scale": scale, "machine": bench.machine_info(), "results": [],
               "settings": {"repeat": args.repeat, "imblearn_repeat": args.imblearn_repeat,
                            "with_imblearn": not args.without_imblearn,
                            "min_seconds": _env_float("DC_MIN_SECONDS", 2.0),
                            "idle_gap": _env_float("DC_IDLE_GAP", 0.3)}}
    write_json(args.out, results)
    failed = 0
    for wid in args.workloads:
        if wid not in bench.WORKLOADS:
            results["results"].append({"workload": wid, "error": "unknown workload"})
            failed += 1
            continue
        wl = bench.WORKLOADS[wid]
        for method in wl.methods:
            if args.methods and method not in args.methods.split(","):
                continue
            for where in args.inputs.split(","):
                t = time.perf_counter()
                print(f"  {wid} {method} input={where} ...", flush=True)
                try:
                    r = bench.run_workload(
                        wl, method, "cupy", np.float32, args.repeat, scale,
                        with_imblearn=not args.without_imblearn,
                        min_seconds=results["settings"]["min_seconds"],
                        idle_gap=results["settings"]["idle_gap"], input=where,
                        imblearn_repeat=args.imblearn_repeat)
                except Exception:
                    r = {"workload": wid, "method": method, "input": where,
                         "error": traceback.format_exc(limit=8)}
                    print(r["error"], file=sys.stderr)
                    failed += 1
                r["wall_seconds"] = round(time.perf_counter() - t, 2)
                results["results"].append(r)
                write_json(args.out, results)
                if "error" not in r:
                    _print_run(r)
    good = {**results, "results": [r for r in results["results"] if "error" not in r]}
    if good["results"]:
        print(bench.format_table(good))
    return 1 if failed else 0


def _print_run(r: dict) -> None:
    runs = r["runs"]["gpusmote"]
    med = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]
    print(f"  {r['workload']} {r['method']} {r['input']}: gpusmote median "
          f"{r['median_seconds']['gpusmote']:.4f}s over {len(runs)} runs, phases "
          f"{ {k: round(v, 4) for k, v in med['phases'].items()} }, peak device "
          f"{(med.get('peak_device_bytes') or 0) / 2**20:.0f} MiB"
          + (f", imblearn {r['median_seconds']['imblearn']:.3f}s "
             f"({len(r['runs']['imblearn'])} runs)" if "imblearn" in r["runs"] else "")
          + (f", nn vs torch {r['neighbours_speedup_vs_torch']:.2f}x"
             if r.get("neighbours_speedup_vs_torch") else "")
          + (f", roofline {r['fraction_of_roofline']:.1%}"
             if r.get("fraction_of_roofline") else ""), flush=True)


# -- kernel-tests: the gpu kernel tests with CuPy's pool off (for compute-sanitizer) -----

def cmd_kernel_tests(args) -> int:
    import cupy
    import pytest

    set_allocator = getattr(cupy.cuda, "set_allocator", None)  # the stand-in has none
    if set_allocator is not None:
        set_allocator(None)  # one cudaMalloc per array: memcheck sees every overrun
    rc = pytest.main(["-q", "-p", "no:cacheprovider", "-m", "gpu", "-o", "addopts=",
                      "-W", "default::DeprecationWarning", "-W", "default::FutureWarning",
                      str(ROOT / "tests" / "test_kernels.py"), "-k", args.select])
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        print(f"NO KERNEL TEST MATCHES -k {args.select!r}: update the selection in "
              "benchmarks/device_check.sh to the names in tests/test_kernels.py")
    return int(rc)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("hash", help="print the tree hash of a package folder")
    p.add_argument("package_dir")
    p = sub.add_parser("env", help="versions, NVRTC build of every kernel, smoke test")
    p.add_argument("out")
    p = sub.add_parser("bench", help="workloads through gpusmote.bench on the cupy backend")
    p.add_argument("out")
    p.add_argument("workloads", nargs="+")
    p.add_argument("--inputs", default="device", help="device and/or host, comma-separated")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--imblearn-repeat", type=int, default=None)
    p.add_argument("--without-imblearn", action="store_true")
    p.add_argument("--methods", default=None, help="a comma-separated subset of the "
                   "workloads' methods (default: all of them)")
    p = sub.add_parser("kernel-tests", help="tests/test_kernels.py -m gpu -k SELECT, no pool")
    p.add_argument("select")
    args = parser.parse_args(argv)
    if args.cmd == "hash":
        print(tree_hash(args.package_dir))
        return 0
    return {"env": cmd_env, "bench": cmd_bench, "kernel-tests": cmd_kernel_tests}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
