"""Handcrafted facial-symmetry, clinical and coordinate features from landmarks.

Pure, batch-vectorised functions compute each family of features from
landmarks of shape (n, K, 2) (:func:`symmetry_features`,
:func:`clinical_features`, :func:`coordinate_features`); the scikit-learn
transformer :class:`ExpressionFeatures` is a thin layer on top of
:func:`expression_features`.

Conventions: image coordinates (x right, y down); "right" and "left" are the
subject's (the subject's right is the image's left: iBUG points 17-21, 36-41,
48). Signed features compare the sides: angles are measured in the aligned
frame and ``..._asym`` features are left minus right, so mirroring a face
flips their sign and swaps every ``..._right`` with its ``..._left``.

Undefined values
----------------
No feature is NaN or infinite on finite, non-degenerate landmarks:

* S(a, b) = min(a, b) / max(a, b), with S(0, 0) = 1 (two closed eyes are
  symmetric); one closed side gives 0.
* A ratio whose denominator is 0 (face width W = |P0 - P16| or mouth width
  d(48, 54)) is 0, as the original study replaced undefined values by 0.
* The angle of a zero-length segment is 0.
* Slopes |dy| / |dx| are capped at 1000 (89.94 degrees); a vertical segment
  gives 1000 and a zero-length one 0.
* Brow heights below the eye line count as 0 in the brow-height ratio.
* Where a curve never reaches the abscissa it is evaluated at, its nearer
  end point is used (see :func:`clinical_features`).

Landmarks that are NaN or infinite, faces whose eye centres (or, with
MediaPipe, iris centres) coincide, and irises of zero diameter raise
:class:`~sklearn_palsy.exceptions.InvalidLandmarksError` naming every
offending row; so does any feature that still overflows.
"""

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import InvalidLandmarksError
from ..faces._geometry import (
    align_landmarks,
    check_landmarks,
    inter_ocular_distance,
    name_every_bad_row,
    to_frame,
)
from ..faces._schemes import (
    get_scheme,
)
from ._landmarks import LandmarkTransformerMixin

__all__ = [
    "FACE_SIZE_RANGE",
    "HORIZONTAL_IRIS_DIAMETER_MM",
    "SYMMETRY_FEATURE_NAMES",
    "ExpressionFeatures",
    "clinical_feature_names",
    "clinical_features",
    "coordinate_features",
    "expression_feature_names",
    "expression_features",
    "face_size_features",
    "horizontal_iris_chord",
    "lateral_feature_names",
    "lateral_features",
    "symmetry_features",
    "visit_scale",
]

KINDS = ("symmetry", "clinical", "lateral", "coordinates", "face_size")

#: Names of the 29 symmetry features (Parra-Dominguez et al. 2021), in order.
SYMMETRY_FEATURE_NAMES = (
    "brow_outer_angle",  # 0  A(17->26)
    "brow_mid_angle",  # 1  A(19->24)
    "brow_inner_angle",  # 2  A(21->22)
    "brow_height_ratio",  # 3  S(height 17-21, height 22-26) above the eye line
    "brow_outer_slope",  # 4  |dy|/|dx| of 17, 26
    "brow_mid_slope",  # 5  of 19, 24
    "brow_inner_slope",  # 6  of 21, 22
    "canthi_angle",  # 7  A(36->45)
    "eye_width_ratio",  # 8  S(d(36,39), d(42,45))
    "canthus_face_edge_ratio",  # 9  S(d(0,36), d(45,16))
    "canthus_ala_ratio",  # 10 S(d(36,31), d(45,35))
    "eye_opening_ratio",  # 11 S(mean lid openings right, left)
    "lateral_lid_opening_ratio",  # 12 S(d(37,41), d(44,46))
    "medial_lid_opening_ratio",  # 13 S(d(38,40), d(43,47))
    "commissure_angle",  # 14 A(48->54)
    "canthus_lower_lip_ratio",  # 15 S(d(36,57), d(45,57))
    "lateral_lip_height_ratio",  # 16 S(d(49,59), d(53,55))
    "paramedian_lip_height_ratio",  # 17 S(d(50,58), d(52,56))
    "commissure_lower_lip_to_face_width",  # 18 max(d(48,57), d(54,57)) / W
    "lateral_lip_height_to_mouth_width",  # 19 max(d(49,59), d(53,55)) / d(48,54)
    "paramedian_lip_height_to_mouth_width",  # 20 max(d(50,58), d(52,56)) / d(48,54)
    "hemilip_perimeter_to_mouth_width",  # 21 max(hemi-lip perimeters) / d(48,54)
    "nose_base_angle",  # 22 A(31->35)
    "nose_tip_lower_lip_angle",  # 23 A(30->57) from the vertical
    "ala_lower_lip_ratio",  # 24 S(d(31,57), d(35,57))
    "mid_brow_lower_lip_to_face_width",  # 25 max(d(19,57), d(24,57)) / W
    "brow_lower_lip_to_face_width",  # 26 max(d(20,57), d(23,57)) / W
    "chin_lower_lip_to_face_width",  # 27 d(8,57) / W
    "subnasale_upper_lip_to_face_width",  # 28 d(33,51) / W
)

_MAX_SLOPE = 1000.0

# Clinical measures compared between the sides, and whether each is a length.
_PER_SIDE = (
    ("brow_height", True),
    ("mrd1", True),
    ("mrd2", True),
    ("palpebral_fissure_height", True),
    ("commissure_excursion", True),
    ("smile_angle", False),
)
_DEVIATION_ONLY = ("commissure_height", "upper_lip_height", "lower_lip_height")
_SIDES = ("right", "left", "deviation", "asym")


# --------------------------------------------------------------------------
# Small vectorised helpers; P is (n, 68, 2).


def _rows(mask):
    return np.flatnonzero(mask).tolist()


def _dist(P, i, j):
    delta = P[:, i] - P[:, j]
    return np.hypot(delta[:, 0], delta[:, 1])


def _angle(P, i, j):
    """Signed angle of i -> j in degrees; positive when j is lower in the image."""
    delta = P[:, j] - P[:, i]
    return np.degrees(np.arctan2(delta[:, 1], delta[:, 0]))


def _slope(P, i, j):
    """|dy| / |dx|, capped at _MAX_SLOPE; 0 for a zero-length segment."""
    delta = np.abs(P[:, j] - P[:, i])
    dx, dy = delta[:, 0], delta[:, 1]
    slope = np.divide(dy, dx, out=np.full_like(dx, _MAX_SLOPE), where=dx > 0)
    slope = np.minimum(slope, _MAX_SLOPE)
    return np.where((dx == 0) & (dy == 0), 0.0, slope)


