"""Errors raised by sklearn-palsy.

Every error derives from :class:`PalsyError`, and also from :class:`ValueError`
or :class:`OSError` where that fits, so that ``except ValueError`` keeps working
in code written for scikit-learn. Each message names the file or the row
concerned. An error about many rows lists the first
:data:`MAX_LISTED` of them in its message and says how many more there are;
every one of them is kept on the exception (``problems``, ``failures``).
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
    "ImageBatchError",
    "ModelFileError",
    "NotRegularFileError",
    "PickleModelWarning",
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
    """A cross-validation split puts one patient on both sides."""


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
