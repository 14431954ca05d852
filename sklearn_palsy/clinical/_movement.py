"""Movement from rest: how far each side of a face moves on each expression.

A static photograph confounds palsy with expression: a broad smile and a
drooping mouth corner both change the mouth's shape. A movement measure
compares an expression photo with the same person's rest photo instead, so
it reads what the muscles did, side by side: the dynamic items of eFACE
(Banks et al. 2015) from landmarks, with the commissure measured from the
lower-lip midline point as Emotrics does (Guarin et al. 2018).

:func:`movement_feature_names` names the features and
:class:`PatientMovement` computes them, one row per photo, from a DataFrame
of photos with their patient and expression.

Conventions: "right" and "left" are the subject's (iBUG points 19, 36-41 and
48 are the subject's right, on the image's left); both photos are aligned by
:func:`~sklearn_palsy.faces.align_landmarks` (eyes level, eye midpoint at the
origin, inter-ocular distance 1, y down) before anything is compared.
"""

import numbers
import os
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..exceptions import InvalidLandmarksError, MovementWarning, format_listing
from ..faces._analysis import resolve_backend
from ..faces._geometry import align_landmarks
from ..faces._schemes import SCHEME_NAMES, LandmarkScheme, get_scheme, resolve_scheme
from ..preprocessing._face import LandmarkDetector
from ..preprocessing._features import (
    _check_kinds,
    _sym,
    expression_feature_names,
    expression_features,
    length_suffix,
    visit_scale,
)
from ..utils._backends import BACKENDS
from ..utils._compat import StrOptions, _fit_context
from ..utils._validation import check_groups
from ._key_frames import video_key_frames
from ._movement_measures import (
    EXPRESSIONS,
    MOVEMENTS,
    REST,
    _measures,
    _movement,
    _primary_movements,
    _to_unit,
)

__all__ = [
    "MovementWarning",
    "PatientMovement",
    "movement_feature_names",
]

_PARTS = ("right", "left", "ratio", "asym")

# The columns of the input frame.
_PATIENT = "patient_id"
_EXPRESSION = "expression"
_LANDMARKS = "landmarks"
_VIDEO = "video"
_IMAGE_COLUMNS = ("path", "image")  # load_manifest's absolute path first


def _listed(rows):
    """``"3, 7, ... and N more"``: the rows where a mask is true."""
    return format_listing([str(row) for row in np.flatnonzero(rows)], separator=", ")


def movement_feature_names(scheme="ibug68"):
    """Return the names of the movement features, in output order.

    Parameters
    ----------
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme: lengths end in ``_mm`` where it has irises.

    Returns
    -------
    names : list of str
        ``movement__<movement>_<part>[_mm]`` for each movement of
        :data:`MOVEMENTS` and each part: ``right``, ``left`` (the subject's
        sides), ``ratio`` (min / max of the sides, 1 when they move alike)
        and ``asym`` (left minus right).

    Examples
    --------
    >>> from sklearn_palsy.clinical._movement import movement_feature_names
    >>> movement_feature_names()[:4]
    ['movement__brow_elevation_right', 'movement__brow_elevation_left', \
'movement__brow_elevation_ratio', 'movement__brow_elevation_asym']
    >>> movement_feature_names("mediapipe")[0]
    'movement__brow_elevation_right_mm'
    """
    unit = length_suffix(scheme)
    names = []
    for movement, _, is_length in MOVEMENTS:
        for part in _PARTS:
            suffix = unit if is_length and part != "ratio" else ""
            names.append(f"movement__{movement}_{part}{suffix}")
    return names


def _codes(keys):
    """An int64 code per key (hashable values), equal keys equal codes."""
    code_of = {}
    return np.array([code_of.setdefault(key, len(code_of)) for key in keys],
                    dtype=np.int64)


def _peaks(strength, keys):
    """Mask of the rows of largest ``strength`` per key (one row each)."""
    peak = np.zeros(len(strength), dtype=bool)
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        peak[rows[np.argmax(strength[rows])]] = True
    return peak


