"""Errors and warnings raised by sklearn-palsy: every class of them is here.

Every error derives from :class:`PalsyError`, and also from
:class:`ValueError` or :class:`OSError` where that fits, so that ``except
ValueError`` keeps working in code written for scikit-learn
(:class:`NotRegularFileError`, raised by the low-level file opener, is an
:class:`OSError` only); every warning derives from :class:`UserWarning`. The
modules that raise them re-export them where users imported them before
(``sklearn_palsy.HeadPoseError``, ``sklearn_palsy.faces.BackendFallbackWarning``).
Each message names the file or the row concerned. An error about many rows
lists the first :data:`MAX_LISTED` of them in its message and says how many
more there are; every one of them is kept on the exception (``problems``,
``failures``).
"""

__all__ = [
    "PalsyError",
    "ManifestError",
    "ManifestNotFoundError",
    "ImageReadError",
    "ImageFileNotFoundError",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "VideoReadError",
    "NoFaceDetectedError",
    "InvalidLandmarksError",
    "PatientLeakageError",
    "PatientLeakageWarning",
    "ImageBatchError",
    "ModelFileError",
    "NotRegularFileError",
    "LandmarkFileError",
    "HeadPoseError",
    "PickleModelWarning",
    "BackendFallbackWarning",
    "FaceCacheWarning",
    "HeadPoseWarning",
    "MovementWarning",
    "MultipleFacesWarning",
    "NoFaceFallbackWarning",
    "UnmatchedLandmarksWarning",
    "MAX_LISTED",
]

#: How many rows, files or values an error message lists before it only
#: counts the rest. The exception object keeps all of them.
MAX_LISTED = 20


def format_listing(items, *, limit=MAX_LISTED, separator="\n"):
    """Join the first ``limit`` strings of ``items`` and count the rest.

    Parameters
    ----------
    items : sequence of str
        One entry per row, file or value.
    limit : int, default=MAX_LISTED
        How many entries to show.
    separator : str, default="\\n"
        Placed between entries and before the count of those left out.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn_palsy.exceptions import format_listing
    >>> format_listing([f"row {i}" for i in range(1, 5)], limit=2, separator="; ")
    'row 1; row 2; ... and 2 more'
    >>> format_listing(["row 1"], separator="; ")
    'row 1'
    """
    items = list(items)
    shown = separator.join(items[:limit])
    if len(items) > limit:
        shown += f"{separator}... and {len(items) - limit} more"
    return shown


def describe_rejected(rejected):
    """One line naming each rejected photograph with its angles."""
    return format_listing(
        (
            f"{row.image} (yaw {row.yaw:.1f}, pitch {row.pitch:.1f}: {row.reason})"
            for row in rejected.itertuples(index=False)
        ),
        separator="; ",
    )



class PalsyError(Exception):
    """Base class of every error raised by sklearn-palsy."""


class _PathError(PalsyError):
    """An error about one file; its message ends with the file's path."""

    def __init__(self, message, *, path=None):
        self.path = None if path is None else str(path)
        full = message if path is None else f"{message}: {self.path!r}"
        super().__init__(full)


class ManifestError(PalsyError, ValueError):
    """A manifest or image folder is malformed.

    Parameters
    ----------
    message : str
        What is wrong, naming every offending row.
    source : str, default=None
        The manifest file or folder.
    problems : list of tuple, default=None
        ``(row, reason)`` pairs, one per problem; ``row`` is the 1-based line
        number in the CSV (the header is line 1), or a path for image folders.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ManifestError
    >>> err = ManifestError("bad rows", source="m.csv", problems=[(3, "no label")])
    >>> err.problems
    [(3, 'no label')]
    """

    def __init__(self, message, *, source=None, problems=None):
        super().__init__(message)
        self.source = source
        self.problems = list(problems or [])


class ManifestNotFoundError(_PathError, FileNotFoundError):
    """A manifest file or image folder does not exist.

    Both a :class:`PalsyError` and a :class:`FileNotFoundError`, so either
    ``except`` clause catches it.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ManifestNotFoundError
    >>> err = ManifestNotFoundError("manifest file not found", path="m.csv")
    >>> isinstance(err, FileNotFoundError), err.path
    (True, 'm.csv')
    """


