"""Assessment of patients from their photos, behind ``sklearn-palsy assess``.

One row per patient, as a clinic sees them: the eFACE-style regional scores
of :func:`~sklearn_palsy.clinical.regional_scores` (static items from the
rest photo, dynamic items from the expression photos), the movement from
rest of :class:`~sklearn_palsy.clinical.PatientMovement`, the affected side
with its confidence and, with a trained model, its probabilities per photo
and per patient. :func:`assess_images` computes them;
:func:`~sklearn_palsy.reporting.write_assessment` writes the table and the
report. Landmarks are detected once per photo (the face cache
serves the model's own detection of the same photos with the same backend).
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..clinical import (
    EXPRESSION_ITEMS,
    EXPRESSIONS,
    MOVEMENTS,
    MovementWarning,
    PatientMovement,
    regional_score_names,
    regional_scores,
    video_key_frames,
)
from ..datasets import resolve_images
from ..exceptions import (
    ImageBatchError,
)
from ..faces import resolve_backend
from ..faces._files import is_video_file, parse_frame_reference
from ..faces._landmark_files import _as_landmark_set
from ..reporting._assessment import REST, movement_columns, probability_columns
from ..utils._patients import pool_by_patient
from ._detect import (
    _check_on_error,
    _detect,
    _failures_frame,
    _features,
    _with_landmarks,
)

__all__ = ["assess_images"]


def _expression_name(value):
    """Manifest spellings such as ``"Raise eyebrows"`` as :data:`EXPRESSIONS` names."""
    if pd.isna(value):
        return REST
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return text or REST


def _patient_ids(paths):
    """One patient per photo: its file stem, or where stems repeat, its path.

    The path is taken relative to the photos' common folder, without the
    extension, so that ``a/face.png`` and ``b/face.png`` stay two people.
    """
    stems = [Path(path).stem for path in paths]
    if len(set(stems)) == len(stems):
        return stems
    root = os.path.commonpath([os.path.abspath(path) for path in paths])
    if len(paths) == 1 or os.path.isfile(root):
        root = os.path.dirname(root)
    return [
        Path(os.path.relpath(os.path.abspath(path), root)).with_suffix("").as_posix()
        for path in paths
    ]


# The expression of a video frame that is neither the video's rest frame nor
# the peak of an expression: kept in the table, not scored, not noted.
_FRAME = "frame"


def _photos(source, on_error, sampling=None):
    """The photos, one row each, and the inputs left out before detection.

    Returns ``(photos, unusable)``: ``photos`` has ``image``,
    ``patient_id``, ``expression`` (, ``label``); ``unusable`` lists, with
    ``on_error="skip"``, the videos that cannot be sampled and the files and
    frame references of a list that cannot be used (with "raise" they are
    an error before any detection). Video frames get the expression their
    manifest row gives, or None (to be inferred) where it gives none or
    rest; without a manifest each video is one patient, named after its
    file.
    """
    sampling = sampling or {}
    unusable = _failures_frame([])
    if (isinstance(source, (list, tuple, np.ndarray)) and on_error == "skip"
            and not any(is_video_file(str(path)) for path in source)):
        # A missing file is then one more failure, found by the detection,
        # in its place among the others.
        X, frame = np.asarray([str(path) for path in source], dtype=object), None
    elif on_error == "skip":
        X, _, _, frame, unusable = resolve_images(source, on_error="skip",
                                                  **sampling)
    else:
        X, _, _, frame = resolve_images(source, **sampling)
    photos = pd.DataFrame({"image": [str(path) for path in X]})
    videos = [parse_frame_reference(image) for image in photos["image"]]
    is_frame = np.array([video is not None for video in videos], dtype=bool)
    if frame is None or "patient_id" not in frame:
        owners = [image if video is None else video[0]
                  for image, video in zip(photos["image"], videos, strict=True)]
        distinct = list(dict.fromkeys(owners))
        names = dict(zip(distinct, _patient_ids(distinct), strict=True))
        photos["patient_id"] = [names[owner] for owner in owners]
        photos["expression"] = REST
    else:
        photos["patient_id"] = frame["patient_id"].astype(str).to_numpy()
        expressions = (frame["expression"] if "expression" in frame
                       else [REST] * len(X))
        photos["expression"] = [_expression_name(value) for value in expressions]
        if "label" in frame:
            photos["label"] = frame["label"].to_numpy()
    photos["expression"] = photos["expression"].astype(object)
    photos.loc[is_frame & (photos["expression"] == REST), "expression"] = None
    return photos, unusable


def _video_roles(photos, landmarks, scheme):
    """Name each video's rest frame and expression peaks; the other frames
    become :data:`_FRAME` (not scored)."""
    videos = pd.Series([None if parsed is None else parsed[0] for parsed in
                        map(parse_frame_reference, photos["image"])],
                       index=photos.index, dtype=object)
    expressions = photos["expression"].copy()
    for _, rows in photos.groupby(videos, sort=False):
        given = [value if value in EXPRESSIONS else None
                 for value in photos.loc[rows.index, "expression"]]
        key = video_key_frames(landmarks[rows.index], given, scheme=scheme)
        named = np.where(key["rest"], REST,
                         np.where(key["peak"], key["expression"].astype(object),
                                  _FRAME))
        expressions[rows.index] = named
    return photos.assign(expression=expressions)


def _load_model(model):
    if isinstance(model, (str, os.PathLike)):
        from ..io import load_model_file

        model = load_model_file(model)
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise TypeError(
            "model must be a fitted classifier with predict_proba and classes_, "
            f"or the path of a model file; got {type(model).__name__}"
        )
    return model


def _predict(model, images):
    """Per-image probabilities and predicted class, as ``predict_images`` has them."""
    classes = np.asarray(model.classes_)
    columns = probability_columns(classes)
    if not len(images):
        return pd.DataFrame(columns=[*columns, "predicted_label"])
    proba = model.predict_proba(np.asarray(images, dtype=object))
    values = proba[:, -1:] if len(classes) == 2 else proba
    table = pd.DataFrame(values, columns=columns)
    table["predicted_label"] = classes[np.argmax(proba, axis=1)]
    return table


def _pool(predictions, patients, classes):
    """Each patient's mean probabilities over their photos, and its class."""
    columns = probability_columns(classes)
    frame = predictions[columns].assign(patient_id=patients.to_numpy())
    pooled = pool_by_patient(frame, columns).set_index("patient_id")
    pooled.index.name = None
    if len(classes) == 2:
        proba = np.column_stack([1.0 - pooled["probability"], pooled["probability"]])
    else:
        proba = pooled.to_numpy()
    pooled["predicted_label"] = np.asarray(classes)[np.argmax(proba, axis=1)]
    return pooled


