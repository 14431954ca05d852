"""The ``sklearn-palsy`` command line and its batch back-ends.

:func:`main` runs the command (``sklearn-palsy`` or ``python -m
sklearn_palsy``). The work of the batch commands can be called from Python
too: :func:`extract_features` (``extract``), :func:`predict_images` and
:func:`summarize_videos` (``predict``), :func:`assess_images` (``assess``,
written by :func:`~sklearn_palsy.reporting.write_assessment`). Nothing in
the library imports this package. The back-ends load torch, dlib and
MediaPipe, so they are imported on first use: ``--help`` stays instant.
"""

import importlib

from ._main import build_parser, main

__all__ = [
    "assess_images",
    "build_parser",
    "extract_features",
    "landmarks_of",
    "main",
    "predict_images",
    "summarize_videos",
]

_LAZY = {
    "assess_images": "._assess",
    "extract_features": "._extract",
    "landmarks_of": "._extract",
    "predict_images": "._predict",
    "summarize_videos": "._predict",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
