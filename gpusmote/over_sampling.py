"""Over-samplers, under the module name imbalanced-learn uses (``imblearn.over_sampling``)."""

from ._smote import SMOTE

__all__ = ["SMOTE"]
