"""A synthetic cohort of photo-like faces with and without unilateral palsy.

Real patient photographs cannot be shipped, so the demo and the tests run on
faces rendered here from a parametric iBUG 300-W 68-point landmark model. The
renderer paints skin, hair, brows, eyes with irises and lids, a shaded nose,
lips, teeth and nasolabial folds from the landmarks, so that dlib's real
detector and shape predictor work on the images and the ground-truth
landmarks are known exactly.

Conventions: x runs to the right and y downwards; indices follow iBUG 300-W
(0-based); points 17-21, 36-41 and 48 lie on the image's left, which is the
subject's right.
"""

import numbers
import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from .._csv import write_csv_atomic
from ..faces._schemes import IBUG68_MEAN_FACE
from ..utils._compat import Interval, validate_params

__all__ = ["make_synthetic_cohort"]

# The renderer starts from the mean iBUG 300-W face in inter-ocular units.
_MEAN_FACE = IBUG68_MEAN_FACE

# Indices by the subject's side: the subject's right is the image's left.
_SIDE_POINTS = {
    "right": {
        "brow": [17, 18, 19, 20, 21],
        "upper_lid": [37, 38],
        "lower_lid": [40, 41],
        "corner": 48,
        "mouth": [48, 49, 59, 60, 67],
    },
    "left": {
        "brow": [26, 25, 24, 23, 22],
        "upper_lid": [44, 43],
        "lower_lid": [46, 47],
        "corner": 54,
        "mouth": [54, 53, 55, 64, 65],
    },
}

_SKIN_TONES = np.array(
    [
        (255, 224, 196), (241, 194, 160), (224, 172, 135), (198, 142, 104),
        (170, 118, 82), (141, 93, 62), (110, 72, 48), (233, 190, 170),
    ],
    dtype=np.float64,
)
_HAIR_COLOURS = np.array(
    [(25, 20, 18), (60, 40, 28), (105, 72, 45), (160, 120, 70), (120, 115, 110),
     (45, 35, 30)],
    dtype=np.float64,
)
_IRIS_COLOURS = np.array(
    [(70, 45, 30), (95, 65, 40), (60, 90, 120), (80, 110, 80), (40, 30, 25)],
    dtype=np.float64,
)

EXPRESSIONS = ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker")

PALSY_TYPES = ("peripheral", "central")

# Regions whose severity the renderer records; the midface is the
# nasolabial fold, which is painted but moves no landmark.
REGIONS = ("brow", "eye", "midface", "mouth")
_MOVING_REGIONS = ("brow", "eye", "mouth")

# A central palsy keeps most of the eye closure: its eye severity is this
# share of the lower face's.
_CENTRAL_EYE_SHARE = 0.15


def _identity(rng):
    """Draw one person's face shape, colours and lighting."""
    return {
        "face_width": rng.uniform(0.92, 1.08),
        "face_length": rng.uniform(0.92, 1.1),
        "eye_size": rng.uniform(0.9, 1.12),
        "brow_lift": rng.uniform(-0.05, 0.06),
        "nose_length": rng.uniform(0.92, 1.1),
        "mouth_width": rng.uniform(0.9, 1.1),
        "lip_fullness": rng.uniform(0.8, 1.3),
        "skin": _SKIN_TONES[rng.integers(len(_SKIN_TONES))]
        * rng.uniform(0.93, 1.05, size=3),
        "hair": _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS))],
        "hairline": rng.uniform(0.95, 1.3),
        "long_hair": bool(rng.random() < 0.4),
        "iris": _IRIS_COLOURS[rng.integers(len(_IRIS_COLOURS))],
        "background": rng.uniform(40, 230, size=(2, 3)),
        "light_angle": rng.uniform(-np.pi, np.pi),
        "light_strength": rng.uniform(0.05, 0.2),
        "brow_thickness": rng.uniform(0.08, 0.13),
    }


