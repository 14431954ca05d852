"""Image discovery: a manifest, a folder or a list of files as image paths.

:func:`resolve_images` is what the command line and
:func:`~sklearn_palsy.paper.train_model` read their input with: any of the
three forms, with video files sampled into frame references.
"""

import os
from pathlib import Path

import numpy as np

from ..exceptions import (
    ImageFileNotFoundError,
    ManifestError,
    ManifestNotFoundError,
    format_listing,
)
from ..faces._files import VIDEO_EXTENSIONS, is_video_file, parse_frame_reference
from ._manifest import IMAGE_EXTENSIONS, find_images, load_image_folder, load_manifest
from ._video import expand_videos

__all__ = ["resolve_images"]


def resolve_images(source, *, labelled=False, n_frames=None, every=None,
                   method="uniform"):
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
        - one image or video file, or a list of them.
    labelled : bool, default=False
        Whether labels and patients are needed (``train``); ``extract`` and
        ``predict`` only need the images.
    n_frames, every, method : int, int, {"uniform", "movement"}
        How frames of videos are sampled; 10 per video, evenly spread, by
        default.

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

    Raises
    ------
    ManifestNotFoundError
        If ``source`` is a single path that does not exist.
    ImageFileNotFoundError
        If files of a list do not exist; the message names every one.
    ManifestError
        If a manifest or labelled folder is malformed, or a folder holds
        no image.
    VideoReadError
        If a video cannot be read; the message names it.

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
    """
    sampling = {"n_frames": n_frames, "every": every, "method": method}
    if isinstance(source, (list, tuple, np.ndarray)):
        paths = [str(path) for path in source]
        missing = [path for path in paths if not os.path.isfile(path)
                   and parse_frame_reference(path) is None]
        if missing:
            raise ImageFileNotFoundError(
                f"{len(missing)} image file(s) not found: "
                + format_listing(missing, separator=", ")
            )
        return _expanded(paths, sampling)
    path = Path(source)
    if not path.exists():
        raise ManifestNotFoundError("images, folder or manifest not found", path=path)
    video_options = {f"video_{name}": value for name, value in sampling.items()}
    if path.is_dir():
        if labelled:
            data = load_image_folder(path, **video_options)
            return data.X, data.y, data.groups, data.frame
        images = [os.path.join(path, *parts) for parts in find_images(path,
                                                                       videos=True)]
        if not images:
            raise ManifestError(
                f"no image or video file ({', '.join(IMAGE_EXTENSIONS)}, "
                f"{', '.join(VIDEO_EXTENSIONS)}) under {str(path)!r}",
                source=str(path),
            )
        return _expanded(images, sampling)
    if path.suffix.lower() == ".csv":
        data = load_manifest(path, **video_options)
        return data.X, data.y, data.groups, data.frame
    return _expanded([str(path)], sampling)


def _expanded(paths, sampling):
    """``resolve_images``' result for a list of files: videos become frames."""
    if not any(is_video_file(path) for path in paths):
        return np.asarray(paths, dtype=object), None, None, None
    data = expand_videos(paths, **sampling)
    table = data.table.drop(columns="index")
    table.insert(0, "image", data.X)
    return data.X, None, data.groups, table