def _carried(landmarks, scheme, rest_rows, counts, rows, which):
    """The scale of each expression photo, carried from its group's rest photos.

    ``rest_rows`` lists the rest photos' rows group by group, ``counts`` how
    many each group has; ``rows`` are the expression photos and ``which``
    their groups. The scale is :func:`visit_scale`'s, averaged over the
    group's rest photos.
    """
    n_pairs = counts[which]
    moved = np.repeat(np.arange(len(rows)), n_pairs)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    within = np.arange(len(moved)) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    rest = rest_rows[np.repeat(starts[which], n_pairs) + within]
    _, scale = visit_scale(landmarks[rest], scheme, landmarks[rows[moved]],
                           rows=rest, moved_rows=rows[moved])
    return np.bincount(moved, scale, len(rows)) / n_pairs


def _parts(per_side):
    """right, left, ratio and asym columns from (n, 2) movements per side.

    The ratio compares what each side moved, so a side that moved the wrong
    way (a negative movement) counts as not moving; two sides that did not
    move at all are symmetric (1); a side not measured (NaN) leaves it NaN.
    """
    right, left = per_side[:, 0], per_side[:, 1]
    ratio = _sym(np.maximum(right, 0.0), np.maximum(left, 0.0))
    ratio[np.isnan(right) | np.isnan(left)] = np.nan
    return np.column_stack([right, left, ratio, left - right])


# --------------------------------------------------------------------------
# The transformer.


