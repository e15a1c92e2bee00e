"""``gpusmote compare``: methods x ratios under stratified k-fold cross-validation.

Each configuration is an ``imblearn.pipeline.Pipeline`` (scaler, sampler,
classifier) scored by ``sklearn.model_selection.cross_validate``, so the
sampler only ever sees the training folds and every score comes from rows it
never touched. ``class_weight="balanced"`` is the no-resampling alternative
that any resampler has to beat.

A method that cannot run on the data (ADASYN where no minority row has a
neighbour of another class, a class smaller than ``k_neighbors``) does not stop
the comparison: its row says ``failed`` and why, and the others are compared.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from ._models import limited_threads, make_classifier, model_threads
from ._registry import (COMPARE_FLAGS, METRIC_LABELS, METRICS, SAMPLER_ERRORS, CLIError,
                        cli_message, make_sampler, sampler_class)

# compare name -> CLI method name (None: no sampler)
COMPARE_METHODS: dict[str, str | None] = {
    "none": None,
    "random": "random",
    "ros": "random",
    "smote": "smote",
    "borderline-smote": "borderline-smote",
    "borderline1": "borderline1",
    "borderline2": "borderline2",
    "adasyn": "adasyn",
    "smote-tomek": "smote-tomek",
    "smote-enn": "smote-enn",
    "svm-smote": "svm-smote",
    "kmeans-smote": "kmeans-smote",
    "random-under": "random-under",
    "nearmiss-1": "nearmiss-1",
    "nearmiss-2": "nearmiss-2",
    "nearmiss-3": "nearmiss-3",
    "instance-hardness": "instance-hardness",
    "cluster-centroids": "cluster-centroids",
    "renn": "renn",
    "allknn": "allknn",
    "cnn": "cnn",
    "oss": "oss",
    "ncr": "ncr",
    "balanced": None,
}
DEFAULT_METHODS = ("none", "random", "smote", "borderline-smote", "adasyn", "smote-tomek",
                   "smote-enn", "balanced")
DEFAULT_RATIOS = (0.1, 0.25, 0.5, 1.0)


def demo_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The built-in data of ``compare --demo``: 10 000 rows, 2 % positives, 20 features.

    Small on purpose: the cleaning methods (Tomek links, ENN) search neighbours
    over every row of every training fold, for every ratio.
    """
    from ._demo import make_fraud_data

    return make_fraud_data(10_000, 0.02, seed=seed)


class TimedSampler(BaseEstimator):
    """Wraps a sampler and records how long its ``fit_resample`` took.

    A Pipeline step like any sampler; after fitting, ``seconds_`` holds the
    resampling time, ``n_samples_out_`` the number of rows it returned and
    ``warnings_`` the messages of the warnings the sampler raised.

    Parameters
    ----------
    sampler : estimator with ``fit_resample``
        The sampler to run (cloned at fit time).
    """

    def __init__(self, sampler=None):
        self.sampler = sampler

    def fit(self, X, y):
        """Resample once and keep the fitted sampler (``fit_resample`` is the useful call)."""
        self.fit_resample(X, y)
        return self

    def fit_resample(self, X, y):
        """Run the wrapped sampler, timing it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        X_resampled, y_resampled : the wrapped sampler's output
        """
        self.sampler_ = clone(self.sampler)
        # recorded under the filters in force (a test's "error" filters included)
        with warnings.catch_warnings(record=True) as caught:
            start = time.perf_counter()
            X_res, y_res = self.sampler_.fit_resample(X, y)
            self.seconds_ = time.perf_counter() - start
        self.warnings_ = list(dict.fromkeys(str(w.message) for w in caught))
        self.n_samples_out_ = len(y_res)
        return X_res, y_res


class RatioStrategy:
    """Multiclass ``sampling_strategy``: lift each class to ``ratio`` x the majority count,
    or, for an under-sampler (``shrink``), bring each class down to the minority count
    / ``ratio``.

    Classes already past that count are left as they are. For binary targets
    the float form ``sampling_strategy=ratio`` is used instead.
    """

    def __init__(self, ratio: float, shrink: bool = False):
        self.ratio = ratio
        self.shrink = shrink

    def __call__(self, y) -> dict:
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        if self.shrink:
            target = int(counts.min() / self.ratio)
            return {lab: min(int(c), target) for lab, c in zip(labels, counts)}
        target = int(self.ratio * counts.max())
        return {lab: max(int(c), target) for lab, c in zip(labels, counts)}

    def __repr__(self) -> str:
        return f"RatioStrategy({self.ratio}{', shrink=True' if self.shrink else ''})"


