"""Issue 14's benchmark: a fraud-style Parquet data set larger than memory, resampled
by ``gpusmote resample`` on Dask, against the I/O floor.

    python benchmarks/dask_scale.py --data /data/fraud100m            # write it, then measure
    python benchmarks/dask_scale.py --data /tmp/f --rows 10_000_000    # a smaller run
    python benchmarks/dask_scale.py --w2                               # W2: Dask vs memory

Steps, each in a fresh Python process whose peak resident memory (VmHWM) is recorded:

1. ``write`` (skipped when the data set is there): ``--rows`` rows × 32 float32
   features and an int8 ``is_fraud`` column (0.2 % frauds, their features shifted by
   0.5), in files of 1 000 000 rows (one row group each), seed 0.
2. ``floor``: a plain Dask read of the data set and a write of it (snappy Parquet, as
   gpusmote writes): the I/O any resampler of this data must do.
3. ``resample``: ``gpusmote resample DATA --target is_fraud -o OUT --sampling-strategy
   0.0204082`` (frauds to 2 % of the output: 0.02 / 0.98 of the legitimate rows, about
   1.8 M new rows for 100 M), on Dask's local threaded scheduler.
4. ``search``: the exact neighbour search alone on the fraud rows (read with a filter),
   what the resample spends in its one search, for its share of the wall time.

``--w2`` instead times W2 (1 000 000 × 30 float32, 1 % minority; ``gpusmote.bench``)
with SMOTE in memory against the same arrays as a ``dask.array`` of 10 chunks on a
``distributed.LocalCluster`` (2 worker processes, one thread each; the result
persisted there), interleaved, 7 runs each, a new ``random_state`` each run. The
chunks are scattered to the workers and the Dask arrays persisted: what a user
holds after ``client.persist``. ``dask_graph`` times the same arrays left as a
lazy concatenation of the scattered chunks, whose alias tasks every pass re-runs.

Before each step the OS page cache is emptied where the benchmark may (root on
Linux; ``cold_page_cache`` in the JSON), so no step reads what an earlier one left
in memory. Outputs are deleted after each step. The JSON keeps every step's wall time and peak
memory, the data set's size on disk, the machine and the versions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

FEATURES = 32
FRAUD_SHARE = 0.002
ROWS_PER_FILE = 1_000_000
STRATEGY = 0.02 / 0.98


def write_data(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    names = [f"f{j}" for j in range(FEATURES)] + ["is_fraud"]
    for i, start in enumerate(range(0, rows, ROWS_PER_FILE)):
        n = min(ROWS_PER_FILE, rows - start)
        rng = np.random.default_rng([0, i])
        fraud = (rng.random(n) < FRAUD_SHARE).astype(np.int8)
        X = rng.standard_normal((n, FEATURES), dtype=np.float32)
        X[fraud == 1] += np.float32(0.5)
        table = pa.table([pa.array(X[:, j]) for j in range(FEATURES)] + [pa.array(fraud)],
                         names=names)
        pq.write_table(table, path / f"part-{i:05d}.parquet", row_group_size=ROWS_PER_FILE)


def step_floor(data: Path, out: Path) -> dict:
    import dask.dataframe as dd

    start = time.perf_counter()
    dd.read_parquet(data).to_parquet(out, write_index=False)
    return {"seconds": time.perf_counter() - start}


def step_resample(data: Path, out: Path) -> dict:
    from gpusmote.cli import main

    start = time.perf_counter()
    code = main(["resample", str(data), "--target", "is_fraud", "-o", str(out),
                 "--sampling-strategy", f"{STRATEGY:.7f}", "-q"])
    seconds = time.perf_counter() - start
    import dask.dataframe as dd

    counts = dd.read_parquet(out, columns=["is_fraud"])["is_fraud"].value_counts().compute()
    return {"seconds": seconds, "exit_code": code,
            "rows_out": {str(k): int(v) for k, v in counts.items()}}


def step_search(data: Path) -> dict:
    import dask.dataframe as dd

    from gpusmote.neighbors import kneighbors

    start = time.perf_counter()
    frauds = dd.read_parquet(data, filters=[("is_fraud", "==", 1)]).compute()
    X = frauds.drop(columns=["is_fraud"]).to_numpy()
    read = time.perf_counter() - start
    start = time.perf_counter()
    kneighbors(X, 5, return_distance=False)
    return {"seconds": time.perf_counter() - start, "read_seconds": read,
            "fraud_rows": int(X.shape[0])}


def w2_comparison(repeat: int = 7) -> dict:
    """W2 with SMOTE: in memory against Dask on a LocalCluster (see the docstring)."""
    import dask.array as da
    from distributed import LocalCluster, wait

    from gpusmote import SMOTE
    from gpusmote.bench import WORKLOADS, make_data

    X, y = make_data(WORKLOADS["W2"])
    times = {"memory": [], "dask": [], "dask_graph": []}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, cluster.get_client() as client:
        # the chunks scattered to the workers (not shipped inside the graph)
        step = len(X) // 10
        parts = [(client.scatter(X[i:i + step]), client.scatter(y[i:i + step]), len(X[i:i + step]))
                 for i in range(0, len(X), step)]
        Xg = da.concatenate([da.from_delayed(px, (n, X.shape[1]), X.dtype) for px, _, n in parts])
        yg = da.concatenate([da.from_delayed(py, (n,), y.dtype) for _, py, n in parts])
        Xd, yd = client.persist([Xg, yg])
        wait([Xd, yd])
        inputs = {"dask": (Xd, yd), "dask_graph": (Xg, yg)}
        for run in range(repeat):
            # a new seed each run: the Dask result's keys differ, so no run finds
            # an earlier one's blocks still in the workers' memory
            start = time.perf_counter()
            SMOTE(random_state=run).fit_resample(X, y)
            times["memory"].append(time.perf_counter() - start)
            for kind, (Xk, yk) in inputs.items():
                start = time.perf_counter()
                X_res, y_res = SMOTE(random_state=run).fit_resample(Xk, yk)
                X_res, y_res = client.persist([X_res, y_res])
                wait([X_res, y_res])
                times[kind].append(time.perf_counter() - start)
                del X_res, y_res
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    return {"runs": times, "median_seconds": median,
            "dask_over_memory": median["dask"] / median["memory"],
            "dask_graph_over_memory": median["dask_graph"] / median["memory"]}


def child(step: str, data: str, out: str) -> None:
    """Run one step in this (fresh) process and print its result as JSON."""
    data_p, out_p = Path(data), Path(out)
    if step == "floor":
        result = step_floor(data_p, out_p)
    elif step == "resample":
        result = step_resample(data_p, out_p)
    else:
        result = step_search(data_p)
    from gpusmote.bench import _status_kib

    result["peak_rss_bytes"] = (_status_kib("VmHWM") or 0) * 1024
    print("RESULT " + json.dumps(result))


def drop_page_cache() -> bool:
    """Empty the OS page cache (root on Linux), so each step reads the data from disk
    as the first would; False where that is not allowed."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def run_step(step: str, data: Path, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cold = drop_page_cache()
    proc = subprocess.run([sys.executable, __file__, "--child", step, str(data), str(out)],
                          capture_output=True, text=True)
    shutil.rmtree(out, ignore_errors=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"step {step} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["cold_page_cache"] = cold
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="the data set's directory")
    parser.add_argument("--w2", action="store_true", help="time W2 in memory and on Dask")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--scratch", default=None,
                        help="where outputs go (default: next to --data)")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gpusmote.bench import machine_info

    if args.w2:
        report = {"benchmark": "dask_w2", "machine": machine_info(), **w2_comparison()}
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"dask_w2_{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(report, indent=1, default=str))
        print(f"W2 medians: memory {report['median_seconds']['memory']:.2f} s, Dask "
              f"{report['median_seconds']['dask']:.2f} s "
              f"({report['dask_over_memory']:.2f}x; unpersisted chunks "
              f"{report['dask_graph_over_memory']:.2f}x); wrote {path}")
        return 0
    if not args.data:
        parser.error("--data is needed (or --w2)")

    data = Path(args.data)
    scratch = Path(args.scratch or data.parent) / (data.name + "-out")
    report = {"benchmark": "dask_scale", "machine": machine_info(), "rows": args.rows,
              "features": FEATURES, "fraud_share": FRAUD_SHARE, "sampling_strategy": STRATEGY,
              "rows_per_file": ROWS_PER_FILE, "steps": {}}
    if not data.exists():
        start = time.perf_counter()
        write_data(data, args.rows)
        report["steps"]["write"] = {"seconds": time.perf_counter() - start}
        print(f"wrote {data} in {report['steps']['write']['seconds']:.0f} s", flush=True)
    report["data_bytes_on_disk"] = sum(f.stat().st_size for f in data.glob("*.parquet"))
    for step in ("floor", "resample", "search"):
        result = run_step(step, data, scratch)
        report["steps"][step] = result
        print(f"{step}: {result['seconds']:.1f} s, peak RSS "
              f"{result['peak_rss_bytes'] / 2**30:.2f} GiB", flush=True)
    steps = report["steps"]
    report["resample_over_floor"] = steps["resample"]["seconds"] / steps["floor"]["seconds"]
    report["search_share_of_resample"] = steps["search"]["seconds"] / steps["resample"]["seconds"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"dask_scale_{args.rows}_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"resample / floor = {report['resample_over_floor']:.2f}; search share "
          f"{report['search_share_of_resample']:.0%}; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
