"""Head pose as features, and the pose check of the face transformers.

:class:`HeadPoseFeatures` turns landmarks into yaw, pitch and roll
columns, to use next to :class:`~sklearn_palsy.ExpressionFeatures`;
:func:`head_pose_table` does the same for a stack of landmarks, as a
DataFrame. :func:`screen_head_pose` finds the photographs whose head is
turned beyond given limits before anything is fitted, and
:class:`HeadPoseCheckMixin` gives :class:`~sklearn_palsy.FaceCropper` and
:class:`~sklearn_palsy.LandmarkDetector` their ``max_yaw``, ``max_pitch``
and ``on_pose`` parameters. The angles and their conventions are those of
:func:`~sklearn_palsy.faces.estimate_head_pose`.
"""

import numbers
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..faces._analysis import DEFAULT_DETECT_MAX_SIDE, _describe, analyze_faces
from ..faces._pose import (
    POSE_COLUMNS,
    HeadPoseError,
    HeadPoseWarning,
    check_image_size,
    describe_rejected,
    estimate_head_pose,
)
from ..utils._backends import BACKENDS
from ..utils._compat import (
    Interval,
    StrOptions,
    validate_params,
)
from ._base import as_image_list
from ._landmarks import LandmarkTransformerMixin

__all__ = [
    "POSE_COLUMNS",
    "POSE_CONSTRAINTS",
    "HeadPoseCheckMixin",
    "HeadPoseError",
    "HeadPoseFeatures",
    "HeadPoseScreening",
    "HeadPoseWarning",
    "analyses_head_pose",
    "head_pose_table",
    "pose_limit_reasons",
    "screen_head_pose",
]

#: Columns of the tables of photographs turned beyond the limits.
REJECTED_COLUMNS = ("index", "image", "yaw", "pitch", "reason")

_LIMIT = [Interval(numbers.Real, 0, 90, closed="right"), None]

#: ``_parameter_constraints`` of the face transformers' pose parameters.
POSE_CONSTRAINTS = {
    "max_yaw": _LIMIT,
    "max_pitch": _LIMIT,
    "on_pose": [StrOptions({"warn", "skip", "raise"})],
}


def head_pose_table(landmarks, *, scheme=None, image_size=None, index=None):
    """Return yaw, pitch and roll of each face as a DataFrame.

    Parameters
    ----------
    landmarks : array-like of shape (n_faces, n_landmarks, 2)
        Landmarks in image pixels, of the iBUG 68 (dlib) or MediaPipe 478
        scheme; rows with NaN (no face found) get NaN angles.
    scheme : str or LandmarkScheme, default=None
        The landmark scheme; None infers it from the number of points.
    image_size : (height, width) or array-like of shape (n_faces, 2), \
default=None
        The images' sizes, for the camera's perspective; None assumes a
        nearly orthographic camera.
    index : array-like of length n_faces, default=None
        Index of the table (e.g. the image paths); None numbers the rows.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``yaw``, ``pitch`` and ``roll``, in degrees.

    See Also
    --------
    sklearn_palsy.faces.estimate_head_pose : The angles and their conventions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing import head_pose_table
    >>> faces = np.stack([IBUG68_MEAN_FACE * 80 + 200, np.full((68, 2), np.nan)])
    >>> head_pose_table(faces, index=["a.png", "b.png"]).round(1).abs()
           yaw  pitch  roll
    a.png  0.0    0.0   0.0
    b.png  NaN    NaN   NaN
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.ndim != 3:
        raise ValueError(
            "expected a stack of landmarks of shape (n_faces, n_landmarks, 2); "
            f"got shape {landmarks.shape}"
        )
    poses = estimate_head_pose(landmarks, scheme=scheme, image_size=image_size)
    return pd.DataFrame(poses, columns=list(POSE_COLUMNS), index=index)


class HeadPoseFeatures(LandmarkTransformerMixin, BaseEstimator):
    """Turn face landmarks into head-pose features: yaw, pitch and roll.

    A stateless transformer over
    :func:`~sklearn_palsy.faces.estimate_head_pose`, so that pose can be a
    feature (next to :class:`~sklearn_palsy.ExpressionFeatures` in a
    :class:`~sklearn.pipeline.FeatureUnion`), or a column to stratify or
    screen by. Angles are in degrees: positive yaw turns the nose to the
    image's right, positive pitch raises the chin, positive roll turns the
    face counter-clockwise in the image.

    Parameters
    ----------
    scheme : {"auto", "ibug68", "dlib", "mediapipe", "mediapipe478"} or \
