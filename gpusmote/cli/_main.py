"""The ``gpusmote`` command line: ``resample``, ``demo``, ``compare`` and ``bench``.

A thin layer over the public API. The library, pandas, matplotlib and tqdm
(the ``cli`` extra) are imported inside the subcommands, so ``gpusmote --help``
and ``--version`` answer at once, on a bare install too. Results go to stdout,
progress and hints to stderr; every expected failure ends in one line,
``gpusmote: error: ...``, with exit status 2, and every warning raised while a
command runs is one line, ``gpusmote: warning: ...``. Both speak of the
command's flags, not of the samplers' parameters (``cli_message``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

from ._registry import (COMPARE_FLAGS, DEMO_FLAGS, EXIT_ERROR, METHODS, RESAMPLE_FLAGS,
                        SAMPLER_ERRORS, STRATEGY_WORDS, CLIError, cli_message, make_sampler,
                        need, one_line, parse_sampling_strategy, sampler_class)
from ._tables import (PROVENANCE_COLUMNS, categorical_columns, check_features_for,
                      check_provenance_free, counts_table, file_kind, id_hint, read_table,
                      resolve_columns, row_provenance, row_sources, same_file, write_table)

# Sampler parameter -> flag, for the messages of each command (see cli_message).
COMMAND_FLAGS = {"resample": RESAMPLE_FLAGS, "demo": DEMO_FLAGS, "compare": COMPARE_FLAGS}


# --------------------------------------------------------------------------
# helpers shared by the subcommands
# --------------------------------------------------------------------------
def _progress(total: int, quiet: bool, desc: str):
    """A tqdm bar on stderr, or a stand-in with the same methods.

    The bar is shown only on a terminal: redirected to a file or a pipe, its
    carriage returns would mix into the one-line error messages.
    """
    if not quiet and sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, file=sys.stderr, leave=False,
                        bar_format="{desc}: {n}/{total} {bar} [{elapsed}]")
        except ImportError:
            pass

    class _Silent:
        def update(self, n=1):
            pass

        def set_description_str(self, s):
            pass

        def close(self):
            pass

    return _Silent()


# --------------------------------------------------------------------------
# subcommands
# --------------------------------------------------------------------------
def cmd_resample(args: argparse.Namespace) -> int:
    """Resample a CSV/Parquet file (or, on Dask, a data set of files) and write the result."""
    from ._stream import find_source, resample_dask, use_dask

    source = find_source(args.input)  # a directory or a glob: its files, listed once
    many = source is not None
    kind = None if many else file_kind(args.input, "input")
    if many and args.engine == "memory":
        raise CLIError(f"input {args.input!r} is a directory or a pattern: the in-memory "
                       "engine reads one file; drop --engine memory to run on Dask")
    with _imports_without_gc():  # the sampler brings scikit-learn, SciPy, imbalanced-learn
        cls = sampler_class(args.method)  # fail on an unknown method before reading
    if use_dask(args, kind, source):
        return resample_dask(args, cls, source)
    file_kind(args.output, "output")
    if same_file(args.input, args.output):
        raise CLIError("output path is the input file; choose another -o so the input "
                       "is not overwritten")

    bar = _progress(3, args.quiet, "reading")
    try:
        with _imports_without_gc():  # pandas
            df = read_table(args.input)
        bar.update()
        cols = resolve_columns(df, args.input, args.target, index_col=args.index_col,
                               exclude=args.exclude, categorical=args.categorical)
        if args.provenance:
            check_provenance_free(df.columns, args.input)
        hint = id_hint(df, cols)
        if hint and not args.quiet:
            print(f"gpusmote: hint: {hint}", file=sys.stderr)
        frame = df.set_index(cols.index) if cols.index is not None else df
        y = frame[cols.target]
        X = frame.drop(columns=[cols.target] + cols.exclude)
        if X.shape[1] == 0:
            raise CLIError(f"{args.input} has no feature columns besides "
                           f"{', '.join(repr(str(c)) for c in cols.not_features)}")
        if y.isna().any():
            raise CLIError(f"target column {args.target!r} has {int(y.isna().sum())} missing "
                           "value(s); drop those rows first")
        given_dtypes = {c: X[c].dtype for c in cols.categorical}
        for c in cols.categorical:
            X[c] = X[c].astype("category")
        check_features_for(X, args.method)
        strategy = parse_sampling_strategy(args.sampling_strategy, y)
        sampler = make_sampler(args.method, sampling_strategy=strategy,
                               k_neighbors=args.k_neighbors, backend=args.backend,
                               seed=args.seed, m_neighbors=args.m_neighbors)
        bar.set_description_str(f"resampling with {cls.__name__}")
        start = time.perf_counter()
        try:
            X_res, y_res = sampler.fit_resample(X, y)
        except SAMPLER_ERRORS as exc:
            raise CLIError(cli_message(exc, RESAMPLE_FLAGS)) from None
        seconds = time.perf_counter() - start
        bar.update()
        out = _output_frame(df, cols, sampler, X, y, X_res, y_res, given_dtypes,
                            provenance=args.provenance)
        bar.set_description_str("writing")
        write_table(out, args.output)
        bar.update()
    finally:
        bar.close()

    if not args.quiet:
        before = y.value_counts(sort=False)
        after = out[cols.target].value_counts(sort=False)
        backend = getattr(sampler, "backend_", args.backend)
        print(f"{cls.__name__} on {backend}: {len(df)} -> {len(out)} rows in "
              f"{seconds:.2f} s; wrote {args.output}")
        print(counts_table(before, after))
    return 0


def _output_frame(df, cols, sampler, X, y, X_res, y_res, given_dtypes, provenance=False):
    """The table to write: the file's columns in its order, the index column and the
    pass-through columns filled in for every row (see ``row_sources``); with
    ``provenance``, then is_synthetic, parent_row and neighbour_row (see
    ``row_provenance``)."""
    out = X_res.copy()
    for c, dtype in given_dtypes.items():  # --categorical columns: back to the file's type
        out[c] = out[c].astype(dtype)
    out[cols.target] = _as_series(y_res, y)
    if cols.exclude:
        sources = row_sources(sampler, X, y, X_res, y_res)
        kept = df[cols.exclude].iloc[sources]
        for c in cols.exclude:
            out[c] = kept[c].array
    if cols.index is not None:
        out[cols.index] = out.index.array
    out = out.reset_index(drop=True)[cols.order]
    if provenance:
        columns = row_provenance(sampler, len(out), "--provenance")
        for name, values in zip(PROVENANCE_COLUMNS, columns):
            out[name] = values
    return out


@contextlib.contextmanager
def _imports_without_gc():
    """Pause the cyclic garbage collector while a call imports large packages.

    Importing scikit-learn, SciPy and pandas creates objects by the million and
    no garbage; the collector's passes over them were about a tenth of a small
    ``resample``'s wall time. Collection resumes (if it was on) when the call returns.
    """
    import gc

    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _as_series(y_res, y):
    """The resampled target as an array of the target's dtype (aligned by position)."""
    import pandas as pd

    if isinstance(y_res, pd.Series):
        return y_res.array
    return pd.array(y_res, dtype=y.dtype)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the fraud-style demo and print its report."""
    from . import _demo

    if args.plot:
        need("matplotlib", "demo", extra="demo")
    try:
        report = _demo.run_demo(n_rows=args.rows, positive_rate=args.positive_rate,
                                method=args.method, backend=args.backend, seed=args.seed,
                                sampling_strategy=_plain_strategy(args.sampling_strategy),
                                classifier=args.classifier, plot=args.plot,
                                log=None if args.quiet else _stderr_log)
    except SAMPLER_ERRORS as exc:
        raise CLIError(cli_message(exc, COMMAND_FLAGS.get(args.command, {}))) from None
    print(_demo.format_report(report))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Cross-validated comparison of methods and ratios."""
    from . import _compare

    if args.demo == bool(args.input):
        raise CLIError("compare needs INPUT --target COL, or --demo (not both)")
    try:
        ratios = [float(r) for r in args.ratios.split(",") if r.strip()]
    except ValueError:
        raise CLIError(f"--ratios {args.ratios!r} must be comma-separated numbers") from None
    if not ratios or any(r <= 0 or r > 1 for r in ratios):
        raise CLIError("--ratios must be numbers in (0, 1], for example 0.1,0.25,0.5,1.0")
    methods = _comma_list(args.methods) if args.methods else list(_compare.DEFAULT_METHODS)
    unknown = [m for m in methods if m not in _compare.COMPARE_METHODS]
    if unknown:
        raise CLIError(f"unknown compare method(s) {', '.join(unknown)}; choose from: "
                       f"{', '.join(_compare.COMPARE_METHODS)}")
    if args.folds < 2:
        raise CLIError("--folds must be at least 2")
    for path in (args.plot, args.json, args.csv):
        if path and args.input and same_file(path, args.input):
            raise CLIError(f"output path {path!r} is the input file; choose another")

    if args.csv:
        need("pandas", "compare")
    if args.plot:
        need("matplotlib", "compare")
    if args.demo:
        X, y = _compare.demo_data(seed=args.seed)
        source = f"built-in demo data ({len(y)} rows)"
    else:
        if not args.target:
            raise CLIError("compare INPUT needs --target COL")
        df = read_table(args.input, "compare")
        cols = resolve_columns(df, args.input, args.target, index_col=args.index_col,
                               exclude=args.exclude)
        hint = id_hint(df, cols)
        if hint and not args.quiet:
            print(f"gpusmote: hint: {hint}", file=sys.stderr)
        y = df[cols.target]
        X = df.drop(columns=cols.not_features)
        if X.shape[1] == 0:
            raise CLIError(f"{args.input} has no feature columns besides "
                           f"{', '.join(repr(str(c)) for c in cols.not_features)}")
        categorical = categorical_columns(X)
        if categorical:
            raise CLIError(f"compare needs numeric features; column(s) "
                           f"{', '.join(map(str, categorical[:10]))} are categorical "
                           "(encode or drop them)")
        source = f"{args.input} ({len(y)} rows)"
    try:
        result = _compare.run_compare(X, y, methods=methods, ratios=ratios, folds=args.folds,
                                      backend=args.backend, seed=args.seed,
                                      classifier=args.classifier, quiet=args.quiet)
    except SAMPLER_ERRORS as exc:
        raise CLIError(cli_message(exc, COMMAND_FLAGS.get(args.command, {}))) from None
    for row in result["rows"]:  # the samplers' warnings, once each
        for message in row.get("warnings") or []:
            _warn_line(f"{row['method']}: {cli_message(message, COMPARE_FLAGS)}")
    print(f"{args.folds}-fold stratified CV on {source}, resampling inside the training "
          f"folds; classifier {result['classifier']}")
    print(_compare.format_table(result))
    for note in result["notes"]:
        print(f"note: {note}")
    if args.json:
        _compare.write_json(result, args.json)
        print(f"wrote {args.json}")
    if args.csv:
        _compare.to_frame(result).to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    if args.plot:
        from . import _plots

        _plots.plot_compare(result, args.plot)
        print(f"wrote {args.plot}")
    return 0


