"""``fit_resample`` on Dask collections, sampler by sampler.

Eager: the counting pass, the gathering of the classes to over-sample (kept on
the cluster: ``dask.persist``), the searches and the plans, and the draws, which
come to the client (three values per new row) for the provenance attributes and
the output's shape. Lazy: the new rows themselves, one task per output block,
and the output collections, whose first partitions are the caller's own.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import _check_feature_names

from .._generate import seed_from
from .._labels import plain_label, resolve_sampling_strategy
from .._validation import _from_dataframe, check_class_size, check_enough_rows
from . import _smotenc as smotenc
from ._budget import check_budget
from ._clean import edited_nearest_neighbours, tomek_links
from ._gather import Converter, class_indices, gather_classes, gather_rows, merge_pools
from ._input import ResultLayout, count_classes, pair_frames, read_input
from ._output import assemble, block_bounds, copy_block, interpolate_block, label_runs
from ._plans import (
    NumericRows,
    adasyn_plan,
    borderline_plan,
    draw_all,
    random_picks,
    smoothed_rows,
    smote_plan,
)
from ._search import nearest_among_all


def fit_dask(sampler, X, y):
    """``fit``: the checks, the counting pass and the fitted attributes it sets in
    memory (``sampling_strategy_``, ``n_features_in_``, ``feature_names_in_``,
    ``backend_``; SMOTENC's columns); no value of X is read."""
    inp = _counted(sampler, X, y)
    if type(sampler).__name__ == "SMOTENC":
        smotenc.resolve_columns(sampler, inp)
    return sampler


def _counted(sampler, X, y):
    """What ``fit`` and ``fit_resample`` share: X and y checked, the classes
    counted, the fitted attributes set. Returns the ``DaskInput``."""
    name = type(sampler).__name__
    sampler._validate_params()
    sampler._forget_fit()
    inp = read_input(X, y, name, sampler.backend)
    if inp.kind == "frame" and name not in ("RandomOverSampler", "SMOTENC"):
        # non-numeric columns are refused before any data is read, as in memory
        _from_dataframe(inp.meta(), name, accept_sparse=False)
    labels = count_classes(inp, sampler.sampling_strategy)
    meta = inp.meta() if inp.kind == "frame" else np.empty((0, inp.n_features))
    _check_feature_names(sampler, meta, reset=True)
    sampler.n_features_in_ = inp.n_features
    sampler.backend_ = inp.backend
    sampler.sampling_strategy_ = resolve_sampling_strategy(
        sampler.sampling_strategy, labels, sampler._sampling_type)
    return inp


def fit_resample_dask(sampler, X, y, sample_weight=None):
    name = type(sampler).__name__
    if sample_weight is not None:
        sampler._validate_params()
        raise TypeError(f"{name}.fit_resample does not take sample_weight with Dask input "
                        "yet; resample without it, or compute X, y and the weights first.")
    inp = _counted(sampler, X, y)
    # the input's partitions as they are, until a sampler says otherwise (``assemble``,
    # the cleaners): for callers that add columns the sampler did not see (``_sources``)
    inp.layout = sampler._dask_layout = ResultLayout(
        inp.lengths, [("input", i) for i in range(len(inp.lengths))])
    if inp.kind == "frame":
        pair_frames(inp)  # the passes below read partition i of X and y together
    if name == "TomekLinks":
        return tomek_links(sampler, inp)
    if name == "EditedNearestNeighbours":
        return edited_nearest_neighbours(sampler, inp)
    targets = [(label, int(n)) for label, n in sampler.sampling_strategy_.items() if n > 0]
    seed = seed_from(sampler.random_state)
    if name == "RandomOverSampler":
        return _random_over(sampler, inp, targets, seed)
    if name == "SMOTENC":
        return _smotenc(sampler, inp, targets, seed)
    return _smote_family(sampler, inp, targets, seed)


def _count(inp, label) -> int:
    labels = inp.labels
    return int(labels.counts[labels.code_of(label)])


def _y_dtype(inp):
    if inp.kind != "frame":
        return inp.y.dtype
    dtype = inp.y._meta.dtype
    if getattr(dtype, "name", None) == "category" and not inp.y.cat.known:
        # Dask's placeholder categories would turn the new labels into NaN: the
        # classes found by the counting pass are the categories
        import pandas as pd

        return pd.CategoricalDtype(inp.labels.classes, ordered=dtype.ordered)
    return dtype


def _int_param(sampler, param: str) -> int:
    value = getattr(sampler, param)
    if not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{type(sampler).__name__} on Dask needs {param} as an int: its search runs "
            "over every partition with gpusmote's engine, and an estimator object would "
            f"have to be fitted on all rows at once. Pass {param}=<int>, or compute X and "
            "y first.")
    return int(value)


