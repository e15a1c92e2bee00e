"""SMOTENC and SMOTEN: categorical values, the VDM neighbours, dtypes, bad input."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.metrics.pairwise import ValueDifferenceMetric
from imblearn.over_sampling import SMOTEN as ImbSMOTEN
from imblearn.over_sampling import SMOTENC as ImbSMOTENC
from scipy import stats
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from gpusmote import SMOTEN, SMOTENC
from gpusmote._smote_nc import column_modes, majority_vote, smallest_mode
from gpusmote.backends import get_backend
from tests._helpers import segment_steps, to_numpy


def _clustered(n_major=200, n_minor=60, seed=0):
    """Minority rows in 3 far-apart clusters whose category is fixed by the cluster:
    every neighbour of a minority row shares its category, so the vote is certain."""
    rng = np.random.RandomState(seed)
    centres = np.array([[0.0, 0.0], [40.0, 0.0], [0.0, 40.0]])
    which = np.arange(n_minor) % 3
    X_min = centres[which] + rng.normal(size=(n_minor, 2))
    X_maj = rng.normal(20, 3, size=(n_major, 2))
    X = np.empty((n_major + n_minor, 3), dtype=object)
    X[:, :2] = np.vstack([X_maj, X_min])
    X[:n_major, 2] = rng.choice(["a", "b", "c"], n_major)
    X[n_major:, 2] = np.array(["a", "b", "c"])[which]
    y = np.array([0] * n_major + [1] * n_minor)
    return X, y, centres


def test_categorical_value_is_the_neighbours_majority_as_in_imblearn(backend):
    X, y, centres = _clustered()
    for sampler in (SMOTENC([2], random_state=0, backend=backend),
                    ImbSMOTENC(categorical_features=[2], random_state=0)):
        X_res, y_res = sampler.fit_resample(X, y)
        new = np.asarray(X_res[len(X):])
        cluster = np.argmin(((new[:, :2].astype(float)[:, None] - centres) ** 2).sum(-1),
                            axis=1)
        assert (new[:, 2] == np.array(["a", "b", "c"])[cluster]).all()
        assert Counter(y_res.tolist()) == {0: 200, 1: 200}


def test_median_std_equals_imblearn():
    X, y, _ = _clustered()
    ours = SMOTENC([2], random_state=0)
    theirs = ImbSMOTENC(categorical_features=[2], random_state=0)
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert ours.median_std_.keys() == theirs.median_std_.keys()
    for label in ours.median_std_:
        assert ours.median_std_[label] == pytest.approx(theirs.median_std_[label], rel=1e-12)


def test_column_modes_are_each_columns_mode_in_small_blocks(backend):
    be = get_backend(backend)
    rng = np.random.RandomState(1)
    codes = rng.randint(0, 3, size=(300, 7))
    sel = rng.randint(0, 300, size=(1000, 6))
    expected = np.stack([stats.mode(codes[:, j][sel], axis=1, keepdims=False).mode
                         for j in range(7)], axis=1)
    # a working_memory of a few rows' worth: many blocks
    got = column_modes(be, be.asarray(codes), be.asarray(sel), working_memory=0.01)
    np.testing.assert_array_equal(to_numpy(got), expected)


def test_majority_vote_and_smallest_mode_against_scipy(backend):
    be = get_backend(backend)
    rng = np.random.RandomState(0)
    votes = rng.randint(0, 4, size=(2000, 5))
    mode = stats.mode(votes, axis=1, keepdims=False).mode
    np.testing.assert_array_equal(to_numpy(smallest_mode(be, be.asarray(votes))), mode)
    picked = to_numpy(majority_vote(be, be.asarray(votes), be.rng(0).random(votes.shape)))
    counts = (votes == picked[:, None]).sum(axis=1)
    best = np.array([np.bincount(v).max() for v in votes])
    np.testing.assert_array_equal(counts, best)  # always a most frequent value
    tied = np.array([[0, 0, 1, 1, 2]] * 4000)
    share = np.bincount(to_numpy(majority_vote(be, be.asarray(tied), be.rng(1).random(tied.shape))),
                        minlength=3) / 4000
    np.testing.assert_allclose(share, [0.5, 0.5, 0.0], atol=0.04)  # ties at random


def test_numeric_columns_on_segments_and_dataframe_dtypes_kept(backend):
    X, y, _ = _clustered()
    df = pd.DataFrame({"x": X[:, 0].astype(float), "n": (X[:, 1].astype(float) * 10).round()
                       .astype(np.int64), "c": pd.Categorical(X[:, 2]),
                       "s": np.where(y == 0, "u", "v")})
    sampler = SMOTENC("auto", random_state=0, backend=backend)
    X_res, _y_res = sampler.fit_resample(df, pd.Series(y, name="t"))
    assert list(sampler.categorical_features_) == [2, 3]
    assert X_res.dtypes.to_dict() == df.dtypes.to_dict()
    assert X_res["c"].cat.categories.tolist() == ["a", "b", "c"]
    assert set(X_res["s"][len(df):]) == {"v"}
    pd.testing.assert_frame_equal(X_res.iloc[:len(df)], df)
    new_x = X_res["x"].to_numpy()[len(df):]
    minority = df["x"].to_numpy()[y == 1]
    assert minority.min() - 1e-9 <= new_x.min() and new_x.max() <= minority.max() + 1e-9


@pytest.mark.parametrize("spec", [[2], ["c"], [False, False, True], [-1]])
def test_every_way_to_name_the_categorical_column(spec):
    X, y, _ = _clustered()
    df = pd.DataFrame(X, columns=["a", "b", "c"]).astype({"a": float, "b": float})
    sampler = SMOTENC(spec, random_state=0)
    X_res, _ = sampler.fit_resample(df, y)
    assert list(sampler.categorical_features_) == [2]
    assert list(sampler.continuous_features_) == [0, 1]
    assert set(X_res["c"]) == {"a", "b", "c"}


def test_numeric_array_with_a_coded_categorical_column():
    X, y, _ = _clustered()
    X_num = X.copy()
    X_num[:, 2] = np.searchsorted(["a", "b", "c"], X[:, 2])
    X_num = X_num.astype(np.float32)
    X_res, _ = SMOTENC([2], random_state=0).fit_resample(X_num, y)
    assert X_res.dtype == np.float32
    assert set(np.unique(X_res[:, 2])) <= {0.0, 1.0, 2.0}


def test_smoten_neighbour_distances_equal_imblearn_vdm(backend):
    rng = np.random.RandomState(0)
    X = rng.choice(list("abcd"), size=(300, 3)).astype(object)
    y = (rng.rand(300) < 0.25).astype(int)
    sampler = SMOTEN(backend=backend)
    be = get_backend(backend)
    sampler.fit(X, y)
    table = sampler._check_X(be, X)
    codes = OrdinalEncoder(dtype=np.int32).fit_transform(X)
    vdm = ValueDifferenceMetric(n_categories=[4, 4, 4]).fit(codes, y)
    tables = sampler._vdm_tables(be, table.codes, y)
    rows = np.flatnonzero(y == 1)
    nbrs = to_numpy(sampler._class_neighbours_vdm(be, table.codes[be.asarray(rows)],
                                                  tables, 6))
    dist = vdm.pairwise(codes[rows])
    ours = np.take_along_axis(dist, nbrs, axis=1)
    np.testing.assert_array_equal(ours, np.sort(dist, axis=1)[:, :6])
    # among equal distances the lower index comes first
    for d_row, n_row in zip(ours, nbrs):
        same = d_row[1:] == d_row[:-1]
        assert (n_row[1:][same] > n_row[:-1][same]).all()


def test_smoten_new_rows_are_modes_of_existing_categories_and_counts_equal_imblearn():
    rng = np.random.RandomState(1)
    X = rng.choice(["x", "y", "z"], size=(200, 4)).astype(object)
    y = np.array([0] * 150 + [1] * 50)
    X_res, y_res = SMOTEN(random_state=0).fit_resample(X, y)
    _, y_imb = ImbSMOTEN(random_state=0).fit_resample(X, y)
    assert Counter(y_res.tolist()) == Counter(y_imb.tolist())
    assert X_res.dtype == object and set(np.unique(X_res)) == {"x", "y", "z"}
    np.testing.assert_array_equal(X_res[:200], X)


@pytest.mark.parametrize("dtype", ["<U3", "S3"])
def test_smoten_keeps_a_numpy_string_dtype_as_imblearn_does(dtype):
    rng = np.random.RandomState(2)
    X = rng.choice(["a", "bb", "ccc"], size=(120, 2)).astype(dtype)
    y = np.array([0] * 90 + [1] * 30)
    X_res, _ = SMOTEN(random_state=0).fit_resample(X, y)
    X_imb, _ = ImbSMOTEN(random_state=0).fit_resample(X, y)
    assert X_res.dtype == X_imb.dtype == np.dtype(dtype)
    assert set(np.unique(X_res)) == set(np.unique(X))
    np.testing.assert_array_equal(X_res[:120], X)


def test_smoten_with_a_single_category_per_class_copies_it():
    X = np.array([["A"]] * 30 + [["B"]] * 10, dtype=object)
    y = np.array([0] * 30 + [1] * 10)
    X_res, _ = SMOTEN(random_state=0).fit_resample(X, y)
    assert (X_res[40:, 0] == "B").all()


def _frame():
    X, y, _ = _clustered()
    return pd.DataFrame(X, columns=["a", "b", "c"]).astype({"a": float, "b": float}), y


@pytest.mark.parametrize("sampler, X_kind, error, match", [
    (SMOTENC([5]), "frame", ValueError,
     r"index 5 is out of range for X with 3 columns; use indices in \[0, 2\]"),
    (SMOTENC(["zz"]), "frame", ValueError, r"column 'zz' is not in X; its columns are"),
    (SMOTENC(["c"]), "array", ValueError, "column names .* need X as a pandas DataFrame"),
    (SMOTENC([True, False]), "frame", ValueError,
     "the boolean mask has 2 entries but X has 3 columns"),
    (SMOTENC("auto"), "array", ValueError, "'auto' reads the column dtypes"),
    (SMOTENC([0, 1, 2]), "frame", ValueError,
     "not designed to work only with categorical features.*use SMOTEN"),
    (SMOTENC([]), "frame", ValueError,
     "not designed to work only with numerical features.*use SMOTE"),
    (SMOTENC([0]), "frame", TypeError, r"columns \['c'\] are treated as numeric"),
    (SMOTENC([2], categorical_encoder=OneHotEncoder(drop="first")), "frame", ValueError,
     "produced 2 columns for 3 categories"),
    (SMOTENC([2], k_neighbors=60), "frame", ValueError, "class 1 has 60 rows"),
    (SMOTENC([2]), "nan", ValueError, "numerical columns of X contain NaN"),
    (SMOTEN(k_neighbors=0), "frame", ValueError, "'k_neighbors' parameter of SMOTEN"),
    (SMOTENC([2], categorical_encoder="onehot"), "frame", ValueError,
     "'categorical_encoder' parameter of SMOTENC"),
])
def test_bad_input(sampler, X_kind, error, match):
    X, y = _frame()
    if X_kind == "array":
        X = X.to_numpy()
    elif X_kind == "nan":
        X.loc[3, "a"] = np.nan
    with pytest.raises(error, match=match):
        sampler.fit_resample(X, y)


def test_smoten_refuses_continuous_columns_with_a_clear_fix():
    from gpusmote import SMOTEN

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 2))  # 3000 distinct values per column
    y = np.array([0] * 2700 + [1] * 300)
    with pytest.raises(ValueError, match=r"column 0 has 3000 distinct values.*Bin the column"):
        SMOTEN(working_memory=64).fit_resample(X, y)


def _mixed(n_minor, median_std_zero, seed):
    """Numeric columns and two random categorical ones; in the zero-std case three
    of five numeric columns are constant in the minority class (median std 0)."""
    rng = np.random.RandomState(seed)
    n = 200 + n_minor
    X = np.empty((n, 7), dtype=object)
    num = rng.normal(size=(n, 5))
    if median_std_zero:
        num[200:, 2:] = 1.5
    X[:, :5] = num
    X[:, 5] = rng.choice(["a", "b", "c"], n)
    X[:, 6] = rng.choice(["u", "v"], n)
    y = np.r_[np.zeros(200, dtype=int), np.ones(n_minor, dtype=int)]
    return X, y


def _imblearn_neighbours(X, y, label, k):
    """imbalanced-learn's neighbour table for one class, on its own encoding:
    numeric columns, then the one-hot columns set to median_std / sqrt(2)."""
    from sklearn.neighbors import NearestNeighbors

    theirs = ImbSMOTENC(categorical_features=[5, 6], k_neighbors=k, random_state=0)
    theirs.fit_resample(X, y)
    rows = np.flatnonzero(y == label)
    num = X[rows, :5].astype(np.float64)
    onehot = OneHotEncoder(handle_unknown="ignore").fit(X[:, 5:]).transform(
        X[rows, 5:]).toarray()
    enc = np.hstack([num, onehot * theirs.median_std_[label] / np.sqrt(2)])
    nn = NearestNeighbors(n_neighbors=k + 1).fit(enc).kneighbors(enc, return_distance=False)
    return rows, nn[:, 1:], theirs.median_std_[label]


@pytest.mark.parametrize("median_std_zero", [False, True])
def test_neighbour_sets_equal_imblearns_on_its_own_encoding(backend, monkeypatch,
                                                           median_std_zero):
    """The rows SMOTENC interpolates between are exactly imbalanced-learn's
    neighbours (which depend on how much a category mismatch weighs:
    median_std / sqrt(2) per one-hot column); every new row's numeric part
    lies on a segment from its seed to one of them."""
    from gpusmote import _smote_nc

    X, y = _mixed(60, median_std_zero, seed=4)
    rows, want, median = _imblearn_neighbours(X, y, 1, 5)
    assert (median == 0) == median_std_zero
    tables = []
    real = _smote_nc.mixed_kneighbors

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        tables.append(to_numpy(out))
        return out

    monkeypatch.setattr(_smote_nc, "mixed_kneighbors", spy)
    sampler = SMOTENC([5, 6], k_neighbors=5, random_state=0, backend=backend)
    X_res, _ = sampler.fit_resample(X, y)
    assert sampler.median_std_[1] == pytest.approx(median, abs=1e-12)
    [got] = tables
    np.testing.assert_array_equal(np.sort(got, axis=1), np.sort(want, axis=1))
    num = X[:, :5].astype(np.float64)
    new = np.asarray(X_res[len(X):, :5], dtype=np.float64)
    pairs = np.column_stack([np.repeat(rows, 5), rows[want].reshape(-1)])
    if median_std_zero:  # the constant columns hold no information: segments in 2-D
        num, new = num[:, :2], new[:, :2]
    which, _ = segment_steps(num, new, pairs, atol=1e-9)
    assert (which >= 0).all(), f"{(which < 0).sum()} new rows off imblearn's segments"


def test_n_features_is_imblearns_fitted_attribute():
    # issue 13 item 14
    X, y, _ = _clustered()
    ours = SMOTENC(categorical_features=[2], random_state=0)
    ours.fit_resample(X, y)
    theirs = ImbSMOTENC(categorical_features=[2], random_state=0)
    theirs.fit_resample(X, y)
    assert ours.n_features_ == theirs.n_features_ == ours.n_features_in_ == 3
    assert "n_features_ : int" in SMOTENC.__doc__


def test_list_rows_come_back_as_they_went_in():
    # issue 13 item 16: numbers of the original rows came back as strings
    X, y, _ = _clustered()
    rows = [[float(a), float(b), c] for a, b, c in X]
    X_res, _y_res = SMOTENC(categorical_features=[2], random_state=0).fit_resample(
        rows, y.tolist())
    assert isinstance(X_res, list) and X_res[:len(rows)] == rows
    for row in X_res[len(rows):]:
        assert isinstance(row[0], float) and isinstance(row[1], float)
        assert row[2] in ("a", "b", "c")
    # integer-coded categories in a list stay ints, numbers stay numbers
    coded = [[a, b, {"a": 0, "b": 1, "c": 2}[c]] for a, b, c in rows]
    X_res, _ = SMOTENC(categorical_features=[2], random_state=0).fit_resample(coded, y)
    assert X_res[:len(coded)] == coded
    # SMOTEN on list rows: the originals come back as given too
    cats = [[c, "x" if i % 2 else "y"] for i, (_, _, c) in enumerate(rows)]
    X_res, _ = SMOTEN(random_state=0).fit_resample(cats, y)
    assert X_res[:len(cats)] == cats


def test_many_categories_stay_within_working_memory():
    """Issue 16 item 3: no one-hot matrix of the categories. 2 000 minority rows
    with 3 000 and 20 000 categories: the class's dense one-hot encoding alone is
    ~60 MiB (the earlier code peaked at 594 MiB here); with working_memory=4 the
    whole call stays under 12 MiB, for an input of 0.9 MiB and an output of 1.6."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 40000
    y = np.r_[np.zeros(n - 2000, int), np.ones(2000, int)]
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.integers(0, 3000, n)),
                      "d": pd.Categorical(rng.integers(0, 20000, n))})
    sampler = SMOTENC(categorical_features=["c", "d"], random_state=0, working_memory=4)
    tracemalloc.start()
    try:
        X_res, _ = sampler.fit_resample(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert X_res.shape == (2 * (n - 2000), 4)
    assert X_res.dtypes.to_dict() == X.dtypes.to_dict()


def test_new_rows_do_not_depend_on_working_memory(backend):
    """The search, the generation and the vote run in blocks sized by
    working_memory; the tie keys follow the new row, not the block."""
    rng = np.random.default_rng(2)
    n = 900
    X = np.empty((n, 4), dtype=object)
    X[:, :2] = rng.normal(size=(n, 2))
    X[:, 2] = rng.integers(0, 400, n)  # mostly distinct among 5 neighbours: ties
    X[:, 3] = rng.choice(list("pqrs"), n)
    y = (np.arange(n) % 6 == 0).astype(int)
    results = [SMOTENC([2, 3], random_state=7, backend=backend,
                       working_memory=wm).fit_resample(X, y)[0] for wm in (0.01, 0.2, None)]
    for other in results[1:]:
        np.testing.assert_array_equal(np.asarray(other), np.asarray(results[0]))


def test_default_encoder_learns_the_same_categories_from_one_row_per_value():
    from gpusmote._smote_nc import _distinct_rows

    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "cat": pd.Categorical(rng.choice(["x", "y", None], n), categories=["x", "y", "z"]),
        "obj": pd.Series(rng.choice(["u", "v", "w"], n), dtype=object).where(
            rng.random(n) > 0.1, None),
        "int": rng.integers(0, 40, n),
        "flag": rng.random(n) > 0.5,
        "text": pd.array(rng.choice(["s1", "s2"], n), dtype="string"),
    })
    full = OneHotEncoder(handle_unknown="ignore").fit(frame)
    small_rows = _distinct_rows(frame)
    assert len(small_rows) == frame["int"].nunique()  # the most distinct values
    small = OneHotEncoder(handle_unknown="ignore").fit(small_rows)
    for a, b in zip(full.categories_, small.categories_):
        assert a.dtype == b.dtype
        pd.testing.assert_index_equal(pd.Index(a), pd.Index(b))  # NaN equals NaN
    assert list(small.feature_names_in_) == list(full.feature_names_in_)


def test_an_estimator_as_k_neighbors_sees_imblearns_encoding():
    """With NearestNeighbors(6) as k_neighbors the estimator searches the class's
    numeric and one-hot columns at median_std / sqrt(2): the same neighbours, so
    the same rows, as the search from codes with k_neighbors=5."""
    from sklearn.neighbors import NearestNeighbors

    X, y = _mixed(80, False, seed=6)
    by_codes = SMOTENC([5, 6], k_neighbors=5, random_state=3).fit_resample(X, y)[0]
    by_estimator = SMOTENC([5, 6], k_neighbors=NearestNeighbors(n_neighbors=6),
                           random_state=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(by_estimator, by_codes)
