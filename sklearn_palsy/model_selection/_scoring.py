"""Scoring: the metrics of the comparison table, per image and per patient.

The names of the metrics of each kind of target (binary, multi-class,
ordinal); the decision that turns ordered class probabilities into a grade
(:func:`ordinal_decision`); the scores of one test fold's probabilities, per
image and per patient; and the pooling of a patient's images into one
probability (their mean) that the patient-level scores, the calibration
table and the plots use.
"""

import warnings

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from ..utils._patients import pool_by_patient

__all__ = [
    "CALIBRATION_METRICS",
    "METRICS",
    "MULTICLASS_METRICS",
    "ORDINAL_METRICS",
    "ordinal_decision",
    "patient_scores",
]

# Binary targets.
METRICS = (
    "precision",
    "recall",
    "specificity",
    "f1",
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
)
# Binary targets, beside METRICS: the Brier score, and the share of
# probabilities that are exactly 0 or 1 (a model that is sure beyond what
# any data show).
CALIBRATION_METRICS = ("brier", "extreme_fraction")
# Multi-class targets: the F1 and the one-vs-rest ROC AUC are macro averages.
MULTICLASS_METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr")
# Ordinal targets: the multi-class metrics, and those that count how far off
# a grade is (in grade steps), which accuracy does not.
ORDINAL_METRICS = MULTICLASS_METRICS + (
    "mean_absolute_error",
    "spearman",
    "quadratic_kappa",
)
ORDINAL_DECISIONS = ("mode", "mean", "median")


def ordinal_decision(proba, decision):
    """The class index that ordered class probabilities point to.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities of ordered classes, lowest first; each row sums to 1.
    decision : {"mode", "mean", "median"}
        ``"mode"``: the most probable class; ``"mean"``: the expected class
        index (0 to n_classes - 1), rounded half up, which
        :func:`evaluate_pipelines` uses for ordinal targets; ``"median"``:
        the lowest class whose cumulative probability reaches 0.5, which
        would minimise the expected absolute error if the probabilities were
        calibrated.

    Returns
    -------
    index : ndarray of int, shape (n_samples,)
        Index of the chosen class, 0 to n_classes - 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.model_selection import ordinal_decision
    >>> proba = np.array([[0.4, 0.0, 0.6], [0.45, 0.1, 0.45]])
    >>> ordinal_decision(proba, "mode").tolist()
    [2, 0]
    >>> ordinal_decision(proba, "mean").tolist()
    [1, 1]
    >>> ordinal_decision(proba, "median").tolist()
    [2, 1]
    """
    proba = np.asarray(proba, dtype=float)
    if decision == "median":
        # A small tolerance so that rows summing to 1 up to rounding still
        # reach their last class.
        reached = np.cumsum(proba, axis=1) >= 0.5 - 1e-12
        return reached.argmax(axis=1)
    if decision == "mode":
        return proba.argmax(axis=1)
    if decision == "mean":
        expected = proba @ np.arange(proba.shape[1])
        return np.clip(np.floor(expected + 0.5), 0, proba.shape[1] - 1).astype(int)
    raise ValueError(
        f"decision must be one of {ORDINAL_DECISIONS}; got {decision!r}"
    )


def _scores(y_true, score, pos_label, threshold=0.5):
    """Every metric of the table for one set of binary predictions, called
    positive from ``threshold`` on."""
    y_true = np.asarray(y_true)
    positive = y_true == pos_label
    predicted = score >= threshold
    both = len(np.unique(positive)) == 2
    negatives = (~positive).sum()
    return {
        "precision": precision_score(positive, predicted, zero_division=0),
        "recall": recall_score(positive, predicted, zero_division=0),
        "specificity": ((~positive) & (~predicted)).sum() / negatives
        if negatives
        else np.nan,
        "f1": f1_score(positive, predicted, zero_division=0),
        "accuracy": accuracy_score(positive, predicted),
        "balanced_accuracy": balanced_accuracy_score(positive, predicted)
        if both
        else np.nan,
        "roc_auc": roc_auc_score(positive, score) if both else np.nan,
        "brier": brier_score_loss(positive, score, labels=[False, True]),
        "extreme_fraction": _extreme_fraction(score),
    }


def _extreme_fraction(proba):
    """The share of probabilities that are exactly 0 or 1."""
    proba = np.asarray(proba, dtype=float)
    return float(np.mean((proba == 0.0) | (proba == 1.0))) if proba.size else np.nan


