"""MediaPipe Face Mesh: 478 landmarks with irises, from the models in its wheel.

Optional: ``pip install "sklearn-palsy[mediapipe]"``. MediaPipe 0.10.21 needs
numpy < 2, so it lives in its own environment (``make test-mediapipe``).
"""

import functools

import numpy as np

__all__ = ["detect_mediapipe"]


@functools.cache
def _face_mesh():
    try:
        from mediapipe.python.solutions import face_mesh
    except ImportError as error:  # pragma: no cover - depends on the extra
        raise ImportError(
            "the 'mediapipe' landmark backend needs the optional dependency "
            "mediapipe==0.10.21 (which needs numpy<2): "
            'pip install "sklearn-palsy[mediapipe]"'
        ) from error
    # static_image_mode: every image is a new photograph, not a video frame.
    return face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=4,
        refine_landmarks=True,
        min_detection_confidence=0.5,
    )


def detect_mediapipe(image):
    """Run Face Mesh on one RGB image.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), dtype uint8
        RGB image.

    Returns
    -------
    box : ndarray of shape (4,) or None
        ``(left, top, right, bottom)`` around the largest face's landmarks.
    landmarks : ndarray of shape (478, 2) or None
        Its landmarks in pixels, irises included (468-477).
    n_faces : int
        How many faces Face Mesh found.
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    result = _face_mesh().process(image)
    faces = result.multi_face_landmarks or []
    if not faces:
        return None, None, 0
    candidates = []
    for face in faces:
        points = np.array([[p.x * width, p.y * height] for p in face.landmark])
        box = np.r_[points.min(axis=0), points.max(axis=0)]
        candidates.append(((box[2] - box[0]) * (box[3] - box[1]), box, points))
    _, box, points = max(candidates, key=lambda item: item[0])
    return box, points, len(faces)
