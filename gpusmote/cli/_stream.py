"""``gpusmote resample`` on Dask: a Parquet (or CSV) data set larger than memory in,
a partitioned Parquet data set out.

The input is read partition by partition and written the same way; only the rows
of the classes being over-sampled (and the new rows) are ever held together, so
peak memory depends on the partition size and the minority, not on the data
set's size. The samplers' Dask path (``gpusmote._dask``) does the work; this
module chooses the engine, reads, writes, and reports.

The columns the sampler does not see (``--exclude``, ``--index-col``) and the
provenance columns are written as the in-memory engine writes them
(``_main._output_frame``): each partition of the output that holds original rows
is the input's own partition (whole for an over-sampler, filtered by a cleaner),
read once with all its columns; a partition of new rows takes the excluded
values of their parents, gathered from the partitions that hold a parent
(``gpusmote._dask._sources``).
"""

from __future__ import annotations

import glob
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass

from ._registry import (METHODS, RESAMPLE_FLAGS, SAMPLER_ERRORS, CLIError, cli_message,
                        make_sampler, need, one_line, parse_sampling_strategy, sampler_class)
from ._tables import (PROVENANCE_COLUMNS, check_features_for, check_provenance_free,
                      counts_table, id_hint, id_like_columns, resolve_columns)

# In-memory resampling holds the input, the output (up to twice the input for a
# balanced result) and the search's blocks: an input above a quarter of the
# machine's memory goes to Dask by default.
DEFAULT_BUDGET_SHARE = 0.25
# SMOTE then a cleaner: each step runs on Dask (gpusmote._combine chains them).
_DASK_CHAINS = ("SMOTETomek", "SMOTEENN")


@dataclass
class Source:
    """What ``INPUT`` names: one file, a directory of files, or a glob."""

    path: str
    kind: str            # "parquet" or "csv"
    files: list
    many: bool           # a directory or a glob (always Dask)

    @property
    def bytes_on_disk(self) -> int:
        return sum(os.path.getsize(f) for f in self.files)


def find_source(path: str) -> Source | None:
    """The files ``path`` names when it is a directory or a glob; None for a plain file."""
    if os.path.isdir(path):
        files = sorted(f for ext in ("*.parquet", "*.pq", "*.csv", "*.csv.gz")
                       for f in glob.glob(os.path.join(path, "**", ext), recursive=True))
        if not files:
            raise CLIError(f"input directory {path!r} holds no .parquet, .pq or .csv files")
    elif any(ch in path for ch in "*?["):
        files = sorted(glob.glob(path))
        if not files:
            raise CLIError(f"input pattern {path!r} matches no file")
    else:
        return None
    kinds = {"csv" if f.lower().endswith((".csv", ".csv.gz")) else "parquet" for f in files}
    if len(kinds) > 1:
        raise CLIError(f"input {path!r} mixes CSV and Parquet files; keep one format")
    return Source(path, kinds.pop(), files, True)


def in_memory_bytes(path: str, kind: str) -> int:
    """About what reading ``path`` would take in memory: Parquet's uncompressed size
    from its footer, a CSV's size on disk."""
    if kind == "parquet":
        try:
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata
            return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        except Exception:  # unreadable: the in-memory reader reports it properly
            return 0
    return os.path.getsize(path)


def memory_budget(text: str | None) -> int:
    """``--memory-budget`` in bytes (``4GiB``, ``500MB``, a number of bytes), or a
    quarter of the machine's memory."""
    if text:
        match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]i?B|B)?\s*", text, re.IGNORECASE)
        try:
            number = float(match.group(1)) if match else None
        except ValueError:
            number = None
        if number is None:
            raise CLIError(f"--memory-budget {text!r} is not a size such as 4GiB or 500MB")
        unit = (match.group(2) or "B").upper()
        scale = 1 if unit == "B" else (1024 if "I" in unit else 1000) ** "BKMGT".index(unit[0])
        return int(number * scale)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return int(total * DEFAULT_BUDGET_SHARE)


