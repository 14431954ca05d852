"""scikit-learn's own estimator checks over every public estimator.

Estimators that take 2-D feature matrices run ``parametrize_with_checks``.
Estimators whose input is images or landmarks say so in their tags, which
makes scikit-learn skip most checks, so the API checks that apply are called
on them directly here, and their own test modules add shapes, idempotent
fit, joblib round trips and grid searches.
"""

import inspect
import warnings

import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    parametrize_with_checks,
)

import sklearn_palsy
from sklearn_palsy import (
    ExpressionFeatures,
    FaceCropper,
    FFNNClassifier,
    HeadPoseFeatures,
    IntermediateFusionClassifier,
    LandmarkDetector,
    LineSegmentDetector,
    LineSegmentRenderer,
    OpenFaceActionUnits,
    OrdinalClassifier,
    PatientClassifier,
    PatientMovement,
    PatientStackingClassifier,
    RegionalScores,
    ResNetClassifier,
)

# Estimators that take ordinary 2-D feature matrices.
TABULAR = [
    FFNNClassifier(max_epochs=20, random_state=0),
    # Without groups it warns and splits images; the checks pass no groups.
    PatientStackingClassifier([("lr", LogisticRegression()), ("nb", GaussianNB())],
                              final_estimator=LogisticRegression(), cv=3),
    OrdinalClassifier(),
    # Without patients (a patient_id column or groups) it predicts per image,
    # with a warning; the checks give none.
    PatientClassifier(LogisticRegression()),
]
# Estimators whose input is images, landmarks or OpenFace tables. Their tags
# say so, and scikit-learn then runs only the checks that need no data;
# the properties of the others are tested on real input in their own
# modules (for ExpressionFeatures, on landmarks of 68 or 478 points in
# test_features.py, the flattened 2-D form included).
NON_TABULAR = [
    ExpressionFeatures(kinds=("coordinates",)),
    ExpressionFeatures(),
    FaceCropper(),
    LandmarkDetector(),
    LineSegmentRenderer(),
    LineSegmentDetector(),
    OpenFaceActionUnits(),
    ResNetClassifier(),
    IntermediateFusionClassifier([("features", FFNNClassifier())]),
    PatientMovement(),
    RegionalScores(),
    HeadPoseFeatures(),
]

EXPECTED_FAILED_CHECKS = {
    "FFNNClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "mini-batch Adam with shuffling: repeating or removing samples "
            "changes the batches and the number of steps, so a weighted fit "
            "equals a fit on repeated data only in expectation, not to 1e-7"
        ),
    },
}


def _public_estimator_classes():
    return {
        obj
        for name in sklearn_palsy.__all__
        if inspect.isclass(obj := getattr(sklearn_palsy, name))
        and issubclass(obj, BaseEstimator)
    }


def test_every_public_estimator_is_checked():
    checked = {type(e) for e in TABULAR + NON_TABULAR}
    missing = _public_estimator_classes() - checked
    assert not missing, f"add these to tests/test_common.py: {missing}"


