"""Tests of the MediaPipe Face Mesh backend (478 points with irises), the default.

MediaPipe 0.10.21 is a dependency of the package wherever it has a wheel
(CPython 3.9-3.12), so ``make test`` runs these in the one environment that
``make demo`` uses. On other Pythons they are skipped, except the guard
test, which only asks there that ``backend="auto"`` says it fell back.
"""

import sys
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import load_model, make_paper_pipelines, save_model
from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces import (
    MEDIAPIPE478,
    BackendFallbackWarning,
    _analysis,
    resolve_backend,
)
from sklearn_palsy.preprocessing import (
    ExpressionFeatures,
    FaceCropper,
    LandmarkDetector,
    LineSegmentRenderer,
)

pytestmark = pytest.mark.mediapipe

# Where mediapipe==0.10.21 has a wheel, it is installed with the package.
MEDIAPIPE_EXPECTED = sys.version_info < (3, 13)
needs_mediapipe = pytest.mark.skipif(
    not MEDIAPIPE_EXPECTED, reason="mediapipe 0.10.21 has no wheel for this Python"
)


def test_the_default_backend_is_mediapipe_and_never_falls_back_silently(cohort):
    """Fails if the default environment lost MediaPipe, or "auto" hides it."""
    if not MEDIAPIPE_EXPECTED:
        with pytest.warns(BackendFallbackWarning):
            assert resolve_backend("auto") == "dlib"
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        assert resolve_backend("auto") == "mediapipe"
        images = cohort.images[:2]
        assert LandmarkDetector().fit(images).backend_ == "mediapipe"
        assert FaceCropper(size=32).fit(images).backend_ == "mediapipe"
        pipeline = make_paper_pipelines()["features_ffnn"]
        assert pipeline.named_steps["landmarks"].fit(images).backend_ == "mediapipe"
        assert LandmarkDetector().fit_transform(images).shape == (2, 478, 2)


def test_auto_falls_back_to_dlib_with_a_warning_that_says_why(monkeypatch, cohort):
    monkeypatch.setattr(_analysis, "_mediapipe_problem",
                        lambda: "ImportError: no module named 'mediapipe'")
    with pytest.warns(BackendFallbackWarning, match="no module named 'mediapipe'"):
        detector = LandmarkDetector().fit(cohort.images[:1])
    assert detector.backend_ == "dlib"
    assert detector.transform(cohort.images[:1]).shape == (1, 68, 2)


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=12, n_controls=12)


@pytest.fixture(scope="module")
def mesh(cohort):
    if not MEDIAPIPE_EXPECTED:
        pytest.skip("mediapipe 0.10.21 has no wheel for this Python")
    return LandmarkDetector(backend="mediapipe", on_missing="nan").fit_transform(
        cohort.images)


@pytest.fixture(scope="module")
def dlib_points(cohort):
    return LandmarkDetector(backend="dlib", on_missing="nan").fit_transform(
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


def mediapipe_feature_auc(mesh, cohort):
    """Mean ROC AUC under GroupKFold(4) of a logistic regression on the
    features of MediaPipe's landmarks (``benchmarks/bound_spread.py`` too)."""
    found = np.isfinite(mesh).all(axis=(1, 2))
    model = make_pipeline(ExpressionFeatures(kinds=("symmetry", "clinical"),
                                             scheme="mediapipe"),
                          StandardScaler(), LogisticRegression(max_iter=1000))
    auc = cross_val_score(model, mesh[found], cohort.y[found],
                          groups=cohort.groups[found], cv=GroupKFold(4),
                          scoring="roc_auc")
    return auc.mean()


def test_mediapipe_features_separate_palsy(mesh, cohort):
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): 0.972 / 0.988 / 0.996, min 0.972.
    assert mediapipe_feature_auc(mesh, cohort) >= 0.8


def test_line_images_from_mediapipe_landmarks(mesh):
    lines = LineSegmentRenderer(size=64, scheme="mediapipe").fit_transform(mesh[:3])
    assert lines.shape == (3, 64, 64) and lines.max() == 255


