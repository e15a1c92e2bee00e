"""``gpusmote resample`` on Dask (issue 14 item 2): a directory or a glob of Parquet
files in, a directory of Parquet files out, equal to the in-memory command's
result on the same rows."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_cli import error_line, main_cli

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")


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
    pd.testing.assert_frame_equal(_read_dir(tmp_path / "out"), _read_dir(tmp_path / "out2"))


@pytest.mark.parametrize("extra, match", [
    (["--provenance"], "--provenance is not available on the Dask engine yet"),
    (["--exclude", "count"], "--exclude is not available on the Dask engine yet"),
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
