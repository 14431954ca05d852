"""eFACE-style regional symmetry scores from landmarks alone, without training.

Clinicians grade a facial palsy region by region: how the brow, the eye, the
midface and the mouth of the affected side compare with the healthy side, at
rest and in motion. The eFACE (Banks et al. 2015) scores each such item from
0 to 100, where 100 is normal (symmetric). Emotrics+ (Guarin et al.,
``MEA-Summer/Emotrics_Plus``, ``Compute_eFace.py``) computes the items that
photographs allow from landmarks; this module follows its formulas (each
item's docstring entry below says where it differs), on top of the Emotrics
measures of :func:`~sklearn_palsy.preprocessing._features.clinical_features`.

* :func:`regional_scores` scores faces from their rest photo and, for the
  movement (dynamic) items, photos of the same faces making expressions, in
  a :class:`pandas.DataFrame` with the affected side and a confidence.
* :class:`RegionalScores` is the scikit-learn transformer for the items of a
  rest photo alone, the ones a pipeline over single photos can compute.

Conventions: "right" and "left" are the subject's own sides (iBUG points
17-21, 36-41 and 48, on the image's left, are the subject's right). Lengths
are in millimetres where the scheme has irises (MediaPipe 478: 11.77 mm over
the mean iris diameter), else in inter-ocular distances (IOD); every score
is a ratio of the two sides, so it has no unit either way.

Missing faces
-------------
A row whose landmarks hold any NaN (what
:class:`~sklearn_palsy.LandmarkDetector` gives, with ``on_missing="nan"``,
for a photo without a face) is a missing face: its scores and its affected
side are missing (NaN). A missing expression photo makes only the items of
that expression NaN. Infinite landmarks and degenerate faces (eye centres
that coincide, irises of zero size) are errors, raised as
:class:`~sklearn_palsy.exceptions.InvalidLandmarksError` naming every such
row, as everywhere in the package.

References
----------
Banks, C. A. et al. (2015). Clinician-graded electronic facial paralysis
assessment: the eFACE. Plastic and Reconstructive Surgery 136(2), 223e-230e.

Guarin, D. L. et al. (2018). Toward an automatic system for computer-aided
assessment in facial palsy. Facial Plastic Surgery & Aesthetic Medicine
22(1), 42-49 (Emotrics); Emotrics+ adds the automatic eFACE.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..exceptions import InvalidLandmarksError
from ..faces import align_landmarks
from ..faces._geometry import check_landmarks
from ..faces._schemes import (
    resolve_scheme,
)
from ..preprocessing._features import (
    IRIS_DIAMETER_MM,
    clinical_feature_names,
    clinical_features,
    iris_diameter,
)
from ..preprocessing._landmarks import LandmarkTransformerMixin
from ..utils._compat import (
    Interval,
)

__all__ = [
    "DYNAMIC_ITEMS",
    "EXPRESSION_ITEMS",
    "REGIONS",
    "STATIC_ITEMS",
    "RegionalScores",
    "regional_score_names",
    "regional_scores",
]

#: eFACE static items, scored from a rest photo.
STATIC_ITEMS = (
    "brow_at_rest",
    "palpebral_fissure_at_rest",
    "nasolabial_fold_at_rest",
    "oral_commissure_at_rest",
)

#: eFACE dynamic items, scored from a rest photo and an expression photo.
DYNAMIC_ITEMS = (
    "brow_elevation",
    "eye_closure",
    "nasolabial_fold_with_smile",
    "oral_commissure_with_smile",
    "lower_lip_movement",
)

#: The expression photo each dynamic item needs, by the names of
#: :func:`~sklearn_palsy.datasets.make_synthetic_cohort` where it has them.
EXPRESSION_ITEMS = {
    "raise_eyebrows": ("brow_elevation",),
    "close_eyes": ("eye_closure",),
    "smile": ("nasolabial_fold_with_smile", "oral_commissure_with_smile"),
    "show_lower_teeth": ("lower_lip_movement",),
}

#: The items summarised by each region's score.
REGIONS = {
    "brow": ("brow_at_rest", "brow_elevation"),
    "eye": ("palpebral_fissure_at_rest", "eye_closure"),
    "midface": ("nasolabial_fold_at_rest", "nasolabial_fold_with_smile"),
    "mouth": (
        "oral_commissure_at_rest",
        "oral_commissure_with_smile",
        "lower_lip_movement",
    ),
}

# Below these movements of the healthy side, an expression photo shows no
# movement to compare with (the expression was not made, or both sides are
# still), and the item is NaN rather than a ratio of noise: lengths in
# inter-ocular distances (about 1.3 mm; converted per face where there are
# irises), angles in degrees, eye closure as a share of the open fissure.
_MIN_MOVEMENT_IOD = 0.02
_MIN_MOVEMENT_DEGREES = 2.0
_MIN_EYE_CLOSURE = 0.05


# --------------------------------------------------------------------------
# Per-side measures.

_MEASURES = (
    "brow_height",
    "fissure_height",
    "commissure_excursion",
    "commissure_lift",
    "commissure_reach",
    "nasolabial_angle",
    "lower_lip_height",
)


def _side_measures(landmarks, scheme):
    """The per-side measures that the items compare, for a batch of faces.

    Parameters
    ----------
    landmarks : ndarray of shape (n, n_landmarks, 2)
        Checked landmarks; rows holding a NaN are missing faces.
    scheme : LandmarkScheme

    Returns
    -------
    measures : dict of str to (ndarray, ndarray)
        Each measure's ``(right, left)`` values, of shape (n,), NaN for the
        missing faces: heights positive upwards, lengths in inner-canthal
        distances d(39, 42) of each photo (see Notes).
    length_of_iod : ndarray of shape (n,)
        One inter-ocular distance in those units.

    Notes
    -----
    One measurement frame per visit: a visit's photos are measured in one
    unit, the inner-canthal distance, which neither the lids nor the mouth
    move, so that an iris that looks smaller on the smile photo (half hidden
    by the cheeks) rescales none of its movements. It is the frame of
    :func:`~sklearn_palsy.preprocessing._features.visit_scale`, less that
    function's one factor per visit (millimetres per inner-canthal distance
    of the rest photo), which no score, a ratio, sees. The lower lip's
    height is measured above the chin (8), so that the jaw's opening is not
    counted as the lip's movement (Emotrics+ measures the lip against the
    jaw).
    """
    missing = np.isnan(landmarks).any(axis=(1, 2))
    if missing.all():
        nan = np.full(len(landmarks), np.nan)
        return {name: (nan, nan) for name in _MEASURES}, nan
    if missing.any():
        # The first complete face stands in for the missing ones, so that
        # the whole batch is measured and any error names rows by their index
        # in it; their results are NaN below.
        landmarks = landmarks.copy()
        landmarks[missing] = landmarks[np.flatnonzero(~missing)[0]]
    clinical = dict(zip(clinical_feature_names(scheme),
                        clinical_features(landmarks, scheme).T, strict=True))
    unit = "_mm" if scheme.has_irises else ""
    aligned, inter_ocular = align_landmarks(landmarks, scheme)
    ibug = scheme.to_ibug68(aligned)
    # The visit's unit: the inner canthi's distance, here in inter-ocular
    # distances, and the clinical features' unit in pixels.
    length_of_iod = 1.0 / _inner_canthal_distance(ibug)
    pixels = inter_ocular
    if scheme.has_irises:
        pixels = iris_diameter(landmarks, scheme) / IRIS_DIAMETER_MM
    to_visit = pixels * length_of_iod / inter_ocular
    clinical.update((name, value * to_visit) for name, value in clinical.items()
                    if not name.startswith("smile_angle"))
    by_side = []
    for side, ala, corner, lower_lip in (("right", 31, 48, 58), ("left", 35, 54, 56)):
        excursion = clinical[f"commissure_excursion_{side}{unit}"]
        smile_angle = np.radians(clinical[f"smile_angle_{side}"])
        fold = ibug[:, corner] - ibug[:, ala]
        by_side.append({
            "brow_height": clinical[f"brow_height_{side}{unit}"],
            "fissure_height": clinical[f"palpebral_fissure_height_{side}{unit}"],
            "commissure_excursion": excursion,
            # Emotrics+'s e and d: the commissure's height above Lmid (the
            # lower lip's midline point) and its distance from the midline.
            "commissure_lift": -excursion * np.cos(smile_angle),
            "commissure_reach": excursion * np.sin(smile_angle),
            # The ala -> commissure line, in degrees from the downward vertical.
            "nasolabial_angle": np.degrees(np.arctan2(np.abs(fold[:, 0]), fold[:, 1])),
            "lower_lip_height": (ibug[:, 8, 1] - ibug[:, lower_lip, 1])
            * length_of_iod,
        })
    measures = {
        name: tuple(np.where(missing, np.nan, side[name]) for side in by_side)
        for name in _MEASURES
    }
    return measures, np.where(missing, np.nan, length_of_iod)


def _inner_canthal_distance(ibug):
    """d(39, 42) of aligned iBUG-68 points, refused where it is zero."""
    distance = np.linalg.norm(ibug[:, 42] - ibug[:, 39], axis=-1)
    degenerate = ~(distance > 0)
    if degenerate.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {np.flatnonzero(degenerate).tolist()} are "
            "degenerate: the inner canthi coincide (zero inner-canthal distance)"
        )
    return distance


# --------------------------------------------------------------------------
# Ratios and scores, which never divide by zero.


def _ratio(numerator, denominator, *, minimum=0.0):
    """numerator / denominator where the denominator exceeds minimum, else NaN."""
    numerator, denominator, minimum = np.broadcast_arrays(
        np.asarray(numerator, float), np.asarray(denominator, float), minimum
    )
    with np.errstate(invalid="ignore"):
        defined = denominator > minimum
    return np.divide(
        numerator, denominator, out=np.full(numerator.shape, np.nan), where=defined
    )


def _static_score(ratio):
    """Emotrics+'s resting score, 100 - |100 - r|, with r in % clipped to [0, 200]."""
    percent = np.clip(100.0 * ratio, 0.0, 200.0)
    return 100.0 - np.abs(100.0 - percent)


