"""Assessment of patients from their photos, behind ``sklearn-palsy assess``.

One row per patient, as a clinic sees them: the eFACE-style regional scores
of :func:`~sklearn_palsy.clinical.regional_scores` (static items from the
rest photo, dynamic items from the expression photos), the movement from
rest of :class:`~sklearn_palsy.clinical.PatientMovement`, the affected side
with its confidence and, with a trained model, its probabilities per photo
and per patient. :func:`assess_images` computes them; :func:`write_assessment`
writes the table (``assessment.csv``) and a self-contained HTML report with
one card per patient. Landmarks are detected once per photo (the face cache
serves the model's own detection of the same photos with the same backend).
"""

import html
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._batch import (
    _check_on_error,
    _detect,
    _failures_frame,
    _features,
    _with_landmarks,
    resolve_images,
)
from .clinical import (
    DYNAMIC_ITEMS,
    EXPRESSION_ITEMS,
    EXPRESSIONS,
    MOVEMENTS,
    REGIONS,
    STATIC_ITEMS,
    MovementWarning,
    PatientMovement,
    regional_score_names,
    regional_scores,
    video_key_frames,
)
from .exceptions import ImageBatchError
from .faces import read_image, resolve_backend
from .faces._landmark_files import _as_landmark_set
from .faces._video import is_video_file, parse_frame_reference
from .utils._atomic import atomic_write
from .utils._csv import write_csv_atomic

__all__ = ["assess_images", "write_assessment"]

REST = "rest"
# Size of the report's figures: photos of 180 px in 128 colours keep a
# report of 42 patients with five photos each at about 5 MB.
_DPI = 100
_COLOURS = 128
_PHOTO_INCHES = 1.8
_BARS_INCHES = (3.0, 1.8)
# A face is shown with this share of its landmarks' extent around it.
_CROP_MARGIN = 0.35
# Photos are thinned to about this many pixels across before drawing.
_DRAW_PIXELS = 440

_CARD_STYLE = """
.card { border: 1px solid #bbb; border-radius: 6px; padding: 0.6em 1em;
        margin: 1.2em 0; page-break-inside: avoid; }
.photos { display: flex; flex-wrap: wrap; gap: 0.6em; align-items: flex-end; }
.photos figure { margin: 0; text-align: center; font-size: 0.8em; }
.note { color: #8a4b00; }
td.name, th.name { text-align: left; }
"""


def _movement_columns():
    return [f"movement__{name}_ratio" for name, _, _ in MOVEMENTS]


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
    """One row per photo: ``image``, ``patient_id``, ``expression`` (, ``label``).

    Video frames get the expression their manifest row gives, or None (to be
    inferred) where it gives none or rest; without a manifest each video is
    one patient, named after its file.
    """
    sampling = sampling or {}
    if (isinstance(source, (list, tuple, np.ndarray)) and on_error == "skip"
            and not any(is_video_file(str(path)) for path in source)):
        # A missing file is then one more failure, found by the detection.
        X, frame = np.asarray([str(path) for path in source], dtype=object), None
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
    return photos


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
        from .io import load_model_file

        model = load_model_file(model)
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise TypeError(
            "model must be a fitted classifier with predict_proba and classes_, "
            f"or the path of a model file; got {type(model).__name__}"
        )
    return model


def _probability_columns(classes):
    """Binary: ``probability`` of ``classes[-1]``; else one column per class."""
    if len(classes) == 2:
        return ["probability"]
    return [f"probability_{label}" for label in classes]


def _predict(model, images):
    """Per-image probabilities and predicted class, as ``predict_images`` has them."""
    classes = np.asarray(model.classes_)
    columns = _probability_columns(classes)
    if not len(images):
        return pd.DataFrame(columns=[*columns, "predicted_label"])
    proba = model.predict_proba(np.asarray(images, dtype=object))
    values = proba[:, -1:] if len(classes) == 2 else proba
    table = pd.DataFrame(values, columns=columns)
    table["predicted_label"] = classes[np.argmax(proba, axis=1)]
    return table


def _pool(predictions, patients, classes):
    """Each patient's mean probabilities over their photos, and its class."""
    columns = _probability_columns(classes)
    pooled = predictions[columns].groupby(patients.to_numpy(), sort=False).mean()
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
    table = pd.DataFrame(np.nan, index=pd.Index(patients), columns=_movement_columns())
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
        Photos that cannot be read, hold no face or give degenerate
        landmarks: with "raise", one
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
          :func:`~sklearn_palsy._batch.predict_images` does;
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
    >>> from sklearn_palsy._assess import assess_images
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
    photos = _photos(source, on_error,
                     {"n_frames": n_frames, "every": every, "method": method})
    given_landmarks = _as_landmark_set(landmarks)
    kept, landmarks, failures, scheme, _ = _detect(
        photos["image"], backend=backend, verbose=verbose,
        landmarks=given_landmarks, max_yaw=max_yaw, max_pitch=max_pitch)
    # Degenerate faces (eye centres that coincide, say) would stop the scores
    # of every patient; the clinical measures find them, photo by photo.
    invalid = []
    kept, landmarks, _, _ = _features(landmarks, ("clinical",), scheme, kept, invalid)
    failures = _failures_frame(failures + invalid)
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
                                       *_movement_columns()])
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


