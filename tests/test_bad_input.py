"""SPEC section 5: every bad input gets a clear ValueError/TypeError that names the fix,
never an IndexError from the internals, and the caller's data is left as it was."""

import warnings

import numpy as np
import pandas as pd
import pytest

from gpusmote import SMOTE

rng = np.random.default_rng(0)
X_OK = rng.standard_normal((40, 3))
Y_OK = np.array([0] * 30 + [1] * 10)


def _with(value, where=(3, 1)):
    X = X_OK.copy()
    X[where] = value
    return X


CASES = [
    # (id, X, y, params, error, message)
    ("nan", _with(np.nan), Y_OK, {}, ValueError, r"X contains NaN \(first at row 3, column 1\).*impute"),
    ("inf", _with(np.inf), Y_OK, {}, ValueError, r"X contains infinity.*impute"),
    ("lengths", X_OK, Y_OK[:-1], {}, ValueError, r"X has 40 rows but y has 39 labels"),
    ("X 1-D", X_OK[:, 0], Y_OK, {}, ValueError, r"must be 2-D.*reshape\(-1, 1\)"),
    ("X 3-D", X_OK[:, :, None], Y_OK, {}, ValueError, r"must be 2-D"),
    ("y continuous", X_OK, np.linspace(0, 1, 40), {}, ValueError, r"Unknown label type.*continuous"),
    ("y multilabel", X_OK, rng.integers(0, 2, (40, 3)), {}, ValueError, r"Multilabel"),
    ("y one class", X_OK, np.zeros(40), {}, ValueError, r"only one class.*at least two classes"),
    ("class too small", X_OK, np.array([0] * 37 + [1] * 3), {}, ValueError,
     r"class 1 has 3 rows; SMOTE needs k_neighbors \+ 1 = 6 rows.*largest k_neighbors that works is 2: pass k_neighbors=2"),
    ("class of one row", X_OK, np.array([0] * 39 + [1]), {}, ValueError,
     r"class 1 has 1 row;.*RandomOverSampler"),
    ("dict unknown class", X_OK, Y_OK, {"sampling_strategy": {7: 50}}, ValueError,
     r"names class\(es\) \[7\] that are not present in y.*use labels that occur in y"),
    ("dict negative", X_OK, Y_OK, {"sampling_strategy": {1: -5}}, ValueError,
     r"negative number of rows: \{1: -5\}; every class needs a count >= 0"),
    ("dict fewer than now", X_OK, Y_OK, {"sampling_strategy": {1: 5}}, ValueError,
     r"asks for 5 rows of class 1, which has 10: an over-sampler can only add rows; ask "
     r"for at least 10"),
    ("float multiclass", X_OK, np.array([0] * 20 + [1] * 12 + [2] * 8), {"sampling_strategy": 0.5},
     ValueError, r"sampling_strategy=0.5: a float works for two classes only and y has 3; "
     r"pass a dict"),
    ("float out of range", X_OK, Y_OK, {"sampling_strategy": 1.5}, ValueError,
     r"'sampling_strategy' parameter of SMOTE must be"),
    ("non-numeric df", pd.DataFrame({"a": X_OK[:, 0], "city": ["x", "y"] * 20}), Y_OK, {},
     TypeError, r"column\(s\) \['city'\] is not numeric; use SMOTENC"),
    ("object strings", np.array([["a", 1.0]] * 40, dtype=object), Y_OK, {}, TypeError,
     r"numeric features but X has dtype object.*SMOTENC.*SMOTEN"),
    ("string array", np.array([["a", "b"]] * 40), Y_OK, {}, TypeError, r"SMOTEN"),
    ("empty", np.zeros((0, 3)), np.zeros(0), {}, ValueError, r"empty"),
    ("no features", np.zeros((40, 0)), Y_OK, {}, ValueError, r"no features"),
    ("complex", X_OK.astype(complex), Y_OK, {}, ValueError, r"Complex data not supported"),
    ("object with a dict", np.array([[{"a": 1}, 1.0]] * 40, dtype=object), Y_OK, {}, TypeError,
     r"numeric features"),
    ("ragged", [[1.0, 2.0], [1.0]] * 20, Y_OK, {}, ValueError, r"could not be read"),
    ("bad backend", X_OK, Y_OK, {"backend": "tpu"}, ValueError, r"'backend' parameter of SMOTE"),
    ("bad k", X_OK, Y_OK, {"k_neighbors": 0}, ValueError, r"'k_neighbors' parameter"),
    ("bad k type", X_OK, Y_OK, {"k_neighbors": "five"}, ValueError, r"'k_neighbors' parameter"),
    ("bad working memory", X_OK, Y_OK, {"working_memory": -1}, ValueError, r"'working_memory'"),
    ("X None", None, Y_OK, {}, TypeError, r"needs X"),
    ("y None", X_OK, None, {}, ValueError, r"requires y to be passed"),
]


