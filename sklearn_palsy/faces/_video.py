"""Read video files lazily, frame by frame, and address single frames.

A frame of a video is named by a *frame reference*, the string
``"<video path>#frame=<index>"`` (0-based index), which
:func:`~sklearn_palsy.faces.read_image`, :func:`~sklearn_palsy.faces.image_id`
and so every face transformer accept wherever an image path goes. Videos are
MP4/MOV, AVI or Matroska files (:data:`VIDEO_EXTENSIONS`) read through
OpenCV's FFmpeg backend.

Reading is lazy and its memory does not grow with the video's length: one
frame is decoded at a time, and each thread keeps a few open decoders (at
most :data:`_READERS_PER_THREAD`), each remembering where it stands, so
that reading many frames of one video in increasing order, as a
transformer does, decodes each frame once. A frame far ahead or behind is
reached by seeking, which is checked: after every seek and every decoded
frame the decoder's own frame number and timestamp must agree with the
index asked for; where they do not (variable frame rate, broken
timestamps), that file is read sequentially from then on.

Frame indices count decoded frames from the start: frame ``i`` is the
``(i + 1)``-th frame that decoding the file from its beginning gives. OpenCV
applies the container's rotation metadata.
"""

import hashlib
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass

import cv2
import numpy as np

from ..exceptions import (
    ImageFileNotFoundError,
    ImageTooLargeError,
    VideoReadError,
)
from ._files import (
    VIDEO_EXTENSIONS,
    _open_file,
    frame_reference,
    is_video_file,
    parse_frame_reference,
)

__all__ = [
    "VIDEO_EXTENSIONS",
    "VideoInfo",
    "clear_video_cache",
    "frame_reference",
    "is_video_file",
    "iter_video_frames",
    "parse_frame_reference",
    "read_video_frame",
    "video_digest",
    "video_info",
]

# Decoders kept open per thread: enough for a few videos read in turn.
_READERS_PER_THREAD = 4
# Per-file facts (digest, whether seeking can be trusted, frames that decode).
_MAX_FILES = 4096
# A frame up to this far ahead is reached by decoding the frames between
# (each costs one decode); farther ones by seeking, which decodes from the
# keyframe before the target.
_MAX_GRAB = 32
# How far a frame's timestamp may be from index / fps, in frames.
_TIMESTAMP_TOLERANCE = 0.5
_READ_CHUNK = 1 << 20

# The first bytes of the containers read: QuickTime/MP4 atoms, RIFF AVI and
# Matroska's EBML header. Anything else (a playlist that would make FFmpeg
# open other files or URLs, a text file renamed) is refused before FFmpeg
# sees it.
_MP4_ATOMS = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide",
                        b"pnot", b"uuid"})
_MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"


@dataclass(frozen=True)
class VideoInfo:
    """What a video's header says.

    Attributes
    ----------
    path : str
        The absolute path of the file.
    n_frames : int
        The number of frames the header declares (0 when it does not say).
        Some containers only estimate it from the duration; reading tells.
    fps : float
        Frames per second (NaN when the header does not say).
    width, height : int
        The frame size in pixels, before the rotation metadata is applied.
    """

    path: str
    n_frames: int
    fps: float
    width: int
    height: int

    @property
    def duration_s(self):
        """Declared length in seconds: ``n_frames / fps`` (NaN without fps)."""
        return self.n_frames / self.fps if self.fps > 0 else float("nan")


# --------------------------------------------------------------------------
# Files: identity, checks, digest.


