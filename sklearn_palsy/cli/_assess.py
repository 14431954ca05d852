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

import json
import os
import re
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
    ManifestError,
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


#: The photo names of Emotrics+ (Guarin et al.), after
#: :func:`_normalised`, as :data:`EXPRESSIONS` names; None: recognised, but
#: with no counterpart among them, so kept in the table and not scored.
EMOTRICS_EXPRESSIONS = {
    "resting": REST,
    "brow_raise": "raise_eyebrows",
    "brow_elevation": "raise_eyebrows",
    "gentle_eye_closure": "close_eyes",
    "tight_eye_closure": "close_eyes_tightly",
    "big_smile": "smile",
    "eeeek": "show_lower_teeth",
    "show_teeth": "show_lower_teeth",
    "ooooo": "pucker",
    "pucker_lips": "pucker",
    "other": None,
}
_NO_COUNTERPART = frozenset(name for name, expression in EMOTRICS_EXPRESSIONS.items()
                            if expression is None)
# The expression of a manifest row whose expression cell is empty: kept in
# the table, not scored, noted; never taken for rest.
_UNKNOWN = "unknown"


def _normalised(value):
    """Lower case, quotes and outer spaces gone, spaces and hyphens as ``_``."""
    text = str(value).strip().strip("\"'").strip().lower()
    return "_".join(text.replace("-", " ").split())


def _expression_name(value, expression_map=None):
    """A manifest's expression as an :data:`EXPRESSIONS` name, where it has one.

    ``expression_map`` (a study's names, already :func:`_normalised`) comes
    first, then Emotrics+'s photo names (:data:`EMOTRICS_EXPRESSIONS`;
    those without a counterpart keep their own name). An empty cell is
    :data:`_UNKNOWN`, never rest.
    """
    if pd.isna(value) or not _normalised(value):
        return _UNKNOWN
    text = _normalised(value)
    if expression_map and text in expression_map:
        return expression_map[text]
    if text in EMOTRICS_EXPRESSIONS:
        return EMOTRICS_EXPRESSIONS[text] or text
    # "eeee", "eeeeek", "oooo": Emotrics+'s sounds however long they are held.
    if re.fullmatch(r"e{3,}k?", text):
        return "show_lower_teeth"
    if re.fullmatch(r"o{3,}", text):
        return "pucker"
    return text


def read_expression_map(source):
    """A study's expression names as :data:`EXPRESSIONS` names.

    Parameters
    ----------
    source : dict, str or path-like
        A mapping, or a file: a JSON object ``{"study name": "expression"}``
        or a CSV with the columns ``name`` and ``expression``. Names are
        matched as manifests' expressions are (case, spaces and hyphens
        do not matter).

    Returns
    -------
    expression_map : dict of str to str
        Normalised study names to :data:`EXPRESSIONS` names.

    Raises
    ------
    ManifestError
        Naming the file and each entry whose expression is not one of
        :data:`EXPRESSIONS`, or a file that is neither.
    """
    if source is None:
        return {}
    where = None
    if isinstance(source, (str, os.PathLike)):
        where = str(source)
        try:
            if where.lower().endswith(".json"):
                with open(where, encoding="utf-8") as handle:
                    loaded = json.load(handle)
                if not isinstance(loaded, dict):
                    raise ValueError("not a JSON object of name: expression")
                entries = [(f"key {key!r}", key, value)
                           for key, value in loaded.items()]
            else:
                table = pd.read_csv(where, dtype=str, keep_default_na=False)
                missing = {"name", "expression"} - set(table.columns)
                if missing:
                    raise ValueError(f"no column(s) {', '.join(sorted(missing))} "
                                     "(a CSV needs name and expression)")
                entries = [(f"line {line}", name, value) for line, name, value in
                           zip(range(2, len(table) + 2), table["name"],
                               table["expression"], strict=True)]
        except (OSError, ValueError) as error:
            raise ManifestError(f"expression map {where}: {error}",
                                source=where) from None
    else:
        entries = [(f"key {key!r}", key, value) for key, value in dict(source).items()]
    problems = [(at, f"{value!r} is not one of {', '.join(EXPRESSIONS)}")
                for at, _, value in entries
                if not isinstance(value, str) or _normalised(value) not in EXPRESSIONS]
    if problems:
        shown = "; ".join(f"{at}: {reason}" for at, reason in problems[:20])
        raise ManifestError(f"expression map {where or '(mapping)'}: {shown}",
                            source=where, problems=problems)
    return {_normalised(name): _normalised(value) for _, name, value in entries}


