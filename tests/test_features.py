"""Tests of the expression features: properties, clinical sense and the API."""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_palsy.exceptions import InvalidLandmarksError
from sklearn_palsy.faces._geometry import align_landmarks
from sklearn_palsy.faces._schemes import IBUG68, IBUG68_MEAN_FACE, MEDIAPIPE478
from sklearn_palsy.preprocessing._features import (
    SYMMETRY_FEATURE_NAMES,
    ExpressionFeatures,
    clinical_feature_names,
    clinical_features,
    expression_feature_names,
    expression_features,
    lateral_feature_names,
    lateral_features,
    symmetry_features,
)

ALL_KINDS = ("symmetry", "clinical", "lateral", "coordinates")
SCHEMES = [IBUG68, MEDIAPIPE478]
PROPERTY_SETTINGS = settings(max_examples=20, deadline=None)


# ----------------------------------------------------------------------------
# Synthetic faces.


def _mediapipe_mean_face():
    """An exactly mirror-symmetric 478-point face around the iBUG mean face.

    The mapped points sit on the iBUG template, the irises on the eye centres
    (diameter 0.19 inter-ocular distances, 11.77 mm of a 62 mm IOD), and the
    other mesh points at random but mirror-consistent places.
    """
    rng = np.random.default_rng(478)
    face = np.empty((478, 2))
    for right, left in MEDIAPIPE478.mirror_pairs:
        face[right] = [rng.uniform(-1.2, -0.05), rng.uniform(-0.8, 1.7)]
        face[left] = face[right] * [-1, 1]
    for point in MEDIAPIPE478.midline:
        face[point] = [0.0, rng.uniform(-0.8, 1.7)]
    face[list(MEDIAPIPE478.ibug_index)] = IBUG68_MEAN_FACE
    radius = 0.095
    rim = np.array([[radius, 0], [0, -radius], [-radius, 0], [0, radius]])
    face[468] = IBUG68_MEAN_FACE[36:42].mean(0)
    face[469:473] = face[468] + rim
    face[473:478] = face[468:473] * [-1, 1]
    return face


MEAN_FACES = {"ibug68": IBUG68_MEAN_FACE, "mediapipe478": _mediapipe_mean_face()}


def _mirror(faces, scheme):
    """Flip faces left-right and relabel them through the mirror permutation."""
    return (np.asarray(faces) * [-1.0, 1.0])[..., scheme.mirror_permutation, :]


def _symmetrise(faces, scheme):
    # (a - b) / 2 and (b - a) / 2 are exact negatives: symmetric to the bit.
    return (faces + _mirror(faces, scheme)) / 2


def _similarity(faces, degrees, scale, shift):
    angle = np.deg2rad(degrees)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    return faces @ rotation.T * scale + np.asarray(shift)


def _random_faces(scheme, seed, n=4, noise=0.03):
    """Plausible faces: the mean face with Gaussian jitter, in pixels."""
    rng = np.random.default_rng(seed)
    mean = MEAN_FACES[scheme.name]
    return mean + rng.normal(scale=noise, size=(n, *mean.shape))


def _to_photo(faces, seed):
    rng = np.random.default_rng(seed)
    return _similarity(
        faces, rng.uniform(-40, 40), rng.uniform(40, 200), rng.uniform(100, 500, size=2)
    )


def _names(scheme, kinds=("symmetry", "clinical")):
    return expression_feature_names(kinds, scheme)


def _named(names, values):
    return dict(zip(names, values, strict=True))


def _is_signed(name):
    return re.search(r"_(angle|asym)(_mm)?$", name) is not None


def _partner(name):
    """The name of the feature a mirror image swaps this one with."""
    if "_right" in name:
        return name.replace("_right", "_left")
    if "_left" in name:
        return name.replace("_left", "_right")
    return name


# ----------------------------------------------------------------------------
# Properties.


