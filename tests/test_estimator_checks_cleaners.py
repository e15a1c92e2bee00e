"""imbalanced-learn's and scikit-learn's estimator checks for the cleaners of
issue 15: RepeatedEditedNearestNeighbours, AllKNN, CondensedNearestNeighbour,
OneSidedSelection and NeighbourhoodCleaningRule, on NumPy."""

import functools

import pytest
from imblearn.utils.estimator_checks import (
    estimator_checks_generator as imblearn_checks,
)
from sklearn.utils.estimator_checks import estimator_checks_generator as sklearn_checks

from gpusmote._condensed import CondensedNearestNeighbour, OneSidedSelection
from gpusmote._ncr import NeighbourhoodCleaningRule
from gpusmote._repeated import AllKNN, RepeatedEditedNearestNeighbours

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
SAMPLERS = [
    RepeatedEditedNearestNeighbours(backend="numpy"),
    AllKNN(backend="numpy"),
    AllKNN(kind_sel="mode", allow_minority=True, backend="numpy"),
    CondensedNearestNeighbour(backend="numpy", random_state=0),
    OneSidedSelection(backend="numpy", random_state=0),
    NeighbourhoodCleaningRule(backend="numpy"),
]


def _check_id(value):
    if isinstance(value, functools.partial):
        value = value.func
    return getattr(value, "__name__", type(value).__name__)


# Both libraries hand pytest a generator, which pytest 9 refuses: the cases are
# listed instead.
def _imblearn_cases():
    return [case for est in SAMPLERS for case in imblearn_checks(est, mark="xfail")]


@pytest.mark.parametrize("estimator, check", _imblearn_cases(), ids=_check_id)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


def _sklearn_cases():
    return [case for est in SAMPLERS for case in sklearn_checks(est, mark="xfail")]


@pytest.mark.parametrize("estimator, check", _sklearn_cases(), ids=_check_id)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# The same checks on the CuPy code path (the NumPy stand-in), for the checks
# whose data takes a different road there (test_fake_cupy.DATA_CHECKS).
def _on_cupy_cases():
    from tests.test_fake_cupy import DATA_CHECKS, _check_name, _on_cupy

    cases = []
    for est in SAMPLERS:
        est = _on_cupy(est)
        mine = list(imblearn_checks(est, mark="xfail")) + list(sklearn_checks(est, mark="xfail"))
        cases += [case for case in mine if _check_name(case) in DATA_CHECKS]
    return cases


@pytest.mark.parametrize("estimator, check", _on_cupy_cases(), ids=_check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)
