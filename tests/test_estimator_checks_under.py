"""imbalanced-learn's and scikit-learn's estimator checks for the under-samplers
(RandomUnderSampler, NearMiss, InstanceHardnessThreshold, ClusterCentroids): every
check on NumPy, and the checks whose data takes the CuPy road on the stand-in."""

import functools

import pytest
from imblearn.utils.estimator_checks import estimator_checks_generator as imblearn_checks
from sklearn.utils.estimator_checks import estimator_checks_generator as sklearn_checks

from gpusmote._random_under import RandomUnderSampler
from tests.test_fake_cupy import DATA_CHECKS, _on_cupy

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
SAMPLERS = [
    RandomUnderSampler(backend="numpy", random_state=0),
    RandomUnderSampler(replacement=True, backend="numpy", random_state=0),
]

IMBLEARN_EXPECTED_FAILURES: dict = {}
SKLEARN_EXPECTED_FAILURES: dict = {}


def _check_id(value):
    if isinstance(value, functools.partial):
        value = value.func
    return getattr(value, "__name__", type(value).__name__)


def _check_name(case):
    return _check_id(case.values[1] if hasattr(case, "values") else case[1])


def _cases(estimators, only=None):
    cases = []
    for est in estimators:
        name = type(est).__name__
        mine = list(imblearn_checks(
            est, mark="xfail", expected_failed_checks=IMBLEARN_EXPECTED_FAILURES.get(name)))
        mine += list(sklearn_checks(
            est, mark="xfail", expected_failed_checks=SKLEARN_EXPECTED_FAILURES.get(name)))
        if only is not None:
            mine = [case for case in mine if _check_name(case) in only]
        cases += mine
    return cases


@pytest.mark.parametrize("estimator, check", _cases(SAMPLERS), ids=_check_id)
def test_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator, check",
                         _cases([_on_cupy(s) for s in SAMPLERS], only=DATA_CHECKS),
                         ids=_check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)
