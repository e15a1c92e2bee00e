"""Labels without the host (issue 10): the encoding equals np.unique's, and the
sampling_strategy_ resolver equals imbalanced-learn's check_sampling_strategy
for every form, label kind and sampling type, with each of its errors' meanings."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imblearn.utils import check_sampling_strategy

from gpusmote._labels import (
    BINCOUNT_MAX_LABEL,
    encode_labels,
    resolve_sampling_strategy,
)
from tests import _fake_cupy

SAMPLING_TYPES = ("over-sampling", "under-sampling", "clean-sampling")
NAMES = ("auto", "minority", "majority", "not minority", "not majority", "all")

# imbalanced-learn's message -> ours: the same meaning, in our words
MEANINGS = [
    (r"target class is/are not present", r"not present in y.*use labels that occur in y"),
    (r"cannot be negative", r"negative number of rows.*count >= 0"),
    (r"should be greater or equal", r"an over-sampler can only add rows; ask for at least"),
    (r"should be less or equal", r"an under-sampler can only remove rows; ask for at most"),
    (r"dict for cleaning methods is not supported", r"not supported by cleaning samplers"),
    (r"cannot be a list for samplers which are not cleaning", r"for cleaning samplers only"),
    (r"float only when the type of target is binary", r"a float works for two classes only"),
    (r"should be in the range \(0, 1\]", r"is out of range: a float must be in \(0, 1\]"),
    (r"remove samples from the minority class",
     r"is already [\d.]+ % of the majority.*an over-sampler can only add rows"),
    (r"generate new sample in the majority class", r"would add rows to the majority class"),
    (r"do let the user specify the sampling ratio", r"cleaning samplers take no ratio"),
    (r"'majority' cannot be used with over-sampler", r"an over-sampler cannot make"),
    (r"'minority' cannot be used with under-sampler", r"sampler cannot do"),
    (r"it needs to be one of", r"is not a known strategy"),
]

LABEL_KINDS = {
    "small int": lambda i: i,                       # bincount
    "negative int": lambda i: i - 3,                # unique
    "large int": lambda i: i * 5000 + 7,            # past BINCOUNT_MAX_LABEL: unique
    "integral float": lambda i: float(i),           # bincount on the float values
    "string": lambda i: f"c{i}",                    # unique (host only)
}


@st.composite
def label_sets(draw):
    kind = draw(st.sampled_from(sorted(LABEL_KINDS)))
    n_classes = draw(st.sampled_from([2, 2, 3, 5]))  # binary half the time (floats)
    values = draw(st.lists(st.integers(0, 9), min_size=n_classes, max_size=n_classes,
                           unique=True))
    counts = draw(st.lists(st.integers(1, 12), min_size=n_classes, max_size=n_classes))
    labels = [LABEL_KINDS[kind](v) for v in values]
    y = np.repeat(np.array(labels), counts)
    order = draw(st.permutations(range(y.size)))
    return y[np.array(order)]


def _forms(y):
    classes = list(np.unique(y))
    some = st.lists(st.sampled_from(classes), max_size=len(classes), unique=True)
    foreign = st.sampled_from(["zz", 99999, -42.5])
    one = st.tuples(st.sampled_from(classes)).map(list)
    dict_keys = st.one_of(some, one, st.tuples(foreign).map(list),
                          some.map(lambda k: k + ["zz"]))
    dicts = dict_keys.flatmap(lambda keys: st.fixed_dictionaries(
        {k: st.integers(-6, 30) for k in keys}))
    return st.one_of(
        st.sampled_from(NAMES + ("bogus",)),
        st.floats(-0.5, 1.5, allow_nan=False),
        st.sampled_from([0.01, 0.1, 0.5, 0.77, 0.93, 1.0]),
        dicts,
        some.map(list),
        dicts.map(lambda d: (lambda y_: dict(d))),
    )


def _outcome(fn):
    try:
        return "ok", fn()
    except ValueError as exc:
        return "error", str(exc)


def _compare(y, strategy, sampling_type) -> str:
    """Ours against imbalanced-learn's on one case; returns what was reached."""
    theirs = _outcome(lambda: check_sampling_strategy(strategy, y, sampling_type))
    ours = _outcome(lambda: resolve_sampling_strategy(
        strategy, encode_labels(y, y.shape[0]), sampling_type))
    assert ours[0] == theirs[0], (strategy, sampling_type, ours, theirs)
    if theirs[0] == "ok":
        assert list(ours[1].items()) == list(theirs[1].items()), (strategy, sampling_type)
        return "ok " + ("callable" if callable(strategy) else type(strategy).__name__)
    meaning = [(imb_re, ours_re) for imb_re, ours_re in MEANINGS
               if re.search(imb_re, theirs[1])]
    assert len(meaning) == 1, theirs[1]
    assert re.search(meaning[0][1], ours[1]), (theirs[1], ours[1])
    return meaning[0][0]