@PROPERTY_SETTINGS
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(seed=st.integers(0, 2**32 - 1))
def test_symmetric_faces_have_no_asymmetry(scheme, seed):
    faces = _to_photo(_symmetrise(_random_faces(scheme, seed), scheme), seed)
    names = _names(scheme)
    features = _named(names, expression_features(faces, scheme=scheme).T)
    for name, values in features.items():
        if _is_signed(name) or name.endswith(("_deviation", "_deviation_mm")):
            np.testing.assert_allclose(values, 0.0, atol=1e-8, err_msg=name)
        elif name.endswith("_ratio"):
            np.testing.assert_allclose(values, 1.0, atol=1e-8, err_msg=name)
        elif _partner(name) != name:
            np.testing.assert_allclose(
                values, features[_partner(name)], atol=1e-8, rtol=1e-8, err_msg=name
            )
    assert sum(name.endswith("_ratio") for name in names) == 11
    assert sum(_is_signed(name) for name in names) == 7 + 10


@PROPERTY_SETTINGS
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(seed=st.integers(0, 2**32 - 1))
def test_mirroring_flips_signed_features_and_swaps_sides(scheme, seed):
    faces = _to_photo(_random_faces(scheme, seed), seed)
    mirrored = _mirror(faces, scheme)
    names = _names(scheme)
    original = _named(names, expression_features(faces, scheme=scheme).T)
    flipped = _named(names, expression_features(mirrored, scheme=scheme).T)
    for name in names:
        expected = original[_partner(name)]
        if _is_signed(name):
            expected = -expected
        np.testing.assert_allclose(
            flipped[name], expected, atol=1e-8, rtol=1e-8, err_msg=name
        )
    # The asymmetry is real: a random face is not its own mirror image.
    assert np.abs(original["symmetry__commissure_angle"]).max() > 1e-3


@PROPERTY_SETTINGS
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(seed=st.integers(0, 2**32 - 1))
def test_mirroring_mirrors_the_aligned_coordinates(scheme, seed):
    faces = _to_photo(_random_faces(scheme, seed), seed)
    coordinates = expression_features(faces, ("coordinates",), scheme)
    mirrored = expression_features(_mirror(faces, scheme), ("coordinates",), scheme)
    expected = _mirror(coordinates.reshape(len(faces), -1, 2), scheme)
    np.testing.assert_allclose(mirrored, expected.reshape(len(faces), -1), atol=1e-9)


@PROPERTY_SETTINGS
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(
    seed=st.integers(0, 2**32 - 1),
    degrees=st.floats(-40, 40),
    scale=st.floats(0.05, 50),
    shift=st.tuples(st.floats(-2000, 2000), st.floats(-2000, 2000)),
)
def test_features_ignore_translation_scale_and_rotation(
    scheme, seed, degrees, scale, shift
):
    faces = _to_photo(_random_faces(scheme, seed), seed)
    moved = _similarity(faces, degrees, scale, shift)
    before = expression_features(faces, ALL_KINDS, scheme)
    after = expression_features(moved, ALL_KINDS, scheme)
    np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-6)


@PROPERTY_SETTINGS
@given(
    faces=st.lists(
        st.floats(-1e6, 1e6, allow_nan=False), min_size=136, max_size=136
    ).map(lambda values: np.reshape(values, (1, 68, 2)))
)
def test_any_finite_input_gives_finite_features_or_a_named_error(faces):
    try:
        features = expression_features(faces, ALL_KINDS)
    except InvalidLandmarksError as error:
        assert "rows [0]" in str(error)
    else:
        assert np.isfinite(features).all()


# ----------------------------------------------------------------------------
# Clinical sense.


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_right_sided_palsy_moves_the_features_the_right_way(scheme):
    face = MEAN_FACES[scheme.name] * 100 + 300
    palsy = face.copy()
    index = scheme.ibug_index
    palsy[index[48], 1] += 8  # the subject's right mouth corner droops
    palsy[[index[i] for i in range(17, 22)], 1] += 10  # and the right brow
    names = _names(scheme)
    healthy = _named(names, expression_features(face, scheme=scheme))
    sick = _named(names, expression_features(palsy, scheme=scheme))
    unit = "_mm" if scheme.has_irises else ""

    assert healthy["symmetry__commissure_angle"] == pytest.approx(0, abs=1e-9)
    assert sick["symmetry__commissure_angle"] < -2  # 48 lower: negative angle
    assert sick["symmetry__brow_outer_angle"] < -2
    assert sick["symmetry__brow_height_ratio"] < 0.8
    assert healthy["symmetry__brow_height_ratio"] == pytest.approx(1)
    assert (
        sick[f"clinical__brow_height_right{unit}"]
        < sick[f"clinical__brow_height_left{unit}"]
    )
    assert sick[f"clinical__brow_height_asym{unit}"] > 0
    assert sick[f"clinical__commissure_height_asym{unit}"] > 0
    assert sick[f"clinical__commissure_height_deviation{unit}"] == pytest.approx(
        sick[f"clinical__commissure_height_asym{unit}"]
    )
    # The left side does not move.
    for measure in ("brow_height", "mrd1", "commissure_excursion"):
        name = f"clinical__{measure}_left{unit}"
        assert sick[name] == pytest.approx(healthy[name])


