"""What the batch commands share: face detection chunk by chunk, failures.

:func:`_detect` finds the landmarks and head pose of a chunk of images and
collects every failure (unreadable file, no face, head turned beyond the
limits) instead of stopping at the first; :func:`_features` computes the
expression features and collects degenerate faces. ``extract``, ``predict``
and ``assess`` build on them.
"""

import copy
import functools
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..exceptions import (
    ImageReadError,
    ImageTooSmallError,
    InvalidLandmarksError,
    UnmatchedLandmarksWarning,
)
from ..faces import analyze_faces
from ..faces._files import parse_frame_reference
from ..preprocessing._face import FaceCropper, LandmarkDetector
from ..preprocessing._features import ExpressionFeatures, expression_feature_names
from ..preprocessing._pose import analyses_head_pose, pose_limit_reasons

_ON_ERROR = ("raise", "skip")
# Images analysed together by extract_features and predict_images: their
# landmark, feature and model temporaries stay this size however many
# images there are (benchmarks/bench_scaling.py measures the memory).
_CHUNK_SIZE = 256


def _check_on_error(on_error):
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {list(_ON_ERROR)}; got {on_error!r}")


class _Detected(NamedTuple):
    """What :func:`_detect` found in a batch of images."""

    kept: list
    landmarks: np.ndarray
    failures: list
    scheme: object
    poses: np.ndarray


def _detect_all(images, *, backend, verbose, landmarks=None, max_yaw=None,
                max_pitch=None):
    """Landmarks of the readable images with a face; failures for the others.

    Returns a :class:`_Detected`: the paths analysed, their landmarks of
    shape (n_kept, K, 2), ``(image, reason)`` pairs, the landmark scheme,
    and the head pose (yaw, pitch, roll in degrees) of each kept face.
    ``landmarks`` (a file or mapping of corrected landmarks) takes
    precedence over detection; faces turned beyond ``max_yaw`` or
    ``max_pitch`` join the failures.
    """
    images = [str(image) for image in images]
    failures = {}
    analyse = functools.partial(analyze_faces, backend=backend, landmarks=landmarks,
                                on_missing="ignore")
    try:
        # The usual case, every file readable: each image is read once, and
        # its analysis gives the landmarks and the image size (the camera of
        # the head-pose estimate).
        analyses = analyse(images, verbose=verbose) if images else []
        readable = images
    except (ImageReadError, ImageTooSmallError):
        # analyze_faces stops at the first bad file; go image by image to
        # collect every bad one. Images analysed before the stop come from
        # the face cache.
        analyses, readable = [], []
        for image in tqdm(images, desc=f"faces ({backend})", disable=not verbose,
                          leave=False):
            try:
                analyses.append(analyse([image])[0])
            except (ImageReadError, ImageTooSmallError) as error:
                failures[image] = str(error)
            else:
                readable.append(image)
    scheme = LandmarkDetector(backend=backend).scheme
    kept, found = [], []
    for image, analysis in zip(readable, analyses, strict=True):
        if analysis.landmarks is None:
            failures[image] = f"no face found by the {backend} detector"
        else:
            kept.append(image)
            found.append(analysis)
    found_landmarks = np.asarray(
        [analysis.landmarks for analysis in found], dtype=np.float64,
    ).reshape(len(found), scheme.n_landmarks, 2)
    poses = analyses_head_pose(found)
    if max_yaw is not None or max_pitch is not None:
        reasons = pose_limit_reasons(poses, max_yaw, max_pitch)
        for image, pose, reason in zip(kept, poses, reasons, strict=True):
            if reason is not None:
                failures[image] = (f"head turned beyond the limits ({reason}): "
                                   f"yaw {pose[0]:+.1f}°, pitch {pose[1]:+.1f}°")
        within = np.array([reason is None for reason in reasons], dtype=bool)
        kept = [image for image, ok in zip(kept, within, strict=True) if ok]
        found_landmarks, poses = found_landmarks[within], poses[within]
    ordered = [(image, failures[image]) for image in images if image in failures]
    return _Detected(kept, found_landmarks, ordered, scheme, poses)


