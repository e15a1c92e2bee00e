"""kneighbors against scikit-learn's exact search and a float64 brute-force reference."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

import gpusmote.neighbors as nb
from gpusmote import _timing
from gpusmote.backends import get_backend
from gpusmote.neighbors import kneighbors
from tests._helpers import brute_knn, to_numpy

# Each search path, forced whatever the size: the blocked search (float32
# candidates, certification, re-check), the direct path of small searches,
# and the k-d tree of the CPU for few features (the GPU has no tree: there
# "tree" runs the blocked search).
# "direct" settles small-integer data by exact scores alone and measures
# duplicate rows as any ties; "direct-bound" searches integers like any data
# (by the rounding bound and exact distances) and collapses duplicates first.
_ANY_DEVICE = frozenset({"numpy", "cupy"})
PATHS = {"blocked": {"_DIRECT_MAX_PAIRS": 0, "_DIRECT_INTEGER_MAX_PAIRS": 0,
                     "_DIRECT_WIDE_MAX_PAIRS": 0, "_TREE_MAX_FEATURES": 0},
         "direct": {"_DIRECT_MAX_PAIRS": 1 << 62, "_TREE_MAX_FEATURES": 0,
                    "_DIRECT_BACKENDS": _ANY_DEVICE},
         "direct-bound": {"_DIRECT_MAX_PAIRS": 1 << 62, "_TREE_MAX_FEATURES": 0,
                          "_DIRECT_INTEGER_MAX_ABS": -1, "_DIRECT_GROUPLESS_MAX_PAIRS": 0,
                          "_DIRECT_BACKENDS": _ANY_DEVICE},
         "tree": {"_DIRECT_MAX_PAIRS": 0, "_DIRECT_INTEGER_MAX_PAIRS": 0,
                  "_DIRECT_WIDE_MAX_PAIRS": 0, "_TREE_MAX_FEATURES": 1 << 30,
                  "_TREE_MIN_REFS": 0, "_TREE_MAX_EFFECTIVE_DIMENSION": float("inf")}}


def force_path(monkeypatch, path: str) -> None:
    for name, value in PATHS[path].items():
        monkeypatch.setattr(nb, name, value)


@pytest.fixture(params=list(PATHS))
def search_path(request, monkeypatch) -> str:
    force_path(monkeypatch, request.param)
    return request.param


@pytest.fixture
def blocked(monkeypatch) -> None:
    """Tests of the blocked search's own defences run it on small data too."""
    force_path(monkeypatch, "blocked")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, d, k", [(300, 5, 5), (257, 30, 10), (400, 1, 3), (120, 500, 7)])
@pytest.mark.parametrize("working_memory", [None, 0.002])  # tiny cap: many blocks, merges
def test_matches_sklearn_on_random_data(backend, xp, dtype, n, d, k, working_memory,
                                        search_path):
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d)).astype(dtype)
    dist, idx = kneighbors(xp.asarray(X), k, backend=backend, working_memory=working_memory)
    sk_dist, sk_idx = NearestNeighbors(n_neighbors=k).fit(X.astype(np.float64)).kneighbors()
    np.testing.assert_array_equal(to_numpy(idx), sk_idx)
    np.testing.assert_allclose(to_numpy(dist), sk_dist, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6)
    assert to_numpy(dist).dtype == dtype
    assert to_numpy(idx).dtype == np.int64


def test_queries_against_other_rows(backend, xp, search_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((500, 8))
    Q = rng.standard_normal((77, 8))
    dist, idx = kneighbors(xp.asarray(X), 6, queries=xp.asarray(Q), backend=backend,
                           working_memory=0.001)
    sk_dist, sk_idx = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(Q)
    np.testing.assert_array_equal(to_numpy(idx), sk_idx)
    np.testing.assert_allclose(to_numpy(dist), sk_dist, rtol=1e-12)


def test_queries_that_are_rows_of_X_keep_themselves(backend, xp):
    X = np.random.default_rng(2).standard_normal((50, 3))
    _, idx = kneighbors(xp.asarray(X), 1, queries=xp.asarray(X[:10]), backend=backend)
    np.testing.assert_array_equal(to_numpy(idx).ravel(), np.arange(10))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_duplicates_and_ties_go_to_the_lower_index(backend, xp, dtype, search_path):
    # many exact duplicates and equidistant points: only the lower index rule decides
    base = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    X = np.repeat(base, 7, axis=0)
    rng = np.random.default_rng(3)
    X = X[rng.permutation(len(X))].astype(dtype)
    dist, idx = kneighbors(xp.asarray(X), 9, backend=backend, working_memory=0.0005)
    ref_d2, ref_idx = brute_knn(X, 9)
    np.testing.assert_array_equal(to_numpy(idx), ref_idx)
    np.testing.assert_allclose(to_numpy(dist) ** 2, ref_d2, atol=1e-6)


def test_integer_grid_ties(backend, xp, search_path):
    g = np.stack(np.meshgrid(np.arange(12), np.arange(12)), -1).reshape(-1, 2).astype(float)
    _, idx = kneighbors(xp.asarray(g), 8, backend=backend, working_memory=0.001)
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(g, 8)[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_offset_does_not_cancel(backend, xp, dtype, search_path):
    # 1e6 + small noise: the expanded form |q|^2 + |r|^2 - 2 q.r loses every digit
    # without centring; the neighbour sets must still be exact
    rng = np.random.default_rng(4)
    X = (1e6 + rng.uniform(0, 1, size=(400, 4))).astype(dtype)
    _, idx = kneighbors(xp.asarray(X), 5, backend=backend, working_memory=0.002)
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(X, 5)[1])


def test_tiny_clusters_far_from_origin(backend, xp, search_path):
    # each cluster is far tighter than its distance to the origin and to the others
    rng = np.random.default_rng(5)
    centres = rng.uniform(-1e4, 1e4, size=(20, 6))
    X = (centres[rng.integers(0, 20, 600)] + 1e-3 * rng.standard_normal((600, 6)))
    X = X.astype(np.float32)
    _, idx = kneighbors(xp.asarray(X), 4, backend=backend)
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(X, 4)[1])


