"""SMOTETomek and SMOTEENN: the chain of our SMOTE and cleaner, on one backend."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.combine import SMOTEENN as ImbSMOTEENN
from imblearn.combine import SMOTETomek as ImbSMOTETomek
from imblearn.over_sampling import SMOTE as ImbSMOTE
from sklearn.datasets import make_classification

from gpusmote import SMOTE, SMOTEENN, EditedNearestNeighbours, SMOTETomek, TomekLinks
from tests._helpers import to_numpy


def _data(n=600):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0,
                               weights=[0.8, 0.2], n_clusters_per_class=1, class_sep=0.7,
                               random_state=0)
    return X, y


@pytest.mark.parametrize("combined, cleaner", [
    (SMOTETomek, TomekLinks(sampling_strategy="all")),
    (SMOTEENN, EditedNearestNeighbours(sampling_strategy="all")),
])
def test_equals_smote_then_cleaner(backend, xp, combined, cleaner):
    X, y = _data()
    sampler = combined(random_state=3, backend=backend)
    X_res, y_res = sampler.fit_resample(xp.asarray(X), xp.asarray(y))
    X_s, y_s = SMOTE(random_state=3, backend=backend).fit_resample(xp.asarray(X),
                                                                   xp.asarray(y))
    X_c, y_c = cleaner.set_params(backend=backend).fit_resample(X_s, y_s)
    np.testing.assert_array_equal(to_numpy(X_res), to_numpy(X_c))
    np.testing.assert_array_equal(to_numpy(y_res), to_numpy(y_c))
    assert sampler.backend_ == backend
    assert sampler.sampling_strategy_ == "auto"  # the parameter, as imbalanced-learn keeps it


@pytest.mark.parametrize("ours, theirs", [(SMOTETomek, ImbSMOTETomek),
                                          (SMOTEENN, ImbSMOTEENN)])
def test_cleaning_removes_rows_like_imblearn_after_the_same_smote(ours, theirs):
    # the SMOTE rows differ (different random streams); the cleaning rule is the
    # same, so the cleaner applied to the same SMOTE output removes the same rows
    X, y = _data()
    X_s, y_s = ImbSMOTE(random_state=0).fit_resample(X, y)
    nothing_new = {1: int((y_s == 1).sum())}
    ours_ = ours(smote=SMOTE(sampling_strategy=nothing_new))
    theirs_ = theirs(smote=ImbSMOTE(sampling_strategy=nothing_new))
    a = ours_.fit_resample(X_s, y_s)
    b = theirs_.fit_resample(X_s, y_s)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_given_steps_are_cloned_and_run_on_the_chosen_backend():
    X, y = _data()
    smote = SMOTE(k_neighbors=3, random_state=0, backend="auto")
    enn = EditedNearestNeighbours(n_neighbors=2)
    sampler = SMOTEENN(smote=smote, enn=enn, backend="numpy", working_memory=1)
    sampler.fit_resample(X, y)
    assert sampler.smote_ is not smote and sampler.enn_ is not enn
    assert sampler.smote_.backend == "numpy" and sampler.enn_.working_memory == 1
    assert smote.backend == "auto" and not hasattr(smote, "sampling_strategy_")
    assert sampler.enn_.n_neighbors == 2


def test_dataframe_index_follows_the_rows():
    X, y = _data(n=300)
    df = pd.DataFrame(X, columns=list("abcde"), index=np.arange(500, 800))
    X_res, y_res = SMOTETomek(random_state=0).fit_resample(df, pd.Series(y, index=df.index))
    assert list(X_res.columns) == list("abcde")
    assert X_res.index.is_unique and list(y_res.index) == list(X_res.index)
    kept = X_res.index[X_res.index < 800]
    pd.testing.assert_frame_equal(X_res.loc[kept], df.loc[kept])
    assert Counter(y_res.tolist())[1] > Counter(y.tolist())[1]


@pytest.mark.parametrize("sampler, match", [
    (SMOTETomek(smote=ImbSMOTE()), "'smote' parameter of SMOTETomek must be"),
    (SMOTETomek(tomek=EditedNearestNeighbours()), "'tomek' parameter of SMOTETomek must be"),
    (SMOTEENN(enn=TomekLinks()), "'enn' parameter of SMOTEENN must be"),
    (SMOTEENN(backend="gpu"), "'backend' parameter of SMOTEENN must be"),
    (SMOTEENN(smote=SMOTE(k_neighbors=500)), r"class 1 has \d+ rows"),
])
def test_bad_input(sampler, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)


@pytest.mark.parametrize("combined", [SMOTETomek, SMOTEENN])
def test_verbose_shows_progress_for_both_steps_and_false_stays_silent(capfd, combined):
    # issue 13 item 2: the combined samplers ignored verbose=True
    X, y = _data(n=300)
    combined(random_state=0, verbose=True).fit_resample(X, y)
    err = capfd.readouterr().err
    assert err.count("neighbours") >= 2  # SMOTE's search and the cleaner's
    combined(random_state=0).fit_resample(X, y)
    assert capfd.readouterr().err == ""
    # given steps follow the combined sampler's verbose too
    combined(random_state=0, verbose=True, smote=SMOTE(k_neighbors=3)).fit_resample(X, y)
    assert "neighbours" in capfd.readouterr().err
