"""Shared fixtures: the ``backend`` fixture runs a test on NumPy, on the CuPy code
path over a NumPy stand-in for CuPy (``_fake_cupy``: CPU-only machines run every
``xp``-generic line and ``CupyBackend`` too), and, where a GPU is usable, on real
CuPy (marked ``gpu``; skipped, never failed, without a device)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from gpusmote.backends import cupy_unavailable_reason


def _skip_without_gpu() -> None:
    reason = cupy_unavailable_reason()
    if reason is not None:
        pytest.skip(f"no usable GPU: {reason}")


@pytest.fixture(params=["numpy", "fake-cupy", pytest.param("cupy", marks=pytest.mark.gpu)])
def backend(request, monkeypatch) -> str:
    """Backend name to pass to samplers; the CuPy case skips itself when CuPy or
    a device is missing, the stand-in case when a real CuPy is loaded."""
    if request.param == "cupy":
        _skip_without_gpu()
    if request.param == "fake-cupy":
        use_fake_cupy(monkeypatch)
        return "cupy"
    return request.param


def use_fake_cupy(monkeypatch, kernels: str = "specification"):
    """Install the NumPy stand-in as ``cupy`` for one test (skips next to a real CuPy).
    ``kernels="emulated"`` runs the real CUDA source (see ``_fake_cupy.install``)."""
    from . import _fake_cupy

    real = sys.modules.get("cupy")
    if real is not None and not getattr(real, "FAKE", False):
        pytest.skip("a real CuPy is loaded: the gpu tests cover this")
    return _fake_cupy.install(monkeypatch, kernels=kernels)


@pytest.fixture
def fake_cupy(monkeypatch):
    """The NumPy stand-in, installed as ``cupy`` for this test."""
    return use_fake_cupy(monkeypatch)


@pytest.fixture
def fake_cupy_real_kernels(monkeypatch):
    """The stand-in with its kernel launches run by the CUDA source built for the CPU
    and checked against the specification; the specification alone where no C++
    compiler is found (``module.emulation`` is then None)."""
    return use_fake_cupy(monkeypatch, kernels="emulated")


@pytest.fixture(params=["fake-cupy", pytest.param("cupy", marks=pytest.mark.gpu)])
def cupy_module(request, monkeypatch):
    """The ``cupy`` module for CuPy-only tests: the NumPy stand-in everywhere,
    the real CuPy where a GPU is usable."""
    if request.param == "fake-cupy":
        return use_fake_cupy(monkeypatch)
    _skip_without_gpu()
    import cupy

    return cupy


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


