"""SMOTENC at fraud scale: millions of rows, categorical columns with thousands of values.

    python benchmarks/smotenc_scale.py                  # issue 16's case and a small one
    python benchmarks/smotenc_scale.py --cases fraud    # only the 2 M-row case

Each case is a pandas DataFrame of ``rows`` rows: 20 float64 columns (the minority
rows shifted by 0.5) and one pandas category column per entry of ``cards``, whose
values are Zipf-distributed (exponent 1.1: a few common merchants, a long tail).
The minority share is 1 %; both samplers balance the classes with
``categorical_features="auto"``, ``random_state=0`` and their defaults.

Each run happens in a forked child of its own (the data shared copy-on-write), so
that peak memory is the run's own: ``peak_extra_bytes`` is the child's peak
resident memory above what it held before the call (the input is already there;
the result is held at the peak). imbalanced-learn's child runs under an address
space limit (``--imblearn-memory-gib``): an allocation past it fails at once with
NumPy's ``Unable to allocate ...`` instead of swapping, and the JSON records the
size it asked for (``requested_bytes``) as the figure, not as a crash. The JSON
also keeps the input and output sizes (pandas ``memory_usage(deep=True)``), the
phases, the machine and the versions.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

CASES = {
    # issue 16's target: 2 M rows, 20 numeric + 6 categorical columns of 10 to 50 000 values
    "fraud": {"rows": 2_000_000, "cards": [10, 100, 1_000, 5_000, 20_000, 50_000]},
    # small enough for imbalanced-learn to finish on this machine
    "small": {"rows": 100_000, "cards": [5, 10, 20, 50, 100, 200]},
}
NUMERIC = 20
MINORITY = 0.01
_UNITS = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60}


def make_frame(rows: int, cards: list[int], seed: int = 0):
    """The case's DataFrame and labels (see the module docstring)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < MINORITY).astype(np.int8)
    columns = {f"x{j}": rng.normal(loc=y * 0.5, size=rows) for j in range(NUMERIC)}
    for j, size in enumerate(cards):
        weights = 1.0 / np.arange(1, size + 1) ** 1.1
        codes = rng.choice(size, size=rows, p=weights / weights.sum())
        columns[f"c{j}"] = pd.Categorical.from_codes(
            codes, categories=[f"v{i}" for i in range(size)])
    return pd.DataFrame(columns), pd.Series(y, name="fraud")


def requested_bytes(message: str) -> int | None:
    """The size in NumPy's ``Unable to allocate 5.43 PiB for an array ...``."""
    match = re.search(r"Unable to allocate ([\d.]+) (\w+)", message)
    if not match or match.group(2) not in _UNITS:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def _run_child(library: str, X, y, memory_limit: int | None, send) -> None:
    from gpusmote.bench import _status_kib, measure

    if memory_limit is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    if library == "gpusmote":
        from gpusmote import SMOTENC
    else:
        from imblearn.over_sampling import SMOTENC
    sizes = {}

    def call():
        X_res, y_res = SMOTENC(categorical_features="auto", random_state=0).fit_resample(X, y)
        sizes["output_bytes"] = int(X_res.memory_usage(deep=True).sum())
        sizes["rows_out"] = int(len(X_res))
        return X_res, y_res

    start = time.perf_counter()
    before = _status_kib("VmRSS")
    try:
        result = measure(call)
        result.update(sizes)
    except MemoryError as exc:
        message = str(exc)
        peak = _status_kib("VmHWM")  # measure() reset it: the peak of this call
        result = {"failed": "MemoryError", "message": message[:500],
                  "requested_bytes": requested_bytes(message),
                  "peak_extra_bytes_before_failure": (peak - before) * 1024,
                  "seconds_to_failure": time.perf_counter() - start}
    send.send(result)


def run_one(library: str, X, y, memory_limit: int | None, timeout: float) -> dict:
    """One run of ``library``'s SMOTENC in a forked child (see the module docstring)."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_child, args=(library, X, y, memory_limit, send), daemon=True)
    proc.start()
    send.close()
    done = receive.poll(timeout)
    result = receive.recv() if done else {"failed": "timeout", "seconds_to_failure": timeout}
    if not done:
        proc.kill()
    proc.join()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="small,fraud",
                        help=f"comma-separated, from {sorted(CASES)}")
    parser.add_argument("--imblearn-memory-gib", type=float, default=None,
                        help="imbalanced-learn's address space limit (default: the "
                             "machine's memory less 2 GiB)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds before a run is stopped")
    parser.add_argument("--no-imblearn", action="store_true")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)

    from gpusmote.bench import machine_info

    machine = machine_info()
    limit_gib = args.imblearn_memory_gib or (machine["memory_gib"] - 2)
    limit = int(limit_gib * 2**30)
    report = {"benchmark": "smotenc_scale", "machine": machine, "numeric_columns": NUMERIC,
              "minority_share": MINORITY, "imblearn_memory_limit_bytes": limit, "cases": []}
    for name in args.cases.split(","):
        case = CASES[name]
        X, y = make_frame(case["rows"], case["cards"])
        input_bytes = int(X.memory_usage(deep=True).sum())
        entry = {"case": name, **case, "input_bytes": input_bytes,
                 "minority_rows": int(y.sum()), "runs": {}}
        libraries = ["gpusmote"] + ([] if args.no_imblearn else ["imbalanced-learn"])
        for library in libraries:
            result = run_one(library, X, y, limit if library != "gpusmote" else None,
                             args.timeout)
            entry["runs"][library] = result
            print(f"{name}: {library}: " + _summary(result, input_bytes), flush=True)
        report["cases"].append(entry)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"smotenc_scale_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"wrote {path}")
    return 0


def _summary(result: dict, input_bytes: int) -> str:
    if "failed" in result:
        asked = result.get("requested_bytes")
        ask = f", asked for {asked / input_bytes:,.0f}x the input" if asked else ""
        held = result.get("peak_extra_bytes_before_failure")
        held = f", after holding {held / 2**30:.1f} GiB" if held else ""
        return (f"failed ({result['failed']}) after {result['seconds_to_failure']:.1f} s"
                f"{held}{ask}: {result.get('message', '')[:120]}")
    extra = result["peak_extra_bytes"]
    return (f"{result['seconds']:.1f} s, peak {extra / 2**20:,.0f} MiB above the input "
            f"({extra / input_bytes:.2f}x the input of {input_bytes / 2**20:,.0f} MiB; "
            f"output {result['output_bytes'] / 2**20:,.0f} MiB)")


if __name__ == "__main__":
    sys.exit(main())
