"""The class-size boundary of every neighbour-based sampler: k + 1 rows work,
k rows fail with a message that names the class (or X) and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from gpusmote import (ADASYN, SMOTE, SMOTEENN, SMOTEN, SMOTENC, BorderlineSMOTE,
                      EditedNearestNeighbours, SMOTETomek)

K = 3


def _data(n_minor, n_major=30, categorical=None):
    """A minority class of ``n_minor`` rows inside a majority of ``n_major``
    (so that its rows are in danger and have other-class neighbours)."""
    rng = np.random.default_rng(n_minor)
    X = np.vstack([rng.standard_normal((n_minor, 2)) * 0.5,
                   rng.standard_normal((n_major, 2))])
    y = np.r_[np.ones(n_minor, dtype=int), np.zeros(n_major, dtype=int)]
    if categorical == "mixed":
        X = np.column_stack([X.astype(object), np.where(X[:, 0] > 0, "p", "q")])
    elif categorical == "all":
        X = np.where(X > 0, "p", "q")
    return X, y


# (sampler, the kind of X it takes)
OVER = [
    (SMOTE(k_neighbors=K, random_state=0), None),
    (BorderlineSMOTE(k_neighbors=K, m_neighbors=K, random_state=0), None),
    (ADASYN(n_neighbors=K, random_state=0), None),
    (SMOTENC([2], k_neighbors=K, random_state=0), "mixed"),
    (SMOTEN(k_neighbors=K, random_state=0), "all"),
    (SMOTETomek(smote=SMOTE(k_neighbors=K, random_state=0)), None),
    (SMOTEENN(smote=SMOTE(k_neighbors=K, random_state=0)), None),
]


@pytest.mark.parametrize("sampler, kind", OVER, ids=lambda v: type(v).__name__)
def test_over_samplers_need_k_plus_one_rows_in_the_class(backend, sampler, kind):
    sampler = sampler.set_params(**{name: backend for name in sampler.get_params(deep=True)
                                    if name == "backend" or name.endswith("__backend")})
    X, y = _data(K + 1, categorical=kind)
    _, y_res = sampler.fit_resample(X, y)
    assert (np.asarray(y_res) == 1).sum() > K + 1
    X, y = _data(K, categorical=kind)
    param = "n_neighbors" if isinstance(sampler, ADASYN) else "k_neighbors"
    with pytest.raises(ValueError, match=rf"class 1 has {K} rows; \w+ needs {param} \+ 1 = "
                                         rf"{K + 1} rows.*pass {param}={K - 1}"):
        sampler.fit_resample(X, y)


def test_edited_nearest_neighbours_needs_k_plus_one_rows_in_x(backend):
    """ENN searches all rows of X (TomekLinks, k = 1, cannot go below its two
    classes' two rows, so its boundary is SMOTETomek's above)."""
    sampler = EditedNearestNeighbours(n_neighbors=K, backend=backend)
    X, y = _data(1, n_major=K)  # K + 1 rows in all
    X_res, _ = sampler.fit_resample(X, y)
    assert len(X_res) >= 1
    with pytest.raises(ValueError, match=rf"n_neighbors={K} is too large: "
                                         rf"EditedNearestNeighbours .* X has only {K} rows"):
        sampler.fit_resample(X[1:], np.r_[1, y[2:]])
