"""The package's eFACE items next to Emotrics+'s, on the same landmarks.

Emotrics+ (Guarin et al.; ``MEA-Summer/Emotrics_Plus``) computes an
automatic eFACE from dlib's 68 iBUG points, eight points that it places on
the nasolabial folds, and two iris circles. This script re-implements its
item formulas from its source (``Compute_eFace.py``: ``Compute_eFace``;
``Metrics.py``: ``get_measurements_from_data`` and the functions it calls,
each cited where it is used), without importing any of the package's
measures, and applies them to the same iBUG-68 landmarks as
:func:`sklearn_palsy.clinical.regional_scores`:

* constructed faces: ``IBUG68_MEAN_FACE * 100 + 250`` (an inter-ocular
  distance of 100 px) with its points moved by known amounts, a healthy
  face and a mild (k = 0.3) and a severe (k = 0.8) palsy of the subject's
  right: at rest the brow droops 8k px, the lower lid falls 3k px (a wider
  eye) and the commissure falls 6k px and moves 3k px towards the midline
  (a drooping corner, a flatter ala -> commissure line); on the seven
  expression photos the right side moves (1 - k) times as far as the left
  (eye closure 1 - 0.8k gentle and 1 - 0.5k full), and the severe face's
  right eye narrows by a further 25 % on smiling and puckering (ocular
  synkinesis); and a healthy face whose right commissure is raised 4 px at
  rest (a hypertonic corner);
* a small synthetic cohort's true landmarks
  (``make_synthetic_cohort(n_patients=3, n_controls=2, ...)``, rest, smile,
  raise eyebrows, close eyes and pucker; its full eye closure and lower-lip
  photos do not exist there, so those items are NaN in both).

The clinician's side is given to both, as Emotrics+ always takes it: the
cohort's true side for patients, the subject's right (nominally) for
controls and for the constructed faces. Where Emotrics+ needs its iris
circles, the pupils are the midpoints of each eye's canthi (36-39, 42-45,
which is also the package's reference for iBUG 68), and every photo's two
circles have a diameter of 11.77 / 63 of the distance between them, so
that Emotrics+'s millimetre is 1/63 of an inter-ocular distance on both
sides and in both implementations: every item is a ratio
of the two sides, and this scale only sets the 1 mm below which a closed
eye counts as shut, as in the package. The eight nasolabial points, which
iBUG 68 lacks, are four points evenly spaced on the ala -> commissure line
(31 -> 48, 35 -> 54) per side, the package's stand-in for the fold.

It prints, per face, a table of each item: the package's value, Emotrics+'s,
the difference, and the reason for any difference beyond Emotrics+'s
rounding to 0.1 (the departure documented in docs/clinical.rst). Not part of
``make bench``; about five seconds on one core::

    .venv/bin/python benchmarks/emotrics_comparison.py               # Markdown
    .venv/bin/python benchmarks/emotrics_comparison.py --format rst  # the docs
"""

import argparse
import datetime
import warnings

import numpy as np
from scipy.interpolate import UnivariateSpline

from sklearn_palsy.clinical import regional_scores
from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.faces import IBUG68_MEAN_FACE

# Metrics.get_measurements_from_data: the iris diameter in mm behind
# CalibrationType == 'Iris' (Calibration = 11.77 / (2 * radius)).
IRIS_DIAMETER_MM = 11.77
# A typical adult's inter-ocular distance, the package's 1 mm = 1/63 IOD.
INTER_OCULAR_MM = 63.0
# estimate_lines draws the midline over half the image height either way;
# only its direction is used.
IMAGE_HEIGHT = 1000.0

# --------------------------------------------------------------------------
# Emotrics+, Metrics.py

# "spline": Emotrics+'s smoothing splines; "polyline": the same formulas
# with each spline replaced by linear interpolation between the landmarks,
# the package's curves, which tells a difference of curves from one of
# formulas.
_curves = "spline"


