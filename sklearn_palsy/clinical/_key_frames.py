"""Key frames of a video: its most neutral frame and each expression's peak.

This module owns :func:`video_key_frames`: from the landmarks of one
video's frames (or one patient's photos) it finds the frame whose face is
closest to the typical resting face, infers the expression of frames whose
expression is not given, and rates each frame's intensity against the peak
of its expression, with the movements of
:mod:`sklearn_palsy.clinical._movement_measures`.
"""

import numpy as np
import pandas as pd

from ..faces._geometry import align_landmarks
from ..faces._schemes import resolve_scheme
from ._movement_measures import (
    _PRIMARY,
    EXPRESSIONS,
    REST,
    _measures,
    _primary_movements,
)

__all__ = ["video_key_frames"]

# Below these, a movement (in inter-ocular distances; eye closure as a
# share) is landmark noise, not an expression that a video shows. On
# synthetic videos, detected landmarks move the lower lip by up to 0.06
# (its height follows the eyes, which set the alignment's origin) and the
# corners inwards by up to 0.03 while the face does neither.
_PRIMARY_FLOOR = {
    "brow_elevation": 0.03,
    "eye_closure": 0.2,
    "full_eye_closure": 0.2,
    "commissure_excursion": 0.03,
    "lower_lip_depression": 0.08,
    "pucker_excursion": 0.05,
}
# A frame is given the expression whose movement reaches at least this
# share of its largest in the video (else it counts as rest).
_INFER_SHARE = 0.5
# The smallest range, in inter-ocular distances, that a static measure is
# divided by when frames are compared for neutrality: a measure that does
# not move is not blown up from its noise.
_NEUTRAL_FLOOR = 0.02


def _neutral_measures(P):
    """Per photo, the static measures that expressions move, (n, 12).

    Brow heights, palpebral fissure heights, commissure excursions, the
    corners' distance from the midline and height, and the lower lip's
    height halfway out: each expression of
    :data:`EXPRESSIONS` moves some of them away from their resting value.
    """
    measures = _measures(P)
    return np.column_stack([
        measures["brow_height"],
        measures["fissure"],
        measures["excursion"],
        np.abs(measures["corner"][..., 0]),
        measures["corner"][..., 1],
        measures["lower_lip_y"],
    ])


def _departure_from_neutral(P):
    """How far each photo's face is from the set's typical resting face.

    Each measure of :func:`_neutral_measures` is compared with its median
    over the photos, which is its resting value when each expression takes
    less than half of them (different expressions move different measures,
    so rest is the most common value of each), and divided by its largest
    such deviation, at least ``_NEUTRAL_FLOOR``: each counts relative to how
    far it moves in this set. The sum over the measures is 0 for a face
    whose every measure sits at its median.
    """
    values = _neutral_measures(P)
    deviation = np.abs(values - np.median(values, axis=0))
    scale = np.maximum(deviation.max(axis=0), _NEUTRAL_FLOOR)
    return (deviation / scale).sum(axis=1)


def _infer_expressions(primary):
    """The expression each photo shows, from its primary movements; or rest.

    Each movement is divided by its largest over the photos; a photo shows
    the expression whose share is largest, if it is at least
    ``_INFER_SHARE`` and the movement reaches its floor somewhere; else rest.
    """
    names = list(primary)
    shares = np.zeros((len(next(iter(primary.values()))), len(names)))
    for column, expression in enumerate(names):
        values = primary[expression]
        top = values.max() if len(values) else 0.0
        if top >= _PRIMARY_FLOOR[_PRIMARY[expression]]:
            shares[:, column] = values / top
    best = shares.argmax(axis=1)
    chosen = np.array(names, dtype=object)[best]
    return np.where(shares[np.arange(len(best)), best] >= _INFER_SHARE, chosen,
                    REST).astype(object)