LandmarkScheme, default="auto"
        The landmark scheme of the input; ``"auto"`` takes it from the
        number of points that ``fit`` sees.
    image_size : (height, width) or None, default=None
        The size of every image, when they share one: the camera's focal
        length is then its longer side. None assumes a nearly orthographic
        camera, which suits photographs taken from a metre or more.

    Attributes
    ----------
    scheme_ : LandmarkScheme
        The scheme used.
    n_features_in_ : int
        ``2 * n_landmarks``: the width of the flattened input.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when fitted on a DataFrame of flattened landmarks.

    See Also
    --------
    sklearn_palsy.faces.estimate_head_pose : The estimate, the model and the
        conventions.
    screen_head_pose : Find the photographs turned too far, before fitting.

    Notes
    -----
    Faces with NaN landmarks (no face found) get NaN angles. Input is
    landmarks of shape (n_samples, n_landmarks, 2), or flattened to
    (n_samples, 2 * n_landmarks) as ``x0, y0, x1, y1, ...``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing import HeadPoseFeatures
    >>> faces = IBUG68_MEAN_FACE[None] * 100 + 250
    >>> pose = HeadPoseFeatures().fit(faces)
    >>> pose.get_feature_names_out().tolist()
    ['yaw', 'pitch', 'roll']
    >>> np.abs(pose.transform(faces)).round(1)
    array([[0., 0., 0.]])
    """

    _parameter_constraints = {
        **LandmarkTransformerMixin._parameter_constraints,
        "image_size": [tuple, list, np.ndarray, None],
    }
    _allow_nan = True  # a missing face's pose is NaN

    def __init__(self, *, scheme="auto", image_size=None):
        self.scheme = scheme
        self.image_size = image_size

    def _fit_parameters(self):
        if self.image_size is not None:
            check_image_size(self.image_size, 1)

    def transform(self, X):
        """Estimate the head pose of each face.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2) or \
