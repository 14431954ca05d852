"""Movement from rest (PatientMovement) and predictions per patient (PatientClassifier).

Most tests use the synthetic cohort's exact landmarks, which are fast; one
detects landmarks with dlib on an on-disk cohort, and one (slow) compares
static and movement features on dlib-detected landmarks.
"""

import pickle
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_palsy.clinical._movement import (
    MovementWarning,
    PatientMovement,
    movement_feature_names,
)
from sklearn_palsy.clinical._movement_measures import MOVEMENTS
from sklearn_palsy.clinical._patient import PatientClassifier
from sklearn_palsy.datasets import load_manifest
from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces._schemes import IBUG68, IBUG68_MEAN_FACE, MEDIAPIPE478
from sklearn_palsy.preprocessing import ExpressionFeatures, LandmarkDetector

STATIC = ("symmetry", "clinical")
N_STATIC = 63


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    """The default cohort: 21 patients, 21 controls, five expressions each."""
    return synthetic_cohort()


def landmark_frame(cohort, landmarks=None):
    """The cohort's frame with a ``landmarks`` column (exact ones by default)."""
    landmarks = cohort.landmarks if landmarks is None else landmarks
    return cohort.frame.assign(landmarks=list(landmarks))


def stack_landmarks(frame):
    """The ``landmarks`` column as an (n, K, 2) array (for static-only models)."""
    return np.stack(frame["landmarks"].to_numpy())


def features(frame, **params):
    movement = PatientMovement(**params).fit(frame)
    return pd.DataFrame(movement.transform(frame),
                        columns=movement.get_feature_names_out(), index=frame.index)


def classifier(features_step):
    """Features -> median imputation -> scaling -> logistic regression, per patient."""
    return PatientClassifier(make_pipeline(
        features_step,
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    ))


def patient_scores(model, frame, cohort, n_splits=5):
    """Per-patient ROC AUC and F1 from out-of-fold predictions, split by patient."""
    proba = cross_val_predict(model, frame, cohort.y, groups=cohort.groups,
                              cv=GroupKFold(n_splits), method="predict_proba")[:, 1]
    per_patient = pd.DataFrame(
        {"patient": cohort.groups, "y": cohort.y, "proba": proba}
    ).groupby("patient").first()
    return (roc_auc_score(per_patient.y, per_patient.proba),
            f1_score(per_patient.y, per_patient.proba >= 0.5))


def photo(face, angle_deg=0.0, scale=100.0, shift=(300.0, 250.0)):
    """An aligned face placed in a photograph: rolled, scaled, moved."""
    angle = np.deg2rad(angle_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)],
                         [np.sin(angle), np.cos(angle)]])
    return face @ rotation.T * scale + np.asarray(shift)


def handmade_frame():
    """One patient: two rest photos and each expression, with known movements."""
    rest = IBUG68_MEAN_FACE.copy()
    rest_brow_up = rest.copy()
    rest_brow_up[17:22, 1] -= 0.1  # the rest brow: mean 0.05 above the first's
    raise_ = rest.copy()
    raise_[17:22, 1] -= 0.2  # each brow rises whole
    raise_[22:27, 1] -= 0.1
    close = rest.copy()
    close[[37, 38, 43, 44]] = rest[[41, 40, 47, 46]]  # the lids meet
    smile = rest.copy()
    smile[48] += [-0.12, -0.16]  # 0.2 out and up; the left corner stays
    teeth = rest.copy()
    teeth[58, 1] += 0.1
    teeth[56, 1] += 0.05
    pucker = rest.copy()
    pucker[48, 0] += 0.1  # the right corner is at x < 0: towards the midline
    pucker[54, 0] -= 0.05
    faces = {
        "rest": photo(rest, 4, 90),
        "raise_eyebrows": photo(raise_, -3, 110, (200, 300)),
        "close_eyes": photo(close, 2, 95),
        "smile": photo(smile, -6, 120, (150, 150)),
        "show_lower_teeth": photo(teeth, 1, 80),
        "pucker": photo(pucker, 0, 100),
    }
    expressions = list(faces) + ["rest"]
    landmarks = list(faces.values()) + [photo(rest_brow_up, -5, 70, (90, 90))]
    return pd.DataFrame({"patient_id": "P1", "expression": expressions,
                         "landmarks": landmarks})


