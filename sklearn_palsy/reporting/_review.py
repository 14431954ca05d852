"""The landmark review page: see the points on each photo, correct them, export.

:func:`write_review_page` writes one self-contained HTML file: every photo
as a downscaled JPEG preview embedded in the page, its landmarks drawn by
region, the quality flags (:func:`~sklearn_palsy.reporting.
landmark_quality_flags`) with their reasons, the images most likely to need
a look first, and the regional scores and affected side computed from the
points shown. In the page a person zooms, pans, drags points (or whole
regions) and nudges them with the arrow keys, undoes and redoes, marks an
image checked or excluded and writes a note; the edits are kept in the
browser's storage, keyed by the page's content, until exported as a
landmark CSV (:func:`~sklearn_palsy.faces.load_landmarks`' format, full-image
pixels, ready for ``--landmarks``) and a decisions CSV
(:func:`load_review_decisions`).

Safety: the page makes no network request of any kind. Its content security
policy allows images only from ``data:`` and ``blob:`` URLs, styles only
inline, and only its own script (by its SHA-256); the data are embedded as
JSON in a ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, and every name, id and note is shown as text (``textContent``),
never as HTML.
"""

import base64
import csv
import hashlib
import html
import io
import json
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ImageReadError, ImageTooSmallError, ManifestError
from ..faces._io import image_id, read_image
from ..faces._landmark_set import _CONTENT_KEY, _normalise
from ..faces._schemes import get_scheme, resolve_scheme
from ..utils._atomic import atomic_write
from ._html import DISCLAIMER
from ._quality import FLAG_COLUMNS, SCORE_COLUMNS, landmark_quality_flags
from ._style import measure_points, region_colour

__all__ = ["load_review_decisions", "write_review_page", "write_review_index"]

#: Longest side of the previews embedded in the page, in pixels.
PREVIEW_MAX_SIDE = 800
_JPEG_QUALITY = 82
_DECISION_COLUMNS = ("image", "checked", "excluded", "note")


def _scheme_data(scheme):
    # The package's one landmark style (._style), shared with every figure.
    regions = [[name, [int(i) for i in points], region_colour(name)]
               for name, points in scheme.regions.items() if name != "face_oval"]
    contours = [[name, [int(i) for i in points], bool(closed), region_colour(name)]
                for name, (points, closed) in scheme.contours.items()]
    return {"name": scheme.name, "n": scheme.n_landmarks, "regions": regions,
            "contours": contours,
            # The points that feed the measures (iBUG 68's, and the irises).
            "emphasis": list(measure_points(scheme))}


def _preview(image, max_side):
    """(data URI or None, height, width, error) of one image."""
    from PIL import Image

    try:
        pixels = read_image(image)
    except (ImageReadError, ImageTooSmallError, OSError, ValueError) as error:
        return None, None, None, str(error)
    height, width = pixels.shape[:2]
    picture = Image.fromarray(pixels)
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        picture = picture.resize((max(1, round(width * scale)),
                                  max(1, round(height * scale))), Image.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}", height, width, None


def _key(image):
    """How an image is named in the exported landmark CSV: an absolute path
    (or frame reference), or the content key of an array."""
    if isinstance(image, np.ndarray):
        return image_id(image)
    return _normalise(os.fspath(image), os.getcwd())


def _display_name(image, index):
    if isinstance(image, np.ndarray):
        return f"image {index}"
    return os.fspath(image)


def _json_value(value):
    if value is None:
        return None
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if pd.isna(value):
        return None
    return str(value)


