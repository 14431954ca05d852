"""Facial line-segment images, drawn from landmarks or detected in face crops."""

import numbers

import cv2
import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import InvalidLandmarksError
from ..faces._geometry import align_landmarks, name_every_bad_row
from ..faces._schemes import resolve_scheme, scheme_mismatch
from ..utils._compat import Interval, StrOptions, _fit_context
from ._base import ArrayOutputMixin, ImageTransformerMixin, as_image_list
from ._landmarks import LandmarkInputMixin

__all__ = ["LineSegmentDetector", "LineSegmentRenderer"]

_GUIDES = {"midline", "pupils", "commissures"}
_SHIFT = 4  # OpenCV sub-pixel drawing precision: 1/16 pixel


# Farthest canvas coordinate, in pixels, drawn as it is: OpenCV takes int32
# coordinates in 1/16 pixel, so 2**24 pixels (2**28 units) leaves ample room.
_MAX_COORDINATE = float(1 << 24)


def _to_canvas(aligned, size, face_scale):
    """Map aligned coordinates (inter-ocular units) into the drawing."""
    # The eyes sit a third of the way down; the chin about 1.9 units below.
    # Pixel centres sit on integers, so the image's mirror axis is (size - 1) / 2.
    origin = np.array([(size - 1) / 2, size * 0.36])
    return aligned * (size / face_scale) + origin


def _fixed(point):
    """A canvas point in OpenCV's fixed-point units (1/16 pixel)."""
    return tuple(int(v) for v in np.round(np.asarray(point) * (1 << _SHIFT)))


def _clip_segment(start, end, low, high):
    """The part of segment start -> end inside the square [low, high]^2.

    Liang-Barsky clipping in floating point, so that a segment towards a
    point far off the canvas keeps its direction. Returns None when the
    segment misses the square.
    """
    for axis in range(2):
        # Both ends beyond one side: nothing to draw. Said first, because
        # with coordinates near 1e300 the parameters below round to 1.0 and
        # would keep such a segment (hypothesis found it).
        if (start[axis] < low and end[axis] < low) or (
                start[axis] > high and end[axis] > high):
            return None
    delta = end - start
    t_enter, t_leave = 0.0, 1.0
    for axis in range(2):
        for towards, room in ((-delta[axis], start[axis] - low),
                              (delta[axis], high - start[axis])):
            if towards == 0:
                if room < 0:
                    return None
                continue
            t = room / towards
            if towards < 0:
                t_enter = max(t_enter, t)
            else:
                t_leave = min(t_leave, t)
    if t_enter > t_leave:
        return None
    # Keep the end points bit for bit where they are not clipped (they lie in
    # the square then, and clamping changes nothing). With coordinates near
    # 1e300, start + t * delta cancels catastrophically and can land far
    # outside the square, beyond OpenCV's integer coordinates: clamped.
    first = start if t_enter == 0.0 else start + t_enter * delta
    last = end if t_leave == 1.0 else start + t_leave * delta
    return np.clip(first, low, high), np.clip(last, low, high)


def line_thickness(size, thickness="auto"):
    """The line thickness, in pixels, for drawings ``size`` pixels wide.

    ``"auto"`` is ``max(1, round(size / 112))``: 1 px up to 167 px and 2 px at
    the paper's 224, so that a drawing's share of white pixels stays about
    the same at every size (a 2 px line at 64 px made about twice as much of
    the image white as at 224 px, and merged the lips). An int is used as
    given.

    Examples
    --------
    >>> from sklearn_palsy.preprocessing._lines import line_thickness
    >>> [line_thickness(size) for size in (48, 64, 224, 448)]
    [1, 1, 2, 4]
    >>> line_thickness(64, 3)
    3
    """
    if isinstance(thickness, str):
        if thickness != "auto":
            raise ValueError(
                f"thickness must be an int >= 1 or 'auto'; got {thickness!r}"
            )
        return max(1, round(size / 112))
    return int(thickness)


