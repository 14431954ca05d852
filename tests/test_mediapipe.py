"""Tests of the MediaPipe Face Mesh backend (478 points with irises).

MediaPipe 0.10.21 needs numpy<2, so these run in their own environment:
``make test-mediapipe`` (called by CI). Elsewhere they are skipped.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.mediapipe
pytest.importorskip("mediapipe")

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_palsy.datasets import make_synthetic_cohort  # noqa: E402
from sklearn_palsy.faces import MEDIAPIPE478  # noqa: E402
from sklearn_palsy.preprocessing import (  # noqa: E402
    ExpressionFeatures,
    LandmarkDetector,
    LineSegmentRenderer,
)


@pytest.fixture(scope="module")
def cohort():
    return make_synthetic_cohort(n_patients=12, n_controls=12,
                                 expressions=("rest", "smile", "raise_eyebrows"),
                                 random_state=0)


@pytest.fixture(scope="module")
def mesh(cohort):
    return LandmarkDetector(backend="mediapipe", on_missing="nan").fit_transform(
        cohort.images)


def test_face_mesh_finds_478_points_on_95_percent(mesh, cohort):
    assert mesh.shape == (len(cohort.images), 478, 2)
    found = np.isfinite(mesh).all(axis=(1, 2))
    assert found.mean() >= 0.95


def test_mapped_ibug_points_are_near_the_ground_truth(mesh, cohort):
    found = np.isfinite(mesh).all(axis=(1, 2))
    mapped = MEDIAPIPE478.to_ibug68(mesh[found])
    truth = cohort.landmarks[found]
    iod = np.linalg.norm(truth[:, 36:42].mean(1) - truth[:, 42:48].mean(1), axis=1)
    # Eye corners, nose tip and mouth corners: well-defined in both schemes.
    stable = [36, 39, 42, 45, 30, 48, 54]
    error = np.linalg.norm(mapped[:, stable] - truth[:, stable], axis=2) / iod[:, None]
    assert np.median(error) < 0.15


def test_clinical_measures_in_millimetres_from_the_irises(mesh):
    features = ExpressionFeatures(kinds=("clinical",), scheme="mediapipe")
    values = features.fit_transform(mesh[np.isfinite(mesh).all(axis=(1, 2))])
    names = features.get_feature_names_out()
    assert any(name.endswith("_mm") for name in names)
    assert np.isfinite(values).all()


def test_mediapipe_features_separate_palsy(mesh, cohort):
    found = np.isfinite(mesh).all(axis=(1, 2))
    model = make_pipeline(ExpressionFeatures(kinds=("symmetry", "clinical"),
                                             scheme="mediapipe"),
                          StandardScaler(), LogisticRegression(max_iter=1000))
    auc = cross_val_score(model, mesh[found], cohort.y[found],
                          groups=cohort.groups[found], cv=GroupKFold(4),
                          scoring="roc_auc")
    assert auc.mean() >= 0.8


def test_line_images_from_mediapipe_landmarks(mesh):
    lines = LineSegmentRenderer(size=64, scheme="mediapipe").fit_transform(mesh[:3])
    assert lines.shape == (3, 64, 64) and lines.max() == 255
