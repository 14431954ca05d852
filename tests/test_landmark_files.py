"""Tests of landmark files and of given landmarks taking precedence over detection.

The loop under test is Emotrics' workflow: detect, write the landmarks,
correct them in any editor, read them back, measure. Most tests use dlib's
backend, whose detector calls can be counted; the acceptance test runs on
MediaPipe too.
"""

import csv
import os
import sys

import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_palsy.exceptions import ImageReadError, InvalidLandmarksError
from sklearn_palsy.faces import _analysis, get_scheme, image_id, read_image
from sklearn_palsy.faces._analysis import (
    analyze_faces,
    face_cache_info,
    landmark_box,
)
from sklearn_palsy.faces._landmark_files import (
    LandmarkFileError,
    load_landmarks,
    write_landmarks,
)
from sklearn_palsy.faces._landmark_set import LandmarkSet
from sklearn_palsy.io import load_model, save_model
from sklearn_palsy.preprocessing._face import FaceCropper, LandmarkDetector
from sklearn_palsy.preprocessing._features import ExpressionFeatures

needs_mediapipe = [
    pytest.mark.mediapipe,
    pytest.mark.skipif(sys.version_info >= (3, 13),
                       reason="mediapipe 0.10.21 has no wheel for this Python"),
]


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=2, n_controls=1, expressions=("rest", "smile"),
                            image_size=160, on_disk=True)


@pytest.fixture(scope="module")
def detected(cohort):
    """dlib's landmarks of the cohort's images, detected once for the module."""
    return LandmarkDetector(backend="dlib").fit_transform(cohort.X)


@pytest.fixture
def analysed(monkeypatch):
    """The content keys of the pixels that the dlib backend is run on."""
    seen = []
    real = _analysis._ANALYZERS["dlib"]

    def recording(pixels, detect_max_side):
        seen.append(image_id(pixels))
        return real(pixels, detect_max_side)

    monkeypatch.setitem(_analysis._ANALYZERS, "dlib", recording)
    return seen


