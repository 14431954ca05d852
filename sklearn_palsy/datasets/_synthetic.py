"""A synthetic cohort of photo-like faces with and without unilateral palsy.

Real patient photographs cannot be shipped, so the demo and the tests run on
faces rendered here from a parametric iBUG 300-W 68-point landmark model. The
renderer paints skin, hair, brows, eyes with irises and lids, a shaded nose,
lips, teeth and nasolabial folds from the landmarks, so that dlib's real
detector and shape predictor work on the images and the ground-truth
landmarks are known exactly.

Faces can also be turned in 3-D: each landmark, and each shape the painter
derives from them, has a depth from a generic face profile
(:data:`_LANDMARK_DEPTH`, the cranium, the ears), and :class:`_Head` rotates
and projects them. ``variety="wide"`` varies identity, age, lighting, pose,
camera, expression amplitude and framing, from a generator of its own.

Conventions: x runs to the right and y downwards; indices follow iBUG 300-W
(0-based); points 17-21, 36-41 and 48 lie on the image's left, which is the
subject's right. Angles are in degrees: positive yaw turns the face towards
the image's right (the nose moves right), positive pitch tilts it up (chin
up), positive roll turns it counter-clockwise on screen. In the face's own
3-D frame z points towards the camera.

The private :func:`_face_shape` and :func:`_render` keep their signatures for
other generators (the synthetic videos): a shape interpolated between rest
and an expression can be painted frontally as before, or placed with
:func:`_pose_3d` and painted turned with ``_render(..., head=head)``.
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
from ..utils._compat import Interval, StrOptions, validate_params

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

VARIETIES = ("standard", "wide")


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


# The wide variety's skin runs continuously between these two tones.
_SKIN_LIGHTEST = np.array([255.0, 226.0, 200.0])
_SKIN_DARKEST = np.array([86.0, 56.0, 40.0])
_GREY_HAIR = np.array([190.0, 186.0, 182.0])


def _wide_identity(identity, rng):
    """Widen one identity for the wide variety, drawing from ``rng`` only.

    Proportions vary more (face width and length, jaw, nose, eyes, the
    face's depth and the nose's projection); the skin tone is continuous
    from light to dark; age brings grey hair, forehead lines, crow's feet,
    deeper nasolabial folds and hooded lids; each person smiles, raises the
    brows and closes the eyes with an amplitude of their own.
    """
    wide = dict(identity)
    wide["face_width"] = identity["face_width"] * rng.uniform(0.94, 1.07)
    wide["face_length"] = identity["face_length"] * rng.uniform(0.94, 1.07)
    wide["eye_size"] = identity["eye_size"] * rng.uniform(0.92, 1.08)
    wide["jaw_width"] = rng.uniform(0.88, 1.1)
    wide["nose_width"] = rng.uniform(0.85, 1.2)
    wide["depth"] = rng.uniform(0.85, 1.15)
    wide["nose_projection"] = rng.uniform(0.8, 1.25)
    tone = rng.uniform(0.0, 1.0)
    wide["skin"] = np.clip(
        (_SKIN_LIGHTEST * (1 - tone) + _SKIN_DARKEST * tone)
        * rng.uniform(0.93, 1.07, size=3), 0, 255,
    )
    age = rng.uniform(0.0, 1.0)
    grey = np.clip((age - 0.45) * 1.8, 0.0, 1.0) * rng.uniform(0.3, 1.0)
    wide["hair"] = identity["hair"] * (1 - grey) + _GREY_HAIR * grey
    wide["age"] = age
    wide["hooding"] = np.clip(age * rng.uniform(0.4, 1.2), 0.0, 1.0)
    wide["fold_depth"] = 0.6 + 0.9 * age * rng.uniform(0.6, 1.2)
    wide["forehead_lines"] = int(rng.integers(2, 5))
    wide["expression_gain"] = rng.uniform(0.65, 1.2)
    return wide


def _wide_look(rng, identity, image_size):
    """One photograph's lighting and camera for the wide variety.

    The light comes mostly from one side (a shading gradient across the
    face, which mimics left-right asymmetry), with its own colour
    temperature; the exposure, white balance, defocus, motion blur, sensor
    noise, resolution and JPEG quality vary from photo to photo.
    """
    scale = image_size / 224
    light_angle = rng.integers(2) * np.pi + rng.normal(0.0, 0.45)
    elevation = rng.uniform(0.25, 0.95)
    temperature = rng.uniform(-1.0, 1.0)
    look = {
        "light_angle": light_angle,
        "light_strength": rng.uniform(0.05, 0.45),
        "light_vector": np.array([np.cos(light_angle) * np.sin(elevation),
                                  np.sin(light_angle) * np.sin(elevation),
                                  np.cos(elevation)]),
        "lambert": rng.uniform(0.0, 0.55),
        "tint": 1.0 + temperature * np.array([0.12, 0.0, -0.14]),
        "exposure": 2.0 ** rng.uniform(-0.7, 0.5),
        "white_balance": 1.0 + rng.normal(0.0, 0.05, 3),
        "defocus": rng.uniform(0.4, 2.0) * scale,
        "motion": rng.uniform(2.0, 7.0) * scale if rng.random() < 0.3 else 0.0,
        "motion_angle": rng.uniform(0.0, np.pi),
        "noise": np.exp(rng.uniform(0.0, np.log(14.0))),
        "jpeg_quality": int(rng.integers(20, 96)) if rng.random() < 0.7 else 0,
        "downscale": rng.uniform(0.3, 0.9) if rng.random() < 0.5 else 1.0,
    }
    for key in ("age", "hooding", "fold_depth", "forehead_lines"):
        look[key] = identity[key]
    return look


def _wide_framing(rng):
    """One photograph's roll, framing and focal length for the wide variety."""
    return {
        "roll": rng.uniform(*_WIDE_POSE["roll"]),
        "scale": rng.uniform(0.15, 0.27),
        "offset": np.array([rng.uniform(-0.07, 0.07), rng.uniform(-0.05, 0.05)]),
        # From a phone at arm's length (strong perspective) to a telephoto.
        "camera_distance": np.exp(rng.uniform(np.log(4.5), np.log(30.0))),
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
    # Proportions that only the wide variety draws.
    if "jaw_width" in identity:
        jaw = np.r_[0:17]
        lower = np.clip((shape[jaw, 1] - 0.3) / 1.2, 0.0, 1.0)
        shape[jaw, 0] *= 1 + (identity["jaw_width"] - 1) * lower
    if "nose_width" in identity:
        base = np.r_[31:36]
        shape[base, 0] = shape[33, 0] + (shape[base, 0] - shape[33, 0]) * identity[
            "nose_width"
        ]
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


# ---------------------------------------------------------------- head pose
# Depth of each iBUG point towards the camera, in inter-ocular units, with 0
# at the plane of the eye centres: the nose tip stands forward, the eyes are
# set back under the brows, the mouth corners and the face's contour recede
# towards the ears. Mirror pairs share a depth.
_LANDMARK_DEPTH = np.array([
    # jaw 0-16, from the temple under the ear round the chin (8)
    -0.95, -0.88, -0.78, -0.65, -0.5, -0.32, -0.14, 0.02, 0.1,
    0.02, -0.14, -0.32, -0.5, -0.65, -0.78, -0.88, -0.95,
    # brows 17-21 and 22-26, outer ends back over the temples
    -0.2, 0.0, 0.12, 0.2, 0.22, 0.22, 0.2, 0.12, 0.0, -0.2,
    # nose bridge 27-30 (30 the tip) and base 31-35 (alae back, 33 subnasale)
    0.16, 0.27, 0.38, 0.5, 0.12, 0.24, 0.3, 0.24, 0.12,
    # eyes: outer corner, two upper lid points, inner corner, two lower ones
    -0.3, -0.06, -0.04, -0.12, -0.05, -0.08,
    -0.12, -0.04, -0.06, -0.3, -0.08, -0.05,
    # outer lips 48-59: commissures back, lip centres forward
    -0.05, 0.14, 0.24, 0.28, 0.24, 0.14, -0.05, 0.1, 0.18, 0.2, 0.18, 0.1,
    # inner lips 60-67
    -0.04, 0.2, 0.23, 0.2, -0.04, 0.15, 0.18, 0.15,
])
_NOSE = np.r_[28:36]

# The head turns about a point behind the face, near the top of the neck.
_HEAD_PIVOT = np.array([0.0, 0.35, -1.0])
# The cranium: an ellipsoid above and behind the face, its front at the
# forehead; semi-axes (half the temple width, _CROWN, _CRANIUM_DEPTH).
_CRANIUM_Z = -1.2
_CRANIUM_DEPTH = 1.35
_CROWN = 1.85
_EAR_Z = -1.05
# Camera distance from the eye plane, in inter-ocular units (about 75 cm):
# a mild perspective, near parts a few per cent larger.
_CAMERA_DISTANCE = 12.0

# Limits of the head-pose angles, in degrees.
_ANGLE_LIMITS = {"yaw": 60.0, "pitch": 40.0}
# The wide variety's pose when yaw and pitch are not given, in degrees.
_WIDE_POSE = {"yaw": (-15.0, 15.0), "pitch": (-10.0, 10.0), "roll": (-5.0, 5.0)}


def _face_depth(identity=None):
    """Depth of the 68 points for one identity (a flatter or deeper face)."""
    depth = _LANDMARK_DEPTH.copy()
    if identity is not None and "depth" in identity:
        nose = depth[_NOSE]
        depth[_NOSE] = depth[27] + (nose - depth[27]) * identity["nose_projection"]
        depth *= identity["depth"]
    return depth


def _rotation(yaw, pitch):
    """3-D rotation by ``yaw`` then ``pitch`` (degrees), x right, y down, z out.

    Positive yaw brings points in front of the pivot towards the image's
    right (the nose turns right); positive pitch brings them up (chin up).
    """
    yaw, pitch = np.deg2rad(yaw), np.deg2rad(pitch)
    turn = np.array([
        [np.cos(yaw), 0.0, np.sin(yaw)],
        [0.0, 1.0, 0.0],
        [-np.sin(yaw), 0.0, np.cos(yaw)],
    ])
    tilt = np.array([
        [1.0, 0.0, 0.0],
        [0.0, np.cos(pitch), -np.sin(pitch)],
        [0.0, np.sin(pitch), np.cos(pitch)],
    ])
    return tilt @ turn


class _Head:
    """A face placed in 3-D and photographed: rotation, perspective, framing.

    Points are in the face's own frame (inter-ocular units, x to the image's
    right, y down, z towards the camera, eye midpoint at the origin). They
    are turned about :data:`_HEAD_PIVOT` by ``yaw`` then ``pitch``, projected
    from a camera ``camera_distance`` in front of the eye plane (so the eye
    plane keeps its scale), rotated in the image by ``image_angle`` (radians,
    as :func:`_pose` does: positive turns clockwise on screen, the opposite
    of the roll convention) and scaled and moved into the image.
    """

    def __init__(self, points, *, yaw, pitch, image_angle, scale, centre,
                 camera_distance=_CAMERA_DISTANCE):
        self.points = np.asarray(points, np.float64)
        self.yaw, self.pitch = float(yaw), float(pitch)
        self.roll = -float(np.degrees(image_angle))
        self.scale = float(scale)
        self.centre = np.asarray(centre, np.float64)
        self.camera_distance = float(camera_distance)
        self.rotation = _rotation(yaw, pitch)
        self._image_rotation = np.array([
            [np.cos(image_angle), -np.sin(image_angle)],
            [np.sin(image_angle), np.cos(image_angle)],
        ])

    def project(self, points, *, turn=True):
        """Image coordinates (pixels) of face-frame points; ``turn=False``
        leaves them unturned (the body below the neck)."""
        points = np.atleast_2d(np.asarray(points, np.float64))
        if turn:
            points = (points - _HEAD_PIVOT) @ self.rotation.T + _HEAD_PIVOT
        factor = self.camera_distance / (self.camera_distance - points[:, 2])
        flat = points[:, :2] * factor[:, None]
        return flat @ self._image_rotation.T * self.scale + self.centre


def _pose(shape, rng, image_size, *, return_angle=False):
    """Place the face in the image with jittered position, scale and head pose.

    The default cohort's pose: a tiny pseudo-yaw (the far side of the face
    foreshortens by up to 8 % at the contour, the nose does not move), an
    in-plane rotation of sd 3 degrees, and jittered scale and position.
    ``return_angle=True`` also returns the in-plane rotation (radians,
    clockwise on screen).
    """
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
    landmarks = shape @ rotation.T * inter_ocular + centre
    return (landmarks, angle) if return_angle else landmarks


def _pose_3d(shape, rng, image_size, *, yaw=0.0, pitch=0.0, depth=None,
             framing=None):
    """Turn the face in 3-D by ``yaw`` then ``pitch`` (degrees) and project it.

    ``rng`` gives the same draws as :func:`_pose` (so a cohort keeps its
    people, scales and positions whatever the angles); its pseudo-yaw is
    drawn and dropped. ``depth`` is the 68 points' depth (default
    :func:`_face_depth`). ``framing`` may replace the draws: "roll"
    (degrees, counter-clockwise), "scale" (inter-ocular distance as a share
    of ``image_size``), "offset" (of the eye midpoint, as a share) and
    "camera_distance" (inter-ocular units).

    Returns
    -------
    landmarks : ndarray of shape (68, 2)
        The projected points, in pixels.
    head : _Head
        The placement, for :func:`_render`'s ``head``.
    """
    rng.uniform(-0.08, 0.08)
    angle = np.deg2rad(rng.normal(0.0, 3.0))
    inter_ocular = image_size * rng.uniform(0.2, 0.235)
    centre = np.array([0.5, 0.4]) * image_size + rng.normal(0, 0.015, 2) * image_size
    framing = framing or {}
    if "roll" in framing:
        angle = -np.deg2rad(framing["roll"])
    if "scale" in framing:
        inter_ocular = image_size * framing["scale"]
    if "offset" in framing:
        centre = (np.array([0.5, 0.4]) + framing["offset"]) * image_size
    depth = _face_depth() if depth is None else depth
    head = _Head(
        np.c_[shape, depth], yaw=yaw, pitch=pitch, image_angle=angle,
        scale=inter_ocular, centre=centre,
        camera_distance=framing.get("camera_distance", _CAMERA_DISTANCE),
    )
    return head.project(head.points), head


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


def _fan_mask(size, centre, loop, blur=0.0):
    """Union of the triangles from ``centre`` to each edge of the closed ``loop``.

    A projected surface patch, filled triangle by triangle: unlike one
    polygon, it leaves no hole where a turned patch folds over itself.
    """
    mask = np.zeros((size, size), np.float32)
    loop = np.asarray(loop)
    for start, end in zip(loop, np.roll(loop, -1, axis=0), strict=True):
        triangle = _fixed(np.array([centre, start, end]))
        cv2.fillConvexPoly(mask, triangle, 1.0, cv2.LINE_AA, _SHIFT)
    if blur > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return mask


def _shape_mask(size, shape, blur=0.0):
    """Mask of ``("ellipse", centre, axes, angle)``, ``("polygon", points)`` or
    ``("fan", centre, loop)``."""
    if shape[0] == "ellipse":
        _, centre, axes, angle = shape
        return _ellipse_mask(size, centre, axes, angle, blur)
    if shape[0] == "fan":
        return _fan_mask(size, shape[1], shape[2], blur)
    return _polygon_mask(size, [shape[1]], blur)


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


def _frontal_geometry(landmarks, identity):
    """The painter's shapes, derived in the image plane from frontal landmarks.

    The default cohort's geometry: head outline, hair, neck, ears, folds,
    nose, brows and eye parts as offsets from the 2-D landmarks along the
    face's up and right directions.
    """
    iod = np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0))
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
    behind = np.vstack([
        centre - 1.15 * half_width * right + 1.0 * crown * up,
        centre + 1.15 * half_width * right + 1.0 * crown * up,
        centre + 1.35 * half_width * right - 1.3 * iod * up,
        centre - 1.35 * half_width * right - 1.3 * iod * up,
    ])
    neck = np.vstack([landmarks[5], landmarks[11],
                      landmarks[11] + 1.5 * iod * -up + 0.1 * iod * right,
                      landmarks[5] + 1.5 * iod * -up - 0.1 * iod * right])
    ear_angle = np.degrees(np.arctan2(up[1], up[0]))
    ears = [
        ("ellipse", landmarks[index] + sign * 0.12 * iod * right + 0.1 * iod * up,
         (0.42 * iod, 0.18 * iod), ear_angle)
        for index, sign in ((1, -1), (15, 1))
    ]
    # Hair on top of the cranium, down to a hairline arched above the brows.
    hairline = identity["hairline"] * iod
    hair = np.vstack([
        cranium,
        centre - 1.02 * half_width * right,
        eye_mid - 0.9 * half_width * right + 0.55 * hairline * up,
        eye_mid - 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.95 * hairline * up,
        eye_mid + 0.45 * half_width * right + 0.85 * hairline * up,
        eye_mid + 0.9 * half_width * right + 0.55 * hairline * up,
        centre + 1.02 * half_width * right,
    ])
    folds = []
    for side, ala, corner, sign in (("right", 31, 48, -1), ("left", 35, 54, 1)):
        start = landmarks[ala] + sign * 0.15 * iod * right + 0.05 * iod * up
        end = landmarks[corner] + sign * 0.14 * iod * right - 0.08 * iod * up
        mid = (start + end) / 2 + sign * 0.1 * iod * right
        folds.append((side, [start, mid, end]))
    bridge_sides = [
        [landmarks[27] + sign * 0.12 * iod * right,
         landmarks[29] + sign * 0.17 * iod * right,
         landmarks[31 if sign < 0 else 35] + 0.08 * iod * up]
        for sign in (-1, 1)
    ]
    angle = np.degrees(np.arctan2(right[1], right[0]))
    eyes = []
    for eye_index in (np.r_[36:42], np.r_[42:48]):
        eye_centre = landmarks[eye_index].mean(axis=0)
        eyes.append({
            "socket": ("ellipse", eye_centre + 0.06 * iod * up,
                       (0.3 * iod, 0.17 * iod), angle),
            "iris": ("ellipse", eye_centre, (0.12 * iod, 0.12 * iod), 0.0),
            "pupil": ("ellipse", eye_centre, (0.05 * iod, 0.05 * iod), 0.0),
        })
    return {
        "iod": iod,
        "eye_mid": eye_mid,
        "head": np.vstack([jaw, cranium]),
        "behind": behind,
        "neck": neck,
        "ears": ears,
        "hair": hair,
        "hair_cut": None,
        "folds": folds,
        "bridge_sides": bridge_sides,
        "tip": ("ellipse", landmarks[30] + 0.04 * iod * up,
                (0.1 * iod, 0.08 * iod), 0.0),
        "nostrils": [
            ("ellipse", landmarks[index] + 0.04 * iod * up,
             (0.075 * iod, 0.035 * iod), angle)
            for index in (32, 34)
        ],
        "brows": [brow - 0.03 * iod * up
                  for brow in (landmarks[17:22], landmarks[22:27])],
        "eyes": eyes,
        "project": None,
    }


