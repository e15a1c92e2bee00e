"""The k nearest rows among all rows of X, for a gathered set of query rows,
without gathering X: each partition answers with its own top-k (the engine,
``gpusmote.neighbors.kneighbors``), its candidates get global indices, their
labels and exact float64 squared distances, and the candidates are merged in a
tree, ordered by (distance, global index) as the engine orders them. The merged
list equals the engine's answer on all rows at once.
"""

from __future__ import annotations

import numpy as np

from ..backends import get_backend
from ..neighbors import _exact_d2, kneighbors
from ._malloc import roomy


@roomy
def _candidates(x_part, y_part, offset: int, queries, k1: int, convert, working_memory):
    """This partition's k1 nearest rows of each query: (d2, global index, label)."""
    be = get_backend(convert.backend)
    xp = be.xp
    ref = convert(x_part, np.arange(offset, offset + x_part.shape[0]))
    labels = y_part.to_numpy() if hasattr(y_part, "to_numpy") else y_part
    n_q = queries.shape[0]
    k = min(k1, ref.shape[0])
    if k == 0 or n_q == 0:
        return (xp.empty((n_q, 0), dtype=xp.float64), xp.empty((n_q, 0), dtype=xp.int64),
                xp.empty((n_q, 0), dtype=labels.dtype))
    Q = be.asarray(queries)
    idx = kneighbors(ref, k, queries=Q, backend=be.name, working_memory=working_memory,
                     return_distance=False)
    d2 = _exact_d2(xp, ref, Q, xp.arange(n_q), idx)
    return d2, idx + offset, be.asarray(labels)[idx]


def _merge(k1: int, backend: str, *parts):
    """The k1 best of several candidate lists, by (distance, global index)."""
    be = get_backend(backend)
    xp = be.xp
    d2 = xp.concatenate([p[0] for p in parts], axis=1)
    gidx = xp.concatenate([p[1] for p in parts], axis=1)
    lab = xp.concatenate([p[2] for p in parts], axis=1)
    by_index = be.argsort_stable(gidx, axis=1)
    d2, gidx, lab = (xp.take_along_axis(a, by_index, axis=1) for a in (d2, gidx, lab))
    by_dist = be.argsort_stable(d2, axis=1)[:, :k1]
    return tuple(xp.take_along_axis(a, by_dist, axis=1) for a in (d2, gidx, lab))


def nearest_among_all(inp, queries, k1: int, convert, working_memory=None,
                      fan_in: int = 4):
    """A Delayed (d2, global index, label) of shape (n_queries, k1): the k1 nearest
    rows among all rows of X of each query row (a Delayed float matrix); ``convert``
    (``_gather.Converter``) reads each partition as the SMOTE family does."""
    import dask

    level = [dask.delayed(_candidates, pure=True)(
        xp, yp, int(off), queries, k1, convert, working_memory)
        for xp, yp, off, n in zip(inp.x_parts, inp.y_parts, inp.offsets, inp.lengths, strict=True)
        if n > 0]
    while len(level) > 1:  # the tree merge
        level = [dask.delayed(_merge, pure=True)(k1, inp.backend, *level[i:i + fan_in])
                 for i in range(0, len(level), fan_in)]
    return dask.delayed(_merge, pure=True)(k1, inp.backend, level[0])


def drop_self(be, gidx, lab, query_gidx, k: int):
    """The in-memory rule (``base.neighbours_among_all``) on a (k + 1)-or-longer
    list: keep the first k + 1, drop each row's own index, or the last column
    when more than k + 1 exact duplicates tie with it."""
    xp = be.xp
    gidx, lab = gidx[:, :k + 1], lab[:, :k + 1]
    q = be.asarray(query_gidx)
    is_self = gidx == q[:, None]
    drop = xp.where(is_self.any(axis=1), xp.argmax(is_self, axis=1), k)
    keep = xp.arange(k + 1)[None, :] != drop[:, None]
    return gidx[keep].reshape(-1, k), lab[keep].reshape(-1, k)
