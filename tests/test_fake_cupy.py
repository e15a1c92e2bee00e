"""The CuPy code path on CPU-only machines, through the NumPy stand-in for CuPy.

Every sampler runs imbalanced-learn's and scikit-learn's estimator checks with
``backend="cupy"``: host data goes through ``CupyBackend`` (upload, blocked
search, kernel launches, generation, download), so a NumPy function applied
to a device array, a host array mixed into device arithmetic or a kernel
argument of the wrong C type fails here rather than first on a GPU. The
stand-in's own strictness is tested at the end, so that these checks can fail.
"""

import numpy as np
import pytest
from imblearn.utils.estimator_checks import (
    estimator_checks_generator as imblearn_checks,
)
from sklearn.base import clone
from sklearn.utils.estimator_checks import estimator_checks_generator as sklearn_checks

from gpusmote import SMOTE
from gpusmote.backends import _kernels

from . import test_estimator_checks_family as family
from ._helpers import brute_knn, on_segments, to_numpy


def _on_cupy(sampler):
    """A copy of ``sampler`` with every ``backend`` (nested steps' too) set to cupy."""
    sampler = clone(sampler)
    return sampler.set_params(**{name: "cupy" for name in sampler.get_params(deep=True)
                                 if name == "backend" or name.endswith("__backend")})


SAMPLERS = [_on_cupy(s) for s in [SMOTE(random_state=0), *family.SAMPLERS]]


# The checks whose data takes a different road on the CuPy path (dtypes, sparse,
# pandas, strings and objects, NaN and inf, one-vs-all and 2-D targets, tiny
# shapes): every sampler runs these on the stand-in. The rest never touch the
# backend (parameters, tags, repr, pickling, cloning) or reach it as the same
# NumPy array as one of these (lists, read-only, F-ordered, a second sparse
# format); they run on NumPy in test_estimator_checks*.py, and SMOTE, the
# template every sampler shares, runs them all here too.
DATA_CHECKS = {
    "check_samplers_fit_resample", "check_samplers_sparse", "check_samplers_pandas",
    "check_samplers_multiclass_ova", "check_samplers_2d_target",
    "check_samplers_preserve_dtype", "check_samplers_sample_indices", "check_samplers_string",
    "check_samplers_nan", "check_samplers_one_label", "check_estimators_dtypes",
    "check_estimators_nan_inf", "check_dtype_object", "check_fit2d_1sample",
    "check_fit2d_1feature", "check_complex_data",
}


def _cases():
    cases = []
    for est in SAMPLERS:
        name = type(est).__name__
        mine = list(imblearn_checks(
            est, mark="xfail",
            expected_failed_checks=family.IMBLEARN_EXPECTED_FAILURES.get(name)))
        mine += list(sklearn_checks(est, mark="xfail",
                               expected_failed_checks=family._sklearn_expected(est)))
        if name != "SMOTE":
            mine = [case for case in mine if _check_name(case) in DATA_CHECKS]
        cases += mine
    return cases


def _check_name(case):
    values = case.values if hasattr(case, "values") else case  # pytest.param or a tuple
    return family._check_id(values[1])


@pytest.mark.parametrize("estimator, check", _cases(), ids=family._check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)


# -- the stand-in is strict where CuPy is --------------------------------------

def test_device_arrays_do_not_mix_with_host_arrays(fake_cupy):
    cp = fake_cupy
    a = cp.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        a + np.arange(3.0)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        cp.concatenate([a, np.arange(3.0)])
    assert isinstance(a.sum(), cp.ndarray) and a.sum().ndim == 0  # 0-d, as CuPy
    assert isinstance(np.concatenate([a, a]), cp.ndarray)         # NEP 18 dispatch
    assert float(a.max()) == 2.0


def test_device_arrays_hold_numbers_only(fake_cupy):
    with pytest.raises(ValueError, match="Unsupported dtype"):
        fake_cupy.asarray(np.array(["a", "b"], dtype=object))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        fake_cupy.asarray(np.array(["a", "b"]))