def _ellipse_3d(centre, u, v, n=24):
    """``n`` points round a 3-D ellipse with half-axes ``u`` and ``v``."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)[:, None]
    return np.asarray(centre) + np.cos(t) * u + np.sin(t) * v


def _hull(points):
    hull = cv2.convexHull(np.asarray(points, np.float32))
    return hull.reshape(-1, 2).astype(np.float64)


def _cranium_depth(x, y, centre_x, centre_y, half_width):
    """Depth of the cranium's front surface at (x, y): the forehead, temples."""
    inside = 1 - ((x - centre_x) / half_width) ** 2 - ((y - centre_y) / _CROWN) ** 2
    return _CRANIUM_Z + _CRANIUM_DEPTH * np.sqrt(np.clip(inside, 0.0, None))


def _head_geometry(landmarks, identity, head):
    """The painter's shapes, built in 3-D around ``head`` and projected.

    Each shape that :func:`_frontal_geometry` derives in the image plane is
    placed here on or around the face in its own frame, with a depth, so
    that it turns with the head: the outline is the convex hull of the
    projected head (face, cheeks, cranium), so the far side narrows and the
    near side widens; the ears sit far back, so the near one comes out from
    behind the cheek and the far one hides; the hair is the cranium's cap
    above the hairline; the irises, the nostrils and the nose tip are discs
    that foreshorten.
    """
    points, project = head.points, head.project
    iod = head.scale
    eye_mid = (landmarks[36:42].mean(0) + landmarks[42:48].mean(0)) / 2
    eye_mid_3d = (points[36:42].mean(0) + points[42:48].mean(0)) / 2
    base = project(eye_mid_3d)[0]
    right = project(eye_mid_3d + [0.1, 0.0, 0.0])[0] - base
    right /= np.linalg.norm(right)
    angle = np.degrees(np.arctan2(right[1], right[0]))

    centre_x, centre_y = (points[0, :2] + points[16, :2]) / 2
    half_width = abs(points[16, 0] - points[0, 0]) / 2
    # The cranium's shell, front (azimuth 0) round to the back, from below
    # the ears (negative elevation) to the crown.
    azimuth, elevation = np.meshgrid(np.linspace(0, 2 * np.pi, 32, endpoint=False),
                                     np.linspace(-0.35, np.pi / 2, 9))
    directions = np.stack([np.cos(elevation) * np.sin(azimuth), -np.sin(elevation),
                           np.cos(elevation) * np.cos(azimuth)], -1).reshape(-1, 3)
    shell = (np.array([centre_x, centre_y, _CRANIUM_Z])
             + directions * [half_width, _CROWN, _CRANIUM_DEPTH])
    upper = shell[directions[:, 1] <= 0]
    back = shell[(directions[:, 1] > 0) & (directions[:, 2] < 0)]
    cheeks = np.array([
        [0.7 * points[1, 0], points[29, 1], -0.2],
        [0.82 * points[1, 0], points[28, 1], -0.45],
        [0.7 * points[15, 0], points[29, 1], -0.2],
        [0.82 * points[15, 0], points[28, 1], -0.45],
    ])
    # Behind the upper jaw line, the side of the head runs back to the ears.
    jaw_sides = points[np.r_[0:5, 12:17]] * [0.97, 1.0, 0.0] + [0.0, 0.0, -1.15]
    # The brows' outer ends stand out of the cranium: in a turned face the
    # brow ridge is on the outline.
    cloud = np.vstack([points, cheeks, jaw_sides, upper, back])
    outline = _hull(project(cloud))

    # The hairline arches above the brows, on the forehead's surface, down
    # to the temples at the sides; the hair is the cranium above it.
    hairline_height = identity["hairline"]
    front = eye_mid_3d[:2] + np.array([
        [-0.9 * half_width, -0.55 * hairline_height],
        [-0.45 * half_width, -0.85 * hairline_height],
        [0.0, -0.95 * hairline_height],
        [0.45 * half_width, -0.85 * hairline_height],
        [0.9 * half_width, -0.55 * hairline_height],
    ])
    hairline = np.vstack([[centre_x - 1.02 * half_width, centre_y], front,
                          [centre_x + 1.02 * half_width, centre_y]])
    hairline = np.c_[hairline, _cranium_depth(*hairline.T, centre_x, centre_y,
                                              half_width)]
    below_hairline = upper[:, 1] > np.interp(upper[:, 0], *hairline[:, :2].T)
    forehead = below_hairline & (upper[:, 2] > _CRANIUM_Z)
    hair = _hull(project(np.vstack([upper[~forehead], hairline])))
    # The skin below the hairline, as a surface patch round the nose's root.
    face_front = ("fan", project(points[27] + [0.0, -0.2, 0.0])[0],
                  project(np.vstack([points[0:17], hairline[::-1]])))

    behind_z = _CRANIUM_Z - 0.1
    behind = project(np.array([
        [centre_x - 1.15 * half_width, centre_y - _CROWN, behind_z],
        [centre_x + 1.15 * half_width, centre_y - _CROWN, behind_z],
        [centre_x + 1.35 * half_width, centre_y + 1.3, behind_z],
        [centre_x - 1.35 * half_width, centre_y + 1.3, behind_z],
    ]))
    # The neck: a cylinder from under the chin, turning with the head, to
    # the shoulders, which do not turn.
    radius = 0.55 * (points[11, 0] - points[5, 0])
    ring = _ellipse_3d([centre_x, 0.0, -0.95], [radius, 0, 0], [0, 0, 0.6], 16)
    neck = _hull(np.vstack([
        project(ring + [0.0, points[8, 1] - 0.4, 0.0]),
        project(ring * [1.12, 1.0, 1.0] + [0.0, points[5, 1] + 1.5, 0.0], turn=False),
    ]))
    # An ear is a disc in a plane that faces sideways and a little forward,
    # on the side of the skull: in front of it, behind the face's front. An
    # ear that faces away from the camera is hidden by the head.
    face_front_outline = _hull(project(np.vstack([points, cheeks])))
    ears = []
    for index, sign in ((1, -1), (15, 1)):
        centre = np.array([points[index, 0] + sign * 0.12, points[index, 1] - 0.1,
                           _EAR_Z])
        facing = (head.rotation @ [0.8 * sign, 0.0, 0.6])[2]
        if facing < -0.2:
            continue
        height, width = np.array([0.0, 0.42, 0.0]), np.array([0.18 * sign, 0, -0.24])
        ears.append((
            ("polygon", project(_ellipse_3d(centre, height, width))),
            # The concha, a hollow in the ear's front half.
            ("polygon", project(_ellipse_3d(centre + 0.2 * width + [0, 0.05, 0],
                                            0.5 * height, 0.45 * width, 16))),
        ))
    folds = []
    for side, ala, corner, sign in (("right", 31, 48, -1), ("left", 35, 54, 1)):
        start = points[ala] + [sign * 0.15, -0.05, -0.1]
        end = points[corner] + [sign * 0.14, 0.08, -0.08]
        mid = (start + end) / 2 + [sign * 0.1, 0.0, -0.06]
        folds.append((side, project(np.array([start, mid, end]))))
    bridge_sides = [
        project(np.array([points[27] + [sign * 0.12, 0.0, -0.1],
                          points[29] + [sign * 0.17, 0.0, -0.2],
                          points[31 if sign < 0 else 35] + [0.0, -0.08, -0.02]]))
        for sign in (-1, 1)
    ]
    eyes = []
    for eye_index, sign in ((np.r_[36:42], -1), (np.r_[42:48], 1)):
        eye_centre = points[eye_index].mean(axis=0)
        # The cornea stands in front of the lids' mean depth.
        cornea = eye_centre + [0.0, 0.0, 0.1]
        eyes.append({
            # The socket's outer end lies further back than its inner one.
            "socket": ("polygon", project(_ellipse_3d(
                eye_centre + [0.0, -0.06, 0.0], [0.3, 0.0, -sign * 0.12],
                [0.0, 0.17, 0.0]))),
            "iris": ("polygon", project(_ellipse_3d(cornea, [0.12, 0, 0],
                                                    [0, 0.12, 0]))),
            "pupil": ("polygon", project(_ellipse_3d(cornea, [0.05, 0, 0],
                                                     [0, 0.05, 0], 16))),
        })
    return {
        "iod": iod,
        "eye_mid": eye_mid,
        "head": outline,
        "behind": behind,
        "neck": neck,
        "ears": [],
        "front_ears": ears,
        "face_front": face_front_outline,
        "hair": hair,
        "hair_cut": face_front,
        "folds": folds,
        "bridge_sides": bridge_sides,
        "tip": ("polygon", project(_ellipse_3d(points[30] + [0.0, -0.04, 0.0],
                                               [0.1, 0, 0], [0, 0.08, 0]))),
        # Nostrils open downwards: a chin-up photo shows more of them.
        "nostrils": [
            ("polygon", project(_ellipse_3d(points[index] + [0.0, -0.04, 0.0],
                                            [0.075, 0, 0], [0, 0.035, -0.06],
                                            16)))
            for index in (32, 34)
        ],
        "brows": [project(points[brow] + [0.0, 0.03, 0.0])
                  for brow in (np.r_[17:22], np.r_[22:27])],
        "eyes": eyes,
        "angle": angle,
        "project": project,
        "points": points,
        "cranium": (centre_x, centre_y, half_width),
    }


