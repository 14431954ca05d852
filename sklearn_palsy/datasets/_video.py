"""Videos as data: sampling frames, expanding collections, synthetic videos.

A video enters the estimators as *frame references*,
``"<video path>#frame=<index>"``, which every image reader of the package
accepts: :func:`sample_video_frames` picks frames of one video,
:func:`expand_videos` turns a list of images and videos into rows (one per
image, one per sampled frame) with the group each row belongs to, and
:func:`make_synthetic_video` writes a video of a synthetic face moving
through expressions, with its ground truth per frame.
"""

import numbers
import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ..exceptions import ImageBatchError, ImageReadError, VideoReadError
from ..faces._video import (
    _decoded,
    frame_reference,
    is_video_file,
    parse_frame_reference,
    read_video_frame,
    video_info,
)
from ..utils._atomic import atomic_write
from ..utils._compat import Interval, StrOptions, validate_params
from ..utils._validation import check_groups
from ._synthetic import (
    EXPRESSIONS,
    PALSY_TYPES,
    draw_identity,
    face_shape,
    render,
    severity_by_region,
)

__all__ = ["expand_videos", "make_synthetic_video", "sample_video_frames"]

#: Frames per video when neither ``n_frames`` nor ``every`` is given.
DEFAULT_N_FRAMES = 10

# Movement sampling works on grey thumbnails this many pixels on their
# longer side, and keeps at most this many of them: past that, it keeps
# every second one of those it has, and so on, so that memory stays
# bounded whatever the video's length (64 x 64 x 256 floats, 4 MiB, in each
# of the few arrays it works with). 256 frames are 10 s at 25 fps; a
# minute at 30 fps keeps every 8th frame, 0.27 s apart, still closer than
# an expression's apex lasts.
_THUMBNAIL_SIDE = 64
_MAX_THUMBNAILS = 256
# Thumbnails are blurred by this many pixels against sensor noise, and
# compared on their central part (this share of each side left out), on
# the 1 % of pixels that changed most: an expression changes a few small
# regions (brows, eyes, mouth) a lot, noise changes every pixel a little.
_THUMBNAIL_BLUR = 1.2
_THUMBNAIL_MARGIN = 1 / 8
_CHANGED_SHARE = 0.01
# A frame belongs to a movement episode when it is at least this far (as a
# share of the largest departure) from the rest frame.
_EPISODE_THRESHOLD = 0.25
_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-5)

# A header's frame count may be an estimate from the duration; a video
# that decodes this many frames fewer (or one in a hundred) is not called
# truncated.
_COUNT_SLACK = 2


