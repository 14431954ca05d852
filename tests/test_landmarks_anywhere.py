"""Given landmarks anywhere: the policy for points outside the photo, absurd
values, landmark files that match no image, and memory that stays bounded.

The policy (``faces/_geometry.py``, ``check_landmarks_in_image``): given
points may lie outside the photo by at most its own width (left and right)
and height (above and below); beyond, the face is refused naming the image
and where its landmarks came from. Within, crops repeat the border.
"""

import os
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from sklearn_palsy import FaceCropper, LandmarkDetector
from sklearn_palsy.cli import assess_images, main
from sklearn_palsy.exceptions import (
    ImageBatchError,
    InvalidLandmarksError,
    LandmarkFileError,
    UnmatchedLandmarksWarning,
)
from sklearn_palsy.faces import LandmarkSet, load_landmarks, write_landmarks
from sklearn_palsy.faces._analysis import analyze_faces, match_landmarks
from sklearn_palsy.faces._geometry import check_landmarks_in_image
from sklearn_palsy.reporting import write_assessment


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=1, n_controls=1, expressions=("rest",),
                            image_size=160, on_disk=True)


@pytest.fixture
def photos(cohort):
    return [str(path) for path in cohort.X]


def _marks(tmp_path, photos, landmarks, name="marks.csv"):
    [path] = write_landmarks(tmp_path / name, photos, landmarks)
    return str(path)


def _truth(cohort, n=1):
    return np.array(cohort.landmarks[:n], dtype=np.float64)


# ------------------------------------------------------------------ policy
def test_the_limit_is_the_photos_own_size_on_every_side():
    shape = (100, 200)  # 200 wide, 100 high
    inside = np.array([[-200.0, -100.0], [400.0, 200.0], [0.0, 0.0]])
    check_landmarks_in_image(inside, shape, "a.png")
    for point in ([-200.5, 0.0], [400.5, 0.0], [0.0, -100.5], [0.0, 200.5]):
        with pytest.raises(InvalidLandmarksError,
                           match=r"^the landmarks given for a\.png lie too far "
                                 r"outside the 200 x 100 image: 1 point\(s\)"):
            check_landmarks_in_image(np.array([[0.0, 0.0], point]), shape, "a.png")


@pytest.mark.parametrize("shift", [3000.0, 1e6])
def test_faces_far_outside_the_photo_are_refused_naming_image_and_line(
    cohort, photos, tmp_path, shift
):
    far = _truth(cohort) + shift
    marks = _marks(tmp_path, photos[:1], far)
    expected = (rf"the landmarks given for {photos[0]} \(from '{marks}' \(line "
                r"2\)\) lie too far outside the 160 x 160 image: 68 point\(s\)")
    for transformer in (FaceCropper(size=64, backend="dlib", landmarks=marks),
                        LandmarkDetector(backend="dlib", landmarks=marks)):
        with pytest.raises(InvalidLandmarksError, match=expected):
            transformer.fit_transform(photos)
    with pytest.raises(InvalidLandmarksError, match=expected):
        analyze_faces(photos, backend="dlib", landmarks=marks)