def _lambert(depth, iod, look):
    """Side light on a rounded face: the shading of a dome over the face mask.

    ``depth`` is the distance from the outline in inter-ocular units; the
    face's height rises like a circle's arc over the first inter-ocular
    distance of it and then stays level, smoothed so that no crease shows
    where the slopes from two sides meet. The rim facing away from the light
    darkens and the one facing it brightens, as on a real face lit from the
    side; a level, frontal surface keeps its brightness.
    """
    rise = np.clip(depth, 0.0, 1.0)
    # A face is flatter than a sphere: the rim rises to 0.8 of its width.
    height = 0.8 * np.sqrt(1.0 - (1.0 - rise) ** 2) * iod
    height = cv2.GaussianBlur(height.astype(np.float32), (0, 0), 0.12 * iod)
    slope_y, slope_x = np.gradient(height)
    normal_z = 1.0 / np.sqrt(1.0 + slope_x**2 + slope_y**2)
    light = np.asarray(look["light_vector"], np.float32)
    lit = (-slope_x * light[0] - slope_y * light[1] + light[2]) * normal_z
    lit = np.clip(lit / light[2], 0.0, 1.5)
    return (1.0 - look["lambert"]) + look["lambert"] * lit


def _forehead_lines(canvas, geometry, skin, look):
    """Horizontal forehead lines, as deep as the person is old."""
    project, points, iod = geometry["project"], geometry["points"], geometry["iod"]
    if look["age"] < 0.25:
        return
    centre_x, centre_y, half_width = geometry["cranium"]
    lines = []
    for row in range(look["forehead_lines"]):
        x = np.linspace(-0.5, 0.5, 9) * (1.0 - 0.1 * row)
        y = points[19, 1] - 0.2 - 0.1 * row - 0.05 * (1 - (2 * x) ** 2)
        depth = _cranium_depth(x, y, centre_x, centre_y, half_width)
        lines.append(project(np.c_[x, y, depth]))
    mask = _line_mask(canvas.shape[0], lines, 0.02 * iod, blur=0.015 * iod)
    _paint(canvas, mask, skin * 0.7, 0.8 * (look["age"] - 0.2))


