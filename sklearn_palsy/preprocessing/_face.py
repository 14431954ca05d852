"""Face cropping and landmark detection as scikit-learn transformers."""

import numbers
import os
import warnings
from collections.abc import Mapping

import cv2
import numpy as np

from ..exceptions import NoFaceFallbackWarning
from ..faces._analysis import DEFAULT_DETECT_MAX_SIDE, analyze_faces, resolve_backend
from ..faces._io import DEFAULT_MAX_PIXELS, read_image
from ..utils._backends import BACKENDS
from ..utils._compat import Interval, StrOptions
from ._base import ImageTransformerMixin, as_image_list
from ._pose import POSE_CONSTRAINTS, HeadPoseCheckMixin

__all__ = ["FaceCropper", "LandmarkDetector", "NoFaceFallbackWarning"]


_COMMON_CONSTRAINTS = {
    "backend": [StrOptions(set(BACKENDS))],
    "cache_dir": [str, os.PathLike, None],
    "n_jobs": [numbers.Integral, None],
    "verbose": ["verbose"],
    "max_pixels": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "detect_max_side": [Interval(numbers.Integral, 80, None, closed="left"), None],
    "landmarks": [Mapping, str, os.PathLike, list, None],
}


class _BackendMixin:
    """``backend="auto"`` resolved once at ``fit`` and recorded as ``backend_``.

    The transformers learn nothing else, so they also transform unfitted
    (resolving the backend at each call); once fitted, they keep the
    backend they were fitted with, so a saved model never switches landmark
    model behind its user's back.
    """

    def _fit_state(self):
        self.backend_ = resolve_backend(self.backend)

    def _backend_used(self):
        backend = getattr(self, "backend_", None)
        return backend if backend is not None else resolve_backend(self.backend)


def _analyze(transformer, images):
    """Detection and landmarks for each image, through the shared cache."""
    return analyze_faces(
        images,
        backend=transformer._backend_used(),
        max_pixels=transformer.max_pixels,
        detect_max_side=transformer.detect_max_side,
        cache_dir=transformer.cache_dir,
        n_jobs=transformer.n_jobs,
        verbose=transformer.verbose,
        on_missing="raise" if transformer.on_missing == "raise" else "ignore",
        landmarks=transformer.landmarks,
    )


def _crop_square(image, box, margin, size):
    """Cut a square around ``box``, enlarged by ``margin``, resized to ``size``.

    Where the square leaves the image, the border pixels are repeated (as
    OpenCV's ``BORDER_REPLICATE``), by clamping the square's rows and columns
    to the image: the memory is the square's, not that of the image padded
    by the square's distance from it.
    """
    left, top, right, bottom = box
    side = max(right - left, bottom - top) * (1 + 2 * margin)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    x0 = int(round(centre_x - side / 2))
    y0 = int(round(centre_y - side / 2))
    side = max(int(round(side)), 1)
    height, width = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + side <= width and y0 + side <= height:
        crop = image[y0 : y0 + side, x0 : x0 + side]
    else:
        rows = np.clip(np.arange(y0, y0 + side), 0, height - 1)
        columns = np.clip(np.arange(x0, x0 + side), 0, width - 1)
        crop = image[np.ix_(rows, columns)]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=interpolation)