def use_dask(args, kind: str | None, source: Source | None) -> bool:
    """Whether ``resample`` runs on Dask: ``--engine``, else a directory or glob
    input (``source``, from ``find_source``), a ``--scheduler``, or a file larger
    than the memory budget."""
    if args.engine == "memory":
        if args.scheduler:
            raise CLIError("--scheduler needs the Dask engine; drop --engine memory")
        return False
    budget = memory_budget(args.memory_budget)  # a bad size is refused whatever the input
    if args.engine == "dask" or args.scheduler or source is not None:
        return True
    if not os.path.isfile(args.input):
        return False  # the in-memory reader says what is wrong with it
    return in_memory_bytes(args.input, kind) > budget


def resample_dask(args, cls, source: Source | None) -> int:
    """``gpusmote resample`` on Dask (see the module docstring)."""
    need("dask", "resample --engine dask", extra="dask")
    need("pyarrow", "resample --engine dask")
    import dask

    from .._dask import SUPPORTED

    supported = SUPPORTED + _DASK_CHAINS
    if cls.__name__ not in supported:
        names = [m for m in METHODS if sampler_class(m).__name__ in supported]
        raise CLIError(f"method {args.method!r} does not run on Dask yet; the methods that "
                       f"do are {', '.join(names)}")
    source = source or _single_file(args.input)
    output = _output_directory(args.output, args.input)
    client = _connect(args.scheduler)
    try:
        # text columns in pandas' own dtype, as the in-memory engine reads and writes
        # them; Dask's default (string[pyarrow]) would be written as another dtype
        with (warnings.catch_warnings(),
              dask.config.set({"dataframe.convert-string": False})):
            # Dask's own uses of pandas APIs that pandas has deprecated: not the
            # user's to act on
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"dask\.")
            return _run(args, cls, source, output, client)
    finally:
        if client is not None:
            client.close()


def _single_file(path: str) -> Source:
    from ._tables import file_kind

    kind = file_kind(path, "input")
    if not os.path.isfile(path):
        raise CLIError(f"input file {path!r} does not exist")
    return Source(path, kind, [path], False)


def _output_directory(path: str, input_path: str) -> str:
    """The output directory: new, or empty; never the input."""
    if os.path.abspath(path) == os.path.abspath(input_path):
        raise CLIError("output path is the input; choose another -o so the input is not "
                       "overwritten")
    if os.path.isfile(path):
        raise CLIError(f"output {path!r} is a file; the Dask engine writes a directory of "
                       "Parquet files: give a directory name (new or empty)")
    if os.path.isdir(path) and os.listdir(path):
        raise CLIError(f"output directory {path!r} is not empty; choose a new one or empty "
                       "it first")
    return path


def _connect(address: str | None):
    if not address:
        return None
    need("distributed", "resample --scheduler", extra="dask")
    from distributed import Client

    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise CLIError(f"could not connect to the Dask scheduler at {address!r}: "
                       f"{one_line(exc)}") from None


def _read(source: Source):
    import dask.dataframe as dd

    try:
        if source.kind == "parquet":
            return dd.read_parquet(source.files if source.many else source.path)
        return dd.read_csv(source.files)
    except Exception as exc:
        raise CLIError(f"could not read {source.path!r} as {source.kind.upper()}: "
                       f"{one_line(exc)}") from None


