"""Cross-validation by patient."""

from ._calibration import (
    calibration_slope_intercept,
    calibration_summary,
    calibration_table,
)
from ._decision_curve import DEFAULT_THRESHOLDS, decision_curve, net_benefit
from ._learning_curve import learning_curve_by_patients
from ._scoring import (
    CALIBRATION_METRICS,
    METRICS,
    MULTICLASS_METRICS,
    ORDINAL_METRICS,
    ordinal_decision,
    patient_scores,
)
from ._split import check_patient_split
from ._validation import evaluate_pipelines

__all__ = [
    "CALIBRATION_METRICS",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "MULTICLASS_METRICS",
    "ORDINAL_METRICS",
    "calibration_slope_intercept",
    "calibration_summary",
    "calibration_table",
    "check_patient_split",
    "decision_curve",
    "evaluate_pipelines",
    "learning_curve_by_patients",
    "net_benefit",
    "ordinal_decision",
    "patient_scores",
]
