"""Reading a cohort of patient images from a CSV manifest or a folder tree.

The unit of data is one image of one patient; the group is the patient. Both
loaders return the same :class:`~sklearn.utils.Bunch`: ``X`` holds absolute
image paths (the input every image transformer takes), ``y`` the labels and
``groups`` the patient ids, ready for ``GroupKFold``.

Both loaders check the whole input before raising, so that one
:class:`~sklearn_palsy.exceptions.ManifestError` names every bad row at once
instead of one per run. Images are only checked to exist here; decoding them is
the image readers' job.
"""

import csv
import hashlib
import io
import math
import os
import re
import stat
import unicodedata
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..exceptions import (
    ImageReadError,
    ManifestError,
    ManifestNotFoundError,
    format_listing,
)
from ..faces._files import open_regular_file
from ..faces._video import (
    VIDEO_EXTENSIONS,
    frame_reference,
    is_video_file,
    parse_frame_reference,
    video_info,
)
from ..utils._validation import mixed_label_patients

__all__ = ["load_image_folder", "load_manifest"]

_REQUIRED_COLUMNS = ("image", "label", "patient_id")
# The column load_manifest adds to the frame, holding each image's absolute path.
_PATH_COLUMN = "path"
#: File extensions read as images (any case) wherever the package lists a
#: folder: the image-folder loader and the command line's folder of photos.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_IMAGE_EXTENSIONS = frozenset(IMAGE_EXTENSIONS)
_IMAGE_AND_VIDEO_EXTENSIONS = _IMAGE_EXTENSIONS | frozenset(VIDEO_EXTENSIONS)
# The columns the loaders add for frames of videos, when there are any.
_VIDEO_COLUMNS = ("video", "frame", "time_s")
# ASCII digits only: int() and float() would also accept "1_000", non-Latin
# digits, "nan" and "inf".
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_INT64 = np.iinfo(np.int64)
# Characters that do not show in a table or a file manager: format characters
# (zero-width space and joiners, soft hyphen, byte order mark, direction
# marks), controls and line or paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp"})
_FOLDER_LAYOUT = "<root>/<label>/<patient_id>/<image>"


