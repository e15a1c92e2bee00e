"""Provenance of the over-samplers' rows (issue 16, item 1): ``sample_indices_``,
``synthetic_mask_``, ``synthetic_parents_``, ``synthetic_steps_`` (and
``base_indices_``), and the command line's ``--provenance`` columns.

Every synthetic row is rebuilt from its parents and step, bit for bit, on NumPy
and on the CuPy code path (the stand-in runs the kernel's specification)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_classification

from gpusmote._adasyn import ADASYN
from gpusmote._borderline import BorderlineSMOTE
from gpusmote._cleaning import EditedNearestNeighbours, TomekLinks
from gpusmote._combine import SMOTEENN, SMOTETomek
from gpusmote._generate import ClassPlan, Generated, generate
from gpusmote._kmeans_smote import KMeansSMOTE
from gpusmote._random import RandomOverSampler
from gpusmote._smote import SMOTE
from gpusmote._smote_nc import SMOTEN, SMOTENC
from gpusmote._svm_smote import SVMSMOTE
from gpusmote.backends import get_backend

from ._helpers import to_numpy

pd = pytest.importorskip("pandas")

# every over-sampler whose new rows are interpolated (or extrapolated) in X
INTERPOLATING = {
    "SMOTE": lambda: SMOTE(random_state=0),
    "BorderlineSMOTE-1": lambda: BorderlineSMOTE(random_state=0),
    "BorderlineSMOTE-2": lambda: BorderlineSMOTE(kind="borderline-2", random_state=0),
    "SVMSMOTE": lambda: SVMSMOTE(random_state=0),
    "KMeansSMOTE": lambda: KMeansSMOTE(kmeans_estimator=2, cluster_balance_threshold=0.05,
                                       random_state=0),
    "ADASYN": lambda: ADASYN(random_state=0),
    "SMOTEENN": lambda: SMOTEENN(random_state=0),
    "SMOTETomek": lambda: SMOTETomek(random_state=0),
}


def _data(n=240, seed=0, dtype=np.float64, n_classes=2):
    weights = [0.75, 0.25] if n_classes == 2 else [0.6, 0.25, 0.15]
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3,
                               n_classes=n_classes, weights=weights, class_sep=0.7,
                               random_state=seed)
    return X.astype(dtype), y


def rebuild(X, parents, steps):
    """``X[base] + step * (X[neighbour] - X[base])`` in X's dtype, operation by
    operation as NumPy's ``interpolate`` computes it (and the kernel's specification)."""
    base, nbr = X[parents[:, 0]], X[parents[:, 1]]
    diff = nbr - base
    diff *= steps.astype(X.dtype)[:, None]
    return base + diff


def _check_layout(sampler, X, X_res, n_new_expected=None):
    """Shapes, dtypes and the original rows: the same for every over-sampler."""
    mask, parents = to_numpy(sampler.synthetic_mask_), to_numpy(sampler.synthetic_parents_)
    steps, kept = to_numpy(sampler.synthetic_steps_), to_numpy(sampler.sample_indices_)
    n_out, n_new = X_res.shape[0], int(mask.sum())
    assert mask.dtype == bool and mask.shape == (n_out,)
    assert parents.dtype == np.int64 and parents.shape == (n_new, 2)
    assert steps.shape == (n_new,)
    assert kept.dtype == np.int64
    if n_new_expected is not None:
        assert n_new == n_new_expected
    if not isinstance(sampler, RandomOverSampler):  # ROS: imbalanced-learn's meaning
        assert kept.shape == (n_out - n_new,)
        np.testing.assert_array_equal(X_res[~mask], X[kept])
    np.testing.assert_array_equal(to_numpy(sampler.base_indices_), parents[:, 0])
    return mask, parents, steps, kept


# -- the rebuild, every over-sampler --------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", INTERPOLATING)
def test_every_synthetic_row_is_rebuilt_bit_for_bit(backend, xp, name, dtype):
    X, y = _data(dtype=dtype)
    sampler = INTERPOLATING[name]().set_params(backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res, y_res = to_numpy(X_res), to_numpy(y_res)
    mask, parents, steps, kept = _check_layout(sampler, X, X_res)
    assert mask.sum() > 20
    assert steps.dtype == dtype
    assert (parents >= 0).all() and (parents < len(X)).all()
    # bit for bit: the rows are exactly what their provenance says
    np.testing.assert_array_equal(rebuild(X, parents, steps), X_res[mask])
    # a new row has its base row's class
    np.testing.assert_array_equal(y[parents[:, 0]], y_res[mask])
    if name.startswith("SVMSMOTE"):
        assert (steps < 0).any() and (steps < 1).all() and (steps >= -0.5).all()
    elif name == "BorderlineSMOTE-2":
        other = y[parents[:, 1]] != y[parents[:, 0]]
        assert other.any() and (steps[other] < 0.5).all()
    else:
        assert ((steps >= 0) & (steps < 1)).all()
    if name in ("SMOTE", "ADASYN", "SVMSMOTE", "KMeansSMOTE"):  # output: X first, in order
        np.testing.assert_array_equal(kept, np.arange(len(X)))
        assert not mask[:len(X)].any() and mask[len(X):].all()


def test_provenance_follows_a_different_draw():
    """A wrong parent or step would still give rows on a segment: the rebuild is
    exact only with the row's own (checked with a second seed's provenance)."""
    X, y = _data()
    a, b = SMOTE(random_state=0), SMOTE(random_state=1)
    X_a, _ = a.fit_resample(X, y)
    b.fit_resample(X, y)
    assert not np.array_equal(rebuild(X, b.synthetic_parents_, b.synthetic_steps_),
                              X_a[a.synthetic_mask_])


def test_combined_samplers_follow_the_cleaner(backend, xp):
    """SMOTEENN / SMOTETomek: the originals the cleaner kept, and SMOTE's
    provenance for the synthetic rows it kept, in output order."""
    X, y = _data(n_classes=3)
    for sampler, cleaner in ((SMOTEENN(random_state=0), "enn_"),
                             (SMOTETomek(random_state=0), "tomek_")):
        X_res, _ = sampler.set_params(backend=backend).fit_resample(xp.asarray(X),
                                                                     xp.asarray(y))
        X_res = to_numpy(X_res)
        smote = sampler.smote_
        pos = to_numpy(getattr(sampler, cleaner).sample_indices_)
        n = len(X)
        mask = to_numpy(sampler.synthetic_mask_)
        np.testing.assert_array_equal(mask, pos >= n)
        np.testing.assert_array_equal(to_numpy(sampler.sample_indices_), pos[pos < n])
        np.testing.assert_array_equal(to_numpy(sampler.synthetic_parents_),
                                      to_numpy(smote.synthetic_parents_)[pos[mask] - n])
        np.testing.assert_array_equal(to_numpy(sampler.synthetic_steps_),
                                      to_numpy(smote.synthetic_steps_)[pos[mask] - n])
        if isinstance(sampler, SMOTEENN):
            assert (~mask).sum() < n  # the cleaner dropped originals


def test_random_over_sampler_copies_have_no_neighbour(backend, xp):
    X, y = _data()
    ros = RandomOverSampler(random_state=0, backend=backend)
    X_res, _ = ros.fit_resample(xp.asarray(X), xp.asarray(y))
    X_res = to_numpy(X_res)
    mask, parents, steps, kept = _check_layout(ros, X, X_res)
    np.testing.assert_array_equal(kept, ros.sample_indices_)  # imbalanced-learn's: every row
    assert kept.shape == (len(X_res),)
    np.testing.assert_array_equal(parents[:, 0], kept[mask])
    assert (parents[:, 1] == -1).all() and np.isnan(steps).all()
    np.testing.assert_array_equal(X_res[mask], X[parents[:, 0]])
    # the smoothed bootstrap: a parent, no neighbour, no step
    ros = RandomOverSampler(shrinkage=1.0, random_state=0, backend=backend)
    X_res, _ = ros.fit_resample(xp.asarray(X), xp.asarray(y))
    mask, parents, steps, _ = _check_layout(ros, X, to_numpy(X_res))
    assert (parents[:, 1] == -1).all() and np.isnan(steps).all()
    assert (y[parents[:, 0]] == 1).all()


def test_smotenc_numeric_columns_are_rebuilt_and_categories_voted(backend):
    rng = np.random.default_rng(0)
    X_num, y = _data()
    X = np.empty((len(y), 6), dtype=object)
    X[:, :5] = X_num
    X[:, 5] = rng.choice(["a", "b", "c"], len(y))
    nc = SMOTENC(categorical_features=[5], random_state=0, backend=backend)
    X_res, y_res = nc.fit_resample(X, y)
    mask, parents, steps, _ = _check_layout(nc, X, X_res)
    assert (parents[:, 1] >= 0).all() and (y[parents[:, 1]] == y_res[mask]).all()
    np.testing.assert_array_equal(rebuild(X_num, parents, steps),
                                  X_res[mask][:, :5].astype(np.float64))
    assert set(X_res[mask][:, 5]) <= {"a", "b", "c"}


def test_smoten_rows_have_a_voting_base_and_no_neighbour(backend):
    X = np.array(["A"] * 10 + ["B"] * 20 + ["C"] * 30, dtype=object).reshape(-1, 1)
    y = np.array([0] * 20 + [1] * 40)
    n = SMOTEN(random_state=0, backend=backend)
    X_res, _ = n.fit_resample(X, y)
    _, parents, steps, _ = _check_layout(n, X, X_res, n_new_expected=20)
    assert (y[parents[:, 0]] == 0).all() and (parents[:, 1] == -1).all()
    assert np.isnan(steps).all()


def test_sparse_X_provenance(backend):
    X, y = _data()
    Xs = sparse.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    sampler = SMOTE(random_state=0, backend=backend)
    X_res, _ = sampler.fit_resample(Xs, y)
    mask, parents, steps, _ = _check_layout(sampler, Xs.toarray(), X_res.toarray())
    np.testing.assert_allclose(rebuild(Xs.toarray(), parents, steps),
                               X_res.toarray()[mask], rtol=1e-12, atol=1e-12)
    assert isinstance(sampler.synthetic_parents_, np.ndarray)


# -- where the attributes live, when they are made --------------------------------
def test_attributes_live_where_X_came_from(fake_cupy):
    X, y = _data()
    host = SMOTE(random_state=0, backend="cupy")
    host.fit_resample(X, y)
    dev = SMOTE(random_state=0, backend="cupy")
    dev.fit_resample(fake_cupy.asarray(X), fake_cupy.asarray(y))
    for name in ("sample_indices_", "synthetic_mask_", "synthetic_parents_",
                 "synthetic_steps_", "base_indices_"):
        assert isinstance(getattr(host, name), np.ndarray), name
        assert isinstance(getattr(dev, name), fake_cupy.ndarray), name
        np.testing.assert_array_equal(getattr(host, name), to_numpy(getattr(dev, name)))


def test_host_X_on_the_device_downloads_provenance_only_when_read(fake_cupy):
    X, y = _data(600)
    sampler = SMOTEENN(random_state=0, backend="cupy")
    sampler.fit_resample(X, y)
    fake_cupy.transfers.clear()
    parents = sampler.synthetic_parents_
    read = sum(n for d, n, _ in fake_cupy.transfers if d == "d2h")
    # came down now (SMOTE's draw, at least the base and neighbour rows), not
    # during fit_resample (test_transfers counts what fit_resample moves)
    assert read >= parents.nbytes
    fake_cupy.transfers.clear()
    assert sampler.synthetic_parents_ is parents  # kept: a second read moves nothing
    assert not [t for t in fake_cupy.transfers if t[0] == "d2h"]


def test_not_there_before_fitting_and_renewed_by_each_fit():
    X, y = _data()
    sampler = SMOTE(random_state=0)
    for name in ("sample_indices_", "synthetic_mask_", "synthetic_parents_",
                 "synthetic_steps_", "base_indices_", "sample_weight_"):
        assert not hasattr(sampler, name)
    sampler.fit_resample(X, y, sample_weight=np.ones(len(y)))
    first = sampler.synthetic_parents_.copy()
    assert hasattr(sampler, "sample_weight_")
    sampler.set_params(random_state=1)
    X_res, _ = sampler.fit_resample(X[:200], y[:200])  # fewer rows, other draws
    assert not hasattr(sampler, "sample_weight_")  # this fit had no weights
    assert sampler.synthetic_mask_.shape == (len(X_res),)
    assert sampler.sample_indices_.shape == (200,)
    assert not np.array_equal(sampler.synthetic_parents_[:10], first[:10])
    np.testing.assert_array_equal(
        rebuild(X[:200], sampler.synthetic_parents_, sampler.synthetic_steps_),
        X_res[sampler.synthetic_mask_])


def test_fitted_samplers_pickle_with_their_provenance(backend, xp):
    X, y = _data()
    for sampler in (SMOTE(random_state=0), SMOTEENN(random_state=0)):
        sampler.set_params(backend=backend).fit_resample(xp.asarray(X), xp.asarray(y))
        copy = pickle.loads(pickle.dumps(sampler))
        np.testing.assert_array_equal(to_numpy(copy.synthetic_parents_),
                                      to_numpy(sampler.synthetic_parents_))
        np.testing.assert_array_equal(to_numpy(copy.synthetic_mask_),
                                      to_numpy(sampler.synthetic_mask_))


def test_dataframe_input_gives_positions():
    X, y = _data()
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(len(X)) * 7 + 100)
    sampler = SMOTE(random_state=0)
    X_res, _ = sampler.fit_resample(df, pd.Series(y, index=df.index))
    assert isinstance(sampler.synthetic_parents_, np.ndarray)
    mask = sampler.synthetic_mask_
    np.testing.assert_array_equal(
        rebuild(X, sampler.synthetic_parents_, sampler.synthetic_steps_),
        X_res.to_numpy()[mask])


def test_estimator_tags_say_over_samplers_have_sample_indices():
    from imblearn.utils._tags import get_tags

    for sampler in (SMOTE(), ADASYN(), RandomOverSampler(), SMOTEN(), SMOTEENN(),
                    SMOTETomek(), SMOTENC(categorical_features=[0])):
        assert get_tags(sampler).sampler_tags.sample_indices, type(sampler).__name__


def test_generate_returns_the_draw_with_the_rows():
    be = get_backend("numpy")
    X, y = _data()
    rows = np.flatnonzero(y == 1)
    plan = ClassPlan(1, rows, rows[np.roll(np.arange(rows.size), 1)][:, None], 30)
    made = generate(be, X, [plan], seed=3)
    assert isinstance(made, Generated)
    assert made.X.shape == (len(X) + 30, X.shape[1])
    np.testing.assert_array_equal(made.X[:len(X)], X)
    np.testing.assert_array_equal(
        rebuild(X, np.stack([made.base, made.neighbour], 1), made.steps), made.X[len(X):])


# -- the command line's --provenance ------------------------------------------------
# test_cli's helpers; that module skips itself without pyarrow, which only
# these tests need
try:
    from .test_cli import error_line, frame, main_cli
except pytest.skip.Exception:  # pragma: no cover - pyarrow is in the test extras
    error_line = frame = main_cli = None
needs_cli = pytest.mark.skipif(main_cli is None, reason="the CLI tests need pyarrow")


@needs_cli
@pytest.mark.parametrize("method", ["smote", "random", "svm-smote", "smote-enn", "smotenc",
                                    "tomek", "nearmiss-1"])
def test_cli_provenance_columns(tmp_path, method):
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df = frame(categorical=method == "smotenc")
    df.to_parquet(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", out, "--method", method,
                    "--provenance", "-q")
    assert proc.returncode == 0, proc.stderr
    res = pd.read_parquet(out)
    assert list(res.columns) == list(df.columns) + ["is_synthetic", "parent_row",
                                                    "neighbour_row"]
    new = res["is_synthetic"].to_numpy()
    parent, nbr = res["parent_row"].to_numpy(), res["neighbour_row"].to_numpy()
    assert res["is_synthetic"].dtype == bool and parent.dtype == np.int64
    assert ((parent >= 0) & (parent < len(df))).all()
    # original rows: their own position, no neighbour, the input's values
    assert (nbr[~new] == -1).all()
    pd.testing.assert_frame_equal(res.loc[~new, df.columns].reset_index(drop=True),
                                  df.iloc[parent[~new]].reset_index(drop=True))
    # new rows: of their parent's class; interpolated ones lie between parent and
    # neighbour (a float32 column, re-rounded: close, not exact)
    assert (df["label"].to_numpy()[parent[new]] == res["label"].to_numpy()[new]).all()
    if method in ("tomek", "nearmiss-1"):
        assert not new.any()
    elif method == "random":
        assert (nbr[new] == -1).all()
        pd.testing.assert_frame_equal(res.loc[new, df.columns].reset_index(drop=True),
                                      df.iloc[parent[new]].reset_index(drop=True))
    else:
        assert new.any() and (nbr[new] >= 0).all()
        a, b = df["score"].to_numpy()[parent[new]], df["score"].to_numpy()[nbr[new]]
        got = res["score"].to_numpy()[new]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        if method == "svm-smote":  # extrapolated rows go up to out_step beyond
            lo, hi = lo - 0.5 * (hi - lo), hi + 0.5 * (hi - lo)
        assert ((got >= lo - 1e-9) & (got <= hi + 1e-9)).all()


@needs_cli
def test_cli_provenance_matches_the_samplers_attributes(tmp_path):
    from gpusmote._smote import SMOTE as _SMOTE

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    df = frame()
    df.to_csv(src, index=False)
    assert main_cli("resample", src, "--target", "label", "-o", out, "--provenance",
                    "--seed", "3", "-q").returncode == 0
    res = pd.read_csv(out)
    from gpusmote.cli._registry import make_sampler

    sampler = make_sampler("smote", sampling_strategy="auto", k_neighbors=None,
                           backend="numpy", seed=3, m_neighbors=None)
    assert isinstance(sampler, _SMOTE)
    sampler.fit_resample(df.drop(columns="label"), df["label"])
    new = res["is_synthetic"].to_numpy()
    np.testing.assert_array_equal(new, sampler.synthetic_mask_)
    np.testing.assert_array_equal(res["parent_row"].to_numpy()[new],
                                  sampler.synthetic_parents_[:, 0])
    np.testing.assert_array_equal(res["neighbour_row"].to_numpy()[new],
                                  sampler.synthetic_parents_[:, 1])
    np.testing.assert_array_equal(res["parent_row"].to_numpy()[~new], np.arange(len(df)))


@needs_cli
def test_cli_provenance_errors(tmp_path):
    src = tmp_path / "in.csv"
    df = frame()
    df.to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", tmp_path / "o.csv",
                    "--method", "cluster-centroids", "--provenance", "-q")
    line = error_line(proc)
    assert proc.returncode == 2 and "no single original row" in line
    assert "drop --provenance" in line
    df.assign(parent_row=1).to_csv(src, index=False)
    proc = main_cli("resample", src, "--target", "label", "-o", tmp_path / "o.csv",
                    "--provenance", "-q")
    line = error_line(proc)
    assert "already has 'parent_row'" in line and "rename or drop" in line


@needs_cli
def test_cli_without_provenance_writes_no_extra_columns(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame().to_csv(src, index=False)
    assert main_cli("resample", src, "--target", "label", "-o", out, "-q").returncode == 0
    assert list(pd.read_csv(out).columns) == list(frame().columns)


def test_cleaner_kept_rows_and_clone():
    """Cleaners keep their own sample_indices_; cloning drops the fit."""
    X, y = _data()
    for cleaner in (TomekLinks(), EditedNearestNeighbours()):
        cleaner.fit_resample(X, y)
        assert not hasattr(cleaner, "synthetic_parents_")
    fitted = SMOTE(random_state=0)
    fitted.fit_resample(X, y)
    assert not hasattr(clone(fitted), "synthetic_parents_")


def test_fit_alone_drops_a_previous_resampling():
    X, y = _data()
    sampler = SMOTE(random_state=0)
    sampler.fit_resample(X, y, sample_weight=np.ones(len(y)))
    sampler.fit(X, y)
    assert not hasattr(sampler, "synthetic_parents_")
    assert not hasattr(sampler, "sample_weight_")
