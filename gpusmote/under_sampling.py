"""Under-samplers, under the module name imbalanced-learn uses (``imblearn.under_sampling``)."""

from ._cleaning import EditedNearestNeighbours, TomekLinks

__all__ = ["EditedNearestNeighbours", "TomekLinks"]