(n_samples, 2 * n_landmarks)
            Landmarks in image pixels.

        Returns
        -------
        pose : ndarray of shape (n_samples, 3)
            Yaw, pitch and roll in degrees; NaN for faces with NaN landmarks.
        """
        landmarks = self._landmarks(X)
        return estimate_head_pose(
            landmarks, scheme=self.scheme_, image_size=self.image_size
        )

    def _output_names(self):
        return POSE_COLUMNS


# --------------------------------------------------------------------------
# Screening photographs by pose.


def _empty_rejected():
    dtypes = (np.int64, object, np.float64, np.float64, object)
    return pd.DataFrame({
        name: pd.Series(dtype=dtype)
        for name, dtype in zip(REJECTED_COLUMNS, dtypes, strict=True)
    })


def _screen(images, analyses, max_yaw, max_pitch):
    """Poses of the analysed images, the mask of those beyond the limits,
    and the table of those, naming each image."""
    poses = analyses_head_pose(analyses)
    names = [_describe(image, index) for index, image in enumerate(images)]
    return (poses, *_beyond_limits(poses, names, max_yaw, max_pitch))


def pose_limit_reasons(poses, max_yaw=None, max_pitch=None):
    """Why each face is beyond the pose limits (``"|yaw| > 15"``), or None.

    NaN angles (no face, or no pose found) are never beyond the limits.

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._pose import pose_limit_reasons
    >>> pose_limit_reasons([[20.0, -18.0, 0.0], [3.0, 1.0, 0.0]], 15, 15)
    ['|yaw| > 15, |pitch| > 15', None]
    """
    poses = np.asarray(poses, dtype=np.float64).reshape(-1, 3)
    reasons = [[] for _ in range(len(poses))]
    for column, name, limit in ((0, "yaw", max_yaw), (1, "pitch", max_pitch)):
        if limit is None:
            continue
        with np.errstate(invalid="ignore"):
            over = np.abs(poses[:, column]) > limit
        for row in np.flatnonzero(over):
            reasons[row].append(f"|{name}| > {limit:g}")
    return [", ".join(reason) if reason else None for reason in reasons]


def _beyond_limits(poses, names, max_yaw, max_pitch):
    """Mask of the faces beyond the limits, and their table."""
    reasons = pose_limit_reasons(poses, max_yaw, max_pitch)
    beyond = np.array([reason is not None for reason in reasons], dtype=bool)
    rows = np.flatnonzero(beyond)
    if not len(rows):
        return beyond, _empty_rejected()
    table = pd.DataFrame({
        "index": rows.astype(np.int64),
        "image": [names[row] for row in rows],
        "yaw": poses[rows, 0],
        "pitch": poses[rows, 1],
        "reason": [reasons[row] for row in rows],
    })
    return beyond, table


def _limits_text(max_yaw, max_pitch):
    limits = [
        f"|{name}| <= {limit:g}"
        for name, limit in (("yaw", max_yaw), ("pitch", max_pitch))
        if limit is not None
    ]
    return " and ".join(limits)


def analyses_head_pose(analyses):
    """(n, 3) yaw, pitch, roll of face analyses, NaN where no face was found.

    Each face is estimated with its own image's size, for the perspective
    (what the face transformers and the command line use).
    """
    poses = np.full((len(analyses), 3), np.nan)
    for row, analysis in enumerate(analyses):
        if analysis.landmarks is None:
            continue
        shape = getattr(analysis, "image_shape", None)
        poses[row] = estimate_head_pose(
            analysis.landmarks,
            image_size=None if shape is None else tuple(shape)[:2],
        )
    return poses


class HeadPoseScreening(NamedTuple):
    """What :func:`screen_head_pose` found.

    Attributes
    ----------
    keep : ndarray of shape (n_images,), dtype bool
        False for the photographs turned beyond the limits; index ``X``,
        ``y`` and ``groups`` with it.
    rejected : pandas.DataFrame
        One row per photograph beyond the limits: ``index`` (its position),
        ``image``, ``yaw``, ``pitch`` and ``reason``.
    poses : pandas.DataFrame
        ``yaw``, ``pitch`` and ``roll`` of every photograph, NaN where no
        face was found.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_palsy.preprocessing import HeadPoseScreening
    >>> HeadPoseScreening(np.ones(2, bool), pd.DataFrame(), pd.DataFrame()).keep
    array([ True,  True])
    """

    keep: np.ndarray
    rejected: pd.DataFrame
    poses: pd.DataFrame


@validate_params(
    {
        "images": ["array-like"],
        "max_yaw": _LIMIT,
        "max_pitch": _LIMIT,
        "backend": [StrOptions(set(BACKENDS))],
    },
    prefer_skip_nested_validation=True,
)
def screen_head_pose(
    images,
    *,
    max_yaw=None,
    max_pitch=None,
    backend="auto",
    cache_dir=None,
    n_jobs=None,
    verbose=0,
    max_pixels=None,
    detect_max_side=DEFAULT_DETECT_MAX_SIDE,
):
    """Find the photographs whose head is turned beyond the limits.

    Use it before fitting: a transformer that drops rows (``on_pose="skip"``
    of :class:`~sklearn_palsy.FaceCropper` and
    :class:`~sklearn_palsy.LandmarkDetector`) cannot sit in a pipeline that
    is fitted with ``y``, because scikit-learn would then see fewer images
    than labels. Screen once, then index the images, labels and groups
    with ``keep``. Faces are detected through the shared face cache, so
    the pipeline that follows does not detect them again.

    Parameters
    ----------
    images : array-like of image paths or images
        As :class:`~sklearn_palsy.LandmarkDetector` takes them.
    max_yaw, max_pitch : float in (0, 90] or None, default=None
        The largest absolute yaw and pitch, in degrees, of a photograph
        that is kept; None does not check that angle. Clinical photo
        protocols ask for a frontal view; 15 degrees is a common limit.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        The landmark backend (use the pipeline's, to share its cache).
    cache_dir, n_jobs, verbose, max_pixels, detect_max_side
        As in :class:`~sklearn_palsy.LandmarkDetector`.

    Returns
    -------
    screening : HeadPoseScreening
        ``keep`` (a boolean mask), ``rejected`` (the photographs beyond the
        limits, with their angles and the reason) and ``poses`` (every
        photograph's angles). Photographs without a face are kept, with NaN
        angles: the face transformers' ``on_missing`` handles them.

    See Also
    --------
    sklearn_palsy.faces.estimate_head_pose : The angles and their conventions.

    Examples
    --------
    >>> from sklearn_palsy import make_synthetic_cohort
    >>> from sklearn_palsy.preprocessing import screen_head_pose
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), random_state=0)
    >>> screening = screen_head_pose(cohort.images, max_yaw=15, backend="dlib")
    >>> screening.keep
    array([ True,  True])
    >>> list(screening.rejected.columns)
    ['index', 'image', 'yaw', 'pitch', 'reason']
    """
    images = as_image_list(images)
    analyses = analyze_faces(
        images,
        backend=backend,
        max_pixels=max_pixels,
        detect_max_side=detect_max_side,
        cache_dir=cache_dir,
        n_jobs=n_jobs,
        verbose=verbose,
        on_missing="ignore",
    )
    poses, beyond, rejected = _screen(images, analyses, max_yaw, max_pitch)
    return HeadPoseScreening(
        keep=~beyond,
        rejected=rejected,
        poses=pd.DataFrame(poses, columns=list(POSE_COLUMNS)),
    )


class HeadPoseCheckMixin:
    """The ``max_yaw``, ``max_pitch`` and ``on_pose`` of the face transformers.

    A transformer with this mixin calls :meth:`_check_head_pose` on its
    face analyses and indexes its output with what it returns. The record
    ``pose_rejected_`` of the last call is kept out of model files: it
    names the images that were transformed, which a shared model should
    not carry.
    """

    def _check_head_pose(self, images, analyses):
        """Check each face's pose against the limits; return the rows to keep.

        Sets ``pose_rejected_``; warns, or raises :class:`HeadPoseError`,
        as ``on_pose`` says. Returns ``slice(None)`` when every row stays.
        """
        if self.max_yaw is None and self.max_pitch is None:
            self.pose_rejected_ = _empty_rejected()
            return slice(None)
        _, beyond, rejected = _screen(images, analyses, self.max_yaw, self.max_pitch)
        self.pose_rejected_ = rejected
        if not beyond.any():
            return slice(None)
        limits = _limits_text(self.max_yaw, self.max_pitch)
        if self.on_pose == "raise":
            raise HeadPoseError(rejected, limits=limits)
        action = (
            "left out of the output (listed in pose_rejected_)"
            if self.on_pose == "skip"
            else "kept"
        )
        warnings.warn(
            f"{len(rejected)} image(s) turned beyond {limits}, {action}: "
            + describe_rejected(rejected),
            HeadPoseWarning,
            stacklevel=3,
        )
        return ~beyond if self.on_pose == "skip" else slice(None)

    def _get_safe_state(self):
        params = self.get_params(deep=False)
        return {
            key: value
            for key, value in vars(self).items()
            if key not in params and key != "pose_rejected_"
        }
