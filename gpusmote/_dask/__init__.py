"""gpusmote on Dask collections (issue 14): ``fit_resample`` with a
``dask.array.Array`` or a ``dask.dataframe.DataFrame`` X and a matching y.

The original partitions pass through untouched (never gathered); only the rows
of the classes being over-sampled move, to one task, where the in-memory
planning and drawing code runs on them with their global row indices, so the
new rows equal the in-memory sampler's, whatever the partitioning and the number
of workers. Searches against every row (BorderlineSMOTE's danger set, ADASYN's
ratios) query the gathered rows against each partition and merge the
candidates by (distance, global index). The new rows are made lazily, one task
per output block.

Modules, one job each:

* ``_input``: what came in (array or frame, partitions, backend), and the one
  pass that counts the classes and checks that X and y are partitioned alike;
* ``_gather``: rows of some classes, or at some global indices, into one task
  (within the budget of ``_budget``);
* ``_search``: the k nearest rows among all partitions (per-partition top-k,
  tree merge);
* ``_plans``: each sampler's plan and draws, run on the gathered rows;
* ``_smotenc``: SMOTENC's in-memory code on its gathered classes, and its new
  blocks (numeric columns interpolated, categories decoded);
* ``_clean``: TomekLinks and EditedNearestNeighbours (filtered partitions);
* ``_output``: the new partitions, appended to the original ones;
* ``_fit``: the whole ``fit_resample``, sampler by sampler.

Importing this package never imports Dask: ``is_dask_collection`` looks at
the type's module only.
"""

from __future__ import annotations

from typing import Any

# the samplers that take Dask collections
SUPPORTED = ("SMOTE", "BorderlineSMOTE", "ADASYN", "RandomOverSampler", "SMOTENC",
             "TomekLinks", "EditedNearestNeighbours")


def is_dask_collection(obj: Any) -> bool:
    """True for a Dask array, DataFrame or Series (never imports Dask)."""
    return type(obj).__module__.split(".")[0] == "dask"


def _check_supported(sampler) -> None:
    name = type(sampler).__name__
    if name not in SUPPORTED:
        raise TypeError(
            f"{name} does not take Dask collections yet; the samplers that do are "
            f"{', '.join(SUPPORTED)}. Compute X and y first (X.compute(), y.compute()) "
            "if they fit in memory.")


def fit_resample(sampler, X, y, sample_weight=None):
    """``sampler.fit_resample(X, y)`` for Dask collections (see ``_fit``)."""
    _check_supported(sampler)
    from ._fit import fit_resample_dask

    return fit_resample_dask(sampler, X, y, sample_weight)


def fit(sampler, X, y):
    """``sampler.fit(X, y)`` for Dask collections: the counting pass alone (y and,
    for DataFrames, X's index are read; X's values never)."""
    _check_supported(sampler)
    from ._fit import fit_dask

    return fit_dask(sampler, X, y)