class FaceCropper(HeadPoseCheckMixin, _BackendMixin, ImageTransformerMixin):
    """Find the face in each image and cut a square crop of fixed size around it.

    Images are read robustly (EXIF orientation; grey, RGBA, palette, 16-bit
    and CMYK images become RGB), the face is found by the landmark backend
    (MediaPipe's face mesh, or dlib's HOG detector), and a square around it,
    enlarged by ``margin``, is resized to ``size``.
    Where several faces are found the largest is used, with a warning.
    Detection results are cached by image content, so a grid search detects
    each distinct image once.

    Parameters
    ----------
    size : int, default=224
        Side of the output crops in pixels (the paper's 224).
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        What finds the face: the box around MediaPipe Face Mesh's points, or
        dlib's HOG detector box. ``"auto"`` is MediaPipe where it runs, else
        dlib (:func:`~sklearn_palsy.faces.resolve_backend`); the same as
        :class:`LandmarkDetector`'s, so crops and landmarks come from one
        model and one cache entry.
    margin : float, default=0.25
        Extra border on each side, as a fraction of the detected face's size.
    on_missing : {"raise", "center"}, default="raise"
        With "raise", an image without a face raises
        :class:`~sklearn_palsy.exceptions.NoFaceDetectedError` naming it; with
        "center" the largest centred square is used instead, with a
        :class:`NoFaceFallbackWarning`.
    cache_dir : str or path-like, default=None
        Keep detection results on disk here as well as in memory.
    n_jobs : int, default=None
        Processes used to detect faces that are not cached yet.
    verbose : int, default=0
        Show a progress bar when positive.
    max_pixels : int, default=None
        Refuse larger images (decompression bombs); None uses the library's
        default of 80 megapixels.
    detect_max_side : int or None, default=1024
        Find the face on a copy of the image scaled down so that its longest
        side is at most this many pixels; the landmarks are then placed on
        the full image. None detects on the full image (slower in proportion
        to its pixel count).
    landmarks : LandmarkSet, mapping, str, path-like or list, default=None
        Precomputed or corrected landmarks per image, used instead of
        detecting: a :class:`~sklearn_palsy.faces.LandmarkSet`, a dict of
        image path or content key (:func:`~sklearn_palsy.faces.image_id`)
        to (n_landmarks, 2) array, or landmark file(s) (CSV or iBUG
        ``.pts``, read with :func:`~sklearn_palsy.faces.load_landmarks` at
        each ``transform``). An image with given landmarks is cropped
        around the box they imply (the backend's convention,
        :func:`~sklearn_palsy.faces._analysis.landmark_box`); the others are
        detected. See the user guide's landmark correction page.
    max_yaw : float in (0, 90] or None, default=None
        The largest absolute yaw (a turn to either side), in degrees, of a
        face that passes the pose check; None checks no yaw. The pose is
        estimated from the landmarks
        (:func:`~sklearn_palsy.faces.estimate_head_pose`); clinical photo
        protocols ask for a frontal view, and 15 is a common limit.
    max_pitch : float in (0, 90] or None, default=None
        The same for pitch (chin up or down).
    on_pose : {"warn", "skip", "raise"}, default="warn"
        What happens to images whose face is beyond ``max_yaw`` or
        ``max_pitch``: "warn" keeps them, with a
        :class:`~sklearn_palsy.preprocessing.HeadPoseWarning` naming each
        image with its angles; "skip" leaves them out of the output, with
        that warning, and lists them in ``pose_rejected_``; "raise" raises
        :class:`~sklearn_palsy.preprocessing.HeadPoseError` naming every
        one. Images without a face are left to ``on_missing``. A
        transformer that drops rows cannot sit in a pipeline fitted with
        ``y``, whose labels would no longer line up with the images:
        screen the images first with
        :func:`~sklearn_palsy.preprocessing.screen_head_pose`.

    Attributes
    ----------
    backend_ : {"mediapipe", "dlib"}
        The backend used, chosen at ``fit``.
    pose_rejected_ : pandas.DataFrame
        Set by each ``transform``: the images beyond the pose limits, with
        columns ``index`` (position in that call's input), ``image``,
        ``yaw``, ``pitch`` and ``reason``; left out of the output with
        ``on_pose="skip"``, kept with "warn". Empty without limits. Not
        saved in model files.

    See Also
    --------
    LandmarkDetector : The landmarks of the same faces.

    Examples
    --------
    >>> from sklearn_palsy import FaceCropper, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), random_state=0)
    >>> FaceCropper(size=64).fit_transform(cohort.images).shape
    (2, 64, 64, 3)
    """

    _parameter_constraints = {
        "size": [Interval(numbers.Integral, 8, None, closed="left")],
        "margin": [Interval(numbers.Real, 0, None, closed="left")],
        "on_missing": [StrOptions({"raise", "center"})],
        **_COMMON_CONSTRAINTS,
        **POSE_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        size=224,
        backend="auto",
        margin=0.25,
        on_missing="raise",
        cache_dir=None,
        n_jobs=None,
        verbose=0,
        max_pixels=None,
        detect_max_side=DEFAULT_DETECT_MAX_SIDE,
        landmarks=None,
        max_yaw=None,
        max_pitch=None,
        on_pose="warn",
    ):
        self.size = size
        self.backend = backend
        self.margin = margin
        self.on_missing = on_missing
        self.cache_dir = cache_dir
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.max_pixels = max_pixels
        self.detect_max_side = detect_max_side
        self.landmarks = landmarks
        self.max_yaw = max_yaw
        self.max_pitch = max_pitch
        self.on_pose = on_pose

    def transform(self, X):
        """Crop the face out of each image.

        Parameters
        ----------
        X : array-like of image paths or images
            A 1-D array of paths, a list of (H, W, 3) uint8 arrays, or an
            (n, H, W, 3) uint8 array.

        Returns
        -------
        crops : ndarray of shape (n_images, size, size, 3), dtype uint8
            The face crops, RGB.
        """
        self._validate_params()
        images = as_image_list(X)
        analyses = _analyze(self, images)
        keep = self._check_head_pose(images, analyses)
        crops = np.empty((len(images), self.size, self.size, 3), dtype=np.uint8)
        for index, (image, analysis) in enumerate(zip(images, analyses, strict=True)):
            limit = DEFAULT_MAX_PIXELS if self.max_pixels is None else self.max_pixels
            pixels = read_image(image, max_pixels=limit)
            box = analysis.box
            margin = self.margin
            if box is None:
                name = image if isinstance(image, str) else f"image at index {index}"
                warnings.warn(
                    f"no face found in {name}; using the centred square instead",
                    NoFaceFallbackWarning,
                    stacklevel=2,
                )
                height, width = pixels.shape[:2]
                side = min(height, width)
                box = ((width - side) / 2, (height - side) / 2,
                       (width + side) / 2, (height + side) / 2)
                margin = 0.0
            crops[index] = _crop_square(pixels, box, margin, self.size)
        return crops[keep]


