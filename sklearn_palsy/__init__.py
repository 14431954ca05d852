"""sklearn-palsy: scikit-learn compatible detection of facial palsy from face photographs.

This is a research tool, not a medical device: its output must not be used to
diagnose, treat or triage anyone.
"""

__version__ = "0.1.0.dev0"

from . import datasets, exceptions  # noqa: E402
from ._serialization import load_model, save_model  # noqa: E402
from .datasets import load_image_folder, load_manifest, make_synthetic_cohort  # noqa: E402
from .fusion import FusionClassifier, make_paper_pipelines  # noqa: E402
from .model_selection import check_patient_split, evaluate_pipelines  # noqa: E402
from .neural import FFNNClassifier, ResNetClassifier  # noqa: E402
from .preprocessing import (  # noqa: E402
    ExpressionFeatures,
    FaceCropper,
    LandmarkDetector,
    LineSegmentDetector,
    LineSegmentRenderer,
    OpenFaceActionUnits,
    read_openface_csv,
)

__all__ = [
    "__version__",
    "datasets",
    "exceptions",
    "ExpressionFeatures",
    "FaceCropper",
    "FFNNClassifier",
    "FusionClassifier",
    "LandmarkDetector",
    "LineSegmentDetector",
    "LineSegmentRenderer",
    "OpenFaceActionUnits",
    "ResNetClassifier",
    "check_patient_split",
    "evaluate_pipelines",
    "load_image_folder",
    "load_manifest",
    "load_model",
    "make_paper_pipelines",
    "make_synthetic_cohort",
    "read_openface_csv",
    "save_model",
]
