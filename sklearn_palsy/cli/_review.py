"""``sklearn-palsy review``: the landmark review page and its flags table.

:func:`review_images` detects (or takes from a landmark file) the points of
every photo, runs the other landmark model for the disagreement flag,
computes the quality flags (:func:`~sklearn_palsy.reporting.
landmark_quality_flags`) and writes the review page
(:func:`~sklearn_palsy.reporting.write_review_page`) with the flags CSV
beside it. A photo that cannot be read is on the page, flagged, with the
error; nothing stops the page from being written. A study larger than one
page gets several pages, each patient's photos on one, and an index.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..exceptions import ImageReadError, ImageTooSmallError, InvalidLandmarksError
from ..faces import analyze_faces, available_backends, resolve_backend
from ..faces._landmark_files import _as_landmark_set
from ..reporting._quality import FLAG_COLUMNS, landmark_quality_flags
from ..reporting._review import (
    _key,
    load_review_decisions,
    write_review_index,
    write_review_page,
)
from ..utils._csv import write_csv_atomic
from ._assess import _photos, read_expression_map

__all__ = ["review_images"]

_POINTS = {"dlib": 68, "mediapipe": 478}
#: Photos per page: a page of 200 opens in a few seconds (benchmarks/README.md).
PAGE_SIZE = 200


def _analyse_each(images, backend, landmarks):
    """Analyses of the images, and for each image that failed, why."""
    errors = [None] * len(images)
    try:
        return analyze_faces(images, backend=backend, landmarks=landmarks,
                             on_missing="ignore"), errors
    except (ImageReadError, ImageTooSmallError, InvalidLandmarksError):
        pass  # image by image below, naming each bad one
    analyses = []
    for index, image in enumerate(images):
        try:
            analyses.append(analyze_faces([image], backend=backend, landmarks=landmarks,
                                          on_missing="ignore")[0])
        except (ImageReadError, ImageTooSmallError) as error:
            analyses.append(None)
            errors[index] = str(error)
        except InvalidLandmarksError as error:
            analyses.append(None)
            errors[index] = f"invalid landmarks: {error}"
    return analyses, errors


def _stack(analyses, n_points):
    stack = np.full((len(analyses), n_points, 2), np.nan)
    for row, analysis in enumerate(analyses):
        if analysis is not None and analysis.landmarks is not None:
            stack[row] = analysis.landmarks
    return stack


def _pages(flags, page_size):
    """Row indices per page: each patient's photos together, worst first."""
    patients = flags["patient_id"].fillna(pd.Series(flags.index.astype(str),
                                                    index=flags.index))
    worst = flags.groupby(patients, sort=False)["priority"].max()
    pages, page = [], []
    for patient in worst.sort_values(ascending=False, kind="stable").index:
        rows = list(flags.index[patients == patient])
        for start in range(0, len(rows), page_size):
            block = rows[start : start + page_size]
            if page and len(page) + len(block) > page_size:
                pages.append(page)
                page = []
            page += block
    if page:
        pages.append(page)
    return pages


