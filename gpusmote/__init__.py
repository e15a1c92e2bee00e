"""gpusmote: SMOTE-family resampling on the GPU (CuPy) and the CPU (NumPy).

A change of import line from imbalanced-learn::

    from gpusmote import SMOTE        # was: from imblearn.over_sampling import SMOTE

Importing gpusmote never imports CuPy; the GPU backend loads on first use.
The samplers themselves load on first access (PEP 562), so that the command
line's ``--help`` and ``--version`` do not wait for scikit-learn and SciPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__

# public name -> the private module that defines it
_SAMPLERS = {
    "ADASYN": "._adasyn",
    "AllKNN": "._repeated",
    "BorderlineSMOTE": "._borderline",
    "ClusterCentroids": "._cluster_centroids",
    "CondensedNearestNeighbour": "._condensed",
    "EditedNearestNeighbours": "._cleaning",
    "InstanceHardnessThreshold": "._hardness",
    "KMeansSMOTE": "._kmeans_smote",
    "NearMiss": "._nearmiss",
    "NeighbourhoodCleaningRule": "._ncr",
    "OneSidedSelection": "._condensed",
    "RandomOverSampler": "._random",
    "RandomUnderSampler": "._random_under",
    "RepeatedEditedNearestNeighbours": "._repeated",
    "SMOTE": "._smote",
    "SMOTEENN": "._combine",
    "SMOTEN": "._smote_nc",
    "SMOTENC": "._smote_nc",
    "SMOTETomek": "._combine",
    "SVMSMOTE": "._svm_smote",
    "TomekLinks": "._cleaning",
}

__all__ = ["ADASYN", "AllKNN", "BorderlineSMOTE", "ClusterCentroids",
           "CondensedNearestNeighbour", "EditedNearestNeighbours",
           "InstanceHardnessThreshold", "KMeansSMOTE", "NearMiss",
           "NeighbourhoodCleaningRule", "OneSidedSelection", "RandomOverSampler",
           "RandomUnderSampler", "RepeatedEditedNearestNeighbours", "SMOTE", "SMOTEENN",
           "SMOTEN", "SMOTENC", "SMOTETomek", "SVMSMOTE", "TomekLinks", "__version__"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._adasyn import ADASYN
    from ._borderline import BorderlineSMOTE
    from ._cleaning import EditedNearestNeighbours, TomekLinks
    from ._cluster_centroids import ClusterCentroids
    from ._combine import SMOTEENN, SMOTETomek
    from ._condensed import CondensedNearestNeighbour, OneSidedSelection
    from ._hardness import InstanceHardnessThreshold
    from ._kmeans_smote import KMeansSMOTE
    from ._nearmiss import NearMiss
    from ._ncr import NeighbourhoodCleaningRule
    from ._random import RandomOverSampler
    from ._random_under import RandomUnderSampler
    from ._repeated import AllKNN, RepeatedEditedNearestNeighbours
    from ._smote import SMOTE
    from ._smote_nc import SMOTEN, SMOTENC
    from ._svm_smote import SVMSMOTE


def __getattr__(name: str):
    module = _SAMPLERS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
