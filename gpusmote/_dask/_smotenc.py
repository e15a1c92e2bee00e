"""SMOTENC on Dask: the classes to over-sample gathered with all their columns,
SMOTENC's in-memory machinery run on them in one task, the new rows made block
by block with the caller's dtypes.

In memory (``_smote_nc.SMOTENC._fit_resample``) SMOTENC reads only the rows of
the classes it over-samples, class by class, in their own numbering: their
numeric columns and the integer codes of their categorical columns, the
class's ``median_std_``, the mixed search, the plans, the draws and the vote.
The same code runs here on the gathered rows, in the same order, so the draws
and votes are the same. The one thing SMOTENC takes from every row is its
encoder, fitted on the values each categorical column holds: each partition
gives its distinct values (``_distinct_rows``, in the gathering pass), and the
encoder is fitted on their union, as the default encoder is fitted in memory.
Another encoder (with frequency limits, say) would need every row: refused.

The task keeps the classes' numeric rows, the draws and the new rows' codes
(held on the cluster); each output block interpolates its numeric columns with
the in-memory kernel and decodes its categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._generate import draw, interpolate_rows
from .._smote_nc import (_distinct_rows, _fit_encoder, _frame_column, _in_column_dtype,
                         _is_frame)
from .._validation import (
    smotenc_all_categorical,
    smotenc_no_categorical,
)
from ..backends import get_backend, is_cupy_array
from ._malloc import roomy


def _host(a):
    return a.get() if is_cupy_array(a) else np.asarray(a)


def resolve_columns(sampler, inp):
    """SMOTENC's column checks, from X's meta (nothing read): the categorical and
    numeric columns, as ``SMOTENC._check_X`` resolves them."""
    name = type(sampler).__name__
    if sampler.categorical_encoder is not None:
        raise TypeError(
            f"{name} on Dask takes the default categorical_encoder (None) only: another "
            "encoder would have to be fitted on all rows at once. Leave it out, or "
            "compute X and y first.")
    meta = inp.meta() if inp.kind == "frame" else np.empty((0, inp.n_features), inp.dtype)
    n_features = inp.n_features
    cat = sampler._resolve_columns(meta, n_features)
    if cat.size == n_features:
        raise smotenc_all_categorical(n_features)
    if cat.size == 0:
        raise smotenc_no_categorical()
    sampler.n_features_ = int(n_features)
    sampler.categorical_features_ = cat
    sampler.continuous_features_ = np.setdiff1d(np.arange(n_features), cat)
    return cat


def row_bytes(inp, cat) -> int:
    """Bytes of one gathered row: its numeric columns as floats, 8 a category."""
    n_cat = len(cat)
    return (inp.n_features - n_cat) * inp.work_dtype().itemsize + 8 * n_cat


def distinct_values(x_part, cat):
    """The values each categorical column of one partition holds, each once
    (padded with its first): what the encoder learns its categories from."""
    if _is_frame(x_part):
        return _distinct_rows(x_part.iloc[:, cat])
    block = _host(x_part[:, cat])
    columns = [np.unique(block[:, j]) for j in range(block.shape[1])]
    size = max((c.size for c in columns), default=0)
    out = np.empty((size, len(columns)), dtype=block.dtype)
    for j, c in enumerate(columns):
        out[:, j] = np.pad(c, (0, size - c.size), mode="edge") if c.size else c
    return out


def merge_distinct(cat, *parts):
    """The union of the partitions' distinct values (``distinct_values`` again)."""
    parts = [p for p in parts if p.shape[0]]
    if not parts:
        return None
    if _is_frame(parts[0]):
        from dask.dataframe.dispatch import concat

        return _distinct_rows(concat(parts) if len(parts) > 1 else parts[0])
    joined = np.concatenate(parts)
    return distinct_values(joined, np.arange(joined.shape[1]))


@dataclass
class Made:
    """What the plan task keeps on the cluster for the output blocks."""

    gidx: np.ndarray      # global index of each gathered row, in class order
    numeric: Any          # the gathered rows' numeric columns (backend floats)
    base: Any             # the draws, as positions in the gathered rows (backend)
    nbr: Any
    steps: Any
    codes: np.ndarray     # the new rows' category codes (host int64)
    encoder: Any          # the fitted encoder (its categories decode the codes)
    sizes: list
    cat_dtypes: list      # frames: each categorical column's dtype as gathered
    median_std: dict