def test_clinical_units_are_inter_ocular_distances_or_millimetres():
    ibug = _named(clinical_feature_names(), clinical_features(IBUG68_MEAN_FACE * 90))
    # The brow of the mean face is about a third of an IOD above the eye centre.
    assert 0.2 < ibug["brow_height_right"] < 0.5
    # The MediaPipe face of the same points, its irises centred between the
    # canthi (the reference point without irises), so that the two differ by
    # their unit alone: 11.7 mm over the mean horizontal iris chord (469-471,
    # 474-476) against one inter-ocular distance (between the eye centres).
    mediapipe = MEAN_FACES["mediapipe478"].copy()
    points = mediapipe[list(MEDIAPIPE478.ibug_index)]
    for centre, canthi in ((468, [36, 39]), (473, [42, 45])):
        mediapipe[centre:centre + 5] += points[canthi].mean(axis=0) - mediapipe[centre]
    mm = _named(
        clinical_feature_names(MEDIAPIPE478),
        clinical_features(mediapipe * 90, MEDIAPIPE478),
    )
    chord = (np.linalg.norm(mediapipe[469] - mediapipe[471])
             + np.linalg.norm(mediapipe[474] - mediapipe[476])) / 2
    iod = np.linalg.norm(points[42:48].mean(axis=0) - points[36:42].mean(axis=0))
    assert mm["brow_height_right_mm"] == pytest.approx(
        ibug["brow_height_right"] * iod * 11.7 / chord
    )
    assert mm["smile_angle_right"] == pytest.approx(ibug["smile_angle_right"])


def test_closing_one_eye_and_opening_the_mouth():
    face = IBUG68_MEAN_FACE.copy()
    # Close the subject's right eye: upper lid down onto the lower lid.
    face[[37, 38]] = face[[41, 40]]
    face[[61, 62, 63], 1] -= 0.05  # open the mouth
    names = _names(IBUG68)
    values = _named(names, expression_features(face))
    assert values["symmetry__eye_opening_ratio"] == 0.0
    assert values["symmetry__lateral_lid_opening_ratio"] == 0.0
    assert values["clinical__palpebral_fissure_height_right"] == pytest.approx(
        0, abs=1e-12
    )
    assert values["clinical__palpebral_fissure_height_left"] > 0.1
    assert values["clinical__dental_show_right"] > 0.05


def test_undefined_values_follow_the_documented_rules():
    face = IBUG68_MEAN_FACE.copy()
    # Both eyes closed to a point at their centres (so the alignment does not
    # change): S(0, 0) = 1.
    face[36:42] = face[36:42].mean(0)
    face[42:48] = face[42:48].mean(0)
    face[54] = face[48]  # zero mouth width: ratios over it are 0
    face[26] = face[17] + [0.0, 0.3]  # vertical outer-brow line: slope capped
    face[24] = face[19]  # zero-length mid-brow segment: angle and slope 0
    values = _named(SYMMETRY_FEATURE_NAMES, symmetry_features(face))
    assert values["eye_opening_ratio"] == 1.0
    assert values["lateral_lip_height_to_mouth_width"] == 0.0
    assert values["hemilip_perimeter_to_mouth_width"] == 0.0
    assert values["brow_outer_slope"] == 1000.0
    assert values["brow_mid_slope"] == 0.0
    assert values["brow_mid_angle"] == 0.0
    features = expression_features(face, ALL_KINDS)
    assert np.isfinite(features).all()


# ----------------------------------------------------------------------------
# Errors.


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_nan_landmarks_raise_naming_the_rows(scheme):
    faces = _to_photo(_random_faces(scheme, 0, n=5), 0)
    faces[2, 10, 0] = np.nan
    faces[4, 60, 1] = -np.inf
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2, 4\]"):
        ExpressionFeatures(scheme=scheme).fit(faces)
    fitted = ExpressionFeatures(scheme=scheme).fit(faces[:2])
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2, 4\]"):
        fitted.transform(faces)
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2, 4\]"):
        fitted.transform(faces.reshape(5, -1))


