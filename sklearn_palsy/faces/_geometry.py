"""Face alignment: eyes level, eye midpoint at the origin, inter-ocular distance 1.

Every geometric feature is computed on aligned landmarks, so that it does not
depend on where the face is in the photograph, how large it is or how the head
is rolled. The eyes define the frame (not the jaw line 0-16, which tilts when
the jaw droops), and the scaling is isotropic, so angles are kept.

Coordinates are image coordinates: x to the right, y downwards. The eye
centres are the means of iBUG points 36-41 (the subject's right eye, on the
image's left) and 42-47, taken through the scheme's iBUG mapping; after
alignment they sit at (-0.5, 0) and (0.5, 0).
"""

import re

import numpy as np

from ..exceptions import InvalidLandmarksError
from ._schemes import get_scheme

__all__ = [
    "MAX_LANDMARK_COORDINATE",
    "align_landmarks",
    "check_landmarks",
    "check_landmarks_in_image",
    "eye_centres",
    "inter_ocular_distance",
    "name_every_bad_row",
    "to_frame",
]

# Every per-row error of this package reads "landmarks of rows [i, j] <reason>".
_ROWS_MESSAGE = re.compile(r"landmarks of rows \[([0-9, ]+)\] (.+)", re.DOTALL)

#: The largest magnitude, in pixels, of a coordinate that a landmark file, a
#: :class:`~sklearn_palsy.faces.LandmarkSet` or a mapping of given landmarks
#: may hold: 2**31, the range of the 32-bit pixel coordinates of OpenCV. No
#: photograph comes near it; a value beyond is a unit or typing error.
MAX_LANDMARK_COORDINATE = float(1 << 31)

_RIGHT_EYE = list(range(36, 42))
_LEFT_EYE = list(range(42, 48))


def _rows(mask):
    return np.flatnonzero(mask).tolist()


def check_landmarks(landmarks, scheme, *, ensure_finite=True):
    """Return landmarks as a float (n, K, 2) array, checking shape and values.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates.
    scheme : str or LandmarkScheme
        The landmark scheme.
    ensure_finite : bool, default=True
        Refuse NaN and infinite values. False leaves them for a later check,
        such as :func:`name_every_bad_row`, that names them together with
        the rows refused for other reasons.

    Returns
    -------
    landmarks : ndarray of shape (n_samples, n_landmarks, 2)
        A float64 array; a single face becomes a batch of one.

    Raises
    ------
    InvalidLandmarksError
        If the shape does not fit the scheme, or if any landmark is NaN or
        infinite; the message names every offending row (sample index).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._geometry import check_landmarks
    >>> check_landmarks(np.zeros((68, 2)), "ibug68").shape
    (1, 68, 2)
    >>> from sklearn_palsy.exceptions import InvalidLandmarksError
    >>> bad = np.zeros((3, 68, 2))
    >>> bad[2, 5, 0] = np.nan
    >>> try:
    ...     check_landmarks(bad, "ibug68")
    ... except InvalidLandmarksError as error:
    ...     print(error)
    landmarks of rows [2] are NaN or infinite
    """
    scheme = get_scheme(scheme)
    try:
        landmarks = np.asarray(landmarks, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidLandmarksError(f"landmarks are not numeric: {error}") from error
    if landmarks.ndim == 2:
        landmarks = landmarks[np.newaxis]
    if landmarks.ndim != 3 or landmarks.shape[1:] != (scheme.n_landmarks, 2):
        raise InvalidLandmarksError(
            f"expected landmarks of shape (n, {scheme.n_landmarks}, 2) or "
            f"({scheme.n_landmarks}, 2) for the {scheme.name} scheme; "
            f"got {np.shape(landmarks)}"
        )
    if not ensure_finite:
        return landmarks
    bad = ~np.isfinite(landmarks).all(axis=(1, 2))
    if bad.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {_rows(bad)} are NaN or infinite"
        )
    return landmarks


