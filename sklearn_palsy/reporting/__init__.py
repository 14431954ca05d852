"""Figures and a self-contained HTML report of an evaluation.

Confusion matrices, ROC and precision-recall curves drawn with scikit-learn's
displays from :func:`~sklearn_palsy.evaluate_pipelines`'s out-of-fold
predictions, landmark and permutation-importance plots, Grad-CAM heatmaps of
a :class:`~sklearn_palsy.ResNetClassifier`, and :func:`write_report`.

Grad-CAM needs torch; it is imported on first use of :func:`grad_cam` or
:func:`plot_grad_cam`, so that drawing landmarks or writing a report does
not load it.
"""

import importlib

from ._assessment import write_assessment
from ._html import DISCLAIMER, software_versions
from ._plots import (
    plot_confusion_matrices,
    plot_landmarks,
    plot_permutation_importance,
    plot_precision_recall_curves,
    plot_roc_curves,
    pooled_predictions,
)
from ._report import patient_table, summary_table, write_report

__all__ = [
    "DISCLAIMER",
    "grad_cam",
    "patient_table",
    "plot_confusion_matrices",
    "plot_grad_cam",
    "plot_landmarks",
    "plot_permutation_importance",
    "plot_precision_recall_curves",
    "plot_roc_curves",
    "pooled_predictions",
    "software_versions",
    "summary_table",
    "write_assessment",
    "write_report",
]


def __getattr__(name):
    if name in ("grad_cam", "plot_grad_cam"):
        value = getattr(importlib.import_module("._gradcam", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
