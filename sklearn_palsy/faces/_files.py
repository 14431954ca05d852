"""Opening regular files, and naming the frames of videos.

:func:`open_regular_file` opens a path only when it is a regular file (never
a pipe, socket, device or directory), with errors that name it; a *frame
reference* ``"<video path>#frame=<index>"`` names one frame of a video
(:func:`frame_reference`, :func:`parse_frame_reference`). Both image and
video reading build on this module, which imports neither Pillow nor OpenCV.
"""

import os
import re
import stat

import numpy as np

from ..exceptions import (
    ImageFileNotFoundError,
    ImageReadError,
    NotRegularFileError,
    VideoReadError,
)

__all__ = [
    "VIDEO_EXTENSIONS",
    "frame_reference",
    "is_video_file",
    "malformed_frame_reference",
    "open_regular_file",
    "parse_frame_reference",
]

#: File extensions read as videos (any case): MP4 and QuickTime, AVI and
#: Matroska containers, decoded by OpenCV's FFmpeg backend.
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv")
_VIDEO_EXTENSIONS = frozenset(VIDEO_EXTENSIONS)
# What a frame reference looks like whatever its index: a video path, then
# "#frame=" (to tell a malformed index from a missing file); a well-formed
# index is ASCII digits.
_FRAME_LIKE = re.compile(r"(.+)#frame=(.*)", re.DOTALL)
_FRAME_INDEX = re.compile(r"[0-9]+")


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symbolic link"),
)


