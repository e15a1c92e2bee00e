"""What the Dask tests share: the LocalCluster they run on (worker processes, one
thread each), logs of the partitions a computation reads, and the ancestors of a
key in a graph."""

from __future__ import annotations


def local_client(n_workers: int = 2):
    """Yield a ``distributed.Client`` of a fresh LocalCluster, closed afterwards
    (for a module-scoped fixture: ``yield from local_client()``)."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                       processes=True, dashboard_address=":0")
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def logged_parquet_reads(monkeypatch):
    """Record (file, columns) of each Parquet read Dask makes in this process."""
    import pytest

    arrow = pytest.importorskip("dask.dataframe.io.parquet.arrow")
    if not hasattr(arrow, "_read_table_from_path"):
        pytest.skip("this Dask reads Parquet through another function")
    reads = []
    original = arrow._read_table_from_path

    def logged(path, fs, row_groups, columns, *args, **kwargs):
        reads.append((str(path).rsplit("/", 1)[-1], tuple(columns or ())))
        return original(path, fs, row_groups, columns, *args, **kwargs)

    monkeypatch.setattr(arrow, "_read_table_from_path", logged)
    return reads


def _logged_part(log: str, i: int, part):
    with open(log, "a") as fh:
        fh.write(f"{i}\n")
    return part


def counted_frame(df, n_parts: int, log):
    """``df`` as a Dask DataFrame of ``n_parts`` partitions, each of which appends its
    number to the file ``log`` whenever a task reads it (on any worker)."""
    import dask
    import dask.dataframe as dd
    import numpy as np

    pieces = np.array_split(np.arange(len(df)), n_parts)
    parts = [dask.delayed(_logged_part, pure=False)(str(log), i, df.iloc[rows])
             for i, rows in enumerate(pieces)]
    return dd.from_delayed(parts, meta=df.iloc[:0], verify_meta=False)


def read_counts(log, n_parts: int):
    """How many times each partition of a ``counted_frame`` was read so far."""
    import numpy as np

    lines = log.read_text().split() if log.exists() else []
    return np.bincount(np.array(lines, dtype=int), minlength=n_parts)


def ancestors(graph: dict, key) -> set:
    """Every key that ``key`` depends on in ``graph``, directly or not."""
    from dask.core import get_dependencies

    seen, todo = set(), [key]
    while todo:
        for dep in get_dependencies(graph, todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen
