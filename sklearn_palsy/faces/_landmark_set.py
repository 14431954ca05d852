"""LandmarkSet: landmarks of images, looked up by path, frame or content.

This module owns the container that carries given landmarks to the face
functions and transformers: a read-only mapping from images to (n_points,
2) arrays, with its key rules (paths made absolute and normalised, frame
references, content keys) and its matching of an image to its entry (own
path, ``.pts`` sidecar, content). Reading and writing landmark files is
:mod:`sklearn_palsy.faces._landmark_files`'s.
"""

import os
import re
from collections.abc import Mapping

import numpy as np

from ..exceptions import InvalidLandmarksError
from ._geometry import MAX_LANDMARK_COORDINATE
from ._io import image_id

__all__ = ["LandmarkSet"]

_CONTENT_KEY = re.compile(r"[0-9a-fA-F]{64}\Z")


def _absolute(path, root):
    # join keeps an absolute path as it is; normpath resolves "." and "..".
    return os.path.normpath(os.path.join(root, path))


def _frame(key):
    """``(video, index)`` when ``key`` is a frame reference, else None."""
    if "#frame=" not in key:  # the common case, without importing OpenCV
        return None
    from ._files import parse_frame_reference

    return parse_frame_reference(key)


def _normalise(key, root):
    """The key under which a path, frame reference or content key is stored."""
    key = os.fspath(key)
    if not isinstance(key, str):
        raise TypeError(f"landmark keys are str paths or content keys; got {key!r}")
    if _CONTENT_KEY.match(key):
        return key.lower()
    frame = _frame(key)
    if frame:
        return f"{_absolute(frame[0], root)}#frame={frame[1]}"
    return _absolute(key, root)


def _listing(indices, limit=10):
    shown = ", ".join(str(i) for i in indices[:limit])
    if len(indices) <= limit:
        return shown
    return f"{shown} and {len(indices) - limit} more"


def _checked_points(value, what, n_points=None):
    """``value`` as a finite (K, 2) float64 array, or an InvalidLandmarksError."""
    try:
        points = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidLandmarksError(
            f"the landmarks of {what} are not an array of numbers"
        ) from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise InvalidLandmarksError(
            f"the landmarks of {what} have shape {points.shape}; expected "
            "(n_points, 2)"
        )
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        raise InvalidLandmarksError(
            f"the landmarks of {what} are not all finite: point(s) "
            f"{_listing(np.flatnonzero(bad))} are NaN or infinite"
        )
    absurd = (np.abs(points) >= MAX_LANDMARK_COORDINATE).any(axis=1)
    if absurd.any():
        first = int(np.flatnonzero(absurd)[0])
        raise InvalidLandmarksError(
            f"the landmarks of {what} have point(s) {_listing(np.flatnonzero(absurd))} "
            f"beyond {MAX_LANDMARK_COORDINATE:.0f} pixels, farther than any image "
            f"reaches (point {first} is at {tuple(points[first].tolist())})"
        )
    if n_points is not None and len(points) != n_points:
        raise InvalidLandmarksError(
            f"the landmarks of {what} have {len(points)} points, the others "
            f"{n_points}; every image needs the same landmark scheme"
        )
    points.setflags(write=False)
    return points


