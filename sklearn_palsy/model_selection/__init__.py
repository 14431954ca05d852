"""Cross-validation by patient."""

from ._evaluate import (
    CALIBRATION_METRICS,
    METRICS,
    MULTICLASS_METRICS,
    ORDINAL_METRICS,
    calibration_table,
    check_patient_split,
    evaluate_pipelines,
    ordinal_decision,
    patient_scores,
)

__all__ = [
    "CALIBRATION_METRICS",
    "METRICS",
    "MULTICLASS_METRICS",
    "ORDINAL_METRICS",
    "calibration_table",
    "check_patient_split",
    "evaluate_pipelines",
    "ordinal_decision",
    "patient_scores",
]
