"""Quality flags of landmarks: which faces a person should look at first.

Every measure of the package stands on the landmarks, and landmark models
fail on the faces that matter most (a drooping mouth corner, a closed eye,
a turned head). :func:`landmark_quality_flags` gives one row per image with
a flag per kind of trouble, the reasons in words and a priority, so that a
study of hundreds of photos can be screened before any number is trusted:
the review page (:func:`~sklearn_palsy.reporting.write_review_page`) opens
on the images with the highest priority, and ``sklearn-palsy review``
writes the same table beside the page.

The flags
---------
``flag_unreadable``
    The image could not be read (the error is in the reasons).
``flag_no_face``, ``flag_several_faces``
    The detector found no face, or more than one (the largest is used).
``flag_pose``
    The head is turned (yaw) or tilted (pitch) beyond the limits, estimated
    from the landmarks shown (:func:`~sklearn_palsy.faces.estimate_head_pose`).
``flag_border``
    Landmarks lie at the image's border (within 1 pixel) or beyond it.
``flag_disagreement``
    The landmarks shown and the other landmark model's (MediaPipe's points
    mapped to iBUG 68 against dlib's) disagree: the median over the 68
    points of their distance, after removing each point's usual offset
    between the two models (:data:`_MODEL_OFFSETS`, measured on the
    synthetic cohort), is above ``disagreement_threshold`` inter-ocular
    distances (IOD). See :data:`DISAGREEMENT_THRESHOLD` for what it finds.
``flag_eyes``
    The eyes are closed where the expression says open (the more closed eye's
    opening below the scheme's closed bound) or open where it says closed
    (``close_eyes``, ``close_eyes_tightly``: even the more closed eye above
    the open bound; a palsied eye may stay open, the healthy one closes).
``flag_side``
    The affected side computed from the landmarks (the patient's regional
    scores, :func:`~sklearn_palsy.clinical.regional_scores`) is the opposite
    of the ``side`` given (a manifest's).
``flag_outlier``
    A clinical measure of one side (brow height, MRD1, MRD2, palpebral
    fissure, commissure excursion, smile angle, dental show, right or left;
    :func:`~sklearn_palsy.preprocessing._features.clinical_features`) lies
    more than ``outlier_z`` robust standard
    deviations (1.4826 median absolute deviations) from the median of the
    images of the same expression (all images where an expression has fewer
    than 8), which a wrong point produces more often than a face does.
"""

import warnings

import numpy as np
import pandas as pd

from ..clinical._regional import EXPRESSION_ITEMS, regional_scores
from ..exceptions import InvalidLandmarksError
from ..faces._pose import estimate_head_pose
from ..faces._schemes import get_scheme, resolve_scheme
from ..preprocessing._features import clinical_feature_names, clinical_features

__all__ = [
    "DISAGREEMENT_THRESHOLD",
    "FLAG_COLUMNS",
    "SCORE_COLUMNS",
    "landmark_quality_flags",
]

#: The flag columns of :func:`landmark_quality_flags`, in the order of their
#: weight in the priority (worst first).
FLAG_COLUMNS = (
    "flag_unreadable",
    "flag_no_face",
    "flag_several_faces",
    "flag_disagreement",
    "flag_border",
    "flag_pose",
    "flag_eyes",
    "flag_side",
    "flag_outlier",
)
# How much each flag adds to an image's priority: what makes the numbers
# wrong outright comes before what makes them doubtful.
_WEIGHTS = dict(zip(FLAG_COLUMNS, (100, 90, 40, 30, 25, 20, 15, 15, 10), strict=True))

#: The regional scores shown per image (its patient's), and the side.
SCORE_COLUMNS = ("brow", "eye", "midface", "mouth", "total_score",
                 "affected_side", "side_confidence")

