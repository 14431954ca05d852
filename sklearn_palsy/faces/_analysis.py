"""Per-image face analysis (detection and landmarks) with a content-keyed cache.

Face detection is the expensive step of every pipeline here, and a grid search
clones and refits its transformers once per candidate and fold. So the result
of analysing one image is cached under a key made of the image's *content*
(the SHA-256 of its bytes) and the analysis settings, in a process-wide memory
cache that survives :func:`sklearn.base.clone`, and optionally on disk
(``cache_dir``) so that worker processes and later sessions share it.

Entries on disk are JSON files of numbers, never pickles: a file planted in a
shared ``cache_dir`` cannot run code. Each entry is checked when it is read
(size, format, key, backend, shapes, finite values) and a malformed one is
treated as a miss, with a :class:`FaceCacheWarning`, and recomputed. What a
shared folder still allows is said in :func:`analyze_faces`: anyone who can
write to it can plant well-formed but wrong landmarks.

Detection runs on a copy of the image scaled down so that its longest side
is at most ``detect_max_side`` (the boxes are scaled back), and the
landmarks are placed on the full image: the detector's cost grows with the
pixel count, and a face large enough to analyse stays large enough to find.

Landmarks given by the caller (``landmarks=``: precomputed, or corrected in
a landmark file, see :mod:`sklearn_palsy.faces._landmark_files`) replace
detection for their images and bypass the cache both ways: they are never
stored as if detected, and no cached detection replaces them.
"""

import contextlib
import contextvars
import functools
import hashlib
import json
import math
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import joblib
import numpy as np
from tqdm.auto import tqdm

from ..exceptions import (
    BackendFallbackWarning,
    FaceCacheWarning,
    InvalidLandmarksError,
    MultipleFacesWarning,
    NoFaceDetectedError,
    NotRegularFileError,
    UnmatchedLandmarksWarning,
)
from ..utils._atomic import atomic_write
from ..utils._backends import BACKENDS, LANDMARK_MODELS
from ._files import open_regular_file
from ._geometry import check_landmarks_in_image
from ._io import image_id, read_image
from ._landmark_files import _as_landmark_set

__all__ = [
    "BACKENDS",
    "BackendFallbackWarning",
    "DEFAULT_DETECT_MAX_SIDE",
    "FaceAnalysis",
    "FaceCacheWarning",
    "LandmarkMatches",
    "MultipleFacesWarning",
    "UnmatchedLandmarksWarning",
    "analyze_face",
    "analyze_faces",
    "available_backends",
    "clear_face_cache",
    "face_cache_info",
    "landmark_box",
    "match_landmarks",
    "no_face_cache",
    "resolve_backend",
]


DEFAULT_DETECT_MAX_SIDE = 1024
"""Longest side, in pixels, of the copy of an image that faces are detected on.

dlib's HOG detector finds faces of 80 px and more; in a 1024 px copy that is
8 % of the longest side, smaller than any face worth grading. For dlib the
copy is the largest level of its own image pyramid (a power of 5/6) within
the bound, and the box is mapped back as dlib maps its levels. Landmarks are
placed on the full-resolution image, so their precision does not depend on it.
"""