def _dynamic_score(ratio):
    """The affected side's movement in % of the healthy side's, in [0, 100]."""
    return np.clip(100.0 * ratio, 0.0, 100.0)


def _pick(pair, right_affected):
    """``(affected, healthy)`` from a ``(right, left)`` pair, row by row."""
    right, left = pair
    return np.where(right_affected, right, left), np.where(right_affected, left, right)


def _nanmean(columns):
    """Row means of the finite entries of columns, NaN where a row has none."""
    values = np.column_stack(columns)
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(values), np.nan), where=count > 0)


# --------------------------------------------------------------------------
# Static items: each scores the measures with the affected side given per row.


def _brow_at_rest(measures, right_affected):
    affected, healthy = _pick(measures["brow_height"], right_affected)
    return _static_score(_ratio(affected, healthy))


def _palpebral_fissure_at_rest(measures, right_affected):
    affected, healthy = _pick(measures["fissure_height"], right_affected)
    # Healthy over affected, as Emotrics+: a palsied eye opens wider.
    return _static_score(_ratio(healthy, affected))


def _nasolabial_fold_at_rest(measures, right_affected):
    affected, healthy = _pick(measures["nasolabial_angle"], right_affected)
    with np.errstate(invalid="ignore"):
        # A line further from the vertical than the healthy one: the ratio of
        # the complements, which falls towards 0 as it nears the horizontal.
        wider = affected > healthy
    return _static_score(np.where(
        wider, _ratio(90.0 - affected, 90.0 - healthy), _ratio(affected, healthy)
    ))