def test_degenerate_faces_raise_naming_the_rows():
    faces = _to_photo(_random_faces(IBUG68, 1, n=3), 1)
    faces[1] = 5.0
    with pytest.raises(InvalidLandmarksError, match=r"rows \[1\].*degenerate"):
        ExpressionFeatures().fit(faces)
    mediapipe = _to_photo(_random_faces(MEDIAPIPE478, 1, n=3), 1)
    mediapipe[2, 468:478] = mediapipe[2, 468]  # irises of no size: no mm scale
    with pytest.raises(InvalidLandmarksError, match=r"rows \[2\].*iris"):
        ExpressionFeatures(scheme="mediapipe").fit(mediapipe)
    # Without clinical measures the iris size does not matter.
    ExpressionFeatures(kinds=("symmetry",), scheme="mediapipe").fit(mediapipe)


def test_wrong_shapes_and_kinds_raise():
    faces = _to_photo(_random_faces(IBUG68, 2), 2)
    with pytest.raises(ValueError, match=r"expected 136 or 956 feature\(s\).*got 10"):
        ExpressionFeatures().fit(np.zeros((4, 10)))
    with pytest.raises(ValueError, match=r"expected 136 feature\(s\).*got 10"):
        ExpressionFeatures(scheme="ibug68").fit(np.zeros((4, 10)))
    with pytest.raises(InvalidLandmarksError, match=r"\(n, 478, 2\)"):
        ExpressionFeatures(scheme="mediapipe").fit(faces)
    fitted = ExpressionFeatures().fit(faces)
    with pytest.raises(ValueError, match="136 features"):
        fitted.transform(faces.reshape(4, -1)[:, :134])
    for kinds in [(), ("symmetry", "symmetry"), ("texture",)]:
        with pytest.raises(ValueError, match="kinds"):
            ExpressionFeatures(kinds=kinds).fit(faces)
    with pytest.raises(ValueError, match="kinds"):
        ExpressionFeatures(kinds="symmetry").fit(faces)
    with pytest.raises(NotFittedError):
        ExpressionFeatures().transform(faces)


@PROPERTY_SETTINGS
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@given(seed=st.integers(0, 2**32 - 1))
def test_lateral_features_are_zero_when_symmetric_and_flip_when_mirrored(scheme,
                                                                        seed):
    faces = _to_photo(_random_faces(scheme, seed), seed)
    names = lateral_feature_names()
    symmetric = _to_photo(_symmetrise(_random_faces(scheme, seed), scheme), seed)
    values = _named(names, lateral_features(symmetric, scheme).T)
    for name, value in values.items():
        expected = 0.5 if name == "upper_face_share" else 0.0
        np.testing.assert_allclose(value, expected, atol=1e-8, err_msg=name)
    original = _named(names, lateral_features(faces, scheme).T)
    flipped = _named(names, lateral_features(_mirror(faces, scheme), scheme).T)
    for name in names:
        signed = name.endswith(("_balance", "_asym_to_mouth_width"))
        np.testing.assert_allclose(flipped[name], -original[name] if signed
                                   else original[name], atol=1e-8, err_msg=name)
    assert all(np.all(np.abs(value) <= 1) for name, value in original.items()
               if name.endswith("balance"))


def test_lateral_features_ignore_a_change_made_to_both_sides_alike():
    """A broader smile (both mouth corners pulled out and up alike) changes
    the clinical measures of size but hardly the left-right comparisons."""
    face = IBUG68_MEAN_FACE.copy()
    face[48] += [-0.02, 0.03]  # a mild droop of the subject's right corner
    broad = face.copy()
    broad[48] += [-0.15, -0.06]
    broad[54] += [0.15, -0.06]
    kinds = ("clinical",)
    clinical = expression_features(np.stack([face, broad]), kinds)
    names = expression_feature_names(kinds)
    excursion = clinical[:, names.index("clinical__commissure_excursion_left")]
    assert excursion[1] > 1.2 * excursion[0]
    lateral = _named(lateral_feature_names(),
                     lateral_features(np.stack([face, broad])).T)
    balance = lateral["commissure_excursion_balance"]
    assert abs(balance[0]) > 1e-3
    assert abs(balance[1] - balance[0]) < 0.5 * abs(balance[0])


