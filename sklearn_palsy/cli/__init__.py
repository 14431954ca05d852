"""The ``sklearn-palsy`` command line and its batch back-ends.

:func:`main` runs the command (``sklearn-palsy`` or ``python -m
sklearn_palsy``). The work of the batch commands can be called from Python
too: :func:`extract_features` (``extract``), :func:`predict_images`,
:func:`decision_threshold` and :func:`summarize_videos` (``predict``),
:func:`assess_images` (``assess``, written by
:func:`~sklearn_palsy.reporting.write_assessment`). Nothing in
the library imports this package. The back-ends load torch, dlib and
MediaPipe, so they are imported on first use: ``--help`` stays instant.
"""

from ..utils._lazy import lazy_attributes
from ._main import build_parser, main

__all__ = [
    "assess_images",
    "build_parser",
    "decision_threshold",
    "extract_features",
    "landmarks_of",
    "main",
    "predict_images",
    "summarize_videos",
]

_LAZY = {
    "assess_images": "._assess",
    "decision_threshold": "._predict",
    "extract_features": "._extract",
    "landmarks_of": "._extract",
    "predict_images": "._predict",
    "summarize_videos": "._predict",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