def _curve(x, y, s=None):
    """UnivariateSpline(x, y, s=s) as Metrics.py fits it, or the polyline."""
    if _curves == "spline":
        return UnivariateSpline(x, y) if s is None else UnivariateSpline(x, y, s=s)
    order = np.argsort(x)
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]

    def polyline(at):
        at = np.asarray(at, float)
        inside = np.interp(at, x, y)
        # Straight on beyond the ends, as a spline extrapolates.
        low = y[0] + (at - x[0]) * (y[1] - y[0]) / (x[1] - x[0])
        high = y[-1] + (at - x[-1]) * (y[-1] - y[-2]) / (x[-1] - x[-2])
        return np.where(at < x[0], low, np.where(at > x[-1], high, inside))

    return polyline


def _rotation(rot_angle):
    # The rot_matrix of every function in Metrics.py.
    return np.array(
        [
            [np.cos(rot_angle), np.sin(rot_angle)],
            [-np.sin(rot_angle), np.cos(rot_angle)],
        ]
    )


def emotrics_midline(right_pupil, left_pupil):
    """Metrics.estimate_lines, then find_rot_angle_and_center: (rot_angle, center).

    The GUI rounds the midline's points to whole pixels; here they are not
    rounded (a sub-pixel shift of the centre).
    """
    x_1, y_1 = right_pupil
    x_2, y_2 = left_pupil
    x_m = (x_2 - x_1) / 2 + x_1
    m = (y_2 - y_1) / (x_2 - x_1)
    y_m = y_1 + m * (x_m - x_1)
    angle = np.arctan(m) + np.pi / 2
    top = (
        x_m + 0.5 * IMAGE_HEIGHT * np.cos(angle),
        y_m + 0.5 * IMAGE_HEIGHT * np.sin(angle),
    )
    bottom = (
        x_m - 0.5 * IMAGE_HEIGHT * np.cos(angle),
        y_m - 0.5 * IMAGE_HEIGHT * np.sin(angle),
    )
    if bottom[0] - top[0] == 0:
        rot_angle = 0.0
    else:
        slope = (bottom[1] - top[1]) / (bottom[0] - top[0])
        rot_angle = np.arctan(slope) - np.pi / 2
        if rot_angle < -np.pi / 2:
            rot_angle += np.pi
    return rot_angle, np.array([x_m, y_m])


def emotrics_rotate_axis(points, rot_angle, displacement):
    """Metrics.rotate_axis: where a smoothing spline (s=1) through points crosses
    the rotated vertical through displacement, in image coordinates."""
    rot_x, rot_y = _rotation(rot_angle).dot(
        [points[:, 0] - displacement[0], points[:, 1] - displacement[1]]
    )
    spline = _curve(rot_x, rot_y, s=1)
    new_x, new_y = _rotation(rot_angle).T.dot([0.0, float(spline(0.0))])
    return np.array([new_x + displacement[0], new_y + displacement[1]])


def emotrics_mouth_measures(center, point, rot_angle):
    """Metrics.mouth_measures: (distance, angle in degrees, |vertical offset|)."""
    rot_x, rot_y = _rotation(rot_angle).dot(
        [point[0] - center[0], point[1] - center[1]]
    )
    distance = np.sqrt(rot_x**2 + rot_y**2)
    angle = np.arcsin(-rot_y / distance) * (180 / np.pi)
    return distance, angle, abs(rot_y)


def emotrics_palpebral_fissure_height(eye, rot_angle, center):
    """Metrics.palpebral_fissure_height of the six lid points (36-41 or 42-47)."""
    rotation = _rotation(rot_angle)
    rot_x, rot_y = rotation.dot([eye[0:4, 0] - center[0], eye[0:4, 1] - center[1]])
    spline_upper = _curve(rot_x, rot_y)  # the default smoothing, as there
    mid_upper = (rot_x[1] + rot_x[2]) / 2
    lower = eye[[0, 5, 4, 3]]
    rot_x, rot_y = rotation.dot([lower[:, 0] - center[0], lower[:, 1] - center[1]])
    spline_lower = _curve(rot_x, rot_y, s=1)
    mid_lower = (rot_x[1] + rot_x[2]) / 2
    mid_mid = (mid_upper + mid_lower) / 2
    upper_lid = rotation.T.dot([mid_mid, float(spline_upper(mid_mid))])
    lower_lid = rotation.T.dot([mid_mid, float(spline_lower(mid_mid))])
    return float(np.linalg.norm(upper_lid - lower_lid))