def _oral_commissure_at_rest(measures, right_affected):
    lift, healthy_lift = _pick(measures["commissure_lift"], right_affected)
    reach, healthy_reach = _pick(measures["commissure_reach"], right_affected)
    return _static_score(np.where(
        np.nan_to_num(healthy_lift) > 0,
        _ratio(lift, healthy_lift),
        _ratio(reach, healthy_reach),
    ))


_STATIC_ITEMS = {
    "brow_at_rest": _brow_at_rest,
    "palpebral_fissure_at_rest": _palpebral_fissure_at_rest,
    "nasolabial_fold_at_rest": _nasolabial_fold_at_rest,
    "oral_commissure_at_rest": _oral_commissure_at_rest,
}


def _static_strengths(measures):
    """Per static item, ``(right, left)`` values that are smaller on the weaker side."""
    fissure_right, fissure_left = measures["fissure_height"]
    return {
        "brow_at_rest": measures["brow_height"],
        "palpebral_fissure_at_rest": (-fissure_right, -fissure_left),
        "nasolabial_fold_at_rest": measures["nasolabial_angle"],
        "oral_commissure_at_rest": measures["commissure_lift"],
    }


# --------------------------------------------------------------------------
# Dynamic items: movements from rest, per side.


def _movements(rest, expressions, length_of_iod):
    """Each dynamic item's ``(right, left)`` movement and least healthy movement.

    Only the items whose expression is in ``expressions`` (measures of the
    expression photos, as :func:`_side_measures` gives them) are returned.
    """

    def change(measures, name, sign=1.0):
        return tuple(sign * (measures[name][i] - rest[name][i]) for i in range(2))

    floor = _MIN_MOVEMENT_IOD * length_of_iod
    movements = {}
    for expression, measures in expressions.items():
        if expression == "raise_eyebrows":
            movements["brow_elevation"] = change(measures, "brow_height"), floor
        elif expression == "close_eyes":
            closure = tuple(
                1.0 - _ratio(np.maximum(measures["fissure_height"][i], 0.0),
                             rest["fissure_height"][i])
                for i in range(2)
            )
            movements["eye_closure"] = closure, _MIN_EYE_CLOSURE
        elif expression == "smile":
            movements["nasolabial_fold_with_smile"] = (
                change(measures, "nasolabial_angle"), _MIN_MOVEMENT_DEGREES
            )
            movements["oral_commissure_with_smile"] = (
                change(measures, "commissure_excursion"), floor
            )
        else:  # show_lower_teeth: the lower lip falls
            movements["lower_lip_movement"] = (
                change(measures, "lower_lip_height", -1.0), floor
            )
    return movements