class LandmarkDetector(HeadPoseCheckMixin, _BackendMixin, ImageTransformerMixin):
    """Place facial landmarks on each image.

    ``backend="mediapipe"`` gives MediaPipe Face Mesh's 478 points with the
    irises; ``backend="dlib"`` gives the 68 iBUG 300-W points of dlib's
    shape predictor. The default, ``"auto"``, is MediaPipe wherever it runs
    (it is installed with the package on Python 3.9-3.12) and dlib
    otherwise, with a :class:`~sklearn_palsy.faces.BackendFallbackWarning`.
    Both run
    offline from models shipped in their pip packages. Results are cached by
    image content, shared with :class:`FaceCropper`.

    Parameters
    ----------
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model; ``"auto"`` is resolved when fitting
        (:func:`~sklearn_palsy.faces.resolve_backend`).
    on_missing : {"raise", "nan"}, default="raise"
        With "raise", an image without a face raises
        :class:`~sklearn_palsy.exceptions.NoFaceDetectedError` naming it; with
        "nan" its landmarks are NaN, with a :class:`NoFaceFallbackWarning`.
    cache_dir : str or path-like, default=None
        Keep detection results on disk here as well as in memory.
    n_jobs : int, default=None
        Processes used for images that are not cached yet.
    verbose : int, default=0
        Show a progress bar when positive.
    max_pixels : int, default=None
        Refuse larger images (decompression bombs); None uses the library's
        default of 80 megapixels.
    detect_max_side : int or None, default=1024
        Find the face on a copy of the image scaled down so that its longest
        side is at most this many pixels; the landmarks are then placed on
        the full image. None detects on the full image (slower in proportion
        to its pixel count).
    landmarks : LandmarkSet, mapping, str, path-like or list, default=None
        Precomputed or corrected landmarks per image, returned instead of
        detected ones: a :class:`~sklearn_palsy.faces.LandmarkSet`, a dict
        of image path or content key (:func:`~sklearn_palsy.faces.image_id`)
        to (n_landmarks, 2) array, or landmark file(s) (CSV or iBUG
        ``.pts``, read with :func:`~sklearn_palsy.faces.load_landmarks` at
        each ``transform``, so edits to the file are picked up). Images
        without given landmarks are detected; given ones must have the
        backend's number of points. See the user guide's landmark
        correction page.
    max_yaw : float in (0, 90] or None, default=None
        The largest absolute yaw (a turn to either side), in degrees, of a
        face that passes the pose check; None checks no yaw. The pose is
        estimated from the landmarks
        (:func:`~sklearn_palsy.faces.estimate_head_pose`); clinical photo
        protocols ask for a frontal view, and 15 is a common limit.
    max_pitch : float in (0, 90] or None, default=None
        The same for pitch (chin up or down).
    on_pose : {"warn", "skip", "raise"}, default="warn"
        What happens to images whose face is beyond ``max_yaw`` or
        ``max_pitch``: "warn" keeps them, with a
        :class:`~sklearn_palsy.preprocessing.HeadPoseWarning` naming each
        image with its angles; "skip" leaves them out of the output, with
        that warning, and lists them in ``pose_rejected_``; "raise" raises
        :class:`~sklearn_palsy.preprocessing.HeadPoseError` naming every
        one. Images without a face are left to ``on_missing``. A
        transformer that drops rows cannot sit in a pipeline fitted with
        ``y``, whose labels would no longer line up with the images:
        screen the images first with
        :func:`~sklearn_palsy.preprocessing.screen_head_pose`.

    Attributes
    ----------
    backend_ : {"mediapipe", "dlib"}
        The backend used, chosen at ``fit`` and kept: a fitted (or saved)
        detector never switches landmark model.
    scheme : LandmarkScheme
        The landmark scheme of the backend (regions and left/right pairs).
    pose_rejected_ : pandas.DataFrame
        Set by each ``transform``: the images beyond the pose limits, with
        columns ``index`` (position in that call's input), ``image``,
        ``yaw``, ``pitch`` and ``reason``; left out of the output with
        ``on_pose="skip"``, kept with "warn". Empty without limits. Not
        saved in model files.

    See Also
    --------
    ExpressionFeatures : Symmetry and clinical features from the landmarks.

    Examples
    --------
    >>> from sklearn_palsy import LandmarkDetector, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=1, n_controls=1,
    ...                                expressions=("rest",), random_state=0)
    >>> LandmarkDetector(backend="dlib").fit_transform(cohort.images).shape
    (2, 68, 2)
    """

    _parameter_constraints = {
        "on_missing": [StrOptions({"raise", "nan"})],
        **_COMMON_CONSTRAINTS,
        **POSE_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        backend="auto",
        on_missing="raise",
        cache_dir=None,
        n_jobs=None,
        verbose=0,
        max_pixels=None,
        detect_max_side=DEFAULT_DETECT_MAX_SIDE,
        landmarks=None,
        max_yaw=None,
        max_pitch=None,
        on_pose="warn",
    ):
        self.backend = backend
        self.on_missing = on_missing
        self.cache_dir = cache_dir
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.max_pixels = max_pixels
        self.detect_max_side = detect_max_side
        self.landmarks = landmarks
        self.max_yaw = max_yaw
        self.max_pitch = max_pitch
        self.on_pose = on_pose

    @property
    def scheme(self):
        from ..faces._schemes import get_scheme

        return get_scheme("ibug68" if self._backend_used() == "dlib" else "mediapipe")

    def transform(self, X):
        """Return the landmarks of the face in each image.

        Parameters
        ----------
        X : array-like of image paths or images
            A 1-D array of paths, a list of (H, W, 3) uint8 arrays, or an
            (n, H, W, 3) uint8 array.

        Returns
        -------
        landmarks : ndarray of shape (n_images, n_landmarks, 2), dtype float64
            ``(x, y)`` in pixels of each (EXIF-oriented) image. They are not
            clipped to the image: where the frame cuts the face, the
            predictor still places every point, and those it cannot see may
            lie beyond the border (negative, or past the width or height).
            Rows of images without a face are NaN when ``on_missing="nan"``.
        """
        self._validate_params()
        images = as_image_list(X)
        analyses = _analyze(self, images)
        keep = self._check_head_pose(images, analyses)
        n_landmarks = self.scheme.n_landmarks
        landmarks = np.full((len(images), n_landmarks, 2), np.nan)
        for index, (image, analysis) in enumerate(zip(images, analyses, strict=True)):
            if analysis.landmarks is None:
                name = image if isinstance(image, str) else f"image at index {index}"
                warnings.warn(
                    f"no face found in {name}; its landmarks are NaN",
                    NoFaceFallbackWarning,
                    stacklevel=2,
                )
                continue
            landmarks[index] = analysis.landmarks
        return landmarks[keep]
