"""Cross-validation by patient, with intervals, comparisons and external tests."""

from ._calibration import (
    calibration_slope_intercept,
    calibration_summary,
    calibration_table,
)
from ._compare import compare_pipelines, corrected_t_test
from ._decision_curve import DEFAULT_THRESHOLDS, decision_curve, net_benefit
from ._intervals import INTERVAL_METHODS, format_interval
from ._learning_curve import learning_curve_by_patients
from ._scoring import (
    CALIBRATION_METRICS,
    METRICS,
    MULTICLASS_METRICS,
    ORDINAL_METRICS,
    ordinal_decision,
    patient_scores,
)
from ._split import RepeatedStratifiedGroupKFold, check_patient_split
from ._validation import evaluate_pipelines

__all__ = [
    "CALIBRATION_METRICS",
    "DEFAULT_THRESHOLDS",
    "INTERVAL_METHODS",
    "METRICS",
    "MULTICLASS_METRICS",
    "ORDINAL_METRICS",
    "RepeatedStratifiedGroupKFold",
    "calibration_slope_intercept",
    "calibration_summary",
    "calibration_table",
    "check_patient_split",
    "compare_pipelines",
    "corrected_t_test",
    "decision_curve",
    "evaluate_pipelines",
    "format_interval",
    "learning_curve_by_patients",
    "net_benefit",
    "ordinal_decision",
    "patient_scores",
]