def load_manifest(path, *, allow_mixed_patient_labels=False, video_n_frames=None,
                  video_every=None, video_method="uniform"):
    """Load a cohort of patient images listed in a CSV manifest.

    Each row of the manifest is one image of one patient, one video of one
    patient (which becomes one row per sampled frame), or one frame of a
    video. The columns ``image``, ``label`` and ``patient_id`` are
    required; ``expression``, ``side``, ``grade`` and any other column are
    optional and kept in the returned frame. The whole manifest is checked
    before anything is returned, and every problem found is reported in a
    single error.

    Parameters
    ----------
    path : str or path-like
        The manifest, a comma-separated UTF-8 file whose first line names the
        columns:

        - ``image``: the image file, relative to the manifest's folder, or
          absolute; or a video file (``.mp4``, ``.avi``, ``.mov``, ``.mkv``,
          any case), whose sampled frames each become a row; or one frame
          of a video, ``clip.mp4#frame=<index>`` (0-based).
        - ``label``: the class of the image, for example ``1`` for palsy and
          ``0`` for a control.
        - ``patient_id``: who is in the image; read as text, so ``007`` stays
          ``"007"``.
        - ``expression``, ``side``, ``grade`` (optional), and any other
          column.

        Leading and trailing spaces are stripped from every cell, and blank
        lines are skipped.

    allow_mixed_patient_labels : bool, default=False
        Accept a patient whose images have different labels. By default that
        is an error: a patient is one person with one diagnosis, so it is
        usually a mislabelled image or two people under one id. Set it for a
        study that labels images rather than patients (before and after
        treatment, say); a group-aware split then still keeps each patient on
        one side, but per-patient scores
        (:func:`~sklearn_palsy.evaluate_pipelines`) are not defined.
    video_n_frames : int, default=None
        Frames sampled from each video: 10 when neither this nor
        ``video_every`` is given. See
        :func:`~sklearn_palsy.datasets.sample_video_frames`.
    video_every : int, default=None
        Sample every ``video_every``-th frame of each video instead.
    video_method : {"uniform", "movement"}, default="uniform"
        How frames are chosen: spread evenly (only the video's header is
        read), or the most neutral frame and the apexes of the movements
        (each video is decoded once). See
        :func:`~sklearn_palsy.datasets.sample_video_frames`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, in the manifest's row order (each video's
        frames in order, where its row was), with attributes:

        X : ndarray of str of shape (n_images,)
            Absolute path of each image (the frame reference
            ``<absolute video path>#frame=<index>`` of each frame), as an
            object array.
        y : ndarray of shape (n_images,)
            Label of each image: int64 when every label is an integral
            number, float64 when every label is a number and some are not
            integral, otherwise strings; see Notes.
        groups : ndarray of str of shape (n_images,)
            Patient id of each image (stripped, in Unicode NFC), as an object
            array; pass it as ``groups`` to a group-aware splitter such as
            ``GroupKFold``. A video's frames have its row's patient, so a
            patient's videos and photos stay on one side of a split.
        frame : :class:`pandas.DataFrame` of shape (n_images, n_columns + 1)
            Every column of the manifest, plus ``path``, the absolute path of
            each image. ``label`` holds the values of ``y`` and
            ``patient_id`` those of ``groups``; in the other columns empty
            cells are missing values, and a column whose values are all
            numbers is numeric. A frame of a video repeats its video's row,
            with ``image`` ending in ``#frame=<index>``. When the manifest
            lists videos, three columns follow: ``video`` (the absolute path
            of the video; missing for photos), ``frame`` (the frame index,
            nullable Int64) and ``time_s`` (its time in the video, seconds;
            NaN for photos).
        source : str
            Absolute path of the manifest.
        DESCR : str
            A short description of the cohort.

    Raises
    ------
    ManifestNotFoundError
        If the manifest file does not exist. It is also a
        :class:`FileNotFoundError`.
    ManifestError
        If the manifest is malformed: not UTF-8 CSV text, empty, without data
        rows, without a required column, with a column named twice or named
        ``path``, or with rows that have the wrong number of fields, an empty
        image, label or patient id, an image path that cannot exist (it holds
        a NUL character), an image file that does not exist, or an
        image already listed on an earlier row (after resolving ``..`` and
        symbolic links); or if the labels or patient ids break the rules in
        Notes; or a video that cannot be sampled (empty, corrupt,
        truncated), that is listed both whole and by frames, or under two
        patient ids. Every problem is reported: the message names the first 20
        offending lines (the header is line 1) with their images and counts
        the rest, and ``error.problems`` lists every ``(line, reason)`` pair.
        Problems about the file as a whole are reported on line 1, problems
        about several rows on the first of them. It is also a
        :class:`ValueError`.

    See Also
    --------
    load_image_folder : Load images laid out as ``root/<label>/<patient_id>/``.
    make_synthetic_cohort : Generate a cohort, optionally written with a
        manifest that this function reads.

    Notes
    -----
    Labels and patient ids are text in a CSV file, so one class or one
    patient can be written in several ways. They are read by these rules,
    which :func:`load_image_folder` applies to folder names too:

    - Surrounding whitespace is stripped and the text is put in Unicode NFC,
      so an accent typed as one character or as two is the same id.
    - When every label is a number, written with ASCII digits (``1``,
      ``+1``, ``1.0``, ``1e0``, ``.5``), labels are numbers: int64 when all
      are integral, so that ``1`` and ``1.0`` are one class; float64 when
      some are not (``0.5``), in which case all are float64. When no label
      is a number, labels are strings, with their case kept.
    - Refused: a label column that mixes numbers and text (the rows of the
      rarer kind are named), ``nan`` and ``inf`` labels, numbers too large
      for int64, and text labels or patient ids that differ only by case,
      spaces or invisible characters (zero-width space and joiners, soft
      hyphen, byte order mark, line breaks and other Unicode format or
      control characters), such as ``Palsy`` and ``palsy`` or ``P01`` and
      ``P 01``. Each such error names every spelling and its rows: decide
      which is meant and write that one; nothing is merged silently.
    - A patient whose images have different labels is refused unless
      ``allow_mixed_patient_labels=True``.

    Labels that are numbers are compared as float64 numbers, so ``0.1`` and
    ``0.10`` are one class.

    The same file listed twice is refused; two files with the same bytes
    (a copy, or a hard link) listed for different patients give a
    ``UserWarning`` naming both rows and patients, since a photo or video
    shows one person. Only files of equal size are read to compare them.

    The images are not opened: a file that exists but is not an image is
    reported when a transformer reads it. Videos are opened to choose their
    frames (``video_method="uniform"`` reads the header and decodes one
    frame; ``"movement"`` decodes the whole video once), and to read the
    frame rate of those listed by frame.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets import load_manifest
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = Path(tmp.name)
    >>> for name in ["p1_rest.png", "p1_smile.png", "p2_rest.png"]:
    ...     _ = (folder / name).write_bytes(name.encode())
    >>> _ = (folder / "manifest.csv").write_text(
    ...     "image,label,patient_id,expression\\n"
    ...     "p1_rest.png,1,007,rest\\n"
    ...     "p1_smile.png,1,007,smile\\n"
    ...     "p2_rest.png,0,012,rest\\n"
    ... )
    >>> data = load_manifest(folder / "manifest.csv")
    >>> [Path(image).name for image in data.X]
    ['p1_rest.png', 'p1_smile.png', 'p2_rest.png']
    >>> data.y
    array([1, 1, 0])
    >>> data.groups
    array(['007', '007', '012'], dtype=object)
    >>> data.frame["expression"].tolist()
    ['rest', 'smile', 'rest']

    Every bad row is named in one error:

    >>> from sklearn_palsy.exceptions import ManifestError
    >>> _ = (folder / "bad.csv").write_text(
    ...     "image,label,patient_id\\n"
    ...     "p1_rest.png,1,\\n"
    ...     "p2_rest.png,0,012\\n"
    ...     "missing.png,,012\\n"
    ... )
    >>> try:
    ...     load_manifest(folder / "bad.csv")
    ... except ManifestError as error:
    ...     for line, reason in error.problems:
    ...         print(line, reason.split(":")[0])
    2 empty patient_id
    4 image file not found
    4 empty label
    >>> tmp.cleanup()
    """
    data, _ = _load_manifest(
        path, allow_mixed_patient_labels=allow_mixed_patient_labels,
        video_n_frames=video_n_frames, video_every=video_every,
        video_method=video_method,
    )
    return data


