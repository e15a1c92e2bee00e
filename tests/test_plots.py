"""The demo and compare figures are real PNGs of plausible size."""

from __future__ import annotations

import pytest

mpimg = pytest.importorskip("matplotlib.image")

from gpusmote.cli import _compare, _demo, _plots  # noqa: E402
from gpusmote.cli._plots import compare_figure, plot_compare  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_png(path, min_kb=20, min_width=600):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_kb * 1024
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert w >= min_width and 0.3 < h / w < 1.0
    # not a blank canvas: several distinct colours
    assert len({tuple(px) for px in img[::7, ::7].reshape(-1, img.shape[2]).tolist()}) > 10


def test_demo_png(tmp_path):
    path = tmp_path / "demo.png"
    report = _demo.run_demo(6000, 0.02, classifier="logreg", plot=str(path))
    assert report["plot"] == str(path)
    check_png(path)


def test_compare_png(tmp_path):
    X, y = _compare.demo_data()
    result = _compare.run_compare(X[:4000], y[:4000], methods=["none", "smote", "balanced"],
                                  ratios=[0.25, 1.0], folds=2)
    path = tmp_path / "compare.png"
    plot_compare(result, str(path))
    check_png(path)


def _row(method, ratio, value, error=None):
    metrics = {m: None if error else {"mean": value, "std": 0.01, "folds": [value]}
               for m in ("recall", "precision", "f1", "mcc", "pr_auc")}
    return {"method": method, "ratio": ratio, "error": error, **metrics}


def _result(rows):
    return {"folds": 2, "classifier": "StandardScaler + LogisticRegression", "rows": rows}


def test_coinciding_methods_are_drawn_apart_and_named():
    rows = [_row("none", None, 0.5), _row("balanced", None, 0.5)]
    rows += [_row(m, r, 0.6 + r / 10) for m in ("smote", "smote-tomek") for r in (0.25, 1.0)]
    rows += [_row("random", r, 0.4) for r in (0.25, 1.0)]
    rows += [_row("adasyn", r, 0, error="ADASYN: no row ...") for r in (0.25, 1.0)]
    result = _result(rows)
    assert _plots.coinciding(result, ("recall", "pr_auc")) == {"balanced": "none",
                                                               "smote-tomek": "smote"}
    fig = compare_figure(result)
    try:
        ax = fig.axes[0]
        lines = {line.get_label(): line for line in ax.get_lines()}
        smote, tomek = lines["smote"], lines["smote-tomek (= smote)"]
        # same numbers, visibly apart: shifted right, hollow markers, dashed
        assert list(smote.get_ydata()) == list(tomek.get_ydata())
        assert all(t > s for s, t in zip(smote.get_xdata(), tomek.get_xdata()))
        assert tomek.get_markerfacecolor() == "none" and tomek.get_linestyle() != "-"
        assert smote.get_marker() != tomek.get_marker()
        assert list(lines["random"].get_xdata()) == [0.25, 1.0]  # alone: not moved
        none, balanced = lines["none"], lines["balanced (= none)"]
        assert none.get_linestyle() != balanced.get_linestyle()
        legend = [t.get_text() for lg in fig.legends + [a.get_legend() for a in fig.axes
                                                       if a.get_legend()] for t in lg.texts]
        assert "smote-tomek (= smote)" in legend
        assert "adasyn: failed (see the table)" in legend
    finally:
        _plots._pyplot().close(fig)


def test_no_false_coincidence():
    rows = [_row("smote", r, 0.6) for r in (0.25, 1.0)]
    rows += [_row("smote-tomek", 0.25, 0.6), _row("smote-tomek", 1.0, 0.61)]
    assert _plots.coinciding(_result(rows), ("recall",)) == {}