def _awkward_points(n_images=3, n_points=68, seed=0):
    """Floats whose short decimal forms would not read back exactly."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-50, 1500, size=(n_images, n_points, 2))
    points[0, :4] = [[0.1, 1 / 3], [1e-9, -0.0], [2.0**30 + 0.5, 1e-300],
                     [np.nextafter(1.0, 2.0), np.nextafter(0.0, 1.0)]]
    return points


# ---------------------------------------------------------------- the formats
def test_csv_round_trip_is_exact_for_paths_frames_and_arrays(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    array_image = np.zeros((40, 40, 3), np.uint8)
    images = ["faces/a.png", str(tmp_path / "faces" / "b.jpg"),
              "clips/walk.mp4#frame=12", array_image]
    points = _awkward_points(len(images))
    [written] = write_landmarks(tmp_path / "out" / "marks.csv", images, points)
    lines = written.read_text().splitlines()
    assert lines[0] == "image,point,x,y,scheme"
    # Paths relative to the CSV's folder, so that the folder moves with them.
    cells = [line.split(",")[0] for line in lines[1::68]]
    assert cells == ["../faces/a.png", "../faces/b.jpg", "../clips/walk.mp4#frame=12",
                     image_id(array_image)]
    back = load_landmarks(written)
    assert len(back) == 4 and back.n_points == 68 and back.scheme == "ibug68"
    for image, expected in zip(images, points, strict=True):
        got = back.find(image)
        assert got is not None and got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)  # bit for bit
        assert not got.flags.writeable
    # The same image under another spelling of its path.
    np.testing.assert_array_equal(back["faces/../faces/./a.png"], points[0])
    assert back.find("faces/c.png") is None


def test_pts_files_are_one_based_and_round_trip_exactly(tmp_path):
    image = tmp_path / "face01.jpg"
    points = _awkward_points(1)[0]
    [written] = write_landmarks(None, [str(image)], points[None])
    assert written == tmp_path / "face01.pts"
    lines = written.read_text().splitlines()
    assert lines[:3] == ["version: 1", "n_points:  68", "{"] and lines[-1] == "}"
    # 1-based: 1 is added, exactly, to what repr writes.
    assert lines[3] == "1.1 1.3333333333333333"
    back = load_landmarks(written)
    # A .pts file gives the landmarks of the image beside it with its stem.
    np.testing.assert_array_equal(back.find(str(image)), points)
    assert back.find(str(tmp_path / "face02.jpg")) is None
    zero_based = write_landmarks(tmp_path / "zero.pts", [str(image)], points[None],
                                 pts_origin=0)[0]
    assert zero_based.read_text().splitlines()[3] == "0.1 0.3333333333333333"
    np.testing.assert_array_equal(
        load_landmarks(zero_based, pts_origin=0)[str(zero_based)], points)


def test_a_hand_written_ibug_file_reads_as_zero_based_pixels(tmp_path):
    rows = "\n".join(f"{1 + i} {11 + 2 * i}.5" for i in range(68))
    (tmp_path / "img.pts").write_text(
        f"version: 1\nn_points:  68\n{{\n{rows}\n}}\n\n")
    landmarks = load_landmarks(tmp_path)  # a folder: its .pts files
    got = landmarks.find(str(tmp_path / "img.png"))
    np.testing.assert_array_equal(got[:2], [[0.0, 10.5], [1.0, 12.5]])
    assert landmarks.sources == (str(tmp_path / "img.pts"),)


def _csv(tmp_path, text, name="marks.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "image,point,x,y\n"


def _rows(image, n=68, skip=(), offset=0.0):
    return "".join(f"{image},{i},{i + offset},{2 * i}\n"
                   for i in range(n) if i not in skip)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("image,point,x\na.png,0,1\n", r"line 1: the header lacks the column\(s\) y"),
        (HEADER + _rows("a.png").replace("a.png,3,3.0", "a.png,3,n/a"),
         r"line 5: x is 'n/a', not a number"),
        (HEADER + _rows("a.png").replace("a.png,7,7.0", "a.png,7,inf"),
         r"line 9: x is 'inf', not a finite number"),
        (HEADER + _rows("a.png").replace("9,9.0,18", "9,9.0,nan"),
         r"line 11: y is 'nan', not a finite number"),
        (HEADER + _rows("a.png") + "a.png,5,1,1\n",
         r"line 70: point 5 of 'a.png' is also on line 7"),
        (HEADER + _rows("a.png", skip=(3, 40)),
         r"line 2: image 'a.png' lacks point\(s\) 3, 40"),
        (HEADER + _rows("a.png") + _rows("b.png", n=67),
         r"line 70: image 'b.png' has 67 points, the other images 68"),
        (HEADER + _rows("a.png").replace("a.png,2,", "a.png,2.5,"),
         r"line 4: point is '2.5', not an integer"),
        (HEADER + _rows("a.png").replace("a.png,2,", "a.png,-2,"),
         r"line 4: point is -2; point indices start at 0"),
        (HEADER + _rows("a.png").replace("a.png,2,2.0,4", "a.png,2,2.0"),
         r"line 4: has 3 fields; the header has 4"),
        ("image,point,x,y,scheme\n" + _rows("a.png").replace("\n", ",mediapipe\n"),
         r"line 2: image 'a.png' has 68 points, but scheme 'mediapipe' has 478"),
        ("", r"it is empty"),
    ],
    ids=["missing-column", "non-numeric", "infinite", "nan", "duplicate-point", "gaps",
         "point-counts", "fractional-point", "negative-point", "short-row",
         "scheme-mismatch", "empty"],
)
def test_malformed_csv_files_are_refused_naming_the_file_and_line(tmp_path, body,
                                                                   expected):
    path = _csv(tmp_path, body)
    with pytest.raises(LandmarkFileError, match=expected) as caught:
        load_landmarks(path)
    assert str(path) in str(caught.value) and caught.value.source == str(path)
    assert isinstance(caught.value, (InvalidLandmarksError, ValueError))


def test_every_bad_line_is_listed_not_only_the_first(tmp_path):
    body = HEADER + "".join(f"a.png,{i},x{i},0\n" for i in range(30))
    with pytest.raises(LandmarkFileError) as caught:
        load_landmarks(_csv(tmp_path, body))
    assert [line for line, _ in caught.value.problems] == list(range(2, 32))
    assert "... and 10 more" in str(caught.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("version: 1\nn_points: 3\n{\n1 1\n2 2\n}\n", r"line 2: n_points is 3, but 2"),
        ("version: 1\nn_points: 2\n{\n1 1\n2 two\n}\n", r"line 5: '2 two' is not two"),
        ("version: 1\nn_points: 2\n{\n1 1\n2 2\n", r"no closing"),
        ("n_points: 2\n1 1\n", r"line 2: '1 1' is neither a header line"),
        ("version: 2\nn_points: 1\n{\n1 1\n}\n", r"line 1: version is '2'"),
        ("version: 1\n{\n1 1\n}\n", r"no 'n_points:' line"),
        ("version: 1\nn_points: 1\n{\n1 1\n}\n3 3\n", r"line 6: '3 3' after the"),
    ],
    ids=["count", "token", "unclosed", "no-brace", "version", "no-count", "trailing"],
)
def test_malformed_pts_files_are_refused_naming_the_file_and_line(tmp_path, text,
                                                                  expected):
    path = tmp_path / "face.pts"
    path.write_text(text)
    with pytest.raises(LandmarkFileError, match=expected) as caught:
        load_landmarks(path)
    assert str(path) in str(caught.value)


def test_several_files_merge_but_an_image_given_twice_is_refused(tmp_path):
    first = _csv(tmp_path, HEADER + _rows("a.png"), "first.csv")
    second = _csv(tmp_path, HEADER + _rows("b.png", offset=1), "second.csv")
    merged = load_landmarks([first, second])
    assert sorted(os.path.basename(key) for key in merged) == ["a.png", "b.png"]
    assert merged.sources == (str(first), str(second))
    again = _csv(tmp_path, HEADER + _rows("./a.png"), "again.csv")
    with pytest.raises(LandmarkFileError, match=r"first.csv.*line 2.*again.csv"):
        load_landmarks([first, again])
    mediapipe = _csv(tmp_path, HEADER + _rows("c.png", n=478), "mp.csv")
    with pytest.raises(LandmarkFileError, match="different numbers of points"):
        load_landmarks([first, mediapipe])
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_landmarks(tmp_path / "nowhere.csv")
    with pytest.raises(LandmarkFileError, match="not a landmark file"):
        load_landmarks(tmp_path / "marks.txt")


def test_cells_that_would_run_as_formulas_are_written_safely(tmp_path):
    images = [str(tmp_path / "=HYPERLINK(x).png"), str(tmp_path / "-1.png")]
    points = _awkward_points(2)
    [written] = write_landmarks(tmp_path / "marks.csv", images, points)
    cells = {line.split(",")[0] for line in written.read_text().splitlines()[1:]}
    assert cells == {"./=HYPERLINK(x).png", "./-1.png"}
    back = load_landmarks(written)
    np.testing.assert_array_equal(back[images[0]], points[0])
    # What a spreadsheet-safe writer makes of such a cell reads back too.
    quoted = _csv(tmp_path, HEADER + _rows("'=a.png"), "quoted.csv")
    assert list(load_landmarks(quoted)) == [str(tmp_path / "=a.png")]


def test_images_without_landmarks_are_refused_or_skipped(tmp_path):
    points = _awkward_points(3)
    points[1] = np.nan
    images = ["a.png", "b.png", "c.png"]
    with pytest.raises(InvalidLandmarksError, match=r"no landmarks \(NaN\) for 'b"):
        write_landmarks(tmp_path / "marks.csv", images, points)
    assert not (tmp_path / "marks.csv").exists()
    [written] = write_landmarks(tmp_path / "marks.csv", images, points,
                                on_missing="skip")
    assert sorted(os.path.basename(key) for key in load_landmarks(written)) == [
        "a.png", "c.png"]
    points[1] = 0.0
    points[1, 3, 0] = np.inf
    with pytest.raises(InvalidLandmarksError, match="'b.png' are partly NaN"):
        write_landmarks(tmp_path / "marks.csv", images, points, on_missing="skip")
    points[1] = points[0] + 1
    with pytest.raises(InvalidLandmarksError, match="same image with different"):
        write_landmarks(tmp_path / "m.csv", ["a.png", "./a.png", "c.png"], points)
    with pytest.raises(ValueError, match=r"\.pts file holds one image"):
        write_landmarks(tmp_path / "one.pts", images, points + 1)
    with pytest.raises(ValueError, match="image files only"):
        write_landmarks(None, [np.zeros((40, 40, 3), np.uint8)], points[:1])


def test_a_mapping_made_in_code_is_checked_and_normalised(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    points = _awkward_points(2)
    landmarks = LandmarkSet({"x/a.png": points[0], str(tmp_path / "b.png"): points[1]})
    assert set(landmarks) == {str(tmp_path / "x" / "a.png"), str(tmp_path / "b.png")}
    assert landmarks == {"x/./a.png": points[0], "b.png": points[1]}
    assert repr(landmarks) == "LandmarkSet(2 images, 68 points each)"
    with pytest.raises(InvalidLandmarksError, match="'b.png' have 67 points"):
        LandmarkSet({"a.png": points[0], "b.png": points[1][:67]})
    with pytest.raises(InvalidLandmarksError, match="'a.png' are not all finite"):
        LandmarkSet({"a.png": np.full((68, 2), np.nan)})
    with pytest.raises(InvalidLandmarksError, match=r"shape \(68, 3\)"):
        LandmarkSet({"a.png": np.zeros((68, 3))})
    with pytest.raises(InvalidLandmarksError, match="name the same image"):
        LandmarkSet({"a.png": points[0], "./a.png": points[1]})


# ------------------------------------------------------- given over detected
def test_given_landmarks_replace_detection_for_their_images_only(
    cohort, detected, analysed, tmp_path, monkeypatch
):
    images = list(cohort.X)
    given = detected[[1, 3]] + 7.25
    relative = os.path.relpath(images[1], tmp_path)
    monkeypatch.chdir(tmp_path)
    # One image keyed by a relative path, one by its content.
    landmarks = {relative: given[0], image_id(images[3]): given[1]}
    detector = LandmarkDetector(backend="dlib", landmarks=landmarks)
    result = detector.fit_transform(images)
    np.testing.assert_array_equal(result[[1, 3]], given)
    others = [0, 2, 4, 5]
    np.testing.assert_array_equal(result[others], detected[others])
    # The detector ran for the other images only, and the given ones stay
    # out of the cache.
    assert sorted(analysed) == sorted(image_id(read_image(images[i])) for i in others)
    assert face_cache_info()["size"] == len(others)
    assert detector.get_params()["landmarks"] is landmarks  # stored as given
    analyses = analyze_faces(images, backend="dlib", landmarks=landmarks)
    assert [a.source for a in analyses] == ["detected", "given"] * 2 + ["detected"] * 2
    assert analyses[1].n_faces == 1 and analyses[1].image_shape == (160, 160)


def test_frames_of_a_video_take_landmarks_by_frame_reference(cohort, tmp_path):
    import cv2

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10,
                             (160, 160))
    for path in cohort.X[:3]:
        writer.write(cv2.imread(path))
    writer.release()
    frames = [f"{video}#frame={index}" for index in range(3)]
    detected = LandmarkDetector(backend="dlib").fit_transform(frames)
    [written] = write_landmarks(tmp_path / "marks.csv", frames, detected)
    assert written.read_text().splitlines()[1].startswith("clip.avi#frame=0,0,")
    landmarks = load_landmarks(written)
    np.testing.assert_array_equal(landmarks.find(frames[2]), detected[2])
    given = {f"{tmp_path}/./clip.avi#frame=1": detected[1] + 2}
    result = LandmarkDetector(backend="dlib", landmarks=given).transform(frames)
    np.testing.assert_array_equal(result[1], detected[1] + 2)
    np.testing.assert_array_equal(result[[0, 2]], detected[[0, 2]])


def test_arrays_match_given_landmarks_by_content(cohort, detected):
    arrays = [np.asarray(Image.open(path).convert("RGB")) for path in cohort.X[:2]]
    landmarks = {image_id(arrays[0]): detected[0] - 3}
    result = LandmarkDetector(backend="dlib", landmarks=landmarks).transform(arrays)
    np.testing.assert_array_equal(result[0], detected[0] - 3)
    np.testing.assert_allclose(result[1], detected[1])


def test_a_scheme_other_than_the_backends_is_refused_naming_both_counts(
    cohort, tmp_path
):
    path = _csv(tmp_path, HEADER
                + _rows(os.path.relpath(cohort.X[2], tmp_path), n=478))
    with pytest.raises(InvalidLandmarksError,
                       match=r"P02_rest_0.png.*marks.csv.*478 points.*dlib backend "
                             r"places 68"):
        LandmarkDetector(backend="dlib", landmarks=str(path)).transform(cohort.X)
    flat = np.zeros((68, 2))
    flat[:, 0] = np.arange(68)
    with pytest.raises(InvalidLandmarksError, match="enclose no face"):
        FaceCropper(backend="dlib",
                    landmarks={cohort.X[0]: flat}).transform(cohort.X[:1])


def test_a_cached_detection_never_shadows_given_landmarks(cohort, detected, tmp_path):
    images = list(cohort.X[:2])
    given = {images[0]: detected[0] + 5}
    cache = tmp_path / "cache"
    # Detected first, then given: the given landmarks win.
    first = LandmarkDetector(backend="dlib", cache_dir=cache).transform(images)
    np.testing.assert_array_equal(first, detected[:2])
    entries = sorted(cache.rglob("*.json"))
    assert len(entries) == 2 and face_cache_info()["size"] == 2
    then = LandmarkDetector(backend="dlib", cache_dir=cache, landmarks=given)
    np.testing.assert_array_equal(then.transform(images)[0], detected[0] + 5)
    assert sorted(cache.rglob("*.json")) == entries
    assert face_cache_info()["computed"] == 2


def test_given_landmarks_are_never_cached_as_if_detected(cohort, detected, tmp_path):
    images = list(cohort.X[:2])
    cache = tmp_path / "cache"
    # Given first, then detected: the detector runs and finds its own points.
    landmarks = {images[0]: detected[0] + 5, images[1]: detected[1] + 5}
    given = LandmarkDetector(backend="dlib", cache_dir=cache, landmarks=landmarks)
    np.testing.assert_array_equal(given.transform(images), detected[:2] + 5)
    assert face_cache_info() == {"size": 0, "hits": 0, "misses": 0, "computed": 0}
    assert not cache.exists() or not list(cache.rglob("*.json"))
    np.testing.assert_array_equal(
        LandmarkDetector(backend="dlib", cache_dir=cache).transform(images),
        detected[:2])
    assert face_cache_info()["computed"] == 2


def test_the_crop_is_framed_by_the_box_the_given_landmarks_imply(cohort, detected):
    images = list(cohort.X[:3])
    analyses = analyze_faces(images, backend="dlib")
    # dlib's box from its own points, by the documented offsets.
    box = landmark_box(detected[0], "dlib")
    low, high = detected[0].min(axis=0), detected[0].max(axis=0)
    width, height = high - low
    np.testing.assert_allclose(box, [low[0] - 0.008 * width, low[1] - 0.116 * height,
                                     high[0] + 0.009 * width, high[1] - 0.050 * height])
    # Near the detector's own box (its edges vary by about 5 % of its side
    # around the points from face to face).
    side = analyses[0].box[2] - analyses[0].box[0]
    assert np.abs(box - analyses[0].box).max() < 0.15 * side
    moved = detected[0] + [12.0, 0.0]
    crops = FaceCropper(backend="dlib", size=64, landmarks={images[0]: moved})
    plain = FaceCropper(backend="dlib", size=64).transform(images)
    given = crops.transform(images)
    np.testing.assert_array_equal(given[1:], plain[1:])
    assert np.abs(given[0].astype(int) - plain[0]).mean() > 5
    # A face box 12 px to the right is a crop whose content moved left.
    source = np.asarray(Image.open(images[0]).convert("RGB"))
    from sklearn_palsy.preprocessing._face import _crop_square

    np.testing.assert_array_equal(
        given[0], _crop_square(source, landmark_box(moved, "dlib"), 0.25, 64))


@pytest.mark.parametrize("_", [pytest.param(None, marks=needs_mediapipe)])
def test_given_mediapipe_landmarks_crop_exactly_as_detection_does(cohort, _):
    images = list(cohort.X[:2])
    points = LandmarkDetector(backend="mediapipe").transform(images)
    landmarks = dict(zip(images, points, strict=True))
    given = FaceCropper(backend="mediapipe", size=64, landmarks=landmarks)
    np.testing.assert_array_equal(
        given.transform(images),
        FaceCropper(backend="mediapipe", size=64).transform(images),
    )


def test_the_parameter_follows_scikit_learn_conventions(cohort, detected, tmp_path):
    given = {cohort.X[0]: detected[0] + 1}
    detector = LandmarkDetector(backend="dlib", landmarks=given)
    twin = clone(detector)
    assert twin.landmarks is not given and twin.landmarks.keys() == given.keys()
    np.testing.assert_array_equal(twin.transform(cohort.X[:1])[0], detected[0] + 1)
    with pytest.raises(ValueError, match="landmarks"):
        LandmarkDetector(landmarks=42).transform(cohort.X[:1])
    with pytest.raises(ImageReadError, match="gone.png"):
        LandmarkDetector(backend="dlib", landmarks={"gone.png": detected[0]}).transform(
            [str(tmp_path / "gone.png")])


def test_a_model_file_holds_landmarks_given_as_a_dict_or_a_path(cohort, detected,
                                                                tmp_path):
    images = list(cohort.X[:2])
    given = {images[0]: detected[0] + 2.5}
    [csv_path] = write_landmarks(tmp_path / "marks.csv", images[:1], detected[:1] + 4)
    for landmarks, expected in ((given, detected[0] + 2.5),
                                (str(csv_path), detected[0] + 4)):
        model = make_pipeline(LandmarkDetector(backend="dlib", landmarks=landmarks),
                              ExpressionFeatures()).fit(images)
        save_model(model, tmp_path / "model.safetensors")
        loaded = load_model(tmp_path / "model.safetensors")
        np.testing.assert_array_equal(loaded[0].transform(images)[0], expected)
        np.testing.assert_array_equal(loaded.transform(images), model.transform(images))
    # A LandmarkSet is not plain data: the safe format says so, naming the
    # parameter; dict(landmark_set) is what it holds.
    model = LandmarkDetector(backend="dlib", landmarks=load_landmarks(csv_path))
    with pytest.raises(TypeError, match=r"cannot save landmarks .*LandmarkSet"):
        save_model(model, tmp_path / "set.safetensors")
    model.set_params(landmarks=dict(load_landmarks(csv_path)))
    save_model(model, tmp_path / "set.safetensors")
    np.testing.assert_array_equal(
        load_model(tmp_path / "set.safetensors").transform(images[:1])[0],
        detected[0] + 4)


# ------------------------------------------------------------ the acceptance
def _edit_point(path, image_cell, point, shift):
    """Move one point of one image in a landmark CSV, as an editor would."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    edited = 0
    for row in rows[1:]:
        if row[0] == image_cell and int(row[1]) == point:
            row[2] = repr(float(row[2]) + shift[0])
            row[3] = repr(float(row[3]) + shift[1])
            edited += 1
    assert edited == 1
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _angle_to_eye_line(points, start, end, right, left):
    """A(start -> end) in degrees, measured from the line through the eyes."""
    eye, segment = left - right, points[end] - points[start]
    return np.degrees(np.arctan2(eye[0] * segment[1] - eye[1] * segment[0],
                                 eye @ segment))