def emotrics_nlf_angles(shape, right_fold, left_fold, rot_angle):
    """Metrics.find_NLF: each fold's angle from the vertical, in degrees (0: none)."""
    len_eye = np.linalg.norm(shape[36] - shape[39])
    angles = []
    for fold, sign in ((right_fold, -1.0), (left_fold, 1.0)):
        if np.linalg.norm(fold[0] - fold[-1]) < len_eye / 2:
            angle = 0.0  # "NLF was not found"
        else:
            slope, _ = np.polyfit(fold[:, 0], fold[:, 1], 1)
            angle = np.rad2deg((np.pi / 2 - abs(np.arctan(slope))) + sign * rot_angle)
        angles.append(0.0 if angle >= 80 else angle)
    return angles


def _lower_inside_point(shape, commissure, radius, rot_angle):
    """Metrics.find_point_in_lips: the inner lower lip below the upper-lip point
    at ``radius`` from the commissure (the rest of that function is unused here)."""
    rotation = _rotation(rot_angle)
    upper = shape[48:55]
    rot_x, rot_y = rotation.dot(
        [upper[:, 0] - commissure[0], upper[:, 1] - commissure[1]]
    )
    spline = _curve(rot_x, rot_y, s=1)
    grid = np.arange(int(round(min(rot_x), 0)), int(round(max(rot_x), 0)) + 1)
    values = spline(grid)
    index = np.argmin(abs(np.sqrt(grid * grid + values * values) - radius))
    upper_point = rotation.T.dot([grid[index], values[index]]) + commissure
    inner_lower = shape[[60, 67, 66, 65, 64]]
    rot_x, rot_y = rotation.dot(
        [inner_lower[:, 0] - upper_point[0], inner_lower[:, 1] - upper_point[1]]
    )
    spline = _curve(rot_x, rot_y, s=1)
    return rotation.T.dot([0.0, float(spline(0.0))]) + upper_point


def emotrics_measurements(shape):
    """Metrics.get_measurements_from_data for one iBUG-68 face.

    Returns ``{"right": {...}, "left": {...}}`` of BrowHeight,
    PalpebralFissureHeight, CommissurePosition, SmileAngle, NLF_angle and
    LowerLipHeight, lengths in Emotrics+'s mm (see the module docstring for
    the iris circles).
    """
    shape = np.asarray(shape, float)
    right_pupil = shape[[36, 39]].mean(axis=0)
    left_pupil = shape[[42, 45]].mean(axis=0)
    rot_angle, center = emotrics_midline(right_pupil, left_pupil)
    # The eight fold points iBUG 68 lacks: four on ala -> commissure per side.
    steps = np.linspace(0.0, 1.0, 4)[:, None]
    right_fold = shape[31] + steps * (shape[48] - shape[31])
    left_fold = shape[35] + steps * (shape[54] - shape[35])
    nlf_right, nlf_left = emotrics_nlf_angles(shape, right_fold, left_fold, rot_angle)
    # Iris circles of diameter 11.77/63 IOD: Calibration = 63 mm / IOD.
    radius = (
        IRIS_DIAMETER_MM
        / INTER_OCULAR_MM
        * np.linalg.norm(left_pupil - right_pupil)
        / 2
    )
    calibration = IRIS_DIAMETER_MM / (2 * radius)
    outer_lower = shape[[48, 59, 58, 57, 56, 55, 54]]
    cross_lowerlip = emotrics_rotate_axis(outer_lower, rot_angle, center)  # Lmid
    # find_mid_point_lips, with its y2 - center[0] (sic; nil on a level face).
    rotation = _rotation(rot_angle)
    x_left_rot = rotation.dot([shape[54, 0] - center[0], shape[54, 1] - center[1]])[0]
    x_right_rot = rotation.dot([shape[48, 0] - center[0], shape[48, 1] - center[0]])[0]
    distances = {"left": abs(x_left_rot / 2), "right": abs(x_right_rot / 2)}
    # lower_Lip_Height: the jaw (5-11) as a spline of image x, unrotated.
    spline_jaw = _curve(shape[5:12, 0], shape[5:12, 1], s=1)
    result = {}
    for side, pupil, brow, eye, corner, nlf in (
        ("right", right_pupil, shape[17:22], shape[36:42], 48, nlf_right),
        ("left", left_pupil, shape[22:27], shape[42:48], 54, nlf_left),
    ):
        excursion, angle, _ = emotrics_mouth_measures(
            cross_lowerlip, shape[corner], rot_angle
        )
        _, _, brow_height = emotrics_mouth_measures(
            pupil, emotrics_rotate_axis(brow, rot_angle, pupil), rot_angle
        )
        lip = _lower_inside_point(shape, shape[corner], distances[side], rot_angle)
        result[side] = {
            "BrowHeight": brow_height * calibration,
            "PalpebralFissureHeight": emotrics_palpebral_fissure_height(
                eye, rot_angle, center
            )
            * calibration,
            "CommissurePosition": excursion * calibration,
            "SmileAngle": 90 + angle,
            "NLF_angle": nlf,
            "LowerLipHeight": abs(float(spline_jaw(lip[0])) - lip[1]) * calibration,
        }
    return result


