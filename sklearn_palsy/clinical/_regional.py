"""eFACE-style regional symmetry scores from landmarks alone, without training.

Clinicians grade a facial palsy region by region: how the brow, the eye, the
midface and the mouth of the affected side compare with the healthy side, at
rest and in motion. The eFACE (Banks et al. 2015) scores its static items
from 0 to 200 (100 balanced, the direction kept) and its dynamic and
synkinesis items from 0 to 100 (100 normal), with subscores, a total and
zone scores. Emotrics+ (Guarin et al., ``MEA-Summer/Emotrics_Plus``,
``Compute_eFace.py`` and ``Metrics.py``) computes the items that
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
are in inter-ocular distances (IOD) of each photo, one frame for a visit's
photos (see ``_side_measures``; millimetres differ from it by one factor per
visit, :func:`~sklearn_palsy.preprocessing._features.visit_scale`); every
score is a ratio, so it has no unit either way.

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
from ..faces._geometry import check_landmarks, name_every_bad_row
from ..faces._schemes import resolve_scheme
from ..preprocessing._features import (
    eye_closure,
    side_measures,
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
    "SYNKINESIS_ITEMS",
    "ZONES",
    "RegionalScores",
    "regional_score_names",
    "regional_scores",
]

#: eFACE static items, scored from a rest photo on the eFACE's 0-200 scale
#: (100 balanced, the direction kept); each has a folded 0-100 companion,
#: ``<item>_deviation``.
STATIC_ITEMS = (
    "brow_at_rest",
    "palpebral_fissure_at_rest",
    "nasolabial_fold_at_rest",
    "oral_commissure_at_rest",
)

#: eFACE dynamic items, scored from a rest photo and an expression photo,
#: 0-100 (100 normal).
DYNAMIC_ITEMS = (
    "brow_elevation",
    "gentle_eye_closure",
    "full_eye_closure",
    "nasolabial_fold_with_smile",
    "oral_commissure_with_smile",
    "lower_lip_movement",
)

#: eFACE synkinesis items that 2-D landmarks allow, 0-100 (100 none). The
#: eFACE's mentalis and platysmal synkinesis (chin dimpling, neck bands) are
#: not computable from 2-D landmarks; ``oral_synkinesis`` is the eFACE's
#: midfacial synkinesis, the mouth corner's pull on eye closure.
SYNKINESIS_ITEMS = ("ocular_synkinesis", "oral_synkinesis")

#: The expression photo each dynamic and synkinesis item needs, by the
#: names of :func:`~sklearn_palsy.datasets.make_synthetic_cohort` where it
#: has them (``close_eyes`` is the eFACE's gentle closure,
#: ``close_eyes_tightly`` its full closure). ``oral_synkinesis`` also needs
#: the smile photo, whose healthy commissure movement is its scale.
EXPRESSION_ITEMS = {
    "raise_eyebrows": ("brow_elevation",),
    "close_eyes": ("gentle_eye_closure", "oral_synkinesis"),
    "close_eyes_tightly": ("full_eye_closure",),
    "smile": ("nasolabial_fold_with_smile", "oral_commissure_with_smile",
              "ocular_synkinesis"),
    "show_lower_teeth": ("lower_lip_movement",),
    "pucker": ("ocular_synkinesis",),
}

#: The items summarised by each region's score (static items by their
#: folded deviation).
REGIONS = {
    "brow": ("brow_at_rest", "brow_elevation"),
    "eye": ("palpebral_fissure_at_rest", "gentle_eye_closure", "full_eye_closure"),
    "midface": ("nasolabial_fold_at_rest", "nasolabial_fold_with_smile"),
    "mouth": (
        "oral_commissure_at_rest",
        "oral_commissure_with_smile",
        "lower_lip_movement",
    ),
}

#: The eFACE's zone scores (periocular, midface and smile, lower face and
#: neck), each the mean of the items of its zone that could be scored.
ZONES = {
    "periocular": ("brow_at_rest", "palpebral_fissure_at_rest", "brow_elevation",
                   "gentle_eye_closure", "full_eye_closure", "ocular_synkinesis"),
    "midface_smile": ("nasolabial_fold_at_rest", "oral_commissure_at_rest",
                      "nasolabial_fold_with_smile", "oral_commissure_with_smile",
                      "oral_synkinesis"),
    "lower_face": ("lower_lip_movement",),
}

# The dynamic subscore's items: Emotrics+'s five. The nasolabial fold with
# smile is left out of it (and of the total), because without landmarks on
# the fold it is the commissure's line and would count the smile twice.
_DYNAMIC_SUBSCORE_ITEMS = tuple(
    item for item in DYNAMIC_ITEMS if item != "nasolabial_fold_with_smile"
)
# Banks et al. (2015): in the regression on expert-rated disfigurement,
# dynamic items weigh twice as much as static and synkinesis items. The same
# weights make movement outweigh resting asymmetry in the side's evidence.
_DYNAMIC_WEIGHT = 2.0

# Below these movements of the healthy side, an expression photo shows no
# movement to compare with (the expression was not made, or both sides are
# still), and the item is NaN rather than a ratio of noise: lengths in
# inter-ocular distances (about 1.3 mm; converted per face where there are
# irises), angles in degrees, eye closure as a share of the open fissure.
_MIN_MOVEMENT_IOD = 0.02
_MIN_MOVEMENT_DEGREES = 2.0
_MIN_EYE_CLOSURE = 0.05

#: The side evidence below which no side is called affected (see
#: :func:`regional_scores`), set against healthy faces' natural asymmetry.
SIDE_THRESHOLD = 0.15

# A typical adult's inter-ocular distance (between the eye centres) in mm,
# for the one millimetre constant of Emotrics+.
_INTER_OCULAR_MM = 63.0


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
        missing faces: heights positive upwards, lengths in inter-ocular
        distances of each photo (see Notes).
    length_of_iod : ndarray of shape (n,)
        One inter-ocular distance in those units: 1.

    Notes
    -----
    One measurement frame per visit: a visit's photos are measured in one
    unit, the inter-ocular distance, which the lids and the mouth leave
    alone, so that an iris that looks smaller on the smile photo (half
    hidden by the cheeks) rescales none of its movements. It is the frame of
    :func:`~sklearn_palsy.preprocessing._features.visit_scale`, less that
    function's one factor per visit (millimetres per inter-ocular distance
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
    # Aligned to unit inter-ocular distance, each photo's lengths are in the
    # unit the visit's photos share.
    # Measured as PatientMovement measures them, from the iris centres, or
    # without irises the canthi's midpoints; one error names every bad row
    # (values, eyes, irises), as the features do.
    per_side, _ = name_every_bad_row(
        landmarks, lambda batch: side_measures(align_landmarks(batch, scheme)[0],
                                               scheme))
    length_of_iod = np.ones(len(landmarks))
    named = {"fissure_height": "palpebral_fissure_height",
             "lower_lip_height": "lower_lip_above_chin"}
    by_side = [{name: per_side[named.get(name, name)][at] for name in _MEASURES}
               for at in range(2)]
    measures = {
        name: tuple(np.where(missing, np.nan, side[name]) for side in by_side)
        for name in _MEASURES
    }
    return measures, np.where(missing, np.nan, length_of_iod)


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


def _static_value(ratio):
    """A static item on the eFACE's 0-200 scale: the ratio r in %, clipped."""
    return np.clip(100.0 * ratio, 0.0, 200.0)