@pytest.mark.parametrize(
    "backend, corner",
    [("dlib", 54), pytest.param("mediapipe", 291, marks=needs_mediapipe)],
)
def test_moving_a_mouth_corner_in_the_file_changes_exactly_the_features_it_enters(
    cohort, tmp_path, backend, corner
):
    scheme = get_scheme(backend)
    marker = np.zeros((1, scheme.n_landmarks, 2))
    marker[0, corner] = 1.0
    assert scheme.to_ibug68(marker)[0, 54].tolist() == [1.0, 1.0]  # the left corner
    images = list(cohort.X[:3])
    detected = LandmarkDetector(backend=backend).fit_transform(images)
    [path] = write_landmarks(tmp_path / "landmarks.csv", images, detected)
    shift = np.array([3.25, -1.5])
    _edit_point(path, os.path.relpath(images[1], tmp_path), corner, shift)

    corrected = LandmarkDetector(backend=backend, landmarks=str(path)).transform(images)
    expected = detected.copy()
    expected[1, corner] += shift
    np.testing.assert_array_equal(corrected, expected)

    features = ExpressionFeatures().fit(detected)
    names = features.get_feature_names_out()
    before = features.transform(detected)
    pipeline = make_pipeline(LandmarkDetector(backend=backend, landmarks=str(path)),
                             ExpressionFeatures())
    after = pipeline.fit(images).transform(images)
    np.testing.assert_array_equal(after, features.transform(expected))
    np.testing.assert_array_equal(after[[0, 2]], before[[0, 2]])

    # Features that do not involve the moved corner do not move.
    involves_corner = {
        f"symmetry__{name}" for name in (
            "commissure_angle", "commissure_lower_lip_to_face_width",
            "lateral_lip_height_to_mouth_width", "paramedian_lip_height_to_mouth_width",
            "hemilip_perimeter_to_mouth_width")
    }
    involves_corner |= {name for name in names if name.startswith("clinical__") and any(
        part in name for part in ("commissure", "smile_angle", "lip_height",
                                  "dental_show"))}
    unchanged = [i for i, name in enumerate(names) if name not in involves_corner]
    assert len(unchanged) == 24 + 16
    np.testing.assert_allclose(after[1, unchanged], before[1, unchanged], rtol=0,
                               atol=1e-12)

    # Those that do, change as the geometry of the edit says.
    value = dict(zip(names, after[1], strict=True))
    old = dict(zip(names, before[1], strict=True))
    ibug_old = scheme.to_ibug68(detected[1][None])[0]
    ibug = scheme.to_ibug68(expected[1][None])[0]
    right, left = ibug[36:42].mean(axis=0), ibug[42:48].mean(axis=0)
    mouth_old = np.linalg.norm(ibug_old[54] - ibug_old[48])
    mouth = np.linalg.norm(ibug[54] - ibug[48])
    assert abs(mouth - mouth_old) > 1.0
    for name in ("lateral_lip_height_to_mouth_width",
                 "paramedian_lip_height_to_mouth_width"):
        np.testing.assert_allclose(value[f"symmetry__{name}"],
                                   old[f"symmetry__{name}"] * mouth_old / mouth,
                                   rtol=1e-12)
    np.testing.assert_allclose(value["symmetry__commissure_angle"],
                               _angle_to_eye_line(ibug, 48, 54, right, left),
                               rtol=0, atol=1e-10)
    assert abs(value["symmetry__commissure_angle"]
               - old["symmetry__commissure_angle"]) > 0.1
    face_width = np.linalg.norm(ibug[16] - ibug[0])
    np.testing.assert_allclose(
        value["symmetry__commissure_lower_lip_to_face_width"],
        max(np.linalg.norm(ibug[48] - ibug[57]),
            np.linalg.norm(ibug[54] - ibug[57])) / face_width, rtol=1e-12)
    # Emotrics' commissure height deviation: the corners' heights
    # perpendicular to the line through the iris centres (or, without
    # irises, the canthi's midpoints); millimetres by 11.7 mm over the mean
    # horizontal iris chord (469-471, 474-476), else inter-ocular distances.
    if scheme.has_irises:
        right = expected[1, scheme.regions["right_iris"][0]]
        left = expected[1, scheme.regions["left_iris"][0]]
        chord = (np.linalg.norm(expected[1, 469] - expected[1, 471])
                 + np.linalg.norm(expected[1, 474] - expected[1, 476])) / 2
        unit, suffix = 11.7 / chord, "_mm"
    else:
        unit, suffix = 1 / np.linalg.norm(left - right), ""
        right = ibug[[36, 39]].mean(axis=0)
        left = ibug[[42, 45]].mean(axis=0)
    across = left - right
    down = np.array([-across[1], across[0]]) / np.linalg.norm(across)
    np.testing.assert_allclose(
        value[f"clinical__commissure_height_deviation{suffix}"],
        abs((ibug[54] - ibug[48]) @ down) * unit, rtol=1e-12)