def _class_scores(true, proba, ordinal):
    """Every metric of a multi-class or ordinal table, and the confusion matrix.

    ``true`` holds class indices (positions in the class order) and ``proba``
    one column per class in that order.
    """
    n_classes = proba.shape[1]
    predicted = ordinal_decision(proba, "mean" if ordinal else "mode")
    present = np.unique(true)
    # Macro averages over the classes this fold has: a grade that no test
    # patient has has no recall and no ROC curve.
    recalls = [np.mean(predicted[true == label] == label) for label in present]
    aucs = [roc_auc_score(true == label, proba[:, label]) for label in present]
    scores = {
        "accuracy": accuracy_score(true, predicted),
        "balanced_accuracy": float(np.mean(recalls)),
        "f1_macro": f1_score(true, predicted, average="macro", zero_division=0),
        "roc_auc_ovr": float(np.mean(aucs)) if present.size > 1 else np.nan,
    }
    if ordinal:
        with warnings.catch_warnings():
            # Constant grades (one patient in a fold) leave both undefined:
            # NaN, without the warnings that say so.
            warnings.simplefilter("ignore")
            spearman = spearmanr(true, predicted).statistic
            kappa = cohen_kappa_score(true, predicted, weights="quadratic",
                                      labels=np.arange(n_classes))
        scores.update({
            "mean_absolute_error": float(np.mean(np.abs(true - predicted))),
            "spearman": float(spearman),
            "quadratic_kappa": float(kappa),
        })
    matrix = confusion_matrix(true, predicted, labels=np.arange(n_classes))
    return scores, predicted, matrix


def patient_scores(y_true, proba, groups):
    """Pool image probabilities into one probability per patient (their mean).

    Parameters
    ----------
    y_true : array-like of shape (n_images,)
        Labels of the images.
    proba : array-like of shape (n_images,)
        Probability of the positive class for each image.
    groups : array-like of shape (n_images,)
        Patient ids.

    Returns
    -------
    frame : DataFrame
        One row per patient, with ``patient_id``, ``y_true`` (the patient's
        label) and ``proba`` (the mean over their images).
    """
    frame = pd.DataFrame({"patient_id": groups, "y_true": y_true, "proba": proba})
    labels = frame.groupby("patient_id", sort=False)["y_true"].nunique()
    mixed = labels[labels > 1].index.tolist()
    if mixed:
        raise ValueError(f"patients {mixed[:10]} have images with different labels")
    return pool_by_patient(frame, ["proba"], first=["y_true"])


def _patient_mean(true, proba, groups):
    """Each patient's class and mean class probabilities, as 2-D arrays.

    The labels were checked to be one per patient before anything was
    fitted.
    """
    columns = [f"proba_{k}" for k in range(proba.shape[1])]
    frame = pd.DataFrame(proba, columns=columns)
    frame.insert(0, "true", true)
    frame.insert(0, "patient_id", groups)
    pooled = pool_by_patient(frame, columns, first=["true"])
    return pooled["true"].to_numpy(), pooled[columns].to_numpy()


def _score_binary_fold(y_true, proba, groups, *, pos_label, column):
    """A binary fold's scores per image and per patient, and its predictions.

    ``column`` is the index of ``pos_label`` among ``proba``'s columns.
    """
    positive = proba[:, column]
    per_patient = patient_scores(y_true, positive, groups)
    by_level = {
        "image": _scores(y_true, positive, pos_label),
        "patient": _scores(per_patient.y_true.to_numpy(),
                           per_patient.proba.to_numpy(), pos_label),
    }
    return by_level, {"proba": positive}, {}


def _score_class_fold(y_true, proba, groups, *, classes, ordinal):
    """A multi-class or ordinal fold's scores, predictions and confusion matrices.

    Labels are scored by their index in ``classes``, so that an ordinal
    error counts grade steps in the given order.
    """
    index_of = {label: i for i, label in enumerate(classes.tolist())}
    true = np.array([index_of[label] for label in y_true.tolist()], dtype=int)
    image_scores, predicted, image_matrix = _class_scores(true, proba, ordinal)
    patient_true, patient_proba = _patient_mean(true, proba, groups)
    patient_level, _, patient_matrix = _class_scores(patient_true, patient_proba,
                                                     ordinal)
    image_predictions = {"y_pred": classes[predicted]}
    image_predictions.update(
        {f"proba_{label}": proba[:, i] for i, label in enumerate(classes.tolist())}
    )
    return (
        {"image": image_scores, "patient": patient_level},
        image_predictions,
        {"image": image_matrix, "patient": patient_matrix},
    )
