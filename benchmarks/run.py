"""Run benchmark workloads and write JSON to benchmarks/results/.

    python benchmarks/run.py W1 W2 W4 --backends numpy --repeat 3 --dtypes float32,float64
    python benchmarks/run.py W3 --backends cupy          # on a machine with a GPU
    python benchmarks/run.py W2 --backends cupy --inputs host   # NumPy in, transfers timed

A thin wrapper around gpusmote.bench (also reachable as `gpusmote bench`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# runs from a checkout too (a GPU machine may have no install of it)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gpusmote import bench  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="+", choices=sorted(bench.WORKLOADS))
    parser.add_argument("--backends", default="numpy", help="comma-separated: numpy,cupy")
    parser.add_argument("--dtypes", default="float32", help="comma-separated: float32,float64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(bench.PROFILES), default="full")
    parser.add_argument("--methods", default=None,
                        help="comma-separated subset of the workloads' methods")
    parser.add_argument("--inputs", default="device",
                        help="cupy runs: device (CuPy arrays) and/or host (NumPy arrays, "
                             "transfers timed), comma-separated")
    parser.add_argument("--without-imblearn", action="store_true",
                        help="time gpusmote alone (block-size sweeps)")
    parser.add_argument("--working-memory", type=float, default=None,
                        help="gpusmote's block budget in MiB (block-size sweeps)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    results, path = bench.run(args.workloads, args.backends.split(","), repeat=args.repeat,
                              profile=args.profile, out_dir=args.out,
                              dtypes=tuple(args.dtypes.split(",")), progress=True,
                              methods=args.methods.split(",") if args.methods else None,
                              inputs=tuple(args.inputs.split(",")),
                              working_memory=args.working_memory,
                              with_imblearn=not args.without_imblearn)
    print(bench.format_table(results))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
