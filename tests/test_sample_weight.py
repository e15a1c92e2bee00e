"""``sample_weight`` carried through ``fit_resample`` (issue 16, item 2): the
output rows' weights in ``sample_weight_`` (``weight_mode`` 'copy' or
'interpolate'), the cleaners' ``w[sample_indices_]``, the refusals, and the
weights reaching the classifier through a Pipeline with scikit-learn's metadata
routing."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, make_scorer
from sklearn.model_selection import cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from gpusmote._adasyn import ADASYN
from gpusmote._borderline import BorderlineSMOTE
from gpusmote._cleaning import EditedNearestNeighbours, TomekLinks
from gpusmote._cluster_centroids import ClusterCentroids
from gpusmote._combine import SMOTEENN, SMOTETomek
from gpusmote._condensed import CondensedNearestNeighbour, OneSidedSelection
from gpusmote._hardness import InstanceHardnessThreshold
from gpusmote._kmeans_smote import KMeansSMOTE
from gpusmote._ncr import NeighbourhoodCleaningRule
from gpusmote._nearmiss import NearMiss
from gpusmote._random import RandomOverSampler
from gpusmote._random_under import RandomUnderSampler
from gpusmote._repeated import AllKNN, RepeatedEditedNearestNeighbours
from gpusmote._smote import SMOTE
from gpusmote._smote_nc import SMOTEN, SMOTENC
from gpusmote._svm_smote import SVMSMOTE
from gpusmote.pipeline import Pipeline, make_pipeline

from ._helpers import to_numpy

pd = pytest.importorskip("pandas")

OVER = {
    "SMOTE": lambda **kw: SMOTE(random_state=0, **kw),
    "BorderlineSMOTE-2": lambda **kw: BorderlineSMOTE(kind="borderline-2", random_state=0,
                                                      **kw),
    "SVMSMOTE": lambda **kw: SVMSMOTE(random_state=0, **kw),
    "KMeansSMOTE": lambda **kw: KMeansSMOTE(kmeans_estimator=2, random_state=0,
                                            cluster_balance_threshold=0.05, **kw),
    "ADASYN": lambda **kw: ADASYN(random_state=0, **kw),
    "SMOTEENN": lambda **kw: SMOTEENN(random_state=0, **kw),
    "SMOTETomek": lambda **kw: SMOTETomek(random_state=0, **kw),
}

SELECTORS = [TomekLinks(), EditedNearestNeighbours(), RepeatedEditedNearestNeighbours(),
             AllKNN(), CondensedNearestNeighbour(random_state=0),
             OneSidedSelection(random_state=0), NeighbourhoodCleaningRule(),
             RandomUnderSampler(random_state=0), NearMiss(),
             InstanceHardnessThreshold(random_state=0)]


def _data(n=240, seed=0, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3,
                               weights=[0.75, 0.25], class_sep=0.7, random_state=seed)
    return X.astype(dtype), y


def _weights(n, seed=1):
    return np.random.default_rng(seed).uniform(0.5, 3.0, n)


def _expected(sampler, w, mode):
    """Originals keep theirs; new rows copy the base's or interpolate with the step."""
    mask = to_numpy(sampler.synthetic_mask_)
    parents = to_numpy(sampler.synthetic_parents_)
    steps = to_numpy(sampler.synthetic_steps_).astype(np.float64)
    kept = to_numpy(sampler.sample_indices_)
    out = np.empty(mask.size)
    out[~mask] = w[kept] if kept.size == (~mask).sum() else w[kept[~mask]]
    new = w[parents[:, 0]]
    if mode == "interpolate":
        new = np.maximum(new + steps * (w[parents[:, 1]] - new), 0.0)
    out[mask] = new
    return out


