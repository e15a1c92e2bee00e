"""Each sampler's plan, made in one task from the gathered rows of a class (and,
for BorderlineSMOTE and ADASYN, their nearest rows among all rows), with the
in-memory code: the same checks, the same searches on the same rows in the same
order, so the same ``ClassPlan``; then global row indices in place of the
class's own. ``draw_all`` then makes every class's draws in one stream, as
``_generate.draw`` does in memory.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from .._adasyn import adasyn_counts
from .._borderline import neighbours_from_estimator, rows_of
from .._generate import ClassPlan, draw
from .._validation import (
    adasyn_no_other_class,
    adasyn_nothing_generated,
    check_class_size,
    check_interpolation_range,
)
from ..backends import get_backend, is_cupy_array
from ..base import neighbours_among_all
from ._search import drop_self
from ._malloc import roomy


def _host(a):
    return a.get() if is_cupy_array(a) else np.asarray(a)


def _globalise(be, plan: ClassPlan, gidx) -> ClassPlan:
    g = be.asarray(gidx)
    return ClassPlan(plan.label, g[be.asarray(plan.seeds)], g[be.asarray(plan.neighbours)],
                     plan.n_new, plan.seed_counts, plan.step_scale)


def _check_range(sampler, be, X_class, label, columns):
    check_interpolation_range(be, X_class, [(label, None)], type(sampler).__name__, columns)


@roomy
def smote_plan(sampler, backend: str, pool, label, n_new: int, columns=None):
    """SMOTE: the class's own k nearest rows (``SMOTE._plan_class``)."""
    be = get_backend(backend)
    X_class = pool.rows
    _check_range(sampler, be, X_class, label, columns)
    local_rows = be.xp.arange(X_class.shape[0], dtype=be.xp.int64)
    plan = sampler._plan_class(be, X_class, None, label, local_rows, int(n_new))
    return _globalise(be, plan, pool.gidx)


@roomy
def borderline_plan(sampler, backend: str, pool, nearest, label, n_new: int, columns=None):
    """BorderlineSMOTE (``BorderlineSMOTE._plan_class``), its danger set from
    ``nearest``: each class row's max(m, k) + 1 nearest rows among all rows.
    Returns the plan (global indices; n_new 0 when no row is in danger) and the
    global indices of the rows in danger (host, None when there are none)."""
    be = get_backend(backend)
    xp = be.xp
    name = type(sampler).__name__
    m, k = int(sampler.m_neighbors), sampler._n_neighbors()
    X_class = pool.rows
    if sampler.kind == "borderline-1":
        _check_range(sampler, be, X_class, label, columns)
    _, near_g, near_lab = nearest
    _, lab_m = drop_self(be, near_g, near_lab, pool.gidx, m)
    n_other = (lab_m != label).sum(axis=1)
    danger = (n_other >= m / 2) & (n_other < m)
    if not bool(danger.any()):
        kk = max(k, 1)
        return ClassPlan(label, xp.empty(0, dtype=xp.int64),
                         xp.empty((0, kk), dtype=xp.int64), 0), None
    in_danger = xp.flatnonzero(danger)
    gidx = be.asarray(pool.gidx)
    seeds = gidx[in_danger]
    if sampler.kind == "borderline-1":
        check_class_size(label, X_class.shape[0], k, name)
        if isinstance(sampler.k_neighbors, numbers.Integral):
            local = neighbours_among_all(be, X_class, in_danger, k, sampler.working_memory)
        else:
            local = neighbours_from_estimator(sampler.nn_k_, be, X_class,
                                              rows_of(be, X_class, in_danger))
        plan = ClassPlan(label, seeds, gidx[local], int(n_new))
    else:  # borderline-2: the first k of the same list, any class
        nbrs, lab_k = drop_self(be, near_g[in_danger], near_lab[in_danger], seeds, k)
        scale = xp.where(lab_k != label, 0.5, 1.0)
        plan = ClassPlan(label, seeds, nbrs, int(n_new), step_scale=scale)
    return plan, _host(seeds)


@roomy
def adasyn_plan(sampler, backend: str, pool, nearest, label, n_new: int, columns=None):
    """ADASYN (``ADASYN._seed_counts`` and ``_class_neighbours``), the ratios from
    ``nearest``: each class row's k + 1 nearest rows among all rows."""
    be = get_backend(backend)
    k = int(sampler.n_neighbors)
    X_class = pool.rows
    _check_range(sampler, be, X_class, label, columns)
    _, near_g, near_lab = nearest
    _, lab = drop_self(be, near_g, near_lab, pool.gidx, k)
    n_other = (lab != label).sum(axis=1)
    counts = adasyn_counts(n_other, k, int(n_new), be.xp)
    if counts is None:
        raise adasyn_no_other_class(label)
    total = int(counts.sum())
    if not total:
        raise adasyn_nothing_generated(label, int(n_new))
    local = sampler._class_neighbours(be, X_class, label)
    gidx = be.asarray(pool.gidx)
    return ClassPlan(label, gidx, gidx[local], total, seed_counts=be.asarray(counts))


def first(pair):
    return pair[0]