# ----------------------------------------------------------------------------
# The transformer's API.


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize(
    "kinds", [("symmetry",), ("clinical",), ("lateral",), ("coordinates",),
              ("face_size",), ("clinical", "symmetry")]
)
def test_output_shape_and_names(scheme, kinds):
    faces = _to_photo(_random_faces(scheme, 3, n=6), 3)
    transformer = ExpressionFeatures(kinds=list(kinds), scheme=scheme.name)
    features = transformer.fit_transform(faces)
    names = transformer.get_feature_names_out()
    widths = {"symmetry": 29, "clinical": 34, "lateral": 21,
              "coordinates": 2 * scheme.n_landmarks, "face_size": 1}
    assert features.shape == (6, sum(widths[kind] for kind in kinds))
    assert features.dtype == np.float64
    assert len(names) == features.shape[1] == len(set(names))
    assert names[0].startswith(f"{kinds[0]}__")
    assert transformer.n_features_in_ == 2 * scheme.n_landmarks
    np.testing.assert_array_equal(transformer.transform(faces.reshape(6, -1)), features)
    np.testing.assert_array_equal(
        features, expression_features(faces, tuple(kinds), scheme)
    )


def test_feature_names_in_order():
    names = (
        ExpressionFeatures(kinds=ALL_KINDS)
        .fit(IBUG68_MEAN_FACE[None])
        .get_feature_names_out()
    )
    assert names[:3].tolist() == [
        "symmetry__brow_outer_angle",
        "symmetry__brow_mid_angle",
        "symmetry__brow_inner_angle",
    ]
    assert names[14] == "symmetry__commissure_angle"
    assert names[28] == "symmetry__subnasale_upper_lip_to_face_width"
    assert "clinical__commissure_excursion_deviation" in names
    assert names[63] == "lateral__brow_height_balance"
    assert names[83] == "lateral__upper_face_share"
    assert names[84:87].tolist() == [
        "coordinates__x0",
        "coordinates__y0",
        "coordinates__x1",
    ]
    mediapipe = expression_feature_names(("clinical",), "mediapipe")
    assert "clinical__commissure_excursion_deviation_mm" in mediapipe
    assert "clinical__smile_angle_asym" in mediapipe


def test_coordinates_are_the_aligned_landmarks():
    faces = _to_photo(_random_faces(MEDIAPIPE478, 4), 4)
    aligned, _ = align_landmarks(faces, MEDIAPIPE478)
    features = ExpressionFeatures(
        kinds=("coordinates",), scheme="mediapipe"
    ).fit_transform(faces)
    np.testing.assert_array_equal(features, aligned.reshape(len(faces), -1))


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)
def test_face_size_is_the_log_inter_ocular_distance_in_pixels(scheme):
    # The mean faces have their eye centres 1 apart, so a face photographed
    # at scale s has an inter-ocular distance of s pixels, whatever its
    # rotation, place or side.
    scales = np.array([10.0, 32.0, 45.0, 90.0, 128.0, 500.0])
    expected = [5.0, 5.0, np.log(45) / np.log(2), np.log(90) / np.log(2), 7.0, 7.0]
    mean = MEAN_FACES[scheme.name]
    faces = np.stack([_similarity(mean, degrees, scale, (300.0, 200.0))
                      for degrees, scale in zip((0, 25, -30, 10, 5, -15), scales,
                                                strict=True)])
    features = ExpressionFeatures(kinds=("face_size",),
                                  scheme=scheme.name).fit_transform(faces)
    assert features.shape == (6, 1)
    np.testing.assert_allclose(features[:, 0], expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        expression_features(_mirror(faces, scheme), ("face_size",), scheme)[:, 0],
        expected, rtol=0, atol=1e-9)
    assert expression_feature_names(("face_size",), scheme) == [
        "face_size__log2_iod_pixels"]


