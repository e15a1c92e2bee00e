"""SMOTE-NC's mixed-distance search from integer codes (``_mixed_neighbors``)
against an exact brute force on imbalanced-learn's one-hot encoding."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from gpusmote._mixed_neighbors import mixed_kneighbors
from gpusmote.backends import get_backend
from tests._helpers import to_numpy


def _brute(num, codes, weight, k):
    """Exact squared distances in float64, each row's k nearest others by
    (distance, index)."""
    n = num.shape[0]
    diff = num[:, None, :] - num[None, :, :]
    d2 = (diff * diff).sum(axis=2) + weight * (codes[:, None, :] != codes[None, :, :]).sum(2)
    np.fill_diagonal(d2, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), d2.shape), d2), axis=1)
    return order[:, :k], d2


def _data(kind, n=300, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "frequent":  # a few categories per column: all one-hot in the GEMM
        num = rng.normal(size=(n, 4))
        codes = rng.integers(0, 3, size=(n, 2))
    elif kind == "rare":  # many categories: all matched through the sorted codes
        num = rng.normal(size=(n, 4))
        codes = rng.integers(0, n, size=(n, 3))
    elif kind == "mixed":  # one dominant category and a long tail, in one column
        num = rng.normal(size=(n, 3))
        tail = rng.integers(1, 2000, size=n)
        codes = np.column_stack([np.where(rng.random(n) < 0.5, 0, tail),
                                 rng.integers(0, 4, size=n)])
    elif kind == "ties":  # small integers: many exactly equal distances
        num = rng.integers(0, 3, size=(n, 2)).astype(np.float64)
        codes = rng.integers(0, 150, size=(n, 2))
        codes[::2, 1] = 7
    elif kind == "duplicates":  # every row the same
        num = np.ones((n, 3))
        codes = np.zeros((n, 2), dtype=np.int64)
    elif kind == "far":  # large offsets: the expanded form's rounding matters
        num = 1e6 + rng.integers(0, 4, size=(n, 3)) * 0.25
        codes = rng.integers(0, 40, size=(n, 2))
    elif kind == "spread":  # far-apart clusters, fine detail: float32 cannot separate
        num = np.column_stack([rng.integers(0, 2, n) * 1e8, rng.normal(size=n) * 1e-3])
        codes = rng.integers(0, 30, size=(n, 2))
    return num, codes.astype(np.int64)


@pytest.mark.parametrize("kind", ["frequent", "rare", "mixed", "ties", "duplicates", "far",
                                  "spread"])
@pytest.mark.parametrize("weight", [0.0, 0.7, 2.0])
def test_equals_exact_brute_force_with_lower_index_ties(backend, kind, weight):
    num, codes = _data(kind)
    be = get_backend(backend)
    want, _ = _brute(num, codes, weight, 5)
    got = mixed_kneighbors(be, be.asarray(num), be.asarray(codes), weight, 5, 1 << 22)
    np.testing.assert_array_equal(to_numpy(got), want)


@pytest.mark.parametrize("budget", [1, 4096, 1 << 30])
def test_any_block_size_gives_the_same_answer(backend, budget):
    num, codes = _data("mixed", n=257, seed=3)
    be = get_backend(backend)
    want, _ = _brute(num, codes, 1.3, 6)
    got = mixed_kneighbors(be, be.asarray(num), be.asarray(codes), 1.3, 6, budget)
    np.testing.assert_array_equal(to_numpy(got), want)


@pytest.mark.parametrize("n, k", [(2, 1), (6, 5), (7, 5), (12, 5), (13, 1), (100, 49)])
def test_tiny_classes_and_large_k(backend, n, k):
    num, codes = _data("ties", n=n, seed=n)
    be = get_backend(backend)
    want, _ = _brute(num, codes, 0.8, k)
    got = mixed_kneighbors(be, be.asarray(num), be.asarray(codes), 0.8, k, 1 << 20)
    np.testing.assert_array_equal(to_numpy(got), want)


def test_same_neighbour_sets_as_scikit_learn_on_the_one_hot_encoding():
    """imbalanced-learn's search: numeric columns plus one-hot columns at
    median_std / sqrt(2); continuous data, so no ties to settle differently."""
    rng = np.random.default_rng(5)
    num = rng.normal(size=(400, 5))
    codes = np.column_stack([rng.integers(0, 3, 400), rng.integers(0, 300, 400)])
    med = 0.9
    onehot = np.hstack([np.eye(codes[:, j].max() + 1)[codes[:, j]] for j in range(2)])
    enc = np.hstack([num, onehot * med / np.sqrt(2)])
    want = NearestNeighbors(n_neighbors=6).fit(enc).kneighbors(enc, return_distance=False)
    be = get_backend("numpy")
    got = mixed_kneighbors(be, num, codes, med * med, 5, 1 << 22)
    np.testing.assert_array_equal(np.sort(got, axis=1), np.sort(want[:, 1:], axis=1))


def test_float32_numeric_columns_are_measured_in_float64():
    rng = np.random.default_rng(1)
    num = rng.normal(size=(200, 3)).astype(np.float32)
    codes = rng.integers(0, 50, size=(200, 2))
    be = get_backend("numpy")
    want, _ = _brute(num.astype(np.float64), codes, 0.5, 4)
    np.testing.assert_array_equal(mixed_kneighbors(be, num, codes, 0.5, 4, 1 << 20), want)
