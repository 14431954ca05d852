"""Image discovery: a manifest, a folder or a list of files as image paths.

:func:`resolve_images` is what the command line and
:func:`~sklearn_palsy.paper.train_model` read their input with: any of the
three forms, with video files sampled into frame references.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import (
    ImageBatchError,
    ImageFileNotFoundError,
    ManifestError,
    ManifestNotFoundError,
    format_listing,
)
from ..faces._files import (
    VIDEO_EXTENSIONS,
    is_video_file,
    malformed_frame_reference,
    parse_frame_reference,
)
from ._manifest import (
    IMAGE_EXTENSIONS,
    _load_image_folder,
    _load_manifest,
    find_images,
)
from ._video import expand_videos

__all__ = ["resolve_images"]


def resolve_images(source, *, labelled=False, n_frames=None, every=None,
                   method="uniform", on_error="raise"):
    """Turn a manifest, a folder or a list of files into image paths.

    Video files (``.mp4 .avi .mov .mkv``, any case) are accepted wherever
    images are: each is sampled (``n_frames``, ``every``, ``method``, as in
    :func:`~sklearn_palsy.datasets.sample_video_frames`) and each sampled
    frame becomes one row, named by its frame reference
    ``"<video>#frame=<i>"``.

    Parameters
    ----------
    source : str, path-like or list of them
        - a CSV manifest (read by :func:`~sklearn_palsy.datasets.load_manifest`);
        - with ``labelled=True``, a folder laid out as
          ``root/<label>/<patient_id>/<image>`` (read by
          :func:`~sklearn_palsy.datasets.load_image_folder`, which checks
          the labels and patients);
        - with ``labelled=False``, any folder: every image and video file
          under it, at any depth, found as
          :func:`~sklearn_palsy.datasets.load_image_folder` finds them
          (extensions ``.jpg .jpeg .png .bmp .tif .tiff .webp`` and the
          video extensions, any case; hidden files and folders skipped;
          sorted by name, folder by folder). Folder names are not read as
          labels, so a tree such as ``photos/2024/jan/`` is simply listed;
        - one image or video file, or one frame reference
          ``"<video>#frame=<i>"``, or a list of them.
    labelled : bool, default=False
        Whether labels and patients are needed (``train``); ``extract`` and
        ``predict`` only need the images.
    n_frames, every, method : int, int, {"uniform", "movement"}
        How frames of videos are sampled; 10 per video, evenly spread, by
        default.
    on_error : {"raise", "skip"}, default="raise"
        What to do with inputs that cannot be used: files of a list that do
        not exist, frame references whose index is malformed or whose
        video does not exist, and videos that cannot be sampled (empty,
        corrupt, truncated), in a list, a folder or a manifest. With
        "raise", every input is checked first and one error names them all;
        with "skip", they are left out, the others are resolved, and a
        fifth value, ``failures``, lists them. The rest of a manifest or
        labelled folder is checked as strictly either way.

    Returns
    -------
    X : ndarray of str of shape (n_images,)
        Image paths and frame references, as an object array.
    y : ndarray of shape (n_images,) or None
        Labels, from a manifest or a labelled folder.
    groups : ndarray of shape (n_images,) or None
        Patient ids, from a manifest or a labelled folder; without them,
        each video is its own group.
    frame : pandas.DataFrame or None
        The loader's frame, from a manifest or a labelled folder; for
        unlabelled input with videos, the frames' table (``video``,
        ``frame``, ``time_s``).
    failures : pandas.DataFrame
        Only with ``on_error="skip"``: columns ``image`` (the file, video
        or frame reference as given; absolute for a manifest or folder) and
        ``error`` (why, naming the file, and the manifest line of a
        manifest's video), one row per input left out, in input order.

    Raises
    ------
    ManifestNotFoundError
        If ``source`` is a single path that does not exist.
    ImageFileNotFoundError
        If files of a list do not exist (frame references: their videos);
        the message names every one.
    VideoReadError
        If the only bad input is a frame reference with a malformed index
        (``"clip.mp4#frame=-1"``); the message names the reference.
    ImageBatchError
        If videos of a list or folder cannot be sampled, or inputs of a list
        fail for several reasons; ``failures`` names every one.
    ManifestError
        If a manifest or labelled folder is malformed, or a folder holds
        no image; or a video of theirs cannot be sampled.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets import resolve_images
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ["b.png", "a.JPG", "notes.txt"]:
    ...     _ = (folder / name).write_bytes(b"bytes")
    >>> X, y, groups, frame = resolve_images(folder)
    >>> [Path(x).name for x in X], y, groups
    (['a.JPG', 'b.png'], None, None)

    With ``on_error="skip"``, what cannot be used is listed, not raised:

    >>> X, _, _, _, failures = resolve_images(
    ...     [folder / "a.JPG", folder / "gone.png"], on_error="skip")
    >>> [Path(x).name for x in X], failures["error"].str[:14].tolist()
    (['a.JPG'], ['file not found'])
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}")
    sampling = {"n_frames": n_frames, "every": every, "method": method}
    if isinstance(source, (list, tuple, np.ndarray)):
        X, y, groups, frame, failures = _resolve_list(source, sampling, on_error)
    elif _is_frame_reference(source):
        X, y, groups, frame, failures = _resolve_list([source], sampling, on_error)
    else:
        X, y, groups, frame, failures = _resolve_path(source, sampling, on_error,
                                                      labelled)
    if on_error == "skip":
        return X, y, groups, frame, failures
    return X, y, groups, frame


