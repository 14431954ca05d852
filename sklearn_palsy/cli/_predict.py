"""``sklearn-palsy predict``: a model's probability and the affected side.

:func:`predict_images` predicts each image (or video frame) with a fitted
model and reads the affected side from the clinical asymmetries;
:func:`summarize_videos` pools a video's frames into one row.
"""

import numbers

import numpy as np
import pandas as pd

from ..clinical import regional_scores
from ..exceptions import ImageBatchError
from ..faces import resolve_backend
from ..faces._landmark_files import _as_landmark_set
from ._detect import (
    _check_on_error,
    _chunks,
    _detect,
    _failures_frame,
    _features,
    _video_columns,
    _with_landmarks,
)

__all__ = ["decision_threshold", "model_card_line", "predict_images",
           "summarize_videos"]


def decision_threshold(model, threshold=None):
    """The probability from which ``model``'s positive class is called.

    Parameters
    ----------
    model : fitted classifier
        With ``classes_``.
    threshold : float, default=None
        A threshold in [0, 1] chosen by the user, for a binary model. None
        takes the model's own: the ``threshold`` of a
        :class:`~sklearn.model_selection.FixedThresholdClassifier` (the
        shipped reference model is one), otherwise None, meaning the class
        of highest probability.

    Returns
    -------
    threshold : float or None

    Raises
    ------
    ValueError
        For a threshold outside [0, 1], or given for a model that is not
        binary.

    Examples
    --------
    >>> from sklearn_palsy.paper import load_reference_model
    >>> model = load_reference_model("dlib")
    >>> decision_threshold(model) == model.threshold
    True
    >>> decision_threshold(model, 0.3)
    0.3
    """
    from sklearn.model_selection import FixedThresholdClassifier

    if threshold is None:
        own = getattr(model, "threshold", None)
        if isinstance(model, FixedThresholdClassifier) and isinstance(
                own, numbers.Real):
            return float(own)
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not (
        0.0 <= threshold <= 1.0
    ):
        raise ValueError(f"threshold must be a probability in [0, 1]; got "
                         f"{threshold!r}")
    classes = np.asarray(model.classes_)
    if len(classes) != 2:
        raise ValueError(
            f"a threshold needs a binary model; this one has {len(classes)} "
            f"classes ({', '.join(map(str, classes))})"
        )
    return float(threshold)


def model_card_line(model_path):
    """The line ``predict`` prints about the model card beside ``model_path``.

    The card's one-line summary (``"model card: ..."``), None when the model
    has no card, or a warning naming the card's file and what is wrong with
    it when it cannot be read: a damaged card never stops a prediction.

    Examples
    --------
    >>> model_card_line("no/such/model.safetensors") is None
    True
    """
    from ..exceptions import ModelFileError
    from ..io import read_model_card

    try:
        card = read_model_card(model_path)
    except (ModelFileError, OSError) as error:
        return (f"sklearn-palsy: warning: {error}; predicting without the model "
                "card")
    return None if card is None else f"model card: {card.summary_line()}"

def _affected_sides(landmarks, scheme):
    """Each photo's affected side by the package's one rule.

    That of :func:`~sklearn_palsy.clinical.regional_scores`, on the photo
    alone: its static items vote, and no side is called within the
    threshold set against healthy faces' asymmetry.
    """
    sides = regional_scores(landmarks, scheme=scheme)["affected_side"]
    return sides.fillna("none").to_numpy(dtype=object)