def _eye_age_marks(canvas, geometry, skin, look):
    """Upper-lid creases, lower and heavier with hooding; crow's feet with age."""
    project, points, iod = geometry["project"], geometry["points"], geometry["iod"]
    size = canvas.shape[0]
    drop = 0.1 - 0.05 * look["hooding"]
    creases = [_smooth_curve(project(points[lid] + [0.0, -drop, 0.02]), 12)
               for lid in (np.r_[36:40], np.r_[42:46])]
    mask = _line_mask(size, creases, 0.03 * iod, blur=0.02 * iod)
    _paint(canvas, mask, skin * 0.68, 0.35 + 0.4 * look["hooding"])
    if look["age"] < 0.25:
        return
    feet = []
    for corner, sign in ((36, -1), (45, 1)):
        for spread in (-0.35, 0.0, 0.35):
            start = points[corner] + [sign * 0.08, 0.0, -0.02]
            end = start + [sign * 0.18 * np.cos(spread), 0.18 * np.sin(spread), -0.08]
            feet.append(project(np.array([start, end])))
    mask = _line_mask(size, feet, 0.02 * iod, blur=0.015 * iod)
    _paint(canvas, mask, skin * 0.7, 0.8 * (look["age"] - 0.2))


def _camera(canvas, rng, look):
    """Photograph the scene: colour of the light, lens, exposure, sensor, codec.

    ``rng`` is the cohort's main generator: it gives the same draws as the
    default camera (so that the people after this photograph stay the
    same), scaled to this camera's noise level.
    """
    canvas = canvas * np.asarray(look["tint"], np.float32)
    canvas = cv2.GaussianBlur(canvas, (0, 0), look["defocus"])
    if look["motion"] > 0:
        length, angle = look["motion"], look["motion_angle"]
        width = 2 * int(np.ceil(length / 2)) + 1
        kernel = np.zeros((width, width), np.float32)
        half = (width - 1) / 2
        offset = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
        cv2.line(kernel, tuple(int(v) for v in _fixed(half - offset)),
                 tuple(int(v) for v in _fixed(half + offset)), 1.0, 1,
                 cv2.LINE_AA, _SHIFT)
        if kernel.sum() > 0:
            canvas = cv2.filter2D(canvas, -1, kernel / kernel.sum())
    canvas = canvas * np.float32(look["exposure"])
    rng.uniform(1.5, 5.0)
    canvas += rng.normal(0.0, 1.0, canvas.shape).astype(np.float32) * np.float32(
        look["noise"]
    )
    canvas = canvas * np.asarray(look["white_balance"], np.float32)
    image = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
    size = image.shape[0]
    if look["downscale"] < 1:
        small = max(16, int(round(size * look["downscale"])))
        image = cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA)
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
    if look["jpeg_quality"]:
        ok, encoded = cv2.imencode(".jpg", image[..., ::-1],
                                   [cv2.IMWRITE_JPEG_QUALITY, look["jpeg_quality"]])
        if ok:
            image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(image)