def test_k_equal_to_all_other_rows(backend, xp, search_path):
    X = np.random.default_rng(6).standard_normal((9, 2))
    _, idx = kneighbors(xp.asarray(X), 8, backend=backend)
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(X, 8)[1])


def test_return_distance_false(backend, xp):
    X = np.random.default_rng(7).standard_normal((30, 2))
    idx = kneighbors(xp.asarray(X), 2, backend=backend, return_distance=False)
    assert to_numpy(idx).shape == (30, 2)


def test_input_is_not_modified(backend, xp):
    X = xp.asarray(np.random.default_rng(8).standard_normal((60, 3)) + 5)
    before = to_numpy(X).copy()
    kneighbors(X, 3, backend=backend)
    np.testing.assert_array_equal(to_numpy(X), before)


@pytest.mark.parametrize("k, match", [(0, "positive integer"), (2.5, "positive integer"),
                                       (10, "only 9 reference rows")])
def test_bad_k(k, match):
    with pytest.raises(ValueError, match=match):
        kneighbors(np.zeros((10, 2)) + np.arange(10)[:, None], k, backend="numpy")


@pytest.mark.parametrize("X, queries, match", [
    (np.zeros(5), None, "must be 2-D"),
    (np.zeros((0, 2)), None, "empty"),
    (np.zeros((5, 2)), np.zeros((2, 3)), "3 features but X has 2"),
])
def test_bad_shapes(X, queries, match):
    with pytest.raises(ValueError, match=match):
        kneighbors(X, 1, queries=queries, backend="numpy")


def test_never_builds_an_n_by_n_matrix(monkeypatch, blocked):
    # every GEMM block must stay within the working-memory cap
    import gpusmote.backends._numpy as numpy_backend

    seen = []
    original = numpy_backend.NumpyBackend.topk_update

    def spy(self, state, G, *args):
        seen.append(G.shape)
        return original(self, state, G, *args)

    monkeypatch.setattr(numpy_backend.NumpyBackend, "topk_update", spy)
    X = np.random.default_rng(9).standard_normal((3000, 4)).astype(np.float32)
    kneighbors(X, 3, backend="numpy", working_memory=0.25)
    assert max(r * c for r, c in seen) * 4 <= 0.25 * 2**20
    assert max(r * c for r, c in seen) < 3000 * 3000 / 10


@pytest.mark.parametrize("X, queries, match", [
    (np.full((20, 2), 1e200) * np.arange(20)[:, None], None, r"magnitude.*StandardScaler"),
    (np.full((20, 2), 1e308) * np.sign(np.arange(20) - 9.5)[:, None], None, r"overflow float64"),
])
def test_values_too_large_to_square_get_a_clear_error(X, queries, match, search_path):
    with pytest.raises(ValueError, match=match):
        kneighbors(X, 3, queries=queries, backend="numpy")


FAR = (np.random.default_rng(0).normal(size=(50, 2)) * 1e-10, np.array([[1e35, 0.0]]))


def test_queries_too_far_for_float32_get_a_clear_error(blocked):
    with pytest.raises(ValueError, match="queries lie so far"):
        kneighbors(FAR[0], 3, queries=FAR[1], backend="numpy")


@pytest.mark.parametrize("path", ["direct", "tree"])
def test_queries_far_from_X_are_answered_exactly_in_float64(monkeypatch, path):
    # the blocked search's float32 overflows there; the float64 paths do not
    force_path(monkeypatch, path)
    idx = kneighbors(FAR[0], 3, queries=FAR[1], backend="numpy")[1]
    np.testing.assert_array_equal(idx, brute_knn(FAR[0], 3, FAR[1])[1])