def _deviation(value):
    """The folded 0-100 score of a 0-200 item, 100 - |100 - x| (Banks et al.)."""
    return 100.0 - np.abs(100.0 - value)


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
    # 0 low, 200 high: the affected brow's height over the healthy one's.
    affected, healthy = _pick(measures["brow_height"], right_affected)
    return _static_value(_ratio(affected, healthy))


def _palpebral_fissure_at_rest(measures, right_affected):
    affected, healthy = _pick(measures["fissure_height"], right_affected)
    # Healthy over affected, as Emotrics+: 0 wide (a palsied eye opens
    # wider), 200 narrow (a synkinetic eye).
    return _static_value(_ratio(healthy, affected))


def _nasolabial_fold_at_rest(measures, right_affected):
    affected, healthy = _pick(measures["nasolabial_angle"], right_affected)
    with np.errstate(invalid="ignore"):
        wider = affected > healthy
    # 0 flat, 200 deep. A line more vertical than the healthy one (a flat
    # fold): a / h. One further from the vertical (a deep fold): Emotrics+'s
    # ratio of the complements, (90 - a) / (90 - h), mirrored above 100 so
    # that the direction is kept; both give 100 at a = h.
    deep = 200.0 - _static_value(_ratio(90.0 - affected, 90.0 - healthy))
    return np.where(wider, deep, _static_value(_ratio(affected, healthy)))


