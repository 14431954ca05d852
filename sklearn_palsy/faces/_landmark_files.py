"""Landmark files: precomputed or corrected landmarks per image, read and written.

Emotrics' workflow is *detect, let a person correct, then measure*. The
files here carry landmarks between the steps: :func:`write_landmarks` saves
what the detector placed, any editor changes them, :func:`load_landmarks`
reads them back as a :class:`LandmarkSet`, and the face transformers (or
:func:`~sklearn_palsy.faces.analyze_faces`) given that set use its
landmarks instead of detecting.

Two formats are read and written.

**CSV** (``.csv``), UTF-8, one row per point, with a header naming at least
the columns ``image``, ``point``, ``x`` and ``y`` (in any order, any case):

- ``image``: the image's path, relative to the CSV file's folder unless
  absolute; a frame of a video as the frame reference
  ``"<video path>#frame=<index>"``; or an image's content key
  (:func:`~sklearn_palsy.faces.image_id`, 64 hexadecimal digits), which
  matches that image under any name, and arrays in memory;
- ``point``: the point's 0-based index in the landmark scheme (iBUG 300-W
  for dlib, Face Mesh's for MediaPipe);
- ``x``, ``y``: the point in pixels of the EXIF-oriented image, x right and
  y down, 0-based (the centre of the top-left pixel is (0, 0), as dlib
  places points).

An optional ``scheme`` column (``ibug68``, ``mediapipe478`` or an alias)
is checked against each image's number of points; other columns are
ignored, so an editor may add its own. Rows may come in any order; each
image must have the points 0 to K - 1 once each, and every image the same
K. A cell written by a spreadsheet-safe CSV writer (a leading ``'`` before
``=``, ``+``, ``-``, ``@``) is read without the quote.

**iBUG .pts** (``.pts``), one file per image, conventionally next to the
image with the same stem (``face01.jpg`` and ``face01.pts``)::

    version: 1
    n_points:  68
    {
    x y
    ...
    }

The format has no written standard for its origin. The 300-W annotations
were made in Matlab and are **1-based** (the centre of the top-left pixel
is (1, 1)); menpo, the iBUG group's own toolkit, therefore subtracts 1
when it reads a ``.pts`` file (menpo/menpo#160). That is assumed here:
``pts_origin=1`` subtracts 1 on reading and adds 1 on writing; pass
``pts_origin=0`` for tools that write 0-based files.

Numbers are written with all their digits (``repr``), so a file written and
read back gives the very same floats, in both formats.
"""

import csv
import decimal
import io
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..exceptions import (
    InvalidLandmarksError,
    LandmarkFileError,
    NotRegularFileError,
    format_listing,
)
from ..utils._atomic import atomic_write
from ._files import open_regular_file
from ._io import image_id
from ._landmark_set import _CONTENT_KEY, LandmarkSet, _frame, _normalise
from ._schemes import get_scheme

__all__ = [
    "LandmarkFileError",
    "load_landmarks",
    "write_landmarks",
]

