"""Duplicate groups: every copy found, groups ordered by their lowest row."""

import numpy as np
import pytest

from gpusmote._duplicates import _by_key_then_row, find_groups
from gpusmote.backends import get_backend
from tests._helpers import to_numpy


def _reference(X):
    """(first, label) from np.unique: groups in order of their lowest row."""
    _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.size)
    return np.sort(first), rank[inverse.reshape(-1)]


@pytest.mark.parametrize("n", [2, 40, 3000])
def test_groups_equal_the_unique_rows(backend, xp, n):
    rng = np.random.default_rng(n)
    X = rng.integers(0, 4, (n, 3)).astype(np.float64)
    X[rng.random(n) < 0.3] *= -1.0          # negative hashes, and -0.0 beside 0.0
    X[-1] = X[0]
    be = get_backend(backend, xp.asarray(X))
    groups = find_groups(be, xp.asarray(X), 1 << 20)
    first, label = _reference(X)
    np.testing.assert_array_equal(to_numpy(groups.first), first)
    np.testing.assert_array_equal(to_numpy(groups.label), label)
    members, start, count = (to_numpy(a) for a in (groups.members, groups.start,
                                                   groups.count))
    np.testing.assert_array_equal(members, np.argsort(label, kind="stable"))
    np.testing.assert_array_equal(count, np.bincount(label))
    np.testing.assert_array_equal(start, np.cumsum(count) - count)


def test_distinct_rows_make_no_groups(backend, xp):
    X = np.random.default_rng(0).normal(size=(500, 4))
    be = get_backend(backend, xp.asarray(X))
    assert find_groups(be, xp.asarray(X), 1 << 20) is None


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 70000])
def test_packed_sort_is_a_stable_argsort_of_keys_with_zero_low_bits(n):
    rng = np.random.default_rng(n)
    labels = rng.integers(0, max(1, n // 10), n)
    shift = max(1, (n - 1).bit_length())
    order = _by_key_then_row(np, labels.astype(np.uint64) << np.uint64(shift), n)
    np.testing.assert_array_equal(order, np.argsort(labels, kind="stable"))
