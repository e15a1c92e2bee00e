"""Over-samplers, under the module name imbalanced-learn uses (``imblearn.over_sampling``)."""

from ._adasyn import ADASYN
from ._borderline import BorderlineSMOTE
from ._kmeans_smote import KMeansSMOTE
from ._random import RandomOverSampler
from ._smote import SMOTE
from ._smote_nc import SMOTEN, SMOTENC
from ._svm_smote import SVMSMOTE

__all__ = ["ADASYN", "BorderlineSMOTE", "KMeansSMOTE", "RandomOverSampler", "SMOTE", "SMOTEN",
           "SMOTENC", "SVMSMOTE"]
