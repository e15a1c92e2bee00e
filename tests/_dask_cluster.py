"""What the Dask tests share: the LocalCluster they run on (worker processes, one
thread each), and a log of the Parquet reads Dask makes in this process."""

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
