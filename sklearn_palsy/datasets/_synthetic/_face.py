"""The synthetic face model: who a person is and where their landmarks lie.

This module owns the parametric iBUG 300-W 68-point face, in inter-ocular
units and before any pose: a person's identity (proportions, colours,
lighting; widened for the ``"wide"`` variety), the voluntary expressions,
and the signs of a unilateral palsy, at rest and in movement, with the
severity a central or peripheral palsy gives each facial region.

Conventions: x runs to the right and y downwards; indices follow iBUG 300-W
(0-based); points 17-21, 36-41 and 48 lie on the image's left, which is the
subject's right.
"""

import numpy as np

from ...faces._schemes import IBUG68_MEAN_FACE

__all__ = [
    "ASYMMETRIES",
    "EXPRESSIONS",
    "PALSY_TYPES",
    "REGIONS",
    "draw_identity",
    "draw_natural_asymmetry",
    "face_shape",
    "severity_by_region",
]


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

# Ocular synkinesis (Laryngoscope 2013): on smiling, healthy eyes narrow by
# 21.6 +- 13.4 % of their palpebral fissure, synkinetic ones by 32.7 +- 13.7 %.
# The renderer narrows a healthy eye by the first and a fully synkinetic one
# by the second, on smiling and on puckering alike (a healthy eye does not
# narrow on puckering).
_SMILE_EYE_NARROWING = 0.216
_SYNKINETIC_EYE_NARROWING = 0.327
# Oral synkinesis: at full severity, eye closure pulls the affected mouth
# corner outwards and up by this much (inter-ocular units), about 40 % of a
# full smile's excursion.
_SYNKINETIC_CORNER_PULL = np.array([0.05, -0.07])

# Natural asymmetry of healthy faces. Movement: the weaker side falls short
# by |N(0, 0.1)| per region (mean 8 %, the OSCAR normals' 7-9 %), clipped to
# 30 %. Static offsets at rest, in inter-ocular units (1 = about 63 mm, the
# adult mean interpupillary distance):
# - the corners of the mouth: the angle between the commissure line and the
#   line of the outer canthi is 0.2 +- 1.4 deg (men) and 0.3 +- 1.3 deg
#   (women) in 1,282 volunteers (Song et al., J Oral Maxillofac Surg 2007;
#   PMID 17954309); sd 0.022 gives an sd of about 1.35 deg;
# - the brows: the central brow heights differ by 1.77 mm on average
#   (95 % CI 1.47-2.07), the upper lids' margin-to-pupil distances by 0.55 mm
#   (0.45-0.65), in 100 adults without palsy (Macdonald et al., J
#   Otolaryngol Head Neck Surg 2014; doi 10.1186/s40463-014-0036-4); an
#   offset of sd 0.03 IOD (1.9 mm), with the brows' own shapes, gives a
#   mean absolute difference of about 1.7 mm (that series is older, mean
#   age 58, than most; younger faces may be more symmetric);
# - the upper lids: "fissure" lowers one upper lid by that share of the
#   fissure's height (about 8 mm), sd 0.085, a mean absolute MRD1 difference
#   of about 0.55 mm.
# tests/test_synthetic.py compares the rendered distributions with these.
_MOVEMENT_ASYMMETRY_SD = 0.1
_MOVEMENT_ASYMMETRY_MAX = 0.3
_STATIC_ASYMMETRY_SD = {"brow_height": 0.03, "fissure": 0.085,
                        "commissure_height": 0.022}
ASYMMETRIES = (*_MOVING_REGIONS, *_STATIC_ASYMMETRY_SD)


def draw_identity(rng):
    """Draw one person's face shape, colours and lighting.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator to draw from; the draws are always the same in number
        and order, so that the people after this one stay the same.

    Returns
    -------
    identity : dict
        Proportions ("face_width", "eye_size", "mouth_width", ...) for
        :func:`face_shape`, and colours, hair and lighting for
        :func:`~sklearn_palsy.datasets._synthetic.render`.
    """
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
_BLACK_HAIR = np.array([25.0, 20.0, 18.0])
# Hair darkens towards black from this skin tone on (0 the lightest skin,
# 1 the darkest), reaching it this much further on.
_HAIR_DARKENS_FROM, _HAIR_DARKENS_OVER = 0.25, 0.5
# The brows' share of grey, as a fraction of the scalp hair's.
_BROW_GREYING = 0.5


