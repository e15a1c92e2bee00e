"""``gpusmote demo``: the whole job on a fraud-style data set made on the spot.

Split first (stratified), then resample only the training split inside an
``imblearn.pipeline.Pipeline``, and score both models on the untouched test
split. Resampling before the split would leak synthetic copies of test
neighbours into training and flatter the scores.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._models import limited_threads, model_threads
from ._models import make_classifier as _base_classifier
from ._registry import METRIC_LABELS, METRICS, make_sampler


def make_fraud_data(n_rows: int = 500_000, positive_rate: float = 0.004, *,
                    n_features: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fraud-style binary data set: numeric float32 features, rare positives.

    Parameters
    ----------
    n_rows : int, default=500_000
        Number of rows.
    positive_rate : float, default=0.004
        Share of rows in class 1, in (0, 0.5).
    n_features : int, default=20
        Number of numeric features (8 informative, 4 redundant, the rest noise).
    seed : int, default=0
        Seed of the generator; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), float32
    y : ndarray of shape (n_rows,), int64 with 1 for the positives

    Examples
    --------
    >>> X, y = make_fraud_data(10_000, 0.01, seed=0)
    >>> X.shape, X.dtype.name, int(y.sum())
    ((10000, 20), 'float32', 100)
    """
    from sklearn.datasets import make_classification

    if not 0 < positive_rate < 0.5:
        raise ValueError(f"positive_rate must be in (0, 0.5), got {positive_rate}.")
    n_pos = int(round(n_rows * positive_rate))
    if n_pos < 12:
        raise ValueError(f"{n_rows} rows at positive_rate={positive_rate} give only {n_pos} "
                         "positives; use more rows or a larger rate (at least 12 positives "
                         "so that both splits keep enough for the samplers' 5 neighbours).")
    # make_classification rounds class sizes from weights; draw exactly n_pos
    # positives by asking for the exact split and no label noise.
    X, y = make_classification(n_samples=n_rows, n_features=n_features, n_informative=8,
                               n_redundant=4, n_clusters_per_class=2,
                               weights=[1 - n_pos / n_rows], flip_y=0.0, class_sep=0.9,
                               random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def _categorical_columns(sampler_name: str, n_features: int) -> list[int]:
    """Which demo columns become categories: the last four for SMOTENC, all for SMOTEN."""
    if sampler_name == "SMOTENC":
        return list(range(n_features - 4, n_features))
    if sampler_name == "SMOTEN":
        return list(range(n_features))
    return []


def bin_columns(X: np.ndarray, columns: list[int], n_bins: int = 6) -> np.ndarray:
    """Replace ``columns`` of X by their quantile-bin codes 0..n_bins-1 (as floats).

    The categorical samplers need categories; continuous columns would make
    every value its own category.

    Examples
    --------
    >>> X = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> bin_columns(X, [1], n_bins=3)[:, 1].tolist()
    [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    """
    X = X.copy()
    for j in columns:
        edges = np.quantile(X[:, j], np.linspace(0, 1, n_bins + 1)[1:-1])
        X[:, j] = np.searchsorted(edges, X[:, j], side="right")
    return X


def make_classifier(name: str, seed: int = 0):
    """The demo's classifiers: fast on a 2-core CPU at several hundred thousand rows.

    ``"logreg"`` standardises the features first (a Pipeline); ``"hgb"`` needs no scaling.
    """
    clf = _base_classifier(name, seed)
    if name == "logreg":
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), clf)
    return clf


def score(y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray) -> dict:
    """Recall, precision, F1 and MCC of hard predictions; PR-AUC of scores (class 1)."""
    from sklearn.metrics import (average_precision_score, f1_score, matthews_corrcoef,
                                 precision_score, recall_score)

    return {
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "mcc": float(matthews_corrcoef(y_true, y_pred)),
        "pr_auc": float(average_precision_score(y_true, y_score)),
    }


def _timed_resample(sampler, X, y, repeat: int = 2):
    """Best wall time of ``repeat`` fits (the first may pay for imports or CUDA set-up)."""
    from sklearn.base import clone

    best, out, fitted = float("inf"), None, None
    for _ in range(repeat):
        s = clone(sampler)
        start = time.perf_counter()
        out = s.fit_resample(X, y)
        best = min(best, time.perf_counter() - start)
        fitted = s
    return best, out, fitted


def _imblearn_twin(sampler):
    """The same sampler from imbalanced-learn, for a reference time, or None."""
    import imblearn.combine
    import imblearn.over_sampling
    import imblearn.under_sampling

    name = type(sampler).__name__
    for module in (imblearn.over_sampling, imblearn.under_sampling, imblearn.combine):
        cls = getattr(module, name, None)
        if cls is None:
            continue
        accepted = set(cls._get_param_names())
        params = sampler.get_params(deep=False)
        if any(hasattr(v, "fit_resample") for v in params.values()):
            return None  # an inner gpusmote sampler: no like-for-like reference
        return cls(**{k: v for k, v in params.items() if k in accepted})
    return None


def run_demo(n_rows: int = 500_000, positive_rate: float = 0.004, *, method: str = "smote",
             sampling_strategy: Any = "auto", backend: str = "auto", seed: int = 0,
             classifier: str = "hgb", test_size: float = 0.3, plot: str | None = None,
             log: Callable[[str], None] | None = None, threads: Any = "auto") -> dict:
    """Run the demo and return its report.

    Parameters
    ----------
    n_rows, positive_rate : int, float
        Size and positive share of the generated data (see ``make_fraud_data``).
    method : str, default="smote"
        A method name of the command line (``gpusmote.cli.METHODS``).
    sampling_strategy : str, float or dict, default="auto"
        Passed to the sampler.
    backend : {"auto", "numpy", "cupy"}, default="auto"
        Backend of the sampler inside the Pipeline.
    seed : int, default=0
        Seed for the data, the split, the sampler and the classifier.
    classifier : {"hgb", "logreg"}, default="hgb"
        HistGradientBoostingClassifier or scaled LogisticRegression.
    test_size : float, default=0.3
        Share of rows held out (stratified) for scoring.
    plot : str or None
        Path of a PNG with class counts before/after and a 2-D view.
    log : callable or None
        Receives progress messages (the CLI sends them to stderr).
    threads : int, "auto" or None, default="auto"
        OpenMP threads for the classifier fits: ``"auto"`` is
        ``gpusmote.cli._models.model_threads()`` (at most 4, one core left
        free, ``OMP_NUM_THREADS`` respected), None sets no limit.

    Returns
    -------
    report : dict
        Data sizes, the metrics of both models, fit times, resampling times per
        backend and the total wall time; ``format_report`` prints it.
    """
    from imblearn.pipeline import Pipeline
    from sklearn.base import clone
    from sklearn.model_selection import train_test_split

    from ..backends import cupy_unavailable_reason

    say = log or (lambda message: None)
    t_start = time.perf_counter()
    say(f"making {n_rows:,} rows with {positive_rate:.2%} positives ...")
    X, y = make_fraud_data(n_rows, positive_rate, seed=seed)
    sampler = make_sampler(method, sampling_strategy=sampling_strategy, backend=backend,
                           seed=seed)
    categorical = _categorical_columns(type(sampler).__name__, X.shape[1])
    if categorical:
        say(f"binning {len(categorical)} column(s) into categories for "
            f"{type(sampler).__name__} ...")
        X = bin_columns(X, categorical)
        if "categorical_features" in sampler.get_params():
            sampler.set_params(categorical_features=categorical)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed)

    clf = make_classifier(classifier, seed)
    models = {
        "no resampling": clone(clf),
        f"{type(sampler).__name__} in Pipeline": Pipeline([("resample", sampler),
                                                           ("clf", clone(clf))]),
    }
    rows = {}
    threads = model_threads() if threads == "auto" else threads
    for name, model in models.items():
        say(f"fitting {name} on {len(y_train):,} training rows ...")
        with limited_threads(threads):
            start = time.perf_counter()
            model.fit(X_train, y_train)
            fit_s = time.perf_counter() - start
            proba = model.predict_proba(X_test)[:, 1]
        rows[name] = {**score(y_test, (proba >= 0.5).astype(y_test.dtype), proba),
                      "fit_s": fit_s}

    # Resampling time per backend on the same training split, outside the
    # Pipeline so that only the sampler is timed.
    timings = []
    candidates = ["numpy", "cupy"]
    fitted = X_res = y_res = None
    for name in candidates:
        reason = cupy_unavailable_reason() if name == "cupy" else None
        if reason is not None:
            timings.append({"backend": name, "seconds": None, "note": reason})
            continue
        say(f"timing {type(sampler).__name__} on {name} ...")
        one = clone(sampler).set_params(backend=name)
        seconds, (Xr, yr), s = _timed_resample(one, X_train, y_train)
        timings.append({"backend": name, "seconds": seconds, "n_out": int(len(yr))})
        if fitted is None or name == backend:
            fitted, X_res, y_res = s, Xr, yr
    twin = _imblearn_twin(sampler)
    if twin is not None:
        say("timing imbalanced-learn for reference ...")
        seconds, _, _ = _timed_resample(twin, X_train, y_train)
        timings.append({"backend": "imbalanced-learn", "seconds": seconds,
                        "note": "CPU reference"})

    X_res = X_res.get() if hasattr(X_res, "get") and not isinstance(X_res, np.ndarray) \
        else np.asarray(X_res)
    y_res = np.asarray(y_res.get() if hasattr(y_res, "get") and not isinstance(
        y_res, np.ndarray) else y_res)
    report = {
        "n_rows": n_rows, "n_features": X.shape[1], "positive_rate": positive_rate,
        "n_positive": int(y.sum()), "seed": seed,
        "n_train": len(y_train), "n_train_positive": int(y_train.sum()),
        "n_test": len(y_test), "n_test_positive": int(y_test.sum()),
        "sampler": repr(sampler), "sampler_name": type(sampler).__name__,
        "backend": getattr(fitted, "backend_", backend),
        "n_resampled": int(len(y_res)),
        "counts_before": _counts(y_train), "counts_after": _counts(y_res),
        "classifier": _describe(clf), "model_threads": threads, "metrics": rows,
        "timings": timings,
    }
    if plot:
        say(f"drawing {plot} ...")
        from ._plots import plot_demo

        plot_demo(X_train, y_train, X_res, y_res, plot, seed=seed,
                  title=f"{type(sampler).__name__} on {len(y_train):,} training rows")
        report["plot"] = plot
    report["total_s"] = time.perf_counter() - t_start
    return report


def _counts(y) -> dict:
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return {int(k): int(v) for k, v in zip(labels, counts)}


def _describe(clf) -> str:
    steps = getattr(clf, "steps", None)
    if steps:
        return " + ".join(type(step).__name__ for _, step in steps)
    return type(clf).__name__


def _threads_text(threads) -> str:
    if threads is None:
        return "threads as OMP_NUM_THREADS or the machine sets them"
    return f"{threads} thread{'s' if threads != 1 else ''}"


def format_report(report: dict) -> str:
    """The demo report as text: sizes, the metrics table and the timings."""
    r = report
    lines = [
        f"data: {r['n_rows']:,} rows x {r['n_features']} features, {r['n_positive']:,} "
        f"positives ({r['n_positive'] / r['n_rows']:.2%}), seed {r['seed']}",
        f"split first (stratified): train {r['n_train']:,} ({r['n_train_positive']:,} "
        f"positives), test {r['n_test']:,} ({r['n_test_positive']:,} positives, untouched)",
        f"classifier: {r['classifier']} ({_threads_text(r.get('model_threads'))}); "
        "resampling runs inside the Pipeline, on the training split only",
        f"resampler: {r['sampler']} on {r['backend']}",
        f"training class counts: {r['counts_before']} -> {r['counts_after']} "
        f"({r['n_train']:,} -> {r['n_resampled']:,} rows)",
        "",
        "test-set metrics (threshold 0.5; PR-AUC = average precision)",
    ]
    names = list(r["metrics"])
    width = max(len(n) for n in names)
    header = f"{'model':<{width}}  " + "  ".join(f"{METRIC_LABELS[m]:>9}" for m in METRICS) \
        + f"  {'fit s':>7}"
    lines += [header, "-" * len(header)]
    for name in names:
        m = r["metrics"][name]
        lines.append(f"{name:<{width}}  " + "  ".join(f"{m[k]:>9.3f}" for k in METRICS)
                     + f"  {m['fit_s']:>7.2f}")
    lines.append("(recall/precision/F1/MCC depend on the 0.5 threshold, which resampling "
                 "shifts; PR-AUC does not. Try --sampling-strategy 0.1, or `gpusmote "
                 "compare` for ratios under cross-validation.)")
    lines += ["", f"resampling time on the training split ({r['sampler_name']}, best of 2):"]
    for t in r["timings"]:
        if t["seconds"] is None:
            lines.append(f"  {t['backend']:<17} not available: {t['note']}")
        else:
            extra = f"  ({t['note']})" if t.get("note") else \
                f"  ({t['n_out']:,} rows out)"
            lines.append(f"  {t['backend']:<17} {t['seconds']:8.3f} s{extra}")
    if r.get("plot"):
        lines.append(f"\nplot: {r['plot']}")
    lines.append(f"total demo time: {r['total_s']:.1f} s")
    return "\n".join(lines)