# -- issue 13 item 18: non-finite and complex input named for what it is --------
def _with(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return X


_FINITE = np.random.default_rng(11).normal(size=(40, 3))


@pytest.mark.parametrize("X, queries, match", [
    (_with(_FINITE, 7, 2, np.inf), None, r"X contains infinity at row 7, column 2; "),
    (_with(_FINITE, 7, 2, -np.inf), None, r"X contains infinity at row 7, column 2"),
    (_with(_with(_FINITE, 3, 1, np.nan), 9, 0, np.inf), None,
     r"X contains NaN at row 3, column 1 \(and 1 more non-finite value\).*SimpleImputer"),
    (_FINITE, _with(_FINITE[:5], 4, 0, np.nan), r"queries contain NaN at row 4, column 0"),
    (_FINITE, _with(_FINITE[:5], 2, 1, np.inf), r"queries contain infinity at row 2, column 1"),
    (_FINITE + 1j, None, r"X is complex \(complex128\).*real numbers"),
    (_FINITE, _FINITE[:5] * (1 + 1j), r"queries is complex"),
])
def test_non_finite_and_complex_input_is_named(backend, xp, X, queries, match, search_path):
    if backend == "cupy" and np.iscomplexobj(X if queries is None else queries):
        pytest.skip("the device stand-in holds real numbers only")
    with pytest.raises(ValueError, match=match):
        kneighbors(xp.asarray(X), 3, queries=None if queries is None else xp.asarray(queries),
                   backend=backend)


def test_infinity_in_a_repeated_row_is_named_by_its_own_index():
    # duplicates are collapsed before the search: the message must still name
    # the caller's row, not the row of the distinct copy
    X = np.vstack([_FINITE[:5], _FINITE[:5], _FINITE[5:]])
    X[[2, 7]] = np.inf
    with pytest.raises(ValueError, match="row 2, column 0"):
        kneighbors(X, 3, backend="numpy")


# -- the hard inputs of fraud data: heavy tails, duplicates, ties -------------
def _hard(name: str, n: int, d: int = 6, seed: int = 0) -> np.ndarray:
    """Shapes that defeat a plain float32 search: each needs one of the engine's
    defences (median centre, float64 re-search, duplicate groups, exact integers)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if name == "rows_scaled_1e6":      # 0.5 % of rows, six orders of magnitude out
        X[rng.choice(n, max(2, n // 200), replace=False)] *= 1e6
    elif name == "one_value_1e7":
        X[rng.integers(n), rng.integers(d)] = 1e7
    elif name == "column_1e9":          # one column in 1e9 next to columns in 1e-3
        X[:, 0] *= 1e9
        X[:, 1:] *= 1e-3
    elif name == "one_row_repeated":
        X[:] = X[0]
    elif name == "rows_repeated":       # every row 2 to 9 times, shuffled
        X = np.repeat(X[: n // 5], rng.integers(2, 10, n // 5), axis=0)[:n]
        X = X[rng.permutation(len(X))]
    elif name == "binary":              # wide enough that few rows repeat
        X = (rng.random((n, 4 * d)) < 0.1).astype(float)
    elif name == "many_zeros":
        X[rng.random(X.shape) < 0.7] = 0.0
    elif name == "one_hot":             # one category of five per row, plus a count
        X = np.c_[np.eye(5)[rng.integers(0, 5, n)], rng.poisson(2.0, n)]
    elif name == "large_counts":        # integers, but too large for the exact search
        X = rng.poisson(3.0, (n, d)).astype(float)
        X[:, 0] = rng.integers(0, 10**6, n)
    return X


HARD = ["rows_scaled_1e6", "one_value_1e7", "column_1e9", "one_row_repeated",
        "rows_repeated", "binary", "many_zeros", "one_hot", "large_counts"]


@pytest.mark.parametrize("width", [1, 2, 5, 6, 33])
def test_a_sum_of_squares_does_not_depend_on_the_call_that_measures_it(backend, xp, width):
    # Exact ties between copies of a row go to the lower index only if each
    # pair's squared distance is the same in every call: on an H100, CuPy's
    # einsum measured a pair alone one ulp below the same pair among others
    # (the stand-in reproduces that; see _fake_cupy.einsum).
    be = get_backend(backend)
    diff = np.random.default_rng(width).normal(size=(9, width))
    # (copies: sum_squares may overwrite its argument)
    together = to_numpy(be.sum_squares(xp.asarray(diff.copy())))
    alone = [to_numpy(be.sum_squares(xp.asarray(diff[i:i + 1].copy())))[0] for i in range(9)]
    np.testing.assert_array_equal(alone, together)
    np.testing.assert_allclose(together, (diff ** 2).sum(axis=1), rtol=1e-14)
    blocks = to_numpy(be.sum_squares(xp.asarray(diff.reshape(3, 3, width).copy())))
    np.testing.assert_array_equal(blocks.reshape(-1), together)


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hard_inputs_match_brute_force_exactly(backend, xp, name, dtype, search_path):
    X = _hard(name, 400).astype(dtype)
    Q = _hard(name, 90, seed=1).astype(dtype)
    for queries, wm in [(None, None), (None, 0.002), (Q, 0.002)]:
        dist, idx = kneighbors(xp.asarray(X), 7, queries=None if queries is None
                               else xp.asarray(queries), backend=backend, working_memory=wm)
        ref_d2, ref_idx = brute_knn(X, 7, queries)
        np.testing.assert_array_equal(to_numpy(idx), ref_idx)
        np.testing.assert_allclose(to_numpy(dist).astype(np.float64) ** 2, ref_d2,
                                   rtol=1e-5 if dtype == np.float32 else 1e-10, atol=1e-30)


def _fallback_counts(X, k=5, queries=None, backend="numpy"):
    from gpusmote import _timing

    with _timing.record() as phases:
        kneighbors(X, k, queries=queries, backend=backend)
    return phases.counts


def test_integers_are_searched_exactly_without_a_recheck(blocked):
    # binary and one-hot data tie everywhere; on integers the search is exact
    X = _hard("binary", 3000, d=30)
    counts = _fallback_counts(X)
    assert counts["exact_rows"] == len(np.unique(X, axis=0))
    assert counts["doubtful_rows"] == 0


def test_duplicates_are_searched_once(blocked):
    X = _hard("rows_repeated", 3000)
    counts = _fallback_counts(X)
    assert counts["duplicate_rows"] == len(X) - len(np.unique(X, axis=0))
    assert counts["query_rows"] == len(np.unique(X, axis=0))
    assert counts["exhaustive_rows"] == 0


def test_repeated_queries_are_searched_once(backend, xp, search_path, monkeypatch):
    # ENN's and the danger sets' queries are rows of X, repeated where X is:
    # each distinct query is searched once and its answer handed to its copies
    monkeypatch.setattr(nb, "_DIRECT_GROUPLESS_MAX_PAIRS", 0)  # groups on every path
    X = _hard("rows_repeated", 400)
    rng = np.random.default_rng(5)
    Q = X[np.sort(rng.choice(len(X), 250, replace=False))][rng.permutation(250)]
    counts = _counts(X, 7, Q, backend=backend, xp=xp)
    n_distinct = len(np.unique(Q, axis=0))
    assert counts["duplicate_queries"] == len(Q) - n_distinct > len(Q) // 2
    assert counts["query_rows"] == n_distinct
    dist, idx = kneighbors(xp.asarray(X), 7, queries=xp.asarray(Q), backend=backend)
    ref_d2, ref_idx = brute_knn(X, 7, Q)
    np.testing.assert_array_equal(to_numpy(idx), ref_idx)
    np.testing.assert_allclose(to_numpy(dist) ** 2, ref_d2, rtol=1e-12, atol=1e-12)
    # distinct references, repeated queries (NearMiss: the majority's rows
    # against the minority's)
    R = rng.normal(size=(30, 6))
    counts = _counts(R, 3, Q, backend=backend, xp=xp)
    assert counts["duplicate_queries"] == len(Q) - n_distinct
    idx = kneighbors(xp.asarray(R), 3, queries=xp.asarray(Q), backend=backend)[1]
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(R, 3, Q)[1])


def test_small_direct_searches_measure_duplicates_as_ties(monkeypatch):
    # below _DIRECT_GROUPLESS_MAX_PAIRS no groups are made: each tie group is
    # measured whole, and the lower index still wins
    X = _hard("rows_repeated", 300)
    assert len(np.unique(X, axis=0)) < 100
    small = _counts(X, 5)
    assert "duplicate_rows" not in small and small["direct_rows"] == 300
    np.testing.assert_array_equal(kneighbors(X, 5, backend="numpy")[1], brute_knn(X, 5)[1])
    Q = X[::7] + 0.0
    np.testing.assert_array_equal(kneighbors(X, 5, Q, backend="numpy")[1],
                                  brute_knn(X, 5, Q)[1])
    monkeypatch.setattr(nb, "_DIRECT_GROUPLESS_MAX_PAIRS", 0)
    assert _counts(X, 5)["duplicate_rows"] == 300 - len(np.unique(X, axis=0))


def test_small_searches_collapse_large_duplicate_groups():
    # 360 copies of one row would be 130 000 tied pairs to measure: groups instead
    X = np.repeat(np.random.default_rng(0).normal(size=(1, 8)), 360, axis=0)
    counts = _counts(X, 5)
    assert counts["duplicate_rows"] == 359 and "direct_rows" not in counts
    idx = kneighbors(X, 5, backend="numpy")[1]
    np.testing.assert_array_equal(idx[:3], [[1, 2, 3, 4, 5], [0, 2, 3, 4, 5], [0, 1, 3, 4, 5]])


def test_tiny_searches_measure_ties_until_there_are_too_many(monkeypatch):
    # at most _UNGROUPED_MAX_PAIRS pairs: no duplicate groups are looked for
    # and ties are measured; more than _UNGROUPED_MAX_MEASURED tied pairs (a
    # group of many copies at some row's k-th distance) and the search starts
    # again with the groups
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.normal(size=(400, 6)), np.repeat(rng.normal(size=(1, 6)), 100, 0)])
    Q = X[::10] + 0.0  # 50 queries, 10 of them copies of the repeated row: 1 000 ties
    assert len(Q) * len(X) <= nb._UNGROUPED_MAX_PAIRS
    counts = _counts(X, 5, Q)
    assert counts["direct_rows"] == 50
    assert "duplicate_rows" not in counts and "ungrouped_retries" not in counts
    ref = brute_knn(X, 5, Q)[1]
    np.testing.assert_array_equal(kneighbors(X, 5, Q, backend="numpy")[1], ref)
    monkeypatch.setattr(nb, "_UNGROUPED_MAX_MEASURED", 500)
    counts = _counts(X, 5, Q)
    assert counts["ungrouped_retries"] == 1 and counts["duplicate_rows"] == 99
    assert counts["query_rows"] == 50  # the search given up is not counted
    np.testing.assert_array_equal(kneighbors(X, 5, Q, backend="numpy")[1], ref)


def test_searches_of_other_queries_measure_ties_up_to_more_pairs():
    # 300 queries x 1 100 rows (330 000 pairs: over _UNGROUPED_MAX_PAIRS, at
    # most _UNGROUPED_QUERIES_MAX_PAIRS): the rows' duplicates are not looked
    # for when the queries are other rows, as in a danger search; a
    # self-search of as many pairs still collapses them first
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(size=(1000, 6)), np.repeat(rng.normal(size=(1, 6)), 100, 0)])
    Q = rng.normal(size=(300, 6))
    assert nb._UNGROUPED_MAX_PAIRS < len(Q) * len(X) <= nb._UNGROUPED_QUERIES_MAX_PAIRS
    counts = _counts(X, 5, Q)
    assert counts["direct_rows"] == 300 and "duplicate_rows" not in counts
    np.testing.assert_array_equal(kneighbors(X, 5, Q, backend="numpy")[1], brute_knn(X, 5, Q)[1])
    X_self = X[np.r_[0:474, 1000:1100]]  # 574 rows, 100 of them copies: 329 476 pairs
    assert nb._UNGROUPED_MAX_PAIRS < len(X_self) ** 2 <= nb._UNGROUPED_QUERIES_MAX_PAIRS
    assert _counts(X_self, 5)["duplicate_rows"] == 99
    np.testing.assert_array_equal(kneighbors(X_self, 5, backend="numpy")[1],
                                  brute_knn(X_self, 5)[1])


def test_a_tree_search_for_many_neighbours_measures_a_few_copies_as_ties():
    # 4 000 rows near a plane (a k-d tree's search) of which 40 are copies in
    # groups of 2, and one group of 5 copies: few rows in groups of more than
    # 3, so a search for 6 or more neighbours keeps the copies; for fewer
    # neighbours, or with many rows in large groups, the groups are collapsed
    rng = np.random.default_rng(8)
    base = rng.normal(size=(3955, 8)) * [10, 10, 1, 1, 1, 1, 1, 1]
    X = np.concatenate([base, base[:40], np.repeat(base[50:51], 4, axis=0)])
    Q = X[::3]
    for k, queries in ((8, None), (8, Q), (3, None)):
        counts = _counts(X, k, queries)
        assert counts["tree_rows"] > 0
        assert ("duplicate_rows" in counts) == (k < nb._TREE_GROUPLESS_MIN_K)
        np.testing.assert_array_equal(kneighbors(X, k, queries, backend="numpy")[1],
                                      brute_knn(X, k, queries)[1])
    many = np.concatenate([base, np.repeat(base[:30], 4, axis=0)])  # 120 rows in groups of 5
    counts = _counts(many, 8)
    # (a copy whose hash rounds differently is missed: slower, still right)
    assert counts["duplicate_rows"] >= 100
    assert counts["tree_rows"] == len(many) - counts["duplicate_rows"]
    np.testing.assert_array_equal(kneighbors(many, 8, backend="numpy")[1], brute_knn(many, 8)[1])


def test_rows_whose_nearest_groups_are_single_rows_skip_the_expansion(monkeypatch):
    # expand sorts only the queries that meet a group of copies; the others
    # take the groups' own rows (their answer must be the same)
    sorted_rows = []
    order, expand = nb._order_by_distance, nb.expand
    rng = np.random.default_rng(9)
    base = rng.normal(size=(600, 12))
    X = np.concatenate([base, np.repeat(base[:2], 30, axis=0)])  # two groups of 31

    def counting(be, d2, idx):
        sorted_rows.append(d2.shape[0])
        return order(be, d2, idx)

    monkeypatch.setattr(nb, "expand", lambda *a: expand(*a[:7], counting, *a[8:]))
    monkeypatch.setattr(nb, "_DIRECT_GROUPLESS_MAX_PAIRS", 0)
    for queries in (None, X[::2] + 0.0):
        sorted_rows.clear()
        counts = _counts(X, 5, queries)
        assert counts["duplicate_rows"] >= 50
        n_q = 602 if queries is None else len(queries)
        assert 0 < sum(sorted_rows) < n_q // 4
        np.testing.assert_array_equal(kneighbors(X, 5, queries, backend="numpy")[1],
                                      brute_knn(X, 5, queries)[1])


def test_one_large_group_is_collapsed_even_where_copies_are_few_overall():
    # 120 copies of one row among 1 000 distinct ones: few copies in all
    # (sum of count^2 ~ 15 000), but a row whose k-th nearest is that group
    # ties with all 120 (KEEL's kddcup land set: 58 000 pairs measured, 29 ms)
    rng = np.random.default_rng(7)
    X = rng.integers(0, 3, size=(1000, 6)).astype(float) + rng.normal(size=(1000, 6))
    X = np.vstack([X, np.repeat([[0.5] * 6], 120, axis=0)])[rng.permutation(1120)]
    assert len(X) ** 2 <= nb._DIRECT_GROUPLESS_MAX_PAIRS  # a search small enough to ask
    counts = _counts(X, 8)
    assert counts["duplicate_rows"] == 119
    np.testing.assert_array_equal(kneighbors(X, 8, backend="numpy")[1], brute_knn(X, 8)[1])


def test_small_integers_are_told_from_their_first_rows_and_then_all():
    be = get_backend("numpy")
    X = np.ones((500, 3))
    assert nb._small_integers(be, X)
    X[400, 2] = 0.5                        # past the rows looked at first
    assert not nb._small_integers(be, X)
    X[400, 2] = 2.0**21                    # an integer, but too large
    assert not nb._small_integers(be, X)
    X[400, 2], X[3, 0] = 1.0, 0.25
    assert not nb._small_integers(be, X)


def test_a_few_extreme_rows_leave_the_others_certified(blocked):
    # the centre is a median: 0.5 % of rows at 1e6 do not move it
    counts = _fallback_counts(_hard("rows_scaled_1e6", 4000, d=30))
    assert counts["doubtful_rows"] <= 40


def test_a_dominant_column_is_searched_in_self_centred_blocks(blocked):
    # a 1e9 column next to 1e-3 ones: around one global centre float32 cannot
    # rank neighbours 1e5 apart; sorted along that column, blocks centred on
    # themselves can
    counts = _fallback_counts(_hard("column_1e9", 3000))
    assert counts["doubtful_rows"] <= 30


def test_cancellation_is_settled_in_float64_not_exhaustively(monkeypatch, blocked):
    # without the self-centred blocks nearly every row is doubtful, and the
    # float64 pass, not the exhaustive one, must settle them
    import gpusmote.neighbors as nb

    monkeypatch.setattr(nb, "_DOMINANT_SHARE", 2.0)
    X = _hard("column_1e9", 3000)
    with_counts = _fallback_counts(X)
    assert with_counts["doubtful_rows"] > 300
    assert with_counts["exhaustive_rows"] == 0
    idx = kneighbors(X, 5, backend="numpy")[1]
    rows = np.arange(0, len(X), 10)  # brute force on every tenth row: itself first, then 5
    np.testing.assert_array_equal(idx[rows], brute_knn(X, 6, X[rows])[1][:, 1:])


@pytest.mark.parametrize("self_search", [True, False])
def test_tied_duplicate_groups_interleave_by_index(backend, xp, self_search, search_path):
    # four groups of copies on the unit circle, their members' indices
    # interleaved: around the origin every group ties, so the answer takes
    # the lowest indices across groups, not whole groups in turn
    points = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]) * 0.3
    labels = np.random.default_rng(4).integers(0, 4, 60)
    X = np.vstack([points[labels], [[0.0, 0.0]]])  # the last row is the centre
    queries = None if self_search else np.array([[0.0, 0.0], [0.3, 0.0]])
    _, idx = kneighbors(xp.asarray(X), 13, queries=None if queries is None else
                        xp.asarray(queries), backend=backend)
    np.testing.assert_array_equal(to_numpy(idx), brute_knn(X, 13, queries)[1])


def test_numpy_topk_keeps_the_lower_index_among_ties():
    from gpusmote.backends._numpy import NumpyBackend

    be = NumpyBackend()
    state = be.topk_init(1, 3, np.float64)
    # every score equal: the three lowest column indices must stay, block after block
    for c0 in (0, 10, 20):
        be.topk_update(state, np.zeros((1, 10)), np.zeros(10), c0, None)
    assert sorted(be.topk_result(state)[1][0].tolist()) == [0, 1, 2]
    state = be.topk_init(1, 3, np.float64)
    G = np.array([[5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 7.0, 1.0]])
    be.topk_update(state, G, np.zeros(8), 0, None)
    assert sorted(be.topk_result(state)[1][0].tolist()) == [0, 1, 6]


@pytest.mark.parametrize("host_limit", [1024, 0])  # covariance on the host / iterated on the device
def test_dominant_direction_found_where_it_dominates_and_only_there(backend, xp, monkeypatch,
                                                                   host_limit):
    import gpusmote.neighbors as nb
    from gpusmote.backends import get_backend

    monkeypatch.setattr(nb, "_HOST_COVARIANCE_MAX_FEATURES", host_limit)
    be = get_backend(backend)
    rng = np.random.default_rng(3)
    S = rng.standard_normal((800, 6))
    S[:, 2] *= 1e4                      # 1e8 of variance along column 2 ...
    S[:4] *= 1e6                        # ... and a few extreme rows, not the bulk, elsewhere
    S[:4, 2] = 0
    v = to_numpy(nb._dominant_direction(be, xp.asarray(S)))
    assert v.dtype == np.float32
    assert abs(abs(v[2]) - 1) < 1e-6 and np.abs(np.delete(v, 2)).max() < 1e-3
    assert nb._dominant_direction(be, xp.asarray(rng.standard_normal((800, 6)))) is None
    assert nb._dominant_direction(be, xp.zeros((50, 6))) is None


# -- which path runs: the rule, and agreement of the paths ------------------------
def _counts(X, k, queries=None, backend="numpy", xp=np):
    with _timing.record() as phases:
        kneighbors(xp.asarray(X), k, queries=None if queries is None else xp.asarray(queries),
                   backend=backend)
    return phases.counts


def test_each_search_takes_the_path_its_size_and_width_call_for(backend, xp, monkeypatch):
    # (on a GPU the direct path is off until measured there: switched on here,
    # and off again at the end)
    monkeypatch.setattr(nb, "_DIRECT_BACKENDS", _ANY_DEVICE)
    rng = np.random.default_rng(12)

    def path(X, queries=None):
        counts = _counts(X, 4, queries, backend, xp)
        assert counts["query_rows"] == len(X if queries is None else queries)
        ran = [p for p in ("direct", "tree") if counts[f"{p}_rows"]]
        assert len(ran) <= 1
        return ran[0] if ran else "blocked"

    small = rng.normal(size=(300, 8))                   # 90 000 pairs: direct, tree or not
    assert path(small) == "direct"
    # 10^6 pairs in 8 features, near a plane (effective dimension about 2): the tree
    narrow = rng.normal(size=(1000, 8)) * [10, 10, 1, 1, 1, 1, 1, 1]
    assert path(narrow) == ("tree" if backend == "numpy" else "direct")  # no tree on a GPU
    assert path(rng.normal(size=(1000, 8))) == "direct"  # round data: effective dimension 8
    counts = rng.integers(0, 9, size=(1000, 8)).astype(float)  # ... unless small integers
    assert path(counts) == "direct"
    wide = rng.normal(size=(1000, 20))                  # 10^6 pairs in 20 features: direct
    assert path(wide) == "direct"
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 1000 * 1000 - 1)
    assert path(wide) == "blocked"                      # ... up to _DIRECT_WIDE_MAX_PAIRS
    monkeypatch.setattr(nb, "_DIRECT_INTEGER_MAX_PAIRS", 1000 * 1000 - 1)
    assert path(counts) == "blocked"                    # ... and _DIRECT_INTEGER_MAX_PAIRS
    # the small rule's edge: at most _DIRECT_MAX_PAIRS query x reference pairs
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 0)
    queries = rng.normal(size=(7, 8))
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", 7 * 1000)
    assert path(narrow, queries) == "direct"
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", 7 * 1000 - 1)
    assert path(narrow, queries) == ("tree" if backend == "numpy" else "blocked")
    # ... and against fewer than _TREE_MIN_REFS references no tree, however
    # many the queries (NearMiss: the majority against a small minority)
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 1 << 26)
    refs = narrow[:nb._TREE_MIN_REFS - 1]
    many = rng.normal(size=(2000, 8)) * [10, 10, 1, 1, 1, 1, 1, 1]
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", len(refs))
    assert path(refs, many) == "direct"
    monkeypatch.setattr(nb, "_TREE_MIN_REFS", len(refs))
    assert path(refs, many) == ("tree" if backend == "numpy" else "direct")
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 0)
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", 300 * 300)
    monkeypatch.setattr(nb, "_DIRECT_BACKENDS", frozenset({"numpy"}))
    assert path(small) == ("direct" if backend == "numpy" else "blocked")


@pytest.mark.parametrize("name", HARD + ["grid", "half_grid"])
@pytest.mark.parametrize("queries", [False, True])
def test_the_paths_agree_exactly_on_hard_inputs(monkeypatch, name, queries):
    # duplicates, ties, outliers, cancellation: the same indices and the same
    # float64 distances from every path
    def data(n, seed):
        if name in ("grid", "half_grid"):  # ties everywhere
            step = 1.0 if name == "grid" else 0.5
            return np.random.default_rng(seed).integers(0, 4, size=(n, 3)) * step
        return _hard(name, n, seed=seed)

    X, Q = data(600, 0), (data(80, 1) if queries else None)
    answers = {}
    for path in PATHS:
        force_path(monkeypatch, path)
        answers[path] = kneighbors(X, 6, queries=Q, backend="numpy", working_memory=0.01)
    for path in ("direct", "direct-bound", "tree"):
        np.testing.assert_array_equal(answers[path][1], answers["blocked"][1])
        np.testing.assert_array_equal(answers[path][0], answers["blocked"][0])
    np.testing.assert_array_equal(answers["direct"][1], brute_knn(X, 6, Q)[1])


def test_tree_rows_tied_at_the_kth_distance_are_searched_again(monkeypatch):
    # on a grid the tree's m candidates often end inside a tie: those rows must
    # be re-searched (and come out exact), the others certified
    force_path(monkeypatch, "tree")
    # (a 3-D grid: an inner point has 6 neighbours at distance 1, more than the
    # k + 2 candidates of k = 2; corner points have 3, and are certified)
    # (in steps of 0.5: small integers do not go to the tree, they tie everywhere)
    g = np.stack(np.meshgrid(*[np.arange(7)] * 3), -1).reshape(-1, 3) * 0.5
    counts = _counts(g, 2)
    assert 0 < counts["doubtful_rows"] < len(g)
    np.testing.assert_array_equal(kneighbors(g, 2, backend="numpy")[1], brute_knn(g, 2)[1])


def test_tree_rows_in_small_ties_are_settled_by_a_wider_tree_query(monkeypatch):
    # a tie of 3 to 6 at the k-th distance passes the first k + 2 candidates but
    # not the wider k + 16: no row may fall through to the search of every row
    force_path(monkeypatch, "tree")
    g = np.stack(np.meshgrid(*[np.arange(7)] * 3), -1).reshape(-1, 3) * 0.5
    counts = _counts(g, 2)
    assert counts["doubtful_rows"] > 0
    assert counts["direct_recheck_rows"] == 0
    np.testing.assert_array_equal(kneighbors(g, 2, backend="numpy")[1], brute_knn(g, 2)[1])


def test_tree_rows_in_ties_wider_than_any_margin_are_searched_directly(monkeypatch):
    # 30 rows at the same distance from the origin row (and from each other in
    # pairs): their ties outlast both tree queries, and the direct search
    # still keeps the lower indices
    force_path(monkeypatch, "tree")
    rng = np.random.default_rng(31)
    star = np.concatenate([np.eye(15), -np.eye(15)]) * 0.5
    X = np.concatenate([rng.normal(5.0, 1.0, size=(600, 15)), star, np.zeros((1, 15))])
    X = X[rng.permutation(len(X))]
    counts = _counts(X, 2)
    assert counts["direct_recheck_rows"] > 0
    d, i = kneighbors(X, 2, backend="numpy")
    np.testing.assert_array_equal(i, brute_knn(X, 2)[1])
    np.testing.assert_allclose(d, np.sqrt(brute_knn(X, 2)[0]), rtol=1e-12)


def test_direct_path_strips_stay_within_the_working_memory(monkeypatch):
    # the direct path scores a strip of queries at a time, never all pairs at once
    force_path(monkeypatch, "direct")
    seen = []
    original = nb._some_high
    monkeypatch.setattr(nb, "_some_high", lambda be, S, *args: seen.append(S.shape) or
                        original(be, S, *args))
    X = np.random.default_rng(13).normal(size=(2000, 5))
    idx = kneighbors(X, 3, backend="numpy", working_memory=0.25)[1]
    assert max(r * c for r, c in seen) * 8 <= 0.25 * 2**20
    np.testing.assert_array_equal(idx[::50], brute_knn(X, 4, X[::50])[1][:, 1:])


def test_one_outlier_does_not_send_every_row_to_the_exhaustive_check(monkeypatch, blocked):
    # the rounding bound is per row: far rows cannot compete, whatever their norm
    import gpusmote.neighbors as nb

    seen = []
    original = nb._exhaustive
    monkeypatch.setattr(nb, "_exhaustive",
                        lambda *a, **kw: seen.append(len(a[6])) or original(*a, **kw))
    rng = np.random.default_rng(10)
    X = rng.normal(size=(2000, 10)).astype(np.float32)
    X[0] = 1e4
    _, idx = kneighbors(X, 5, backend="numpy")
    np.testing.assert_array_equal(idx, brute_knn(X, 5)[1])
    assert sum(seen) <= 20


def test_direct_rows_float32_cannot_separate_are_scored_again_in_float64(monkeypatch):
    # a 1e9 column next to 1e-3 ones: float32 scores cannot rank most rows'
    # neighbours; those rows (only those) are scored again in float64, exactly
    # (a search past the small ones: small searches score in float64 at once)
    force_path(monkeypatch, "direct")
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", 0)
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 1 << 62)
    # (every doubtful row to float64, however few references its bound holds)
    monkeypatch.setattr(nb, "_DIRECT_EXACT_SHARE", 1 << 40)
    X = _hard("column_1e9", 1500)
    counts = _counts(X, 5)
    assert 0 < counts["direct_float64_rows"] <= len(X)
    assert _counts(_hard("plain", 1500), 5)["direct_float64_rows"] < 15
    np.testing.assert_array_equal(kneighbors(X, 5, backend="numpy")[1][::10],
                                  brute_knn(X, 6, X[::10])[1][:, 1:])


def test_direct_rows_whose_bound_holds_few_references_are_measured_at_once(monkeypatch):
    # binary patterns off the integers (no exact integer search): ties at the
    # k-th distance everywhere. A float64 pass would let the same ties through,
    # so the few references inside float32's bound are measured exactly at once
    force_path(monkeypatch, "direct")
    monkeypatch.setattr(nb, "_DIRECT_MAX_PAIRS", 0)
    monkeypatch.setattr(nb, "_DIRECT_WIDE_MAX_PAIRS", 1 << 62)
    X = 0.5 * _hard("binary", 1500) + 0.25  # (exact in binary: true ties stay ties)
    counts = _counts(X, 5)
    np.testing.assert_array_equal(kneighbors(X, 5, backend="numpy")[1], brute_knn(X, 5)[1])
    # every doubtful row sent to float64 instead: the same answer, many more rows
    monkeypatch.setattr(nb, "_DIRECT_EXACT_SHARE", 1 << 40)
    every = _counts(X, 5)["direct_float64_rows"]
    assert counts["direct_rows"] > 0 and every > 2 * counts["direct_float64_rows"] + 50


def test_small_direct_searches_score_in_float64_at_once(monkeypatch):
    # a float32 pass with a float64 retry costs more than it saves when the
    # whole search is a few thousand pairs
    X = _hard("column_1e9", 300)
    counts = _counts(X, 5)
    assert counts["direct_rows"] == 300 and counts["direct_float64_rows"] == 0
    np.testing.assert_array_equal(kneighbors(X, 5, backend="numpy")[1], brute_knn(X, 5)[1])



def test_small_float64_searches_score_the_data_as_it_is_unless_it_lies_far_from_0(monkeypatch):
    # no centred, folded copy of X where the rounding bound of uncentred scores
    # stays tight (values within _UNCENTRED_MAX_OFFSET of their range from 0)
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 1, size=(300, 4))
    Q = X[::9] + 0.0
    for data, uncentred in [(X, True), (X + 1000.0, True), (X + 1e6, False),
                            (X.astype(np.float32), False)]:
        queries = Q.astype(data.dtype) + (data[0, 0] - X[0, 0]).astype(data.dtype)
        for q in (None, queries):
            counts = _counts(data, 5, q)
            assert counts["direct_rows"] == (300 if q is None else len(Q))
            assert ("direct_uncentred_rows" in counts) == uncentred
            np.testing.assert_array_equal(kneighbors(data, 5, q, backend="numpy")[1],
                                          brute_knn(data, 5, q)[1])
    # near the offset limit the bound still lets only a few references through
    # (every reference measured exactly would start the search again with groups)
    monkeypatch.setattr(nb, "_UNGROUPED_MAX_MEASURED", 3 * len(Q))
    counts = _counts(X + 1000.0, 5, Q + 1000.0)
    assert "ungrouped_retries" not in counts and counts["direct_uncentred_rows"] == len(Q)


class _Tally:
    """A progress bar that only adds up what it is told."""

    def __init__(self):
        self.n = 0

    def update(self, rows: int) -> None:
        self.n += rows


def test_a_self_search_computes_each_pair_of_blocks_once_with_the_same_candidates(monkeypatch):
    # The NumPy self-search scores x_i . x_j - |x_i|^2/2 - |x_j|^2/2, one GEMM
    # block for both blocks' rows; it must find the same best m as the full
    # square, with scores of the one-sided form. 5 full blocks and a short
    # last one (3 rows < m + 1) that joins the block before it.
    be = get_backend("numpy")
    rng = np.random.default_rng(3)
    size, budget = 32, 1 << 20
    monkeypatch.setattr(type(be), "block_shape", staticmethod(lambda *args: (size, 2 * size)))
    n, m = size * 5 + 3, 9
    Xc = rng.standard_normal((n, 6)).astype(np.float32)
    half_sq = (0.5 * (Xc.astype(np.float64) ** 2).sum(axis=1)).astype(np.float32)
    symmetric = []
    real = nb._symmetric_candidates
    monkeypatch.setattr(nb, "_symmetric_candidates",
                        lambda *a, **kw: symmetric.append(a[4]) or real(*a, **kw))
    tally = _Tally()
    score, cand, _ = nb._candidates(be, Xc, Xc, half_sq, m, True, budget, "", tally,
                                    symmetric=True)
    assert symmetric == [size] and tally.n == n
    full_score, full_cand, _ = nb._candidates(be, Xc, Xc, half_sq, m, True, budget, "",
                                              symmetric=False)
    assert len(symmetric) == 1
    by_index = np.argsort(cand, axis=1)
    full_by_index = np.argsort(full_cand, axis=1)
    np.testing.assert_array_equal(np.take_along_axis(cand, by_index, axis=1),
                                  np.take_along_axis(full_cand, full_by_index, axis=1))
    np.testing.assert_array_equal(np.sort(cand, axis=1), np.sort(brute_knn(Xc, m)[1], axis=1))
    np.testing.assert_allclose(np.take_along_axis(score, by_index, axis=1),
                               np.take_along_axis(full_score, full_by_index, axis=1),
                               rtol=0, atol=1e-5)
    # an exact (integer) search keeps the one-sided order: ties go to the lower index
    nb._candidates(be, np.rint(Xc), np.rint(Xc), half_sq, m, True, budget, "")
    assert len(symmetric) == 1


def test_outward_visits_blocks_nearest_first_until_the_gap_passes_the_bar():
    # six reference blocks of 4 rows along the direction; the query block's
    # projections span [21, 24], inside block 2
    edges = np.array([[0.0, 10, 20, 30, 40, 50], [5.0, 15, 25, 35, 45, 55]])
    visited = list(nb._outward(edges, 4, 21.0, 24.0, lambda: 7.0, 0.0, 1.0))
    assert visited == [8, 4, 12]  # blocks 2, 1 and 3 (gaps 0, 6, 6); 0 and 4 lie 16 away
    # a gap equal to the reach is visited, one just above it is not; the reach
    # is the radius times |v| plus both projections' rounding (slack each)
    assert list(nb._outward(edges, 4, 21.0, 24.0, lambda: 3.0, 0.75, 1.5)) == [8, 4, 12]
    assert list(nb._outward(edges, 4, 21.0, 24.0, lambda: 2.999, 0.75, 1.5)) == [8]
    # the radius is asked again before each step, as the bars rise
    radii = iter([np.inf, np.inf, 7.0, 7.0, 7.0])
    assert list(nb._outward(edges, 4, 21.0, 24.0, lambda: next(radii), 0.0, 1.0)) == [
        8, 4, 12, 0]
    # a query range past either end starts from the nearest block
    assert list(nb._outward(edges, 4, 70.0, 80.0, lambda: 20.0, 0.0, 1.0)) == [20]
    assert list(nb._outward(edges, 4, -9.0, -8.0, lambda: 19.0, 0.0, 1.0)) == [0, 4]


def test_a_dominant_direction_skips_far_blocks_and_stays_exact(monkeypatch):
    # a 1e9 column: the search sorts queries and references along it and skips
    # the reference blocks too far along it, for X itself and for other queries
    force_path(monkeypatch, "blocked")
    visited = []
    real = nb._outward

    def counted(*args):
        for c0 in real(*args):
            visited.append(c0)
            yield c0

    monkeypatch.setattr(nb, "_outward", counted)
    X = _hard("column_1e9", 1500).astype(np.float32)
    queries = X[::3] + np.float32(1e-3)
    blocks = -(-len(X) // 64)
    # (X's 24 blocks of 64 rows visit 103 of 576 pairs; the queries, spread
    # three times wider, 71 of 192)
    for Q, reference, share in ((None, brute_knn(X, 5), 1 / 4),
                                (queries, brute_knn(X, 5, queries), 1 / 2)):
        visited.clear()
        _, idx = kneighbors(X, 5, queries=Q, backend="numpy", working_memory=64 * 64 * 4 / 2**20)
        np.testing.assert_array_equal(idx, reference[1])
        n_query_blocks = -(-(len(X) if Q is None else len(Q)) // 64)
        assert 0 < len(visited) < share * n_query_blocks * blocks


def test_the_frame_finds_its_direction_on_one_blas_thread(monkeypatch):
    # a multi-threaded BLAS call just before the threaded search leaves BLAS's
    # own threads spinning on the cores the search needs
    from threadpoolctl import threadpool_info

    seen = []
    real = nb._dominant_direction

    def spy(be, S, *args):
        seen.append([lib["num_threads"] for lib in threadpool_info()
                     if lib["user_api"] == "blas"])
        return real(be, S, *args)

    monkeypatch.setattr(nb, "_dominant_direction", spy)
    nb._frame(get_backend("numpy"), np.random.default_rng(0).normal(size=(600, 5)))
    assert seen and all(n == 1 for n in seen[0])