# -- the weights of the output rows ------------------------------------------------
@pytest.mark.parametrize("mode", ["copy", "interpolate"])
@pytest.mark.parametrize("name", OVER)
def test_over_samplers_weigh_their_rows(backend, xp, name, mode):
    X, y = _data()
    w = _weights(len(y))
    given = w.copy()
    sampler = OVER[name](weight_mode=mode, backend=backend)
    X_res, _ = sampler.fit_resample(xp.asarray(X), xp.asarray(y), sample_weight=w)
    np.testing.assert_array_equal(w, given)  # the caller's array is untouched
    got = to_numpy(sampler.sample_weight_)
    assert type(sampler.sample_weight_) is type(X_res)  # on X's side
    assert got.shape == (X_res.shape[0],) and got.dtype == np.float64
    np.testing.assert_allclose(got, _expected(sampler, w, mode), rtol=1e-12)
    assert (got >= 0).all()
    new = to_numpy(sampler.synthetic_mask_)
    if mode == "copy":  # a copied weight is one of the input's
        assert np.isin(got[new], w).all()
    elif name != "SVMSMOTE":  # interpolated: between the two parents' weights
        parents = to_numpy(sampler.synthetic_parents_)
        lo = np.minimum(w[parents[:, 0]], w[parents[:, 1]])
        hi = np.maximum(w[parents[:, 0]], w[parents[:, 1]])
        assert ((got[new] >= lo - 1e-12) & (got[new] <= hi + 1e-12)).all()
        assert not np.isin(got[new], w).all()


def test_extrapolated_weights_are_floored_at_zero():
    X, y = _data()
    w = np.where(np.arange(len(y)) % 2 == 0, 0.01, 5.0)  # neighbours far heavier
    sampler = SVMSMOTE(random_state=0, weight_mode="interpolate")
    sampler.fit_resample(X, y, sample_weight=w)
    steps = sampler.synthetic_steps_
    got = sampler.sample_weight_[sampler.synthetic_mask_]
    assert (steps < 0).any() and (got == 0).any() and (got >= 0).all()
    np.testing.assert_allclose(sampler.sample_weight_, _expected(sampler, w, "interpolate"))


@pytest.mark.parametrize("sampler", [
    RandomOverSampler(random_state=0), RandomOverSampler(shrinkage=0.5, random_state=0)],
    ids=["copies", "smoothed"])
def test_random_over_sampler_copies_weights(backend, xp, sampler):
    X, y = _data()
    w = _weights(len(y))
    sampler = clone(sampler).set_params(backend=backend)
    sampler.fit_resample(xp.asarray(X), xp.asarray(y), sample_weight=w)
    np.testing.assert_array_equal(to_numpy(sampler.sample_weight_), w[sampler.sample_indices_])


def test_categorical_samplers_weigh_their_rows():
    rng = np.random.default_rng(0)
    X_num, y = _data()
    X = np.empty((len(y), 6), dtype=object)
    X[:, :5] = X_num
    X[:, 5] = rng.choice(["a", "b"], len(y))
    w = _weights(len(y))
    for mode in ("copy", "interpolate"):
        nc = SMOTENC(categorical_features=[5], random_state=0, weight_mode=mode)
        nc.fit_resample(X, y, sample_weight=w)
        np.testing.assert_allclose(nc.sample_weight_, _expected(nc, w, mode), rtol=1e-12)
    Xc = (X_num > 0).astype(int).astype(str)
    n = SMOTEN(random_state=0)
    n.fit_resample(Xc, y, sample_weight=w)
    np.testing.assert_array_equal(n.sample_weight_, _expected(n, w, "copy"))


@pytest.mark.parametrize("cls", [RandomOverSampler, SMOTEN])
def test_one_parent_samplers_refuse_interpolate(cls):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match="'weight_mode' parameter.*'copy'"):
        cls(weight_mode="interpolate").fit_resample(X.astype(int).astype(str), y)


@pytest.mark.parametrize("sampler", SELECTORS, ids=lambda s: type(s).__name__)
def test_selecting_samplers_keep_the_weights_of_the_rows_they_keep(backend, xp, sampler):
    X, y = _data()
    w = _weights(len(y))
    sampler = clone(sampler).set_params(backend=backend)
    X_res, _ = sampler.fit_resample(xp.asarray(X), xp.asarray(y), sample_weight=w)
    kept = to_numpy(sampler.sample_indices_)
    assert len(kept) < len(y)
    np.testing.assert_array_equal(to_numpy(sampler.sample_weight_), w[kept])
    assert to_numpy(sampler.sample_weight_).shape == (X_res.shape[0],)