def _finite_aligned(landmarks, scheme):
    """Aligned landmarks, refusing rows that alignment sends to infinity."""
    aligned = align_landmarks(landmarks, scheme)[0]
    # Drawing scales by size / face_scale pixels per inter-ocular distance;
    # points that overflow at any sensible scale (up to 1e6) are infinite too.
    with np.errstate(over="ignore"):
        infinite = ~np.isfinite(aligned * 1e6).all(axis=(1, 2))
    if infinite.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {np.flatnonzero(infinite).tolist()} are "
            "degenerate: aligning them on eyes this close sends points to "
            "infinity"
        )
    return aligned


def _draw_segment(canvas, start, end, thickness):
    """Draw one anti-aliased segment, clipped to the canvas and its margin."""
    margin = thickness + 2.0
    clipped = _clip_segment(np.asarray(start, np.float64), np.asarray(end, np.float64),
                            -margin, canvas.shape[0] - 1 + margin)
    if clipped is not None:
        cv2.line(canvas, _fixed(clipped[0]), _fixed(clipped[1]), 255, thickness,
                 cv2.LINE_AA, _SHIFT)


def render_line_segments(
    aligned, scheme, *, size=224, thickness="auto", guides=(), face_scale=3.2
):
    """Draw one aligned face's contours as white lines on black.

    Parameters
    ----------
    aligned : ndarray of shape (n_landmarks, 2)
        Landmarks aligned by :func:`~sklearn_palsy.faces.align_landmarks`:
        eye midpoint at the origin, eyes level, inter-ocular distance 1.
    scheme : LandmarkScheme
        Names the contours to draw.
    size : int, default=224
        Side of the drawing in pixels.
    thickness : int or "auto", default="auto"
        Line thickness in pixels; ``"auto"`` scales it with the image
        (:func:`line_thickness`: 1 px up to 167 px, 2 px at the paper's 224).
    guides : iterable of {"midline", "pupils", "commissures"}, default=()
        Guide lines to add: the vertical midline through the eye midpoint,
        the inter-pupil line and the line through the mouth corners.
    face_scale : float, default=3.2
        How many inter-ocular distances span the drawing.

    Returns
    -------
    image : ndarray of shape (size, size), dtype uint8
        0 for background, up to 255 for lines (anti-aliased).

    Raises
    ------
    InvalidLandmarksError
        If a landmark is NaN or infinite.

    Notes
    -----
    Points that fall outside the drawing (a face that spans more than
    ``face_scale`` inter-ocular distances, or a landmark far from the rest)
    are not moved: the segments towards them are drawn up to the border, in
    their true direction. Mirroring the face left-right mirrors the drawing,
    up to the anti-aliasing of a few edge pixels.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68, IBUG68_MEAN_FACE
    >>> from sklearn_palsy.preprocessing._lines import render_line_segments
    >>> image = render_line_segments(IBUG68_MEAN_FACE, IBUG68, size=64)
    >>> image.shape, int(image.max()) > 200
    ((64, 64), True)
    """
    thickness = line_thickness(size, thickness)
    canvas = np.zeros((size, size), np.uint8)
    points = _to_canvas(np.asarray(aligned, np.float64), size, face_scale)
    if not np.isfinite(points).all():
        raise InvalidLandmarksError("aligned landmarks are NaN or infinite")
    if np.abs(points).max(initial=0.0) <= _MAX_COORDINATE:
        fixed = np.round(points * (1 << _SHIFT)).astype(np.int32)
        for indices, closed in scheme.contours.values():
            cv2.polylines(
                canvas, [fixed[list(indices)]], bool(closed), 255, thickness,
                cv2.LINE_AA, _SHIFT,
            )
    else:
        # Far-flung points would overflow the fixed-point coordinates: clip
        # each segment to the canvas first.
        for indices, closed in scheme.contours.values():
            run = list(indices) + ([indices[0]] if closed else [])
            for start, end in zip(run[:-1], run[1:], strict=True):
                _draw_segment(canvas, points[start], points[end], thickness)
    guides = set(guides)
    if guides:
        ibug = scheme.to_ibug68(np.asarray(aligned)[None])[0]
        ibug_canvas = _to_canvas(ibug, size, face_scale)

        def line(p, q):
            _draw_segment(canvas, p, q, max(1, thickness // 2))

        if "midline" in guides:
            centre = _to_canvas(np.zeros(2), size, face_scale)
            line(np.array([centre[0], 0.0]), np.array([centre[0], size - 1.0]))
        if "pupils" in guides:
            right = ibug_canvas[36:42].mean(0)
            left = ibug_canvas[42:48].mean(0)
            line(right, left)
        if "commissures" in guides:
            line(ibug_canvas[48], ibug_canvas[54])
    return canvas


class LineSegmentRenderer(ArrayOutputMixin, LandmarkInputMixin, BaseEstimator):
    """Draw each face's facial line segments from its landmarks.

    The face is aligned first (eyes level, eye midpoint centred, inter-ocular
    distance fixed), so the drawing keeps the face's asymmetry as geometry
    and drops pose, position and size. Brows, eyes, the nose bridge and
    base, the outer and inner lips and the jaw are drawn as white polylines
    on black, optionally with guide lines. The output feeds
    :class:`~sklearn_palsy.ResNetClassifier` as (n, size, size) images.

    Landmarks that are NaN or infinite, and faces whose eye centres
    coincide, raise :class:`~sklearn_palsy.exceptions.InvalidLandmarksError`
    naming every offending row. Landmarks outside the photograph are
    allowed: only their position relative to the eyes is drawn, and parts
    of the aligned face beyond the drawing are cut at its border (see
    :func:`render_line_segments`).

    Parameters
    ----------
    size : int, default=224
        Side of the images in pixels.
    thickness : int or "auto", default="auto"
        Line thickness in pixels; ``"auto"`` scales it with ``size``
        (:func:`line_thickness`: 1 px up to 167 px, 2 px at the paper's 224),
        so that small drawings keep the lips and lids apart.
    guides : tuple of {"midline", "pupils", "commissures"}, default=()
        Guide lines to add.
    face_scale : float, default=3.2
        How many inter-ocular distances span the image.
    scheme : {"auto", "ibug68", "mediapipe"} or LandmarkScheme, default="auto"
        The landmark scheme of the input; ``"auto"`` takes it from the
        number of points that ``fit`` sees (68 or 478).

    Attributes
    ----------
    scheme_ : LandmarkScheme
        The scheme used; landmarks of another scheme are refused by
        ``transform``.
    thickness_ : int
        The line thickness used, in pixels.
    n_features_in_ : int
        ``n_landmarks * 2``, when fitted on flattened landmarks.

    See Also
    --------
    LineSegmentDetector : Line segments detected in the face crop instead.

    Examples
    --------
    >>> from sklearn_palsy import LineSegmentRenderer, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), random_state=0)
    >>> LineSegmentRenderer(size=64).fit_transform(cohort.landmarks).shape
    (2, 64, 64)
    """

    _parameter_constraints = {
        "size": [Interval(numbers.Integral, 16, None, closed="left")],
        "thickness": [Interval(numbers.Integral, 1, None, closed="left"),
                      StrOptions({"auto"})],
        "guides": [tuple, list],
        "face_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        **LandmarkInputMixin._parameter_constraints,
    }

    def __init__(self, *, size=224, thickness="auto", guides=(), face_scale=3.2,
                 scheme="auto"):
        self.size = size
        self.thickness = thickness
        self.guides = guides
        self.face_scale = face_scale
        self.scheme = scheme

    def _aligned(self, X, scheme):
        """Check the landmarks' shape and values, and align every face."""
        try:
            X = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise InvalidLandmarksError(
                f"landmarks are not numeric: {error}"
            ) from error
        if X.ndim == 2 and X.shape[1] == 2 * scheme.n_landmarks:
            X = X.reshape(len(X), scheme.n_landmarks, 2)
        if X.ndim != 3 or X.shape[1:] != (scheme.n_landmarks, 2):
            raise InvalidLandmarksError(scheme_mismatch(scheme, X.shape))
        # One error names every NaN, infinite or degenerate row, those whose
        # eyes are so close that aligning sends a point to infinity included.
        return name_every_bad_row(X, lambda batch: _finite_aligned(batch, scheme))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the landmarks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2)
            Landmarks in pixels; the flattened (n_samples, 2 * n_landmarks)
            form is accepted too.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.

        Raises
        ------
        InvalidLandmarksError
            If the shape does not fit the scheme, or naming every row whose
            landmarks are NaN, infinite or degenerate (eye centres that
            coincide).
        """
        unknown = set(self.guides) - _GUIDES
        if unknown:
            raise ValueError(f"unknown guides {sorted(unknown)}; use {sorted(_GUIDES)}")
        self.scheme_ = resolve_scheme(self.scheme, X)
        self.thickness_ = line_thickness(self.size, self.thickness)
        # Fail at fit, not later, on bad faces (aligning costs microseconds).
        self._aligned(X, self.scheme_)
        return self

    def transform(self, X):
        """Draw the line-segment image of each face.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2)
            Landmarks in pixels.

        Returns
        -------
        images : ndarray of shape (n_samples, size, size), dtype uint8
            White lines (255) on black (0).
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        aligned = self._aligned(X, self.scheme_)
        images = np.empty((len(aligned), self.size, self.size), np.uint8)
        for index, face in enumerate(aligned):
            images[index] = render_line_segments(
                face, self.scheme_, size=self.size, thickness=self.thickness_,
                guides=self.guides, face_scale=self.face_scale,
            )
        return images

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # images of uint8
        return tags


