"""What every command of the tool layer shares: the method registry, the error
type, the metric names, and the wording of messages for a command-line user.

The bottom of the tool layer: it imports nothing from the rest of
``gpusmote.cli`` and loads the library only when a sampler is built, so the
commands import it for free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

EXIT_ERROR = 2

# Method name -> (class exported by gpusmote, fixed constructor arguments).
# Aliases point at the same class; the classes are looked up lazily so that
# methods still being written do not break the ones that exist.
METHODS: dict[str, tuple[str, dict]] = {
    "smote": ("SMOTE", {}),
    "borderline-smote": ("BorderlineSMOTE", {"kind": "borderline-1"}),
    "borderline1": ("BorderlineSMOTE", {"kind": "borderline-1"}),
    "borderline2": ("BorderlineSMOTE", {"kind": "borderline-2"}),
    "adasyn": ("ADASYN", {}),
    "smotenc": ("SMOTENC", {"categorical_features": "auto"}),
    "smoten": ("SMOTEN", {}),
    "random": ("RandomOverSampler", {}),
    "ros": ("RandomOverSampler", {}),
    "tomek": ("TomekLinks", {}),
    "enn": ("EditedNearestNeighbours", {}),
    "smote-tomek": ("SMOTETomek", {}),
    "smote-enn": ("SMOTEENN", {}),
    "svm-smote": ("SVMSMOTE", {}),
    "kmeans-smote": ("KMeansSMOTE", {}),
    "random-under": ("RandomUnderSampler", {}),
    "rus": ("RandomUnderSampler", {}),
    "nearmiss-1": ("NearMiss", {"version": 1}),
    "nearmiss-2": ("NearMiss", {"version": 2}),
    "nearmiss-3": ("NearMiss", {"version": 3}),
    "instance-hardness": ("InstanceHardnessThreshold", {}),
    "cluster-centroids": ("ClusterCentroids", {}),
    "cluster-centroids-hard": ("ClusterCentroids", {"voting": "hard"}),
    "renn": ("RepeatedEditedNearestNeighbours", {}),
    "allknn": ("AllKNN", {}),
    "cnn": ("CondensedNearestNeighbour", {}),
    "oss": ("OneSidedSelection", {}),
    "ncr": ("NeighbourhoodCleaningRule", {}),
}

# Methods that take categorical columns as they are.
CATEGORICAL_METHODS = ("smotenc", "smoten")

# The scores of ``demo`` and ``compare``, in table order, with their labels.
METRICS = ("recall", "precision", "f1", "mcc", "pr_auc")
METRIC_LABELS = {"recall": "recall", "precision": "precision", "f1": "F1", "mcc": "MCC",
                 "pr_auc": "PR-AUC"}

# Exceptions a sampler raises for data or parameters it cannot work with
# (ADASYN raises RuntimeError, as imbalanced-learn does, when no row of a class
# has a neighbour of another class). They become one line, not a traceback.
SAMPLER_ERRORS = (ValueError, TypeError, RuntimeError)

# How `pip install` reads for a package that is installed from its checkout.
INSTALL_FROM_CHECKOUT = 'pip install -e ".[{extra}]" (from the gpusmote checkout)'


class CLIError(Exception):
    """An expected failure: printed as one line, exit status 2."""


def sampler_class(method: str) -> type:
    """The gpusmote class behind a method name of the command line.

    Parameters
    ----------
    method : str
        A key of ``METHODS`` (case-insensitive), for example ``"smote"``.

    Returns
    -------
    cls : type
        The sampler class, imported from ``gpusmote``.

    Raises
    ------
    CLIError
        Unknown method, or one this build of gpusmote does not export.
    """
    import gpusmote

    key = method.lower()
    if key not in METHODS:
        raise CLIError(f"unknown method {method!r}; choose one of: {', '.join(METHODS)}")
    class_name, _ = METHODS[key]
    cls = getattr(gpusmote, class_name, None)
    if cls is None:
        raise CLIError(f"method {method!r} needs gpusmote.{class_name}, which this "
                       "version of gpusmote does not provide")
    return cls


def make_sampler(method: str, *, sampling_strategy: Any = "auto", k_neighbors: int | None = None,
                 backend: str = "auto", seed: int | None = None,
                 m_neighbors: int | None = None):
    """Build the sampler for a method name with the options the command line knows.

    Options a sampler does not take are left out (a cleaner has no
    ``random_state``), except ``k_neighbors``, which is an error there because
    the user asked for it. For ``enn`` and ``adasyn`` it sets ``n_neighbors``;
    for the combined samplers it configures their inner SMOTE.

    Parameters
    ----------
    method : str
        A key of ``METHODS``.
    sampling_strategy : str, float, dict or callable, default="auto"
        imbalanced-learn's ``sampling_strategy``.
    k_neighbors : int or None, default=None
        Neighbour count; None keeps the class default.
    backend : {"auto", "numpy", "cupy"}, default="auto"
        Where the work runs.
    seed : int or None, default=None
        ``random_state`` for samplers that draw random numbers.
    m_neighbors : int or None, default=None
        BorderlineSMOTE's neighbour count for the danger test; None keeps its default.

    Returns
    -------
    sampler : estimator
        An unfitted gpusmote sampler.
    """
    cls = sampler_class(method)
    _, fixed = METHODS[method.lower()]
    accepted = set(cls._get_param_names())  # from the signature: SMOTENC has a required arg
    params: dict[str, Any] = dict(fixed)
    wanted = {"sampling_strategy": sampling_strategy, "backend": backend, "random_state": seed}
    params.update({k: v for k, v in wanted.items() if k in accepted})
    if k_neighbors is not None:
        if "k_neighbors" in accepted:
            params["k_neighbors"] = k_neighbors
        elif "n_neighbors" in accepted:
            params["n_neighbors"] = k_neighbors
        elif "smote" in accepted:
            # SMOTETomek / SMOTEENN: k belongs to the SMOTE step they run first
            import gpusmote

            params["smote"] = gpusmote.SMOTE(sampling_strategy=sampling_strategy,
                                             k_neighbors=k_neighbors, backend=backend,
                                             random_state=seed)
        else:
            raise CLIError(f"method {method!r} has no neighbours to set; drop --k-neighbors")
    if m_neighbors is not None:
        if "m_neighbors" not in accepted:
            raise CLIError(f"--m-neighbors is for the borderline and svm-smote methods, "
                           f"not {method!r}; drop it")
        params["m_neighbors"] = m_neighbors
    return cls(**params)


def one_line(exc: BaseException | str) -> str:
    """A message on one line (samplers may wrap long messages)."""
    text = " ".join(str(exc).split())
    if not text and isinstance(exc, BaseException):
        return exc.__class__.__name__
    return text


def need(module: str, command: str, extra: str = "cli"):
    """Import an optional dependency of a command, or fail with the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        hint = INSTALL_FROM_CHECKOUT.format(extra=extra)
        raise CLIError(f"the {command} command needs {module.split('.')[0]}; "
                       f"install it with {hint}") from None


