"""The cleaning samplers on Dask: TomekLinks and EditedNearestNeighbours.

Both need each row's nearest rows among all rows; neither gathers X. The
kept rows come back as filtered partitions of X (never moved), in the
in-memory order: X's order for TomekLinks, class by class for
EditedNearestNeighbours (imbalanced-learn's order), so one output partition per
(class, partition) that keeps rows. ``sample_indices_`` is a Dask array (it is
as long as the output).

* EditedNearestNeighbours: the rows of the classes it may clean, partition by
  partition, are searched against every partition (``_search``); each
  partition's verdicts stay on the cluster, and only their counts per class
  come to the client.
* TomekLinks: a link joins two classes, so it has a row outside the largest
  class. Those rows (gathered: the fraud case's few) are searched against every
  partition; the rows of the largest class that some of them point to are
  gathered and searched too; the links and the rows they remove (a few) are
  found on the client.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._labels import _code_dtype
from .._validation import check_enough_rows
from ..backends import get_backend, is_cupy_array
from ._budget import check_budget
from ._gather import Converter, _concat, _label_values, gather_classes, gather_rows
from ._input import _beside, split_frame
from ._search import drop_self, nearest_among_all


def _host(a):
    return a.get() if is_cupy_array(a) else np.asarray(a)


def _codes(classes, values):
    return np.searchsorted(classes, _host(values)).astype(_code_dtype(len(classes)))


# -- EditedNearestNeighbours ---------------------------------------------------

def _targets_of(x_part, y_part, offset: int, targets: tuple, convert):
    """(global indices, rows) of this partition's rows of the classes to clean."""
    y = _host(_label_values(y_part))
    pos = np.flatnonzero(np.isin(y, np.asarray(targets, dtype=y.dtype)
                                 if y.dtype.kind != "O" else list(targets)))
    rows = x_part.iloc[pos] if hasattr(x_part, "iloc") else x_part[
        pos if not is_cupy_array(x_part) else _device(pos)]
    gidx = pos.astype(np.int64) + offset
    return gidx, convert(rows, gidx)


def _device(pos):
    import cupy

    return cupy.asarray(pos)


def _second(pair):
    return pair[1]


def _enn_kept(sampler, backend: str, y_part, offset: int, queries, nearest, classes,
              k: int):
    """Per row of the partition, the code of its class if ENN keeps it, else -1
    (host): all the later steps need of this partition's verdicts and labels."""
    be = get_backend(backend)
    y = _host(_label_values(y_part))
    kept = _codes(classes, y)  # signed: -1 marks a row ENN drops
    gidx = queries[0]
    if gidx.shape[0] == 0:
        return kept
    _, near_g, near_lab = nearest
    _, lab = drop_self(be, near_g, near_lab, gidx, k)
    votes = be.asarray(_codes(classes, lab))
    own = be.asarray(kept[gidx - offset])
    keep = _host(sampler._agrees(be, votes, own))
    kept[(gidx - offset)[~keep]] = -1
    return kept


def _kept_counts(kept, n_classes: int):
    return np.bincount(kept[kept >= 0], minlength=n_classes)


def _positions(kept, code: int, offset: int):
    """Global indices of this partition's kept rows of class ``code``."""
    return np.flatnonzero(kept == code).astype(np.int64) + offset


def _kept_rows(x_part, y_part, kept, code: int):
    """The kept rows of class ``code`` in this partition: X's rows, y's labels."""
    pos = np.flatnonzero(kept == code)
    take = (lambda part: part.iloc[pos]) if hasattr(x_part, "iloc") else (
        lambda part: part[_device(pos) if is_cupy_array(part) else pos])
    return take(x_part), take(y_part)