def _neutral_shape(identity):
    """Shape the mean face to one identity's proportions (inter-ocular units)."""
    shape = _MEAN_FACE.copy()
    below = shape[:, 1] > 0
    shape[below, 1] *= identity["face_length"]
    jaw_and_cheeks = np.r_[0:17]
    shape[jaw_and_cheeks, 0] *= identity["face_width"]
    for eye in (np.r_[36:42], np.r_[42:48]):
        centre = shape[eye].mean(axis=0)
        shape[eye] = centre + (shape[eye] - centre) * identity["eye_size"]
    shape[17:27, 1] -= identity["brow_lift"]
    nose = np.r_[28:36]
    shape[nose, 1] = shape[27, 1] + (shape[nose, 1] - shape[27, 1]) * identity[
        "nose_length"
    ]
    mouth = np.r_[48:68]
    centre = shape[mouth].mean(axis=0)
    offset = shape[mouth] - centre
    offset[:, 0] *= identity["mouth_width"]
    offset[:, 1] *= identity["lip_fullness"]
    shape[mouth] = centre + offset
    return shape


def _per_region(value, by_region):
    """One value per moving region: ``by_region``'s where given, else ``value``."""
    values = dict.fromkeys(_MOVING_REGIONS, value)
    if by_region is not None:
        values.update(
            (region, by_region[region])
            for region in _MOVING_REGIONS
            if region in by_region
        )
    return values


def _move_side(shape, expression, side, gain, *, region_gain=None, smile_gain=1.0):
    """Apply one side's share of a voluntary expression, scaled by ``gain``.

    ``gain`` is 1 for a healthy side and falls towards 0 with palsy.
    ``region_gain`` maps any of "brow" (brow elevation and the upper lid's
    lift with it), "eye" (lid closure and the brow's pull down with it) and
    "mouth" (smile and pucker) to a gain that replaces ``gain`` there.
    ``smile_gain`` scales the smile's amplitude (mouth widening and
    commissure lift) on top: a broader or narrower smile, not palsy.
    """
    gains = _per_region(gain, region_gain)
    points = _SIDE_POINTS[side]
    outward = -1.0 if side == "right" else 1.0
    if expression == "smile":
        gain = gains["mouth"] * smile_gain
        corner = points["corner"]
        shape[corner] += gain * np.array([0.12 * outward, -0.16])
        for index, share in zip(
            points["mouth"][1:], (0.55, 0.45, 0.6, 0.45), strict=True
        ):
            shape[index] += gain * share * np.array([0.09 * outward, -0.1])
    elif expression == "raise_eyebrows":
        gain = gains["brow"]
        for index, share in zip(
            points["brow"], (0.9, 1.0, 1.0, 0.9, 0.75), strict=True
        ):
            shape[index, 1] -= gain * share * 0.2
        for index in points["upper_lid"]:
            shape[index, 1] -= gain * 0.03
    elif expression == "close_eyes":
        gain = gains["eye"]
        for upper, lower in zip(
            points["upper_lid"], points["lower_lid"][::-1], strict=True
        ):
            # A healthy lid closes fully; lagophthalmos leaves a gap.
            shape[upper, 1] += gain * (shape[lower, 1] - shape[upper, 1]) * 0.92
        for index in points["brow"]:
            shape[index, 1] += gain * 0.03
    elif expression == "pucker":
        gain = gains["mouth"]
        corner = points["corner"]
        shape[corner] += gain * np.array([-0.13 * outward, 0.0])
        for index, share in zip(points["mouth"][1:], (0.6, 0.6, 0.8, 0.8), strict=True):
            shape[index, 0] -= gain * share * 0.09 * outward


def _apply_palsy_at_rest(shape, side, severity, *, region_severity=None):
    """Resting signs of a flaccid unilateral palsy on the subject's ``side``.

    ``region_severity`` maps any of "brow" (brow droop), "eye" (lower-lid
    sag) and "mouth" (commissure droop) to a severity that replaces
    ``severity`` there.
    """
    severities = _per_region(severity, region_severity)
    points = _SIDE_POINTS[side]
    outward = -1.0 if side == "right" else 1.0
    severity = severities["brow"]
    for index, share in zip(points["brow"], (1.0, 0.95, 0.85, 0.7, 0.5), strict=True):
        shape[index, 1] += severity * share * 0.15
    # Lower-lid sag widens the palpebral fissure (ectropion, poor closure).
    severity = severities["eye"]
    for index in points["lower_lid"]:
        shape[index, 1] += severity * 0.05
    severity = severities["mouth"]
    corner = points["corner"]
    shape[corner] += severity * np.array([-0.03 * outward, 0.12])
    for index, share in zip(points["mouth"][1:], (0.5, 0.5, 0.6, 0.5), strict=True):
        shape[index, 1] += severity * share * 0.08


