"""
Reporting a study: intervals, calibration, decision curve, learning curve, card
===============================================================================

What a clinical journal asks of a prediction study, on the synthetic
cohort: every metric with its 95 % interval by patient, the paired
comparison of two configurations, the calibration slope and intercept, the
decision curve (net benefit against treating everyone and no one), the
learning curve by number of patients, and the model card that travels with
the saved model.

Ground-truth landmarks of the synthetic cohort stand in for detected ones
to keep the example fast; on photographs, put
:class:`sklearn_palsy.LandmarkDetector` first in each pipeline and pass the
image paths. The scores describe a rendered cohort, not real patients.
"""

import io

import matplotlib.pyplot as plt
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import (
    ExpressionFeatures,
    calibration_summary,
    compare_pipelines,
    decision_curve,
    evaluate_pipelines,
    learning_curve_by_patients,
    make_synthetic_cohort,
)
from sklearn_palsy.io import make_model_card
from sklearn_palsy.reporting import (
    intervals_table,
    plot_decision_curves,
    plot_learning_curve,
)

cohort = make_synthetic_cohort(
    n_patients=15, n_controls=15, expressions=("rest", "smile"), image_size=96,
    random_state=0,
)
X = ExpressionFeatures(kinds=("symmetry",)).fit_transform(cohort.landmarks)


def show(figure):
    """Render a package figure (built without pyplot) for the gallery."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    buffer.seek(0)
    plt.figure(figsize=(9, 4.5))
    plt.imshow(plt.imread(buffer))
    plt.axis("off")
    plt.show()


# Most features separate this rendered cohort perfectly; one weak feature
# (the canthus to lower-lip ratio) gives a model with something to show,
# beside chance.
X = X[:, [15]]
models = {
    "symmetry": make_pipeline(StandardScaler(), LogisticRegression(C=0.5)),
    "chance": DummyClassifier(strategy="prior"),
}
result = evaluate_pipelines(models, X, cohort.y, cohort.groups,
                            cv=GroupKFold(5), verbose=0, n_bootstraps=500,
                            random_state=0)

# %%
# Every metric with its interval
# ------------------------------
# The out-of-fold predictions of all folds pooled, and a bootstrap over
# patients (the independent units), not over photographs.
print(intervals_table(result.intervals[result.intervals.metric.isin(
    ["balanced_accuracy", "roc_auc", "brier"])]))

# %%
# Is one configuration better than the other?
# -------------------------------------------
# The paired difference with its interval, the corrected resampled t-test
# (Nadeau and Bengio 2003) and the paired bootstrap, Holm-corrected.
comparison = compare_pipelines(result, baseline="chance", n_bootstraps=500,
                               random_state=0)
print(comparison[["estimator", "other", "metric", "difference", "low", "high",
                  "p_corrected_t_holm", "p_bootstrap_holm"]].round(3))

# %%
# Calibration and clinical usefulness
# -----------------------------------
# A calibrated model has slope 1 and intercept 0; a slope above 1 means
# probabilities too timid (this weak, regularised model's), below 1 too
# extreme. The decision curve shows where acting on the model beats treating
# everyone and treating no one.
calibration = calibration_summary(result, levels="patient", n_resamples=500)
print(calibration[calibration.estimator == "symmetry"].round(2))
curve = decision_curve(result, levels="patient")
show(plot_decision_curves(result, levels=("patient",), curve=curve))

# %%
# How many patients does the model need?
# --------------------------------------
# Subsets of each training fold's patients, stratified by class; the test
# patients stay the same at every size.
learning = learning_curve_by_patients(
    models["symmetry"], X, cohort.y, cohort.groups,
    train_sizes=(0.25, 0.5, 1.0), cv=GroupKFold(5), n_repeats=3,
    metrics=("balanced_accuracy", "roc_auc"), n_resamples=300)
print(learning.curve.round(2))
show(plot_learning_curve(learning))

# %%
# The model card
# --------------
# ``sklearn-palsy train --evaluate 5`` writes it beside the model; here it is
# built from the evaluation above. Its one line is what ``predict`` prints.
card = make_model_card("symmetry", None, cohort.y, cohort.groups,
                       evaluation=result, validation="GroupKFold(5) by patient",
                       image_size=96, n_resamples=300)
print(card.summary_line())
print(card.to_markdown()[:1200])