# Landmarks per backend, to check cache entries against.
_N_LANDMARKS = {"dlib": 68, "mediapipe": 478}
# A 478-point entry is about 25 kB; anything much larger is not ours.
_MAX_ENTRY_BYTES = 1 << 20
_ENTRY_FORMAT = "sklearn-palsy-face-cache"
_ENTRY_VERSION = 1


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
        The landmark backend that produced it (or, for given landmarks,
        whose scheme they are in).
    source : {"detected", "given"}
        ``"given"`` where the landmarks were given (``landmarks=`` of
        :func:`analyze_faces`) and the detector was not run; the box is
        then derived from them (:func:`landmark_box`) and ``n_faces`` is 1.
    """

    box: np.ndarray | None
    landmarks: np.ndarray | None
    n_faces: int
    image_shape: tuple
    backend: str
    source: str = "detected"


def _detection_copy(image, detect_max_side, step=None):
    """Return the image scaled to a longest side of at most the bound, and the scale.

    With ``step``, the scale is the largest power of ``step`` within the
    bound, so that the copy is one of the levels of a detector's image
    pyramid that shrinks by ``step`` per level.
    """
    height, width = image.shape[:2]
    longest = max(height, width)
    if detect_max_side is None or longest <= detect_max_side:
        return image, 1.0
    scale = detect_max_side / longest
    if step is not None:
        scale = step ** math.ceil(math.log(scale) / math.log(step) - 1e-9)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


# dlib's HOG detector scans an image pyramid that shrinks by 5/6 per level
# (``pyramid_down<6>``) and maps a box found on level k back to the image by
# ``point_up`` k times: p -> p * 6/5 + 0.3.
_DLIB_PYRAMID_STEP = 5 / 6


def _dlib_box_up(box, scale):
    """A box found on a copy at ``scale`` (a power of 5/6), in image pixels.

    As dlib maps its own pyramid levels back, so that detecting on the copy
    gives nearly the box that detecting on the full image would.
    """
    levels = round(math.log(scale) / math.log(_DLIB_PYRAMID_STEP))
    offset = 0.3 * sum((1 / _DLIB_PYRAMID_STEP) ** j for j in range(levels))
    return np.asarray(box, dtype=float) / scale + offset


def _analyze_dlib(image, detect_max_side):
    from ._dlib import detect_faces, predict_landmarks

    # The copy is a level of dlib's own pyramid, and its box is mapped back
    # as dlib maps a level's: against detection on the full image, the
    # landmarks then move by 0.009 inter-ocular distances (median, 2048 px
    # faces detected on 988 px), against 0.012 for a copy at exactly
    # 1024 px (benchmarks/bench_detection.py).
    small, scale = _detection_copy(image, detect_max_side, step=_DLIB_PYRAMID_STEP)
    boxes, _ = detect_faces(small)
    if len(boxes) == 0:
        # dlib's HOG window is 80 px; doubling the image finds smaller faces.
        boxes, _ = detect_faces(small, upsample=1)
    if len(boxes) == 0:
        return None, None, 0
    box = boxes[0] if scale == 1.0 else _dlib_box_up(boxes[0], scale)
    return box, predict_landmarks(image, box), len(boxes)


def _analyze_mediapipe(image, detect_max_side):
    from ._mediapipe import detect_mediapipe

    # Face Mesh resizes the face to 192 px before placing its points, so the
    # bounded copy loses nothing that it would have used.
    small, scale = _detection_copy(image, detect_max_side)
    box, landmarks, n_faces = detect_mediapipe(small)
    if box is None:
        return None, None, n_faces
    return np.asarray(box) / scale, np.asarray(landmarks) / scale, n_faces


_ANALYZERS = {"dlib": _analyze_dlib, "mediapipe": _analyze_mediapipe}

# Where dlib's HOG box lies relative to the bounding box of the 68 points
# that the shape predictor places in it: (left, top, right, bottom) offsets
# as fractions of that bounding box's width and height, the medians over
# 240 synthetic faces (make_synthetic_cohort, random_state=1, four
# expressions). The box reaches 12 % of the points' height above the brows
# and stops 5 % short of the chin.
_DLIB_BOX_OFFSETS = np.array([-0.008, -0.116, 0.009, -0.050])


def landmark_box(landmarks, backend):
    """Return the face box that ``backend``'s detector would give these landmarks.

    Used for landmarks given instead of detected, so that a crop around
    them frames the face as a crop around a detection does. MediaPipe's
    box *is* the bounding box of its points, so given MediaPipe landmarks
    give exactly the box a detection with the same points would. dlib's
    box comes from its HOG detector, before the points; it is
    approximated by the points' bounding box moved by fixed fractions of
    its size, measured on synthetic faces (on 240 held-out ones, the crop
    centre then lies a median 3.8 % of the box's side from the one around
    dlib's own box (95th percentile 7.3 %), against 8.5 % (12.6 %) for the
    bare bounding box; the side differs by a median 1.5 %).

    Parameters
    ----------
    landmarks : ndarray of shape (n_landmarks, 2)
        x, y in pixels.
    backend : {"mediapipe", "dlib"}

    Returns
    -------
    box : ndarray of shape (4,)
        ``(left, top, right, bottom)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._analysis import landmark_box
    >>> points = np.array([[10.0, 20.0], [110.0, 220.0]])
    >>> landmark_box(points, "mediapipe").tolist()
    [10.0, 20.0, 110.0, 220.0]
    >>> landmark_box(points, "dlib").round(1).tolist()
    [9.2, -3.2, 110.9, 210.0]
    """
    points = np.asarray(landmarks, dtype=np.float64)
    box = np.r_[points.min(axis=0), points.max(axis=0)]
    if backend == "dlib":
        width, height = box[2:] - box[:2]
        box = box + _DLIB_BOX_OFFSETS * np.array([width, height, width, height])
    return box


@functools.cache
def _mediapipe_problem():
    """Why MediaPipe Face Mesh cannot run here, or None when it can."""
    try:
        from ._mediapipe import _face_mesh

        _face_mesh()
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        return f"{type(error).__name__}: {error}"
    return None


def available_backends():
    """Return the landmark backends that can run in this environment.

    Returns
    -------
    backends : tuple of str
        ``"mediapipe"`` first when MediaPipe Face Mesh loads here, then
        ``"dlib"``.

    Examples
    --------
    >>> from sklearn_palsy.faces import available_backends
    >>> "dlib" in available_backends()
    True
    """
    if _mediapipe_problem():
        return tuple(model for model in LANDMARK_MODELS if model != "mediapipe")
    return LANDMARK_MODELS


def resolve_backend(backend):
    """Return the landmark backend that ``backend`` stands for here.

    ``"auto"`` is MediaPipe Face Mesh (478 points with irises) where it
    loads, and dlib's 68 points otherwise, with a
    :class:`BackendFallbackWarning` that says why. MediaPipe is the default
    because it follows the eyes (closure, irises, so millimetres) where
    dlib barely does, and it was more accurate and faster on real
    photographs (see the user guide).

    Parameters
    ----------
    backend : {"auto", "mediapipe", "dlib"}

    Returns
    -------
    backend : {"mediapipe", "dlib"}

    Examples
    --------
    >>> from sklearn_palsy.faces import resolve_backend
    >>> resolve_backend("dlib")
    'dlib'
    """
    if backend == "auto":
        problem = _mediapipe_problem()
        if problem is None:
            return "mediapipe"
        warnings.warn(
            f"MediaPipe Face Mesh cannot run here ({problem}); backend='auto' "
            "uses dlib's 68 landmarks instead. pip install mediapipe==0.10.21 "
            "(Python 3.9-3.12, numpy<2) gives the default backend",
            BackendFallbackWarning,
            stacklevel=3,
        )
        return "dlib"
    if backend not in LANDMARK_MODELS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    return backend


def _compute(image, backend, max_pixels, detect_max_side):
    pixels = read_image(image, max_pixels=max_pixels)
    box, landmarks, n_faces = _ANALYZERS[backend](pixels, detect_max_side)
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
# Switched off by no_face_cache(), for the thread (or asyncio task) that
# entered it only: a context variable, so that one thread's block neither
# switches the cache off for others nor, on leaving, back on under them.
_CACHE_ENABLED = contextvars.ContextVar("sklearn_palsy_face_cache", default=True)


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
    out when debugging. The switch holds for the thread that entered the
    block (a :mod:`contextvars` variable): other threads keep using the
    cache meanwhile, and blocks in several threads do not undo one
    another. Worker processes and threads started inside the block, e.g.
    by ``GridSearchCV(n_jobs=2)``, keep their own setting (the cache on).

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
    token = _CACHE_ENABLED.set(False)
    try:
        yield
    finally:
        _CACHE_ENABLED.reset(token)


# Raised when the analysis itself changes, so that entries made by an
# earlier version are misses rather than wrong answers. 2: dlib detects on a
# level of its own pyramid.
_ANALYSIS_VERSION = 2


def _cache_key(content_id, backend, max_pixels, detect_max_side):
    settings = json.dumps([backend, max_pixels, detect_max_side, _ANALYSIS_VERSION],
                          sort_keys=True)
    return hashlib.sha256(f"{content_id}|{settings}".encode()).hexdigest()


def _disk_path(cache_dir, key):
    return Path(cache_dir) / key[:2] / f"{key}.json"


def _encode_entry(key, analysis):
    return {
        "format": _ENTRY_FORMAT,
        "version": _ENTRY_VERSION,
        "key": key,
        "backend": analysis.backend,
        "n_faces": analysis.n_faces,
        "image_shape": [int(side) for side in analysis.image_shape],
        "box": None if analysis.box is None else analysis.box.tolist(),
        "landmarks": (
            None if analysis.landmarks is None else analysis.landmarks.tolist()
        ),
    }


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _finite_array(value, shape, what):
    """``value`` as a float64 array of ``shape``, or a reason it is not one."""
    rows = value if len(shape) == 2 and isinstance(value, list) else [value]
    numbers_only = isinstance(value, list) and all(
        isinstance(row, list)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
        for row in rows
    )
    if not numbers_only:
        raise ValueError(f"{what} is not a list of numbers")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} is not a list of numbers") from None
    if array.shape != shape:
        raise ValueError(f"{what} has shape {array.shape}, expected {shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} is not finite")
    return array


def _decode_entry(entry, key, backend):
    """Check a parsed cache entry field by field; raise ValueError if malformed."""
    fields = {"format", "version", "key", "backend", "n_faces", "image_shape",
              "box", "landmarks"}
    if not isinstance(entry, dict) or set(entry) != fields:
        raise ValueError("not a face-cache entry")
    if entry["format"] != _ENTRY_FORMAT or entry["version"] != _ENTRY_VERSION:
        raise ValueError("unknown format or version")
    if entry["key"] != key:
        raise ValueError("its key does not match its file name")
    if entry["backend"] != backend:
        raise ValueError(f"made by backend {entry['backend']!r}, not {backend!r}")
    n_faces, shape = entry["n_faces"], entry["image_shape"]
    if not _is_int(n_faces) or n_faces < 0:
        raise ValueError("n_faces is not a non-negative integer")
    if not (isinstance(shape, list) and len(shape) == 2
            and all(_is_int(side) and side > 0 for side in shape)):
        raise ValueError("image_shape is not two positive integers")
    if (entry["box"] is None) != (entry["landmarks"] is None) or (
        (entry["box"] is None) != (n_faces == 0)
    ):
        raise ValueError("box, landmarks and n_faces disagree")
    box = landmarks = None
    if entry["box"] is not None:
        box = _finite_array(entry["box"], (4,), "box")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError("box is empty")
        landmarks = _finite_array(
            entry["landmarks"], (_N_LANDMARKS[backend], 2), "landmarks"
        )
    return FaceAnalysis(box=box, landmarks=landmarks, n_faces=n_faces,
                        image_shape=tuple(shape), backend=backend)


def _disk_load(cache_dir, key, backend):
    """Read a cache entry; None (a miss) when absent or malformed.

    The file is parsed as JSON of numbers, never unpickled, and checked
    before use; a malformed entry gives a :class:`FaceCacheWarning` and is
    recomputed (and then overwritten).
    """
    path = _disk_path(cache_dir, key)
    reason = None
    try:
        # A link or a special file planted under the key's name is refused,
        # not followed, and a FIFO is never waited on.
        with open_regular_file(path, follow_symlinks=False) as handle:
            data = handle.read(_MAX_ENTRY_BYTES + 1)
    except FileNotFoundError:
        return None
    except NotRegularFileError as error:
        reason = str(error)
    except OSError as error:
        reason = f"cannot be read ({error})"
    else:
        if len(data) > _MAX_ENTRY_BYTES:
            reason = f"is larger than {_MAX_ENTRY_BYTES} bytes"
    if reason is None:
        try:
            return _decode_entry(json.loads(data), key, backend)
        except (ValueError, RecursionError) as error:
            # json's and _decode_entry's errors are ValueErrors, with a reason.
            reason = f"is malformed ({error})"
    warnings.warn(
        f"face cache entry {str(path)!r} {reason}; ignoring it and analysing "
        "the image again",
        FaceCacheWarning,
        stacklevel=3,
    )
    return None


def _disk_store(cache_dir, key, value):
    path = _disk_path(cache_dir, key)
    text = json.dumps(_encode_entry(key, value), allow_nan=False)
    # Write then rename, so a reader never sees half a file.
    atomic_write(path, lambda handle: handle.write(text), "w")


def _describe(image, index):
    if isinstance(image, (str, os.PathLike)):
        return str(image)
    return f"image at index {index}"


def _given_landmarks(images, landmark_set, backend, content_id):
    """The key of each image's given landmarks in the set (None: to be detected)."""
    if landmark_set is None or not len(landmark_set):
        return [None] * len(images)
    expected = _N_LANDMARKS[backend]
    keys = []
    for index, image in enumerate(images):
        key = landmark_set.find_key(
            image, content_key=functools.partial(content_id, index)
        )
        if key is not None and landmark_set.n_points != expected:
            raise InvalidLandmarksError(
                f"the landmarks given for {_describe(image, index)} (from "
                f"{landmark_set.origin(key)}) have {landmark_set.n_points} points, "
                f"but the {backend} backend places {expected}; give landmarks of "
                f"its scheme, or choose the backend whose scheme they are in"
            )
        keys.append(key)
    return keys


