"""Per-image face functions: reading, detection, landmarks, schemes, alignment.

Functions of one image or one set of landmarks; the scikit-learn
transformers in :mod:`sklearn_palsy.preprocessing` sit on top. Face analysis
(:func:`analyze_faces`) keeps one process-wide, thread-safe cache of its
results, keyed by image content, backend and settings:
:func:`clear_face_cache` empties it, :func:`face_cache_info` counts its
hits, and :func:`no_face_cache` switches it off for the calling thread.
"""

from ._analysis import (
    BACKENDS,
    DEFAULT_DETECT_MAX_SIDE,
    BackendFallbackWarning,
    FaceAnalysis,
    FaceCacheWarning,
    MultipleFacesWarning,
    analyze_face,
    analyze_faces,
    available_backends,
    clear_face_cache,
    face_cache_info,
    no_face_cache,
    resolve_backend,
)
from ._dlib import detect_faces, dlib_model_path, predict_landmarks
from ._geometry import align_landmarks
from ._io import DEFAULT_MAX_PIXELS, image_id, read_image
from ._landmark_files import LandmarkFileError, load_landmarks, write_landmarks
from ._landmark_set import LandmarkSet
from ._pose import HeadPose, estimate_head_pose
from ._schemes import (
    IBUG68,
    IBUG68_MEAN_FACE,
    MEDIAPIPE478,
    LandmarkScheme,
    get_scheme,
    infer_scheme,
)
from ._video import (
    VIDEO_EXTENSIONS,
    VideoInfo,
    clear_video_cache,
    frame_reference,
    is_video_file,
    iter_video_frames,
    parse_frame_reference,
    read_video_frame,
    video_info,
)

__all__ = [
    "BACKENDS",
    "BackendFallbackWarning",
    "DEFAULT_DETECT_MAX_SIDE",
    "DEFAULT_MAX_PIXELS",
    "FaceAnalysis",
    "FaceCacheWarning",
    "HeadPose",
    "IBUG68",
    "IBUG68_MEAN_FACE",
    "LandmarkFileError",
    "LandmarkScheme",
    "LandmarkSet",
    "MEDIAPIPE478",
    "MultipleFacesWarning",
    "VIDEO_EXTENSIONS",
    "VideoInfo",
    "align_landmarks",
    "analyze_face",
    "analyze_faces",
    "available_backends",
    "clear_face_cache",
    "clear_video_cache",
    "detect_faces",
    "dlib_model_path",
    "estimate_head_pose",
    "face_cache_info",
    "frame_reference",
    "get_scheme",
    "image_id",
    "infer_scheme",
    "is_video_file",
    "iter_video_frames",
    "load_landmarks",
    "no_face_cache",
    "parse_frame_reference",
    "predict_landmarks",
    "read_image",
    "read_video_frame",
    "resolve_backend",
    "video_info",
    "write_landmarks",
]
