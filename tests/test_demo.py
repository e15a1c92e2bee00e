"""The demo's pieces: data, split-first report, metrics, timings per backend."""

from __future__ import annotations

import numpy as np
import pytest

from gpusmote.cli import _demo


def test_make_fraud_data_is_reproducible_and_rare():
    X1, y1 = _demo.make_fraud_data(5000, 0.01, seed=4)
    X2, y2 = _demo.make_fraud_data(5000, 0.01, seed=4)
    assert X1.dtype == np.float32 and X1.shape == (5000, 20)
    assert int(y1.sum()) == 50
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("rows, rate, match", [(100, 0.01, "only 1 positives"),
                                               (1000, 0.7, "positive_rate must be in")])
def test_make_fraud_data_rejects_bad_sizes(rows, rate, match):
    with pytest.raises(ValueError, match=match):
        _demo.make_fraud_data(rows, rate)


def test_score_matches_sklearn_on_a_toy_case():
    y = np.array([0, 0, 1, 1])
    got = _demo.score(y, np.array([0, 1, 1, 0]), np.array([0.1, 0.6, 0.9, 0.4]))
    assert got["recall"] == 0.5 and got["precision"] == 0.5 and got["f1"] == 0.5
    assert got["mcc"] == 0.0
    assert 0 < got["pr_auc"] <= 1


def test_run_demo_small_report():
    report = _demo.run_demo(8000, 0.02, classifier="logreg", seed=1)
    assert report["n_train"] == 5600 and report["n_test"] == 2400
    assert report["n_train_positive"] == 112 and report["n_test_positive"] == 48
    # resampling touched the training split only: test counts are the originals
    assert report["counts_before"] == {0: 5488, 1: 112}
    assert report["counts_after"] == {0: 5488, 1: 5488}
    assert set(report["metrics"]) == {"no resampling", "SMOTE in Pipeline"}
    for row in report["metrics"].values():
        assert set(_demo.METRICS) <= set(row)
        assert all(0 <= row[m] <= 1 for m in ("recall", "precision", "f1", "pr_auc"))
    backends = [t["backend"] for t in report["timings"]]
    assert backends[:2] == ["numpy", "cupy"]
    numpy_line = report["timings"][0]
    assert numpy_line["seconds"] > 0 and numpy_line["n_out"] == 10976
    text = _demo.format_report(report)
    assert "PR-AUC" in text and "numpy" in text and "total demo time" in text


def test_run_demo_float_strategy():
    report = _demo.run_demo(6000, 0.02, classifier="logreg", sampling_strategy=0.1)
    assert report["counts_after"][1] == int(report["counts_before"][0] * 0.1)


@pytest.mark.parametrize("method", ["smotenc", "smoten", "adasyn", "smote-enn", "tomek"])
def test_demo_accepts_every_family_method(method):
    from gpusmote.cli._demo import run_demo

    report = run_demo(4000, 0.03, method=method, classifier="logreg", seed=1)
    assert report["metrics"] and report["n_resampled"] > 0
    assert report["timings"][0]["backend"] == "numpy"
    assert report["timings"][0]["seconds"] is not None


# -- the model fits' threads (issue 13 item 13) -----------------------------------
@pytest.mark.parametrize("cores, env, expected", [
    (1, {}, 1), (2, {}, 1), (3, {}, 2), (8, {}, 4), (64, {}, 4),
    (8, {"OMP_NUM_THREADS": "6"}, None),  # the user's setting is respected
])
def test_model_threads(cores, env, expected):
    from gpusmote.cli._models import model_threads

    assert model_threads(cores, environ=env) == expected


def test_demo_fits_run_under_the_thread_cap(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from sklearn.linear_model import LogisticRegression

    seen = []

    class Recording(LogisticRegression):
        def fit(self, X, y, **kw):
            seen.append([i["num_threads"] for i in threadpoolctl.threadpool_info()
                         if i["user_api"] == "openmp"])
            return super().fit(X, y, **kw)

    if not any(i["user_api"] == "openmp" for i in threadpoolctl.threadpool_info()):
        pytest.skip("no OpenMP runtime loaded")
    outside = [i["num_threads"] for i in threadpoolctl.threadpool_info()
               if i["user_api"] == "openmp"]
    monkeypatch.setattr(_demo, "_base_classifier", lambda name, seed: Recording())
    report = _demo.run_demo(3000, 0.03, classifier="logreg", threads=1)
    assert report["model_threads"] == 1
    assert len(seen) == 2 and all(n == [1] * len(outside) for n in seen)
    assert "(1 thread)" in _demo.format_report(report)
    # and the limit ends with the fits
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "openmp"] == outside


# -- `make demo` installs the demo extra, not the test extra (item 12) ------------
def test_make_demo_installs_only_the_demo_extra():
    import re
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    repo = Path(__file__).resolve().parents[1]
    extras = tomllib.loads((repo / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {re.split(r"[<>=!~ \[]", dep)[0] for dep in extras["demo"]}
    assert names == {"pandas", "matplotlib"}
    makefile = (repo / "Makefile").read_text()
    demo_stamp = re.search(r"^demo: (\S+)", makefile, re.M).group(1)
    recipe = re.search(rf"^{re.escape(demo_stamp)}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert '-e ".[demo]"' in recipe and "test" not in recipe
