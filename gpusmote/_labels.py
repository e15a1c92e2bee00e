"""Labels without the host: y is checked and encoded once, where it lives.

imbalanced-learn reads y on the host: ``type_of_target`` and
``check_sampling_strategy`` run three ``np.unique`` over it (seconds on
10 M labels), and every sampler concatenates y on the host again. Here:

* ``encode_labels`` checks y and takes the sorted classes and their counts
  in one pass: ``bincount`` when the labels are small non-negative integers
  (booleans and integral floats included), otherwise ``unique`` with its
  inverse. For CuPy y on the CuPy backend both run on the device and only
  the classes and their counts (O(number of classes) values) and a few
  scalars come to the host.
* ``resolve_sampling_strategy`` is imbalanced-learn's
  ``check_sampling_strategy`` computed from those counts, for every form
  (str, float, dict, list, callable); only a callable gets y itself, as
  imbalanced-learn passes it (a host array).
* ``Labels.rows``, ``Labels.codes`` and ``Labels.extend`` give the samplers
  a class's rows, small integer codes and the resampled y on the same side
  as y, so nothing of y makes a round trip.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends import is_cupy_array

# Largest label that is counted with bincount (one counter per value up to it,
# so at most this many counts cross to the host); larger labels use unique.
BINCOUNT_MAX_LABEL = 4096

SAMPLING_TYPES = ("over-sampling", "under-sampling", "clean-sampling", "ensemble", "bypass")
STRATEGY_NAMES = ("auto", "minority", "majority", "not minority", "not majority", "all")


def plain_label(v: Any) -> Any:
    """A label as a plain Python value for messages: 1, not np.int64(1)."""
    return v.item() if hasattr(v, "item") else v


@dataclass
class Labels:
    """y checked and encoded; ``classes`` and ``counts`` are host arrays."""

    y: Any                   # 1-D labels: a device array for CuPy y, else NumPy
    classes: np.ndarray      # sorted distinct labels, y's dtype
    counts: np.ndarray       # rows per class, int64
    one_vs_all: bool = False  # y came as a one-hot matrix
    _codes: Any = None       # codes on y's side (from unique's inverse), if made
    _lut: np.ndarray | None = None  # bincount path: label value -> code
    _cache: dict = field(default_factory=dict)

    @property
    def on_device(self) -> bool:
        return is_cupy_array(self.y)

    @property
    def xp(self):
        if self.on_device:
            import cupy

            return cupy
        return np

    @property
    def n_classes(self) -> int:
        return int(self.classes.size)

    def beside_y(self, be, indices):
        """Row indices where y lives, for a fitted attribute: device indices stay
        on the device for CuPy y (nothing crosses), come to the host otherwise
        (they belong with a host result)."""
        return indices if self.on_device else be.to_numpy(indices)

    def code_of(self, label) -> int:
        """The code of one class (its position in ``classes``)."""
        return int(np.searchsorted(self.classes, label))

    def host(self) -> np.ndarray:
        """y on the host (a download for CuPy y; only for a callable strategy and
        the samplers that work on the host)."""
        if "host" not in self._cache:
            self._cache["host"] = self.y.get() if self.on_device else self.y
        return self._cache["host"]

    def codes(self, be=None):
        """Per row, the code of its class (int8/16/32), on ``be`` (y's side when None)."""
        key = ("codes", None if be is None else be.name)
        if key in self._cache:
            return self._cache[key]
        xp = self.xp
        dtype = _code_dtype(self.n_classes)
        if self._codes is not None:
            codes = self._codes.astype(dtype, copy=False)
        else:  # bincount path: a lookup table indexed by the label value
            lut = xp.asarray(self._lut.astype(dtype))
            codes = lut[self.y.astype(xp.int64, copy=False)]
        if be is not None:
            codes = be.asarray(codes)
        self._cache[key] = codes
        return codes

    def rows(self, label):
        """Sorted row indices (int64) of class ``label``, on y's side."""
        xp = self.xp
        value = self.classes[self.code_of(label)]
        return xp.flatnonzero(self.y == value).astype(xp.int64, copy=False)

    def extend(self, parts) -> Any:
        """y followed by ``n`` copies of ``label`` for each (label, n) of ``parts``,
        on y's side (CuPy fills on the device: no upload of the new labels)."""
        parts = [(label, int(n)) for label, n in parts]
        n_rows = self.y.shape[0]
        # one output, filled in place (a piece per class, then a concatenation,
        # wrote W2's 1 980 000 labels twice: 4.7 -> 1.0 ms)
        out = self.xp.empty(n_rows + sum(n for _, n in parts), dtype=self.y.dtype)
        out[:n_rows] = self.y
        for label, n in parts:
            out[n_rows:n_rows + n].fill(plain_label(label))
            n_rows += n
        return out

    def one_vs_all_matrix(self, y_res):
        """``label_binarize(y_res, classes)`` on y's side (one column for two classes)."""
        xp = self.xp
        if not self.on_device:
            from sklearn.preprocessing import label_binarize

            return label_binarize(y_res, classes=self.classes)
        classes = xp.asarray(self.classes)
        if self.n_classes == 2:
            return (y_res == classes[1])[:, None].astype(xp.int64)
        return (y_res[:, None] == classes[None, :]).astype(xp.int64)


def _code_dtype(n_classes: int):
    for dtype in (np.int8, np.int16, np.int32):
        if n_classes <= np.iinfo(dtype).max:
            return dtype
    return np.int64


# -- checking and encoding -----------------------------------------------------

def encode_labels(y: Any, n_samples: int, device: bool = False) -> Labels:
    """Check y and encode it once. ``device``: CuPy y stays on the device (the CuPy
    backend); otherwise it is read on the host."""
    if y is None:
        raise ValueError("This sampler requires y to be passed, but the target y is None; "
                         "pass one class label per row of X.")
    if is_cupy_array(y) and not device:
        y = y.get()
    if is_cupy_array(y):
        import cupy as xp
    else:
        xp = np
        y = _host_labels(y)
    if y.ndim == 0:
        raise ValueError(f"y must be 1-D with one label per row, got a scalar {plain_label(y)!r}.")
    one_vs_all = False
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    if y.ndim == 2:
        y, one_vs_all = _from_one_hot(xp, y), True
    elif y.ndim != 1:
        raise ValueError(f"Unknown label type: y has shape {y.shape}. y must hold one class "
                         "label per row (1-D), or be a one-hot matrix (2-D).")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y.shape[0]} labels; pass exactly one "
            "label per row of X."
        )
    labels = _encode(xp, y)
    labels.one_vs_all = one_vs_all
    if labels.n_classes < 2 and n_samples:
        raise ValueError(
            f"y has only one class ({plain_label(labels.classes[0])!r}); resampling needs at "
            "least two classes in y."
        )
    return labels


