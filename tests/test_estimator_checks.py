"""scikit-learn's and imbalanced-learn's estimator checks on the NumPy backend."""

import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

from gpusmote import SMOTE

SAMPLERS = [SMOTE(backend="numpy")]


@imblearn_checks(SAMPLERS)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


# scikit-learn's checks are written for fit/predict/transform estimators; the
# ones below ask a sampler for things it does not have.
SKLEARN_EXPECTED_FAILURES = {}


@sklearn_checks(SAMPLERS, expected_failed_checks=lambda est: SKLEARN_EXPECTED_FAILURES)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