class LineSegmentDetector(ImageTransformerMixin):
    """Detect straight line segments in face crops, as Hsu et al. (2018) did.

    Uses OpenCV's Line Segment Detector (LSD) on the grey crop, or Canny edges
    with a probabilistic Hough transform, and draws the segments longer than
    ``min_length`` as white lines on black. Put it after
    :class:`~sklearn_palsy.FaceCropper` so the segments come from the face.

    Parameters
    ----------
    size : int, default=224
        Side of the output images; inputs are resized to it first.
    method : {"lsd", "hough"}, default="lsd"
        Segment detector.
    min_length : float, default=0.03
        Shortest segment kept, as a fraction of ``size``.
    thickness : int, default=1
        Line thickness in pixels.

    See Also
    --------
    LineSegmentRenderer : Line segments drawn from landmarks instead.

    Examples
    --------
    >>> from sklearn_palsy import LineSegmentDetector, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=0,
    ...                                expressions=("rest",), random_state=0)
    >>> LineSegmentDetector(size=96).fit_transform(cohort.images).shape
    (1, 96, 96)
    """

    _parameter_constraints = {
        "size": [Interval(numbers.Integral, 16, None, closed="left")],
        "method": [StrOptions({"lsd", "hough"})],
        "min_length": [Interval(numbers.Real, 0, 1, closed="both")],
        "thickness": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, size=224, method="lsd", min_length=0.03, thickness=1):
        self.size = size
        self.method = method
        self.min_length = min_length
        self.thickness = thickness

    def _segments(self, grey):
        if self.method == "lsd":
            found = cv2.createLineSegmentDetector().detect(grey)[0]
        else:
            edges = cv2.Canny(grey, 50, 150)
            found = cv2.HoughLinesP(
                edges, 1, np.pi / 180, threshold=15,
                minLineLength=max(2, int(self.min_length * self.size)), maxLineGap=2,
            )
        if found is None:
            return np.empty((0, 4))
        segments = found.reshape(-1, 4).astype(np.float64)
        length = np.hypot(segments[:, 2] - segments[:, 0],
                          segments[:, 3] - segments[:, 1])
        return segments[length >= self.min_length * self.size]

    def transform(self, X):
        """Return the line-segment image of each face crop.

        Parameters
        ----------
        X : array-like of image paths or images
            Face crops, ideally from :class:`~sklearn_palsy.FaceCropper`.

        Returns
        -------
        images : ndarray of shape (n_images, size, size), dtype uint8
            White segments (255) on black (0).
        """
        from ..faces._io import read_image

        self._validate_params()
        images = as_image_list(X)
        out = np.zeros((len(images), self.size, self.size), np.uint8)
        for index, image in enumerate(images):
            rgb = read_image(image, min_size=16)
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            if grey.shape != (self.size, self.size):
                grey = cv2.resize(grey, (self.size, self.size),
                                  interpolation=cv2.INTER_AREA)
            for x0, y0, x1, y1 in self._segments(grey):
                cv2.line(
                    out[index],
                    (int(round(x0 * 16)), int(round(y0 * 16))),
                    (int(round(x1 * 16)), int(round(y1 * 16))),
                    255, self.thickness, cv2.LINE_AA, _SHIFT,
                )
        return out