@roomy
def smotenc_plan(sampler, backend: str, pools, distinct, targets, seed: int):
    """``SMOTENC._fit_resample`` up to the vote, on the gathered classes (one
    ``Pool`` each, in ``targets`` order): the same checks, searches, plans, draws
    and votes as in memory, in the classes' own numbering."""
    from .._smote_nc import _MixedTable

    be = get_backend(backend)
    rows = [p.rows for p in pools]
    if _is_frame(rows[0]):
        from dask.dataframe.dispatch import concat

        gathered = concat(rows) if len(rows) > 1 else rows[0]
    else:
        gathered = np.concatenate([_host(r) for r in rows])
    # the in-memory checks of the numeric columns, and its encoder...
    table: _MixedTable = sampler._check_X(be, gathered)
    # ... fitted on the values of every row (as the default encoder is in memory)
    if distinct is not None:
        sampler._sizes = _fit_encoder(sampler.categorical_encoder_, distinct, True)
    sampler._validate_estimator()
    classes, offset = [], 0
    for (label, n_new), pool in zip(targets, pools, strict=True):
        n_rows = pool.gidx.shape[0]
        classes.append((label, n_new, np.arange(offset, offset + n_rows, dtype=np.int64)))
        offset += n_rows
    numeric, codes, plans = sampler._plan_classes(be, table, classes)
    base, nbr, steps = draw(be, plans, seed, numeric.dtype)
    new_codes = _host(sampler._vote(be, plans, codes, seed, base))
    cat = sampler.categorical_features_
    cat_dtypes = list(gathered.dtypes.iloc[cat]) if _is_frame(gathered) else []
    return Made(np.concatenate([p.gidx for p in pools]), numeric, base, nbr, steps,
                new_codes, sampler.categorical_encoder_, list(sampler._sizes), cat_dtypes,
                dict(sampler.median_std_))


def draws_and_attributes(made: Made):
    """For the client: the draws as global indices (the provenance), and the fitted
    encoder and ``median_std_``."""
    return (made.gidx[_host(made.base)], made.gidx[_host(made.nbr)], _host(made.steps),
            made.encoder, made.median_std)


@roomy
def smotenc_block(made: Made, lo: int, hi: int, cat, cont, backend: str, frame: bool,
                  columns=None, dtypes=None, working_memory=None):
    """New rows ``lo:hi``: numeric columns interpolated (``interpolate_rows``), the
    categorical ones decoded from the vote's codes; a DataFrame with X's columns
    and dtypes (integer columns rounded, as in memory), or an array of X's float
    dtype."""
    be = get_backend(backend)
    n = hi - lo
    numeric = be.empty_output((n, len(cont)), made.numeric.dtype)
    interpolate_rows(be, made.numeric, made.base[lo:hi], made.nbr[lo:hi], made.steps[lo:hi],
                     numeric, working_memory)
    codes = made.codes[lo:hi]
    categories = made.encoder.categories_
    if not frame:
        dtype = made.numeric.dtype
        out = be.xp.empty((n, len(cont) + len(cat)), dtype=dtype)
        out[:, be.asarray(cont)] = numeric
        values = np.empty(codes.shape, dtype=dtype)
        for j, cats in enumerate(categories):
            values[:, j] = np.asarray(cats[codes[:, j]]).astype(dtype)
        out[:, be.asarray(cat)] = be.asarray(values)
        return out
    import pandas as pd

    numeric = be.to_numpy(numeric)
    data = {}
    for j, c in enumerate(cont):
        data[int(c)] = _in_column_dtype(numeric[:, j], dtypes.iloc[c])
    for j, (c, cats) in enumerate(zip(cat, categories, strict=True)):
        data[int(c)] = _frame_column(made.cat_dtypes[j], cats, codes[:, j])
    out = pd.DataFrame({i: data[i] for i in range(len(columns))}, copy=False)
    out.columns = columns
    return out
