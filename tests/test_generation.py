"""What the generation draws: steps uniform on [0, 1), every (seed, neighbour) cell
and every source row used as often as chance says, and the working dtype.

Each test recovers the draws from the output alone (which segment a new row
lies on, and where on it), so it holds whatever the code that draws looks like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import make_classification

from gpusmote import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
from tests._helpers import brute_knn, segment_steps, to_numpy

# p-values below this fail; with fixed seeds every value is fixed (and far above it)
P_MIN = 1e-4


# the samplers whose new rows lie on segments between rows of a class
SEGMENT_SAMPLERS = [
    SMOTE(k_neighbors=5, random_state=3),
    ADASYN(n_neighbors=5, random_state=3),
    BorderlineSMOTE(k_neighbors=5, random_state=3),
]


def _continuous(n=500, seed=0):
    X, y = make_classification(n_samples=n, n_features=4, n_informative=4, n_redundant=0,
                               weights=[0.75, 0.25], flip_y=0, class_sep=0.5,
                               n_clusters_per_class=1, random_state=seed)
    return X, y


def _class_pairs(X, y, label, k):
    """Every (row, neighbour) pair of a class with its k same-class neighbours."""
    rows = np.flatnonzero(y == label)
    _, nn = brute_knn(X[rows], k)
    return np.column_stack([np.repeat(rows, k), rows[nn].reshape(-1)])


@pytest.mark.parametrize("sampler", SEGMENT_SAMPLERS, ids=lambda s: type(s).__name__)
def test_steps_are_uniform_and_new_rows_are_not_copies(backend, xp, sampler):
    """Every new row lies strictly on a segment between two different rows, its
    step is uniform on [0, 1) (Kolmogorov-Smirnov), and almost none equals an
    original row (a sampler that copied rows would pass a clipped segment check)."""
    X, y = _continuous()
    sampler = sampler.set_params(backend=backend)
    X_res, _y_res = (to_numpy(a) for a in sampler.fit_resample(xp.asarray(X), xp.asarray(y)))
    new = X_res[len(X):]
    assert len(new) >= 150
    which, t = segment_steps(X, new, _class_pairs(X, y, 1, 5), atol=1e-9)
    assert (which >= 0).all(), f"{(which < 0).sum()} new rows are on no segment"
    assert ((t >= 0) & (t < 1)).all()
    # a row on the segment between mutual neighbours i and j is i + t (j - i) or
    # j + (1 - t) (i - j): only the distance to the nearer end is recovered, and
    # it is uniform on [0, 1/2] when t is uniform on [0, 1)
    assert stats.kstest(2 * np.minimum(t, 1 - t), "uniform").pvalue > P_MIN
    copies = (new[:, None, :] == X[None, :, :]).all(axis=2).any(axis=1)
    assert copies.mean() < 0.01


def _tiny_class(n_major, seed):
    """A class of 5 rows in general position (no three on a line), far from a
    majority of ``n_major`` rows: over-sampling it draws ``n_major - 5`` rows."""
    rng = np.random.default_rng(seed)
    minority = np.array([[0.0, 0.0], [1.0, 0.1], [0.2, 1.3], [1.7, 1.1], [0.9, 2.2]])
    X = np.vstack([minority, 50 + rng.standard_normal((n_major, 2))])
    y = np.r_[np.ones(5, dtype=int), np.zeros(n_major, dtype=int)]
    return X, y


def _pair_shares(pairs):
    """Unordered segments of a (seed, neighbour) table and the share of draws each
    should get when seeds and neighbours are drawn uniformly: a segment two
    cells lead to ((i, j) and (j, i)) gets twice the share."""
    key = np.sort(pairs, axis=1)
    segments, cell_segment = np.unique(key, axis=0, return_inverse=True)
    shares = np.bincount(cell_segment.reshape(-1), minlength=len(segments)) / len(pairs)
    return segments, shares


@pytest.mark.parametrize("k", [2, 4])
def test_smote_draws_every_seed_and_neighbour_uniformly(backend, xp, k):
    """On a class of 5 rows, 2000 new rows spread over the (seed, neighbour)
    cells as uniform draws do (chi-square), every cell used: a draw that never
    reaches the last seed or the last neighbour column fails."""
    X, y = _tiny_class(2005, seed=k)
    X_res = to_numpy(SMOTE(k_neighbors=k, random_state=11, backend=backend)
                     .fit_resample(xp.asarray(X), xp.asarray(y))[0])
    new = X_res[len(X):]
    assert len(new) == 2000
    segments, shares = _pair_shares(_class_pairs(X, y, 1, k))
    which, _t = segment_steps(X, new, segments, atol=1e-9)
    assert (which >= 0).all()
    observed = np.bincount(which, minlength=len(segments))
    assert (observed > 0).all(), observed
    assert stats.chisquare(observed, shares * len(new)).pvalue > P_MIN, observed


def test_random_over_sampler_copies_every_row_uniformly(backend, xp):
    """On a class of 5 rows, 2000 copies come from each row about equally
    (chi-square, found by value): a draw that skips the last row fails."""
    X, y = _tiny_class(2005, seed=0)
    X_res = to_numpy(RandomOverSampler(random_state=5, backend=backend)
                     .fit_resample(xp.asarray(X), xp.asarray(y))[0])
    new = X_res[len(X):]
    assert len(new) == 2000
    same = (new[:, None, :] == X[None, :5, :]).all(axis=2)
    assert (same.sum(axis=1) == 1).all()  # every new row is a copy of one minority row
    observed = same.sum(axis=0)
    assert (observed > 0).all(), observed
    assert stats.chisquare(observed).pvalue > P_MIN, observed


def test_all_float32_dataframe_is_computed_in_float32(monkeypatch):
    """An all-float32 DataFrame is resampled in float32 (not in float64 and cast
    back): the working array is float32 and the rows equal those of the same
    values passed as a float32 array."""
    from gpusmote import _smote

    seen = []
    real = _smote.generate

    def spy(be, X, *args, **kwargs):
        seen.append(X.dtype)
        return real(be, X, *args, **kwargs)

    monkeypatch.setattr(_smote, "generate", spy)
    X, y = _continuous(n=300)
    X32 = X.astype(np.float32)
    df = pd.DataFrame(X32, columns=list("abcd"))
    X_df, _ = SMOTE(random_state=0).fit_resample(df, y)
    X_np, _ = SMOTE(random_state=0).fit_resample(X32, y)
    assert seen == [np.float32, np.float32]
    assert (X_df.dtypes == np.float32).all()
    np.testing.assert_array_equal(X_df.to_numpy(), X_np)
    # one float64 column: the whole frame is worked in float64, each column cast back
    df["d"] = df["d"].astype(np.float64)
    SMOTE(random_state=0).fit_resample(df, y)
    assert seen[-1] == np.float64


# -- issue 13 item 19: values near the dtype's largest value -------------------------

def _huge_float32(seed=0, same_sign=False):
    """float32 rows whose column 1 is +-3.3e38 (the sign at random, or all +): the
    difference of two rows of opposite sign overflows float32."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((120, 3)).astype(np.float32)
    sign = np.ones(120) if same_sign else rng.choice([-1.0, 1.0], 120)
    X[:, 1] = (sign * rng.uniform(3.2e38, 3.3e38, 120)).astype(np.float32)
    y = np.r_[[0] * 80, [1] * 40]
    return X, y


