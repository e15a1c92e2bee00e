"""``gpusmote resample`` on Dask (issue 14 item 2): a directory or a glob of Parquet
files in, a directory of Parquet files out, equal to the in-memory command's
result on the same rows, with --exclude, --index-col, --categorical and
--provenance too."""

from __future__ import annotations

import numpy as np
import pytest

from tests._dask_cluster import local_client, logged_parquet_reads
from tests.test_cli import error_line, main_cli

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


def _data(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fraud = (rng.random(n) < 0.05).astype(np.int8)
    df = pd.DataFrame({f"f{j}": rng.normal(size=n).astype(np.float32) + fraud * 0.5
                       for j in range(4)})
    df.insert(2, "is_fraud", fraud)  # the target between feature columns
    df["count"] = rng.integers(0, 9, n)
    return df


def _write_parts(df: pd.DataFrame, directory, parts: int = 3) -> None:
    directory.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(df)), parts)):
        df.iloc[chunk].to_parquet(directory / f"part-{i}.parquet", index=False)


def _read_dir(path) -> pd.DataFrame:
    """The files in sorted order (their names are zero-padded), read by pandas."""
    files = sorted(path.glob("*.parquet"))
    assert files and all(f.name.startswith("part-") for f in files)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


@pytest.mark.parametrize("method", ["smote", "borderline1", "adasyn", "ros", "smote-tomek"])
def test_a_directory_resampled_on_dask_equals_the_in_memory_result(tmp_path, method):
    df = _data()
    _write_parts(df, tmp_path / "in")
    df.to_parquet(tmp_path / "whole.parquet", index=False)
    flags = ["--target", "is_fraud", "--method", method, "--sampling-strategy", "0.5"]
    done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", *flags)
    assert done.returncode == 0, done.stderr
    assert "on Dask" in done.stdout and "3 input partitions" in done.stdout
    memory = main_cli("resample", tmp_path / "whole.parquet", "-o", tmp_path / "mem.parquet",
                      "--engine", "memory", *flags)
    assert memory.returncode == 0, memory.stderr
    got, want = _read_dir(tmp_path / "out"), pd.read_parquet(tmp_path / "mem.parquet")
    assert list(got.columns) == list(df.columns)
    pd.testing.assert_frame_equal(got, want)


def test_a_glob_and_a_single_file_with_engine_dask(tmp_path):
    df = _data(seed=1)
    _write_parts(df, tmp_path / "in", parts=4)
    by_glob = main_cli("resample", str(tmp_path / "in" / "part-*.parquet"), "-o",
                       tmp_path / "g", "--target", "is_fraud")
    assert by_glob.returncode == 0, by_glob.stderr
    df.to_parquet(tmp_path / "one.parquet", index=False)
    by_file = main_cli("resample", tmp_path / "one.parquet", "-o", tmp_path / "f",
                       "--target", "is_fraud", "--engine", "dask")
    assert by_file.returncode == 0, by_file.stderr
    a, b = _read_dir(tmp_path / "g"), _read_dir(tmp_path / "f")
    pd.testing.assert_frame_equal(a, b)  # partitioning does not change the rows
    assert (a["is_fraud"] == 1).sum() == (a["is_fraud"] == 0).sum()


def test_auto_engine_takes_dask_for_a_file_over_the_memory_budget(tmp_path):
    df = _data(seed=2)
    df.to_parquet(tmp_path / "one.parquet", index=False)
    done = main_cli("resample", tmp_path / "one.parquet", "-o", tmp_path / "out",
                    "--target", "is_fraud", "--memory-budget", "1KiB")
    assert done.returncode == 0, done.stderr
    assert "on Dask" in done.stdout and (tmp_path / "out").is_dir()
    small = main_cli("resample", tmp_path / "one.parquet", "-o", tmp_path / "mem.parquet",
                     "--target", "is_fraud")
    assert small.returncode == 0 and "on Dask" not in small.stdout