def _wide_identity(identity, rng):
    """Widen one identity for the wide variety, drawing from ``rng`` only.

    Proportions vary more (face width and length, jaw, nose, eyes, the
    face's depth and the nose's projection); the skin tone is continuous
    from light to dark, and the hair's pigment follows it (light hair on
    light skin only); age brings grey hair (the brows grey half as much:
    ``"brow"`` is their colour), forehead lines, crow's feet, deeper
    nasolabial folds and hooded lids; each person smiles, raises the brows
    and closes the eyes with an amplitude of their own. No draw depends on
    the colours, so the people stay the same whatever they are.
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
    # The hair's pigment follows the skin's: the lighter hair colours only
    # on lighter skin, the darker the skin the nearer black.
    dark = np.clip((tone - _HAIR_DARKENS_FROM) / _HAIR_DARKENS_OVER, 0.0, 1.0)
    pigment = identity["hair"] * (1 - dark) + _BLACK_HAIR * dark
    age = rng.uniform(0.0, 1.0)
    grey = np.clip((age - 0.45) * 1.8, 0.0, 1.0) * rng.uniform(0.3, 1.0)
    wide["hair"] = pigment * (1 - grey) + _GREY_HAIR * grey
    # Brows keep their colour longer than the scalp's hair.
    brow_grey = _BROW_GREYING * grey
    wide["brow"] = pigment * (1 - brow_grey) + _GREY_HAIR * brow_grey
    wide["age"] = age
    wide["hooding"] = np.clip(age * rng.uniform(0.4, 1.2), 0.0, 1.0)
    wide["fold_depth"] = 0.6 + 0.9 * age * rng.uniform(0.6, 1.2)
    wide["forehead_lines"] = int(rng.integers(2, 5))
    wide["expression_gain"] = rng.uniform(0.65, 1.2)
    return wide


def draw_natural_asymmetry(rng):
    """Draw one person's natural left-right asymmetry.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator to draw from; always six draws, in the order of
        :data:`ASYMMETRIES`.

    Returns
    -------
    asymmetry : dict of str to float
        Signed, positive where the subject's right is the weaker or lower
        side. "brow", "eye" and "mouth": the share by which that side's
        movement falls short of the other's (``|L - R| / max``); the
        "brow_height" and "commissure_height" differences (inter-ocular
        units, positive where the right one sits lower) and "fissure", the
        share by which the right palpebral fissure is lower than the left.
        For :func:`face_shape`'s ``asymmetry``.
    """
    asymmetry = {
        region: float(np.clip(rng.normal(0.0, _MOVEMENT_ASYMMETRY_SD),
                              -_MOVEMENT_ASYMMETRY_MAX, _MOVEMENT_ASYMMETRY_MAX))
        for region in _MOVING_REGIONS
    }
    asymmetry.update(
        (name, float(rng.normal(0.0, sd)))
        for name, sd in _STATIC_ASYMMETRY_SD.items()
    )
    return asymmetry


def _apply_static_asymmetry(shape, asymmetry):
    """Offset brows, mouth corners and upper lids, half on each side.

    The upper lid falls by its share of the fissure's height (as a mild
    ptosis does): the margin-to-reflex distance and the fissure change by
    the same amount, and the lower lid stays.
    """
    heights = {
        side: (shape[points["lower_lid"], 1].mean()
               - shape[points["upper_lid"], 1].mean())
        for side, points in _SIDE_POINTS.items()
    }
    height = 0.5 * (heights["right"] + heights["left"])
    for side, sign in (("right", 0.5), ("left", -0.5)):
        points = _SIDE_POINTS[side]
        shape[points["brow"], 1] += sign * asymmetry["brow_height"]
        shape[points["corner"], 1] += sign * asymmetry["commissure_height"]
        shape[points["upper_lid"], 1] += sign * asymmetry["fissure"] * height


def _natural_gain(asymmetry, side):
    """One side's movement gain per region under a natural asymmetry."""
    sign = 1.0 if side == "right" else -1.0
    return {
        region: 1.0 - max(sign * asymmetry[region], 0.0)
        for region in _MOVING_REGIONS
    }


def _narrow_eye(shape, side, narrowing):
    """Narrow one palpebral fissure by the share ``narrowing``.

    The lower lid rises (the cheek pushes it) by 60 % of the closure, the
    upper lid falls by 40 %.
    """
    points = _SIDE_POINTS[side]
    for upper, lower in zip(points["upper_lid"], points["lower_lid"][::-1],
                            strict=True):
        gap = shape[lower, 1] - shape[upper, 1]
        shape[upper, 1] += 0.4 * narrowing * gap
        shape[lower, 1] -= 0.6 * narrowing * gap


