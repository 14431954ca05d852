"""The bad-input matrix: every kind of bad input, through the public API.

One test per case, each through the function or estimator a user would call,
each asserting either a clear error (its class, and that its message names
the file, the row or the problem) or the documented fallback (and that it
says so where it warns). Some of these cases are also tested, in more
detail, next to their module (``test_image_io.py``, ``test_face.py``,
``test_features.py``, ``test_neural.py``, ``test_manifest.py``); this file
is the one place that holds the whole table. In it, LD is LandmarkDetector, FC
FaceCropper, EF ExpressionFeatures, LSR LineSegmentRenderer, and Fusion the
IntermediateFusionClassifier and make_late_fusion's voting and stacking.

===========================  ===================  ===============================
case                         API                  outcome
===========================  ===================  ===============================
missing-file                 read_image, LD, FC,  ImageFileNotFoundError (also a
                             load_manifest        FileNotFoundError), or
                                                  ManifestError, naming the file
zero-byte-file               read_image, LD, FC   ImageReadError "empty file"
truncated-jpeg               read_image, LD, FC   ImageReadError "truncated or
                                                  corrupt"
text-file-named-png          read_image, LD, FC   ImageReadError "not an image"
grayscale                    read_image, LD       three equal channels; the face
                                                  is found
rgba                         read_image, LD       composited on white; the face
                                                  is found
palette                      read_image, LD       converted to RGB; the face is
                                                  found
16-bit                       read_image, LD       scaled to 8 bits, not clipped
cmyk                         read_image, LD       converted to RGB; the face is
                                                  found
exif-rotated                 read_image, LD, FC   turned upright first
tiny-10x10                   read_image, LD, FC   ImageTooSmallError
decompression-bomb           read_image, LD, FC   ImageTooLargeError before any
                                                  decoding; max_pixels sets the
                                                  limit
no-face                      LD, FC, then EF      NoFaceDetectedError, or the
                                                  on_missing fallback with a
                                                  NoFaceFallbackWarning
two-faces                    LD, FC               MultipleFacesWarning; the
                                                  largest face is used
nan-landmarks                EF, LSR              InvalidLandmarksError naming
                                                  the rows
infinite-landmarks           EF, LSR              InvalidLandmarksError naming
                                                  the rows, with degenerate ones
nan-features                 FFNN, Fusion         ValueError "Input X contains
                                                  NaN" (scikit-learn's)
infinite-features            FFNN                 ValueError "Input X contains
                                                  infinity"
landmarks-outside-the-image  LD, EF, LSR          allowed, as documented: not
                                                  clipped, same features and
                                                  drawing
single-class-y               FFNN, ResNet,        ValueError "needs at least 2
                             Fusion               classes in y; got 1 class"
groups-length-mismatch       FFNN, ResNet,        ValueError "groups has n
                             Fusion,              entries but X has m samples"
                             check_patient_split,
                             evaluate_pipelines
string-labels                load_manifest,       works: the predictions are the
                             FFNN, ResNet,        same strings
                             Fusion,
                             evaluate_pipelines
named-pipe                   read_image, LD, FC   ImageReadError "named pipe (FIFO)"
                                                  at once, never waiting on it
labels-mixing-kinds          load_manifest        ManifestError naming the rows;
                                                  1 and 1.0 are one class
look-alike-patient-ids       load_manifest        ManifestError naming every
                                                  spelling and its rows
patient-in-two-classes       load_manifest,       ManifestError naming the
                             check_patient_split, patient ("more than one
                             evaluate_pipelines   label"), before any fit
missing-groups               FFNN, ResNet,        ValueError "groups has 1
                             Fusion,              missing ... patient id"
                             check_patient_split,
                             evaluate_pipelines
negative-sample-weight       FFNN, ResNet,        ValueError "sample_weight has
                             Fusion               1 negative value"
landmarks-far-outside        LD, FC, assess       InvalidLandmarksError naming
                                                  the image and the file line;
                                                  with on_error="skip" a
                                                  failures row
absurd-landmark-values       load_landmarks,      LandmarkFileError naming the
                             LandmarkSet          file and line ('1e400',
                                                  >= 2**31 px); LandmarkSet
                                                  names the points
unmatched-landmark-file      LD, FC,              UnmatchedLandmarksWarning
                             analyze_faces        naming the entries; the faces
                                                  are detected
corrupt-video-in-a-batch     resolve_images,      ImageBatchError naming the
                             extract, predict,    video; with on_error="skip"
                             assess               the good frames and a
                                                  failures row
single-frame-reference       resolve_images,      works: the one frame
                             extract, predict,
                             assess
malformed-frame-index        read_image, LD,      VideoReadError "malformed
                             resolve_images       frame reference", not "file
                                                  not found"
same-bytes-two-patients      load_manifest,       UserWarning naming both
                             load_image_folder    files, rows and patients
swapped-reference-model      load_reference_model ModelFileError naming the
                                                  file, its record and what
                                                  differs (checksum, size,
                                                  backend)
missing-labels               FFNN, ResNet,        ValueError "needs a label for
                             Fusion, Ordinal,     every sample; y has 2 missing
                             check_patient_split, labels ... at rows 5, 17"
                             evaluate_pipelines
unordered-text-grades        OrdinalClassifier,   UserWarning naming the
                             evaluate_pipelines   alphabetical order used;
                                                  classes= sets the order
test-set-overlaps-training   evaluate_pipelines   PatientLeakageError naming the
                             (test=), evaluate    shared patient ids with their
                             --test               rows in both sets, and images
                                                  of the same content with both
                                                  rows and paths; on_overlap=
                                                  "warn" or --allow-overlap: a
                                                  PatientLeakageWarning
by-column-missing            evaluate_pipelines   ValueError naming the missing
                             (by=), evaluate      columns and those there are
                             --by                 (the CLI also names the
                                                  manifest)
n-bootstraps-below-one       evaluate_pipelines,  ValueError "n_bootstraps must
                             compare_pipelines    be an integer of at least 1"
                                                  before any fit
subgroup-missing-values      evaluate_pipelines   None and NaN form the subgroup
                             (by=)                "(missing)", with a note; no
                                                  patient is dropped
bad-decision-thresholds      net_benefit,         ValueError naming each bad
                             decision_curve       threshold and its position
malformed-model-card         read_model_card,     ModelFileError naming the card
                             predict              file, line and column; predict
                                                  still predicts, warning so
learning-curve-oversized     learning_curve_by_   ValueError naming the fold and
                             patients             its number of training
                                                  patients
review-unmatched-landmarks   review --landmarks   page written, faces detected;
                                                  a warning naming the file and
                                                  the unused image
review-malformed-decisions   load_review_decis-   ManifestError naming the file
                             ions, review         and every bad line; exit 1,
                             --decisions          no page
review-bad-landmark-file     review --landmarks   LandmarkFileError naming the
                                                  file and line; exit 1, no
                                                  page
review-unreadable-image      review               page written, the image
                                                  flagged unreadable with its
                                                  error, named on stderr and
                                                  first in the flags CSV
threshold-out-of-range       predict/assess       exit 2, "must be a probability
                             --threshold,         in [0, 1]"; ValueError naming
                             decision_threshold   the value, or the classes of a
                                                  model that is not binary
damaged-type-model-entry     load_reference_model ModelFileError naming the
                             (task="type")        record and the type model's
                                                  file; the palsy model loads
===========================  ===================  ===============================

Errors about a file name it in their message and in their ``path``
attribute; errors about landmarks name the rows.
"""

