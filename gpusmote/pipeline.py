"""imbalanced-learn's Pipeline, with each sampler's resampled weights passed on
(issue 16), and ``make_pipeline`` to build one, as ``imblearn.pipeline`` has."""

from __future__ import annotations

from imblearn.pipeline import Pipeline as _ImbPipeline
from sklearn.pipeline import _name_estimators

__all__ = ["Pipeline", "make_pipeline"]


def _weights_before(steps, step_name: str):
    """The weights of the rows that reach the step after ``steps``: the
    resampled weights of the last sampler among them, None when there is none.
    A sampler that resampled without weights leaves none to pass on: an error
    that says how to route them to it."""
    for name, step in reversed(steps):
        if step is None or isinstance(step, str) or not hasattr(step, "fit_resample"):
            continue
        weights = getattr(step, "sample_weight_", None)
        if weights is None:
            raise ValueError(
                f"Pipeline: sample_weight goes to step {step_name!r}, but the sampler "
                f"{name!r} before it changed the rows without weights, so the weights "
                f"given no longer match them. Route sample_weight to the sampler too "
                f"(with metadata routing on: {name}.set_fit_resample_request("
                "sample_weight=True)); a gpusmote sampler then carries them through.")
        return weights
    return None


class Pipeline(_ImbPipeline):
    """imbalanced-learn's Pipeline, with each sampler's resampled weights passed on.

    ``imblearn.pipeline.Pipeline`` hands every step the ``sample_weight`` the
    caller gave, which no longer matches the rows once a sampler has changed
    them (imbalanced-learn issue #457). This subclass hands the steps after a
    gpusmote sampler that sampler's ``sample_weight_`` instead: route
    ``sample_weight`` to the sampler and to the classifier with scikit-learn's
    metadata routing, and the classifier is fitted with one weight per
    resampled row. Everything else is imbalanced-learn's Pipeline.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As in ``imblearn.pipeline.Pipeline``.

    transform_input : list of str, default=None
        As in ``imblearn.pipeline.Pipeline``.

    memory : str or object with the joblib.Memory interface, default=None
        As in ``imblearn.pipeline.Pipeline``.

    verbose : bool, default=False
        As in ``imblearn.pipeline.Pipeline``.

    See Also
    --------
    imblearn.pipeline.Pipeline : the pipeline this extends.

    Notes
    -----
    Only ``sample_weight`` is replaced, and only with metadata routing on
    (``sklearn.set_config(enable_metadata_routing=True)``): imbalanced-learn's
    Pipeline does not pass parameters to samplers without it.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from gpusmote import SMOTE
    >>> from gpusmote.pipeline import Pipeline
    >>> X, y = make_classification(n_samples=200, weights=[0.9, 0.1], random_state=0)
    >>> w = np.where(y == 1, 2.0, 1.0)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     smote = SMOTE(random_state=0).set_fit_resample_request(sample_weight=True)
    ...     clf = LogisticRegression().set_fit_request(sample_weight=True)
    ...     pipe = Pipeline([("smote", smote), ("clf", clf)]).fit(X, y, sample_weight=w)
    >>> pipe.named_steps["smote"].sample_weight_.shape
    (358,)
    """

    def _fit(self, X, y=None, routed_params=None, raw_params=None):
        Xt, yt = super()._fit(X, y, routed_params, raw_params=raw_params)
        if routed_params is not None and self._final_estimator not in (None, "passthrough"):
            # every fit_* method reads the last step's parameters from here
            name = self.steps[-1][0]
            self._carry_weights(len(self.steps) - 1, name, routed_params[name])
        return Xt, yt

    def _get_metadata_for_step(self, *, step_idx, step_params, all_params):
        # called for each step before it is fitted, with the steps before it
        # fitted; step_params is the routed parameters' own entry, which a
        # sampler step reads directly
        self._carry_weights(step_idx, self.steps[step_idx][0], step_params)
        return super()._get_metadata_for_step(step_idx=step_idx, step_params=step_params,
                                              all_params=all_params)

    def _carry_weights(self, step_idx: int, name: str, step_params) -> None:
        methods = [params for params in step_params.values()
                   if isinstance(params, dict) and "sample_weight" in params]
        if not methods:
            return
        weights = _weights_before(self.steps[:step_idx], name)
        if weights is not None:
            for params in methods:
                params["sample_weight"] = weights


def make_pipeline(*steps, memory=None, transform_input=None, verbose=False) -> Pipeline:
    """A ``Pipeline`` of ``steps``, each named after its class in lower case (as
    ``imblearn.pipeline.make_pipeline``).

    Parameters
    ----------
    *steps : estimators
        The samplers, transformers and the final estimator, in order.
    memory, transform_input, verbose
        As in ``Pipeline``.

    Returns
    -------
    pipeline : Pipeline

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from gpusmote import SMOTE
    >>> from gpusmote.pipeline import make_pipeline
    >>> [name for name, _ in make_pipeline(SMOTE(), LogisticRegression()).steps]
    ['smote', 'logisticregression']
    """
    return Pipeline(_name_estimators(steps), memory=memory, transform_input=transform_input,
                    verbose=verbose)
