"""MediaPipe Face Mesh: 478 landmarks with irises, from the models in its wheel.

MediaPipe 0.10.21, the last release whose wheel ships the face models, is a
dependency of the package wherever it has a wheel (CPython 3.9-3.12); it
needs numpy < 2.
"""

import contextlib
import functools
import os
import sys

import numpy as np

__all__ = ["detect_mediapipe"]


@contextlib.contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to /dev/null inside the block.

    MediaPipe's C++ core writes its set-up notes (the XNNPACK delegate,
    "feedback tensors") straight to the process's stderr, below Python, on
    the first image; the CLI's users would see them as if something had
    gone wrong.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. some notebooks)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


# Empty until Face Mesh has found a face in this process.
_FIRST_FACE_SEEN = []


@functools.cache
def _face_mesh():
    try:
        from mediapipe.python.solutions import face_mesh
    except ImportError as error:  # pragma: no cover - depends on the extra
        raise ImportError(
            "the 'mediapipe' landmark backend needs mediapipe==0.10.21 (on "
            "Python 3.9-3.12, with numpy<2): pip install mediapipe==0.10.21"
        ) from error
    with _quiet_stderr():
        # static_image_mode: every image is a new photograph, not a video frame.
        mesh = face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=4,
            refine_landmarks=True,
            min_detection_confidence=0.5,
        )
        # The set-up notes come with the first image; get them over with here.
        mesh.process(np.zeros((64, 64, 3), dtype=np.uint8))
    return mesh


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
    mesh = _face_mesh()
    if _FIRST_FACE_SEEN:
        result = mesh.process(image)
    else:
        # One more set-up note comes with the first face found.
        with _quiet_stderr():
            result = mesh.process(image)
    faces = result.multi_face_landmarks or []
    if faces:
        _FIRST_FACE_SEEN.append(True)
    if not faces:
        return None, None, 0
    candidates = []
    for face in faces:
        points = np.array([[p.x * width, p.y * height] for p in face.landmark])
        box = np.r_[points.min(axis=0), points.max(axis=0)]
        candidates.append(((box[2] - box[0]) * (box[3] - box[1]), box, points))
    _, box, points = max(candidates, key=lambda item: item[0])
    return box, points, len(faces)