@pytest.mark.parametrize("sampler", [
    SMOTE(random_state=0), ADASYN(random_state=0), BorderlineSMOTE(random_state=0),
    BorderlineSMOTE(kind="borderline-2", random_state=0),
], ids=["SMOTE", "ADASYN", "Borderline-1", "Borderline-2"])
def test_overflowing_differences_are_refused_naming_the_column(backend, xp, sampler):
    from sklearn.base import clone

    X, y = _huge_float32()
    name = type(sampler).__name__
    with pytest.raises(ValueError, match=rf"{name}: column 1 of class 1 holds values from "
                       r"-3.\d+e\+38 to 3.\d+e\+38; .*overflows float32 \(largest 3.4e\+38\), "
                       r"so new rows would be inf.*X.astype\(np.float64\)"):
        clone(sampler).set_params(backend=backend).fit_resample(xp.asarray(X), xp.asarray(y))
    # the fix the message gives works, and gives finite rows
    X_res, _ = clone(sampler).set_params(backend=backend).fit_resample(
        xp.asarray(X.astype(np.float64)), xp.asarray(y))
    assert np.isfinite(to_numpy(X_res)).all()


def test_the_message_names_dataframe_and_smotenc_columns():
    from gpusmote import SMOTENC

    X, y = _huge_float32()
    df = pd.DataFrame(X, columns=["amount", "balance", "age"])
    with pytest.raises(ValueError, match=r"SMOTE: column 'balance' of class 1"):
        SMOTE(random_state=0).fit_resample(df, y)
    df["city"] = np.where(X[:, 0] > 0, "a", "b")
    with pytest.raises(ValueError, match=r"SMOTENC: column 'balance' of class 1"):
        SMOTENC(categorical_features=["city"], random_state=0).fit_resample(df, y)


