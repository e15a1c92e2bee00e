"""The classifiers of ``demo`` and ``compare``, and how many threads their fits use.

HistGradientBoosting runs OpenMP thread teams whose threads wait for each
other at every step of every tree. On a small machine that is busy with other
work, a team as wide as the machine keeps losing threads to the other
processes and the rest spin: a fit that takes about a second on one thread
took 9-34 s with two threads on a busy two-core machine. So the model fits run
with at most ``min(4, usable cores - 1)`` OpenMP threads (at least 1), unless
the user has set ``OMP_NUM_THREADS``, which is then respected.
"""

from __future__ import annotations

import contextlib
import os

MAX_MODEL_THREADS = 4


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def model_threads(cores: int | None = None, environ=None) -> int | None:
    """OpenMP threads for the model fits: None to respect ``OMP_NUM_THREADS``.

    Examples
    --------
    >>> model_threads(2, environ={}), model_threads(8, environ={}), model_threads(1, environ={})
    (1, 4, 1)
    >>> model_threads(8, environ={"OMP_NUM_THREADS": "2"}) is None
    True
    """
    environ = os.environ if environ is None else environ
    if environ.get("OMP_NUM_THREADS", "").strip():
        return None
    cores = usable_cores() if cores is None else cores
    return max(1, min(MAX_MODEL_THREADS, cores - 1))


@contextlib.contextmanager
def limited_threads(threads: int | None):
    """Run the body with at most ``threads`` OpenMP threads (None: no limit set)."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="openmp"):
        yield


def make_classifier(name: str, seed: int = 0, *, class_weight=None):
    """The classifier behind ``--classifier``: ``"hgb"`` or ``"logreg"``.

    HistGradientBoosting runs 100 iterations without early stopping (with a few
    hundred positives its 10 % validation split is too noisy) and with
    regularised leaves, which keep the unresampled baseline stable under heavy
    imbalance. LogisticRegression is returned bare; the callers standardise
    the features before it.
    """
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=100, early_stopping=False,
                                              l2_regularization=1.0, min_samples_leaf=100,
                                              class_weight=class_weight, random_state=seed)
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000, class_weight=class_weight)
    raise ValueError(f"classifier must be 'hgb' or 'logreg', got {name!r}.")
