"""Multimodal fusion and the paper's configurations."""

from .._defaults import PAPER_PIPELINES
from ._fusion import FusionClassifier, FusionModule
from ._paper import make_paper_pipelines

__all__ = [
    "PAPER_PIPELINES",
    "FusionClassifier",
    "FusionModule",
    "make_paper_pipelines",
]