def _load_manifest(path, *, allow_mixed_patient_labels=False, video_n_frames=None,
                   video_every=None, video_method="uniform", on_video_error="raise"):
    """:func:`load_manifest`, and the videos it left out.

    With ``on_video_error="skip"``, rows of videos that exist but cannot be
    sampled or opened (empty, corrupt, truncated) are left out instead of
    refused, and returned as failures (``image``: the video's absolute path,
    or its frame reference; ``error``: why, with the manifest line). Every
    other problem of the manifest is still an error.
    """
    _check_video_sampling(video_n_frames, video_every, video_method)
    source = _absolute_path(path)
    if not os.path.exists(source):
        raise ManifestNotFoundError("manifest file not found", path=source)
    if os.path.isdir(source):
        reason = (
            "this is a folder, not a CSV file; use load_image_folder to read "
            "a folder of images"
        )
        raise _manifest_error(source, [(1, reason)])
    header_line, columns, records = _read_csv(source)
    problems = _check_header(columns, header_line, has_rows=bool(records))
    position = {}
    for index, name in enumerate(columns):
        position.setdefault(name, index)
    images = {}  # line -> image cell, to name each bad row by its image
    rows = []
    lines = []  # the line of each row in rows
    folder = os.path.dirname(source)
    first_line_of_file = {}  # resolved image path -> first line listing it
    videos = {}  # line -> (absolute video path, frame or None, resolved path)
    for line, fields in records:
        if len(fields) != len(columns):
            problems.append(
                (line, f"has {len(fields)} fields; the header has {len(columns)}")
            )
            continue
        cells = [field.strip() for field in fields]
        rows.append(cells)
        lines.append(line)
        if "image" in position:
            image = images[line] = cells[position["image"]]
            problems.extend(
                (line, reason)
                for reason in _check_image(image, folder, line, first_line_of_file,
                                           videos)
            )
        for name in ("label", "patient_id"):
            if name in position:
                blank = _check_blank(cells[position[name]], name)
                problems.extend((line, reason) for reason in blank)
    y = groups = None
    if "label" in position and "patient_id" in position:
        labels, patient_ids = (
            [_kept_spelling(cells[position[name]]) for cells in rows]
            for name in ("label", "patient_id")
        )
        y, groups, cohort_problems = _check_cohort(
            labels, patient_ids, lines, _describe_lines,
            allow_mixed_patient_labels=allow_mixed_patient_labels,
        )
        problems.extend(cohort_problems)
        problems.extend(_video_problems(videos, dict(zip(lines, patient_ids,
                                                         strict=True))))
    if problems:
        # Problems about the whole cohort are reported on their first line.
        problems.sort(key=lambda problem: problem[0])
        raise _manifest_error(source, problems, images)

    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if name not in _REQUIRED_COLUMNS:
            frame[name] = _infer_column(frame[name])
    frame["label"] = y
    frame["patient_id"] = groups
    frame[_PATH_COLUMN] = [
        _join(folder, image) if line not in videos
        else _video_path(videos[line][0], videos[line][1])
        for image, line in zip(frame["image"].tolist(), lines, strict=True)
    ]
    _warn_identical_files(
        [(line, videos[line][0] if line in videos else _join(folder, image), patient)
         for image, line, patient in zip(frame["image"].tolist(), lines, groups,
                                         strict=True)],
        lambda line: f"line {line}, ",
    )
    if videos:
        sampling = {"n_frames": video_n_frames, "every": video_every,
                    "method": video_method}
        frame, y, problems = _expand_video_rows(
            frame, y, [videos.get(line) for line in lines], lines, sampling,
            skip=on_video_error == "skip",
        )
        if problems and on_video_error == "raise":
            raise _manifest_error(source, _reasons(problems), images)
        failures = _video_failures(problems, "manifest line {}")
    else:
        failures = _video_failures([], "")
    return _make_bunch(frame, y, source, "manifest"), failures


def load_image_folder(root, *, allow_mixed_patient_labels=False,
                      video_n_frames=None, video_every=None,
                      video_method="uniform"):
    """Load a cohort of patient images laid out in folders by label and patient.

    The layout is ``root/<label>/<patient_id>/<image>``: one folder per label,
    holding one folder per patient, holding that patient's images and
    videos. Image files are recognised by their extension (``.jpg``,
    ``.jpeg``, ``.png``, ``.bmp``, ``.tif``, ``.tiff`` or ``.webp``, in any
    case), and so are videos (``.mp4``, ``.avi``, ``.mov``, ``.mkv``), each
    of which becomes one row per sampled frame; other files and hidden files
    and folders (whose names start with ``.``) are ignored.

    Parameters
    ----------
    root : str or path-like
        The top folder of the layout.
    allow_mixed_patient_labels : bool, default=False
        Accept a patient folder name that appears under two label folders.
        By default that is an error (see Notes); set it for a study that
        labels images rather than patients.
    video_n_frames, video_every, video_method
        How frames of videos are sampled, as in :func:`load_manifest`: 10
        evenly spread frames per video by default.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        The same attributes as :func:`load_manifest` returns, one row per
        image (and per sampled frame of each video, in order), sorted by
        label folder, then patient folder, then file name:

        X : ndarray of str of shape (n_images,)
            Absolute path of each image, as an object array.
        y : ndarray of shape (n_images,)
            The name of each image's label folder: int64 when every label
            folder's name is an integral number, float64 when every name is
            a number and some are not integral, otherwise strings; see
            Notes.
        groups : ndarray of str of shape (n_images,)
            The name of each image's patient folder (stripped, in Unicode
            NFC), as an object array.
        frame : :class:`pandas.DataFrame` of shape (n_images, 4)
            Columns ``image`` (the path relative to ``root``, with ``/``),
            ``label``, ``patient_id`` and ``path`` (the absolute path); for
            a frame of a video, both end in ``#frame=<index>``. When there
            are videos, also ``video``, ``frame`` and ``time_s``, as in
            :func:`load_manifest`.
        source : str
            Absolute path of ``root``.
        DESCR : str
            A short description of the cohort.

    Raises
    ------
    ManifestNotFoundError
        If ``root`` does not exist. It is also a :class:`FileNotFoundError`.
    ManifestError
        If ``root`` is not a folder, holds no image, holds images at another
        depth than ``root/<label>/<patient_id>/<image>``, or holds one file
        twice (through symbolic links); or if the folder names break the
        rules in Notes, or holds a video that cannot be sampled. Every
        problem is reported: the message names the
        first 20 offending files or patient folders and counts the rest, and
        ``error.problems`` lists every ``(path, reason)`` pair, with paths
        relative to ``root``. It is also a :class:`ValueError`.

    See Also
    --------
    load_manifest : Load images listed in a CSV file, with optional columns.

    Notes
    -----
    Patients are told apart by the name of their folder alone, so the same
    name under two label folders is one patient with images in two classes,
    which is refused unless ``allow_mixed_patient_labels=True``. Number
    patients across the whole cohort, not within each label.

    Two files with the same bytes in the folders of different patients give
    a ``UserWarning`` naming both, as in :func:`load_manifest`.

    Folder names are read by the rules of :func:`load_manifest`: stripped
    and put in Unicode NFC (macOS file systems give decomposed accents);
    label folders that are all numbers (``1``, ``1.0``, ``+1``, ``1e0``)
    give int64 labels when all are integral (``1`` and ``1.0`` are one
    class), float64 otherwise, and label folders with no number give
    strings, with their case kept. Refused, naming each patient folder:
    label folders that mix numbers and names, ``nan`` or ``inf`` label
    folders, and label or patient folder names that differ only by case,
    spaces or invisible characters (``Palsy`` and ``palsy``, ``P01`` and
    ``p01``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets import load_image_folder
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> for name in ["1/P01/rest.jpg", "1/P01/smile.jpg", "0/C01/rest.PNG"]:
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_bytes(name.encode())
    >>> data = load_image_folder(root)
    >>> data.frame["image"].tolist()
    ['0/C01/rest.PNG', '1/P01/rest.jpg', '1/P01/smile.jpg']
    >>> data.y
    array([0, 1, 1])
    >>> data.groups
    array(['C01', 'P01', 'P01'], dtype=object)

    An image outside a patient folder is an error, not skipped:

    >>> from sklearn_palsy.exceptions import ManifestError
    >>> _ = (root / "1" / "stray.jpg").write_bytes(b"image bytes")
    >>> try:
    ...     load_image_folder(root)
    ... except ManifestError as error:
    ...     print(error.problems[0][0])
    1/stray.jpg
    >>> tmp.cleanup()
    """
    data, _ = _load_image_folder(
        root, allow_mixed_patient_labels=allow_mixed_patient_labels,
        video_n_frames=video_n_frames, video_every=video_every,
        video_method=video_method,
    )
    return data