def _host_labels(y: Any) -> np.ndarray:
    """A host y as an array; object arrays get scikit-learn's target check."""
    from sklearn.utils.multiclass import type_of_target

    try:
        arr = np.asarray(y)
    except ValueError:  # ragged nested sequences
        arr = np.asarray(y, dtype=object)
    if arr.dtype == object and arr.ndim >= 1:
        kind = type_of_target(arr)
        if kind in ("multiclass-multioutput", "multilabel-sequences",
                    "multilabel-indicator"):
            raise ValueError("Multilabel and multioutput targets are not supported; pass one "
                             "class label per row as a 1-D y.")
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind!r}. y must hold class labels (integers or "
                "strings); bin a continuous target first, for example with pandas.cut.")
        arr = arr.reshape(-1)
        try:  # sortable labels of one kind: as NumPy would hold them
            return np.asarray(arr.tolist())
        except (TypeError, ValueError):
            return arr
    if arr.dtype.kind == "c":
        _check_numeric(np, arr)
    if arr.dtype.kind not in "biufUS":
        raise ValueError(
            f"Unknown label type: y has dtype {arr.dtype}. y must hold class labels "
            "(integers or strings).")
    return arr


def _check_numeric(xp, y, what: str = "y") -> None:
    """Finite and integral, or the target is not class labels."""
    if y.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {what} has dtype {y.dtype}; y must "
                         "hold class labels (integers or strings).")
    if y.dtype.kind != "f":
        return
    if not bool(xp.isfinite(y).all()):
        raise ValueError(f"Input {what} contains NaN or infinity; drop those rows or impute "
                         "their labels before resampling.")
    if bool((y != xp.floor(y)).any()):
        kind = "continuous" if y.ndim == 1 else "continuous-multioutput"
        raise ValueError(
            f"Unknown label type: {kind!r}. y must hold class labels (integers or "
            "strings); bin a continuous target first, for example with pandas.cut.")