def test_huge_values_that_cannot_overflow_are_resampled():
    from sklearn.neighbors import NearestNeighbors

    # one sign only: every difference fits, and every new row is finite
    X, y = _huge_float32(same_sign=True)
    X[:, 1] /= 2
    X_res, _ = SMOTE(random_state=0).fit_resample(X, y)
    assert X_res.dtype == np.float32 and np.isfinite(X_res).all()
    # opposite signs in different classes: SMOTE interpolates within a class only
    # (a scikit-learn search here: this test is about generation, not our search)
    X, y = _huge_float32(same_sign=True)
    X[y == 0, 1] *= -1
    X_res, _ = SMOTE(k_neighbors=NearestNeighbors(n_neighbors=6),
                     random_state=0).fit_resample(X, y)
    assert np.isfinite(X_res).all() and len(X_res) == 160
    # ... but BorderlineSMOTE-2 steps towards other classes too
    with pytest.raises(ValueError, match=r"BorderlineSMOTE: column 1 of class 1"):
        BorderlineSMOTE(kind="borderline-2", k_neighbors=NearestNeighbors(n_neighbors=6),
                        m_neighbors=NearestNeighbors(n_neighbors=11)).fit_resample(X, y)


def test_a_users_neighbour_estimator_on_float64_is_checked_too():
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 2))
    X[:, 0] = rng.choice([-1.0, 1.0], 60) * 1.5e308
    y = np.r_[[0] * 40, [1] * 20]
    with pytest.raises(ValueError, match=r"column 0 of class 1 .*overflows float64.*rescale"):
        SMOTE(k_neighbors=NearestNeighbors(n_neighbors=6), random_state=0).fit_resample(X, y)


@pytest.mark.parametrize("sampler", SEGMENT_SAMPLERS, ids=lambda s: type(s).__name__)
def test_base_indices_name_the_row_each_new_row_was_made_from(backend, xp, sampler):
    """``base_indices_[i]`` is an end of the segment new row i lies on, of its class."""
    X, y = _continuous()
    sampler = sampler.set_params(backend=backend)
    X_res, y_res = (to_numpy(a) for a in sampler.fit_resample(xp.asarray(X), xp.asarray(y)))
    base = to_numpy(sampler.base_indices_)
    new = X_res[len(X):]
    assert base.dtype.kind == "i" and base.shape == (len(new),)
    assert (y[base] == y_res[len(X):]).all()
    pairs = _class_pairs(X, y, 1, 5)
    which, _ = segment_steps(X, new, pairs, atol=1e-9)
    assert (which >= 0).all()
    ends = pairs[which]
    assert ((ends[:, 0] == base) | (ends[:, 1] == base)).all()
    if isinstance(sampler, BorderlineSMOTE):  # the base, not the other end, is in danger
        assert np.isin(base, to_numpy(sampler.in_danger_indices[1])).all()


