"""benchmarks/keel.py: the interleaved timing of one (data set, sampler) pair, its
skips and failures, and the summary the README quotes (no data set download)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "keel.py"
_spec = importlib.util.spec_from_file_location("keel_bench", _PATH)
keel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(keel)


def _data(n_minority=30):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200 + n_minority, 4))
    y = np.r_[np.zeros(200, dtype=int), np.ones(n_minority, dtype=int)]
    return X, y


def test_a_pair_runs_both_libraries_interleaved_and_reports_the_ratio_of_medians():
    X, y = _data()
    row = keel.time_pair(X, y, "BorderlineSMOTE-2", [], budget=0.0, min_rounds=3,
                         max_rounds=5)
    assert row["rounds"] == 3
    assert len(row["runs"]["gpusmote"]) == len(row["runs"]["imblearn"]) == 3
    med = row["median_seconds"]
    assert row["ratio"] == pytest.approx(med["imblearn"] / med["gpusmote"])
    low, high = row["ratio_interval"]
    assert low <= row["ratio"] <= high
    assert med["gpusmote"] == pytest.approx(np.median(row["runs"]["gpusmote"]))


def test_the_budget_adds_rounds_up_to_the_cap():
    X, y = _data()
    row = keel.time_pair(X, y, "RandomOverSampler", [], budget=10.0, min_rounds=1,
                         max_rounds=4)
    assert row["rounds"] == 4


def test_a_sampler_that_cannot_run_records_both_messages_and_no_ratio():
    X, y = _data(n_minority=3)  # SMOTE's k_neighbors=5 needs six minority rows
    row = keel.time_pair(X, y, "SMOTE", [], budget=0.0, min_rounds=1, max_rounds=1)
    assert "ratio" not in row
    assert row["errors"]["gpusmote"] and row["errors"]["imblearn"]


@pytest.mark.parametrize("sampler, n_features, categorical, skipped", [
    ("SMOTENC", 5, [], True), ("SMOTENC", 5, [0, 1, 2, 3, 4], True),
    ("SMOTENC", 5, [3, 4], False), ("SMOTEN", 5, [3, 4], True),
    ("SMOTEN", 2, [0, 1], False), ("SMOTE", 5, [], False),
])
def test_smotenc_and_smoten_run_only_where_their_columns_are(sampler, n_features,
                                                             categorical, skipped):
    assert (keel.skip_reason(sampler, n_features, categorical) is not None) == skipped


def test_summary_counts_and_names_the_pairs_below_one():
    rows = [{"data_set": "a", "sampler": "SMOTE", "ratio": 2.0},
            {"data_set": "a", "sampler": "ADASYN", "ratio": 0.5},
            {"data_set": "b", "sampler": "SMOTEN", "skipped": "no categorical columns"},
            {"data_set": "b", "sampler": "SMOTE", "errors": {"gpusmote": "x", "imblearn": "y"}}]
    s = keel.summary(rows)
    assert s["pairs_timed"] == 2 and s["pairs_skipped"] == 1
    assert s["min_ratio"] == 0.5 and s["median_ratio"] == 1.25
    assert s["below_1"] == [{"data_set": "a", "sampler": "ADASYN", "ratio": 0.5,
                             "ratio_interval": None}]
    assert s["pairs_failed"][0]["data_set"] == "b"


def test_the_interval_of_a_ratio_tells_a_real_gap_from_noise():
    rng = np.random.default_rng(1)
    fast = list(1.0 + 0.05 * rng.random(16))
    slow = list(1.3 + 0.05 * rng.random(16))
    low, high = keel.ratio_interval(slow, fast)  # gpusmote slower: theirs / ours < 1
    assert high < 1.0 and low > 0.7
    low, high = keel.ratio_interval(fast, list(1.0 + 0.05 * rng.random(16)))
    assert low < 1.0 < high
    assert keel.ratio_interval(fast, fast) == keel.ratio_interval(fast, fast)  # seeded


def test_summary_names_the_pairs_slower_beyond_their_interval():
    rows = [{"data_set": "a", "sampler": "SMOTE", "ratio": 0.95, "ratio_interval": [0.85, 1.04]},
            {"data_set": "b", "sampler": "SMOTE", "ratio": 0.8, "ratio_interval": [0.75, 0.86]},
            {"data_set": "c", "sampler": "SMOTE", "ratio": 1.5, "ratio_interval": [1.4, 1.6]}]
    s = keel.summary(rows)
    assert [r["data_set"] for r in s["below_1"]] == ["a", "b"]
    assert s["below_1_beyond_noise"] == [{"data_set": "b", "sampler": "SMOTE", "ratio": 0.8}]


def test_thirty_distinct_sets_and_every_shipped_sampler_imbalanced_learn_has():
    import gpusmote

    assert len(set(keel.KEEL_SETS)) == 30
    methods = {s.partition("-")[0] for s in keel.SAMPLERS}
    assert methods == set(gpusmote.__all__) - {"__version__"}


@pytest.mark.parametrize("sampler", keel.SAMPLERS)
def test_every_sampler_is_built_alike_in_both_libraries(sampler):
    categorical = [0] if sampler == "SMOTENC" else []
    ours = keel._make("gpusmote", sampler, categorical)
    theirs = keel._make("imblearn", sampler, categorical)
    assert type(ours).__name__ == type(theirs).__name__
    shared = set(theirs.get_params(deep=False)) & set(ours.get_params(deep=False))
    for name in ("random_state", "kind", "version"):
        if name in shared:
            assert ours.get_params()[name] == theirs.get_params()[name], name


def test_runs_come_in_chunks_of_each_library():
    X, y = _data()
    order = []
    real = keel._make

    def spy(library, *args):
        order.append(library)
        return real(library, *args)

    keel._make, saved = spy, keel._make
    try:
        row = keel.time_pair(X, y, "RandomOverSampler", [], budget=0.0, min_rounds=6,
                             max_rounds=6, chunk=3)
    finally:
        keel._make = saved
    assert row["rounds"] == 6 and len(row["runs"]["gpusmote"]) == 6
    timed = order[2:]  # after the warm-up of each
    assert timed == ["gpusmote"] * 3 + ["imblearn"] * 3 + ["gpusmote"] * 3 + ["imblearn"] * 3


def test_the_median_leaves_out_the_first_run_of_each_chunk(monkeypatch):
    # the first run of a chunk shares the cores with the other library's spinning
    # threads: a clock that makes those runs slow must not move the median
    X, y = _data()
    ticks = iter(range(10**6))
    monkeypatch.setattr(keel.time, "perf_counter", lambda: float(next(ticks)))
    calls = {"n": 0}
    real = keel._make

    def slow_first(library, *args):
        calls["n"] += 1
        sampler = real(library, *args)
        fit = sampler.fit_resample
        # the first call of each chunk takes 1 000 ticks, the others 1
        first = (calls["n"] - 3) % 3 == 0  # after the two warm-ups, chunks of 3
        sampler.fit_resample = lambda *a: ([next(ticks) for _ in range(999)] if first
                                           else None, fit(*a))[1]
        return sampler

    monkeypatch.setattr(keel, "_make", slow_first)
    row = keel.time_pair(X, y, "RandomOverSampler", [], budget=0.0, min_rounds=6,
                         max_rounds=6, chunk=3)
    assert row["median_of"] == {"gpusmote": 4, "imblearn": 4}
    assert max(row["runs"]["gpusmote"]) == 1000.0
    assert row["median_seconds"] == {"gpusmote": 1.0, "imblearn": 1.0}


def _plot_module():
    spec = importlib.util.spec_from_file_location(
        "keel_plot", Path(__file__).resolve().parents[1] / "benchmarks" / "keel_plot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_figure_takes_each_samplers_pairs_from_the_last_file_that_has_it(tmp_path):
    import json

    plot = _plot_module()
    first = {"results": [
        {"data_set": "a", "sampler": "SMOTE", "ratio": 2.0},
        {"data_set": "b", "sampler": "SMOTE", "ratio": 0.9},
        {"data_set": "a", "sampler": "ADASYN", "ratio": 1.5},
        {"data_set": "c", "sampler": "SMOTEN", "skipped": "no categorical columns"},
        {"data_set": "d", "sampler": "ADASYN", "errors": {"gpusmote": "x", "imblearn": "y"}},
    ]}
    second = {"results": [{"data_set": "a", "sampler": "ADASYN", "ratio": 3.0}]}
    paths = []
    for i, content in enumerate((first, second)):
        paths.append(tmp_path / f"run{i}.json")
        paths[-1].write_text(json.dumps(content))
    by_sampler = plot.ratios_by_sampler([str(p) for p in paths])
    assert by_sampler == {"SMOTE": [("a", 2.0), ("b", 0.9)], "ADASYN": [("a", 3.0)]}
    out = plot.main([str(p) for p in paths] + ["-o", str(tmp_path / "fig" / "keel.png")])
    assert Path(out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