def check_landmarks_in_image(landmarks, image_shape, what):
    """Refuse landmarks that lie farther outside their image than its own size.

    The policy for given landmarks (a landmark file, a mapping): points may
    lie outside the photo, as where its frame cuts the chin, but no point
    may lie farther outside than the photo's own width to the left or
    right, or its own height above or below. With the photo ``W`` pixels
    wide and ``H`` high, every point has ``-W <= x <= 2 W`` and
    ``-H <= y <= 2 H`` (0-based pixels, (0, 0) the centre of the top-left
    pixel). Everything that uses the photo and the landmarks together (a
    crop, a drawing over it, the head pose's camera) then works on at most
    three times the photo's width and height, whatever the file says.

    Parameters
    ----------
    landmarks : ndarray of shape (n_landmarks, 2)
        x, y in pixels, finite.
    image_shape : tuple of int
        ``(height, width, ...)`` of the image, after EXIF orientation.
    what : str
        The image and where its landmarks came from, for the message.

    Raises
    ------
    InvalidLandmarksError
        Naming ``what``, the image's size, how many points lie beyond the
        limit and the farthest of them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._geometry import check_landmarks_in_image
    >>> check_landmarks_in_image(np.array([[-90.0, 150.0]]), (100, 100), "a.png")
    >>> try:
    ...     check_landmarks_in_image(np.array([[5000.0, 50.0]]), (100, 100), "a.png")
    ... except ValueError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    the landmarks given for a.png lie too far outside the 100 x 100 image: 1
    point(s) beyond the limit, the farthest point 0 at (5000.0, 50.0); given
    landmarks may lie outside an image by at most its width (left and right)
    and its height (above and below)
    """
    height, width = image_shape[:2]
    points = np.asarray(landmarks, dtype=np.float64)
    size = np.array([width, height], dtype=np.float64)
    # How far beyond the allowed region each coordinate lies (0 inside).
    beyond = np.maximum(-size - points, points - 2 * size).clip(min=0.0)
    outside = ~(beyond == 0).all(axis=1)
    if outside.any():
        farthest = int(np.argmax(beyond.max(axis=1)))
        x, y = (float(value) for value in points[farthest])
        raise InvalidLandmarksError(
            f"the landmarks given for {what} lie too far outside the {width} x "
            f"{height} image: {int(outside.sum())} point(s) beyond the limit, the "
            f"farthest point {farthest} at ({x!r}, {y!r}); given landmarks may "
            "lie outside an image by at most its width (left and right) and its "
            "height (above and below)"
        )


def name_every_bad_row(landmarks, compute):
    """Run a per-row computation on a batch, naming every row it refuses.

    ``compute`` checks its rows in stages (values, then eye distance, then
    iris size, ...) and raises at the first stage that finds a bad row, so
    on its own it names only the rows of that stage. Here the rows it names
    are set aside and the others computed again, until every bad row is
    known; one :class:`~sklearn_palsy.exceptions.InvalidLandmarksError` then
    names them all, each with its reason. The retries only happen when
    something is wrong, so a clean batch costs one call.

    Parameters
    ----------
    landmarks : ndarray of shape (n_samples, n_landmarks, 2)
        The batch, NaN allowed.
    compute : callable
        Maps a batch to its result, treating rows independently, and raises
        ``InvalidLandmarksError("landmarks of rows [...] <reason>")`` for
        rows it cannot handle (local indices of the batch it was given).

    Returns
    -------
    result
        ``compute(landmarks)``, when no row is refused.

    Raises
    ------
    InvalidLandmarksError
        Naming every refused row, grouped by reason, in batch indices.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._geometry import align_landmarks, name_every_bad_row
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> faces = np.stack([IBUG68_MEAN_FACE] * 4)
    >>> faces[1, 0, 0] = np.nan
    >>> faces[3] = 0.0
    >>> try:
    ...     name_every_bad_row(faces, align_landmarks)
    ... except Exception as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    landmarks of rows [1] are NaN or infinite; landmarks of rows [3] are
    degenerate: the eye centres coincide (zero inter-ocular distance)
    """
    try:
        return compute(landmarks)
    except InvalidLandmarksError as error:
        first = error
    remaining = np.arange(len(landmarks))
    problems = []
    error = first
    while True:
        match = _ROWS_MESSAGE.fullmatch(str(error))
        if match is None:
            # Not about rows (a wrong shape, say): nothing to collect.
            raise error
        local = [int(row) for row in match.group(1).split(",")]
        problems.append((remaining[local].tolist(), match.group(2)))
        remaining = np.delete(remaining, local)
        if not len(remaining):
            break
        try:
            compute(landmarks[remaining])
            break
        except InvalidLandmarksError as again:
            error = again
    message = "; ".join(
        f"landmarks of rows {rows} {reason}" for rows, reason in problems
    )
    raise InvalidLandmarksError(message) from first


def eye_centres(landmarks, scheme="ibug68"):
    """Return the centres of the subject's right and left eyes.

    Each centre is the mean of the six iBUG-equivalent eye points (36-41 for
    the subject's right eye, on the image's left; 42-47 for the left).

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme``.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    right : ndarray of shape (n_samples, 2) or (2,)
        Centre of the subject's right eye.
    left : ndarray of shape (n_samples, 2) or (2,)
        Centre of the subject's left eye.

    Examples
    --------
    >>> from sklearn_palsy.faces._geometry import eye_centres
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> right, left = eye_centres(IBUG68_MEAN_FACE)
    >>> (right.round(6) + 0.0).tolist(), (left.round(6) + 0.0).tolist()
    ([-0.5, 0.0], [0.5, 0.0])
    """
    scheme = get_scheme(scheme)
    single = np.ndim(landmarks) == 2
    ibug = scheme.to_ibug68(check_landmarks(landmarks, scheme))
    right, left = ibug[:, _RIGHT_EYE].mean(axis=1), ibug[:, _LEFT_EYE].mean(axis=1)
    return (right[0], left[0]) if single else (right, left)


def inter_ocular_distance(landmarks, scheme="ibug68"):
    """Return the distance between the eye centres.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme``.
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme.

    Returns
    -------
    distance : ndarray of shape (n_samples,) or float
        ``|mean(36..41) - mean(42..47)|``, in the units of the landmarks.

    Examples
    --------
    >>> from sklearn_palsy.faces._geometry import inter_ocular_distance
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> round(float(inter_ocular_distance(IBUG68_MEAN_FACE * 80)), 6)
    80.0
    """
    right, left = eye_centres(landmarks, scheme)
    return np.linalg.norm(left - right, axis=-1)