def test_base_indices_of_categorical_samplers():
    from gpusmote import SMOTEN, SMOTENC

    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(80, 2)), rng.integers(0, 3, (80, 1))].astype(object)
    y = np.r_[[0] * 60, [1] * 20]
    nc = SMOTENC(categorical_features=[2], random_state=0)
    X_res, _ = nc.fit_resample(X, y)
    new = np.asarray(X_res[80:, :2], dtype=float)
    # each new numeric part lies between its base row and a same-class row (its
    # neighbours are found with the categories too: any row of the class may be one)
    rows = np.flatnonzero(y == 1)
    pairs = np.array([(a, b) for a in rows for b in rows if a != b])
    base = nc.base_indices_
    assert base.shape == (40,) and (y[base] == 1).all()
    which, _ = segment_steps(np.asarray(X[:, :2], dtype=float), new, pairs, atol=1e-6)
    ends = pairs[which]
    assert ((which >= 0) & ((ends[:, 0] == base) | (ends[:, 1] == base))).all()
    n = SMOTEN(random_state=0)
    Xc = rng.integers(0, 3, (80, 3))
    n.fit_resample(Xc, y)
    assert n.base_indices_.shape == (40,) and (y[n.base_indices_] == 1).all()


def test_base_indices_live_where_X_came_from(fake_cupy):
    X, y = _continuous(200)
    host = SMOTE(random_state=0, backend="cupy").fit(X, y)
    host.fit_resample(X, y)
    assert isinstance(host.base_indices_, np.ndarray)
    dev = SMOTE(random_state=0, backend="cupy")
    dev.fit_resample(fake_cupy.asarray(X), fake_cupy.asarray(y))
    assert isinstance(dev.base_indices_, fake_cupy.ndarray)
    np.testing.assert_array_equal(host.base_indices_, to_numpy(dev.base_indices_))


def test_the_draw_of_a_fixed_seed_stays_the_same():
    # The rows a random_state gives are part of what users reproduce: a change
    # to the draw (its order of random numbers, its casts, its offsets per class)
    # must be a decision, not an accident. Two classes: uniform cells, and
    # ADASYN-style counts per seed with BorderlineSMOTE-2-style step scales.
    from gpusmote._generate import ClassPlan, draw
    from gpusmote.backends import get_backend

    plans = [
        ClassPlan(label=1, seeds=np.array([10, 20, 30]),
                  neighbours=np.array([[20, 30], [10, 30], [20, 10]]), n_new=8),
        ClassPlan(label=2, seeds=np.array([40, 50]), neighbours=np.array([[50, 60], [40, 60]]),
                  n_new=10, seed_counts=np.array([7, 3]),
                  step_scale=np.array([[0.5, 1.0], [1.0, -1.0]], dtype=np.float32)),
    ]
    base, nbr, steps = draw(get_backend("numpy"), plans, 7, np.float32)
    assert base.tolist() == [20, 30, 30, 10, 10, 30, 10, 30, 40, 40, 40, 40, 40, 40, 40, 50, 50, 50]
    assert nbr.tolist() == [30, 10, 20, 30, 30, 10, 20, 20, 60, 50, 50, 50, 50, 50, 60, 60, 60, 60]
    expected = np.array([
        0.7002744078636169, 0.6221792101860046, 0.3410258889198303, 0.9889601469039917,
        0.46623045206069946, 0.21530866622924805, 0.8450873494148254, 0.160211980342865,
        0.8574492335319519, 0.3062697947025299, 0.05735671520233154, 0.02197098731994629,
        0.22237932682037354, 0.01784011721611023, 0.141557514667511, -0.5148887634277344,
        -0.9702646136283875, -0.46620601415634155], dtype=np.float32)
    assert steps.dtype == np.float32
    np.testing.assert_array_equal(steps, expected)