@needs_mediapipe
def test_a_fitted_detector_keeps_its_backend_even_where_auto_would_differ(
    monkeypatch, cohort, tmp_path
):
    detector = LandmarkDetector().fit(cohort.images[:1])
    path = tmp_path / "detector.safetensors"
    save_model(detector, path)
    monkeypatch.setattr(_analysis, "_mediapipe_problem", lambda: "gone")
    # Fitted: still MediaPipe, with no fallback; loaded from a file: the same.
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendFallbackWarning)
        assert detector.transform(cohort.images[:1]).shape == (1, 478, 2)
        loaded = load_model(path)
        assert loaded.backend_ == "mediapipe"


@needs_mediapipe
def test_models_refuse_landmarks_of_another_scheme(mesh, dlib_points, cohort,
                                                   tmp_path):
    found = np.isfinite(mesh).all(axis=(1, 2)) & np.isfinite(dlib_points).all(
        axis=(1, 2))
    model = make_pipeline(ExpressionFeatures(), StandardScaler(),
                          LogisticRegression(max_iter=1000))
    model.fit(mesh[found], cohort.y[found])
    assert model[0].scheme_ is MEDIAPIPE478
    path = tmp_path / "model.safetensors"
    save_model(model, path)
    for fitted in (model, load_model(path)):
        with pytest.raises(InvalidLandmarksError,
                           match=r"\(n, 478, 2\).*ibug68 landmarks.*trained with"):
            fitted.predict(dlib_points[found])
    lines = LineSegmentRenderer(size=32).fit(mesh[found][:2])
    with pytest.raises(InvalidLandmarksError, match="ibug68 landmarks"):
        lines.transform(dlib_points[found][:2])


@needs_mediapipe
def test_face_crops_follow_the_backend_and_share_its_cache_entry(cohort):
    from sklearn_palsy.faces import clear_face_cache, face_cache_info

    clear_face_cache()
    images = cohort.images[:4]
    LandmarkDetector(backend="mediapipe").fit_transform(images)
    computed = face_cache_info()["computed"]
    mesh_crops = FaceCropper(size=64, backend="mediapipe").fit_transform(images)
    assert face_cache_info()["computed"] == computed  # the same analyses
    dlib_crops = FaceCropper(size=64, backend="dlib").fit_transform(images)
    assert not np.array_equal(mesh_crops, dlib_crops)
    # Each crop is centred on the face: the true nose tip lies near the middle.
    offsets = []
    for image, truth in zip(images, cohort.landmarks[:4], strict=True):
        analysis = _analysis.analyze_face(image, backend="mediapipe")
        left, top, right, bottom = analysis.box
        side = max(right - left, bottom - top) * 1.5
        centre = np.array([(left + right) / 2, (top + bottom) / 2])
        offsets.append(np.linalg.norm(truth[30] - centre) / side)
    assert max(offsets) < 0.15
    clear_face_cache()


def backend_scores(cohort, seed=0):
    """Balanced accuracy and ROC AUC of the paper's features_ffnn (network
    seed ``seed``) out of fold under GroupKFold(3) by patient, per backend."""
    images = np.asarray(cohort.images)
    scores = {}
    for backend in ("auto", "dlib"):
        proba = np.empty(len(images))
        for train, test in GroupKFold(3).split(images, cohort.y, cohort.groups):
            model = make_paper_pipelines(ffnn_epochs=40, backend=backend,
                                         random_state=seed)["features_ffnn"]
            model.fit(images[train], cohort.y[train])
            proba[test] = model.predict_proba(images[test])[:, 1]
        scores[backend] = (balanced_accuracy_score(cohort.y, proba > 0.5),
                           roc_auc_score(cohort.y, proba))
    return scores


