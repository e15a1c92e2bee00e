"""Small helpers shared by the tests."""

from __future__ import annotations

import numpy as np


def to_numpy(a):
    """Host copy of a NumPy or CuPy array (or anything array-like)."""
    if hasattr(a, "get") and not isinstance(a, np.ndarray):
        return a.get()
    return np.asarray(a)


def brute_knn(X, k, queries=None):
    """Reference exact k-NN: float64 direct differences, ties by lower index."""
    X64 = np.asarray(X, dtype=np.float64)
    Q64 = X64 if queries is None else np.asarray(queries, dtype=np.float64)
    d2 = ((Q64[:, None, :] - X64[None, :, :]) ** 2).sum(-1)
    if queries is None:
        np.fill_diagonal(d2, np.inf)
    order = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d2, order, axis=1), order


def on_segments(X_orig, X_new, seeds, neighbours, atol=1e-5):
    """Boolean per new row: does it lie on a segment from ``X_orig[seeds[i]]`` to
    ``X_orig[neighbours[i, j]]`` for some (i, j)? Vectorised over all segments."""
    X_orig = np.asarray(X_orig, dtype=np.float64)
    new = np.asarray(X_new, dtype=np.float64)
    a = X_orig[np.repeat(np.asarray(seeds), np.asarray(neighbours).shape[1])]   # (P, d)
    b = X_orig[np.asarray(neighbours).reshape(-1)]
    ab = b - a
    denom = np.einsum("pd,pd->p", ab, ab)
    rel = new[:, None, :] - a[None, :, :]                                       # (N, P, d)
    t = np.einsum("npd,pd->np", rel, ab) / np.where(denom == 0, 1, denom)
    t = np.clip(t, 0.0, 1.0)
    resid = rel - t[:, :, None] * ab[None, :, :]
    scale = 1.0 + np.abs(new).max()
    return (np.abs(resid).max(axis=2) <= atol * scale).any(axis=1)


def segment_steps(X_orig, X_new, pairs, atol=1e-5):
    """For each new row, the segment it lies on and its step along it, unclipped.

    ``pairs`` (P, 2) are (seed, neighbour) row indices into ``X_orig``; segments
    of zero length are left out (a copy of a row lies on no segment). Returns
    ``(which, t)``: the index into ``pairs`` of the nearest segment and the step
    ``t`` with ``new = a + t (b - a)``; ``which`` is -1 (and ``t`` NaN) where the
    row is off every segment by more than ``atol`` (relative).
    """
    X_orig = np.asarray(X_orig, dtype=np.float64)
    new = np.asarray(X_new, dtype=np.float64)
    pairs = np.asarray(pairs).reshape(-1, 2)
    a, b = X_orig[pairs[:, 0]], X_orig[pairs[:, 1]]
    ab = b - a
    denom = np.einsum("pd,pd->p", ab, ab)
    rel = new[:, None, :] - a[None, :, :]                                       # (N, P, d)
    t = np.einsum("npd,pd->np", rel, ab) / np.where(denom == 0, 1, denom)
    resid = np.abs(rel - np.clip(t, 0, 1)[:, :, None] * ab[None, :, :]).max(axis=2)
    resid[:, denom == 0] = np.inf
    which = resid.argmin(axis=1)
    rows = np.arange(len(new))
    ok = resid[rows, which] <= atol * (1.0 + np.abs(new).max())
    return np.where(ok, which, -1), np.where(ok, t[rows, which], np.nan)