def test_fit_is_idempotent_stateless_and_survives_pickle_and_clone():
    faces = _to_photo(_random_faces(IBUG68, 5, n=8), 5)
    transformer = ExpressionFeatures(kinds=ALL_KINDS)
    assert transformer.fit(faces) is transformer
    first = transformer.transform(faces)
    np.testing.assert_array_equal(transformer.fit(faces[:2]).transform(faces), first)
    loaded = pickle.loads(pickle.dumps(transformer))
    assert loaded.scheme_ is IBUG68
    np.testing.assert_array_equal(loaded.transform(faces), first)
    np.testing.assert_array_equal(clone(transformer).fit_transform(faces), first)
    assert clone(ExpressionFeatures(scheme=MEDIAPIPE478)).scheme is MEDIAPIPE478
    # Rows are independent: order and subsets do not change them.
    order = np.random.default_rng(0).permutation(8)
    np.testing.assert_array_equal(transformer.transform(faces[order]), first[order])
    np.testing.assert_array_equal(transformer.transform(faces[3:5]), first[3:5])
    # float32 and read-only input work, and the input is not modified.
    readonly = faces.astype(np.float32)
    readonly.setflags(write=False)
    np.testing.assert_allclose(
        transformer.transform(readonly), first, rtol=1e-3, atol=1e-3
    )
    assert transformer.get_params() == {"kinds": ALL_KINDS, "scheme": "auto"}
    assert transformer.scheme_ is IBUG68


def test_what_the_sklearn_data_checks_would_test_on_landmarks():
    # scikit-learn's data checks fit on random matrices of 2 to 10 columns,
    # which are landmarks of no scheme, so they do not run on this
    # transformer (see its tags); their properties, on landmarks.
    faces = _to_photo(_random_faces(IBUG68, 8, n=6), 8)
    flat = faces.reshape(6, -1)
    transformer = ExpressionFeatures(kinds=ALL_KINDS)
    expected = expression_features(faces, ALL_KINDS)
    np.testing.assert_array_equal(
        transformer.fit_transform(flat, np.arange(6)), expected
    )
    check_is_fitted(transformer)
    state = dict(transformer.__dict__)
    np.testing.assert_array_equal(
        transformer.transform(np.asfortranarray(flat)), expected
    )
    np.testing.assert_array_equal(transformer.transform(flat.astype(object)), expected)
    assert transformer.__dict__.keys() == state.keys()
    assert all(transformer.__dict__[key] is value for key, value in state.items())
    with pytest.raises(ValueError, match="2D array"):
        transformer.transform(flat[0])
    with pytest.raises(ValueError, match="2D array"):
        ExpressionFeatures().fit(flat[0])


def test_dataframes_in_and_pandas_out():
    faces = _to_photo(_random_faces(IBUG68, 6, n=5), 6)
    columns = [f"{axis}_{k}" for k in range(68) for axis in "xy"]
    frame = pd.DataFrame(faces.reshape(5, -1), columns=columns)
    transformer = ExpressionFeatures(kinds=("symmetry",)).set_output(transform="pandas")
    out = transformer.fit_transform(frame)
    assert list(transformer.feature_names_in_) == columns
    assert list(out.columns) == [f"symmetry__{name}" for name in SYMMETRY_FEATURE_NAMES]
    np.testing.assert_allclose(out.to_numpy(), symmetry_features(faces))
    with pytest.raises(ValueError):
        transformer.get_feature_names_out(["a"] * 136)


def test_in_a_pipeline_with_a_scaler():
    faces = _to_photo(_random_faces(IBUG68, 7, n=10), 7)
    model = make_pipeline(ExpressionFeatures(), StandardScaler())
    scaled = model.fit_transform(faces)
    assert scaled.shape == (10, 63)
    assert np.isfinite(scaled).all()


def test_tags_say_what_input_is_accepted():
    tags = ExpressionFeatures().__sklearn_tags__()
    # (n, K, 2) landmarks; the flattened form only at a scheme's width.
    assert tags.input_tags.three_d_array and not tags.input_tags.two_d_array
    assert not tags.input_tags.allow_nan
    assert tags.requires_fit


# ----------------------------------------------------------------------------
# scikit-learn's own checks, on the flattened 2-D form.

# scikit-learn's own checks run in tests/test_common.py, with the reasons for
# the checks that cannot pass on random matrices of the wrong width.