def predict_images(model, images, *, on_error="raise", backend="auto", verbose=0,
                   landmarks=None, max_yaw=None, max_pitch=None, threshold=None,
                   type_model=None):
    """Predict palsy and the affected side for each image.

    Parameters
    ----------
    model : fitted classifier
        For example from :func:`~sklearn_palsy.paper.train_model` or
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
    threshold : float, default=None
        For a binary model, the probability from which ``label`` is the
        positive class; None is the model's own (:func:`decision_threshold`:
        the shipped reference model's stored threshold, else the class of
        highest probability).
    type_model : fitted classifier, default=None
        A model of the palsy's type (``load_reference_model(task="type")``),
        applied to the photos called positive.

    Returns
    -------
    predictions : pandas.DataFrame
        One row per analysed image: ``image``, ``probability`` (of the
        positive class, ``model.classes_[-1]``), ``label`` (the positive
        class from the threshold on, for a binary model with one; else the
        class of highest probability), with ``type_model`` ``type`` (its
        class for photos called positive, "none" for the others) and
        ``type_probability`` (that class's probability, NaN for "none"),
        ``affected_side``, ``landmark_backend``
        (the landmark model that found the side), ``yaw`` and ``pitch``,
        and ``video`` and ``frame`` when some input is a video frame
        (:func:`summarize_videos` pools them per video).
    failures : pandas.DataFrame
        Columns ``image`` and ``error``.

    Notes
    -----
    ``affected_side`` is "none" when the label is not the positive class.
    Otherwise it is the package's one rule, that of
    :func:`~sklearn_palsy.clinical.regional_scores`, on the photo alone:
    the eFACE static items (brow, palpebral fissure, nasolabial fold, oral
    commissure) vote for the side they find weaker, weighted by their
    asymmetry, and "none" is called within the threshold set against the
    asymmetry of healthy faces. One photo shows no movement, which weighs
    most where there are several (``assess``); this is a heuristic read of
    one photograph, not a diagnosis.

    Examples
    --------
    >>> from sklearn_palsy.cli import predict_images
    >>> from sklearn_palsy.io import load_model_file
    >>> model = load_model_file("model.safetensors")  # doctest: +SKIP
    >>> predictions, failures = predict_images(model, ["face.jpg"])  # doctest: +SKIP
    """
    _check_on_error(on_error)
    backend = resolve_backend(backend)
    threshold = decision_threshold(model, threshold)
    columns = ["image", "probability", "label",
               *(["type", "type_probability"] if type_model is not None else []),
               "affected_side", "landmark_backend", "yaw", "pitch"]
    classes = np.asarray(model.classes_)
    landmarks = _as_landmark_set(landmarks)  # a file is read once, not per chunk
    model = _with_landmarks(model, landmarks)
    if type_model is not None:
        type_model = _with_landmarks(type_model, landmarks)
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
        if threshold is None:
            labels = classes[np.argmax(proba, axis=1)]
        else:
            labels = np.where(proba[:, -1] >= threshold, classes[-1], classes[0])
        positive = labels == classes[-1]
        sides = np.where(positive, _affected_sides(found, detected.scheme), "none")
        part = {"image": kept, "probability": proba[:, -1], "label": labels}
        if type_model is not None:
            part.update(_types(type_model, kept, positive))
        parts.append(pd.DataFrame({
            **part,
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


def _types(type_model, images, positive):
    """The type model's class and its probability for the positive photos."""
    types = np.full(len(images), "none", dtype=object)
    probability = np.full(len(images), np.nan)
    if positive.any():
        proba = type_model.predict_proba(
            np.asarray(images, dtype=object)[positive])
        types[positive] = np.asarray(type_model.classes_)[np.argmax(proba, axis=1)]
        probability[positive] = proba.max(axis=1)
    return {"type": types, "type_probability": probability}


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
        ``positive`` (mean probability ≥ ``threshold``),
        ``affected_side`` (the side most often found in positive frames,
        "none" when the video is not positive) and, when the predictions
        have a ``type`` column, ``type`` (the type most often given to its
        positive frames, "none" when the video is not positive). Rows of
        still images are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.cli import summarize_videos
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
               "probability_max", "positive_fraction", "positive", "affected_side",
               *(["type"] if "type" in predictions else [])]
    if "video" not in predictions or predictions["video"].isna().all():
        return pd.DataFrame(columns=columns)
    frames = predictions[predictions["video"].notna()]
    rows = []
    for video, rows_of in frames.groupby("video", sort=False):
        probability = rows_of["probability"].to_numpy(dtype=float)
        sides = rows_of.loc[rows_of["affected_side"] != "none", "affected_side"]
        positive = bool(probability.mean() >= threshold)
        side = sides.mode().iloc[0] if positive and len(sides) else "none"
        row = {
            "video": video,
            "n_frames": len(rows_of),
            "probability": probability.mean(),
            "probability_min": probability.min(),
            "probability_max": probability.max(),
            "positive_fraction": float(np.mean(probability >= threshold)),
            "positive": positive,
            "affected_side": side,
        }
        if "type" in predictions:
            types = rows_of.loc[rows_of["type"] != "none", "type"]
            row["type"] = types.mode().iloc[0] if positive and len(types) else "none"
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)
