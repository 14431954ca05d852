"""One measurement frame per visit: the scale of the rest photo, carried.

The faces are built from their geometry: iBUG-68 points of the synthetic
renderer or the mean face, turned into MediaPipe 478-point faces with irises
placed where a detector puts them (centred between the canthi, which the lids
do not move), then moved into a photo's pixels.
"""

import numpy as np
import pandas as pd
import pytest

from sklearn_palsy.clinical import PatientMovement
from sklearn_palsy.clinical._regional import (
    DYNAMIC_ITEMS,
    _movements,
    _side_measures,
    regional_scores,
)
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


def _palsy_visit(seed=3, severities=(0.3, 0.6), sag=0.0, scheme="mediapipe478"):
    """MediaPipe rest and expression photos of one identity, left palsy.

    ``sag`` lowers the subject's right lower lid (40, 41), in inter-ocular
    distances, on the rest and the raise-eyebrows photos.
    """
    identity = draw_identity(np.random.default_rng(seed))

    def shapes(expression):
        faces = np.stack([face_shape(identity, expression, "left", severity)
                          for severity in severities])
        if expression in ("rest", "raise_eyebrows"):
            faces[:, [40, 41], 1] += sag
        return faces

    convert = _as_mediapipe if scheme == "mediapipe478" else np.asarray
    rest = _photo(convert(shapes("rest")))
    return rest, {name: _photo(convert(shapes(name)), degrees=-5, scale=170)
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


# dlib has no pupils: the brow is measured from the canthi's midpoint, which
# the lids do not move, not from the eye centre, the mean of the lid points.
@pytest.mark.parametrize("scheme", ["mediapipe478", "ibug68"])
def test_a_sagging_lower_lid_leaves_the_brow_items_alone(scheme):
    rest, expressions = _palsy_visit(scheme=scheme)
    reference = regional_scores(rest, expressions=expressions)
    rest, expressions = _palsy_visit(sag=0.04, scheme=scheme)
    scores = regional_scores(rest, expressions=expressions)
    # The irises (or, with dlib, the canthi) stay where they are; the eye
    # centre, a mean of the lid points, falls 0.013 IODs, which the
    # inter-ocular distance feels only to second order (1e-4).
    for item in ("brow_at_rest", "brow_elevation"):
        np.testing.assert_allclose(scores[item], reference[item], atol=0.02)


# ----------------------------------------------------------------------------
# regional_scores and PatientMovement measure in the same frame.


def test_regional_scores_and_patient_movement_agree_in_millimetres():
    rest = IBUG68_MEAN_FACE.copy()
    rest[17:22, 1] += 0.05  # a right palsy: the brow and commissure droop
    rest[48, 1] += 0.05
    smile = rest.copy()
    smile[54] += [0.12, -0.16]
    smile[48] += [-0.04, -0.05]
    teeth = rest.copy()
    teeth[[4, 5, 6, 7, 8, 9, 10, 11, 12, 55, 56, 57, 58, 59, 65, 66, 67], 1] += 0.03
    teeth[56, 1] += 0.05  # on the jaw's opening, the left lip falls 0.05,
    teeth[58, 1] += 0.02  # the right 0.02
    # Irises centred on the eye centres, so that both frames have one origin;
    # the smile photo's irises look 5 % smaller, half hidden by the cheeks.
    faces = {}
    for name, points, degrees, scale in (("rest", rest, 8.0, 150.0),
                                         ("smile", smile, -5.0, 170.0),
                                         ("show_lower_teeth", teeth, 3.0, 130.0)):
        face = _as_mediapipe(points[None])
        for centre, eye in ((468, slice(36, 42)), (473, slice(42, 48))):
            face[:, centre:centre + 5] += points[eye].mean(axis=0) - face[:, centre]
        faces[name] = _photo(face, degrees=degrees, scale=scale)
    faces["smile"] = _shrink_irises(faces["smile"], 0.95)
    frame = pd.DataFrame({"patient_id": "P", "expression": list(faces),
                          "landmarks": list(np.concatenate(list(faces.values())))})
    movement = PatientMovement().fit(frame)
    features = pd.DataFrame(movement.transform(frame),
                            columns=movement.get_feature_names_out())
    measures, length_of_iod = _side_measures(faces["rest"], MEDIAPIPE478)
    moved = {name: _side_measures(faces[name], MEDIAPIPE478)[0]
             for name in ("smile", "show_lower_teeth")}
    regional = _movements(measures, moved, length_of_iod)
    mm_per_iod = HORIZONTAL_IRIS_DIAMETER_MM / 0.19
    for item, feature, row in (
        ("oral_commissure_with_smile", "commissure_excursion", 1),
        ("lower_lip_movement", "lower_lip_depression", 2),
    ):
        pair, _ = regional[item]
        in_mm = np.concatenate(pair) * mm_per_iod
        np.testing.assert_allclose(
            in_mm, features.loc[row, [f"movement__{feature}_right_mm",
                                      f"movement__{feature}_left_mm"]].astype(float),
            rtol=1e-9)
    # Against the jaw, the lips fell 0.02 and 0.05 inter-ocular distances.
    np.testing.assert_allclose(
        features.loc[2, ["movement__lower_lip_depression_right_mm",
                         "movement__lower_lip_depression_left_mm"]].astype(float),
        [0.02 * mm_per_iod, 0.05 * mm_per_iod], rtol=1e-9)


@pytest.mark.parametrize("scheme", ["ibug68", "mediapipe478"])
def test_a_sagging_lower_lid_leaves_patient_movements_brow_alone(scheme):
    # PatientMovement takes positions from the canthi, which the lids do not
    # move: a lower lid that sags on the raise-eyebrows photo alone (an eye
    # centre 0.013 IODs lower, the eye line tilted) moves no brow.
    rest = IBUG68_MEAN_FACE.copy()
    raise_ = rest.copy()
    raise_[17:22, 1] -= 0.2  # each brow rises whole
    raise_[22:27, 1] -= 0.1
    sagging = raise_.copy()
    sagging[[40, 41], 1] += 0.04
    values = []
    for photo in (raise_, sagging):
        faces = [_photo(points[None])[0] for points in (rest, photo)]
        if scheme == "mediapipe478":
            faces = [_as_mediapipe(face[None], 0.095 * 150)[0] for face in faces]
        frame = pd.DataFrame({"patient_id": "P", "landmarks": faces,
                              "expression": ["rest", "raise_eyebrows"]})
        movement = PatientMovement().fit(frame)
        names = [name.removeprefix("movement__")
                 for name in movement.get_feature_names_out()]
        features = dict(zip(names, movement.transform(frame)[1], strict=True))
        values.append([value for name, value in features.items()
                       if name.startswith("brow_elevation_")])
    # In inter-ocular distances, or millimetres: 11.7 mm over 0.19 IOD.
    unit = 1.0 if scheme == "ibug68" else HORIZONTAL_IRIS_DIAMETER_MM / 0.19
    # right, left, ratio, asym; the carrying distance, between the eye
    # centres, feels the sag to second order (3e-4).
    np.testing.assert_allclose(values[0], [0.2 * unit, 0.1 * unit, 0.5, -0.1 * unit],
                               rtol=1e-9)
    np.testing.assert_allclose(values[1], values[0], rtol=1e-3)
