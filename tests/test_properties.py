"""Property tests of the line renderer, the feature extractor and the manifest loader.

Three promises are checked on inputs that hypothesis draws:

* no crash on any finite input: every finite landmark array of the right
  shape, degenerate ones included (all points equal, eyes on top of each
  other, a landmark a million inter-ocular distances away), gives either the
  documented output (shape, dtype, value ranges, no NaN) or an
  :class:`~sklearn_palsy.exceptions.InvalidLandmarksError` that names exactly
  the offending rows; and any manifest text gives a cohort or a
  :class:`~sklearn_palsy.exceptions.ManifestError` naming its lines;
* mirror symmetry of the drawings: the line image of a face mirrored
  left-right is the mirror image of its line image (the features' mirror
  properties are in ``test_features.py``);
* invariance of the drawings to where the face is, how large and how rolled,
  including faces whose landmarks lie far outside any photograph.
"""

import csv
import io
import os
import re
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sklearn_palsy.datasets import load_manifest
from sklearn_palsy.exceptions import (
    InvalidLandmarksError,
    ManifestError,
    ManifestNotFoundError,
)
from sklearn_palsy.faces import IBUG68, IBUG68_MEAN_FACE, MEDIAPIPE478, align_landmarks
from sklearn_palsy.preprocessing import ExpressionFeatures, LineSegmentRenderer
from sklearn_palsy.preprocessing._features import (
    SYMMETRY_FEATURE_NAMES,
    clinical_feature_names,
    clinical_features,
    coordinate_features,
    expression_features,
    symmetry_features,
)
from sklearn_palsy.preprocessing._lines import render_line_segments

FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SCHEMES = {"ibug68": IBUG68, "mediapipe478": MEDIAPIPE478}
ALL_KINDS = ("symmetry", "clinical", "coordinates")


# ----------------------------------------------------------------------------
# Faces.


def _mediapipe_mean_face():
    """An exactly mirror-symmetric 478-point face around the iBUG mean face.

    The mapped points sit on the iBUG template, the irises on the eye
    centres, and the other mesh points at random but mirror-consistent
    places (a copy of the helper in ``test_features.py``).
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


def _similarity(faces, degrees, scale, shift):
    angle = np.deg2rad(degrees)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    return faces @ rotation.T * scale + np.asarray(shift)


@st.composite
def _photographed_faces(draw, scheme_name):
    """A plausible face, asymmetric at random, placed anywhere in a photo.

    The shift reaches far outside any real photograph (negative and huge
    coordinates): landmarks outside the image are allowed.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    jitter = draw(st.floats(0.0, 0.08))
    mean = MEAN_FACES[scheme_name]
    face = mean + np.random.default_rng(seed).normal(scale=jitter, size=mean.shape)
    degrees = draw(st.floats(-60, 60))
    scale = draw(st.floats(10, 2000))
    shift = draw(st.tuples(st.floats(-1e5, 1e5), st.floats(-1e5, 1e5)))
    return face, degrees, scale, shift


_finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)


def _any_landmarks(n_landmarks, max_faces=3):
    """Any finite (n, K, 2) array: with many repeated values, or all drawn."""

    def arrays(n, repeats):
        fill = None if repeats else st.nothing()
        return hnp.arrays(np.float64, (n, n_landmarks, 2), elements=_finite,
                          fill=fill)

    return st.tuples(st.integers(1, max_faces), st.booleans()).flatmap(
        lambda drawn: arrays(*drawn)
    )


@st.composite
def _degenerate_faces(draw, scheme_name):
    """Batches of faces, each valid or degenerate in a drawn way."""
    scheme = SCHEMES[scheme_name]
    mean = MEAN_FACES[scheme_name] * 60 + 200
    ibug = np.asarray(scheme.ibug_index)
    eyes = ibug[36:48]
    faces, kinds = [], []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(
            ["valid", "all equal", "eyes coincide", "collapsed onto the eyes",
             "on a line", "far point", "zero iris", "huge", "tiny"]
        ))
        face = mean.copy()
        value = draw(st.floats(-1e5, 1e5))
        if kind == "all equal":
            face[:] = value
        elif kind == "eyes coincide":
            face[eyes] = value
        elif kind == "collapsed onto the eyes":
            # Eyes kept apart; every other point on the eye midpoint.
            centre = face[eyes].mean(axis=0)
            keep = np.zeros(len(face), bool)
            keep[eyes] = True
            if scheme.has_irises:
                keep[468:478] = True  # so that the millimetre scale exists
            face[~keep] = centre
        elif kind == "on a line":
            face[:, 1] = value
        elif kind == "far point":
            face[draw(st.integers(0, len(face) - 1))] = [1e6, -1e6]
        elif kind == "zero iris" and scheme.has_irises:
            face[468:478] = face[468]
        elif kind == "huge":
            face = face * 1e4
        elif kind == "tiny":
            # An inter-ocular distance of a millionth of a pixel.
            face = (face - face[eyes].mean(axis=0)) * 1e-8 + 3.0
        faces.append(face)
        kinds.append(kind)
    return np.stack(faces), kinds


