"""Importing gpusmote never imports CuPy (CPU-only installs must not pay for it)."""

import subprocess
import sys


def test_import_does_not_load_cupy():
    code = ("import sys, gpusmote, gpusmote.neighbors, gpusmote.over_sampling; "
            "import gpusmote.backends as b; b.get_backend('numpy'); "
            "assert 'cupy' not in sys.modules, 'cupy was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cupy_arrays_are_recognised_without_importing_cupy():
    from gpusmote.backends import is_cupy_array
    import numpy as np

    assert not is_cupy_array(np.zeros(3))
    assert not is_cupy_array([1, 2])