import re
import struct
import time
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
import sklearn
from PIL import Image
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_palsy import (
    ExpressionFeatures,
    FaceCropper,
    FFNNClassifier,
    IntermediateFusionClassifier,
    LandmarkDetector,
    LineSegmentRenderer,
    ResNetClassifier,
    check_patient_split,
    evaluate_pipelines,
    load_manifest,
    make_late_fusion,
    make_synthetic_cohort,
)
from sklearn_palsy.exceptions import (
    ImageFileNotFoundError,
    ImageReadError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidLandmarksError,
    ManifestError,
    NoFaceDetectedError,
    PalsyError,
)
from sklearn_palsy.faces import MultipleFacesWarning, read_image
from sklearn_palsy.preprocessing import NoFaceFallbackWarning

# ----------------------------------------------------------------------------
# The matrix: each case registers itself under its id.

MATRIX = {}


def case(name):
    def register(function):
        assert name not in MATRIX, name
        MATRIX[name] = function
        return function

    return register


@dataclass
class Context:
    """What every case may use: a folder, and two faces with their truth."""

    tmp_path: object
    face: np.ndarray
    other_face: np.ndarray
    truth: np.ndarray


@pytest.fixture(scope="module")
def faces():
    cohort = make_synthetic_cohort(n_patients=1, n_controls=1, expressions=("rest",),
                                   image_size=160, random_state=0)
    return cohort.images, cohort.landmarks


@pytest.fixture
def context(tmp_path, faces):
    images, landmarks = faces
    return Context(tmp_path=tmp_path, face=images[0], other_face=images[1],
                   truth=landmarks[0])


# ----------------------------------------------------------------------------
# Helpers.


def dlib_landmarks(**params):
    """dlib's 68 points, which compare directly with the renderer's ground truth."""
    return LandmarkDetector(backend="dlib", **params)


def dlib_crops(**params):
    """Crops around dlib's detector box."""
    return FaceCropper(backend="dlib", **params)


def _save(image, path, **kwargs):
    image.save(path, **kwargs)
    return str(path)


def _image_readers():
    """The public ways into an image file, each given one path."""
    return {
        "read_image": lambda path: read_image(path),
        "LandmarkDetector": lambda path: LandmarkDetector().fit_transform([path]),
        "FaceCropper": lambda path: FaceCropper(size=32).fit_transform([path]),
        "LandmarkDetector(dlib)": lambda path: dlib_landmarks().fit_transform([path]),
        "FaceCropper(dlib)": lambda path: dlib_crops(size=32).fit_transform([path]),
    }


def _assert_refused(path, error, match):
    """Every reader raises ``error``, whose message and ``path`` name the file."""
    for reader, read in _image_readers().items():
        with pytest.raises(error, match=match) as info:
            read(path)
        assert isinstance(info.value, PalsyError), reader
        assert str(path) in str(info.value), reader
        assert info.value.path == str(path), reader


def _landmarks(image):
    return dlib_landmarks().fit_transform([image])[0]


def _inter_ocular(landmarks):
    return np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0))


def _assert_same_face(found, expected, tolerance=0.1):
    """Landmarks within ``tolerance`` inter-ocular distances, point by point."""
    error = np.linalg.norm(found - expected, axis=1) / _inter_ocular(expected)
    assert np.median(error) < tolerance, np.median(error)


def _png_header_only(path, width, height):
    """A PNG that declares ``width x height`` but holds no pixel data."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return str(path)


def _tabular(n=40, seed=0):
    """Features of n images of n / 4 patients, half of them with palsy."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n // 4), 4)
    # Not alternating, so that GroupKFold's folds (even and odd patients)
    # each hold both classes.
    y = (groups // 2 + groups) % 2
    X = rng.normal(size=(n, 4)).astype(np.float32)
    X[:, 0] += y
    return X, y, groups


def _first_half(X):
    return X[:, :2]


def _second_half(X):
    return X[:, 2:]


def _fusions():
    """Intermediate, late and stacking fusion of two small feature branches."""

    def branch(columns):
        network = FFNNClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0)
        with sklearn.config_context(enable_metadata_routing=True):
            # Late fusion, fitted with routing on (_fit), passes weights on.
            network.set_fit_request(sample_weight=True)
        return make_pipeline(FunctionTransformer(columns), network)

    def branches():
        return [("a", branch(_first_half)), ("b", branch(_second_half))]

    return {
        "IntermediateFusionClassifier": IntermediateFusionClassifier(
            branches(), max_epochs=2, random_state=0),
        "late fusion (voting)": make_late_fusion(branches()),
        "late fusion (stacking)": make_late_fusion(
            branches(), cv=2, final_estimator=LogisticRegression()),
    }


def _fit(estimator, X, y, **params):
    """Fit; scikit-learn's late fusion gets groups and weights by routing."""
    if isinstance(estimator, VotingClassifier | StackingClassifier):
        with sklearn.config_context(enable_metadata_routing=True):
            return estimator.fit(X, y, **params)
    return estimator.fit(X, y, **params)