def test_set_checks_dtype_and_shape(fake_cupy):
    a = fake_cupy.empty(4, dtype=np.float32)
    with pytest.raises(TypeError):
        a.set(np.zeros(4))
    with pytest.raises(ValueError):
        a.set(np.zeros(3, dtype=np.float32))


def test_kernel_launch_checks_argument_c_types(fake_cupy):
    cp = fake_cupy
    X = cp.asarray(np.ones((4, 2), dtype=np.float32))
    rows = cp.asarray(np.arange(4))
    steps = cp.asarray(np.full(4, 0.5, dtype=np.float32))
    out = cp.empty((4, 2), dtype=np.float32)
    kernel = _kernels.interpolate_kernel(0, "float32")
    grid, block = _kernels.interpolate_geometry(4, 2)
    with pytest.raises(TypeError, match="argument 5: want long long"):
        kernel(grid, block, (X, rows, rows, steps, out, 4, np.int64(2)))  # Python int
    with pytest.raises(TypeError, match="argument 3: want float"):
        kernel(grid, block, (X, rows, rows, steps.astype(np.float64), out,
                             np.int64(4), np.int64(2)))
    args = (X, rows, rows, steps, out, np.int64(4), np.int64(2))
    with pytest.raises(AssertionError):  # the 1-D launch of before
        kernel((1,), (_kernels.INTERP_THREADS,), args)
    with pytest.raises(ValueError, match="1024 threads"):  # as a device refuses it
        kernel(grid, (64, 32), args)
    with pytest.raises(ValueError, match="each dimension"):
        kernel((1, 70000), block, args)
    with pytest.raises(TypeError, match="tuple"):
        kernel([1, 1], block, args)
    kernel(grid, block, args)
    np.testing.assert_array_equal(out.get(), np.ones((4, 2)))


def test_samplers_really_launch_the_kernels(fake_cupy):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = (rng.random(300) < 0.2).astype(int)
    SMOTE(backend="cupy", random_state=0).fit_resample(X, y)
    launched = {k.name for k in fake_cupy.launches}
    assert launched == {"gpusmote_topk_update", "gpusmote_interpolate"}


def test_gpu_benchmark_runs_end_to_end(fake_cupy, tmp_path, monkeypatch):
    """The GPU branch of ``gpusmote bench``: device phases, peak device memory,
    roofline floor and the PyTorch baseline's place in the JSON and table."""
    import builtins
    import json

    from gpusmote import bench

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):  # the baseline is skipped, with a note
        if name == "torch":
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    results, path = bench.run(["W1"], ["cupy"], repeat=1, profile="quick",
                              out_dir=str(tmp_path), with_imblearn=False,
                              min_seconds=0, idle_gap=0)
    saved = json.loads(open(path).read())
    assert saved["machine"]["gpu"]["name"] == "Fake CuPy on NumPy" and "_gpu_" in path
    r = saved["results"][0]
    assert r["backend"] == "cupy" and r["rows_out"] == 2 * r["class_counts"][0]
    assert "peak_device_bytes" in r["runs"]["gpusmote"][0]
    assert r["roofline_floor_seconds"] > 0 and r["fraction_of_roofline"] > 0
    assert r["torch_baseline"] is None and "PyTorch" in r["torch_note"]
    table = bench.format_table(results)
    assert "roofline" in table and "%" in table.splitlines()[-1]


def test_host_input_on_the_gpu_times_the_transfers_as_their_own_phase(fake_cupy):
    from gpusmote import bench

    r = bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "cupy", np.float32, repeat=1,
                           scale=0.05, with_imblearn=False, min_seconds=0, idle_gap=0,
                           input="host")
    assert r["input"] == "host" and "fraction_of_roofline" not in r
    run = r["runs"]["gpusmote"][0]
    assert {"transfer", "validation", "neighbours", "generation", "assembly"} <= set(
        run["phases"])
    assert sum(run["phases"].values()) <= run["seconds"] * 1.01  # nested phases not twice
    label = bench.format_table({"results": [r]}).splitlines()[-1]
    assert "cupy(host)" in label