def _from_one_hot(xp, y):
    if y.dtype.kind in "US" or not bool(((y == 0) | (y == 1)).all()):
        if y.dtype.kind in "fc":
            _check_numeric(xp, y)
        raise ValueError("Multilabel and multioutput targets are not supported; pass one "
                         "class label per row as a 1-D y.")
    if bool((y.sum(axis=1) > 1).any()):
        raise ValueError(
            "Multilabel and multioutput targets are not supported: each row of a "
            "one-hot y must have exactly one 1. Pass one class label per row.")
    return y.argmax(axis=1)


def _encode(xp, y) -> Labels:
    if y.dtype.kind in "biufc":
        _check_numeric(xp, y)
    if y.shape[0] == 0:
        return Labels(y, np.asarray([], dtype=y.dtype), np.zeros(0, dtype=np.int64))
    if y.dtype.kind in "biuf":
        small = y.astype(xp.uint8) if y.dtype.kind == "b" else y
        lo, hi = (float(v) for v in (small.min(), small.max()))
        if 0 <= lo and hi <= BINCOUNT_MAX_LABEL:
            ints = small.astype(xp.int64, copy=False)
            all_counts = xp.bincount(ints, minlength=int(hi) + 1)
            all_counts = all_counts.get() if xp is not np else all_counts
            present = np.flatnonzero(all_counts)
            lut = np.cumsum(all_counts > 0) - 1
            classes = present.astype(y.dtype)
            return Labels(y, classes, all_counts[present].astype(np.int64), _lut=lut)
    classes, inverse = xp.unique(y, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = xp.bincount(inverse, minlength=classes.shape[0])
    if xp is not np:
        classes, counts = classes.get(), counts.get()
    return Labels(y, np.asarray(classes), np.asarray(counts, dtype=np.int64), _codes=inverse)


# -- sampling_strategy from the class counts ---------------------------------------

def resolve_sampling_strategy(sampling_strategy, labels: Labels, sampling_type: str,
                              **kwargs) -> OrderedDict:
    """imbalanced-learn's ``check_sampling_strategy``, from the class counts.

    Same results (keys in sorted label order, ties to the smaller label) and the
    same errors' meaning; y itself is read only for a callable.
    """
    if sampling_type not in SAMPLING_TYPES:
        raise ValueError(f"sampling_type must be one of {SAMPLING_TYPES}, got "
                         f"{sampling_type!r}.")
    if labels.n_classes <= 1:
        raise ValueError(f"y has {labels.n_classes} class; resampling needs at least two "
                         "classes in y.")
    if sampling_type in ("ensemble", "bypass"):
        return sampling_strategy
    stats = dict(zip(labels.classes, labels.counts))  # label -> count, sorted
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in STRATEGY_NAMES:
            raise ValueError(
                f"sampling_strategy={sampling_strategy!r} is not a known strategy; pass one "
                f"of {list(STRATEGY_NAMES)}, a float, a dict or a callable.")
        target = _named(sampling_strategy, labels, sampling_type)
    elif isinstance(sampling_strategy, Mapping):
        target = _from_dict(sampling_strategy, stats, sampling_type)
    elif isinstance(sampling_strategy, list):
        target = _from_list(sampling_strategy, stats, sampling_type)
    elif isinstance(sampling_strategy, numbers.Real):
        target = _from_float(sampling_strategy, labels, sampling_type)
    elif callable(sampling_strategy):
        asked = sampling_strategy(labels.host(), **kwargs)
        target = _from_dict(asked, stats, sampling_type)
    else:
        raise TypeError(f"sampling_strategy={sampling_strategy!r} is not a str, float, dict, "
                        "list or callable; pass one of those (see the sampler's docstring).")
    return OrderedDict(sorted(target.items()))


def _named(name: str, labels: Labels, sampling_type: str) -> dict:
    classes, counts = labels.classes, labels.counts
    over = sampling_type == "over-sampling"
    if name == "auto":
        name = "not majority" if over else "not minority"
    if name == "minority" and not over:
        kind = "a cleaning " if sampling_type == "clean-sampling" else "an under-"
        raise ValueError(
            f"sampling_strategy='minority' asks to remove rows from the smallest class, "
            f"which {kind}sampler cannot do; use 'not minority', 'majority' "
            "or a list of classes.")
    if name == "majority" and over:
        raise ValueError(
            "sampling_strategy='majority' asks for new rows in the largest class, which "
            "an over-sampler cannot make; use 'not majority', 'minority' or a dict of "
            "class counts.")
    biggest = int(np.argmax(counts))   # first of equal counts: the smaller label
    smallest = int(np.argmin(counts))
    keep = {"all": lambda i: True,
            "minority": lambda i: i == smallest,
            "majority": lambda i: i == biggest,
            "not minority": lambda i: i != smallest,
            "not majority": lambda i: i != biggest}[name]
    if over:
        return {classes[i]: counts[biggest] - counts[i] for i in range(classes.size) if keep(i)}
    return {classes[i]: counts[smallest] for i in range(classes.size) if keep(i)}


def _missing(asked, stats: dict) -> None:
    missing = [key for key in asked if key not in stats]
    if missing:
        present = [plain_label(c) for c in list(stats)[:20]]
        more = f" and {len(stats) - 20} more" if len(stats) > 20 else ""
        raise ValueError(
            f"sampling_strategy names class(es) {sorted(map(plain_label, missing), key=repr)!r} "
            f"that are not present in y (its classes are {present!r}{more}); use labels "
            "that occur in y.")


def _whole_counts(asked) -> dict:
    """The dict's counts as ints; a count that is not a whole number is refused
    (imbalanced-learn truncates 50.5 to 50 without a word)."""
    out = {}
    for label, n in asked.items():
        shown = f"{{{plain_label(label)!r}: {plain_label(n)!r}}}"
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Real):
            raise TypeError(
                f"sampling_strategy asks for {shown}: each class needs a whole number of "
                f"rows (an int), got {type(n).__name__}.")
        if not (math.isfinite(n) and float(n) == math.floor(n)):
            raise ValueError(
                f"sampling_strategy asks for {shown}: a number of rows must be a whole "
                f"number; pass an int (for example {math.floor(n) if math.isfinite(n) else 0}).")
        out[label] = int(n)
    return out