def _count_tolerance(declared):
    return max(_COUNT_SLACK, declared // 100)


def _truncated_error(path, declared, decoded):
    return VideoReadError(
        f"the video is truncated or corrupt: its header declares {declared} "
        f"frames, but only {decoded} decode",
        path=path,
    )


def _count_frames(path, max_pixels=None):
    """Decode a video to the end and count its frames (one held at a time)."""
    last = 0
    for last, _ in _decoded(path, keep=lambda index: False,  # noqa: B007
                            max_pixels=max_pixels):
        pass
    return last + 1


def _uniform_frames(n_total, n_frames, every):
    if every is not None:
        return np.arange(0, n_total, every)
    if n_frames >= n_total:
        return np.arange(n_total)
    # The middle of n_frames equal stretches: away from the first and last
    # frames, where recordings start and stop.
    return ((np.arange(n_frames) + 0.5) * n_total / n_frames).astype(np.int64)


def _sample_uniform(path, n_frames, every, max_pixels):
    info = video_info(path)
    n_total = info.n_frames or _count_frames(path, max_pixels)
    frames = _uniform_frames(n_total, n_frames, every)
    try:
        # The last frame chosen decodes: the declared count can be trusted.
        read_video_frame(path, int(frames[-1]), max_pixels=max_pixels)
    except VideoReadError:
        decoded = _count_frames(path, max_pixels)
        if info.n_frames and decoded < info.n_frames - _count_tolerance(
                info.n_frames):
            raise _truncated_error(path, info.n_frames, decoded) from None
        frames = _uniform_frames(decoded, n_frames, every)
    return frames, info.fps, None


def _thumbnail_shape(width, height):
    scale = _THUMBNAIL_SIDE / max(width, height, 1)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _sample_movement(path, n_frames, max_pixels):
    """One pass over grey thumbnails; the rest frame and the movement peaks."""
    info = video_info(path)
    # The stride grows during the pass; the decoder asks it frame by frame.
    stride = [1]
    indices, thumbnails = [], []
    last = -1
    size = None
    for index, bgr in _decoded(path, keep=lambda i: i % stride[0] == 0,
                               max_pixels=max_pixels):
        last = index
        if bgr is None:
            continue
        if size is None:
            size = _thumbnail_shape(bgr.shape[1], bgr.shape[0])
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        thumbnails.append(cv2.resize(grey, size, interpolation=cv2.INTER_AREA))
        indices.append(index)
        if len(thumbnails) > _MAX_THUMBNAILS:
            stride[0] *= 2
            kept = [k for k, i in enumerate(indices) if i % stride[0] == 0]
            indices = [indices[k] for k in kept]
            thumbnails = [thumbnails[k] for k in kept]
    decoded = last + 1
    if info.n_frames and decoded < info.n_frames - _count_tolerance(info.n_frames):
        raise _truncated_error(path, info.n_frames, decoded)
    indices = np.asarray(indices)
    departure = _departure_from_rest(thumbnails)
    rest = int(np.argmin(departure))
    spread = departure.max() - departure[rest]
    movement = np.clip((departure - departure[rest]) / spread, 0.0, 1.0) if (
        spread > 0) else np.zeros_like(departure)
    chosen = _movement_choice(movement, rest, n_frames)
    return indices[chosen], info.fps, movement[chosen]


def _departure_from_rest(thumbnails):
    """How far each grey thumbnail is from the video's most common state.

    The per-pixel median over time is that state: the face at rest, when
    each movement takes less than half the video. Each thumbnail, its mean
    brightness taken out (a flicker of light is not a movement) and blurred
    against noise, is first aligned to the median by a rotation and a shift
    (OpenCV's ECC), so that the head swaying is not read as movement.
    """
    stack = np.stack(thumbnails).astype(np.float32)
    stack -= stack.mean(axis=(1, 2), keepdims=True)
    stack = np.stack([cv2.GaussianBlur(thumbnail, (0, 0), _THUMBNAIL_BLUR)
                      for thumbnail in stack])
    reference = np.median(stack, axis=0)
    height, width = reference.shape
    aligned = np.empty_like(stack)
    for index, thumbnail in enumerate(stack):
        warp = np.eye(2, 3, dtype=np.float32)
        try:
            _, warp = cv2.findTransformECC(reference, thumbnail, warp,
                                           cv2.MOTION_EUCLIDEAN, _ECC_CRITERIA,
                                           None, 5)
        except cv2.error:
            pass  # no convergence (a flat image): leave it where it is
        aligned[index] = cv2.warpAffine(
            thumbnail, warp, (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    reference = np.median(aligned, axis=0)
    top, left = int(height * _THUMBNAIL_MARGIN), int(width * _THUMBNAIL_MARGIN)
    change = np.abs(aligned - reference)[:, top:height - top, left:width - left]
    change = change.reshape(len(change), -1)
    n_changed = max(1, int(change.shape[1] * _CHANGED_SHARE))
    return np.partition(change, change.shape[1] - n_changed, axis=1)[
        :, -n_changed:].mean(axis=1)


def _movement_choice(movement, rest, n_frames):
    """Positions of the rest frame, then the peak of each movement episode.

    Episodes are runs of frames at least ``_EPISODE_THRESHOLD`` away from
    rest, taken by the height of their peak; frames still missing are the
    farthest from rest that keep a distance from those chosen.
    """
    n_candidates = len(movement)
    if n_frames >= n_candidates:
        return np.arange(n_candidates)
    chosen = [rest]
    moving = np.r_[False, movement >= _EPISODE_THRESHOLD, False]
    starts = np.flatnonzero(~moving[:-1] & moving[1:])
    stops = np.flatnonzero(moving[:-1] & ~moving[1:])
    peaks = [start + int(np.argmax(movement[start:stop]))
             for start, stop in zip(starts, stops, strict=True)]
    for peak in sorted(peaks, key=lambda position: -movement[position]):
        if len(chosen) == n_frames:
            break
        chosen.append(peak)
    gap = max(1, n_candidates // (2 * n_frames))
    for minimum in (gap, 1):
        for position in np.argsort(-movement, kind="stable"):
            if len(chosen) == n_frames:
                break
            if all(abs(position - other) >= minimum for other in chosen):
                chosen.append(int(position))
    return np.sort(np.asarray(chosen))


@validate_params(
    {
        "video": [str, os.PathLike],
        "n_frames": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "every": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "method": [StrOptions({"uniform", "movement"})],
        "max_pixels": [Interval(numbers.Integral, 1, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def sample_video_frames(video, *, n_frames=None, every=None, method="uniform",
                        max_pixels=None):
    """Choose frames of a video and name them by frame references.

    Parameters
    ----------
    video : str or path-like
        A video file (:data:`~sklearn_palsy.faces._video.VIDEO_EXTENSIONS`).
    n_frames : int, default=None
        How many frames to choose; 10 when neither ``n_frames`` nor
        ``every`` is given. A video with fewer frames gives all of them.
    every : int, default=None
        With ``method="uniform"``, every ``every``-th frame instead (0,
        ``every``, ``2 * every``, ...).
    method : {"uniform", "movement"}, default="uniform"
        - ``"uniform"``: ``n_frames`` frames evenly spread, each the middle
          frame of one of ``n_frames`` equal stretches of the video, or
          every ``every``-th frame. Only the header is read, and the last
          frame chosen is decoded to check the frame count.
        - ``"movement"``: the most neutral frame, then the frames where
          the face has moved most from it, from one pass over the video;
          see Notes.
    max_pixels : int, default=None
        Refuse videos whose frames have more pixels than this; None does
        not check (:func:`~sklearn_palsy.faces.read_image` checks each
        frame read later).

    Returns
    -------
    frames : pandas.DataFrame
        One row per chosen frame, in order, with columns ``image`` (the
        frame reference, with the video's absolute path), ``video`` (that
        path), ``frame`` (the 0-based index), ``time_s`` (``frame / fps``;
        NaN when the header has no frame rate) and, with
        ``method="movement"``, ``movement``: how far the frame departs from
        the rest frame, 0 for the rest frame itself and 1 for the farthest
        frame of the video.

    Raises
    ------
    VideoReadError
        The video is empty, corrupt or truncated (it decodes fewer frames
        than its header declares), or cannot be opened; the message names
        the file. An :class:`~sklearn_palsy.exceptions.ImageFileNotFoundError`
        when it does not exist.

    See Also
    --------
    expand_videos : Sample every video of a list of images and videos.
    sklearn_palsy.clinical.video_key_frames : The rest frame and the peak of
        each expression from landmarks, once they are detected.

    Notes
    -----
    ``method="movement"`` decodes the video once and keeps a grey thumbnail
    of each frame, 64 pixels on its longer side (at most 256 thumbnails: a
    longer video keeps every second frame, then every fourth, and so on,
    so memory stays flat; the frames chosen are among those kept). Each
    thumbnail has its mean brightness taken out (a flicker of the light is
    not a movement) and is blurred against sensor noise. The per-pixel
    median of the thumbnails over time is the face's most common state,
    which is its rest when each movement takes less than half the video,
    as in the standard protocols that return to rest between movements.
    Every thumbnail is aligned to that median by a rotation and a shift
    (OpenCV's ECC), so that a swaying head is not read as movement, and
    its departure from the median of the aligned thumbnails is the mean of
    the 1 % largest pixel differences in the central three quarters: an
    expression changes a few regions (brows, eyes, mouth) a lot, noise
    changes every pixel a little. The frame of least departure is the rest
    frame; ``movement`` rescales the departure so that the rest frame is 0
    and the farthest frame 1. A *movement episode* is a run of frames at
    0.25 or more; the frames chosen are the rest frame, then the peak of
    each episode, highest first, then the frames farthest from rest that
    keep a distance of ``1 / (2 * n_frames)`` of the video from those
    already chosen. The peaks are the apexes of the expressions, where the
    two sides of a face differ most; the frames of fastest motion, halfway
    through a movement, are not chosen for themselves.

    The thumbnails see the whole image, not the face: a camera that moves,
    or a second person, moves the choice too. Once landmarks are known,
    :func:`sklearn_palsy.clinical.video_key_frames` chooses from the face.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets._video import (
    ...     make_synthetic_video, sample_video_frames)
    >>> path = Path(tempfile.mkdtemp()) / "clip.avi"
    >>> truth = make_synthetic_video(path, duration=6.0, fps=5, image_size=64,
    ...                              expressions=("rest", "smile", "rest"),
    ...                              random_state=0)
    >>> frames = sample_video_frames(path, n_frames=4)
    >>> frames["frame"].tolist(), frames["time_s"].tolist()
    ([3, 11, 18, 26], [0.6, 2.2, 3.6, 5.2])
    >>> frames["image"][0].endswith("clip.avi#frame=3")
    True

    By movement, the rest frame comes with the smile's apex:

    >>> frames = sample_video_frames(path, n_frames=2, method="movement")
    >>> truth.intensity[frames["frame"]].round(1).tolist()
    [0.0, 1.0]
    """
    if every is not None and n_frames is not None:
        raise ValueError("give n_frames or every, not both")
    if every is not None and method != "uniform":
        raise ValueError(
            "every applies to method='uniform'; method='movement' chooses "
            "n_frames frames"
        )
    if every is None and n_frames is None:
        n_frames = DEFAULT_N_FRAMES
    path = os.path.abspath(os.fspath(video))
    if not is_video_file(path):
        raise ValueError(
            f"not a video file name (expected one of .mp4, .avi, .mov, .mkv): "
            f"{path!r}"
        )
    if method == "uniform":
        frames, fps, movement = _sample_uniform(path, n_frames, every, max_pixels)
    else:
        frames, fps, movement = _sample_movement(path, n_frames, max_pixels)
    table = pd.DataFrame({
        "image": [frame_reference(path, int(frame)) for frame in frames],
        "video": path,
        "frame": np.asarray(frames, dtype=np.int64),
        "time_s": np.asarray(frames, dtype=np.float64) / fps,
    })
    if movement is not None:
        table["movement"] = np.asarray(movement, dtype=np.float64)
    return table


def expand_videos(images, groups=None, *, n_frames=None, every=None,
                  method="uniform", on_error="raise"):
    """Turn a list of images and videos into rows: videos become sampled frames.

    Images (paths or arrays) and frame references are kept as they are;
    each video file is replaced by frames chosen by
    :func:`sample_video_frames`. Each row keeps the group of the element it
    comes from.

    Parameters
    ----------
    images : sequence of str, path-like or ndarray
        Image files, video files (by extension,
        :data:`~sklearn_palsy.faces._video.VIDEO_EXTENSIONS`), frame
        references or image arrays.
    groups : array-like of shape (n_images,), default=None
        The group (patient) of each element. Every frame of a video gets
        its video's group, so a patient's videos stay with the patient in a
        group-aware split. None makes each video its own group (its
        absolute path; a frame reference counts as its video) and each
        image its own (its path, or ``"array <i>"`` for an array).
    n_frames, every, method
        How frames are chosen, as in :func:`sample_video_frames`.
    on_error : {"raise", "skip"}, default="raise"
        Videos that cannot be sampled (missing, empty, corrupt,
        truncated): with "raise", every video is tried and one
        :class:`~sklearn_palsy.exceptions.ImageBatchError` names them all;
        with "skip", they are left out and listed in ``failures``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With fields

        - ``X``: object ndarray of shape (n_rows,), the images and frame
          references, in input order with each video's frames in order;
        - ``groups``: object ndarray of shape (n_rows,), each row's group;
        - ``table``: DataFrame of shape (n_rows, 4 or 5) with ``index``
          (the position in ``images`` each row comes from), ``video`` (the
          video's absolute path, None for images), ``frame`` (the frame
          index, missing for images; pandas' nullable Int64), ``time_s``
          (NaN for images) and, with ``method="movement"``, ``movement``;
        - ``failures``: DataFrame with columns ``image`` and ``error``,
          one row per video left out (empty unless ``on_error="skip"``).

    Raises
    ------
    ImageBatchError
        With ``on_error="raise"``, when any video cannot be sampled.

    See Also
    --------
    sample_video_frames : The frames of one video.
    sklearn_palsy.datasets.load_manifest : Read videos with their patients
        and labels from a manifest.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets._video import expand_videos, make_synthetic_video
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = make_synthetic_video(folder / "P01.avi", duration=2.0, fps=5,
    ...                          image_size=64, random_state=0)
    >>> data = expand_videos(["P01_photo.png", folder / "P01.avi"],
    ...                      groups=["P01", "P01"], n_frames=3)
    >>> [Path(str(x)).name for x in data.X]
    ['P01_photo.png', 'P01.avi#frame=1', 'P01.avi#frame=5', 'P01.avi#frame=8']
    >>> data.groups.tolist()
    ['P01', 'P01', 'P01', 'P01']
    >>> data.table["frame"].tolist()
    [<NA>, 1, 5, 8]
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    images = list(images)
    if groups is not None:
        groups = check_groups(groups, len(images))
    X, row_groups, rows, failures = [], [], [], []
    with_movement = method == "movement"
    for position, image in enumerate(images):
        frame = parse_frame_reference(image)
        if frame is not None:
            video = os.path.abspath(frame[0])
            own_group = video
            entries = [(image, video, frame[1], np.nan, np.nan)]
        elif is_video_file(image):
            video = os.path.abspath(os.fspath(image))
            own_group = video
            try:
                sampled = sample_video_frames(video, n_frames=n_frames, every=every,
                                              method=method)
            except ImageReadError as error:
                failures.append((os.fspath(image), str(error)))
                continue
            movement = sampled["movement"] if with_movement else np.full(
                len(sampled), np.nan)
            entries = list(zip(sampled["image"], sampled["video"], sampled["frame"],
                               sampled["time_s"], movement, strict=True))
        else:
            own_group = (os.fspath(image) if isinstance(image, (str, os.PathLike))
                         else f"array {position}")
            entries = [(image, None, None, np.nan, np.nan)]
        group = own_group if groups is None else groups[position]
        for x, video, index, time_s, movement in entries:
            X.append(x)
            row_groups.append(group)
            rows.append((position, video, index, time_s, movement))
    failures = pd.DataFrame(failures, columns=["image", "error"])
    if on_error == "raise" and len(failures):
        raise ImageBatchError(failures)
    table = pd.DataFrame(rows, columns=["index", "video", "frame", "time_s",
                                        "movement"])
    table["index"] = table["index"].astype(np.int64)
    table["frame"] = table["frame"].astype("Int64")
    table["time_s"] = table["time_s"].astype(np.float64)
    if not with_movement:
        table = table.drop(columns="movement")
    out_X = np.empty(len(X), dtype=object)
    for position, x in enumerate(X):  # one by one: arrays stay whole objects
        out_X[position] = x
    return Bunch(X=out_X, groups=np.asarray(row_groups, dtype=object), table=table,
                 failures=failures)


# --------------------------------------------------------------------------
# Synthetic videos.

#: The expressions of a synthetic video by default: the standard protocol's
#: movements, each from rest and back.
VIDEO_EXPRESSIONS = ("rest", "smile", "rest", "raise_eyebrows", "rest",
                     "close_eyes", "rest")

# FourCC codes by extension; both encode with the FFmpeg that OpenCV's
# wheels ship (H.264 does not: those wheels carry no H.264 encoder).
_FOURCC = {".mp4": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
# Share of an expression's stretch spent moving into it, and out of it.
_RAMP = 0.3


def _intensity(position):
    """a(u) over one expression's stretch, u in [0, 1): up, hold, down."""
    rise = np.clip(position / _RAMP, 0.0, 1.0)
    fall = np.clip((1.0 - position) / _RAMP, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


@validate_params(
    {
        "path": [str, os.PathLike],
        "duration": [Interval(numbers.Real, 0, None, closed="neither")],
        "fps": [Interval(numbers.Real, 0, None, closed="neither")],
        "expressions": ["array-like"],
        "palsy_side": [StrOptions({"left", "right"}), None],
        "severity": [Interval(numbers.Real, 0, 1, closed="both")],
        "palsy_type": [StrOptions(set(PALSY_TYPES))],
        "image_size": [Interval(numbers.Integral, 64, None, closed="left")],
        "head_motion": [Interval(numbers.Real, 0, None, closed="left")],
        "fourcc": [str, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_synthetic_video(
    path,
    *,
    duration=10.0,
    fps=25.0,
    expressions=VIDEO_EXPRESSIONS,
    palsy_side=None,
    severity=0.7,
    palsy_type="peripheral",
    image_size=224,
    head_motion=1.0,
    fourcc=None,
    random_state=None,
):
    """Write a video of a synthetic face moving through expressions.

    One person (a random identity, as in
    :func:`~sklearn_palsy.datasets.make_synthetic_cohort`) is filmed for
    ``duration`` seconds. The video is cut into equal stretches, one per
    entry of ``expressions``; over the stretch of an expression the face
    moves from rest into it and back: its landmarks are ``rest + a(t) *
    (expression - rest)``, where the intensity ``a(t)`` rises from 0 to 1
    over the first 30 % of the stretch (a half cosine), holds at 1 and falls
    back over the last 30 %. On ``"rest"`` stretches ``a(t) = 0``. The head
    sways slowly (``head_motion``) and each frame has its own sensor noise.

    Parameters
    ----------
    path : str or path-like
        The video file to write; its extension chooses the container (see
        ``fourcc``). Written atomically: a reader never sees half a video.
    duration : float, default=10.0
        Length in seconds.
    fps : float, default=25.0
        Frames per second; the video has ``round(duration * fps)`` frames.
    expressions : sequence of str, default=("rest", "smile", "rest", \
"raise_eyebrows", "rest", "close_eyes", "rest")
        The stretches, in order, from ``"rest"``, ``"smile"``,
        ``"raise_eyebrows"``, ``"close_eyes"`` and ``"pucker"``.
    palsy_side : {"left", "right"} or None, default=None
        The subject's affected side; None films a control.
    severity : float, default=0.7
        Palsy severity, 0 (none) to 1 (no movement), when ``palsy_side`` is
        given.
    palsy_type : {"peripheral", "central"}, default="peripheral"
        The pattern of the palsy, as in ``make_synthetic_cohort``.
    image_size : int, default=224
        Side of the square frames in pixels; at least 64.
    head_motion : float, default=1.0
        Amplitude of the slow head sway: degrees of roll, and per cent of
        the frame of drift sideways. 0 holds the head still.
    fourcc : str, default=None
        The codec's four-character code; None chooses by extension:
        ``"mp4v"`` (MPEG-4 Part 2) for ``.mp4`` and ``.mov``, ``"MJPG"``
        (Motion JPEG) for ``.avi`` and ``.mkv``. These two work with the
        FFmpeg in OpenCV's wheels, which have no H.264 encoder.
    random_state : int, RandomState instance or None, default=None
        Seed for the identity, pose and noise.

    Returns
    -------
    truth : :class:`~sklearn.utils.Bunch`
        The ground truth, with fields

        - ``path``: the absolute path written;
        - ``fps``, ``n_frames``;
        - ``frame``: DataFrame with one row per frame: ``frame``,
          ``time_s``, ``expression`` (of the stretch) and ``intensity``
          (``a(t)``, 0 at rest and 1 at the expression's apex);
        - ``expression``, ``intensity``, ``time_s``: those columns as
          arrays;
        - ``landmarks``: ndarray of shape (n_frames, 68, 2), the iBUG
          landmarks painted in each frame, in pixels;
        - ``label`` (1 for palsy, 0 for a control), ``side`` (the subject's
          affected side or ``"none"``), ``severity``, ``palsy_type`` and
          ``region_severity`` (a dict, as the cohort's).

    Raises
    ------
    ValueError
        An unknown expression, or a codec OpenCV cannot write.

    See Also
    --------
    sample_video_frames : Choose frames of the video written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets._video import make_synthetic_video
    >>> path = Path(tempfile.mkdtemp()) / "P01.mp4"
    >>> truth = make_synthetic_video(path, duration=2.0, fps=5, image_size=64,
    ...                              expressions=("rest", "smile"),
    ...                              palsy_side="left", random_state=0)
    >>> truth.n_frames, truth.landmarks.shape
    (10, (10, 68, 2))
    >>> truth.expression.tolist()[::2]
    ['rest', 'rest', 'rest', 'smile', 'smile']
    >>> truth.intensity.round(2).tolist()[5:]
    [0.0, 0.75, 1.0, 1.0, 0.75]
    """
    expressions = tuple(expressions)
    unknown = sorted(set(expressions) - set(EXPRESSIONS))
    if unknown or not expressions:
        raise ValueError(
            f"expressions must be a non-empty sequence from {EXPRESSIONS}; got "
            f"{unknown or 'none'}"
        )
    path = Path(path).resolve()
    extension = path.suffix.lower()
    if not is_video_file(path):
        raise ValueError(
            f"the video's name must end in .mp4, .avi, .mov or .mkv; got {path.name!r}"
        )
    code = fourcc or _FOURCC[extension]
    if len(code) != 4:
        raise ValueError(f"fourcc must be four characters; got {code!r}")
    rng = check_random_state(random_state)
    generator = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))

    n_frames = max(1, round(duration * fps))
    time_s = np.arange(n_frames) / fps
    stretch = duration / len(expressions)
    which = np.minimum((time_s // stretch).astype(int), len(expressions) - 1)
    position = time_s / stretch - which
    expression = np.asarray([expressions[k] for k in which], dtype=object)
    intensity = np.where(expression == "rest", 0.0, _intensity(position))

    identity = draw_identity(generator)
    label = int(palsy_side is not None and severity > 0)
    side = palsy_side if label else None
    region_severity = severity_by_region(palsy_type if label else "none",
                                         severity if label else 0.0)
    shapes = {
        name: face_shape(identity, name, side, severity if label else 0.0,
                         region_severity=region_severity)
        for name in dict.fromkeys(("rest", *expressions))
    }
    # One placement for the whole video, with a slow sway of roll and
    # position around it.
    inter_ocular = image_size * generator.uniform(0.2, 0.235)
    centre = np.array([0.5, 0.4]) * image_size + generator.normal(0, 0.01, 2) * (
        image_size)
    base_roll = generator.normal(0.0, 2.0)
    phase = generator.uniform(0, 2 * np.pi)
    period = max(duration, 4.0)
    sway = np.sin(2 * np.pi * time_s / period + phase)

    landmarks = np.empty((n_frames, 68, 2))
    with tempfile.TemporaryDirectory() as folder:
        temporary = os.path.join(folder, "video" + extension)
        writer = cv2.VideoWriter(temporary, cv2.VideoWriter_fourcc(*code),
                                 float(fps), (image_size, image_size))
        if not writer.isOpened():
            writer.release()
            raise ValueError(
                f"OpenCV cannot write {extension} files with the codec {code!r}; "
                "try fourcc='mp4v' or 'MJPG'"
            )
        try:
            for index in range(n_frames):
                rest = shapes["rest"]
                shape = rest + intensity[index] * (shapes[expression[index]] - rest)
                angle = np.deg2rad(base_roll + head_motion * sway[index])
                rotation = np.array([[np.cos(angle), -np.sin(angle)],
                                     [np.sin(angle), np.cos(angle)]])
                offset = np.array([0.01 * head_motion * image_size * sway[index], 0])
                points = shape @ rotation.T * inter_ocular + centre + offset
                landmarks[index] = points
                rgb = render(points, identity, expression[index], generator,
                             image_size, side, region_severity["midface"])
                writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
        with open(temporary, "rb") as source:
            atomic_write(path, lambda handle: shutil.copyfileobj(source, handle),
                         mode="wb")

    frame = pd.DataFrame({
        "frame": np.arange(n_frames),
        "time_s": time_s,
        "expression": expression,
        "intensity": intensity,
    })
    return Bunch(
        path=str(path),
        fps=float(fps),
        n_frames=n_frames,
        frame=frame,
        expression=expression,
        intensity=intensity,
        time_s=time_s,
        landmarks=landmarks,
        label=label,
        side=side or "none",
        severity=float(severity) if label else 0.0,
        palsy_type=palsy_type if label else "none",
        region_severity=region_severity,
    )