def to_mediapipe(ibug_points, iris_diameter):
    """A 478-point face: the iBUG points where MediaPipe maps them, and irises."""
    face = np.zeros((478, 2))
    face[list(MEDIAPIPE478.ibug_index)] = ibug_points
    radius = iris_diameter / 2
    for eye, region in ((range(36, 42), "right_iris"), (range(42, 48), "left_iris")):
        centre = ibug_points[list(eye)].mean(axis=0)
        rim = [[radius, 0], [0, -radius], [-radius, 0], [0, radius]]
        face[list(MEDIAPIPE478.regions[region])] = centre + np.r_[[[0, 0]], rim]
    return face


# --------------------------------------------------------------------------
# The measures.


def test_known_movements_of_a_handmade_face():
    F = features(handmade_frame())
    F.columns = [name.removeprefix("movement__") for name in F.columns]
    by = F.set_index(handmade_frame()["expression"]).drop(index="rest")
    expected = {
        # The second rest photo lifts the mean rest brow by 0.05.
        ("raise_eyebrows", "brow_elevation"): (0.15, 0.1),
        ("close_eyes", "eye_closure"): (1.0, 1.0),
        ("smile", "commissure_displacement"): (0.2, 0.0),
        ("show_lower_teeth", "lower_lip_depression"): (0.1, 0.05),
        ("pucker", "pucker_excursion"): (0.1, 0.05),
    }
    for (expression, movement), (right, left) in expected.items():
        row = by.loc[expression]
        assert row[f"{movement}_right"] == pytest.approx(right, abs=1e-9)
        assert row[f"{movement}_left"] == pytest.approx(left, abs=1e-9)
        assert row[f"{movement}_asym"] == pytest.approx(left - right, abs=1e-9)
        assert row[f"{movement}_ratio"] == pytest.approx(
            min(right, left) / max(right, left), abs=1e-9)
    # Each expression fills only its own movements.
    for expression, row in by.iterrows():
        mine = {name for name, on, _ in MOVEMENTS if on == expression}
        filled = {name.rsplit("_", 1)[0] for name in row.index[row.notna()]}
        assert filled == mine
    assert F.iloc[0].isna().all()  # the rest photo


def test_ratio_reads_the_severity_and_asym_the_side(cohort):
    F = features(landmark_frame(cohort))
    frame = cohort.frame
    # Head yaw foreshortens x, so the mouth corners' travel is read less
    # exactly than the brows' and lids' vertical movements.
    for expression, movement, tolerance in (
        ("raise_eyebrows", "brow_elevation", 0.01),
        ("close_eyes", "eye_closure", 0.01),
        ("smile", "commissure_displacement", 0.05),
    ):
        rows = (frame.expression == expression).to_numpy()
        ratio = F[f"movement__{movement}_ratio"][rows].to_numpy()
        asym = F[f"movement__{movement}_asym"][rows].to_numpy()
        patient = frame.label[rows].to_numpy() == 1
        # The affected side moves (1 - severity) as far as the healthy one.
        np.testing.assert_allclose(ratio, 1 - frame.severity[rows], atol=tolerance)
        # left - right < 0 when the subject's left is the weak side.
        side = frame.side[rows].to_numpy()[patient]
        assert np.all(np.sign(asym[patient]) == np.where(side == "left", -1, 1))


