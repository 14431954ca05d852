"""sklearn-palsy: scikit-learn compatible detection of facial palsy in photographs.

This is a research tool, not a medical device: its output must not be used to
diagnose, treat or triage anyone.

The public names below are imported on first use (PEP 562), so that
``import sklearn_palsy`` and the command-line tool's ``--help`` and
``--version`` do not load torch, dlib or MediaPipe until they are needed.
"""

import importlib

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it.
_LAZY = {
    "datasets": None,
    "exceptions": None,
    "paper": None,
    # Not in __all__: a star import would hide the standard library's io.
    "io": None,
    "load_model": ".io",
    "save_model": ".io",
    "load_image_folder": ".datasets",
    "load_manifest": ".datasets",
    "make_synthetic_cohort": ".datasets",
    "FusionClassifier": ".fusion",
    "IntermediateFusionClassifier": ".fusion",
    "PatientStackingClassifier": ".fusion",
    "make_late_fusion": ".fusion",
    "make_paper_pipelines": ".paper",
    "OrdinalClassifier": ".clinical",
    "PatientClassifier": ".clinical",
    "PatientMovement": ".clinical",
    "RegionalScores": ".clinical",
    "regional_scores": ".clinical",
    "clinical": None,
    "calibration_table": ".model_selection",
    "check_patient_split": ".model_selection",
    "evaluate_pipelines": ".model_selection",
    "FFNNClassifier": ".neural",
    "ResNetClassifier": ".neural",
    "ExpressionFeatures": ".preprocessing",
    "FaceCropper": ".preprocessing",
    "LandmarkDetector": ".preprocessing",
    "LineSegmentDetector": ".preprocessing",
    "LineSegmentRenderer": ".preprocessing",
    "OpenFaceActionUnits": ".preprocessing",
    "read_openface_csv": ".preprocessing",
}

__all__ = [
    "__version__",
    "datasets",
    "exceptions",
    "ExpressionFeatures",
    "FaceCropper",
    "FFNNClassifier",
    "FusionClassifier",
    "IntermediateFusionClassifier",
    "LandmarkDetector",
    "LineSegmentDetector",
    "LineSegmentRenderer",
    "OpenFaceActionUnits",
    "OrdinalClassifier",
    "PatientClassifier",
    "PatientMovement",
    "PatientStackingClassifier",
    "RegionalScores",
    "ResNetClassifier",
    "calibration_table",
    "check_patient_split",
    "clinical",
    "evaluate_pipelines",
    "load_image_folder",
    "load_manifest",
    "load_model",
    "make_late_fusion",
    "make_paper_pipelines",
    "make_synthetic_cohort",
    "read_openface_csv",
    "regional_scores",
    "save_model",
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'sklearn_palsy' has no attribute {name!r}")
    module_name = _LAZY[name]
    if module_name is None:  # a subpackage
        value = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