def test_combined_samplers_drop_the_weights_of_the_rows_the_cleaner_drops():
    X, y = _data()
    w = _weights(len(y))
    sampler = SMOTEENN(random_state=0)
    X_res, _ = sampler.fit_resample(X, y, sample_weight=w)
    smote_w = sampler.smote_.sample_weight_
    np.testing.assert_array_equal(sampler.sample_weight_,
                                  smote_w[sampler.enn_.sample_indices_])
    assert sampler.sample_weight_.shape == (len(X_res),)
    # a given smote keeps its own weight_mode
    given = SMOTEENN(smote=SMOTE(random_state=0, weight_mode="interpolate"))
    given.fit_resample(X, y, sample_weight=w)
    np.testing.assert_allclose(given.sample_weight_, _expected(given, w, "interpolate"))
    own = SMOTEENN(random_state=0, weight_mode="interpolate")
    own.fit_resample(X, y, sample_weight=w)
    assert own.smote_.weight_mode == "interpolate"


def test_weight_containers_and_dtypes(fake_cupy):
    X, y = _data()
    w = _weights(len(y))
    for given in (pd.Series(w, index=np.arange(len(y)) + 50), w.tolist()):
        s = SMOTE(random_state=0)
        s.fit_resample(X, y, sample_weight=given)
        np.testing.assert_array_equal(s.sample_weight_, _expected(s, w, "copy"))
    s = SMOTE(random_state=0)
    s.fit_resample(X, y, sample_weight=np.ones(len(y), dtype=int))
    assert s.sample_weight_.dtype == np.float64
    s.fit_resample(X, y, sample_weight=w.astype(np.float32))
    assert s.sample_weight_.dtype == np.float32
    # CuPy X: CuPy weights; NumPy X on the GPU: NumPy weights
    dev = SMOTE(random_state=0, backend="cupy")
    dev.fit_resample(fake_cupy.asarray(X), fake_cupy.asarray(y), sample_weight=w)
    assert isinstance(dev.sample_weight_, fake_cupy.ndarray)
    host = SMOTE(random_state=0, backend="cupy")
    host.fit_resample(X, y, sample_weight=fake_cupy.asarray(w))
    assert isinstance(host.sample_weight_, np.ndarray)
    np.testing.assert_array_equal(to_numpy(dev.sample_weight_), host.sample_weight_)
    # a NumPy X that SMOTEENN takes to the device once: its weights come back too
    chain = SMOTEENN(random_state=0, backend="cupy")
    X_res, _ = chain.fit_resample(X, y, sample_weight=w)
    assert isinstance(X_res, np.ndarray) and isinstance(chain.sample_weight_, np.ndarray)
    np.testing.assert_array_equal(chain.sample_weight_, _expected(chain, w, "copy"))


def test_a_fit_without_weights_leaves_none():
    X, y = _data()
    s = SMOTE(random_state=0)
    s.fit_resample(X, y, sample_weight=_weights(len(y)))
    s.fit_resample(X, y)
    assert not hasattr(s, "sample_weight_")


# -- refusals ------------------------------------------------------------------------
BAD = [
    ("short", lambda n: np.ones(n - 3), ValueError,
     r"sample_weight has 237 values but X has 240 rows; pass one weight per row of X"),
    ("negative", lambda n: np.r_[np.ones(n - 1), -2.0], ValueError,
     r"1 negative value\(s\) \(the first, -2.0, at position 239\); weights must be >= 0"),
    ("nan", lambda n: np.r_[np.nan, np.ones(n - 1)], ValueError,
     r"NaN or infinite \(the first, nan, at position 0\); weights must be finite"),
    ("inf", lambda n: np.r_[np.ones(n - 1), np.inf], ValueError, r"NaN or infinite"),
    ("strings", lambda n: np.array(["1.0"] * (n - 1) + ["heavy"], dtype=object), TypeError,
     r"sample_weight must hold numbers; got dtype object with values such as '1.0'"),
    ("numeric text", lambda n: np.array(["1.5"] * n), TypeError,
     r"must hold numbers; got dtype <U3 with values such as '1.5'"),
    ("None", lambda n: np.array([1.0] * (n - 1) + [None], dtype=object), TypeError,
     r"must hold numbers; got dtype object with values such as None"),
    ("complex", lambda n: np.ones(n, dtype=complex), TypeError,
     r"must hold numbers; got dtype complex128"),
    ("2-D", lambda n: np.ones((n, 1)), ValueError,
     r"must be 1-D with one weight per row; got shape \(240, 1\).*w.ravel\(\)"),
    ("scalar", lambda n: 2.0, ValueError, r"got shape \(\).*np.full\(len\(X\), w\)"),
]


