"""Where W3's time goes on a GPU, and whether its answers are exact: one JSON.

    python benchmarks/diagnose.py OUT/diag.json [--workload W3] [--k 5] [--sample 2048]

Sections (each one is recorded, or its error is, and the next one runs):

``sampler``      SMOTE.fit_resample from device arrays: wall time of each run and the
                 per-phase split (validation, neighbours, generation, assembly).
``host_work``    the pieces of a run that are not kernels: labels to the host, label
                 checks, the sampling strategy, the new labels' upload, the finiteness
                 check of X, the device RNG's set-up.
``phase_a``      the neighbour search of the minority class at several block budgets
                 (``working_memory``, MiB; "default" is the samplers' default): the
                 ``kneighbors`` wall time, its top-k launches (block shapes, seconds from
                 CUDA events around ``CupyBackend.topk_update``), the GEMM's seconds (the
                 gaps between two launches on one row block, scaled to every launch)
                 and TFLOP/s, and the search's own phases and counters (rows whose
                 certification failed and were re-checked, duplicates, ...; the
                 counters are those ``gpusmote._timing.count`` records, if any).
``interpolate``  the interpolation kernel alone at the run's size.
``outside_kernels``  a median run minus GEMM, top-k and interpolation at the default
                 budget: an estimate of the time spent outside those kernels.
``exactness``    a sample of rows against a float64 brute force: rows whose neighbour
                 indices differ, and the largest relative gap in their distances.

It touches gpusmote's internals only through the backend's ``topk_update`` and
``interpolate``, ``gpusmote._timing`` and two validation helpers. The CI dry run
(``tests/test_device_check.py``) runs it on the CuPy stand-in and fails on any
section error, so a change that breaks it shows up there, not on the GPU.
``DC_SCALE`` (default 1.0) scales the workload's rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from device_check import Checks  # noqa: E402

BUDGETS_MIB = (16, 64, 256, 1024)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--workload", default="W3")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2048)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    import cupy as cp
    import numpy as np

    import gpusmote.neighbors as nb
    from gpusmote import SMOTE, _timing
    from gpusmote.backends._cupy import CupyBackend
    from gpusmote.bench import WORKLOADS, make_data

    D: dict = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "workload": args.workload,
               "k": args.k, "scale": float(os.environ.get("DC_SCALE", 1.0))}
    checks = Checks(D)

    def sync():
        cp.cuda.Device().synchronize()

    def wall(fn):
        sync()
        t = time.perf_counter()
        out = fn()
        sync()
        return time.perf_counter() - t, out

    def elapsed(a, b):
        return cp.cuda.get_elapsed_time(a, b) / 1e3

    X, y = make_data(WORKLOADS[args.workload], D["scale"])
    Xd = cp.asarray(X)
    yd = cp.asarray(y)
    be = CupyBackend()
    counts = np.bincount(y)
    minority = int(np.argmin(counts))
    Xm = cp.ascontiguousarray(Xd[cp.asarray(np.flatnonzero(y == minority))])
    n, d = Xm.shape
    D.update(rows=int(X.shape[0]), features=int(d), n_minority=int(n))

    # top-k launches timed by CUDA events around the backend's topk_update; the
    # gap between two launches on the same row block is the GEMM of the next block
    launches: list = []
    topk_update = CupyBackend.topk_update

    def timed_topk_update(self, state, G, *a, **kw):
        e0 = cp.cuda.Event()
        e0.record()
        topk_update(self, state, G, *a, **kw)
        e1 = cp.cuda.Event()
        e1.record()
        launches.append((id(state), tuple(G.shape), str(G.dtype), e0, e1))

    def counts_of(phases) -> dict:
        return dict(getattr(phases, "counts", {}))  # rows re-checked, duplicates, ...

    def sampler():
        SMOTE(random_state=0, backend="cupy").fit_resample(Xd[:20_000], yd[:20_000])  # warm
        runs = []
        for seed in range(args.runs):
            with _timing.record() as phases:
                seconds, out = wall(lambda: SMOTE(random_state=seed, backend="cupy")
                                    .fit_resample(Xd, yd))
            runs.append({"seconds": round(seconds, 5),
                         "phases": {k: round(v, 5) for k, v in phases.items()},
                         "counts": counts_of(phases)})
            del out
        return {"runs": runs, "median_seconds": statistics.median(r["seconds"] for r in runs)}

    def host_work():
        from imblearn.utils import check_sampling_strategy

        from gpusmote._labels import encode_labels
        from gpusmote._validation import _check_finite

        out = {}
        seconds, yh = wall(yd.get)
        out["y_to_host_s"] = seconds
        out["encode_labels_host_s"] = wall(lambda: encode_labels(yh, len(yh)))[0]
        out["encode_labels_device_s"] = wall(lambda: encode_labels(yd, len(yh), device=True))[0]
        out["check_sampling_strategy_s"] = wall(
            lambda: check_sampling_strategy("auto", yh, "over-sampling"))[0]
        n_new = int(counts.max() * len(counts) - len(yh))
        out["new_labels_upload_s"] = wall(
            lambda: cp.asarray(np.concatenate([yh, np.full(n_new, minority, yh.dtype)])))[0]
        out["check_finite_X_s"] = wall(lambda: _check_finite(cp, Xd))[0]
        be.rng(1).random(10)  # first use: cuRAND's set-up is not counted
        out["rng_setup_s"] = wall(lambda: be.rng(2))[0]
        return {k: round(v, 5) for k, v in out.items()}

    def search(wm) -> dict:
        """One kneighbors call at block budget ``wm`` (MiB), its top-k launches timed."""
        del launches[:]
        CupyBackend.topk_update = timed_topk_update
        try:
            with _timing.record() as phases:
                seconds, _ = wall(lambda: nb.kneighbors(Xm, args.k, backend="cupy",
                                                         working_memory=wm,
                                                         return_distance=False))
        finally:
            CupyBackend.topk_update = topk_update
        topk = sum(elapsed(e0, e1) for *_, e0, e1 in launches)
        gaps = [elapsed(a[4], b[3]) for a, b in zip(launches, launches[1:]) if a[0] == b[0]]
        shapes = sorted({(g, t) for _, g, t, *_ in launches})
        gemm = sum(gaps) / len(gaps) * len(launches) if gaps else None
        return {"kneighbors_s": round(seconds, 5), "launches": len(launches),
                "block_shapes": [list(g) + [t] for g, t in shapes],
                "topk_s": round(topk, 5),
                "gemm_s": None if gemm is None else round(gemm, 5),
                "gemm_note": f"mean of {len(gaps)} gaps between launches on one row block, "
                             "times the launches",
                "gemm_tflops": round(2.0 * n * n * d / gemm / 1e12, 2) if gemm else None,
                "topk_gbps_of_G": round(4.0 * n * n / topk / 1e9, 1) if topk else None,
                "phases": {k: round(v, 5) for k, v in phases.items()},
                "counts": counts_of(phases)}

    def phase_a_sweep():
        search(None)  # warm-up: cuBLAS handles, kernel load
        return {("default" if wm is None else str(wm)): search(wm)
                for wm in (None,) + BUDGETS_MIB}

    def interpolate():
        n_new = int(counts.max() - counts[minority])
        rng = np.random.default_rng(0)
        rows = cp.asarray(rng.integers(0, n, n_new))
        nbrs = cp.asarray(rng.integers(0, n, n_new))
        steps = cp.asarray(rng.random(n_new, dtype=np.float32))
        out = cp.empty((n_new, d), dtype=cp.float32)
        be.interpolate(Xm, rows, nbrs, steps, out, chunk_rows=n_new)  # warm-up
        e0, e1 = cp.cuda.Event(), cp.cuda.Event()
        e0.record()
        be.interpolate(Xm, rows, nbrs, steps, out, chunk_rows=n_new)
        e1.record()
        e1.synchronize()
        s = elapsed(e0, e1)
        return {"rows": n_new, "seconds": round(s, 5),
                "gbps": round((2 * n_new * d * 4 + n_new * (16 + 4)) / s / 1e9, 1) if s else None}

    def outside_kernels():
        total = D["sampler"]["median_seconds"]
        a = D["phase_a"]["default"]
        inside = (a["gemm_s"] or 0.0) + a["topk_s"] + D["interpolate"]["seconds"]
        return {"median_run_s": total, "gemm_topk_interpolate_s": round(inside, 5),
                "outside_s": round(total - inside, 5),
                "note": "estimate: the kernels were timed apart from the run"}

    def exactness():
        idx = nb.kneighbors(Xm, args.k, backend="cupy", return_distance=False)
        rng = np.random.default_rng(0)
        q = cp.asarray(np.sort(rng.choice(n, min(args.sample, n), replace=False)))
        X64 = Xm.astype(cp.float64)
        extra = min(n - 1, args.k + 10)
        cand = []
        for s0 in range(0, q.size, 256):  # float64 expanded form picks candidates...
            Q64 = X64[q[s0:s0 + 256]]
            d2 = (Q64 ** 2).sum(1)[:, None] + (X64 ** 2).sum(1)[None, :] - 2.0 * (Q64 @ X64.T)
            d2[cp.arange(Q64.shape[0]), q[s0:s0 + 256]] = cp.inf
            cand.append(cp.argsort(d2, axis=1)[:, :extra])
        cand = cp.concatenate(cand)
        # ...then exact differences order them by (distance, index)
        exact = ((X64[cand] - X64[q][:, None, :]) ** 2).sum(-1)
        by_index = cp.argsort(cand, axis=1)
        cand = cp.take_along_axis(cand, by_index, axis=1)
        exact = cp.take_along_axis(exact, by_index, axis=1)
        by_dist = cp.argsort(exact, axis=1)
        ref = cp.take_along_axis(cand, by_dist, axis=1)[:, :args.k]
        ref_d2 = cp.take_along_axis(exact, by_dist, axis=1)[:, :args.k]
        got = idx[q]
        got_d2 = ((X64[got] - X64[q][:, None, :]) ** 2).sum(-1)
        gap = float(cp.abs(got_d2 - ref_d2).max()) / max(float(ref_d2.max()), 1e-300)
        differ = int((ref != got).any(axis=1).sum())
        return {"rows_checked": int(q.size), "rows_with_other_indices": differ,
                "max_rel_d2_gap": gap, "ok": differ == 0}

    checks.run("sampler", sampler)
    checks.run("host_work", host_work)
    checks.run("phase_a", phase_a_sweep)
    checks.run("interpolate", interpolate)
    checks.run("outside_kernels", outside_kernels)
    checks.run("exactness", exactness)
    status = checks.save(args.out)
    print({k: D[k] for k in ("sampler", "outside_kernels", "exactness")
           if k in D})
    return status


if __name__ == "__main__":
    sys.exit(main())
