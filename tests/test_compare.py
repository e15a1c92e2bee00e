"""Cross-validated comparison: resampling inside the folds, tables and files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_classification

from gpusmote.cli import _compare


@pytest.fixture(scope="module")
def small_result():
    X, y = _compare.demo_data(seed=0)
    return _compare.run_compare(X, y, methods=["none", "smote", "balanced"],
                                ratios=[0.2, 1.0], folds=3)


def test_rows_and_fold_scores(small_result):
    rows = small_result["rows"]
    assert [(r["method"], r["ratio"]) for r in rows] == [
        ("none", None), ("smote", 0.2), ("smote", 1.0), ("balanced", None)]
    for r in rows:
        assert len(r["pr_auc"]["folds"]) == 3
        assert r["pr_auc"]["mean"] == pytest.approx(np.mean(r["pr_auc"]["folds"]))
    smote = rows[1]
    assert smote["resample_s"] > 0
    # inside a training fold (2/3 of the rows) the minority is lifted to 0.2 x majority
    n_major = small_result["classes"]["0"] * 2 / 3
    assert smote["train_rows_after"] == pytest.approx(n_major * 1.2, rel=0.01)
    assert rows[0]["resample_s"] is None


def test_table_json_csv(small_result, tmp_path):
    text = _compare.format_table(small_result)
    assert "±" in text and "PR-AUC" in text and "balanced" in text
    _compare.write_json(small_result, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["folds"] == 3
    frame = _compare.to_frame(small_result)
    assert len(frame) == 4 and "mcc_std" in frame.columns


def test_ratio_below_the_data_is_skipped_with_a_note():
    X, y = make_classification(600, weights=[0.7], random_state=0)
    result = _compare.run_compare(X, y, methods=["smote"], ratios=[0.2, 1.0], folds=2)
    assert [r["ratio"] for r in result["rows"]] == [1.0]
    assert any("ratio 0.2 skipped" in n for n in result["notes"])


def test_multiclass_uses_macro_averages_and_ratio_strategy():
    X, y = make_classification(900, n_classes=3, n_informative=4, weights=[0.8, 0.15],
                               random_state=0)
    result = _compare.run_compare(X, y, methods=["smote"], ratios=[0.5], folds=2)
    assert result["average"] == "macro"
    counts = np.bincount(y)
    strategy = _compare.RatioStrategy(0.5)(y)
    assert strategy == {0: counts[0], 1: max(counts[1], counts[0] // 2),
                        2: max(counts[2], counts[0] // 2)}
    assert "macro" in _compare.format_table(result)


def test_under_samplers_shrink_the_larger_classes():
    X, y = make_classification(900, n_classes=3, n_informative=4, weights=[0.8, 0.15],
                               random_state=0)
    counts = np.bincount(y)
    strategy = _compare.RatioStrategy(0.5, shrink=True)(y)
    target = counts.min() * 2
    assert strategy == {c: min(int(counts[c]), target) for c in range(3)}
    result = _compare.run_compare(X, y, methods=["random-under", "nearmiss-1"], ratios=[0.5],
                                  folds=2)
    assert [(r["method"], r["ratio"]) for r in result["rows"]] == [("random-under", 0.5),
                                                                   ("nearmiss-1", 0.5)]
    assert all(r.get("error") is None for r in result["rows"])


def test_bad_input_messages():
    X, y = make_classification(100, random_state=0)
    with pytest.raises(ValueError, match="unknown compare method 'magic'"):
        _compare.run_compare(X, y, methods=["magic"])
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _compare.run_compare(X, y, methods=["none"])
    with pytest.raises(ValueError, match=r"one class \(0\.0\)"):
        _compare.run_compare(X[:, 1:], np.zeros(100), methods=["none"])
    y_small = np.r_[np.zeros(97, int), np.ones(3, int)]
    with pytest.raises(ValueError, match=r"smallest class \(1\) has 3 rows, fewer than "
                                         r"--folds 5; use fewer folds"):
        _compare.run_compare(X[:, 1:], y_small, methods=["none"])


def _apart(n=600, seed=0):
    """Two classes far apart: no minority row has a majority neighbour (ADASYN fails)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (np.arange(n) % 10 == 0).astype(int)
    X[y == 1] += 50
    return X, y


def test_a_method_that_fails_is_reported_in_its_row():
    X, y = _apart()
    result = _compare.run_compare(X, y, methods=["smote", "adasyn", "balanced"],
                                  ratios=[0.5, 1.0], folds=2)
    rows = {(r["method"], r["ratio"]): r for r in result["rows"]}
    assert len(rows) == 5
    for ratio in (0.5, 1.0):
        failed = rows[("adasyn", ratio)]
        assert failed["error"].startswith("ADASYN: no row of class 1 has a neighbour")
        assert "\n" not in failed["error"] and failed["pr_auc"] is None
        assert rows[("smote", ratio)]["error"] is None
        assert rows[("smote", ratio)]["pr_auc"]["mean"] == pytest.approx(1.0)
    text = _compare.format_table(result)
    assert "failed: ADASYN: no row of class 1" in text and "failed: as above" in text
    frame = _compare.to_frame(result)
    assert frame["error"].notna().tolist() == [False, False, True, True, False]
    assert json.loads(json.dumps(result))["rows"][2]["error"]  # JSON-clean


def test_sampler_warnings_are_kept_per_row(monkeypatch):
    import warnings

    import gpusmote

    class Warns(gpusmote.SMOTE):
        def fit_resample(self, X, y, **params):
            warnings.warn("nothing in danger", UserWarning)
            return super().fit_resample(X, y, **params)

    monkeypatch.setattr(gpusmote, "SMOTE", Warns)
    X, y = make_classification(400, weights=[0.9], random_state=0)
    result = _compare.run_compare(X, y, methods=["none", "smote"], ratios=[1.0], folds=2)
    assert [r["warnings"] for r in result["rows"]] == [[], ["nothing in danger"]]
