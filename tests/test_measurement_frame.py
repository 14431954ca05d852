"""One measurement frame per visit: the scale of the rest photo, carried.

The faces are built from their geometry: iBUG-68 points of the synthetic
renderer or the mean face, turned into MediaPipe 478-point faces with irises
placed where a detector puts them (centred between the canthi, which the lids
do not move), then moved into a photo's pixels.
"""

import numpy as np
import pytest

from sklearn_palsy.clinical._regional import DYNAMIC_ITEMS, regional_scores
from sklearn_palsy.datasets._synthetic import draw_identity, face_shape
from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces import IBUG68, IBUG68_MEAN_FACE, MEDIAPIPE478
from sklearn_palsy.preprocessing._features import (
    HORIZONTAL_IRIS_DIAMETER_MM,
    horizontal_iris_chord,
    visit_scale,
)

EXPRESSIONS = ("raise_eyebrows", "close_eyes", "smile")
_RIM = np.array([[1.0, 0.0], [0.0, -1.0], [-1.0, 0.0], [0.0, 1.0]])


def _photo(landmarks, degrees=8.0, scale=150.0, shift=(320.0, 240.0)):
    """The landmarks in a photo's pixels: rotated, scaled and moved."""
    angle = np.deg2rad(degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)],
                         [np.sin(angle), np.cos(angle)]])
    return landmarks @ rotation.T * scale + np.asarray(shift)


def _as_mediapipe(ibug, iris=0.095):
    """478-point faces whose iBUG-mapped points are ``ibug`` (n, 68, 2).

    Each iris is centred between its eye's canthi, ``iris`` inter-ocular
    distances in radius, its rim points at 3, 12, 9 and 6 o'clock (469-472).
    """
    faces = np.zeros((len(ibug), 478, 2))
    faces[:, list(MEDIAPIPE478.ibug_index)] = ibug
    for centre, (outer, inner) in ((468, (36, 39)), (473, (42, 45))):
        faces[:, centre] = (ibug[:, outer] + ibug[:, inner]) / 2
        faces[:, centre + 1:centre + 5] = faces[:, centre, None] + iris * _RIM
    return faces


def _shrink_irises(faces, factor):
    """The faces with each iris's rim drawn towards its centre."""
    faces = faces.copy()
    for centre in (468, 473):
        rim = faces[:, centre + 1:centre + 5]
        faces[:, centre + 1:centre + 5] = (
            faces[:, centre, None] + factor * (rim - faces[:, centre, None]))
    return faces


def _palsy_visit(seed=3, severities=(0.3, 0.6)):
    """MediaPipe rest and expression photos of one identity, left palsy."""
    identity = draw_identity(np.random.default_rng(seed))

    def shapes(expression):
        return np.stack([face_shape(identity, expression, "left", severity)
                         for severity in severities])

    rest = _photo(_as_mediapipe(shapes("rest")))
    return rest, {name: _photo(_as_mediapipe(shapes(name)), degrees=-5, scale=170)
                  for name in EXPRESSIONS}


# ----------------------------------------------------------------------------
# The scale: the rest photo's horizontal iris chord, carried by the canthi.


def test_the_scale_is_the_rest_photos_horizontal_iris_chord():
    rest, expressions = _palsy_visit()
    chord = horizontal_iris_chord(rest, MEDIAPIPE478)
    # 0.19 inter-ocular distances of a face 150 pixels across.
    np.testing.assert_allclose(chord, 0.19 * 150, rtol=1e-9)
    # Lids that hide the top and bottom of the iris leave the chord alone.
    squashed = rest.copy()
    for centre in (468, 473):
        squashed[:, centre + 2] = squashed[:, centre] + (
            squashed[:, centre + 2] - squashed[:, centre]) * 0.5
    np.testing.assert_allclose(horizontal_iris_chord(squashed, MEDIAPIPE478), chord)
    rest_scale, smile_scale = visit_scale(rest, MEDIAPIPE478, expressions["smile"])
    np.testing.assert_allclose(rest_scale, HORIZONTAL_IRIS_DIAMETER_MM / chord)
    # The smile photo is 170/150 as large: its pixels are that much shorter,
    # whatever its iris looks like.
    np.testing.assert_allclose(smile_scale, rest_scale * 150 / 170, rtol=1e-9)
    shrunk = _shrink_irises(expressions["smile"], 0.95)
    np.testing.assert_allclose(
        visit_scale(rest, MEDIAPIPE478, shrunk)[1], smile_scale, rtol=1e-12)


