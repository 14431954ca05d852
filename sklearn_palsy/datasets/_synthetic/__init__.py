"""A synthetic cohort of photo-like faces with and without unilateral palsy.

Real patient photographs cannot be shipped, so the demo and the tests run on
faces rendered here from a parametric iBUG 300-W 68-point landmark model, so
that dlib's real detector and shape predictor work on the images and the
ground-truth landmarks are known exactly. One module per part: the face
model (:mod:`._face`: identity, expressions, palsy and its severity per
region), the head (:mod:`._head`: depth, 3-D pose and projection), the
painter (:mod:`._painter`: landmarks to an image) and the cohort
(:mod:`._cohort`: :func:`make_synthetic_cohort` and its files).

The functions exported here besides the cohort keep their signatures for
other generators (the synthetic videos): a shape interpolated between rest
and an expression (:func:`face_shape`) can be painted frontally
(:func:`render`), or placed with ``_head._pose_3d`` and painted turned with
``render(..., head=head)``.
"""

from ._cohort import VARIETIES, make_synthetic_cohort
from ._face import (
    ASYMMETRIES,
    EXPRESSIONS,
    PALSY_TYPES,
    REGIONS,
    draw_identity,
    draw_natural_asymmetry,
    face_shape,
    severity_by_region,
)
from ._painter import render

__all__ = [
    "ASYMMETRIES",
    "EXPRESSIONS",
    "PALSY_TYPES",
    "REGIONS",
    "VARIETIES",
    "draw_identity",
    "draw_natural_asymmetry",
    "face_shape",
    "make_synthetic_cohort",
    "render",
    "severity_by_region",
]