def _smote_family(sampler, inp, targets, seed):
    import dask

    name = type(sampler).__name__
    sampler._validate_estimator()
    columns = getattr(sampler, "feature_names_in_", None)
    backend, dtype, wm = inp.backend, inp.work_dtype(), sampler.working_memory
    for label, _ in targets:
        check_budget(f"the rows of class {plain_label(label)!r}", _count(inp, label),
                     inp.row_bytes(), name)
    if len(targets) > 1:  # the new rows are made from all of them
        check_budget("the rows of the classes it over-samples",
                     sum(_count(inp, label) for label, _ in targets), inp.row_bytes(), name)
    # ADASYN's total may differ from the asked one by its rounding (at most a row a seed)
    # global indices (16 bytes) and positions in the gathered rows (8 at most, int32)
    check_budget("the drawn (base, neighbour, step) of the new rows",
                 sum(n for _, n in targets), 24 + dtype.itemsize, name)
    convert = Converter(backend, name, inp.n_features, dtype)
    pools = dask.persist(*gather_classes(inp, [label for label, _ in targets], convert))
    reach = None  # how many nearest rows among all rows each class row needs
    if name == "BorderlineSMOTE":
        m = _int_param(sampler, "m_neighbors")
        check_enough_rows(inp.n, m, name, "m_neighbors")
        reach = m
        if sampler.kind == "borderline-2":
            k = _int_param(sampler, "k_neighbors")
            check_enough_rows(inp.n, k, name, "k_neighbors")
            reach = max(m, k)
    elif name == "ADASYN":
        reach = _int_param(sampler, "n_neighbors")
        check_enough_rows(inp.n, reach, name, "n_neighbors")
    plans, dangers = [], []
    for (label, n_new), pool in zip(targets, pools, strict=True):
        if reach is None:
            plans.append(dask.delayed(smote_plan, pure=True)(sampler, backend, pool, label,
                                                             n_new, columns))
            continue
        queries = dask.delayed(_rows, pure=True)(pool)
        nearest = nearest_among_all(inp, queries, reach + 1, convert, wm)
        if name == "ADASYN":
            plans.append(dask.delayed(adasyn_plan, pure=True)(sampler, backend, pool,
                                                              nearest, label, n_new, columns))
        else:
            both = dask.delayed(borderline_plan, nout=2, pure=True)(
                sampler, backend, pool, nearest, label, n_new, columns)
            plans.append(both[0])
            dangers.append(both[1])
    n_made = [dask.delayed(_n_new, pure=True)(p) for p in plans]
    held = [dask.delayed(_gidx, pure=True)(p) for p in pools]
    drawn, for_blocks = dask.delayed(draw_all, nout=2, pure=True)(backend, plans, seed, dtype,
                                                                 held)
    # the draws (20-24 bytes a new row) stay on the cluster, persisted with what
    # they come from: the client takes the counts and the danger sets, each block
    # task slices the draws it needs, and the provenance attributes bring them to
    # the client when first read
    drawn, for_blocks, n_made, dangers = dask.persist(drawn, for_blocks, n_made, dangers)
    n_made, dangers = dask.compute(n_made, dangers)
    total = int(sum(n_made))
    base, nbr, steps = (da_from(dask.delayed(_item, pure=True)(drawn, i), total, kind)
                        for i, kind in enumerate((np.int64, np.int64, dtype)))
    sampler._record_synthetic(inp.n, base, nbr, steps, be=None)
    if name == "BorderlineSMOTE":
        sampler.in_danger_indices = {label: seeds for (label, _), seeds in zip(targets, dangers, strict=True)
                                     if seeds is not None}
        sampler._labels = inp.labels
        try:
            sampler._warn_if_no_danger()
        finally:
            del sampler._labels
    gen_pool = dask.delayed(merge_pools, pure=True)(*pools)
    if name == "BorderlineSMOTE" and sampler.kind == "borderline-2" and total:
        *held_host, nbr_host = dask.compute(*held, nbr)
        extra = np.setdiff1d(np.unique(nbr_host), np.concatenate(held_host))
        if extra.size:
            check_budget("the rows of other classes the new rows step towards",
                         extra.size, inp.row_bytes(), name)
            gen_pool = dask.delayed(merge_pools, pure=True)(
                *pools, gather_rows(inp, extra, convert))
    bounds = block_bounds(inp, total, inp.row_bytes())
    blocks = [dask.delayed(_interpolate_range, pure=True)(gen_pool, for_blocks, lo, hi, backend, wm)
              for lo, hi in bounds]
    per_class = [(label, n) for (label, _), n in zip(targets, n_made, strict=True) if n]
    runs = label_runs(per_class, bounds)
    return assemble(inp, blocks, bounds, runs, _y_dtype(inp), dtype)


