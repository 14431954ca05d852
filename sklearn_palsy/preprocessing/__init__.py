"""scikit-learn transformers that turn face photographs into model inputs."""

from ._face import FaceCropper, LandmarkDetector, NoFaceFallbackWarning
from ._features import ExpressionFeatures
from ._lines import LineSegmentDetector, LineSegmentRenderer
from ._openface import OpenFaceActionUnits, read_openface_csv

__all__ = [
    "ExpressionFeatures",
    "FaceCropper",
    "LandmarkDetector",
    "LineSegmentDetector",
    "LineSegmentRenderer",
    "NoFaceFallbackWarning",
    "OpenFaceActionUnits",
    "read_openface_csv",
]