def _scorers(y: np.ndarray, positive: Any) -> dict:
    from sklearn.metrics import (average_precision_score, f1_score, make_scorer,
                                 matthews_corrcoef, precision_score, recall_score)

    # binary targets score the positive class; others average over the classes
    if positive is not None:
        kw, pr_kw = {"pos_label": positive, "zero_division": 0}, {"pos_label": positive}
    else:
        kw, pr_kw = {"average": "macro", "zero_division": 0}, {"average": "macro"}
    return {
        "recall": make_scorer(recall_score, **kw),
        "precision": make_scorer(precision_score, **kw),
        "f1": make_scorer(f1_score, **kw),
        "mcc": make_scorer(matthews_corrcoef),
        "pr_auc": make_scorer(average_precision_score, response_method="predict_proba",
                              **pr_kw),
    }


def run_compare(X, y, *, methods: Sequence[str] = DEFAULT_METHODS,
                ratios: Sequence[float] = DEFAULT_RATIOS, folds: int = 5,
                backend: str = "auto", seed: int = 0, classifier: str = "logreg",
                quiet: bool = True, threads: Any = "auto") -> dict:
    """Cross-validate every method at every ratio, resampling inside the training folds.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Numeric features.
    y : array-like of shape (n_samples,)
        Class labels; for a binary target the minority class is the positive one.
    methods : sequence of str
        Keys of ``COMPARE_METHODS``. ``"none"`` and ``"balanced"`` (class
        weights) do not resample and run once; the others run once per ratio.
    ratios : sequence of float
        Minority/majority ratios after resampling, in (0, 1]. Ratios at or
        below the data's own ratio cannot over-sample and are skipped with a note.
    folds : int, default=5
        Number of stratified folds.
    backend : {"auto", "numpy", "cupy"}, default="auto"
        Backend of the gpusmote samplers.
    seed : int, default=0
        Seed of the fold split, the samplers and the classifier.
    classifier : {"logreg", "hgb"}, default="logreg"
        The model after the sampler (features are standardised first).
    quiet : bool, default=True
        When False, a progress bar on stderr.
    threads : int, "auto" or None, default="auto"
        OpenMP threads for the classifier fits (see ``gpusmote.cli._models``).

    Returns
    -------
    result : dict
        ``rows`` (one per configuration, each metric as ``{"mean", "std",
        "folds"}``, plus ``resample_s``, ``fit_s`` and the sampler's
        ``warnings``; a configuration that failed has ``error``, its one-line
        reason, and None for the metrics), ``notes`` (skipped configurations
        and why) and the settings used.
    """
    from imblearn.pipeline import Pipeline
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.preprocessing import StandardScaler

    X = X.to_numpy(dtype=np.float64) if hasattr(X, "to_numpy") else np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be 2-D with one row per label; got X {X.shape}, "
                         f"y {y.shape}.")
    if X.dtype.kind not in "fiub":
        raise TypeError(f"compare needs numeric features, got dtype {X.dtype}.")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity; impute or drop those values first.")
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2:
        raise ValueError(f"y has one class ({labels[0].item()!r}); compare needs at least "
                         "two.")
    if counts.min() < folds:
        smallest = labels[np.argmin(counts)].item()  # a plain value: 1, not np.int64(1)
        raise ValueError(f"the smallest class ({smallest!r}) has {counts.min()} rows, "
                         f"fewer than --folds {folds}; use fewer folds.")
    binary = len(labels) == 2
    positive = labels[np.argmin(counts)] if binary else None
    own_ratio = counts.min() / counts.max()

    configs: list[tuple[str, float | None]] = []
    notes: list[str] = []
    for method in methods:
        if method not in COMPARE_METHODS:
            raise ValueError(f"unknown compare method {method!r}; choose from "
                             f"{', '.join(COMPARE_METHODS)}.")
        if COMPARE_METHODS[method] is None:
            configs.append((method, None))
            continue
        try:
            cls = sampler_class(COMPARE_METHODS[method])
        except CLIError as exc:  # a class this build of gpusmote does not export
            notes.append(f"{method} skipped: {exc}")
            continue
        if cls._sampling_type == "clean-sampling":
            configs.append((method, None))  # a cleaner decides its own counts: run once
            continue
        for ratio in ratios:
            # a stratified training fold has about the data's own ratio; at or
            # below it there is nothing to add and imbalanced-learn refuses.
            if ratio <= own_ratio * 1.02:
                notes.append(f"{method} at ratio {ratio:g} skipped: the data already has "
                             f"a minority/majority ratio of {own_ratio:.3g}")
                continue
            configs.append((method, ratio))

    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scoring = _scorers(y, positive)
    rows = []
    threads = model_threads() if threads == "auto" else threads
    bar = None
    if not quiet and sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(configs), desc="compare", file=sys.stderr, leave=False)
        except ImportError:
            pass
    try:
        for method, ratio in configs:
            if bar is not None:
                bar.set_postfix_str(f"{method}" + (f" @ {ratio:g}" if ratio else ""))
            steps: list = [("scale", StandardScaler())]
            if COMPARE_METHODS[method] is not None:
                under = sampler_class(COMPARE_METHODS[method])._sampling_type != "over-sampling"
                strategy = ("auto" if ratio is None else ratio if binary
                            else RatioStrategy(ratio, shrink=under))
                sampler = make_sampler(COMPARE_METHODS[method], sampling_strategy=strategy,
                                       backend=backend, seed=seed)
                steps.append(("resample", TimedSampler(sampler)))
            weight = "balanced" if method == "balanced" else None
            steps.append(("clf", make_classifier(classifier, seed, class_weight=weight)))
            row: dict[str, Any] = {"method": method, "ratio": ratio}
            try:
                with limited_threads(threads):
                    cvres = cross_validate(Pipeline(steps), X, y, cv=cv, scoring=scoring,
                                           return_estimator=True, error_score="raise")
            except SAMPLER_ERRORS as exc:
                if COMPARE_METHODS[method] is None:
                    raise  # no sampler: a problem of the data or the classifier
                row.update({m: None for m in METRICS})
                row.update(resample_s=None, train_rows_after=None, fit_s=None, warnings=[],
                           error=cli_message(exc, COMPARE_FLAGS))
                rows.append(row)
                if bar is not None:
                    bar.update()
                continue
            for metric in METRICS:
                vals = np.asarray(cvres[f"test_{metric}"], dtype=float)
                row[metric] = {"mean": float(vals.mean()), "std": float(vals.std()),
                               "folds": vals.tolist()}
            resample = [est.named_steps["resample"] for est in cvres["estimator"]
                        if "resample" in est.named_steps]
            row["resample_s"] = float(np.mean([r.seconds_ for r in resample])) \
                if resample else None
            row["train_rows_after"] = float(np.mean([r.n_samples_out_ for r in resample])) \
                if resample else None
            row["fit_s"] = float(np.mean(cvres["fit_time"]))
            row["warnings"] = list(dict.fromkeys(w for r in resample for w in r.warnings_))
            row["error"] = None
            rows.append(row)
            if bar is not None:
                bar.update()
    finally:
        if bar is not None:
            bar.close()

    return {
        "folds": folds, "seed": seed, "backend": backend,
        "classifier": "StandardScaler + " + type(make_classifier(classifier, seed)).__name__,
        "model_threads": threads,
        "n_rows": int(len(y)), "n_features": int(X.shape[1]),
        "classes": {str(k): int(v) for k, v in zip(labels, counts)},
        "positive_class": None if positive is None else str(positive),
        "average": "binary" if binary else "macro",
        "ratios": [float(r) for r in ratios], "rows": rows, "notes": notes,
    }