def test_mirroring_swaps_the_sides(cohort):
    frame = landmark_frame(cohort)
    mirrored = cohort.landmarks[:, IBUG68.mirror_permutation] * [-1, 1]
    F = features(frame)
    M = features(landmark_frame(cohort, mirrored))
    for movement, _, _ in MOVEMENTS:
        name = f"movement__{movement}"
        np.testing.assert_allclose(M[f"{name}_right"], F[f"{name}_left"], atol=1e-9)
        np.testing.assert_allclose(M[f"{name}_ratio"], F[f"{name}_ratio"], atol=1e-9)
        np.testing.assert_allclose(M[f"{name}_asym"], -F[f"{name}_asym"], atol=1e-9)


def test_millimetres_from_the_rest_photos_irises():
    frame = handmade_frame()
    frame = frame[frame.expression.isin(["rest", "raise_eyebrows"])]
    scale = {0: 90, 1: 110, 6: 70}  # pixels per inter-ocular distance
    # The same iris in millimetres: 11.7 mm / mm-per-pixel at each scale.
    mm_per_iod = 62.0
    iris = {row: scale[row] * 11.7 / mm_per_iod for row in scale}
    iris[1] *= 0.5  # an iris hidden by a raised lid: the rest photos' count
    frame = frame.assign(landmarks=[to_mediapipe(points, iris[row]) for row, points
                                    in frame.landmarks.items()])
    F = features(frame)
    assert F.columns[0] == "movement__brow_elevation_right_mm"
    assert "movement__brow_elevation_ratio" in F.columns
    row = F.loc[1]
    assert row["movement__brow_elevation_right_mm"] == pytest.approx(0.15 * mm_per_iod)
    assert row["movement__brow_elevation_left_mm"] == pytest.approx(0.1 * mm_per_iod)
    assert row["movement__brow_elevation_ratio"] == pytest.approx(0.1 / 0.15)
    blind = list(frame.landmarks)
    blind[2] = blind[2].copy()
    blind[2][469:473] = blind[2][468]  # irises of no size in a rest photo
    blind[2][474:478] = blind[2][473]
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2\] .* iris of zero"):
        features(frame.assign(landmarks=blind))


def test_static_features_come_first_for_every_photo(cohort):
    frame = landmark_frame(cohort)
    movement = PatientMovement(static_kinds=STATIC).fit(frame)
    both = movement.transform(frame)
    static = ExpressionFeatures(kinds=STATIC).fit_transform(cohort.landmarks)
    np.testing.assert_allclose(both[:, :N_STATIC], static)
    np.testing.assert_allclose(both[:, N_STATIC:], features(frame).to_numpy())
    names = list(movement.get_feature_names_out())
    assert names[:N_STATIC] == list(ExpressionFeatures(kinds=STATIC).fit(
        cohort.landmarks).get_feature_names_out())
    assert names[N_STATIC:] == movement_feature_names()