def _named_rows(error):
    """The row indices an InvalidLandmarksError names, over all its reasons."""
    found = re.findall(r"landmarks of rows \[([\d, ]+)\]", str(error))
    assert found, f"the error names no rows: {error}"
    rows = [int(row) for group in found for row in group.split(",")]
    assert len(rows) == len(set(rows)), f"a row is named twice: {error}"
    return sorted(rows)


def _rows_failing_alone(faces, compute):
    """Rows whose face raises InvalidLandmarksError when given on its own."""
    failing = []
    for row, face in enumerate(faces):
        try:
            compute(face[None])
        except InvalidLandmarksError:
            failing.append(row)
    return failing


# ----------------------------------------------------------------------------
# The line renderer: no crash, shapes and dtypes.


@FAST
@pytest.mark.parametrize("size", [16, 33])
@given(landmarks=_any_landmarks(68))
@example(landmarks=np.full((1, 68, 2), 7.0))
@example(landmarks=np.zeros((2, 68, 2)))
# Eyes a billionth of a pixel apart and a point a million pixels away: the
# aligned face is 1e15 wide, far beyond OpenCV's fixed-point coordinates.
@example(landmarks=np.concatenate(
    [np.zeros((1, 36, 2)), IBUG68_MEAN_FACE[None, 36:48] * 1e-9,
     np.full((1, 20, 2), 1e6)], axis=1))
# A degenerate face beside one whose eyes are 1e-302 apart: aligned, the
# second stays finite but overflows when scaled to the canvas, and must be
# named with the first (hypothesis found it).
@example(landmarks=np.concatenate([
    np.zeros((1, 68, 2)),
    np.concatenate([np.zeros((1, 36, 2)), IBUG68_MEAN_FACE[None, 36:48] * 1e-302,
                    np.full((1, 20, 2), 1e6)], axis=1)]))
def test_renderer_gives_a_drawing_or_names_the_bad_rows(landmarks, size):
    renderer = LineSegmentRenderer(size=size, guides=("midline", "pupils",
                                                      "commissures"))
    try:
        images = renderer.fit_transform(landmarks)
    except InvalidLandmarksError as error:
        event("refused")
        rows = _named_rows(error)
        assert rows == _rows_failing_alone(landmarks, renderer.fit_transform)
        assert rows and set(rows) <= set(range(len(landmarks)))
        return
    event("drawn")
    assert images.shape == (len(landmarks), size, size)
    assert images.dtype == np.uint8 and images.flags.c_contiguous
    # The midline guide is always on the canvas, so no drawing is empty.
    assert (images.reshape(len(images), -1).max(axis=1) > 0).all()
    # The flattened form is the same input.
    np.testing.assert_array_equal(
        renderer.transform(landmarks.reshape(len(landmarks), -1)), images)


@FAST
@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
@given(batch=st.data())
def test_renderer_on_degenerate_faces(scheme_name, batch):
    faces, kinds = batch.draw(_degenerate_faces(scheme_name))
    renderer = LineSegmentRenderer(size=24, scheme=scheme_name)
    expected_bad = [row for row, kind in enumerate(kinds)
                    if kind in ("all equal", "eyes coincide")]
    try:
        images = renderer.fit_transform(faces)
    except InvalidLandmarksError as error:
        assert _named_rows(error) == expected_bad
        assert "degenerate" in str(error)
        return
    assert not expected_bad
    assert images.shape == (len(faces), 24, 24) and images.dtype == np.uint8
    for row, kind in enumerate(kinds):
        if kind in ("valid", "huge", "tiny", "far point"):
            # The eyes and brows stay on the canvas: something is drawn
            # (1 px anti-aliased lines at this size may stop short of 255).
            assert images[row].max() > 100, kind


# ----------------------------------------------------------------------------
# The line renderer: mirror symmetry and invariance.