def _embedded_json(data):
    """JSON that cannot end its <script> element or open another."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


def _asset(name):
    return resources.files(__package__).joinpath("_review_page", name).read_text(
        encoding="utf-8")


def load_review_decisions(path):
    """Read a decisions CSV that the review page exported.

    Parameters
    ----------
    path : str or path-like
        The CSV, with the columns ``image``, ``checked``, ``excluded`` and
        ``note`` (others, such as ``name``, are ignored).

    Returns
    -------
    decisions : pandas.DataFrame
        Columns ``image`` (as written), ``checked`` and ``excluded`` (bool)
        and ``note`` (str).

    Raises
    ------
    ManifestError
        Naming the file and every offending line: missing columns, a
        ``checked`` or ``excluded`` that is not 0 or 1, an empty ``image``, an
        image given twice.
    FileNotFoundError
        The file does not exist.
    """
    path = os.fspath(path)
    problems, rows, seen = [], [], {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [name for name in _DECISION_COLUMNS if name not in columns]
        if missing:
            raise ManifestError(
                f"decisions file {path!r}: line 1 lacks the column(s) "
                f"{', '.join(missing)} (expected {', '.join(_DECISION_COLUMNS)})",
                source=path, problems=[(1, f"missing {name}") for name in missing])
        reader.fieldnames = columns
        for line, row in enumerate(reader, start=2):
            image = (row.get("image") or "").strip()
            if image.startswith("'"):
                image = image[1:]
            entry = {"image": image, "note": row.get("note") or ""}
            if entry["note"].startswith("'") and entry["note"][1:2] in "=+-@\t\r":
                entry["note"] = entry["note"][1:]
            if not image:
                problems.append((line, "the image is empty"))
            elif image in seen:
                problems.append((line, f"{image!r} is already on line {seen[image]}"))
            else:
                seen[image] = line
            for field in ("checked", "excluded"):
                value = (row.get(field) or "").strip()
                if value not in ("0", "1"):
                    problems.append((line, f"{field} is {value!r}, not 0 or 1"))
                entry[field] = value == "1"
            rows.append(entry)
    if problems:
        shown = "; ".join(f"line {line}: {reason}" for line, reason in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise ManifestError(f"decisions file {path!r}: {shown}{more}", source=path,
                            problems=problems)
    return pd.DataFrame(rows, columns=list(_DECISION_COLUMNS))


def _decisions_by_key(decisions):
    if decisions is None:
        return {}
    if isinstance(decisions, (str, os.PathLike)):
        decisions = load_review_decisions(decisions)
    found = {}
    for _, row in decisions.iterrows():
        image = str(row["image"])
        key = (image.lower() if _CONTENT_KEY.match(image)
               else _normalise(image, os.getcwd()))
        found[key] = {"checked": bool(row["checked"]),
                      "excluded": bool(row["excluded"]),
                      "note": str(row["note"]) if pd.notna(row["note"]) else ""}
    return found


def write_review_page(images, landmarks, path, *, flags=None, sources=None,
                      other_landmarks=None, image_shapes=None, n_faces=None,
                      expressions=None, patients=None, sides=None, errors=None,
                      decisions=None, scheme="auto", title="Landmark review",
                      max_side=PREVIEW_MAX_SIDE):
    """Write the landmark review page: one self-contained HTML file.

    Parameters
    ----------
    images : sequence of str, path-like or ndarray
        The photos (paths, frame references or RGB arrays), read with
        :func:`~sklearn_palsy.faces.read_image` for the previews; one that
        cannot be read is shown without a preview, flagged and named.
    landmarks : array-like of shape (n_images, n_landmarks, 2)
        The points to review, in pixels of each full image; NaN rows where
        there are none.
    path : str or path-like
        The HTML file to write (atomically).
    flags : pandas.DataFrame, default=None
        :func:`landmark_quality_flags`' table for these images; None computes
        it from the arguments below.
    sources : sequence of {"detected", "given"}, default=None
        Where each image's points come from. Images whose points were given
        (a landmark file) are exported with the edited ones, so that the
        export replaces that file for these images.
    other_landmarks, image_shapes, n_faces, expressions, patients, sides, errors
        As for :func:`landmark_quality_flags` (used when ``flags`` is None;
        ``expressions`` and ``patients`` are shown either way).
    decisions : str, path-like or pandas.DataFrame, default=None
        Decisions exported earlier (:func:`load_review_decisions`), shown as
        the starting state of each image's checked, exclude and note.
    scheme : str or LandmarkScheme, default="auto"
        The scheme of ``landmarks``.
    title : str, default="Landmark review"
    max_side : int, default=800
        Longest side of the embedded previews, in pixels.

    Returns
    -------
    path : pathlib.Path
        The page written.

    See Also
    --------
    landmark_quality_flags : The flags the page sorts by.
    sklearn_palsy.faces.load_landmarks : Reads the page's landmark export.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> from sklearn_palsy.reporting import write_review_page
    >>> photo = np.full((240, 240, 3), 180, dtype=np.uint8)
    >>> points = (IBUG68_MEAN_FACE * 80 + 120)[None]
    >>> page = write_review_page([photo], points, Path(tempfile.mkdtemp()) / "r.html")
    >>> "Content-Security-Policy" in page.read_text()
    True
    """
    images = list(images)
    stack = np.asarray(landmarks, dtype=np.float64)
    if stack.ndim != 3 or stack.shape[2] != 2 or len(stack) != len(images):
        raise ValueError(f"landmarks have shape {stack.shape}; expected "
                         f"({len(images)}, n_points, 2), one face per image")
    scheme = get_scheme(scheme) if scheme != "auto" else resolve_scheme("auto", stack)
    path = Path(path)

    previews = [_preview(image, max_side) for image in images]
    read_errors = [error for _, _, _, error in previews]
    if errors is not None:
        read_errors = [given or found for given, found in
                       zip(errors, read_errors, strict=True)]
    if image_shapes is None:
        image_shapes = [None if h is None else (h, w) for _, h, w, _ in previews]
    names = [_display_name(image, index) for index, image in enumerate(images)]
    if flags is None:
        flags = landmark_quality_flags(
            stack, images=names, image_shapes=image_shapes, n_faces=n_faces,
            other_landmarks=other_landmarks, expressions=expressions,
            patients=patients, sides=sides, errors=read_errors, scheme=scheme)
    elif len(flags) != len(images):
        raise ValueError(f"flags has {len(flags)} rows but there are {len(images)} "
                         "images")
    flags = flags.reset_index(drop=True)
    sources = list(sources) if sources is not None else ["detected"] * len(images)
    chosen = _decisions_by_key(decisions)

    entries = []
    for index, image in enumerate(images):
        src, height, width, _ = previews[index]
        if height is None and image_shapes[index] is not None:
            height, width = tuple(image_shapes[index])[:2]
        points = stack[index]
        row = flags.loc[index]
        key = _key(image)
        entries.append({
            "key": key,
            "name": names[index],
            "patient": _json_value(row.get("patient_id")),
            "expression": _json_value(row.get("expression")),
            "width": int(width or 1),
            "height": int(height or 1),
            "src": src,
            "points": ([[float(x), float(y)] for x, y in points]
                       if np.isfinite(points).all() else None),
            "source": sources[index],
            "flags": [column.removeprefix("flag_").replace("_", " ")
                      for column in FLAG_COLUMNS if bool(row.get(column, False))],
            "reasons": [reason for reason in str(row.get("reasons") or "").split("; ")
                        if reason],
            "priority": float(row.get("priority", 0.0)),
            "scores": {column: _json_value(row.get(column))
                       for column in SCORE_COLUMNS},
            "decision": chosen.get(key),
        })
    data = {"title": title, "disclaimer": DISCLAIMER, "stem": path.stem,
            "scheme": _scheme_data(scheme), "images": entries}
    # The storage key follows the page's content: a page written again over
    # other photos or points starts afresh, the same page keeps its edits.
    body = _embedded_json(data)
    data["hash"] = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    body = _embedded_json(data)
    script = _asset("review.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    policy = ("default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; "
              f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")
    parts = {"CSP": policy, "TITLE": html.escape(title), "STYLE": _asset("review.css"),
             "DATA": body, "SCRIPT": script}
    # One pass, so that no part's text is taken for another's placeholder.
    page = re.sub(r"\{\{([A-Z]+)\}\}", lambda found: parts[found.group(1)],
                  _asset("template.html"))
    return atomic_write(path, lambda handle: handle.write(page), "w", encoding="utf-8")


def write_review_index(pages, path, *, title="Landmark review"):
    """Write an index of several review pages (a study too large for one).

    Parameters
    ----------
    pages : list of (str, int, int)
        Each page's file (relative to the index's folder), its number of
        images and of flagged images.
    path : str or path-like
        The index page.

    Returns
    -------
    path : pathlib.Path
    """
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(page, quote=True)}">'
        f"{html.escape(page)}</a></td>"
        f"<td>{count}</td><td>{flagged}</td></tr>" for page, count, flagged in pages)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(title)}</title>\n<style>body {{ font-family: sans-serif; "
        "margin: 2em; } td, th { border: 1px solid #bbb; padding: 0.2em 0.6em; } "
        "table { border-collapse: collapse; }</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(DISCLAIMER)}</p>\n"
        "<p>The pages, the one with the most flagged images first.</p>\n"
        "<table><tr><th>page</th><th>images</th><th>flagged</th></tr>\n"
        f"{rows}\n</table>\n</body>\n</html>\n")
    return atomic_write(Path(path), lambda handle: handle.write(page), "w",
                        encoding="utf-8")