def test_gpu_warm_up_runs_the_full_input_and_is_kept_as_the_first_call(
        fake_cupy, monkeypatch):
    # CuPy compiles a kernel on its first use, and a slice takes other search
    # paths than the full input: a warm-up on a slice left CNN's compilation
    # in its timed run (6.3 s of a 0.16 s run on an H100)
    from gpusmote import bench

    sizes = []
    make = bench._sampler

    def counting(*args, **kwargs):
        sampler = make(*args, **kwargs)
        fit = sampler.fit_resample
        sampler.fit_resample = lambda X, y: (sizes.append(X.shape[0]), fit(X, y))[1]
        return sampler

    monkeypatch.setattr(bench, "_sampler", counting)
    r = bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "cupy", np.float32, repeat=2,
                           scale=0.05, with_imblearn=False, min_seconds=0, idle_gap=0)
    assert sizes == [r["rows"]] * 3  # the warm-up, then two timed runs
    assert r["first_call_seconds"] > 0 and r["repeat"] == 2
    # on the CPU the warm-up stays a slice (a full run may take minutes) and
    # no first call is reported
    sizes.clear()
    r = bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "numpy", np.float32, repeat=1,
                           scale=0.5, with_imblearn=False, min_seconds=0, idle_gap=0)
    assert sizes == [20_000, r["rows"]] and r["first_call_seconds"] is None


def test_gpu_benchmark_compares_the_neighbour_search_with_the_torch_baseline(
        fake_cupy, monkeypatch):
    import sys
    import types

    from gpusmote import _bench_gpu, bench

    calls = []

    def fake_baseline(X_class, k, n_new):
        calls.append((X_class.shape, k, n_new))
        return {"transfer": 0.0, "neighbours": 10.0, "generation": 1.0, "total": 11.0,
                "device": "fake"}

    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    monkeypatch.setattr(_bench_gpu, "torch_baseline", fake_baseline)
    r = bench.run_workload(bench.WORKLOADS["W1"], "SMOTE", "cupy", np.float32, repeat=2,
                           scale=0.05, with_imblearn=False, min_seconds=0, idle_gap=0)
    n_min, n_maj = sorted(r["class_counts"])
    assert calls == [((n_min, 30), 5, n_maj - n_min)] * 2  # the minority class, per round
    assert r["torch_median_seconds"] == 11.0
    # the whole search: neighbours and its inner phases (prepare, refine, recheck)
    ours = np.median([sum(v for name, v in run["phases"].items() if name.startswith("neighbours"))
                      for run in r["runs"]["gpusmote"]])
    assert ours > np.median([run["phases"]["neighbours"] for run in r["runs"]["gpusmote"]])
    assert r["neighbours_speedup_vs_torch"] == pytest.approx(10.0 / ours)


# -- the real CUDA source behind the stand-in's launches -------------------------