def edited_nearest_neighbours(sampler, inp):
    import dask

    name = type(sampler).__name__
    sampler._validate_estimator()
    if not isinstance(sampler.n_neighbors, numbers.Integral):
        raise TypeError(
            f"{name} on Dask needs n_neighbors as an int: its search runs over every "
            "partition with gpusmote's engine, and an estimator object would have to be "
            "fitted on all rows at once. Pass n_neighbors=<int>, or compute X and y first.")
    k = int(sampler.n_neighbors)
    labels = inp.labels
    targets = tuple(sampler.sampling_strategy_)
    if any(int(labels.counts[labels.code_of(t)]) for t in targets):
        check_enough_rows(inp.n, k, name, "n_neighbors")
    convert = Converter(inp.backend, name, inp.n_features, inp.work_dtype())
    kept = []
    for x_part, y_part, off in zip(inp.x_parts, inp.y_parts, inp.offsets, strict=True):
        queries = dask.delayed(_targets_of, pure=True)(x_part, y_part, int(off), targets,
                                                      convert)
        nearest = nearest_among_all(inp, dask.delayed(_second, pure=True)(queries), k + 1,
                                    convert, sampler.working_memory)
        kept.append(dask.delayed(_enn_kept, pure=True)(
            sampler, inp.backend, y_part, int(off), queries, nearest, labels.classes, k))
    # held on the cluster: a class code (or -1) per row, 1 byte for up to 127 classes
    kept = dask.persist(*kept)
    n_classes = len(labels.classes)
    counts = np.array(dask.compute(*[dask.delayed(_kept_counts, pure=True)(kc, n_classes)
                                     for kc in kept])).reshape(len(kept), -1)
    pieces = []  # class by class (imbalanced-learn's order), then partition by partition
    for c in range(n_classes):
        for i, kc in enumerate(kept):
            if counts[i, c]:
                rows = dask.delayed(_kept_rows, nout=2, pure=True)(
                    inp.x_parts[i], inp.y_parts[i], kc, c)
                index = dask.delayed(_positions, pure=True)(kc, c, int(inp.offsets[i]))
                pieces.append((rows[0], rows[1], index, int(counts[i, c]), i))
    return _assemble_kept(sampler, inp, pieces)


# -- TomekLinks ----------------------------------------------------------------

def _nearest_one(backend: str, nearest, gidx):
    """Each query's nearest row among the others (global index) and its label."""
    be = get_backend(backend)
    _, near_g, near_lab = nearest
    nn, lab = drop_self(be, near_g, near_lab, gidx, 1)
    return _host(nn[:, 0]), _host(lab[:, 0])


def _gidx(pool):
    return pool.gidx


def _rows(pool):
    return pool.rows


def _drop_rows(x_part, y_part, removed):
    keep = np.ones(len(y_part), dtype=bool)
    keep[removed] = False
    pos = np.flatnonzero(keep)
    take = (lambda part: part.iloc[pos]) if hasattr(x_part, "iloc") else (
        lambda part: part[_device(pos) if is_cupy_array(part) else pos])
    return take(x_part), take(y_part)


def _kept_index(offset: int, n: int, removed):
    """Global indices of a partition's rows but ``removed`` (local positions)."""
    keep = np.ones(n, dtype=bool)
    keep[removed] = False
    return np.flatnonzero(keep).astype(np.int64) + offset