def test_expression_map_renames_expressions():
    frame = handmade_frame()
    renamed = frame.assign(expression=frame.expression.replace(
        {"rest": "neutral", "smile": "big smile"}))
    mapping = {"neutral": "rest", "big smile": "smile"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = features(renamed, expression_map=mapping)
    np.testing.assert_array_equal(got.to_numpy(), features(frame).to_numpy())


# --------------------------------------------------------------------------
# Missing pieces: NaN and one warning, never a crash.


def test_missing_rest_and_unknown_expression_warn_once(cohort):
    frame = landmark_frame(cohort).reset_index(drop=True)
    frame = frame[~((frame.patient_id == "P03") & (frame.expression == "rest"))]
    frame = frame.reset_index(drop=True)
    odd = int(np.flatnonzero((frame.patient_id == "C02")
                             & (frame.expression == "smile"))[0])
    frame.loc[odd, "expression"] = "frown"
    frame.loc[odd + 1, "expression"] = None
    movement = PatientMovement(static_kinds=STATIC).fit(frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = movement.transform(frame)
    assert [w.category for w in caught] == [MovementWarning]
    message = str(caught[0].message)
    p03 = np.flatnonzero(frame.patient_id == "P03")
    assert "patient(s) P03 have no rest" in message
    assert f"rows {', '.join(map(str, p03))}" in message
    assert f"rows {odd}, {odd + 1} have an expression not in" in message
    assert "(None, frown; see expression_map)" in message
    movement_part = out[:, N_STATIC:]
    assert np.isnan(movement_part[p03]).all()
    assert np.isnan(movement_part[[odd, odd + 1]]).all()
    # Static features are still there, and the others' movements too.
    assert np.isfinite(out[:, :N_STATIC]).all()
    others = (frame.expression != "rest").to_numpy(copy=True)
    others[p03] = others[odd] = others[odd + 1] = False
    assert np.isfinite(movement_part[others]).any(axis=1).all()


def test_photo_without_landmarks_is_nan(cohort):
    frame = landmark_frame(cohort).iloc[:10].reset_index(drop=True)
    reference = PatientMovement(static_kinds=STATIC).fit(frame).transform(frame)
    landmarks = list(frame.landmarks)
    landmarks[2] = np.full((68, 2), np.nan)  # no face in P01's raised eyebrows
    landmarks[5] = np.full((68, 2), np.nan)  # nor in P02's only rest photo
    holed = frame.assign(landmarks=landmarks)
    with pytest.warns(MovementWarning) as record:
        out = PatientMovement(static_kinds=STATIC).fit(holed).transform(holed)
    message = str(record[0].message)
    assert "rows 2, 5 have no landmarks" in message
    assert "patient(s) P02 have no rest photo" in message
    assert np.isnan(out[[2, 5]]).all()
    assert np.isnan(out[6:10, N_STATIC:]).all()  # P02 has no usable rest
    kept = [0, 1, 3, 4]
    np.testing.assert_allclose(out[kept], reference[kept])


def test_bad_input_is_refused_naming_it(cohort):
    frame = landmark_frame(cohort).iloc[:10].reset_index(drop=True)
    with pytest.raises(TypeError, match="takes a pandas DataFrame"):
        PatientMovement().fit(cohort.landmarks)
    with pytest.raises(ValueError, match="lacks the column.*'expression'"):
        PatientMovement().fit(frame.drop(columns="expression"))
    with pytest.raises(ValueError, match="'landmarks', 'path' or 'image'"):
        PatientMovement().fit(frame.drop(columns="landmarks"))
    cut = frame.assign(landmarks=[points[:67] if i == 3 else points
                                  for i, points in enumerate(frame.landmarks)])
    with pytest.raises(InvalidLandmarksError, match=r"rows \[3\]"):
        PatientMovement().fit(cut)
    flat = frame.assign(landmarks=[np.zeros((68, 2)) if i == 7 else points
                                   for i, points in enumerate(frame.landmarks)])
    with pytest.raises(InvalidLandmarksError, match=r"rows \[7\] are degenerate"):
        PatientMovement().fit(frame).transform(flat)
    images = frame.drop(columns="landmarks").assign(image=["a.png"] * len(frame))
    with pytest.raises(ValueError, match="fitted on a 'landmarks' column"):
        PatientMovement().fit(frame).transform(images)
    mediapipe = frame.assign(landmarks=[np.zeros((478, 2))] * len(frame))
    with pytest.raises(InvalidLandmarksError, match=r"rows \[0, 1, .* ibug68 scheme"):
        PatientMovement().fit(frame).transform(mediapipe)
    nameless = frame.assign(patient_id=[None] + list(frame.patient_id[1:]))
    with pytest.raises(ValueError, match="missing .* patient id"):
        PatientMovement().fit(frame).transform(nameless)


# --------------------------------------------------------------------------
# Separating palsy from controls, per patient.


def test_movement_separates_patients(cohort):
    # Measured: per-patient ROC AUC 1.000 and F1 1.000 (21 + 21 people, five
    # expressions, severity_range=(0.4, 1.0), exact landmarks, GroupKFold(5),
    # logistic regression on the movement features alone, mean per patient).
    auc, f1 = patient_scores(classifier(PatientMovement()), landmark_frame(cohort),
                             cohort)
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): ROC AUC and F1 1.000 on every run.
    assert auc >= 0.95
    assert f1 >= 0.9


@pytest.mark.slow
def test_movement_with_static_features_on_detected_landmarks(synthetic_cohort):
    # With exact landmarks the static features alone are already perfect on
    # the synthetic cohort (its faces are symmetric but for the palsy), so
    # the comparison is made on dlib's landmarks, which are off by about
    # 5 % of the inter-ocular distance. Measured (21 + 21 people,
    # GroupKFold(5), per-patient F1 / ROC AUC): static 0.857 / 0.932, static
    # and movement 0.923 / 0.952, for severity_range=(0.2, 0.6); with the
    # default (0.4, 1.0), 0.923 / 0.986 and 0.950 / 0.984.
    f1_static, f1_both = static_and_movement_f1(
        synthetic_cohort(severity_range=(0.2, 0.6)))
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): static 0.857 / 0.976 / 0.850, static and movement 0.923 /
    # 0.900 / 0.878, the difference +0.066 / -0.076 / +0.028. This test asserted a gain
    # of at least 0.05, which only the cohort of seed 0 gives: on seed 1 the static
    # features alone do better. What holds on every run: the combined model stays good
    # (min 0.878; calling everyone a patient gives 0.667) and costs at most 0.1 against
    # the static one.
    assert f1_both >= 0.85, (f1_static, f1_both)
    assert f1_both >= f1_static - 0.1, (f1_static, f1_both)
    # Movement alone, from dlib's landmarks of the default cohort: per-patient
    # ROC AUC 1.000 (MediaPipe's: 0.995); over cohort seeds 0 / 1 / 2, 1.000 /
    # 0.964 / 0.977 on both ISAs, min 0.964.
    auc, _ = detected_movement_scores(synthetic_cohort())
    assert auc >= 0.95