def test_an_existing_cluster_through_scheduler(tmp_path):
    distributed = pytest.importorskip("distributed")
    df = _data(seed=3)
    _write_parts(df, tmp_path / "in")
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out",
                        "--target", "is_fraud", "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    local = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out2",
                     "--target", "is_fraud")
    assert local.returncode == 0, local.stderr
    pd.testing.assert_frame_equal(_read_dir(tmp_path / "out"), _read_dir(tmp_path / "out2"))


@pytest.mark.parametrize("extra, match", [
    (["--exclude", "nope"], "--exclude column 'nope' is not in"),
    (["--index-col", "is_fraud"], "column 'is_fraud' is given to both --target and --index-col"),
    (["--categorical", "count"], ("column(s) count are categorical and method 'smote' "
                                  "needs numeric features; use --method smotenc")),
    (["--exclude", "f0,f1,f2,f3,count"], "has no feature columns besides 'is_fraud', 'f0'"),
    (["--method", "cnn"], "method 'cnn' does not run on Dask yet; the methods that do are "
                          "smote, borderline-smote, borderline1, borderline2, adasyn"),
    (["--engine", "memory"], "the in-memory engine reads one file; drop --engine memory"),
    (["--target", "nope"], "target column 'nope' is not in"),
    (["--memory-budget", "lots"], "--memory-budget 'lots' is not a size"),
])
def test_errors_name_the_fix(tmp_path, extra, match):
    _write_parts(_data(), tmp_path / "in")
    args = ["resample", tmp_path / "in", "-o", tmp_path / "out"]
    if "--target" not in extra:
        args += ["--target", "is_fraud"]
    done = main_cli(*args, *extra)
    assert done.returncode == 2
    assert match in error_line(done)


def test_a_non_empty_output_directory_is_refused(tmp_path):
    _write_parts(_data(), tmp_path / "in")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", "--target", "is_fraud")
    assert done.returncode == 2 and "is not empty" in error_line(done)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_provenance_refuses_a_file_that_has_its_columns(tmp_path):
    _write_parts(_data().assign(parent_row=1), tmp_path / "in")
    done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", "--target", "is_fraud",
                    "--exclude", "parent_row", "--provenance")
    assert done.returncode == 2
    assert "--provenance adds the columns is_synthetic, parent_row, neighbour_row" in \
        error_line(done)