@pytest.mark.filterwarnings("ignore:stacking without groups")
@pytest.mark.filterwarnings("ignore:PatientClassifier was given no patients")
@parametrize_with_checks(
    TABULAR + NON_TABULAR,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(
        type(est).__name__, {}
    ),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", NON_TABULAR, ids=lambda e: type(e).__name__)
def test_api_checks_on_non_tabular_estimators(estimator):
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_parameters_default_constructible(name, estimator)
    check_get_params_invariance(name, estimator)
    check_set_params(name, estimator)
    assert repr(estimator).startswith(name)
    assert not estimator.__sklearn_tags__().input_tags.two_d_array


def test_every_public_name_has_a_docstring_with_an_example():
    for name in sklearn_palsy.__all__:
        obj = getattr(sklearn_palsy, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            assert doc.split("\n")[0], f"{name} has no summary line"
            assert "Examples" in doc, f"{name}'s docstring has no Examples"


# Every name that was public before the reorganisation of issue 25, from
# where users imported it (each module's __all__ on 2026-12-06, less the
# deprecations deleted then): each must stay importable from there.
PUBLIC_NAMES = {
    "sklearn_palsy": [
        "ExpressionFeatures", "FFNNClassifier", "FaceCropper", "HeadPoseError",
        "HeadPoseFeatures", "HeadPoseScreening", "HeadPoseWarning",
        "IntermediateFusionClassifier", "LandmarkDetector", "LandmarkSet",
        "LineSegmentDetector", "LineSegmentRenderer", "OpenFaceActionUnits",
        "OrdinalClassifier", "PatientClassifier", "PatientMovement",
        "PatientStackingClassifier", "RegionalScores", "ResNetClassifier",
        "__version__", "calibration_table", "check_patient_split", "clinical",
        "datasets", "estimate_head_pose", "evaluate_pipelines", "exceptions",
        "expand_videos", "head_pose_table", "load_image_folder", "load_landmarks",
        "load_manifest", "load_model", "load_reference_model", "make_late_fusion",
        "make_paper_pipelines", "make_synthetic_cohort", "make_synthetic_video",
        "read_openface_csv", "regional_scores", "sample_video_frames", "save_model",
        "screen_head_pose", "write_landmarks",
    ],
    "sklearn_palsy.clinical": [
        "DYNAMIC_ITEMS", "EXPRESSIONS", "EXPRESSION_ITEMS", "MOVEMENTS",
        "MovementWarning", "OrdinalClassifier", "PatientClassifier",
        "PatientMovement", "REGIONS", "RegionalScores", "STATIC_ITEMS",
        "movement_feature_names", "regional_score_names", "regional_scores",
        "video_key_frames",
    ],
    "sklearn_palsy.datasets": [
        "expand_videos", "load_image_folder", "load_manifest",
        "make_synthetic_cohort", "make_synthetic_video", "sample_video_frames",
    ],
    "sklearn_palsy.exceptions": [
        "ImageBatchError", "ImageFileNotFoundError", "ImageReadError",
        "ImageTooLargeError", "ImageTooSmallError", "InvalidLandmarksError",
        "MAX_LISTED", "ManifestError", "ManifestNotFoundError", "ModelFileError",
        "NoFaceDetectedError", "PalsyError", "PatientLeakageError",
        "PickleModelWarning", "VideoReadError",
    ],
    "sklearn_palsy.faces": [
        "BackendFallbackWarning", "DEFAULT_DETECT_MAX_SIDE", "DEFAULT_MAX_PIXELS",
        "FaceAnalysis", "FaceCacheWarning", "HeadPose", "IBUG68",
        "IBUG68_MEAN_FACE", "LandmarkFileError", "LandmarkScheme", "LandmarkSet",
        "MEDIAPIPE478", "MultipleFacesWarning", "VIDEO_EXTENSIONS", "VideoInfo",
        "align_landmarks", "analyze_face", "analyze_faces", "available_backends",
        "clear_face_cache", "clear_video_cache", "detect_faces", "dlib_model_path",
        "estimate_head_pose", "face_cache_info", "frame_reference", "get_scheme",
        "image_id", "infer_scheme", "is_video_file", "iter_video_frames",
        "load_landmarks", "no_face_cache", "parse_frame_reference",
        "predict_landmarks", "read_image", "read_video_frame", "resolve_backend",
        "video_info", "write_landmarks",
    ],
    "sklearn_palsy.fusion": [
        "FusionModule", "IntermediateFusionClassifier", "PatientStackingClassifier",
        "make_late_fusion",
    ],
    "sklearn_palsy.io": [
        "FORMAT", "FORMAT_VERSION", "MAX_CONFIG_DEPTH", "MAX_CONFIG_NODES",
        "MAX_HEADER_BYTES", "MAX_INLINE_BYTES", "MAX_INLINE_ELEMENTS",
        "MAX_TENSOR_BYTES", "load_model", "load_model_file", "load_model_joblib",
        "register_estimator_module", "register_folder_parameter",
        "registered_estimator_modules", "registered_folder_parameters",
        "save_model", "save_model_file", "save_model_joblib",
    ],
    "sklearn_palsy.model_selection": [
        "CALIBRATION_METRICS", "METRICS", "MULTICLASS_METRICS", "ORDINAL_METRICS",
        "calibration_table", "check_patient_split", "evaluate_pipelines",
        "ordinal_decision", "patient_scores",
    ],
    "sklearn_palsy.neural": [
        "BaseNeuralClassifier", "FFNNClassifier", "MLPModule", "ResNetClassifier",
        "ResNetModule", "array_loader", "bfloat16_supported", "load_resnet_weights",
        "make_image_transform",
    ],
    "sklearn_palsy.paper": [
        "DEMO_EPOCHS", "DEMO_FOLDS", "DEMO_IMAGE_SIZE", "DEMO_RESNET_ARCH",
        "FFNN_LR", "FFNN_WEIGHT_DECAY", "MODERATE_SEVERITY", "PAPER_PIPELINES",
        "REFERENCE_BACKENDS", "REFERENCE_HELD_OUT", "REFERENCE_TASKS",
        "REFERENCE_TRAINING", "TRAIN_EPOCHS",
        "build_reference_models", "evaluate_reference_model",
        "load_reference_model", "machine_summary", "make_paper_pipelines",
        "paper_table", "reference_model_info", "reference_pipeline", "run_demo",
        "run_experiment", "threshold_for_specificity", "train_model",
        "train_reference_model",
    ],
    "sklearn_palsy.preprocessing": [
        "ExpressionFeatures", "FaceCropper", "HeadPoseError", "HeadPoseFeatures",
        "HeadPoseScreening", "HeadPoseWarning", "LandmarkDetector",
        "LineSegmentDetector", "LineSegmentRenderer", "NoFaceFallbackWarning",
        "OpenFaceActionUnits", "head_pose_table", "read_openface_csv",
        "screen_head_pose",
    ],
    "sklearn_palsy.reporting": [
        "DISCLAIMER", "grad_cam", "patient_table", "plot_confusion_matrices",
        "plot_grad_cam", "plot_landmarks", "plot_permutation_importance",
        "plot_precision_recall_curves", "plot_roc_curves", "pooled_predictions",
        "software_versions", "summary_table", "write_report",
    ],
    "sklearn_palsy.cli": [
        "main",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC_NAMES))
def test_every_previously_public_name_is_still_importable(module_name):
    import importlib

    module = importlib.import_module(module_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # none is deprecated
        missing = [name for name in PUBLIC_NAMES[module_name]
                   if not hasattr(module, name)]
    assert missing == []