def test_resolver_equals_imblearn_check_sampling_strategy():
    """A property-based sweep of label sets (binary and multiclass, five label
    kinds), every form and the three sampling types; it must also reach every
    form's success and every error meaning, or the sweep proves less than it says."""
    seen = set()

    @settings(max_examples=500, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def sweep(data):
        y = data.draw(label_sets())
        strategy = data.draw(_forms(y))
        sampling_type = data.draw(st.sampled_from(SAMPLING_TYPES))
        seen.add(_compare(y, strategy, sampling_type))

    sweep()
    assert {imb for imb, _ in MEANINGS} <= seen
    assert {f"ok {t}" for t in ("str", "float", "dict", "list", "callable")} <= seen


def test_callable_gets_y_on_the_host_as_given(monkeypatch):
    cp = _fake_cupy.install(monkeypatch)
    y = np.array([0] * 8 + [1] * 3 + [2] * 5)
    seen = []

    def strategy(y_, **kwargs):
        seen.append((type(y_), y_.copy(), kwargs))
        return {1: 8}

    labels = encode_labels(cp.asarray(y), y.size, device=True)
    out = resolve_sampling_strategy(strategy, labels, "over-sampling", extra=1)
    assert out == {1: 5}
    assert seen[0][0] is np.ndarray and np.array_equal(seen[0][1], y)
    assert seen[0][2] == {"extra": 1}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(y=label_sets(), device=st.booleans())
def test_encoding_equals_np_unique(y, device):
    """classes, counts and codes as np.unique gives them, on the host and on the
    stand-in's device (strings stay on the host: CuPy holds numbers only)."""
    with pytest.MonkeyPatch.context() as mp:
        cp = _fake_cupy.install(mp)
        on_device = device and y.dtype.kind != "U"
        y_in = cp.asarray(y) if on_device else y
        labels = encode_labels(y_in, y.size, device=on_device)
        classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
        assert labels.classes.dtype == y.dtype
        np.testing.assert_array_equal(labels.classes, classes)
        np.testing.assert_array_equal(labels.counts, counts)
        codes = labels.codes()
        assert isinstance(codes, cp.ndarray) == on_device
        np.testing.assert_array_equal(_fake_cupy.asnumpy(codes), inverse)
        for c, label in enumerate(classes):
            assert labels.code_of(label) == c
            np.testing.assert_array_equal(_fake_cupy.asnumpy(labels.rows(label)),
                                          np.flatnonzero(y == label))
        ext = labels.extend([(classes[0], 3), (classes[-1], 0), (classes[1], 2)])
        np.testing.assert_array_equal(
            _fake_cupy.asnumpy(ext), np.concatenate([y, [classes[0]] * 3, [classes[1]] * 2]))
        assert ext.dtype == y.dtype


def test_booleans_and_one_hot():
    y = np.array([True, False, True, True])
    labels = encode_labels(y, 4)
    assert labels.classes.tolist() == [False, True] and labels.counts.tolist() == [1, 3]
    one_hot = np.eye(3, dtype=int)[[0, 1, 2, 2, 1]]
    labels = encode_labels(one_hot, 5)
    assert labels.one_vs_all and labels.y.tolist() == [0, 1, 2, 2, 1]
    np.testing.assert_array_equal(labels.one_vs_all_matrix(labels.y), one_hot)


@pytest.mark.parametrize("y, match", [
    (np.array([0.5, 1.0, 2.0]), r"Unknown label type: 'continuous'"),
    (np.array([0.0, np.nan, 1.0]), r"contains NaN or infinity"),
    (np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]]), r"exactly one 1"),
    (np.array([[2, 0], [0, 3], [1, 1]]), r"Multilabel and multioutput"),
    (np.array([3, 3, 3]), r"only one class \(3\)"),
    (np.array([1 + 1j, 2, 3]), r"Complex data not supported"),
])
def test_bad_labels(y, match):
    with pytest.raises(ValueError, match=match):
        encode_labels(y, y.shape[0])