def _assert_drawings_close(actual, expected, what):
    difference = np.abs(actual.astype(int) - expected.astype(int))
    # Anti-aliasing puts a few edge pixels a little differently; a line moved
    # by one pixel would show as 255 here and on many pixels. The tolerances
    # are for 2 px lines, which the drawings below ask for.
    assert difference.max() <= 80, what
    assert difference.mean() <= 1.0, what


@FAST
@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
@given(placed=st.data(), size=st.sampled_from([32, 48, 49]))
def test_mirrored_face_gives_the_mirrored_drawing(scheme_name, placed, size):
    scheme = SCHEMES[scheme_name]
    face, degrees, scale, shift = placed.draw(_photographed_faces(scheme_name))
    photo = _similarity(face, degrees, scale, shift)
    mirrored_photo = _similarity(_mirror(face, scheme), -degrees, scale, shift)
    renderer = LineSegmentRenderer(size=size, scheme=scheme_name, thickness=2,
                                   guides=("midline", "pupils", "commissures"))
    drawing, mirrored = renderer.fit_transform(np.stack([photo, mirrored_photo]))
    _assert_drawings_close(mirrored, drawing[:, ::-1], "mirror")


def test_mirror_property_can_fail():
    """A lopsided face's drawing is far from its own mirror image."""
    face = IBUG68_MEAN_FACE.copy()
    # The subject's right half of the mouth droops by a third of the IOD.
    face[[48, 49, 50, 58, 59, 60, 61, 67]] += [0.0, 0.3]
    drawing = render_line_segments(face, IBUG68, size=48, thickness=2)
    difference = np.abs(drawing.astype(int) - drawing[:, ::-1])
    assert difference.max() == 255 and difference.mean() > 2.0
    mirrored = render_line_segments(_mirror(face, IBUG68), IBUG68, size=48,
                                    thickness=2)
    _assert_drawings_close(mirrored, drawing[:, ::-1], "mirror")


@FAST
@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
@given(placed=st.data())
def test_drawing_ignores_position_size_and_roll(scheme_name, placed):
    face, degrees, scale, shift = placed.draw(_photographed_faces(scheme_name))
    renderer = LineSegmentRenderer(size=40, scheme=scheme_name, thickness=2)
    upright, photographed = renderer.fit_transform(
        np.stack([face, _similarity(face, degrees, scale, shift)])
    )
    _assert_drawings_close(photographed, upright, "similarity")


# ----------------------------------------------------------------------------
# The feature extractor: no crash, shapes, dtypes and documented ranges.

_RATIO = [i for i, name in enumerate(SYMMETRY_FEATURE_NAMES) if name.endswith("_ratio")]
_SLOPE = [i for i, name in enumerate(SYMMETRY_FEATURE_NAMES) if name.endswith("_slope")]
_ANGLE = [i for i, name in enumerate(SYMMETRY_FEATURE_NAMES) if name.endswith("_angle")]
_PER_WIDTH = [i for i, name in enumerate(SYMMETRY_FEATURE_NAMES)
              if name.endswith("_width")]


def _assert_documented_ranges(symmetry):
    """The ranges the docstrings promise for the 29 symmetry features."""
    assert np.isfinite(symmetry).all()
    assert ((symmetry[:, _RATIO] >= 0) & (symmetry[:, _RATIO] <= 1)).all()
    assert ((symmetry[:, _SLOPE] >= 0) & (symmetry[:, _SLOPE] <= 1000)).all()
    assert (np.abs(symmetry[:, _ANGLE]) <= 180).all()
    assert (symmetry[:, _PER_WIDTH] >= 0).all()


def test_feature_groups_cover_all_29():
    groups = _RATIO + _SLOPE + _ANGLE + _PER_WIDTH
    assert sorted(groups) == list(range(29))


@FAST
@given(landmarks=_any_landmarks(68))
@example(landmarks=np.full((2, 68, 2), -3.5))
def test_feature_transformer_gives_features_or_names_exactly_the_bad_rows(landmarks):
    transformer = ExpressionFeatures(kinds=ALL_KINDS)
    n_features = 29 + 34 + 136
    try:
        features = transformer.fit_transform(landmarks)
    except InvalidLandmarksError as error:
        event("refused")
        # Each row is judged on its own: the batch names exactly the rows
        # that fail alone, and no other.
        rows = _named_rows(error)
        assert rows and rows == _rows_failing_alone(
            landmarks, lambda face: expression_features(face, ALL_KINDS))
        good = [row for row in range(len(landmarks)) if row not in rows]
        if good:
            features = transformer.fit_transform(landmarks[good])
            assert features.shape == (len(good), n_features)
        return
    event("computed")
    assert features.shape == (len(landmarks), n_features)
    assert features.dtype == np.float64
    _assert_documented_ranges(features[:, :29])
    # A batch gives each face's features as computed alone.
    for row, face in enumerate(landmarks):
        np.testing.assert_array_equal(expression_features(face, ALL_KINDS),
                                      features[row])
    np.testing.assert_array_equal(
        transformer.transform(landmarks.reshape(len(landmarks), -1)), features)