class PatientMovement(TransformerMixin, BaseEstimator):
    """Movement of each side of the face from the patient's rest photo.

    Each expression photo is paired with the rest photo of the same patient
    and both are aligned (eyes level, unit inter-ocular distance); the
    movement of each side is then measured, for the dynamic items of eFACE
    (Banks et al. 2015), as the change of a measure of
    :func:`~sklearn_palsy.preprocessing._features.side_measures` (the one
    definition of each measure that the clinical features and
    :func:`~sklearn_palsy.clinical.regional_scores` use too), from each
    eye's iris centre, or without irises (dlib) the midpoint of its canthi,
    which the lids do not move:

    ============================  ==================  ==================================
    movement                      on                  per side (right: iBUG / left)
    ============================  ==================  ==================================
    brow_elevation                raise_eyebrows      rise of the brow (17-21 / 22-26)
                                                      above the iris centre (or the
                                                      canthi's midpoint)
    eye_closure                   close_eyes          1 - closed / open palpebral
                                                      fissure height at mid-eye
                                                      (crossed lids closed; NaN
                                                      with no opening at rest)
    full_eye_closure              close_eyes_tightly  the same, on tight closure (the
                                                      eFACE's full eye closure)
    commissure_excursion          smile               change of d(48 / 54, Lmid), Lmid
                                                      the lower-lip midline point
                                                      (Emotrics, Guarin et al. 2018)
    commissure_displacement       smile               distance 48 / 54 travels
    smile_angle_change            smile               change of the angle between the
                                                      downward midline and
                                                      Lmid -> 48 / 54 (degrees)
    nasolabial_angle_change       smile               change of the angle of
                                                      31 -> 48 / 35 -> 54 from the
                                                      vertical (degrees), the ends of
                                                      the nasolabial fold
    lower_lip_depression          show_lower_teeth    fall of 58 / 56 towards the
                                                      chin (8)
    pucker_excursion              pucker              travel of 48 / 54 towards the
                                                      midline
    ============================  ==================  ==================================

    Each movement gives four columns: ``_right`` and ``_left`` (the
    subject's sides), ``_ratio`` = min / max of the two (1, that is 100 %,
    when both sides move alike; a side moving the wrong way counts as 0),
    which is the affected side over the healthy side without having to know
    which is which, and the signed ``_asym`` = left - right. Lengths are in
    inter-ocular distances, or in millimetres (names ending in ``_mm``) when
    the scheme has irises (MediaPipe): one frame per visit
    (:func:`~sklearn_palsy.preprocessing._features.visit_scale`), 11.7 mm
    over the rest photo's horizontal iris chord, carried to the expression
    photos by the inter-ocular distance.

    Parameters
    ----------
    static_kinds : tuple of str, default=()
        Static feature families of
        :class:`~sklearn_palsy.ExpressionFeatures` (its ``kinds``, such as
        ``("symmetry", "clinical")``) to put before the movement features,
        for every photo (rest included); ``()`` gives the movement features
        alone.
    expression_map : dict of str to str, default=None
        Renames the values of the ``expression`` column to the names of
        :data:`EXPRESSIONS` (for example ``{"neutral": "rest",
        "big_smile": "smile"}``); values not in it are used as they are.
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The scheme of the ``landmarks`` column; ``"auto"`` takes it from the
        number of points. Images get the scheme of ``backend``.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model for images, as in
        :class:`~sklearn_palsy.LandmarkDetector`; resolved at ``fit``.
    cache_dir : str or path-like, default=None
        Keep detection results on disk here as well as in memory.
    n_jobs : int, default=None
        Processes used to detect landmarks on images not cached yet.
    rest : {"labelled", "most-neutral"}, default="labelled"
        What each photo is compared with. ``"labelled"``: the patient's
        photos whose expression is ``"rest"`` (their mean). ``"most-neutral"``:
        per video (the ``video`` column, where the frame has one and the
        row's value is not missing; else per patient), the frame or photo
        whose face is most neutral, found by :func:`video_key_frames`; rows
        with no expression (missing) then get the expression their
        landmarks show, also by :func:`video_key_frames`. For videos of a
        patient moving through expressions, where no frame is labelled.
    expression_frames : {"all", "peak"}, default="all"
        Which photos get movement features. ``"all"``: every photo of a
        known expression other than rest. ``"peak"``: per patient (or per
        video, with ``rest="most-neutral"``) and expression, only the photo
        of the largest movement of that expression (its primary movement,
        see :func:`video_key_frames`), the apex of a video's smile rather
        than the frames on the way to it; the others' movement features are
        NaN, without a warning.

    Attributes
    ----------
    scheme_ : LandmarkScheme
        The landmark scheme of the input.
    backend_ : {"mediapipe", "dlib"} or None
        The landmark backend used for images; None for landmark input.
    static_kinds_ : tuple of str
        The static feature families computed.
    n_features_in_ : int
        Number of columns of the frame seen at ``fit``.
    feature_names_in_ : ndarray of str
        The columns of the frame seen at ``fit``; ``transform`` needs only
        the columns it reads.

    See Also
    --------
    sklearn_palsy.ExpressionFeatures : Static features of one photo.
    sklearn_palsy.clinical.PatientClassifier : Predictions per patient.

    Notes
    -----
    **Input.** A :class:`pandas.DataFrame` with one row per photo and the
    columns

    - ``patient_id``: who is in the photo;
    - ``expression``: one of :data:`EXPRESSIONS` (after ``expression_map``);
    - ``landmarks``: each cell an (n_landmarks, 2) array in pixels; or, if
      there is no ``landmarks`` column, ``path`` or ``image``: the image
      files (or arrays), whose landmarks are detected with
      ``LandmarkDetector(backend=backend, on_missing="nan")``.

    The frame of :func:`~sklearn_palsy.load_manifest` (which has
    ``patient_id``, ``expression`` and ``path``) is such a frame; so is
    ``cohort.frame.assign(landmarks=list(cohort.landmarks))`` for a
    synthetic cohort. Other columns (``label``, say) are not read.

    **Pairing happens within the rows given to** ``transform``: a photo's
    rest photo must be among them. Under cross-validation split by patient
    (``GroupKFold`` with the patient ids as groups) each patient's photos are
    all in one fold, so this holds; a split by photo would break it. Several
    rest photos of one patient are averaged (the mean of their aligned
    landmarks) and every expression photo is compared with that mean.

    **Videos.** Frames of videos (frame references, as
    :func:`~sklearn_palsy.load_manifest` lists them, with their ``video``
    column) are photos like any other. A video's frames are best compared
    with its own most neutral frame (``rest="most-neutral"``), and its
    movement read at each expression's apex (``expression_frames="peak"``).

    **Missing pieces give NaN, not errors.** The movement columns of a
    photo are NaN where they do not apply: every movement of a rest photo,
    and the movements of other expressions. They are also NaN, with one
    :class:`MovementWarning` per call naming the photos and patients, for a
    photo whose expression is not known (its static features are still
    computed), for the photos of a patient without a rest photo (or
    without one where a face was found), and, static features included, for
    a photo without landmarks (NaN landmarks, or no face found). Put a
    :class:`~sklearn.impute.SimpleImputer`, or an estimator that takes NaN,
    after it, and :class:`~sklearn_palsy.clinical.PatientClassifier` around
    the pipeline to pool each patient's photos.

    **Landmark models.** The measures are only as good as the landmarks.
    dlib's 68 points barely follow the lids: on the synthetic cohort a
    patient whose eye closes 27 % as far on the weak side reads 87 %.
    MediaPipe follows the eyes and gives millimetres.

    Examples
    --------
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> from sklearn_palsy.clinical._movement import PatientMovement
    >>> cohort = make_synthetic_cohort(
    ...     n_patients=1, n_controls=1, expressions=("rest", "raise_eyebrows"),
    ...     image_size=96, random_state=0)
    >>> frame = cohort.frame.assign(landmarks=list(cohort.landmarks))
    >>> movement = PatientMovement().fit(frame)
    >>> features = movement.transform(frame)
    >>> features.shape
    (4, 36)
    >>> brow = list(movement.get_feature_names_out()).index(
    ...     "movement__brow_elevation_ratio")
    >>> features[:, brow].round(2).tolist()  # rest, raise; patient then control
    [nan, 0.27, nan, 1.0]
    """

    _parameter_constraints = {
        "static_kinds": [tuple, list],
        "expression_map": [dict, None],
        "scheme": [
            StrOptions(set(SCHEME_NAMES)),
            LandmarkScheme,
        ],
        "backend": [StrOptions(set(BACKENDS))],
        "cache_dir": [str, os.PathLike, None],
        "n_jobs": [numbers.Integral, None],
        "rest": [StrOptions({"labelled", "most-neutral"})],
        "expression_frames": [StrOptions({"all", "peak"})],
    }

    def __init__(
        self,
        *,
        static_kinds=(),
        expression_map=None,
        scheme="auto",
        backend="auto",
        cache_dir=None,
        n_jobs=None,
        rest="labelled",
        expression_frames="all",
    ):
        self.static_kinds = static_kinds
        self.expression_map = expression_map
        self.scheme = scheme
        self.backend = backend
        self.cache_dir = cache_dir
        self.n_jobs = n_jobs
        self.rest = rest
        self.expression_frames = expression_frames

    # ---------------------------------------------------------------- input

    def _check_frame(self, X):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                f"{type(self).__name__} takes a pandas DataFrame with the columns "
                f"{_PATIENT!r}, {_EXPRESSION!r} and {_LANDMARKS!r} (or an image "
                f"column, 'path' or 'image'), one row per photo; got "
                f"{type(X).__name__}"
            )
        missing = [repr(c) for c in (_PATIENT, _EXPRESSION) if c not in X.columns]
        source = _LANDMARKS if _LANDMARKS in X.columns else next(
            (c for c in _IMAGE_COLUMNS if c in X.columns), None
        )
        if source is None:
            missing.append(f"{_LANDMARKS!r}, 'path' or 'image'")
        if missing:
            raise ValueError(
                f"X lacks the column(s) {', '.join(missing)}; it has "
                f"{list(X.columns)}"
            )
        if len(X) == 0:
            raise ValueError("X has 0 rows; at least one photo is needed")
        return source

    def _stack_landmarks(self, cells):
        """Cells of the landmarks column as one (n, K, 2) array, rows named."""
        shapes = [np.shape(cell) for cell in cells]
        if hasattr(self, "scheme_") or self.scheme != "auto":
            scheme = getattr(self, "scheme_", None) or get_scheme(self.scheme)
            expected = (scheme.n_landmarks, 2)
            whose = f"of the {scheme.name} scheme"
        else:  # the most common shape; resolve_scheme judges it next
            expected = pd.Series(shapes).value_counts().index[0]
            whose = "of most rows"
        bad = [i for i, shape in enumerate(shapes) if shape != expected]
        if bad:
            raise InvalidLandmarksError(
                f"landmarks of rows {bad[:20]}{' ...' if len(bad) > 20 else ''} "
                f"do not have the shape {expected} {whose}; each cell of the "
                "'landmarks' column is one face's (n_landmarks, 2) array"
            )
        try:
            return np.stack([np.asarray(cell, dtype=np.float64) for cell in cells])
        except (TypeError, ValueError) as error:
            raise InvalidLandmarksError(
                f"landmarks are not numeric: {error}") from error

    def _landmarks(self, X, source):
        if source == _LANDMARKS:
            return self._stack_landmarks(list(X[_LANDMARKS]))
        if self.backend_ is None:
            raise ValueError(
                f"this {type(self).__name__} was fitted on a {_LANDMARKS!r} "
                f"column, which X lacks; give landmarks of the "
                f"{self.scheme_.name} scheme, or fit again on images"
            )
        detector = LandmarkDetector(backend=self.backend_, on_missing="nan",
                                    cache_dir=self.cache_dir, n_jobs=self.n_jobs)
        return detector.transform(X[source])

    def _expressions(self, X):
        mapping = self.expression_map or {}
        return np.array(
            [mapping.get(value, value) if isinstance(value, str) else None
             for value in X[_EXPRESSION]],
            dtype=object,
        )

    # ---------------------------------------------------------------- API

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the frame's columns; nothing is learnt.

        Parameters
        ----------
        X : DataFrame
            One row per photo, with ``patient_id``, ``expression`` and
            ``landmarks`` (or ``path`` or ``image``); see Notes.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        source = self._check_frame(X)
        self.static_kinds_ = _check_kinds(self.static_kinds) if len(
            self.static_kinds) else ()
        if source == _LANDMARKS:
            self.backend_ = None
            self.scheme_ = resolve_scheme(
                self.scheme, self._stack_landmarks(list(X[_LANDMARKS]))
            )
        else:
            self.backend_ = resolve_backend(self.backend)
            self.scheme_ = get_scheme(
                "ibug68" if self.backend_ == "dlib" else "mediapipe478"
            )
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X):
        """Compute the static and movement features of each photo.

        Parameters
        ----------
        X : DataFrame
            One row per photo, with ``patient_id``, ``expression`` and
            ``landmarks`` (or ``path`` or ``image``); see Notes. Each
            expression photo is paired with its patient's rest photo among
            these rows.

        Returns
        -------
        features : ndarray of shape (n_photos, n_features_out)
            Static features (if any) then movement features, named by
            :meth:`get_feature_names_out`; NaN where a feature does not
            apply (see Notes).
        """
        check_is_fitted(self)
        source = self._check_frame(X)
        patients = check_groups(X[_PATIENT].to_numpy(), len(X))
        expressions = self._expressions(X)
        landmarks = self._landmarks(X, source)
        scheme = self.scheme_
        n_photos = len(landmarks)
        found = np.isfinite(landmarks).all(axis=(1, 2))

        n_static = len(expression_feature_names(self.static_kinds_, scheme)) if (
            self.static_kinds_) else 0
        static = np.full((n_photos, n_static), np.nan)
        movement = np.full((n_photos, 4 * len(MOVEMENTS)), np.nan)
        problems = []
        if not found.all():
            problems.append(
                f"photo(s) at rows {_listed(~found)} "
                "have no landmarks (NaN, or no face found): all their features"
            )
        if found.any():
            # Rows without landmarks are filled with a face that has them, so
            # that errors about the others name rows of X; their results are
            # dropped.
            filled = np.where(found[:, None, None], landmarks,
                              landmarks[np.flatnonzero(found)[0]])
            if n_static:
                static[found] = expression_features(
                    filled, self.static_kinds_, scheme)[found]
            self._fill_movement(movement, filled, found, patients, expressions,
                                problems, self._rest_groups(X, patients))
        if problems:
            warnings.warn(
                f"{type(self).__name__}: " + "; ".join(problems) + " are NaN",
                MovementWarning,
                stacklevel=2,
            )
        return np.hstack([static, movement])

    def _rest_groups(self, X, patients):
        """What each row is compared within: its patient, or its video."""
        if self.rest != "most-neutral" or _VIDEO not in X.columns:
            return patients
        return _codes([
            ("patient", patient) if pd.isna(video) else ("video", video)
            for video, patient in zip(X[_VIDEO].to_numpy(dtype=object), patients,
                                      strict=True)
        ])

    def _most_neutral(self, aligned, found, groups, expressions):
        """Each group's most neutral row; missing expressions inferred."""
        is_rest = np.zeros(len(aligned), dtype=bool)
        expressions = expressions.copy()
        for group in pd.unique(groups[found]):
            rows = np.flatnonzero(found & (groups == group))
            frames = video_key_frames(
                self.scheme_.to_ibug68(aligned[rows]), expressions[rows],
                scheme="ibug68")
            is_rest[rows[frames["rest"].to_numpy()]] = True
            missing = np.array([value is None for value in expressions[rows]])
            expressions[rows[missing]] = frames["expression"].to_numpy()[missing]
        return is_rest, expressions

    def _fill_movement(self, out, landmarks, found, patients, expressions,
                       problems, groups):
        scheme = self.scheme_
        # Measured on the iBUG-68 points, from the canthi (which neither the
        # lids nor the gaze move), whatever the scheme.
        # Aligned in the landmarks' own scheme: measured from the iris
        # centres where there are irises (Emotrics), else from the canthi.
        aligned, inter_ocular = align_landmarks(landmarks, scheme)
        if self.rest == "most-neutral":
            is_rest, expressions = self._most_neutral(aligned, found, groups,
                                                      expressions)
        else:
            is_rest = found & (expressions == REST)
        known = np.array([value in EXPRESSIONS for value in expressions])
        unknown = found & ~known
        if unknown.any():
            values = sorted({str(value) for value in expressions[unknown]})
            problems.append(
                f"photo(s) at rows {_listed(unknown)} "
                f"have an expression not in {EXPRESSIONS} ({', '.join(values)}; "
                "see expression_map): their movement features"
            )
        rest_of = {}
        for group in pd.unique(groups[is_rest]):
            rest_of[group] = len(rest_of)
        moving = found & known & (expressions != REST)
        no_rest = moving & ~np.array([group in rest_of for group in groups])
        if no_rest.any():
            names = [str(p) for p in pd.unique(patients[no_rest])]
            problems.append(
                f"patient(s) {format_listing(names, separator=', ')} have no rest "
                f"photo (expression {REST!r}) with a face among the rows given, "
                f"so the movement features of their photo(s) at rows "
                f"{_listed(no_rest)}"
            )
        moving &= ~no_rest
        if not moving.any():
            return
        # Each patient's rest: the mean of their aligned rest photos.
        rest_index = np.array([rest_of[g] for g in groups[is_rest]])
        counts = np.bincount(rest_index, minlength=len(rest_of))
        rest_shape = np.zeros((len(rest_of),) + aligned.shape[1:])
        np.add.at(rest_shape, rest_index, aligned[is_rest])
        rest_shape /= counts[:, None, None]
        # One measurement frame per visit (visit_scale): millimetres (or,
        # without irises, rest inter-ocular distances) per aligned unit of
        # each rest photo, by its horizontal iris chord (an iris is hidden on
        # closing the eyes, the rest photo shows it), carried to each
        # expression photo by the inter-ocular distance.
        rest_rows = np.flatnonzero(is_rest)
        per_photo = inter_ocular[rest_rows] * visit_scale(
            landmarks[rest_rows], scheme, rows=rest_rows)
        unit = np.bincount(rest_index, per_photo, len(rest_of)) / counts
        rest = _to_unit(_measures(rest_shape, scheme), unit)
        rows = np.flatnonzero(moving)
        which = np.array([rest_of[g] for g in groups[rows]])
        carried = inter_ocular[rows] * _carried(
            landmarks, scheme, rest_rows[np.argsort(rest_index, kind="stable")],
            counts, rows, which)
        moved = _to_unit(_measures(aligned[rows], scheme), carried)
        if self.expression_frames == "peak":
            primary = _primary_movements(
                moved, {key: value[which] for key, value in rest.items()})
            strength = np.array([
                primary[expression][k] if expression in primary else 0.0
                for k, expression in enumerate(expressions[rows])
            ])
            peak = _peaks(strength, _codes(zip(which, expressions[rows],
                                               strict=True)))
            rows, which = rows[peak], which[peak]
            moved = {key: value[peak] for key, value in moved.items()}
        for k, (name, expression, _) in enumerate(MOVEMENTS):
            on = expressions[rows] == expression
            if not on.any():
                continue
            per_side = _movement(
                name,
                {key: value[on] for key, value in moved.items()},
                {key: value[which[on]] for key, value in rest.items()},
            )
            out[rows[on], 4 * k : 4 * k + 4] = _parts(per_side)

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output features.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored: the names do not depend on the input's columns.

        Returns
        -------
        names : ndarray of str
            The static features' names (``symmetry__...``, ``clinical__...``)
            then ``movement__...``, in output order.
        """
        check_is_fitted(self)
        static = expression_feature_names(self.static_kinds_, self.scheme_) if (
            self.static_kinds_) else []
        return np.asarray(static + movement_feature_names(self.scheme_),
                          dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A frame of photos (patient, expression, landmarks or images), not
        # a numeric matrix: scikit-learn's data checks do not apply.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