def _roles(photos):
    """Which photo of each patient is scored as what, and notes per patient.

    Returns ``(role, scored_as, notes)``: per photo ``"rest"``, ``"expression"``
    or ``"not scored"``, and the expression it is scored as; per patient the
    notes for the table and report.
    """
    role = pd.Series("not scored", index=photos.index, dtype=object)
    scored_as = photos["expression"].copy()
    notes = {}
    for patient, rows in photos.groupby("patient_id", sort=False):
        patient_notes = []
        rests = rows.index[rows["expression"] == REST]
        rest = rests[0] if len(rests) else rows.index[0]
        if not len(rests):
            patient_notes.append(
                f"no rest photo: the {rows.loc[rest, 'expression']} photo "
                f"{Path(rows.loc[rest, 'image']).name} stands in for it"
            )
        role[rest] = REST
        scored_as[rest] = REST
        unknown, repeated = set(), 0
        for expression, same in rows.drop(index=rest).groupby("expression",
                                                              sort=False):
            if expression == _FRAME:
                continue
            if expression == REST:
                repeated += len(same)
            elif expression not in EXPRESSIONS:
                unknown.add(expression)
            else:
                role[same.index[0]] = "expression"
                repeated += len(same) - 1
        if unknown:
            patient_notes.append(
                f"expression(s) {', '.join(sorted(unknown))} not scored (known: "
                f"{', '.join(EXPRESSIONS)})"
            )
        if repeated:
            patient_notes.append(
                f"{repeated} more photo(s) of an expression already scored: "
                "only the first of each is scored"
            )
        notes[patient] = patient_notes
    return role, scored_as, notes