def to_frame(points, right, left):
    """Express points in the frame of two reference points, without scaling.

    The frame has its origin at the midpoint M of ``right`` and ``left``, its
    u axis along ``right -> left`` and its v axis perpendicular, pointing
    down in the image (image coordinates have y down, so the frame is a
    rotation of the image about M).

    Parameters
    ----------
    points : ndarray of shape (n_samples, n_points, 2)
        Points in image coordinates.
    right, left : ndarray of shape (n_samples, 2)
        The reference points (eye or iris centres): ``right`` is the
        subject's right, on the image's left.

    Returns
    -------
    framed : ndarray of shape (n_samples, n_points, 2)
        ``(u, v)`` of each point, in the units of the input.
    distance : ndarray of shape (n_samples,)
        ``|left - right|``; where it is 0 the frame is not rotated.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._geometry import to_frame
    >>> framed, distance = to_frame(np.array([[[1.0, 1.0]]]),
    ...                             np.array([[0.0, 0.0]]), np.array([[0.0, 2.0]]))
    >>> (framed.round(6) + 0.0).tolist(), distance.tolist()
    ([[[0.0, -1.0]]], [2.0])
    """
    delta = left - right
    distance = np.hypot(delta[:, 0], delta[:, 1])
    safe = np.where(distance > 0, distance, 1.0)
    cos = np.where(distance > 0, delta[:, 0] / safe, 1.0)[:, None]
    sin = np.where(distance > 0, delta[:, 1] / safe, 0.0)[:, None]
    centred = points - ((right + left) / 2)[:, None, :]
    x, y = centred[..., 0], centred[..., 1]
    # Rotation by minus the eye-line angle: right -> left lands on +u.
    return np.stack([cos * x + sin * y, cos * y - sin * x], axis=-1), distance


def align_landmarks(landmarks, scheme="ibug68"):
    """Level the eyes, centre their midpoint and scale the face to unit IOD.

    The face is rotated about the midpoint of the eye centres so that the
    line through them is horizontal, translated so that the midpoint is at
    the origin, and scaled isotropically so that the inter-ocular distance
    (IOD) is 1. The subject's right eye centre lands on (-0.5, 0) and the
    left on (0.5, 0); y still points down the face.

    Parameters
    ----------
    landmarks : array-like of shape (n_samples, n_landmarks, 2) or \
(n_landmarks, 2)
        Landmarks of ``scheme`` in image coordinates (x right, y down).
    scheme : str or LandmarkScheme, default="ibug68"
        The landmark scheme; eye centres are taken through its iBUG mapping.

    Returns
    -------
    aligned : ndarray of the shape of ``landmarks``
        Aligned landmarks, in units of the inter-ocular distance.
    inter_ocular_distance : ndarray of shape (n_samples,) or float
        The inter-ocular distance in the input's units (pixels).

    Raises
    ------
    InvalidLandmarksError
        If landmarks are NaN or infinite, if the shape does not fit the
        scheme, or if the eye centres coincide (a degenerate face); the
        message names every offending row.

    See Also
    --------
    eye_centres : The eye centres used.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._geometry import align_landmarks
    >>> from sklearn_palsy.faces._schemes import IBUG68_MEAN_FACE
    >>> angle = np.deg2rad(30)
    >>> rotation = np.array([[np.cos(angle), -np.sin(angle)],
    ...                      [np.sin(angle), np.cos(angle)]])
    >>> photo = IBUG68_MEAN_FACE @ rotation.T * 90 + [320, 240]
    >>> aligned, inter_ocular = align_landmarks(photo)
    >>> bool(np.allclose(aligned, IBUG68_MEAN_FACE)), round(float(inter_ocular), 6)
    (True, 90.0)
    """
    scheme = get_scheme(scheme)
    single = np.ndim(landmarks) == 2
    landmarks = check_landmarks(landmarks, scheme)
    ibug = scheme.to_ibug68(landmarks)
    right, left = ibug[:, _RIGHT_EYE].mean(axis=1), ibug[:, _LEFT_EYE].mean(axis=1)
    framed, distance = to_frame(landmarks, right, left)
    degenerate = ~(np.isfinite(distance) & (distance > 0))
    if degenerate.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {_rows(degenerate)} are degenerate: the eye "
            "centres coincide (zero inter-ocular distance)"
        )
    # A distance that underflows next to far-flung points overflows here;
    # the check below names those rows, so numpy need not warn as well.
    with np.errstate(over="ignore", invalid="ignore"):
        aligned = framed / distance[:, None, None]
    overflow = ~np.isfinite(aligned).all(axis=(1, 2))
    if overflow.any():
        raise InvalidLandmarksError(
            f"landmarks of rows {_rows(overflow)} are degenerate: the "
            "inter-ocular distance is too small for the size of the face"
        )
    if single:
        return aligned[0], float(distance[0])
    return aligned, distance