def test_a_face_outside_the_photo_within_the_limit_is_cropped_with_its_border(
    cohort, photos
):
    # Wholly right of the photo, yet within its width of it.
    beside = _truth(cohort)[0] + [150.0, 0.0]
    assert beside[:, 0].min() > 160 and beside[:, 0].max() <= 320
    cropper = FaceCropper(size=64, backend="dlib", landmarks={photos[0]: beside})
    crop = cropper.fit_transform(photos[:1])[0]
    # What the crop was before the bounded-memory cut: the photo padded by
    # repeating its border, then cut.
    analysis = analyze_faces(photos[:1], backend="dlib",
                             landmarks={photos[0]: beside})[0]
    left, top, right, bottom = analysis.box
    side = max(right - left, bottom - top) * 1.5
    x0 = int(round((left + right) / 2 - side / 2))
    y0 = int(round((top + bottom) / 2 - side / 2))
    side = int(round(side))
    image = cv2.cvtColor(cv2.imread(photos[0]), cv2.COLOR_BGR2RGB)
    pad = max(-x0, -y0, x0 + side - 160, y0 + side - 160)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    expected = cv2.resize(padded[y0 + pad:y0 + pad + side, x0 + pad:x0 + pad + side],
                          (64, 64), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


# ----------------------------------------------------------- absurd values
@pytest.mark.parametrize("origin", [0, 1])
def test_pts_values_that_overflow_a_float_are_refused_naming_the_line(
    tmp_path, origin
):
    rows = ["1.0 2.0"] * 68
    rows[4] = "1e400 5.0"
    rows[9] = "3.0 -2e31"
    path = tmp_path / "face.pts"
    path.write_text("version: 1\nn_points: 68\n{\n" + "\n".join(rows) + "\n}\n")
    with pytest.raises(LandmarkFileError) as info:
        load_landmarks(path, pts_origin=origin)
    message = str(info.value)
    assert str(path) in message
    assert "line 8: '1e400 5.0' is not two finite numbers" in message
    assert ("line 13: '3.0 -2e31' holds a coordinate beyond 2147483648 pixels"
            in message)


def test_csv_coordinates_beyond_any_image_are_refused_naming_the_line(tmp_path):
    rows = [f"a.png,{i},{i}.5,{i}" for i in range(68)]
    rows[3] = "a.png,3,1e20,3"
    path = tmp_path / "marks.csv"
    path.write_text("image,point,x,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(LandmarkFileError,
                       match=r"marks\.csv.*\n  line 5: x is '1e20', beyond "
                             r"2147483648 pixels"):
        load_landmarks(path)


def test_mappings_given_in_code_name_the_image_and_its_bad_points():
    points = np.zeros((68, 2))
    points[[3, 7], 1] = np.inf
    with pytest.raises(InvalidLandmarksError,
                       match=r"'a\.png' are not all finite: point\(s\) 3, 7 are "
                             "NaN or infinite"):
        LandmarkSet({"a.png": points})
    points[[3, 7], 1] = [1e300, 0]
    with pytest.raises(InvalidLandmarksError,
                       match=r"'a\.png' have point\(s\) 3 beyond 2147483648 "
                             r"pixels.*\(point 3 is at \(0\.0, 1e\+300\)\)"):
        LandmarkDetector(backend="dlib", landmarks={"a.png": points}).transform(
            ["a.png"])


# ---------------------------------------------------------------- matching
def test_landmarks_matching_no_image_warn_naming_the_entries(cohort, photos,
                                                             tmp_path):
    elsewhere = [str(tmp_path / "other" / "x.png"), str(tmp_path / "other" / "y.png")]
    marks = _marks(tmp_path, elsewhere, _truth(cohort, 2))
    with pytest.warns(UnmatchedLandmarksWarning,
                      match=rf"none of the 2 images matched the given landmarks, "
                            rf"so every face is detected; 2 of the 2 images in the "
                            rf"given landmarks are not in this run: "
                            rf"{elsewhere[0]} \('{marks}' \(line 2\)\)"):
        detected = LandmarkDetector(backend="dlib", landmarks=marks).fit_transform(
            photos)
    assert detected.shape == (2, 68, 2)
    # Some images matched: nothing to warn about in one call (a fold of a
    # cross-validation sees a subset), and match_landmarks tells the rest.
    mixed = _marks(tmp_path, [photos[0], elsewhere[1]], _truth(cohort, 2), "m.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnmatchedLandmarksWarning)
        LandmarkDetector(backend="dlib", landmarks=mixed).fit_transform(photos)
    matches = match_landmarks(photos, mixed)
    assert matches.matched == [photos[0]]
    assert matches.unused == [f"{elsewhere[1]} ('{mixed}' (line 70))"]
    assert matches.describe().startswith(
        "1 of the 2 images took the given landmarks (the others are detected); "
        "1 of the 2 images in the given landmarks are not in this run: ")


def test_the_commands_say_once_which_images_took_the_landmarks(
    cohort, photos, tmp_path, capsys
):
    elsewhere = str(tmp_path / "gone.png")
    marks = _marks(tmp_path, [photos[0], elsewhere], _truth(cohort, 2))
    assert main(["extract", *photos, "--backend", "dlib", "--quiet", "--out",
                 str(tmp_path / "f.csv"), "--landmarks", marks]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert lines == [
        f"sklearn-palsy: warning: landmarks from {marks}: 1 of the 2 images took "
        "the given landmarks (the others are detected); 1 of the 2 images in the "
        f"given landmarks are not in this run: {elsewhere} ('{marks}' (line 70))"
    ]
    nowhere = _marks(tmp_path, [elsewhere], _truth(cohort), "none.csv")
    assert main(["assess", *photos, "--backend", "dlib", "--quiet", "--no-model",
                 "--out", str(tmp_path / "a"), "--landmarks", nowhere]) == 0
    err = capsys.readouterr().err
    assert err.count("landmarks from") == 1, err
    assert (f"sklearn-palsy: warning: landmarks from {nowhere}: 0 of the 2 images "
            "took the given landmarks") in err


def test_extract_and_predict_skip_a_face_outside_the_photo(cohort, photos, tmp_path,
                                                          capsys):
    import pandas as pd

    marks = _marks(tmp_path, photos[:1], _truth(cohort) + 3000.0)
    for command in (["extract", "--out", str(tmp_path / "f.csv")],
                    ["predict", "--out", str(tmp_path / "p.csv")]):
        failures = tmp_path / f"{command[0]}_failures.csv"
        assert main([command[0], *photos, "--backend", "dlib", "--landmarks", marks,
                     *command[1:], "--on-error", "skip",
                     "--failures", str(failures)]) == 0
        written = pd.read_csv(command[2])
        assert list(written["image"]) == photos[1:]
        [(image, error)] = pd.read_csv(failures).itertuples(index=False)
        assert image == photos[0] and "lie too far outside" in error
        # Without skip, the command stops naming the photo and writes nothing.
        Path(command[2]).unlink()
        assert main([command[0], *photos, "--backend", "dlib", "--landmarks", marks,
                     *command[1:]]) == 1
        assert photos[0] in capsys.readouterr().err
        assert not Path(command[2]).exists()


# ------------------------------------------------------------------ assess
def test_assess_lists_a_face_outside_the_photo_as_a_failure(cohort, photos,
                                                           tmp_path):
    marks = _marks(tmp_path, photos[:1], _truth(cohort) + 3000.0)
    with pytest.raises(ImageBatchError, match=photos[0].replace("\\", r"\\")):
        assess_images(photos, backend="dlib", landmarks=marks)
    assessment = assess_images(photos, backend="dlib", landmarks=marks,
                               on_error="skip")
    [(image, error)] = assessment.failures.itertuples(index=False)
    assert image == photos[0]
    assert error.startswith(f"invalid landmarks: the landmarks given for {image} "
                            f"(from '{marks}' (line 2)) lie too far outside")
    assert list(assessment.images["image"]) == photos[1:]


def test_assess_draws_a_face_beside_the_photo(cohort, photos, tmp_path):
    marks = _marks(tmp_path, photos[:1], _truth(cohort) + [150.0, 0.0])
    assessment = assess_images(photos, backend="dlib", landmarks=marks)
    paths = write_assessment(assessment, tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out")) == ["assessment.csv", "report.html"]
    assert paths.report.endswith("report.html")


def test_a_report_that_cannot_be_written_leaves_no_table(cohort, photos, tmp_path,
                                                         monkeypatch):
    from sklearn_palsy.reporting import _assessment

    assessment = assess_images(photos, backend="dlib")
    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise ValueError("cannot draw")

    monkeypatch.setattr(_assessment, "_photo_figure", broken)
    with pytest.raises(ValueError, match="cannot draw"):
        write_assessment(assessment, out)
    assert not out.exists() or os.listdir(out) == []
    monkeypatch.undo()
    # A full disk while the report is written: no new table either.
    (out).mkdir(exist_ok=True)

    def full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_assessment.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        write_assessment(assessment, out)
    assert os.listdir(out) == []


# ------------------------------------------------------------------ memory
def test_a_landmark_csv_is_read_in_about_its_own_size(tmp_path):
    rng = np.random.default_rng(0)
    images = [str(tmp_path / f"P{i:04d}.png") for i in range(300)]
    path = _marks(tmp_path, images, rng.uniform(0, 1000, (300, 68, 2)))
    size = os.path.getsize(path)
    tracemalloc.start()
    try:
        landmarks = load_landmarks(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(landmarks) == 300
    # Reading the text whole, then a dict entry per point, took 9 times it.
    assert peak < 1.5 * size, (peak, size)


_MEMORY_SCRIPT = textwrap.dedent("""
    import resource, sys, tempfile, warnings
    from pathlib import Path
    import numpy as np
    from sklearn_palsy import (ExpressionFeatures, FaceCropper, LandmarkDetector,
                               LineSegmentRenderer, make_synthetic_cohort)
    from sklearn_palsy.cli import assess_images, extract_features
    from sklearn_palsy.exceptions import ImageBatchError, InvalidLandmarksError
    from sklearn_palsy.faces import write_landmarks
    from sklearn_palsy.reporting import write_assessment

    warnings.simplefilter("ignore")
    folder = Path(tempfile.mkdtemp())
    cohort = make_synthetic_cohort(1, 1, ("rest",), 160, random_state=0,
                                   output_dir=folder / "photos")
    photos = [str(path) for path in cohort.X]
    truth = np.array(cohort.landmarks, dtype=float)

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def run(name, landmarks):
        marks = folder / f"{name}.csv"
        write_landmarks(marks, photos[:1], landmarks[:1])
        outcome = []
        for command in (
            lambda: FaceCropper(size=64, backend="dlib",
                                landmarks=str(marks)).fit_transform(photos),
            lambda: ExpressionFeatures().fit_transform(LandmarkDetector(
                backend="dlib", landmarks=str(marks)).fit_transform(photos)),
            lambda: LineSegmentRenderer(size=64).fit_transform(landmarks),
            lambda: extract_features(photos, backend="dlib", verbose=0,
                                     landmarks=str(marks)),
            lambda: write_assessment(assess_images(
                photos, backend="dlib", landmarks=str(marks), on_error="skip"),
                folder / name),
        ):
            try:
                command()
                outcome.append("ok")
            except (InvalidLandmarksError, ImageBatchError) as error:
                assert photos[0] in str(error), error
                outcome.append("refused")
        print(name, *outcome, round(peak()), flush=True)

    run("inside", truth)
    for shift in (3000.0, 8000.0, 1e6):
        run(f"shift-{shift:.0f}", truth + shift)
    run("scaled-1e6", truth * 1e6)
""")


@pytest.mark.slow  # fresh processes, as every such test (about 7 s)
def test_landmarks_far_outside_cost_no_more_memory_than_inside():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split() for line in result.stdout.splitlines()]
    peaks = {row[0]: float(row[-1]) for row in rows}
    assert list(peaks) == ["inside", "shift-3000", "shift-8000", "shift-1000000",
                           "scaled-1e6"]
    # Each far run either works or refuses naming the photo (checked in the
    # script), and the process's peak never grows by more than 100 MB over
    # the run on landmarks inside the photo.
    assert max(peaks.values()) - peaks["inside"] < 100, result.stdout
    assert rows[0][1:-1] == ["ok"] * 5
    for row in rows[1:]:
        assert row[1] == "refused" and row[4] == "refused", row
