"""scikit-learn transformers that turn face photographs into model inputs."""

from ._face import FaceCropper, LandmarkDetector, NoFaceFallbackWarning
from ._features import ExpressionFeatures
from ._lines import LineSegmentDetector, LineSegmentRenderer
from ._openface import OpenFaceActionUnits, read_openface_csv
from ._pose import (
    HeadPoseError,
    HeadPoseFeatures,
    HeadPoseScreening,
    HeadPoseWarning,
    head_pose_table,
    screen_head_pose,
)

__all__ = [
    "ExpressionFeatures",
    "FaceCropper",
    "HeadPoseError",
    "HeadPoseFeatures",
    "HeadPoseScreening",
    "HeadPoseWarning",
    "LandmarkDetector",
    "LineSegmentDetector",
    "LineSegmentRenderer",
    "NoFaceFallbackWarning",
    "OpenFaceActionUnits",
    "head_pose_table",
    "read_openface_csv",
    "screen_head_pose",
]