def _region_severity(palsy_type, severity):
    """The severity the renderer applies to each region, by type of palsy.

    A peripheral palsy weakens the whole half face alike. A central palsy
    spares the forehead (its motor neurons are fed from both hemispheres),
    keeps most of the eye closure and weakens the lower face: the midface
    (nasolabial fold) and the mouth at the full severity. Controls
    (``"none"``, severity 0) get 0 everywhere.
    """
    if palsy_type == "central":
        return {
            "brow": 0.0,
            "eye": _CENTRAL_EYE_SHARE * severity,
            "midface": severity,
            "mouth": severity,
        }
    return dict.fromkeys(REGIONS, severity)


def _house_brackmann_like(severity):
    """Map a severity in [0, 1] onto grades 1 (normal) to 6 (total paralysis).

    The synthetic severity is a single number, so this is only a rough
    stand-in for a House-Brackmann grade, useful to exercise multi-class code.
    The cohort passes the lower face's (mouth's) severity, also for a central
    palsy, which House-Brackmann, made for peripheral palsy, does not grade.
    """
    return int(np.clip(np.ceil(severity * 5 - 1e-9), 0, 5)) + 1


def _face_shape(
    identity, expression, palsy_side, severity, *, region_severity=None,
    smile_gain=1.0,
):
    """Landmarks of one identity's face, in inter-ocular units, before pose.

    Parameters
    ----------
    identity : dict
        From :func:`_identity`.
    expression : str
        One of :data:`EXPRESSIONS`.
    palsy_side : {"left", "right"} or None
        The subject's affected side; None for a control.
    severity : float
        Palsy severity in [0, 1] for every region of ``palsy_side``; ignored
        when ``palsy_side`` is None.
    region_severity : mapping of str to float, default=None
        Severities of single regions that replace ``severity`` there: "brow"
        (droop at rest, elevation), "eye" (lower-lid sag, closure) and "mouth"
        (commissure droop, smile, pucker); "midface" is accepted and ignored,
        because the nasolabial fold is painted, not a landmark. For example
        ``_region_severity("central", 0.8)`` gives a central palsy.
    smile_gain : float, default=1.0
        Scales both sides' smile amplitude (mouth widening and commissure
        lift), as a person who smiles more (> 1) or less (< 1) broadly.
    """
    shape = _neutral_shape(identity)
    if palsy_side is not None:
        _apply_palsy_at_rest(
            shape, palsy_side, severity, region_severity=region_severity
        )
    for side in ("right", "left"):
        if side == palsy_side:
            gain = 1.0 - severity
            region_gain = None if region_severity is None else {
                region: 1.0 - value for region, value in region_severity.items()
            }
        else:
            gain, region_gain = 1.0, None
        _move_side(
            shape, expression, side, gain, region_gain=region_gain,
            smile_gain=smile_gain,
        )
    return shape


def _pose(shape, rng, image_size):
    """Place the face in the image with jittered position, scale and head pose."""
    yaw = rng.uniform(-0.08, 0.08)
    shape = shape.copy()
    # A small yaw: the far side of the face foreshortens.
    shape[:, 0] = shape[:, 0] * (1 + yaw * shape[:, 0] / 1.2)
    angle = np.deg2rad(rng.normal(0.0, 3.0))
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    inter_ocular = image_size * rng.uniform(0.2, 0.235)
    centre = np.array([0.5, 0.4]) * image_size + rng.normal(0, 0.015, 2) * image_size
    return shape @ rotation.T * inter_ocular + centre


# ---------------------------------------------------------------- painting
_SHIFT = 4  # sub-pixel precision for OpenCV drawing: 1/16 pixel


def _fixed(points):
    return np.round(np.asarray(points) * (1 << _SHIFT)).astype(np.int32)