#: The affected sides a clinician can give (the subject's own).
SIDES = ("right", "left", "none")


def _side_name(value):
    """A given side as one of :data:`SIDES`, None where empty, else the text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = _normalised(value)
    return None if text in ("", "unknown", "nan") else text


def _manifest_sides(values, images, source):
    """The manifest's ``side`` column, checked: one of :data:`SIDES` or None."""
    sides = [_side_name(value) for value in values]
    problems = [(f"image {image}", f"side {value!r} is not one of {', '.join(SIDES)}")
                for image, value, side in zip(images, values, sides, strict=True)
                if side is not None and side not in SIDES]
    if problems:
        where = str(source) if isinstance(source, (str, os.PathLike)) else None
        shown = "; ".join(f"{at}: {reason}" for at, reason in problems[:20])
        raise ManifestError(f"manifest {where or '(list)'}: {shown} (leave it "
                            "empty where the side is not known)",
                            source=where, problems=problems)
    return pd.Series(sides, dtype=object)


def _case_sides(photos, cases, names, side):
    """Each case's given side: the manifest's, else ``side``, else None.

    A case whose photos give two different sides is an error naming it.
    """
    given = [side] * len(cases)
    if "side" in photos:
        conflicts = []
        for at, case in enumerate(cases):
            values = set(photos.loc[photos["case"] == case, "side"].dropna())
            if len(values) > 1:
                conflicts.append(f"{names[case]}: {', '.join(sorted(values))}")
            elif values:
                given[at] = values.pop()
        if conflicts:
            raise ManifestError("the manifest gives two sides for one patient: "
                                + "; ".join(conflicts[:20]))
    return given


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