def static_and_movement_f1(cohort):
    """Per-patient F1 of the static features alone and with the movement
    features, from dlib's landmarks (``benchmarks/bound_spread.py`` too)."""
    detected = LandmarkDetector(backend="dlib").fit_transform(cohort.images)
    frame = landmark_frame(cohort, detected)
    static = classifier(make_pipeline(FunctionTransformer(stack_landmarks),
                                      ExpressionFeatures(kinds=STATIC)))
    both = classifier(PatientMovement(static_kinds=STATIC))
    _, f1_static = patient_scores(static, frame, cohort)
    _, f1_both = patient_scores(both, frame, cohort)
    return f1_static, f1_both


def detected_movement_scores(cohort):
    """Per-patient ROC AUC and F1 of the movement features of dlib's landmarks."""
    detected = LandmarkDetector(backend="dlib").fit_transform(cohort.images)
    return patient_scores(classifier(PatientMovement()),
                          landmark_frame(cohort, detected), cohort)


def test_detected_landmarks_of_an_on_disk_cohort(synthetic_cohort):
    cohort = synthetic_cohort(n_patients=2, n_controls=2, on_disk=True,
                              expressions=("rest", "raise_eyebrows", "smile"))
    frame = load_manifest(cohort.manifest).frame
    movement = PatientMovement(backend="dlib").fit(frame)
    assert movement.backend_ == "dlib" and movement.scheme_ is IBUG68
    out = movement.transform(frame)
    # The same as the landmarks column holding dlib's landmarks.
    detected = LandmarkDetector(backend="dlib").fit_transform(frame.path)
    np.testing.assert_allclose(out, features(landmark_frame(cohort, detected)))
    ratios = pd.DataFrame(out, columns=movement.get_feature_names_out()).filter(
        like="_ratio")
    rest = (frame.expression == "rest").to_numpy()
    assert ratios[rest].isna().all().all()
    assert ratios[~rest].notna().sum(axis=1).eq(
        np.where(frame.expression[~rest] == "smile", 4, 1)).all()
    # dlib's landmarks are off by about 5 % of the inter-ocular distance, so
    # one photo's ratio is noisy (a control's brow reads 0.54); their mean
    # over a patient's movements still separates: P01 0.52, P02 0.55 against
    # C01 0.83, C02 0.80 (severities 0.73, 0.48).
    mean_ratio = ratios.groupby(frame.patient_id.to_numpy()).mean().mean(axis=1)
    assert mean_ratio[["P01", "P02"]].max() < 0.65 < mean_ratio[["C01", "C02"]].min()