def _polygon_mask(size, polygons, blur=0.0):
    mask = np.zeros((size, size), np.float32)
    cv2.fillPoly(mask, [_fixed(p) for p in polygons], 1.0, cv2.LINE_AA, _SHIFT)
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _line_mask(size, polylines, thickness, blur=0.0, closed=False):
    mask = np.zeros((size, size), np.float32)
    thickness = max(1, int(round(thickness)))
    cv2.polylines(
        mask,
        [_fixed(p) for p in polylines],
        closed,
        1.0,
        thickness,
        cv2.LINE_AA,
        _SHIFT,
    )
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _ellipse_mask(size, centre, axes, angle=0.0, blur=0.0):
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(
        mask,
        tuple(int(v) for v in _fixed(centre)),
        tuple(int(v) for v in _fixed(np.maximum(axes, 0.5))),
        float(angle), 0.0, 360.0, 1.0, -1, cv2.LINE_AA, _SHIFT,
    )
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _paint(canvas, mask, colour, opacity=1.0):
    """Blend ``colour`` into ``canvas`` in place, weighted by ``mask``."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return
    # Blend only the mask's bounding box: most layers cover a small area.
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    alpha = np.clip(mask[window] * np.float32(opacity), 0.0, 1.0)[..., None]
    region = canvas[window]
    region *= 1.0 - alpha
    region += alpha * np.asarray(colour, np.float32)


def _smooth_curve(points, n=40):
    """Catmull-Rom-like dense resampling of a polyline through ``points``."""
    points = np.asarray(points, np.float64)
    t = np.r_[0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    fine = np.linspace(0, t[-1], n)
    return np.c_[np.interp(fine, t, points[:, 0]), np.interp(fine, t, points[:, 1])]


def _render(
    landmarks, identity, expression, rng, image_size, palsy_side, midface_severity
):
    """Paint one photograph; ``midface_severity`` flattens the affected fold."""
    size = image_size
    iod = np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    top, bottom = identity["background"]
    canvas = top[None, None] * (1 - yy[..., None]) + bottom[None, None] * yy[..., None]
    canvas = canvas.astype(np.float32)

    skin = identity["skin"]
    hair = identity["hair"]
    eye_mid = (landmarks[36:42].mean(0) + landmarks[42:48].mean(0)) / 2
    up = eye_mid - landmarks[8]
    up /= np.linalg.norm(up)
    right = np.array([-up[1], up[0]])  # image-right direction of the face

    # Head outline: the jaw below, an elliptical cranium above the brows.
    jaw = landmarks[0:17]
    temple_r, temple_l = landmarks[0], landmarks[16]
    centre = (temple_r + temple_l) / 2
    half_width = np.linalg.norm(temple_l - temple_r) / 2
    crown = 1.85 * iod
    angles = np.linspace(np.pi, 2 * np.pi, 24)[1:-1]
    # From the image-right temple over the crown to the image-left temple.
    cranium = np.array(
        [
            centre - np.cos(a) * half_width * right - np.sin(a) * crown * up
            for a in angles
        ]
    )
    head = np.vstack([jaw, cranium])

    if identity["long_hair"]:
        behind = np.vstack([
            centre - 1.15 * half_width * right + 1.0 * crown * up,
            centre + 1.15 * half_width * right + 1.0 * crown * up,
            centre + 1.35 * half_width * right - 1.3 * iod * up,
            centre - 1.35 * half_width * right - 1.3 * iod * up,
        ])
        _paint(canvas, _polygon_mask(size, [behind], blur=size / 60), hair * 0.9)

    # Neck and ears in a slightly darker skin.
    neck = np.vstack([landmarks[5], landmarks[11],
                      landmarks[11] + 1.5 * iod * -up + 0.1 * iod * right,
                      landmarks[5] + 1.5 * iod * -up - 0.1 * iod * right])
    _paint(canvas, _polygon_mask(size, [neck], blur=1.0), skin * 0.78)
    for index, sign in ((1, -1), (15, 1)):
        ear = landmarks[index] + sign * 0.12 * iod * right + 0.1 * iod * up
        angle = np.degrees(np.arctan2(up[1], up[0]))
        _paint(canvas, _ellipse_mask(size, ear, (0.42 * iod, 0.18 * iod), angle, 0.8),
               skin * 0.85)

    face_mask = _polygon_mask(size, [head], blur=0.7)
    # Shading: darker towards the outline, and a directional light.
    inside = (face_mask > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5) / max(iod, 1.0)
    shade = 0.72 + 0.28 * np.clip(depth / 0.55, 0, 1)
    light = np.array([np.cos(identity["light_angle"]), np.sin(identity["light_angle"])])
    rel = np.stack([xx * size - eye_mid[0], yy * size - eye_mid[1]], -1) / (2.5 * iod)
    shade = shade * (1 + identity["light_strength"] * (rel @ light.astype(np.float32)))
    face_layer = skin[None, None].astype(np.float32) * shade[..., None]
    alpha = face_mask[..., None]
    canvas = canvas * (1 - alpha) + face_layer * alpha

    # Hair on top of the cranium, down to a hairline arched above the brows.
    hairline = identity["hairline"] * iod
    hair_polygon = np.vstack([
        cranium,
        centre - 1.02 * half_width * right,
        eye_mid - 0.9 * half_width * right + 0.55 * hairline * up,
        eye_mid - 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.95 * hairline * up,
        eye_mid + 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.9 * half_width * right + 0.55 * hairline * up,
        centre + 1.02 * half_width * right,
    ])
    hair_mask = _polygon_mask(size, [hair_polygon], blur=1.2) * face_mask
    _paint(canvas, hair_mask, hair)

    # Cheek and nasolabial shading. A palsied side is flat: its fold fades.
    for side, ala, corner, sign in (("right", 31, 48, -1), ("left", 35, 54, 1)):
        strength = 1.0 - (midface_severity if side == palsy_side else 0.0)
        start = landmarks[ala] + sign * 0.15 * iod * right + 0.05 * iod * up
        end = landmarks[corner] + sign * 0.14 * iod * right - 0.08 * iod * up
        mid = (start + end) / 2 + sign * 0.1 * iod * right
        fold = _line_mask(size, [_smooth_curve([start, mid, end], 12)],
                          0.06 * iod, blur=0.05 * iod)
        _paint(canvas, fold, skin * 0.55, 0.55 * strength)

    # Nose: shaded bridge sides, a lit tip and dark nostrils.
    for sign in (-1, 1):
        side_line = [landmarks[27] + sign * 0.12 * iod * right,
                     landmarks[29] + sign * 0.17 * iod * right,
                     landmarks[31 if sign < 0 else 35] + 0.08 * iod * up]
        _paint(canvas, _line_mask(size, [_smooth_curve(side_line, 10)], 0.07 * iod,
                                  blur=0.06 * iod), skin * 0.6, 0.6)
    nose_base = np.vstack([landmarks[31:36], landmarks[30]])
    _paint(canvas, _polygon_mask(size, [nose_base], blur=0.08 * iod), skin * 0.8, 0.6)
    _paint(canvas, _ellipse_mask(size, landmarks[30] + 0.04 * iod * up,
                                 (0.1 * iod, 0.08 * iod), blur=0.07 * iod),
           np.minimum(skin * 1.12, 255), 0.6)
    angle = np.degrees(np.arctan2(right[1], right[0]))
    for index in (32, 34):
        nostril = landmarks[index] + 0.04 * iod * up
        _paint(canvas, _ellipse_mask(size, nostril, (0.075 * iod, 0.035 * iod), angle,
                                     blur=0.02 * iod), skin * 0.25, 0.9)

    # Brows: thick strokes whose upper edge follows landmarks 17-26.
    thickness = identity["brow_thickness"] * iod
    for brow in (landmarks[17:22], landmarks[22:27]):
        centre_line = _smooth_curve(brow - 0.03 * iod * up, 20)
        _paint(canvas, _line_mask(size, [centre_line], 2 * thickness * 0.7,
                                  blur=0.02 * iod), hair * 0.8, 0.95)

    # Eyes: a socket shadow, sclera, iris and pupil inside the lids, a dark
    # upper lid margin with lashes and a lighter lower one.
    for eye_index in (np.r_[36:42], np.r_[42:48]):
        eye = landmarks[eye_index]
        eye_centre = eye.mean(axis=0)
        upper = _smooth_curve(eye[[0, 1, 2, 3]], 16)
        lower = _smooth_curve(eye[[3, 4, 5, 0]], 16)
        opening = np.linalg.norm((eye[1] + eye[2]) / 2 - (eye[4] + eye[5]) / 2)
        _paint(canvas, _ellipse_mask(size, eye_centre + 0.06 * iod * up,
                                     (0.3 * iod, 0.17 * iod),
                                     angle, blur=0.08 * iod), skin * 0.7, 0.55)
        if opening > 0.02 * iod:
            sclera = _polygon_mask(size, [np.vstack([upper, lower])])
            _paint(canvas, sclera, (240, 238, 234))
            iris = _ellipse_mask(size, eye_centre, (0.12 * iod, 0.12 * iod)) * sclera
            _paint(canvas, iris, identity["iris"])
            pupil = _ellipse_mask(size, eye_centre, (0.05 * iod, 0.05 * iod)) * sclera
            _paint(canvas, pupil, (10, 10, 10))
            _paint(canvas, _line_mask(size, [lower], 0.035 * iod), skin * 0.4, 0.85)
        _paint(canvas, _line_mask(size, [upper], 0.07 * iod), (25, 20, 20), 1.0)

    # Mouth: lips, and the gap between them with teeth when it is open.
    lip_colour = skin * np.array([0.8, 0.45, 0.48])
    outer = landmarks[48:60]
    _paint(canvas, _polygon_mask(size, [outer], blur=0.02 * iod), lip_colour, 0.95)
    _paint(
        canvas,
        _line_mask(size, [outer], 0.025 * iod, closed=True),
        lip_colour * 0.7,
        0.6,
    )
    inner = landmarks[60:68]
    gap = np.linalg.norm(landmarks[62] - landmarks[66])
    if gap > 0.04 * iod:
        _paint(canvas, _polygon_mask(size, [inner]), (60, 25, 30))
        teeth = _polygon_mask(size, [inner]) * (
            yy * size < (landmarks[62, 1] + 0.5 * gap)
        )
        _paint(canvas, teeth, (235, 230, 215), 0.9)
    _paint(canvas, _line_mask(size, [np.vstack([landmarks[48], landmarks[60:65],
                                                  landmarks[54]])], 0.04 * iod),
           lip_colour * 0.45, 0.9)

    # Camera: slight blur, sensor noise, then 8 bits.
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)
    canvas += rng.normal(0.0, rng.uniform(1.5, 5.0), canvas.shape).astype(np.float32)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


@validate_params(
    {
        "n_patients": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_controls": [Interval(numbers.Integral, 0, None, closed="left")],
        "expressions": ["array-like"],
        "image_size": [Interval(numbers.Integral, 64, None, closed="left")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "severity_range": [tuple],
        "palsy_types": ["array-like"],
        "control_smile_gain": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "output_dir": [str, os.PathLike, None],
    },
    prefer_skip_nested_validation=True,
)
def make_synthetic_cohort(
    n_patients=21,
    n_controls=21,
    expressions=EXPRESSIONS,
    image_size=224,
    *,
    n_repeats=1,
    severity_range=(0.4, 1.0),
    palsy_types=("peripheral",),
    control_smile_gain=1.0,
    random_state=None,
    output_dir=None,
):
    """Generate a cohort of synthetic face photographs with and without palsy.

    Each person gets an identity (face shape and proportions, skin tone, hair,
    background and lighting) and is photographed once per expression (and per
    repeat), each time with fresh head-pose jitter and sensor noise. Patients
    have a unilateral palsy on a random side with a random severity. A
    peripheral palsy (lower motor neuron, as in Bell's palsy) weakens the
    whole half face:

    - at rest the brow droops, the lower lid sags and the mouth corner falls;
    - on voluntary expressions the affected side moves only ``1 - severity``
      as far: the brow barely rises, the eye does not close completely, the
      mouth corner lags on smiling and puckering;
    - the nasolabial fold on the affected side is flattened.

    A central palsy (upper motor neuron, as after a stroke) spares the
    forehead: the brow neither droops nor lags on raising the eyebrows, the
    eye's severity is 15 % of the patient's (closure nearly complete, hardly
    any lid sag), and the lower face (mouth corner, smile, pucker, nasolabial
    fold) is weakened at the full severity.

    Controls are symmetric up to pose and natural variation. Nothing here is
    real patient data, and a model that does well on it has shown only that
    it can read the signs the renderer paints.

    Parameters
    ----------
    n_patients : int, default=21
        Number of people with palsy (label 1).
    n_controls : int, default=21
        Number of people without palsy (label 0).
    expressions : sequence of str, default=("rest", "smile", "raise_eyebrows", \
"close_eyes", "pucker")
        Expressions to photograph, from those five.
    image_size : int, default=224
        Side of the square images in pixels; at least 64.
    n_repeats : int, default=1
        Photographs per person and expression, each with its own pose and
        noise.
    severity_range : tuple of float, default=(0.4, 1.0)
        Range of the uniform palsy severity, 0 (none) to 1 (no movement).
    palsy_types : sequence of str, default=("peripheral",)
        Types of palsy, from "peripheral" and "central"; each patient's type
        is drawn uniformly from the distinct types given. With one type no
        random number is drawn for it, so ``("central",)`` gives the same
        people, sides, severities, poses and noise as the default, with only
        the palsy's pattern changed.
    control_smile_gain : float, default=1.0
        Factor on the controls' smile (mouth widening and commissure lift);
        patients smile as before. Above 1 mimics photo sets in which controls
        smile more broadly than patients, which misleads features of size
        (such as mouth width) but not those comparing the two sides.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible cohorts.
    output_dir : str or path-like, default=None
        If given, the images are written there as PNG files together with a
        ``manifest.csv`` that :func:`load_manifest` reads, and the returned
        ``X`` holds their paths instead of the arrays.

    Returns
    -------
    cohort : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``images``: ndarray of shape (n_images, image_size, image_size, 3),
          uint8 RGB (only when ``output_dir`` is None);
        - ``X``: the estimators' input, the images array, or the 1-D array of
          absolute file paths when ``output_dir`` is given;
        - ``y``: ndarray of shape (n_images,), 1 for palsy (of either type),
          0 for control;
        - ``groups``: ndarray of patient ids, one per image;
        - ``expression``: ndarray of the expression in each image;
        - ``landmarks``: ndarray of shape (n_images, 68, 2), the ground-truth
          iBUG 300-W landmarks in pixels;
        - ``side``: ndarray with the affected side ("left" or "right",
          the subject's own) or "none";
        - ``palsy_type``: ndarray of "peripheral", "central" or "none", a
          three-class target;
        - ``severity``: ndarray of floats, the patient's severity (that of the
          lower face), 0 for controls;
        - ``region_severity``: DataFrame of shape (n_images, 4) with columns
          "brow", "eye", "midface" (the nasolabial fold) and "mouth", the
          severity the renderer applied to each region of the affected side:
          all equal to ``severity`` for a peripheral palsy; 0, 0.15 *
          ``severity``, ``severity`` and ``severity`` for a central one; 0 for
          controls;
        - ``grade``: ndarray of ints from 1 (normal) to 6, a House-Brackmann-like
          grade, ``ceil(5 * severity) + 1`` from the lower face's severity for
          both types. It is a stand-in to exercise ordinal code, not a
          clinical grading: House-Brackmann was made for peripheral palsy and
          would weigh a spared forehead;
        - ``frame``: a DataFrame with one row per image and the columns
          ``patient_id``, ``label``, ``expression``, ``repeat``, ``side``,
          ``palsy_type``, ``severity``, ``severity_brow``, ``severity_eye``,
          ``severity_midface``, ``severity_mouth`` and ``grade``, plus
          ``image`` first when written to disk (the manifest has the same
          columns);
        - ``manifest``: the manifest's path, when ``output_dir`` is given.

    See Also
    --------
    load_manifest : Read a cohort written with ``output_dir``.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=2, n_controls=1,
    ...                                expressions=("rest", "smile"),
    ...                                image_size=96, random_state=0)
    >>> cohort.images.shape
    (6, 96, 96, 3)
    >>> cohort.y.tolist()
    [1, 1, 1, 1, 0, 0]
    >>> sorted(set(cohort.groups))
    ['C01', 'P01', 'P02']

    Central and peripheral palsy side by side, with the severity the
    renderer applied to each region:

    >>> mixed = make_synthetic_cohort(n_patients=3, n_controls=1,
    ...                               expressions=("rest",), image_size=64,
    ...                               palsy_types=("peripheral", "central"),
    ...                               random_state=0)
    >>> mixed.palsy_type.tolist()
    ['central', 'central', 'peripheral', 'none']
    >>> mixed.region_severity.round(2)
       brow   eye  midface  mouth
    0  0.00  0.11     0.73   0.73
    1  0.00  0.15     0.99   0.99
    2  0.77  0.77     0.77   0.77
    3  0.00  0.00     0.00   0.00
    """
    expressions = tuple(expressions)
    unknown = sorted(set(expressions) - set(EXPRESSIONS))
    if unknown or not expressions:
        raise ValueError(
            f"expressions must be a non-empty subset of {EXPRESSIONS}; got {unknown}"
        )
    # Distinct types in the order given, so that the draw is reproducible.
    palsy_types = tuple(dict.fromkeys(palsy_types))
    unknown = [kind for kind in palsy_types if kind not in PALSY_TYPES]
    if unknown or not palsy_types:
        raise ValueError(
            f"palsy_types must be a non-empty subset of {PALSY_TYPES}; "
            f"got {unknown or 'none'}"
        )
    low, high = severity_range
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(
            f"severity_range must satisfy 0 <= low <= high <= 1; got {severity_range}"
        )
    rng = check_random_state(random_state)
    seed = rng.randint(np.iinfo(np.int32).max)
    generator = np.random.default_rng(seed)

    people = [(f"P{i + 1:02d}", 1) for i in range(n_patients)] + [
        (f"C{i + 1:02d}", 0) for i in range(n_controls)
    ]
    images, rows, landmark_list = [], [], []
    for patient_id, label in people:
        identity = _identity(generator)
        side = str(generator.choice(["left", "right"])) if label else None
        severity = float(generator.uniform(low, high)) if label else 0.0
        # New draws come last and only when asked for, so that the default
        # cohort stays what it was.
        if not label:
            palsy_type = "none"
        elif len(palsy_types) > 1:
            palsy_type = palsy_types[generator.integers(len(palsy_types))]
        else:
            palsy_type = palsy_types[0]
        region_severity = _region_severity(palsy_type, severity)
        smile_gain = 1.0 if label else float(control_smile_gain)
        for expression in expressions:
            shape = _face_shape(
                identity, expression, side, severity,
                region_severity=region_severity, smile_gain=smile_gain,
            )
            for repeat in range(n_repeats):
                landmarks = _pose(shape, generator, image_size)
                image = _render(landmarks, identity, expression, generator,
                                image_size, side, region_severity["midface"])
                images.append(image)
                landmark_list.append(landmarks)
                rows.append({
                    "patient_id": patient_id,
                    "label": label,
                    "expression": expression,
                    "repeat": repeat,
                    "side": side or "none",
                    "palsy_type": palsy_type,
                    "severity": severity,
                    **{
                        f"severity_{region}": region_severity[region]
                        for region in REGIONS
                    },
                    "grade": _house_brackmann_like(region_severity["mouth"]),
                })

    region_columns = [f"severity_{region}" for region in REGIONS]
    frame = pd.DataFrame(rows, columns=[
        "patient_id", "label", "expression", "repeat", "side", "palsy_type",
        "severity", *region_columns, "grade",
    ])
    images = np.stack(images) if images else np.empty(
        (0, image_size, image_size, 3), np.uint8
    )
    cohort = Bunch(
        y=frame["label"].to_numpy(),
        groups=frame["patient_id"].to_numpy(dtype=object),
        expression=frame["expression"].to_numpy(dtype=object),
        landmarks=np.stack(landmark_list) if landmark_list else np.empty((0, 68, 2)),
        side=frame["side"].to_numpy(dtype=object),
        palsy_type=frame["palsy_type"].to_numpy(dtype=object),
        severity=frame["severity"].to_numpy(),
        region_severity=frame[region_columns].set_axis(list(REGIONS), axis=1),
        grade=frame["grade"].to_numpy(),
        frame=frame,
    )
    if output_dir is None:
        cohort.images = images
        cohort.X = images
        return cohort

    from PIL import Image

    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    names = [
        f"{row.patient_id}/{row.patient_id}_{row.expression}_{row.repeat}.png"
        for row in frame.itertuples()
    ]
    for name, image in zip(names, images, strict=True):
        (output_dir / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(output_dir / name)
    frame.insert(0, "image", names)
    manifest = output_dir / "manifest.csv"
    write_csv_atomic(frame, manifest)
    cohort.X = np.array([str(output_dir / name) for name in names], dtype=object)
    cohort.manifest = str(manifest)
    cohort.frame = frame
    return cohort
