"""Per-image face analysis (detection and landmarks) with a content-keyed cache.

Face detection is the expensive step of every pipeline here, and a grid search
clones and refits its transformers once per candidate and fold. So the result
of analysing one image is cached under a key made of the image's *content*
(the SHA-256 of its bytes) and the analysis settings, in a process-wide memory
cache that survives :func:`sklearn.base.clone`, and optionally on disk
(``cache_dir``) so that worker processes and later sessions share it.
"""

import contextlib
import functools
import hashlib
import json
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
from tqdm.auto import tqdm

from .._atomic import atomic_write
from ..exceptions import NoFaceDetectedError
from ._io import image_id, read_image

__all__ = [
    "FaceAnalysis",
    "MultipleFacesWarning",
    "analyze_face",
    "analyze_faces",
    "clear_face_cache",
    "face_cache_info",
    "no_face_cache",
]


class MultipleFacesWarning(UserWarning):
    """Several faces were found in one image; the largest one was used."""


@dataclass(frozen=True)
class FaceAnalysis:
    """What was found in one image.

    Attributes
    ----------
    box : ndarray of shape (4,) or None
        ``(left, top, right, bottom)`` of the face used, or None if none was
        found.
    landmarks : ndarray of shape (n_landmarks, 2) or None
        Landmarks of that face in image pixels (x right, y down).
    n_faces : int
        How many faces the detector found.
    image_shape : tuple of int
        ``(height, width)`` of the image after EXIF orientation.
    backend : str
        The landmark backend that produced it.
    """

    box: np.ndarray | None
    landmarks: np.ndarray | None
    n_faces: int
    image_shape: tuple
    backend: str


def _analyze_dlib(image):
    from ._dlib import detect_faces, predict_landmarks

    boxes, _ = detect_faces(image)
    if len(boxes) == 0:
        # dlib's HOG window is 80 px; doubling the image finds smaller faces.
        boxes, _ = detect_faces(image, upsample=1)
    if len(boxes) == 0:
        return None, None, 0
    return boxes[0], predict_landmarks(image, boxes[0]), len(boxes)


def _analyze_mediapipe(image):
    from ._mediapipe import detect_mediapipe

    return detect_mediapipe(image)


_BACKENDS = {"dlib": _analyze_dlib, "mediapipe": _analyze_mediapipe}


def _compute(image, backend, max_pixels):
    pixels = read_image(image, max_pixels=max_pixels)
    box, landmarks, n_faces = _BACKENDS[backend](pixels)
    return FaceAnalysis(
        box=None if box is None else np.asarray(box, dtype=np.float64),
        landmarks=None if landmarks is None else np.asarray(landmarks, np.float64),
        n_faces=int(n_faces),
        image_shape=tuple(pixels.shape[:2]),
        backend=backend,
    )


class _FaceCache:
    """A bounded, thread-safe LRU of :class:`FaceAnalysis` with hit counts."""

    def __init__(self, maxsize=100_000):
        self.maxsize = maxsize
        self._items = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.computed = 0
        # Switched off by no_face_cache(); process-wide, like the cache.
        self.enabled = True

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
            return None

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()
            self.hits = self.misses = self.computed = 0


_CACHE = _FaceCache()


def clear_face_cache():
    """Empty this process's in-memory face-analysis cache and its counters.

    Files in a ``cache_dir`` are left alone; delete the folder to drop them.

    Examples
    --------
    >>> from sklearn_palsy.faces import clear_face_cache, face_cache_info
    >>> clear_face_cache()
    >>> face_cache_info()["size"]
    0
    """
    _CACHE.clear()


def face_cache_info():
    """Return the in-memory cache's size and its hit, miss and compute counts.

    ``computed`` counts the images that were actually analysed (detector
    runs), in this process or, for ``n_jobs > 1``, in its workers.

    Examples
    --------
    >>> from sklearn_palsy.faces import face_cache_info
    >>> sorted(face_cache_info())
    ['computed', 'hits', 'misses', 'size']
    """
    return {
        "size": len(_CACHE._items),
        "hits": _CACHE.hits,
        "misses": _CACHE.misses,
        "computed": _CACHE.computed,
    }


@contextlib.contextmanager
def no_face_cache():
    """Analyse every image afresh inside this block, without the face cache.

    Inside the ``with`` block :func:`analyze_faces` (and so
    :class:`~sklearn_palsy.LandmarkDetector` and
    :class:`~sklearn_palsy.FaceCropper`) neither reads nor writes the
    in-memory cache or a ``cache_dir``: every call detects its images again.
    The same picture twice within one call is still analysed once. Entries
    cached before the block are kept and used again after it.

    It is meant for measuring what the cache saves, and for ruling the cache
    out when debugging. The switch is process-wide (threads included);
    worker processes started inside the block, e.g. by
    ``GridSearchCV(n_jobs=2)``, keep their own cache.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.faces._analysis import (analyze_faces,
    ...     clear_face_cache, face_cache_info, no_face_cache)
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=0,
    ...                                expressions=("rest",), random_state=0)
    >>> clear_face_cache()
    >>> with no_face_cache():
    ...     _ = analyze_faces(cohort.images)
    ...     _ = analyze_faces(cohort.images)
    >>> face_cache_info()["computed"], face_cache_info()["size"]
    (2, 0)
    """
    previous = _CACHE.enabled
    _CACHE.enabled = False
    try:
        yield
    finally:
        _CACHE.enabled = previous


