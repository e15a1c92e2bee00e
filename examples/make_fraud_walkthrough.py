"""Write examples/fraud_walkthrough.ipynb (cells kept here so that diffs stay readable).

Run ``python examples/make_fraud_walkthrough.py`` after editing a cell; the
notebook is saved without outputs. tests/test_notebook.py executes it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """\
# Fraud detection with SMOTE, done the leakage-safe way

This notebook walks through the usual job on a fraud-style data set (well under 1 % positives):

1. split **first**, stratified, and keep the test set untouched;
2. put the resampler **inside** an `imblearn` `Pipeline`, so it only ever sees training rows;
3. score on the test set with metrics that mean something under imbalance: recall,
   precision, F1, MCC and PR-AUC (average precision), not accuracy;
4. compare a few gentle resampling ratios under stratified cross-validation;
5. plot the result.

`gpusmote.SMOTE` is a drop-in for `imblearn.over_sampling.SMOTE`. It runs on the GPU (CuPy)
when one is usable and on the CPU (NumPy) otherwise.

gpusmote is not on PyPI yet: install it from a checkout of its repository, with the
extras this notebook uses (`cli`: pandas and matplotlib; `cuda12` or `cuda13`: the CuPy
that matches the runtime's CUDA, left out on a CPU runtime). Run the cell from the
repository root, or put the checkout's path in place of `.`:"""),
    ("code", """\
# %pip install -e ".[cli,cuda12]"   # GPU runtime with CUDA 12
# %pip install -e ".[cli]"          # CPU-only runtime"""),
    ("code", """\
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from imblearn.pipeline import Pipeline
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (average_precision_score, f1_score, matthews_corrcoef,
                             precision_recall_curve, precision_score, recall_score)
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split

import gpusmote
from gpusmote import SMOTE
from gpusmote.backends import cupy_available

backend = "cupy" if cupy_available() else "numpy"
print(f"gpusmote {gpusmote.__version__}, resampling on: {backend}")"""),
    ("md", """\
## 1. A fraud-style data set

Numeric features, 0.8 % positives, a fixed seed. Swap in your own `X, y` here."""),
    ("code", """\
X, y = make_classification(n_samples=60_000, n_features=20, n_informative=8, n_redundant=4,
                           n_clusters_per_class=2, weights=[0.992], flip_y=0.0,
                           class_sep=0.9, random_state=0)
X = X.astype(np.float32)
print(f"{len(y):,} rows, {y.sum():,} positives ({y.mean():.2%})")"""),
    ("md", """\
## 2. Split first

Resampling before the split would put synthetic points built from test rows into training
and make every score look better than it is. Split first; stratify so both sides keep the
positive rate."""),
    ("code", """\
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
print(f"train: {len(y_train):,} rows, {y_train.sum()} positives")
print(f"test:  {len(y_test):,} rows, {y_test.sum()} positives (never resampled)")"""),
    ("md", """\
## 3. SMOTE inside a Pipeline

`Pipeline.fit` resamples the training data and fits the classifier on the result;
`predict` and `predict_proba` skip the resampler, so the test set is scored as it is.
A gentle ratio (`sampling_strategy=0.1`: one positive per ten negatives) is often a better
start than full balance."""),
    ("code", """\
def make_clf():
    return HistGradientBoostingClassifier(max_iter=100, early_stopping=False,
                                          l2_regularization=1.0, min_samples_leaf=100,
                                          random_state=0)


def test_scores(model):
    proba = model.predict_proba(X_test)[:, 1]
    pred = (proba >= 0.5).astype(int)
    return {"recall": recall_score(y_test, pred),
            "precision": precision_score(y_test, pred, zero_division=0),
            "F1": f1_score(y_test, pred), "MCC": matthews_corrcoef(y_test, pred),
            "PR-AUC": average_precision_score(y_test, proba)}


baseline = make_clf().fit(X_train, y_train)
smote_model = Pipeline([
    ("resample", SMOTE(sampling_strategy=0.1, random_state=0, backend=backend)),
    ("clf", make_clf()),
]).fit(X_train, y_train)

scores = pd.DataFrame({"no resampling": test_scores(baseline),
                       "SMOTE 0.1 in Pipeline": test_scores(smote_model)}).T
scores.round(3)"""),
    ("md", """\
How long does the resampling itself take? (On a GPU runtime, the first call also pays for
CUDA set-up; the second is the one to read.)"""),
    ("code", """\
for attempt in (1, 2):
    start = time.perf_counter()
    X_res, y_res = SMOTE(sampling_strategy=0.1, random_state=0,
                         backend=backend).fit_resample(X_train, y_train)
    print(f"run {attempt}: {time.perf_counter() - start:.3f} s on {backend}, "
          f"{len(y_train):,} -> {len(y_res):,} rows")"""),
    ("md", """\
## 4. Which ratio? Ask cross-validation

Each candidate ratio is a different `Pipeline`; `cross_validate` refits it on every
training fold, so the sampler never sees the fold it is scored on."""),
    ("code", """\
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
scoring = {"recall": "recall", "precision": "precision", "f1": "f1",
           "pr_auc": "average_precision"}
rows = []
for ratio in [None, 0.05, 0.1, 0.25]:
    steps = [("clf", make_clf())]
    if ratio is not None:
        steps.insert(0, ("resample", SMOTE(sampling_strategy=ratio, random_state=0,
                                           backend=backend)))
    res = cross_validate(Pipeline(steps), X_train, y_train, cv=cv, scoring=scoring)
    rows.append({"ratio": "none" if ratio is None else ratio,
                 **{k: res[f"test_{k}"].mean() for k in scoring},
                 "pr_auc_std": res["test_pr_auc"].std()})
cv_table = pd.DataFrame(rows).set_index("ratio")
cv_table.round(3)"""),
    ("md", """\
## 5. Plots

Left: cross-validated metrics against the ratio (dashed: no resampling). Right: the
precision-recall curves of both models on the test set. Resampling moves the 0.5 threshold
(recall up, precision down) more than it changes the ranking that PR-AUC measures; choose
the ratio and the threshold together."""),
    ("code", """\
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
ratios = cv_table.drop(index="none")
for metric, color in [("recall", "C0"), ("precision", "C1"), ("f1", "C2"), ("pr_auc", "C3")]:
    ax1.plot(ratios.index.astype(float), ratios[metric], "o-", color=color, label=metric)
    ax1.axhline(cv_table.loc["none", metric], color=color, ls="--", lw=1)
ax1.set_xscale("log")
ax1.set_xticks(ratios.index.astype(float), [f"{r:g}" for r in ratios.index.astype(float)])
ax1.minorticks_off()
ax1.set_xlabel("SMOTE sampling_strategy (minority/majority ratio)")
ax1.set_title("3-fold CV on the training split (dashed: no resampling)")
ax1.legend()

for name, model in [("no resampling", baseline), ("SMOTE 0.1 in Pipeline", smote_model)]:
    prec, rec, _ = precision_recall_curve(y_test, model.predict_proba(X_test)[:, 1])
    ax2.plot(rec, prec, label=f"{name} (PR-AUC {scores.loc[name, 'PR-AUC']:.3f})")
ax2.set_xlabel("recall")
ax2.set_ylabel("precision")
ax2.set_title("precision-recall on the untouched test set")
ax2.legend()
fig.tight_layout()
plt.show()"""),
    ("md", """\
## Next

* The same comparison over more methods (BorderlineSMOTE, ADASYN, SMOTETomek, SMOTEENN,
  class weights) from a shell: `gpusmote compare --demo` or
  `gpusmote compare data.parquet --target is_fraud --plot compare.png`.
* Resample a file: `gpusmote resample data.parquet --target is_fraud -o resampled.parquet
  --sampling-strategy 0.1`.
* Moving from imbalanced-learn is a change of import line:
  `from gpusmote import SMOTE`."""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src)
             for kind, src in CELLS]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    path = Path(__file__).with_name("fraud_walkthrough.ipynb")
    nbformat.write(build(), path)
    print(f"wrote {path}")
