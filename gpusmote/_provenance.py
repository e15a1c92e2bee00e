"""Where each row of an over-sampler's output comes from (issue 16): the record
the samplers make while generating, and the fitted attributes read from it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._dask import is_dask_collection

# Fitted attributes of an over-sampler computed from its ``SyntheticRows`` on
# first read (and kept): dropped, with the record, when it is fitted again.
PROVENANCE_NAMES = ("sample_indices_", "synthetic_mask_", "synthetic_parents_",
                    "synthetic_steps_", "base_indices_")


def _to_host(a):
    if a is None or isinstance(a, np.ndarray):
        return a
    if is_dask_collection(a):  # a Dask cleaner's sample_indices_, or Dask draws
        a = a.compute()
        if isinstance(a, np.ndarray):
            return a
    return np.asarray(a.get())


@dataclass
class SyntheticRows:
    """Where each row of an over-sampler's output comes from.

    ``base``, ``neighbour`` (int64, indices into X, -1 for none) and ``steps``
    (the step of ``X[base] + step * (X[neighbour] - X[base])``, NaN for none)
    describe the synthetic rows in output order; ``neighbour`` and ``steps``
    are None where no row has one (copies, votes). ``kept`` holds the indices
    into X of the output's original rows, in output order (None: every row of
    X, first and in order); ``mask`` the output rows that are synthetic (None:
    those after the originals). The arrays stay where they were made (the
    device on a CuPy run) until a fitted attribute is read; ``host`` says
    whether they are then handed out as NumPy arrays (X was not CuPy).

    ``of`` and ``positions`` (see ``selection``) describe a selection of the
    rows of another record's output (SMOTE's, kept by a cleaner), worked out
    when first read.
    """

    n_in: int
    base: Any = None
    neighbour: Any = None
    steps: Any = None
    kept: Any = None
    mask: Any = None
    host: bool = True
    of: Any = None
    positions: Any = None

    @classmethod
    def selection(cls, made: SyntheticRows, positions, host: bool) -> SyntheticRows:
        """The rows at ``positions`` (indices into the output ``made`` describes)."""
        return cls(made.n_in, host=host, of=made, positions=positions)

    def namespace(self):
        """NumPy (the arrays brought to the host, once) or the arrays' CuPy."""
        if self.of is not None:
            self._select()
        if self.host:
            for name in ("base", "neighbour", "steps", "kept", "mask"):
                setattr(self, name, _to_host(getattr(self, name)))
            return np
        return np if isinstance(self.base, np.ndarray) else sys.modules["cupy"]

    def _select(self) -> None:
        made, pos = self.of, self.positions
        arrays = (made.base, made.neighbour, made.steps)
        if self.host or isinstance(made.base, np.ndarray):
            pos, arrays = _to_host(pos), [_to_host(a) for a in arrays]
        else:
            pos = sys.modules["cupy"].asarray(pos)
        is_new = pos >= made.n_in
        new = pos[is_new] - made.n_in
        self.base, self.neighbour, self.steps = (None if a is None else a[new]
                                                 for a in arrays)
        self.kept, self.mask = pos[~is_new], is_new
        self.of = self.positions = None


def _int64(xp, a):
    return xp.asarray(a).astype(xp.int64, copy=False)


def _neighbours(xp, r):
    if r.neighbour is None:
        return xp.full(r.base.shape[0], -1, dtype=xp.int64)
    return _int64(xp, r.neighbour)


def _steps(xp, r):
    if r.steps is None:
        return xp.full(r.base.shape[0], np.nan, dtype=xp.float64)
    return xp.asarray(r.steps)


_COMPUTE = {
    "base_indices_": lambda xp, r: _int64(xp, r.base),
    "synthetic_parents_": lambda xp, r: xp.stack([_int64(xp, r.base), _neighbours(xp, r)],
                                                 axis=1),
    "synthetic_steps_": _steps,
    "sample_indices_": lambda xp, r: (xp.arange(r.n_in, dtype=xp.int64) if r.kept is None
                                      else _int64(xp, r.kept)),
    "synthetic_mask_": lambda xp, r: (
        xp.concatenate([xp.zeros(r.n_in, dtype=bool), xp.ones(r.base.shape[0], dtype=bool)])
        if r.mask is None else xp.asarray(r.mask).astype(bool, copy=False)),
}


class _FromRecord:
    """A fitted attribute computed from the sampler's ``SyntheticRows`` on first
    read, then kept in the instance (which a refit clears). A non-data
    descriptor: a sampler may still set the attribute itself (RandomOverSampler's
    ``sample_indices_``)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        record = obj.__dict__.get("_synthetic")
        if record is None:
            raise AttributeError(f"'{type(obj).__name__}' object has no attribute "
                                 f"'{self.name}'; call fit_resample first.")
        value = _COMPUTE[self.name](record.namespace(), record)
        obj.__dict__[self.name] = value
        return value


class SyntheticRowsMixin:
    """The provenance attributes of the over-samplers (documented in
    ``_docstrings.PROVENANCE``), from the ``SyntheticRows`` their
    ``_fit_resample`` records."""

    sample_indices_ = _FromRecord()
    synthetic_mask_ = _FromRecord()
    synthetic_parents_ = _FromRecord()
    synthetic_steps_ = _FromRecord()
    base_indices_ = _FromRecord()

    def _record_synthetic(self, n_in: int, base, neighbour=None, steps=None, *, be,
                          kept=None, mask=None) -> None:
        """Record the synthetic rows' base rows, neighbour rows and steps, on the
        backend (None: the rows have none; -1 and NaN are made when read)."""
        self._synthetic = SyntheticRows(int(n_in), base, neighbour, steps, kept, mask)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags
