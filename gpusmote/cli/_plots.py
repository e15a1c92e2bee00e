"""PNG figures for ``gpusmote demo`` and ``gpusmote compare`` (matplotlib, Agg).

The Agg backend is chosen before pyplot loads so that the figures render on
headless servers and in CI without a display.
"""

from __future__ import annotations

import numpy as np

from ._registry import METRIC_LABELS

MAJORITY_COLOR = "#8c8c8c"
MINORITY_COLOR = "#d62728"
SYNTHETIC_COLOR = "#ff9f1c"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def matplotlib_ticker():
    """``matplotlib.ticker``, imported on use like the rest of matplotlib."""
    import matplotlib.ticker

    return matplotlib.ticker


def plot_demo(X: np.ndarray, y: np.ndarray, X_res: np.ndarray, y_res: np.ndarray,
              path: str, *, seed: int = 0, max_points: int = 3000,
              title: str | None = None) -> str:
    """Class counts before/after and a 2-D view of majority, minority and synthetic rows.

    Parameters
    ----------
    X, y : ndarray
        The training data before resampling (binary or multiclass).
    X_res, y_res : ndarray
        The resampler's output: the original rows first, then the new rows.
    path : str
        Where to write the PNG.
    seed : int, default=0
        Seed of the subsamples drawn for the scatter plot.
    max_points : int, default=3000
        At most this many points per group in the scatter plot; the principal
        components are fit on such a subsample of the originals, not on all rows.
    title : str, optional
        Figure title.

    Returns
    -------
    path : str
        The path written.
    """
    from sklearn.decomposition import PCA

    plt = _pyplot()
    rng = np.random.default_rng(seed)
    X, y = np.asarray(X), np.asarray(y)
    X_res, y_res = np.asarray(X_res), np.asarray(y_res)
    labels, counts = np.unique(y, return_counts=True)
    minority = labels[np.argmin(counts)]
    after = {lab: int((y_res == lab).sum()) for lab in labels}

    # Synthetic rows follow the originals (cleaners may drop originals first,
    # in which case fewer rows than len(y) lead and the tail is synthetic).
    n_kept = min(len(y), len(y_res))
    is_new = np.zeros(len(y_res), dtype=bool)
    if len(y_res) > len(y):
        is_new[len(y):] = True
    X_orig, y_orig = X_res[:n_kept][~is_new[:n_kept]], y_res[:n_kept][~is_new[:n_kept]]

    def pick(mask, n):
        idx = np.flatnonzero(mask)
        return idx if idx.size <= n else rng.choice(idx, n, replace=False)

    fit_rows = pick(np.ones(len(y), dtype=bool), max_points * 2)
    pca = PCA(n_components=2, random_state=seed).fit(X[fit_rows].astype(np.float64))

    fig, (ax_bar, ax_pca) = plt.subplots(1, 2, figsize=(12, 5),
                                         gridspec_kw={"width_ratios": [1, 1.4]})
    x = np.arange(len(labels))
    w = 0.38
    before_vals = [int(c) for c in counts]
    after_vals = [after[lab] for lab in labels]
    b1 = ax_bar.bar(x - w / 2, before_vals, w, label="before", color="#4c72b0")
    b2 = ax_bar.bar(x + w / 2, after_vals, w, label="after", color=SYNTHETIC_COLOR)
    for bars in (b1, b2):
        for bar in bars:
            ax_bar.annotate(f"{int(bar.get_height()):,}",
                            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=9, xytext=(0, 2),
                            textcoords="offset points")
    ax_bar.set_xticks(x, [f"class {lab}" for lab in labels])
    ax_bar.set_ylabel("training rows")
    ax_bar.set_title("class counts before / after resampling")
    ax_bar.set_ylim(0, max(before_vals + after_vals) * 1.22)
    ax_bar.legend(frameon=False, loc="upper center", ncol=2)
    ax_bar.yaxis.set_major_formatter(
        matplotlib_ticker().FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax_bar.spines[["top", "right"]].set_visible(False)

    # Synthetic points go on top, and fewer of them, so that both they and
    # the originals they were drawn between stay visible.
    groups = [
        ("majority", (y_orig != minority), X_orig, MAJORITY_COLOR, "o", 6, 0.25, max_points),
        ("minority (original)", (y_orig == minority), X_orig, MINORITY_COLOR, "o", 12, 0.8,
         max_points),
        ("synthetic", (y_res[is_new] == minority), X_res[is_new], SYNTHETIC_COLOR, "x", 10,
         0.7, max_points // 2),
    ]
    for name, mask, data, color, marker, size, alpha, limit in groups:
        rows = pick(mask, limit)
        if rows.size == 0:
            continue
        Z = pca.transform(data[rows].astype(np.float64))
        ax_pca.scatter(Z[:, 0], Z[:, 1], s=size, c=color, marker=marker, alpha=alpha,
                       linewidths=0.8 if marker == "x" else 0,
                       label=f"{name} ({int(mask.sum()):,}"
                             + (f", {rows.size:,} shown)" if rows.size < mask.sum() else ")"))
    ax_pca.set_xlabel("principal component 1")
    ax_pca.set_ylabel("principal component 2")
    ax_pca.set_title("2-D view (PCA fit on a subsample of the training rows)")
    ax_pca.legend(loc="best", fontsize=8, markerscale=1.5, frameon=True)
    ax_pca.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# Markers by method, so that lines of different methods stay apart even where
# they cross; coinciding methods also get hollow markers over filled ones.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
# Coinciding curves are moved apart by this factor on the log ratio axis
# (about 4 %: visibly apart, still clearly at their ratio).
COINCIDENT_SHIFT = 1.04
# Line styles of methods without a ratio (dashed), one more per coinciding line.
REFERENCE_STYLES = ("--", ":", "-.", (0, (6, 2, 1, 2)))


def _same(a: list, b: list, tol: float = 1e-12) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


def coinciding(result: dict, metrics: tuple) -> dict:
    """Methods whose every plotted number equals an earlier method's.

    Returns
    -------
    same_as : dict
        method -> the first earlier method with the same ratios and the same
        mean in every metric (methods that coincide with nothing are absent).
    """
    series = {}
    for method in dict.fromkeys(r["method"] for r in result["rows"]):
        mine = sorted((r for r in result["rows"] if r["method"] == method and not r.get("error")),
                      key=lambda r: -1.0 if r["ratio"] is None else r["ratio"])
        if mine:
            series[method] = ([r["ratio"] for r in mine],
                              [r[m]["mean"] for m in metrics for r in mine])
    same_as = {}
    names = list(series)
    for i, method in enumerate(names):
        for earlier in names[:i]:
            if earlier in same_as:
                continue
            if series[earlier][0] == series[method][0] and \
                    _same(series[earlier][1], series[method][1]):
                same_as[method] = earlier
                break
    return same_as


def compare_figure(result: dict, *,
                   metrics: tuple = ("recall", "precision", "f1", "mcc", "pr_auc")):
    """The figure of ``plot_compare`` (a matplotlib Figure, not yet saved).

    Methods whose numbers coincide in a panel would hide each other (SMOTE
    under SMOTE-Tomek when Tomek links remove nothing): there, each further
    coinciding curve is shifted right by 4 % on the ratio axis and drawn dashed with
    hollow markers, and coinciding reference lines get their own dash
    pattern. A method equal to an earlier one in every panel says so in the
    legend ("smote-tomek (= smote)"). Methods that failed on the data are
    listed in the legend as failed.
    """
    plt = _pyplot()
    rows = [r for r in result["rows"] if not r.get("error")]
    failed = [m for m in dict.fromkeys(r["method"] for r in result["rows"])
              if all(r.get("error") for r in result["rows"] if r["method"] == m)]
    n = len(metrics)
    ncols = 3 if n > 4 else n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows),
                             squeeze=False)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cmap = plt.get_cmap("tab10")
    colors = {m: cmap(i % 10) for i, m in enumerate(methods)}
    markers = {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(methods)}
    same_as = coinciding(result, metrics)
    labels = {m: f"{m} (= {same_as[m]})" if m in same_as else m for m in methods}
    ratios = sorted({r["ratio"] for r in rows if r["ratio"] is not None})
    # With many methods the ± std bands overlap into a smear; draw them only
    # for a few (the JSON/CSV output keeps every std).
    bands = sum(1 for m in methods if any(r["method"] == m and r["ratio"] is not None
                                          for r in rows)) <= 3
    for ax, metric in zip(axes.flat, metrics):
        drawn: list[tuple[list, list]] = []  # (xs, means) already in this panel
        for method in methods:
            mine = [r for r in rows if r["method"] == method]
            mine.sort(key=lambda r: -1.0 if r["ratio"] is None else r["ratio"])
            xs = [r["ratio"] for r in mine]
            mean = [r[metric]["mean"] for r in mine]
            # how many curves with exactly these numbers are already drawn here
            k = sum(1 for dx, dm in drawn if dx == xs and _same(dm, mean))
            drawn.append((xs, mean))
            if xs[0] is None:
                ax.axhline(mean[0], color=colors[method], lw=1.4, label=labels[method],
                           ls=REFERENCE_STYLES[k % len(REFERENCE_STYLES)])
                continue
            x = np.array(xs, dtype=float) * COINCIDENT_SHIFT ** k
            std = np.array([r[metric]["std"] for r in mine])
            ax.plot(x, mean, marker=markers[method], ms=5 if k == 0 else 7,
                    mfc=colors[method] if k == 0 else "none", color=colors[method],
                    ls="-" if k == 0 else REFERENCE_STYLES[(k - 1) % len(REFERENCE_STYLES)],
                    label=labels[method])
            if bands:
                ax.fill_between(x, np.array(mean) - std, np.array(mean) + std,
                                color=colors[method], alpha=0.12, lw=0)
        ax.set_title(METRIC_LABELS.get(metric, metric))
        ax.set_xlabel("minority/majority ratio after resampling")
        if ratios:
            ax.set_xscale("log")
            ax.set_xticks(ratios, [f"{r:g}" for r in ratios])
            ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    for method in failed:
        handles.append(plt.Line2D([], [], color="none"))
        names.append(f"{method}: failed (see the table)")
    if n < axes.size:
        # the spare panel holds the legend
        list(axes.flat)[n].legend(handles, names, loc="center", frameon=False, fontsize=10)
    else:
        fig.legend(handles, names, loc="lower center", ncol=min(len(names), 5),
                   frameon=False)
    fig.suptitle(f"{result['folds']}-fold stratified CV, resampling inside the training "
                 f"folds ({result['classifier']})" + ("; bands: ± 1 std" if bands else
                                                       "; mean across folds"))
    fig.tight_layout()
    return fig


def plot_compare(result: dict, path: str, *,
                 metrics: tuple = ("recall", "precision", "f1", "mcc", "pr_auc")) -> str:
    """One panel per metric: cross-validated mean (± std band) against the ratio.

    Methods without a ratio (no resampling, class weights) are drawn as
    horizontal dashed lines so every panel shows what resampling must beat;
    methods with identical numbers are drawn apart (see ``compare_figure``).

    Parameters
    ----------
    result : dict
        What ``gpusmote.cli._compare.run_compare`` returns.
    path : str
        Where to write the PNG.
    metrics : tuple of str
        Which metrics to draw, in order.

    Returns
    -------
    path : str
        The path written.
    """
    plt = _pyplot()
    fig = compare_figure(result, metrics=metrics)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
