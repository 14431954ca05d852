"""Figures and a self-contained HTML report of an evaluation.

Confusion matrices, ROC and precision-recall curves drawn with scikit-learn's
displays from :func:`~sklearn_palsy.evaluate_pipelines`'s out-of-fold
predictions, landmark and permutation-importance plots, Grad-CAM heatmaps of
a :class:`~sklearn_palsy.ResNetClassifier`, and :func:`write_report`.
"""

from ._gradcam import grad_cam, plot_grad_cam
from ._plots import (
    plot_confusion_matrices,
    plot_landmarks,
    plot_permutation_importance,
    plot_precision_recall_curves,
    plot_roc_curves,
    pooled_predictions,
)
from ._report import (
    DISCLAIMER,
    patient_table,
    software_versions,
    summary_table,
    write_report,
)

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
    "write_report",
]