def _from_dict(asked, stats: dict, sampling_type: str) -> dict:
    if not isinstance(asked, Mapping):
        raise TypeError(
            f"a callable sampling_strategy must return a dict {{class label: number of rows "
            f"after resampling}}, got {type(asked).__name__} {_short(asked)}; return such "
            "a dict.")
    _missing(asked, stats)
    asked = _whole_counts(asked)
    negative = {plain_label(k): v for k, v in asked.items() if v < 0}
    if negative:
        raise ValueError(
            f"sampling_strategy asks for a negative number of rows: {negative!r}; every "
            "class needs a count >= 0.")
    if sampling_type == "clean-sampling":
        raise ValueError(
            "sampling_strategy as a dict is not supported by cleaning samplers (they "
            "decide how many rows go); pass a list of the classes that may lose rows.")
    target = {}
    for label, n in asked.items():
        have = stats[label]
        if sampling_type == "over-sampling":
            if n < have:
                raise ValueError(
                    f"sampling_strategy asks for {n} rows of class {plain_label(label)!r}, "
                    f"which has {have}: an over-sampler can only add rows; ask for at "
                    f"least {have} (the number of rows after resampling).")
            target[label] = n - have
        else:
            if n > have:
                raise ValueError(
                    f"sampling_strategy asks for {n} rows of class {plain_label(label)!r}, "
                    f"which has {have}: an under-sampler can only remove rows; ask for at "
                    f"most {have}.")
            target[label] = n
    return target


