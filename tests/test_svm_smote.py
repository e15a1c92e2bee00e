"""SVMSMOTE: the danger and safe support vectors, the split of the new rows between
them and the class counts equal imbalanced-learn's; new rows lie on the segment
(danger) or the extrapolation ray (safe) they claim."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SVMSMOTE as ImbSVMSMOTE
from imblearn.over_sampling._smote.base import BaseSMOTE as ImbBaseSMOTE
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import SVC

from gpusmote._svm_smote import SVMSMOTE
from tests import _fake_cupy
from tests._helpers import brute_knn, segment_steps, to_numpy


def _data(n=600, seed=0, n_classes=3, sep=0.6):
    weights = [0.7, 0.2, 0.1] if n_classes == 3 else [0.85, 0.15]
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=weights, n_classes=n_classes, n_clusters_per_class=1,
                               class_sep=sep, flip_y=0, random_state=seed)
    return X, y


def _imblearn_parts(X, y, **params):
    """Run imbalanced-learn's SVMSMOTE and record, per class, each part it makes:
    (indices of the seed rows in X, rows asked, step size)."""
    parts = []
    original = ImbBaseSMOTE._make_samples
    row_of = {X[i].tobytes(): i for i in range(len(X))}

    def spy(self, X_seeds, y_dtype, y_type, nn_data, nn_num, n_samples, step_size=1.0,
            y=None):
        seeds = np.array([row_of[r.tobytes()] for r in np.asarray(X_seeds)])
        parts.append((y_type, np.sort(seeds), n_samples, step_size))
        return original(self, X_seeds, y_dtype, y_type, nn_data, nn_num, n_samples,
                        step_size, y)

    with pytest.MonkeyPatch.context() as patch:  # leaves the test's own patches alone
        patch.setattr(ImbBaseSMOTE, "_make_samples", spy)
        _, y_res = ImbSVMSMOTE(**params).fit_resample(X, y)
    return parts, y_res


def _our_parts(sampler, y, n):
    """Per class, (danger seeds, rows from them), (safe seeds, rows from them)."""
    base = to_numpy(sampler.base_indices_)
    out = {}
    for label in sampler.danger_indices_:
        danger = to_numpy(sampler.danger_indices_[label])
        safe = to_numpy(sampler.safe_indices_[label])
        of_class = base[y[base] == label]
        out[label] = ((danger, int(np.isin(of_class, danger).sum())),
                      (safe, int(np.isin(of_class, safe).sum())))
    return out


def _check_equal_to_imblearn(sampler, theirs, X, y, y_res, y_imb):
    assert Counter(to_numpy(y_res).tolist()) == Counter(y_imb.tolist())
    ours = _our_parts(sampler, y, len(X))
    expected = {}
    for label, seeds, n_samples, step in theirs:
        part = 0 if step == 1.0 else 1
        expected.setdefault(label, [None, None])[part] = (seeds, n_samples)
    assert set(ours) == set(expected)
    for label, (danger, safe) in ours.items():
        for (seeds, n_made), want in zip((danger, safe), expected[label]):
            if want is None:  # imbalanced-learn made no such part: the set is empty
                assert seeds.size == 0 and n_made == 0
            else:
                np.testing.assert_array_equal(seeds, want[0])
                assert n_made == want[1]


STRATEGIES = ["auto", "minority", "not majority", "all", "not minority",
              {1: 300, 2: 200}, lambda y: {2: 150}]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: str(s)[:12])
def test_seed_sets_split_and_counts_equal_imblearn(backend, xp, monkeypatch, strategy):
    X, y = _data()
    theirs, y_imb = _imblearn_parts(X, y, random_state=0,
                                    sampling_strategy=strategy)
    sampler = SVMSMOTE(random_state=0, sampling_strategy=strategy, backend=backend)
    _, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    _check_equal_to_imblearn(sampler, theirs, X, y, y_res, y_imb)


@pytest.mark.parametrize("strategy", [0.5, 1.0, "auto"])
@pytest.mark.parametrize("m", [3, 10])
def test_binary_float_strategies_and_m_equal_imblearn(backend, xp, monkeypatch, strategy, m):
    X, y = _data(n=400, seed=2, n_classes=2)
    params = {"random_state": 4, "sampling_strategy": strategy, "m_neighbors": m,
              "k_neighbors": 3}
    theirs, y_imb = _imblearn_parts(X, y, **params)
    sampler = SVMSMOTE(backend=backend, **params)
    _, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    _check_equal_to_imblearn(sampler, theirs, X, y, y_res, y_imb)


def test_a_random_state_instance_advances_as_in_imblearn(monkeypatch):
    # three classes: the second class's Beta comes after the first's SVC fit and
    # sample draws on the same instance
    X, y = _data()
    theirs, y_imb = _imblearn_parts(X, y, random_state=np.random.RandomState(7))
    sampler = SVMSMOTE(random_state=np.random.RandomState(7))
    _, y_res = sampler.fit_resample(X, y)
    _check_equal_to_imblearn(sampler, theirs, X, y, y_res, y_imb)


def test_only_safe_support_vectors_give_imblearns_short_count(backend, xp, monkeypatch):
    # well separated classes: no support vector has half of its neighbours in the
    # other class, so only the safe part (n - int(f (n + 1)) rows) is made
    X, y = _data(n=400, seed=1, n_classes=2, sep=3.0)
    theirs, y_imb = _imblearn_parts(X, y, random_state=0)
    sampler = SVMSMOTE(random_state=0, backend=backend)
    _, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    assert to_numpy(sampler.danger_indices_[1]).size == 0
    counts = Counter(to_numpy(y_res).tolist())
    assert counts[1] < counts[0]  # imbalanced-learn's count, not the one asked
    _check_equal_to_imblearn(sampler, theirs, X, y, y_res, y_imb)


def _claimed_steps(X, new, base, table, danger, out_step, atol):
    """Per new row, its step along the nearest of its base's k segments: from a
    danger base to a neighbour, from a safe base to the neighbour's mirror image
    scaled by ``out_step`` (a step t in [0, 1] there is -t * out_step along the
    neighbour's direction); NaN where the row is on none of them."""
    k = table.shape[1]
    steps = np.empty(len(new))
    for i, a in enumerate(base):
        b = table[a]
        ends = X[b] if a in danger else X[a] - out_step * (X[b] - X[a])
        pairs = np.c_[np.zeros(k, dtype=np.int64), 1 + np.arange(k)]
        _, t = segment_steps(np.vstack([X[a], ends]), new[i:i + 1], pairs, atol=atol)
        steps[i] = t[0]
    return steps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("out_step", [0.5, 0.2])
def test_new_rows_lie_on_the_segment_or_ray_they_claim(backend, xp, dtype, out_step):
    X, y = _data(n=300)
    X = X.astype(dtype)
    sampler = SVMSMOTE(k_neighbors=4, out_step=out_step, random_state=1, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    assert X_res.dtype == dtype
    np.testing.assert_array_equal(X_res[:len(X)], X)
    new, base = X_res[len(X):], to_numpy(sampler.base_indices_)
    assert len(base) == len(new)
    np.testing.assert_array_equal(y[base], y_res[len(X):])
    X64 = X.astype(np.float64)
    table = np.zeros((len(X), 4), dtype=np.int64)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        table[rows] = rows[brute_knn(X64[rows], 4)[1]]
    danger = np.concatenate([to_numpy(v) for v in sampler.danger_indices_.values()])
    safe = np.concatenate([to_numpy(v) for v in sampler.safe_indices_.values()])
    assert danger.size and safe.size and np.isin(base, safe).any()
    t = _claimed_steps(X64, new, base, table, set(danger.tolist()), out_step,
                       atol=1e-5 if dtype == np.float32 else 1e-9)
    assert ((t >= 0) & (t <= 1)).all(), t  # NaN: off its base's segments


def test_steps_go_both_ways_and_reach_out_step():
    # the safe part really extrapolates (negative steps) and the danger part
    # interpolates; neither is a copy of the other
    X, y = _data()
    sampler = SVMSMOTE(k_neighbors=3, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    base = sampler.base_indices_
    new = X_res[len(X):]
    table = np.zeros((len(X), 3), dtype=np.int64)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        table[rows] = rows[brute_knn(X[rows], 3)[1]]
    ts = []
    for i in range(len(new)):
        a, b = X[base[i]], X[table[base[i]]]
        d = b - a
        t = ((new[i] - a) * d).sum(1) / (d * d).sum(1)
        resid = np.abs(new[i] - (a + t[:, None] * d)).max(1)
        ts.append(t[resid.argmin()])
    ts = np.array(ts)
    safe = np.isin(base, np.concatenate(list(sampler.safe_indices_.values())))
    assert (ts[safe] <= 1e-12).all() and (ts[safe] > -0.5).all() and ts[safe].min() < -0.4
    assert (ts[~safe] >= -1e-12).all() and (ts[~safe] < 1).all() and ts[~safe].max() > 0.9


def test_neighbour_objects_give_the_same_as_ints():
    X, y = _data()
    a = SVMSMOTE(random_state=42).fit_resample(X, y)
    b = SVMSMOTE(random_state=42, k_neighbors=NearestNeighbors(n_neighbors=6),
                 m_neighbors=NearestNeighbors(n_neighbors=11),
                 svm_estimator=SVC(gamma="scale", random_state=42)).fit_resample(X, y)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_same_seed_same_output_and_fitted_attributes(backend, xp):
    X, y = _data()
    a = SVMSMOTE(random_state=5, backend=backend)
    b = SVMSMOTE(random_state=5, backend=backend)
    Xa, _ = a.fit_resample(xp.asarray(X), xp.asarray(y))
    Xb, _ = b.fit_resample(xp.asarray(X), xp.asarray(y))
    np.testing.assert_array_equal(to_numpy(Xa), to_numpy(Xb))
    assert isinstance(a.svm_estimator_, SVC) and hasattr(a.svm_estimator_, "support_")
    assert a.nn_k_.n_neighbors == 6 and a.nn_m_.n_neighbors == 11
    assert a.backend_ == ("cupy" if backend == "cupy" else "numpy")


def test_dataframe_in_dataframe_out():
    X, y = _data(n=300)
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(1000, 1300))
    X_res, y_res = SVMSMOTE(random_state=0).fit_resample(df, pd.Series(y, index=df.index))
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list("abcde")
    assert list(X_res.index[:300]) == list(df.index)
    pd.testing.assert_frame_equal(X_res.iloc[:300], df)
    assert isinstance(y_res, pd.Series) and len(y_res) == len(X_res)


def test_sparse_input_gives_sparse_output_equal_to_dense():
    from scipy import sparse

    X, y = _data(n=300)
    dense = SVMSMOTE(random_state=0).fit_resample(X, y)[0]
    X_sp, _ = SVMSMOTE(random_state=0).fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)
    np.testing.assert_allclose(X_sp.toarray(), dense, rtol=1e-12, atol=1e-12)


def test_cupy_input_downloads_X_once_for_the_svm(monkeypatch):
    cp = _fake_cupy.install(monkeypatch)
    X, y = _data(n=600)
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    sampler = SVMSMOTE(random_state=0, backend="cupy")
    X_res, _ = sampler.fit_resample(X_dev, y_dev)
    assert isinstance(X_res, cp.ndarray)
    down = _fake_cupy.transferred("d2h")
    assert down.count(X.nbytes) == 1, cp.transfers  # X, once, for the host SVM
    assert sum(down) < X.nbytes + y.nbytes + 64 * 1024, cp.transfers
    assert isinstance(sampler.base_indices_, cp.ndarray)


def test_all_noise_is_refused_with_the_fix():
    X, y = make_classification(n_classes=3, class_sep=0.001, weights=[0.004, 0.451, 0.545],
                               n_informative=3, n_redundant=0, flip_y=0, n_features=3,
                               n_clusters_per_class=2, n_samples=1000, random_state=10)
    with pytest.raises(ValueError, match=r"all \d+ support vectors of class 0 are noise.*"
                       r"SVM-SMOTE is not adapted to your dataset: use SMOTE"):
        SVMSMOTE(k_neighbors=4, random_state=42).fit_resample(X, y)
    with pytest.raises(ValueError, match="SVM-SMOTE is not adapted to your dataset"):
        ImbSVMSMOTE(k_neighbors=4, random_state=42).fit_resample(X, y)


@pytest.mark.parametrize("params, error, match", [
    ({"svm_estimator": LogisticRegression()}, RuntimeError,
     r"svm_estimator=LogisticRegression\(\) has no `support_`.*for example sklearn.svm.SVC"),
    ({"out_step": 1.5}, ValueError, "'out_step' parameter of SVMSMOTE must be"),
    ({"m_neighbors": 0}, ValueError, "'m_neighbors' parameter"),
    ({"svm_estimator": "svc"}, ValueError, "'svm_estimator' parameter"),
    ({"m_neighbors": 700}, ValueError,
     r"m_neighbors=700 is too large.*X has only 600 rows.*m_neighbors <= 599"),
    ({"k_neighbors": 100}, ValueError,
     r"class 2 has 60 rows; SVMSMOTE needs k_neighbors \+ 1 = 101 .*works is 59"),
    ({"backend": "gpu"}, ValueError, "'backend' parameter of SVMSMOTE"),
])
def test_bad_input(params, error, match):
    X, y = _data()
    with pytest.raises(error, match=match):
        SVMSMOTE(**params).fit_resample(X, y)


def test_extrapolation_that_would_overflow_is_refused():
    X, y = _data(n=300)
    X = X.astype(np.float32)
    # span 1.8e38 fits float32; 3.3e38 + 0.5 * 1.8e38 does not (refused before the SVM)
    X[y == 1, 0] = np.linspace(1.5e38, 3.3e38, (y == 1).sum())
    with pytest.raises(ValueError, match=r"SVMSMOTE: column 0 of class 1 .*extrapolated "
                       r".*out_step=0.5.*float32's largest.*lower out_step"):
        SVMSMOTE(random_state=0).fit_resample(X, y)


def test_extrapolation_through_the_cuda_source_on_the_stand_in(fake_cupy_real_kernels,
                                                               monkeypatch):
    """The negative steps of the safe part go through the interpolation kernel
    itself (built for the CPU): bit for bit its specification."""
    cp = fake_cupy_real_kernels
    X, y = _data(n=200, n_classes=2, seed=2)
    X = X.astype(np.float32)
    sampler = SVMSMOTE(random_state=0, backend="cupy")
    X_res = to_numpy(sampler.fit_resample(X, y)[0])
    assert to_numpy(sampler.safe_indices_[1]).size  # some rows are extrapolated
    assert "gpusmote_interpolate" in {k.name for k in cp.launches}
    if cp.emulation is not None:
        assert cp.emulated_launches >= 1
    monkeypatch.setattr(_fake_cupy.module, "emulation", None)  # the specification now
    X_spec = to_numpy(SVMSMOTE(random_state=0, backend="cupy").fit_resample(X, y)[0])
    np.testing.assert_array_equal(X_res, X_spec)