@pytest.mark.parametrize("sampler", [SMOTE(), SMOTEENN(), TomekLinks(),
                                     RandomOverSampler()], ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_weights_are_refused_with_the_fix(sampler, case):
    _, make, error, match = case
    X, y = _data()
    w = make(len(y))
    kept = w.copy() if isinstance(w, np.ndarray) else w
    name = type(sampler).__name__
    with pytest.raises(error, match=rf"^{name}\.fit_resample: .*" + match):
        clone(sampler).fit_resample(X, y, sample_weight=w)
    if isinstance(w, np.ndarray):
        np.testing.assert_array_equal(w, kept)


def test_cluster_centroids_refuse_weights():
    X, y = _data()
    with pytest.raises(ValueError, match="ClusterCentroids does not take sample_weight.*"
                                         "Resample without sample_weight"):
        ClusterCentroids(random_state=0).fit_resample(X, y, sample_weight=np.ones(len(y)))


def test_unknown_fit_resample_parameters_are_refused():
    X, y = _data()
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) 'sample_weights'"
                                        r"; it takes X, y and sample_weight"):
        SMOTE().fit_resample(X, y, sample_weights=np.ones(len(y)))


# -- through a Pipeline, with metadata routing -----------------------------------------
class RecordingClassifier(LogisticRegression):
    """Remembers the rows and weights its fit was given."""

    def fit(self, X, y, sample_weight=None):
        self.n_rows_seen_ = len(X)
        self.weights_seen_ = None if sample_weight is None else np.array(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


class RecordingScaler(StandardScaler):
    def fit(self, X, y=None, sample_weight=None):
        self.weights_seen_ = None if sample_weight is None else np.array(sample_weight)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.mark.parametrize("make", [
    lambda: SMOTE(random_state=0), lambda: SMOTEENN(random_state=0),
    lambda: RandomOverSampler(random_state=0), lambda: TomekLinks(),
    lambda: SMOTE(random_state=0, weight_mode="interpolate")],
    ids=["SMOTE", "SMOTEENN", "RandomOverSampler", "TomekLinks", "SMOTE-interpolate"])
def test_the_classifier_gets_the_resampled_weights(routing, make):
    X, y = _data()
    w = _weights(len(y))
    sampler = make().set_fit_resample_request(sample_weight=True)
    scaler = RecordingScaler().set_fit_request(sample_weight=True)
    clf = RecordingClassifier().set_fit_request(sample_weight=True)
    pipe = Pipeline([("sampler", sampler), ("scale", scaler), ("clf", clf)])
    pipe.fit(X, y, sample_weight=w)
    fitted = pipe.named_steps["sampler"]
    X_res, _ = clone(sampler).fit_resample(X, y)
    got = pipe.named_steps["clf"].weights_seen_
    assert pipe.named_steps["clf"].n_rows_seen_ == len(X_res) == len(got)
    np.testing.assert_array_equal(got, fitted.sample_weight_)
    np.testing.assert_array_equal(pipe.named_steps["scale"].weights_seen_, got)
    # the right values: the originals' own weights, then their parents'
    if hasattr(fitted, "synthetic_mask_"):
        mode = getattr(fitted, "weight_mode", "copy")
        np.testing.assert_allclose(got, _expected(fitted, w, mode), rtol=1e-12)
    else:
        np.testing.assert_array_equal(got, w[fitted.sample_indices_])


def test_cross_validation_routes_the_weights_of_each_training_fold(routing):
    X, y = _data()
    w = _weights(len(y))
    pipe = Pipeline([
        ("smote", SMOTE(random_state=0).set_fit_resample_request(sample_weight=True)),
        ("clf", RecordingClassifier().set_fit_request(sample_weight=True))])
    scorer = make_scorer(balanced_accuracy_score).set_score_request(sample_weight=False)
    result = cross_validate(pipe, X, y, cv=3, params={"sample_weight": w}, scoring=scorer,
                            return_estimator=True, error_score="raise")
    assert (result["test_score"] > 0.5).all()
    for est in result["estimator"]:
        clf = est.named_steps["clf"]
        assert clf.weights_seen_.shape == (clf.n_rows_seen_,)
        np.testing.assert_array_equal(clf.weights_seen_,
                                      est.named_steps["smote"].sample_weight_)


def test_imblearn_pipeline_still_works_with_two_outputs(routing):
    """imbalanced-learn's own Pipeline unpacks two outputs: a sampler given
    weights returns two, and keeps the weights; only the classifier cannot get
    them there (it is handed the caller's, of the original length)."""
    X, y = _data()
    w = _weights(len(y))
    smote = SMOTE(random_state=0).set_fit_resample_request(sample_weight=True)
    pipe = ImbPipeline([("smote", smote),
                        ("clf", RecordingClassifier().set_fit_request(sample_weight=False))])
    pipe.fit(X, y, sample_weight=w)
    fitted = pipe.named_steps["smote"]
    assert fitted.sample_weight_.shape == (pipe.named_steps["clf"].n_rows_seen_,)
    assert pipe.named_steps["clf"].weights_seen_ is None
    clf = RecordingClassifier().set_fit_request(sample_weight=True)
    with pytest.raises(ValueError, match="sample_weight"):  # the classifier's own check
        ImbPipeline([("smote", clone(smote)), ("clf", clf)]).fit(X, y, sample_weight=w)


def test_weights_not_routed_to_the_sampler_are_refused_clearly(routing):
    X, y = _data()
    w = _weights(len(y))
    pipe = Pipeline([
        ("smote", SMOTE(random_state=0).set_fit_resample_request(sample_weight=False)),
        ("clf", RecordingClassifier().set_fit_request(sample_weight=True))])
    with pytest.raises(ValueError, match=r"sampler 'smote' before it changed the rows "
                                         r"without weights.*smote\.set_fit_resample_request"
                                         r"\(sample_weight=True\)"):
        pipe.fit(X, y, sample_weight=w)


def test_pipeline_without_weights_is_imblearns():
    X, y = _data()
    pipe = Pipeline([("smote", SMOTE(random_state=0)), ("clf", RecordingClassifier())])
    pipe.fit(X, y)
    ref = ImbPipeline([("smote", SMOTE(random_state=0)), ("clf", LogisticRegression())])
    ref.fit(X, y)
    np.testing.assert_array_equal(pipe.predict(X), ref.predict(X))
    assert pipe.named_steps["clf"].weights_seen_ is None


class RecordingFitPredict(RecordingClassifier):
    def fit_predict(self, X, y, sample_weight=None):
        return self.fit(X, y, sample_weight=sample_weight).predict(X)


def test_fit_predict_gets_the_resampled_weights_too(routing):
    """Pipeline.fit_predict reads the last step's parameters without
    imbalanced-learn's per-step hook: they are replaced after the samplers ran."""
    X, y = _data()
    w = _weights(len(y))
    pipe = Pipeline([
        ("smote", SMOTE(random_state=0).set_fit_resample_request(sample_weight=True)),
        ("clf", RecordingFitPredict().set_fit_request(sample_weight=True))])
    pred = pipe.fit_predict(X, y, sample_weight=w)
    clf = pipe.named_steps["clf"]
    assert len(pred) == clf.n_rows_seen_ > len(y)
    np.testing.assert_array_equal(clf.weights_seen_, pipe.named_steps["smote"].sample_weight_)


def test_make_pipeline_names_the_steps_and_is_our_pipeline():
    from sklearn.linear_model import LogisticRegression

    from gpusmote import SMOTE

    pipe = make_pipeline(SMOTE(), LogisticRegression())
    assert isinstance(pipe, Pipeline)
    assert [name for name, _ in pipe.steps] == ["smote", "logisticregression"]