def _render(
    landmarks, identity, expression, rng, image_size, palsy_side, midface_severity,
    *, head=None, look=None,
):
    """Paint one photograph; ``midface_severity`` flattens the affected fold.

    ``head`` (from :func:`_pose_3d`) paints a face turned in 3-D: the outline,
    hair, ears, eyes and nose are built around the face in depth and
    projected with it; without it the painter derives them from the 2-D
    landmarks, for frontal faces. ``look`` (from :func:`_wide_look`, with a
    ``head``) adds the wide variety's lighting, ageing and camera.
    """
    size = image_size
    if head is None:
        geometry = _frontal_geometry(landmarks, identity)
    else:
        geometry = _head_geometry(landmarks, identity, head)
    iod = geometry["iod"]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    top, bottom = identity["background"]
    canvas = top[None, None] * (1 - yy[..., None]) + bottom[None, None] * yy[..., None]
    canvas = canvas.astype(np.float32)

    skin = identity["skin"]
    hair = identity["hair"]
    eye_mid = geometry["eye_mid"]

    if identity["long_hair"]:
        _paint(canvas, _polygon_mask(size, [geometry["behind"]], blur=size / 60),
               hair * 0.9)

    # Neck and ears in a slightly darker skin.
    _paint(canvas, _polygon_mask(size, [geometry["neck"]], blur=1.0), skin * 0.78)
    for ear in geometry["ears"]:
        _paint(canvas, _shape_mask(size, ear, 0.8), skin * 0.85)

    face_mask = _polygon_mask(size, [geometry["head"]], blur=0.7)
    # Shading: darker towards the outline, and a directional light.
    inside = (face_mask > 0.5).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5) / max(iod, 1.0)
    shade = 0.72 + 0.28 * np.clip(depth / 0.55, 0, 1)
    lighting = identity if look is None else look
    light = np.array([np.cos(lighting["light_angle"]),
                      np.sin(lighting["light_angle"])])
    rel = np.stack([xx * size - eye_mid[0], yy * size - eye_mid[1]], -1) / (2.5 * iod)
    shade = shade * (1 + lighting["light_strength"] * (rel @ light.astype(np.float32)))
    if look is not None:
        shade = shade * _lambert(depth, iod, look)
    face_layer = skin[None, None].astype(np.float32) * shade[..., None]
    alpha = face_mask[..., None]
    canvas = canvas * (1 - alpha) + face_layer * alpha
    if look is not None:
        _forehead_lines(canvas, geometry, skin, look)

    # Hair on top of the cranium, down to a hairline arched above the brows.
    hair_mask = _polygon_mask(size, [geometry["hair"]], blur=1.2)
    if geometry["hair_cut"] is not None:
        hair_mask *= 1.0 - _shape_mask(size, geometry["hair_cut"], blur=1.2)
    hair_mask = hair_mask * face_mask
    _paint(canvas, hair_mask, hair)
    if geometry.get("front_ears"):
        behind_face = 1.0 - _polygon_mask(size, [geometry["face_front"]], blur=0.7)
        for ear, concha in geometry["front_ears"]:
            _paint(canvas, _shape_mask(size, ear, 0.8) * behind_face, skin * 0.85)
            _paint(canvas, _shape_mask(size, concha, 0.05 * iod) * behind_face,
                   skin * 0.62, 0.6)

    # Cheek and nasolabial shading. A palsied side is flat: its fold fades.
    for side, fold_points in geometry["folds"]:
        strength = 1.0 - (midface_severity if side == palsy_side else 0.0)
        fold = _line_mask(size, [_smooth_curve(fold_points, 12)],
                          0.06 * iod, blur=0.05 * iod)
        opacity = 0.55 * strength
        if look is not None:
            opacity = opacity * look["fold_depth"]
        _paint(canvas, fold, skin * 0.55, opacity)

    if look is not None:
        # The nose casts a soft shadow away from the light.
        away = -light * 0.2 * iod * np.hypot(*look["light_vector"][:2])
        shadow = _polygon_mask(size, [landmarks[[27, 31, 33, 35]] + away],
                               blur=0.08 * iod)
        _paint(canvas, shadow * face_mask, skin * 0.55, 0.6 * look["lambert"])

    # Nose: shaded bridge sides, a lit tip and dark nostrils.
    for side_line in geometry["bridge_sides"]:
        _paint(canvas, _line_mask(size, [_smooth_curve(side_line, 10)], 0.07 * iod,
                                  blur=0.06 * iod), skin * 0.6, 0.6)
    nose_base = np.vstack([landmarks[31:36], landmarks[30]])
    _paint(canvas, _polygon_mask(size, [nose_base], blur=0.08 * iod), skin * 0.8, 0.6)
    _paint(canvas, _shape_mask(size, geometry["tip"], blur=0.07 * iod),
           np.minimum(skin * 1.12, 255), 0.6)
    for nostril in geometry["nostrils"]:
        _paint(canvas, _shape_mask(size, nostril, blur=0.02 * iod), skin * 0.25, 0.9)

    # Brows: thick strokes whose upper edge follows landmarks 17-26.
    thickness = identity["brow_thickness"] * iod
    for brow in geometry["brows"]:
        centre_line = _smooth_curve(brow, 20)
        brow_mask = _line_mask(size, [centre_line], 2 * thickness * 0.7,
                               blur=0.02 * iod)
        if head is not None:
            # A turned face's far brow ends on the outline.
            brow_mask *= face_mask
        _paint(canvas, brow_mask, hair * 0.8, 0.95)

    # Eyes: a socket shadow, sclera, iris and pupil inside the lids, a dark
    # upper lid margin with lashes and a lighter lower one.
    for eye_index, parts in zip((np.r_[36:42], np.r_[42:48]), geometry["eyes"],
                                strict=True):
        eye = landmarks[eye_index]
        upper = _smooth_curve(eye[[0, 1, 2, 3]], 16)
        lower = _smooth_curve(eye[[3, 4, 5, 0]], 16)
        opening = np.linalg.norm((eye[1] + eye[2]) / 2 - (eye[4] + eye[5]) / 2)
        _paint(canvas, _shape_mask(size, parts["socket"], blur=0.08 * iod),
               skin * 0.7, 0.55)
        if opening > 0.02 * iod:
            sclera = _polygon_mask(size, [np.vstack([upper, lower])])
            _paint(canvas, sclera, (240, 238, 234))
            iris = _shape_mask(size, parts["iris"]) * sclera
            _paint(canvas, iris, identity["iris"])
            pupil = _shape_mask(size, parts["pupil"]) * sclera
            _paint(canvas, pupil, (10, 10, 10))
            _paint(canvas, _line_mask(size, [lower], 0.035 * iod), skin * 0.4, 0.85)
        _paint(canvas, _line_mask(size, [upper], 0.07 * iod), (25, 20, 20), 1.0)
    if look is not None:
        _eye_age_marks(canvas, geometry, skin, look)

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

    if look is not None:
        return _camera(canvas, rng, look)
    # Camera: slight blur, sensor noise, then 8 bits.
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)
    canvas += rng.normal(0.0, rng.uniform(1.5, 5.0), canvas.shape).astype(np.float32)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def _angle_range(value, name, variety):
    """The (low, high) range in degrees from which ``name`` is drawn per image."""
    limit = _ANGLE_LIMITS[name]
    if value is None:
        return _WIDE_POSE[name] if variety == "wide" else (0.0, 0.0)
    if isinstance(value, numbers.Real):
        low = high = float(value)
    else:
        try:
            low, high = (float(bound) for bound in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be an angle in degrees or a (low, high) range of "
                f"them; got {value!r}"
            ) from None
        if not low <= high:
            raise ValueError(
                f"{name} range must have low <= high; got ({low:g}, {high:g})"
            )
    if not (-limit <= low and high <= limit):
        raise ValueError(
            f"{name} must lie within [-{limit:g}, {limit:g}] degrees; got {value!r}"
        )
    return low, high