# -- the columns the sampler does not see -------------------------------------
def _with_ids(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``df`` with id columns: row_id (unique, unsorted, not 0..n-1, first), txn_id
    (unique) and card (text, repeated), and merchant (small integer codes)."""
    rng = np.random.default_rng(seed + 100)
    n = len(df)
    df = df.copy()
    df.insert(0, "row_id", rng.permutation(n).astype(np.int64) * 7 + 1000)
    df["txn_id"] = rng.permutation(n).astype(np.int64) + 10**9
    df["card"] = np.array([f"card-{i}" for i in rng.integers(0, 400, n)])
    df["merchant"] = rng.integers(0, 5, n) + df["is_fraud"].to_numpy()
    return df


def _dask_and_memory(tmp_path, df, *flags, scheduler=None):
    """The output of ``resample`` on Dask (3 partitions) and in memory, read back."""
    _write_parts(df, tmp_path / "in")
    df.to_parquet(tmp_path / "whole.parquet", index=False)
    on = ["--scheduler", scheduler] if scheduler else []
    done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", "--target",
                    "is_fraud", *flags, *on)
    assert done.returncode == 0, done.stderr
    assert "on Dask" in done.stdout
    memory = main_cli("resample", tmp_path / "whole.parquet", "-o", tmp_path / "mem.parquet",
                      "--engine", "memory", "--target", "is_fraud", *flags)
    assert memory.returncode == 0, memory.stderr
    return _read_dir(tmp_path / "out"), pd.read_parquet(tmp_path / "mem.parquet")


# the flags, the id columns the data needs for them (others are dropped)
FLAG_CASES = {
    "exclude": (["--exclude", "txn_id,card"], ["txn_id", "card"]),
    "index-col": (["--index-col", "row_id"], ["row_id"]),
    "provenance": (["--provenance"], []),
    "all three": (["--exclude", "txn_id,card,merchant", "--index-col", "row_id",
                   "--provenance"], ["row_id", "txn_id", "card", "merchant"]),
}
ID_COLUMNS = ["row_id", "txn_id", "card", "merchant"]
# an over-sampler, a cleaner, a chain (strategy: the cleaners take their default)
OVER, CLEAN, CHAIN = "smote", "enn", "smote-tomek"


def _method_flags(method: str) -> list:
    return ["--method", method] + ([] if method in ("tomek", "enn")
                                   else ["--sampling-strategy", "0.5"])


def _check_columns(got, df, flags) -> None:
    """What each flag must show in the output, beyond equality with memory."""
    n = len(df)
    if "--provenance" in flags:
        assert list(got.columns[-3:]) == ["is_synthetic", "parent_row", "neighbour_row"]
        original = got[~got["is_synthetic"]]
        assert original["parent_row"].is_unique and (original["neighbour_row"] == -1).all()
        assert got["parent_row"].between(0, n - 1).all()
    if "--exclude" in flags:
        # every value is one of the input's, on a row of its class
        for c in ("txn_id", "card"):
            pairs = set(zip(df[c], df["is_fraud"]))
            assert set(zip(got[c], got["is_fraud"])) <= pairs
    if "--index-col" in flags:
        assert got["row_id"].is_unique  # new rows got new labels
        assert list(got.columns)[:1] == ["row_id"]


@pytest.mark.parametrize("method", [OVER, CLEAN, CHAIN])
@pytest.mark.parametrize("case", list(FLAG_CASES))
def test_each_flag_on_dask_equals_the_in_memory_result(tmp_path, case, method):
    flags, ids = FLAG_CASES[case]
    df = _with_ids(_data()).drop(columns=[c for c in ID_COLUMNS if c not in ids])
    got, want = _dask_and_memory(tmp_path, df, *_method_flags(method), *flags)
    pd.testing.assert_frame_equal(got, want)
    _check_columns(got, df, flags)
    if method == OVER:  # the input's own partitions come first, as they are
        parts = sorted((tmp_path / "out").glob("*.parquet"))
        first = pd.concat([pd.read_parquet(f) for f in parts[:3]], ignore_index=True)
        pd.testing.assert_frame_equal(first[list(df.columns)], df)


@pytest.mark.parametrize("method", ["borderline1", "borderline2", "adasyn", "random", "tomek",
                                    "smote-enn"])
def test_the_flags_together_for_every_method_on_dask(tmp_path, method):
    flags, _ = FLAG_CASES["all three"]
    df = _with_ids(_data(seed=4))
    got, want = _dask_and_memory(tmp_path, df, *_method_flags(method), *flags)
    pd.testing.assert_frame_equal(got, want)
    _check_columns(got, df, flags)


@pytest.mark.parametrize("flags", [
    ["--categorical", "merchant"],
    ["--categorical", "merchant,count", "--exclude", "txn_id,card", "--index-col", "row_id",
     "--provenance"],
])
def test_smotenc_with_categorical_on_dask_equals_the_in_memory_result(tmp_path, flags):
    df = _with_ids(_data(seed=5))
    if "--exclude" not in flags:
        df = df.drop(columns=["row_id", "txn_id", "card"])
    got, want = _dask_and_memory(tmp_path, df, *_method_flags("smotenc"), *flags)
    pd.testing.assert_frame_equal(got, want)
    assert got["merchant"].dtype == df["merchant"].dtype  # the file's type, not category
    new = got.iloc[len(df):]
    assert set(new["merchant"]) <= set(df.loc[df["is_fraud"] == 1, "merchant"])


def test_the_id_hint_reads_the_first_partition(tmp_path):
    df = _with_ids(_data(seed=7)).drop(columns=["card", "merchant", "row_id"])
    _write_parts(df, tmp_path / "in")
    done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", "--target", "is_fraud")
    assert done.returncode == 0, done.stderr
    assert "gpusmote: hint: column 'txn_id' looks like a row number or an id" in done.stderr
    quiet = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out2", "--target",
                     "is_fraud", "--exclude", "txn_id")
    assert quiet.returncode == 0 and "hint" not in quiet.stderr


def test_each_file_is_read_once_with_the_excluded_columns(tmp_path, monkeypatch):
    """The output's original partitions are the input's own, and the excluded values
    of the new rows' parents come from that same read: each file is read once with
    every column, and no other read takes an excluded column (nor, with --index-col,
    the counting pass a feature)."""
    df = _with_ids(_data(seed=8)).drop(columns=["merchant"])
    _write_parts(df, tmp_path / "in")
    reads = logged_parquet_reads(monkeypatch)
    with dask.config.set(scheduler="synchronous"):  # the reads in this process
        done = main_cli("resample", tmp_path / "in", "-o", tmp_path / "out", "--target",
                        "is_fraud", "--sampling-strategy", "0.5", "--exclude", "txn_id,card",
                        "--index-col", "row_id", "-q")
    assert done.returncode == 0, done.stderr
    features = ("f0", "f1", "f2", "f3", "count")
    for i in range(3):
        mine = [cols for f, cols in reads if f == f"part-{i}.parquet"]
        assert sorted(cols for cols in mine if "txn_id" in cols or "card" in cols) == \
            [tuple(df.columns)], mine
        # SMOTE's gather of the frauds (X with y), then the write
        assert len([cols for cols in mine if set(features) & set(cols)]) == 2, mine


def test_the_parents_excluded_values_must_fit_the_gather_budget(tmp_path):
    df = _with_ids(_data(seed=9)).drop(columns=["row_id", "merchant"])
    for j in range(3):
        df[f"note{j}"] = df["card"] + f"-{j}"
    _write_parts(df, tmp_path / "in")
    flags = ["--target", "is_fraud", "--sampling-strategy", "0.2"]
    # SMOTE's own gathers (160 rows of 5 numbers, 408 draws) fit; the parents' four
    # text values (64 bytes each, as counted) and an id do not
    with dask.config.set({"gpusmote.dask.gather-budget": "20KiB"}):
        plain = main_cli("resample", tmp_path / "in", "-o", tmp_path / "a", *flags,
                         "--exclude", "txn_id,card,note0,note1,note2")
        assert plain.returncode == 2
        line = error_line(plain)
        assert ("SMOTE on Dask gathers the passed-through values of the new rows' parents "
                "into one task") in line
        assert line.endswith("or pass fewer columns through (--exclude), or ask for fewer "
                             "new rows (--sampling-strategy).")
        assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


@pytest.fixture(scope="module")
def cluster_address():
    """A LocalCluster of worker processes (last in this module: its client becomes
    Dask's default for the tests after it)."""
    pytest.importorskip("distributed")
    for client in local_client():
        yield client.scheduler.address


@pytest.mark.parametrize("method", ["smote-enn", "smotenc"])
def test_the_flags_on_a_cluster_of_processes(tmp_path, cluster_address, method):
    """The tasks that add the columns travel to worker processes (pickled)."""
    flags = ["--index-col", "row_id", "--provenance"] + (
        ["--exclude", "txn_id,card", "--categorical", "merchant"] if method == "smotenc"
        else ["--exclude", "txn_id,card,merchant"])
    df = _with_ids(_data(seed=6))
    got, want = _dask_and_memory(tmp_path, df, *_method_flags(method), *flags,
                                 scheduler=cluster_address)
    pd.testing.assert_frame_equal(got, want)
