"""Where CondensedNearestNeighbour's time goes on a GPU (W5U's rows): the k-NN
search that sets each row's bar, the condensing scan, and the whole sampler,
each timed apart with the device synchronised. Prints JSON; with --out, also
writes it there. Written after the 2026-11-27 check timed CNN at 6.27 s on an
H100 against 2.74 s on the NumPy backend."""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--backend", default="cupy")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--out")
    args = p.parse_args()
    from gpusmote import CondensedNearestNeighbour, bench
    from gpusmote._condensed import _Condenser
    from gpusmote._timing import record
    from gpusmote.backends import get_backend
    from gpusmote.neighbors import kneighbors

    be = get_backend(args.backend)
    sync = getattr(be, "synchronize", lambda: None)
    xp = be.xp
    X, y = bench.make_data(bench.WORKLOADS["W5U"], scale=args.scale)
    Xd = be.asarray(X)
    minority = be.asarray(np.flatnonzero(y == 1))
    majority = be.asarray(np.flatnonzero(y == 0))
    out: dict = {"backend": args.backend, "rows": len(y)}

    def timed(name, fn, repeat=3):
        seconds = []
        for _ in range(repeat):
            sync()
            t = time.perf_counter()
            with record() as phases:
                fn()
            sync()
            seconds.append(round(time.perf_counter() - t, 5))
        out[name] = {"seconds": seconds,
                     "phases": {k: round(v, 5) for k, v in phases.items()},
                     "counts": dict(phases.counts)}
        print(name, out[name], flush=True)

    for k in (1, 2, 5):
        timed(f"kneighbors_k{k}", lambda k=k: kneighbors(
            Xd[minority], k, queries=Xd[majority], backend=be.name, return_distance=False))
    timed("kneighbors_self_minority_k5", lambda: kneighbors(
        Xd[minority], 5, backend=be.name, return_distance=False))
    timed("condenser_init", lambda: _Condenser(be, Xd, majority, minority, 1, 1, None))
    cond = _Condenser(be, Xd, majority, minority, 1, 1, None)
    timed("condenser_run", lambda: cond.run(be.asarray(np.array([5], dtype=np.int64))))
    yd = be.asarray(y)
    timed("cnn", lambda: CondensedNearestNeighbour(
        random_state=0, backend=be.name).fit_resample(Xd, yd))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