def _photos(source, on_error, sampling=None, expression_map=None):
    """The photos, one row each, and the inputs left out before detection.

    Returns ``(photos, unusable)``: ``photos`` has ``image``,
    ``patient_id``, ``expression`` (, ``label``, ``visit``); ``unusable`` lists, with
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
        if "expression" in frame:
            photos["expression"] = [_expression_name(value, expression_map)
                                    for value in frame["expression"]]
        else:
            photos["expression"] = REST
        if "label" in frame:
            photos["label"] = frame["label"].to_numpy()
        if "visit" in frame:
            photos["visit"] = [("" if pd.isna(value) else str(value).strip())
                               for value in frame["visit"]]
        if "side" in frame:
            photos["side"] = _manifest_sides(frame["side"], photos["image"], source)
    photos["expression"] = photos["expression"].astype(object)
    photos.loc[is_frame & photos["expression"].isin([REST, _UNKNOWN]),
               "expression"] = None
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


def _labels(proba, classes, threshold):
    """The predicted class: from the threshold on for a binary model with one."""
    if threshold is None:
        return classes[np.argmax(proba, axis=1)]
    return np.where(proba[:, -1] >= threshold, classes[-1], classes[0])


def _predict(model, images, threshold=None, type_model=None):
    """Per-image probabilities and predicted class, as ``predict_images`` has them.

    With ``type_model``, ``type_probability_<class>`` for each of its
    classes (for every photo, pooled per patient later) and ``type``, its
    class for the photos called positive ("none" for the others).
    """
    classes = np.asarray(model.classes_)
    columns = probability_columns(classes)
    type_columns = ([f"type_probability_{name}" for name in type_model.classes_]
                    if type_model is not None else [])
    if not len(images):
        return pd.DataFrame(columns=[*columns, "predicted_label", *type_columns,
                                     *(["type"] if type_columns else [])])
    images = np.asarray(images, dtype=object)
    proba = model.predict_proba(images)
    values = proba[:, -1:] if len(classes) == 2 else proba
    table = pd.DataFrame(values, columns=columns)
    table["predicted_label"] = _labels(proba, classes, threshold)
    if type_model is not None:
        type_proba = type_model.predict_proba(images)
        table[type_columns] = type_proba
        table["type"] = np.where(
            table["predicted_label"].to_numpy() == classes[-1],
            np.asarray(type_model.classes_)[np.argmax(type_proba, axis=1)], "none")
    return table


def _pool(predictions, patients, classes, threshold=None):
    """Each patient's mean probabilities over their photos, and its class (and
    type, from the mean type probabilities, where the patient is positive)."""
    columns = probability_columns(classes)
    type_columns = [name for name in predictions if name.startswith(
        "type_probability_")]
    frame = predictions[columns + type_columns].assign(
        patient_id=patients.to_numpy())
    pooled = pool_by_patient(frame, columns + type_columns).set_index("patient_id")
    pooled.index.name = None
    if len(classes) == 2:
        proba = np.column_stack([1.0 - pooled["probability"], pooled["probability"]])
    else:
        proba = pooled[columns].to_numpy()
    pooled["predicted_label"] = _labels(proba, np.asarray(classes), threshold)
    if type_columns:
        names = np.array([name.removeprefix("type_probability_")
                          for name in type_columns], dtype=object)
        pooled["type"] = np.where(
            pooled["predicted_label"].to_numpy() == classes[-1],
            names[np.argmax(pooled[type_columns].to_numpy(), axis=1)], "none")
    return pooled


# The expressions that a photo can be scored as, besides rest.
_SCORED = tuple(name for name in EXPRESSIONS if name != REST)


def _main_movement(expression):
    """The first of :data:`MOVEMENTS` on ``expression``: the one effort is read from."""
    return next(name for name, on, _ in MOVEMENTS if on == expression)


def _measured(photos, landmarks, rows, scheme):
    """:class:`PatientMovement`'s features of photos ``rows``, paired per case.

    Returns ``(frame, values, names)``: the frame it was given (``patient_id``
    holds the case), its output and its feature names.
    """
    frame = pd.DataFrame({
        "patient_id": photos.loc[rows, "case"].to_numpy(),
        "expression": photos.loc[rows, "expression"].to_numpy(),
        "landmarks": list(landmarks[rows]),
    })
    transformer = PatientMovement(scheme=scheme)
    with warnings.catch_warnings():
        # Every photo here has a face, a known expression and a rest photo.
        warnings.simplefilter("ignore", MovementWarning)
        values = transformer.fit_transform(frame)
    return frame, values, list(transformer.get_feature_names_out())


def _efforts(photos, landmarks, rests, scheme):
    """Each expression photo's effort: its main movement's larger side.

    The movement from the case's rest photo of the more mobile side (in a
    one-sided palsy, the healthy side) of the expression's main movement
    (:func:`_main_movement`, as :class:`PatientMovement` measures it); NaN
    for photos of cases without a rest photo and for other photos.
    """
    effort = pd.Series(np.nan, index=photos.index)
    candidates = photos.index[photos["expression"].isin(_SCORED)
                              & photos["case"].isin(list(rests))]
    if not len(candidates):
        return effort
    rows = pd.Index([*rests.values(), *candidates])
    frame, values, names = _measured(photos, landmarks, rows, scheme)
    for expression in pd.unique(frame["expression"][len(rests):]):
        prefix = f"movement__{_main_movement(expression)}_"
        right = next(i for i, name in enumerate(names)
                     if name.startswith(prefix + "right"))
        left = next(i for i, name in enumerate(names)
                    if name.startswith(prefix + "left"))
        on = np.flatnonzero((frame["expression"] == expression).to_numpy())
        effort[rows[on]] = np.fmax(values[on, right], values[on, left])
    return effort


def _roles(photos, landmarks, scheme):
    """Which photo of each case (patient, or patient and visit) is scored as what.

    Returns ``(role, notes)``: per photo ``"rest"``, ``"expression"`` or
    ``"not scored"``; per case the notes for the table and report. The
    first rest photo is the case's rest photo; of several photos of one
    expression, the one of maximal effort (:func:`_efforts`) is scored, or
    without a rest photo to measure effort from, the first.
    """
    role = pd.Series("not scored", index=photos.index, dtype=object)
    rests = {}
    for case, rows in photos.groupby("case", sort=False):
        found = rows.index[rows["expression"] == REST]
        if len(found):
            rests[case] = found[0]
            role[found[0]] = REST
    effort = _efforts(photos, landmarks, rests, scheme)
    notes = {}
    for case, rows in photos.groupby("case", sort=False):
        case_notes = []
        if case not in rests:
            case_notes.append("no rest photo: no static items, movements or "
                              "dynamic items")
        unknown, apart, unlabelled, extra_rests = set(), set(), 0, 0
        maximal, first = [], []
        for expression, same in rows.groupby("expression", sort=False):
            if expression == _FRAME:
                continue
            if expression == REST:
                extra_rests += len(same) - 1
            elif expression == _UNKNOWN:
                unlabelled += len(same)
            elif expression in _NO_COUNTERPART:
                apart.add(expression)
            elif expression not in EXPRESSIONS:
                unknown.add(expression)
            elif len(same) == 1:
                role[same.index[0]] = "expression"
            elif case in rests:
                role[effort[same.index].fillna(-np.inf).idxmax()] = "expression"
                maximal.append(f"{expression} ({len(same)})")
            else:
                role[same.index[0]] = "expression"
                first.append(f"{expression} ({len(same)})")
        if maximal:
            case_notes.append(
                f"several photos of {', '.join(maximal)}: the one of maximal "
                "effort (most movement from rest of the more mobile side) is "
                "scored")
        if first:
            case_notes.append(
                f"several photos of {', '.join(first)} and no rest photo to "
                "measure effort from: the first of each is scored")
        if extra_rests:
            case_notes.append(f"{extra_rests} more rest photo(s): only the first "
                              "is scored")
        if unlabelled:
            case_notes.append(f"{unlabelled} photo(s) without an expression "
                              "label: unknown, not scored")
        if apart:
            case_notes.append(
                f"expression(s) {', '.join(sorted(apart))} recognised but not "
                "scored: no counterpart among the package's expressions")
        if unknown:
            case_notes.append(
                f"expression(s) {', '.join(sorted(unknown))} not scored (known: "
                f"{', '.join(EXPRESSIONS)})"
            )
        notes[case] = case_notes
    return role, notes


def _regional(photos, landmarks, role, cases, scheme, sides):
    """:func:`regional_scores` of each case; NaN rest for cases without one."""
    shape = (len(cases), *landmarks.shape[1:])
    where = pd.Index(cases)
    rest = np.full(shape, np.nan)
    rows = photos.index[role == REST]
    rest[where.get_indexer(photos.loc[rows, "case"])] = landmarks[rows]
    expressions = {}
    for name in EXPRESSION_ITEMS:
        rows = photos.index[(role == "expression") & (photos["expression"] == name)]
        if len(rows):
            values = np.full(shape, np.nan)
            values[where.get_indexer(photos.loc[rows, "case"])] = landmarks[rows]
            expressions[name] = values
    return regional_scores(rest, expressions=expressions, scheme=scheme, side=sides)


def _movement(photos, landmarks, role, cases, scheme):
    """Each movement's ratio, from the case's photo of its expression and rest."""
    table = pd.DataFrame(np.nan, index=pd.Index(cases), columns=movement_columns())
    with_rest = photos.loc[role == REST, "case"]
    scored = photos.index[(role != "not scored") & photos["case"].isin(with_rest)]
    if not len(scored):
        return table
    frame, values, names = _measured(photos, landmarks, scored, scheme)
    for (_, expression, _), column in zip(MOVEMENTS, table.columns, strict=True):
        on = (frame["expression"] == expression).to_numpy()
        table.loc[frame["patient_id"][on], column] = values[on, names.index(column)]
    return table


def _case_name(patient, visit):
    return patient if visit is None else f"{patient} (visit {visit})"


#: The head-pose limits (degrees) of ``assess`` by default: frontal photos
#: read within about 10 degrees (docs/head_pose.rst), a clinic's turned
#: ones by 25 or more.
POSE_LIMITS = (20.0, 20.0)


def assess_images(source, *, model=None, backend="auto", on_error="raise", verbose=0,
                  landmarks=None, max_yaw=POSE_LIMITS[0], max_pitch=POSE_LIMITS[1],
                  expression_map=None, n_frames=None, every=None, method="uniform",
                  side=None, threshold=None, patient_threshold=None,
                  type_model=None):
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
        ``expression`` column and a ``visit`` column are used when present:
        with visits, each patient's rest and expression photos are paired
        within each visit, one row per patient and visit), a folder of images,
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
    max_yaw, max_pitch : float or None, default=20
        Photos whose head is turned (yaw) or tilted (pitch) beyond these
        degrees are failures, as photos without a face are (listed with
        ``on_error="skip"``); None screens none. The default limit keeps
        photos taken frontally, whose estimate reads within about 10
        degrees, and refuses those turned by 25 or more (the user guide's
        head-pose page); it does not measure small turns.
    expression_map : dict, str or path-like, default=None
        A study's expression names as :data:`~sklearn_palsy.clinical.EXPRESSIONS`
        names: a mapping, a JSON object ``{"study name": "expression"}`` or a
        CSV with the columns ``name`` and ``expression`` (names are matched
        as manifest expressions are). It comes before Emotrics+'s photo
        names, which are known without it. An expression that is not one of
        :data:`~sklearn_palsy.clinical.EXPRESSIONS` raises a
        :class:`~sklearn_palsy.exceptions.ManifestError` naming the file
        and its line (or key).
    n_frames, every, method
        How video frames are sampled, as in
        :func:`~sklearn_palsy.datasets.sample_video_frames`.
    side : {"right", "left", "none"}, default=None
        The clinician's affected side (the subject's own) for every patient
        that the manifest's ``side`` column gives none; a manifest's
        ``side`` (right, left, none; empty where not known) comes first.
        Given sides are used for the scores and reported with
        ``side_source`` "given"; the others are inferred (see
        :func:`~sklearn_palsy.clinical.regional_scores`).
    threshold : float, default=None
        For a binary model, the probability from which a photo, and a
        patient (by their photos' mean), is called positive; None is the
        model's own (:func:`~sklearn_palsy.cli.decision_threshold`: the
        shipped reference model's stored threshold, else the class of
        highest probability).
    patient_threshold : float, default=None
        The threshold of a patient's mean probability, where it differs
        from the photos' (a mean over several photos spreads less than one
        photo's probability: the shipped reference model's record holds
        one chosen for people, ``reference_model_info()["threshold"]
        ["patient"]``, which ``sklearn-palsy assess`` uses); None is
        ``threshold``'s.
    type_model : fitted classifier, default=None
        A model of the palsy's type, such as
        ``load_reference_model(task="type")``: each photo gets
        ``type_probability_<class>`` and ``type`` (its class where the photo
        is called positive, else "none"), and each patient the same from
        their photos' mean type probabilities.

    Returns
    -------
    assessment : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``patients``: DataFrame, one row per patient (per patient and
          visit with a ``visit`` column) with a photo analysed, in order of
          first appearance: ``patient_id``, ``visit`` (with visits),
          ``label`` (from a manifest), ``n_photos`` (analysed),
          ``expressions`` (";"-separated), ``rest_image`` (NaN without a
          rest photo), ``photo_<expression>`` for each expression of
          :data:`~sklearn_palsy.clinical.EXPRESSIONS` but rest (the photo
          scored as it, NaN where there is none), ``landmark_backend``, the
          columns of
          :func:`~sklearn_palsy.clinical.regional_score_names` (items,
          ``brow``, ``eye``, ``midface``, ``mouth``, ``static_score``,
          ``dynamic_score``, ``synkinesis_score``, ``total_score``,
          ``side_evidence``, ``affected_side``, ``side_source``,
          ``side_uncertain``, ``side_confidence``),
          ``movement__<movement>_ratio`` for each
          movement of :data:`~sklearn_palsy.clinical.MOVEMENTS`, with a
          model ``probability`` (binary: of ``classes_[-1]``) or
          ``probability_<class>`` for each class, and ``predicted_label``,
          with a ``type_model`` its ``type_probability_<class>`` columns
          and ``type``, then ``notes``;
        - ``images``: DataFrame, one row per analysed photo: ``image``,
          ``patient_id``, ``visit`` (with visits), ``expression``,
          ``role`` ("rest", "expression" or "not scored"),
          ``landmark_backend`` and, with a model, its
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
        Once for the run, naming the patients (and visits) without a rest
        photo: no photo stands in for it, so their static items, movements
        and dynamic items are NaN; also in ``notes``.

    Notes
    -----
    The first rest photo of a patient (and visit) is its rest photo. Where
    there are several photos of one expression, the one of maximal effort
    is scored and named in ``photo_<expression>``: the photo whose more
    mobile side (in a one-sided palsy, the healthy side) moves most from
    rest in the expression's first movement of
    :data:`~sklearn_palsy.clinical.MOVEMENTS` (brow elevation, eye closure,
    commissure excursion, lower-lip depression, pucker excursion; full eye
    closure for the tight one), as
    :class:`~sklearn_palsy.clinical.PatientMovement` measures it; without a
    rest photo, the first in input order, said in ``notes``. Every photo
    gets the model's probabilities. Expressions are matched after
    lower-casing, dropping quotes and turning spaces and hyphens into
    underscores (``"Raise eyebrows"`` is ``"raise_eyebrows"``), then looked
    up in ``expression_map`` and in Emotrics+'s photo names (``Resting``,
    ``Brow Raise``, ``Gentle Eye Closure``, ``Tight Eye Closure`` (as
    ``close_eyes_tightly``: the eFACE's full eye closure), ``Big Smile``,
    ``"eeeek"`` / ``Show Teeth``, ``"ooooo"`` / ``Pucker Lips``; ``Other``
    has no counterpart: recognised, kept and not scored).
    An empty expression cell is ``"unknown"``, never rest: kept, not
    scored, noted. One not in :data:`~sklearn_palsy.clinical.EXPRESSIONS`
    is not scored. The side and scores read landmarks of a few
    photographs: they describe asymmetry, they are not a diagnosis.

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
    0        P01          left          91.0            0.0
    1        C01          none          97.7          100.0
    """
    _check_on_error(on_error)
    backend = resolve_backend(backend)
    if model is not None:
        model = _load_model(model)
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)} or None; "
                         f"got {side!r}")
    expression_map = read_expression_map(expression_map)
    photos, unusable = _photos(source, on_error,
                               {"n_frames": n_frames, "every": every,
                                "method": method}, expression_map)
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
    keys = ["patient_id", "visit"] if "visit" in photos else ["patient_id"]
    photos["case"] = (photos.groupby(keys, sort=False).ngroup() if len(photos)
                      else pd.Series(dtype=np.int64))
    cases = list(pd.unique(photos["case"]))
    grouped = photos.groupby("case", sort=False)
    names = {case: _case_name(rows["patient_id"].iloc[0],
                              rows["visit"].iloc[0] if "visit" in rows else None)
             for case, rows in grouped}

    role, notes = _roles(photos, landmarks, scheme)
    without_rest = [names[case] for case in cases if case not in
                    set(photos.loc[role == REST, "case"])]
    if without_rest:
        warnings.warn(
            f"{len(without_rest)} patient(s) without a rest photo: "
            f"{', '.join(map(str, without_rest[:20]))}; their static items, "
            "movements and dynamic items are NaN",
            UserWarning,
            stacklevel=2,
        )
    images = photos[["image", "patient_id", *keys[1:], "expression"]].assign(
        role=role.to_numpy(), landmark_backend=backend)
    table = grouped[keys].first().reset_index(drop=True)
    if "label" in photos:
        table["label"] = grouped["label"].first().to_numpy()
    table["n_photos"] = grouped.size().to_numpy()
    table["expressions"] = grouped["expression"].agg(
        lambda values: ";".join(value for value in pd.unique(values)
                                if value != _FRAME)).to_numpy()
    used = photos.assign(role=role.to_numpy())
    used = used[used["role"] != "not scored"]
    table["rest_image"] = used[used["role"] == REST].set_index("case")[
        "image"].reindex(cases).to_numpy()
    for expression in _SCORED:
        on = used[(used["role"] == "expression") & (used["expression"] == expression)]
        table[f"photo_{expression}"] = on.set_index("case")["image"].reindex(
            cases).to_numpy()
    table["landmark_backend"] = backend
    if cases:
        sides = _case_sides(photos, cases, names, side)
        regional = _regional(photos, landmarks, role, cases, scheme, sides)
        movement = _movement(photos, landmarks, role, cases, scheme)
        table = pd.concat([table, regional, movement.reset_index(drop=True)], axis=1)
    else:
        table = table.reindex(columns=[*table.columns, *regional_score_names(),
                                       *movement_columns()])
    classes = None
    if model is not None:
        from ._predict import decision_threshold

        classes = np.asarray(model.classes_)
        threshold = decision_threshold(model, threshold)
        patient_threshold = (threshold if patient_threshold is None
                             else decision_threshold(model, patient_threshold))
        predictions = _predict(
            _with_landmarks(model, given_landmarks), images["image"], threshold,
            None if type_model is None else _with_landmarks(type_model,
                                                            given_landmarks))
        images = pd.concat([images, predictions], axis=1)
        pooled = _pool(predictions, photos["case"], classes, patient_threshold)
        table = pd.concat([table, pooled.reindex(cases).reset_index(drop=True)],
                          axis=1)
    table["notes"] = ["; ".join(notes[case]) for case in cases]
    return Bunch(patients=table, images=images, failures=failures,
                 landmarks=landmarks, scheme=scheme, backend=backend,
                 classes=classes)