def _run(args, cls, source: Source, output: str, client) -> int:
    ddf = _read(source)
    cols = resolve_columns(ddf, source.path, args.target, index_col=args.index_col,
                           exclude=args.exclude, categorical=args.categorical)
    if args.provenance:
        check_provenance_free(ddf.columns, source.path)
    if not args.quiet:
        hint = _first_partition_hint(ddf, cols)
        if hint:
            print(f"gpusmote: hint: {hint}", file=sys.stderr)
    # --index-col: the column becomes each partition's index, as pandas' set_index
    # makes it in memory (no sort: partition i keeps its rows, in their order)
    frame = ddf.set_index(cols.index, sort=False) if cols.index is not None else ddf
    y = frame[cols.target]
    X = frame.drop(columns=[cols.target] + cols.exclude)
    if len(X.columns) == 0:
        raise CLIError(f"{source.path} has no feature columns besides "
                       f"{', '.join(repr(str(c)) for c in cols.not_features)}")
    given_dtypes = {c: X._meta[c].dtype for c in cols.categorical}
    if given_dtypes:
        X = X.astype({c: "category" for c in given_dtypes})
    check_features_for(X._meta, args.method)
    with _progress(args.quiet, client, "counting the classes"):
        before = ddf[cols.target].value_counts(dropna=False).compute().sort_index()
    if before.index.isna().any():
        raise CLIError(f"target column {args.target!r} has {int(before[before.index.isna()].sum())} "
                       "missing value(s); drop those rows first")
    labels = before.index.to_series(index=range(len(before))).astype(y.dtype)
    strategy = parse_sampling_strategy(args.sampling_strategy, labels)
    sampler = make_sampler(args.method, sampling_strategy=strategy,
                           k_neighbors=args.k_neighbors, backend=args.backend,
                           seed=args.seed, m_neighbors=args.m_neighbors)
    start = time.perf_counter()
    try:
        with _progress(args.quiet, client, f"{cls.__name__}: neighbours and draws"):
            X_res, y_res = sampler.fit_resample(X, y)
        out = _output_frame(ddf, cols, sampler, X_res, y_res, given_dtypes,
                            provenance=args.provenance)
        with _progress(args.quiet, client, f"writing {output}"):
            # zero-padded names: any reader's sorted listing is the row order
            out.to_parquet(output, write_index=False,
                           name_function=lambda i: f"part-{i:06d}.parquet")
    except SAMPLER_ERRORS as exc:
        raise CLIError(cli_message(one_line(exc), RESAMPLE_FLAGS)) from None
    seconds = time.perf_counter() - start
    if not args.quiet:
        import dask.dataframe as dd

        after = dd.read_parquet(output, columns=[args.target])[args.target]
        after = after.value_counts(dropna=False).compute().sort_index()
        print(f"{cls.__name__} on Dask ({getattr(sampler, 'backend_', args.backend)}): "
              f"{int(before.sum())} -> {int(after.sum())} rows in {seconds:.2f} s; "
              f"wrote {output}/ ({ddf.npartitions} input partitions)")
        print(counts_table(before, after))
    return 0


def _first_partition_hint(ddf, cols) -> str | None:
    """``id_hint`` from the input's first partition only. In memory it looks for
    integer or text columns distinct in every row, which on Dask would be one
    more pass over the data; distinct in the first partition is hint enough.
    Only the columns it could name are read: those with an id-like name, and the
    feature columns that are not floats."""
    import dask

    features = [c for c in ddf.columns if c not in cols.not_features]
    named = set(id_like_columns(ddf._meta, features))  # no rows: the names alone
    wanted = [c for c in features
              if c in named or ddf._meta[c].dtype.kind not in "fc"]
    if not wanted:
        return None
    with dask.config.set({"optimization.tune.active": False}):
        first = ddf[wanted].get_partition(0).compute()
    return id_hint(first, cols)