_REQUIRED_COLUMNS = ("image", "point", "x", "y")
# What a spreadsheet takes as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Scheme names written in the CSV's scheme column, by number of points.
_SCHEME_OF_COUNT = {68: "ibug68", 478: "mediapipe478"}
# Enough digits for x + 1 to be exact for any float written with repr.
_EXACT = decimal.Context(prec=1000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _as_landmark_set(landmarks):
    """The ``landmarks`` parameter of the face functions as a LandmarkSet or None."""
    if landmarks is None or isinstance(landmarks, LandmarkSet):
        return landmarks
    if isinstance(landmarks, Mapping):
        return LandmarkSet(landmarks)
    if isinstance(landmarks, (str, os.PathLike, list, tuple)):
        return load_landmarks(landmarks)
    raise TypeError(
        "landmarks must be None, a mapping of images to landmark arrays, a "
        "LandmarkSet, or the path(s) of landmark files; got a "
        f"{type(landmarks).__name__}"
    )


# ------------------------------------------------------------------ reading
def _raise_problems(source, problems, what="malformed"):
    listing = format_listing(
        [reason if line is None else f"line {line}: {reason}"
         for line, reason in problems],
        separator="\n  ",
    )
    raise LandmarkFileError(
        f"landmark file {source!r} is {what}:\n  {listing}",
        source=source, problems=problems,
    )


def _read_text(path):
    """The text of a regular file, UTF-8 (with or without BOM)."""
    try:
        with open_regular_file(path) as handle:
            data = handle.read()
    except NotRegularFileError as error:
        raise LandmarkFileError(
            f"landmark file {path!r} {error}", source=path
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LandmarkFileError(
            f"landmark file {path!r} is not UTF-8 text ({error})", source=path
        ) from None


def _unescape(cell):
    """A cell without the quote that spreadsheet-safe writers put before formulas."""
    if cell.startswith("'") and cell[1:2] and cell[1] in "=+-@\t\r":
        return cell[1:]
    return cell


def _number(cell, name):
    """(value, None) for a finite number, or (None, reason)."""
    try:
        value = float(cell)
    except ValueError:
        return None, f"{name} is {cell!r}, not a number"
    if not np.isfinite(value):
        return None, f"{name} is {cell!r}, not a finite number"
    return value, None


def _read_csv(path):
    """Entries, origins and scheme of one landmark CSV; raise naming its lines."""
    root = os.path.dirname(os.path.abspath(path))
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            _raise_problems(path, [(None, "it is empty (no header line)")])
        names = [name.strip().lower() for name in header]
        missing = [name for name in _REQUIRED_COLUMNS if name not in names]
        repeated = sorted({name for name in names if name and names.count(name) > 1}
                          & {*_REQUIRED_COLUMNS, "scheme"})
        if missing or repeated:
            reasons = []
            if missing:
                reasons.append(f"the header lacks the column(s) {', '.join(missing)}")
            if repeated:
                reasons.append(f"the header repeats {', '.join(repeated)}")
            _raise_problems(path, [(1, " and ".join(reasons) + "; a landmark CSV "
                                       "has the columns image, point, x, y")])
        column = {name: names.index(name)
                  for name in (*_REQUIRED_COLUMNS, "scheme") if name in names}
        problems = []
        points = {}  # key -> {point: (x, y)}
        first = {}  # key -> (line, image as written)
        seen = {}  # (key, point) -> line
        schemes = {}  # key -> scheme cell
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append((line, f"has {len(row)} fields; the header has "
                                       f"{len(header)}"))
                continue
            image = _unescape(row[column["image"]])
            if not image.strip():
                problems.append((line, "the image is empty"))
                continue
            cell = row[column["point"]].strip()
            reasons = []
            try:
                point = int(cell)
            except ValueError:
                point = None
                reasons.append(f"point is {cell!r}, not an integer")
            else:
                if point < 0:
                    reasons.append(f"point is {point}; point indices start at 0")
            x, reason_x = _number(row[column["x"]].strip(), "x")
            y, reason_y = _number(row[column["y"]].strip(), "y")
            reasons += [reason for reason in (reason_x, reason_y) if reason]
            if reasons:
                problems.append((line, "; ".join(reasons)))
                continue
            key = _normalise(image, root)
            if (key, point) in seen:
                problems.append((line, f"point {point} of {image!r} is also on "
                                       f"line {seen[key, point]}"))
                continue
            seen[key, point] = line
            first.setdefault(key, (line, image))
            points.setdefault(key, {})[point] = (x, y)
            if "scheme" in column:
                scheme = row[column["scheme"]].strip()
                if schemes.setdefault(key, scheme) != scheme:
                    problems.append((line, f"scheme {scheme!r} of {image!r} differs "
                                           f"from {schemes[key]!r} on line "
                                           f"{first[key][0]}"))
    except csv.Error as error:
        _raise_problems(path, [(reader.line_num, f"is not valid CSV ({error})")])
    if problems:
        _raise_problems(path, problems)
    return _assemble_csv(path, points, first, schemes)


def _assemble_csv(path, points, first, schemes):
    """Check each image's points (no gap, one count) and build the arrays."""
    problems = []
    counts = {key: max(indices) + 1 for key, indices in points.items()}
    if counts:
        # The most frequent count; of equally frequent ones, the first seen.
        usual = Counter(counts.values()).most_common(1)[0][0]
    entries, origins, scheme_names = {}, {}, set()
    for key, indices in points.items():
        line, image = first[key]
        if len(indices) != counts[key]:
            gaps = sorted(set(range(counts[key])) - set(indices))
            problems.append((line, f"image {image!r} lacks point(s) "
                                   f"{_listing(gaps)} (it has points up to "
                                   f"{counts[key] - 1})"))
            continue
        if counts[key] != usual:
            problems.append((line, f"image {image!r} has {counts[key]} points, "
                                   f"the other images {usual}"))
            continue
        if schemes.get(key):
            try:
                expected = get_scheme(schemes[key]).n_landmarks
            except ValueError as error:
                problems.append((line, str(error)))
                continue
            if expected != counts[key]:
                problems.append((line, f"image {image!r} has {counts[key]} points, "
                                       f"but scheme {schemes[key]!r} has "
                                       f"{expected}"))
                continue
            scheme_names.add(get_scheme(schemes[key]).name)
        array = np.array([indices[i] for i in range(counts[key])], dtype=np.float64)
        array.setflags(write=False)
        entries[key] = array
        origins[key] = f"{path!r} (line {line})"
    if problems:
        _raise_problems(path, problems)
    scheme = scheme_names.pop() if len(scheme_names) == 1 else None
    return entries, origins, scheme


def _listing(indices):
    shown = ", ".join(str(i) for i in indices[:10])
    return shown if len(indices) <= 10 else f"{shown} and {len(indices) - 10} more"


def _pts_number(token, origin):
    """A .pts coordinate in 0-based pixels, exactly ``token - origin``."""
    if origin == 0:
        return float(token)
    value = _EXACT.subtract(decimal.Decimal(token), origin)
    if not value.is_finite():
        raise ValueError
    return float(value)


def _read_pts(path, origin):
    lines = _read_text(path).splitlines()
    problems = []
    header = {}
    opening = 0
    for opening, text in enumerate(lines, start=1):  # noqa: B007 - used below
        text = text.strip()
        if not text:
            continue
        if text == "{":
            break
        name, colon, value = text.partition(":")
        if not colon:
            _raise_problems(path, [(opening, f"{text[:40]!r} is neither a header line "
                                            "('version: 1', 'n_points: N') nor '{'")])
        header[name.strip().lower()] = (opening, value.strip())
    else:
        _raise_problems(path, [(None, "it has no '{' line before the points")])
    line_of, version = header.get("version", (None, "1"))
    if version not in ("1", "1.0"):
        problems.append((line_of, f"version is {version!r}; only version 1 is read"))
    if "n_points" not in header:
        _raise_problems(path, [(None, "its header has no 'n_points:' line")])
    line_of, declared = header["n_points"]
    try:
        n_points = int(declared)
        if n_points < 1:
            raise ValueError
    except ValueError:
        _raise_problems(path, [(line_of, f"n_points is {declared!r}, not a positive "
                                         "integer")])
    points, closed = [], None
    for number, text in enumerate(lines[opening:], start=opening + 1):
        text = text.strip()
        if not text:
            continue
        if closed is not None:
            problems.append((number, f"{text[:40]!r} after the closing '}}' on line "
                                     f"{closed}"))
            continue
        if text == "}":
            closed = number
            continue
        tokens = text.split()
        if len(tokens) != 2:
            problems.append((number, f"{text[:40]!r} is not two numbers 'x y'"))
            continue
        try:
            points.append([_pts_number(token, origin) for token in tokens])
        except (ValueError, ArithmeticError):
            problems.append((number, f"{text[:40]!r} is not two finite numbers"))
    if closed is None:
        problems.append((None, "it has no closing '}'"))
    elif not problems and len(points) != n_points:
        problems.append((line_of, f"n_points is {n_points}, but {len(points)} "
                                  "points are listed"))
    if problems:
        _raise_problems(path, problems)
    array = np.array(points, dtype=np.float64)
    array.setflags(write=False)
    key = os.path.abspath(path)
    return {key: array}, {key: repr(path)}, None


def _files(path_or_paths):
    """The landmark files named: files as they are, folders by their .pts files."""
    if isinstance(path_or_paths, (str, os.PathLike)):
        path_or_paths = [path_or_paths]
    elif not isinstance(path_or_paths, (list, tuple)):
        raise TypeError(
            "load_landmarks takes a path or a list of paths; got a "
            f"{type(path_or_paths).__name__}"
        )
    if not path_or_paths:
        raise ValueError("load_landmarks needs at least one path")
    files = []
    for path in path_or_paths:
        path = os.fspath(path)
        if not isinstance(path, str):
            raise TypeError(f"landmark file paths must be str; got {path!r}")
        if os.path.isdir(path):
            found = sorted(
                os.path.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(".pts")
                and os.path.isfile(os.path.join(path, name))
            )
            if not found:
                raise LandmarkFileError(f"folder {path!r} holds no .pts files",
                                        source=path)
            files += found
        elif path.lower().endswith((".csv", ".pts")):
            if not os.path.exists(path):
                raise FileNotFoundError(f"landmark file not found: {path!r}")
            files.append(path)
        else:
            raise LandmarkFileError(
                f"{path!r} is not a landmark file: expected a .csv file, a .pts "
                "file or a folder of .pts files", source=path,
            )
    return files


def load_landmarks(path_or_paths, *, pts_origin=1):
    """Read landmarks per image from CSV or iBUG ``.pts`` files.

    Parameters
    ----------
    path_or_paths : str, path-like, or list of them
        A ``.csv`` file (every image's points), a ``.pts`` file (one image's:
        the image in the same folder with the same stem), a folder (its
        ``.pts`` files, not those of subfolders), or a list of these, merged.
        The formats are described in the user guide's page on landmark
        correction and in this module's docstring.
    pts_origin : {1, 0}, default=1
        The coordinate of the top-left pixel's centre in ``.pts`` files: 1
        for the 1-based files of iBUG 300-W (subtracted on reading), 0 for
        tools that write 0-based pixels. CSV files are always 0-based.

    Returns
    -------
    landmarks : LandmarkSet
        Image (path, frame reference, ``.pts`` file or content key) to
        (n_points, 2) float64 array.

    Raises
    ------
    LandmarkFileError
        A file is malformed: missing columns, a value that is not a finite
        number, a point index that is not a non-negative integer, a point
        given twice, missing points, images with different numbers of
        points, or the same image in two files. The message names the
        file and every offending line (the first 20).
    FileNotFoundError
        A file does not exist.

    See Also
    --------
    write_landmarks : Write the files.
    sklearn_palsy.LandmarkDetector : Uses the landmarks given in place of
        detecting them (its ``landmarks`` parameter).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.faces._landmark_files import load_landmarks
    >>> folder = Path(tempfile.mkdtemp())
    >>> rows = [f"face.png,{i},{10 + i},{20.5 + i}" for i in range(68)]
    >>> _ = (folder / "marks.csv").write_text("image,point,x,y\\n" + "\\n".join(rows))
    >>> landmarks = load_landmarks(folder / "marks.csv")
    >>> landmarks
    LandmarkSet(1 images, 68 points each)
    >>> landmarks[str(folder / "face.png")][48].tolist()
    [58.0, 68.5]
    """
    if pts_origin not in (0, 1) or isinstance(pts_origin, bool):
        raise ValueError(f"pts_origin must be 0 or 1; got {pts_origin!r}")
    entries, origins, schemes, sources = {}, {}, set(), []
    for path in _files(path_or_paths):
        if path.lower().endswith(".csv"):
            found, where, scheme = _read_csv(path)
        else:
            found, where, scheme = _read_pts(path, pts_origin)
        for key, points in found.items():
            if key in entries:
                raise LandmarkFileError(
                    f"the image {key!r} has landmarks in {origins[key]} and in "
                    f"{where[key]}; give each image once", source=path,
                )
            entries[key] = points
            origins[key] = where[key]
        if scheme is not None:
            schemes.add(scheme)
        sources.append(path)
    counts = {}
    for key, points in entries.items():
        counts.setdefault(len(points), origins[key])
    if len(counts) > 1:
        raise LandmarkFileError(
            "the landmark files give images different numbers of points: "
            + "; ".join(f"{count} in {origin}" for count, origin in counts.items())
            + ". Every image needs the same landmark scheme", source=sources[0],
        )
    return LandmarkSet._from_checked(
        entries, origins, scheme=schemes.pop() if len(schemes) == 1 else None,
        sources=sources,
    )


# ------------------------------------------------------------------ writing
def _image_key(image, index):
    """(normalised key, image as written in messages) of one image."""
    if isinstance(image, np.ndarray):
        return image_id(image), f"image at index {index}"
    if isinstance(image, os.PathLike):
        image = os.fspath(image)
    if not isinstance(image, str) or not image:
        raise TypeError(
            f"image at index {index} is a {type(image).__name__}, not a path or "
            "an array"
        )
    return _normalise(image, os.getcwd()), repr(image)


def _csv_cell(key, folder):
    """How a normalised key is written in a CSV in ``folder``."""
    if _CONTENT_KEY.match(key):
        return key
    frame = _frame(key)
    path, suffix = (frame[0], f"#frame={frame[1]}") if frame else (key, "")
    try:
        path = os.path.relpath(path, folder)
    except ValueError:  # another drive, on Windows
        return key
    # A relative path that a spreadsheet would run as a formula gets "./" in
    # front: the same file, and plain text.
    if path.startswith(_FORMULA_START):
        path = os.path.join(os.curdir, path)
    return path + suffix


def _pts_text(points, origin):
    def number(value):
        if origin == 0:
            return repr(float(value))
        # repr's digits plus the origin, added exactly in decimal, so that
        # reading subtracts it back to the very same float.
        return str(_EXACT.add(decimal.Decimal(repr(float(value))), origin))

    lines = [f"{number(x)} {number(y)}" for x, y in points]
    return f"version: 1\nn_points:  {len(points)}\n{{\n" + "\n".join(lines) + "\n}\n"


def write_landmarks(path, images, landmarks, *, pts_origin=1, on_missing="raise"):
    """Write landmarks per image to a CSV file or to iBUG ``.pts`` files.

    What :class:`~sklearn_palsy.LandmarkDetector` returns can be written
    here, corrected in any editor and read back with
    :func:`load_landmarks`; the floats come back exactly. Files are written
    atomically (never half-written).

    Parameters
    ----------
    path : str, path-like or None
        A ``.csv`` file for the landmarks of all the images; a ``.pts`` file
        for one image's; or None for one ``.pts`` file beside each image,
        with its stem (``face01.jpg`` gets ``face01.pts``), the iBUG
        convention.
    images : sequence of str, path-like or ndarray
        The images as given to the face transformers: paths, frame
        references ``"<video>#frame=<i>"`` or arrays. In a CSV, paths are
        written relative to its folder (so the folder can move with its
        images), and arrays by their content key
        (:func:`~sklearn_palsy.faces.image_id`). ``.pts`` files hold image
        files' landmarks only.
    landmarks : array-like of shape (n_images, n_points, 2)
        x, y in pixels of each image, e.g. ``LandmarkDetector().transform(images)``.
    pts_origin : {1, 0}, default=1
        The coordinate of the top-left pixel's centre in ``.pts`` files
        (see :func:`load_landmarks`).
    on_missing : {"raise", "skip"}, default="raise"
        What to do with an image whose landmarks are all NaN (what
        ``LandmarkDetector(on_missing="nan")`` gives where no face was
        found): raise, or write no row for it (so that a person can add its
        points by hand).

    Returns
    -------
    paths : list of pathlib.Path
        The files written.

    Raises
    ------
    InvalidLandmarksError
        Landmarks that are partly NaN or infinite, all NaN with
        ``on_missing="raise"``, or different for two names of one image.

    See Also
    --------
    load_landmarks : Read them back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn_palsy.faces._landmark_files import (load_landmarks,
    ...     write_landmarks)
    >>> folder = Path(tempfile.mkdtemp())
    >>> points = np.random.default_rng(0).uniform(0, 200, size=(2, 68, 2))
    >>> images = [str(folder / "a.png"), str(folder / "b.png")]
    >>> write_landmarks(folder / "marks.csv", images, points)[0].name
    'marks.csv'
    >>> back = load_landmarks(folder / "marks.csv")
    >>> bool((back[images[1]] == points[1]).all())
    True
    """
    if pts_origin not in (0, 1) or isinstance(pts_origin, bool):
        raise ValueError(f"pts_origin must be 0 or 1; got {pts_origin!r}")
    if on_missing not in ("raise", "skip"):
        raise ValueError(f"on_missing must be 'raise' or 'skip'; got {on_missing!r}")
    if isinstance(images, (str, os.PathLike)):
        raise TypeError("images must be a sequence of images; wrap one path in a list")
    images = list(images)
    try:
        stack = np.asarray(landmarks, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidLandmarksError(
            "landmarks must be an array of numbers of shape (n_images, n_points, 2)"
        ) from None
    if stack.ndim != 3 or stack.shape[2] != 2 or stack.shape[1] == 0:
        raise InvalidLandmarksError(
            f"landmarks have shape {stack.shape}; expected (n_images, n_points, 2)"
        )
    if len(stack) != len(images):
        raise ValueError(f"{len(images)} images but landmarks of {len(stack)}")
    if path is not None:
        path = Path(path)
        kind = path.suffix.lower()
        if kind not in (".csv", ".pts"):
            raise ValueError(
                f"{str(path)!r}: landmark files end in .csv (all images) or .pts "
                "(one image); pass path=None for a .pts file beside each image"
            )
    else:
        kind = None

    rows, missing, partial = {}, [], []
    for index, (image, points) in enumerate(zip(images, stack, strict=True)):
        key, name = _image_key(image, index)
        finite = np.isfinite(points)
        if not finite.all():
            (missing if np.isnan(points).all() else partial).append(name)
            continue
        if key in rows:
            earlier_index, earlier = rows[key]
            if not np.array_equal(earlier, points):
                raise InvalidLandmarksError(
                    f"{name} and the image at index {earlier_index} are the same "
                    "image with different landmarks"
                )
            continue
        rows[key] = (index, points)
    if partial:
        raise InvalidLandmarksError(
            "the landmarks of " + format_listing(partial, separator=", ")
            + " are partly NaN or infinite"
        )
    if missing and on_missing == "raise":
        raise InvalidLandmarksError(
            "no landmarks (NaN) for " + format_listing(missing, separator=", ")
            + "; pass on_missing='skip' to write the others"
        )

    if kind == ".csv":
        folder = os.path.dirname(os.path.abspath(path))
        count = stack.shape[1]
        scheme = _SCHEME_OF_COUNT.get(count)

        def write(handle):
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["image", "point", "x", "y"]
                            + (["scheme"] if scheme else []))
            for key, (_, points) in rows.items():
                cell = _csv_cell(key, folder)
                for point, (x, y) in enumerate(points):
                    writer.writerow([cell, point, repr(float(x)), repr(float(y))]
                                    + ([scheme] if scheme else []))

        return [atomic_write(path, write, "w")]

    targets = {}  # .pts file -> (index of its image, points)
    for key, (index, points) in rows.items():
        if _CONTENT_KEY.match(key) or _frame(key):
            raise ValueError(
                f"the image at index {index} is an array or a video frame; .pts "
                "files hold the landmarks of image files only: write a .csv"
            )
        target = os.path.splitext(key)[0] + ".pts"
        if target in targets:
            raise ValueError(
                f"the images at index {targets[target][0]} and {index} share the "
                f"stem of {target!r}; write a .csv instead"
            )
        targets[target] = (index, points)
    if kind == ".pts" and len(targets) != 1:
        raise ValueError(
            f"a .pts file holds one image's landmarks; got {len(targets)} images. "
            "Pass path=None for a .pts file beside each image, or write a .csv"
        )
    written = []
    for target, (_, points) in targets.items():
        text = _pts_text(points, pts_origin)
        written.append(atomic_write(path if kind == ".pts" else target,
                                    lambda handle, text=text: handle.write(text), "w"))
    return written