def _given_analysis(image, index, landmarks, origin, backend, max_pixels):
    """The analysis of an image whose landmarks were given: no detector run."""
    pixels = read_image(image, max_pixels=max_pixels)
    what = _describe(image, index)
    if origin != what:
        what = f"{what} (from {origin})"
    # Far-flung points would make every crop and drawing of the photo as
    # large as their distance: refused by the one policy, naming the image.
    check_landmarks_in_image(landmarks, pixels.shape, what)
    box = landmark_box(landmarks, backend)
    if not (box[0] < box[2] and box[1] < box[3]):
        raise InvalidLandmarksError(
            f"the landmarks given for {_describe(image, index)} all lie on one "
            "horizontal or vertical line; they enclose no face"
        )
    return FaceAnalysis(
        box=box, landmarks=np.array(landmarks, dtype=np.float64), n_faces=1,
        image_shape=tuple(pixels.shape[:2]), backend=backend, source="given",
    )


class LandmarkMatches(NamedTuple):
    """Which images of a run took given landmarks, and which entries were unused.

    Attributes
    ----------
    n_images : int
        Images in the run.
    matched : list of str
        The keys of the set that matched an image of the run, in the run's
        order, each once.
    unused : list of str
        The set's entries that matched no image of the run, as where each
        came from (the file and line, or the key given in code).
    """

    n_images: int
    matched: list
    unused: list

    def describe(self, limit=5):
        """One sentence: how many images matched, and the entries unused.

        Examples
        --------
        >>> from sklearn_palsy.faces._analysis import LandmarkMatches
        >>> print(LandmarkMatches(3, ["/a.png"], ["/b.png", "/c.png"]).describe(1))
        1 of the 3 images took the given landmarks (the others are detected); 2 \
of the 3 images in the given landmarks are not in this run: /b.png and 1 more
        """
        text = (f"{len(self.matched)} of the {self.n_images} images took the "
                "given landmarks")
        if len(self.matched) < self.n_images:
            text += " (the others are detected)"
        if self.unused:
            text += f"; {self.describe_unused(limit)}"
        return text

    def describe_unused(self, limit=5):
        """The entries that matched no image, the first ``limit`` named."""
        shown = ", ".join(self.unused[:limit])
        if len(self.unused) > limit:
            shown += f" and {len(self.unused) - limit} more"
        total = len(self.matched) + len(self.unused)
        return (f"{len(self.unused)} of the {total} images in the given landmarks "
                f"are not in this run: {shown}")


