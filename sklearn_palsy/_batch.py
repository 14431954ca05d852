"""Batch jobs behind the ``sklearn-palsy`` command: extract and predict.

These functions hold the work of the command-line tool so that it can be
called, tested and reused from Python; :mod:`sklearn_palsy.cli` only parses
arguments. Failures on single images are collected over the whole batch and
reported together, never one per run. Model files are written and read by
:mod:`sklearn_palsy.io`.
"""

import functools
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .datasets import load_image_folder, load_manifest
from .datasets._manifest import IMAGE_EXTENSIONS, find_images
from .datasets._video import expand_videos
from .exceptions import (
    ImageBatchError,
    ImageFileNotFoundError,
    ImageReadError,
    ImageTooSmallError,
    InvalidLandmarksError,
    ManifestError,
    ManifestNotFoundError,
    format_listing,
)
from .faces import analyze_faces, resolve_backend
from .faces._landmark_files import _as_landmark_set
from .faces._video import VIDEO_EXTENSIONS, is_video_file, parse_frame_reference
from .preprocessing._face import LandmarkDetector
from .preprocessing._features import ExpressionFeatures
from .preprocessing._pose import POSE_COLUMNS, analyses_head_pose, pose_limit_reasons

__all__ = [
    "extract_features",
    "predict_images",
    "resolve_images",
    "summarize_videos",
]

_ON_ERROR = ("raise", "skip")
# Clinical measures whose signed left-minus-right asymmetry decides the side.
_SIDE_MEASURES = ("commissure_excursion", "brow_height")
# Images analysed together by extract_features and predict_images: their
# landmark, feature and model temporaries stay this size however many
# images there are (benchmarks/bench_scaling.py measures the memory).
_CHUNK_SIZE = 256


def resolve_images(source, *, labelled=False, n_frames=None, every=None,
                   method="uniform"):
    """Turn a manifest, a folder or a list of files into image paths.

    Video files (``.mp4 .avi .mov .mkv``, any case) are accepted wherever
    images are: each is sampled (``n_frames``, ``every``, ``method``, as in
    :func:`~sklearn_palsy.datasets.sample_video_frames`) and each sampled
    frame becomes one row, named by its frame reference
    ``"<video>#frame=<i>"``.

    Parameters
    ----------
    source : str, path-like or list of them
        - a CSV manifest (read by :func:`~sklearn_palsy.datasets.load_manifest`);
        - with ``labelled=True``, a folder laid out as
          ``root/<label>/<patient_id>/<image>`` (read by
          :func:`~sklearn_palsy.datasets.load_image_folder`, which checks
          the labels and patients);
        - with ``labelled=False``, any folder: every image and video file
          under it, at any depth, found as
          :func:`~sklearn_palsy.datasets.load_image_folder` finds them
          (extensions ``.jpg .jpeg .png .bmp .tif .tiff .webp`` and the
          video extensions, any case; hidden files and folders skipped;
          sorted by name, folder by folder). Folder names are not read as
          labels, so a tree such as ``photos/2024/jan/`` is simply listed;
        - one image or video file, or a list of them.
    labelled : bool, default=False
        Whether labels and patients are needed (``train``); ``extract`` and
        ``predict`` only need the images.
    n_frames, every, method : int, int, {"uniform", "movement"}
        How frames of videos are sampled; 10 per video, evenly spread, by
        default.

    Returns
    -------
    X : ndarray of str of shape (n_images,)
        Image paths and frame references, as an object array.
    y : ndarray of shape (n_images,) or None
        Labels, from a manifest or a labelled folder.
    groups : ndarray of shape (n_images,) or None
        Patient ids, from a manifest or a labelled folder; without them,
        each video is its own group.
    frame : pandas.DataFrame or None
        The loader's frame, from a manifest or a labelled folder; for
        unlabelled input with videos, the frames' table (``video``,
        ``frame``, ``time_s``).

    Raises
    ------
    ManifestNotFoundError
        If ``source`` is a single path that does not exist.
    ImageFileNotFoundError
        If files of a list do not exist; the message names every one.
    ManifestError
        If a manifest or labelled folder is malformed, or a folder holds
        no image.
    VideoReadError
        If a video cannot be read; the message names it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy._batch import resolve_images
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ["b.png", "a.JPG", "notes.txt"]:
    ...     _ = (folder / name).write_bytes(b"bytes")
    >>> X, y, groups, frame = resolve_images(folder)
    >>> [Path(x).name for x in X], y, groups
    (['a.JPG', 'b.png'], None, None)
    """
    sampling = {"n_frames": n_frames, "every": every, "method": method}
    if isinstance(source, (list, tuple, np.ndarray)):
        paths = [str(path) for path in source]
        missing = [path for path in paths if not os.path.isfile(path)
                   and parse_frame_reference(path) is None]
        if missing:
            raise ImageFileNotFoundError(
                f"{len(missing)} image file(s) not found: "
                + format_listing(missing, separator=", ")
            )
        return _expanded(paths, sampling)
    path = Path(source)
    if not path.exists():
        raise ManifestNotFoundError("images, folder or manifest not found", path=path)
    video_options = {f"video_{name}": value for name, value in sampling.items()}
    if path.is_dir():
        if labelled:
            data = load_image_folder(path, **video_options)
            return data.X, data.y, data.groups, data.frame
        images = [os.path.join(path, *parts) for parts in find_images(path,
                                                                       videos=True)]
        if not images:
            raise ManifestError(
                f"no image or video file ({', '.join(IMAGE_EXTENSIONS)}, "
                f"{', '.join(VIDEO_EXTENSIONS)}) under {str(path)!r}",
                source=str(path),
            )
        return _expanded(images, sampling)
    if path.suffix.lower() == ".csv":
        data = load_manifest(path, **video_options)
        return data.X, data.y, data.groups, data.frame
    return _expanded([str(path)], sampling)


