"""Importing gpusmote never imports CuPy (CPU-only installs must not pay for it)."""

import subprocess
import sys


def test_import_does_not_load_cupy():
    code = ("import sys, gpusmote, gpusmote.neighbors, gpusmote.over_sampling; "
            "import gpusmote.backends as b; b.get_backend('numpy'); "
            "assert 'cupy' not in sys.modules, 'cupy was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cupy_arrays_are_recognised_without_importing_cupy():
    import numpy as np

    from gpusmote.backends import is_cupy_array

    assert not is_cupy_array(np.zeros(3))
    assert not is_cupy_array([1, 2])


def test_samplers_load_on_first_use():
    """`import gpusmote` is light (PEP 562): the samplers, and scikit-learn and SciPy
    with them, load when a sampler is first named."""
    code = (
        "import sys, gpusmote\n"
        "heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sklearn', 'scipy', 'imblearn'})\n"
        "assert heavy() == [], heavy()\n"
        "assert set(gpusmote.__all__) <= set(dir(gpusmote))\n"
        "from gpusmote import SMOTE, SMOTENC, TomekLinks\n"
        "assert SMOTE.__name__ == 'SMOTE' and gpusmote.SMOTE is SMOTE\n"
        "assert heavy() == ['imblearn', 'scipy', 'sklearn'], heavy()\n"
        "try:\n    gpusmote.NoSuchSampler\nexcept AttributeError as exc:\n"
        "    assert 'NoSuchSampler' in str(exc)\nelse:\n    raise AssertionError\n"
        "for name in gpusmote.__all__:\n    getattr(gpusmote, name)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_m_gpusmote_version():
    out = subprocess.run([sys.executable, "-m", "gpusmote", "--version"], check=True,
                         capture_output=True, text=True).stdout
    assert out.startswith("gpusmote ")


def test_every_imblearn_sampler_is_here_under_its_module():
    """A user moving from imbalanced-learn finds each sampler under the same name,
    in the module of the same name (issue 15)."""
    import imblearn.combine
    import imblearn.over_sampling
    import imblearn.under_sampling

    import gpusmote
    import gpusmote.combine
    import gpusmote.over_sampling
    import gpusmote.under_sampling

    for theirs, ours in ((imblearn.over_sampling, gpusmote.over_sampling),
                         (imblearn.under_sampling, gpusmote.under_sampling),
                         (imblearn.combine, gpusmote.combine)):
        names = [n for n in theirs.__all__ if n[0].isupper()]
        assert names
        missing = [n for n in names if not hasattr(ours, n) or not hasattr(gpusmote, n)]
        assert missing == [], f"{ours.__name__} lacks {missing}"
        for name in names:
            assert getattr(ours, name) is getattr(gpusmote, name)
            assert set(getattr(theirs, name)._get_param_names()) <= set(
                getattr(ours, name)._get_param_names()), name


def test_sample_indices_tag_wherever_imblearn_sets_it():
    """imbalanced-learn's estimator checks test ``sample_indices_`` only where the
    tag says so: losing the tag would skip them silently."""
    import imblearn.combine
    import imblearn.over_sampling
    import imblearn.under_sampling
    from sklearn.utils import get_tags

    import gpusmote

    for module in (imblearn.over_sampling, imblearn.under_sampling, imblearn.combine):
        for name in (n for n in module.__all__ if n[0].isupper()):
            args = {"categorical_features": [0]} if name == "SMOTENC" else {}
            theirs = get_tags(getattr(module, name)(**args)).sampler_tags.sample_indices
            ours = get_tags(getattr(gpusmote, name)(**args)).sampler_tags.sample_indices
            assert ours or not theirs, name