def _load_image_folder(root, *, allow_mixed_patient_labels=False,
                       video_n_frames=None, video_every=None,
                       video_method="uniform", on_video_error="raise"):
    """:func:`load_image_folder`, and the videos it left out.

    ``on_video_error`` is as in :func:`_load_manifest`; a failure's error
    names the video by its path below ``root``.
    """
    source = _absolute_path(root)
    if not os.path.exists(source):
        raise ManifestNotFoundError("image folder not found", path=source)
    if not os.path.isdir(source):
        hint = (
            "; use load_manifest to read a CSV manifest"
            if source.lower().endswith(".csv")
            else ""
        )
        raise _folder_error(source, [(source, f"this is a file, not a folder{hint}")])

    _check_video_sampling(video_n_frames, video_every, video_method)
    found = find_images(source, videos=True)
    problems = []
    rows = []
    first_of_file = {}  # resolved image path -> first relative path naming it
    for parts in found:
        relative = "/".join(parts)
        if len(parts) != 3:
            problems.append((relative, _wrong_depth_reason(len(parts))))
            continue
        resolved = os.path.realpath(os.path.join(source, *parts))
        if resolved in first_of_file:
            problems.append((relative, f"same file as {first_of_file[resolved]!r}"))
            continue
        first_of_file[resolved] = relative
        rows.append((relative, parts[0], parts[1]))
    if not found:
        problems.append(
            (
                source,
                "no image files found; expected "
                f"{_FOLDER_LAYOUT} with one of the extensions "
                + ", ".join(sorted(_IMAGE_AND_VIDEO_EXTENSIONS)),
            )
        )
    # Labels and patients are checked once per patient folder, and named by it.
    folders = list(dict.fromkeys((label, patient) for _, label, patient in rows))
    folder_names = [f"{label}/{patient}" for label, patient in folders]
    for name, (label, patient) in zip(folder_names, folders, strict=True):
        for what, folder_name in (("label", label), ("patient_id", patient)):
            problems.extend(
                (name, f"{reason} (folder name)")
                for reason in _check_blank(folder_name.strip(), what)
            )
    y_of_folder, group_of_folder, cohort_problems = _check_cohort(
        [_kept_spelling(label) for label, _ in folders],
        [_kept_spelling(patient) for _, patient in folders],
        folder_names,
        _describe_folders,
        allow_mixed_patient_labels=allow_mixed_patient_labels,
    )
    problems.extend(cohort_problems)
    if problems:
        raise _folder_error(source, problems)

    index_of_folder = {folder: index for index, folder in enumerate(folders)}
    indices = [index_of_folder[label, patient] for _, label, patient in rows]
    y = y_of_folder[indices]
    frame = pd.DataFrame(
        {
            "image": [relative for relative, _, _ in rows],
            "label": y,
            "patient_id": [group_of_folder[index] for index in indices],
        }
    )
    frame[_PATH_COLUMN] = [
        os.path.join(source, *image.split("/")) for image in frame["image"].tolist()
    ]
    _warn_identical_files(
        list(zip(frame["image"], frame[_PATH_COLUMN], frame["patient_id"],
                 strict=True)),
        lambda relative: "",
    )
    videos = [
        (path, None, os.path.realpath(path)) if is_video_file(path) else None
        for path in frame[_PATH_COLUMN].tolist()
    ]
    if any(video is not None for video in videos):
        sampling = {"n_frames": video_n_frames, "every": video_every,
                    "method": video_method}
        frame, y, problems = _expand_video_rows(
            frame, y, videos, frame["image"].tolist(), sampling,
            skip=on_video_error == "skip",
        )
        if problems and on_video_error == "raise":
            raise _folder_error(source, _reasons(problems))
        failures = _video_failures(problems, "{!r} in the folder")
    else:
        failures = _video_failures([], "")
    return _make_bunch(frame, y, source, "image folder"), failures