def _comma_list(text: str, case=str.lower) -> list[str]:
    """The non-empty items of a comma-separated option, stripped and case-folded."""
    return [case(item.strip()) for item in text.split(",") if item.strip()]


def cmd_bench(args: argparse.Namespace) -> int:
    """Run benchmark workloads through ``gpusmote.bench``."""
    try:
        from .. import bench
    except ImportError as exc:
        raise CLIError(f"the benchmark module cannot be loaded: {one_line(exc)}") from None
    workloads = _comma_list(args.workloads, str.upper) if args.workloads \
        else list(bench.DEFAULT_WORKLOADS)
    if "STRESS" in workloads:  # the whole stress set, in place
        at = workloads.index("STRESS")
        workloads[at:at + 1] = list(bench.STRESS)
    unknown = [w for w in workloads if w not in bench.WORKLOADS]
    if unknown:
        raise CLIError(f"unknown workload(s) {', '.join(unknown)}; choose from: "
                       f"{', '.join(bench.WORKLOADS)}")
    backends = _comma_list(args.backends)
    bad = [b for b in backends if b not in ("numpy", "cupy")]
    if bad or not backends:
        raise CLIError(f"--backends takes numpy and/or cupy, got {args.backends!r}")
    if args.repeat < 1:
        raise CLIError("--repeat must be at least 1")
    if args.imblearn_limit is not None and not args.imblearn_limit > 0:
        raise CLIError(f"--imblearn-limit must be a positive number of seconds; got "
                       f"{args.imblearn_limit:g}")
    try:
        results, json_path = bench.run(
            workloads, backends, args.repeat, args.profile, args.out,
            dtypes=tuple(_comma_list(args.dtypes)),
            methods=_comma_list(args.methods, str) if args.methods else None,
            progress=not getattr(args, "quiet", False) and sys.stderr.isatty(),
            inputs=tuple(_comma_list(args.inputs)),
            working_memory=args.working_memory, with_imblearn=not args.without_imblearn,
            imblearn_repeat=args.imblearn_repeat, imblearn_limit=args.imblearn_limit)
    except (ValueError, TypeError) as exc:
        raise CLIError(cli_message(exc, COMMAND_FLAGS.get(args.command, {}))) from None
    print(bench.format_table(results))
    print(f"results: {json_path}")
    return 0