def _expanded(paths, sampling):
    """``resolve_images``' result for a list of files: videos become frames."""
    if not any(is_video_file(path) for path in paths):
        return np.asarray(paths, dtype=object), None, None, None
    data = expand_videos(paths, **sampling)
    table = data.table.drop(columns="index")
    table.insert(0, "image", data.X)
    return data.X, None, data.groups, table


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


def _detect(images, *, backend, verbose, landmarks=None, max_yaw=None,
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
    from .preprocessing._features import expression_feature_names

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


def extract_features(
    images, *, backend="auto", kinds=("symmetry", "clinical"), on_error="raise",
    verbose=1, landmarks=None, max_yaw=None, max_pitch=None,
):
    """Compute landmarks, head pose and expression features of each image.

    Parameters
    ----------
    images : sequence of str or path-like
        Image files or video frame references (``"<video>#frame=<i>"``),
        for example ``X`` from :func:`resolve_images`.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model of :class:`~sklearn_palsy.LandmarkDetector`; results
        go through the shared face cache. ``"auto"`` is MediaPipe where it
        runs, else dlib; the one used is in the ``landmark_backend`` column.
    kinds : tuple of str, default=("symmetry", "clinical")
        Feature families of :class:`~sklearn_palsy.preprocessing.ExpressionFeatures`.
    on_error : {"raise", "skip"}, default="raise"
        What to do with images that cannot be read, hold no face, give
        degenerate landmarks or show a head turned beyond ``max_yaw`` or
        ``max_pitch``. With "raise", every image is tried first and one
        :class:`ImageBatchError` names all the failures; with "skip", they
        are left out of ``features`` and listed in ``failures``.
    verbose : int, default=1
        Show a progress bar while detecting faces.
    landmarks : str, path-like, list, mapping or LandmarkSet, default=None
        Corrected or precomputed landmarks
        (:func:`~sklearn_palsy.faces.load_landmarks`), used instead of
        detection for the images they name.
    max_yaw, max_pitch : float or None, default=None
        Largest absolute yaw and pitch (degrees) of a face that is kept
        (:func:`~sklearn_palsy.faces.estimate_head_pose`); None does not
        check.

    Returns
    -------
    features : pandas.DataFrame
        One row per analysed image: ``image``, ``landmark_backend`` (the
        landmark model used), ``video`` and ``frame`` (only when some input
        is a video frame), the landmark coordinates in pixels
        ``x_0 .. x_{K-1}`` and ``y_0 .. y_{K-1}``, the head pose ``yaw``,
        ``pitch`` and ``roll`` in degrees, then the feature columns named as
        by ``ExpressionFeatures.get_feature_names_out``.
    failures : pandas.DataFrame
        Columns ``image`` and ``error``, one row per failed image (empty
        when none failed).

    Raises
    ------
    ImageBatchError
        With ``on_error="raise"``, when any image failed.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_palsy import make_synthetic_cohort
    >>> from sklearn_palsy._batch import extract_features
    >>> cohort = make_synthetic_cohort(1, 1, ("rest",), 160, random_state=0,
    ...                                output_dir=tempfile.mkdtemp())  # doctest: +SKIP
    >>> features, failures = extract_features(cohort.X, verbose=0)  # doctest: +SKIP
    >>> features.shape[0], len(failures)  # doctest: +SKIP
    (2, 0)
    """
    _check_on_error(on_error)
    # Chunk by chunk, so that only the rows of the result grow with the
    # number of images; each row is one block of x, y, pose and features.
    kept, rows, failures, feature_failures = [], [], [], []
    backend = resolve_backend(backend)
    landmarks = _as_landmark_set(landmarks)  # a file is read once, not per chunk
    scheme = LandmarkDetector(backend=backend).scheme
    names = _feature_names(kinds, scheme)
    for chunk in _chunks(images, backend=backend, verbose=verbose):
        detected = _detect(chunk, backend=backend, verbose=0, landmarks=landmarks,
                           max_yaw=max_yaw, max_pitch=max_pitch)
        failures += detected.failures
        scheme = detected.scheme
        poses = dict(zip(detected.kept, detected.poses, strict=True))
        chunk_kept, chunk_landmarks, values, names = _features(
            detected.landmarks, kinds, scheme, detected.kept, feature_failures
        )
        kept += chunk_kept
        chunk_poses = np.asarray([poses[image] for image in chunk_kept]).reshape(-1, 3)
        rows.append(np.concatenate(
            [chunk_landmarks[:, :, 0], chunk_landmarks[:, :, 1], chunk_poses, values],
            axis=1,
        ))
    failures_frame = _failures_frame(failures + feature_failures)
    if on_error == "raise" and len(failures_frame):
        raise ImageBatchError(failures_frame)
    n_landmarks = scheme.n_landmarks
    columns = [f"{coordinate}_{index}" for coordinate in "xy"
               for index in range(n_landmarks)] + list(POSE_COLUMNS) + list(names)
    values = np.concatenate(rows) if rows else np.empty((0, len(columns)))
    frame = pd.DataFrame(values, columns=columns, copy=False)
    frame.insert(0, "image", kept)
    frame.insert(1, "landmark_backend", backend)
    videos = _video_columns(kept)
    if videos is not None:
        frame.insert(2, "video", videos["video"].to_numpy())
        frame.insert(3, "frame", videos["frame"].array)
    return frame, failures_frame


def landmarks_of(features):
    """The (n, K, 2) landmarks held in an :func:`extract_features` table."""
    x = features.filter(regex=r"^x_[0-9]+$").to_numpy(dtype=float)
    y = features.filter(regex=r"^y_[0-9]+$").to_numpy(dtype=float)
    return np.stack([x, y], axis=-1)


def _affected_sides(landmarks, scheme):
    """Subject's side that moves less, from signed clinical asymmetry."""
    transformer = ExpressionFeatures(kinds=("clinical",), scheme=scheme)
    values = transformer.fit_transform(landmarks)
    names = list(transformer.get_feature_names_out())
    columns = [
        position
        for position, name in enumerate(names)
        if "_asym" in name and any(measure in name for measure in _SIDE_MEASURES)
    ]
    score = np.nansum(values[:, columns], axis=1)
    return np.where(score < 0, "left", np.where(score > 0, "right", "none"))


def _with_landmarks(model, landmarks):
    """A copy of ``model`` whose face transformers use the given landmarks."""
    from .preprocessing._face import FaceCropper

    if landmarks is None:
        return model
    steps = {
        name: value for name, value in model.get_params(deep=True).items()
        if isinstance(value, (LandmarkDetector, FaceCropper))
    }
    if not steps:
        return model
    from copy import deepcopy

    model = deepcopy(model)  # the caller's model keeps its own settings
    model.set_params(**{f"{name}__landmarks": landmarks for name in steps})
    return model


def predict_images(model, images, *, on_error="raise", backend="auto", verbose=0,
                   landmarks=None, max_yaw=None, max_pitch=None):
    """Predict palsy and the affected side for each image.

    Parameters
    ----------
    model : fitted classifier
        For example from :func:`train_model` or
        :func:`~sklearn_palsy.io.load_model_file`;
        it takes image paths and has ``predict_proba`` and ``classes_``.
    images : sequence of str or path-like
        Image files or video frame references (``"<video>#frame=<i>"``).
    on_error : {"raise", "skip"}, default="raise"
        As in :func:`extract_features`: images that cannot be read, hold no
        face or show a head turned beyond the limits raise one
        :class:`ImageBatchError`, or are skipped and listed.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model used to screen the images and find the affected side
        (the model uses the landmark model it was trained with).
    verbose : int, default=0
        Show a progress bar while detecting faces.
    landmarks : str, path-like, list, mapping or LandmarkSet, default=None
        Corrected landmarks (:func:`~sklearn_palsy.faces.load_landmarks`):
        used instead of detection by the screening and by the model's own
        :class:`~sklearn_palsy.LandmarkDetector` and
        :class:`~sklearn_palsy.FaceCropper` steps (on a copy of the model).
    max_yaw, max_pitch : float or None, default=None
        Largest absolute yaw and pitch (degrees) of a face that is
        predicted; None does not check.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per analysed image: ``image``, ``probability`` (of the
        positive class, ``model.classes_[-1]``), ``label`` (the class of
        highest probability), ``affected_side``, ``landmark_backend``
        (the landmark model that found the side), ``yaw`` and ``pitch``,
        and ``video`` and ``frame`` when some input is a video frame
        (:func:`summarize_videos` pools them per video).
    failures : pandas.DataFrame
        Columns ``image`` and ``error``.

    Notes
    -----
    ``affected_side`` is "none" when the label is not the positive class.
    Otherwise it is read from the signed clinical asymmetries
    (``left - right``, subject's sides) of the commissure excursion and of
    the brow height: the side that moves less is the affected one, so a
    negative sum gives "left", a positive sum "right", and an exact zero
    "none". This is a heuristic read of one photograph, not a diagnosis.

    Examples
    --------
    >>> from sklearn_palsy._batch import predict_images
    >>> from sklearn_palsy.io import load_model_file
    >>> model = load_model_file("model.safetensors")  # doctest: +SKIP
    >>> predictions, failures = predict_images(model, ["face.jpg"])  # doctest: +SKIP
    """
    _check_on_error(on_error)
    backend = resolve_backend(backend)
    columns = ["image", "probability", "label", "affected_side", "landmark_backend",
               "yaw", "pitch"]
    classes = np.asarray(model.classes_)
    landmarks = _as_landmark_set(landmarks)  # a file is read once, not per chunk
    model = _with_landmarks(model, landmarks)
    # Chunk by chunk, so that memory does not grow with the number of images
    # beyond the face cache and the (small) predictions.
    parts, failures, feature_failures = [], [], []
    for chunk in _chunks(images, backend=backend, verbose=verbose):
        detected = _detect(chunk, backend=backend, verbose=0, landmarks=landmarks,
                           max_yaw=max_yaw, max_pitch=max_pitch)
        failures += detected.failures
        poses = dict(zip(detected.kept, detected.poses, strict=True))
        kept, found, _, _ = _features(detected.landmarks, ("clinical",),
                                      detected.scheme, detected.kept,
                                      feature_failures)
        if not kept or (on_error == "raise" and (failures or feature_failures)):
            # With "raise", the other images are only checked from now on.
            continue
        proba = model.predict_proba(np.asarray(kept, dtype=object))
        labels = classes[np.argmax(proba, axis=1)]
        positive = labels == classes[-1]
        sides = np.where(positive, _affected_sides(found, detected.scheme), "none")
        parts.append(pd.DataFrame({
            "image": kept,
            "probability": proba[:, -1],
            "label": labels,
            "affected_side": sides,
            "landmark_backend": backend,
            "yaw": [poses[image][0] for image in kept],
            "pitch": [poses[image][1] for image in kept],
        }))
    failures_frame = _failures_frame(failures + feature_failures)
    if on_error == "raise" and len(failures_frame):
        raise ImageBatchError(failures_frame)
    if not parts:
        return pd.DataFrame(columns=columns), failures_frame
    predictions = pd.concat(parts, ignore_index=True)[columns]
    videos = _video_columns(predictions["image"])
    if videos is not None:
        predictions.insert(1, "video", videos["video"].to_numpy())
        predictions.insert(2, "frame", videos["frame"].array)
    return predictions, failures_frame


def summarize_videos(predictions, *, threshold=0.5):
    """Pool per-frame predictions into one row per video.

    Parameters
    ----------
    predictions : pandas.DataFrame
        From :func:`predict_images`, with its ``video`` column.
    threshold : float, default=0.5
        A video is labelled positive when its frames' mean probability
        reaches this.

    Returns
    -------
    videos : pandas.DataFrame
        One row per video, in order of first appearance: ``video``,
        ``n_frames`` (frames predicted), ``probability`` (mean over its
        frames), ``probability_min`` and ``probability_max``,
        ``positive_fraction`` (share of frames whose probability reaches
        ``threshold``),
        ``positive`` (mean probability ≥ ``threshold``) and
        ``affected_side`` (the side most often found in positive frames,
        "none" when the video is not positive). Rows of still images are
        left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy._batch import summarize_videos
    >>> frames = pd.DataFrame({"video": ["a.mp4", "a.mp4", "b.mp4"],
    ...                        "probability": [0.9, 0.7, 0.2],
    ...                        "label": ["palsy", "palsy", "control"],
    ...                        "affected_side": ["left", "left", "none"]})
    >>> summarize_videos(frames)[["video", "n_frames", "probability", "positive"]]
       video  n_frames  probability  positive
    0  a.mp4         2          0.8      True
    1  b.mp4         1          0.2     False
    """
    columns = ["video", "n_frames", "probability", "probability_min",
               "probability_max", "positive_fraction", "positive", "affected_side"]
    if "video" not in predictions or predictions["video"].isna().all():
        return pd.DataFrame(columns=columns)
    frames = predictions[predictions["video"].notna()]
    rows = []
    for video, rows_of in frames.groupby("video", sort=False):
        probability = rows_of["probability"].to_numpy(dtype=float)
        sides = rows_of.loc[rows_of["affected_side"] != "none", "affected_side"]
        positive = bool(probability.mean() >= threshold)
        side = sides.mode().iloc[0] if positive and len(sides) else "none"
        rows.append({
            "video": video,
            "n_frames": len(rows_of),
            "probability": probability.mean(),
            "probability_min": probability.min(),
            "probability_max": probability.max(),
            "positive_fraction": float(np.mean(probability >= threshold)),
            "positive": positive,
            "affected_side": side,
        })
    return pd.DataFrame(rows, columns=columns)