def _rows(pool):
    return pool.rows


def _item(drawn, i: int):
    return drawn[i]


def da_from(value, n: int, dtype):
    """A 1-D Dask array of ``n`` values of ``dtype`` from one delayed array."""
    import dask.array as da

    return da.from_delayed(value, (n,), dtype=np.dtype(dtype))


def _interpolate_range(pool, for_blocks, lo: int, hi: int, backend: str, working_memory):
    """New rows ``lo:hi``, from the draws kept on the cluster: by position in the
    pool, or by global index (see ``draw_all``)."""
    how, base, nbr, steps = for_blocks
    base, nbr = base[lo:hi], nbr[lo:hi]
    if how == "global":
        base, nbr = pool.positions(base), pool.positions(nbr)
    return interpolate_block(pool, base, nbr, steps[lo:hi], backend, working_memory)


def _gidx(pool):
    return pool.gidx


def _n_new(plan) -> int:
    return int(plan.n_new)


def _smotenc(sampler, inp, targets, seed):
    """SMOTENC: the classes gathered with all their columns, and each partition's
    distinct categories, in one read; SMOTENC's in-memory code run on them in
    one task (``_smotenc``); the new rows made block by block."""
    import dask

    name = type(sampler).__name__
    cat = smotenc.resolve_columns(sampler, inp)
    cont = sampler.continuous_features_
    if inp.kind == "array" and np.dtype(inp.dtype).kind not in "biuf":
        raise TypeError(f"{name} on Dask takes a dask.array of numbers (categories as "
                        f"codes), or a DataFrame; X's dtype is {inp.dtype}.")
    sampler._validate_estimator()
    k = sampler._n_neighbors()
    for label, _ in targets:
        check_class_size(label, _count(inp, label), k, name)
    row_bytes = smotenc.row_bytes(inp, cat)
    for label, _ in targets:
        check_budget(f"the rows of class {plain_label(label)!r}", _count(inp, label),
                     row_bytes, name)
    check_budget("the rows of the classes it over-samples",
                 sum(_count(inp, label) for label, _ in targets), row_bytes, name)
    n_new = sum(n for _, n in targets)
    check_budget("the drawn (base, neighbour, step) and categories of the new rows", n_new,
                 16 + inp.work_dtype().itemsize + 8 * len(cat), name)
    if not targets:
        sampler.median_std_ = {}
        empty = np.empty(0, dtype=np.int64)
        sampler._record_synthetic(inp.n, empty, empty, np.empty(0), be=None)
        return inp.X, inp.y
    pools = gather_classes(inp, [label for label, _ in targets])
    distinct = dask.delayed(smotenc.merge_distinct, pure=True)(
        cat, *[dask.delayed(smotenc.distinct_values, pure=True)(xp, cat) for xp in inp.x_parts])
    made = dask.delayed(smotenc.smotenc_plan, pure=True)(sampler, inp.backend, pools, distinct,
                                                         targets, seed)
    made, = dask.persist(made)  # one read of every partition; the plan kept on the cluster
    base, nbr, steps, encoder, median_std = dask.compute(
        dask.delayed(smotenc.draws_and_attributes, pure=True)(made))[0]
    sampler._record_synthetic(inp.n, base, nbr, steps, be=None)
    sampler.categorical_encoder_ = encoder
    sampler.median_std_ = median_std
    frame = inp.kind == "frame"
    bounds = block_bounds(inp, int(base.shape[0]), row_bytes)
    blocks = [dask.delayed(smotenc.smotenc_block, pure=True)(
        made, lo, hi, cat, cont, inp.backend, frame, inp.columns, inp.dtypes,
        sampler.working_memory) for lo, hi in bounds]
    return assemble(inp, blocks, bounds, label_runs(targets, bounds), _y_dtype(inp),
                    None if frame else inp.work_dtype())