# --------------------------------------------------------------------------
# messages in the words of the command line
# --------------------------------------------------------------------------
# Sampler parameter -> the flag that sets it, per command. `resample` sets a
# cleaner's or ADASYN's n_neighbors from --k-neighbors too (see make_sampler).
RESAMPLE_FLAGS = {"k_neighbors": "--k-neighbors", "n_neighbors": "--k-neighbors",
                  "m_neighbors": "--m-neighbors",
                  "sampling_strategy": "--sampling-strategy", "random_state": "--seed",
                  "backend": "--backend"}
DEMO_FLAGS = {"sampling_strategy": "--sampling-strategy", "random_state": "--seed",
              "backend": "--backend", "positive_rate": "--positive-rate"}
COMPARE_FLAGS = {"random_state": "--seed", "backend": "--backend"}

# NumPy scalar reprs (NumPy >= 2): np.int64(1) -> 1, np.str_('a') -> 'a', np.True_ -> True
_NP_SCALAR = re.compile(r"\bnp\.(?:u?int\d*|float\d*|longdouble|complex\d*|str_|bytes_)"
                        r"\(((?:[^()]|\([^()]*\))*)\)")
_NP_BOOL = re.compile(r"\bnp\.(True|False)_")
# name=value: a quoted string, a bracketed list or dict, or a plain token
# ending in a word character (so a sentence's full stop is not taken along)
_VALUE = r"('[^']*'|\"[^\"]*\"|\[[^\]]*\]|\{[^}]*\}|[-+\w.]*\w)"
# scikit-learn's parameter-validation sentence
_CONSTRAINT = re.compile(r"The '(\w+)' parameter of \w+ must be (.*?)\. Got (.*?) instead\.")
# ... "or an object implementing 'kneighbors' and 'kneighbors_graph'": not on the CLI
_OBJECT_CHOICE = re.compile(r" or an object implementing '\w+'(?: and '\w+')*")


