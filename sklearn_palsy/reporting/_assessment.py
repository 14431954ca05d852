"""The assessment report of ``sklearn-palsy assess``: a table and an HTML page.

:func:`write_assessment` writes an assessment's table (``assessment.csv``)
and a self-contained HTML report with one card per patient: the landmarks
drawn over each scored photo, the regional scores as bars and every number
in a table. The page, its figure encoding and the disclaimer are
:mod:`._html`'s, shared with the evaluation report.
"""

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..clinical import (
    DYNAMIC_ITEMS,
    MOVEMENTS,
    REGIONS,
    STATIC_ITEMS,
    SYNKINESIS_ITEMS,
)
from ..faces import read_image
from ..utils._atomic import atomic_write
from ..utils._csv import write_csv_atomic
from ._html import DISCLAIMER, figure_html, html_page, software_versions
from ._plots import plot_landmarks

__all__ = ["movement_columns", "probability_columns", "write_assessment"]

#: The expression name of a rest photo.
REST = "rest"
# Size of the report's figures: photos of 180 px in 128 colours keep a
# report of 42 patients with five photos each at about 5 MB.
_DPI = 100
_COLOURS = 128
_PHOTO_INCHES = 1.8
_BARS_INCHES = (3.0, 1.8)
# A face is shown with this share of its landmarks' extent around it.
_CROP_MARGIN = 0.35
# Photos are thinned to about this many pixels across before drawing.
_DRAW_PIXELS = 440

_CARD_STYLE = """
.card { border: 1px solid #bbb; border-radius: 6px; padding: 0.6em 1em;
        margin: 1.2em 0; page-break-inside: avoid; }
.photos { display: flex; flex-wrap: wrap; gap: 0.6em; align-items: flex-end; }
.photos figure { margin: 0; text-align: center; font-size: 0.8em; }
.note { color: #8a4b00; }
td.name, th.name { text-align: left; }
"""




def movement_columns():
    """The assessment table's movement columns, one per :data:`MOVEMENTS`."""
    return [f"movement__{name}_ratio" for name, _, _ in MOVEMENTS]


def probability_columns(classes):
    """Binary: ``probability`` of ``classes[-1]``; else one column per class."""
    if len(classes) == 2:
        return ["probability"]
    return [f"probability_{label}" for label in classes]


def _embed_figure(figure, alt, caption=None):
    return figure_html(figure, alt, caption, dpi=_DPI, colours=_COLOURS)


