"""The movements of a face between two photos, and what each is measured on.

This module owns the vocabulary and the arithmetic of movement from rest:
the expressions (:data:`EXPRESSIONS`), the movements measured on them
(:data:`MOVEMENTS`), the static measures of each aligned photo that the
movements compare (brow and lower-lip heights, palpebral fissures,
commissures, the nasolabial angle) and each movement per side between a
moved and a resting photo. :class:`~sklearn_palsy.clinical.PatientMovement`
turns them into features and :func:`~sklearn_palsy.clinical.video_key_frames`
finds a video's rest frame and expression peaks with them.

Conventions: "right" and "left" are the subject's; photos are aligned
iBUG-68 points P of shape (n, 68, 2), in inter-ocular distances, y down.
"""

import numpy as np

from ..faces._schemes import IBUG68
from ..preprocessing._features import eye_closure, side_measures

__all__ = ["EXPRESSIONS", "MOVEMENTS", "REST"]

#: The expression of the photo every movement is measured from.
REST = "rest"

#: The expressions :class:`~sklearn_palsy.clinical.PatientMovement` knows:
#: ``"rest"``, then one per voluntary movement (the synthetic cohort's
#: names, plus ``"close_eyes_tightly"`` for the eFACE's full eye closure
#: and ``"show_lower_teeth"`` for the lower lip).
EXPRESSIONS = (
    REST,
    "raise_eyebrows",
    "close_eyes",
    "close_eyes_tightly",
    "smile",
    "show_lower_teeth",
    "pucker",
)

#: Each movement: (name, the expression it is measured on, whether it is a
#: length, in inter-ocular distances or millimetres).
MOVEMENTS = (
    ("brow_elevation", "raise_eyebrows", True),
    ("eye_closure", "close_eyes", False),
    ("full_eye_closure", "close_eyes_tightly", False),
    ("commissure_excursion", "smile", True),
    ("commissure_displacement", "smile", True),
    ("smile_angle_change", "smile", False),
    ("nasolabial_angle_change", "smile", False),
    ("lower_lip_depression", "show_lower_teeth", True),
    ("pucker_excursion", "pucker", True),
)

#: The movement that measures how far each expression went: its peak frame
#: is where this movement, averaged over the two sides, is largest.
_PRIMARY = {
    "raise_eyebrows": "brow_elevation",
    "close_eyes": "eye_closure",
    "close_eyes_tightly": "full_eye_closure",
    "smile": "commissure_excursion",
    "show_lower_teeth": "lower_lip_depression",
    "pucker": "pucker_excursion",
}

# How far an expression went is measured, for the lower lip, with the jaw's
# opening: the lip's fall from the eyes, not its depression against the jaw.
_HOW_FAR = {"lower_lip_depression": "lower_lip_fall"}

def _measures(P, scheme=IBUG68):
    """What each movement compares, per photo; each (n, 2) is (right, left).

    The per-side measures of
    :func:`~sklearn_palsy.preprocessing._features.side_measures`, the one
    definition that the clinical features and the regional scores use too:
    from the iris centres where ``scheme`` has irises, else from the canthi's
    midpoints, which the lids do not move. The lower lip's height
    is taken from the chin (8), for its depression, so that the jaw's
    opening is not counted as the lip's movement (Emotrics+ measures the lip
    against the jaw), and from the eye line, for how far the expression
    went.
    """
    measures, _ = side_measures(P, scheme)

    def pair(name):
        return np.column_stack(measures[name])

    return {
        "brow_height": pair("brow_height"),
        "fissure": pair("palpebral_fissure_height"),
        "excursion": pair("commissure_excursion"),
        "smile_angle": pair("smile_angle"),
        "corner": np.stack(measures["commissure_position"], axis=1),
        "nasolabial": pair("nasolabial_angle"),
        # The lower lip's points 58 / 56 below the eye line.
        "lower_lip_y": pair("lower_lip_drop"),
        "lower_lip_on_jaw": -pair("lower_lip_above_chin"),
    }


#: The measures of :func:`_measures` that are lengths or positions.
_LENGTHS = ("brow_height", "fissure", "excursion", "corner", "lower_lip_y",
            "lower_lip_on_jaw")


def _to_unit(measures, length):
    """The measures with lengths in a unit of ``length`` (n,) photo units."""
    return {
        key: value * length.reshape((-1,) + (1,) * (value.ndim - 1))
        if key in _LENGTHS else value
        for key, value in measures.items()
    }


def _movement(name, moved, rest):
    """One movement per side, (n, 2), from the measures of two sets of photos."""
    if name == "brow_elevation":  # the brow's rise above the eye
        return moved["brow_height"] - rest["brow_height"]
    if name in ("eye_closure", "full_eye_closure"):
        # The share of the fissure that closed; NaN where there is no opening
        # at rest to close.
        return eye_closure(moved["fissure"], rest["fissure"])
    if name == "commissure_excursion":
        return moved["excursion"] - rest["excursion"]
    if name == "commissure_displacement":
        return np.linalg.norm(moved["corner"] - rest["corner"], axis=-1)
    if name == "smile_angle_change":
        return moved["smile_angle"] - rest["smile_angle"]
    if name == "nasolabial_angle_change":
        return moved["nasolabial"] - rest["nasolabial"]
    if name == "lower_lip_depression":  # against the jaw
        return moved["lower_lip_on_jaw"] - rest["lower_lip_on_jaw"]
    if name == "lower_lip_fall":  # with the jaw
        return moved["lower_lip_y"] - rest["lower_lip_y"]
    # pucker_excursion: how far each corner travels towards the midline.
    return np.abs(rest["corner"][..., 0]) - np.abs(moved["corner"][..., 0])


def _primary_movements(moved, rest):
    """Per photo, each expression's primary movement averaged over both sides.

    Returns a dict from expression to an (n,) array; ``rest`` holds the
    measures of each photo's rest face, row by row.
    """
    # A movement that cannot be measured (an eye with no opening at rest to
    # close) counts as none.
    return {
        expression: np.nan_to_num(
            _movement(_HOW_FAR.get(name, name), moved, rest).mean(axis=1), nan=0.0)
        for expression, name in _PRIMARY.items()
    }