#: Median disagreement, in inter-ocular distances, above which the two
#: landmark models are said to disagree. It is the 95th percentile over 300
#: photos of the synthetic cohort (30 patients and 30 controls, five
#: expressions, 256 px, ``random_state=1``); on 300 others
#: (``random_state=2``) 5.3 % of the untouched faces are flagged (2 of 60 at
#: rest, 8 of 60 smiling), and 100 % of the faces whose MediaPipe points were
#: all displaced by 0.05 IOD (in one direction, or each point in its own).
#: A single point or one region displaced by 0.05 IOD is not found (recall
#: 5 %, and 65 % for the mouth's points): on clean faces the two models
#: already differ by 0.015 to 0.05 IOD per point. ``benchmarks/review_flags.py``
#: measures it.
DISAGREEMENT_THRESHOLD = 0.035

# mediapipe68 - dlib68 per iBUG point, in the eye frame of the landmarks
# shown (u along the eyes from the subject's right to left, v down), in IOD:
# the median over the calibration photos above. The two models place the
# jaw, brows and nose at different heights by design; only the departure
# from these offsets is disagreement.
# fmt: off
_MODEL_OFFSETS = np.array([
    [0.0334, 0.152], [0.0166, 0.0655], [-0.0051, -0.0135], [-0.0203, -0.0646],
    [-0.0537, -0.0786], [-0.0077, 0.0446], [0.0335, 0.07], [-0.0927, -0.0094],
    [0.0039, 0.0183], [0.099, -0.014], [-0.0205, 0.0667], [0.0248, 0.036],
    [0.0621, -0.082], [0.0237, -0.0683], [0.0017, -0.0146], [-0.0195, 0.0673],
    [-0.0358, 0.1472], [0.0331, -0.067], [-0.0121, -0.0064], [-0.074, -0.0002],
    [-0.0944, -0.0236], [-0.0566, 0.049], [0.0706, 0.0541], [0.1283, -0.0239],
    [0.1089, -0.0063], [0.0455, -0.016], [-0.0196, -0.0703], [0.0004, -0.0464],
    [0.0011, 0.0061], [-0.0007, 0.0423], [-0.0022, 0.0935], [-0.1043, -0.0089],
    [-0.0394, 0.0005], [-0.0029, -0.0135], [0.0356, 0.0026], [0.0976, -0.0067],
    [-0.0251, -0.0067], [-0.0409, 0.0014], [-0.0234, -0.0115], [0.0269, -0.0088],
    [0.0217, -0.0143], [0.002, -0.0081], [-0.0244, -0.0075], [0.0405, -0.007],
    [0.0715, 0.0051], [0.0554, -0.0046], [0.0342, -0.0033], [0.0009, -0.0096],
    [0.0048, -0.0135], [0.036, -0.0151], [-0.0009, -0.0009], [0.0077, -0.0062],
    [0.0137, -0.0009], [-0.0245, -0.0142], [0.0027, -0.0115], [-0.0424, 0.05],
    [0.0026, 0.0203], [0.0012, 0.0185], [-0.0018, 0.0172], [0.0448, 0.0457],
    [-0.0218, -0.011], [-0.0703, 0.0111], [0.0064, 0.0117], [0.0803, 0.0107],
    [0.0267, -0.0102], [0.0723, -0.0239], [0.0034, -0.0164], [-0.0699, -0.0227],
])
# fmt: on

# Eye opening (the two lid distances over the eye's width, iBUG 37-41,
# 38-40 over 36-39 and their mirrors) below which an eye is closed, and above
# which it is open, per scheme. On the synthetic cohort above, MediaPipe's
# open eyes have at least 0.175 (5th percentile 0.21) and its closed healthy
# eyes at most 0.15 (95th percentile 0.14); dlib places a closed eye's lids
# as if half open (median 0.19), so its closed bound is higher and an eye it
# shows open on a closing photo is flagged only when wide open.
_EYE_BOUNDS = {"mediapipe478": (0.15, 0.20), "ibug68": (0.20, 0.36)}
_CLOSING = frozenset({"close_eyes", "close_eyes_tightly"})
_OPEN = frozenset({"rest", *EXPRESSION_ITEMS} - _CLOSING)
_MIN_GROUP = 8
_BORDER_PX = 1.0