@pytest.mark.parametrize("X, y, params, error, message",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(X, y, params, error, message):
    X_before = X.copy() if hasattr(X, "copy") else X
    with pytest.raises(error, match=message):
        SMOTE(**params).fit_resample(X, y)
    if isinstance(X, np.ndarray):
        np.testing.assert_array_equal(X, X_before)


def test_cupy_backend_without_cupy_names_the_extra(monkeypatch):
    import gpusmote.backends as backends

    monkeypatch.setattr(backends, "cupy_unavailable_reason", lambda: "CuPy cannot be imported")
    with pytest.raises(ValueError, match=r"pip install .*\[cuda12\].*\[cuda13\]"):
        SMOTE(backend="cupy").fit_resample(X_OK, Y_OK)


def test_cupy_backend_error_is_real_on_this_machine():
    from gpusmote.backends import cupy_available

    if cupy_available():
        pytest.skip("CuPy and a device are usable here")
    with pytest.raises(ValueError, match=r"pip install .*\[cuda12\]"):
        SMOTE(backend="cupy").fit_resample(X_OK, Y_OK)


def test_huge_sparse_input_is_refused_before_it_is_made_dense():
    from scipy import sparse

    import gpusmote

    rng = np.random.default_rng(0)  # text-like: 2000 rows, 200 000 columns, 20 per row
    rows, cols = np.repeat(np.arange(2000), 20), rng.integers(0, 200_000, 40_000)
    X = sparse.csr_matrix((rng.random(40_000), (rows, cols)), shape=(2000, 200_000))
    y = (rng.random(2000) < 0.1).astype(int)
    for sampler in (gpusmote.EditedNearestNeighbours(), gpusmote.ADASYN(),
                    gpusmote.BorderlineSMOTE(), gpusmote.TomekLinks()):
        with pytest.raises(ValueError, match=r"sparse with shape \(2000, 200000\).*TruncatedSVD"):
            sampler.fit_resample(X, y)
    # SMOTE searches only within a class: wide sparse classes use a sparse search
    X_res, y_res = gpusmote.SMOTE(random_state=0).fit_resample(X, y)
    assert sparse.issparse(X_res) and np.bincount(y_res)[0] == np.bincount(y_res)[1]


def test_finite_float32_values_whose_sum_overflows_are_accepted():
    # the finiteness check sums X in its own dtype and only looks cell by cell
    # when that sum is not finite: here float32's sum overflows, and nothing is
    # refused (float64 values that large are refused by the search anyway)
    X = X_OK.astype(np.float32)
    X[:, 0] = np.finfo(np.float32).max / 4
    with np.errstate(over="ignore"):
        assert not np.isfinite(X.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does the check warn of the overflow
        X_res, y_res = SMOTE(random_state=0, k_neighbors=3).fit_resample(X, Y_OK)
    assert X_res.dtype == np.float32 and len(y_res) == 60