class LandmarkSet(Mapping):
    """Landmarks of images, looked up by image path, frame reference or content.

    A read-only mapping from images to (n_points, 2) float64 arrays of
    landmarks in pixels, as :func:`load_landmarks` returns it and as the
    face transformers' ``landmarks`` parameter takes it. Keys are
    normalised when the set is made and when it is indexed:

    - a path becomes absolute and normalised (``./a/../b.png`` and
      ``b.png`` are one image), relative to ``root``;
    - a frame reference ``"<video>#frame=<i>"`` has its video path
      normalised the same way;
    - a content key (64 hexadecimal digits, what
      :func:`~sklearn_palsy.faces.image_id` returns) is kept, lower-cased.

    :meth:`find` matches an image as the face transformers do: by its own
    path, then by a ``.pts`` file beside it with the same stem, then by its
    content key.

    Parameters
    ----------
    landmarks : mapping, default=None
        Image path, frame reference or content key to (n_points, 2) array
        of x, y in pixels; every image with the same number of points.
    root : str or path-like, default=None
        Folder that relative paths are relative to; None is the current
        directory at the time the set is made.

    Attributes
    ----------
    n_points : int or None
        The number of points of every image; None when the set is empty.
    scheme : str or None
        The scheme named in a CSV's ``scheme`` column, if any.
    sources : tuple of str
        The files the landmarks were read from (empty when made in code).

    See Also
    --------
    load_landmarks : Read a set from files.
    write_landmarks : Write landmarks to files.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import LandmarkSet
    >>> given = LandmarkSet({"/data/a.png": np.zeros((68, 2))})
    >>> len(given), given.n_points
    (1, 68)
    >>> given["/data/x/../a.png"].shape
    (68, 2)
    >>> given.find("/data/b.png") is None
    True
    """

    def __init__(self, landmarks=None, *, root=None):
        root = os.path.abspath(os.getcwd() if root is None else os.fspath(root))
        if landmarks is None:
            landmarks = {}
        if not isinstance(landmarks, Mapping):
            raise TypeError(
                "landmarks must be a mapping of image paths or content keys to "
                f"arrays; got a {type(landmarks).__name__}"
            )
        entries, origins, n_points = {}, {}, None
        for key, value in landmarks.items():
            if isinstance(key, os.PathLike):
                key = os.fspath(key)
            if not isinstance(key, str) or not key:
                raise TypeError(
                    "landmark keys are image paths, frame references or content "
                    f"keys (non-empty str); got {key!r}"
                )
            normalised = _normalise(key, root)
            if normalised in entries:
                raise InvalidLandmarksError(
                    f"{key!r} and {origins[normalised]!r} name the same image"
                )
            points = _checked_points(value, repr(key), n_points)
            n_points = len(points)
            entries[normalised] = points
            origins[normalised] = key
        self._set(entries, origins, scheme=None, sources=())

    @classmethod
    def _from_checked(cls, entries, origins, *, scheme, sources):
        landmark_set = cls.__new__(cls)
        landmark_set._set(entries, origins, scheme=scheme, sources=sources)
        return landmark_set

    def _set(self, entries, origins, *, scheme, sources):
        self._entries = entries
        # Where each entry came from (the key as given, or a file and line),
        # for error messages.
        self._origins = origins
        self.scheme = scheme
        self.sources = tuple(sources)
        self.n_points = len(next(iter(entries.values()))) if entries else None
        self.has_content_keys = any(_CONTENT_KEY.match(key) for key in entries)

    def __getitem__(self, key):
        if isinstance(key, np.ndarray):
            key = image_id(key)
        return self._entries[_normalise(key, os.getcwd())]

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __eq__(self, other):
        if not isinstance(other, Mapping):
            return NotImplemented
        if not isinstance(other, LandmarkSet):
            other = LandmarkSet(other)
        return self._entries.keys() == other._entries.keys() and all(
            np.array_equal(value, other._entries[key])
            for key, value in self._entries.items()
        )

    __hash__ = None

    def __repr__(self):
        points = "" if self.n_points is None else f", {self.n_points} points each"
        return f"LandmarkSet({len(self)} images{points})"

    def origin(self, key):
        """Say where the landmarks stored under ``key`` came from.

        Parameters
        ----------
        key : str
            A key of this set (normalised, as iteration gives them).

        Returns
        -------
        origin : str
            The file and line, or the key as it was given in code.
        """
        return self._origins[key]

    def find(self, image, *, content_key=None):
        """Return the landmarks given for ``image``, or None if there are none.

        An image matches, in this order: an entry under its own path (or
        frame reference); an entry of a ``.pts`` file in the same folder
        with the same stem (``face.jpg`` matches ``face.pts``); an entry
        under its content key.

        Parameters
        ----------
        image : str, path-like or ndarray
            An image as the face transformers take it; arrays match by
            content only.
        content_key : str or callable, default=None
            The image's content key (:func:`~sklearn_palsy.faces.image_id`),
            or a function returning it, called only when the path did not
            match and the set holds content keys. None computes it then.

        Returns
        -------
        landmarks : ndarray of shape (n_points, 2) or None
            Read-only.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_palsy.faces import LandmarkSet
        >>> given = LandmarkSet({"/data/face.pts": np.ones((68, 2))})
        >>> given.find("/data/face.jpg")[0].tolist()
        [1.0, 1.0]
        """
        return self._entries.get(self.find_key(image, content_key=content_key))

    def find_key(self, image, *, content_key=None):
        """Return the key that :meth:`find` matches ``image`` to, or None."""
        if isinstance(image, os.PathLike):
            image = os.fspath(image)
        if isinstance(image, str):
            key = _normalise(image, os.getcwd())
            if key in self._entries:
                return key
            if not _frame(image) and not _CONTENT_KEY.match(image):
                sidecar = os.path.splitext(key)[0] + ".pts"
                if sidecar in self._entries:
                    return sidecar
        if not self.has_content_keys:
            return None
        if content_key is None:
            try:
                content_key = image_id(image)
            except FileNotFoundError:
                return None  # no file, no content to match
        elif callable(content_key):
            content_key = content_key()
        content_key = content_key.lower()
        return content_key if content_key in self._entries else None
