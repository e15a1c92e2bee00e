"""Under-samplers, under the module name imbalanced-learn uses (``imblearn.under_sampling``)."""

from ._cleaning import EditedNearestNeighbours, TomekLinks
from ._cluster_centroids import ClusterCentroids
from ._condensed import CondensedNearestNeighbour, OneSidedSelection
from ._hardness import InstanceHardnessThreshold
from ._nearmiss import NearMiss
from ._ncr import NeighbourhoodCleaningRule
from ._random_under import RandomUnderSampler
from ._repeated import AllKNN, RepeatedEditedNearestNeighbours

__all__ = ["AllKNN", "ClusterCentroids", "CondensedNearestNeighbour", "EditedNearestNeighbours",
           "InstanceHardnessThreshold", "NearMiss", "NeighbourhoodCleaningRule",
           "OneSidedSelection", "RandomUnderSampler", "RepeatedEditedNearestNeighbours",
           "TomekLinks"]