class ImageReadError(_PathError, OSError):
    """An image file is missing, empty, truncated or not an image.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ImageReadError
    >>> str(ImageReadError("cannot read image", path="a.png"))
    "cannot read image: 'a.png'"
    """


class ImageFileNotFoundError(ImageReadError, FileNotFoundError):
    """An image file does not exist.

    Both an :class:`ImageReadError` and a :class:`FileNotFoundError`, so
    either ``except`` clause catches it.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ImageFileNotFoundError
    >>> isinstance(ImageFileNotFoundError("file not found", path="a.jpg"),
    ...            FileNotFoundError)
    True
    """


class ImageTooLargeError(ImageReadError):
    """An image has more pixels than the configured limit (a decompression bomb)."""


class VideoReadError(ImageReadError):
    """A video file, or one frame of it, cannot be read.

    Raised for a video that is empty, corrupt, truncated, in a container or
    codec that cannot be decoded, and for a frame index past its end. An
    :class:`ImageReadError` (and so an :class:`OSError`), so code that
    handles unreadable images handles unreadable frames too.

    Parameters
    ----------
    message : str
        What is wrong.
    path : str, default=None
        The video file; the message ends with it.
    frame : int, default=None
        The 0-based frame concerned, if any.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import VideoReadError
    >>> error = VideoReadError("frame 90 is past the end of the video, which "
    ...                        "has 50 frames", path="clip.mp4", frame=90)
    >>> str(error)
    "frame 90 is past the end of the video, which has 50 frames: 'clip.mp4'"
    >>> error.path, error.frame
    ('clip.mp4', 90)
    """

    def __init__(self, message, *, path=None, frame=None):
        super().__init__(message, path=path)
        self.frame = frame


class ImageTooSmallError(_PathError, ValueError):
    """An image is too small to hold a face that can be analysed.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ImageTooSmallError
    >>> ImageTooSmallError("image is 10x10 pixels", path="tiny.png").path
    'tiny.png'
    """


class NoFaceDetectedError(_PathError, ValueError):
    """No face was found in an image.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import NoFaceDetectedError
    >>> NoFaceDetectedError("no face found", path="wall.jpg").path
    'wall.jpg'
    """


class InvalidLandmarksError(PalsyError, ValueError):
    """Landmarks are NaN, infinite, of the wrong shape or outside the image."""


class ImageBatchError(PalsyError, ValueError):
    """Some images of a batch could not be analysed.

    Parameters
    ----------
    failures : pandas.DataFrame
        One row per failed image, with columns ``image`` and ``error``.

    Attributes
    ----------
    failures : pandas.DataFrame
        The failed images and the reason for each.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.exceptions import ImageBatchError
    >>> err = ImageBatchError(pd.DataFrame({"image": ["a.png"], "error": ["empty"]}))
    >>> str(err)
    '1 image(s) failed: a.png (empty)'
    """

    def __init__(self, failures):
        self.failures = failures
        listed = format_listing(
            (
                f"{image} ({error})"
                for image, error in zip(failures.image, failures.error, strict=True)
            ),
            separator="; ",
        )
        super().__init__(f"{len(failures)} image(s) failed: {listed}")


class ModelFileError(PalsyError, ValueError):
    """A model file cannot be loaded: missing, damaged, modified or incompatible.

    Raised by :func:`sklearn_palsy.load_model` for a safetensors model file
    that is truncated, fails its checksum, was written by an incompatible
    version or names a class outside scikit-learn and sklearn-palsy, and by
    the command-line tool for a joblib file that does not hold a model.
    """


class PatientLeakageError(PalsyError, ValueError):
    """A patient (or an image) is on both sides: of a split, or of an external test.

    Raised by :func:`~sklearn_palsy.check_patient_split` for a split that
    puts a patient in both its parts, and by
    :func:`~sklearn_palsy.evaluate_pipelines` (``test=``, ``sklearn-palsy
    evaluate --test``) when the test set shares a patient id or an image's
    content with the training set.
    """


class PatientLeakageWarning(UserWarning):
    """An external test set shares patients or images with the training set.

    Emitted instead of :class:`PatientLeakageError` by
    :func:`~sklearn_palsy.evaluate_pipelines` with ``on_overlap="warn"``
    (``sklearn-palsy evaluate --allow-overlap``): the scores are then not an
    external validation for those patients.
    """