def _file_kind(mode):
    for test, kind in _FILE_KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def open_regular_file(path, *, follow_symlinks=True):
    """Open ``path`` for binary reading only if it is a regular file.

    The file is opened without blocking and checked with :func:`os.fstat` on
    the open descriptor, so a named pipe with no writer, a socket or a device
    is refused at once (opening a FIFO normally blocks until someone writes),
    and nothing can be swapped in between the check and the read.

    Parameters
    ----------
    path : str or path-like
    follow_symlinks : bool, default=True
        With False, a symbolic link is refused instead of followed.

    Returns
    -------
    file : binary file object, opened for blocking reads

    Raises
    ------
    NotRegularFileError
        ``path`` is not a regular file; its ``kind`` says what it is.
    OSError
        It cannot be opened (missing, no permission...).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_palsy.faces._files import open_regular_file
    >>> open_regular_file(tempfile.gettempdir())
    Traceback (most recent call last):
    ...
    sklearn_palsy.exceptions.NotRegularFileError: is a directory, not a regular file
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        # Sockets cannot be opened (ENXIO), a link refused by O_NOFOLLOW
        # gives ELOOP, a directory may give EISDIR: say what the path is.
        try:
            mode = os.stat(path, follow_symlinks=follow_symlinks).st_mode
        except OSError:
            raise error from None
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(_file_kind(mode)) from None
        raise
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(_file_kind(mode))
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _open_file(path, *, what="an image", error=ImageReadError,
               missing="file not found"):
    """Open ``path`` for reading, turning OS errors into ``error``.

    ``what`` names the kind of file expected ("an image", "a video"); a
    missing file is an :class:`ImageFileNotFoundError` saying ``missing``.
    """
    try:
        return open_regular_file(path)
    except NotRegularFileError as problem:
        raise error(
            f"is {problem.kind}, not {what} file; only regular files are read",
            path=path,
        ) from None
    except FileNotFoundError:
        malformed = malformed_frame_reference(path)
        if malformed is not None:
            raise malformed from None
        raise ImageFileNotFoundError(missing, path=path) from None
    except OSError as exc:
        raise error(
            f"cannot open file ({exc.strerror or exc})", path=path
        ) from exc


def is_video_file(path):
    """Whether ``path`` names a video file, by its extension.

    Parameters
    ----------
    path : str or path-like
        A file name; frame references and other objects give False.

    Returns
    -------
    is_video : bool
        True when the extension is one of :data:`VIDEO_EXTENSIONS`, in any
        case. The file is not opened.

    Examples
    --------
    >>> from sklearn_palsy.faces._files import is_video_file
    >>> is_video_file("visit/P01_smile.MP4"), is_video_file("P01.png")
    (True, False)
    >>> is_video_file("P01.mp4#frame=3")
    False
    """
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        return False
    return os.path.splitext(path)[1].lower() in _VIDEO_EXTENSIONS


def frame_reference(video, index):
    """The frame reference ``"<video>#frame=<index>"`` of one frame.

    Parameters
    ----------
    video : str or path-like
        The video file, as it should appear in the reference.
    index : int
        The 0-based frame index.

    Returns
    -------
    reference : str

    Examples
    --------
    >>> from sklearn_palsy.faces._files import frame_reference
    >>> frame_reference("clips/P01.mp4", 12)
    'clips/P01.mp4#frame=12'
    """
    path = os.fspath(video)
    if not isinstance(path, str):
        raise TypeError(f"video paths must be str, not bytes; got {video!r}")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"frame index must be a non-negative integer; got {index!r}")
    if not is_video_file(path):
        raise ValueError(
            f"frame references name video files ({', '.join(VIDEO_EXTENSIONS)}); "
            f"got {path!r}"
        )
    return f"{path}#frame={int(index)}"


def parse_frame_reference(reference):
    """The video and frame index of a frame reference, or None.

    A frame reference is ``"<path>#frame=<digits>"`` where ``<path>`` has a
    video extension (:data:`VIDEO_EXTENSIONS`, any case); anything else,
    including an image path that happens to contain ``#``, is not one.

    Parameters
    ----------
    reference : object
        Any value; only strings and path-like objects can be references.

    Returns
    -------
    parsed : tuple of (str, int) or None
        ``(video path, frame index)``, or None when ``reference`` is not a
        frame reference.

    Examples
    --------
    >>> from sklearn_palsy.faces._files import parse_frame_reference
    >>> parse_frame_reference("/data/P01 #2.mov#frame=40")
    ('/data/P01 #2.mov', 40)
    >>> parse_frame_reference("photo.png#frame=1") is None
    True
    """
    parts = _frame_like(reference)
    if parts is None or not _FRAME_INDEX.fullmatch(parts[1]):
        return None
    return parts[0], int(parts[1])


def _frame_like(reference):
    """``(video path, index text)`` of anything shaped as a frame reference.

    None unless ``reference`` is a string or path-like object of the form
    ``"<path>#frame=<anything>"`` whose ``<path>`` has a video extension.
    """
    if isinstance(reference, os.PathLike):
        reference = os.fspath(reference)
    if not isinstance(reference, str):
        return None
    match = _FRAME_LIKE.fullmatch(reference)
    if match is None or not is_video_file(match[1]):
        return None
    return match[1], match[2]


def malformed_frame_reference(reference):
    """The error of a frame reference whose index is malformed, or None.

    ``"clip.mp4#frame=-1"``, ``"clip.mp4#frame=abc"`` or ``"clip.mp4#frame="``
    name a video file, but not one of its frames: the index must be a
    non-negative integer written in ASCII digits. Such a string is not a
    path to any file either, so without this check it would be reported as
    a missing file although the video exists. A file whose name really is
    the whole string is a file, not a reference: it gives None.

    Parameters
    ----------
    reference : str, path-like or object
        A path as given by a user; any other object gives None.

    Returns
    -------
    error : VideoReadError or None
        The error to raise, naming the reference (its ``path``) and the
        index given; None when ``reference`` is a well-formed frame
        reference, an existing file or not shaped as a frame reference.

    Examples
    --------
    >>> from sklearn_palsy.faces._files import malformed_frame_reference
    >>> print(malformed_frame_reference("clip.mp4#frame=-1"))
    malformed frame reference: the frame index must be a non-negative integer \
(0-based), got '-1': 'clip.mp4#frame=-1'
    >>> malformed_frame_reference("clip.mp4#frame=3") is None
    True
    >>> malformed_frame_reference("photo.png#frame=x") is None
    True
    """
    parts = _frame_like(reference)
    if (parts is None or _FRAME_INDEX.fullmatch(parts[1])
            or os.path.isfile(reference)):
        return None
    return VideoReadError(
        "malformed frame reference: the frame index must be a non-negative "
        f"integer (0-based), got {parts[1]!r}",
        path=os.fspath(reference),
    )