def _output_frame(ddf, cols, sampler, X_res, y_res, given_dtypes, provenance=False):
    """The Dask DataFrame to write, as ``_main._output_frame`` makes it in memory: the
    file's columns in its order, then with ``provenance`` is_synthetic, parent_row
    and neighbour_row. A partition of original rows is the input's own (``ddf``'s
    partition, every column as read, filtered by a cleaner); a partition of new
    rows is the sampler's, with the --categorical columns back in the file's
    dtypes, the index written as the --index-col column and the --exclude values
    of each row's parent."""
    import dask
    import dask.dataframe as dd

    from .._dask import _sources

    lengths, sources = _sources.result_sources(sampler)
    raw = _sources.partitions(ddf)
    made = _sources.partitions(X_res.assign(**{cols.target: y_res}))
    if len(raw) != len(lengths) or len(made) != len(sources):  # pragma: no cover
        raise RuntimeError(f"Dask lists {len(raw)} input and {len(made)} output partitions "
                           f"where {type(sampler).__name__} saw {len(lengths)} and made "
                           f"{len(sources)}; this is a gpusmote bug, please report it")
    copied = [None] * len(sources)
    if cols.exclude:
        copied = _sources.parent_values(
            sampler, sources, raw, lengths, cols.exclude,
            _row_bytes(ddf._meta[cols.exclude].dtypes),
            fix="or pass fewer columns through (--exclude), or ask for fewer new rows "
                "(--sampling-strategy).")
    parts = []
    for j, src in enumerate(sources):
        if isinstance(src, _sources.Original):
            parts.append(dask.delayed(_original_part, pure=True)(
                raw[src.i], src.i, lengths, src.positions, provenance))
        else:
            parts.append(dask.delayed(_new_part, pure=True)(
                made[j], src.parents, copied[j], cols, given_dtypes, provenance))
    meta = ddf._meta.reset_index(drop=True)
    if provenance:
        meta = _with_provenance(meta, False, [], [])
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _row_bytes(dtypes) -> int:
    """About the bytes of one row of the --exclude columns held in a task: a
    number's size; 64 for a text or other object value (its Python object)."""
    import numpy as np

    return int(sum(t.itemsize if isinstance(t, np.dtype) and t.kind != "O" else 64
                   for t in dtypes))


def _original_part(part, i: int, lengths, positions, provenance: bool):
    """A partition of original rows: the input's partition ``i`` as read (all its
    columns, in the file's order), the rows the result keeps."""
    import numpy as np

    from .._dask._sources import original_rows

    rows, gidx = original_rows(part, i, lengths, positions)
    rows = rows.reset_index(drop=True)
    if provenance:  # an original row is its own parent, interpolated towards none
        rows = _with_provenance(rows, False, gidx, np.full(len(rows), -1))
    return rows


def _new_part(part, parents, copied, cols, given_dtypes, provenance: bool):
    """A partition of new rows (the sampler's, with y as column ``cols.target``) in
    the file's columns: see ``_output_frame``."""
    out = part.copy()
    for c, dtype in given_dtypes.items():  # --categorical columns: back to the file's type
        out[c] = out[c].astype(dtype)
    for c in cols.exclude:  # the parent's values (the rows align by position)
        out[c] = copied[c].array
    if cols.index is not None:
        out[cols.index] = out.index.array
    out = out.reset_index(drop=True)[cols.order]
    if provenance:
        out = _with_provenance(out, True, parents[0], parents[1])
    return out


def _with_provenance(frame, synthetic: bool, parent, neighbour):
    """``frame`` with the --provenance columns (``row_provenance``'s meaning)."""
    import numpy as np

    values = (np.full(len(frame), synthetic, dtype=bool), np.asarray(parent, dtype=np.int64),
              np.asarray(neighbour, dtype=np.int64))
    return frame.assign(**dict(zip(PROVENANCE_COLUMNS, values, strict=True)))


class _progress:
    """Dask's progress bar on stderr while a step computes (local scheduler), or
    distributed's progress of the client's tasks; nothing with ``-q`` or when
    stderr is not a terminal."""

    def __init__(self, quiet: bool, client, title: str):
        self.bar = None
        if quiet or not sys.stderr.isatty():
            return
        print(f"gpusmote: {title}", file=sys.stderr)
        if client is None:
            from dask.diagnostics import ProgressBar

            self.bar = ProgressBar(out=sys.stderr, minimum=1.0)

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False