# --------------------------------------------------------------------------
# Scoring, and the affected side.


def _items(measures, movements, right_affected):
    """Every item that can be scored; ``right_affected[item]`` is per row."""
    scores = {
        item: score(measures, right_affected[item])
        for item, score in _STATIC_ITEMS.items()
    }
    for item, (pair, minimum) in movements.items():
        affected, healthy = _pick(pair, right_affected[item])
        scores[item] = _dynamic_score(_ratio(affected, healthy, minimum=minimum))
    return scores


def _directions(measures, movements):
    """Per item, +1 where it finds the right side weaker, -1 the left, else 0."""
    strengths = _static_strengths(measures)
    strengths.update((item, pair) for item, (pair, _) in movements.items())
    directions = {}
    for item, (right, left) in strengths.items():
        with np.errstate(invalid="ignore"):
            directions[item] = np.nan_to_num(np.sign(left - right))
    return directions


def _side_evidence(own_scores, directions):
    """Signed evidence in [-1, 1] that the subject's right is affected.

    Each item votes for the side that it finds weaker (its direction), with
    the weight of its asymmetry, 1 - score / 100, scored with that side as
    the affected one (``own_scores``); the evidence is the median of the
    votes, so that one item that the landmark model follows poorly cannot
    swing it. Returns the evidence and the share of the items voting for a
    side that vote for the side it leans to (1 where none votes).
    """
    votes = np.column_stack([
        directions[item] * (1.0 - score / 100.0) for item, score in own_scores.items()
    ])
    with warnings.catch_warnings():
        # A missing face has no votes: its evidence is NaN, as documented.
        warnings.simplefilter("ignore", RuntimeWarning)
        evidence = np.nanmedian(votes, axis=1)
    voting = np.nan_to_num(np.sign(votes))
    n_voting = np.abs(voting).sum(axis=1)
    agreeing = (voting == np.sign(evidence)[:, None]).sum(axis=1)
    agreement = np.divide(agreeing, n_voting, out=np.ones(len(votes)),
                          where=n_voting > 0)
    return evidence, agreement


def _affected_side(evidence, agreement, threshold):
    """The side as a label, and its confidence, from the evidence."""
    magnitude = np.abs(evidence)
    with np.errstate(invalid="ignore"):
        leaning = magnitude / (magnitude + threshold)
        right, left = evidence > threshold, evidence < -threshold
    side = np.where(right, "right", np.where(left, "left", "none")).astype(object)
    confidence = np.where(right | left, leaning * agreement, 1.0 - leaning)
    unknown = np.isnan(evidence)
    side[unknown] = None
    return side, np.where(unknown, np.nan, confidence)


