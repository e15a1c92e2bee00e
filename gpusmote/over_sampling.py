"""Over-samplers, under the module name imbalanced-learn uses (``imblearn.over_sampling``)."""

from ._adasyn import ADASYN
from ._borderline import BorderlineSMOTE
from ._random import RandomOverSampler
from ._smote import SMOTE
from ._smote_nc import SMOTEN, SMOTENC

__all__ = ["ADASYN", "BorderlineSMOTE", "RandomOverSampler", "SMOTE", "SMOTEN", "SMOTENC"]
