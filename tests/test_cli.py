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
    # issue 13 item 1: ADASYN's RuntimeError is an expected failure too
    "adasyn without a neighbour of another class": (
        lambda d: ["resample", d / "apart.csv", "--target", "label", "-o", d / "o.csv",
                   "--method", "adasyn"],
        "ADASYN: no row of class 'fraud' has a neighbour of another class.*larger "
        "--k-neighbors"),
    # item 4: a header and no rows is not "categorical columns"
    "header-only csv": (
        lambda d: ["resample", d / "header.csv", "--target", "label", "-o", d / "o.csv"],
        r"header.csv has no rows \(only a header line, 4 column\(s\)\)"),
    # item 5: sampler parameters in the words of the flags
    "k of 0 (parameter constraint)": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--k-neighbors", "0"],
        r"^gpusmote: error: --k-neighbors must be an int in the range \[1, inf\); got 0$"),
    "enn k too large": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--method", "enn", "--k-neighbors", "500"],
        "--k-neighbors 500 is too large.*Use --k-neighbors <= 399"),
    "adasyn k too large": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--method", "adasyn", "--k-neighbors", "100"],
        "ADASYN needs --k-neighbors \\+ 1 = 101 .*pass --k-neighbors 39 or fewer"),
    "ratio below the data's": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--sampling-strategy", "0.01"], "--sampling-strategy 0.01"),
    # item 7: the column options
    "unknown --index-col": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--index-col", "rid"], "--index-col column 'rid' is not in .*amount"),
    "unknown --exclude": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--exclude", "age,zip"], "--exclude column 'zip' is not in"),
    "target excluded": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--exclude", "label"], "'label' is given to both --target and --exclude"),
    "nothing left to learn from": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--exclude", "amount,age,score"],
        "no feature columns besides 'label', 'amount', 'age', 'score'"),
    "--m-neighbors of 0": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--method", "borderline2", "--m-neighbors", "0"],
        r"--m-neighbors must be an int in the range \[1, inf\); got 0$"),
    "--m-neighbors with smote": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--m-neighbors", "3"], "--m-neighbors is for the borderline and svm-smote methods"),
    "--categorical with smote": (
        lambda d: ["resample", d / "in.csv", "--target", "label", "-o", d / "o.csv",
                   "--categorical", "age"], "column\\(s\\) age are categorical .*smotenc"),
}

# what a command-line user must never read (item 5)
LIBRARY_WORDS = re.compile(r"[kmn]_neighbors|sampling_strategy|random_state|np\.")


@pytest.fixture(scope="module")
def error_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("errors")
    frame().to_csv(d / "in.csv", index=False)
    frame(categorical=True).to_parquet(d / "cat.parquet", index=False)
    apart = frame()
    apart.loc[apart["label"] == "fraud", ["amount", "score"]] += 1e4
    apart.to_csv(d / "apart.csv", index=False)
    frame().iloc[:0].to_csv(d / "header.csv", index=False)
    return d


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_resample_errors(error_dir, case):
    d = error_dir
    proc = main_cli(*ERROR_CASES[case][0](d))
    assert proc.returncode == 2, proc.stderr
    assert re.search(ERROR_CASES[case][1], error_line(proc)), proc.stderr
    assert not LIBRARY_WORDS.search(proc.stderr), proc.stderr
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


# -- messages in the words of the command line (issue 13 item 5) ---------------
@pytest.mark.parametrize("message, flags, expected", [
    ("pass k_neighbors=39 or fewer.", cli._registry.RESAMPLE_FLAGS,
     "pass --k-neighbors 39 or fewer."),
    ("Use n_neighbors <= np.int64(399).", cli._registry.RESAMPLE_FLAGS,
     "Use --k-neighbors <= 399."),
    ("sampling_strategy={np.str_('a'): np.int64(5)} asks for", cli._registry.RESAMPLE_FLAGS,
     "--sampling-strategy {'a': 5} asks for"),
    ("The 'random_state' parameter of SMOTE must be an int. Got 'x' instead.",
     cli._registry.RESAMPLE_FLAGS, "--seed must be an int; got 'x'"),
    ("pass backend='numpy' or install CuPy; the backend is chosen", cli._registry.RESAMPLE_FLAGS,
     "pass --backend numpy or install CuPy; the backend is chosen"),
    ("flag np.True_ and np.float64(0.5)", {}, "flag True and 0.5"),
    # a parameter the command has no flag for stays as it is
    ("use a larger n_neighbors", cli._registry.COMPARE_FLAGS, "use a larger n_neighbors"),
    ("shrinkage=3 and\n  sampling_strategy_ stay", cli._registry.RESAMPLE_FLAGS,
     "shrinkage=3 and sampling_strategy_ stay"),
])
def test_cli_message(message, flags, expected):
    assert cli._registry.cli_message(message, flags) == expected