@pytest.mark.mediapipe
@pytest.mark.skipif(sys.version_info >= (3, 13),
                    reason="mediapipe 0.10.21 has no wheel for this Python")
def test_mediapipe_landmarks_give_millimetres(synthetic_cohort):
    cohort = synthetic_cohort(n_patients=2, n_controls=2, on_disk=True,
                              expressions=("rest", "raise_eyebrows", "smile"))
    frame = load_manifest(cohort.manifest).frame
    movement = PatientMovement(backend="mediapipe").fit(frame)
    assert movement.scheme_ is MEDIAPIPE478
    F = pd.DataFrame(movement.transform(frame),
                     columns=movement.get_feature_names_out())
    raised = (frame.expression == "raise_eyebrows").to_numpy()
    patient = (frame.label == 1).to_numpy()
    ratio = F["movement__brow_elevation_ratio"]
    # Measured: 0.45 and 0.46 (severities 0.73, 0.48) against 0.70 and 0.84,
    # the brow curve's rise above the iris centre (Emotrics's brow height),
    # which MediaPipe detects a little unevenly on the controls.
    assert ratio[raised & patient].max() < 0.55 < 0.65 < ratio[raised & ~patient].min()
    # The synthetic brow rises up to 0.19 inter-ocular distances, at its
    # middle: above the iris centre MediaPipe reads 5.0 to 8.6 mm on the
    # controls, a real brow's range (IOD about 60 mm).
    healthy = F.loc[raised & ~patient, ["movement__brow_elevation_right_mm",
                                        "movement__brow_elevation_left_mm"]]
    assert healthy.to_numpy().min() > 4 and healthy.to_numpy().max() < 15


# --------------------------------------------------------------------------
# scikit-learn behaviour.


def symmetry_movement_fold_aucs(cohort):
    """Per-fold ROC AUC (GroupKFold(3), exact landmarks) of the symmetry and
    movement features through cross_validate."""
    model = classifier(PatientMovement(static_kinds=("symmetry",)))
    scores = cross_validate(model, landmark_frame(cohort), cohort.y,
                            groups=cohort.groups, cv=GroupKFold(3), scoring="roc_auc")
    return scores["test_score"]


def test_pipeline_cross_validate_clone_and_pickle(cohort):
    frame = landmark_frame(cohort)
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): every fold's ROC AUC 1.000.
    assert symmetry_movement_fold_aucs(cohort).min() > 0.9
    movement = PatientMovement(static_kinds=("symmetry",)).fit(frame)
    again = pickle.loads(pickle.dumps(movement))
    np.testing.assert_array_equal(again.transform(frame), movement.transform(frame))
    copy = clone(movement)
    assert copy.get_params() == movement.get_params()
    assert not hasattr(copy, "scheme_")
    named = clone(movement).set_output(transform="pandas").fit_transform(frame)
    assert list(named.columns) == list(movement.get_feature_names_out())
    assert named.index.equals(frame.index)


