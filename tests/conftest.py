"""Shared fixtures: the ``backend`` fixture runs a test on NumPy and, where a GPU is
usable, on CuPy (marked ``gpu``; skipped, never failed, without a device)."""

from __future__ import annotations

import numpy as np
import pytest

from gpusmote.backends import cupy_unavailable_reason


def _skip_without_gpu() -> None:
    reason = cupy_unavailable_reason()
    if reason is not None:
        pytest.skip(f"no usable GPU: {reason}")


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request) -> str:
    """Backend name; the CuPy case skips itself when CuPy or a device is missing."""
    if request.param == "cupy":
        _skip_without_gpu()
    return request.param


@pytest.fixture
def xp(backend):
    """The array module of ``backend``."""
    if backend == "cupy":
        import cupy

        return cupy
    return np


@pytest.fixture
def gpu() -> None:
    """Use in GPU-only tests (mark them ``gpu`` too): skips without a device."""
    _skip_without_gpu()