def _regional(photos, landmarks, role, patients, scheme):
    """:func:`regional_scores` of each patient, rest and expression photos."""
    rest_rows = [photos.index[(role == REST) & (photos["patient_id"] == patient)][0]
                 for patient in patients]
    shape = (len(patients), *landmarks.shape[1:])
    expressions = {}
    for name in EXPRESSION_ITEMS:
        rows = photos.index[(role == "expression") & (photos["expression"] == name)]
        if len(rows):
            values = np.full(shape, np.nan)
            where = pd.Index(patients).get_indexer(photos.loc[rows, "patient_id"])
            values[where] = landmarks[rows]
            expressions[name] = values
    return regional_scores(landmarks[rest_rows], expressions=expressions,
                           scheme=scheme)


def _movement(photos, landmarks, role, scored_as, patients, scheme):
    """Each movement's ratio, from the patient's photo of its expression."""
    scored = photos.index[role != "not scored"]
    frame = pd.DataFrame({
        "patient_id": photos.loc[scored, "patient_id"].to_numpy(),
        "expression": scored_as[scored].to_numpy(),
        "landmarks": list(landmarks[scored]),
    })
    transformer = PatientMovement(scheme=scheme)
    with warnings.catch_warnings():
        # Every photo here has a face, a known expression and a rest photo.
        warnings.simplefilter("ignore", MovementWarning)
        values = transformer.fit_transform(frame)
    names = list(transformer.get_feature_names_out())
    table = pd.DataFrame(np.nan, index=pd.Index(patients), columns=movement_columns())
    for (_, expression, _), column in zip(MOVEMENTS, table.columns, strict=True):
        on = (frame["expression"] == expression).to_numpy()
        table.loc[frame["patient_id"][on], column] = values[on, names.index(column)]
    return table