# -- warnings: one line each, even with --quiet (item 6) ------------------------
class _WarningSMOTE(gpusmote.SMOTE):
    """SMOTE that warns twice the same way, once in another category."""

    def fit_resample(self, X, y, **params):
        import warnings

        for _ in range(2):
            warnings.warn("found nothing to do for k_neighbors=np.int64(5);\n"
                          "returning the input", UserWarning)
        warnings.warn("a future change", RuntimeWarning)
        return super().fit_resample(X, y, **params)


@pytest.mark.parametrize("quiet", [False, True])
def test_sampler_warnings_are_one_line_each(tmp_path, monkeypatch, quiet):
    monkeypatch.setattr(gpusmote, "SMOTE", _WarningSMOTE)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame().to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out,
                    *(["--quiet"] if quiet else []))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "gpusmote: warning: found nothing to do for --k-neighbors 5; returning the input",
        "gpusmote: warning: a future change (RuntimeWarning)"]
    assert out.exists()


def test_borderline_without_danger_says_so(error_dir, tmp_path):
    """The library's warning (BorderlineSMOTE returning its input) through the CLI:
    one line in the flags' words, exit status 0."""
    proc = main_cli("resample", error_dir / "apart.csv", "--target", "label", "-o",
                    tmp_path / "o.csv", "--method", "borderline-smote", "--m-neighbors", "8",
                    "-q")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpusmote: warning: BorderlineSMOTE")
    assert "--m-neighbors 8" in lines[0] and not LIBRARY_WORDS.search(lines[0])


def test_registry_m_neighbors():
    assert cli.make_sampler("borderline2", m_neighbors=4).m_neighbors == 4
    with pytest.raises(cli.CLIError, match="--m-neighbors is for the borderline and svm-smote methods"):
        cli.make_sampler("adasyn", m_neighbors=4)


# -- column roles: --index-col, --exclude, --categorical, id hints (item 7) -----
def _with_ids(n=400) -> pd.DataFrame:
    df = frame(n)
    df.insert(2, "account_id", np.arange(5000, 5000 + n)[::-1])
    return df


