"""Multimodal fusion and the paper's configurations."""

from .._defaults import PAPER_PIPELINES
from ._fusion import (
    FusionClassifier,
    FusionModule,
    IntermediateFusionClassifier,
    PatientStackingClassifier,
    make_late_fusion,
)
from ._paper import make_paper_pipelines

__all__ = [
    "PAPER_PIPELINES",
    "FusionClassifier",
    "FusionModule",
    "IntermediateFusionClassifier",
    "PatientStackingClassifier",
    "make_late_fusion",
    "make_paper_pipelines",
]