def _score(rest, expressions, scheme, side_threshold, *, dynamic):
    """The score table of checked rest and expression landmarks."""
    measures, length_of_iod = _side_measures(rest, scheme)
    movements = _movements(
        measures,
        {name: _side_measures(values, scheme)[0]
         for name, values in expressions.items()},
        length_of_iod,
    )
    directions = _directions(measures, movements)
    own = _items(measures, movements, {
        item: direction > 0 for item, direction in directions.items()
    })
    evidence, agreement = _side_evidence(own, directions)
    side, confidence = _affected_side(evidence, agreement, side_threshold)
    # The eFACE's reference is the healthy side; where none is called, each
    # item is scored with its own weaker side as the affected one.
    called = (side == "right") | (side == "left")
    scored = _items(measures, movements, {
        item: np.where(called, side == "right", direction > 0)
        for item, direction in directions.items()
    })
    items = STATIC_ITEMS + (DYNAMIC_ITEMS if dynamic else ())
    nan = np.full(len(rest), np.nan)
    columns = {item: scored.get(item, nan) for item in items}
    for region, region_items in REGIONS.items():
        columns[region] = _nanmean([scored.get(item, nan) for item in region_items])
    columns["static_score"] = _nanmean([columns[item] for item in STATIC_ITEMS])
    if dynamic:
        columns["dynamic_score"] = _nanmean([columns[item] for item in DYNAMIC_ITEMS])
    columns["side_evidence"] = evidence + 0.0  # no -0.0 on a symmetric face
    if dynamic:
        columns["affected_side"] = side
    columns["side_confidence"] = confidence
    return pd.DataFrame(columns, columns=regional_score_names(dynamic))


# --------------------------------------------------------------------------
# The public functions.


def regional_score_names(dynamic=True):
    """Return the names of the columns :func:`regional_scores` gives, in order.

    Parameters
    ----------
    dynamic : bool, default=True
        Include the dynamic items and ``dynamic_score``; without them, and
        without ``affected_side``, the names are those of
        :class:`RegionalScores`' output.

    Returns
    -------
    names : list of str
        The items, the regions (``brow``, ``eye``, ``midface``, ``mouth``),
        ``static_score`` (and ``dynamic_score``), ``side_evidence``, then
        ``affected_side`` (with ``dynamic``) and ``side_confidence``.

    Examples
    --------
    >>> from sklearn_palsy.clinical._regional import regional_score_names
    >>> regional_score_names(dynamic=False)[:2]
    ['brow_at_rest', 'palpebral_fissure_at_rest']
    >>> regional_score_names()[-3:]
    ['side_evidence', 'affected_side', 'side_confidence']
    """
    names = list(STATIC_ITEMS)
    if dynamic:
        names += DYNAMIC_ITEMS
    names += list(REGIONS) + ["static_score"]
    if dynamic:
        names += ["dynamic_score", "side_evidence", "affected_side"]
    else:
        names += ["side_evidence"]
    return names + ["side_confidence"]


def _check_expressions(expressions, rest, scheme):
    if expressions is None:
        return {}
    if not hasattr(expressions, "items"):
        raise TypeError(
            "expressions must map expression names to landmarks, such as "
            f"{{'smile': smile_landmarks}}; got {type(expressions).__name__}"
        )
    unknown = sorted(map(repr, set(expressions) - set(EXPRESSION_ITEMS)))
    if unknown:
        raise ValueError(
            f"unknown expression(s) {', '.join(unknown)}; use any of "
            f"{sorted(EXPRESSION_ITEMS)}"
        )
    checked = {}
    for name, values in expressions.items():
        try:
            values = check_landmarks(values, scheme, ensure_finite=False)
        except InvalidLandmarksError as error:
            raise InvalidLandmarksError(f"expressions[{name!r}]: {error}") from error
        if len(values) != len(rest):
            raise ValueError(
                f"expressions[{name!r}] holds {len(values)} face(s) and the rest "
                f"landmarks {len(rest)}: give one expression photo per rest photo, "
                "row by row (NaN landmarks where one is missing)"
            )
        checked[name] = values
    return checked


def _resolve_scheme(scheme, landmarks):
    """:func:`resolve_scheme`, where a single face (K, 2) is a batch of one."""
    shape = np.shape(landmarks)
    if len(shape) == 2:
        shape = (1, *shape)
    return resolve_scheme(scheme, np.broadcast_to(0.0, shape))