def _absolute_path(path):
    """Return ``path`` as an absolute, normalised string."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(
            f"expected a path as a str or path-like object; got {type(path).__name__}"
        )
    return os.path.abspath(os.fsdecode(path))


def _join(folder, image):
    """Return the absolute path of ``image``, relative to ``folder`` unless absolute."""
    return os.path.normpath(os.path.join(folder, image))


def _read_csv(source):
    """Split a manifest into its header and data records.

    Returns
    -------
    header_line : int
        The 1-based line of the header.
    columns : list of str
        The column names, stripped; an empty name becomes ``"Unnamed: i"``.
    records : list of (int, list of str)
        The first line of each record and its fields, blank lines left out.
        Line numbers are physical lines, so they stay right when a quoted field
        spans several lines.
    """
    with open(source, "rb") as file:
        raw = file.read()
    try:
        text = raw.decode("utf-8-sig")  # accepts the BOM that Excel writes
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        reason = "not UTF-8 text; is this a CSV file? Save it as UTF-8 CSV"
        raise _manifest_error(source, [(line, reason)]) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    records = []
    last_line = 0
    try:
        for fields in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if len(fields) <= 1 and not "".join(fields).strip():
                continue
            if header is None:
                header = (first_line, fields)
            else:
                records.append((first_line, fields))
    except csv.Error as error:
        reason = f"not readable as CSV: {error}"
        raise _manifest_error(source, [(reader.line_num, reason)]) from error
    if header is None:
        reason = "the manifest is empty; expected a header line naming the columns "
        raise _manifest_error(source, [(1, reason + ", ".join(_REQUIRED_COLUMNS))])
    header_line, names = header
    columns = [name.strip() or f"Unnamed: {index}" for index, name in enumerate(names)]
    return header_line, columns, records


def _check_header(columns, header_line, *, has_rows):
    """List the problems of a manifest's header, as ``(line, reason)`` pairs."""
    problems = []
    for name, count in Counter(columns).items():
        if count > 1:
            problems.append((header_line, f"column {name!r} appears {count} times"))
    missing = [name for name in _REQUIRED_COLUMNS if name not in columns]
    for name in missing:
        reason = f"missing required column {name!r}"
        if len(columns) == 1:
            delimiter = next((d for d in ";\t|" if d in columns[0]), None)
            if delimiter is not None:
                reason += f" (is the file delimited by {delimiter!r} instead of ','?)"
        problems.append((header_line, reason))
    if _PATH_COLUMN in columns:
        problems.append(
            (
                header_line,
                f"column {_PATH_COLUMN!r} is reserved for the absolute image path "
                "that load_manifest adds; rename it",
            )
        )
    if not has_rows:
        problems.append((header_line, "the manifest has no data rows"))
    return problems


def _check_image(image, folder, line, first_line_of_file, videos=None):
    """List what is wrong with one row's image cell, as reasons.

    A video, or a frame reference, is recorded in ``videos`` under its line
    as ``(absolute path, frame or None, resolved path)``.
    """
    if not image:
        return ["empty image"]
    if "\x00" in image:
        # No file system allows it, and os.path functions raise on it.
        return [f"image path contains a NUL character: {image!r}"]
    reference = parse_frame_reference(image)
    name, index = reference if reference is not None else (image, None)
    path = _join(folder, name)
    what = "video" if reference is not None or is_video_file(name) else "image"
    reasons = []
    if not os.path.exists(path):
        reasons.append(f"{what} file not found: {path!r}")
    elif not os.path.isfile(path):
        reasons.append(f"{what} path is not a file: {path!r}")
    resolved = os.path.realpath(path)
    key = resolved if index is None else (resolved, index)
    if key in first_line_of_file:
        same = "frame" if index is not None else what
        reasons.append(f"same {same} as line {first_line_of_file[key]}")
    else:
        first_line_of_file[key] = line
    if videos is not None and what == "video":
        videos[line] = (path, index, resolved)
    return reasons


def _video_path(path, index):
    """The absolute path of a video, or of one of its frames."""
    return path if index is None else frame_reference(path, index)


def _video_problems(videos, patient_of):
    """Rows that list one video both whole and by frame, or for two patients.

    ``videos`` maps a row to ``(path, frame or None, resolved path)``,
    ``patient_of`` a row to its patient id. One video shows one person: its
    frames under two ids would put that person on both sides of a split.
    """
    rows_of = {}
    for row, (_, index, resolved) in videos.items():
        rows_of.setdefault(resolved, []).append((row, index))
    problems = []
    for resolved, listed in rows_of.items():
        whole = [row for row, index in listed if index is None]
        if whole:
            problems.extend(
                (row, f"frame of the video listed whole on line {whole[0]}; a "
                 "video listed whole is sampled, so list it whole or by frame "
                 "(#frame=<index>), not both")
                for row, index in listed if index is not None
            )
        patients = {}
        for row, _ in listed:
            if _folded(patient_of.get(row, "")):
                patients.setdefault(patient_of[row], []).append(row)
        if len(patients) > 1:
            where = [f"{patient!r} ({_describe_lines(patient_rows)})"
                     for patient, patient_rows in patients.items()]
            problems.append(
                (listed[0][0],
                 f"video {resolved!r} is listed for {len(patients)} patients: "
                 f"{_and(where)}. A video shows one patient; its frames under "
                 "two ids would put that person on both sides of a split")
            )
    return problems


