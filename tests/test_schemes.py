"""Tests of the landmark schemes and of the alignment built on them."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces._geometry import (
    align_landmarks,
    check_landmarks,
    eye_centres,
    inter_ocular_distance,
)
from sklearn_palsy.faces._schemes import (
    IBUG68,
    IBUG68_MEAN_FACE,
    MEDIAPIPE478,
    LandmarkScheme,
    get_scheme,
)

SCHEMES = [IBUG68, MEDIAPIPE478]
SIDED = [("right_brow", "left_brow"), ("right_eye", "left_eye")]
MIDLINE_REGIONS = ["jaw", "nose_bridge", "nose_base", "outer_lips", "inner_lips"]
# Which scheme region holds each iBUG point.
IBUG_REGION_OF = (
    [("jaw", i) for i in range(17)]
    + [("right_brow", i) for i in range(17, 22)]
    + [("left_brow", i) for i in range(22, 27)]
    + [("nose_bridge", i) for i in range(27, 31)]
    + [("nose_base", i) for i in range(31, 36)]
    + [("right_eye", i) for i in range(36, 42)]
    + [("left_eye", i) for i in range(42, 48)]
    + [("outer_lips", i) for i in range(48, 60)]
    + [("inner_lips", i) for i in range(60, 68)]
)


def _rotation(degrees):
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_indices_are_within_range(scheme):
    for name, indices in scheme.regions.items():
        assert all(0 <= i < scheme.n_landmarks for i in indices), name
        assert len(set(indices)) == len(indices), name
    for name, (indices, closed) in scheme.contours.items():
        assert isinstance(closed, bool)
        assert len(indices) >= 2
        assert set(indices) <= set(scheme.regions[name]), name
    assert all(0 <= i < scheme.n_landmarks for i in scheme.ibug_index)
    required = {
        "jaw",
        "right_brow",
        "left_brow",
        "nose_bridge",
        "nose_base",
        "right_eye",
        "left_eye",
        "outer_lips",
        "inner_lips",
    }
    assert required <= set(scheme.regions)
    assert required <= set(scheme.contours)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_mirror_permutation_is_an_involution_fixing_the_midline(scheme):
    permutation = scheme.mirror_permutation
    assert sorted(permutation) == list(range(scheme.n_landmarks))
    np.testing.assert_array_equal(
        permutation[permutation], np.arange(scheme.n_landmarks)
    )
    fixed = set(np.flatnonzero(permutation == np.arange(scheme.n_landmarks)))
    assert fixed == set(scheme.midline)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_regions_of_the_two_sides_mirror_each_other(scheme):
    permutation = scheme.mirror_permutation
    pairs = SIDED + ([("right_iris", "left_iris")] if scheme.has_irises else [])
    for right, left in pairs:
        mirrored = [int(permutation[i]) for i in scheme.regions[right]]
        assert set(mirrored) == set(scheme.regions[left]), (right, left)
    midline_regions = MIDLINE_REGIONS + ["face_oval"] * ("face_oval" in scheme.regions)
    for name in midline_regions:
        region = set(scheme.regions[name])
        assert {int(permutation[i]) for i in region} == region, name


def test_mediapipe_region_lists_mirror_point_by_point():
    # The lists are written so that mirroring maps one onto the other in order,
    # and the iris centres (first points) onto each other.
    permutation = MEDIAPIPE478.mirror_permutation
    for right, left in [*SIDED, ("right_iris", "left_iris")]:
        mirrored = tuple(int(permutation[i]) for i in MEDIAPIPE478.regions[right])
        assert mirrored == MEDIAPIPE478.regions[left]
    assert MEDIAPIPE478.regions["right_iris"][0] == 468
    assert MEDIAPIPE478.regions["left_iris"][0] == 473


def test_mediapipe_mirror_pairs_match_known_pairs():
    permutation = MEDIAPIPE478.mirror_permutation
    known = {
        33: 263,
        133: 362,
        61: 291,
        78: 308,
        70: 300,
        105: 334,
        127: 356,
        98: 327,
        234: 454,
        172: 397,
        159: 386,
        145: 374,
        468: 473,
        469: 474,
    }
    for right, left in known.items():
        assert permutation[right] == left
    for point in (0, 1, 2, 4, 6, 10, 13, 14, 17, 152, 168, 197):
        assert permutation[point] == point


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_ibug_index_is_distinct_and_commutes_with_mirroring(scheme):
    index = np.array(scheme.ibug_index)
    assert index.shape == (68,)
    assert len(set(index.tolist())) == 68
    np.testing.assert_array_equal(
        scheme.mirror_permutation[index], index[IBUG68.mirror_permutation]
    )
    for region, ibug_point in IBUG_REGION_OF:
        assert index[ibug_point] in scheme.regions[region], (region, ibug_point)


def test_ibug68_index_is_the_identity():
    assert IBUG68.ibug_index == tuple(range(68))


def test_mediapipe_ibug_index_uses_the_recommended_points():
    index = MEDIAPIPE478.ibug_index
    recommended = {
        36: 33,
        39: 133,
        42: 362,
        45: 263,
        60: 78,
        64: 308,
        33: 2,
        30: 1,
        8: 152,
        0: 127,
        16: 356,
        48: 61,
        54: 291,
        17: 70,
        26: 300,
    }
    for ibug_point, mediapipe_point in recommended.items():
        assert index[ibug_point] == mediapipe_point, ibug_point


def test_to_ibug68_picks_the_mapped_points():
    rng = np.random.default_rng(0)
    landmarks = rng.normal(size=(3, 478, 2))
    ibug = MEDIAPIPE478.to_ibug68(landmarks)
    assert ibug.shape == (3, 68, 2)
    np.testing.assert_array_equal(ibug[:, 48], landmarks[:, 61])
    assert MEDIAPIPE478.to_ibug68(landmarks[0]).shape == (68, 2)
    np.testing.assert_array_equal(
        IBUG68.to_ibug68(landmarks[:, :68]), landmarks[:, :68]
    )
    with pytest.raises(InvalidLandmarksError, match="478"):
        MEDIAPIPE478.to_ibug68(landmarks[:, :68])


def test_get_scheme_names_and_aliases():
    assert get_scheme("ibug68") is IBUG68
    assert get_scheme("dlib") is IBUG68
    assert get_scheme("mediapipe") is MEDIAPIPE478
    assert get_scheme("MediaPipe478") is MEDIAPIPE478
    assert get_scheme(MEDIAPIPE478) is MEDIAPIPE478
    with pytest.raises(ValueError, match="unknown landmark scheme"):
        get_scheme("openpose")


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_schemes_survive_pickle_and_deepcopy_as_themselves(scheme):
    assert pickle.loads(pickle.dumps(scheme)) is scheme
    assert copy.deepcopy(scheme) is scheme
    assert hash(scheme) == hash(get_scheme(scheme.name))
    assert scheme.has_irises == (scheme is MEDIAPIPE478)


def test_a_custom_scheme_is_checked_and_pickles():
    custom = LandmarkScheme(
        name="custom",
        n_landmarks=68,
        regions=dict(IBUG68.regions),
        mirror_pairs=IBUG68.mirror_pairs,
        midline=IBUG68.midline,
        contours=dict(IBUG68.contours),
        ibug_index=IBUG68.ibug_index,
    )
    assert pickle.loads(pickle.dumps(custom)) == custom
    assert custom != IBUG68  # another name
    with pytest.raises(ValueError, match="exactly once"):
        LandmarkScheme(
            name="broken",
            n_landmarks=68,
            regions={},
            mirror_pairs=((0, 16),),
            midline=(8,),
            contours={},
            ibug_index=tuple(range(68)),
        )


def test_mean_face_is_exactly_symmetric_with_eyes_at_half_units():
    face = IBUG68_MEAN_FACE
    assert face.shape == (68, 2)
    assert not face.flags.writeable
    permutation = IBUG68.mirror_permutation
    np.testing.assert_array_equal(face[permutation, 0], -face[:, 0])
    np.testing.assert_array_equal(face[permutation, 1], face[:, 1])
    np.testing.assert_allclose(face[36:42].mean(0), [-0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(face[42:48].mean(0), [0.5, 0.0], atol=1e-12)
    # Image orientation: brows above the eyes, chin at the bottom, the
    # subject's right (17, 36, 48) on the image's left.
    assert face[19, 1] < 0 < face[57, 1] < face[8, 1]
    assert face[17, 0] < 0 and face[36, 0] < 0 and face[48, 0] < 0


# ----------------------------------------------------------------------------
# Alignment.


@settings(max_examples=30, deadline=None)
@given(
    angle=st.floats(-40, 40),
    scale=st.floats(0.2, 500),
    shift=st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)),
)
def test_alignment_undoes_rotation_scale_and_translation(angle, scale, shift):
    photo = IBUG68_MEAN_FACE @ _rotation(angle).T * scale + np.array(shift)
    aligned, inter_ocular = align_landmarks(photo, IBUG68)
    np.testing.assert_allclose(aligned, IBUG68_MEAN_FACE, atol=1e-9)
    assert inter_ocular == pytest.approx(scale, rel=1e-9)


def test_alignment_is_vectorised_and_keeps_the_input_shape():
    rng = np.random.default_rng(1)
    faces = IBUG68_MEAN_FACE + rng.normal(scale=0.05, size=(5, 68, 2))
    faces = faces * rng.uniform(50, 150, size=(5, 1, 1)) + rng.uniform(
        0, 400, (5, 1, 2)
    )
    aligned, inter_ocular = align_landmarks(faces, "dlib")
    assert aligned.shape == (5, 68, 2) and inter_ocular.shape == (5,)
    for row in range(5):
        one, distance = align_landmarks(faces[row], IBUG68)
        np.testing.assert_allclose(aligned[row], one, atol=1e-12)
        assert distance == pytest.approx(inter_ocular[row])
    right, left = eye_centres(aligned)
    np.testing.assert_allclose(right, [[-0.5, 0.0]] * 5, atol=1e-12)
    np.testing.assert_allclose(left, [[0.5, 0.0]] * 5, atol=1e-12)
    np.testing.assert_allclose(inter_ocular_distance(faces), inter_ocular)


def test_alignment_keeps_y_pointing_down_the_face():
    # A face upside down in the photo is turned upright: chin below the eyes.
    photo = IBUG68_MEAN_FACE @ _rotation(180).T * 80 + 300
    aligned, _ = align_landmarks(photo)
    np.testing.assert_allclose(aligned, IBUG68_MEAN_FACE, atol=1e-9)


def test_alignment_of_mediapipe_landmarks_uses_the_mapped_eyes():
    rng = np.random.default_rng(2)
    landmarks = rng.normal(size=(2, 478, 2))
    landmarks[:, list(MEDIAPIPE478.ibug_index)] = IBUG68_MEAN_FACE * 120 + 200
    aligned, inter_ocular = align_landmarks(landmarks, "mediapipe")
    np.testing.assert_allclose(inter_ocular, [120, 120])
    np.testing.assert_allclose(
        MEDIAPIPE478.to_ibug68(aligned), [IBUG68_MEAN_FACE] * 2, atol=1e-12
    )


def test_nan_and_infinite_landmarks_raise_naming_every_row():
    faces = np.repeat(IBUG68_MEAN_FACE[None], 5, axis=0)
    faces[1, 3, 0] = np.nan
    faces[3, 40, 1] = np.inf
    with pytest.raises(InvalidLandmarksError, match=r"rows \[1, 3\]"):
        align_landmarks(faces)
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_landmarks(faces, IBUG68)


def test_degenerate_faces_and_wrong_shapes_raise():
    faces = np.repeat(IBUG68_MEAN_FACE[None], 3, axis=0)
    faces[2] = 7.0  # every point in one place: no inter-ocular distance
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2\].*inter-ocular"):
        align_landmarks(faces)
    with pytest.raises(InvalidLandmarksError, match=r"\(n, 68, 2\)"):
        align_landmarks(np.zeros((3, 67, 2)))
    with pytest.raises(InvalidLandmarksError, match="478"):
        align_landmarks(faces, MEDIAPIPE478)