@roomy
def draw_all(backend: str, plans, seed: int, dtype, held_gidx=()):
    """Every class's new rows drawn in one stream (``_generate.draw``), on the host.

    Returns ``(base, neighbour, step)`` in global row indices (the provenance
    attributes), and what the blocks of new rows read: ``("at", pos_base,
    pos_nbr, step)``, the rows' positions among ``held_gidx`` (the gathered
    classes' global indices, merged in order: the rows of ``merge_pools``), or
    ``("global", base, neighbour, step)`` where a neighbour lies outside them
    (BorderlineSMOTE-2's steps towards other classes).

    The draws are made on the plans in those positions: ``draw`` picks the same
    cells whatever values the plans hold, so these are the in-memory draws. A
    block then reads its rows by position rather than searching the pool for
    each global index (which cost twice the interpolation itself), and only the
    positions (int32 where they fit) travel to the workers that make blocks.
    """
    be = get_backend(backend)
    plans = list(plans)
    held = np.sort(np.concatenate([np.asarray(g, dtype=np.int64) for g in held_gidx]
                                  + [np.empty(0, dtype=np.int64)]))
    placed = [_placed(be, p, held) for p in plans]
    if any(p is None for p in placed):
        base, nbr, steps = (_host(a) for a in draw(be, plans, seed, np.dtype(dtype)))
        return (base, nbr, steps), ("global", base, nbr, steps)
    pos_base, pos_nbr, steps = (_host(a) for a in draw(be, placed, seed, np.dtype(dtype)))
    index = np.int32 if held.size < 2**31 else np.int64
    return ((held[pos_base], held[pos_nbr], steps),
            ("at", pos_base.astype(index), pos_nbr.astype(index), steps))


def _placed(be, plan: ClassPlan, held: np.ndarray):
    """``plan`` with positions among ``held`` in place of global indices; None
    when one of its rows is not held."""
    if held.size == 0:
        return None
    seeds, table = _host(plan.seeds), _host(plan.neighbours)
    pos_s = np.minimum(np.searchsorted(held, seeds), held.size - 1)
    pos_t = np.minimum(np.searchsorted(held, table), held.size - 1)
    if not (np.array_equal(held[pos_s], seeds) and np.array_equal(held[pos_t], table)):
        return None
    return dataclasses.replace(plan, seeds=be.asarray(pos_s), neighbours=be.asarray(pos_t))


def random_picks(backend: str, class_rows, n_new, seed: int):
    """RandomOverSampler's picks (``RandomOverSampler._fit_resample``): per class, in
    order, one uniform per new row picks a row of the class; global indices."""
    be = get_backend(backend)
    xp = be.xp
    rng = be.rng(seed)
    picks = []
    for rows, n in zip(class_rows, n_new, strict=True):
        rows = be.asarray(rows)
        u = rng.random(int(n))
        pos = xp.minimum((u * rows.shape[0]).astype(xp.int64), rows.shape[0] - 1)
        picks.append(_host(rows[pos]))
    return np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)


class _RowsOfX:
    """Gathered rows that answer for X in ``RandomOverSampler._smoothed``: its shape
    is X's (the bootstrap's bandwidth counts every row), and indexing with global
    row indices reads the gathered rows."""

    def __init__(self, be, pool, n_rows: int):
        self._be, self._rows = be, pool.rows
        self._gidx = be.asarray(pool.gidx)
        self.shape = (int(n_rows), int(pool.rows.shape[1]))
        self.dtype = pool.rows.dtype

    def __getitem__(self, gidx):
        xp = self._be.xp
        return self._rows[xp.searchsorted(self._gidx, self._be.asarray(gidx))]


def smoothed_rows(sampler, backend: str, pool, class_rows, n_new, seed: int, n_rows: int):
    """RandomOverSampler with ``shrinkage``: the picks (as ``random_picks``), then the
    noise of each class in the same stream (``RandomOverSampler._smoothed``), from
    the gathered rows of the classes. Returns the picks (host) and the new rows."""
    be = get_backend(backend)
    xp = be.xp
    rng = be.rng(seed)
    picks = []
    for (label, n), rows in zip(n_new, class_rows, strict=True):
        rows = be.asarray(rows)
        u = rng.random(int(n))
        pos = xp.minimum((u * rows.shape[0]).astype(xp.int64), rows.shape[0] - 1)
        picks.append((label, rows, rows[pos]))
    new = sampler._smoothed(be, _RowsOfX(be, pool, n_rows), picks, rng)
    boot = np.concatenate([_host(p[2]) for p in picks]) if picks else np.empty(0, np.int64)
    return boot, new


class NumericRows:
    """Picklable: rows -> the finite float matrix of the smoothed bootstrap
    (``RandomOverSampler._numeric``), on the backend."""

    def __init__(self, backend: str):
        self.backend = backend

    def __call__(self, rows, gidx=None):
        from .._random import RandomOverSampler

        be = get_backend(self.backend)
        values = rows.to_numpy() if hasattr(rows, "iloc") else rows
        if not is_cupy_array(values):
            values = np.asarray(values)
            if values.dtype.kind in "biuf":
                values = be.asarray(values)
        return RandomOverSampler._numeric(be, values)
