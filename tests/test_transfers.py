"""What crosses between host and device on the CuPy path (issue 10), counted by
the CuPy stand-in (every upload and download it sees, with its bytes).

* CuPy input: the class counts and a few scalars come to the host, nothing of
  X or y: the bytes downloaded do not grow with the number of rows.
* NumPy input with backend="cupy": X goes up once and the result comes down
  once; the rest is small (index arrays and the host-side result attributes).
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from gpusmote import ADASYN, SMOTE, SMOTEENN, BorderlineSMOTE, SMOTETomek
from gpusmote.backends import _cupy
from tests import _fake_cupy

SAMPLERS = {
    "SMOTE": lambda: SMOTE(random_state=0, backend="cupy"),
    "BorderlineSMOTE-1": lambda: BorderlineSMOTE(random_state=0, backend="cupy"),
    "BorderlineSMOTE-2": lambda: BorderlineSMOTE(kind="borderline-2", random_state=0,
                                                 backend="cupy"),
    "ADASYN": lambda: ADASYN(random_state=0, backend="cupy"),
    "SMOTEENN": lambda: SMOTEENN(random_state=0, backend="cupy"),
    "SMOTETomek": lambda: SMOTETomek(random_state=0, backend="cupy"),
}


def _data(n, n_classes=2):
    weights = [0.8, 0.2] if n_classes == 2 else [0.6, 0.25, 0.15]
    return make_classification(n_samples=n, n_features=8, n_informative=4,
                               n_classes=n_classes, weights=weights, class_sep=0.5,
                               random_state=0)


def _moved(cp, direction):
    return _fake_cupy.transferred(direction)


@pytest.fixture
def cp(monkeypatch):
    return _fake_cupy.install(monkeypatch)


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_cupy_input_downloads_only_class_counts(cp, name, n_classes):
    downloaded = {}
    for n in (300, 900):
        X, y = _data(n, n_classes)
        X_dev, y_dev = cp.asarray(X), cp.asarray(y)
        cp.transfers.clear()
        X_res, y_res = SAMPLERS[name]().fit_resample(X_dev, y_dev)
        assert isinstance(X_res, cp.ndarray) and isinstance(y_res, cp.ndarray)
        down, up = _moved(cp, "d2h"), _moved(cp, "h2d")
        # the largest download is the class counts (8 bytes a class); nothing of
        # X (64 bytes a row) or y; the rest are scalars
        assert max(down) <= 8 * n_classes, cp.transfers
        assert sum(down) <= 128 * n_classes, cp.transfers
        # nothing of X or y goes back up (y_res is filled on the device)
        assert max(up, default=0) < y.nbytes // 2, cp.transfers
        downloaded[n] = sum(down)
    # O(number of classes): three times the rows, the same bytes
    assert downloaded[300] == downloaded[900]


@pytest.mark.parametrize("name", SAMPLERS)
def test_host_input_uploads_X_once_and_downloads_the_result_once(cp, name):
    X, y = _data(1800)
    cp.transfers.clear()
    sampler = SAMPLERS[name]()
    X_res, y_res = sampler.fit_resample(X, y)
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)
    up, down = _moved(cp, "h2d"), _moved(cp, "d2h")
    assert up.count(X.nbytes) == 1 and down.count(X_res.nbytes) == 1, cp.transfers
    # everything else: row indices up, small results (kept indices, rows in
    # danger) down; never X again, never a resampled X or y
    assert sorted(up)[-2] < y.nbytes // 2, cp.transfers
    # (the cleaners' sample_indices_: one index per row SMOTE gave, < 2 n rows)
    assert sum(down) - X_res.nbytes <= 2 * y.nbytes + 256, cp.transfers


def test_large_host_X_goes_up_in_pinned_chunks_once(cp, monkeypatch):
    """Past the pinned threshold X is staged chunk by chunk: the chunks add up to
    X once, and nothing else of that size goes up."""
    monkeypatch.setattr(_cupy, "_PINNED_MIN_BYTES", 8192)  # X, not the row indices
    monkeypatch.setattr(_cupy, "_PINNED_CHUNK_BYTES", 4096)
    X, y = _data(1800)
    cp.transfers.clear()
    X_res, _ = SMOTE(random_state=0, backend="cupy").fit_resample(X, y)
    staged = [n for d, n, what in cp.transfers if d == "h2d" and what == "set"]
    assert len(staged) == -(-X.nbytes // 4096) and sum(staged) == X.nbytes
    assert _moved(cp, "d2h").count(X_res.nbytes) == 1


def test_one_counter_based_generator_with_few_states_per_fit(cp):
    """The device draws come from one Philox generator (counter-based: no
    per-state skip-ahead at init) of a small, fixed state count."""
    X, y = _data(600)
    SMOTE(random_state=0, backend="cupy").fit_resample(cp.asarray(X), cp.asarray(y))
    assert [g.size for g in cp.bit_generators] == [_cupy._RNG_STATES]
    assert _cupy._RNG_STATES <= 1 << 16
