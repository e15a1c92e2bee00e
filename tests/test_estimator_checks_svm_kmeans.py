"""imbalanced-learn's and scikit-learn's estimator checks for SVMSMOTE and
KMeansSMOTE, on NumPy (the pattern of test_estimator_checks_family.py)."""

import pytest

from gpusmote._kmeans_smote import KMeansSMOTE
from gpusmote._svm_smote import SVMSMOTE
from tests._estimator_checks import cases, check_id, cupy_cases

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
# KMeansSMOTE gets 12 clusters, as imbalanced-learn's own test suite gives it
# (imblearn.utils.estimator_checks._set_checking_parameters): with 8, no cluster
# of the checks' three-class blobs holds half of a minority class, which the
# 'auto' threshold asks, so it refuses (RuntimeError), as imbalanced-learn does.
SAMPLERS = [
    SVMSMOTE(backend="numpy", random_state=0),
    KMeansSMOTE(kmeans_estimator=12, backend="numpy", random_state=0),
]


@pytest.mark.parametrize("estimator, check", cases(SAMPLERS), ids=check_id)
def test_estimator_checks(estimator, check):
    check(estimator)


# The checks whose data takes another road on the CuPy path, on the stand-in.
@pytest.mark.parametrize("estimator, check", cupy_cases(SAMPLERS), ids=check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)
