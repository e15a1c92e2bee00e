"""gpusmote: SMOTE-family resampling on the GPU (CuPy) and the CPU (NumPy).

A change of import line from imbalanced-learn::

    from gpusmote import SMOTE        # was: from imblearn.over_sampling import SMOTE

Importing gpusmote never imports CuPy; the GPU backend loads on first use.
"""

from ._smote import SMOTE
from ._version import __version__

__all__ = ["SMOTE", "__version__"]
