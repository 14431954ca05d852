"""sklearn-palsy: scikit-learn compatible detection of facial palsy in photographs.

This is a research tool, not a medical device: its output must not be used to
diagnose, treat or triage anyone.

The public names below are imported on first use (PEP 562), so that
``import sklearn_palsy`` and the command-line tool's ``--help`` and
``--version`` do not load torch, dlib or MediaPipe until they are needed.
"""

import importlib

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it; None for a subpackage, so that
# ``sklearn_palsy.faces`` works after ``import sklearn_palsy``, as
# ``sklearn.linear_model`` does after ``import sklearn``.
_SUBPACKAGES = ("cli", "clinical", "datasets", "exceptions", "faces", "fusion",
                "model_selection", "neural", "paper", "preprocessing",
                "reporting", "utils")
_LAZY = {
    **dict.fromkeys(_SUBPACKAGES),
    # Not in __all__: a star import would hide the standard library's io.
    "io": None,
    "load_model": ".io",
    "save_model": ".io",
    "load_image_folder": ".datasets",
    "load_manifest": ".datasets",
    "make_synthetic_cohort": ".datasets",
    "make_synthetic_video": ".datasets",
    "sample_video_frames": ".datasets",
    "expand_videos": ".datasets",
    "load_landmarks": ".faces",
    "write_landmarks": ".faces",
    "LandmarkSet": ".faces",
    "estimate_head_pose": ".faces",
    "HeadPoseFeatures": ".preprocessing",
    "screen_head_pose": ".preprocessing",
    "HeadPoseError": ".preprocessing",
    "HeadPoseWarning": ".preprocessing",
    "HeadPoseScreening": ".preprocessing",
    "head_pose_table": ".preprocessing",
    "load_reference_model": ".paper",
    "IntermediateFusionClassifier": ".fusion",
    "PatientStackingClassifier": ".fusion",
    "make_late_fusion": ".fusion",
    "make_paper_pipelines": ".paper",
    "OrdinalClassifier": ".clinical",
    "PatientClassifier": ".clinical",
    "PatientMovement": ".clinical",
    "RegionalScores": ".clinical",
    "regional_scores": ".clinical",
    "calibration_table": ".model_selection",
    "check_patient_split": ".model_selection",
    "evaluate_pipelines": ".model_selection",
    "calibration_summary": ".model_selection",
    "compare_pipelines": ".model_selection",
    "decision_curve": ".model_selection",
    "learning_curve_by_patients": ".model_selection",
    "format_interval": ".model_selection",
    "RepeatedStratifiedGroupKFold": ".model_selection",
    "FFNNClassifier": ".neural",
    "ResNetClassifier": ".neural",
    "ExpressionFeatures": ".preprocessing",
    "FaceCropper": ".preprocessing",
    "LandmarkDetector": ".preprocessing",
    "LineSegmentDetector": ".preprocessing",
    "LineSegmentRenderer": ".preprocessing",
    "OpenFaceActionUnits": ".preprocessing",
    "read_openface_csv": ".preprocessing",
    "landmark_quality_flags": ".reporting",
    "write_review_page": ".reporting",
}

__all__ = [
    "__version__",
    "cli",
    "faces",
    "fusion",
    "model_selection",
    "neural",
    "preprocessing",
    "reporting",
    "ExpressionFeatures",
    "FaceCropper",
    "FFNNClassifier",
    "HeadPoseError",
    "HeadPoseFeatures",
    "HeadPoseScreening",
    "HeadPoseWarning",
    "IntermediateFusionClassifier",
    "LandmarkDetector",
    "LandmarkSet",
    "LineSegmentDetector",
    "LineSegmentRenderer",
    "OpenFaceActionUnits",
    "OrdinalClassifier",
    "PatientClassifier",
    "PatientMovement",
    "PatientStackingClassifier",
    "RegionalScores",
    "RepeatedStratifiedGroupKFold",
    "ResNetClassifier",
    "calibration_summary",
    "calibration_table",
    "check_patient_split",
    "clinical",
    "compare_pipelines",
    "datasets",
    "decision_curve",
    "estimate_head_pose",
    "evaluate_pipelines",
    "exceptions",
    "expand_videos",
    "format_interval",
    "head_pose_table",
    "landmark_quality_flags",
    "learning_curve_by_patients",
    "load_image_folder",
    "load_landmarks",
    "load_manifest",
    "load_model",
    "load_reference_model",
    "make_late_fusion",
    "make_paper_pipelines",
    "make_synthetic_cohort",
    "make_synthetic_video",
    "read_openface_csv",
    "regional_scores",
    "sample_video_frames",
    "save_model",
    "screen_head_pose",
    "write_landmarks",
    "write_review_page",
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
