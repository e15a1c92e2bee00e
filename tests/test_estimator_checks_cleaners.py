"""imbalanced-learn's and scikit-learn's estimator checks for the cleaners of
issue 15: RepeatedEditedNearestNeighbours, AllKNN, CondensedNearestNeighbour,
OneSidedSelection and NeighbourhoodCleaningRule, on NumPy."""

import pytest

from gpusmote._condensed import CondensedNearestNeighbour, OneSidedSelection
from gpusmote._ncr import NeighbourhoodCleaningRule
from gpusmote._repeated import AllKNN, RepeatedEditedNearestNeighbours
from tests._estimator_checks import cases, check_id, cupy_cases

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
SAMPLERS = [
    RepeatedEditedNearestNeighbours(backend="numpy"),
    AllKNN(backend="numpy"),
    AllKNN(kind_sel="mode", allow_minority=True, backend="numpy"),
    CondensedNearestNeighbour(backend="numpy", random_state=0),
    OneSidedSelection(backend="numpy", random_state=0),
    NeighbourhoodCleaningRule(backend="numpy"),
]


@pytest.mark.parametrize("estimator, check", cases(SAMPLERS), ids=check_id)
def test_estimator_checks(estimator, check):
    check(estimator)


# The checks whose data takes another road on the CuPy path, on the stand-in.
@pytest.mark.parametrize("estimator, check", cupy_cases(SAMPLERS), ids=check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)
