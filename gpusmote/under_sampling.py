"""Under-samplers, under the module name imbalanced-learn uses (``imblearn.under_sampling``)."""

from ._cleaning import EditedNearestNeighbours, TomekLinks
from ._cluster_centroids import ClusterCentroids
from ._hardness import InstanceHardnessThreshold
from ._nearmiss import NearMiss
from ._random_under import RandomUnderSampler

__all__ = ["ClusterCentroids", "EditedNearestNeighbours", "InstanceHardnessThreshold",
           "NearMiss", "RandomUnderSampler", "TomekLinks"]