def _signature(path):
    """What identifies one version of a file: device, inode, size and times.

    A file rewritten in place changes its size or its modification or
    change time (``ctime`` cannot be set by a program); a file replaced by
    a rename gets a new inode.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ImageFileNotFoundError("video file not found", path=path) from None
    except OSError as error:
        raise VideoReadError(
            f"cannot open the video ({error.strerror or error})", path=path
        ) from error
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise VideoReadError(
            f"is {kind}, not a video file; only regular files are read", path=path
        )
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
            info.st_ctime_ns)


def _open_checked(path):
    """Open a video file for reading its bytes, with errors that name it."""
    return _open_file(path, what="a video", error=VideoReadError,
                      missing="video file not found")


def _check_container(path):
    """Refuse files that are empty or not an MP4/MOV, AVI or Matroska container."""
    with _open_checked(path) as file:
        head = file.read(12)
    if not head:
        raise VideoReadError("empty video file (0 bytes)", path=path)
    if (
        head[4:8] in _MP4_ATOMS
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head[:4] == _MATROSKA_MAGIC
    ):
        return
    raise VideoReadError(
        "not a video file: neither an MP4/QuickTime, an AVI nor a Matroska "
        "container (is it truncated at the start, or another kind of file?)",
        path=path,
    )


class _FileFacts:
    """What has been learnt about one version of one file, shared by threads."""

    __slots__ = ("digest", "n_decodable", "seekable", "signature")

    def __init__(self, signature):
        self.signature = signature
        self.digest = None
        # False once a seek or a timestamp disagreed with the frame index.
        self.seekable = True
        # The number of frames that decode, once a read ran past the end.
        self.n_decodable = None


_FACTS = OrderedDict()
_FACTS_LOCK = threading.Lock()


def _facts(path, signature):
    with _FACTS_LOCK:
        facts = _FACTS.get(path)
        if facts is None or facts.signature != signature:
            facts = _FACTS[path] = _FileFacts(signature)
        _FACTS.move_to_end(path)
        while len(_FACTS) > _MAX_FILES:
            _FACTS.popitem(last=False)
        return facts


def video_digest(path):
    """SHA-256 of a video file's bytes, computed once per version of the file.

    The digest is kept under the file's path together with its device,
    inode, size, modification and change times, and computed again when
    any of them changes, so a frame's content key costs one ``stat`` and
    not a pass over the whole video.

    Parameters
    ----------
    path : str or path-like
        The video file.

    Returns
    -------
    digest : str
        64 hexadecimal digits, what ``sha256sum`` prints.

    Raises
    ------
    ImageReadError
        The file is missing or cannot be read.
    """
    path = os.path.abspath(os.fspath(path))
    signature = _signature(path)
    facts = _facts(path, signature)
    if facts.digest is not None:
        return facts.digest
    digest = hashlib.sha256()
    with _open_checked(path) as file:
        before = os.fstat(file.fileno())
        try:
            for chunk in iter(lambda: file.read(_READ_CHUNK), b""):
                digest.update(chunk)
        except OSError as error:
            raise VideoReadError(f"cannot read the file ({error})",
                                 path=path) from error
        after = os.fstat(file.fileno())
    hexdigest = digest.hexdigest()
    # Keep it only if the file did not change while it was read.
    if (before.st_size, before.st_mtime_ns, before.st_ctime_ns) == (
        after.st_size, after.st_mtime_ns, after.st_ctime_ns
    ) and (before.st_ino, before.st_size, before.st_mtime_ns) == signature[1:4]:
        facts.digest = hexdigest
    return hexdigest


# --------------------------------------------------------------------------
# Decoding.


def _open_capture(path):
    """An opened ``cv2.VideoCapture`` on the FFmpeg backend, or an error."""
    _check_container(path)
    # The FFmpeg backend alone: OpenCV's image-sequence backend would read
    # a name holding "%d" as a pattern of other files.
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        if not _has_ffmpeg():
            raise VideoReadError(
                "cannot open the video: this OpenCV build has no FFmpeg backend "
                "(install opencv-python or opencv-python-headless from PyPI)",
                path=path,
            )
        raise VideoReadError(
            "cannot open the video: corrupt, truncated, or in a codec this "
            "OpenCV build cannot decode",
            path=path,
        )
    return capture


def _has_ffmpeg():
    try:
        return cv2.CAP_FFMPEG in cv2.videoio_registry.getStreamBackends()
    except (AttributeError, cv2.error):
        return True


def _header(capture, path):
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    fps = capture.get(cv2.CAP_PROP_FPS)
    return VideoInfo(
        path=path,
        n_frames=int(count) if np.isfinite(count) and count > 0 else 0,
        fps=float(fps) if np.isfinite(fps) and fps > 0 else float("nan"),
        width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
        height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    )


def video_info(path):
    """Read a video's header: declared frame count, frame rate and size.

    Parameters
    ----------
    path : str or path-like
        The video file.

    Returns
    -------
    info : VideoInfo

    Raises
    ------
    VideoReadError
        The file is empty, not a video, or cannot be opened (corrupt,
        truncated, an unknown codec). An :class:`ImageFileNotFoundError`
        when it does not exist.
    """
    path = os.path.abspath(os.fspath(path))
    _signature(path)
    capture = _open_capture(path)
    try:
        return _header(capture, path)
    finally:
        capture.release()


def _check_pixels(info, max_pixels):
    if max_pixels is not None and info.width * info.height > max_pixels:
        raise ImageTooLargeError(
            f"video frames are {info.width}x{info.height} = "
            f"{info.width * info.height} pixels, more than max_pixels={max_pixels}; "
            "pass a larger max_pixels, or None, to read them",
            path=info.path,
        )


def _to_rgb(bgr, path, index):
    if bgr is None or bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise VideoReadError(
            f"frame {index} did not decode to 8-bit colour pixels", path=path,
            frame=index,
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _retrieve(capture, path, index):
    """The BGR pixels of the frame just grabbed, or an error naming it."""
    ok, bgr = capture.retrieve()
    if not ok:
        raise VideoReadError(
            f"cannot decode frame {index} (corrupt data)", path=path, frame=index,
        )
    return bgr


def _end_error(path, index, n_decodable, declared):
    """The error for a frame that does not decode: past the end, or truncated."""
    if n_decodable == 0:
        return VideoReadError(
            "the video has no frame that decodes (empty, corrupt, or in a codec "
            "this OpenCV build cannot decode)", path=path, frame=index,
        )
    if declared > n_decodable:
        return VideoReadError(
            f"cannot decode frame {index}: the video is truncated or corrupt "
            f"after frame {n_decodable - 1} (its header declares {declared} "
            "frames)", path=path, frame=index,
        )
    return VideoReadError(
        f"frame {index} is past the end of the video, which has {n_decodable} "
        f"frames (0 to {n_decodable - 1})", path=path, frame=index,
    )


class _Reader:
    """One open decoder on one version of a file, and where it stands."""

    def __init__(self, path, signature, facts):
        self.path = path
        self.signature = signature
        self.facts = facts
        self.capture = _open_capture(path)
        self.info = _header(self.capture, path)
        self.next_index = 0  # the frame the next grab() decodes

    def close(self):
        self.capture.release()

    def _reopen(self):
        self.capture.release()
        self.capture = _open_capture(self.path)
        self.next_index = 0

    def _on_time(self, index):
        """Whether the frame just decoded carries the number and time of ``index``."""
        fps = self.info.fps
        if not fps > 0:
            return False
        position = self.capture.get(cv2.CAP_PROP_POS_FRAMES)
        milliseconds = self.capture.get(cv2.CAP_PROP_POS_MSEC)
        return (
            position == index + 1
            and abs(milliseconds - index * 1000.0 / fps)
            <= _TIMESTAMP_TOLERANCE * 1000.0 / fps
        )

    def _grab(self):
        """Decode the next frame; False at the end of what decodes."""
        if not self.capture.grab():
            self.facts.n_decodable = self.next_index
            return False
        if self.facts.seekable and not self._on_time(self.next_index):
            # Variable frame rate or broken timestamps: a seek to a frame
            # number would land elsewhere. Count frames from here on.
            self.facts.seekable = False
        self.next_index += 1
        return True

    def _seek(self, index):
        """Seek to ``index`` and decode it; False if that cannot be trusted."""
        ok = self.capture.set(cv2.CAP_PROP_POS_FRAMES, index) and self.capture.grab()
        if ok and self._on_time(index):
            self.next_index = index + 1
            return True
        if ok:
            self.facts.seekable = False
        self._reopen()
        return False

    def read(self, index):
        n_decodable = self.facts.n_decodable
        if n_decodable is not None and index >= n_decodable:
            raise _end_error(self.path, index, n_decodable, self.info.n_frames)
        ahead = index - self.next_index
        if (ahead < 0 or ahead > _MAX_GRAB) and self.facts.seekable:
            if self._seek(index):
                return self._retrieve(index)
        if index < self.next_index:
            self._reopen()
        while self.next_index <= index:
            if not self._grab():
                raise _end_error(self.path, index, self.next_index,
                                 self.info.n_frames)
        return self._retrieve(index)

    def _retrieve(self, index):
        return _to_rgb(_retrieve(self.capture, self.path, index), self.path, index)


_LOCAL = threading.local()


def _readers():
    readers = getattr(_LOCAL, "readers", None)
    if readers is None or getattr(_LOCAL, "pid", None) != os.getpid():
        # A forked child must not touch its parent's decoders, whose file
        # offsets it shares; they are dropped, not used.
        readers = _LOCAL.readers = OrderedDict()
        _LOCAL.pid = os.getpid()
    return readers


def _reader(path):
    signature = _signature(path)
    readers = _readers()
    reader = readers.get(path)
    if reader is not None and reader.signature != signature:
        readers.pop(path).close()
        reader = None
    if reader is None:
        reader = _Reader(path, signature, _facts(path, signature))
        readers[path] = reader
        while len(readers) > _READERS_PER_THREAD:
            readers.popitem(last=False)[1].close()
    readers.move_to_end(path)
    return reader


def read_video_frame(path, index, *, max_pixels=None):
    """Decode one frame of a video as an 8-bit RGB array.

    Parameters
    ----------
    path : str or path-like
        The video file.
    index : int
        The 0-based frame index.
    max_pixels : int or None, default=None
        Refuse frames with more pixels than this (read from the header,
        before decoding); None does not check.

    Returns
    -------
    pixels : ndarray of shape (H, W, 3), dtype uint8
        The frame in RGB, C-contiguous and writable.

    Raises
    ------
    VideoReadError
        The video cannot be opened or decoded, or ``index`` is past its end;
        the message names the file and the frame. An
        :class:`ImageFileNotFoundError` when the file does not exist.
    ImageTooLargeError
        The frames have more than ``max_pixels`` pixels.
    """
    path = os.path.abspath(os.fspath(path))
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"frame index must be a non-negative integer; got {index!r}")
    reader = _reader(path)
    _check_pixels(reader.info, max_pixels)
    try:
        return reader.read(int(index))
    except cv2.error as error:
        # Leave no decoder in an unknown state behind.
        _readers().pop(path, None)
        reader.close()
        raise VideoReadError(
            f"cannot decode frame {index} ({error})", path=path, frame=int(index)
        ) from error


def _decoded(path, *, keep=None, max_pixels=None):
    """Yield ``(index, bgr)`` for every frame, in order; ``bgr`` only if kept.

    From a decoder of its own. Frames that ``keep(index)`` refuses are
    decoded, as the codec requires, but not converted, and come with None;
    ``keep`` is asked as each frame comes, so it may change its mind on the
    way. Raises a :class:`VideoReadError` when no frame decodes at all.
    """
    path = os.path.abspath(os.fspath(path))
    _signature(path)
    capture = _open_capture(path)
    try:
        _check_pixels(_header(capture, path), max_pixels)
        index = 0
        while capture.grab():
            bgr = None
            if keep is None or keep(index):
                bgr = _retrieve(capture, path, index)
            yield index, bgr
            index += 1
        if index == 0:
            raise _end_error(path, 0, 0, 0)
    finally:
        capture.release()


def iter_video_frames(path, *, every=1, max_pixels=None):
    """Decode a video's frames one at a time, in order.

    Only one frame is held at a time (plus the decoder's own buffers), so
    memory does not grow with the length of the video.

    Parameters
    ----------
    path : str or path-like
        The video file.
    every : int, default=1
        Yield every ``every``-th frame (0, every, 2 * every, ...); the
        others are decoded, as the codec requires, but not converted.
    max_pixels : int or None, default=None
        Refuse frames with more pixels than this; None does not check.

    Yields
    ------
    index : int
        The frame's 0-based index.
    pixels : ndarray of shape (H, W, 3), dtype uint8
        The frame in RGB.

    Raises
    ------
    VideoReadError
        The video cannot be opened, or no frame of it decodes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets._video import make_synthetic_video
    >>> from sklearn_palsy.faces._video import iter_video_frames
    >>> path = Path(tempfile.mkdtemp()) / "clip.avi"
    >>> _ = make_synthetic_video(path, duration=1.0, fps=8, image_size=64,
    ...                          random_state=0)
    >>> [(index, pixels.shape) for index, pixels in iter_video_frames(path, every=3)]
    [(0, (64, 64, 3)), (3, (64, 64, 3)), (6, (64, 64, 3))]
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer; got {every!r}")
    every = int(every)
    for index, bgr in _decoded(path, keep=lambda i: i % every == 0,
                               max_pixels=max_pixels):
        if bgr is not None:
            yield index, _to_rgb(bgr, os.path.abspath(os.fspath(path)), index)


def clear_video_cache():
    """Close this thread's open decoders and forget what was learnt about files.

    Decoders of other threads close when their thread ends; forgotten
    digests and seek checks are recomputed when next needed.
    """
    readers = _readers()
    while readers:
        readers.popitem()[1].close()
    with _FACTS_LOCK:
        _FACTS.clear()