def _expand_video_rows(frame, y, videos, names, sampling, *, skip=False):
    """Replace each row of a whole video by one row per sampled frame.

    Parameters
    ----------
    frame : DataFrame
        The loader's frame, with ``image`` and ``path``.
    y : ndarray
        The labels, one per row.
    videos : list
        Per row, None for an image, else ``(absolute video path, frame
        index or None, resolved path)``.
    names : list
        What names each row in a problem (its line, or its path).
    sampling : dict
        ``n_frames``, ``every`` and ``method`` of
        :func:`~sklearn_palsy.datasets.sample_video_frames`.
    skip : bool, default=False
        Leave out the rows of videos that cannot be read, and expand the
        others, instead of stopping at the problems.

    Returns
    -------
    frame : DataFrame
        With a row per frame (``image`` and ``path`` naming the frame) and
        the columns ``video``, ``frame`` and ``time_s``.
    y : ndarray
        The labels of those rows.
    problems : list of (row, reason, image)
        Videos that could not be sampled or opened, with the absolute path
        (or frame reference) of each.
    """
    from ._video import sample_video_frames

    source_rows, video_column, frame_column, times = [], [], [], []
    problems = []
    fps_of = {}
    for row, (video, name) in enumerate(zip(videos, names, strict=True)):
        if video is None:
            source_rows.append(row)
            video_column.append(None)
            frame_column.append(pd.NA)
            times.append(np.nan)
            continue
        path, index, _ = video
        try:
            if index is None:
                sampled = sample_video_frames(path, **sampling)
                indices = sampled["frame"].tolist()
                seconds = sampled["time_s"].tolist()
            else:
                if path not in fps_of:
                    fps_of[path] = video_info(path).fps
                indices, seconds = [index], [index / fps_of[path]]
        except ImageReadError as error:
            problems.append((name, f"cannot read the video: {error}",
                             _video_path(path, index)))
            continue
        source_rows.extend([row] * len(indices))
        video_column.extend([path] * len(indices))
        frame_column.extend(indices)
        times.extend(seconds)
    if problems and not skip:
        return frame, y, problems
    expanded = frame.iloc[source_rows].reset_index(drop=True)
    whole = [videos[row] is not None and videos[row][1] is None
             for row in source_rows]
    expanded["image"] = [
        frame_reference(image, index) if is_whole else image
        for image, index, is_whole in zip(expanded["image"].tolist(), frame_column,
                                          whole, strict=True)
    ]
    expanded[_PATH_COLUMN] = [
        frame_reference(path, index) if is_whole else current
        for current, path, index, is_whole in zip(
            expanded[_PATH_COLUMN].tolist(), video_column, frame_column, whole,
            strict=True)
    ]
    expanded["video"] = pd.Series(video_column, dtype=object)
    expanded["frame"] = pd.array(frame_column, dtype="Int64")
    expanded["time_s"] = np.asarray(times, dtype=np.float64)
    return expanded, y[source_rows], problems


def _warn_identical_files(entries, describe):
    """Warn when files with the same bytes are listed for different patients.

    ``entries`` are ``(row, path, patient)``; ``describe(row)`` names a row
    before its patient (``"line 3, "``; nothing in a folder, where the path
    says it). The same path twice is refused by
    the loaders; a copy under another name (or a hard link) is found here.
    Only files of equal size are read, each once, so the usual cohort,
    whose files differ in size, costs one ``stat`` per file.
    """
    rows_of = {}  # resolved path -> (path, size, [(row, patient)])
    for row, path, patient in entries:
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            rows_of.setdefault(os.path.realpath(path), (path, info.st_size, []))[
                2].append((row, patient))
    by_size = {}
    for resolved, (_, size, _) in rows_of.items():
        by_size.setdefault(size, []).append(resolved)
    by_content = {}
    for same_size in by_size.values():
        patients = {patient for resolved in same_size
                    for _, patient in rows_of[resolved][2]}
        if len(same_size) < 2 or len(patients) < 2:
            continue
        for resolved in same_size:
            digest = _file_digest(resolved)
            if digest is not None:
                by_content.setdefault(digest, []).append(resolved)
    listed = []
    for copies in by_content.values():
        first_rows = {}  # patient -> (path, first row)
        for resolved in copies:
            path, _, rows = rows_of[resolved]
            for row, patient in rows:
                first_rows.setdefault(patient, (path, row))
        if len(first_rows) > 1:
            listed.append(_and([f"{path!r} ({describe(row)}patient {patient!r})"
                                for patient, (path, row) in first_rows.items()]))
    if listed:
        warnings.warn(
            f"{len(listed)} file(s) listed for different patients under "
            "different names have the same bytes: "
            f"{format_listing(listed, separator='; ')}. A photo or video shows "
            "one person: if these are copies, a row names the wrong patient, "
            "and that person would be on both sides of a split",
            UserWarning,
            stacklevel=4,
        )


def _file_digest(path):
    """The SHA-256 of a file's bytes, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open_regular_file(path) as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.digest()


def _reasons(problems):
    """The ``(row, reason)`` pairs of :func:`_expand_video_rows`' problems."""
    return [(row, reason) for row, reason, _ in problems]


def _video_failures(problems, where):
    """The videos left out, as a failures table naming each one's row."""
    return pd.DataFrame(
        [(image, f"{reason} ({where.format(row)})") for row, reason, image in problems],
        columns=["image", "error"],
    )


