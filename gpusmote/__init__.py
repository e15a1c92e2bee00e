"""gpusmote: SMOTE-family resampling on the GPU (CuPy) and the CPU (NumPy).

A change of import line from imbalanced-learn::

    from gpusmote import SMOTE        # was: from imblearn.over_sampling import SMOTE

Importing gpusmote never imports CuPy; the GPU backend loads on first use.
"""

from ._adasyn import ADASYN
from ._borderline import BorderlineSMOTE
from ._cleaning import EditedNearestNeighbours, TomekLinks
from ._combine import SMOTEENN, SMOTETomek
from ._random import RandomOverSampler
from ._smote import SMOTE
from ._smote_nc import SMOTEN, SMOTENC
from ._version import __version__

__all__ = ["ADASYN", "BorderlineSMOTE", "EditedNearestNeighbours", "RandomOverSampler",
           "SMOTE", "SMOTEENN", "SMOTEN", "SMOTENC", "SMOTETomek", "TomekLinks",
           "__version__"]
