"""The one-call GPU check (``benchmarks/device_check.sh``) cannot rot: CI runs it end
to end in its dry profile on the CuPy stand-in, at a thousandth of the workloads'
rows with the GPU tests and compute-sanitizer skipped, and reads every JSON it
promises. A device session then spends its minutes measuring, not debugging. The
dry run is marked slow: ``make test`` skips it and ``.ci/run`` runs it after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpusmote import bench
from gpusmote.backends import _kernels

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "device_check.sh"

# Every Python process the script starts runs this first (it is put on PYTHONPATH
# as sitecustomize): the first ``import cupy`` gets the stand-in, so gpusmote and
# the steps see a "GPU"; processes that never import CuPy pay nothing.
BOOTSTRAP = f'''
import importlib.abc, importlib.util, sys

sys.path.insert(0, {str(ROOT)!r})


class _FakeCupyFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "cupy":
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        sys.meta_path.remove(self)
        import pytest
        from tests import _fake_cupy
        return _fake_cupy.install(pytest.MonkeyPatch())  # never undone: the process ends

    def exec_module(self, module):
        pass


if "cupy" not in sys.modules:
    sys.meta_path.insert(0, _FakeCupyFinder())
'''


def test_imblearn_repeat_runs_imblearn_in_the_first_rounds_only():
    r = bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "numpy", "float32", repeat=3,
                           scale=0.01, min_seconds=0, idle_gap=0, imblearn_repeat=1)
    assert len(r["runs"]["gpusmote"]) == 3 and len(r["runs"]["imblearn"]) == 1
    assert r["imblearn_repeat"] == 1 and r["speedup_vs_imblearn"] > 0
    with pytest.raises(ValueError, match="imblearn_repeat"):
        bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "numpy", "float32", repeat=1,
                           scale=0.01, min_seconds=0, idle_gap=0, imblearn_repeat=0)


def test_tree_hash_ignores_bytecode_and_sees_every_change(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from device_check import tree_hash
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    pkg = tmp_path / "pkg"
    (pkg / "sub" / "__pycache__").mkdir(parents=True)
    (pkg / "a.py").write_text("a = 1\n")
    (pkg / "sub" / "b.py").write_text("b = 2\n")
    before = tree_hash(pkg)
    (pkg / "sub" / "__pycache__" / "b.cpython-312.pyc").write_bytes(b"\0")
    (pkg / "notes.txt").write_text("not code")
    assert tree_hash(pkg) == before
    (pkg / "sub" / "b.py").write_text("b = 3\n")
    assert tree_hash(pkg) != before


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    """One dry run of the whole script; (exit code, run.log, $OUT)."""
    if sys.modules.get("cupy") is not None and not getattr(sys.modules["cupy"], "FAKE", False):
        pytest.skip("a real CuPy is here: run benchmarks/device_check.sh itself")
    tmp = tmp_path_factory.mktemp("device_check")
    boot, out = tmp / "boot", tmp / "out"
    boot.mkdir()
    (boot / "sitecustomize.py").write_text(BOOTSTRAP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DC_")}
    env.update(PYTHON=sys.executable, OUT=str(out), DC_PROFILE="dry", PYTHONPATH=str(boot),
               DC_WHEELS=str(tmp / "no-wheels"))
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=tmp, env=env, capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, (out / "run.log").read_text(), out


def _json(out: Path, name: str) -> dict:
    return json.loads((out / name).read_text())


@pytest.mark.slow  # ~20 s of CPU in five processes: .ci/run runs it, make test skips it
def test_dry_run_runs_every_step(dry_run):
    rc, log, out = dry_run
    assert rc == 0, log
    for name in ("env", "W3", "W2", "diag", "W5U"):
        assert f"=== {name}: rc=0 in" in log, log
    assert "=== SKIP W3-imblearn (DC_W3_IMBLEARN=1 runs it)" in log
    assert "TIMEOUT" not in log and "=== done in" in log
    assert "=== SKIP gpu-tests (DC_SKIP)" in log and "=== SKIP sanitizer (DC_SKIP)" in log
    assert "no wheels in" in log and "gpusmote/ hash: tree" in log  # runs from the tree
    # at most 8 files come back from the device; extra.json once EXTRA_WORKLOADS names
    # any; gpu-tests.log (tests and sanitizer) only where those steps run
    files = {p.name for p in out.iterdir()}
    promised = {"run.log", "env.json", "W3.json", "W2.json", "diag.json", "W5U.json"}
    assert promised <= files <= promised | {"extra.json", "gpu-tests.log"}
    assert len(files | {"gpu-tests.log"}) <= 8
    if "extra.json" in files:
        assert "=== extra: rc=0 in" in log
        assert all("error" not in r for r in _json(out, "extra.json")["results"])


@pytest.mark.slow
def test_dry_run_env_json(dry_run):
    env = _json(dry_run[2], "env.json")
    assert env["failed"] == [], env
    assert env["versions"]["fake_cupy"] is True
    assert set(env["kernel_build"]["kernels"]) == set(_kernels.name_expressions())
    for smoke in ("smoke_kneighbors", "smoke_interpolate", "smoke_smote"):
        assert "error" not in env[smoke], env[smoke]


@pytest.mark.slow
def test_dry_run_bench_jsons(dry_run):
    out = dry_run[2]
    w3 = _json(out, "W3.json")
    assert w3["machine"]["versions"]["gpusmote"] and w3["settings"]["with_imblearn"] is False
    (r,) = w3["results"]
    assert (r["workload"], r["backend"], r["input"]) == ("W3", "cupy", "device")
    assert "fraction_of_roofline" in r and "imblearn" not in r["runs"]
    w2 = _json(out, "W2.json")
    assert [(r["workload"], r["input"]) for r in w2["results"]] == [("W2", "device"),
                                                                    ("W2", "host")]
    for r in w2["results"]:
        assert "error" not in r and r["speedup_vs_imblearn"] > 0
        assert len(r["runs"]["imblearn"]) <= 3 and r["imblearn_repeat"] == 3
    w5u = _json(out, "W5U.json")
    assert [r["method"] for r in w5u["results"]] == [
        "CondensedNearestNeighbour", "NeighbourhoodCleaningRule", "AllKNN"]
    for r in w5u["results"]:
        assert "error" not in r and r["backend"] == "cupy" and "imblearn" not in r["runs"]


@pytest.mark.slow
def test_dry_run_diag_json(dry_run):
    diag = _json(dry_run[2], "diag.json")
    assert diag["failed"] == [], diag
    assert set(diag["phase_a"]) == {"default", "16", "64", "256", "1024"}
    assert diag["phase_a"]["default"]["launches"] >= 1
    assert diag["exactness"]["rows_with_other_indices"] == 0
    assert diag["outside_kernels"]["median_run_s"] > 0
    assert set(diag["host_work"]) >= {"encode_labels_host_s", "encode_labels_device_s",
                                      "check_finite_X_s"}


def test_the_old_per_step_script_is_gone():
    assert not (ROOT / "benchmarks" / "gpu_session.sh").exists()
    for doc in ("README.md", "DEVELOPERS.md", "benchmarks/README.md"):
        assert "gpu_session" not in (ROOT / doc).read_text(), doc