def find_images(root, *, videos=False):
    """Every image file under the folder ``root``, at any depth.

    The one folder walk of the package: :func:`load_image_folder` and the
    command line's folder of photos both list images with it. Image files
    are recognised by their extension (:data:`IMAGE_EXTENSIONS`, any case);
    hidden files and folders (whose names start with ``.``) are skipped, and
    symbolic links to folders are followed, once.

    Parameters
    ----------
    root : str or path-like
        An existing folder.
    videos : bool, default=False
        Also list video files (:data:`VIDEO_EXTENSIONS`, any case), in the
        same order; :func:`~sklearn_palsy.datasets.expand_videos` turns them
        into frames.

    Returns
    -------
    found : list of tuple of str
        The names on the way from ``root`` to each image, its own last
        (``("1", "P01", "rest.jpg")``), sorted by name folder by folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy.datasets._manifest import find_images
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ["P01/rest.jpg", "P01/smile.MP4", "notes.txt"]:
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_bytes(b"bytes")
    >>> find_images(root)
    [('P01', 'rest.jpg')]
    >>> find_images(root, videos=True)
    [('P01', 'rest.jpg'), ('P01', 'smile.MP4')]
    """
    found = []
    extensions = _IMAGE_AND_VIDEO_EXTENSIONS if videos else _IMAGE_EXTENSIONS
    _find_images(os.fspath(root), (), found, ancestors=frozenset(),
                 extensions=extensions)
    return found


def _check_video_sampling(n_frames, every, method):
    """Check the loaders' video sampling options before any work is done."""
    for name, value in (("video_n_frames", n_frames), ("video_every", every)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or value < 1
        ):
            raise ValueError(f"{name} must be a positive integer or None; got "
                             f"{value!r}")
    if n_frames is not None and every is not None:
        raise ValueError("give video_n_frames or video_every, not both")
    if method not in ("uniform", "movement"):
        raise ValueError(
            f"video_method must be 'uniform' or 'movement'; got {method!r}"
        )
    if every is not None and method != "uniform":
        raise ValueError("video_every applies to video_method='uniform'")


def _find_images(folder, parts, found, *, ancestors, extensions):
    """Append the relative parts of every image under ``folder``, sorted by name.

    Symbolic links to folders are followed; ``ancestors`` holds the resolved
    folders above, so that a link back up the tree is not followed forever.
    """
    resolved = os.path.realpath(folder)
    if resolved in ancestors:
        return
    ancestors = ancestors | {resolved}
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _find_images(entry.path, (*parts, entry.name), found,
                         ancestors=ancestors, extensions=extensions)
        elif (
            entry.is_file()
            and os.path.splitext(entry.name)[1].lower() in extensions
        ):
            found.append((*parts, entry.name))


def _wrong_depth_reason(depth):
    """Say why an image found ``depth`` levels below the root is misplaced."""
    where = {
        1: "directly in the root folder",
        2: "in a label folder but not in a patient folder",
    }.get(depth, f"{depth - 3} folder level(s) too deep")
    return f"image {where}; expected {_FOLDER_LAYOUT}"


def _infer_column(column):
    """Turn empty cells into missing values, and all-number columns into numbers."""
    values = pd.Series(
        [cell if cell else None for cell in column.tolist()],
        index=column.index,
        dtype=object,
    )
    try:
        return pd.to_numeric(values)
    except (ValueError, TypeError):
        # Let pandas pick its text dtype, as read_csv would.
        return pd.Series(values.tolist(), index=column.index)


def _kept_spelling(text):
    """The spelling of a label or patient id that is kept: stripped, NFC.

    NFC composes accents, so that ``"é"`` typed as one character and as
    ``"e"`` plus a combining accent (as macOS names files) are one id.
    """
    return unicodedata.normalize("NFC", text.strip())