def _synkinesis(shape, expression, side, eye_gain, synkinesis, smile_gain):
    """The eye's narrowing on smiling and the synkinetic movements of one side.

    On smiling a healthy eye narrows by 21.6 % (scaled by the side's eye
    gain and the smile's amplitude); a synkinetic eye narrows, on smiling
    and on puckering, towards 32.7 % as ``synkinesis`` goes from 0 to 1. On
    eye closure, synkinesis pulls the mouth corner outwards and up.
    """
    if expression in ("smile", "pucker"):
        normal = (
            _SMILE_EYE_NARROWING * eye_gain * smile_gain
            if expression == "smile" else 0.0
        )
        narrowing = (1 - synkinesis) * normal + synkinesis * _SYNKINETIC_EYE_NARROWING
        _narrow_eye(shape, side, min(narrowing, 0.9))
    elif expression == "close_eyes" and synkinesis > 0:
        points = _SIDE_POINTS[side]
        outward = -1.0 if side == "right" else 1.0
        pull = synkinesis * _SYNKINETIC_CORNER_PULL * np.array([outward, 1.0])
        shape[points["corner"]] += pull
        for index, share in zip(
            points["mouth"][1:], (0.55, 0.45, 0.6, 0.45), strict=True
        ):
            shape[index] += share * 0.7 * pull


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


def severity_by_region(palsy_type, severity):
    """The severity the renderer applies to each region, by type of palsy.

    A peripheral palsy weakens the whole half face alike. A central palsy
    spares the forehead (its motor neurons are fed from both hemispheres),
    keeps most of the eye closure and weakens the lower face: the midface
    (nasolabial fold) and the mouth at the full severity. Controls
    (``"none"``, severity 0) get 0 everywhere.

    Parameters
    ----------
    palsy_type : {"peripheral", "central", "none"}
        The type of palsy; anything but "central" weakens every region alike.
    severity : float
        The patient's severity in [0, 1], that of the lower face.

    Returns
    -------
    region_severity : dict of str to float
        One severity for each of :data:`REGIONS`, for :func:`face_shape`'s
        ``region_severity`` (and, its "midface", for the painter's fold).

    Examples
    --------
    >>> from sklearn_palsy.datasets._synthetic import severity_by_region
    >>> severity_by_region("central", 0.8)
    {'brow': 0.0, 'eye': 0.12, 'midface': 0.8, 'mouth': 0.8}
    """
    if palsy_type == "central":
        return {
            "brow": 0.0,
            "eye": _CENTRAL_EYE_SHARE * severity,
            "midface": severity,
            "mouth": severity,
        }
    return dict.fromkeys(REGIONS, severity)


def face_shape(
    identity, expression, palsy_side, severity, *, region_severity=None,
    smile_gain=1.0, synkinesis=None, asymmetry=None,
):
    """Landmarks of one identity's face, in inter-ocular units, before pose.

    Parameters
    ----------
    identity : dict
        From :func:`draw_identity`.
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
        ``severity_by_region("central", 0.8)`` gives a central palsy.
    smile_gain : float, default=1.0
        Scales both sides' smile amplitude (mouth widening and commissure
        lift), as a person who smiles more (> 1) or less (< 1) broadly.
    synkinesis : float or None, default=None
        None draws no eye movement on smiling, the face of earlier versions.
        A float in [0, 1] draws both eyes narrowing on smiling (by 21.6 % of
        the palpebral fissure, scaled by each side's eye movement and
        ``smile_gain``) and, on ``palsy_side``, synkinesis of that severity:
        the eye narrows on smiling and on puckering towards 32.7 % at 1 (a
        healthy eye does not narrow on puckering), and eye closure pulls the
        mouth corner outwards and up (0.086 inter-ocular distances at 1).
    asymmetry : dict or None, default=None
        A natural asymmetry from :func:`draw_natural_asymmetry`: static
        offsets of brows, mouth corners and fissures, and the weaker side's
        shortfall of movement per region, on top of any palsy. None draws a
        symmetric face.

    Returns
    -------
    shape : ndarray of shape (68, 2)
        The iBUG 300-W landmarks, eye midpoint at the origin, for the head
        pose (:mod:`~sklearn_palsy.datasets._synthetic._head`) to place.
    """
    shape = _neutral_shape(identity)
    if asymmetry is not None:
        _apply_static_asymmetry(shape, asymmetry)
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
        if asymmetry is not None or synkinesis is not None:
            gains = _per_region(gain, region_gain)
            if asymmetry is not None:
                natural = _natural_gain(asymmetry, side)
                gains = {region: gains[region] * natural[region] for region in gains}
                region_gain = gains
        _move_side(
            shape, expression, side, gain, region_gain=region_gain,
            smile_gain=smile_gain,
        )
        if synkinesis is not None:
            _synkinesis(
                shape, expression, side, gains["eye"],
                synkinesis if side == palsy_side else 0.0, smile_gain,
            )
    return shape
