"""Tests of the synthetic cohort, including its acceptance figures."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_palsy.datasets import load_manifest, make_synthetic_cohort
from sklearn_palsy.faces._dlib import detect_faces, predict_landmarks
from sklearn_palsy.faces._geometry import align_landmarks
from sklearn_palsy.faces._schemes import IBUG68


def _clinical_asymmetry(landmarks):
    """Brow-height plus commissure-height deviation, in inter-ocular distances."""
    aligned, _ = align_landmarks(landmarks, IBUG68)
    brow = np.abs(aligned[:, 17:22, 1].mean(1) - aligned[:, 22:27, 1].mean(1))
    commissure = np.abs(aligned[:, 48, 1] - aligned[:, 54, 1])
    return brow + commissure


@pytest.fixture(scope="module")
def small_cohort():
    return make_synthetic_cohort(
        n_patients=3, n_controls=2, expressions=("rest", "smile"), image_size=96,
        random_state=0,
    )


def test_shapes_labels_and_groups(small_cohort):
    cohort = small_cohort
    assert cohort.images.shape == (10, 96, 96, 3)
    assert cohort.images.dtype == np.uint8
    assert cohort.X is cohort.images
    assert cohort.landmarks.shape == (10, 68, 2)
    assert cohort.y.tolist() == [1] * 6 + [0] * 4
    assert cohort.groups.tolist() == [
        "P01", "P01", "P02", "P02", "P03", "P03", "C01", "C01", "C02", "C02"
    ]
    assert cohort.expression.tolist() == ["rest", "smile"] * 5
    assert set(cohort.side[cohort.y == 1]) <= {"left", "right"}
    assert set(cohort.side[cohort.y == 0]) == {"none"}
    assert np.all(cohort.severity[cohort.y == 0] == 0)
    assert np.all((cohort.severity[cohort.y == 1] >= 0.4)
                  & (cohort.severity[cohort.y == 1] <= 1.0))
    assert np.all(cohort.grade[cohort.y == 0] == 1)
    assert np.all(cohort.grade[cohort.y == 1] >= 3)
    # Each person's side and severity are the same in all their images.
    for patient in set(cohort.groups):
        rows = cohort.frame[cohort.frame.patient_id == patient]
        assert rows.side.nunique() == 1 and rows.severity.nunique() == 1


def test_same_seed_same_cohort_and_other_seed_differs(small_cohort):
    again = make_synthetic_cohort(
        n_patients=3, n_controls=2, expressions=("rest", "smile"), image_size=96,
        random_state=0,
    )
    np.testing.assert_array_equal(again.images, small_cohort.images)
    np.testing.assert_array_equal(again.landmarks, small_cohort.landmarks)
    other = make_synthetic_cohort(
        n_patients=3, n_controls=2, expressions=("rest", "smile"), image_size=96,
        random_state=1,
    )
    assert not np.array_equal(other.images, small_cohort.images)


def test_images_look_like_faces_where_the_landmarks_are(small_cohort):
    # Ground-truth landmarks lie inside the image, the lips are redder than
    # the cheeks and the brows darker than the forehead below the hairline.
    import cv2

    cohort = small_cohort
    assert np.all(cohort.landmarks >= 0) and np.all(cohort.landmarks < 96)
    for image, landmarks in zip(
        cohort.images.astype(float), cohort.landmarks, strict=True
    ):
        lips = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(landmarks[48:60]).astype(np.int32)], 1)
        cv2.fillPoly(lips, [np.round(landmarks[60:68]).astype(np.int32)], 0)
        cheeks = np.zeros_like(lips)
        for index in (3, 13):
            centre = np.round((landmarks[index] + landmarks[30]) / 2).astype(int)
            cv2.circle(cheeks, tuple(int(v) for v in centre), 3, 1, -1)
        redness = image[..., 0] - image[..., 1]
        assert redness[lips == 1].mean() > redness[cheeks == 1].mean() + 3
        brows = np.round(landmarks[17:27]).astype(int)
        below = np.round(landmarks[17:27] + (landmarks[36:46].mean(0) - landmarks[
            17:27].mean(0)) * 0.5).astype(int)
        brightness = image.mean(axis=2)
        assert brightness[brows[:, 1], brows[:, 0]].mean() < brightness[
            below[:, 1], below[:, 0]].mean()


def test_palsy_droops_the_affected_side_and_controls_are_symmetric():
    cohort = make_synthetic_cohort(
        n_patients=8, n_controls=8, expressions=("rest",), random_state=3
    )
    aligned, _ = align_landmarks(cohort.landmarks, IBUG68)
    # Positive when the subject's right (image left, points 48 and 17-21) is lower.
    commissure_drop = aligned[:, 48, 1] - aligned[:, 54, 1]
    brow_drop = aligned[:, 17:22, 1].mean(1) - aligned[:, 22:27, 1].mean(1)
    patients = cohort.y == 1
    sign = np.where(cohort.side == "right", 1.0, -1.0)
    assert np.all(sign[patients] * commissure_drop[patients] > 0.03)
    assert np.all(sign[patients] * brow_drop[patients] > 0.03)
    # Controls differ between sides only through head pose (yaw).
    assert np.all(np.abs(commissure_drop[~patients]) < 0.02)
    assert np.all(np.abs(brow_drop[~patients]) < 0.02)


def test_palsy_side_moves_less_on_smiling():
    cohort = make_synthetic_cohort(
        n_patients=6, n_controls=0, expressions=("rest", "smile"), random_state=4,
        severity_range=(0.8, 1.0),
    )
    aligned, _ = align_landmarks(cohort.landmarks, IBUG68)
    rest, smile = aligned[0::2], aligned[1::2]
    for patient in range(6):
        affected, healthy = (
            (48, 54) if cohort.side[2 * patient] == "right" else (54, 48)
        )
        lift_affected = rest[patient, affected, 1] - smile[patient, affected, 1]
        lift_healthy = rest[patient, healthy, 1] - smile[patient, healthy, 1]
        assert lift_healthy > 0.1
        assert lift_affected < 0.35 * lift_healthy


def test_output_dir_writes_a_manifest_that_load_manifest_reads(tmp_path):
    cohort = make_synthetic_cohort(
        n_patients=2, n_controls=1, expressions=("rest", "close_eyes"),
        image_size=96, random_state=0, output_dir=tmp_path / "cohort",
    )
    assert "images" not in cohort
    data = load_manifest(cohort.manifest)
    np.testing.assert_array_equal(data.X, cohort.X)
    np.testing.assert_array_equal(data.y, cohort.y)
    np.testing.assert_array_equal(data.groups, cohort.groups)
    assert data.frame["expression"].tolist() == cohort.expression.tolist()
    from PIL import Image

    in_memory = make_synthetic_cohort(
        n_patients=2, n_controls=1, expressions=("rest", "close_eyes"),
        image_size=96, random_state=0,
    )
    for path, image in zip(data.X, in_memory.images, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(path)), image)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"expressions": ("rest", "frown")}, "frown"),
        ({"expressions": ()}, "non-empty"),
        ({"severity_range": (0.5, 0.2)}, "severity_range"),
        ({"severity_range": (0.0, 1.5)}, "severity_range"),
        ({"image_size": 32}, "image_size"),
        ({"n_patients": -1}, "n_patients"),
    ],
)
def test_invalid_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_synthetic_cohort(**kwargs)


def test_empty_cohort_has_consistent_shapes():
    cohort = make_synthetic_cohort(n_patients=0, n_controls=0, image_size=64)
    assert cohort.images.shape == (0, 64, 64, 3)
    assert cohort.landmarks.shape == (0, 68, 2)
    assert cohort.y.shape == (0,)


# ---------------------------------------------------------------- acceptance
@pytest.fixture(scope="module")
def paper_sized_cohort_detections():
    """The demo's cohort (21 + 21 people, 5 expressions) through dlib."""
    cohort = make_synthetic_cohort(random_state=0)
    detected, predicted = [], []
    for image in cohort.images:
        boxes, _ = detect_faces(image)
        detected.append(len(boxes) > 0)
        predicted.append(
            predict_landmarks(image, boxes[0])
            if len(boxes)
            else np.full((68, 2), np.nan)
        )
    return cohort, np.array(detected), np.array(predicted)


def test_acceptance_dlib_detects_at_least_95_percent(paper_sized_cohort_detections):
    cohort, detected, _ = paper_sized_cohort_detections
    assert len(cohort.images) == 210
    assert detected.mean() >= 0.95
    # Neither class may be much harder to detect than the other.
    assert detected[cohort.y == 1].mean() >= 0.9
    assert detected[cohort.y == 0].mean() >= 0.9


def test_acceptance_landmark_error_at_most_a_tenth_of_iod(
    paper_sized_cohort_detections,
):
    cohort, detected, predicted = paper_sized_cohort_detections
    truth = cohort.landmarks[detected]
    inter_ocular = np.linalg.norm(
        truth[:, 36:42].mean(1) - truth[:, 42:48].mean(1), axis=1
    )
    error = np.linalg.norm(predicted[detected] - truth, axis=2) / inter_ocular[:, None]
    assert np.median(error) <= 0.10


def test_acceptance_detected_asymmetry_separates_palsy(paper_sized_cohort_detections):
    cohort, detected, predicted = paper_sized_cohort_detections
    score = _clinical_asymmetry(predicted[detected])
    assert roc_auc_score(cohort.y[detected], score) >= 0.9
