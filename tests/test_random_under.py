"""RandomUnderSampler keeps the rows imbalanced-learn keeps (NumPy) and the counts it
asks for on every backend."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.under_sampling import RandomUnderSampler as ImbRUS
from scipy import sparse
from sklearn.datasets import make_classification

from gpusmote._random_under import RandomUnderSampler
from tests._helpers import to_numpy


def _data(n=600, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=4, n_informative=3, n_redundant=0,
                               weights=[0.6, 0.3, 0.1], n_classes=3, n_clusters_per_class=1,
                               random_state=seed)
    return X.astype(dtype), y


def _halve_majority(y):
    counts = Counter(y.tolist())
    top = max(counts, key=counts.get)
    return {top: counts[top] // 2}


# every form of sampling_strategy an under-sampler takes
STRATEGIES = ["auto", "all", "majority", "not minority", "not majority",
              {0: 120, 1: 60, 2: 30}, {0: 50}, _halve_majority]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("replacement", [False, True])
def test_sample_indices_equal_imblearn_on_numpy(strategy, replacement):
    X, y = _data()
    ours = RandomUnderSampler(sampling_strategy=strategy, replacement=replacement,
                              random_state=7, backend="numpy")
    X_res, y_res = ours.fit_resample(X, y)
    theirs = ImbRUS(sampling_strategy=strategy, replacement=replacement, random_state=7)
    theirs.fit_resample(X, y)
    np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)
    np.testing.assert_array_equal(X_res, X[theirs.sample_indices_])
    np.testing.assert_array_equal(y_res, y[theirs.sample_indices_])
    assert ours.sampling_strategy_ == theirs.sampling_strategy_


def test_float_strategy_equals_imblearn():
    X, y = _data()
    X, y = X[y != 2], y[y != 2]
    for ratio in (0.6, 0.8, 1.0):
        ours = RandomUnderSampler(sampling_strategy=ratio, random_state=1, backend="numpy")
        theirs = ImbRUS(sampling_strategy=ratio, random_state=1)
        ours.fit_resample(X, y)
        theirs.fit_resample(X, y)
        np.testing.assert_array_equal(ours.sample_indices_, theirs.sample_indices_)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("replacement", [False, True])
def test_counts_and_rows_on_every_backend(backend, xp, strategy, replacement):
    X, y = _data()
    ours = RandomUnderSampler(sampling_strategy=strategy, replacement=replacement,
                              random_state=3, backend=backend)
    X_res, y_res = ours.fit_resample(xp.asarray(X), xp.asarray(y))
    theirs = ImbRUS(sampling_strategy=strategy, replacement=replacement, random_state=3)
    _, y_imb = theirs.fit_resample(X, y)
    idx = to_numpy(ours.sample_indices_)
    assert Counter(to_numpy(y_res).tolist()) == Counter(y_imb.tolist())
    np.testing.assert_array_equal(to_numpy(X_res), X[idx])
    np.testing.assert_array_equal(to_numpy(y_res), y[idx])
    # class by class in sorted label order
    assert (np.diff(y[idx]) >= 0).all()
    for label, n_keep in ours.sampling_strategy_.items():
        picked = idx[y[idx] == label]
        assert len(picked) == n_keep
        if not replacement:
            assert len(np.unique(picked)) == n_keep
    untouched = [c for c in np.unique(y) if c not in ours.sampling_strategy_]
    for label in untouched:  # all rows, in their order
        np.testing.assert_array_equal(idx[y[idx] == label], np.flatnonzero(y == label))
    # the same seed gives the same rows
    again = RandomUnderSampler(sampling_strategy=strategy, replacement=replacement,
                               random_state=3, backend=backend)
    again.fit_resample(xp.asarray(X), xp.asarray(y))
    np.testing.assert_array_equal(to_numpy(again.sample_indices_), idx)


def test_device_draw_is_uniform_over_the_class(backend, xp):
    """Every majority row is kept about equally often (a draw biased towards the
    first rows, say, would fail)."""
    if backend == "numpy":
        pytest.skip("the NumPy draws are imbalanced-learn's (compared above)")
    y = np.array([0] * 40 + [1] * 10)
    X = np.arange(50, dtype=np.float64).reshape(-1, 1)
    hits = np.zeros(40)
    for seed in range(200):
        rus = RandomUnderSampler(random_state=seed, backend=backend)
        rus.fit_resample(xp.asarray(X), xp.asarray(y))
        idx = to_numpy(rus.sample_indices_)
        hits[idx[idx < 40]] += 1
    # each row is kept with probability 1/4: 50 of 200 expected, sd ~6
    assert hits.min() > 25 and hits.max() < 75


def test_non_numeric_and_nan_rows_are_selected_as_given():
    X, y = _data(n=200)
    X_obj = np.empty((200, 2), dtype=object)
    X_obj[:, 0] = np.array(["a", "b", "c", "d"])[np.arange(200) % 4]
    X_obj[:, 1] = X[:, 0]
    X_obj[5, 1] = None
    rus = RandomUnderSampler(random_state=0)
    X_res, _y_res = rus.fit_resample(X_obj, y)
    assert X_res.dtype == object
    np.testing.assert_array_equal(X_res, X_obj[rus.sample_indices_])
    X_nan = X.copy()
    X_nan[::7, 1] = np.nan
    X_res, _ = RandomUnderSampler(random_state=0).fit_resample(X_nan, y)
    assert np.isnan(X_res).any()
    strings = np.array([["x"], ["y"]] * 100)
    X_res, _ = RandomUnderSampler(random_state=0).fit_resample(strings, y)
    assert X_res.dtype == strings.dtype


def test_containers_are_kept(backend, xp):
    X, y = _data(n=300)
    ints = np.round(X * 10).astype(np.int32)
    rus = RandomUnderSampler(random_state=0, backend=backend)
    X_res, _ = rus.fit_resample(ints, y)
    assert X_res.dtype == np.int32
    np.testing.assert_array_equal(X_res, ints[to_numpy(rus.sample_indices_)])
    df = pd.DataFrame(ints, columns=list("abcd"), index=np.arange(5000, 5300))
    df["name"] = [f"row{i}" for i in range(300)]
    ys = pd.Series(y, index=df.index, name="target")
    X_res, y_res = RandomUnderSampler(random_state=0, backend=backend).fit_resample(df, ys)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(y_res.index) == list(X_res.index)
    assert y_res.name == "target"
    pd.testing.assert_series_equal(X_res.dtypes, df.dtypes)
    assert (X_res["name"] == "row" + pd.Series(X_res.index - 5000, index=X_res.index)
            .astype(str)).all()
    X_sp, _ = RandomUnderSampler(random_state=0, backend=backend).fit_resample(
        sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sp)
    X_res, _ = RandomUnderSampler(random_state=0, backend=backend).fit_resample(
        X.astype(np.float32), y)
    assert X_res.dtype == np.float32


def test_string_labels(backend, xp):
    X, y = _data(n=300)
    names = np.array(["cat", "dog", "eel"])[y]
    rus = RandomUnderSampler(random_state=0, backend=backend)
    _, y_res = rus.fit_resample(xp.asarray(X), names)
    n_min = int(np.bincount(y).min())
    assert Counter(y_res.tolist()) == {"cat": n_min, "dog": n_min, "eel": n_min}
    np.testing.assert_array_equal(y_res, names[to_numpy(rus.sample_indices_)])


@pytest.mark.parametrize("sampler, match, error", [
    (RandomUnderSampler(replacement="yes"), "'replacement' parameter of RandomUnderSampler",
     ValueError),
    (RandomUnderSampler(random_state="seed"), "'random_state' parameter", ValueError),
    (RandomUnderSampler(sampling_strategy=0.5), r"a float works for two classes only",
     ValueError),
    (RandomUnderSampler(sampling_strategy={0: 5000}),
     r"asks for 5000 rows of class 0, which has 59.*ask for at most 59", ValueError),
    (RandomUnderSampler(sampling_strategy={7: 5}), r"class\(es\) \[7\] that are not present",
     ValueError),
    (RandomUnderSampler(sampling_strategy={0: -1}), r"negative number of rows", ValueError),
    (RandomUnderSampler(backend="gpu"), "'backend' parameter of RandomUnderSampler",
     ValueError),
])
def test_bad_input(sampler, match, error):
    X, y = _data(n=100)
    with pytest.raises(error, match=match):
        sampler.fit_resample(X, y)


def test_bad_shapes():
    X, y = _data(n=100)
    with pytest.raises(ValueError, match="X has 100 rows but y has 99 labels"):
        RandomUnderSampler().fit_resample(X, y[:-1])
    with pytest.raises(ValueError, match="X must be 2-D"):
        RandomUnderSampler().fit_resample(X[:, 0], y)
    with pytest.raises(ValueError, match="only one class"):
        RandomUnderSampler().fit_resample(X, np.zeros(100))


def test_cupy_input_moves_only_counts_to_the_host(fake_cupy):
    cp = fake_cupy
    X, y = _data(n=2000)
    X_dev, y_dev = cp.asarray(X), cp.asarray(y)
    cp.transfers.clear()
    rus = RandomUnderSampler(random_state=0, backend="cupy")
    X_res, _ = rus.fit_resample(X_dev, y_dev)
    down = [n for d, n, _ in cp.transfers if d == "d2h"]
    up = [n for d, n, _ in cp.transfers if d == "h2d"]
    assert max(down) <= 64 and max(up, default=0) <= 64, cp.transfers
    assert isinstance(X_res, cp.ndarray) and isinstance(rus.sample_indices_, cp.ndarray)