def _photo_figure(image, landmarks, scheme):
    """A small figure of the face, cropped around its landmarks, drawn over.

    The crop is the part of the photo around the face; a face wholly outside
    the photo (given landmarks may lie up to the photo's own size beyond
    it) is drawn on grey, at the photo's scale. Either way the figure holds
    at most about ``_DRAW_PIXELS`` pixels across, whatever the coordinates.
    """
    from matplotlib.figure import Figure

    pixels = read_image(image)
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    centre, half = (low + high) / 2, (high - low).max() * (0.5 + _CROP_MARGIN)
    left, top = np.maximum(np.floor(centre - half), 0).astype(int)
    right = int(min(np.ceil(centre[0] + half), pixels.shape[1]))
    bottom = int(min(np.ceil(centre[1] + half), pixels.shape[0]))
    if right <= left or bottom <= top:
        # Nothing of the photo around the face: a grey square of its size.
        left, top = np.floor(centre - half).astype(int)
        side = max(1, int(np.ceil(2 * half)))
        step = max(1, side // _DRAW_PIXELS)
        crop = np.full((-(-side // step),) * 2 + (3,), 200, dtype=np.uint8)
    else:
        step = max(1, max(right - left, bottom - top) // _DRAW_PIXELS)
        crop = pixels[top:bottom:step, left:right:step]
    figure = Figure(figsize=(_PHOTO_INCHES, _PHOTO_INCHES))
    ax = figure.add_axes((0, 0, 1, 1))
    plot_landmarks(crop, (landmarks - [left, top]) / step, scheme, ax=ax)
    return figure


# The eFACE subscores and total, as the card shows them.
_SUBSCORES = ("static_score", "dynamic_score", "synkinesis_score", "total_score")
# Each static item's words below and above 100 (the eFACE's 0-200 scale).
_DIRECTIONS = {
    "brow_at_rest": ("low", "high"),
    "palpebral_fissure_at_rest": ("wide", "narrow"),
    "nasolabial_fold_at_rest": ("flat", "deep"),
    "oral_commissure_at_rest": ("low", "high"),
}


def _static_entry(item, value):
    """A static item's value with its direction: "80.0 (wide)"."""
    text = _format(value)
    if text == "n/a":
        return text
    below, above = _DIRECTIONS[item]
    word = "balanced" if text == "100.0" else below if value < 100 else above
    return f"{text} ({word})"


def _bars_figure(row):
    """The regions' and subscores' scores, 0-100, as horizontal bars."""
    from matplotlib.figure import Figure

    names = [*REGIONS, *_SUBSCORES]
    values = np.array([row[name] for name in names], dtype=float)
    figure = Figure(figsize=_BARS_INCHES, layout="constrained")
    ax = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    ax.barh(positions, np.nan_to_num(values), color="#4c72b0", height=0.7)
    for position, value in zip(positions, values, strict=True):
        ax.text(2 if np.isnan(value) else min(value, 100) + 1, position,
                "n/a" if np.isnan(value) else f"{value:.0f}", va="center",
                fontsize=7)
    ax.set_yticks(positions, [name.replace("_score", "") for name in names],
                  fontsize=7)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("score (100 = symmetric)", fontsize=7)
    return figure


def _format(value, digits=1):
    if isinstance(value, (float, np.floating)):
        return "n/a" if np.isnan(value) else f"{value:.{digits}f}"
    return "n/a" if value is None else str(value)


def _photo_columns(row):
    """The table's ``photo_<expression>`` columns, in its order."""
    return [column for column in row.index if column.startswith("photo_")]


def _photo_name(path):
    return "none" if pd.isna(path) else Path(path).name


def _case_title(row):
    """The patient, and the visit where the table has visits."""
    patient = str(row["patient_id"])
    return f"{patient}, visit {row['visit']}" if "visit" in row else patient


def _numbers_table(row, classes):
    """The card's table: every score, movement ratio and model output."""
    entries = [(f"{name} (0-200)", _static_entry(name, row[name]))
               for name in STATIC_ITEMS]
    entries += [(name, _format(row[name]))
                for name in (*DYNAMIC_ITEMS, *SYNKINESIS_ITEMS)]
    entries += [(f"{name} (region)", _format(row[name])) for name in REGIONS]
    entries += [(name, _format(row[name])) for name in _SUBSCORES]
    entries += [("side_evidence", _format(row["side_evidence"], 3)),
                ("affected_side", _format(row["affected_side"])),
                ("side_source", _format(row["side_source"])),
                ("side_uncertain", _format(row["side_uncertain"])),
                ("side_confidence", _format(row["side_confidence"], 2))]
    entries += [(f"{name} ratio (%)", _format(100 * row[column]))
                for (name, _, _), column in zip(MOVEMENTS, movement_columns(),
                                                strict=True)]
    entries.append(("photo used: rest", _photo_name(row["rest_image"])))
    entries += [(f"photo used: {column.removeprefix('photo_')}",
                 _photo_name(row[column])) for column in _photo_columns(row)]
    if classes is not None:
        entries += [(column.replace("probability", "model probability"),
                     _format(row[column], 3))
                    for column in probability_columns(classes)]
        entries.append(("model class", _format(row["predicted_label"])))
        if "type" in row:
            entries.append(("palsy type (model)", _format(row["type"])))
    body = "".join(f'<tr><td class="name">{html.escape(name)}</td>'
                   f"<td>{html.escape(value)}</td></tr>" for name, value in entries)
    return ('<table><tr><th class="name">measure</th><th>value</th></tr>'
            f"{body}</table>")


def _card(number, row, photos, landmarks, scheme, classes):
    patient = _case_title(row)
    facts = [f"{row['n_photos']} photo(s): {row['expressions']}",
             f"affected side: {_format(row['affected_side'])} (confidence "
             f"{_format(row['side_confidence'], 2)})",
             f"landmarks: {row['landmark_backend']}"]
    if "label" in row:
        facts.append(f"label in the manifest: {row['label']}")
    if classes is not None:
        model = (f"P({classes[-1]}) = {_format(row['probability'], 2)}"
                 if len(classes) == 2 else f"class {row['predicted_label']}")
        if "type" in row:
            model += f", type: {row['type']}"
        facts.append(f"model (mean over photos): {model}")
    parts = [f'<section class="card" id="patient-{number}">',
             f"<h2>{html.escape(patient)}</h2>",
             f"<p>{html.escape(' · '.join(facts))}</p>"]
    if row["notes"]:
        parts.append(f'<p class="note">{html.escape(row["notes"])}</p>')
    parts.append('<div class="photos">')
    for index in photos.index[photos["role"] != "not scored"]:
        name = f"{photos.loc[index, 'expression']}"
        parts.append(_embed_figure(
            _photo_figure(photos.loc[index, "image"], landmarks[index], scheme),
            alt=f"{patient}, {name}",
            caption=f"{name}: {Path(photos.loc[index, 'image']).name}",
        ))
    parts.append(_embed_figure(_bars_figure(row), alt=f"{patient}, regional scores",
                        caption="regional scores"))
    parts.append("</div>")
    parts.append(_numbers_table(row, classes))
    parts.append("</section>")
    return "\n".join(parts)


def _overview(patients, classes):
    columns = ["patient_id", *(["visit"] if "visit" in patients else []),
               *(["label"] if "label" in patients else []),
               "n_photos", "affected_side", "side_confidence", "static_score",
               "dynamic_score"]
    if classes is not None:
        columns += [*probability_columns(classes), "predicted_label",
                    *(["type"] if "type" in patients else [])]
    rows = []
    for number, (_, row) in enumerate(patients.iterrows()):
        cells = [f'<a href="#patient-{number}">{html.escape(str(row["patient_id"]))}'
                 "</a>"]
        cells += [html.escape(_format(row[column], 2)) for column in columns[1:]]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def write_assessment(assessment, out):
    """Write an assessment's table and its self-contained HTML report.

    ``assessment.csv`` holds ``assessment.patients``, one row per patient
    (text cells that would start a spreadsheet formula escaped).
    ``report.html`` opens with the disclaimer and a table of the patients,
    then one card per patient (per patient and visit where the table has a
    ``visit`` column): the landmarks drawn over the rest photo and each
    scored expression photo, the regional scores as horizontal bars
    (0-100), and every number in a table, with the file of the photo used
    for rest and for each expression; the software versions close it.
    Figures are embedded as base64 PNG (each photo 180 px across, in 128
    colours) and closed; there are no scripts and no links outside the
    page. Both files are written atomically, and both or neither: every
    figure is drawn before either file is written, and the table replaces
    the old one only once the report is on disk, so that a report that
    cannot be drawn or written leaves no new table without it.

    Parameters
    ----------
    assessment : Bunch
        The output of :func:`~sklearn_palsy.cli.assess_images`.
    out : str or path-like
        Folder for the two files; created when missing.

    Returns
    -------
    paths : :class:`~sklearn.utils.Bunch`
        ``table`` and ``report``, the paths written.

    Examples
    --------
    >>> from sklearn_palsy.cli import assess_images
    >>> from sklearn_palsy.reporting import write_assessment
    >>> assessment = assess_images("manifest.csv", backend="dlib")  # doctest: +SKIP
    >>> paths = write_assessment(assessment, "assessment")  # doctest: +SKIP
    """
    out = Path(out)
    patients, images = assessment.patients, assessment.images
    table = out / "assessment.csv"
    title = "sklearn-palsy assessment"
    sides = patients["affected_side"].value_counts()
    summary = (
        f"{len(patients)} patient(s), {len(images)} photo(s) analysed, "
        f"{len(assessment.failures)} failed; landmarks: {assessment.backend}; "
        f"affected side right: {sides.get('right', 0)}, left: "
        f"{sides.get('left', 0)}, none: {sides.get('none', 0)}."
    )
    sections = [f"<h1>{title}</h1>",
                f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>',
                f"<p>{html.escape(summary)}</p>",
                "<h2>Patients</h2>", _overview(patients, assessment.classes)]
    for number, (_, row) in enumerate(patients.iterrows()):
        mask = (images["patient_id"] == row["patient_id"]).to_numpy()
        if "visit" in images:
            mask = mask & (images["visit"] == row["visit"]).to_numpy()
        sections.append(_card(number, row, images[mask], assessment.landmarks,
                              assessment.scheme, assessment.classes))
    if len(assessment.failures):
        sections.append("<h2>Photos not analysed</h2>")
        sections.append(assessment.failures.to_html(index=False, border=0))
    sections.append("<h2>Software</h2>")
    sections.append(pd.DataFrame({"version": software_versions()})
                    .rename_axis("package").to_html(border=0))
    document = html_page(title, sections, style=_CARD_STYLE)

    def write_both(handle):
        # The report is on disk before the table replaces the old one, and
        # takes its place just after: a report that cannot be drawn (above)
        # or written (a full disk, here) leaves no new table behind.
        handle.write(document)
        handle.flush()
        os.fsync(handle.fileno())
        write_csv_atomic(patients, table)

    out.mkdir(parents=True, exist_ok=True)
    report = atomic_write(out / "report.html", write_both)
    return Bunch(table=str(table), report=str(report))
