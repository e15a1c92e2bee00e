"""The demo and compare figures are real PNGs of plausible size."""

from __future__ import annotations

import pytest

mpimg = pytest.importorskip("matplotlib.image")

from gpusmote.cli import _compare, _demo  # noqa: E402
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