def _sym(a, b):
    """S(a, b) = min / max for a, b >= 0, with S(0, 0) = 1."""
    high = np.maximum(a, b)
    return np.divide(np.minimum(a, b), high, out=np.ones_like(high), where=high > 0)


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0."""
    return np.divide(
        numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0
    )


def _perimeter(P, indices):
    closed = P[:, list(indices) + [indices[0]]]
    steps = np.diff(closed, axis=1)
    return np.hypot(steps[..., 0], steps[..., 1]).sum(axis=1)


def _crossing(curve, u):
    """v of a polyline where it crosses the abscissa u.

    Linear interpolation along the landmark polyline. Where it crosses more
    than once, the crossings are averaged (which does not depend on the order
    of the points, so the rule commutes with mirroring); where it never
    reaches u, the v of its end point nearer in u is used (both ends averaged
    on a tie).

    Parameters
    ----------
    curve : ndarray of shape (n, m, 2)
        ``(u, v)`` of the polyline's points.
    u : ndarray of shape (n,)
        Where to evaluate it.

    Returns
    -------
    v : ndarray of shape (n,)
    """
    u0, v0 = curve[:, :-1, 0], curve[:, :-1, 1]
    u1, v1 = curve[:, 1:, 0], curve[:, 1:, 1]
    q = u[:, None]
    inside = (np.minimum(u0, u1) <= q) & (q <= np.maximum(u0, u1))
    du = u1 - u0
    # A vertical segment at u spans a range of v: take its middle.
    t = np.divide(q - u0, du, out=np.full_like(du, 0.5), where=du != 0)
    v = v0 + t * (v1 - v0)
    count = inside.sum(axis=1)
    crossed = np.where(inside, v, 0.0).sum(axis=1) / np.maximum(count, 1)
    first, last = curve[:, 0], curve[:, -1]
    gap_first, gap_last = np.abs(first[:, 0] - u), np.abs(last[:, 0] - u)
    nearest = np.where(
        gap_first < gap_last,
        first[:, 1],
        np.where(gap_last < gap_first, last[:, 1], (first[:, 1] + last[:, 1]) / 2),
    )
    return np.where(count > 0, crossed, nearest)


def _as_batch(landmarks, scheme):
    scheme = get_scheme(scheme)
    single = np.ndim(landmarks) == 2
    return check_landmarks(landmarks, scheme), scheme, single


def _per_row(landmarks, scheme, compute):
    """``compute(batch, scheme)`` on checked landmarks, naming every bad row.

    A batch with NaN rows and degenerate rows, say, is refused with one
    error that names both kinds (see
    :func:`~sklearn_palsy.faces._geometry.name_every_bad_row`), and so is a
    row whose features overflow.
    """
    scheme = get_scheme(scheme)
    single = np.ndim(landmarks) == 2
    landmarks = check_landmarks(landmarks, scheme, ensure_finite=False)

    def checked(batch):
        # Overflow on far-flung points is caught below, by row, with a clear
        # error: numpy's RuntimeWarnings would only add noise before it.
        with np.errstate(all="ignore"):
            features = compute(check_landmarks(batch, scheme), scheme)
        overflow = ~np.isfinite(features).all(axis=1)
        if overflow.any():
            raise InvalidLandmarksError(
                f"landmarks of rows {_rows(overflow)} are degenerate: their "
                "features overflow"
            )
        return features

    return _unbatch(name_every_bad_row(landmarks, checked), single)


def _unbatch(features, single):
    return features[0] if single else features


# --------------------------------------------------------------------------
# Symmetry features.


def _symmetry_from_aligned(P):
    """The 29 features from aligned iBUG-68 points P, (n, 68, 2)."""
    face_width = _dist(P, 0, 16)
    mouth_width = _dist(P, 48, 54)
    # Heights above the eye line, which is y = 0 in the aligned frame.
    right_brow = np.maximum(-P[:, 17:22, 1].mean(axis=1), 0.0)
    left_brow = np.maximum(-P[:, 22:27, 1].mean(axis=1), 0.0)
    right_opening = (_dist(P, 37, 41) + _dist(P, 38, 40)) / 2
    left_opening = (_dist(P, 43, 47) + _dist(P, 44, 46)) / 2
    nose_to_lip = P[:, 57] - P[:, 30]
    columns = [
        _angle(P, 17, 26),
        _angle(P, 19, 24),
        _angle(P, 21, 22),
        _sym(right_brow, left_brow),
        _slope(P, 17, 26),
        _slope(P, 19, 24),
        _slope(P, 21, 22),
        _angle(P, 36, 45),
        _sym(_dist(P, 36, 39), _dist(P, 42, 45)),
        _sym(_dist(P, 0, 36), _dist(P, 45, 16)),
        _sym(_dist(P, 36, 31), _dist(P, 45, 35)),
        _sym(right_opening, left_opening),
        _sym(_dist(P, 37, 41), _dist(P, 44, 46)),
        _sym(_dist(P, 38, 40), _dist(P, 43, 47)),
        _angle(P, 48, 54),
        _sym(_dist(P, 36, 57), _dist(P, 45, 57)),
        _sym(_dist(P, 49, 59), _dist(P, 53, 55)),
        _sym(_dist(P, 50, 58), _dist(P, 52, 56)),
        _ratio(np.maximum(_dist(P, 48, 57), _dist(P, 54, 57)), face_width),
        _ratio(np.maximum(_dist(P, 49, 59), _dist(P, 53, 55)), mouth_width),
        _ratio(np.maximum(_dist(P, 50, 58), _dist(P, 52, 56)), mouth_width),
        _ratio(
            np.maximum(
                _perimeter(P, (48, 49, 50, 51, 57, 58, 59)),
                _perimeter(P, (51, 52, 53, 54, 55, 56, 57)),
            ),
            mouth_width,
        ),
        _angle(P, 31, 35),
        # From the downward vertical; positive when 57 lies to the image's
        # right of the nose tip (towards the subject's left).
        np.degrees(np.arctan2(nose_to_lip[:, 0], nose_to_lip[:, 1])),
        _sym(_dist(P, 31, 57), _dist(P, 35, 57)),
        _ratio(np.maximum(_dist(P, 19, 57), _dist(P, 24, 57)), face_width),
        _ratio(np.maximum(_dist(P, 20, 57), _dist(P, 23, 57)), face_width),
        _ratio(_dist(P, 8, 57), face_width),
        _ratio(_dist(P, 33, 51), face_width),
    ]
    return np.column_stack(columns)


def symmetry_features(landmarks, scheme="ibug68"):
    """Compute the 29 handcrafted facial-symmetry features.

    The features of Parra-Dominguez et al. (2021), computed on landmarks
    aligned by :func:`~sklearn_palsy.faces.align_landmarks` (eyes level,
    isotropic scale) from the 68 iBUG-equivalent points of the scheme. In
    the notation below, S(a, b) = min(a, b) / max(a, b) (1 when symmetric),
    A(i -> j) is the signed angle of segment i -> j in degrees in the
    aligned frame (positive when j is lower in the image, so mirroring the
    face flips its sign), d is the distance, W = d(0, 16).

    ====  =====================================  ==================================
    #     name                                   formula
    ====  =====================================  ==================================
    0     brow_outer_angle                       A(17 -> 26)
    1     brow_mid_angle                         A(19 -> 24)
    2     brow_inner_angle                       A(21 -> 22)
    3     brow_height_ratio                      S(mean height of 17-21, of 22-26
                                                 above the eye line)
    4-6   brow_{outer,mid,inner}_slope           |dy|/|dx| of 17-26, 19-24, 21-22
    7     canthi_angle                           A(36 -> 45)
    8     eye_width_ratio                        S(d(36,39), d(42,45))
    9     canthus_face_edge_ratio                S(d(0,36), d(45,16))
    10    canthus_ala_ratio                      S(d(36,31), d(45,35))
    11    eye_opening_ratio                      S(mean(d(37,41), d(38,40)),
                                                 mean(d(43,47), d(44,46)))
    12    lateral_lid_opening_ratio              S(d(37,41), d(44,46))
    13    medial_lid_opening_ratio               S(d(38,40), d(43,47))
    14    commissure_angle                       A(48 -> 54)
    15    canthus_lower_lip_ratio                S(d(36,57), d(45,57))
    16    lateral_lip_height_ratio               S(d(49,59), d(53,55))
    17    paramedian_lip_height_ratio            S(d(50,58), d(52,56))
    18    commissure_lower_lip_to_face_width     max(d(48,57), d(54,57)) / W
    19    lateral_lip_height_to_mouth_width      max(d(49,59), d(53,55)) / d(48,54)
    20    paramedian_lip_height_to_mouth_width   max(d(50,58), d(52,56)) / d(48,54)
    21    hemilip_perimeter_to_mouth_width       max(perimeter 48-49-50-51-57-58-59,
                                                 51-52-53-54-55-56-57) / d(48,54)
    22    nose_base_angle                        A(31 -> 35)
    23    nose_tip_lower_lip_angle               angle of 30 -> 57 from the
                                                 downward vertical
    24    ala_lower_lip_ratio                    S(d(31,57), d(35,57))
    25    mid_brow_lower_lip_to_face_width       max(d(19,57), d(24,57)) / W
    26    brow_lower_lip_to_face_width           max(d(20,57), d(23,57)) / W
    27    chin_lower_lip_to_face_width           d(8,57) / W
    28    subnasale_upper_lip_to_face_width      d(33,51) / W
    ====  =====================================  ==================================

    Values that are undefined on a degenerate geometry follow the rules in
    the module's docstring (S(0, 0) = 1, x/0 = 0, slopes capped at 1000).

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, 29) or (29,)
        In the order of :data:`SYMMETRY_FEATURE_NAMES`.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import symmetry_features
    >>> features = symmetry_features(IBUG68_MEAN_FACE * 100)
    >>> features.shape
    (29,)
    >>> round(abs(float(features[14])), 9), round(float(features[8]), 9)
    (0.0, 1.0)
    """
    return _per_row(landmarks, scheme, _symmetry)


def _symmetry(landmarks, scheme):
    aligned, _ = align_landmarks(landmarks, scheme)
    return _symmetry_from_aligned(scheme.to_ibug68(aligned))


# --------------------------------------------------------------------------
# Clinical measures (Emotrics).


def _iris_chords(landmarks, scheme):
    """The horizontal chord of the right, then the left iris."""
    landmarks, scheme, single = _as_batch(landmarks, scheme)
    if not scheme.has_irises:
        raise ValueError(f"the {scheme.name} scheme has no iris points")
    chords = []
    for side in ("right_iris", "left_iris"):
        rim = landmarks[:, list(scheme.regions[side][1:5])]
        # Rim points 1 and 3 after the centre lie on the horizontal chord.
        delta = rim[:, 0] - rim[:, 2]
        chords.append(np.hypot(delta[:, 0], delta[:, 1]))
    return chords, single


#: Horizontal visible iris diameter of adults, in millimetres: the chord the
#: measurement frame of a visit is set by (:func:`visit_scale`).
HORIZONTAL_IRIS_DIAMETER_MM = 11.7


def horizontal_iris_chord(landmarks, scheme="mediapipe478"):
    """Return the mean horizontal iris chord of each face, in its units.

    The chord between each iris's horizontal rim points (MediaPipe 469-471
    and 474-476), averaged over the two irises: 11.7 mm is the horizontal
    visible iris diameter, and the lids, which can hide the top and bottom
    of the iris, leave this chord alone (the vertical chord is not used).

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of a scheme with irises.
    scheme : str or LandmarkScheme, default="mediapipe478"
        The landmark scheme; it must have irises.

    Returns
    -------
    chord : ndarray of shape (n_samples,) or float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.preprocessing._features import horizontal_iris_chord
    >>> face = np.zeros((478, 2))
    >>> face[469:472] = [[-24, 0], [-30, -4], [-36, 0]]  # 12 across, 4 shown up
    >>> face[474:477] = [[24, 0], [30, -4], [36, 0]]
    >>> float(horizontal_iris_chord(face))
    12.0
    """
    chords, single = _iris_chords(landmarks, scheme)
    chord = (chords[0] + chords[1]) / 2
    return float(chord[0]) if single else chord


def _eye_distance(ibug):
    """|mean(36..41) - mean(42..47)| of iBUG-68 points, (n,)."""
    delta = ibug[:, 42:48].mean(axis=1) - ibug[:, 36:42].mean(axis=1)
    return np.hypot(delta[:, 0], delta[:, 1])


def visit_scale(rest, scheme, moved=None, *, mm_per_pixel=None, rows=None,
                moved_rows=None):
    """Return the length of a pixel in a visit's measurement frame.

    One frame per patient and visit: its unit is set on the rest photo and
    carried to the same visit's expression photos through the inter-ocular
    distance (between the eye centres, the means of 36-41 and 42-47), so
    that a photo whose iris looks smaller (half hidden by a smile or closing
    lids) does not rescale its movements. The lids move up and down, which
    leaves that distance's length alone to first order; the inner-canthal
    distance d(39, 42), as stable, is a third as long and, detected, too
    noisy to carry a scale on small faces (on 128-pixel MediaPipe videos it
    moved a commissure ratio from 0.66 to 0.97).

    * With ``mm_per_pixel``, the user's calibration of the rest photo.
    * Else, where the scheme has irises, 11.7 mm
      (:data:`HORIZONTAL_IRIS_DIAMETER_MM`) over the rest photo's horizontal
      iris chord (:func:`horizontal_iris_chord`).
    * Else (iBUG 68, dlib), the rest photo's inter-ocular distance is the
      unit: lengths are in inter-ocular distances.

    Parameters
    ----------
    rest : ndarray of shape (n, n_landmarks, 2)
        Checked landmarks of rest photos, in pixels.
    scheme : LandmarkScheme
    moved : ndarray of shape (n, n_landmarks, 2), default=None
        Landmarks of expression photos of the same visits, row by row.
    mm_per_pixel : float or array-like of shape (n,), default=None
        Millimetres per pixel of each rest photo.
    rows, moved_rows : array-like of shape (n,), default=None
        The row numbers that errors name for the rest and the expression
        photos (by default 0 to n - 1).

    Returns
    -------
    rest_scale : ndarray of shape (n,)
        Millimetres (or inter-ocular distances) per pixel of each rest photo.
    moved_scale : ndarray of shape (n,)
        The same, carried to each expression photo; only if ``moved`` is
        given.

    Raises
    ------
    InvalidLandmarksError
        Naming the rows whose calibration is not positive, or whose iris
        chord or inter-ocular distance is zero.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68, IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import visit_scale
    >>> rest = IBUG68_MEAN_FACE[None] * 80.0  # 80 pixels between the eyes
    >>> smile = IBUG68_MEAN_FACE[None] * 100.0  # the camera a little closer
    >>> rest_scale, smile_scale = visit_scale(rest, IBUG68, smile, mm_per_pixel=0.75)
    >>> rest_scale.tolist(), smile_scale.round(6).tolist()
    ([0.75], [0.6])
    """
    ibug = scheme.to_ibug68(rest)
    rows = np.arange(len(rest)) if rows is None else np.asarray(rows)

    def check_positive(values, message, named=rows):
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise InvalidLandmarksError(
                message.format(np.unique(named[bad]).tolist()))

    if mm_per_pixel is not None:
        scale = np.broadcast_to(np.asarray(mm_per_pixel, dtype=float), (len(rest),))
        check_positive(scale, "the calibration (mm_per_pixel) of rows {} is not "
                       "a positive number")
    elif scheme.has_irises:
        chord = horizontal_iris_chord(rest, scheme)
        check_positive(chord, "landmarks of rows {} are degenerate: an iris of "
                       "zero width cannot set the millimetre scale")
        scale = HORIZONTAL_IRIS_DIAMETER_MM / chord
    else:
        scale = 1.0
    distances = [_eye_distance(ibug)]
    if moved is not None:
        distances.append(_eye_distance(scheme.to_ibug68(moved)))
    moved_rows = rows if moved_rows is None else np.asarray(moved_rows)
    for distance, named in zip(distances, (rows, moved_rows), strict=False):
        check_positive(distance, "landmarks of rows {} are degenerate: the eye "
                       "centres coincide (zero inter-ocular distance)", named)
    if mm_per_pixel is None and not scheme.has_irises:
        scale = 1.0 / distances[0]
    scale = np.array(scale, dtype=float)
    if moved is None:
        return scale
    return scale, scale * distances[0] / distances[1]


def length_suffix(scheme):
    """``"_mm"`` where ``scheme`` has irises, else ``""``: the one rule for
    which lengths are named in millimetres.

    The lengths of :func:`clinical_features`,
    :class:`~sklearn_palsy.clinical.PatientMovement` and
    :func:`~sklearn_palsy.clinical.regional_scores` are in millimetres where
    the scheme has irises (MediaPipe), whose diameter sets the scale, and in
    inter-ocular distances otherwise; their names say which.

    Parameters
    ----------
    scheme : str or LandmarkScheme

    Returns
    -------
    suffix : str

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._features import length_suffix
    >>> length_suffix("mediapipe"), length_suffix("ibug68")
    ('_mm', '')
    """
    return "_mm" if get_scheme(scheme).has_irises else ""


def clinical_length_unit(landmarks, scheme):
    """Millimetres per pixel of each photo by its own iris, or None without irises.

    The scale of :func:`clinical_features`' lengths, which measures each
    photo alone: the photo is its own rest photo of :func:`visit_scale`,
    11.7 mm (:data:`HORIZONTAL_IRIS_DIAMETER_MM`) over its horizontal iris
    chord, the one millimetre rule of the package. Without irises (None)
    lengths are in the photo's inter-ocular distances.

    Parameters
    ----------
    landmarks : ndarray of shape (n, n_landmarks, 2)
        Checked landmarks of ``scheme``, in pixels.
    scheme : LandmarkScheme

    Returns
    -------
    unit : ndarray of shape (n,) or None

    Raises
    ------
    InvalidLandmarksError
        Naming the rows whose iris chord is zero or not finite.
    """
    if not scheme.has_irises:
        return None
    return visit_scale(landmarks, scheme)


def nasolabial_angles(P):
    """The ala -> commissure lines' angles from the downward vertical, in degrees.

    The landmarks do not trace the nasolabial fold itself, only its ends:
    the alae (31, 35) and the mouth corners (48, 54). Signed, positive where
    the commissure lies lateral of its ala, so that a corner that crosses
    the vertical moves through 0 rather than back; flatter folds are closer
    to the vertical (Emotrics+ compares the lines' angles likewise).

    Parameters
    ----------
    P : ndarray of shape (n, 68, 2)
        iBUG-68 points in a frame whose y axis points down, the subject's
        right on the left.

    Returns
    -------
    angles : ndarray of shape (n, 2)
        The subject's right and left lines.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import nasolabial_angles
    >>> nasolabial_angles(IBUG68_MEAN_FACE[None]).shape
    (1, 2)
    """
    right = P[:, 48] - P[:, 31]
    left = P[:, 54] - P[:, 35]
    return np.column_stack([
        np.degrees(np.arctan2(-right[:, 0], right[:, 1])),
        np.degrees(np.arctan2(left[:, 0], left[:, 1])),
    ])


def lower_lip_above_chin(P):
    """The lower lip's height above the chin, per side: the lip against the jaw.

    The vertical distance from the lower lip's points 58 (the subject's
    right) and 56 (left) up to the chin (8), so that a jaw that opens with a
    still lip changes it not at all (Emotrics+ measures the lower lip
    against the jaw likewise).

    Parameters
    ----------
    P : ndarray of shape (n, 68, 2)
        iBUG-68 points in a frame whose y axis points down.

    Returns
    -------
    heights : ndarray of shape (n, 2)
        The subject's right and left, in the unit of ``P``.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import lower_lip_above_chin
    >>> bool((lower_lip_above_chin(IBUG68_MEAN_FACE[None]) > 0).all())
    True
    """
    return P[:, [8], 1] - P[:, [58, 56], 1]


def eye_closure(closed, open_):
    """The share of an eye's open palpebral fissure that closed.

    ``1 - max(g, 0) / c``, with c the fissure height at rest and g on the
    closing photo, both at mid-eye (:func:`clinical_features`'
    ``palpebral_fissure_height``): 0 not closed, 1 fully closed; lids that
    cross (g < 0, a detector's artefact) count as closed, not as more than
    closed. NaN where the eye has no opening at rest to close (c <= 0).

    Parameters
    ----------
    closed, open_ : array-like of the same shape
        Fissure heights on the closing photo and at rest, in one unit.

    Returns
    -------
    closure : ndarray

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._features import eye_closure
    >>> eye_closure([0.05, -0.01, 0.1], [0.1, 0.1, 0.0])
    array([0.5, 1. , nan])
    """
    closed, open_ = np.broadcast_arrays(np.asarray(closed, dtype=float),
                                        np.asarray(open_, dtype=float))
    with np.errstate(invalid="ignore"):
        has_opening = open_ > 0
    still_open = np.divide(np.maximum(closed, 0.0), open_,
                           out=np.full(open_.shape, np.nan), where=has_opening)
    return 1.0 - still_open


def clinical_feature_names(scheme="ibug68"):
    """Return the names of the clinical measures, in order.

    Parameters
    ----------
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme: lengths end in ``_mm`` where it has irises.

    Returns
    -------
    names : list of str
        34 names, without the ``clinical__`` prefix.

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._features import clinical_feature_names
    >>> clinical_feature_names()[:4]
    ['brow_height_right', 'brow_height_left', 'brow_height_deviation', \
'brow_height_asym']
    >>> clinical_feature_names("mediapipe")[0]
    'brow_height_right_mm'
    """
    unit = length_suffix(scheme)
    names = []
    for measure, is_length in _PER_SIDE:
        suffix = unit if is_length else ""
        for part in _SIDES:
            names.append(f"{measure}_{part}{suffix}")
    for measure in _DEVIATION_ONLY:
        names += [f"{measure}_deviation{unit}", f"{measure}_asym{unit}"]
    names += [f"dental_show_{part}{unit}" for part in _SIDES]
    return names


def _compare(right, left):
    return [right, left, np.abs(left - right), left - right]


def clinical_features(landmarks, scheme="ibug68"):
    """Compute Emotrics-style clinical measures of facial symmetry.

    The measures of Guarin et al. (2018), in a frame whose u axis runs along
    the line between the eyes' reference points o (:func:`eye_references`:
    the iris centres of MediaPipe, the canthi's midpoints of iBUG 68, which
    has no irises and whose lids move its eye centres) from the subject's
    right to left, whose v axis points down, with the origin at their
    midpoint. Curves through landmark runs are
    evaluated by linear interpolation along the polyline at a given u
    (crossings averaged; the nearer end point where the run does not reach
    it). Heights are positive upwards. Each side's measures are those of
    :func:`side_measures`, the one definition that the movements and the
    regional scores compare too.

    * ``brow_height``: from o up to the brow (17-21 / 22-26) above it.
    * ``mrd1`` / ``mrd2``: from o up to the upper lid (36-39 / 42-45) and down
      to the lower lid (36, 41, 40, 39 / 42, 47, 46, 45).
    * ``palpebral_fissure_height``: lower minus upper lid at the mid-eye,
      halfway between the canthi (negative only if the lids cross).
    * ``commissure_excursion``: d(48 or 54, Lmid), where Lmid is where the
      outer lower lip (48, 59, 58, 57, 56, 55, 54) crosses the midline u = 0.
    * ``smile_angle``: degrees between the downward midline and Lmid ->
      commissure (0 for a zero-length segment).
    * ``commissure_height``: height of 48 and 54.
    * ``upper_lip_height`` / ``lower_lip_height``: height of the outer upper
      (48-51 / 54-51) or lower (48, 59, 58, 57 / 54, 55, 56, 57) lip halfway
      from the midline out to the commissure.
    * ``dental_show``: inner lower (60, 67, 66, 65, 64) minus inner upper
      (60-64) lip, halfway out to the commissure.

    Each measure gives ``_right`` and ``_left`` values (except the three
    heights, whose absolute level carries no information), ``_deviation`` =
    |left - right| and the signed ``_asym`` = left - right. Lengths are in
    millimetres (:func:`clinical_length_unit`: 11.7 mm over the photo's
    horizontal iris chord; names ending in ``_mm``) when the scheme has
    irises, else in inter-ocular distances (between the eye centres, as
    :func:`~sklearn_palsy.faces.align_landmarks` measures them).

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, 34) or (34,)
        In the order of :func:`clinical_feature_names`.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import (
    ...     clinical_feature_names, clinical_features)
    >>> face = IBUG68_MEAN_FACE.copy()
    >>> face[48, 1] += 0.1  # the subject's right mouth corner droops
    >>> values = dict(zip(clinical_feature_names(), clinical_features(face)))
    >>> round(float(values["commissure_height_asym"]), 6)
    0.1
    """
    return _per_row(landmarks, scheme, _clinical)


def eye_references(landmarks, scheme):
    """Each eye's reference point: the iris centre, or the canthi's midpoint.

    The point that every clinical measure of the eye and brow is taken from
    (Emotrics measures from the iris centre); without irises (iBUG 68), the
    midpoint of the eye's canthi (36, 39 and 42, 45), which the lids do not
    move, where the eye centre, the mean of the six lid points, falls with a
    sagging lower lid.

    Parameters
    ----------
    landmarks : ndarray of shape (n, n_landmarks, 2)
        Landmarks of ``scheme``.
    scheme : LandmarkScheme

    Returns
    -------
    right, left : ndarray of shape (n, 2)
        The subject's right and left eye's reference points.
    """
    if scheme.has_irises:
        return (landmarks[:, scheme.regions["right_iris"][0]],
                landmarks[:, scheme.regions["left_iris"][0]])
    ibug = scheme.to_ibug68(landmarks)
    return ibug[:, [36, 39]].mean(axis=1), ibug[:, [42, 45]].mean(axis=1)


def side_measures(landmarks, scheme):
    """Each side's clinical measures of a batch of faces, in the landmarks' units.

    The one definition of every per-side measure that the clinical features,
    the movements from rest (:class:`~sklearn_palsy.clinical.PatientMovement`)
    and the regional scores compare, in the frame of the eyes' reference
    points o (:func:`eye_references`: the iris centres, or without irises
    the canthi's midpoints, which the lids do not move): u along the line
    from the subject's right o to the left one, v down, the origin at their
    midpoint, lengths unscaled. See :func:`clinical_features` for the
    measures; besides them:

    * ``commissure_lift`` / ``commissure_reach``: the commissure's height
      above Lmid and its distance from the midline (Emotrics+'s e and d);
    * ``commissure_position``: the commissure's (u, v), shape (n, 2);
    * ``nasolabial_angle``: :func:`nasolabial_angles`, signed;
    * ``lower_lip_above_chin``: :func:`lower_lip_above_chin`;
    * ``lower_lip_drop``: how far 58 / 56 lie below the eye line, which
      the jaw's opening moves too.

    Parameters
    ----------
    landmarks : ndarray of shape (n, n_landmarks, 2)
        Checked landmarks of ``scheme``.
    scheme : LandmarkScheme

    Returns
    -------
    measures : dict of str to tuple of two ndarrays
        Each measure's (right, left) values.
    distance : ndarray of shape (n,)
        The distance between the reference points, in the landmarks' units.

    Raises
    ------
    InvalidLandmarksError
        Naming the rows whose reference points coincide.
    """
    ibug = scheme.to_ibug68(landmarks)
    right, left = eye_references(landmarks, scheme)
    points = np.concatenate([ibug, right[:, None], left[:, None]], axis=1)
    framed, distance = to_frame(points, right, left)
    bad = ~(np.isfinite(distance) & (distance > 0))
    if bad.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {_rows(bad)} are degenerate: the "
            f"{'iris centres' if scheme.has_irises else 'eyes (canthi)'} coincide"
        )
    Q, centres = framed[:, :68], {"right": framed[:, 68], "left": framed[:, 69]}
    u, v = Q[..., 0], Q[..., 1]

    def curve(indices):
        return Q[:, list(indices)]

    # Each side's runs are listed medial to lateral and mirror each other.
    runs = {
        "right": {
            "brow": (21, 20, 19, 18, 17),
            "upper_lid": (39, 38, 37, 36),
            "lower_lid": (39, 40, 41, 36),
            "canthi": (36, 39),
            "commissure": 48,
            "upper_lip": (51, 50, 49, 48),
            "lower_lip": (57, 58, 59, 48),
        },
        "left": {
            "brow": (22, 23, 24, 25, 26),
            "upper_lid": (42, 43, 44, 45),
            "lower_lid": (42, 47, 46, 45),
            "canthi": (45, 42),
            "commissure": 54,
            "upper_lip": (51, 52, 53, 54),
            "lower_lip": (57, 56, 55, 54),
        },
    }
    outer_lower_lip = curve((48, 59, 58, 57, 56, 55, 54))
    inner_upper_lip = curve((60, 61, 62, 63, 64))
    inner_lower_lip = curve((60, 67, 66, 65, 64))
    lmid_v = _crossing(outer_lower_lip, np.zeros(len(Q)))
    lmid = np.column_stack([np.zeros(len(Q)), lmid_v])
    nasolabial = nasolabial_angles(Q)
    lower_lip = lower_lip_above_chin(Q)

    side = {}
    for at, (name, run) in enumerate(runs.items()):
        o_u, o_v = centres[name][:, 0], centres[name][:, 1]
        canthus_a, canthus_b = run["canthi"]
        mid_eye = (u[:, canthus_a] + u[:, canthus_b]) / 2
        corner = Q[:, run["commissure"]]
        to_corner = corner - lmid
        halfway = u[:, run["commissure"]] / 2
        excursion = np.hypot(to_corner[:, 0], to_corner[:, 1])
        smile_angle = np.arctan2(np.abs(to_corner[:, 0]), to_corner[:, 1])
        side[name] = {
            "brow_height": o_v - _crossing(curve(run["brow"]), o_u),
            "mrd1": o_v - _crossing(curve(run["upper_lid"]), o_u),
            "mrd2": _crossing(curve(run["lower_lid"]), o_u) - o_v,
            "palpebral_fissure_height": _crossing(curve(run["lower_lid"]), mid_eye)
            - _crossing(curve(run["upper_lid"]), mid_eye),
            "commissure_excursion": excursion,
            "smile_angle": np.degrees(smile_angle),
            "commissure_height": -v[:, run["commissure"]],
            "upper_lip_height": -_crossing(curve(run["upper_lip"]), halfway),
            "lower_lip_height": -_crossing(curve(run["lower_lip"]), halfway),
            "dental_show": _crossing(inner_lower_lip, halfway)
            - _crossing(inner_upper_lip, halfway),
            "commissure_lift": -excursion * np.cos(smile_angle),
            "commissure_reach": excursion * np.sin(smile_angle),
            "commissure_position": corner,
            "nasolabial_angle": nasolabial[:, at],
            "lower_lip_above_chin": lower_lip[:, at],
            "lower_lip_drop": Q[:, (58, 56)[at], 1],
        }
    measures = {key: (side["right"][key], side["left"][key]) for key in side["right"]}
    return measures, distance


#: The measures of :func:`side_measures` that are not lengths.
ANGLES = ("smile_angle", "nasolabial_angle")


def _clinical(landmarks, scheme):
    measures, _ = side_measures(landmarks, scheme)
    unit = clinical_length_unit(landmarks, scheme)
    if unit is None:
        # Inter-ocular distances, between the eye centres, as everywhere.
        unit = 1.0 / _eye_distance(scheme.to_ibug68(landmarks))
    side = {
        name: {
            key: value if key in ANGLES else value * np.reshape(
                unit, (-1,) + (1,) * (value.ndim - 1))
            for key, value in zip(measures, (pair[at] for pair in measures.values()),
                                  strict=True)
        }
        for at, name in enumerate(("right", "left"))
    }
    columns = []
    for measure, _ in _PER_SIDE:
        columns += _compare(side["right"][measure], side["left"][measure])
    for measure in _DEVIATION_ONLY:
        columns += _compare(side["right"][measure], side["left"][measure])[2:]
    columns += _compare(side["right"]["dental_show"], side["left"]["dental_show"])
    return np.column_stack(columns)


# --------------------------------------------------------------------------
# Left-right comparisons only.

# Per-side measures compared as a balance, and the lip heights compared to
# the mouth's width.
_LATERAL_BALANCED = ("brow_height", "mrd1", "mrd2", "palpebral_fissure_height",
                     "commissure_excursion", "smile_angle", "dental_show")
_LATERAL_TO_MOUTH = _DEVIATION_ONLY
# Imbalances below this are rounding (a symmetric face gives about 1e-16).
_EVEN = 1e-9


def lateral_feature_names():
    """Return the names of the left-right comparisons, in order.

    Returns
    -------
    names : list of str
        21 names, without the ``lateral__`` prefix.

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._features import lateral_feature_names
    >>> lateral_feature_names()[:2]
    ['brow_height_balance', 'brow_height_imbalance']
    >>> lateral_feature_names()[-1]
    'upper_face_share'
    """
    names = []
    for measure in _LATERAL_BALANCED:
        names += [f"{measure}_balance", f"{measure}_imbalance"]
    for measure in _LATERAL_TO_MOUTH:
        names += [f"{measure}_asym_to_mouth_width",
                  f"{measure}_deviation_to_mouth_width"]
    return names + ["upper_face_share"]


def lateral_features(landmarks, scheme="ibug68"):
    """Compare the two sides of each face, and nothing else.

    Built on :func:`clinical_features`, every feature is a comparison of the
    left and right sides with no unit left, so it does not change when both
    sides change alike: a face that smiles more broadly, opens its eyes
    wider or is photographed closer gives the same values. Features of
    size (mouth width, lip heights) instead learn habits of a photo set,
    such as controls who smile more broadly than patients.

    * ``<measure>_balance`` = (left - right) / (|left| + |right|), in [-1, 1],
      0 when symmetric (and when both sides are 0), for brow height, MRD1,
      MRD2, palpebral fissure height, commissure excursion, smile angle and
      dental show; ``<measure>_imbalance`` is its absolute value.
    * ``<measure>_asym_to_mouth_width`` = (left - right height) / mouth width,
      and ``_deviation_to_mouth_width`` its absolute value, for the
      commissure, upper-lip and lower-lip heights; the mouth width is the
      sum of the two commissure excursions.
    * ``upper_face_share`` = upper / (upper + lower) asymmetry, where upper
      is the mean imbalance of brow height and palpebral fissure and lower
      that of commissure excursion and commissure height; 0.5 when both are
      0 (below 1e-9). Central (upper motor neuron) palsy spares the forehead, so its
      share is low; peripheral palsy affects both.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, 21) or (21,)
        In the order of :func:`lateral_feature_names`.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import (
    ...     lateral_feature_names, lateral_features)
    >>> face = IBUG68_MEAN_FACE.copy()
    >>> face[54, 0] += 0.1  # the subject's left mouth corner pulls outward
    >>> values = dict(zip(lateral_feature_names(), lateral_features(face)))
    >>> bool(values["commissure_excursion_balance"] > 0)
    True
    >>> round(float(values["brow_height_balance"]), 6)
    0.0
    >>> wide = IBUG68_MEAN_FACE * 1.5  # the same face, closer to the camera
    >>> bool(abs(lateral_features(wide) - lateral_features(IBUG68_MEAN_FACE))
    ...      .max() < 1e-9)
    True
    """
    return _per_row(landmarks, scheme, _lateral)


def _lateral(landmarks, scheme):
    clinical = _clinical(landmarks, scheme)
    # Column positions by measure and side, whatever the unit suffix.
    index = {name.removesuffix("_mm"): i
             for i, name in enumerate(clinical_feature_names(scheme))}

    def column(name):
        return clinical[:, index[name]]

    columns, imbalance = [], {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for measure in _LATERAL_BALANCED:
            right, left = column(f"{measure}_right"), column(f"{measure}_left")
            total = np.abs(right) + np.abs(left)
            balance = np.where(total > 0, (left - right) / total, 0.0)
            imbalance[measure] = np.abs(balance)
            columns += [balance, np.abs(balance)]
        width = column("commissure_excursion_right") + column(
            "commissure_excursion_left")
        to_width = {}
        for measure in _LATERAL_TO_MOUTH:
            asym = np.where(width > 0, column(f"{measure}_asym") / width, 0.0)
            to_width[measure] = np.abs(asym)
            columns += [asym, np.abs(asym)]
        upper = (imbalance["brow_height"] + imbalance["palpebral_fissure_height"]) / 2
        lower = (imbalance["commissure_excursion"] + to_width["commissure_height"]) / 2
        both = upper + lower
        # A symmetric face is 0 on both, up to rounding: call that an even share.
        columns.append(np.where(both > _EVEN, upper / both, 0.5))
    return np.column_stack(columns)


# --------------------------------------------------------------------------
# Coordinates and the combination.


def coordinate_features(landmarks, scheme="ibug68"):
    """Flatten aligned, scale-normalised landmark coordinates.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, 2 * n_landmarks) or (2 * n_landmarks,)
        ``x0, y0, x1, y1, ...`` after :func:`~sklearn_palsy.faces.align_landmarks`
        (inter-ocular distance 1, eye midpoint at the origin, eyes level).

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import coordinate_features
    >>> coordinate_features(IBUG68_MEAN_FACE * 50 + 200).shape
    (136,)
    """
    return _per_row(landmarks, scheme, _coordinates)


def _coordinates(landmarks, scheme):
    aligned, _ = align_landmarks(landmarks, scheme)
    return aligned.reshape(len(aligned), -1)


#: The face sizes that the ``"face_size"`` feature tells apart: the
#: inter-ocular distance in pixels is clipped to this range. It covers the
#: renderer's wide variety at 224 and 448 pixels (about 34 to 116 pixels
#: between the eyes); a larger face reads as 128 pixels, so a model trained
#: on those sizes is not asked about sizes it never saw.
FACE_SIZE_RANGE = (32.0, 128.0)


def face_size_features(landmarks, scheme="ibug68"):
    """The face's size in the image: log2 of its inter-ocular distance in pixels.

    The only feature of this module that depends on scale. It measures no
    palsy: it tells a model how much detail the landmark model had. On a
    small face the landmarks are noisier, and noise reads as asymmetry; a
    model that knows the face's size can weigh the asymmetry it sees by it.
    Whether one threshold then holds at every size depends on the training
    photos: on synthetic faces it came near only when every person was seen at
    each size (``benchmarks/size_transfer.py``; the reference model's page
    in the docs has the figures).

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in the image's pixels.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, 1) or (1,)
        ``log2(d)``, where ``d`` is the distance between the eye centres
        (each the mean of the eye's six iBUG-equivalent points) clipped to
        ``FACE_SIZE_RANGE``: from 5 (32 pixels or fewer) to 7 (128 or more).

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import face_size_features
    >>> face_size_features(IBUG68_MEAN_FACE * 64 + 100).round(6).tolist()
    [6.0]
    >>> face_size_features(IBUG68_MEAN_FACE * 500 + 100).round(6).tolist()
    [7.0]
    """
    return _per_row(landmarks, scheme, _face_size)


def _face_size(landmarks, scheme):
    distance = inter_ocular_distance(landmarks, scheme)
    return np.log2(np.clip(distance, *FACE_SIZE_RANGE))[:, None]


def _check_kinds(kinds):
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds or len(set(kinds)) != len(kinds):
        raise ValueError(
            f"kinds must be a non-empty selection without repeats from {KINDS}; "
            f"got {kinds!r}"
        )
    return kinds


def expression_feature_names(kinds=("symmetry", "clinical"), scheme="ibug68"):
    """Return the names of the features :func:`expression_features` computes.

    Parameters
    ----------
    kinds : tuple of {"symmetry", "clinical", "lateral", "coordinates", \
"face_size"}, default=("symmetry", "clinical")
        Feature families, in output order.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    names : list of str
        Each prefixed by its family, as ``symmetry__commissure_angle``.

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._features import expression_feature_names
    >>> expression_feature_names(("symmetry", "coordinates"))[0]
    'symmetry__brow_outer_angle'
    >>> expression_feature_names(("coordinates",))[:3]
    ['coordinates__x0', 'coordinates__y0', 'coordinates__x1']
    """
    scheme = get_scheme(scheme)
    names = []
    for kind in _check_kinds(kinds):
        if kind == "symmetry":
            names += [f"symmetry__{name}" for name in SYMMETRY_FEATURE_NAMES]
        elif kind == "clinical":
            names += [f"clinical__{name}" for name in clinical_feature_names(scheme)]
        elif kind == "lateral":
            names += [f"lateral__{name}" for name in lateral_feature_names()]
        elif kind == "face_size":
            names.append("face_size__log2_iod_pixels")
        else:
            for k in range(scheme.n_landmarks):
                names += [f"coordinates__x{k}", f"coordinates__y{k}"]
    return names


# The batch computations underneath the public functions: checked landmarks
# in, features out, raising at the first stage that finds bad rows.
_FUNCTIONS = {
    "symmetry": _symmetry,
    "clinical": _clinical,
    "lateral": _lateral,
    "coordinates": _coordinates,
    "face_size": _face_size,
}


def expression_features(landmarks, kinds=("symmetry", "clinical"), scheme="ibug68"):
    """Compute feature families from landmarks and stack them side by side.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    kinds : tuple of {"symmetry", "clinical", "lateral", "coordinates", \
"face_size"}, default=("symmetry", "clinical")
        Feature families, in output order.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    features : ndarray of shape (n_samples, n_features) or (n_features,)
        Named by :func:`expression_feature_names`.

    Raises
    ------
    InvalidLandmarksError
        On NaN or infinite landmarks or a degenerate face, naming every
        offending row with its reason, whichever family finds it.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import expression_features
    >>> expression_features(IBUG68_MEAN_FACE).shape
    (63,)
    """
    kinds = _check_kinds(kinds)

    def compute(landmarks, scheme):
        return np.hstack([_FUNCTIONS[kind](landmarks, scheme) for kind in kinds])

    return _per_row(landmarks, scheme, compute)


# --------------------------------------------------------------------------
# The transformer.


class ExpressionFeatures(LandmarkTransformerMixin, BaseEstimator):
    """Turn face landmarks into symmetry, clinical or coordinate features.

    A stateless transformer over :func:`expression_features`: it aligns each
    face on its eyes and computes the chosen feature families, for landmarks
    of either scheme (MediaPipe landmarks go through the scheme's iBUG-68
    mapping). Put a :class:`~sklearn.preprocessing.StandardScaler` after it,
    which is how the original study's scaling to [-1, 1] is done here.

    * ``"symmetry"``: the 29 handcrafted features of Parra-Dominguez et al.
      (2021), see :func:`symmetry_features`.
    * ``"clinical"``: 34 Emotrics measures (Guarin et al. 2018), per side,
      deviation and signed left-minus-right asymmetry, in millimetres when
      the scheme has irises, else in inter-ocular distances; see
      :func:`clinical_features`.
    * ``"lateral"``: 21 left-right comparisons without units (balances of
      the clinical measures, lip heights to mouth width, and the upper
      face's share of the asymmetry), unchanged when both sides change
      alike, so robust to how broadly a person smiles; see
      :func:`lateral_features`.
    * ``"coordinates"``: the aligned landmark coordinates, flattened.
    * ``"face_size"``: how large the face is in the image, log2 of its
      inter-ocular distance in pixels, clipped to 32-128 pixels (see
      :func:`face_size_features`). It measures no palsy; it lets a model
      weigh the landmarks' noise, which grows as the face shrinks. The one
      kind that depends on the landmarks' scale.

    Parameters
    ----------
    kinds : tuple of {"symmetry", "clinical", "lateral", "coordinates", \
"face_size"}, default=("symmetry", "clinical")
        Feature families, in output order.
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme of the input. ``"auto"`` takes it from the
        number of points that ``fit`` sees (68: iBUG, as from dlib; 478:
        MediaPipe Face Mesh).

    Attributes
    ----------
    scheme_ : LandmarkScheme
        The scheme used. Landmarks of another scheme given to ``transform``
        are refused, naming both: a fitted model stays tied to the landmark
        model it was trained with.
    kinds_ : tuple of str
        The feature families computed.
    n_features_in_ : int
        ``2 * n_landmarks``: the width of the flattened input.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame of flattened landmarks.

    See Also
    --------
    sklearn_palsy.LandmarkDetector : Landmarks from face images.
    sklearn_palsy.faces.align_landmarks : The alignment used.

    Notes
    -----
    Input is landmarks of shape (n_samples, n_landmarks, 2) in image
    coordinates (x right, y down). The flattened form (n_samples,
    2 * n_landmarks), ``x0, y0, x1, y1, ...``, is accepted too, so that the
    transformer works on ordinary feature matrices and in scikit-learn's
    estimator checks; any other width raises a ``ValueError``.

    Landmarks that are NaN or infinite, and degenerate faces (eye centres
    that coincide), raise :class:`~sklearn_palsy.exceptions.InvalidLandmarksError`
    naming every offending row; see the module's docstring for the values
    given to features that are undefined on a degenerate geometry. NaN
    landmarks are what :class:`~sklearn_palsy.LandmarkDetector` gives, with
    ``on_missing="nan"``, for an image without a face: drop those rows first.

    Landmarks outside the image are allowed. The features depend only on
    the landmarks' geometry relative to the eyes (they ignore translation,
    scale and in-plane rotation; ``"face_size"`` alone reads the scale, in
    the landmarks' pixels), and no image size is known here, so a
    face cut by the frame, whose hidden points the detector extrapolates
    beyond the border, or landmarks given in another frame, are used as
    they are.

    Examples
    --------
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._features import ExpressionFeatures
    >>> faces = IBUG68_MEAN_FACE[None] * 100 + 250
    >>> features = ExpressionFeatures().fit_transform(faces)
    >>> features.shape
    (1, 63)
    >>> ExpressionFeatures().fit(faces).get_feature_names_out()[14]
    'symmetry__commissure_angle'
    """

    _parameter_constraints = {
        **LandmarkTransformerMixin._parameter_constraints,
        "kinds": [tuple, list],
    }

    def __init__(self, *, kinds=("symmetry", "clinical"), scheme="auto"):
        self.kinds = kinds
        self.scheme = scheme

    def _fit_parameters(self):
        self.kinds_ = _check_kinds(self.kinds)

    def _check_faces(self, landmarks):
        # Fail at fit, not later, on degenerate faces (it costs milliseconds).
        expression_features(landmarks, self.kinds_, self.scheme_)

    def transform(self, X):
        """Compute the features of each face.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2) or \
(n_samples, 2 * n_landmarks)
            Landmarks in image coordinates.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            Float64 features, named by :meth:`get_feature_names_out`.
        """
        landmarks = self._landmarks(X)
        # NaN rows are named by expression_features, together with any
        # degenerate rows, in one error.
        return expression_features(landmarks, self.kinds_, self.scheme_)

    def _output_names(self):
        # symmetry__..., clinical__... and coordinates__x0, coordinates__y0, ...
        return expression_feature_names(self.kinds_, self.scheme_)