@FAST
@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
@given(batch=st.data())
def test_features_of_degenerate_faces_are_defined_or_named(scheme_name, batch):
    faces, kinds = batch.draw(_degenerate_faces(scheme_name))
    scheme = SCHEMES[scheme_name]
    bad = {"all equal", "eyes coincide"}
    if scheme.has_irises:
        bad.add("zero iris")  # no millimetre scale for the clinical measures
    expected_bad = [row for row, kind in enumerate(kinds) if kind in bad]
    try:
        features = ExpressionFeatures(scheme=scheme_name).fit_transform(faces)
    except InvalidLandmarksError as error:
        assert _named_rows(error) == expected_bad
        assert "degenerate" in str(error)
        return
    assert not expected_bad
    assert features.shape == (len(faces), 63) and features.dtype == np.float64
    _assert_documented_ranges(features[:, :29])
    for row, kind in enumerate(kinds):
        if kind == "collapsed onto the eyes":
            # Everything but the eyes on one point: S(0, 0) = 1, x / 0 = 0.
            symmetry = features[row, :29]
            assert (symmetry[[3, 9, 10, 15, 16, 17, 24]] == 1.0).all()
            assert (symmetry[[19, 20, 21]] == 0.0).all()


@FAST
@pytest.mark.parametrize("scheme_name", sorted(SCHEMES))
@given(placed=st.data(), single=st.booleans())
def test_pure_functions_shapes_and_dtypes(scheme_name, placed, single):
    scheme = SCHEMES[scheme_name]
    face, degrees, scale, shift = placed.draw(_photographed_faces(scheme_name))
    photo = _similarity(face, degrees, scale, shift)
    landmarks = photo if single else np.stack([photo, photo[:, ::-1]])
    lead = () if single else (2,)
    symmetry = symmetry_features(landmarks, scheme)
    clinical = clinical_features(landmarks, scheme)
    coordinates = coordinate_features(landmarks, scheme)
    assert symmetry.shape == (*lead, 29)
    assert clinical.shape == (*lead, len(clinical_feature_names(scheme)))
    assert coordinates.shape == (*lead, 2 * scheme.n_landmarks)
    for values in (symmetry, clinical, coordinates):
        assert values.dtype == np.float64 and np.isfinite(values).all()
    _assert_documented_ranges(np.atleast_2d(symmetry))
    # The coordinates are the aligned landmarks, flattened x0, y0, x1, ...
    aligned, _ = align_landmarks(landmarks, scheme)
    np.testing.assert_array_equal(
        coordinates, aligned.reshape(*lead, -1) if lead else aligned.reshape(-1))
    # Ratios are unchanged by mirroring (the signs are in test_features.py),
    # even for faces placed far outside any photograph.
    mirrored = symmetry_features(_mirror(landmarks, scheme), scheme)
    np.testing.assert_allclose(
        np.atleast_2d(mirrored)[:, _RATIO], np.atleast_2d(symmetry)[:, _RATIO],
        rtol=1e-6, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-3, 1.0, 1e6]))
def test_any_finite_mediapipe_input_gives_features_or_a_named_error(seed, scale):
    rng = np.random.default_rng(seed)
    landmarks = rng.uniform(-scale, scale, size=(2, 478, 2))
    # Sometimes collapse a face entirely, or snap it onto a coarse grid.
    if seed % 3 == 0:
        landmarks[seed % 2] = landmarks[seed % 2, 0]
    elif seed % 3 == 1:
        landmarks = np.round(landmarks / scale * 2) * scale
    try:
        features = ExpressionFeatures(kinds=ALL_KINDS,
                                      scheme="mediapipe").fit_transform(landmarks)
    except InvalidLandmarksError as error:
        assert _named_rows(error) == _rows_failing_alone(
            landmarks, lambda face: expression_features(face, ALL_KINDS, MEDIAPIPE478))
        return
    assert features.shape == (2, 29 + 34 + 956) and np.isfinite(features).all()