def test_bincount_path_bounds():
    """Labels up to BINCOUNT_MAX_LABEL are counted; larger ones go through unique."""
    for top in (BINCOUNT_MAX_LABEL, BINCOUNT_MAX_LABEL + 1):
        y = np.array([0, top, top])
        labels = encode_labels(y, 3)
        assert (labels._lut is not None) == (top <= BINCOUNT_MAX_LABEL)
        assert labels.classes.tolist() == [0, top] and labels.counts.tolist() == [1, 2]


# -- issue 13 items 5 and 17: every message is ours, names the value and the fix ------

_X = np.random.default_rng(0).standard_normal((60, 3))
_Y = np.array([0] * 45 + [1] * 15)
_X_RARE = np.random.default_rng(1).standard_normal((1100, 3))
_Y_RARE = np.array([0] * 1062 + [1] * 38)


def _messages():
    from gpusmote import SMOTE, EditedNearestNeighbours, SMOTETomek, TomekLinks

    return [
        # (id, sampler, X, y, error, key phrases)
        ("cleaner ratio", TomekLinks(sampling_strategy=0.5), _X, _Y, ValueError,
         (r"sampling_strategy=0.5: cleaning samplers take no ratio.*pass a strategy name "
         r"such as 'auto' or a list of the classes")),
        ("cleaner ratio above 1", EditedNearestNeighbours(sampling_strategy=1.5), _X, _Y,
         ValueError, r"Got 1.5 instead. Cleaning samplers take no ratio"),
        ("ratio below the current one", SMOTE(sampling_strategy=0.01), _X_RARE, _Y_RARE,
         ValueError, (r"sampling_strategy=0.01 asks for a minority of 0.01 times the majority, "
         r"but the minority \(class 1, 38 rows\) is already 3.58 % of the majority \(class 0, "
         r"1062 rows\).*pass a ratio of at least 0.0368")),
        ("ratio below, combined", SMOTETomek(sampling_strategy=np.float64(0.01)), _X_RARE,
         _Y_RARE, ValueError, r"sampling_strategy=0.01 asks.*at least 0.0368"),
        ("missing class", SMOTE(sampling_strategy={2: 100}), _X, _Y, ValueError,
         (r"names class\(es\) \[2\] that are not present in y \(its classes are \[0, 1\]\); "
         r"use labels that occur in y")),
        ("negative count, NumPy key", SMOTE(sampling_strategy={np.int64(1): np.int64(-3)}),
         _X, _Y, ValueError, r"negative number of rows: \{1: -3\}"),
        ("fewer than now, NumPy key", SMOTE(sampling_strategy={np.int64(1): 3}), _X, _Y,
         ValueError, r"asks for 3 rows of class 1, which has 15.*ask for at least 15"),
        ("fractional count", SMOTE(sampling_strategy={1: 50.5}), _X, _Y, ValueError,
         r"asks for \{1: 50.5\}: a number of rows must be a whole number; pass an int"),
        ("fractional count from a callable", SMOTE(sampling_strategy=lambda y: {1: 50.5}),
         _X, _Y, ValueError, r"\{1: 50.5\}: a number of rows must be a whole number"),
        ("count as a string", SMOTE(sampling_strategy={1: "50"}), _X, _Y, TypeError,
         r"asks for \{1: '50'\}: each class needs a whole number of rows \(an int\), got str"),
        ("count as a bool", SMOTE(sampling_strategy={1: True}), _X, _Y, TypeError,
         r"whole number of rows \(an int\), got bool"),
        ("callable returns a list", SMOTE(sampling_strategy=lambda y: [1]), _X, _Y,
         TypeError, (r"a callable sampling_strategy must return a dict \{class label: number "
         r"of rows after resampling\}, got list \[1\]")),
        ("majority for an over-sampler", SMOTE(sampling_strategy="majority"), _X, _Y,
         ValueError, (r"'sampling_strategy' parameter of SMOTE must be .*Got 'majority' "
         r"instead. An over-sampler cannot add rows to the largest class; 'not majority'")),
        ("list for an over-sampler", SMOTE(sampling_strategy=[1]), _X, _Y, ValueError,
         r"Got \[1\] instead. A list of classes is for cleaning samplers; .*pass a dict"),
        ("dict for a cleaner", TomekLinks(sampling_strategy={1: 3}), _X, _Y, ValueError,
         (r"parameter of TomekLinks must be .*a list of the classes that may lose rows.*"
         r"Got \{1: 3\} instead. Cleaning samplers decide how many rows go")),
        ("minority for a cleaner", TomekLinks(sampling_strategy="minority"), _X, _Y,
         ValueError, (r"Got 'minority' instead. A cleaning sampler does not remove rows from "
         r"the smallest class")),
        ("unknown name", SMOTE(sampling_strategy="bogus"), _X, _Y, ValueError,
         r"Got 'bogus' instead. 'bogus' is not a strategy name"),
        ("ratio above 1", SMOTE(sampling_strategy=1.5), _X, _Y, ValueError,
         r"Got 1.5 instead. A ratio above 1 would make the minority larger"),
    ]


