"""Figures and a self-contained HTML report of an evaluation.

Confusion matrices, ROC and precision-recall curves drawn with scikit-learn's
displays from :func:`~sklearn_palsy.evaluate_pipelines`'s out-of-fold
predictions, landmark and permutation-importance plots, Grad-CAM heatmaps of
a :class:`~sklearn_palsy.ResNetClassifier`, and :func:`write_report`.

Grad-CAM needs torch; it is imported on first use of :func:`grad_cam` or
:func:`plot_grad_cam`, so that drawing landmarks or writing a report does
not load it.
"""

from ..utils._lazy import lazy_attributes
from ._assessment import write_assessment
from ._html import DISCLAIMER, software_versions
from ._plots import (
    plot_confusion_matrices,
    plot_decision_curves,
    plot_landmarks,
    plot_learning_curve,
    plot_permutation_importance,
    plot_precision_recall_curves,
    plot_reliability_diagrams,
    plot_roc_curves,
    pooled_predictions,
)
from ._quality import landmark_quality_flags
from ._report import (
    add_to_report,
    intervals_table,
    patient_table,
    summary_table,
    write_report,
)
from ._review import load_review_decisions, write_review_page

__all__ = [
    "DISCLAIMER",
    "add_to_report",
    "grad_cam",
    "intervals_table",
    "landmark_quality_flags",
    "load_review_decisions",
    "patient_table",
    "plot_confusion_matrices",
    "plot_decision_curves",
    "plot_grad_cam",
    "plot_landmarks",
    "plot_learning_curve",
    "plot_permutation_importance",
    "plot_precision_recall_curves",
    "plot_reliability_diagrams",
    "plot_roc_curves",
    "pooled_predictions",
    "software_versions",
    "summary_table",
    "write_assessment",
    "write_report",
    "write_review_page",
]


__getattr__, __dir__ = lazy_attributes(
    __name__, {"grad_cam": "._gradcam", "plot_grad_cam": "._gradcam"})