def tomek_links(sampler, inp):
    import dask

    name = type(sampler).__name__
    labels = inp.labels
    check_enough_rows(inp.n, 1, name, "the nearest neighbour search")
    largest = labels.classes[int(np.argmax(labels.counts))]
    others = [c for c in labels.classes if c != largest]
    check_budget("the rows outside the largest class", int(labels.counts.sum()
                                                           - labels.counts.max()),
                 inp.row_bytes(), name)
    convert = Converter(inp.backend, name, inp.n_features, inp.work_dtype())
    pools = gather_classes(inp, others, convert)
    pool = dask.delayed(_concat, pure=True)([(dask.delayed(_gidx)(p), dask.delayed(_rows)(p))
                                            for p in pools])
    pool, = dask.persist(pool)
    q_gidx = dask.compute(dask.delayed(_gidx)(pool))[0]
    q_lab = np.concatenate([np.full(int(labels.counts[labels.code_of(c)]), c,
                                    dtype=labels.classes.dtype) for c in others])
    near = nearest_among_all(inp, dask.delayed(_rows)(pool), 2, convert,
                             sampler.working_memory)
    nn1, nn_lab = dask.compute(dask.delayed(_nearest_one)(inp.backend, near, q_gidx))[0]
    nn = dict(zip(q_gidx.tolist(), nn1.tolist(), strict=True))
    label_of = dict(zip(q_gidx.tolist(), q_lab.tolist(), strict=True))
    # rows of the largest class some query points to across classes: their own nearest
    partners = np.unique(nn1[(nn_lab != q_lab) & (nn_lab == largest)])
    if partners.size:
        check_budget("the rows of the largest class in possible links", partners.size,
                     inp.row_bytes(), name)
        extra = gather_rows(inp, partners, convert)
        near2 = nearest_among_all(inp, dask.delayed(_rows)(extra), 2, convert,
                                  sampler.working_memory)
        nn2, _ = dask.compute(dask.delayed(_nearest_one)(inp.backend, near2, partners))[0]
        nn.update(zip(partners.tolist(), nn2.tolist(), strict=True))
        label_of.update((int(p), largest) for p in partners)
    strategy = set(sampler.sampling_strategy_)
    removed = set()
    for a, b in zip(q_gidx.tolist(), nn1.tolist(), strict=True):
        if nn.get(b) == a and label_of.get(b, largest) != label_of[a]:
            for r in (a, b):
                if label_of[r] in strategy:
                    removed.add(r)
    removed = np.array(sorted(removed), dtype=np.int64)
    pieces = []
    for i, (off, n) in enumerate(zip(inp.offsets, inp.lengths, strict=True)):
        lo, hi = np.searchsorted(removed, [off, off + n])
        if n - (hi - lo):
            local = removed[lo:hi] - off
            rows = dask.delayed(_drop_rows, nout=2, pure=True)(inp.x_parts[i],
                                                                inp.y_parts[i], local)
            index = dask.delayed(_kept_index, pure=True)(int(off), int(n), local)
            pieces.append((rows[0], rows[1], index, int(n - (hi - lo)), i))
    return _assemble_kept(sampler, inp, pieces)


# -- the output ----------------------------------------------------------------

def _assemble_kept(sampler, inp, pieces):
    """X's and y's kept rows, one piece (Delayed X rows, Delayed y rows, Delayed
    global indices, count, the input partition they are from) an output partition,
    and ``sample_indices_`` as a Dask array. The indices' tasks never depend on a
    partition of X or y, only on what the client or the persisted verdicts hold
    (the layout's too: ``ResultLayout``): an array graph made from a
    DataFrame's tasks is fused by Dask's array optimiser, which loses dependencies
    of a frame that wraps Delayed objects (a frame made by another gpusmote
    sampler: "Missing dependency")."""
    import dask
    import dask.array as da

    if inp.layout is not None:
        inp.layout.parts = [("kept", i, ix) for _, _, ix, _, i in pieces]
    index = [da.from_delayed(ix, shape=(n,), dtype=np.int64) for _, _, ix, n, _ in pieces]
    sampler.sample_indices_ = (da.concatenate(index) if index else
                               da.zeros(0, dtype=np.int64))
    if inp.kind == "frame":
        import dask.dataframe as dd

        # one frame of both, split blockwise: X and y stay co-aligned for Dask
        both = [dask.delayed(_beside, pure=True)(x, y, inp.y_column)
                for x, y, _, _, _ in pieces]
        return split_frame(inp, dd.from_delayed(both, meta=inp.both._meta,
                                                verify_meta=False))
    X = da.concatenate([da.from_delayed(x, shape=(n, inp.n_features), dtype=inp.X.dtype,
                                        meta=inp.X._meta) for x, _, _, n, _ in pieces])
    y = da.concatenate([da.from_delayed(y, shape=(n,), dtype=inp.y.dtype,
                                        meta=inp.y._meta) for _, y, _, n, _ in pieces])
    if len(inp.X.chunks[1]) > 1:
        X = X.rechunk({1: inp.X.chunks[1]})
    return X, y
