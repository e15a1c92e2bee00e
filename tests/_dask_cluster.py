"""The LocalCluster the Dask tests run on: worker processes, one thread each."""

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