def format_table(result: dict) -> str:
    """The comparison as a text table: mean ± std across folds, mean resampling time."""
    head = ["method", "ratio"] + [METRIC_LABELS[m] for m in METRICS] + ["resample s"]
    body, failed = [], {}
    last_error: dict[str, str] = {}
    for i, r in enumerate(result["rows"]):
        cells = [r["method"], "-" if r["ratio"] is None else f"{r['ratio']:g}"]
        if r.get("error"):
            # the reason once per method; its other ratios say "as above"
            same = last_error.get(r["method"]) == r["error"]
            failed[i] = "failed: " + ("as above" if same else r["error"])
            last_error[r["method"]] = r["error"]
            body.append(cells)
            continue
        cells += [f"{r[m]['mean']:.3f} ± {r[m]['std']:.3f}" for m in METRICS]
        cells.append("-" if r["resample_s"] is None else f"{r['resample_s']:.3f}")
        body.append(cells)
    full = [c for c in body if len(c) == len(head)]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *full)]
    fmt = ["<", "<"] + [">"] * (len(head) - 2)

    def line(cells):
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, fmt, widths))

    out = [line(head), "-" * len(line(head))]
    for i, cells in enumerate(body):
        out.append(line(cells) + ("  " + failed[i] if i in failed else ""))
    if result.get("average") == "macro":
        out.append("(multiclass: recall, precision, F1 and PR-AUC are macro averages)")
    else:
        out.append(f"(positive class: {result.get('positive_class')})")
    return "\n".join(out)


def to_frame(result: dict):
    """The rows as a flat pandas DataFrame (``<metric>_mean``, ``<metric>_std`` columns)."""
    import pandas as pd

    flat = []
    for r in result["rows"]:
        row = {"method": r["method"], "ratio": r["ratio"]}
        for m in METRICS:
            row[f"{m}_mean"] = None if r[m] is None else r[m]["mean"]
            row[f"{m}_std"] = None if r[m] is None else r[m]["std"]
        row["resample_s"] = r["resample_s"]
        row["fit_s"] = r["fit_s"]
        row["error"] = r.get("error")
        flat.append(row)
    return pd.DataFrame(flat)


def write_json(result: dict, path: str) -> None:
    """Write the result (settings, per-fold scores, notes) as indented JSON."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