def test_zero_faces_is_a_clear_scikit_learn_error():
    with pytest.raises(ValueError, match="0 sample"):
        ExpressionFeatures().fit(np.zeros((0, 68, 2)))


# ----------------------------------------------------------------------------
# The manifest loader: any text gives a cohort or a ManifestError.

_odd_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(",;\"' \t\r\n\\/.%:|") + ["\x00", "\ufeff", "é",
                                                       "\u200b", "日", "本", "🙂"]),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=12,
)
_REQUIRED = ["image", "label", "patient_id"]
_EXTRA_COLUMNS = ("expression", "side", "grade", "path", "label", "", " image ")
_FILES = ("a.png", "b.jpg", "sub/c.png", "日本 é.png", "sp ace.PNG")
_SPELLINGS = {"a.png": "./a.png", "b.jpg": "sub/../b.jpg"}
_cells = st.one_of(
    st.sampled_from(["", "  ", "0", "1", "-1", "+1", "007", "1e400", "nan", "inf",
                     "NaN", "1_000", "١", "palsy", " control ", "sub", "a.png"]),
    _odd_text,
)


@st.composite
def _manifest_texts(draw):
    """A manifest's bytes and the files that exist next to it.

    Half the manifests have the required columns and mostly existing
    images, so that both outcomes, a cohort and a ManifestError, are
    common; the others are any columns and cells, or any bytes at all.
    """
    near_valid = draw(st.booleans())
    files = draw(st.lists(st.sampled_from(_FILES), unique=True,
                          min_size=int(near_valid), max_size=4))
    if near_valid:
        extra = draw(st.lists(st.one_of(st.sampled_from(_EXTRA_COLUMNS), _odd_text),
                              max_size=2))
        columns = draw(st.permutations(_REQUIRED + extra))
        # Each image once, until they run out (then rows repeat them).
        missing = ["missing.png"] if draw(st.booleans()) else []
        images = draw(st.permutations(files + missing))
        friendly = st.one_of(
            st.sampled_from(["0", "1", "palsy", " control ", "P01", "007", "日本"]),
            _cells,
        )
        rows = []
        for index in range(draw(st.integers(1, len(images) + 1))):
            row = []
            for column in columns:
                if column == "image":
                    image = images[index % len(images)]
                    row.append(_SPELLINGS.get(image, image)
                               if draw(st.booleans()) else image)
                else:
                    row.append(draw(friendly))
            rows.append(row)
    else:
        columns = draw(st.lists(st.one_of(st.sampled_from(_REQUIRED), _odd_text),
                                max_size=6))
        rows = draw(st.lists(st.lists(_cells, max_size=len(columns) + 1),
                             max_size=5))
    layout = draw(st.sampled_from(["csv", "csv", "raw", "bytes"]))
    if layout == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([columns, *rows])
        data = buffer.getvalue().encode("utf-8")
    elif layout == "raw":
        # Cells joined by hand: unbalanced quotes and stray delimiters survive.
        lines = [",".join(columns)] + [",".join(row) for row in rows]
        data = "\n".join(lines).encode("utf-8")
    else:
        data = draw(st.binary(max_size=200))
    return data, files


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(manifest=_manifest_texts())
def test_any_manifest_gives_a_cohort_or_a_manifest_error(manifest):
    data, files = manifest
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "sub"))
        for name in files:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(b"not checked here")
        path = os.path.join(folder, "manifest.csv")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            cohort = load_manifest(path)
        except ManifestError as error:
            event("ManifestError")
            assert error.problems, "a ManifestError must list its problems"
            assert error.source == path
            message = str(error)
            for row, reason in error.problems:
                assert isinstance(row, int) and row >= 1
                assert f"line {row}" in message and reason in message
            return
        except ManifestNotFoundError:  # pragma: no cover - the file exists
            pytest.fail("the manifest exists")
        event("cohort")
        n_rows = len(cohort.frame)
        assert n_rows >= 1
        assert cohort.X.shape == cohort.y.shape == cohort.groups.shape == (n_rows,)
        for image in cohort.X:
            assert os.path.isabs(image) and os.path.isfile(image)
        assert len(set(cohort.X.tolist())) == n_rows
        assert all(isinstance(g, str) and g.strip() == g and g for g in cohort.groups)
        assert cohort.y.dtype in (np.int64, object)
        if cohort.y.dtype == object:
            assert all(isinstance(label, str) and label for label in cohort.y)