def _images(n=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def _resnet():
    return ResNetClassifier(image_size=32, max_epochs=1, batch_size=8, random_state=0)


# ----------------------------------------------------------------------------
# Files that are not readable images.


@case("missing-file")
def _(ctx):
    path = str(ctx.tmp_path / "nobody.jpg")
    _assert_refused(path, ImageFileNotFoundError, "file not found")
    with pytest.raises(FileNotFoundError):
        read_image(path)
    manifest = ctx.tmp_path / "manifest.csv"
    manifest.write_text("image,label,patient_id\nnobody.jpg,1,P1\n")
    with pytest.raises(ManifestError, match=r"line 2 \(image 'nobody.jpg'\): image "
                                            "file not found") as info:
        load_manifest(manifest)
    assert info.value.problems[0][0] == 2


@case("zero-byte-file")
def _(ctx):
    path = ctx.tmp_path / "empty.jpg"
    path.write_bytes(b"")
    _assert_refused(str(path), ImageReadError, "empty file")


@case("truncated-jpeg")
def _(ctx):
    whole = _save(Image.fromarray(ctx.face), ctx.tmp_path / "whole.jpg", quality=90)
    cut = ctx.tmp_path / "cut.jpg"
    with open(whole, "rb") as handle:
        data = handle.read()
    cut.write_bytes(data[: len(data) // 2])
    _assert_refused(str(cut), ImageReadError, "truncated or corrupt")


@case("text-file-named-png")
def _(ctx):
    path = ctx.tmp_path / "notes.png"
    path.write_text("these are not pixels\n" * 20)
    _assert_refused(str(path), ImageReadError, "not an image")


# ----------------------------------------------------------------------------
# Colour modes and orientation: the documented conversions.


@case("grayscale")
def _(ctx):
    grey = np.asarray(Image.fromarray(ctx.face).convert("L"))
    path = _save(Image.fromarray(grey), ctx.tmp_path / "grey.png")
    pixels = read_image(path)
    assert pixels.shape == (160, 160, 3) and pixels.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(pixels[:, :, channel], grey)
    _assert_same_face(_landmarks(path), ctx.truth)


@case("rgba")
def _(ctx):
    alpha = np.full(ctx.face.shape[:2], 255, np.uint8)
    alpha[:, :20] = 0  # a transparent strip at the left, away from the face
    path = _save(Image.fromarray(np.dstack([ctx.face, alpha])), ctx.tmp_path / "a.png")
    pixels = read_image(path)
    assert pixels.shape == (160, 160, 3)
    assert (pixels[:, :20] == 255).all()  # transparent is white, not black
    np.testing.assert_array_equal(pixels[:, 20:], ctx.face[:, 20:])
    _assert_same_face(_landmarks(path), ctx.truth)


@case("palette")
def _(ctx):
    palette = Image.fromarray(ctx.face).quantize(colors=64)
    assert palette.mode == "P"
    path = _save(palette, ctx.tmp_path / "palette.png")
    pixels = read_image(path)
    np.testing.assert_array_equal(pixels, np.asarray(palette.convert("RGB")))
    _assert_same_face(_landmarks(path), ctx.truth)


@case("16-bit")
def _(ctx):
    grey = np.asarray(Image.fromarray(ctx.face).convert("L"))
    sixteen = Image.fromarray(grey.astype(np.uint16) * 257)  # full 16-bit scale
    path = _save(sixteen, ctx.tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    pixels = read_image(path)
    # Scaled by the bit depth, so 8-bit grey comes back exactly, not clipped
    # to white.
    np.testing.assert_array_equal(pixels[:, :, 0], grey)
    np.testing.assert_array_equal(_landmarks(path), _landmarks(_save(
        Image.fromarray(grey), ctx.tmp_path / "grey8.png")))


@case("cmyk")
def _(ctx):
    path = _save(Image.fromarray(ctx.face).convert("CMYK"), ctx.tmp_path / "cmyk.jpg",
                 quality=95)
    assert Image.open(path).mode == "CMYK"
    pixels = read_image(path)
    assert pixels.shape == (160, 160, 3)
    assert np.abs(pixels.astype(int) - ctx.face).mean() < 8
    _assert_same_face(_landmarks(path), ctx.truth)


@case("exif-rotated")
def _(ctx):
    # Stored turned a quarter to the left; orientation 6 says "turn it a
    # quarter to the right to display", as phones write.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = np.ascontiguousarray(np.rot90(ctx.face, 1))
    path = _save(Image.fromarray(stored), ctx.tmp_path / "phone.png", exif=exif)
    np.testing.assert_array_equal(read_image(path), ctx.face)
    upright = _save(Image.fromarray(ctx.face), ctx.tmp_path / "upright.png")
    np.testing.assert_array_equal(_landmarks(path), _landmarks(upright))
    np.testing.assert_array_equal(dlib_crops(size=48).fit_transform([path]),
                                  dlib_crops(size=48).fit_transform([upright]))
    # The same as phones save it: a JPEG, turned the other way (orientation 8).
    exif[0x0112] = 8
    jpeg = _save(Image.fromarray(np.ascontiguousarray(np.rot90(ctx.face, -1))),
                 ctx.tmp_path / "phone.jpg", exif=exif, quality=95)
    pixels = read_image(jpeg)
    assert pixels.shape == ctx.face.shape
    assert np.abs(pixels.astype(int) - ctx.face).mean() < 4
    _assert_same_face(_landmarks(jpeg), ctx.truth)


# ----------------------------------------------------------------------------
# Sizes.


@case("tiny-10x10")
def _(ctx):
    path = _save(Image.fromarray(ctx.face[:10, :10]), ctx.tmp_path / "tiny.png")
    _assert_refused(path, ImageTooSmallError, "10x10 pixels")


@case("decompression-bomb")
def _(ctx):
    # 85 megapixels declared in a 70-byte file: refused from the header,
    # before any pixel is decoded, by the default limit of 80 MP.
    bomb = _png_header_only(ctx.tmp_path / "bomb.png", 10_000, 8_500)
    start = time.perf_counter()
    _assert_refused(bomb, ImageTooLargeError, "10000x8500 = 85000000 pixels")
    assert time.perf_counter() - start < 2.0
    # The limit is configurable, on every image transformer.
    photo = _save(Image.fromarray(ctx.face), ctx.tmp_path / "photo.png")
    for transformer in (dlib_landmarks(max_pixels=10_000),
                        dlib_crops(max_pixels=10_000)):
        with pytest.raises(ImageTooLargeError, match="max_pixels=10000") as info:
            transformer.fit_transform([photo])
        assert info.value.path == photo
    # The limit is inclusive: 160 x 160 pixels pass a limit of 160 * 160.
    landmarks = dlib_landmarks(max_pixels=160 * 160).fit_transform([photo])
    assert landmarks.shape == (1, 68, 2) and np.isfinite(landmarks).all()


# ----------------------------------------------------------------------------
# Faces: none, or two.


@case("no-face")
def _(ctx):
    gradient = np.linspace(0, 255, 160 * 160 * 3).reshape(160, 160, 3)
    path = _save(Image.fromarray(gradient.astype(np.uint8)), ctx.tmp_path / "wall.png")
    for transformer in (dlib_landmarks(), dlib_crops(size=32)):
        with pytest.raises(NoFaceDetectedError, match="no face found") as info:
            transformer.fit_transform([path])
        assert info.value.path == path
    # The documented fallbacks, each with a warning that names the file.
    with pytest.warns(NoFaceFallbackWarning, match=re.escape(path)):
        crop = dlib_crops(size=32, on_missing="center").fit_transform([path])
    assert crop.shape == (1, 32, 32, 3)
    photo = _save(Image.fromarray(ctx.face), ctx.tmp_path / "face.png")
    with pytest.warns(NoFaceFallbackWarning, match=re.escape(path)):
        landmarks = dlib_landmarks(on_missing="nan").fit_transform([photo, path])
    assert np.isfinite(landmarks[0]).all() and np.isnan(landmarks[1]).all()
    # Downstream, the NaN row is named, not silently turned into features.
    with pytest.raises(InvalidLandmarksError, match=r"rows \[1\] are NaN"):
        ExpressionFeatures().fit_transform(landmarks)


@case("two-faces")
def _(ctx):
    small = np.asarray(Image.fromarray(ctx.other_face).resize((112, 112)))
    canvas = np.full((160, 290, 3), 128, np.uint8)
    canvas[:, :160] = ctx.face
    canvas[24:136, 170:282] = small
    path = _save(Image.fromarray(canvas), ctx.tmp_path / "couple.png")
    with pytest.warns(MultipleFacesWarning,
                      match=rf"2 faces found in {re.escape(path)}; using the largest"):
        landmarks = dlib_landmarks().fit_transform([path])[0]
    # The larger face, on the left, is the one used.
    _assert_same_face(landmarks, ctx.truth)
    with pytest.warns(MultipleFacesWarning, match="using the largest"):
        crop = dlib_crops(size=64).fit_transform([path])[0]
    alone = dlib_crops(size=64).fit_transform([ctx.face])[0]
    assert np.abs(crop.astype(int) - alone).mean() < 10


# ----------------------------------------------------------------------------
# Landmarks.


def _photo_landmarks(ctx, n=4):
    rng = np.random.default_rng(0)
    return ctx.truth + rng.normal(scale=0.5, size=(n, 68, 2))


@case("nan-landmarks")
def _(ctx):
    landmarks = _photo_landmarks(ctx)
    landmarks[2, 30, 1] = np.nan
    for transformer in (ExpressionFeatures(), LineSegmentRenderer(size=32)):
        fitted = transformer.fit(landmarks[:2])
        with pytest.raises(InvalidLandmarksError,
                           match=r"^landmarks of rows \[2\] are NaN or infinite$"):
            fitted.transform(landmarks)
        with pytest.raises(InvalidLandmarksError, match=r"rows \[2\]"):
            transformer.fit(landmarks)


@case("infinite-landmarks")
def _(ctx):
    landmarks = _photo_landmarks(ctx)
    landmarks[1, 0, 0] = np.inf
    landmarks[3, 67, 1] = -np.inf
    landmarks[0] = landmarks[0, 40]  # and a degenerate face: named too
    for transformer in (ExpressionFeatures(), LineSegmentRenderer(size=32)):
        with pytest.raises(InvalidLandmarksError) as info:
            transformer.fit_transform(landmarks)
        message = str(info.value)
        assert "landmarks of rows [1, 3] are NaN or infinite" in message
        assert "landmarks of rows [0] are degenerate" in message


@case("nan-features")
def _(ctx):
    X, y, _ = _tabular()
    X[5, 1] = np.nan
    for name, estimator in {"FFNNClassifier": FFNNClassifier(max_epochs=1),
                            **_fusions()}.items():
        with pytest.raises(ValueError, match="Input X contains NaN") as info:
            _fit(estimator, X, y)
        assert "FFNNClassifier" in str(info.value), name
    fitted = FFNNClassifier(max_epochs=1, random_state=0).fit(X[:5], y[:5])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.predict_proba(X)


@case("infinite-features")
def _(ctx):
    X, y, _ = _tabular()
    X[7, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        FFNNClassifier(max_epochs=1).fit(X, y)
    X[7, 0] = -np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        FFNNClassifier(max_epochs=1).fit(X, y)


@case("landmarks-outside-the-image")
def _(ctx):
    # A photograph whose frame cuts the chin: the detector still places every
    # point, some below the bottom edge, and returns them unclipped.
    height = int(ctx.truth[8, 1]) - 15
    cut = np.ascontiguousarray(ctx.face[:height])
    landmarks = dlib_landmarks().fit_transform([cut])[0]
    assert landmarks[:, 1].max() > height - 1
    assert np.isfinite(ExpressionFeatures().fit_transform(landmarks[None])).all()
    # User-supplied landmarks in any frame, even far off any photograph, give
    # the same features and the same drawing as inside it.
    inside = ctx.truth[None]
    outside = inside + [-5_000.0, 20_000.0]
    features = ExpressionFeatures(kinds=("symmetry", "clinical", "coordinates"))
    np.testing.assert_allclose(features.fit_transform(outside),
                               features.fit_transform(inside), atol=1e-9)
    renderer = LineSegmentRenderer(size=48)
    drawn_inside = renderer.fit_transform(inside)
    assert np.abs(renderer.transform(outside).astype(int) - drawn_inside).mean() < 0.5


# ----------------------------------------------------------------------------
# Targets and groups.


@case("single-class-y")
def _(ctx):
    X, _, groups = _tabular()
    single = np.ones(len(X), dtype=int)
    estimators = {"FFNNClassifier": (FFNNClassifier(max_epochs=1), X),
                  "ResNetClassifier": (_resnet(), _images(len(X)))}
    estimators.update({name: (fusion, X) for name, fusion in _fusions().items()})
    for name, (estimator, inputs) in estimators.items():
        # scikit-learn's voting hands its branches encoded labels (class 0).
        label = r"\d" if "voting" in name else "1"
        with pytest.raises(ValueError, match=r"needs at least 2 classes in y; got 1 "
                                             rf"class: \[{label}\]"):
            _fit(estimator, inputs, single, groups=groups)


@case("groups-length-mismatch")
def _(ctx):
    X, y, groups = _tabular()
    message = rf"groups has 7 entries but X has {len(X)} samples"
    estimators = {"FFNNClassifier": (FFNNClassifier(max_epochs=1), X),
                  "ResNetClassifier": (_resnet(), _images(len(X)))}
    estimators.update({name: (fusion, X) for name, fusion in _fusions().items()})
    for estimator, inputs in estimators.values():
        with pytest.raises(ValueError, match=message):
            _fit(estimator, inputs, y, groups=groups[:7])
    with pytest.raises(ValueError, match=message):
        check_patient_split(GroupKFold(2), X, y, groups[:7])
    with pytest.raises(ValueError, match=message):
        evaluate_pipelines({"ffnn": FFNNClassifier(max_epochs=1)}, X, y, groups[:7],
                           cv=2, verbose=0)


@case("string-labels")
def _(ctx):
    X, y, groups = _tabular()
    labels = np.array(["control", "palsy"], dtype=object)[y]
    estimators = {"FFNNClassifier": (FFNNClassifier(max_epochs=2, random_state=0), X)}
    estimators.update({name: (fusion, X) for name, fusion in _fusions().items()})
    # A ResNet on a few images: enough to see the labels come back.
    estimators["ResNetClassifier"] = (_resnet(), _images(8))
    for name, (estimator, inputs) in estimators.items():
        n = len(inputs)
        fitted = _fit(estimator, inputs, labels[:n], groups=groups[:n])
        assert fitted.classes_.tolist() == ["control", "palsy"], name
        predicted = fitted.predict(inputs)
        assert predicted.shape == (n,) and set(predicted) <= {"control", "palsy"}
        proba = fitted.predict_proba(inputs)
        np.testing.assert_array_equal(predicted, fitted.classes_[proba.argmax(1)])
    # From the manifest to the comparison table, with palsy as the positive class.
    for index in range(4):
        (ctx.tmp_path / f"{index}.png").write_bytes(b"")
    manifest = ctx.tmp_path / "labels.csv"
    manifest.write_text("image,label,patient_id\n0.png,palsy,P1\n1.png, control ,C1\n"
                        "2.png,palsy,P2\n3.png,control,C2\n")
    data = load_manifest(manifest)
    assert data.y.tolist() == ["palsy", "control", "palsy", "control"]
    result = evaluate_pipelines({"ffnn": FFNNClassifier(max_epochs=2, random_state=0)},
                                X, labels, groups, cv=2, pos_label="palsy", verbose=0)
    assert set(result.predictions.y_true) == {"control", "palsy"}
    assert result.predictions.proba.between(0, 1).all()


@case("named-pipe")
def _(ctx):
    import os
    import threading

    fifo = ctx.tmp_path / "camera.png"
    os.mkfifo(fifo)
    outcome = []
    thread = threading.Thread(
        target=lambda: outcome.append(_refusal_of(str(fifo))), daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # release the blocked reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a named pipe blocked")
    assert outcome == [None]


def _refusal_of(path):
    """None when every reader refuses ``path`` as a named pipe; else the reason."""
    try:
        _assert_refused(path, ImageReadError, "named pipe")
    except BaseException as error:  # noqa: BLE001 - handed to the test
        return repr(error)
    return None


def _manifest(ctx, rows):
    for image in {row.split(",")[0] for row in rows}:
        (ctx.tmp_path / image).write_bytes(b"")
    path = ctx.tmp_path / "manifest.csv"
    path.write_text("image,label,patient_id\n" + "\n".join(rows) + "\n")
    return path


@case("labels-mixing-kinds")
def _(ctx):
    same = _manifest(ctx, ["a.png,1,P1", "b.png,1.0,P2", "c.png,0,C1", "d.png, 0 ,C2"])
    assert load_manifest(same).y.tolist() == [1, 1, 0, 0]
    mixed = _manifest(ctx, ["a.png,1,P1", "b.png,1,P2", "c.png,0,C1", "d.png,yes,C2"])
    with pytest.raises(ManifestError, match=r"line 5.*d\.png") as info:
        load_manifest(mixed)
    assert "is text, but the other 3 are numbers" in str(info.value)


@case("look-alike-patient-ids")
def _(ctx):
    path = _manifest(ctx, ["a.png,1,P01", "b.png,1,p01", "c.png,0,C1\u200b",
                           "d.png,0,C1"])
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    for spelling in ("'P01'", "'p01'", "'C1'", "'C1\\u200b'"):
        assert spelling in message, spelling


@case("patient-in-two-classes")
def _(ctx):
    path = _manifest(ctx, ["a.png,1,P1", "b.png,0,P1", "c.png,0,C1", "d.png,1,P2"])
    with pytest.raises(ManifestError, match="P1"):
        load_manifest(path)
    X, y, groups = _tabular()
    y = y.copy()
    y[0] = 1 - y[0]  # patient 0 now has images in both classes
    with pytest.raises(ManifestError, match="more than one label"):
        check_patient_split(GroupKFold(2), X, y, groups)
    fits = []

    class Recording(FFNNClassifier):
        def fit(self, X, y, **kwargs):
            fits.append(len(X))
            return super().fit(X, y, **kwargs)

    with pytest.raises(ManifestError, match="more than one label"):
        evaluate_pipelines({"ffnn": Recording(max_epochs=1)}, X, y, groups, cv=2,
                           verbose=0)
    assert fits == []


@case("missing-groups")
def _(ctx):
    X, y, groups = _tabular()
    groups = groups.astype(object)
    groups[3] = None
    message = r"groups has 1 missing or infinite patient id"
    estimators = {"FFNNClassifier": (FFNNClassifier(max_epochs=1), X),
                  "ResNetClassifier": (_resnet(), _images(len(X)))}
    estimators.update({name: (fusion, X) for name, fusion in _fusions().items()})
    for estimator, inputs in estimators.values():
        with pytest.raises(ValueError, match=message):
            _fit(estimator, inputs, y, groups=groups)
    with pytest.raises(ValueError, match=message):
        check_patient_split(GroupKFold(2), X, y, groups)
    with pytest.raises(ValueError, match=message):
        evaluate_pipelines({"ffnn": FFNNClassifier(max_epochs=1)}, X, y, groups,
                           cv=2, verbose=0)


@case("negative-sample-weight")
def _(ctx):
    X, y, groups = _tabular()
    weight = np.ones(len(X))
    weight[5] = -1.0
    estimators = {"FFNNClassifier": (FFNNClassifier(max_epochs=1), X),
                  "ResNetClassifier": (_resnet(), _images(len(X)))}
    estimators.update({name: (fusion, X) for name, fusion in _fusions().items()})
    for estimator, inputs in estimators.values():
        with pytest.raises(ValueError, match="sample_weight has 1 negative value"):
            _fit(estimator, inputs, y, sample_weight=weight)


# ----------------------------------------------------------------------------
# Issue 30, landmarks outside the photo, absurd values, unmatched landmark files.

def _landmark_csv(ctx, landmarks, name="marks.csv"):
    from sklearn_palsy.faces import write_landmarks

    path = ctx.tmp_path / "photo.png"
    if not path.exists():
        Image.fromarray(ctx.face).save(path)
    [written] = write_landmarks(ctx.tmp_path / name, [str(path)], landmarks[None])
    return str(path), str(written)


@case("landmarks-far-outside")
def _(ctx):
    from sklearn_palsy.cli import assess_images

    photo, marks = _landmark_csv(ctx, ctx.truth + 1e6)
    expected = (rf"the landmarks given for {re.escape(photo)} \(from "
                rf"'{re.escape(marks)}' \(line 2\)\) lie too far outside the "
                r"160 x 160 image")
    for transformer in (dlib_landmarks(landmarks=marks),
                        dlib_crops(size=32, landmarks=marks)):
        with pytest.raises(InvalidLandmarksError, match=expected):
            transformer.fit_transform([photo])
    assessment = assess_images([photo], backend="dlib", landmarks=marks,
                               on_error="skip")
    assert list(assessment.failures["image"]) == [photo]
    assert re.search(expected, assessment.failures["error"][0])


@case("absurd-landmark-values")
def _(ctx):
    from sklearn_palsy.faces import LandmarkSet, load_landmarks

    pts = ctx.tmp_path / "face.pts"
    rows = ["1 2"] * 68
    rows[0] = "1e400 2"
    pts.write_text("version: 1\nn_points: 68\n{\n" + "\n".join(rows) + "\n}\n")
    with pytest.raises(InvalidLandmarksError,
                       match=r"face\.pts.*\n  line 4: '1e400 2' is not two finite"):
        load_landmarks(pts)
    photo, marks = _landmark_csv(ctx, ctx.truth * 1e12)
    with pytest.raises(InvalidLandmarksError,
                       match=r"marks\.csv.*\n  line 2: x is '.*', beyond "
                             "2147483648 pixels"):
        load_landmarks(marks)
    with pytest.raises(InvalidLandmarksError, match=r"'a\.png' have point\(s\) 0, "):
        LandmarkSet({"a.png": ctx.truth * 1e12})


@case("unmatched-landmark-file")
def _(ctx):
    from sklearn_palsy.exceptions import UnmatchedLandmarksWarning

    elsewhere = str(ctx.tmp_path / "elsewhere" / "photo.png")
    landmarks = {elsewhere: ctx.truth}
    with pytest.warns(UnmatchedLandmarksWarning,
                      match=rf"none of the 1 images matched the given landmarks, "
                            rf"so every face is detected; 1 of the 1 images in the "
                            rf"given landmarks are not in this run: "
                            rf"{re.escape(elsewhere)}"):
        found = dlib_landmarks(landmarks=landmarks).fit_transform([ctx.face])
    _assert_same_face(found[0], ctx.truth)


# end of the landmarks cases


# ----------------------------------------------------------------------------
# Issue 30, video batches, single frame references, malformed frame indices.

def _small_video(ctx):
    """A 4-frame 96 px video, and a copy cut after its header (unreadable)."""
    from sklearn_palsy.datasets import make_synthetic_video

    good = make_synthetic_video(ctx.tmp_path / "good.avi", duration=1.0, fps=4.0,
                                image_size=96, expressions=("rest",),
                                random_state=0).path
    corrupt = ctx.tmp_path / "corrupt.avi"
    corrupt.write_bytes((ctx.tmp_path / "good.avi").read_bytes()[:400])
    return good, str(corrupt)


@case("corrupt-video-in-a-batch")
def _(ctx):
    from sklearn_palsy.datasets import resolve_images
    from sklearn_palsy.exceptions import ImageBatchError

    good, corrupt = _small_video(ctx)
    with pytest.raises(ImageBatchError, match="1 image") as info:
        resolve_images([corrupt, good], n_frames=2)
    assert info.value.failures["image"].tolist() == [corrupt]
    X, _, _, _, failures = resolve_images([corrupt, good], n_frames=2,
                                          on_error="skip")
    assert X.tolist() == [f"{good}#frame=1", f"{good}#frame=3"]
    assert failures["image"].tolist() == [corrupt]
    assert failures["error"][0] == (
        "cannot open the video: corrupt, truncated, or in a codec this OpenCV "
        f"build cannot decode: {corrupt!r}")


@case("single-frame-reference")
def _(ctx):
    from sklearn_palsy.datasets import resolve_images

    good, _ = _small_video(ctx)
    reference = f"{good}#frame=2"
    X, y, groups, frame = resolve_images(reference)
    assert X.tolist() == [reference] and y is None and groups is None
    assert read_image(reference).shape == (96, 96, 3)


@case("malformed-frame-index")
def _(ctx):
    from sklearn_palsy.datasets import resolve_images
    from sklearn_palsy.exceptions import VideoReadError

    good, _ = _small_video(ctx)
    for index in ("-1", "abc", ""):
        reference = f"{good}#frame={index}"
        message = ("malformed frame reference: the frame index must be a "
                   f"non-negative integer (0-based), got {index!r}")
        for read in (read_image, resolve_images,
                     lambda x: dlib_landmarks().fit_transform([x])):
            with pytest.raises(VideoReadError, match=re.escape(message)) as info:
                read(reference)
            assert info.value.path == reference
            assert not isinstance(info.value, FileNotFoundError)


@case("same-bytes-two-patients")
def _(ctx):
    for name in ("a.png", "copy.png"):
        (ctx.tmp_path / name).write_bytes(b"one photo")
    manifest = ctx.tmp_path / "manifest.csv"
    manifest.write_text("image,label,patient_id\na.png,1,P01\ncopy.png,0,C01\n")
    with pytest.warns(UserWarning, match=re.escape(
            f"same bytes: {str(ctx.tmp_path / 'a.png')!r} (line 2, patient 'P01') "
            f"and {str(ctx.tmp_path / 'copy.png')!r} (line 3, patient 'C01')")):
        data = load_manifest(manifest)
    assert len(data.X) == 2


# end of the videos cases


# ----------------------------------------------------------------------------
# Issue 30, shipped-model checks, ordinal and label checks, duplicate files.

@case("swapped-reference-model")
def _(ctx):
    import importlib.resources
    import shutil
    from pathlib import Path

    from sklearn_palsy.exceptions import ModelFileError
    from sklearn_palsy.paper import _reference, load_reference_model

    models = ctx.tmp_path / "models"
    shutil.copytree(Path(_reference.__file__).parent / "models", models)
    swapped = models / "reference_dlib.safetensors"
    shutil.copyfile(models / "reference_mediapipe.safetensors", swapped)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importlib.resources, "files", lambda _: ctx.tmp_path)
        with pytest.raises(ModelFileError) as info:
            load_reference_model("dlib")
    message = str(info.value)
    assert str(swapped) in message and "reference_dlib.json" in message
    import json

    shipped = json.loads((models / "reference_mediapipe.json").read_text())
    assert f"its checksum {shipped['content_sha256']}" in message
    assert "its landmark step uses 'mediapipe', the record says 'dlib'" in message


@case("missing-labels")
def _(ctx):
    from sklearn_palsy.clinical import OrdinalClassifier

    X, y, groups = _tabular()
    message = (r"needs a label for every sample; y has 2 missing labels \(None or "
               r"NaN\) at rows 5, 17\. Drop those samples or label them")
    for missing in (None, np.nan):
        labels = np.array(["control", "palsy"], dtype=object)[y]
        labels[[5, 17]] = missing
        with pytest.raises(ValueError, match="^OrdinalClassifier " + message):
            OrdinalClassifier().fit(X, labels)
        estimators = {"ResNetClassifier": (_resnet(), _images(len(X))),
                      "FFNNClassifier": (FFNNClassifier(max_epochs=1), X)}
        fusions = _fusions()
        # scikit-learn's VotingClassifier sorts y before any member sees it.
        del fusions["late fusion (voting)"]
        estimators.update({name: (fusion, X) for name, fusion in fusions.items()})
        for name, (estimator, inputs) in estimators.items():
            owner = {"late fusion (stacking)": "PatientStackingClassifier"}.get(
                name, name)
            with pytest.raises(ValueError, match=f"^{owner} " + message):
                _fit(estimator, inputs, labels, groups=groups)
        with pytest.raises(ValueError, match="^check_patient_split " + message):
            check_patient_split(GroupKFold(2), X, labels, groups)
        for target in ("auto", "binary", "multiclass", "ordinal"):
            with pytest.raises(ValueError, match="^evaluate_pipelines " + message):
                evaluate_pipelines({"ffnn": FFNNClassifier(max_epochs=1)}, X,
                                   labels, groups, cv=2, target=target,
                                   pos_label="palsy", verbose=0)


@case("unordered-text-grades")
def _(ctx):
    import warnings

    from sklearn_palsy.clinical import OrdinalClassifier

    X, y, groups = _tabular()
    grades = np.array(["none", "mild", "severe"])[groups % 3]
    X[:, 0] += groups % 3
    said = (r"ordered the text grades of y alphabetically, lowest first: \['mild', "
            r"'none', 'severe'\]\. If that is not their grade order, pass classes=")
    with pytest.warns(UserWarning, match="^OrdinalClassifier " + said):
        model = OrdinalClassifier().fit(X, grades)
    assert model.classes_.tolist() == ["mild", "none", "severe"]
    with pytest.warns(UserWarning, match="^evaluate_pipelines " + said):
        result = evaluate_pipelines({"lr": LogisticRegression()}, X, grades, groups,
                                    cv=2, target="ordinal", verbose=0)
    assert result.classes.tolist() == ["mild", "none", "severe"]
    order = ["none", "mild", "severe"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert OrdinalClassifier(classes=order).fit(X, grades).classes_.tolist() == (
            order)
        assert evaluate_pipelines(
            {"lr": LogisticRegression()}, X, grades, groups, cv=2, target="ordinal",
            classes=order, verbose=0).classes.tolist() == order


# end of the substitutions cases


@case("test-set-overlaps-training")
def _(ctx):
    import pandas as pd

    from sklearn_palsy.exceptions import PatientLeakageError, PatientLeakageWarning

    X, y, groups = _tabular()
    X_test, y_test, _ = _tabular(seed=1)
    groups_test = groups + 100
    shared = groups_test.copy()
    shared[:4] = groups[4]
    model = {"lr": LogisticRegression()}
    with pytest.raises(PatientLeakageError, match=(
            r"not an external validation: 1 patient id in both: 1 \(training rows "
            r"4, 5, 6, 7, test rows 0, 1, 2, 3\)")):
        evaluate_pipelines(model, X, y, groups, test=(X_test, y_test, shared),
                           verbose=0, n_bootstraps=10)
    # The same image (by content) under another patient id, in a DataFrame.
    copied = X_test.copy()
    copied[7] = X[9]
    with pytest.raises(PatientLeakageError, match=(
            "1 test image has the content of a training image: training row 9 and "
            "test row 7")):
        evaluate_pipelines(model, pd.DataFrame(X), y, groups,
                           test=(pd.DataFrame(copied), y_test, groups_test),
                           verbose=0, n_bootstraps=10)
    with pytest.warns(PatientLeakageWarning, match="^OVERLAP: the test set shares"):
        result = evaluate_pipelines(model, X, y, groups,
                                    test=(X_test, y_test, shared), verbose=0,
                                    n_bootstraps=10, on_overlap="warn")
    assert len(result.predictions) == len(y_test)


@case("by-column-missing")
def _(ctx):
    import pandas as pd

    X, y, groups = _tabular()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(site="s1")
    model = make_pipeline(FunctionTransformer(lambda f: f[["a", "b"]].to_numpy()),
                          LogisticRegression())
    with pytest.raises(ValueError, match=(
            r"by names columns \['camera'\] that the samples lack; their columns "
            r"are \['a', 'b', 'c', 'd', 'site'\]")):
        evaluate_pipelines({"lr": model}, frame, y, groups, cv=2, by=["camera"],
                           verbose=0)
    with pytest.raises(ValueError, match=(
            "by must hold one value per evaluated sample in each of its columns: "
            "it has 3 rows and 1 columns, for 40 samples")):
        evaluate_pipelines({"lr": model}, frame, y, groups, cv=2,
                           by={"site": ["a", "b", "c"]}, verbose=0)
    result = evaluate_pipelines({"lr": model}, frame, y, groups, cv=2, by="site",
                                verbose=0, n_bootstraps=10)
    assert set(result.subgroups.subgroup) == {"s1"}


@case("n-bootstraps-below-one")
def _(ctx):
    from sklearn_palsy import compare_pipelines

    X, y, groups = _tabular()
    model = {"lr": LogisticRegression()}
    for value in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match=(
                "^evaluate_pipelines: n_bootstraps must be an integer of at least "
                rf"1 \(resamples of the patients\); got {value!r}")):
            evaluate_pipelines(model, X, y, groups, cv=2, n_bootstraps=value,
                               verbose=0)
    for name, value in (("confidence_level", 1.0), ("interval_method", "bca")):
        with pytest.raises(ValueError, match=f"^evaluate_pipelines: {name} must"):
            evaluate_pipelines(model, X, y, groups, cv=2, verbose=0,
                               **{name: value})
    result = evaluate_pipelines({**model, "weak": LogisticRegression(C=1e-3)}, X, y,
                                groups, cv=2, verbose=0, n_bootstraps=10)
    with pytest.raises(ValueError, match="^compare_pipelines: n_bootstraps must"):
        compare_pipelines(result, n_bootstraps=0)


@case("subgroup-missing-values")
def _(ctx):
    X, y, groups = _tabular()
    sex = np.where(groups % 2 == 0, "f", None).astype(object)
    sex[groups == 1] = np.nan
    result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=2,
                                by={"sex": sex}, verbose=0, n_bootstraps=10)
    counts = result.subgroups.drop_duplicates("subgroup").set_index("subgroup")
    # None and NaN are one subgroup, "(missing)", said so; no patient is lost.
    assert counts.n_images.to_dict() == {"f": 20, "(missing)": 20}
    assert counts.n_patients.sum() == len(set(groups))
    assert counts.note["(missing)"].startswith(
        "patients whose value is missing in this column; too small to say "
        "anything: 5 patients (fewer than 10)")


# end of the STATISTICS cases


# Issue 28, clinical usefulness and model cards.

@case("bad-decision-thresholds")
def _(ctx):
    import pandas as pd
    from sklearn.utils import Bunch

    from sklearn_palsy.model_selection import decision_curve, net_benefit

    said = re.escape("thresholds must lie strictly between 0 and 1 (the net "
                     "benefit weighs a false positive by pt / (1 - pt)); got 0 at "
                     "position 0, 1 at position 2")
    with pytest.raises(ValueError, match="^net_benefit: " + said + "$"):
        net_benefit([1, 0], [0.8, 0.3], [0.0, 0.5, 1.0])
    result = Bunch(target="binary", pos_label=1, predictions=pd.DataFrame({
        "estimator": "m", "fold": 0, "patient_id": ["a", "b"], "y_true": [1, 0],
        "proba": [0.8, 0.3]}))
    with pytest.raises(ValueError, match="^decision_curve: " + said + "$"):
        decision_curve(result, thresholds=[0.0, 0.5, 1.0])


@case("malformed-model-card")
def _(ctx):
    import contextlib
    import io
    import shutil
    from pathlib import Path

    import pandas as pd

    from sklearn_palsy.cli import main
    from sklearn_palsy.exceptions import ModelFileError
    from sklearn_palsy.io import read_model_card
    from sklearn_palsy.paper import _reference

    model = ctx.tmp_path / "model.safetensors"
    shutil.copyfile(Path(_reference.__file__).parent / "models"
                    / "reference_dlib.safetensors", model)
    card = ctx.tmp_path / "model.card.json"
    card.write_text('{"format": "sklearn-palsy model card 1",\n "summary": }',
                    encoding="utf-8")
    said = f"model card {card}: malformed JSON at line 2, column 13"
    with pytest.raises(ModelFileError, match="^" + re.escape(said)):
        read_model_card(model)
    photo = _save(Image.fromarray(ctx.face), ctx.tmp_path / "face.png")
    out = ctx.tmp_path / "predictions.csv"
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(
            io.StringIO()):
        code = main(["predict", str(model), str(photo), "--backend", "dlib",
                     "--out", str(out)])
    assert code == 0
    assert f"sklearn-palsy: warning: {said}" in stderr.getvalue()
    assert "predicting without the model card" in stderr.getvalue()
    assert pd.read_csv(out).image.tolist() == [str(photo)]


@case("learning-curve-oversized")
def _(ctx):
    from sklearn_palsy.model_selection import learning_curve_by_patients

    X, y, groups = _tabular()
    said = ("learning_curve_by_patients: train_sizes asks for 40 training "
            "patients, but fold 0's training set has only 5 (the training folds "
            "have [5, 5] patients)")
    with pytest.raises(ValueError, match="^" + re.escape(said) + "$"):
        learning_curve_by_patients(LogisticRegression(), X, y, groups,
                                   train_sizes=[3, 40], cv=2)


# end of the REPORTING cases


# ----------------------------------------------------------------------------
# Issue 27, the landmark review page: sklearn-palsy review and its files.

def _review_cli(*arguments):
    """Run ``sklearn-palsy review``; return (exit code, stderr)."""
    import contextlib
    import io

    from sklearn_palsy.cli import main

    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        code = main(["review", *map(str, arguments), "--backend", "dlib",
                     "--no-compare"])
    return code, stderr.getvalue()


def _review_photo(ctx, name="face.png"):
    return _save(Image.fromarray(ctx.face), ctx.tmp_path / name)


def _review_data(page):
    import json

    text = page.read_text(encoding="utf-8")
    start = text.index('id="review-data">') + len('id="review-data">')
    return json.loads(text[start:text.index("</script>", start)])


@case("review-unmatched-landmarks")
def _(ctx):
    photo = _review_photo(ctx)
    marks = ctx.tmp_path / "marks.csv"
    elsewhere = str(ctx.tmp_path / "elsewhere.png")
    marks.write_text("image,point,x,y\n" + "\n".join(
        f"{elsewhere},{k},{x!r},{y!r}" for k, (x, y) in enumerate(ctx.truth)) + "\n")
    page = ctx.tmp_path / "review.html"
    code, stderr = _review_cli(photo, "--out", page, "--landmarks", marks)
    assert code == 0
    assert (f"sklearn-palsy: warning: landmarks from {marks}: 0 of the 1 images "
            "took the given landmarks") in stderr
    assert elsewhere in stderr
    [image] = _review_data(page)["images"]
    assert image["source"] == "detected"  # the photo's own face, detected
    _assert_same_face(np.asarray(image["points"]), ctx.truth)


@case("review-malformed-decisions")
def _(ctx):
    from sklearn_palsy.reporting import load_review_decisions

    photo = _review_photo(ctx)
    decisions = ctx.tmp_path / "decisions.csv"
    decisions.write_text(f"image,checked,excluded,note\n{photo},maybe,0,\n")
    said = (rf"decisions file {re.escape(repr(str(decisions)))}: line 2: checked "
            r"is 'maybe', not 0 or 1")
    with pytest.raises(ManifestError, match=said):
        load_review_decisions(decisions)
    page = ctx.tmp_path / "review.html"
    code, stderr = _review_cli(photo, "--out", page, "--decisions", decisions)
    assert code == 1 and re.search("sklearn-palsy: error: " + said, stderr)
    assert not page.exists()


@case("review-bad-landmark-file")
def _(ctx):
    from sklearn_palsy.exceptions import LandmarkFileError
    from sklearn_palsy.faces import load_landmarks

    photo = _review_photo(ctx)
    marks = ctx.tmp_path / "exported.csv"
    rows = [f"{photo},{k},{x!r},{y!r},ibug68" for k, (x, y) in enumerate(ctx.truth)]
    rows[54] = f"{photo},54,n/a,12.5,ibug68"  # a hand edit gone wrong
    marks.write_text("image,point,x,y,scheme\n" + "\n".join(rows) + "\n")
    page = ctx.tmp_path / "review.html"
    code, stderr = _review_cli(photo, "--out", page, "--landmarks", marks)
    assert code == 1
    assert re.search(rf"sklearn-palsy: error: .*{re.escape(str(marks))}.*line 56: "
                     r"x is 'n/a'", stderr, re.DOTALL)
    assert not page.exists()
    with pytest.raises(LandmarkFileError, match="line 56"):
        load_landmarks(marks)


@case("review-unreadable-image")
def _(ctx):
    import pandas as pd

    good = _review_photo(ctx)
    bad = ctx.tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    page = ctx.tmp_path / "review.html"
    code, stderr = _review_cli(good, bad, "--out", page)
    assert code == 0
    assert f"sklearn-palsy: warning: {bad}: unreadable: " in stderr
    images = {image["name"]: image for image in _review_data(page)["images"]}
    assert images[str(bad)]["flags"] == ["unreadable"]
    assert images[str(bad)]["src"] is None
    assert str(bad) in images[str(bad)]["reasons"][0]
    assert images[str(good)]["points"] is not None
    flags = pd.read_csv(ctx.tmp_path / "review-flags.csv")
    assert flags.loc[0, "image"] == str(bad) and flags.loc[0, "flag_unreadable"]


# end of the REVIEW cases


# Issue 29: the stored threshold and the type model.


@case("threshold-out-of-range")
def _(ctx):
    import contextlib
    import io

    from sklearn_palsy.cli import decision_threshold, main
    from sklearn_palsy.paper import load_reference_model

    for command in ("predict", "assess"):
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as info:
            main([command, "face.png", "--threshold", "1.5", *(
                ["--out", str(ctx.tmp_path / "out")] if command == "assess" else [])])
        assert info.value.code == 2
        assert "--threshold: must be a probability in [0, 1]; got 1.5" in (
            stderr.getvalue())
    model = load_reference_model("dlib")
    for bad in (-0.1, 1.5, float("nan"), True):
        with pytest.raises(ValueError, match="threshold must be a probability"):
            decision_threshold(model, bad)
    with pytest.raises(ValueError, match=r"a threshold needs a binary model; this "
                       r"one has 3 classes \(a, b, c\)"):
        decision_threshold(type("Model", (), {"classes_": np.array(
            ["a", "b", "c"])})(), 0.5)


@case("damaged-type-model-entry")
def _(ctx):
    import json
    import shutil
    from pathlib import Path
    from unittest import mock

    from sklearn_palsy.exceptions import ModelFileError
    from sklearn_palsy.paper import _reference, load_reference_model

    models = ctx.tmp_path / "models"
    shutil.copytree(Path(_reference.__file__).parent / "models", models)
    record = models / "reference_dlib.json"
    content = json.loads(record.read_text())
    content["type_model"]["model"] = "reference_mediapipe_type.safetensors"
    record.write_text(json.dumps(content))
    with mock.patch("importlib.resources.files", lambda _: ctx.tmp_path):
        with pytest.raises(ModelFileError) as info:
            load_reference_model("dlib", task="type")
        assert load_reference_model("dlib").classes_.tolist() == ["control",
                                                                 "palsy"]
    message = str(info.value)
    assert str(record) in message
    assert "no valid type_model entry for reference_dlib_type.safetensors" in message


# end of the THRESHOLD cases


# ----------------------------------------------------------------------------
# The tests: one per case of the table, in its order.


@pytest.mark.parametrize("name", list(MATRIX), ids=list(MATRIX))
def test_bad_input(name, context):
    MATRIX[name](context)


def test_the_docstring_table_lists_every_case():
    table = re.findall(r"^([a-z0-9-]+) {2,}\S", __doc__, flags=re.MULTILINE)
    assert table[0] == "case" and len(table) > 20
    assert table[1:] == list(MATRIX)
