"""Multimodal fusion: joining neural trunks, and late fusion of classifiers.

The paper's seven configurations moved to :mod:`sklearn_palsy.paper`;
``sklearn_palsy.fusion.make_paper_pipelines`` and ``PAPER_PIPELINES`` still
work, with a ``FutureWarning``.
"""

import warnings

from ._fusion import (
    FusionClassifier,
    FusionModule,
    IntermediateFusionClassifier,
    PatientStackingClassifier,
    make_late_fusion,
)

__all__ = [
    "FusionClassifier",
    "FusionModule",
    "IntermediateFusionClassifier",
    "PatientStackingClassifier",
    "make_late_fusion",
]

# Deprecated aliases: names that moved to sklearn_palsy.paper.
_MOVED_TO_PAPER = ("PAPER_PIPELINES", "make_paper_pipelines")


def __getattr__(name):
    if name not in _MOVED_TO_PAPER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"sklearn_palsy.fusion.{name} moved to sklearn_palsy.paper.{name} and "
        "will be removed from sklearn_palsy.fusion in 0.3; import it from "
        "sklearn_palsy.paper (or sklearn_palsy for make_paper_pipelines).",
        FutureWarning,
        stacklevel=2,
    )
    # The one import from a layer above: a deprecated alias, made on use
    # (tests/test_architecture.py lists it).
    from ..paper import _defaults, _pipelines

    return getattr(_defaults if name == "PAPER_PIPELINES" else _pipelines, name)