def test_index_col_is_read_as_the_index_and_written_back(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame().to_csv(src)  # pandas' default: the index as a first column without a name
    proc = main_cli("resample", src, "--target", "label", "-o", out, "--index-col",
                    "Unnamed: 0", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert out.read_text().splitlines()[0] == ",amount,age,score,label"  # header as it was
    res = pd.read_csv(out, index_col=0)
    pd.testing.assert_frame_equal(res.iloc[:400], pd.read_csv(src, index_col=0))
    assert res.index.is_unique and (res.index[400:] >= 400).all()
    # the index was not a feature: SMOTE without it gives the same rows
    plain = tmp_path / "plain.csv"
    frame().to_csv(plain, index=False)
    main_cli("resample", plain, "--target", "label", "-o", tmp_path / "p.csv", "-q")
    np.testing.assert_allclose(res.drop(columns="label").to_numpy(),
                               pd.read_csv(tmp_path / "p.csv").drop(columns="label").to_numpy())


def _sources_ok(res, src_df, features, interpolated):
    """Original rows keep their account_id; a new row carries the id of the row it
    was made from: it lies on a segment from that row towards another row of its
    class, anywhere along it (the nearer end of the segment would never be past
    its middle)."""
    X = src_df[features].to_numpy(float)
    by_id = {v: i for i, v in enumerate(src_df["account_id"])}
    steps = []
    for _, row in res.iterrows():
        src = by_id[row["account_id"]]
        assert src_df["label"].iloc[src] == row["label"]
        q = row[features].to_numpy(float)
        if np.array_equal(q, X[src]):
            continue  # the row itself (or a step of 0)
        same = np.flatnonzero(src_df["label"].to_numpy() == row["label"])
        ab = X[same] - X[src]
        t = (ab @ (q - X[src])) / np.maximum((ab * ab).sum(1), 1e-300)
        resid = np.abs(X[src] + t[:, None] * ab - q).max(1)
        j = np.argmin(resid)
        assert resid[j] <= 1e-6 * (1 + np.abs(q).max()) and 0 <= t[j] <= 1
        steps.append(t[j])
    assert (len(steps) > 0) == interpolated
    if interpolated:
        assert np.mean(np.array(steps) > 0.5) > 0.25  # from the base row, not the nearer end


@pytest.mark.parametrize("method", ["smote", "random", "tomek", "smote-enn", "svm-smote",
                                    "nearmiss-1", "random-under"])
def test_exclude_passes_columns_through(tmp_path, method):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df = _with_ids()
    df.to_parquet(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out, "--exclude",
                    "account_id", "--method", method, "-q")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(out)
    assert list(res.columns) == list(df.columns)  # written back in place
    assert res.dtypes.to_dict() == df.dtypes.to_dict()
    features = ["amount", "age", "score"]
    if method in ("smote", "random"):  # originals first, with their own ids
        pd.testing.assert_frame_equal(res.iloc[:400], df)
    if method == "random":  # a drawn row copies the id of the row it was drawn from
        new = res.iloc[400:]
        assert len(new) == 320
        by_id = df.set_index("account_id")
        pd.testing.assert_frame_equal(new.set_index("account_id"),
                                      by_id.loc[new["account_id"]], check_names=False)
    else:
        # (age is an integer column: new values are rounded, so it is left out here)
        _sources_ok(res, df, ["amount", "score"],
                    interpolated=method not in ("tomek", "nearmiss-1", "random-under"))


def test_exclude_refuses_methods_whose_rows_have_no_source(tmp_path):
    src = tmp_path / "in.csv"
    _with_ids().to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", tmp_path / "o.csv",
                    "--exclude", "account_id", "--method", "cluster-centroids", "-q")
    assert proc.returncode == 2
    assert "come from no single original row" in proc.stderr and "drop --exclude" in proc.stderr


def test_exclude_does_not_take_the_column_as_a_feature(tmp_path):
    src = tmp_path / "in.csv"
    _with_ids().to_csv(src, index=False)
    main_cli("resample", src, "--target", "label", "-o", tmp_path / "a.csv", "--exclude",
             "account_id", "-q")
    frame().to_csv(tmp_path / "plain.csv", index=False)
    main_cli("resample", tmp_path / "plain.csv", "--target", "label", "-o",
             tmp_path / "b.csv", "-q")
    a, b = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    pd.testing.assert_frame_equal(a.drop(columns="account_id"), b)


def test_categorical_integer_codes_with_smotenc(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    df = frame()
    df["region"] = np.arange(400) % 7 * 10  # integer-coded categories
    df.to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out, "--categorical",
                    "region", "--method", "smotenc", "-q")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_csv(out)
    assert res["region"].dtype == np.int64
    assert set(res["region"]) <= set(range(0, 70, 10))  # codes, never interpolated
    assert res["label"].value_counts().to_dict() == {"ok": 360, "fraud": 360}


@pytest.mark.parametrize("write, extra, hinted", [
    (lambda df, p: df.to_csv(p), [], "'Unnamed: 0'"),
    (lambda df, p: _with_ids().to_csv(p, index=False), [], "'account_id'"),
    (lambda df, p: df.rename(columns={"age": "id"}).to_csv(p, index=False), [], "'id'"),
    (lambda df, p: df.to_csv(p), ["--index-col", "Unnamed: 0"], None),
    (lambda df, p: _with_ids().to_csv(p, index=False), ["--exclude", "account_id"], None),
    (lambda df, p: df.to_csv(p, index=False), [], None),
    (lambda df, p: df.assign(ref=[f"T{i:05d}" for i in range(len(df))]).to_csv(
        p, index=False), ["--method", "smotenc"], "'ref'"),
])
def test_id_like_column_hint(tmp_path, write, extra, hinted):
    src = tmp_path / "in.csv"
    write(frame(), src)
    proc = main_cli("resample", src, "--target", "label", "-o", tmp_path / "o.csv", *extra)
    assert proc.returncode == 0, proc.stderr
    hints = [line for line in proc.stderr.splitlines() if line.startswith("gpusmote: hint:")]
    if hinted is None:
        assert hints == []
    else:
        assert len(hints) == 1 and hinted in hints[0] and "--index-col" in hints[0]
        quiet = main_cli("resample", src, "--target", "label", "-o", tmp_path / "q.csv",
                         "-q", *extra)
        assert quiet.stderr == ""


# -- compare: a method that fails has its row (item 1) -------------------------
def test_compare_reports_a_failed_method_and_compares_the_rest(error_dir, tmp_path):
    js = tmp_path / "r.json"
    proc = main_cli("compare", error_dir / "apart.csv", "--target", "label", "--folds", "2",
                    "--ratios", "0.5,1", "--methods", "none,adasyn,smote", "--json", js, "-q")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    adasyn = [line for line in lines if line.startswith("adasyn")]
    assert len(adasyn) == 2
    assert "failed: ADASYN: no row of class 'fraud' has a neighbour" in adasyn[0]
    assert adasyn[1].endswith("failed: as above")
    assert sum(line.startswith("smote ") for line in lines) == 2
    rows = json.loads(js.read_text())["rows"]
    assert [r["error"] is None for r in rows] == [True, False, False, True, True]


# -- imports: --version and --help load neither scikit-learn nor SciPy (item 12) --
@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_do_not_import_the_library(flag):
    code = ("import sys\nfrom gpusmote.cli import main\ntry:\n    main([%r])\n"
            "except SystemExit:\n    pass\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'scipy', 'imblearn', 'pandas', 'numpy', 'matplotlib'))\n"
            "assert not heavy, heavy\n" % flag)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "gpusmote" in proc.stdout


def test_compare_leaves_index_and_excluded_columns_out(tmp_path):
    src, js = tmp_path / "in.csv", tmp_path / "r.json"
    _with_ids().to_csv(src)  # an 'Unnamed: 0' index column and account_id
    proc = main_cli("compare", src, "--target", "label", "--folds", "2", "--ratios", "1",
                    "--methods", "none", "--index-col", "Unnamed: 0", "--exclude",
                    "account_id", "--json", js, "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(js.read_text())["n_features"] == 3
    hinted = main_cli("compare", src, "--target", "label", "--folds", "2", "--ratios", "1",
                      "--methods", "none")
    assert "gpusmote: hint: columns 'Unnamed: 0', 'account_id' look like" in hinted.stderr


def test_the_process_command_line_skips_the_last_garbage_walk(monkeypatch):
    """main() on the process's own command line (argv None, as the console script
    and `python -m gpusmote` call it) freezes the heap before the interpreter exits;
    main(argv) from Python code leaves the collector alone."""
    import gc

    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    assert cli.main(["bench", "--repeat", "0"]) == 2
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["gpusmote", "bench", "--repeat", "0"])
    assert cli.main() == 2
    assert calls == ["freeze"]


@pytest.mark.parametrize("args, match", [
    (["--rows", "1000", "--positive-rate", "0.005"],
     r"1000 rows at --positive-rate 0\.005 give only 5 positives"),
    (["--rows", "1000", "--positive-rate", "0.7"], r"--positive-rate must be in \(0, 0\.5\)"),
    (["--rows", "3000", "--positive-rate", "0.01", "--sampling-strategy", "0.001"],
     r"--sampling-strategy 0\.001 asks for"),
])
def test_demo_errors_speak_of_flags(args, match):
    proc = main_cli("demo", *args, "-q")
    assert proc.returncode == 2
    line = error_line(proc)
    assert re.search(match, line), line
    assert not LIBRARY_WORDS.search(line) and "positive_rate" not in line


def test_cupy_backend_missing_names_the_flags_and_the_install(error_dir, monkeypatch):
    from gpusmote import backends

    monkeypatch.setattr(backends, "cupy_unavailable_reason", lambda: "CuPy cannot be imported")
    proc = main_cli("resample", error_dir / "in.csv", "--target", "label", "-o",
                    error_dir / "o.csv", "--backend", "cupy")
    line = error_line(proc)
    assert proc.returncode == 2
    assert line.startswith("gpusmote: error: --backend cupy needs CuPy and a CUDA device")
    assert 'pip install -e ".[cuda12]"' in line and line.endswith("or pass --backend numpy.")
    assert "backend=" not in line


def test_resample_imports_with_the_collector_paused(monkeypatch, error_dir, tmp_path):
    """The sampler class and the file are loaded with the cyclic collector paused
    (imports make no garbage) and it is back on afterwards."""
    import gc

    from gpusmote.cli import _main

    seen = {}
    real_class, real_read = _main.sampler_class, _main.read_table
    monkeypatch.setattr(_main, "sampler_class",
                        lambda m: seen.setdefault("class", gc.isenabled()) or real_class(m))
    monkeypatch.setattr(_main, "read_table",
                        lambda p: seen.setdefault("read", gc.isenabled()) or real_read(p))
    assert gc.isenabled()
    proc = main_cli("resample", error_dir / "in.csv", "--target", "label", "-o",
                    tmp_path / "o.csv", "-q")
    assert proc.returncode == 0, proc.stderr
    assert seen == {"class": False, "read": False} and gc.isenabled()


def test_compare_on_a_header_only_file(error_dir):
    proc = main_cli("compare", error_dir / "header.csv", "--target", "label")
    assert proc.returncode == 2
    assert "header.csv has no rows (only a header line" in error_line(proc)
