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

import array
import contextlib
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
from ._geometry import MAX_LANDMARK_COORDINATE
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
# Why a coordinate beyond the limit is refused, in messages.
_ABSURD = (f"beyond {MAX_LANDMARK_COORDINATE:.0f} pixels, farther than any image "
           "reaches")
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


@contextlib.contextmanager
def _text_lines(path, newline=None):
    """The lines of a regular file as UTF-8 text (BOM or not), read as they come.

    Streamed, so that a large file costs what its parsed values cost, not
    copies of its text; a decoding error anywhere is a LandmarkFileError.
    """
    try:
        handle = open_regular_file(path)
    except NotRegularFileError as error:
        raise LandmarkFileError(
            f"landmark file {path!r} {error}", source=path
        ) from None
    with io.TextIOWrapper(handle, encoding="utf-8-sig", newline=newline) as text:
        try:
            yield text
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
    """(value, None) for a finite number within the limit, or (None, reason)."""
    try:
        value = float(cell)
    except ValueError:
        return None, f"{name} is {cell!r}, not a number"
    if not np.isfinite(value):
        return None, f"{name} is {cell!r}, not a finite number"
    if abs(value) >= MAX_LANDMARK_COORDINATE:
        return None, f"{name} is {cell!r}, {_ABSURD}"
    return value, None


def _read_csv(path):
    """Entries, origins and scheme of one landmark CSV; raise naming its lines.

    The file is read row by row into compact columns (about 32 bytes a
    point, less than the text of a row), so that its memory is about its
    size however large it is; duplicates and gaps are found by sorting.
    """
    root = os.path.dirname(os.path.abspath(path))
    with _text_lines(path, newline="") as text:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            if header is None:
                _raise_problems(path, [(None, "it is empty (no header line)")])
            column = _csv_columns(path, header)
            problems, table = _csv_rows(reader, header, column, root)
        except csv.Error as error:
            _raise_problems(path, [(reader.line_num, f"is not valid CSV ({error})")])
    problems += _csv_duplicates(table)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        _raise_problems(path, problems)
    return _assemble_csv(path, table)


def _csv_columns(path, header):
    """The index of each known column; refuse a header without the required ones."""
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
    return {name: names.index(name)
            for name in (*_REQUIRED_COLUMNS, "scheme") if name in names}


class _CsvTable:
    """The valid rows of a landmark CSV, as columns of numbers.

    ``texts`` holds each distinct image cell once, ``key_of`` its normalised
    key's number (keys in order of first appearance); per row, ``text``
    (the cell's number), ``point``, ``x``, ``y`` and ``line``.
    """

    def __init__(self):
        self.texts, self.key_of, self.keys = [], [], []
        self.schemes = {}  # key number -> (scheme cell, its line)
        self.text = array.array("i")
        self.line = array.array("q")
        self.point = array.array("q")
        self.x = array.array("d")
        self.y = array.array("d")

    def columns(self):
        """The columns as numpy arrays (no copies), and each row's key number."""
        text = np.frombuffer(self.text, dtype=np.int32) if len(self.text) else (
            np.empty(0, np.int32))
        key_of = np.asarray(self.key_of, dtype=np.int64)
        return (key_of[text] if len(text) else np.empty(0, np.int64), text,
                *(np.frombuffer(column, dtype=column.typecode) if len(column)
                  else np.empty(0, column.typecode)
                  for column in (self.point, self.x, self.y, self.line)))


def _csv_rows(reader, header, column, root):
    """Read every row; return the problems and the valid rows."""
    problems = []
    table = _CsvTable()
    text_number, key_number = {}, {}
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
            elif point >= 1 << 62:
                reasons.append(f"point is {point}; no landmark scheme has that "
                               "many points")
        x, reason_x = _number(row[column["x"]].strip(), "x")
        y, reason_y = _number(row[column["y"]].strip(), "y")
        reasons += [reason for reason in (reason_x, reason_y) if reason]
        if reasons:
            problems.append((line, "; ".join(reasons)))
            continue
        if image not in text_number:
            key = _normalise(image, root)
            if key not in key_number:
                key_number[key] = len(table.keys)
                table.keys.append(key)
            text_number[image] = len(table.texts)
            table.texts.append(image)
            table.key_of.append(key_number[key])
        number = text_number[image]
        table.text.append(number)
        table.line.append(line)
        table.point.append(point)
        table.x.append(x)
        table.y.append(y)
        if "scheme" in column:
            scheme = row[column["scheme"]].strip()
            key = table.key_of[number]
            first, first_line = table.schemes.setdefault(key, (scheme, line))
            if first != scheme:
                problems.append((line, f"scheme {scheme!r} of {image!r} differs "
                                       f"from {first!r} on line {first_line}"))
    return problems, table