def _check_threshold(side_threshold):
    if (
        isinstance(side_threshold, bool)
        or not isinstance(side_threshold, numbers.Real)
        or not 0 < side_threshold <= 1
    ):
        raise ValueError(f"side_threshold must be in (0, 1]; got {side_threshold!r}")


def regional_scores(landmarks, *, expressions=None, scheme="auto", side_threshold=0.05):
    """Score each face's brow, eye, midface and mouth as eFACE-style items.

    From the landmarks of a rest photo, the four static items of the eFACE
    (Banks et al. 2015); from photos of the same faces making expressions,
    the dynamic items: each 0-100, where 100 is symmetric. The formulas are
    those of Emotrics+'s automatic eFACE (Guarin et al.;
    ``MEA-Summer/Emotrics_Plus``, ``Compute_eFace.py``), on the Emotrics
    measures of :func:`~sklearn_palsy.preprocessing._features.clinical_features`
    (brow height, palpebral fissure height, commissure excursion and smile
    angle). Below, a is the affected side's value and h the healthy side's.

    Static items (rest photo), ``100 - |100 - r|`` with the ratio r in %
    clipped to [0, 200], so that a deviation either way lowers the score:

    * ``brow_at_rest``: r = a / h of the brow height (iris or eye centre up
      to the brow curve above it).
    * ``palpebral_fissure_at_rest``: r = h / a of the palpebral fissure
      height at the mid-eye (healthy over affected, as Emotrics+: a palsied
      eye opens wider).
    * ``nasolabial_fold_at_rest``: r = a / h of the angle from the vertical,
      or (90 - a) / (90 - h) where a > h (Emotrics+'s full eFACE). Emotrics+
      measures the fold on landmarks placed along it; iBUG 68 and our use of
      MediaPipe have none there, so the line from the ala (31 / 35) to the
      commissure (48 / 54) stands in for it. It sees the fold's orientation
      as the commissure sets it, not its depth.
    * ``oral_commissure_at_rest``: r = a / h of the commissure's height above
      Lmid (where the outer lower lip crosses the midline), Emotrics+'s e,
      here -excursion x cos(smile angle) with the smile angle from the
      downward midline. Where the healthy commissure is not
      above Lmid, Emotrics+'s other branch: the ratio of the commissures'
      distances from the midline. Emotrics+ also takes that branch whenever
      the affected commissure is higher or below Lmid; here the height ratio
      is kept there, so that the score keeps falling as the corner droops.

    Dynamic items (rest and expression photo), the affected side's movement
    in % of the healthy side's, clipped to [0, 100]:

    * ``brow_elevation`` (``"raise_eyebrows"``): rise of the brow height, as
      Emotrics+ (b_a - a_a) / (b_h - a_h).
    * ``eye_closure`` (``"close_eyes"``): per side, the closed share of the
      fissure, 1 - closed / open height (a negative closed height, lids
      crossing, counts as 0). Emotrics+ reports the affected side's own
      share; here it is over the healthy side's, so that an eye that a
      healthy person closes only gently in the photo is not taken for palsy.
    * ``nasolabial_fold_with_smile`` (``"smile"``): change of the ala ->
      commissure angle (no Emotrics+ formula; an eFACE item).
    * ``oral_commissure_with_smile`` (``"smile"``): change of the commissure
      excursion, as Emotrics+ (h_a - f_a) / (h_h - f_h).
    * ``lower_lip_movement`` (``"show_lower_teeth"``, the eFACE's "EEE"):
      fall of the lower lip halfway out (58 / 56) towards the chin.
      Emotrics+ compares the lower lip's heights in the expression photo
      alone; a movement from rest does not depend on the lips' shape.

    Regions: each region's score (``brow``, ``eye``, ``midface``,
    ``mouth``) is the mean of its items that could be scored (see
    :data:`REGIONS`); ``static_score`` and ``dynamic_score`` are the means of
    the static and of the dynamic items, as the eFACE's subscores.

    Affected side: each item votes for the side that it finds weaker (the
    lower brow, wider fissure, more vertical fold line, lower commissure,
    smaller movement) with the weight of its asymmetry, 1 - score / 100
    (the score taken with that side as the affected one), signed positive
    for the subject's right. ``side_evidence`` is the median of the votes,
    in [-1, 1]: a median, so that an item the landmark model follows poorly
    (dlib's brow elevation and eye closure, see Notes) cannot swing it. The
    side is "right" above ``side_threshold``, "left" below minus it, else
    "none". ``side_confidence`` is p x agreement for a side and 1 - p for
    "none", where p = ``abs(evidence) / (abs(evidence) + side_threshold)`` (0.5 at the
    threshold) and the agreement is the share of the items voting for a
    side that vote for this one. Where a side is called, every item is
    scored with it as the affected side, as the eFACE does; where none is,
    each item with the side that it finds weaker, so that the scores
    measure asymmetry on whichever side it is.

    Parameters
    ----------
    landmarks : array-like of shape (n_faces, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of the rest photos, in image coordinates (x right, y down).
    expressions : dict of str to array-like, default=None
        Landmarks of photos of the same faces, row by row, keyed by the
        expression they show: ``"raise_eyebrows"``, ``"close_eyes"``,
        ``"smile"`` and ``"show_lower_teeth"`` (see
        :data:`EXPRESSION_ITEMS`). Items whose expression is not given, or
        whose row is NaN, are NaN.
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme; ``"auto"`` takes it from the number of points.
    side_threshold : float, default=0.05
        Evidence below which no side is called affected, in (0, 1]. The
        default is the median item 5 points short of symmetric. On 40
        patients and 40 controls of the synthetic cohort's photos it calls
        the affected side of 95 % of the patients and "none" for 82-88 % of
        the controls with dlib landmarks (MediaPipe: 100 % and 75-80 %),
        never the wrong side; raise it for fewer sides called on healthy
        faces.

    Returns
    -------
    scores : pandas.DataFrame
        One row per face, with the columns of :func:`regional_score_names`:
        the items, regions and subscores (float, NaN where undefined),
        ``side_evidence`` (float), ``affected_side`` ("right", "left",
        "none"; missing, NaN, for a missing face) and ``side_confidence``
        (float in [0, 1]).

    Raises
    ------
    InvalidLandmarksError
        On landmarks of a shape that fits no scheme, infinite landmarks or
        degenerate faces, naming every offending row.
    ValueError
        On an unknown expression or scheme, or expression photos that are
        not one per rest photo.

    Notes
    -----
    What landmarks cannot do:

    * dlib's 68-point model follows eyelids poorly: it places the lids of a
      closed eye as if half open, so ``eye_closure`` from dlib landmarks
      underrates closure on both sides, and the ratio is noisy. On 40
      patients of the synthetic cohort's photos, the share whose weaker
      side an item found: dlib's ``brow_elevation`` 42 %, ``eye_closure``
      and ``palpebral_fissure_at_rest`` 72 %; MediaPipe's
      ``nasolabial_fold_at_rest`` 55 %; every other item 90-100 % with
      either. The median of the side evidence keeps such items from
      swinging the side.
    * Without irises (iBUG 68) lengths are in inter-ocular distances, not
      millimetres; the scores, ratios of the two sides, are the same.
    * A healthy movement smaller than 0.02 inter-ocular distances (about
      1.3 mm), 2 degrees for the fold, or 5 % eye closure, means the photo
      shows no movement to compare with (the expression was not made, or
      both sides are still): the item is NaN, not a division by zero. So is
      a static item whose reference measure is not positive (a brow at or
      below the eye centre, a shut eye at rest).
    * Head turn fakes asymmetry; photograph the face frontally.
    * Synkinesis, the eFACE's third part, is not scored.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.clinical._regional import regional_scores
    >>> face = IBUG68_MEAN_FACE.copy()
    >>> face[17:22, 1] += 0.05  # the subject's right brow droops
    >>> face[48, 1] += 0.05  # and so does the right commissure
    >>> scores = regional_scores(face)
    >>> scores.loc[0, "affected_side"]
    'right'
    >>> scores.loc[0, ["brow", "eye", "midface", "mouth"]].astype(float).round(1)
    brow        85.6
    eye        100.0
    midface     90.0
    mouth       80.7
    Name: 0, dtype: float64

    With a smile photo of the same face, in which the right commissure moves
    a quarter as far as the left:

    >>> smile = face.copy()
    >>> smile[48] += [-0.03, -0.04]
    >>> smile[54] += [0.12, -0.16]
    >>> scores = regional_scores(face, expressions={"smile": smile})
    >>> round(float(scores.loc[0, "oral_commissure_with_smile"]), 1)
    23.7
    """
    scheme = _resolve_scheme(scheme, landmarks)
    rest = check_landmarks(landmarks, scheme, ensure_finite=False)
    expressions = _check_expressions(expressions, rest, scheme)
    _check_threshold(side_threshold)
    return _score(rest, expressions, scheme, side_threshold, dynamic=True)