def _folded(text):
    """The key under which spellings of one label or patient id collide.

    Compatibility forms (full-width letters, ligatures) are replaced, case is
    folded, and whitespace and invisible characters are removed.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(
        char for char in folded
        if not (
            char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES
        )
    )


def _check_blank(cell, name):
    """Say why a label or patient id cell is empty, if it is (as a list)."""
    if not cell:
        return [f"empty {name}"]
    if not _folded(cell):
        return [f"empty {name}: {cell!r} holds only invisible characters"]
    return []


def _check_cohort(labels, patient_ids, rows, describe_rows, *,
                  allow_mixed_patient_labels):
    """Parse the labels and check them against the patient ids.

    Parameters
    ----------
    labels, patient_ids : list of str
        The kept spellings, one per row; blank ones (already reported) are
        left out of the checks.
    rows : list
        What names each row in a problem: a line or a folder.
    describe_rows : callable
        Names a list of rows in a reason.
    allow_mixed_patient_labels : bool
        Accept a patient whose rows have different labels.

    Returns
    -------
    y : ndarray of shape (n_rows,) or None
        The parsed labels; None when they have problems.
    groups : ndarray of str of shape (n_rows,)
        The patient ids, as an object array.
    problems : list of (row, reason)
    """
    with_label = [i for i, label in enumerate(labels) if _folded(label)]
    with_patient = [i for i, patient in enumerate(patient_ids) if _folded(patient)]
    values, problems = _parse_labels(
        [labels[i] for i in with_label], [rows[i] for i in with_label], describe_rows
    )
    problems += _spelling_problems(
        [patient_ids[i] for i in with_patient], [rows[i] for i in with_patient],
        "patient id", describe_rows,
    )
    if values is not None and not allow_mixed_patient_labels:
        label_of = dict(zip(with_label, values.tolist(), strict=True))
        both = [i for i in with_patient if i in label_of]
        mixed = mixed_label_patients(
            [patient_ids[i] for i in both], [label_of[i] for i in both]
        )
        for patient, by_label in mixed.items():
            where = [
                f"{label!r} ({describe_rows([rows[both[i]] for i in indices])})"
                for label, indices in by_label.items()
            ]
            first = min(indices[0] for indices in by_label.values())
            problems.append(
                (
                    rows[both[first]],
                    f"patient {patient!r} has images in {len(by_label)} classes: "
                    f"{_and(where)}. A patient's images share one label: is one "
                    "mislabelled, or are two people under one id? Pass "
                    "allow_mixed_patient_labels=True if this study labels images, "
                    "not patients",
                )
            )
    if len(with_label) < len(labels):
        values = None
    groups = np.array(patient_ids, dtype=object)
    return values, groups, problems


def _parse_labels(labels, rows, describe_rows):
    """Turn label texts into one array of numbers or of strings.

    Returns ``(y, problems)``: ``y`` is int64 when every label is an integral
    number (``1``, ``1.0``, ``+1``, ``1e0``), float64 when every label is a
    number and some are not integral, and strings when no label is a number;
    it is None when there are problems (NaN or infinite labels, numbers too
    large, numbers mixed with text, or names that differ only by case, spaces
    or invisible characters).
    """
    problems = []
    values = [None] * len(labels)
    numbers_at, text_at = [], []
    for index, (label, row) in enumerate(zip(labels, rows, strict=True)):
        if _NOT_FINITE.fullmatch(label):
            problems.append(
                (row, f"label {label!r} is not a finite number; name each class by "
                 "a finite number or by a word")
            )
            continue
        if not _NUMBER.fullmatch(label):
            values[index] = label
            text_at.append(index)
            continue
        value = _integer(label) if _INTEGER.fullmatch(label) else float(label)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = _integer(value)
        if value is None or not (isinstance(value, int) or math.isfinite(value)):
            problems.append((row, f"label {label!r} is too large a number for a class"))
            continue
        values[index] = value
        numbers_at.append(index)
    if numbers_at and text_at:
        # Name the rarer kind: those are most likely the mistakes.
        if len(text_at) <= len(numbers_at):
            minority, kind, rest = text_at, "text", f"{len(numbers_at)} are numbers"
        else:
            minority, kind, rest = numbers_at, "a number", f"{len(text_at)} are text"
        problems.extend(
            (
                rows[index],
                f"label {labels[index]!r} is {kind}, but the other {rest}; give "
                "every class "
                "as a number (0, 1) or every class as a name (control, palsy)",
            )
            for index in minority
        )
    elif text_at:
        problems += _spelling_problems(labels, rows, "label", describe_rows)
    if problems:
        return None, problems
    if not numbers_at:
        return np.array(values, dtype=object), problems
    if all(isinstance(value, int) for value in values):
        return np.array(values, dtype=np.int64), problems
    return np.array(values, dtype=np.float64), problems


def _integer(number):
    """``number`` as an int if int64 holds it, else None."""
    try:
        value = int(number)
    except ValueError:  # more digits than Python converts
        return None
    return value if _INT64.min <= value <= _INT64.max else None


def _spelling_problems(values, rows, what, describe_rows):
    """Report values that differ only by case, whitespace or invisible characters.

    One problem per set of colliding spellings, on the first row of any of
    them, naming every spelling and its rows.
    """
    spellings_of = {}
    for value, row in zip(values, rows, strict=True):
        spellings_of.setdefault(_folded(value), {}).setdefault(value, []).append(row)
    problems = []
    for spellings in spellings_of.values():
        if len(spellings) < 2:
            continue
        where = [
            f"{value!r} ({describe_rows(value_rows)})"
            for value, value_rows in spellings.items()
        ]
        problems.append(
            (
                next(iter(spellings.values()))[0],
                f"{what}s {_and(where)} differ only by case, spaces or invisible "
                f"characters; spell each {what} one way",
            )
        )
    return problems


def _and(items):
    """``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe_lines(lines):
    """``"line 3"`` or ``"lines 3, 5, ... and N more"``."""
    listed = format_listing([str(line) for line in lines], separator=", ")
    return f"line{'s' if len(lines) > 1 else ''} {listed}"


def _describe_folders(folders):
    """The folders, quoted: ``"'1/P01', '0/P01'"``."""
    return format_listing([repr(folder) for folder in folders], separator=", ")


def _make_bunch(frame, y, source, kind):
    """Build the Bunch that both loaders return from their finished frame."""
    groups = np.array(frame["patient_id"].tolist(), dtype=object)
    counts = Counter(y.tolist())
    label_counts = ", ".join(
        f"{label!r}: {counts[label]}" for label in sorted(counts, key=str)
    )
    videos = ""
    if "video" in frame.columns:
        n_frames = int(frame["video"].notna().sum())
        n_videos = frame["video"].nunique()
        videos = f" ({n_frames} of them frames of {n_videos} video(s))"
    descr = (
        f"Patient images read from the {kind} {source!r}.\n\n"
        f"{len(frame)} images of {len(set(groups.tolist()))} patients{videos}.\n"
        f"Images per label: {label_counts}.\n"
        "X holds absolute image paths, y the labels and groups the patient ids;\n"
        "split by groups so that no patient is on both sides of a split.\n"
    )
    return Bunch(
        X=np.array(frame[_PATH_COLUMN].tolist(), dtype=object),
        y=y,
        groups=groups,
        frame=frame,
        source=source,
        DESCR=descr,
    )


def _manifest_error(source, problems, images=None):
    """Build one ManifestError naming every ``(line, reason)`` problem.

    ``images`` maps lines to their image cell, so that a row is named by both.
    """
    images = images or {}

    def describe(line):
        if images.get(line):
            return f"line {line} (image {images[line]!r})"
        return f"line {line}"

    return _error(f"manifest {source!r}", source, problems, describe)


def _folder_error(source, problems):
    """Build one ManifestError naming every ``(path, reason)`` problem."""
    return _error(f"image folder {source!r}", source, problems, repr)


def _error(what, source, problems, describe):
    count = len(problems)
    listed = format_listing(f"  {describe(row)}: {reason}" for row, reason in problems)
    return ManifestError(
        f"{what} has {count} problem{'s' if count > 1 else ''}:\n{listed}",
        source=source,
        problems=problems,
    )
