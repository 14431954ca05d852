"""Tests of LineSegmentRenderer and LineSegmentDetector."""

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces import IBUG68, IBUG68_MEAN_FACE
from sklearn_palsy.neural import ResNetClassifier
from sklearn_palsy.preprocessing import LineSegmentDetector, LineSegmentRenderer
from sklearn_palsy.preprocessing._lines import render_line_segments


def left_right_asymmetry(images):
    """Mean absolute difference between each drawing and its mirror image."""
    images = images.astype(float) / 255
    return np.abs(images - images[:, :, ::-1]).mean(axis=(1, 2))


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=6, n_controls=6, expressions=("rest",),
                            severity_range=(0.7, 1.0))


def test_renderer_output_shape_dtype_and_content(cohort):
    lines = LineSegmentRenderer(size=96).fit_transform(cohort.landmarks)
    assert lines.shape == (12, 96, 96) and lines.dtype == np.uint8
    assert set(np.unique(lines)) <= set(range(256))
    assert lines.max() == 255 and 0.02 < (lines > 0).mean() < 0.3
    flat = LineSegmentRenderer(size=96).fit_transform(cohort.landmarks.reshape(12, -1))
    np.testing.assert_array_equal(flat, lines)


def test_line_width_scales_with_the_image_so_small_drawings_stay_apart(cohort):
    """At 48 and 64 px a fixed 2 px line whitened 28 and 21 % of the image
    (6 % at 224 px); the automatic width keeps the share near 224 px's."""
    share = {}
    for size in (48, 64, 224):
        renderer = LineSegmentRenderer(size=size).fit(cohort.landmarks)
        share[size] = (renderer.transform(cohort.landmarks) > 127).mean()
        assert renderer.thickness_ == {48: 1, 64: 1, 224: 2}[size]
    fixed = (LineSegmentRenderer(size=64, thickness=2).fit_transform(cohort.landmarks)
             > 127).mean()
    assert fixed > 3 * share[224] and share[64] < 1.6 * share[224]
    assert share[48] < 2 * share[224]
    # At the paper's size, "auto" draws exactly the former 2 px lines.
    np.testing.assert_array_equal(
        LineSegmentRenderer(size=224).fit_transform(cohort.landmarks[:2]),
        LineSegmentRenderer(size=224, thickness=2).fit_transform(cohort.landmarks[:2]))
    with pytest.raises(ValueError, match="thickness"):
        LineSegmentRenderer(thickness="thin").fit(cohort.landmarks)


def test_alignment_removes_pose_position_and_scale():
    angle = np.deg2rad(12)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    small = IBUG68_MEAN_FACE * 40 + [100, 90]
    large_rotated = IBUG68_MEAN_FACE @ rotation.T * 150 + [300, 260]
    renderer = LineSegmentRenderer(size=64).fit(small[None])
    a, b = renderer.transform(np.stack([small, large_rotated]))
    assert np.abs(a.astype(int) - b).mean() < 2.0


def test_mean_face_drawing_is_mirror_symmetric():
    image = render_line_segments(IBUG68_MEAN_FACE, IBUG68, size=128)
    assert left_right_asymmetry(image[None])[0] < 0.01


def test_palsy_drawings_are_more_asymmetric_than_controls(cohort):
    lines = LineSegmentRenderer(size=128).fit_transform(cohort.landmarks)
    asymmetry = left_right_asymmetry(lines)
    palsy, control = asymmetry[cohort.y == 1], asymmetry[cohort.y == 0]
    assert palsy.mean() > 1.5 * control.mean()
    assert np.median(palsy) > np.max(control) * 0.9


def test_guides_add_lines_and_unknown_guides_are_refused(cohort):
    plain = LineSegmentRenderer(size=96).fit_transform(cohort.landmarks[:2])
    guided = LineSegmentRenderer(size=96, guides=("midline", "pupils", "commissures"))
    with_guides = guided.fit_transform(cohort.landmarks[:2])
    assert (with_guides > 0).sum() > (plain > 0).sum()
    # The midline is a vertical line through the eye midpoint.
    assert (with_guides[0, :, 47:49].max(axis=1) > 0).mean() > 0.9
    with pytest.raises(ValueError, match="unknown guides"):
        LineSegmentRenderer(guides=("horizon",)).fit(cohort.landmarks)


def test_bad_landmarks_are_refused(cohort):
    bad = cohort.landmarks.copy()
    bad[3, 10, 0] = np.nan
    with pytest.raises(InvalidLandmarksError, match=r"rows \[3\]"):
        LineSegmentRenderer().fit_transform(bad)
    with pytest.raises((ValueError, InvalidLandmarksError), match="68"):
        LineSegmentRenderer().fit_transform(np.zeros((2, 5, 2)))


def test_renderer_round_trip_idempotent_and_grid_search(cohort, tmp_path):
    renderer = LineSegmentRenderer(size=32)
    first = clone(renderer).fit(cohort.landmarks).transform(cohort.landmarks)
    twice = clone(renderer).fit(cohort.landmarks).fit(cohort.landmarks)
    np.testing.assert_array_equal(twice.transform(cohort.landmarks), first)
    joblib.dump(twice, tmp_path / "r.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "r.joblib").transform(cohort.landmarks), first)
    model = make_pipeline(LineSegmentRenderer(size=32),
                          ResNetClassifier(image_size=32, max_epochs=1, random_state=0))
    search = GridSearchCV(model, {"linesegmentrenderer__thickness": [1, 2]},
                          cv=GroupKFold(2)).fit(cohort.landmarks, cohort.y,
                                                groups=cohort.groups)
    assert search.best_params_["linesegmentrenderer__thickness"] in (1, 2)


@pytest.mark.parametrize("method", ["lsd", "hough"])
def test_detector_finds_segments_in_face_crops(cohort, method):
    from sklearn_palsy.preprocessing import FaceCropper

    crops = FaceCropper(size=128).fit_transform(cohort.images[:3])
    lines = LineSegmentDetector(size=128, method=method).fit_transform(crops)
    assert lines.shape == (3, 128, 128) and lines.dtype == np.uint8
    assert (lines > 0).mean() > 0.005
    blank = LineSegmentDetector(size=64, method=method).fit_transform(
        np.full((1, 64, 64, 3), 128, np.uint8))
    assert blank.max() == 0


def test_a_segment_far_off_one_side_is_not_drawn_whatever_its_magnitude():
    """Hypothesis found it: both ends far left of the canvas, at -1e273 and
    -1e89, made the clipping parameters round to 1.0, and an end point
    beyond OpenCV's integer coordinates reached cv2.line."""
    from sklearn_palsy.preprocessing._lines import _clip_segment

    start, end = np.array([-1.08143498e273, 5.76]), np.array([-1.41746815e89, 5.76])
    assert _clip_segment(start, end, -3.0, 18.0) is None
    # A clipped segment from far away keeps its ends within the square.
    first, last = _clip_segment(np.array([-1e300, 5.0]), np.array([10.0, 5.0]),
                                -3.0, 18.0)
    assert -3.0 <= first[0] <= 18.0 and last.tolist() == [10.0, 5.0]
    # Ends inside are kept bit for bit.
    inside = (np.array([1.25, 2.5]), np.array([7.125, 9.0]))
    kept = _clip_segment(*inside, -3.0, 18.0)
    assert all(np.array_equal(a, b) for a, b in zip(kept, inside, strict=True))