def assess_images(source, *, model=None, backend="auto", on_error="raise", verbose=0,
                  landmarks=None, max_yaw=None, max_pitch=None, n_frames=None,
                  every=None, method="uniform"):
    """Assess each patient from their photos: regional scores, movement, side.

    Landmarks are detected once per photo. Per patient, the rest photo
    gives the eFACE-style static items and each expression photo the
    dynamic items of :func:`~sklearn_palsy.clinical.regional_scores`,
    with the brow, eye, midface and mouth scores (0-100, 100 = symmetric),
    the static and dynamic scores, and the affected side with its
    confidence; :class:`~sklearn_palsy.clinical.PatientMovement` gives each
    movement's ratio of the two sides (1 = both sides move alike). With a
    model, its class probabilities per photo, and per patient as their mean
    over the patient's photos.

    Parameters
    ----------
    source : str, path-like or list of them
        A manifest CSV (as :func:`~sklearn_palsy.load_manifest` reads it,
        so with ``image``, ``label`` and ``patient_id`` columns; an
        ``expression`` column is used when present), a folder of images,
        one image file or a list of them. Without a manifest, each photo is
        its own patient, named by its file stem (by its path below the
        photos' common folder where stems repeat), at rest. Videos are
        accepted wherever photos are: their frames are sampled
        (``n_frames``, ``every``, ``method``), each video's most neutral
        frame is its rest photo and its frame of peak movement per
        expression (given by the manifest, else inferred) that expression's
        photo (:func:`~sklearn_palsy.clinical.video_key_frames`); its other
        frames are listed with the role "not scored". Without a manifest,
        each video is one patient, named after its file.
    model : estimator, str or path-like, default=None
        A fitted classifier taking image paths, with ``predict_proba`` and
        ``classes_`` (for example from :func:`~sklearn_palsy.paper.train_model`),
        or a model file read by :func:`~sklearn_palsy.io.load_model_file`
        (``.joblib`` and ``.pkl`` files run code when loaded: use trusted
        ones only).
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model of :class:`~sklearn_palsy.LandmarkDetector`;
        ``"auto"`` is MediaPipe where it runs, else dlib.
    on_error : {"raise", "skip"}, default="raise"
        Photos that cannot be read, hold no face, give degenerate
        landmarks or have given landmarks farther outside the photo than
        its own size (the policy of the user guide's landmark correction
        page): with "raise", one
        :class:`~sklearn_palsy.exceptions.ImageBatchError` names every one
        (a list of files that do not exist is refused before any detection);
        with "skip", they are left out and listed in ``failures``.
    verbose : int, default=0
        Show a progress bar while detecting faces.
    landmarks : str, path-like, list, mapping or LandmarkSet, default=None
        Corrected landmarks (:func:`~sklearn_palsy.faces.load_landmarks`),
        used instead of detection for the photos they name, by the measures
        and by the model.
    max_yaw, max_pitch : float or None, default=None
        Photos whose head is turned (yaw) or tilted (pitch) beyond these
        degrees are failures, as photos without a face are.
    n_frames, every, method
        How video frames are sampled, as in
        :func:`~sklearn_palsy.datasets.sample_video_frames`.

    Returns
    -------
    assessment : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``patients``: DataFrame, one row per patient with a photo
          analysed, in order of first appearance: ``patient_id``,
          ``label`` (from a manifest), ``n_photos`` (analysed),
          ``expressions`` (";"-separated), ``rest_image``,
          ``landmark_backend``, the columns of
          :func:`~sklearn_palsy.clinical.regional_score_names` (items,
          ``brow``, ``eye``, ``midface``, ``mouth``, ``static_score``,
          ``dynamic_score``, ``side_evidence``, ``affected_side``,
          ``side_confidence``), ``movement__<movement>_ratio`` for each
          movement of :data:`~sklearn_palsy.clinical.MOVEMENTS`, with a
          model ``probability`` (binary: of ``classes_[-1]``) or
          ``probability_<class>`` for each class, and ``predicted_label``,
          then ``notes``;
        - ``images``: DataFrame, one row per analysed photo: ``image``,
          ``patient_id``, ``expression``, ``role`` ("rest", "expression" or
          "not scored"), ``landmark_backend`` and, with a model, its
          probabilities and ``predicted_label``, computed as
          :func:`~sklearn_palsy.cli.predict_images` does;
        - ``failures``: DataFrame with ``image`` and ``error``;
        - ``landmarks``: ndarray of shape (n_images, n_landmarks, 2), in
          pixels, row by row with ``images``;
        - ``scheme``: the landmark scheme; ``backend``: the landmark model;
          ``classes``: the model's classes, or None.

    Raises
    ------
    ImageBatchError
        With ``on_error="raise"``, when any photo failed.
    ManifestNotFoundError, ManifestError, ImageFileNotFoundError
        For a missing source, a malformed manifest, or listed files that do
        not exist.

    Warns
    -----
    UserWarning
        Naming the patients without a rest photo: their first photo stands
        in for it (its static items are then scored on an expression, and
        its other photos' movements are measured from it); also in
        ``notes``.

    Notes
    -----
    Where a patient has several photos of one expression, the first (in
    input order) is scored; every photo gets the model's probabilities.
    Expressions are matched after lower-casing and turning spaces and
    hyphens into underscores (``"Raise eyebrows"`` is
    ``"raise_eyebrows"``); an empty one is rest, and one not in
    :data:`~sklearn_palsy.clinical.EXPRESSIONS` is not scored. The side and
    scores read landmarks of a few photographs: they describe asymmetry,
    they are not a diagnosis.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_palsy import make_synthetic_cohort
    >>> from sklearn_palsy.cli import assess_images
    >>> cohort = make_synthetic_cohort(
    ...     1, 1, ("rest", "smile"), 160, random_state=0,
    ...     output_dir=tempfile.mkdtemp())
    >>> assessment = assess_images(cohort.manifest, backend="dlib")
    >>> assessment.patients[["patient_id", "affected_side", "static_score",
    ...                      "dynamic_score"]].round(1)
      patient_id affected_side  static_score  dynamic_score
    0        P01          left          90.7            4.2
    1        C01          none          97.6           85.7
    """
    _check_on_error(on_error)
    backend = resolve_backend(backend)
    if model is not None:
        model = _load_model(model)
    photos, unusable = _photos(source, on_error,
                               {"n_frames": n_frames, "every": every,
                                "method": method})
    given_landmarks = _as_landmark_set(landmarks)
    kept, landmarks, failures, scheme, _ = _detect(
        photos["image"], backend=backend, verbose=verbose,
        landmarks=given_landmarks, max_yaw=max_yaw, max_pitch=max_pitch)
    # Degenerate faces (eye centres that coincide, say) would stop the scores
    # of every patient; the clinical measures find them, photo by photo.
    invalid = []
    kept, landmarks, _, _ = _features(landmarks, ("clinical",), scheme, kept, invalid)
    failures = _failures_frame(list(unusable.itertuples(index=False, name=None))
                               + failures + invalid)
    if on_error == "raise" and len(failures):
        raise ImageBatchError(failures)
    photos = photos[~photos["image"].isin(failures["image"])].reset_index(drop=True)
    # Row by row with the landmarks: _detect keeps the input's order.
    assert list(photos["image"]) == list(kept)
    if photos["expression"].isna().any() or any(
            parse_frame_reference(image) for image in photos["image"]):
        photos = _video_roles(photos, landmarks, scheme)
    patients = list(pd.unique(photos["patient_id"]))

    role, scored_as, notes = _roles(photos)
    stand_ins = [patient for patient in patients
                 if any(note.startswith("no rest photo") for note in notes[patient])]
    if stand_ins:
        warnings.warn(
            f"{len(stand_ins)} patient(s) without a rest photo: "
            f"{', '.join(map(str, stand_ins[:20]))}; their first photo stands in "
            "for it",
            UserWarning,
            stacklevel=2,
        )
    images = photos[["image", "patient_id", "expression"]].assign(
        role=role.to_numpy(), landmark_backend=backend)
    table = pd.DataFrame({"patient_id": patients})
    grouped = photos.groupby("patient_id", sort=False)
    if "label" in photos:
        table["label"] = grouped["label"].first().to_numpy()
    table["n_photos"] = grouped.size().to_numpy()
    table["expressions"] = grouped["expression"].agg(
        lambda values: ";".join(value for value in pd.unique(values)
                                if value != _FRAME)).to_numpy()
    table["rest_image"] = [photos.loc[(role == REST) & (photos["patient_id"] == p),
                                      "image"].iloc[0] for p in patients]
    table["landmark_backend"] = backend
    if patients:
        regional = _regional(photos, landmarks, role, patients, scheme)
        movement = _movement(photos, landmarks, role, scored_as, patients, scheme)
        table = pd.concat([table, regional, movement.reset_index(drop=True)], axis=1)
    else:
        table = table.reindex(columns=[*table.columns, *regional_score_names(),
                                       *movement_columns()])
    classes = None
    if model is not None:
        classes = np.asarray(model.classes_)
        predictions = _predict(_with_landmarks(model, given_landmarks),
                               images["image"])
        images = pd.concat([images, predictions], axis=1)
        pooled = _pool(predictions, images["patient_id"], classes)
        table = pd.concat([table, pooled.reindex(patients).reset_index(drop=True)],
                          axis=1)
    table["notes"] = ["; ".join(notes[patient]) for patient in patients]
    return Bunch(patients=table, images=images, failures=failures,
                 landmarks=landmarks, scheme=scheme, backend=backend,
                 classes=classes)