def match_landmarks(images, landmarks):
    """Say which images take given landmarks, and which entries match none.

    A run given landmarks that match none, or only some, of its images
    measures detected faces where a person may believe corrected ones were
    measured; this is what the command line reports, and what
    :func:`analyze_faces` warns about when nothing matches.

    Parameters
    ----------
    images : sequence of str, path-like or ndarray
        The images of the run.
    landmarks : LandmarkSet, mapping, str, path-like or list
        As ``landmarks=`` of :func:`analyze_faces`.

    Returns
    -------
    matches : LandmarkMatches

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._analysis import match_landmarks
    >>> matches = match_landmarks(["/data/a.png", "/data/c.png"],
    ...                           {"/data/a.png": np.ones((68, 2)),
    ...                            "/data/b.png": np.ones((68, 2))})
    >>> len(matches.matched), matches.unused
    (1, ['/data/b.png'])
    """
    images = list(images)
    landmark_set = _as_landmark_set(landmarks)
    keys = [landmark_set.find_key(image) for image in images] if landmark_set else []
    return _matches(len(images), keys, landmark_set)


def _matches(n_images, keys, landmark_set):
    matched = list(dict.fromkeys(key for key in keys if key is not None))
    found = set(matched)
    unused = []
    for key in landmark_set or ():
        if key not in found:
            origin = landmark_set.origin(key)
            # An entry read from a file is named by its image and its line.
            from_file = landmark_set.sources and key not in origin
            unused.append(f"{key} ({origin})" if from_file else origin)
    return LandmarkMatches(n_images, matched, unused)


