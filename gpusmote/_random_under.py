"""RandomUnderSampler: keep a random subset of the rows of each class."""

from __future__ import annotations

from scipy import sparse
from sklearn.utils import check_random_state

from . import _docstrings as docs
from ._generate import seed_from
from ._random import check_any_X
from ._timing import phase
from .backends import is_cupy_array
from .base import BaseUnderSampler

UNDER_STRATEGY = """sampling_strategy : float, str, dict or callable, default='auto'
        How many rows each class keeps, with imbalanced-learn's meaning for
        under-sampling: a float (binary only) is the wanted ratio minority /
        majority after resampling; ``'majority'``, ``'not minority'``,
        ``'not majority'``, ``'all'`` or ``'auto'`` (= ``'not minority'``)
        bring the named classes down to the minority's count; a dict maps
        class to wanted count; a callable takes ``y`` and returns such a
        dict."""

UNDER_FITTED = """sampling_strategy_ : dict
        Class label -> number of rows it keeps (the classes that are
        under-sampled).

    sample_indices_ : ndarray of shape (n_new_samples,)
        Indices (into X) of the rows kept, in output order: class by class
        in sorted label order. A CuPy array when y is one (they stay on the
        device with the data).

    """ + docs.FEATURES_AND_BACKEND


def take_rows(be, X, idx):
    """Rows ``idx`` of X where X lives: host X (sparse, objects, strings) with host
    indices, device X with device indices."""
    if sparse.issparse(X) or not (is_cupy_array(X) or be.name == "numpy"):
        return X[be.to_numpy(idx)]
    return X[be.asarray(idx)]


class RandomUnderSampler(BaseUnderSampler):
    __doc__ = f"""Under-sample by keeping a random subset of each class's rows.

    A drop-in replacement for ``imblearn.under_sampling.RandomUnderSampler``
    that runs on NumPy or, with CuPy, on the GPU. Each class named by
    ``sampling_strategy`` keeps the number of rows it asks for, drawn at
    random with or without replacement; the other classes keep every row.
    X may hold anything (strings, objects, NaN): rows are only selected.

    Parameters
    ----------
    {UNDER_STRATEGY}

    {docs.RANDOM_STATE}

    replacement : bool, default=False
        Whether a row may be drawn more than once.

    {docs.BACKEND}

    Attributes
    ----------
    {UNDER_FITTED}

    See Also
    --------
    imblearn.under_sampling.RandomUnderSampler : the CPU implementation this mirrors.
    NearMiss : keep the rows nearest to (or farthest from) the minority.

    Notes
    -----
    On the NumPy backend the draws are imbalanced-learn's own (one
    ``RandomState.choice`` per under-sampled class, in sorted label order),
    so the same ``random_state`` gives the same ``sample_indices_``.

    On the CuPy backend the draws are made on the device: without
    replacement the class's rows are ordered by one uniform each and the
    first ones kept (a random subset, in random order); with replacement
    each kept row is ``floor(u * n_class)``. The choice is as random as
    imbalanced-learn's but not the same rows for the same seed. Only the
    class counts cross to the host.

    {docs.CLEANER_ROWS}

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn.datasets import make_classification
    >>> from gpusmote import RandomUnderSampler
    >>> X, y = make_classification(n_samples=1000, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> sorted(Counter(y.tolist()).items())
    [(0, 897), (1, 103)]
    >>> rus = RandomUnderSampler(random_state=0)
    >>> X_res, y_res = rus.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 103), (1, 103)]
    >>> bool((X_res == X[rus.sample_indices_]).all())
    True
    """

    _selects_rows = True

    _parameter_constraints: dict = {
        **BaseUnderSampler._parameter_constraints,
        "replacement": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, sampling_strategy="auto", random_state=None, replacement=False,
                 backend="auto", working_memory=None, verbose=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.replacement = replacement
        self.backend = backend
        self.working_memory = working_memory
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _check_X(self, be, X):
        # rows are only selected: any dtype, NaN included (as imbalanced-learn)
        return check_any_X(be, X)

    def _fit_resample(self, be, X, y):
        xp = be.xp
        labels = self._labels
        host_draws = be.name == "numpy"
        if host_draws:  # imbalanced-learn's RandomState and calls, for the same rows
            random_state = check_random_state(self.random_state)
        else:
            rng = be.rng(seed_from(self.random_state))
        with phase("generation", be):
            parts = []
            for label, count in zip(labels.classes, labels.counts):
                rows = be.asarray(labels.rows(label))
                if label in self.sampling_strategy_:
                    n_keep = int(self.sampling_strategy_[label])
                    if host_draws:
                        pos = random_state.choice(int(count), size=n_keep,
                                                  replace=bool(self.replacement))
                    elif self.replacement:
                        pos = xp.minimum((rng.random(n_keep) * int(count)).astype(xp.int64),
                                         int(count) - 1)
                    else:
                        pos = xp.argsort(rng.random(int(count)))[:n_keep]
                    rows = rows[be.asarray(pos)]
                parts.append(rows)
            keep = xp.concatenate(parts).astype(xp.int64, copy=False)
            self.sample_indices_ = labels.beside_y(be, keep)
            return take_rows(be, X, keep), y[self.sample_indices_]
