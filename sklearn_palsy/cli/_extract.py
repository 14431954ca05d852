"""``sklearn-palsy extract``: landmarks, head pose and features to a table."""

import numpy as np
import pandas as pd

from ..exceptions import ImageBatchError
from ..faces import resolve_backend
from ..faces._landmark_files import _as_landmark_set
from ..preprocessing._face import LandmarkDetector
from ..preprocessing._pose import POSE_COLUMNS
from ._detect import (
    _check_on_error,
    _chunks,
    _detect,
    _failures_frame,
    _feature_names,
    _features,
    _video_columns,
)

__all__ = ["extract_features", "landmarks_of"]


def extract_features(
    images, *, backend="auto", kinds=("symmetry", "clinical"), on_error="raise",
    verbose=1, landmarks=None, max_yaw=None, max_pitch=None,
):
    """Compute landmarks, head pose and expression features of each image.

    Parameters
    ----------
    images : sequence of str or path-like
        Image files or video frame references (``"<video>#frame=<i>"``),
        for example ``X`` from :func:`~sklearn_palsy.datasets.resolve_images`.
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
    >>> from sklearn_palsy.cli import extract_features
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