class RegionalScores(LandmarkTransformerMixin, BaseEstimator):
    """Score the brow, eye, midface and mouth of rest photos, eFACE-style.

    A stateless transformer over :func:`regional_scores` for single photos:
    from the landmarks of a face at rest, the eFACE's four static items, the
    four regions' scores (each 0-100, 100 = symmetric), the static score,
    and the side evidence and its confidence, with no training. The dynamic
    items need a second photo of the same face; :func:`regional_scores`
    computes them from a rest photo and expression photos, row by row.

    Parameters
    ----------
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme of the input. ``"auto"`` takes it from the
        number of points that ``fit`` sees (68: iBUG, as from dlib; 478:
        MediaPipe Face Mesh).
    side_threshold : float, default=0.05
        Evidence below which no side is called affected, in (0, 1]; it
        enters ``side_confidence`` (see :func:`regional_scores`).

    Attributes
    ----------
    scheme_ : LandmarkScheme
        The scheme used; landmarks of another scheme given to
        ``transform`` are refused, naming both.
    n_features_in_ : int
        ``2 * n_landmarks``: the width of the flattened input.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame of flattened landmarks.

    See Also
    --------
    regional_scores : The same scores with the dynamic items and the
        affected side as a label.
    sklearn_palsy.ExpressionFeatures : The Emotrics measures and symmetry
        features underneath, for a classifier to learn from.

    Notes
    -----
    Input is landmarks of shape (n_samples, n_landmarks, 2) in image
    coordinates, or their flattened form (n_samples, 2 * n_landmarks),
    ``x0, y0, x1, y1, ...``. A row holding any NaN (a photo without a face,
    from :class:`~sklearn_palsy.LandmarkDetector` with ``on_missing="nan"``)
    gives a row of NaN; infinite landmarks and degenerate faces raise
    :class:`~sklearn_palsy.exceptions.InvalidLandmarksError` naming the
    rows. The output columns are named by :meth:`get_feature_names_out`;
    ``side_evidence`` is positive towards the subject's right, and the
    affected side is the sign of it where ``|side_evidence|`` exceeds
    ``side_threshold``.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.clinical._regional import RegionalScores
    >>> faces = IBUG68_MEAN_FACE[None] * 100 + 250
    >>> faces[0, 48, 1] += 8  # the subject's right commissure droops
    >>> scorer = RegionalScores().fit(faces)
    >>> dict(zip(scorer.get_feature_names_out()[4:8],
    ...          scorer.transform(faces)[0, 4:8].round(1).tolist()))
    {'brow': 100.0, 'eye': 100.0, 'midface': 84.8, 'mouth': 69.1}
    """

    _parameter_constraints = {
        **LandmarkTransformerMixin._parameter_constraints,
        "side_threshold": [Interval(numbers.Real, 0, 1, closed="right")],
    }
    _allow_nan = True  # NaN rows are missing faces, scored NaN

    def __init__(self, *, scheme="auto", side_threshold=0.05):
        self.scheme = scheme
        self.side_threshold = side_threshold

    def _check_faces(self, landmarks):
        # Fail at fit, not later, on degenerate faces (it costs milliseconds).
        _score(landmarks, {}, self.scheme_, self.side_threshold, dynamic=False)

    def transform(self, X):
        """Score each face.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2) or \
(n_samples, 2 * n_landmarks)
            Landmarks of rest photos in image coordinates.

        Returns
        -------
        scores : ndarray of shape (n_samples, 11)
            Float64, named by :meth:`get_feature_names_out`; NaN rows for
            faces with NaN landmarks.
        """
        landmarks = self._landmarks(X)
        table = _score(landmarks, {}, self.scheme_, self.side_threshold,
                       dynamic=False)
        return table.to_numpy(dtype=np.float64)

    def _output_names(self):
        return regional_score_names(dynamic=False)
