"""Batch jobs behind the ``sklearn-palsy`` command: extract and predict.

These functions hold the work of the command-line tool so that it can be
called, tested and reused from Python; :mod:`sklearn_palsy.cli` only parses
arguments. Failures on single images are collected over the whole batch and
reported together, never one per run. Model files are written and read by
:mod:`sklearn_palsy.io`.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .datasets import load_image_folder, load_manifest
from .datasets._manifest import IMAGE_EXTENSIONS, find_images
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
from .faces import resolve_backend
from .preprocessing._face import LandmarkDetector, NoFaceFallbackWarning
from .preprocessing._features import ExpressionFeatures

__all__ = [
    "extract_features",
    "predict_images",
    "resolve_images",
]

_ON_ERROR = ("raise", "skip")
# Clinical measures whose signed left-minus-right asymmetry decides the side.
_SIDE_MEASURES = ("commissure_excursion", "brow_height")
# Images analysed together by extract_features and predict_images: their
# landmark, feature and model temporaries stay this size however many
# images there are (benchmarks/bench_scaling.py measures the memory).
_CHUNK_SIZE = 256


def resolve_images(source, *, labelled=False):
    """Turn a manifest, a folder or a list of files into image paths.

    Parameters
    ----------
    source : str, path-like or list of them
        - a CSV manifest (read by :func:`~sklearn_palsy.datasets.load_manifest`);
        - with ``labelled=True``, a folder laid out as
          ``root/<label>/<patient_id>/<image>`` (read by
          :func:`~sklearn_palsy.datasets.load_image_folder`, which checks
          the labels and patients);
        - with ``labelled=False``, any folder: every image file under it, at
          any depth, found as :func:`~sklearn_palsy.datasets.load_image_folder`
          finds them (extensions ``.jpg .jpeg .png .bmp .tif .tiff .webp``,
          any case; hidden files and folders skipped; sorted by name, folder
          by folder). Folder names are not read as labels, so a tree such as
          ``photos/2024/jan/`` is simply listed;
        - one image file, or a list of image files.
    labelled : bool, default=False
        Whether labels and patients are needed (``train``); ``extract`` and
        ``predict`` only need the images.

    Returns
    -------
    X : ndarray of str of shape (n_images,)
        Image paths, as an object array.
    y : ndarray of shape (n_images,) or None
        Labels, from a manifest or a labelled folder.
    groups : ndarray of shape (n_images,) or None
        Patient ids, from a manifest or a labelled folder.
    frame : pandas.DataFrame or None
        The loader's frame, from a manifest or a labelled folder.

    Raises
    ------
    ManifestNotFoundError
        If ``source`` is a single path that does not exist.
    ImageFileNotFoundError
        If files of a list do not exist; the message names every one.
    ManifestError
        If a manifest or labelled folder is malformed, or a folder holds
        no image.

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
    if isinstance(source, (list, tuple, np.ndarray)):
        paths = [str(path) for path in source]
        missing = [path for path in paths if not os.path.isfile(path)]
        if missing:
            raise ImageFileNotFoundError(
                f"{len(missing)} image file(s) not found: "
                + format_listing(missing, separator=", ")
            )
        return np.asarray(paths, dtype=object), None, None, None
    path = Path(source)
    if not path.exists():
        raise ManifestNotFoundError("images, folder or manifest not found", path=path)
    if path.is_dir():
        if labelled:
            data = load_image_folder(path)
            return data.X, data.y, data.groups, data.frame
        images = [os.path.join(path, *parts) for parts in find_images(path)]
        if not images:
            raise ManifestError(
                f"no image file ({', '.join(IMAGE_EXTENSIONS)}) under {str(path)!r}",
                source=str(path),
            )
        return np.asarray(images, dtype=object), None, None, None
    if path.suffix.lower() == ".csv":
        data = load_manifest(path)
        return data.X, data.y, data.groups, data.frame
    return np.asarray([str(path)], dtype=object), None, None, None


def _check_on_error(on_error):
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {list(_ON_ERROR)}; got {on_error!r}")


def _detect(images, *, backend, verbose):
    """Landmarks of the readable images with a face; failures for the others.

    Returns ``(kept, landmarks, failures)``: the paths analysed, their
    landmarks of shape (n_kept, K, 2), and ``(image, reason)`` pairs.
    """
    images = [str(image) for image in images]
    failures = {}
    readable = []
    detector = LandmarkDetector(backend=backend, on_missing="nan", verbose=verbose)
    n_landmarks = detector.scheme.n_landmarks
    landmarks = np.empty((0, n_landmarks, 2))
    with warnings.catch_warnings():
        # Faces not found are reported as failures instead.
        warnings.simplefilter("ignore", NoFaceFallbackWarning)
        try:
            # The usual case, every file readable: each image is decoded once.
            if images:
                landmarks = detector.fit_transform(np.asarray(images, dtype=object))
            readable = images
        except (ImageReadError, ImageTooSmallError):
            # analyze_faces stops at the first bad file; go image by image to
            # collect every bad one. Images analysed before the stop come
            # from the face cache.
            rows = []
            single = LandmarkDetector(backend=backend, on_missing="nan")
            for image in tqdm(images, desc=f"faces ({backend})", disable=not verbose,
                              leave=False):
                try:
                    rows.append(single.transform([image])[0])
                except (ImageReadError, ImageTooSmallError) as error:
                    failures[image] = str(error)
                else:
                    readable.append(image)
            if rows:
                landmarks = np.stack(rows)
    found = ~np.isnan(landmarks).any(axis=(1, 2))
    for image, ok in zip(readable, found, strict=True):
        if not ok:
            failures[image] = f"no face found by the {backend} detector"
    kept = [image for image, ok in zip(readable, found, strict=True) if ok]
    ordered = [(image, failures[image]) for image in images if image in failures]
    return kept, landmarks[found], ordered, detector.scheme


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