def test_patient_classifier_pools_each_patients_photos(tabular_data):
    X, y, groups = tabular_data()
    inner = LogisticRegression().fit(X, y)
    photo = inner.predict_proba(X).astype(np.float64)  # pooled in float64
    for aggregate, pool in (("mean", np.mean), ("median", np.median),
                            ("max", np.max)):
        model = PatientClassifier(LogisticRegression(), aggregate=aggregate)
        proba = model.fit(X, y).predict_proba(X, groups=groups)
        assert proba.dtype == np.float64
        for patient in np.unique(groups):
            mine = groups == patient
            expected = pool(photo[mine], axis=0)
            expected = expected / expected.sum()
            np.testing.assert_allclose(proba[mine], np.tile(expected, (mine.sum(), 1)))
        np.testing.assert_array_equal(model.predict(X, groups=groups),
                                      model.classes_[proba.argmax(axis=1)])
    patients = model.predict_patients(X, groups=groups)
    assert list(patients.columns) == ["patient_id", "n_images", "prediction",
                                      "proba_0", "proba_1"]
    assert patients.patient_id.tolist() == list(pd.unique(groups))
    assert (patients.n_images == 4).all()


def test_patient_classifier_reads_the_patient_column(cohort):
    frame = landmark_frame(cohort)
    model = classifier(PatientMovement()).fit(frame, cohort.y)
    proba = model.predict_proba(frame)
    per_patient = pd.DataFrame(proba).groupby(cohort.groups).nunique()
    assert (per_patient == 1).all().all()
    patients = model.predict_patients(frame)
    assert len(patients) == 42
    # Explicit groups win over the column.
    singletons = np.arange(len(frame))
    np.testing.assert_allclose(model.predict_proba(frame, groups=singletons),
                               model.estimator_.predict_proba(frame))


def test_patient_classifier_without_patients_or_probabilities(tabular_data):
    X, y, groups = tabular_data()
    model = PatientClassifier(LogisticRegression()).fit(X, y)
    with pytest.warns(UserWarning, match="given no patients"):
        proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, model.estimator_.predict_proba(X))
    voting = PatientClassifier(RidgeClassifier()).fit(X, y)
    assert not hasattr(voting, "predict_proba")
    votes = voting.estimator_.predict(X)
    majority = pd.Series(votes).groupby(groups).agg(lambda v: int(v.mean() > 0.5))
    ties = pd.Series(votes).groupby(groups).mean() == 0.5
    expected = np.where(ties[groups], 0, majority[groups])  # a tie: first class
    np.testing.assert_array_equal(voting.predict(X, groups=groups), expected)


def test_patient_classifier_metadata_routing(tabular_data):
    X, y, groups = tabular_data()
    weights = np.linspace(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        model = PatientClassifier(LogisticRegression().set_fit_request(
            sample_weight=True)).set_predict_proba_request(groups=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             model)
        pipe.fit(X, y, sample_weight=weights)
        proba = pipe.predict_proba(X, groups=groups)
    scaled = StandardScaler().fit_transform(X)
    direct = LogisticRegression().fit(scaled, y, sample_weight=weights)
    np.testing.assert_allclose(pipe[-1].estimator_.coef_, direct.coef_)
    first = groups == groups[0]
    np.testing.assert_allclose(proba[first][0],
                               direct.predict_proba(scaled[first]).mean(axis=0))


def test_eye_closure_is_nan_without_an_opening_and_at_most_complete():
    """One eye closure (preprocessing._features.eye_closure, as regional_scores
    measures it): an eye with no opening at rest has no closure to measure
    (NaN, not 0), and lids that cross on closing have closed fully (1, not
    more)."""
    rest = IBUG68_MEAN_FACE.copy()
    rest[[37, 38]] = rest[[41, 40]]  # the right eye shut at rest
    close = rest.copy()
    close[[43, 44]] = rest[[47, 46]] + [0.0, 0.01]  # the left lids cross
    frame = pd.DataFrame({"patient_id": "P1", "expression": ["rest", "close_eyes"],
                          "landmarks": [rest, close]})
    F = features(frame)
    assert np.isnan(F["movement__eye_closure_right"].iloc[1])
    assert F["movement__eye_closure_left"].iloc[1] == 1.0
    assert np.isnan(F["movement__eye_closure_ratio"].iloc[1])