def _cache_key(content_id, backend, max_pixels):
    settings = json.dumps([backend, max_pixels], sort_keys=True)
    return hashlib.sha256(f"{content_id}|{settings}".encode()).hexdigest()


def _disk_path(cache_dir, key):
    return Path(cache_dir) / key[:2] / f"{key}.joblib"


def _disk_load(cache_dir, key):
    path = _disk_path(cache_dir, key)
    if not path.is_file():
        return None
    try:
        return joblib.load(path)
    except Exception:  # a half-written or foreign file: recompute it
        return None


def _disk_store(cache_dir, key, value):
    path = _disk_path(cache_dir, key)
    # Write then rename, so a reader never sees half a file.
    atomic_write(path, lambda handle: joblib.dump(value, handle), "wb")


def _describe(image, index):
    if isinstance(image, (str, os.PathLike)):
        return str(image)
    return f"image at index {index}"


def analyze_faces(
    images,
    *,
    backend="dlib",
    max_pixels=None,
    cache_dir=None,
    n_jobs=None,
    verbose=0,
    on_missing="raise",
):
    """Detect the face and place landmarks in each image, using the cache.

    Parameters
    ----------
    images : sequence of str, path-like or ndarray
        Image paths, or (H, W, 3) uint8 RGB arrays.
    backend : {"dlib", "mediapipe"}, default="dlib"
        Landmark backend.
    max_pixels : int or None, default=None
        Refuse images with more pixels than this; None uses
        :data:`~sklearn_palsy.faces._io.DEFAULT_MAX_PIXELS`.
    cache_dir : str or path-like, default=None
        Also keep results on disk here, shared between processes and runs.
    n_jobs : int, default=None
        Number of processes for the images not in the cache.
    verbose : int, default=0
        Show a progress bar when positive.
    on_missing : {"raise", "ignore"}, default="raise"
        With "raise", an image without a face raises
        :class:`~sklearn_palsy.exceptions.NoFaceDetectedError` naming it; with
        "ignore" its analysis has ``box=None`` and the caller decides.

    Returns
    -------
    analyses : list of FaceAnalysis
        One per image, in order.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.faces import analyze_faces
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=0,
    ...                                expressions=("rest",), random_state=0)
    >>> analysis, = analyze_faces(cohort.images)
    >>> analysis.landmarks.shape, analysis.n_faces
    ((68, 2), 1)
    """
    from ._io import DEFAULT_MAX_PIXELS

    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {sorted(_BACKENDS)}; got {backend!r}")
    if max_pixels is None:
        max_pixels = DEFAULT_MAX_PIXELS
    images = list(images)
    keys = [_cache_key(image_id(image), backend, max_pixels) for image in images]
    use_cache = _CACHE.enabled
    results = [_CACHE.get(key) if use_cache else None for key in keys]
    if cache_dir is not None and use_cache:
        for i, key in enumerate(keys):
            if results[i] is None:
                results[i] = _disk_load(cache_dir, key)
                if results[i] is not None:
                    _CACHE.put(key, results[i])

    # Distinct images still to analyse (the same picture twice is done once).
    todo = {}
    for i, key in enumerate(keys):
        if results[i] is None:
            todo.setdefault(key, i)
    if todo:
        compute = functools.partial(_compute, backend=backend, max_pixels=max_pixels)
        order = list(todo.items())
        if n_jobs in (None, 1):
            computed = (compute(images[i]) for _, i in order)
        else:
            computed = joblib.Parallel(n_jobs=n_jobs, return_as="generator")(
                joblib.delayed(compute)(images[i]) for _, i in order
            )
        progress = tqdm(
            computed, total=len(order), desc=f"faces ({backend})",
            disable=not verbose, leave=False,
        )
        fresh = {}
        for (key, _), analysis in zip(order, progress):
            fresh[key] = analysis
            _CACHE.computed += 1
            if not use_cache:
                continue
            _CACHE.put(key, analysis)
            if cache_dir is not None:
                _disk_store(cache_dir, key, analysis)
        results = [fresh[key] if r is None else r for key, r in zip(keys, results)]

    for index, (image, analysis) in enumerate(zip(images, results)):
        if analysis.n_faces > 1:
            warnings.warn(
                f"{analysis.n_faces} faces found in {_describe(image, index)}; "
                "using the largest",
                MultipleFacesWarning,
                stacklevel=2,
            )
        if analysis.box is None and on_missing == "raise":
            raise NoFaceDetectedError(
                f"no face found by the {backend} detector", path=_describe(image, index)
            )
    return results


def analyze_face(image, **kwargs):
    """Analyse one image; see :func:`analyze_faces` for the parameters.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.faces import analyze_face
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=0,
    ...                                expressions=("rest",), random_state=0)
    >>> analyze_face(cohort.images[0]).box.shape
    (4,)
    """
    return analyze_faces([image], **kwargs)[0]