def extract_features(
    images, *, backend="auto", kinds=("symmetry", "clinical"), on_error="raise",
    verbose=1,
):
    """Compute landmarks and expression features of each image.

    Parameters
    ----------
    images : sequence of str or path-like
        Image files, for example ``X`` from :func:`resolve_images`.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model of :class:`~sklearn_palsy.LandmarkDetector`; results
        go through the shared face cache. ``"auto"`` is MediaPipe where it
        runs, else dlib; the one used is in the ``landmark_backend`` column.
    kinds : tuple of str, default=("symmetry", "clinical")
        Feature families of :class:`~sklearn_palsy.preprocessing.ExpressionFeatures`.
    on_error : {"raise", "skip"}, default="raise"
        What to do with images that cannot be read, hold no face or give
        degenerate landmarks. With "raise", every image is tried first and
        one :class:`ImageBatchError` names all the failures; with "skip",
        they are left out of ``features`` and listed in ``failures``.
    verbose : int, default=1
        Show a progress bar while detecting faces.

    Returns
    -------
    features : pandas.DataFrame
        One row per analysed image: ``image``, ``landmark_backend`` (the
        landmark model used), the landmark coordinates in pixels
        ``x_0 .. x_{K-1}`` and ``y_0 .. y_{K-1}``, then the feature columns
        named as by ``ExpressionFeatures.get_feature_names_out``.
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
    # number of images; each row is one block of x, y and feature values.
    kept, rows, failures, feature_failures = [], [], [], []
    backend = resolve_backend(backend)
    scheme = LandmarkDetector(backend=backend).scheme
    names = _feature_names(kinds, scheme)
    for chunk in _chunks(images, backend=backend, verbose=verbose):
        chunk_kept, landmarks, chunk_failures, scheme = _detect(
            chunk, backend=backend, verbose=0
        )
        failures += chunk_failures
        chunk_kept, landmarks, values, names = _features(
            landmarks, kinds, scheme, chunk_kept, feature_failures
        )
        kept += chunk_kept
        rows.append(np.concatenate(
            [landmarks[:, :, 0], landmarks[:, :, 1], values], axis=1
        ))
    failures_frame = _failures_frame(failures + feature_failures)
    if on_error == "raise" and len(failures_frame):
        raise ImageBatchError(failures_frame)
    n_landmarks = scheme.n_landmarks
    columns = [f"{coordinate}_{index}" for coordinate in "xy"
               for index in range(n_landmarks)] + list(names)
    values = np.concatenate(rows) if rows else np.empty((0, len(columns)))
    frame = pd.DataFrame(values, columns=columns, copy=False)
    frame.insert(0, "image", kept)
    frame.insert(1, "landmark_backend", backend)
    return frame, failures_frame


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


def predict_images(model, images, *, on_error="raise", backend="auto", verbose=0):
    """Predict palsy and the affected side for each image.

    Parameters
    ----------
    model : fitted classifier
        For example from :func:`train_model` or
        :func:`~sklearn_palsy.io.load_model_file`;
        it takes image paths and has ``predict_proba`` and ``classes_``.
    images : sequence of str or path-like
        Image files.
    on_error : {"raise", "skip"}, default="raise"
        As in :func:`extract_features`: images that cannot be read or hold
        no face raise one :class:`ImageBatchError`, or are skipped and listed.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model used to screen the images and find the affected side
        (the model uses the landmark model it was trained with).
    verbose : int, default=0
        Show a progress bar while detecting faces.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per analysed image: ``image``, ``probability`` (of the
        positive class, ``model.classes_[-1]``), ``label`` (the class of
        highest probability), ``affected_side`` and ``landmark_backend``
        (the landmark model that found the side).
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
    columns = ["image", "probability", "label", "affected_side", "landmark_backend"]
    classes = np.asarray(model.classes_)
    # Chunk by chunk, so that memory does not grow with the number of images
    # beyond the face cache and the (small) predictions.
    parts, failures, feature_failures = [], [], []
    for chunk in _chunks(images, backend=backend, verbose=verbose):
        kept, landmarks, chunk_failures, scheme = _detect(
            chunk, backend=backend, verbose=0
        )
        failures += chunk_failures
        kept, landmarks, _, _ = _features(landmarks, ("clinical",), scheme, kept,
                                          feature_failures)
        if not kept or (on_error == "raise" and (failures or feature_failures)):
            # With "raise", the other images are only checked from now on.
            continue
        proba = model.predict_proba(np.asarray(kept, dtype=object))
        labels = classes[np.argmax(proba, axis=1)]
        positive = labels == classes[-1]
        sides = np.where(positive, _affected_sides(landmarks, scheme), "none")
        parts.append(pd.DataFrame({
            "image": kept,
            "probability": proba[:, -1],
            "label": labels,
            "affected_side": sides,
            "landmark_backend": backend,
        }))
    failures_frame = _failures_frame(failures + feature_failures)
    if on_error == "raise" and len(failures_frame):
        raise ImageBatchError(failures_frame)
    if not parts:
        return pd.DataFrame(columns=columns), failures_frame
    return pd.concat(parts, ignore_index=True)[columns], failures_frame
