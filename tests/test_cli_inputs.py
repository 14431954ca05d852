"""The command line on real-world inputs: videos, turned heads, corrected landmarks.

Each test runs ``sklearn-palsy`` as a user would (``main([...])``) and checks
the files it writes against what the library computes directly.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_palsy import ExpressionFeatures, load_landmarks, make_synthetic_cohort
from sklearn_palsy.cli import main
from sklearn_palsy.datasets import make_synthetic_video


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    return make_synthetic_cohort(2, 2, ("rest", "smile"), 160, random_state=0,
                                 output_dir=folder)


@pytest.fixture(scope="module")
def patient_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("videos") / "P01 visit.mp4"
    return make_synthetic_video(
        path, duration=4.0, fps=8.0, image_size=160, palsy_side="left",
        severity=0.9, expressions=("rest", "smile", "rest", "raise_eyebrows", "rest"),
        random_state=0,
    )


def test_corrected_landmarks_change_the_features_exactly_as_the_edit_implies(
    photos, tmp_path
):
    images = [str(path) for path in photos.X[:3]]
    first, marks = tmp_path / "first.csv", tmp_path / "landmarks.csv"
    assert main(["extract", *images, "--backend", "dlib", "--quiet", "--out",
                 str(first), "--landmarks-out", str(marks)]) == 0
    table = pd.read_csv(marks)
    assert list(table.columns[:4]) == ["image", "point", "x", "y"]
    assert len(table) == 3 * 68

    # The person correcting the file moves the left mouth corner (iBUG 54)
    # of the second image 6 px right and 4 px up.
    edited = table.copy()
    corner = (edited["point"] == 54) & edited["image"].str.endswith(
        images[1].rsplit("/", 1)[-1])
    assert corner.sum() == 1
    edited.loc[corner, "x"] += 6.0
    edited.loc[corner, "y"] -= 4.0
    edited.to_csv(tmp_path / "edited.csv", index=False)

    second = tmp_path / "second.csv"
    assert main(["extract", *images, "--backend", "dlib", "--quiet", "--out",
                 str(second), "--landmarks", str(tmp_path / "edited.csv")]) == 0
    before, after = pd.read_csv(first), pd.read_csv(second)
    assert after.loc[1, "x_54"] == before.loc[1, "x_54"] + 6.0
    assert after.loc[1, "y_54"] == before.loc[1, "y_54"] - 4.0

    # The features are those of the edited landmarks (to the CSV's last
    # digit); the other
    # images' rows are unchanged, and so are the features of the edited
    # image that do not involve the corner.
    given = load_landmarks(tmp_path / "edited.csv")
    stack = np.stack([given.find(image) for image in images])
    features = ExpressionFeatures(kinds=("symmetry", "clinical"), scheme="ibug68")
    expected = features.fit_transform(stack)
    names = list(features.get_feature_names_out())
    np.testing.assert_allclose(after[names].to_numpy(), expected, rtol=1e-12,
                               atol=1e-12)
    pd.testing.assert_frame_equal(after.drop(index=1), before.drop(index=1))
    changed = ~np.isclose(after.loc[1, names].to_numpy(float),
                          before.loc[1, names].to_numpy(float), rtol=0, atol=1e-12)
    assert 0 < changed.sum() < len(names)
    assert changed[names.index("clinical__commissure_excursion_asym")]


def test_max_yaw_skips_turned_photos_and_lists_them(tmp_path):
    frontal = make_synthetic_cohort(2, 0, ("rest",), 192, random_state=1,
                                    output_dir=tmp_path / "frontal")
    turned = make_synthetic_cohort(2, 0, ("rest",), 192, yaw=30.0, random_state=2,
                                   output_dir=tmp_path / "turned")
    out, failures = tmp_path / "features.csv", tmp_path / "failures.csv"
    images = [*map(str, frontal.X), *map(str, turned.X)]
    assert main(["extract", *images, "--quiet", "--max-yaw", "15", "--on-error",
                 "skip", "--out", str(out), "--failures", str(failures)]) == 0
    kept, skipped = pd.read_csv(out), pd.read_csv(failures)
    assert list(kept["image"]) == [str(path) for path in frontal.X]
    assert list(skipped["image"]) == [str(path) for path in turned.X]
    assert skipped["error"].str.contains(
        r"head turned beyond the limits \(\|yaw\| > 15\): yaw \+").all()
    assert (kept["yaw"].abs() < 10).all()
    # Without the limit the turned faces are kept, with their yaw near 30°.
    assert main(["extract", *images, "--quiet", "--out", str(out)]) == 0
    all_rows = pd.read_csv(out)
    np.testing.assert_allclose(all_rows["yaw"].iloc[2:], 30.0, atol=5.0)


def test_extract_reads_videos_frame_by_frame(patient_video, tmp_path):
    out = tmp_path / "features.csv"
    assert main(["extract", patient_video.path, "--quiet", "--frames-per-video",
                 "5", "--out", str(out)]) == 0
    features = pd.read_csv(out)
    assert list(features.columns[:4]) == ["image", "landmark_backend", "video",
                                          "frame"]
    assert len(features) == 5
    assert (features["video"] == patient_video.path).all()
    assert list(features["image"]) == [f"{patient_video.path}#frame={frame}"
                                       for frame in features["frame"]]
    assert features["frame"].is_monotonic_increasing
    assert features["frame"].max() < patient_video.n_frames


def test_a_corrupt_video_is_named(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    assert main(["extract", str(broken), "--quiet", "--out",
                 str(tmp_path / "f.csv")]) == 1
    assert "broken.mp4" in capsys.readouterr().err
    assert not (tmp_path / "f.csv").exists()


def test_assess_a_video_uses_its_neutral_frame_and_its_peaks(patient_video, tmp_path):
    out = tmp_path / "assessment"
    assert main(["assess", patient_video.path, "--no-model", "--quiet",
                 "--frames-per-video", "24", "--frame-sampling", "movement",
                 "--out", str(out)]) == 0
    patients = pd.read_csv(out / "assessment.csv")
    assert list(patients["patient_id"]) == ["P01 visit"]
    rest_frame = int(patients.loc[0, "rest_image"].rsplit("#frame=", 1)[1])
    # The video's rest frame is one the face holds still in.
    assert patient_video.intensity[rest_frame] < 0.05
    assert set(patients.loc[0, "expressions"].split(";")) >= {"rest", "smile",
                                                              "raise_eyebrows"}
    # A severe left palsy: the left side moves far less.
    assert patients.loc[0, "affected_side"] == "left"
    assert patients.loc[0, "movement__commissure_excursion_ratio"] < 0.7
    assert patients.loc[0, "movement__brow_elevation_ratio"] < 0.7


def test_predict_without_a_model_uses_the_shipped_one_per_frame_and_per_video(
    patient_video, photos, tmp_path, capsys
):
    out, videos = tmp_path / "predictions.csv", tmp_path / "videos.csv"
    images = [str(path) for path in photos.X[:2]]
    assert main(["predict", *images, patient_video.path, "--frames-per-video", "6",
                 "--out", str(out), "--videos-out", str(videos)]) == 0
    assert "shipped reference model" in capsys.readouterr().err
    predictions, summary = pd.read_csv(out), pd.read_csv(videos)
    assert len(predictions) == 2 + 6
    assert predictions["video"].isna().sum() == 2
    assert (predictions["video"].dropna() == patient_video.path).all()
    assert predictions["probability"].between(0, 1).all()
    # One row per video: the mean over its frames.
    assert list(summary["video"]) == [patient_video.path]
    assert summary.loc[0, "n_frames"] == 6
    frames = predictions[predictions["video"].notna()]
    np.testing.assert_allclose(summary.loc[0, "probability"],
                               frames["probability"].mean())
    # With the shipped type model: each frame's type, and the video's the
    # one its positive frames get most.
    assert set(predictions["type"]) <= {"none", "central", "peripheral"}
    assert ((predictions["type"] == "none") == (predictions["label"] == "control")
            ).all()
    positive = frames[frames["type"] != "none"]
    expected = (positive["type"].mode().iloc[0]
                if summary.loc[0, "positive"] and len(positive) else "none")
    assert summary.loc[0, "type"] == expected


# --------------------------------------------------------------------------
# Video batches: a bad video among good ones, single and malformed frame
# references.


@pytest.fixture(scope="module")
def small_videos(tmp_path_factory):
    """A good 96 px video of 4 frames, and a copy cut after its header."""
    folder = tmp_path_factory.mktemp("small_videos")
    good = make_synthetic_video(folder / "good.avi", duration=1.0, fps=4.0,
                                image_size=96, expressions=("rest",),
                                head_motion=0.0, random_state=0)
    corrupt = folder / "corrupt.avi"
    corrupt.write_bytes(Path(good.path).read_bytes()[:400])
    return good.path, str(corrupt)


_COMMANDS = {
    "extract": ["--quiet", "--out", "{out}.csv"],
    "predict": ["--out", "{out}.csv"],
    "assess": ["--quiet", "--no-model", "--out", "{out}"],
}


def _run(command, inputs, tmp_path, *options):
    out = str(tmp_path / command)
    extra = [part.format(out=out) for part in _COMMANDS[command]]
    code = main([command, *inputs, "--backend", "dlib", "--frames-per-video", "2",
                 *extra, *options])
    return code, out


def _rows(command, out):
    """The images the command wrote rows for."""
    if command == "assess":
        return []  # checked through the per-photo count below
    return list(pd.read_csv(f"{out}.csv")["image"])


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_skip_keeps_the_good_video_and_lists_every_bad_input(
    command, small_videos, tmp_path, capsys
):
    good, corrupt = small_videos
    bad_frame = f"{good}#frame=abc"
    failures = tmp_path / "failures.csv"
    code, out = _run(command, [corrupt, good, bad_frame], tmp_path, "--on-error",
                     "skip", "--failures", str(failures))
    assert code == 0
    err = capsys.readouterr().err
    assert f"skipped 2 image(s); listed in {failures}" in err
    listed = pd.read_csv(failures)
    assert list(listed["image"]) == [corrupt, bad_frame]
    assert "corrupt.avi" in listed.loc[0, "error"]
    assert listed.loc[0, "error"].startswith("cannot open the video")
    assert listed.loc[1, "error"].startswith(
        "malformed frame reference: the frame index must be a non-negative integer")
    expected = [f"{good}#frame={index}" for index in (1, 3)]
    if command == "assess":
        images = pd.read_csv(Path(out) / "assessment.csv")
        assert list(images["patient_id"]) == ["good"]
        assert images.loc[0, "n_photos"] == 2
    else:
        assert _rows(command, out) == expected
    # With --on-error raise, one error names the bad video; nothing is written.
    code, out = _run(command, [corrupt, good], tmp_path / "raise")
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error: 1 image(s) failed: ")
    assert corrupt in err and "cannot open the video" in err


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_a_single_frame_reference_is_a_path(command, small_videos, tmp_path):
    good, _ = small_videos
    code, out = _run(command, [f"{good}#frame=2"], tmp_path)
    assert code == 0
    if command == "assess":
        patients = pd.read_csv(Path(out) / "assessment.csv")
        assert list(patients["rest_image"]) == [f"{good}#frame=2"]
    else:
        assert _rows(command, out) == [f"{good}#frame=2"]


@pytest.mark.parametrize("command", list(_COMMANDS))
@pytest.mark.parametrize("index", ["-1", "abc", ""])
def test_a_malformed_frame_index_is_named_as_such(command, index, small_videos,
                                                  tmp_path, capsys):
    good, _ = small_videos
    reference = f"{good}#frame={index}"
    code, _ = _run(command, [reference], tmp_path)
    assert code == 1
    err = capsys.readouterr().err
    assert err == (
        "sklearn-palsy: error: malformed frame reference: the frame index must be "
        f"a non-negative integer (0-based), got {index!r}: {reference!r}\n")
    assert "not found" not in err


def test_a_videos_type_is_its_positive_frames_most_frequent():
    from sklearn_palsy.cli import summarize_videos

    frames = pd.DataFrame({
        "video": ["a.mp4"] * 4 + ["b.mp4"] * 2,
        "probability": [0.9, 0.8, 0.75, 0.2, 0.3, 0.1],
        "label": ["palsy", "palsy", "palsy", "control", "control", "control"],
        "type": ["central", "peripheral", "peripheral", "none", "none", "none"],
        "affected_side": ["left", "left", "left", "none", "none", "none"],
    })
    summary = summarize_videos(frames, threshold=0.6)
    assert summary["type"].tolist() == ["peripheral", "none"]
    assert summary["positive"].tolist() == [True, False]
    # Without a type column, no type.
    assert "type" not in summarize_videos(frames.drop(columns="type"))