def _tied_data(n, d, dtype, seed):
    """Points of a small integer grid, a few of them repeated: many rows are at
    equal distances from a row, more than the search keeps candidates, so the
    kernel's lower-index rule decides which are kept."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n, d)).astype(np.float64)
    X[n // 3: n // 3 + 4] = X[n - 1]  # and a few copies of the last row
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kneighbors_on_the_stand_in_runs_the_cuda_source(fake_cupy_real_kernels, dtype):
    """kneighbors on the CuPy path with the CUDA top-k kernel itself: exact
    neighbour sets, ties to the lower index; a kernel that differs from its
    specification (say, its tie rule flipped) fails here."""
    from gpusmote.neighbors import kneighbors

    cp = fake_cupy_real_kernels
    X = _tied_data(45, 3, dtype, seed=1)
    dist, idx = kneighbors(cp.asarray(X), 5, backend="cupy")
    want_d2, want_idx = brute_knn(X, 5)
    np.testing.assert_array_equal(to_numpy(idx), want_idx)
    np.testing.assert_allclose(to_numpy(dist).astype(np.float64) ** 2, want_d2,
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-12)
    if cp.emulation is not None:
        assert cp.emulated_launches >= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smote_on_the_stand_in_runs_the_cuda_source(fake_cupy_real_kernels, monkeypatch,
                                                    dtype):
    """SMOTE on the CuPy path with both CUDA kernels themselves (top-k and
    interpolation): the same rows, bit for bit, as with the kernels'
    specification, every new row on a segment to a true neighbour."""
    from . import _fake_cupy

    cp = fake_cupy_real_kernels
    rng = np.random.default_rng(2)
    X_min = _tied_data(36, 3, np.float64, seed=3)
    X = np.vstack([X_min, 4 + rng.standard_normal((80, 3))]).astype(dtype)
    y = np.r_[np.ones(36, dtype=int), np.zeros(80, dtype=int)]
    X_res = to_numpy(SMOTE(random_state=0, backend="cupy").fit_resample(X, y)[0])
    launched = {k.name for k in cp.launches}
    assert launched == {"gpusmote_topk_update", "gpusmote_interpolate"}
    if cp.emulation is not None:
        assert cp.emulated_launches >= 2
    monkeypatch.setattr(_fake_cupy.module, "emulation", None)  # the specification now
    X_spec = to_numpy(SMOTE(random_state=0, backend="cupy").fit_resample(X, y)[0])
    np.testing.assert_array_equal(X_res, X_spec)
    assert X_res.dtype == dtype and len(X_res) == 160
    _, nn = brute_knn(X[:36], 5)
    assert on_segments(X, X_res[116:], np.arange(36), nn,
                       atol=1e-5 if dtype == np.float32 else 1e-9).all()


def test_a_dominant_column_self_search_meets_its_references_in_index_order(
        fake_cupy, monkeypatch):
    """Along a dominant column the queries are sorted, but on the GPU (which
    skips no blocks) the references stay in index order, each row's own
    column masked by index. Sorted too, every block nearer a row would beat
    the row's bar and the top-k kernel would merge its pool after each tile
    (S10 on an H100: 8.6 -> 29.8 ms; rising scores merge at every tile in
    test_kernels.py's test_emulated_topk_merges_mid_row_when_the_pending_area_fills)."""
    from gpusmote.backends._cupy import CupyBackend
    from gpusmote.neighbors import kneighbors

    seen = []
    update = CupyBackend.topk_update

    def spy(self, state, G, half, col0, self_offset):
        G_host = to_numpy(G)
        rows, cols = np.nonzero(np.isneginf(G_host))
        seen.append((col0, self_offset, rows, cols + col0, G_host.shape))
        return update(self, state, G, half, col0, self_offset)

    monkeypatch.setattr(CupyBackend, "topk_update", spy)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 8)) * 1e-3  # one column in 1e9 next to ones in 1e-3
    X[:, 0] = rng.normal(size=3000) * 1e9
    order = np.argsort(X[:, 0], kind="stable")  # the queries' order along it
    _, idx = kneighbors(fake_cupy.asarray(X), 5, backend="cupy", working_memory=1)
    assert len(seen) > 1
    block_start = next_start = 0
    for col0, self_offset, rows, own, (n_rows, n_cols) in seen:
        assert self_offset is None
        if col0 == 0:  # a new block of queries
            block_start, next_start = next_start, next_start + n_rows
        # the masked scores are the block's queries' own rows, by index in X
        mine = order[block_start:block_start + n_rows]
        inside = (mine >= col0) & (mine < col0 + n_cols)
        np.testing.assert_array_equal(rows, np.flatnonzero(inside))
        np.testing.assert_array_equal(own, mine[inside])
    assert next_start == len(X)
    rows = np.arange(0, len(X), 97)
    np.testing.assert_array_equal(to_numpy(idx)[rows], brute_knn(X, 6, X[rows])[1][:, 1:])