def _plain_strategy(text: str) -> Any:
    """``--sampling-strategy`` without a target column: a word or a float."""
    word = " ".join(text.strip().lower().split())
    if word in STRATEGY_WORDS:
        return word
    try:
        return float(text)
    except ValueError:
        raise CLIError(f"--sampling-strategy {text!r} is not one of "
                       f"{', '.join(repr(w) for w in STRATEGY_WORDS)} or a float") from None


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gpusmote`` command."""
    from .._version import __version__

    parser = argparse.ArgumentParser(
        prog="gpusmote",
        description="SMOTE-family resampling on the GPU (CuPy) or the CPU (NumPy).")
    parser.add_argument("--version", action="version", version=f"gpusmote {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p, *, seed_default=0):
        p.add_argument("--backend", default="auto", choices=("auto", "numpy", "cupy"),
                       help="where resampling runs (default: auto)")
        p.add_argument("--seed", type=int, default=seed_default,
                       help=f"random seed (default: {seed_default})")
        p.add_argument("-q", "--quiet", action="store_true",
                       help="no progress or hints on stderr" + (
                           " and no summary" if p.prog.endswith("resample") else "")
                       + "; warnings and errors still show")

    def columns(p, *, categorical: bool):
        p.add_argument("--index-col", metavar="COL",
                       help="read COL as the row index, not a feature (e.g. 'Unnamed: 0', "
                            "the index pandas writes to CSV)" + (
                                "; written back in its place, new rows get new labels"
                                if categorical else ""))
        p.add_argument("--exclude", metavar="COLS",
                       help="comma-separated columns that are not features" + (
                           ", passed through unchanged: original rows keep theirs, a new "
                           "row copies them from the row it was drawn or interpolated "
                           "from" if categorical else ""))
        if categorical:
            p.add_argument("--categorical", metavar="COLS",
                           help="comma-separated columns to treat as categorical (integer "
                                "codes, say); they need --method smotenc or smoten")

    p = sub.add_parser("resample", help="resample a CSV or Parquet file",
                       description="Resample INPUT (CSV or Parquet) and write OUTPUT. "
                                   f"Methods: {', '.join(METHODS)}.")
    p.add_argument("input", metavar="INPUT",
                   help="a .csv, .csv.gz, .parquet or .pq file; or, on Dask, a directory "
                        "of such files or a quoted glob such as 'data/part-*.parquet'")
    p.add_argument("--target", required=True, metavar="COL", help="the class column")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="where to write the result (format from its extension); on Dask "
                        "a new directory of Parquet files")
    p.add_argument("--engine", default="auto", choices=("auto", "memory", "dask"),
                   help="memory: read the file into memory; dask: stream it in partitions "
                        "(the dask extra: pip install -e \".[dask]\" in the checkout); auto "
                        "(default): Dask for a "
                        "directory, a glob, a --scheduler, or a file larger than "
                        "--memory-budget")
    p.add_argument("--memory-budget", default=None, metavar="SIZE",
                   help="auto engine: files larger than this in memory (Parquet's "
                        "uncompressed size) go to Dask (default: a quarter of this "
                        "machine's memory)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing Dask cluster (tcp://host:8786); implies Dask")
    p.add_argument("--method", default="smote", metavar="METHOD",
                   help="resampling method (default: smote)")
    p.add_argument("--sampling-strategy", default="auto", metavar="S",
                   help="auto, minority, 'not minority', 'not majority', all, a float "
                        "(binary targets), or class=count,... (default: auto)")
    p.add_argument("--k-neighbors", type=int, default=None, metavar="K",
                   help="neighbours per row (default: the method's own)")
    p.add_argument("--m-neighbors", type=int, default=None, metavar="M",
                   help="borderline and svm-smote methods: neighbours of the danger test (default: 10)")
    p.add_argument("--provenance", action="store_true",
                   help="add the columns is_synthetic, parent_row and neighbour_row: for "
                        "each written row, whether it is new, the input row it comes from "
                        "and the row it was interpolated towards (positions of the input's "
                        "data rows from 0; -1 for none; an original row is its own parent)")
    columns(p, categorical=True)
    common(p)
    p.set_defaults(func=cmd_resample)

    p = sub.add_parser("demo", help="fraud-style demo: split, Pipeline, metrics, timings",
                       description="Make a fraud-style data set, split it (stratified), "
                                   "train a classifier with and without resampling inside "
                                   "an imblearn Pipeline, and report test-set metrics and "
                                   "resampling times per backend.")
    p.add_argument("--rows", type=int, default=500_000, help="rows (default: 500000)")
    p.add_argument("--positive-rate", type=float, default=0.004,
                   help="share of positives (default: 0.004)")
    p.add_argument("--method", default="smote", metavar="METHOD",
                   help="over-sampling method (default: smote)")
    p.add_argument("--sampling-strategy", default="auto", metavar="S",
                   help="auto, minority, 'not minority', 'not majority', all, or a "
                        "float minority/majority ratio (default: auto)")
    p.add_argument("--classifier", default="hgb", choices=("hgb", "logreg"),
                   help="HistGradientBoosting or LogisticRegression (default: hgb)")
    p.add_argument("--plot", metavar="PATH.png", help="write class counts and a 2-D view")
    common(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("compare", help="methods x ratios under stratified cross-validation",
                       description="Compare resampling methods and ratios with stratified "
                                   "k-fold cross-validation; resampling happens inside the "
                                   "training folds only.")
    p.add_argument("input", metavar="INPUT", nargs="?", help="a .csv or .parquet file")
    p.add_argument("--target", metavar="COL", help="the class column of INPUT")
    p.add_argument("--demo", action="store_true", help="use a small built-in data set")
    p.add_argument("--folds", type=int, default=5, help="CV folds (default: 5)")
    p.add_argument("--ratios", default="0.1,0.25,0.5,1.0",
                   help="minority/majority ratios after resampling (default: 0.1,0.25,0.5,1.0)")
    p.add_argument("--methods", default=None,
                   help="comma-separated subset (default: all): "
                        "none,random,smote,borderline-smote,adasyn,smote-tomek,smote-enn,"
                        "balanced")
    p.add_argument("--classifier", default="logreg", choices=("logreg", "hgb"),
                   help="LogisticRegression or HistGradientBoosting (default: logreg)")
    p.add_argument("--plot", metavar="PATH.png", help="write metric vs ratio per method")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON")
    p.add_argument("--csv", metavar="PATH", help="write the results table as CSV")
    columns(p, categorical=False)
    common(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("bench", help="run the benchmark workloads (W1-W6, stress S1-S11)",
                       description="Run benchmark workloads and write JSON results.")
    p.add_argument("--workloads", default=None,
                   help="comma-separated ids, e.g. W1,W2, or 'stress' for the hard-input "
                        "set S1-S11 (default: W1-W6)")
    p.add_argument("--backends", default="numpy", help="numpy and/or cupy (default: numpy)")
    p.add_argument("--repeat", type=int, default=3, help="repeats per run (default: 3)")
    p.add_argument("--profile", default="quick", choices=("quick", "full"),
                   help="quick for smoke runs, full for published numbers (default: quick)")
    p.add_argument("--out", default="benchmarks/results", metavar="DIR",
                   help="directory for the JSON (default: benchmarks/results)")
    p.add_argument("--dtypes", default="float32", help="float32 and/or float64 (default: float32)")
    p.add_argument("--methods", default=None,
                   help="comma-separated subset of the workloads' methods, e.g. SMOTEENN")
    p.add_argument("--inputs", default="device",
                   help="for cupy runs, where the data starts: device (CuPy arrays) and/or "
                        "host (NumPy arrays, transfers timed) (default: device)")
    p.add_argument("--working-memory", type=float, default=None, metavar="MIB",
                   help="gpusmote's block budget in MiB, for block-size sweeps "
                        "(default: the samplers' default)")
    p.add_argument("--without-imblearn", action="store_true",
                   help="time gpusmote alone, for sweeps (default: imbalanced-learn too)")
    p.add_argument("--imblearn-repeat", type=int, default=None, metavar="N",
                   help="run imbalanced-learn in the first N rounds only; gpusmote's extra "
                        "rounds (up to 2 s of it) go on without it (default: every round)")
    p.add_argument("--imblearn-limit", type=float, default=None, metavar="SECONDS",
                   help="stop an imbalanced-learn run after this long and report the "
                        "speedup as at least limit / gpusmote's time (default: no limit)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gpusmote`` and ``python -m gpusmote``.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success, 2 on an expected error (printed as one line).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    flags = COMMAND_FLAGS.get(args.command, {})
    try:
        with _warnings_as_lines(flags):
            return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"gpusmote: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("gpusmote: interrupted", file=sys.stderr)
        return 130
    finally:
        if argv is None:
            # The process's own command line: it ends when this returns. Its
            # last garbage collection would walk every object of the ~2000
            # modules scikit-learn, SciPy and pandas load (0.3 s of a 2 s
            # `resample`); freezing them skips that walk. Reference counting
            # still frees what goes, and the output file is already closed.
            import gc

            gc.freeze()


_shown_warnings: set = set()


def _warn_line(message: str) -> None:
    """``gpusmote: warning: ...`` on stderr, once per message and run."""
    if message not in _shown_warnings:
        _shown_warnings.add(message)
        print(f"gpusmote: warning: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _warnings_as_lines(flags):
    """Show each warning raised inside as one line, ``gpusmote: warning: ...``.

    A sampler's warning (BorderlineSMOTE finding no row in danger, say) tells
    the user the result is not what they asked for, so it is shown even with
    --quiet, in the words of the command's flags. The filters in force are
    kept (what Python or a test ignores or turns into errors stays so); only
    how a shown warning is printed changes.
    """

    def show(message, category, filename, lineno, file=None, line=None):
        text = cli_message(str(message), flags)
        if category is not UserWarning:
            text = f"{text} ({category.__name__})"
        _warn_line(text)

    with warnings.catch_warnings():
        _shown_warnings.clear()
        warnings.showwarning = show
        yield