def plain_reprs(text: str) -> str:
    """Replace NumPy scalar reprs (``np.int64(1)``) by the values they stand for."""
    text = _NP_SCALAR.sub(r"\1", text)
    return _NP_BOOL.sub(r"\1", text)


def cli_message(text: str, flags: Mapping[str, str] = RESAMPLE_FLAGS) -> str:
    """A sampler's message in the words of the command line.

    Parameter names the command sets from a flag become that flag
    (``k_neighbors=1`` -> ``--k-neighbors 1``, ``'k_neighbors'`` ->
    ``--k-neighbors``), NumPy scalar reprs become plain values, and the
    message is put on one line. Names no flag sets are left as they are.

    Parameters
    ----------
    text : str
        The message.
    flags : mapping of str to str
        Sampler parameter -> flag, for the command that reports the message.

    Returns
    -------
    message : str

    Examples
    --------
    >>> cli_message("pass k_neighbors=np.int64(39) or fewer.")
    'pass --k-neighbors 39 or fewer.'
    >>> cli_message("The 'k_neighbors' parameter of SMOTE must be an int in the range "
    ...             "[1, inf) or an object implementing 'kneighbors'. Got 0 instead.")
    '--k-neighbors must be an int in the range [1, inf); got 0'
    """
    text = plain_reprs(one_line(text))

    def constraint(m: re.Match) -> str:
        flag = flags.get(m.group(1))
        if flag is None:
            return m.group(0)
        return f"{flag} must be {_OBJECT_CHOICE.sub('', m.group(2))}; got {m.group(3)}"

    text = _CONSTRAINT.sub(constraint, text)
    for name, flag in flags.items():
        def assign(m: re.Match, flag=flag) -> str:
            value = m.group(1)
            if value[:1] in "'\"" and value[-1:] == value[:1]:
                value = value[1:-1]
            return f"{flag} {value}"

        text = re.sub(rf"(?<![\w-])'?{name}'?={_VALUE}", assign, text)
        text = re.sub(rf"'{name}'", flag, text)
        if name != "backend":  # "the backend" is also an English word
            text = re.sub(rf"(?<![\w-]){name}\b", flag, text)
    return text


# --------------------------------------------------------------------------
# --sampling-strategy
# --------------------------------------------------------------------------
STRATEGY_WORDS = ("auto", "minority", "not minority", "not majority", "all")

def parse_label(text: str, y) -> Any:
    """A class label typed on the command line, as a value of ``y``'s dtype.

    A label matches the class whose text form it equals (``1`` for an int
    column, ``fraud`` for a string column); otherwise it is converted to the
    column's dtype so that the sampler reports the unknown class itself.
    """
    classes = list(y.dropna().unique())
    by_text = {str(c): c for c in classes}
    if text in by_text:
        return by_text[text]
    dtype = y.dtype
    kind = getattr(dtype, "kind", "O")
    try:
        if kind in "iu":
            return int(text)
        if kind == "f":
            value = float(text)
            return by_text.get(str(value), value)
        if kind == "b":
            lowered = text.lower()
            if lowered in ("true", "false", "1", "0"):
                return lowered in ("true", "1")
    except ValueError:
        pass
    return text


def parse_sampling_strategy(text: str, y) -> Any:
    """``--sampling-strategy``: a word, a float, or ``class=count,...``.

    Parameters
    ----------
    text : str
        What the user typed.
    y : pandas.Series
        The target column; dict labels are converted to its dtype.

    Returns
    -------
    strategy : str, float or dict
        A value for ``sampling_strategy``.
    """
    word = " ".join(text.strip().lower().split())
    if word in STRATEGY_WORDS:
        return word
    if "=" in text:
        strategy = {}
        for part in text.split(","):
            if not part.strip():
                continue
            label, sep, count = part.rpartition("=")
            if not sep or not label.strip():
                raise CLIError(f"--sampling-strategy item {part.strip()!r} is not class=count")
            try:
                n = int(count)
            except ValueError:
                raise CLIError(f"--sampling-strategy count {count.strip()!r} for class "
                               f"{label.strip()!r} is not an integer") from None
            strategy[parse_label(label.strip(), y)] = n
        return strategy
    try:
        return float(text)
    except ValueError:
        raise CLIError(f"--sampling-strategy {text!r} is not one of "
                       f"{', '.join(repr(w) for w in STRATEGY_WORDS)}, a float, "
                       "or class=count,...") from None
