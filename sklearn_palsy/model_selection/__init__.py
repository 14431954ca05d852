"""Cross-validation by patient."""

from ._evaluate import METRICS, check_patient_split, evaluate_pipelines, patient_scores

__all__ = ["METRICS", "check_patient_split", "evaluate_pipelines", "patient_scores"]
