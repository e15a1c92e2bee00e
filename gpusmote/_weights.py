"""``sample_weight`` carried through ``fit_resample`` (issue 16): the check of the
caller's weights. The samplers give the output rows' weights in ``sample_weight_``."""

from __future__ import annotations

import numbers

import numpy as np

from .backends import is_cupy_array

WEIGHT_MODES = ("copy", "interpolate")


def check_sample_weight(be, sample_weight, n_samples: int, sampler_name: str):
    """``sample_weight`` as a 1-D float array on the backend, or a clear error.

    One finite, non-negative number per row of X. Integer and boolean weights
    become float64; float weights keep their dtype. The caller's array is
    never modified.
    """
    name = f"{sampler_name}.fit_resample"
    w = sample_weight
    if is_cupy_array(w):
        if be.name != "cupy":
            w = w.get()
    elif hasattr(w, "to_numpy") and hasattr(w, "dtype"):  # a pandas Series
        w = w.to_numpy()
    if not is_cupy_array(w):
        try:
            w = np.asarray(w)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name}: sample_weight could not be read as an array of "
                            f"numbers ({exc}); pass one number per row of X.") from None
    if w.ndim != 1:
        if w.ndim == 0:
            fix = "one weight per row of X, for example np.full(len(X), w)"
        else:
            fix = "one weight per row of X as a 1-D array (w.ravel() if it has one column)"
        raise ValueError(f"{name}: sample_weight must be 1-D with one weight per row; "
                         f"got shape {tuple(w.shape)}. Pass {fix}.")
    if w.shape[0] != n_samples:
        raise ValueError(f"{name}: sample_weight has {w.shape[0]} values but X has "
                         f"{n_samples} rows; pass one weight per row of X, in X's order.")
    if w.dtype.kind not in "biuf":
        # text is refused even where it reads as a number ("1.5"): weights
        # given as strings are a column read wrongly more often than not
        odd = [v for v in w.tolist() if not _is_number(v)][:1]
        if odd:
            first = odd[0]
            raise TypeError(f"{name}: sample_weight must hold numbers; got dtype "
                            f"{w.dtype} with values such as {first!r}. Convert it "
                            "(for example np.asarray(w, dtype=float)) or drop the "
                            "rows whose weight is not a number.")
        w = w.astype(np.float64)
    if w.dtype.kind != "f":
        w = w.astype(np.float64)
    w = be.asarray(w)
    xp = be.xp
    bad = ~xp.isfinite(w)
    if bool(bad.any()):
        at = int(xp.argmax(bad))
        raise ValueError(f"{name}: sample_weight holds {int(bad.sum())} value(s) that are "
                         f"NaN or infinite (the first, {float(w[at])!r}, at position {at}); "
                         "weights must be finite: fill them (for example with 1.0) or drop "
                         "those rows.")
    negative = w < 0
    if bool(negative.any()):
        at = int(xp.argmax(negative))
        raise ValueError(f"{name}: sample_weight holds {int(negative.sum())} negative "
                         f"value(s) (the first, {float(w[at])!r}, at position {at}); weights "
                         "must be >= 0: fix them or drop those rows.")
    return w


def _is_number(value) -> bool:
    """A real number (not text, not complex, not None)."""
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, str)