class PickleModelWarning(UserWarning):
    """A model is being loaded from a pickle (joblib) file, which runs its code.

    Emitted by every load of a ``.joblib`` or ``.pkl`` model file, and shown
    as one line by ``sklearn-palsy predict``: whoever wrote such a file can
    run any code in the process that loads it. The ``.safetensors`` format
    (:func:`sklearn_palsy.save_model`) cannot.
    """


class NotRegularFileError(OSError):
    """A path names a directory, pipe, socket, device or (unfollowed) link."""

    def __init__(self, kind):
        super().__init__(f"is {kind}, not a regular file")
        self.kind = kind


class MultipleFacesWarning(UserWarning):
    """Several faces were found in one image; the largest one was used."""


class FaceCacheWarning(UserWarning):
    """An entry of a ``cache_dir`` was malformed; it was ignored and recomputed."""


class BackendFallbackWarning(UserWarning):
    """``backend="auto"`` could not use MediaPipe and used dlib instead."""


class LandmarkFileError(InvalidLandmarksError):
    """A landmark file is malformed; the message names the file and its lines.

    Parameters
    ----------
    message : str
        What is wrong, naming every offending line (the first 20 of them).
    source : str, default=None
        The file.
    problems : list of tuple, default=None
        ``(line, reason)`` pairs, one per problem; ``line`` is the 1-based
        line number in the file (a CSV's header is line 1), or None for a
        problem of the whole file.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import LandmarkFileError
    >>> error = LandmarkFileError("bad", source="a.csv", problems=[(3, "x is 'n/a'")])
    >>> error.problems
    [(3, "x is 'n/a'")]
    """

    def __init__(self, message, *, source=None, problems=None):
        super().__init__(message)
        self.source = source
        self.problems = list(problems or [])


class HeadPoseError(PalsyError, ValueError):
    """Some photographs show a head turned beyond the limits set.

    Parameters
    ----------
    rejected : pandas.DataFrame
        One row per offending photograph, with columns ``index``, ``image``,
        ``yaw``, ``pitch`` and ``reason`` (as
        :func:`~sklearn_palsy.preprocessing.screen_head_pose` returns them).
    limits : str, default=None
        The limits, as text (``"|yaw| <= 15"``), for the message.

    Attributes
    ----------
    rejected : pandas.DataFrame
        Every offending photograph; the message lists the first 20.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.exceptions import HeadPoseError
    >>> rejected = pd.DataFrame({"index": [3], "image": ["a.png"], "yaw": [24.0],
    ...                          "pitch": [2.0], "reason": ["|yaw| > 15"]})
    >>> print(HeadPoseError(rejected, limits="|yaw| <= 15"))
    1 image(s) turned beyond |yaw| <= 15: a.png (yaw 24.0, pitch 2.0: |yaw| > 15)
    """

    def __init__(self, rejected, *, limits=None):
        self.rejected = rejected
        beyond = "too far from frontal" if limits is None else f"beyond {limits}"
        super().__init__(
            f"{len(rejected)} image(s) turned {beyond}: " + describe_rejected(rejected)
        )


class HeadPoseWarning(UserWarning):
    """Some photographs show a head turned beyond the limits set.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn_palsy import LandmarkDetector, make_synthetic_cohort
    >>> from sklearn_palsy import HeadPoseWarning
    >>> cohort = make_synthetic_cohort(1, 0, ("rest",), 192, yaw=30.0,
    ...                                random_state=0)
    >>> detector = LandmarkDetector(backend="dlib", max_yaw=15)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = detector.fit_transform(cohort.images)
    >>> any(issubclass(w.category, HeadPoseWarning) for w in caught)
    True
    """


class NoFaceFallbackWarning(UserWarning):
    """No face was found in an image, and a documented fallback was used."""


class MovementWarning(UserWarning):
    """Some photos got no movement features; they are NaN, not an error."""


class UnmatchedLandmarksWarning(UserWarning):
    """Given landmarks matched none of the images: every face was detected.

    The message says how many images there were and which entries of the
    landmarks (file and line) matched none of them.
    """
