"""The ``gpusmote`` command line on files in tmp_path: in process through
``cli.main`` (the same code, without ~1.5 s of imports per run), and two
smoke tests through a real ``python -m gpusmote`` subprocess."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpusmote
from gpusmote import cli

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """``python -m gpusmote ARGS`` with this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "gpusmote", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def main_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """``cli.main(ARGS)`` in this process, its exit status and output captured as
    a subprocess's would be (``--help`` exits through SystemExit)."""
    out, err = io.StringIO(), io.StringIO()
    argv = [str(a) for a in args]
    with contextlib.ExitStack() as stack:
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            status = cli.main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 0
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def frame(n: int = 400, *, categorical: bool = False, seed: int = 0) -> pd.DataFrame:
    """Numeric columns of several dtypes, a string target with 10 % 'fraud'."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "amount": rng.normal(100, 20, n).astype("float32"),
        "age": rng.integers(18, 80, n),
        "score": rng.normal(size=n),
        "label": np.where(np.arange(n) % 10 == 0, "fraud", "ok"),
    })
    if categorical:
        df.insert(1, "country", pd.Categorical(rng.choice(["FR", "DE", "US"], n)))
    return df


def error_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gpusmote: error: "), proc.stderr
    return lines[0]


# -- resample: the happy paths ------------------------------------------------
def test_resample_csv_balances_and_keeps_columns(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame().to_csv(src, index=False)
    proc = run_cli("resample", src, "--target", "label", "-o", out, "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_csv(out)
    assert list(res.columns) == ["amount", "age", "score", "label"]
    assert res["label"].value_counts().to_dict() == {"ok": 360, "fraud": 360}
    # originals first, unchanged and in order
    orig = pd.read_csv(src)
    pd.testing.assert_frame_equal(res.iloc[:400].reset_index(drop=True), orig)
    # counts before and after are printed on stdout
    assert "fraud" in proc.stdout and "360" in proc.stdout and "40" in proc.stdout
    assert "400 -> 720 rows" in proc.stdout


def test_resample_parquet_dict_strategy_keeps_dtypes(tmp_path):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df = frame()
    df["label"] = (df["label"] == "fraud").astype("int64")  # integer target
    df.to_parquet(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out,
                   "--sampling-strategy", "1=100", "--k-neighbors", "3", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    res = pd.read_parquet(out)
    assert len(res) == 460
    assert res["label"].value_counts().to_dict() == {0: 360, 1: 100}
    assert res.dtypes.to_dict() == df.dtypes.to_dict()


def test_resample_csv_to_parquet_float_strategy(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    frame().to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out,
                   "--sampling-strategy", "0.5", "--backend", "numpy")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(out)
    assert res["label"].value_counts().to_dict() == {"ok": 360, "fraud": 180}
    assert "SMOTE on numpy" in proc.stdout


def test_resample_smotenc_keeps_categorical(tmp_path):
    if not hasattr(gpusmote, "SMOTENC"):
        pytest.skip("gpusmote.SMOTENC not exported yet")
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df = frame(categorical=True)
    df.to_parquet(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out, "--method", "smotenc")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(out)
    assert list(res.columns) == list(df.columns)
    assert isinstance(res["country"].dtype, pd.CategoricalDtype)
    assert set(res["country"].unique()) <= {"FR", "DE", "US"}
    assert res["label"].value_counts().to_dict() == {"ok": 360, "fraud": 360}


# -- resample: every error is one line and exit status 2 -----------------------
def _garbled(path: Path) -> Path:
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 400, dtype=np.uint8)))
    return path


ERROR_CASES = {
    "missing file": (lambda d: ["resample", d / "nope.csv", "--target", "label", "-o",
                                d / "o.csv"], "does not exist"),
    "missing target": (lambda d: ["resample", d / "in.csv", "--target", "class", "-o",
                                  d / "o.csv"],
                       "'class' is not in .* available columns: amount, age, score, label"),
    "unknown method": (lambda d: ["resample", d / "in.csv", "--target", "label", "-o",
                                  d / "o.csv", "--method", "smoot"],
                       "unknown method 'smoot'; choose one of: smote, .*smote-enn"),
    "garbled parquet": (lambda d: ["resample", _garbled(d / "bad.parquet"), "--target",
                                   "label", "-o", d / "o.csv"], "could not read .* as PARQUET"),
    "garbled csv": (lambda d: ["resample", _garbled(d / "bad.csv"), "--target", "label",
                               "-o", d / "o.csv"], "could not read .* as CSV"),
    "output is input": (lambda d: ["resample", d / "in.csv", "--target", "label", "-o",
                                   d / "." / "in.csv"], "output path is the input file"),
    "unknown extension": (lambda d: ["resample", d / "in.xlsx", "--target", "label", "-o",
                                     d / "o.csv"], "unknown extension; use one of: .csv"),
    "unknown output extension": (lambda d: ["resample", d / "in.csv", "--target", "label",
                                            "-o", d / "o.json"], "output .* unknown extension"),
    "categorical with smote": (lambda d: ["resample", d / "cat.parquet", "--target", "label",
                                          "-o", d / "o.csv"],
                               "country are categorical .* use --method smotenc"),
    "k too large (sampler ValueError)": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--k-neighbors", "100"], "class 'fraud' has 40 rows.*largest --k-neighbors that works is 39: "
                   "pass --k-neighbors 39 or fewer"),
    "unknown class in strategy": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--sampling-strategy", "theft=50"], "theft"),
    "bad strategy text": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--sampling-strategy", "most"], "--sampling-strategy 'most' is not one of"),
}


@pytest.fixture(scope="module")
def error_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("errors")
    frame().to_csv(d / "in.csv", index=False)
    frame(categorical=True).to_parquet(d / "cat.parquet", index=False)
    return d


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_resample_errors(error_dir, case):
    d = error_dir
    proc = main_cli(*ERROR_CASES[case][0](d))
    assert proc.returncode == 2, proc.stderr
    assert re.search(ERROR_CASES[case][1], error_line(proc)), proc.stderr
    assert not (d / "o.csv").exists()
    assert pd.read_csv(d / "in.csv").shape == (400, 4)  # input untouched


def test_an_error_through_the_real_command(tmp_path):
    """One error case end to end: a subprocess, exit status 2, one line on stderr."""
    proc = run_cli("resample", tmp_path / "nope.csv", "--target", "label", "-o",
                   tmp_path / "o.csv")
    assert proc.returncode == 2
    assert "does not exist" in error_line(proc)


# -- demo, compare, bench, in process ------------------------------
def test_demo_small(tmp_path):
    proc = main_cli("demo", "--rows", "6000", "--positive-rate", "0.02", "--classifier",
                   "logreg", "--quiet")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for word in ("recall", "precision", "F1", "MCC", "PR-AUC", "no resampling",
                 "SMOTE in Pipeline", "numpy", "cupy", "split first"):
        assert word in out
    assert "train 4,200 (84 positives), test 1,800 (36 positives" in out


def test_compare_demo_small_writes_json_and_csv(tmp_path):
    js, cs = tmp_path / "r.json", tmp_path / "r.csv"
    proc = main_cli("compare", "--demo", "--folds", "2", "--ratios", "0.25,1",
                   "--methods", "none,smote,balanced", "--json", js, "--csv", cs, "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(js.read_text())
    assert [(r["method"], r["ratio"]) for r in result["rows"]] == [
        ("none", None), ("smote", 0.25), ("smote", 1.0), ("balanced", None)]
    assert all(len(r["mcc"]["folds"]) == 2 for r in result["rows"])
    table = pd.read_csv(cs)
    assert {"recall_mean", "pr_auc_std", "resample_s"} <= set(table.columns)
    assert "±" in proc.stdout and "PR-AUC" in proc.stdout


def test_compare_errors(tmp_path):
    proc = main_cli("compare", "--demo", "--methods", "smote,magic")
    assert proc.returncode == 2
    assert "unknown compare method(s) magic" in error_line(proc)


def test_help_lists_every_subcommand():
    proc = main_cli("--help")
    assert proc.returncode == 0
    for sub in ("resample", "demo", "compare", "bench"):
        assert sub in proc.stdout


def test_bench_help():
    proc = main_cli("bench", "--help")
    assert proc.returncode == 0
    for flag in ("--workloads", "--backends", "--repeat", "--profile", "--out"):
        assert flag in proc.stdout


def test_bench_tiny_run(tmp_path):
    pytest.importorskip("gpusmote.bench")
    proc = main_cli("bench", "--profile", "quick", "--workloads", "W1", "--backends", "numpy",
                   "--repeat", "1", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "results:" in proc.stdout
    path = proc.stdout.strip().splitlines()[-1].split("results:", 1)[1].strip()
    assert Path(path).exists()


# -- the registry and the parsers, in process ----------------------------------
@pytest.mark.parametrize("method", list(cli.METHODS))
def test_registry_builds_each_method(method):
    class_name, fixed = cli.METHODS[method]
    if not hasattr(gpusmote, class_name):
        pytest.skip(f"gpusmote.{class_name} not exported yet")
    sampler = cli.make_sampler(method, backend="numpy", seed=1)
    assert type(sampler).__name__ == class_name
    params = sampler.get_params(deep=False)
    for key, value in fixed.items():
        assert params[key] == value
    assert params.get("backend", "numpy") == "numpy"


def test_registry_k_neighbors_goes_where_it_belongs():
    assert cli.make_sampler("smote", k_neighbors=3).k_neighbors == 3
    if hasattr(gpusmote, "EditedNearestNeighbours"):
        assert cli.make_sampler("enn", k_neighbors=4).n_neighbors == 4
    if hasattr(gpusmote, "SMOTEENN"):
        assert cli.make_sampler("smote-enn", k_neighbors=2).smote.k_neighbors == 2
    if hasattr(gpusmote, "TomekLinks"):
        with pytest.raises(cli.CLIError, match="drop --k-neighbors"):
            cli.make_sampler("tomek", k_neighbors=2)


def test_unknown_method_lists_methods():
    with pytest.raises(cli.CLIError, match="choose one of: smote, borderline-smote"):
        cli.sampler_class("smot")


@pytest.mark.parametrize("text, y, expected", [
    ("auto", [0, 1], "auto"),
    ("Not  Majority", [0, 1], "not majority"),
    ("0.5", [0, 1], 0.5),
    ("1=10,0=20", [0, 1, 1], {1: 10, 0: 20}),
    ("fraud=7", ["ok", "fraud"], {"fraud": 7}),
    ("1.0=7", [0.0, 1.0], {1.0: 7}),
    ("True=5", [True, False], {True: 5}),
])
def test_parse_sampling_strategy(text, y, expected):
    got = cli.parse_sampling_strategy(text, pd.Series(y))
    assert got == expected
    if isinstance(expected, dict):
        # labels carry the target's type: str only for a string target
        assert [isinstance(k, str) for k in got] == [isinstance(k, str) for k in expected]


@pytest.mark.parametrize("text, match", [("1=x", "not an integer"), ("=3", "not class=count"),
                                         ("most", "is not one of")])
def test_parse_sampling_strategy_errors(text, match):
    with pytest.raises(cli.CLIError, match=match):
        cli.parse_sampling_strategy(text, pd.Series([0, 1]))


def test_main_in_process_returns_2_on_error(tmp_path, capsys):
    status = cli.main(["resample", str(tmp_path / "x.csv"), "--target", "t", "-o",
                       str(tmp_path / "y.csv")])
    assert status == 2
    assert capsys.readouterr().err.startswith("gpusmote: error: input file")
