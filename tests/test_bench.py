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