def _random_over(sampler, inp, targets, seed):
    import dask

    name = type(sampler).__name__
    sampler.shrinkage_ = sampler._resolve_shrinkage()
    if sampler.shrinkage_ is not None:
        return _smoothed_bootstrap(sampler, inp, targets, seed)
    labels = [label for label, _ in targets]
    for label in labels:
        check_budget(f"the row indices of class {plain_label(label)!r}", _count(inp, label),
                     8, name)
    rows = class_indices(inp, labels)
    boot = dask.compute(dask.delayed(random_picks, pure=True)(
        inp.backend, rows, [n for _, n in targets], seed))[0]
    sampler.sample_indices_ = _copied_rows(inp, boot)
    sampler._record_synthetic(inp.n, boot, be=None)
    picked = np.unique(boot)
    row_bytes = (inp.n_features * np.dtype(inp.dtype).itemsize if inp.kind == "array"
                 else int(sum(t.itemsize if isinstance(t, np.dtype) else 8
                              for t in inp.dtypes)))
    check_budget("the rows copied", picked.size, row_bytes, name)
    pool = gather_rows(inp, picked)
    bounds = block_bounds(inp, int(boot.shape[0]), row_bytes)
    blocks = [dask.delayed(copy_block, pure=True)(pool, boot[lo:hi]) for lo, hi in bounds]
    runs = label_runs(targets, bounds)
    return assemble(inp, blocks, bounds, runs, _y_dtype(inp),
                    inp.dtype if inp.kind == "array" else None)


def _smoothed_bootstrap(sampler, inp, targets, seed):
    """RandomOverSampler with ``shrinkage``: the classes gathered (their spread is
    needed), the picks and the noise drawn in one task, in the in-memory order."""
    import dask

    name = type(sampler).__name__
    labels = [label for label, _ in targets]
    check_budget("the rows of the classes it over-samples",
                 sum(_count(inp, label) for label in labels), inp.row_bytes(), name)
    n_new = sum(n for _, n in targets)
    check_budget("the jittered copies", n_new, inp.row_bytes(), name)
    pools = gather_classes(inp, labels, NumericRows(inp.backend))
    pool = dask.delayed(merge_pools, pure=True)(*pools)
    class_rows = [dask.delayed(_gidx, pure=True)(p) for p in pools]
    made = dask.delayed(smoothed_rows, pure=True)(sampler, inp.backend, pool, class_rows,
                                                  targets, seed, inp.n)
    made, = dask.persist(made)
    boot, dtype = dask.compute(dask.delayed(_boot_and_dtype, pure=True)(made))[0]
    sampler.sample_indices_ = _copied_rows(inp, boot)
    sampler._record_synthetic(inp.n, boot, be=None)
    bounds = block_bounds(inp, int(boot.shape[0]), inp.row_bytes())
    blocks = [dask.delayed(_rows_between, pure=True)(made, lo, hi) for lo, hi in bounds]
    return assemble(inp, blocks, bounds, label_runs(targets, bounds), _y_dtype(inp), dtype)


def _boot_and_dtype(made):
    return made[0], np.dtype(made[1].dtype)


def _rows_between(made, lo: int, hi: int):
    return made[1][lo:hi]


def _copied_rows(inp, boot):
    """RandomOverSampler's ``sample_indices_`` (every row of X, then the row each copy
    comes from) as a Dask array: it is as long as the output."""
    import dask.array as da

    own = da.arange(inp.n, chunks=(tuple(int(n) for n in inp.lengths),), dtype=np.int64)
    return da.concatenate([own, da.from_array(boot, chunks=max(int(inp.lengths.max()), 1))])
