"""imbalanced-learn's and scikit-learn's estimator checks for the under-samplers
(RandomUnderSampler, NearMiss, InstanceHardnessThreshold, ClusterCentroids): every
check on NumPy, and the checks whose data takes the CuPy road on the stand-in."""

import pytest
from sklearn.ensemble import RandomForestClassifier

from gpusmote._cluster_centroids import ClusterCentroids
from gpusmote._hardness import InstanceHardnessThreshold
from gpusmote._nearmiss import NearMiss
from gpusmote._random_under import RandomUnderSampler
from tests._estimator_checks import cases, check_id, cupy_cases

# A fixed seed: several checks compare two runs (dense vs sparse, list vs array).
SAMPLERS = [
    RandomUnderSampler(backend="numpy", random_state=0),
    RandomUnderSampler(replacement=True, backend="numpy", random_state=0),
    NearMiss(backend="numpy"),
    NearMiss(version=2, backend="numpy"),
    NearMiss(version=3, backend="numpy"),
    # a small forest: the checks fit it many times (the default has 100 trees)
    InstanceHardnessThreshold(estimator=RandomForestClassifier(n_estimators=10),
                              backend="numpy", random_state=0),
    # soft and hard voting named, as imbalanced-learn's own checks do ('auto'
    # is hard for sparse X and soft for dense, which check_samplers_sparse compares)
    ClusterCentroids(voting="soft", backend="numpy", random_state=0),
    ClusterCentroids(voting="hard", backend="numpy", random_state=0),
]


def _imblearn_expected(est):
    if (type(est).__name__ == "ClusterCentroids" and est.voting == "hard"
            and est.backend == "numpy"):
        # imbalanced-learn's own ClusterCentroids(voting="hard") fails both too:
        # scikit-learn's KMeans ends at other centroids on a sparse copy of X
        # than on the dense one, so other rows are nearest
        reason = ("scikit-learn's KMeans gives other centroids for sparse X than for "
                  "dense X (imbalanced-learn's hard voting fails this check too)")
        return {"check_samplers_sparse": reason, "check_samplers_pandas_sparse": reason}
    if type(est).__name__ == "NearMiss" and est.version == 3:
        # imbalanced-learn marks the same check xfail for its own NearMiss-3:
        # a class keeps only the rows of its short list, fewer than asked here
        return {"check_samplers_fit_resample": "version 3 keeps fewer rows than asked when "
                                               "its short list is shorter (it warns)"}
    return {}


# NearMiss-3's short list is shorter than the checks' counts ask: it says so
pytestmark = pytest.mark.filterwarnings(r"ignore:NearMiss\(version=3\)")


@pytest.mark.parametrize("estimator, check", cases(SAMPLERS, imblearn_expected=_imblearn_expected),
                         ids=check_id)
def test_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator, check",
                         cupy_cases(SAMPLERS, imblearn_expected=_imblearn_expected),
                         ids=check_id)
def test_estimator_checks_on_the_cupy_path(estimator, check, fake_cupy):
    check(estimator)
