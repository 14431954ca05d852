"""Per-image face functions: reading, detection, landmarks, schemes, alignment.

Functions of one image or one set of landmarks; the scikit-learn
transformers in :mod:`sklearn_palsy.preprocessing` sit on top. Face analysis
(:func:`analyze_faces`) keeps one process-wide, thread-safe cache of its
results, keyed by image content, backend and settings:
:func:`clear_face_cache` empties it, :func:`face_cache_info` counts its
hits, and :func:`no_face_cache` switches it off for the calling thread.
"""

from ._analysis import (
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
from ._schemes import (
    IBUG68,
    IBUG68_MEAN_FACE,
    MEDIAPIPE478,
    LandmarkScheme,
    get_scheme,
    infer_scheme,
)

__all__ = [
    "BackendFallbackWarning",
    "DEFAULT_DETECT_MAX_SIDE",
    "DEFAULT_MAX_PIXELS",
    "IBUG68",
    "IBUG68_MEAN_FACE",
    "MEDIAPIPE478",
    "FaceAnalysis",
    "FaceCacheWarning",
    "LandmarkScheme",
    "MultipleFacesWarning",
    "align_landmarks",
    "analyze_face",
    "analyze_faces",
    "available_backends",
    "clear_face_cache",
    "detect_faces",
    "dlib_model_path",
    "face_cache_info",
    "get_scheme",
    "image_id",
    "infer_scheme",
    "no_face_cache",
    "predict_landmarks",
    "read_image",
    "resolve_backend",
]