# --------------------------------------------------------------------------
# The report.


def _photo_figure(image, landmarks, scheme):
    """A small figure of the face, cropped around its landmarks, drawn over."""
    from matplotlib.figure import Figure

    from .reporting import plot_landmarks

    pixels = read_image(image)
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    centre, half = (low + high) / 2, (high - low).max() * (0.5 + _CROP_MARGIN)
    left, top = np.maximum(np.floor(centre - half), 0).astype(int)
    right = int(min(np.ceil(centre[0] + half), pixels.shape[1]))
    bottom = int(min(np.ceil(centre[1] + half), pixels.shape[0]))
    step = max(1, max(right - left, bottom - top) // _DRAW_PIXELS)
    crop = pixels[top:bottom:step, left:right:step]
    figure = Figure(figsize=(_PHOTO_INCHES, _PHOTO_INCHES))
    ax = figure.add_axes((0, 0, 1, 1))
    plot_landmarks(crop, (landmarks - [left, top]) / step, scheme, ax=ax)
    return figure


def _bars_figure(row):
    """The regions' and subscores' scores, 0-100, as horizontal bars."""
    from matplotlib.figure import Figure

    names = [*REGIONS, "static_score", "dynamic_score"]
    values = np.array([row[name] for name in names], dtype=float)
    figure = Figure(figsize=_BARS_INCHES, layout="constrained")
    ax = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    ax.barh(positions, np.nan_to_num(values), color="#4c72b0", height=0.7)
    for position, value in zip(positions, values, strict=True):
        ax.text(2 if np.isnan(value) else min(value, 100) + 1, position,
                "n/a" if np.isnan(value) else f"{value:.0f}", va="center",
                fontsize=7)
    ax.set_yticks(positions, [name.replace("_score", "") for name in names],
                  fontsize=7)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("score (100 = symmetric)", fontsize=7)
    return figure


def _png_base64(figure):
    """The figure as a PNG of at most 128 colours, base64-encoded, and closed.

    A photo of 180 px in 128 colours takes about 18 kB, a quarter of its
    true-colour PNG, with no visible loss at that size.
    """
    import base64
    import io

    from PIL import Image

    from .reporting._report import _close

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    finally:
        _close(figure)
    picture = Image.open(buffer).convert("RGB").quantize(
        colors=_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    picture.save(buffer, format="png", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _embed(figure, alt, caption=None):
    encoded = _png_base64(figure)
    caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{encoded}">{caption}</figure>')


def _format(value, digits=1):
    if isinstance(value, (float, np.floating)):
        return "n/a" if np.isnan(value) else f"{value:.{digits}f}"
    return "n/a" if value is None else str(value)


def _numbers_table(row, classes):
    """The card's table: every score, movement ratio and model output."""
    entries = [(name, _format(row[name])) for name in (*STATIC_ITEMS, *DYNAMIC_ITEMS)]
    entries += [(f"{name} (region)", _format(row[name])) for name in REGIONS]
    entries += [(name, _format(row[name])) for name in ("static_score",
                                                        "dynamic_score")]
    entries += [("side_evidence", _format(row["side_evidence"], 3)),
                ("affected_side", _format(row["affected_side"])),
                ("side_confidence", _format(row["side_confidence"], 2))]
    entries += [(f"{name} ratio (%)", _format(100 * row[column]))
                for (name, _, _), column in zip(MOVEMENTS, _movement_columns(),
                                                strict=True)]
    if classes is not None:
        entries += [(column.replace("probability", "model probability"),
                     _format(row[column], 3))
                    for column in _probability_columns(classes)]
        entries.append(("model class", _format(row["predicted_label"])))
    body = "".join(f'<tr><td class="name">{html.escape(name)}</td>'
                   f"<td>{html.escape(value)}</td></tr>" for name, value in entries)
    return ('<table><tr><th class="name">measure</th><th>value</th></tr>'
            f"{body}</table>")


def _card(number, row, photos, landmarks, scheme, classes):
    patient = str(row["patient_id"])
    facts = [f"{row['n_photos']} photo(s): {row['expressions']}",
             f"affected side: {_format(row['affected_side'])} (confidence "
             f"{_format(row['side_confidence'], 2)})",
             f"landmarks: {row['landmark_backend']}"]
    if "label" in row:
        facts.append(f"label in the manifest: {row['label']}")
    if classes is not None:
        model = (f"P({classes[-1]}) = {_format(row['probability'], 2)}"
                 if len(classes) == 2 else f"class {row['predicted_label']}")
        facts.append(f"model (mean over photos): {model}")
    parts = [f'<section class="card" id="patient-{number}">',
             f"<h2>{html.escape(patient)}</h2>",
             f"<p>{html.escape(' · '.join(facts))}</p>"]
    if row["notes"]:
        parts.append(f'<p class="note">{html.escape(row["notes"])}</p>')
    parts.append('<div class="photos">')
    for index in photos.index[photos["role"] != "not scored"]:
        name = f"{photos.loc[index, 'expression']}"
        if photos.loc[index, "role"] == REST and name != REST:
            name = f"{name} (as rest)"
        parts.append(_embed(
            _photo_figure(photos.loc[index, "image"], landmarks[index], scheme),
            alt=f"{patient}, {name}",
            caption=f"{name}: {Path(photos.loc[index, 'image']).name}",
        ))
    parts.append(_embed(_bars_figure(row), alt=f"{patient}, regional scores",
                        caption="regional scores"))
    parts.append("</div>")
    parts.append(_numbers_table(row, classes))
    parts.append("</section>")
    return "\n".join(parts)


def _overview(patients, classes):
    columns = ["patient_id", *(["label"] if "label" in patients else []),
               "n_photos", "affected_side", "side_confidence", "static_score",
               "dynamic_score"]
    if classes is not None:
        columns += [*_probability_columns(classes), "predicted_label"]
    rows = []
    for number, (_, row) in enumerate(patients.iterrows()):
        cells = [f'<a href="#patient-{number}">{html.escape(str(row["patient_id"]))}'
                 "</a>"]
        cells += [html.escape(_format(row[column], 2)) for column in columns[1:]]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def write_assessment(assessment, out):
    """Write an assessment's table and its self-contained HTML report.

    ``assessment.csv`` holds ``assessment.patients``, one row per patient
    (text cells that would start a spreadsheet formula escaped).
    ``report.html`` opens with the disclaimer and a table of the patients,
    then one card per patient: the landmarks drawn over the rest photo and
    each scored expression photo, the regional scores as horizontal bars
    (0-100), and every number in a table; the software versions close it.
    Figures are embedded as base64 PNG (each photo 180 px across, in 128
    colours) and closed; there are no scripts and no links outside the
    page. Both files are written atomically.

    Parameters
    ----------
    assessment : Bunch
        The output of :func:`assess_images`.
    out : str or path-like
        Folder for the two files; created when missing.

    Returns
    -------
    paths : :class:`~sklearn.utils.Bunch`
        ``table`` and ``report``, the paths written.

    Examples
    --------
    >>> from sklearn_palsy._assess import assess_images, write_assessment
    >>> assessment = assess_images("manifest.csv", backend="dlib")  # doctest: +SKIP
    >>> paths = write_assessment(assessment, "assessment")  # doctest: +SKIP
    """
    from .reporting._report import _STYLE, DISCLAIMER, software_versions

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    patients, images = assessment.patients, assessment.images
    table = out / "assessment.csv"
    write_csv_atomic(patients, table)
    title = "sklearn-palsy assessment"
    sides = patients["affected_side"].value_counts()
    summary = (
        f"{len(patients)} patient(s), {len(images)} photo(s) analysed, "
        f"{len(assessment.failures)} failed; landmarks: {assessment.backend}; "
        f"affected side right: {sides.get('right', 0)}, left: "
        f"{sides.get('left', 0)}, none: {sides.get('none', 0)}."
    )
    sections = [f"<h1>{title}</h1>",
                f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>',
                f"<p>{html.escape(summary)}</p>",
                "<h2>Patients</h2>", _overview(patients, assessment.classes)]
    for number, (_, row) in enumerate(patients.iterrows()):
        mask = (images["patient_id"] == row["patient_id"]).to_numpy()
        sections.append(_card(number, row, images[mask], assessment.landmarks,
                              assessment.scheme, assessment.classes))
    if len(assessment.failures):
        sections.append("<h2>Photos not analysed</h2>")
        sections.append(assessment.failures.to_html(index=False, border=0))
    sections.append("<h2>Software</h2>")
    sections.append(pd.DataFrame({"version": software_versions()})
                    .rename_axis("package").to_html(border=0))
    document = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_STYLE}{_CARD_STYLE}</style>\n</head>\n"
        "<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )
    report = atomic_write(out / "report.html", lambda handle: handle.write(document))
    return Bunch(table=str(table), report=str(report))