def _csv_duplicates(table):
    """A problem for each row that repeats a point of its image, at its line."""
    key, text, point, _, _, line = table.columns()
    order = np.lexsort((line, point, key))
    key, point = key[order], point[order]
    repeats = np.flatnonzero((key[1:] == key[:-1]) & (point[1:] == point[:-1])) + 1
    if not len(repeats):
        return []
    # The first row of each run of equal (key, point): where it was first given.
    new_run = (key[1:] != key[:-1]) | (point[1:] != point[:-1])
    starts = np.flatnonzero(np.r_[True, new_run])
    first_of = starts[np.searchsorted(starts, repeats, side="right") - 1]
    return [(int(line[order[row]]),
             f"point {int(point[row])} of {table.texts[text[order[row]]]!r} is also on "
             f"line {int(line[order[first]])}")
            for row, first in zip(repeats, first_of, strict=True)]


def _gaps(points, limit=10):
    """The first ``limit`` indices missing from sorted distinct ``points``."""
    gaps, expected = [], 0
    for point in points.tolist():
        while expected < point and len(gaps) < limit:
            gaps.append(expected)
            expected += 1
        if len(gaps) >= limit:
            break
        expected = point + 1
    return gaps


def _assemble_csv(path, table):
    """Check each image's points (no gap, one count) and build the arrays."""
    key, text, point, x, y, line = table.columns()
    order = np.lexsort((point, key))
    bounds = np.searchsorted(key[order], np.arange(len(table.keys) + 1))
    counts = [int(point[order[bounds[k + 1] - 1]]) + 1
              for k in range(len(table.keys))]
    if counts:
        # The most frequent count; of equally frequent ones, the first seen.
        usual = Counter(counts).most_common(1)[0][0]
    problems = []
    entries, origins, scheme_names = {}, {}, set()
    for number, name in enumerate(table.keys):
        rows = order[bounds[number] : bounds[number + 1]]
        first = rows[np.argmin(line[rows])]
        first_line, image = int(line[first]), table.texts[text[first]]
        count = counts[number]
        if len(rows) != count:
            gaps = _gaps(point[rows])
            more = count - len(rows) - len(gaps)
            listing = ", ".join(map(str, gaps)) + (f" and {more} more" if more else "")
            problems.append((first_line, f"image {image!r} lacks point(s) "
                                         f"{listing} (it has points up to "
                                         f"{count - 1})"))
            continue
        if count != usual:
            problems.append((first_line, f"image {image!r} has {count} points, "
                                         f"the other images {usual}"))
            continue
        scheme = table.schemes.get(number, ("", None))[0]
        if scheme:
            try:
                expected = get_scheme(scheme).n_landmarks
            except ValueError as error:
                problems.append((first_line, str(error)))
                continue
            if expected != count:
                problems.append((first_line, f"image {image!r} has {count} points, "
                                             f"but scheme {scheme!r} has {expected}"))
                continue
            scheme_names.add(get_scheme(scheme).name)
        given = np.column_stack([x[rows], y[rows]])
        given.setflags(write=False)
        entries[name] = given
        origins[name] = f"{path!r} (line {first_line})"
    if problems:
        _raise_problems(path, problems)
    scheme = scheme_names.pop() if len(scheme_names) == 1 else None
    return entries, origins, scheme


def _pts_number(token, origin):
    """A .pts coordinate in 0-based pixels, exactly ``token - origin``.

    Raises ValueError for what is not a finite number (``1e400`` included,
    which a float would read as infinity), and OverflowError for a value
    beyond :data:`MAX_LANDMARK_COORDINATE`.
    """
    if origin == 0:
        value = float(token)
    else:
        exact = _EXACT.subtract(decimal.Decimal(token), origin)
        if not exact.is_finite():
            raise ValueError
        value = float(exact)
    if not np.isfinite(value):
        raise ValueError
    if abs(value) >= MAX_LANDMARK_COORDINATE:
        raise OverflowError
    return value


def _read_pts(path, origin):
    """The points of one .pts file, read line by line; raise naming its lines."""
    with _text_lines(path) as text:
        return _parse_pts(path, enumerate(text, start=1), origin)


def _parse_pts(path, lines, origin):
    problems = []
    header = {}
    for opening, text in lines:  # noqa: B007 - used below
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
    points, closed = array.array("d"), None
    for number, text in lines:
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
            points.extend([_pts_number(token, origin) for token in tokens])
        except OverflowError:
            problems.append((number, f"{text[:40]!r} holds a coordinate {_ABSURD}"))
        except (ValueError, ArithmeticError):
            problems.append((number, f"{text[:40]!r} is not two finite numbers"))
    if closed is None:
        problems.append((None, "it has no closing '}'"))
    elif not problems and len(points) // 2 != n_points:
        problems.append((line_of, f"n_points is {n_points}, but {len(points) // 2} "
                                  "points are listed"))
    if problems:
        _raise_problems(path, problems)
    given = np.frombuffer(points, dtype=np.float64).reshape(-1, 2).copy()
    given.setflags(write=False)
    key = os.path.abspath(path)
    return {key: given}, {key: repr(path)}, None


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