def review_images(source, out, *, backend="auto", landmarks=None, decisions=None,
                  expression_map=None, max_yaw=20.0, max_pitch=20.0,
                  page_size=PAGE_SIZE, compare=True, sampling=None):
    """Write the review page(s) and the flags CSV of a set of photos.

    Parameters
    ----------
    source : str, path-like or list
        A manifest CSV (its ``patient_id``, ``expression`` and ``side``
        columns are used), a folder or image files.
    out : str or path-like
        The page (``review.html``); with more photos than ``page_size``, the
        index of the pages ``<stem>-001.html``, ... written beside it. The
        flags go to ``<stem>-flags.csv`` beside it.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        The landmark model whose points are reviewed; ``"auto"`` with a
        landmark file takes the file's scheme's model.
    landmarks : str, path-like or LandmarkSet, default=None
        Corrected landmarks, shown instead of detection for the photos they
        name (and exported with the edits).
    decisions : str or path-like, default=None
        A decisions CSV the page exported, shown as each photo's starting
        checked / exclude / note.
    expression_map : str, path-like or dict, default=None
        A study's expression names (as ``assess --expression-map``).
    max_yaw, max_pitch : float, default=20.0
        The head-pose flag's limits in degrees.
    page_size : int, default=200
        Most photos on one page.
    compare : bool, default=True
        Run the other landmark model for the disagreement flag (where it is
        installed).
    sampling : dict, default=None
        Video sampling options of :func:`~sklearn_palsy.datasets.resolve_images`.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``flags`` (the table, worst first), ``page`` (the page or index
        written at ``out``), ``pages`` (every review page), ``flags_path``,
        ``backend``, ``compared`` (the other model, or None), ``images`` (as
        named in the flags) and ``unmatched_decisions`` (the images of
        ``decisions`` that are not among them).
    """
    out = Path(out)
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1; got {page_size}")
    photos, unusable = _photos(source, "skip", sampling,
                               read_expression_map(expression_map))
    landmark_set = _as_landmark_set(landmarks)
    if backend == "auto" and landmark_set:
        backend = {68: "dlib", 478: "mediapipe"}.get(landmark_set.n_points, backend)
    backend = resolve_backend(backend)
    if landmark_set and landmark_set.n_points != _POINTS[backend]:
        # One error for the whole run, not one per photo.
        raise InvalidLandmarksError(
            f"the landmarks given ({', '.join(map(str, landmark_set.sources))}) have "
            f"{landmark_set.n_points} points per image, the {backend} backend "
            f"{_POINTS[backend]}: choose the backend of their scheme (or "
            "--backend auto)")
    images = list(photos["image"])
    analyses, errors = _analyse_each(images, backend, landmark_set)
    stack = _stack(analyses, _POINTS[backend])

    other_name = {"dlib": "mediapipe", "mediapipe": "dlib"}[backend]
    other = None
    if compare and other_name in available_backends():
        readable = [i for i, analysis in enumerate(analyses) if analysis is not None]
        found = analyze_faces([images[i] for i in readable], backend=other_name,
                              on_missing="ignore") if readable else []
        other = np.full((len(images), _POINTS[other_name], 2), np.nan)
        for i, analysis in zip(readable, found, strict=True):
            if analysis.landmarks is not None:
                other[i] = analysis.landmarks

    # Inputs left out before detection (a manifest row whose file is gone).
    names = images + list(unusable["image"].astype(str))
    errors += list(unusable["error"].astype(str))
    extra = len(unusable)
    stack = np.concatenate([stack, np.full((extra, *stack.shape[1:]), np.nan)])
    if other is not None:
        other = np.concatenate([other, np.full((extra, *other.shape[1:]), np.nan)])
    analyses = analyses + [None] * extra

    def column(name):
        values = list(photos[name]) if name in photos else [None] * len(images)
        return values + [None] * extra

    flags = landmark_quality_flags(
        stack, images=names,
        image_shapes=[None if a is None else a.image_shape for a in analyses],
        n_faces=[0 if a is None else a.n_faces for a in analyses],
        other_landmarks=other, expressions=column("expression"),
        patients=column("patient_id"), sides=column("side"), errors=errors,
        max_yaw=max_yaw, max_pitch=max_pitch)
    sources = ["none" if a is None else a.source for a in analyses]

    if decisions is not None:
        decisions = load_review_decisions(decisions)
        known = {_key(name) for name in names}
        unmatched = [image for image in decisions["image"] if _key(image) not in known]
    else:
        unmatched = []
    pages = []
    groups = _pages(flags, page_size)
    targets = ([out] if len(groups) <= 1 else
               [out.with_name(f"{out.stem}-{k:03d}{out.suffix or '.html'}")
                for k in range(1, len(groups) + 1)])
    for rows, target in zip(groups, targets, strict=True):
        pages.append(write_review_page(
            [names[i] for i in rows], stack[rows], target,
            flags=flags.loc[rows], sources=[sources[i] for i in rows],
            decisions=decisions, title=f"Landmark review: {target.name}"))
    if not groups:
        pages.append(write_review_page([], np.empty((0, _POINTS[backend], 2)), out,
                                       flags=flags, decisions=decisions))
    page = pages[0]
    if len(groups) > 1:
        flagged = [(target.name, len(rows), int((flags.loc[rows, "n_flags"] > 0).sum()))
                   for rows, target in zip(groups, targets, strict=True)]
        page = write_review_index(flagged, out)

    flags_path = out.with_name(f"{out.stem}-flags.csv")
    ordered = flags.sort_values("priority", ascending=False, kind="stable")
    columns = ["image", "patient_id", "expression", "n_flags", "priority", "reasons",
               *FLAG_COLUMNS]
    ordered = ordered[columns + [c for c in ordered.columns if c not in columns]]
    write_csv_atomic(ordered, flags_path)
    return Bunch(flags=ordered.reset_index(drop=True), page=page, pages=pages,
                 flags_path=flags_path, backend=backend,
                 compared=other_name if other is not None else None,
                 images=names, unmatched_decisions=unmatched)