def analyze_faces(
    images,
    *,
    backend="auto",
    max_pixels=None,
    detect_max_side=DEFAULT_DETECT_MAX_SIDE,
    cache_dir=None,
    n_jobs=None,
    verbose=0,
    on_missing="raise",
    landmarks=None,
):
    """Detect the face and place landmarks in each image, using the cache.

    Parameters
    ----------
    images : sequence of str, path-like or ndarray
        Image paths, or (H, W, 3) uint8 RGB arrays.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark backend; ``"auto"`` is MediaPipe where it runs, else dlib
        (:func:`resolve_backend`).
    max_pixels : int or None, default=None
        Refuse images with more pixels than this; None uses
        :data:`~sklearn_palsy.faces._io.DEFAULT_MAX_PIXELS`.
    detect_max_side : int or None, default=1024
        Detect faces on a copy scaled down so that its longest side is at
        most this many pixels (the boxes are scaled back); landmarks are
        placed on the full image. For dlib the copy is the largest level of
        dlib's own image pyramid (a power of 5/6) within the bound, e.g.
        988 px for a 2048 px photo. None detects on the full image, which
        costs time in proportion to its pixel count.
    cache_dir : str or path-like, default=None
        Also keep results on disk here, shared between processes and runs.
        Entries are JSON files of numbers, checked when read; a malformed
        one is ignored with a :class:`FaceCacheWarning` and recomputed.
        Nothing in the folder is ever run as code, but **anyone who can
        write to it can plant well-formed, wrong landmarks**, which are used
        as if detected: share a cache folder only with people you trust.
    n_jobs : int, default=None
        Number of processes for the images not in the cache.
    verbose : int, default=0
        Show a progress bar when positive.
    on_missing : {"raise", "ignore"}, default="raise"
        With "raise", an image without a face raises
        :class:`~sklearn_palsy.exceptions.NoFaceDetectedError` naming it; with
        "ignore" its analysis has ``box=None`` and the caller decides.
    landmarks : LandmarkSet, mapping, str, path-like or list, default=None
        Precomputed or corrected landmarks, which take precedence over
        detection: a :class:`~sklearn_palsy.faces.LandmarkSet`, a mapping
        of image path, frame reference or content key
        (:func:`~sklearn_palsy.faces.image_id`) to an (n_landmarks, 2)
        array, or landmark file(s) read with
        :func:`~sklearn_palsy.faces.load_landmarks`. An image matches by its
        normalised absolute path, then by a ``.pts`` file beside it with
        its stem, then by content (so arrays match too). For an image
        that matches, the detector is not run: its analysis holds the given
        landmarks (``source="given"``, ``n_faces=1``) and a box derived
        from them (:func:`landmark_box`). Given landmarks are never written
        to the cache, and a cached detection never replaces them. Their
        number of points must be the backend's (68 for dlib, 478 for
        MediaPipe).

    Returns
    -------
    analyses : list of FaceAnalysis
        One per image, in order.

    Raises
    ------
    InvalidLandmarksError
        Given landmarks of another number of points than the backend's,
        naming the image, where they came from and both numbers; given
        landmarks farther outside their image than its own width or height
        (:func:`~sklearn_palsy.faces._geometry.check_landmarks_in_image`),
        naming the image, where they came from and the farthest point.

    Warns
    -----
    UnmatchedLandmarksWarning
        When ``landmarks`` holds entries but none of them matches an image
        of the call (every face is then detected), naming the entries. A
        call that matches some of them does not warn, since a fold of a
        cross-validation transforms a subset of the images;
        :func:`match_landmarks` reports the images of a whole run.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.faces import analyze_faces
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=0,
    ...                                expressions=("rest",), random_state=0)
    >>> analysis, = analyze_faces(cohort.images, backend="dlib")
    >>> analysis.landmarks.shape, analysis.n_faces
    ((68, 2), 1)
    """
    from ._io import DEFAULT_MAX_PIXELS

    backend = resolve_backend(backend)
    if max_pixels is None:
        max_pixels = DEFAULT_MAX_PIXELS
    if detect_max_side is not None and (
        not isinstance(detect_max_side, int)
        or isinstance(detect_max_side, bool)
        or detect_max_side < 80
    ):
        raise ValueError(
            "detect_max_side must be an integer of at least 80 (the detector's "
            f"window) or None; got {detect_max_side!r}"
        )
    images = list(images)
    content_ids = [None] * len(images)

    def content_id(index):
        if content_ids[index] is None:
            content_ids[index] = image_id(images[index])
        return content_ids[index]

    landmark_set = _as_landmark_set(landmarks)
    given_keys = _given_landmarks(images, landmark_set, backend, content_id)
    if landmark_set and images and all(key is None for key in given_keys):
        warnings.warn(
            f"none of the {len(images)} images matched the given landmarks, so "
            "every face is detected; "
            + _matches(len(images), given_keys, landmark_set).describe_unused()
            + ". Paths in a landmark CSV are relative to its folder",
            UnmatchedLandmarksWarning,
            stacklevel=2,
        )
    given = [None if key is None else landmark_set[key] for key in given_keys]
    # Images with given landmarks have no key: they neither read nor write
    # the cache, so a detection cached earlier cannot shadow them, and they
    # cannot pass for detections later.
    keys = [
        None if points is not None
        else _cache_key(content_id(i), backend, max_pixels, detect_max_side)
        for i, points in enumerate(given)
    ]
    use_cache = _CACHE_ENABLED.get()
    results = [
        _given_analysis(images[i], i, given[i], landmark_set.origin(given_keys[i]),
                        backend, max_pixels) if key is None
        else _CACHE.get(key) if use_cache else None
        for i, key in enumerate(keys)
    ]
    if cache_dir is not None and use_cache:
        for i, key in enumerate(keys):
            if results[i] is None:
                results[i] = _disk_load(cache_dir, key, backend)
                if results[i] is not None:
                    _CACHE.put(key, results[i])

    # Distinct images still to analyse (the same picture twice is done once).
    todo = {}
    for i, key in enumerate(keys):
        if results[i] is None:
            todo.setdefault(key, i)
    if todo:
        compute = functools.partial(
            _compute, backend=backend, max_pixels=max_pixels,
            detect_max_side=detect_max_side,
        )
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
        for (key, _), analysis in zip(order, progress, strict=True):
            fresh[key] = analysis
            _CACHE.computed += 1
            if not use_cache:
                continue
            _CACHE.put(key, analysis)
            if cache_dir is not None:
                _disk_store(cache_dir, key, analysis)
        results = [
            fresh[key] if r is None else r for key, r in zip(keys, results, strict=True)
        ]

    for index, (image, analysis) in enumerate(zip(images, results, strict=True)):
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