@pytest.mark.parametrize("case", _messages(), ids=lambda c: c[0])
def test_strategy_messages_are_ours(case):
    _, sampler, X, y, error, match = case
    with pytest.raises(error, match=match) as info:
        sampler.fit_resample(X, y)
    text = str(info.value)
    # none of imbalanced-learn's wording or raw reprs reaches the user
    for leak in ("np.int64", "np.float64", "collections.abc", "is/are", "do let",
                 "remove samples", "Mapping"):
        assert leak not in text, (leak, text)


def test_whole_float_counts_are_accepted_as_imblearn_does():
    from imblearn.over_sampling import SMOTE as ImbSMOTE

    from gpusmote import SMOTE

    ours = SMOTE(sampling_strategy={1: 50.0}, random_state=0)
    _, y_ours = ours.fit_resample(_X, _Y)
    _, y_imb = ImbSMOTE(sampling_strategy={1: 50}, random_state=0).fit_resample(_X, _Y)
    assert ours.sampling_strategy_ == {1: 35}
    assert np.bincount(y_ours).tolist() == np.bincount(y_imb).tolist() == [45, 50]


@pytest.mark.parametrize("n_min, n_maj", [(38, 1062), (1, 3), (15, 45), (99, 100),
                                          (7, 1_000_003), (333, 1000)])
def test_the_ratio_suggested_is_the_smallest_that_adds_a_row(n_min, n_maj):
    from gpusmote._labels import _smallest_ratio

    ratio = _smallest_ratio(n_min, n_maj)
    assert int(n_maj * ratio - n_min) >= 1
    digits = len(f"{ratio:.10g}".split(".")[1]) if "." in f"{ratio:.10g}" else 0
    assert int(n_maj * (ratio - 10 ** -digits) - n_min) <= 0


def test_suggested_ratio_works_through_the_sampler():
    from gpusmote import SMOTE

    with pytest.raises(ValueError, match=r"at least 0.0368"):
        SMOTE(sampling_strategy=0.0367).fit_resample(_X_RARE, _Y_RARE)
    _, y_res = SMOTE(sampling_strategy=0.0368, random_state=0).fit_resample(_X_RARE, _Y_RARE)
    assert np.bincount(y_res)[1] == 39