def _is_frame_reference(source):
    """Whether one path given alone is a frame reference (well formed or not)."""
    if not isinstance(source, (str, os.PathLike)) or os.path.exists(source):
        return False
    return (parse_frame_reference(source) is not None
            or malformed_frame_reference(source) is not None)


def _resolve_list(source, sampling, on_error):
    """``resolve_images`` of a list of files; bad entries raise or are listed."""
    paths = [str(path) for path in source]
    problems = {}  # position -> (path, error)
    for position, path in enumerate(paths):
        if os.path.isfile(path):
            continue
        malformed = malformed_frame_reference(path)
        frame = parse_frame_reference(path)
        if malformed is not None:
            problems[position] = (path, malformed)
        elif frame is None:
            problems[position] = (path, ImageFileNotFoundError("file not found",
                                                               path=path))
        elif not os.path.exists(frame[0]):
            problems[position] = (path, ImageFileNotFoundError(
                f"video file not found for the frame reference {path!r}",
                path=frame[0]))
    kept = [path for position, path in enumerate(paths) if position not in problems]
    X, y, groups, frame, failures = _expanded(kept, sampling, "skip")
    # In input order: the entries refused here and the videos left out.
    position_of = {}
    for position, path in enumerate(paths):
        position_of.setdefault(path, position)
    rows = [(position, path, error) for position, (path, error) in problems.items()]
    rows += [(position_of.get(image, len(paths)), image, error)
             for image, error in zip(failures["image"], failures["error"],
                                     strict=True)]
    rows.sort(key=lambda row: row[0])
    if rows and on_error == "raise":
        raise _list_error([row[1:] for row in rows])
    return X, y, groups, frame, _failures([(path, str(error))
                                           for _, path, error in rows])


def _list_error(problems):
    """One error for the bad entries of a list: ``(path, error)`` pairs.

    Files that do not exist, alone, keep their short message; one malformed
    frame reference alone raises its own error; anything else is an
    :class:`ImageBatchError` naming every entry.
    """
    errors = [error for _, error in problems]
    if all(isinstance(error, ImageFileNotFoundError) for error in errors):
        return ImageFileNotFoundError(
            f"{len(problems)} image file(s) not found: "
            + format_listing([path for path, _ in problems], separator=", ")
        )
    if len(errors) == 1 and isinstance(errors[0], Exception):
        return errors[0]
    return ImageBatchError(_failures([(path, str(error))
                                      for path, error in problems]))


def _resolve_path(source, sampling, on_error, labelled):
    """``resolve_images`` of one folder, manifest, image or video."""
    path = Path(source)
    if not path.exists():
        raise ManifestNotFoundError("images, folder or manifest not found", path=path)
    video_options = {f"video_{name}": value for name, value in sampling.items()}
    if path.is_dir():
        if labelled:
            data, failures = _load_image_folder(path, on_video_error=on_error,
                                                **video_options)
            return data.X, data.y, data.groups, data.frame, failures
        images = [os.path.join(path, *parts) for parts in find_images(path,
                                                                       videos=True)]
        if not images:
            raise ManifestError(
                f"no image or video file ({', '.join(IMAGE_EXTENSIONS)}, "
                f"{', '.join(VIDEO_EXTENSIONS)}) under {str(path)!r}",
                source=str(path),
            )
        return _expanded(images, sampling, on_error)
    if path.suffix.lower() == ".csv":
        data, failures = _load_manifest(path, on_video_error=on_error,
                                        **video_options)
        return data.X, data.y, data.groups, data.frame, failures
    return _expanded([str(path)], sampling, on_error)


def _failures(rows):
    return pd.DataFrame(rows, columns=["image", "error"])


def _expanded(paths, sampling, on_error):
    """``resolve_images``' result for a list of files: videos become frames.

    Videos that cannot be sampled raise one error naming them all, or with
    ``on_error="skip"`` are returned as failures.
    """
    if not any(is_video_file(path) for path in paths):
        return np.asarray(paths, dtype=object), None, None, None, _failures([])
    data = expand_videos(paths, **sampling, on_error=on_error)
    table = data.table.drop(columns="index")
    table.insert(0, "image", data.X)
    return data.X, None, data.groups, table, data.failures