def _short(value) -> str:
    """A repr for messages: NumPy scalars as plain numbers, at most 80 characters."""
    if isinstance(value, (list, tuple)):
        text = repr([plain_label(v) for v in value])
    else:
        text = repr(plain_label(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _from_list(asked: list, stats: dict, sampling_type: str) -> dict:
    if sampling_type != "clean-sampling":
        raise ValueError(
            f"sampling_strategy as a list ({_short(asked)}) is for cleaning samplers only; "
            "pass a dict of class -> number of rows, a float or a strategy name instead.")
    _missing(asked, stats)
    fewest = min(stats.values())
    return {label: fewest for label in asked}


def _smallest_ratio(n_minority: int, n_majority: int) -> float:
    """The smallest ratio, in 3 significant digits, that adds at least one row
    (imbalanced-learn's rule: ``int(n_majority * ratio - n_minority) > 0``)."""
    ratio = (n_minority + 1) / n_majority
    digits = 2 - math.floor(math.log10(ratio))
    ratio = math.ceil(ratio * 10 ** digits) / 10 ** digits
    while int(n_majority * ratio - n_minority) <= 0:  # rounding of the product
        ratio += 10 ** -digits
    return round(ratio, digits)


def _from_float(ratio: float, labels: Labels, sampling_type: str) -> dict:
    shown = _short(ratio)
    if ratio <= 0 or ratio > 1:
        raise ValueError(
            f"sampling_strategy={shown} is out of range: a float must be in (0, 1], "
            "the wanted ratio of the minority to the majority class.")
    if labels.n_classes != 2:
        raise ValueError(
            f"sampling_strategy={shown}: a float works for two classes only and y has "
            f"{labels.n_classes}; pass a dict of class -> number of rows instead.")
    classes, counts = labels.classes, labels.counts
    if sampling_type == "over-sampling":
        biggest = int(np.argmax(counts))
        small = 1 - biggest
        target = {classes[i]: int(counts[biggest] * ratio - counts[i])
                  for i in range(2) if i != biggest}
        if any(n <= 0 for n in target.values()):
            n_min, n_maj = int(counts[small]), int(counts[biggest])
            if n_min + 1 > n_maj:
                fix = ("the classes are (nearly) balanced already, so no ratio adds rows; "
                       "leave this data as it is")
            else:
                fix = (f"pass a ratio of at least {_smallest_ratio(n_min, n_maj):g} "
                       "(1 balances the classes)")
            raise ValueError(
                f"sampling_strategy={shown} asks for a minority of {ratio:.3g} times the "
                f"majority, but the minority (class {plain_label(classes[small])!r}, {n_min} "
                f"rows) is already {100 * n_min / n_maj:.3g} % of the majority (class "
                f"{plain_label(classes[biggest])!r}, {n_maj} rows), and an over-sampler can "
                f"only add rows: {fix}.")
        return target
    if sampling_type == "under-sampling":
        smallest = int(np.argmin(counts))
        target = {classes[i]: int(counts[smallest] / ratio) for i in range(2) if i != smallest}
        if any(n > counts[i] for i, n in zip((1 - smallest,), target.values())):
            n_min, n_maj = int(counts[smallest]), int(counts[1 - smallest])
            raise ValueError(
                f"sampling_strategy={shown} would add rows to the majority class: it asks "
                f"for {n_min / ratio:.0f} of them and there are {n_maj}; an under-sampler "
                f"can only remove rows: pass a ratio of at least {n_min / n_maj:.3g}.")
        return target
    raise ValueError(
        f"sampling_strategy={shown}: cleaning samplers take no ratio (they remove the rows "
        "their rule finds, not a number of rows); pass a strategy name such as 'auto' or "
        "a list of the classes that may lose rows.")


# -- the parameter's type and value, before any data is read ------------------------

def strategy_parameter_message(sampler_name: str, value, sampling_type: str) -> str:
    """Our wording for a ``sampling_strategy`` that the parameter constraints refuse:
    scikit-learn's frame (``The 'sampling_strategy' parameter of X must be ...
    Got ... instead.``), plain words for the forms, and the fix for the value given."""
    if sampling_type == "clean-sampling":
        forms = ("one of 'auto' (= 'not minority'), 'majority', 'not minority', "
                 "'not majority', 'all', a list of the classes that may lose rows, or a "
                 "callable")
    else:
        forms = ("a float in (0, 1] (the wanted ratio minority / majority; two classes "
                 "only), one of 'auto' (= 'not majority'), 'minority', 'not minority', "
                 "'not majority', 'all', a dict {class label: number of rows after "
                 "resampling}, or a callable that returns such a dict")
    hint = ""
    over = sampling_type == "over-sampling"
    if isinstance(value, str):
        if value == "majority" and over:
            hint = (" An over-sampler cannot add rows to the largest class; 'not majority' "
                    "(the default 'auto') over-samples every other class.")
        elif value == "minority" and not over:
            hint = (" A cleaning sampler does not remove rows from the smallest class; "
                    "'auto' cleans every other class.")
        else:
            hint = f" {value!r} is not a strategy name."
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not over:
            hint = (" Cleaning samplers take no ratio; pass a strategy name or a list of "
                    "the classes that may lose rows.")
        elif value > 1:
            hint = (" A ratio above 1 would make the minority larger than the majority; "
                    "pass a dict for exact counts.")
        elif value <= 0:
            hint = " A ratio must be above 0."
    elif isinstance(value, (list, tuple)) and over:
        hint = (" A list of classes is for cleaning samplers; to over-sample only some "
                "classes, pass a dict {class label: number of rows after resampling}.")
    elif isinstance(value, Mapping) and not over:
        hint = (" Cleaning samplers decide how many rows go; pass a list of the classes "
                "that may lose rows.")
    return (f"The 'sampling_strategy' parameter of {sampler_name} must be {forms}. "
            f"Got {_short(value)} instead.{hint}")