def test_a_calibration_replaces_the_iris_and_dlib_counts_in_rest_iods():
    rest, expressions = _palsy_visit()
    rest_scale, smile_scale = visit_scale(rest, MEDIAPIPE478, expressions["smile"],
                                          mm_per_pixel=0.4)
    np.testing.assert_allclose(rest_scale, 0.4)
    np.testing.assert_allclose(smile_scale, 0.4 * 150 / 170, rtol=1e-9)
    ibug = IBUG68_MEAN_FACE[None] * 80.0
    np.testing.assert_allclose(visit_scale(ibug, IBUG68), 1 / 80.0)
    with pytest.raises(InvalidLandmarksError, match=r"mm_per_pixel\) of rows \[1\]"):
        visit_scale(rest, MEDIAPIPE478, mm_per_pixel=[0.4, -1.0])
    flat = rest.copy()
    flat[1, 469:472] = flat[1, 468]
    flat[1, 474:477] = flat[1, 473]
    with pytest.raises(InvalidLandmarksError, match=r"rows \[1\] .*iris of zero"):
        visit_scale(flat, MEDIAPIPE478)


# ----------------------------------------------------------------------------
# What must show: the three checks.


def test_a_smaller_iris_on_the_smile_photo_moves_no_dynamic_item():
    rest, expressions = _palsy_visit()
    reference = regional_scores(rest, expressions=expressions)
    shrunk = dict(expressions, smile=_shrink_irises(expressions["smile"], 0.95))
    scores = regional_scores(rest, expressions=shrunk)
    items = [item for item in DYNAMIC_ITEMS if reference[item].notna().any()]
    assert "oral_commissure_with_smile" in items
    change = (scores[items] - reference[items]).abs().to_numpy()
    assert np.nanmax(change) < 1.0


def _jaw_test_faces(opening):
    """A right palsy at rest and showing the lower teeth, the jaw open."""
    face = IBUG68_MEAN_FACE.copy()
    face[17:22, 1] += 0.05  # the right brow and commissure droop
    face[48, 1] += 0.05
    teeth = face.copy()
    teeth[56, 1] += 0.05  # only the subject's left lower lip falls
    jaw = [4, 5, 6, 7, 8, 9, 10, 11, 12, 55, 56, 57, 58, 59, 65, 66, 67]
    teeth[jaw, 1] += opening  # the jaw opens, carrying the lower lip
    return face, teeth


@pytest.mark.parametrize("scheme", ["ibug68", "mediapipe478"])
def test_a_jaw_that_opens_with_a_still_lower_lip_is_not_lip_movement(scheme):
    scores = []
    for opening in (0.0, 0.1):
        face, teeth = (_photo(points[None]) for points in _jaw_test_faces(opening))
        if scheme == "mediapipe478":
            face, teeth = _as_mediapipe(face, 0.095 * 150), _as_mediapipe(
                teeth, 0.095 * 150)
        scores.append(regional_scores(face, expressions={"show_lower_teeth": teeth}))
    still, opened = (frame.loc[0, "lower_lip_movement"] for frame in scores)
    assert still == pytest.approx(0.0, abs=1e-9)
    # Measured from the eyes, the jaw's fall counted as the lip's: 66.7.
    assert abs(opened - still) < 5.0


def test_a_sagging_lower_lid_leaves_the_brow_items_alone():
    rest, expressions = _palsy_visit()
    reference = regional_scores(rest, expressions=expressions)
    sagging = []
    for faces in (rest, expressions["raise_eyebrows"]):
        faces = faces.copy()
        lower_lid = [MEDIAPIPE478.ibug_index[i] for i in (40, 41)]
        faces[:, lower_lid, 1] += 6.0  # pixels: about 0.04 inter-ocular distances
        sagging.append(faces)
    scores = regional_scores(sagging[0], expressions=dict(
        expressions, raise_eyebrows=sagging[1]))
    for item in ("brow_at_rest", "brow_elevation"):
        np.testing.assert_allclose(scores[item], reference[item], atol=1e-9)