def video_key_frames(landmarks, expressions=None, *, scheme="auto"):
    """Find the most neutral frame of a video and the peak of each expression.

    From the landmarks of the frames of one video (or one patient's
    photos): each face is aligned (eyes level, unit inter-ocular distance)
    and its static measures that expressions move (brow heights, palpebral
    fissure heights, commissure excursions, the corners' position, the lower
    lip's height) are compared with their median over the frames, each
    relative to how far it moves in this video. The frame of least
    departure is the rest frame. Each frame's *intensity* is then the
    primary movement of its expression from the rest frame, averaged over
    the two sides (brow elevation for ``raise_eyebrows``, eye closure for
    ``close_eyes``, commissure excursion for ``smile``, lower-lip
    depression for ``show_lower_teeth``, pucker excursion for
    ``pucker``), divided by its largest over the frames of that
    expression; the peak frame of each expression has intensity 1.

    Parameters
    ----------
    landmarks : array-like of shape (n_frames, n_landmarks, 2)
        One face per frame, in pixels; frames without a face are NaN.
    expressions : array-like of shape (n_frames,), default=None
        Each frame's expression, from :data:`EXPRESSIONS` (other values,
        and None, count as unknown and are inferred). None infers every
        frame's: the expression whose primary movement from the rest frame
        reaches the largest share of its largest in the video, when that
        share is at least one half and the movement itself is more than
        landmark noise (0.03 inter-ocular distances for the brows and the
        smile, 0.05 for the pucker, 0.08 for the lower lip, or a fifth of
        the eye closed); else ``"rest"``.
    scheme : str or LandmarkScheme, default="auto"
        The landmark scheme; ``"auto"`` takes it from the number of points.

    Returns
    -------
    frames : pandas.DataFrame
        One row per frame, with columns ``departure`` (from the typical
        resting face, 0 when every measure sits at its median; NaN without
        a face), ``rest`` (True for the rest frame), ``expression`` (given
        or inferred; None without a face), ``intensity`` (NaN for rest and
        unknown expressions, and without a face) and ``peak`` (True for
        each expression's frame of largest intensity).

    Raises
    ------
    ValueError
        No frame has a face.

    See Also
    --------
    PatientMovement : With ``rest="most-neutral"`` and
        ``expression_frames="peak"``, uses these frames per video.

    Notes
    -----
    The median is the resting value of each measure when each expression
    takes less than half of the frames, as in the standard protocols,
    which return to rest between movements: different expressions move
    different measures, so a measure spends most frames at rest even when
    the face as a whole rarely does.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.clinical import video_key_frames
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(
    ...     n_patients=0, n_controls=1, n_repeats=1, image_size=96,
    ...     expressions=("rest", "smile", "raise_eyebrows"), random_state=0)
    >>> # A "video": rest three times, then a smile and raised brows.
    >>> frames = video_key_frames(cohort.landmarks[[0, 0, 0, 1, 2]])
    >>> frames[["rest", "expression", "peak"]].values.tolist()
    [[True, 'rest', False], [False, 'rest', False], [False, 'rest', False], \
[False, 'smile', True], [False, 'raise_eyebrows', True]]
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim != 3 or landmarks.shape[2] != 2:
        raise ValueError(
            "landmarks must have shape (n_frames, n_landmarks, 2); got "
            f"{landmarks.shape}"
        )
    n_frames = len(landmarks)
    given = [None] * n_frames if expressions is None else list(expressions)
    if len(given) != n_frames:
        raise ValueError(
            f"expressions has {len(given)} values for {n_frames} frames"
        )
    found = np.isfinite(landmarks).all(axis=(1, 2))
    if not found.any():
        raise ValueError("no frame has landmarks (all NaN): nothing to choose from")
    scheme = resolve_scheme(scheme, landmarks[found])
    aligned, _ = align_landmarks(scheme.to_ibug68(landmarks[found]), "ibug68")
    departure = _departure_from_neutral(aligned)
    rest = int(np.argmin(departure))
    rest_measures = _measures(aligned[[rest] * len(aligned)])
    primary = _primary_movements(_measures(aligned), rest_measures)
    labels = np.array(
        [value if isinstance(value, str) and value in EXPRESSIONS else None
         for value in np.asarray(given, dtype=object)[found]],
        dtype=object,
    )
    unknown = np.array([label is None for label in labels])
    if unknown.any():
        labels[unknown] = _infer_expressions(primary)[unknown]
    intensity = np.full(len(aligned), np.nan)
    peak = np.zeros(len(aligned), dtype=bool)
    for expression in _PRIMARY:
        on = labels == expression
        if not on.any():
            continue
        values = primary[expression][on]
        top = values.max()
        if top > 0:
            intensity[on] = values / top
        peak[np.flatnonzero(on)[np.argmax(values)]] = True
    frames = pd.DataFrame({
        "departure": np.full(n_frames, np.nan),
        "rest": np.zeros(n_frames, dtype=bool),
        "expression": pd.Series([None] * n_frames, dtype=object),
        "intensity": np.full(n_frames, np.nan),
        "peak": np.zeros(n_frames, dtype=bool),
    })
    rows = np.flatnonzero(found)
    frames.loc[rows, "departure"] = departure
    frames.loc[rows[rest], "rest"] = True
    frames.loc[rows, "expression"] = labels
    frames.loc[rows, "intensity"] = intensity
    frames.loc[rows, "peak"] = peak
    return frames
