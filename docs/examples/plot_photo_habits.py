"""
Photo habits and probabilities that mean something
==================================================

Two weaknesses that real web photographs showed, on the synthetic cohort.

1. **Controls who smile more broadly.** A model trained on a set whose
   controls smile twice as broadly as the patients
   (``make_synthetic_cohort(control_smile_gain=2.0)``) is tested on new
   people who do not. Features of size learn the habit; the ``lateral``
   feature kind of :class:`sklearn_palsy.ExpressionFeatures`, made only of
   unitless left-right comparisons, learns the palsy.
2. **Calibration.** The out-of-fold probabilities of the paper's feature
   pipeline, with and without its weight decay, against the observed
   frequency of palsy (:func:`sklearn_palsy.calibration_table`).

Synthetic data; sklearn-palsy is a research tool, not a medical device.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_palsy import (
    ExpressionFeatures,
    calibration_table,
    evaluate_pipelines,
    make_paper_pipelines,
    make_synthetic_cohort,
)
from sklearn_palsy.preprocessing._features import expression_feature_names

# %%
# Mild palsy, and landmarks with a detector's error (Gaussian noise of 1 %
# of the inter-ocular distance), so that no feature separates perfectly.
common = {"severity_range": (0.1, 0.4), "expressions": ("rest", "smile")}
train = make_synthetic_cohort(control_smile_gain=2.0, random_state=0, **common)
test = make_synthetic_cohort(random_state=1, **common)


def noisy(cohort, seed):
    landmarks = np.array(cohort.landmarks)
    iod = np.linalg.norm(landmarks[:, 36:42].mean(1) - landmarks[:, 42:48].mean(1),
                         axis=1)
    noise = np.random.default_rng(seed).normal(size=landmarks.shape)
    return landmarks + 0.01 * noise * iod[:, None, None]


clinical = expression_feature_names(("clinical",))
sizes = [i for i, name in enumerate(clinical) if name.endswith(("_right", "_left"))]
views = {
    "sizes (clinical, per side)": make_pipeline(
        ExpressionFeatures(kinds=("clinical",)),
        FunctionTransformer(lambda X: X[:, sizes])),
    "symmetry (the paper's 29)": ExpressionFeatures(kinds=("symmetry",)),
    "lateral (left-right only)": ExpressionFeatures(kinds=("lateral",)),
}
auc = {}
for name, view in views.items():
    model = make_pipeline(view, StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(noisy(train, 0), train.y)
    auc[name] = roc_auc_score(test.y, model.predict_proba(noisy(test, 1))[:, 1])
    print(f"{name:<28} ROC AUC on new people: {auc[name]:.3f}")

# %%
# The paper's feature pipeline (without its landmark detector), out of fold
# by patient, with and without weight decay, on the same kind of noisy
# landmarks of milder palsy, where the classes overlap.
cohort = make_synthetic_cohort(random_state=0, severity_range=(0.1, 0.5))
models = {
    "weight decay 1e-2 (default)": make_paper_pipelines(random_state=0)[
        "features_ffnn"][1:],
    "no weight decay": make_paper_pipelines(random_state=0, ffnn_weight_decay=0.0)[
        "features_ffnn"][1:],
}
result = evaluate_pipelines(models, noisy(cohort, 2), cohort.y, cohort.groups,
                            cv=GroupKFold(5), verbose=0)
print(result.summary[["brier", "extreme_fraction"]].round(4))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.barh(list(auc), list(auc.values()), color=["#b55", "#888", "#4a7"])
left.axvline(0.5, color="k", lw=0.8, ls=":")
left.set_xlim(0.4, 1.0)
left.set_xlabel("ROC AUC on people who smile alike")
left.set_title("Trained where controls smile broadly")
for name in models:
    table = calibration_table(result, n_bins=5).query("estimator == @name")
    right.plot(table.mean_predicted, table.fraction_positive, "o-", label=name)
right.plot([0, 1], [0, 1], "k:", lw=0.8)
right.set_xlabel("mean predicted probability")
right.set_ylabel("fraction with palsy")
right.set_title("Calibration, out of fold")
right.legend(loc="upper left", fontsize=8)
fig.tight_layout()
