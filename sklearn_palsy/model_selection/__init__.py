"""Cross-validation by patient."""

from ._calibration import calibration_table
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
    "METRICS",
    "MULTICLASS_METRICS",
    "ORDINAL_METRICS",
    "calibration_table",
    "check_patient_split",
    "evaluate_pipelines",
    "ordinal_decision",
    "patient_scores",
]
