"""The benchmark harness writes honest JSON: machine, versions, raw runs, ratios."""

import json

import numpy as np
import pytest

from gpusmote import bench


def test_make_data_has_the_workload_shape_and_exact_shares():
    X, y = bench.make_data(bench.WORKLOADS["W4"], scale=0.01)
    assert X.shape == (10_000, 32) and X.dtype == np.float32
    np.testing.assert_array_equal(np.bincount(y), [9000, 500, 300, 150, 50])
    X2, y2 = bench.make_data(bench.WORKLOADS["W4"], scale=0.01)
    np.testing.assert_array_equal(X, X2)  # fixed seed


def test_quick_run_writes_json_with_context(tmp_path):
    results, path = bench.run(["W1"], ["numpy"], repeat=2, profile="quick",
                              out_dir=str(tmp_path), dtypes=("float32", "float64"),
                              min_seconds=0, idle_gap=0)
    saved = json.loads(open(path).read())
    assert saved["machine"]["versions"]["imbalanced-learn"]
    assert saved["machine"]["cores"] >= 1
    assert [r["dtype"] for r in saved["results"]] == ["float32", "float64"]
    for r in saved["results"]:
        assert len(r["runs"]["gpusmote"]) == 2
        assert len(r["runs"]["imblearn"]) == len(r["runs"]["gpusmote"])
        assert r["rows_out"] == 2 * r["class_counts"][0]
        assert set(r["runs"]["gpusmote"][0]["phases"]) >= {"neighbours", "generation"}
        assert r["speedup_vs_imblearn"] > 0 and r["speedup_best_vs_imblearn"] > 0
        # issue 10: the time outside neighbours, neighbours_recheck and generation
        for run in r["runs"]["gpusmote"]:
            work = sum(run["phases"].get(p, 0.0) for p in bench.WORK_PHASES)
            assert run["overhead"] == pytest.approx(run["seconds"] - work)
        assert all(run["overhead"] is None for run in r["runs"]["imblearn"])
        assert r["overhead_seconds"] is not None and 0 <= r["overhead_share"] < 1
    table = bench.format_table(results)
    assert "W1" in table and "float64" in table


def test_unknown_workload_and_profile_are_refused():
    with pytest.raises(ValueError, match="unknown workload"):
        bench.run(["W9"], ["numpy"])
    with pytest.raises(ValueError, match="profile"):
        bench.run(["W1"], ["numpy"], profile="huge")


def test_working_memory_reaches_the_sampler_and_the_json(tmp_path, monkeypatch):
    seen = []
    real = bench._sampler

    def spy(*args, **kwargs):
        sampler = real(*args, **kwargs)
        if args[0] == "gpusmote":
            seen.append(sampler.working_memory)
        return sampler

    monkeypatch.setattr(bench, "_sampler", spy)
    results, _ = bench.run(["W1"], ["numpy"], repeat=1, profile="quick", out_dir=None,
                           with_imblearn=False, min_seconds=0, idle_gap=0, working_memory=2)
    assert seen and set(seen) == {2}
    assert results["results"][0]["working_memory"] == 2
    assert results["results"][0]["input"] == "host"



def test_overhead_is_the_time_outside_the_work_phases():
    phases = {"validation": 0.25, "neighbours": 2.0, "neighbours_recheck": 0.5,
              "generation": 1.0, "assembly": 0.125}
    assert bench.overhead_seconds(4.0, phases) == 0.5
    assert bench.overhead_seconds(4.0, {}) is None  # imbalanced-learn records none


def test_a_run_past_the_limit_is_stopped_and_reported_as_a_bound():
    import time

    out = bench.measure_with_limit(lambda: (np.zeros((3, 2)), np.zeros(3)), 30)
    assert out["seconds"] is not None and out["rows_out"] == 3
    start = time.perf_counter()
    slow = bench.measure_with_limit(lambda: time.sleep(60), 0.5)
    assert time.perf_counter() - start < 20  # stopped, not waited for
    assert slow["seconds"] is None and slow["timed_out_after"] == 0.5
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        bench.measure_with_limit(lambda: 1 / 0, 30)


def test_imblearn_limit_turns_the_speedup_into_a_lower_bound(tmp_path, monkeypatch):
    import time

    real = bench._sampler

    class Slow:  # an imbalanced-learn that never finishes
        def fit_resample(self, X, y):
            time.sleep(60)

    monkeypatch.setattr(bench, "_sampler", lambda lib, *a, **k: Slow() if lib == "imblearn"
                        else real(lib, *a, **k))
    results, path = bench.run(["W1"], ["numpy"], repeat=1, profile="quick",
                              out_dir=str(tmp_path), min_seconds=0, idle_gap=0,
                              imblearn_limit=0.5)
    r = json.loads(open(path).read())["results"][0]
    assert r["median_seconds"]["imblearn"] is None and r["speedup_vs_imblearn"] is None
    assert r["runs"]["imblearn"][0]["timed_out_after"] == 0.5
    assert r["speedup_vs_imblearn_at_least"] == pytest.approx(
        0.5 / r["median_seconds"]["gpusmote"])
    assert ">0.5" in bench.format_table(results)