# --------------------------------------------------------------------------
# Emotrics+, Compute_eFace.py: Compute_eFace


def emotrics_eface(photos, reference_side):
    """Compute_eFace.Compute_eFace on measurements of each photo.

    ``photos`` maps Emotrics+'s photos (Resting, BigSmile, BrowRaise,
    GentleEyeClosure, TightEyeClosure, ooooo, eeeek) to
    :func:`emotrics_measurements`; a photo that is missing leaves its items
    NaN (Emotrics+ needs all seven). ``reference_side`` is the healthy side,
    "Right" or "Left" as there.
    """
    healthy, affected = (
        ("right", "left") if reference_side == "Right" else ("left", "right")
    )
    rest = photos["Resting"]
    H, A = rest[healthy], rest[affected]
    nan = np.nan
    items = {}
    # 1) brow at rest, 2) palpebral fissure at rest
    items["Brow_at_rest"] = np.round(A["BrowHeight"] / H["BrowHeight"] * 100, 1)
    items["PalpebralFissure_at_rest"] = np.round(
        H["PalpebralFissureHeight"] / A["PalpebralFissureHeight"] * 100, 1
    )

    # 3) oral commissure at rest: e the height above Lmid, d the distance
    # from the midline; the height ratio only while the affected corner is
    # lower than the healthy one and above Lmid.
    def e_d(side):
        angle = (side["SmileAngle"] - 90) * np.pi / 180
        return (
            np.sin(angle) * side["CommissurePosition"],
            np.cos(angle) * side["CommissurePosition"],
        )

    e_a, d_a = e_d(A)
    e_h, d_h = e_d(H)
    ratio = 1 - (e_h - e_a) / e_h if e_h > e_a > 0 else d_a / d_h
    items["OralCommissure_at_rest"] = np.round(ratio * 100, 1)
    # 4) NLF at rest: ratio of complements where the affected fold is
    # further from the vertical, folding both directions below 100.
    nlf_a, nlf_h = A["NLF_angle"], H["NLF_angle"]
    if nlf_a == 0 or nlf_h == 0:
        nlf = 1.0 if nlf_a == 0 and nlf_h == 0 else 0.0
    elif nlf_a > nlf_h:
        nlf = (90 - nlf_a) / (90 - nlf_h)
    else:
        nlf = nlf_a / nlf_h
    items["NLF_at_rest"] = np.round(nlf * 100, 1)

    def movement(photo, measure, *, rest_measures=True):
        if photo not in photos:
            return nan
        moved = photos[photo]
        a_move = moved[affected][measure] - (A[measure] if rest_measures else 0)
        h_move = moved[healthy][measure] - (H[measure] if rest_measures else 0)
        return 0.0 if h_move == 0 else np.round(a_move / h_move * 100, 1)

    # 5) brow elevation, 8) oral commissure with (big) smile
    items["BrowRaise"] = movement("BrowRaise", "BrowHeight")
    items["OralCommissureWithSmile"] = movement("BigSmile", "CommissurePosition")
    # 6), 7) eye closure: the affected eye's own (c - |g|) / c, g < 1 mm -> 0
    for item, photo in (
        ("GentleEyeClosure", "GentleEyeClosure"),
        ("FullEyeClosure", "TightEyeClosure"),
    ):
        if photo not in photos:
            items[item] = nan
            continue
        g = photos[photo][affected]["PalpebralFissureHeight"]
        g = 0.0 if g < 1 else g
        c = A["PalpebralFissureHeight"]
        items[item] = np.round((c - abs(g)) / c * 100, 1)
    # 9) lower lip EEE: the lip-to-jaw heights on the photo alone
    if "eeeek" in photos:
        j = photos["eeeek"]
        items["LowerLipEEE"] = (
            np.round(
                j[affected]["LowerLipHeight"] / j[healthy]["LowerLipHeight"] * 100, 1
            )
            if j[healthy]["LowerLipHeight"]
            else 0.0
        )
    else:
        items["LowerLipEEE"] = nan
    # Ocular synkinesis: the lower of the smile's and the ooooo's k_a / k_h
    synkinesis = [
        photos[p][affected]["PalpebralFissureHeight"]
        / photos[p][healthy]["PalpebralFissureHeight"]
        for p in ("BigSmile", "ooooo")
        if p in photos
    ]
    items["OcularSynkinesis"] = (
        np.round(min(synkinesis) * 100, 1) if synkinesis else nan
    )
    # Clipping: static items to [0, 200], dynamic and synkinesis to [0, 100]
    static = (
        "Brow_at_rest",
        "PalpebralFissure_at_rest",
        "OralCommissure_at_rest",
        "NLF_at_rest",
    )
    for item in items:
        items[item] = float(np.clip(items[item], 0, 200 if item in static else 100))
    # "Tessa's idea": static items folded, 100 - |100 - x|; unweighted means.
    # With photos missing, the means are over the items that could be
    # scored (Emotrics+ has all seven photos).
    folded = {item: 100 - abs(100 - items[item]) for item in static}
    dynamic = [
        items[i]
        for i in (
            "BrowRaise",
            "GentleEyeClosure",
            "FullEyeClosure",
            "OralCommissureWithSmile",
            "LowerLipEEE",
        )
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        items["StaticScore"] = float(np.nanmean(list(folded.values())))
        items["DynamicScore"] = float(np.nanmean(dynamic))
        items["SynkinesisScore"] = items["OcularSynkinesis"]
        items["Total_Score"] = float(
            np.nanmean([*folded.values(), *dynamic, items["OcularSynkinesis"]])
        )
    return items


# --------------------------------------------------------------------------
# The comparison

# The package's photo names -> Emotrics+'s (Compute_eFace's Patient photos).
PHOTOS = {
    "rest": "Resting",
    "smile": "BigSmile",
    "raise_eyebrows": "BrowRaise",
    "close_eyes": "GentleEyeClosure",
    "close_eyes_tightly": "TightEyeClosure",
    "pucker": "ooooo",
    "show_lower_teeth": "eeeek",
}

# The reason for a difference that the polyline variant of Emotrics+'s
# formulas removes (see ``_curve``).
CURVES = (
    "curves: Emotrics+ fits smoothing splines (s = 1 px²) through the "
    "landmark runs; the package interpolates the polyline"
)
# package item -> (Emotrics+'s item, the formula's departure: the reason for
# a difference that the polyline variant leaves; None where there is none).
ITEMS = {
    "brow_at_rest": ("Brow_at_rest", None),
    "palpebral_fissure_at_rest": ("PalpebralFissure_at_rest", None),
    "nasolabial_fold_at_rest": (
        "NLF_at_rest",
        "the 0-200 direction: a fold further from the vertical than the "
        "healthy one is mirrored above 100, 200 - x (Emotrics+ folds it below)",
    ),
    "oral_commissure_at_rest": (
        "OralCommissure_at_rest",
        "the branch: the package keeps the height ratio while the healthy "
        "corner is above Lmid; Emotrics+ takes the midline distances "
        "when the affected corner is the higher one",
    ),
    "brow_elevation": ("BrowRaise", None),
    "gentle_eye_closure": ("GentleEyeClosure", None),
    "full_eye_closure": ("FullEyeClosure", None),
    "nasolabial_fold_with_smile": (None, "no Emotrics+ formula"),
    "oral_commissure_with_smile": ("OralCommissureWithSmile", None),
    "lower_lip_movement": (
        "LowerLipEEE",
        "the lower lip: the package takes its fall from rest above the chin "
        "(8); Emotrics+ the lip-to-jaw heights on the photo alone, a / h, "
        "over 100 (clipped) when the affected lip falls less",
    ),
    "ocular_synkinesis": (
        "OcularSynkinesis",
        "own fissure at rest: the package divides each eye's fissure on the "
        "photo by its own at rest; Emotrics+ compares the photo's alone, "
        "which the palsied eye's wider opening masks",
    ),
    "oral_synkinesis": (None, "no Emotrics+ formula"),
    "static_score": ("StaticScore", "follows its items"),
    "dynamic_score": ("DynamicScore", "follows its items"),
    "synkinesis_score": (
        "SynkinesisScore",
        "the package also averages oral synkinesis",
    ),
    "total_score": ("Total_Score", "weights"),  # see _reason
}
_TOTAL_ITEMS = (
    "brow_at_rest_deviation",
    "palpebral_fissure_at_rest_deviation",
    "nasolabial_fold_at_rest_deviation",
    "oral_commissure_at_rest_deviation",
    "brow_elevation",
    "gentle_eye_closure",
    "full_eye_closure",
    "oral_commissure_with_smile",
    "lower_lip_movement",
    "ocular_synkinesis",
)
# Emotrics+ rounds every item to 0.1: smaller differences are rounding.
_ROUNDING = 0.15


def _emotrics(rest, expressions, side, curves):
    global _curves
    _curves = curves
    try:
        photos = {PHOTOS["rest"]: emotrics_measurements(rest)}
        photos.update(
            (PHOTOS[name], emotrics_measurements(values))
            for name, values in expressions.items()
        )
        return emotrics_eface(
            photos, reference_side="Left" if side == "right" else "Right"
        )
    finally:
        _curves = "spline"


def _reason(item, package, emotrics, polyline, package_row):
    """Why the package's value differs from Emotrics+'s, checked where it can be."""
    emotrics_item, departure = ITEMS[item]
    difference = package - emotrics
    if emotrics_item is None:
        return departure
    if not np.isfinite(difference):
        if not (np.isfinite(package) or np.isfinite(emotrics)):
            return "photo not taken"
        return "NaN in one: no healthy movement to compare with"
    if abs(difference) < _ROUNDING:
        return "—"
    if abs(package - polyline) < _ROUNDING:
        return CURVES
    if item == "total_score":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            plain = float(np.nanmean([package_row[name] for name in _TOTAL_ITEMS]))
        return (
            "weights: the package weights the dynamic items twice (Banks et "
            "al.) and adds oral synkinesis; Emotrics+ averages ten items "
            f"unweighted (the package's ten so averaged: {plain:.1f})"
        )
    return departure or "unexplained"


def compare(rest, expressions, side):
    """Rows ``(item, package, Emotrics+, reason)`` for one face.

    ``rest`` is (68, 2), ``expressions`` maps the package's photo names to
    (68, 2) landmarks, ``side`` is the affected side, "right" or "left".
    """
    package = regional_scores(
        rest[None],
        expressions={name: values[None] for name, values in expressions.items()},
        scheme="ibug68",
        side=side,
    ).iloc[0]
    emotrics = _emotrics(rest, expressions, side, "spline")
    polyline = _emotrics(rest, expressions, side, "polyline")
    rows = []
    for item, (emotrics_item, _) in ITEMS.items():
        value = np.nan if emotrics_item is None else emotrics[emotrics_item]
        plain = np.nan if emotrics_item is None else polyline[emotrics_item]
        rows.append(
            (
                item,
                float(package[item]),
                value,
                _reason(item, float(package[item]), value, plain, package),
            )
        )
    return rows


# -- the constructed faces ----------------------------------------------------

# The subject's right and left (image left and right): brow, upper lid
# (37, 38), lower lid (41, 40), corner, the lip points beside the corner,
# the inner lower lip, and the outward direction in image x.
_PARTS = ("brow", "upper_lid", "lower_lid", "corner", "beside", "outer_lower",
          "inner_lower", "outward")
SIDES = {
    side: dict(zip(_PARTS, parts, strict=True))
    for side, parts in (
        ("right", (list(range(17, 22)), [37, 38], [41, 40], 48, [49, 59, 60],
                   [59, 58], [67], -1.0)),
        ("left", (list(range(22, 27)), [44, 43], [46, 47], 54, [53, 55, 64],
                  [55, 56], [65], 1.0)),
    )
}


def constructed_face(severity, synkinesis=False, corner_lift=0.0):
    """A face whose right side is palsied by ``severity`` k in [0, 1] (0 healthy).

    ``corner_lift`` raises the right commissure (and half of it the lip
    points beside it) by that many pixels at rest, as a hypertonic corner.
    Returns the rest landmarks and a dict of the seven expression photos.
    """
    base = IBUG68_MEAN_FACE * 100 + 250
    rest = base.copy()
    right = SIDES["right"]
    rest[right["brow"], 1] += 8 * severity  # the brow droops
    rest[right["lower_lid"], 1] += 3 * severity  # the eye opens wider
    droop = np.array([3 * severity, 6 * severity])  # medial and down
    rest[right["corner"]] += droop
    rest[right["beside"]] += droop / 2
    rest[right["corner"], 1] -= corner_lift
    rest[right["beside"], 1] -= corner_lift / 2

    def gain(side):
        return 1.0 - severity if side == "right" else 1.0

    def moved(change):
        face = rest.copy()
        for side, points in SIDES.items():
            change(face, points, gain(side), side)
        return face

    def raise_brows(face, p, g, side):
        face[p["brow"], 1] -= 15 * g

    def closure(gentle):
        def close(face, p, g, side):
            share = 1.0 if side == "left" else 1.0 - (0.8 if gentle else 0.5) * severity
            fissure = face[p["lower_lid"], 1] - face[p["upper_lid"], 1]
            face[p["upper_lid"], 1] += share * fissure

        return close

    def narrow(face, p, side, share):
        fissure = face[p["lower_lid"], 1] - face[p["upper_lid"], 1]
        face[p["lower_lid"], 1] -= share * fissure

    def smile(face, p, g, side):
        lift = np.array([10 * p["outward"], -10.0]) * g
        face[p["corner"]] += lift
        face[p["beside"]] += lift / 2
        narrow(face, p, side, 0.10 + (0.25 if synkinesis and side == "right" else 0.0))

    def pucker(face, p, g, side):
        face[p["corner"], 0] -= 8 * p["outward"] * g
        face[p["beside"], 0] -= 4 * p["outward"] * g
        if synkinesis and side == "right":
            narrow(face, p, side, 0.25)

    def lower_lip(face, p, g, side):
        face[p["outer_lower"], 1] += 8 * g
        face[p["inner_lower"], 1] += 8 * g

    expressions = {
        "raise_eyebrows": moved(raise_brows),
        "close_eyes": moved(closure(gentle=True)),
        "close_eyes_tightly": moved(closure(gentle=False)),
        "smile": moved(smile),
        "pucker": moved(pucker),
        "show_lower_teeth": moved(lower_lip),
    }
    # The lower lip's middle (57, inner 66) falls by the mean of its sides.
    fall = 8 * (gain("right") + gain("left")) / 2
    expressions["show_lower_teeth"][[57, 66], 1] += fall
    return rest, expressions


def faces():
    """(group, short name, name, rest, expressions, affected side) of each face."""
    for short, name, severity, synkinesis, lift in (
        ("healthy", "healthy (constructed)", 0.0, False, 0.0),
        ("mild", "mild right palsy, k = 0.3 (constructed)", 0.3, False, 0.0),
        ("severe", "severe right palsy, k = 0.8, ocular synkinesis (constructed)",
         0.8, True, 0.0),
        ("corner raised", "right corner raised 4 px at rest, movement normal "
         "(constructed)", 0.0, False, 4.0),
    ):
        rest, expressions = constructed_face(severity, synkinesis, lift)
        yield "constructed", short, name, rest, expressions, "right"
    cohort = make_synthetic_cohort(
        n_patients=3, n_controls=2,
        expressions=("rest", "smile", "raise_eyebrows", "close_eyes", "pucker"),
        random_state=0)
    frame = cohort.frame.reset_index(drop=True)
    for patient, rows in frame.groupby("patient_id", sort=False):
        by_expression = {row.expression: cohort.landmarks[index]
                         for index, row in rows.iterrows()}
        first = rows.iloc[0]
        if first["label"] == 1:
            side = first["side"]
            short = f"{patient} ({side}, {first['severity']:.2f})"
            name = f"cohort {patient}: {side} palsy, severity {first['severity']:.2f}"
        else:
            side = "right"
            short = f"{patient} (control)"
            name = f"cohort {patient}: control (right taken as affected)"
        rest = by_expression.pop("rest")
        yield "cohort", short, name, rest, by_expression, side


# -- output -------------------------------------------------------------------


def _number(value):
    return "NaN" if not np.isfinite(value) else f"{value:.1f}"


def table_rows(rows):
    """(item, package, Emotrics+, difference, reason) strings."""
    return [
        (
            f"``{item}``",
            _number(package),
            _number(emotrics),
            f"{package - emotrics:+.1f}" if np.isfinite(package - emotrics) else "",
            reason,
        )
        for item, package, emotrics, reason in rows
    ]


def print_markdown(title, rows):
    print(f"\n### {title}\n")
    print("| item | package | Emotrics+ | difference | reason |")
    print("| --- | ---: | ---: | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(cell.replace("``", "`") for cell in row) + " |")


def print_rst(title, faces_rows):
    """One list-table, a column per face (package / Emotrics+), then the
    differences beyond rounding, grouped by reason."""
    names = list(faces_rows)
    print(f"\n.. list-table:: {title} (package / Emotrics+)\n   :header-rows: 1\n")
    print("   * - item")
    for name in names:
        print(f"     - {name}")
    items = [row[0] for row in next(iter(faces_rows.values()))]
    for index, item in enumerate(items):
        print(f"   * - {item}")
        for name in names:
            _, package, emotrics, _, _ = faces_rows[name][index]
            print(f"     - {package} / {emotrics}")
    by_reason = {}
    for name in names:
        for item, _, _, difference, reason in faces_rows[name]:
            if difference and reason != "—":
                key = reason.split(" (the package's ten")[0]
                by_reason.setdefault(key, []).append(f"{item} {name} {difference}")
    print("\nDifferences beyond Emotrics+'s rounding, by reason:\n")
    for reason, where in by_reason.items():
        print(f"- {reason}: {'; '.join(where)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("markdown", "rst"), default="markdown",
                        help="markdown: a table per face; rst: a table per group "
                             "of faces, as in docs/clinical.rst")
    args = parser.parse_args(argv)
    print(f"Emotrics+ (Compute_eFace.py, Metrics.py) re-implemented against "
          f"sklearn_palsy.clinical.regional_scores, {datetime.date.today()}")
    groups = {}
    for group, short, name, rest, expressions, side in faces():
        rows = table_rows(compare(rest, expressions, side))
        if args.format == "markdown":
            print_markdown(name, rows)
        groups.setdefault(group, {})[short] = rows
    if args.format == "rst":
        print_rst("Constructed faces, the subject's right palsied",
                  groups["constructed"])
        print_rst("The synthetic cohort's true landmarks", groups["cohort"])


if __name__ == "__main__":
    main()