def test_sparse_complex_and_empty_input_get_scikit_learns_messages():
    from scipy import sparse

    faces = _to_photo(_random_faces(IBUG68, 3, n=4), 3).reshape(4, -1)
    for scheme in ("auto", "ibug68"):
        with pytest.raises(TypeError, match="[Ss]parse"):
            ExpressionFeatures(scheme=scheme).fit(sparse.csr_matrix(faces))
        with pytest.raises(ValueError, match="[Cc]omplex"):
            ExpressionFeatures(scheme=scheme).fit(faces.astype(complex))
        with pytest.raises(ValueError, match="0 sample"):
            ExpressionFeatures(scheme=scheme).fit(np.empty((0, 136)))


def _with_detector_noise(cohort, seed, sigma=0.01):
    """The cohort's exact landmarks plus Gaussian noise of ``sigma``
    inter-ocular distances, about a landmark detector's error."""
    landmarks = np.array(cohort.landmarks)
    iod = np.linalg.norm(landmarks[:, 36:42].mean(1) - landmarks[:, 42:48].mean(1),
                         axis=1)
    noise = np.random.default_rng(seed).normal(size=landmarks.shape)
    return landmarks + sigma * noise * iod[:, None, None]


@pytest.mark.slow  # a learning outcome on a whole cohort (about 7 s)
def test_lateral_features_hold_where_controls_smile_more_broadly(synthetic_cohort):
    """Trained on a cohort whose controls smile twice as broadly as patients,
    tested on new people who do not: features of size learn the habit, the
    left-right comparisons the palsy (mild palsy, detector-like noise).
    Measured: lateral 0.933, symmetry 0.776, sizes 0.514 (ROC AUC)."""
    aucs = habit_aucs(synthetic_cohort)
    # Spread (benchmarks/bound_spread.py, 2026-12-06; training cohort seeds 0 / 1 / 2,
    # test cohort seed + 1, AVX2 and the default ISA alike): lateral 0.933 / 0.900 /
    # 0.899, min 0.899; sizes 0.514 / 0.668 / 0.642, max 0.668; symmetry 0.775 / 0.790 /
    # 0.820, max 0.820. The lateral bound was 0.9, which seed 2 misses; 0.85 is below
    # the minimum and still above symmetry's maximum.
    assert aucs["lateral"] >= 0.85
    assert aucs["size"] < 0.8 and aucs["symmetry"] < 0.9


def habit_aucs(synthetic_cohort, seed=0):
    """The ROC AUCs of the test above: trained on the cohort of ``seed`` (with
    detector noise of seed ``seed``), tested on that of ``seed + 1``
    (``benchmarks/bound_spread.py`` calls it with other seeds)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import FunctionTransformer

    common = {"severity_range": (0.1, 0.4), "expressions": ("rest", "smile")}
    train = synthetic_cohort(control_smile_gain=2.0, random_state=seed, **common)
    test = synthetic_cohort(random_state=seed + 1, **common)
    clinical = expression_feature_names(("clinical",))
    sizes = [i for i, name in enumerate(clinical) if name.endswith(("_right", "_left"))]

    def auc(features):
        model = make_pipeline(features, StandardScaler(),
                              LogisticRegression(max_iter=2000))
        model.fit(_with_detector_noise(train, seed), train.y)
        proba = model.predict_proba(_with_detector_noise(test, seed + 1))[:, 1]
        return roc_auc_score(test.y, proba)

    return {
        "lateral": auc(ExpressionFeatures(kinds=("lateral",))),
        "size": auc(make_pipeline(ExpressionFeatures(kinds=("clinical",)),
                                  FunctionTransformer(lambda X: X[:, sizes]))),
        "symmetry": auc(ExpressionFeatures(kinds=("symmetry",))),
    }


def test_upper_face_share_tells_central_from_peripheral_palsy(synthetic_cohort):
    """Central palsy spares the forehead: the upper face's share of the
    asymmetry is low; in peripheral palsy both halves are affected."""
    cohort = synthetic_cohort(n_patients=12, n_controls=0,
                              palsy_types=("central", "peripheral"),
                              expressions=("rest", "raise_eyebrows", "smile"))
    share = lateral_features(cohort.landmarks)[:, -1]
    central = share[cohort.palsy_type == "central"]
    peripheral = share[cohort.palsy_type == "peripheral"]
    assert len(central) and len(peripheral)
    assert np.median(central) < 0.15 < 0.3 < np.median(peripheral)
    assert central.max() < peripheral.min() + 0.05
