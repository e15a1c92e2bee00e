"""The cases of imbalanced-learn's and scikit-learn's estimator checks, listed for
pytest (both libraries hand out generators, which pytest 9 refuses), for the
``test_estimator_checks*.py`` files."""

from __future__ import annotations

import functools
from collections.abc import Callable

from imblearn.utils.estimator_checks import (
    estimator_checks_generator as imblearn_checks,
)
from sklearn.utils.estimator_checks import estimator_checks_generator as sklearn_checks

# est -> {check name: reason} of the checks expected to fail (xfail) for it
Expected = Callable[[object], dict]


def check_id(value) -> str:
    """A readable test id: the check's function name, or the estimator's class."""
    if isinstance(value, functools.partial):
        value = value.func
    return getattr(value, "__name__", type(value).__name__)


def check_name(case) -> str:
    """The check's name in a case (a pytest.param or an (estimator, check) tuple)."""
    return check_id(case.values[1] if hasattr(case, "values") else case[1])


def cases(estimators, *, imblearn_expected: Expected = lambda est: {},
          sklearn_expected: Expected = lambda est: {}, only=None) -> list:
    """Both libraries' checks for each estimator; ``only`` keeps those check names."""
    out = []
    for est in estimators:
        mine = [*imblearn_checks(est, mark="xfail",
                                 expected_failed_checks=imblearn_expected(est)),
                *sklearn_checks(est, mark="xfail",
                                expected_failed_checks=sklearn_expected(est))]
        out += [c for c in mine if only is None or check_name(c) in only]
    return out


def cupy_cases(estimators, **expected) -> list:
    """The checks whose data takes another road on the CuPy path, with every
    ``backend`` set to cupy (run them with the ``fake_cupy`` fixture)."""
    from tests.test_fake_cupy import DATA_CHECKS, _on_cupy

    return cases([_on_cupy(est) for est in estimators], only=DATA_CHECKS, **expected)
