"""Backend resolution: which array library runs the work.

Orchestration (blocking, merging, sampling) is written once against ``be.xp``,
which is NumPy or CuPy. A backend object adds the few operations whose best
implementation differs per library: transfers, free memory, the top-k
selection of a distance block and the interpolation of synthetic rows.

CuPy is never imported unless it is asked for, and CuPy arrays are recognised
through ``sys.modules`` so that CPU-only installs never pay for the import.
"""

from __future__ import annotations

import sys
from typing import Any, Literal

BackendName = Literal["auto", "numpy", "cupy"]
BACKEND_NAMES = ("auto", "numpy", "cupy")

# Below this many input values (rows x features), "auto" keeps host data on the
# CPU: the transfer and kernel launches cost more than they save.
AUTO_GPU_MIN_VALUES = 2_000_000

# gpusmote is installed from its checkout (it is not on a package index), so
# the hint names what works today: the extra from the checkout, or CuPy itself.
_INSTALL_HINT = (
    "install CuPy for your CUDA driver: `pip install -e \".[cuda12]\"` (or \".[cuda13]\") "
    "from the gpusmote checkout, or `pip install cupy-cuda12x` (or cupy-cuda13x); "
    "or pass backend='numpy'"
)


class BackendUnavailableError(ValueError):
    """The requested backend cannot run here (CuPy or a device is missing)."""


def is_cupy_array(x: Any) -> bool:
    """True when ``x`` is a CuPy array; never imports CuPy."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(x, cupy.ndarray)


def cupy_unavailable_reason() -> str | None:
    """Why the CuPy backend cannot run here, or None when it can."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install
        return f"CuPy cannot be imported ({exc.__class__.__name__}: {exc})"
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # pragma: no cover - depends on the driver
        return f"CuPy finds no usable CUDA device ({exc})"
    if n_devices == 0:  # pragma: no cover - depends on the machine
        return "CuPy finds no CUDA device"
    return None


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    return cupy_unavailable_reason() is None


def get_backend(name: str = "auto", X: Any = None):
    """Resolve ``"auto" | "numpy" | "cupy"`` for input ``X`` to a backend object.

    ``"auto"`` picks CuPy for CuPy inputs, and for host inputs of at least
    ``AUTO_GPU_MIN_VALUES`` values when a device is usable; NumPy otherwise.
    """
    if name not in BACKEND_NAMES:
        raise ValueError(
            f"backend must be one of {BACKEND_NAMES}, got {name!r}."
        )
    if name == "auto":
        if is_cupy_array(X):
            name = "cupy"
        elif _large_enough_for_gpu(X) and cupy_available():  # pragma: no cover
            name = "cupy"
        else:
            name = "numpy"
    if name == "cupy":
        reason = cupy_unavailable_reason()
        if reason is not None:
            raise BackendUnavailableError(f"backend='cupy' needs CuPy and a CUDA device: {reason}; "
                               f"{_INSTALL_HINT}.")
        from ._cupy import CupyBackend  # pragma: no cover - needs a GPU

        return CupyBackend()  # pragma: no cover - needs a GPU
    from ._numpy import NumpyBackend

    return NumpyBackend()


def _large_enough_for_gpu(X: Any) -> bool:
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        return False
    return shape[0] * shape[1] >= AUTO_GPU_MIN_VALUES