def _eye_frame(ibug):
    """Per face: the eye midpoint, the unit vector along the eyes, the IOD."""
    right = ibug[:, 36:42].mean(axis=1)
    left = ibug[:, 42:48].mean(axis=1)
    along = left - right
    iod = np.linalg.norm(along, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = along / iod[:, None]
    return unit, iod


def model_disagreement(shown, other, scheme):
    """Median per-point disagreement of two landmark models, in IOD.

    Parameters
    ----------
    shown : ndarray of shape (n, K, 2)
        The landmarks under review, of ``scheme``.
    other : ndarray of shape (n, K', 2)
        The other model's landmarks of the same photos (the other scheme);
        NaN rows where it found no face.
    scheme : LandmarkScheme
        The scheme of ``shown``.

    Returns
    -------
    disagreement : ndarray of shape (n,)
        NaN where either is missing.
    worst : ndarray of shape (n,) of int
        The iBUG point that departs most from its usual offset (-1 where
        missing).
    """
    shown68 = scheme.to_ibug68(shown)
    other_scheme = resolve_scheme("auto", other)
    other68 = other_scheme.to_ibug68(other)
    if scheme.n_landmarks == other_scheme.n_landmarks:
        raise ValueError("other_landmarks must come from the other landmark model "
                         f"(another scheme than {scheme.name})")
    mediapipe, dlib = ((shown68, other68) if scheme.name == "mediapipe478"
                       else (other68, shown68))
    unit, iod = _eye_frame(shown68)
    difference = mediapipe - dlib
    u = (difference * unit[:, None, :]).sum(axis=2)
    v = difference[..., 1] * unit[:, None, 0] - difference[..., 0] * unit[:, None, 1]
    framed = np.stack([u, v], axis=2) / iod[:, None, None]
    departure = np.linalg.norm(framed - _MODEL_OFFSETS, axis=2)
    missing = ~np.isfinite(departure).all(axis=1)
    departure[missing] = 0.0
    disagreement = np.median(departure, axis=1)
    worst = departure.argmax(axis=1)
    disagreement[missing] = np.nan
    worst[missing] = -1
    return disagreement, worst


def _eye_openings(ibug):
    """(n, 2) opening of the subject's right and left eye (see _EYE_BOUNDS)."""
    def opening(corner_a, top_a, top_b, corner_b, bottom_b, bottom_a):
        lids = (np.linalg.norm(ibug[:, top_a] - ibug[:, bottom_a], axis=1)
                + np.linalg.norm(ibug[:, top_b] - ibug[:, bottom_b], axis=1))
        width = np.linalg.norm(ibug[:, corner_a] - ibug[:, corner_b], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return lids / (2 * width)

    return np.stack([opening(36, 37, 38, 39, 40, 41),
                     opening(45, 44, 43, 42, 47, 46)], axis=1)


def _per_image(values, n, name, default=None):
    if values is None:
        return [default] * n
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but there are {n} images")
    return values


def _text(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _patient_scores(landmarks, expressions, patients, scheme):
    """Per image: its patient's regional scores (rest photo and expressions).

    A patient's first rest photo is its rest; the first photo of each other
    expression its expression photos. Patients without a usable rest photo
    get NaN. Images with no patient are their own patient.
    """
    n = len(landmarks)
    scores = pd.DataFrame(np.nan, index=range(n), columns=list(SCORE_COLUMNS),
                          dtype=object)
    order = {}
    for index, patient in enumerate(patients):
        order.setdefault(patient if patient is not None else ("image", index),
                         []).append(index)
    for rows in order.values():
        rest = [i for i in rows if expressions[i] in (None, "rest")
                and np.isfinite(landmarks[i]).all()]
        if not rest:
            continue
        given = {}
        for i in rows:
            if expressions[i] in EXPRESSION_ITEMS and expressions[i] not in given:
                given[expressions[i]] = landmarks[i][None]
        try:
            found = regional_scores(landmarks[rest[0]][None], expressions=given,
                                    scheme=scheme)
        except InvalidLandmarksError:
            continue
        for i in rows:
            scores.loc[i] = found.loc[0, list(SCORE_COLUMNS)].to_numpy()
    for column in SCORE_COLUMNS:
        if column != "affected_side":
            scores[column] = pd.to_numeric(scores[column])
    return scores


def _robust_outliers(values, groups, limit):
    """Per image, the names of the measures beyond ``limit`` robust sds."""
    found = [[] for _ in range(len(values))]
    keys = pd.Series(groups, dtype=object).fillna("")
    counts = keys.value_counts()
    for key in counts.index:
        rows = np.flatnonzero((keys == key).to_numpy()) if counts[key] >= _MIN_GROUP \
            else None
        if rows is None:
            continue
        _mark(values, rows, limit, found)
    small = keys.map(counts).to_numpy() < _MIN_GROUP
    if small.sum() >= _MIN_GROUP:
        _mark(values, np.flatnonzero(small), limit, found)
    return found


def _mark(values, rows, limit, found):
    block = values[rows]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        median = np.nanmedian(block, axis=0)
        spread = 1.4826 * np.nanmedian(np.abs(block - median), axis=0)
    usable = np.isfinite(spread) & (spread > 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(block - median) / np.where(usable, spread, np.nan)
    for position, row in enumerate(rows):
        beyond = np.flatnonzero(z[position] > limit)
        found[row] = [(int(column), float(z[position, column])) for column in beyond]


def landmark_quality_flags(
    landmarks, *, images=None, image_shapes=None, n_faces=None,
    other_landmarks=None, expressions=None, patients=None, sides=None,
    errors=None, scheme="auto", max_yaw=20.0, max_pitch=20.0,
    disagreement_threshold=DISAGREEMENT_THRESHOLD, outlier_z=8.0,
):
    """Flag the images whose landmarks most need a person's look.

    Parameters
    ----------
    landmarks : array-like of shape (n_images, n_landmarks, 2)
        The landmarks under review (detected, or corrected ones), in pixels
        of each image; rows of NaN where no face was found or the image
        could not be read.
    images : sequence of str, default=None
        The images' names, copied to the ``image`` column.
    image_shapes : sequence of (height, width), default=None
        Each image's size, for the border flag and the head pose's camera;
        None skips the border flag.
    n_faces : sequence of int, default=None
        How many faces the detector found in each image; None takes one
        where landmarks are given and none where they are NaN.
    other_landmarks : array-like of shape (n_images, n_other, 2), default=None
        The other landmark model's detection of the same images (dlib's
        68 points against MediaPipe's 478, or the reverse), NaN rows where
        it found no face; None skips the disagreement flag.
    expressions : sequence of str, default=None
        The expression of each photo (:data:`~sklearn_palsy.clinical.
        EXPRESSIONS` names, ``"rest"``); None, or None entries, for photos
        whose expression is not known (taken as open-eyed rest).
    patients : sequence of str, default=None
        The patient of each photo; a patient's photos are scored together
        (its rest photo and its expressions). None: every photo is its own.
    sides : sequence of {"right", "left", "none", None}, default=None
        The affected side given for each photo's patient (a manifest's
        ``side``); the side flag compares it with the computed one.
    errors : sequence of str or None, default=None
        Why an image could not be read, where it could not.
    scheme : {"auto", "ibug68", "mediapipe478", ...}, default="auto"
        The scheme of ``landmarks``.
    max_yaw, max_pitch : float, default=20.0
        The head-pose limits in degrees (those of ``assess``).
    disagreement_threshold : float, default=DISAGREEMENT_THRESHOLD
        In inter-ocular distances.
    outlier_z : float, default=8.0
        Robust standard deviations beyond which a measure is an outlier.

    Returns
    -------
    flags : pandas.DataFrame
        One row per image, in input order: ``image``, ``patient_id``,
        ``expression``, ``n_faces``, ``yaw``, ``pitch``, ``roll``,
        ``border_points``, ``disagreement_iod``, ``disagreement_point`` (the
        iBUG point that departs most), ``eye_opening_right``,
        ``eye_opening_left``, the regional scores of :data:`SCORE_COLUMNS`,
        ``side_given``, the boolean columns of :data:`FLAG_COLUMNS`,
        ``n_flags``, ``priority`` (higher: look first) and ``reasons`` (the
        flags in words, "; "-separated).

    See Also
    --------
    write_review_page : The page that shows the flags and lets a person
        correct the landmarks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.reporting import landmark_quality_flags
    >>> face = IBUG68_MEAN_FACE * 60 + 100
    >>> faces = np.stack([face, face - 100, np.full_like(face, np.nan)])
    >>> flags = landmark_quality_flags(faces, image_shapes=[(300, 300)] * 3)
    >>> flags[["flag_border", "flag_no_face"]].to_numpy().tolist()
    [[False, False], [True, False], [False, True]]
    >>> flags.loc[1, "reasons"]
    '48 landmarks at or beyond the image border'
    """
    stack = np.asarray(landmarks, dtype=np.float64)
    if stack.ndim != 3 or stack.shape[2] != 2:
        raise InvalidLandmarksError(
            f"landmarks have shape {stack.shape}; expected (n_images, n_points, 2)")
    n = len(stack)
    scheme = get_scheme(scheme) if scheme != "auto" else resolve_scheme("auto", stack)
    names = _per_image(images, n, "images")
    expressions = [_text(value) for value in _per_image(expressions, n, "expressions")]
    patients = [_text(value) for value in _per_image(patients, n, "patients")]
    sides = [_text(value) for value in _per_image(sides, n, "sides")]
    errors = [_text(value) for value in _per_image(errors, n, "errors")]
    shapes = _per_image(image_shapes, n, "image_shapes")
    found = np.isfinite(stack).all(axis=(1, 2))
    faces = [int(value) if value is not None else int(ok) for value, ok in
             zip(_per_image(n_faces, n, "n_faces"), found, strict=True)]
    reasons = [[] for _ in range(n)]
    frame = pd.DataFrame({"image": names, "patient_id": patients,
                          "expression": expressions, "n_faces": faces})
    flags = {column: np.zeros(n, dtype=bool) for column in FLAG_COLUMNS}

    for i in range(n):
        if errors[i] is not None:
            flags["flag_unreadable"][i] = True
            reasons[i].append(f"unreadable: {errors[i]}")
        elif not found[i]:
            flags["flag_no_face"][i] = True
            reasons[i].append("no face found")
        elif faces[i] > 1:
            flags["flag_several_faces"][i] = True
            reasons[i].append(f"{faces[i]} faces found (the largest is shown)")

    # Head pose, with each image's camera where its size is known.
    poses = np.full((n, 3), np.nan)
    for i in np.flatnonzero(found):
        size = None if shapes[i] is None else tuple(shapes[i])[:2]
        poses[i] = estimate_head_pose(stack[i], scheme=scheme, image_size=size)
    frame[["yaw", "pitch", "roll"]] = poses
    for i in np.flatnonzero(found):
        beyond = [f"{name} {value:+.0f}° beyond ±{limit:g}°" for name, value, limit in
                  (("yaw", poses[i, 0], max_yaw), ("pitch", poses[i, 1], max_pitch))
                  if limit is not None and abs(value) > limit]
        if beyond:
            flags["flag_pose"][i] = True
            reasons[i].append("head pose: " + ", ".join(beyond))

    # The border.
    border = np.zeros(n, dtype=int)
    for i in np.flatnonzero(found):
        if shapes[i] is None:
            continue
        height, width = tuple(shapes[i])[:2]
        x, y = stack[i, :, 0], stack[i, :, 1]
        beyond = ((x < _BORDER_PX) | (y < _BORDER_PX)
                  | (x > width - 1 - _BORDER_PX) | (y > height - 1 - _BORDER_PX))
        border[i] = int(beyond.sum())
        if border[i]:
            flags["flag_border"][i] = True
            reasons[i].append(f"{border[i]} landmarks at or beyond the image border")
    frame["border_points"] = border

    # The two models.
    disagreement, worst = np.full(n, np.nan), np.full(n, -1)
    if other_landmarks is not None:
        other = np.asarray(other_landmarks, dtype=np.float64)
        if len(other) != n:
            raise ValueError(f"other_landmarks has {len(other)} faces but there are "
                             f"{n} images")
        disagreement, worst = model_disagreement(stack, other, scheme)
        for i in np.flatnonzero(disagreement > disagreement_threshold):
            flags["flag_disagreement"][i] = True
            reasons[i].append(
                f"the two landmark models disagree: {disagreement[i]:.3f} IOD "
                f"(median over the 68 points; flagged above "
                f"{disagreement_threshold:g}), most at iBUG point {worst[i]}")
    frame["disagreement_iod"] = disagreement
    frame["disagreement_point"] = worst

    # Eyes.
    ibug = scheme.to_ibug68(stack)
    openings = _eye_openings(ibug)
    frame["eye_opening_right"] = openings[:, 0]
    frame["eye_opening_left"] = openings[:, 1]
    closed_below, open_above = _EYE_BOUNDS.get(scheme.name, _EYE_BOUNDS["ibug68"])
    more_closed = np.min(openings, axis=1)
    for i in np.flatnonzero(found):
        expression = expressions[i] or "rest"
        if expression in _OPEN and more_closed[i] < closed_below:
            flags["flag_eyes"][i] = True
            reasons[i].append(f"an eye is closed ({more_closed[i]:.2f}) but the "
                              f"expression is {expression}")
        elif expression in _CLOSING and more_closed[i] > open_above:
            flags["flag_eyes"][i] = True
            reasons[i].append(f"both eyes are open ({more_closed[i]:.2f}) but the "
                              f"expression is {expression}")

    # Regional scores and the affected side, from the landmarks shown.
    scores = _patient_scores(stack, expressions, patients, scheme)
    for column in SCORE_COLUMNS:
        frame[column] = scores[column].to_numpy()
    frame["side_given"] = sides
    for i in range(n):
        computed, given = scores.loc[i, "affected_side"], sides[i]
        if {computed, given} == {"right", "left"}:
            flags["flag_side"][i] = True
            reasons[i].append(f"the landmarks put the affected side on the {computed}"
                              f", the manifest on the {given}")

    # Measures far outside the cohort's range.
    rows = np.flatnonzero(found)
    if len(rows) >= _MIN_GROUP:
        # Each side's own measures: a misplaced point moves one of them,
        # where the asymmetries also move with a palsy (what is measured).
        names_all = clinical_feature_names(scheme)
        kept = [c for c, name in enumerate(names_all)
                if "_right" in name or "_left" in name]
        measure_names = [names_all[c] for c in kept]
        values = np.full((n, len(kept)), np.nan)
        for i in rows:
            try:
                values[i] = clinical_features(stack[i][None], scheme)[0, kept]
            except InvalidLandmarksError:
                continue
        outliers = _robust_outliers(values, [e or "rest" for e in expressions],
                                    outlier_z)
        for i in rows:
            if outliers[i]:
                flags["flag_outlier"][i] = True
                shown = ", ".join(f"{measure_names[c]} ({z:.0f} sd)"
                                  for c, z in sorted(outliers[i],
                                                     key=lambda t: -t[1])[:3])
                reasons[i].append(f"measures far outside the cohort's: {shown}")

    for column in FLAG_COLUMNS:
        frame[column] = flags[column]
    frame["n_flags"] = np.sum([flags[c] for c in FLAG_COLUMNS], axis=0).astype(int)
    priority = np.sum([flags[c] * _WEIGHTS[c] for c in FLAG_COLUMNS], axis=0)
    # Within a weight, the stronger disagreement first.
    frame["priority"] = priority + np.nan_to_num(disagreement, nan=0.0)
    frame["reasons"] = ["; ".join(found_reasons) for found_reasons in reasons]
    return frame