def _draw_angle(rng, bounds):
    low, high = bounds
    return low if low == high else float(rng.uniform(low, high))


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
        "yaw": [numbers.Real, "array-like", None],
        "pitch": [numbers.Real, "array-like", None],
        "variety": [StrOptions(set(VARIETIES))],
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
    yaw=None,
    pitch=None,
    variety="standard",
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

    Head pose. By default the faces are frontal, with the small jitter of the
    first cohorts (an in-plane roll of sd 3 degrees and a foreshortening of
    at most 8 % at the far contour that moves no nose). Given ``yaw`` or
    ``pitch``, each face is turned in 3-D instead: every landmark, and every
    shape the painter derives from them (outline, ears, hair, eyes, nose),
    has a depth from a generic face profile (nose tip forward, eyes set back,
    cheeks and contour receding), is rotated by yaw then pitch about a point
    at the top of the neck and projected with a mild perspective. A face
    turned by 30 degrees looks turned: its far half narrows, the nose moves
    towards the turn, the near ear shows and the far one hides.

    Variety. ``variety="wide"`` makes the photos vary as widely as real ones
    do, so that a model trained on them has to cope with what is not palsy:

    - identity: wider face proportions (width, length, jaw, nose, eyes,
      depth), a continuous range of skin tones, age (grey hair, forehead
      lines, crow's feet, deeper nasolabial folds, hooded lids);
    - lighting: light mostly from one side with its own strength and
      elevation (a shading gradient across the face, which mimics left-right
      asymmetry), a cast shadow of the nose, colour temperature, exposure;
    - pose: yaw within 15, pitch within 10 and roll within 5 degrees, unless
      ``yaw`` or ``pitch`` are given;
    - camera: perspective from a phone at arm's length to a telephoto,
      defocus, motion blur, sensor noise, white balance, resolution
      (downscaled and upscaled again) and JPEG compression;
    - expression: each person's amplitude (0.65 to 1.2 of the nominal
      movement), varied again per photo, within 0.5 to 1.3;
    - framing: the face's size and position in the image.

    The wide variety draws from a generator of its own, so a wide cohort has
    the same people, palsy sides, types and severities as the standard one
    with the same ``random_state``.

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
    yaw : float, (float, float) or None, default=None
        Head turn in degrees, within [-60, 60]: a value for every image, or a
        ``(low, high)`` range drawn uniformly per image. Positive turns the
        face towards the image's right (the nose moves right; the subject
        turns to their own left). None means 0 for the standard variety and
        ``(-15, 15)`` for the wide one. With ``variety="standard"``, 0 (or
        None) for both angles keeps the frontal path, bit for bit the cohort
        of earlier versions; any other value renders every image in 3-D.
    pitch : float, (float, float) or None, default=None
        Head tilt in degrees, within [-40, 40], given like ``yaw``. Positive
        tilts the face up (chin up, the nose moves up in the image). None
        means 0 for the standard variety and ``(-10, 10)`` for the wide one.
    variety : {"standard", "wide"}, default="standard"
        "wide" varies identity, age, lighting, pose, camera, expression
        amplitude and framing as described above; "standard" keeps the
        cohort of earlier versions.
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
          iBUG 300-W landmarks in pixels; for turned faces the projections of
          the 3-D points, so the far jaw line lies where the 3-D contour
          projects, not on the visible outline;
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
        - ``yaw``, ``pitch``: ndarrays of floats, the true head-pose angles
          of each image in degrees (the conventions of ``yaw`` and
          ``pitch``); 0.0 for the frontal path, whose tiny pseudo-yaw is no
          rotation and moves no nose;
        - ``roll``: ndarray of floats, the in-plane rotation of each image in
          degrees, positive counter-clockwise on screen (the jitter of sd 3
          degrees; within 5 degrees for the wide variety);
        - ``frame``: a DataFrame with one row per image and the columns
          ``patient_id``, ``label``, ``expression``, ``repeat``, ``side``,
          ``palsy_type``, ``severity``, ``severity_brow``, ``severity_eye``,
          ``severity_midface``, ``severity_mouth``, ``grade``, ``yaw``,
          ``pitch`` and ``roll``, plus ``image`` first when written to disk
          (the manifest has the same columns);
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

    Faces turned by known angles, and a cohort that varies like real photos:

    >>> turned = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), image_size=64,
    ...                                yaw=(-30, 30), pitch=10.0, random_state=0)
    >>> turned.yaw.round(1).tolist(), turned.pitch.tolist()
    ([-16.0, 26.2], [10.0, 10.0])
    >>> wide = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                              expressions=("rest",), image_size=64,
    ...                              variety="wide", random_state=0)
    >>> wide.yaw.round(1).tolist(), wide.roll.round(1).tolist()
    ([12.7, -4.4], [2.5, -1.1])
    >>> wide.side.tolist() == turned.side.tolist()  # the same people
    True
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
    yaw_range = _angle_range(yaw, "yaw", variety)
    pitch_range = _angle_range(pitch, "pitch", variety)
    wide = variety == "wide"
    # Frontal faces keep the painter and the pose of the first cohorts, and
    # so their images, bit for bit.
    frontal = not wide and yaw_range == (0.0, 0.0) and pitch_range == (0.0, 0.0)
    rng = check_random_state(random_state)
    seed = rng.randint(np.iinfo(np.int32).max)
    generator = np.random.default_rng(seed)
    # Angles and the wide variety draw from a generator of their own, so that
    # the main one gives the same people, severities and noise as before.
    extra = np.random.default_rng([seed, 17])

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
        if wide:
            identity = _wide_identity(identity, extra)
        depth = _face_depth(identity)
        for expression in expressions:
            shape = _face_shape(
                identity, expression, side, severity,
                region_severity=region_severity, smile_gain=smile_gain,
            )
            rest = shape if expression == "rest" or not wide else _face_shape(
                identity, "rest", side, severity,
                region_severity=region_severity, smile_gain=smile_gain,
            )
            for repeat in range(n_repeats):
                if frontal:
                    landmarks, angle = _pose(shape, generator, image_size,
                                             return_angle=True)
                    image = _render(landmarks, identity, expression, generator,
                                    image_size, side, region_severity["midface"])
                    pose = (0.0, 0.0, -float(np.degrees(angle)))
                else:
                    photo_yaw = _draw_angle(extra, yaw_range)
                    photo_pitch = _draw_angle(extra, pitch_range)
                    photo_shape, framing, look = shape, None, None
                    if wide:
                        # This photo's expression amplitude: the person's,
                        # varied from photo to photo.
                        gain = np.clip(identity["expression_gain"]
                                       * extra.uniform(0.85, 1.15), 0.5, 1.3)
                        photo_shape = rest + gain * (shape - rest)
                        framing = _wide_framing(extra)
                        look = _wide_look(extra, identity, image_size)
                    landmarks, head = _pose_3d(
                        photo_shape, generator, image_size, yaw=photo_yaw,
                        pitch=photo_pitch, depth=depth, framing=framing,
                    )
                    image = _render(landmarks, identity, expression, generator,
                                    image_size, side, region_severity["midface"],
                                    head=head, look=look)
                    pose = (head.yaw, head.pitch, head.roll)
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
                    **dict(zip(("yaw", "pitch", "roll"), pose, strict=True)),
                })

    region_columns = [f"severity_{region}" for region in REGIONS]
    frame = pd.DataFrame(rows, columns=[
        "patient_id", "label", "expression", "repeat", "side", "palsy_type",
        "severity", *region_columns, "grade", "yaw", "pitch", "roll",
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
        yaw=frame["yaw"].to_numpy(dtype=np.float64),
        pitch=frame["pitch"].to_numpy(dtype=np.float64),
        roll=frame["roll"].to_numpy(dtype=np.float64),
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
