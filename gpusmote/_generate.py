"""The single batched generation pass: every synthetic row of every class at once.

A plan lists, per class, the seed rows and their neighbour table (global row
indices into X). One draw of uniforms picks a (seed, neighbour) cell per
synthetic row, one more gives its step; the backend's ``interpolate`` then
writes ``X[seed] + step * (X[neighbour] - X[seed])`` straight into the output,
which already holds the original rows.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils import check_random_state

from ._blocking import budget_bytes, rows_per_block


@dataclass
class ClassPlan:
    """How to make ``n_new`` rows of class ``label``.

    ``seeds`` (S,) and ``neighbours`` (S, k) are global row indices into X.
    ``seed_counts`` (S,), when given, fixes how many rows each seed makes
    (ADASYN's density weights); otherwise seeds and neighbours are drawn
    uniformly. ``step_scale`` (S, k), when given, multiplies the step of each
    (seed, neighbour) cell (BorderlineSMOTE-2's half steps towards other classes);
    a negative scale extrapolates away from the neighbour (SVMSMOTE's safe rows).
    """

    label: Any
    seeds: Any
    neighbours: Any
    n_new: int
    seed_counts: Any = None
    step_scale: Any = None


def seed_from(random_state) -> int:
    """An integer seed from anything scikit-learn accepts as ``random_state``."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return _seed_of_int(int(random_state))
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@functools.lru_cache(maxsize=64)
def _seed_of_int(random_state: int) -> int:
    """``seed_from`` for an int: always the same, and seeding a RandomState costs
    a quarter of a millisecond, a tenth of a small resample."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def draw(be, plans: list[ClassPlan], seed: int, dtype):
    """Pick base row, neighbour row and step for every synthetic row of every class."""
    xp = be.xp
    rng = be.rng(seed)
    plans = [p for p in plans if p.n_new > 0]
    if not plans:
        empty = xp.empty(0, dtype=xp.int64)
        return empty, empty, xp.empty(0, dtype=dtype)
    k = int(plans[0].neighbours.shape[1])
    seeds = xp.concatenate([xp.asarray(p.seeds, dtype=xp.int64) for p in plans])
    table = xp.concatenate([xp.asarray(p.neighbours, dtype=xp.int64).reshape(-1, k)
                            for p in plans])
    row_offset = np.cumsum([0] + [len(p.seeds) for p in plans])[:-1]
    n_new = np.array([p.n_new for p in plans])
    total = int(n_new.sum())

    # (in place where it can be: each fresh array of W2's 980 000 rows is
    # 2 000 page faults)
    u = rng.random(total)
    cells = xp.empty(total, dtype=xp.int64)
    for p, offset, start in zip(plans, row_offset, np.cumsum(n_new) - n_new):
        u_c, flat = u[start:start + p.n_new], cells[start:start + p.n_new]
        # a cell of the class's seeds x k table, or (fixed counts per seed) a
        # column of the seed's row
        n_cells = len(p.seeds) * k if p.seed_counts is None else k
        u_c *= n_cells
        xp.copyto(flat, u_c, casting="unsafe")  # truncates, as astype does
        xp.minimum(flat, n_cells - 1, out=flat)
        if p.seed_counts is not None:
            counts = xp.asarray(p.seed_counts, dtype=xp.int64)
            rows = be.repeat_rows(counts, p.n_new)  # CuPy's repeat takes no array counts
            rows *= k
            flat += rows
        if offset:
            flat += int(offset) * k
    del u
    nbr = table.reshape(-1)[cells]
    steps = rng.random(total, dtype=dtype)
    if any(p.step_scale is not None for p in plans):
        scale = xp.concatenate([
            xp.ones(len(p.seeds) * k, dtype=dtype) if p.step_scale is None
            else xp.asarray(p.step_scale, dtype=dtype).reshape(-1) for p in plans])
        steps *= scale[cells]
    xp.floor_divide(cells, k, out=cells)
    base = seeds[cells]
    return base, nbr, steps


@dataclass
class Generated:
    """What one generation pass made.

    ``X`` holds the original rows first, then the synthetic rows of each plan,
    in plan order. For each synthetic row, in that order: ``base`` and
    ``neighbour`` (int64 indices into X) and ``steps`` (X's dtype, the signed
    step actually used), so that row ``i`` is
    ``X[base[i]] + steps[i] * (X[neighbour[i]] - X[base[i]])``. On the backend;
    on the host for sparse X.
    """

    X: Any
    base: Any
    neighbour: Any
    steps: Any


def generate(be, X, plans: list[ClassPlan], seed: int,
             working_memory: float | None = None) -> Generated:
    """Original rows first, then the synthetic rows of each plan, in plan order,
    with where each synthetic row came from (see ``Generated``)."""
    base, nbr, steps = draw(be, plans, seed, X.dtype)
    if sparse.issparse(X):
        host = [be.to_numpy(a) for a in (base, nbr, steps)]
        return Generated(_generate_sparse(X, *host), *host)
    n, d = X.shape
    out = be.empty_output((n + base.shape[0], d), X.dtype)
    be.copy_rows(X, out[:n])
    interpolate_rows(be, X, base, nbr, steps, out[n:], working_memory)
    return Generated(out, base, nbr, steps)


def interpolate_rows(be, X, base, nbr, steps, out, working_memory: float | None = None):
    """``out[i] = X[base[i]] + steps[i] * (X[nbr[i]] - X[base[i]])``, in blocks
    within ``working_memory``, straight into ``out`` (rows of a larger result)."""
    if base.shape[0]:
        budget = budget_bytes(working_memory, be.free_bytes())
        chunk = rows_per_block(X.shape[1] * X.itemsize * 2, min(budget, be.refine_bytes * 4),
                               base.shape[0])
        be.interpolate(X, base, nbr, steps, out, chunk)


def _generate_sparse(X, base, nbr, steps):
    base, nbr, steps = (np.asarray(a) for a in (base, nbr, steps))
    start = X[base]
    diff = X[nbr] - start
    new = start + sparse.diags(steps.astype(X.dtype)) @ diff
    return sparse.vstack([X, new.astype(X.dtype)], format=X.format)
