"""Multimodal fusion: joining neural trunks, and late fusion of classifiers.

The paper's seven configurations are in :mod:`sklearn_palsy.paper`.
"""

from ._fusion import (
    FusionModule,
    IntermediateFusionClassifier,
    PatientStackingClassifier,
    make_late_fusion,
)

__all__ = [
    "FusionModule",
    "IntermediateFusionClassifier",
    "PatientStackingClassifier",
    "make_late_fusion",
]