def _detect(images, *, backend, landmarks=None, **options):
    """:func:`_detect_all`, where photos whose given landmarks are refused fail alone.

    Given landmarks that break the policy for points outside the photo
    (:func:`~sklearn_palsy.faces._geometry.check_landmarks_in_image`) stop
    :func:`~sklearn_palsy.faces.analyze_faces` for the whole batch; each
    photo with given landmarks is then checked alone, the refused ones
    become failures (in input order, among the others) and the rest are
    detected as usual.
    """
    images = [str(image) for image in images]
    try:
        return _detect_all(images, backend=backend, landmarks=landmarks, **options)
    except InvalidLandmarksError:
        # Landmarks of another scheme than the backend's are wrong for every
        # photo: that stays one error.
        n_points = LandmarkDetector(backend=backend).scheme.n_landmarks
        if not landmarks or landmarks.n_points != n_points:
            raise
        refused = {}
        for image in images:
            if landmarks.find_key(image) is None:
                continue
            try:
                analyze_faces([image], backend=backend, landmarks=landmarks,
                              on_missing="ignore")
            except InvalidLandmarksError as error:
                refused[image] = f"invalid landmarks: {error}"
            except (ImageReadError, ImageTooSmallError):
                pass  # _detect names those
        if not refused:
            raise
    with warnings.catch_warnings():
        # The landmarks did match: the photos refused above.
        warnings.simplefilter("ignore", UnmatchedLandmarksWarning)
        detected = _detect_all([image for image in images if image not in refused],
                               backend=backend, landmarks=landmarks, **options)
    reasons = dict(detected.failures) | refused
    return detected._replace(failures=[(image, reasons[image]) for image in images
                                       if image in reasons])


def _features(landmarks, kinds, scheme, kept, failures):
    """Features of each face; degenerate faces join the failures."""
    transformer = ExpressionFeatures(kinds=tuple(kinds), scheme=scheme)
    if not len(kept):
        names = _feature_names(kinds, scheme)
        return kept, landmarks, np.empty((0, len(names))), names
    try:
        values = transformer.fit_transform(landmarks)
        return kept, landmarks, values, list(transformer.get_feature_names_out())
    except InvalidLandmarksError:
        pass
    rows, good = [], []
    for index, image in enumerate(kept):
        try:
            rows.append(transformer.fit_transform(landmarks[index : index + 1])[0])
            good.append(index)
        except InvalidLandmarksError as error:
            failures.append((image, f"invalid landmarks: {error}"))
    names = _feature_names(kinds, scheme)
    values = np.asarray(rows).reshape(len(good), len(names))
    return [kept[i] for i in good], landmarks[good], values, names


def _feature_names(kinds, scheme):
    return list(expression_feature_names(tuple(kinds), scheme))


def _failures_frame(failures):
    return pd.DataFrame(failures, columns=["image", "error"])


def _chunks(images, *, backend, verbose):
    """Consecutive lists of at most ``_CHUNK_SIZE`` paths, with one progress bar."""
    images = [str(image) for image in images]
    with tqdm(total=len(images), desc=f"faces ({backend})", disable=not verbose,
              leave=False) as progress:
        for start in range(0, len(images), _CHUNK_SIZE):
            chunk = images[start : start + _CHUNK_SIZE]
            yield chunk
            progress.update(len(chunk))


def _video_columns(images):
    """``video`` and ``frame`` of each frame reference (None, <NA> for images)."""
    parsed = [parse_frame_reference(image) for image in images]
    if not any(parsed):
        return None
    return pd.DataFrame({
        "video": [None if p is None else p[0] for p in parsed],
        "frame": pd.array([None if p is None else p[1] for p in parsed],
                          dtype="Int64"),
    })


def _face_steps(model):
    """The face transformers inside ``model``, frozen estimators included.

    A :class:`~sklearn.frozen.FrozenEstimator` hides its estimator's
    parameters (the shipped reference model is one, behind its threshold),
    so it is looked into.
    """
    from sklearn.frozen import FrozenEstimator

    found = []
    for value in model.get_params(deep=True).values():
        if isinstance(value, (LandmarkDetector, FaceCropper)):
            found.append(value)
        elif isinstance(value, FrozenEstimator):
            found += _face_steps(value.estimator)
    return found


def _with_landmarks(model, landmarks):
    """A copy of ``model`` whose face transformers use the given landmarks."""
    if landmarks is None or not _face_steps(model):
        return model
    model = copy.deepcopy(model)  # the caller's model keeps its own settings
    for step in _face_steps(model):
        step.set_params(landmarks=landmarks)
    return model


