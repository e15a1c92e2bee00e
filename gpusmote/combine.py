"""Over- then under-sampling, under the module name imbalanced-learn uses (``imblearn.combine``)."""

from ._combine import SMOTEENN, SMOTETomek

__all__ = ["SMOTEENN", "SMOTETomek"]
