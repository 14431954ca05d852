"""dlib's HOG face detector and 68-point shape predictor, loaded offline.

The predictor's model file ships inside the ``face-recognition-models`` wheel.
That package imports ``pkg_resources`` when it is imported, which setuptools 81
and later no longer provide, so its folder is located with
:func:`importlib.util.find_spec` without importing it.
"""

import functools
import importlib.util
from pathlib import Path

import numpy as np

__all__ = [
    "detect_faces",
    "dlib_model_path",
    "predict_landmarks",
]


def dlib_model_path(name="shape_predictor_68_face_landmarks.dat"):
    """Return the path of a model file shipped in ``face-recognition-models``.

    Parameters
    ----------
    name : str, default="shape_predictor_68_face_landmarks.dat"
        File name inside the package's ``models`` folder.

    Returns
    -------
    path : pathlib.Path
        Absolute path of the model file.

    Raises
    ------
    FileNotFoundError
        If the package is not installed or the file is missing from it.

    Examples
    --------
    >>> from sklearn_palsy.faces import dlib_model_path
    >>> dlib_model_path().name
    'shape_predictor_68_face_landmarks.dat'
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the package 'face-recognition-models' is not installed; it ships "
            "dlib's landmark models: pip install face-recognition-models"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "models" / name
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"model file {name!r} not found in face-recognition-models at "
        f"{list(spec.submodule_search_locations)}"
    )


@functools.cache
def _frontal_face_detector():
    import dlib

    return dlib.get_frontal_face_detector()


@functools.cache
def _shape_predictor():
    import dlib

    return dlib.shape_predictor(str(dlib_model_path()))


def detect_faces(image, *, upsample=0):
    """Find faces with dlib's HOG detector, largest first.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), dtype uint8
        RGB or grey image.
    upsample : int, default=0
        How many times to double the image before detecting; each doubling
        finds faces half as large and costs four times as much.

    Returns
    -------
    boxes : ndarray of shape (n_faces, 4), dtype float64
        ``(left, top, right, bottom)`` in pixels, sorted by area, largest
        first.
    scores : ndarray of shape (n_faces,)
        The detector's confidence for each box.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import detect_faces
    >>> boxes, scores = detect_faces(np.zeros((100, 100, 3), dtype=np.uint8))
    >>> boxes.shape
    (0, 4)
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    rects, scores, _ = _frontal_face_detector().run(image, upsample, 0.0)
    boxes = np.array(
        [[r.left(), r.top(), r.right(), r.bottom()] for r in rects], dtype=np.float64
    ).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-area, kind="stable")
    return boxes[order], scores[order]


def predict_landmarks(image, box):
    """Place dlib's 68 iBUG 300-W landmarks inside a face box.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), dtype uint8
        RGB or grey image.
    box : array-like of shape (4,)
        ``(left, top, right, bottom)`` of the face, as from :func:`detect_faces`.

    Returns
    -------
    landmarks : ndarray of shape (68, 2), dtype float64
        ``(x, y)`` pixel coordinates, x to the right and y downwards.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import predict_landmarks
    >>> image = np.zeros((120, 120, 3), dtype=np.uint8)
    >>> predict_landmarks(image, (20, 20, 100, 100)).shape
    (68, 2)
    """
    import dlib

    image = np.ascontiguousarray(image, dtype=np.uint8)
    left, top, right, bottom = (int(round(v)) for v in box)
    shape = _shape_predictor()(image, dlib.rectangle(left, top, right, bottom))
    return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float64)