@needs_mediapipe
def test_the_feature_pipeline_with_auto_is_at_least_as_good_as_with_dlib(cohort):
    """The paper's features_ffnn, out of fold under GroupKFold(3) by patient."""
    scores = backend_scores(cohort)
    # Spread (benchmarks/bound_spread.py, 2026-12-06; network seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): balanced accuracy auto - dlib +0.033 / +0.025 / +0.025
    # (auto 0.942 / 0.933 / 0.933), ROC AUC auto - dlib +0.033 / +0.011 / +0.034 (auto
    # 0.978 / 0.973 / 0.974); min +0.025 and +0.011.
    assert scores["auto"][0] >= scores["dlib"][0]
    assert scores["auto"][1] >= scores["dlib"][1]


def _eye_opening(landmarks):
    features = ExpressionFeatures(kinds=("clinical",), scheme="ibug68")
    values = features.fit_transform(landmarks)
    names = list(features.get_feature_names_out())
    return values[:, [names.index(f"clinical__palpebral_fissure_height_{side}")
                      for side in ("right", "left")]]


def eye_opening_correlations(mesh, dlib_points, cohort):
    """Correlations of the measured eye opening with the renderer's: over all
    images by MediaPipe, and among the eye-closing photographs by each backend."""
    found = np.isfinite(mesh).all(axis=(1, 2)) & np.isfinite(dlib_points).all(
        axis=(1, 2))
    truth = _eye_opening(cohort.landmarks[found])
    measured = {"mediapipe": _eye_opening(MEDIAPIPE478.to_ibug68(mesh[found])),
                "dlib": _eye_opening(dlib_points[found])}
    closing = cohort.expression[found] == "close_eyes"

    def correlation(values, chosen=slice(None)):
        return np.corrcoef(truth[chosen].ravel(), values[chosen].ravel())[0, 1]

    return {"mediapipe": correlation(measured["mediapipe"]),
            "mediapipe_closing": correlation(measured["mediapipe"], closing),
            "dlib_closing": correlation(measured["dlib"], closing)}


@needs_mediapipe
def test_eye_opening_follows_the_renderer_better_with_mediapipe(mesh, dlib_points,
                                                                cohort):
    correlation = eye_opening_correlations(mesh, dlib_points, cohort)
    # Measured on this cohort: 0.87 against 0.85 over all images, and 0.85
    # against 0.49 among the eye-closing photographs, where lagophthalmos
    # shows. The target of 0.9 over all images is not reached on
    # the renderer's drawn lids (the docs say so).
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike; neither ISA setting reaches MediaPipe's or dlib's own
    # kernels): all images 0.871 / 0.888 / 0.901, min 0.871; eye closing 0.850 / 0.893 /
    # 0.916, min 0.850; MediaPipe - dlib on eye closing 0.364 / 0.271 / 0.328, min
    # 0.271.
    assert correlation["mediapipe"] >= 0.85
    assert correlation["mediapipe_closing"] >= 0.75
    assert correlation["mediapipe_closing"] >= correlation["dlib_closing"] + 0.2


@needs_mediapipe
def test_features_agree_across_schemes_up_to_the_models_differences(mesh, dlib_points,
                                                                    cohort):
    found = np.isfinite(mesh).all(axis=(1, 2)) & np.isfinite(dlib_points).all(
        axis=(1, 2))
    mapped = MEDIAPIPE478.to_ibug68(mesh[found])
    for kind in ("symmetry", "clinical"):
        features = ExpressionFeatures(kinds=(kind,), scheme="ibug68")
        dlib = features.fit_transform(dlib_points[found])
        other = features.transform(mapped)
        spread = np.concatenate([dlib, other]).std(axis=0)
        ratio = np.median(np.abs(other - dlib), axis=0) / spread
        # Half a spread or so: the same features, each model with its own
        # errors (benchmarks/bench_backends.py prints the details).
        assert np.median(ratio) <= 0.8, kind
    # With irises, the clinical lengths are in millimetres.
    iris = ExpressionFeatures(kinds=("clinical",), scheme="mediapipe")
    names = list(iris.fit(mesh[found]).get_feature_names_out())
    assert any(name.endswith("_mm") for name in names)