def _oral_commissure_at_rest(measures, right_affected):
    # 0 low, 200 high.
    lift, healthy_lift = _pick(measures["commissure_lift"], right_affected)
    reach, healthy_reach = _pick(measures["commissure_reach"], right_affected)
    return _static_value(np.where(
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
                eye_closure(measures["fissure_height"][i], rest["fissure_height"][i])
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


_EYE_CLOSURE_PHOTOS = {"gentle_eye_closure": "close_eyes",
                       "full_eye_closure": "close_eyes_tightly"}


def _dynamic_items(rest, expressions, movements, right_affected, closed_fissure):
    """The dynamic items; the eye closures are the affected eye's own share."""
    scores = {}
    for item, (pair, minimum) in movements.items():
        affected, healthy = _pick(pair, right_affected[item])
        if item in _EYE_CLOSURE_PHOTOS:
            # Emotrics+: (c - g) / c of the affected eye, c its fissure at
            # rest and g on the photo, a g under 1 mm counting as 0; its own
            # closed share (0 incomplete, 100 complete), NaN where the
            # healthy eye did not close either (no closure to score).
            closed = expressions[_EYE_CLOSURE_PHOTOS[item]]["fissure_height"]
            open_, shut = _pick(rest["fissure_height"], right_affected[item])
            shut = _pick(closed, right_affected[item])[0]
            with np.errstate(invalid="ignore"):
                shown = healthy >= minimum
                shut = np.where(shut < closed_fissure, 0.0, np.abs(shut))
            share = _ratio(open_ - shut, open_)
            scores[item] = np.where(shown, np.clip(100.0 * share, 0.0, 100.0), np.nan)
        else:
            scores[item] = _dynamic_score(_ratio(affected, healthy, minimum=minimum))
    return scores


def _ocular_synkinesis(rest, expressions, right_affected):
    """The affected eye's narrowing on smiling and puckering, against the healthy.

    Per photo, each eye's fissure as a share of its fissure at rest; the
    affected share over the healthy one, in %, clipped to [0, 100], and the
    lower of the smile's and the pucker's (Emotrics+ takes the lower too).
    """
    per_photo = []
    for expression in ("smile", "pucker"):
        if expression in expressions:
            # Each eye's fissure still open, as a share of its opening at rest.
            shares = tuple(
                1.0 - eye_closure(expressions[expression]["fissure_height"][i],
                                  rest["fissure_height"][i])
                for i in range(2)
            )
            affected, healthy = _pick(shares, right_affected)
            per_photo.append(_dynamic_score(_ratio(affected, healthy)))
    if not per_photo:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
        return np.nanmin(np.column_stack(per_photo), axis=1)


def _oral_synkinesis(rest, expressions, movements, right_affected):
    """The affected mouth corner's pull on eye closure, against a smile's.

    The affected commissure's excursion gained on closing the eyes, less the
    healthy one's, as a share of the healthy commissure's excursion on
    smiling: 100 (none) down to 0 (a pull as large as a smile).
    """
    if "close_eyes" not in expressions or "oral_commissure_with_smile" not in movements:
        return None
    closed = expressions["close_eyes"]["commissure_excursion"]
    gain = tuple(closed[i] - rest["commissure_excursion"][i] for i in range(2))
    affected, healthy = _pick(gain, right_affected)
    smile, minimum = movements["oral_commissure_with_smile"]
    _, healthy_smile = _pick(smile, right_affected)
    pull = _ratio(np.maximum(affected - healthy, 0.0), healthy_smile, minimum=minimum)
    return 100.0 * (1.0 - np.clip(pull, 0.0, 1.0))


def _items(rest, expressions, movements, right_affected, closed_fissure):
    """Every item that can be scored; ``right_affected[item]`` is per row."""
    scores = {
        item: score(rest, right_affected[item])
        for item, score in _STATIC_ITEMS.items()
    }
    scores.update(_dynamic_items(rest, expressions, movements, right_affected,
                                 closed_fissure))
    ocular = _ocular_synkinesis(rest, expressions,
                                right_affected["ocular_synkinesis"])
    if ocular is not None:
        scores["ocular_synkinesis"] = ocular
    oral = _oral_synkinesis(rest, expressions, movements,
                            right_affected["oral_synkinesis"])
    if oral is not None:
        scores["oral_synkinesis"] = oral
    return scores


def _all_movements(rest, expressions, length_of_iod):
    """:func:`_movements` of every expression, full eye closure included."""
    known = {name: measures for name, measures in expressions.items()
             if name in ("raise_eyebrows", "close_eyes", "smile", "show_lower_teeth")}
    movements = _movements(rest, known, length_of_iod)
    if "eye_closure" in movements:
        movements["gentle_eye_closure"] = movements.pop("eye_closure")
    if "close_eyes_tightly" in expressions:
        tight = _movements(rest, {"close_eyes": expressions["close_eyes_tightly"]},
                           length_of_iod)
        movements["full_eye_closure"] = tight["eye_closure"]
    return movements


def _asymmetries(measures, movements):
    """Per side-voting item, its direction and its asymmetry in [0, 1].

    The direction is +1 where the item finds the subject's right weaker, -1
    the left, 0 neither; the asymmetry is 1 - deviation / 100 of a static
    item scored with that side as the affected one, and 1 - weaker / stronger
    of a movement (the eyes' closed shares for eye closure).
    """
    strengths = _static_strengths(measures)
    strengths.update((item, pair) for item, (pair, _) in movements.items())
    directions = {}
    for item, (right, left) in strengths.items():
        with np.errstate(invalid="ignore"):
            directions[item] = np.nan_to_num(np.sign(left - right))
    asymmetry = {
        item: 1.0 - _deviation(score(measures, directions[item] > 0)) / 100.0
        for item, score in _STATIC_ITEMS.items()
    }
    for item, ((right, left), minimum) in movements.items():
        weaker, stronger = np.fmin(right, left), np.fmax(right, left)
        asymmetry[item] = 1.0 - np.clip(_ratio(weaker, stronger, minimum=minimum),
                                        0.0, 1.0)
    return directions, asymmetry


def _side_evidence(directions, asymmetry):
    """Signed evidence in [-1, 1] that the subject's right is affected.

    Each item votes for the side that it finds weaker with the weight of its
    asymmetry; the evidence is the weighted mean of the votes, movement
    (dynamic) items weighing twice as much as resting ones (Banks et al.'s
    weights; a resting asymmetry is as often a healthy face's). Returns the
    evidence and the weighted share of the voting items that vote for the
    side it leans to (1 where none votes).
    """
    names = list(asymmetry)
    votes = np.column_stack([directions[item] * asymmetry[item] for item in names])
    weights = np.array([1.0 if item in _STATIC_ITEMS else _DYNAMIC_WEIGHT
                        for item in names])
    finite = np.isfinite(votes)
    weight = np.where(finite, weights, 0.0)
    total = weight.sum(axis=1)
    evidence = np.divide(np.where(finite, votes, 0.0) @ weights, total,
                         out=np.full(len(votes), np.nan), where=total > 0)
    voting = np.where(finite, np.sign(votes), 0.0)
    voting_weight = (np.abs(voting) * weight).sum(axis=1)
    agreeing = ((voting == np.sign(evidence)[:, None]) * weight).sum(axis=1)
    agreement = np.divide(agreeing, voting_weight, out=np.ones(len(votes)),
                          where=voting_weight > 0)
    return evidence, agreement


def _affected_side(evidence, agreement, threshold):
    """The side as a label, its confidence, and whether it is uncertain.

    "none" within ``threshold`` of 0; uncertain where ``|evidence|`` lies
    within a factor 2 of the threshold either way, where a healthy face's
    asymmetry and a mild palsy overlap.
    """
    magnitude = np.abs(evidence)
    with np.errstate(invalid="ignore"):
        leaning = magnitude / (magnitude + threshold)
        right, left = evidence > threshold, evidence < -threshold
        uncertain = (magnitude >= threshold / 2) & (magnitude < 2 * threshold)
    side = np.where(right, "right", np.where(left, "left", "none")).astype(object)
    confidence = np.where(right | left, leaning * agreement, 1.0 - leaning)
    unknown = np.isnan(evidence)
    side[unknown] = None
    uncertain = uncertain.astype(object)
    uncertain[unknown] = None
    return side, np.where(unknown, np.nan, confidence), uncertain


def _weighted_mean(columns, weights):
    """Row-wise weighted mean of the finite entries, NaN where a row has none."""
    values = np.column_stack(columns)
    finite = np.isfinite(values)
    weight = np.where(finite, np.asarray(weights, float), 0.0)
    total = weight.sum(axis=1)
    return np.divide((np.where(finite, values, 0.0) * weight).sum(axis=1), total,
                     out=np.full(len(values), np.nan), where=total > 0)


def _score(rest, expressions, scheme, side_threshold, *, dynamic, side=None):
    """The score table of checked rest and expression landmarks.

    ``side`` is None or an array of the clinician's side per row ("right",
    "left", "none", or None where not given).
    """
    measures, length_of_iod = _side_measures(rest, scheme)
    expression_measures = {name: _side_measures(values, scheme)[0]
                           for name, values in expressions.items()}
    movements = _all_movements(measures, expression_measures, length_of_iod)
    directions, asymmetry = _asymmetries(measures, movements)
    evidence, agreement = _side_evidence(directions, asymmetry)
    inferred, confidence, uncertain = _affected_side(evidence, agreement,
                                                     side_threshold)
    given = np.zeros(len(rest), bool) if side is None else np.array(
        [value is not None for value in side])
    affected_side = inferred.copy()
    if given.any():
        affected_side[given] = side[given]
        confidence = np.where(given, 1.0, confidence)
        uncertain[given] = False
    # The eFACE scores every item against one healthy side. Where no side is
    # affected, the side the evidence leans to stands in for it, as one
    # side for the whole face: a healthy face's items are then scored as a
    # clinician would, some sides weaker and some stronger, not each item
    # against its own weaker side.
    called = (affected_side == "right") | (affected_side == "left")
    right = np.where(called, affected_side == "right", np.nan_to_num(evidence) >= 0)
    every_item = (*STATIC_ITEMS, *DYNAMIC_ITEMS, *SYNKINESIS_ITEMS)
    right_affected = dict.fromkeys(every_item, right)
    # Emotrics+'s 1 mm below which a closed fissure counts as shut, in the
    # measures' units: 1 / 63 of an inter-ocular distance (a typical adult's
    # 63 mm), the same for every scheme.
    closed_fissure = length_of_iod / _INTER_OCULAR_MM
    scored = _items(measures, expression_measures, movements, right_affected,
                    closed_fissure)
    nan = np.full(len(rest), np.nan)
    columns = {item: scored.get(item, nan) for item in STATIC_ITEMS}
    # Folded 0-100 scores: what every mean below averages.
    folded = {item: _deviation(columns[item]) for item in STATIC_ITEMS}
    columns.update((f"{item}_deviation", folded[item]) for item in STATIC_ITEMS)
    if dynamic:
        for item in (*DYNAMIC_ITEMS, *SYNKINESIS_ITEMS):
            folded[item] = columns[item] = scored.get(item, nan)
    else:
        folded.update((item, nan) for item in (*DYNAMIC_ITEMS, *SYNKINESIS_ITEMS))
    for region, region_items in REGIONS.items():
        columns[region] = _nanmean([folded[item] for item in region_items])
    if dynamic:
        for zone, zone_items in ZONES.items():
            columns[zone] = _nanmean([folded[item] for item in zone_items])
    columns["static_score"] = _nanmean([folded[item] for item in STATIC_ITEMS])
    if dynamic:
        columns["dynamic_score"] = _nanmean(
            [folded[item] for item in _DYNAMIC_SUBSCORE_ITEMS])
        columns["synkinesis_score"] = _nanmean(
            [folded[item] for item in SYNKINESIS_ITEMS])
        total_items = (*STATIC_ITEMS, *_DYNAMIC_SUBSCORE_ITEMS, *SYNKINESIS_ITEMS)
        columns["total_score"] = _weighted_mean(
            [folded[item] for item in total_items],
            [_DYNAMIC_WEIGHT if item in DYNAMIC_ITEMS else 1.0 for item in total_items])
    columns["side_evidence"] = evidence + 0.0  # no -0.0 on a symmetric face
    if dynamic:
        columns["affected_side"] = affected_side
        columns["side_source"] = np.where(given, "given", "inferred").astype(object)
        columns["side_uncertain"] = uncertain
    columns["side_confidence"] = confidence
    return pd.DataFrame(columns, columns=regional_score_names(dynamic))


# --------------------------------------------------------------------------
# The public functions.


def regional_score_names(dynamic=True):
    """Return the names of the columns :func:`regional_scores` gives, in order.

    Parameters
    ----------
    dynamic : bool, default=True
        Include the dynamic and synkinesis items, the zones, the
        ``dynamic_score``, ``synkinesis_score`` and ``total_score``; without
        them, and without ``affected_side``, ``side_source`` and
        ``side_uncertain``, the names are those of :class:`RegionalScores`'
        output.

    Returns
    -------
    names : list of str
        The static items (0-200), their ``_deviation`` (0-100), the dynamic
        and synkinesis items (with ``dynamic``), the regions (``brow``,
        ``eye``, ``midface``, ``mouth``), the zones (with ``dynamic``:
        ``periocular``, ``midface_smile``, ``lower_face``), the subscores,
        ``side_evidence``, then ``affected_side``, ``side_source`` and
        ``side_uncertain`` (with ``dynamic``) and ``side_confidence``.

    Examples
    --------
    >>> from sklearn_palsy.clinical._regional import regional_score_names
    >>> regional_score_names(dynamic=False)[:2]
    ['brow_at_rest', 'palpebral_fissure_at_rest']
    >>> regional_score_names()[-4:]
    ['affected_side', 'side_source', 'side_uncertain', 'side_confidence']
    """
    names = [*STATIC_ITEMS, *(f"{item}_deviation" for item in STATIC_ITEMS)]
    if dynamic:
        names += [*DYNAMIC_ITEMS, *SYNKINESIS_ITEMS]
    names += list(REGIONS)
    if dynamic:
        names += [*ZONES, "static_score", "dynamic_score", "synkinesis_score",
                  "total_score", "side_evidence", "affected_side", "side_source",
                  "side_uncertain"]
    else:
        names += ["static_score", "side_evidence"]
    return names + ["side_confidence"]


def _check_side(side, n_faces):
    """The clinician's side per row: "right", "left", "none" or None (not given)."""
    if side is None:
        return None
    values = [side] * n_faces if isinstance(side, str) else list(side)
    if len(values) != n_faces:
        raise ValueError(
            f"side holds {len(values)} value(s) and the rest landmarks {n_faces} "
            "face(s): give one side per face, or one for all"
        )
    checked = np.empty(n_faces, dtype=object)
    for row, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        text = str(value).strip().lower()
        if text in ("", "unknown"):
            continue
        if text not in ("right", "left", "none"):
            raise ValueError(
                f"side[{row}] is {value!r}; use 'right', 'left' or 'none' (the "
                "subject's own side), or leave it empty where it is not known"
            )
        checked[row] = text
    return checked


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


def regional_scores(landmarks, *, expressions=None, scheme="auto", side=None,
                    side_threshold=SIDE_THRESHOLD):
    """Score each face's eFACE items, subscores, zones and the affected side.

    From the landmarks of a rest photo, the four static items of the eFACE
    (Banks et al. 2015); from photos of the same faces making expressions,
    the dynamic and the synkinesis items. The formulas are those of
    Emotrics+'s automatic eFACE (Guarin et al.; ``MEA-Summer/Emotrics_Plus``,
    ``Compute_eFace.py``) where it has one, on the Emotrics measures of
    :func:`~sklearn_palsy.preprocessing._features.clinical_features` (brow
    height, palpebral fissure height, commissure excursion and smile angle),
    measured by the one definition of
    :func:`~sklearn_palsy.preprocessing._features.side_measures` (from each
    eye's iris centre, or without irises the canthi's midpoint, which the
    lids do not move), as :class:`~sklearn_palsy.clinical.PatientMovement`
    measures them;
    each departure is said below and in docs/clinical.rst. Below, a is the
    affected side's value and h the healthy side's.

    Static items (rest photo) on the eFACE's own scale, 0-200 with 100
    balanced and the direction kept: 100 x r with the ratio r clipped to
    [0, 2]. Each has a folded companion ``<item>_deviation``,
    ``100 - |100 - x|`` (Banks et al.: a value above 100 counts as its
    deviation, 200 - x), which the regions, zones and subscores average.

    * ``brow_at_rest``: r = a / h of the brow height (the iris centre, or
      the canthi's midpoint, up to the brow curve above it): 0 low, 200
      high.
    * ``palpebral_fissure_at_rest``: r = h / a of the palpebral fissure
      height at the mid-eye (Emotrics+): 0 wide (a palsied eye, lagophthalmos),
      200 narrow (a synkinetic eye).
    * ``nasolabial_fold_at_rest``: the angle from the vertical of the line
      from the ala (31 / 35) to the commissure (48 / 54), positive where the
      commissure lies lateral of its ala (one definition with
      :class:`PatientMovement`'s), which stands in for
      the fold (iBUG 68 and our use of MediaPipe have no landmarks along it;
      it sees the fold's orientation as the commissure sets it, not its
      depth): r = a / h where a <= h (a flatter fold, 0 flat), and
      200 - 100 (90 - a) / (90 - h) where a > h (a deeper fold, 200 deep).
      Emotrics+'s full eFACE takes (90 - a) / (90 - h) there, below 100 as
      well: the mirror keeps the direction.
    * ``oral_commissure_at_rest``: r = a / h of the commissure's height above
      Lmid (where the outer lower lip crosses the midline), Emotrics+'s e,
      here -excursion x cos(smile angle): 0 low, 200 high. Where the healthy
      commissure is not above Lmid, Emotrics+'s other branch: the ratio of
      the commissures' distances from the midline. Emotrics+ also takes that
      branch whenever the affected commissure is higher or below Lmid; here
      the height ratio is kept there, so that the item keeps its direction.

    Dynamic items (rest and expression photo), 0-100, 100 normal:

    * ``brow_elevation`` (``"raise_eyebrows"``): rise of the brow height, as
      Emotrics+ (b_a - a_a) / (b_h - a_h), clipped to [0, 100] %.
    * ``gentle_eye_closure`` (``"close_eyes"``) and ``full_eye_closure``
      (``"close_eyes_tightly"``): the affected eye's own completeness, as
      Emotrics+ (c - g) / c of its fissure at rest c and on the photo g,
      a g under 1 mm counting as 0 (1 mm: 1/63 of an inter-ocular distance,
      a typical adult's 63 mm); 0 incomplete, 100 complete. NaN where the
      healthy eye did not close by 5 % either (no closure to score).
    * ``nasolabial_fold_with_smile`` (``"smile"``): change of the ala ->
      commissure angle, affected over healthy (no Emotrics+ formula; an
      eFACE item). Reported, but left out of the dynamic score and the
      total: without landmarks on the fold it follows the commissure, which
      ``oral_commissure_with_smile`` already counts.
    * ``oral_commissure_with_smile`` (``"smile"``): change of the commissure
      excursion, as Emotrics+ (h_a - f_a) / (h_h - f_h).
    * ``lower_lip_movement`` (``"show_lower_teeth"``, the eFACE's "EEE"):
      fall of the lower lip halfway out (58 / 56), affected over healthy.
      Emotrics+ compares the lower lip's heights in the expression photo
      alone; a movement from rest does not depend on the lips' shape.

    Synkinesis items, 0-100, 100 none. Of the eFACE's four, mentalis and
    platysmal synkinesis (chin dimpling, neck bands) are not computable from
    2-D landmarks and are not scored:

    * ``ocular_synkinesis`` (``"smile"`` and ``"pucker"``): per photo, each
      eye's fissure as a share of its fissure at rest, k / c; the affected
      share over the healthy one, in %, clipped to [0, 100]; the lower of
      the two photos (Emotrics+ takes the lower too). Emotrics+ compares
      k_a / k_h on the photo alone, which a palsied eye that opens wider at
      rest would mask; normal eyes narrow 21.6 +- 13.4 % on smiling,
      synkinetic ones 32.7 +- 13.7 % (Laryngoscope 2013), which is 86 here.
    * ``oral_synkinesis`` (``"close_eyes"`` with ``"smile"``), the eFACE's
      midfacial synkinesis: the affected commissure's excursion gained on
      closing the eyes, less the healthy one's, as a share p of the healthy
      commissure's excursion on smiling; 100 (1 - p) clipped to [0, 100]
      (no Emotrics+ formula: it scores ocular synkinesis alone).

    Subscores and total (Banks et al. 2015): ``static_score``,
    ``dynamic_score`` and ``synkinesis_score`` are the means of their items
    that could be scored (static ones by their deviation; the dynamic score
    of Emotrics+'s five items); ``total_score`` is the mean of all those
    items with the dynamic ones weighted twice, as in the regression that
    defines the eFACE total ("dynamic parameters weighted twice as heavily
    as static and synkinesis parameters"). Emotrics+ averages its ten items
    unweighted. Zones (:data:`ZONES`, the eFACE's periocular, midface and
    smile, and lower face and neck scores) and regions (:data:`REGIONS`:
    ``brow``, ``eye``, ``midface``, ``mouth``) are plain means of their
    items that could be scored.

    Affected side: a clinician's side (``side``) is used where given and
    reported with ``side_source`` "given". Otherwise it is inferred by the
    one rule of the package: each static and dynamic item votes for the
    side that it finds weaker (the lower brow, wider fissure, more vertical
    fold line, lower commissure, smaller movement) with the weight of its
    asymmetry (1 - deviation / 100 of a static item scored with that side
    affected; 1 - weaker / stronger of a movement), signed positive for the
    subject's right; ``side_evidence`` is the weighted mean of the votes,
    in [-1, 1], movement items weighing twice as much as resting ones
    (Banks et al.'s weights, and DOMAIN's rule that movement outweighs
    resting asymmetry). The side is "right" above ``side_threshold``,
    "left" below minus it, else "none"; ``side_uncertain`` is True where
    ``|side_evidence|`` lies within a factor 2 of the threshold, where
    healthy asymmetry and a mild palsy overlap. ``side_confidence`` is
    p x agreement for a side and 1 - p for "none", where
    p = ``|evidence| / (|evidence| + side_threshold)`` (0.5 at the
    threshold) and the agreement is the weighted share of the voting items
    that vote for this side; 1 for a given side. Every item is scored with
    the affected side as the affected one, as the eFACE does; where it is
    "none", the side the evidence leans to stands in for it, one side for
    the whole face.

    Parameters
    ----------
    landmarks : array-like of shape (n_faces, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of the rest photos, in image coordinates (x right, y down).
    expressions : dict of str to array-like, default=None
        Landmarks of photos of the same faces, row by row, keyed by the
        expression they show: ``"raise_eyebrows"``, ``"close_eyes"``,
        ``"close_eyes_tightly"``, ``"smile"``, ``"show_lower_teeth"`` and
        ``"pucker"`` (see :data:`EXPRESSION_ITEMS`). Items whose expression
        is not given, or whose row is NaN, are NaN.
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme; ``"auto"`` takes it from the number of points.
    side : {"right", "left", "none"} or sequence, default=None
        The clinician's affected side (the subject's own), for every face or
        one per face; None, NaN, "" or "unknown" where not known, which
        infers it.
    side_threshold : float, default=0.15
        Evidence below which no side is called affected, in (0, 1]. Set
        above healthy faces' asymmetry: on 200 controls of the synthetic
        cohort with natural asymmetry (7-9 % movement asymmetry, visible
        static asymmetry; true landmarks, all five expressions),
        ``|side_evidence|`` has median 0.032, 95th percentile 0.087, 99th
        0.106 and maximum 0.121 (0.128 the largest of 90 more); on 100
        patients of severity 0.42 to 1, minimum 0.30, every side right.

    Returns
    -------
    scores : pandas.DataFrame
        One row per face, with the columns of :func:`regional_score_names`:
        the items, their deviations, regions, zones and subscores (float,
        NaN where undefined), ``side_evidence`` (float), ``affected_side``
        ("right", "left", "none"; missing, NaN, for a missing face),
        ``side_source`` ("given" or "inferred"), ``side_uncertain`` (bool;
        False where given) and ``side_confidence`` (float in [0, 1]).

    Raises
    ------
    InvalidLandmarksError
        On landmarks of a shape that fits no scheme, infinite landmarks or
        degenerate faces, naming every offending row.
    ValueError
        On an unknown expression or scheme, expression photos that are not
        one per rest photo, or a side that is not "right", "left" or "none"
        (naming its row) or not one per face.

    Notes
    -----
    What landmarks cannot do:

    * dlib's 68-point model follows eyelids poorly: it places the lids of a
      closed eye as if half open, so ``gentle_eye_closure`` from dlib
      landmarks underrates closure. On 40 patients of the synthetic
      cohort's photos (before issue 26), the share whose weaker side an
      item found: dlib's ``brow_elevation`` 42 %, eye closure and
      ``palpebral_fissure_at_rest`` 72 %; MediaPipe's
      ``nasolabial_fold_at_rest`` 55 %; every other item 90-100 % with
      either.
    * Healthy faces are not symmetric: on 60 synthetic controls with
      natural asymmetry (true landmarks), ``total_score`` averages 94.6
      (sd 2.6; 94.3, sd 2.3, on 200 others): static 95.0, dynamic 92.9
      (``gentle_eye_closure`` 91.0, the renderer's closed eye keeping a
      gap in some), synkinesis 98.8. The Auto-eFACE scored normal faces
      93.8 +- 4.4 (Miller et al. 2021).
    * The scores are ratios of the two sides, so they have no unit.
    * A healthy movement smaller than 0.02 inter-ocular distances (about
      1.3 mm), 2 degrees for the fold, or 5 % eye closure, means the photo
      shows no movement to compare with (the expression was not made, or
      both sides are still): the item is NaN, not a division by zero. So is
      a static item whose reference measure is not positive (a brow at or
      below the eye's reference point, a shut eye at rest).
    * Head turn fakes asymmetry; photograph the face frontally.
    * Mentalis and platysmal synkinesis are not computable from 2-D
      landmarks; the synkinesis score holds the ocular and oral items.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.clinical._regional import regional_scores
    >>> face = IBUG68_MEAN_FACE.copy()
    >>> face[17:22, 1] += 0.05  # the subject's right brow droops
    >>> face[48, 1] += 0.05  # and so does the right commissure
    >>> scores = regional_scores(face, side="right")  # the clinician's side
    >>> scores.loc[0, ["brow_at_rest", "oral_commissure_at_rest",
    ...                "brow", "mouth"]].astype(float).round(1)
    brow_at_rest               86.2
    oral_commissure_at_rest    80.7
    brow                       86.2
    mouth                      80.7
    Name: 0, dtype: float64

    Both static items are below 100: the right brow and corner are low.
    With a smile photo of the same face, in which the right commissure moves
    a quarter as far as the left, the side is inferred:

    >>> smile = face.copy()
    >>> smile[48] += [-0.03, -0.04]
    >>> smile[54] += [0.12, -0.16]
    >>> scores = regional_scores(face, expressions={"smile": smile})
    >>> scores.loc[0, ["affected_side", "side_source"]].tolist()
    ['right', 'inferred']
    >>> round(float(scores.loc[0, "oral_commissure_with_smile"]), 1)
    23.7
    """
    scheme = _resolve_scheme(scheme, landmarks)
    rest = check_landmarks(landmarks, scheme, ensure_finite=False)
    expressions = _check_expressions(expressions, rest, scheme)
    side = _check_side(side, len(rest))
    _check_threshold(side_threshold)
    return _score(rest, expressions, scheme, side_threshold, dynamic=True, side=side)


class RegionalScores(LandmarkTransformerMixin, BaseEstimator):
    """Score the brow, eye, midface and mouth of rest photos, eFACE-style.

    A stateless transformer over :func:`regional_scores` for single photos:
    from the landmarks of a face at rest, the eFACE's four static items
    (0-200, 100 balanced) and their folded deviations (0-100), the four
    regions' scores (0-100, 100 = symmetric), the static score, and the
    side evidence and its confidence, with no training. The dynamic and
    synkinesis items need more photos of the same face;
    :func:`regional_scores` computes them from a rest photo and expression
    photos, row by row.

    Parameters
    ----------
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme of the input. ``"auto"`` takes it from the
        number of points that ``fit`` sees (68: iBUG, as from dlib; 478:
        MediaPipe Face Mesh).
    side_threshold : float, default=0.15
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
    >>> dict(zip(scorer.get_feature_names_out()[8:12],
    ...          scorer.transform(faces)[0, 8:12].round(1).tolist()))
    {'brow': 100.0, 'eye': 100.0, 'midface': 84.8, 'mouth': 69.1}
    >>> float(scorer.transform(faces)[0, 3].round(1))  # oral commissure: low
    69.1
    """

    _parameter_constraints = {
        **LandmarkTransformerMixin._parameter_constraints,
        "side_threshold": [Interval(numbers.Real, 0, 1, closed="right")],
    }
    _allow_nan = True  # NaN rows are missing faces, scored NaN

    def __init__(self, *, scheme="auto", side_threshold=SIDE_THRESHOLD):
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
        scores : ndarray of shape (n_samples, 15)
            Float64, named by :meth:`get_feature_names_out`; NaN rows for
            faces with NaN landmarks.
        """
        landmarks = self._landmarks(X)
        table = _score(landmarks, {}, self.scheme_, self.side_threshold,
                       dynamic=False)
        return table.to_numpy(dtype=np.float64)

    def _output_names(self):
        return regional_score_names(dynamic=False)
