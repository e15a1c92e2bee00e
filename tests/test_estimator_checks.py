"""scikit-learn's and imbalanced-learn's estimator checks on the NumPy backend."""

import functools

import pytest
from imblearn.utils.estimator_checks import estimator_checks_generator as imblearn_checks
from sklearn.utils.estimator_checks import estimator_checks_generator as sklearn_checks

from gpusmote import SMOTE

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
SAMPLERS = [SMOTE(backend="numpy", random_state=0)]


def _check_id(value):
    if isinstance(value, functools.partial):
        value = value.func
    return getattr(value, "__name__", type(value).__name__)


def _cases(generator, **kwargs):
    # both libraries hand pytest a generator, which pytest 9 refuses; a list is fine
    return [case for est in SAMPLERS for case in generator(est, **kwargs)]


@pytest.mark.parametrize("estimator, check", _cases(imblearn_checks, mark="xfail"),
                         ids=_check_id)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


# scikit-learn's checks are written for fit/predict/transform estimators; a
# sampler answers none of the checks below, each with its reason.
SKLEARN_EXPECTED_FAILURES = {}


@pytest.mark.parametrize(
    "estimator, check",
    _cases(sklearn_checks, mark="xfail",
           expected_failed_checks=SKLEARN_EXPECTED_FAILURES),
    ids=_check_id)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
