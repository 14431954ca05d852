"""Video input: frame references, lazy reading, sampling, manifests, movement.

Videos are written by make_synthetic_video into temporary folders: small
faces (64-128 px) at a few frames per second, so that every test stays fast.
"""

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy.clinical._key_frames import video_key_frames
from sklearn_palsy.clinical._movement import (
    MovementWarning,
    PatientMovement,
    movement_feature_names,
)
from sklearn_palsy.datasets import resolve_images
from sklearn_palsy.datasets._manifest import (
    find_images,
    load_image_folder,
    load_manifest,
)
from sklearn_palsy.datasets._video import (
    expand_videos,
    make_synthetic_video,
    sample_video_frames,
)
from sklearn_palsy.exceptions import (
    ImageBatchError,
    ImageFileNotFoundError,
    ImageReadError,
    ImageTooLargeError,
    ImageTooSmallError,
    ManifestError,
    VideoReadError,
)
from sklearn_palsy.faces import _video
from sklearn_palsy.faces._io import image_id, read_image
from sklearn_palsy.faces._video import (
    clear_video_cache,
    frame_reference,
    is_video_file,
    iter_video_frames,
    parse_frame_reference,
    video_digest,
    video_info,
)
from sklearn_palsy.preprocessing import ExpressionFeatures, LandmarkDetector

EXPRESSIONS = ("rest", "smile", "rest", "raise_eyebrows", "rest", "close_eyes",
               "rest")


@pytest.fixture(autouse=True)
def _fresh_decoders():
    """No decoder or file fact of one test is seen by the next."""
    clear_video_cache()
    yield
    clear_video_cache()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 3-second MJPG/AVI video of a control at 96 px, 10 fps (30 frames)."""
    path = tmp_path_factory.mktemp("clip") / "clip.avi"
    truth = make_synthetic_video(path, duration=3.0, fps=10, image_size=96,
                                 expressions=("rest", "smile", "rest"),
                                 random_state=0)
    frames = [pixels for _, pixels in iter_video_frames(path)]
    return truth, np.stack(frames)


@pytest.fixture(scope="module")
def patient_videos(tmp_path_factory):
    """10-second videos of a patient (left palsy) and a control, 128 px, 6 fps."""
    folder = tmp_path_factory.mktemp("videos")
    patient = make_synthetic_video(folder / "P01.avi", duration=10.0, fps=6,
                                   image_size=128, expressions=EXPRESSIONS,
                                   palsy_side="left", severity=0.8,
                                   random_state=1)
    control = make_synthetic_video(folder / "C01.mp4", duration=10.0, fps=6,
                                   image_size=128, expressions=EXPRESSIONS,
                                   random_state=2)
    return patient, control


def _write(path, fourcc, frames, fps=10.0, size=(96, 72)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps,
                             size)
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _numbered_frames(n, size=(72, 96)):
    """Frames that differ visibly: a number and a grey level each."""
    frames = []
    for index in range(n):
        frame = np.full((*size, 3), (index * 9) % 200, np.uint8)
        cv2.putText(frame, str(index), (4, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                    (255, 255, 255), 2)
        frames.append(frame)
    return frames


# --------------------------------------------------------------------------
# Frame references.


def test_frame_references_parse_and_format():
    assert parse_frame_reference("/a/b c #1/clip.MKV#frame=007") == (
        "/a/b c #1/clip.MKV", 7)
    assert parse_frame_reference(Path("x.mov#frame=0")) == ("x.mov", 0)
    for not_one in ("photo.png#frame=1", "clip.mp4#frame=-1", "clip.mp4#frame=",
                    "clip.mp4#frame=1.5", "clip.mp4", 3, None):
        assert parse_frame_reference(not_one) is None
    assert frame_reference("clips/P01.avi", np.int64(4)) == "clips/P01.avi#frame=4"
    with pytest.raises(ValueError, match="non-negative"):
        frame_reference("clip.mp4", -1)
    with pytest.raises(ValueError, match="video files"):
        frame_reference("photo.png", 1)
    assert is_video_file("A.MoV") and not is_video_file("a.mp4#frame=1")


# --------------------------------------------------------------------------
# Reading frames.


@pytest.mark.parametrize("name, fourcc", [
    ("v.mp4", "mp4v"), ("v.avi", "MJPG"), ("v.mov", "mp4v"), ("v.mkv", "MJPG"),
])
def test_frames_read_by_reference_equal_sequential_decoding(tmp_path, name, fourcc):
    """Seeking lands on the frame asked for, with the codecs we write."""
    path = _write(tmp_path / name, fourcc, _numbered_frames(80))
    expected = [pixels for _, pixels in iter_video_frames(path)]
    assert len(expected) == 80
    order = np.random.default_rng(0).permutation(80)[:30].tolist() + [79, 0, 41]
    for index in order:
        pixels = read_image(f"{path}#frame={index}")
        assert pixels.dtype == np.uint8 and pixels.shape == (72, 96, 3)
        np.testing.assert_array_equal(pixels, expected[index])
    # Decoded by OpenCV directly, in RGB:
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 41)
    _, bgr = capture.read()
    capture.release()
    np.testing.assert_array_equal(expected[41], bgr[:, :, ::-1])
    # Every seek agreed with the frame number and timestamp asked for.
    assert _video._FACTS[str(path)].seekable


class _CountingCapture:
    """A VideoCapture that counts decoded frames and can land seeks wrong."""

    grabs = 0

    def __init__(self, capture, seek_offset=0):
        self._capture = capture
        self._seek_offset = seek_offset

    def grab(self):
        type(self).grabs += 1
        return self._capture.grab()

    def set(self, prop, value):
        if prop == cv2.CAP_PROP_POS_FRAMES:
            value += self._seek_offset
        return self._capture.set(prop, value)

    def __getattr__(self, name):
        return getattr(self._capture, name)


@pytest.fixture
def counting(monkeypatch):
    """Patch the decoders opened for frame references; returns the counter."""
    opened = _video._open_capture
    settings = {"seek_offset": 0}
    _CountingCapture.grabs = 0
    monkeypatch.setattr(
        _video, "_open_capture",
        lambda path: _CountingCapture(opened(path), **settings),
    )
    return settings


def test_reading_frames_in_order_decodes_each_once(tmp_path, counting):
    path = _write(tmp_path / "v.mp4", "mp4v", _numbered_frames(60))
    for index in range(60):
        read_image(f"{path}#frame={index}")
    assert _CountingCapture.grabs == 60
    # Every third frame: the frames between are decoded, nothing twice.
    clear_video_cache()
    _CountingCapture.grabs = 0
    for index in range(0, 60, 3):
        read_image(f"{path}#frame={index}")
    assert _CountingCapture.grabs == 58
    # Backwards: one seek and one decode per frame, not a pass from the start.
    clear_video_cache()
    _CountingCapture.grabs = 0
    for index in range(59, -1, -7):
        read_image(f"{path}#frame={index}")
    assert _CountingCapture.grabs == len(range(59, -1, -7))


def test_wrong_seeks_fall_back_to_sequential_reading(tmp_path, counting):
    """A decoder whose seeks land elsewhere is caught, and read in order."""
    path = _write(tmp_path / "v.avi", "MJPG", _numbered_frames(80))
    expected = [pixels for _, pixels in iter_video_frames(path)]
    counting["seek_offset"] = 3
    for index in (70, 10, 50, 49, 5):
        np.testing.assert_array_equal(read_image(f"{path}#frame={index}"),
                                      expected[index])
    assert not _video._FACTS[str(path)].seekable


def test_frames_read_from_threads(tmp_path):
    path = _write(tmp_path / "v.mp4", "mp4v", _numbered_frames(50))
    expected = [pixels for _, pixels in iter_video_frames(path)]
    orders = [np.random.default_rng(seed).permutation(50) for seed in range(4)]

    def read(order):
        return [(index, read_image(f"{path}#frame={index}")) for index in order]

    with ThreadPoolExecutor(4) as pool:
        for result in pool.map(read, orders):
            for index, pixels in result:
                np.testing.assert_array_equal(pixels, expected[index])


def test_frame_limits_are_checked(clip, tmp_path):
    truth, _ = clip
    reference = f"{truth.path}#frame=3"
    with pytest.raises(ImageTooLargeError, match="96x96 = 9216 pixels") as info:
        read_image(reference, max_pixels=9000)
    assert truth.path in str(info.value)
    with pytest.raises(ImageTooSmallError) as info:
        read_image(reference, min_size=100)
    assert info.value.path == reference
    assert read_image(reference, max_pixels=9216, min_size=96).shape == (96, 96, 3)


def test_image_id_of_frames(clip, tmp_path, monkeypatch):
    truth, _ = clip
    keys = [image_id(f"{truth.path}#frame={index}") for index in range(10)]
    assert len(set(keys)) == 10 and all(len(key) == 64 for key in keys)
    # The same file under another name has the same keys.
    copy = tmp_path / "copy.avi"
    shutil.copyfile(truth.path, copy)
    assert image_id(f"{copy}#frame=4") == keys[4]
    # The video is hashed once per version of the file, not once per frame.
    opened = []
    real = _video._open_checked
    monkeypatch.setattr(_video, "_open_checked",
                        lambda path: opened.append(path) or real(path))
    for index in range(10):
        assert image_id(f"{copy}#frame={index}") == keys[index]
    assert opened == []
    # Rewriting the file changes its keys and what its frames read.
    before = read_image(f"{copy}#frame=4")
    make_synthetic_video(copy, duration=1.0, fps=10, image_size=96,
                         random_state=5)
    assert image_id(f"{copy}#frame=4") != keys[4]
    assert not np.array_equal(read_image(f"{copy}#frame=4"), before)
    assert video_digest(copy) == image_id(copy)


@pytest.fixture(scope="module")
def bad_videos(tmp_path_factory):
    """Broken video files, by what is wrong with them."""
    folder = tmp_path_factory.mktemp("bad")
    good_mp4 = _write(folder / "good.mp4", "mp4v", _numbered_frames(40))
    good_avi = _write(folder / "good.avi", "MJPG", _numbered_frames(40))
    data = good_mp4.read_bytes()
    (folder / "no_index.mp4").write_bytes(data[: len(data) // 2])
    data = good_avi.read_bytes()
    (folder / "truncated.avi").write_bytes(data[: len(data) // 2])
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text.mp4").write_text("not a video at all " * 20)
    (folder / "random.mkv").write_bytes(np.random.default_rng(0).bytes(5000))
    (folder / "folder.mov").mkdir()
    _write(folder / "no_frames.avi", "MJPG", [])
    return folder


@pytest.mark.parametrize("name, frame, error, message", [
    ("missing.mp4", 0, ImageFileNotFoundError, "video file not found"),
    ("empty.mp4", 0, VideoReadError, "empty video file"),
    ("text.mp4", 0, VideoReadError, "not a video file"),
    ("random.mkv", 0, VideoReadError, "not a video file"),
    ("folder.mov", 0, VideoReadError, "is a directory"),
    ("no_index.mp4", 0, VideoReadError, "cannot open the video"),
    ("no_frames.avi", 0, VideoReadError, "no frame that decodes"),
    ("truncated.avi", 30, VideoReadError, r"truncated or corrupt after frame \d+"),
    ("good.mp4", 40, VideoReadError,
     "frame 40 is past the end of the video, which has 40 frames"),
])
def test_unreadable_videos_name_the_file(bad_videos, name, frame, error, message):
    path = bad_videos / name
    with pytest.raises(error, match=message) as info:
        read_image(f"{path}#frame={frame}")
    assert str(path) in str(info.value)
    assert isinstance(info.value, ImageReadError)
    if error is VideoReadError and "frame" in message:
        assert info.value.frame == frame


def test_truncated_video_reads_up_to_the_cut(bad_videos):
    path = bad_videos / "truncated.avi"
    assert read_image(f"{path}#frame=5").shape == (72, 96, 3)
    with pytest.raises(VideoReadError, match="header declares 40 frames"):
        sample_video_frames(path)
    with pytest.raises(VideoReadError, match="header declares 40 frames"):
        sample_video_frames(path, method="movement")


def test_a_video_is_not_an_image(bad_videos):
    with pytest.raises(ImageReadError, match="#frame=<index>"):
        read_image(bad_videos / "good.mp4")
    info = video_info(bad_videos / "good.mp4")
    assert (info.n_frames, info.fps, info.width, info.height) == (40, 10.0, 96, 72)
    assert info.duration_s == 4.0


def test_landmark_detector_on_frame_references(clip):
    """Frame references give the landmarks of the decoded frames."""
    truth, frames = clip
    references = [f"{truth.path}#frame={index}" for index in range(0, 30, 3)]
    detector = LandmarkDetector(backend="dlib", on_missing="nan")
    from_references = detector.fit_transform(references)
    from_arrays = LandmarkDetector(backend="dlib", on_missing="nan").fit_transform(
        list(frames[::3]))
    assert np.isfinite(from_references).all()
    np.testing.assert_array_equal(from_references, from_arrays)
    # And the faces were found where they were painted.
    error = np.linalg.norm(from_references - truth.landmarks[::3], axis=-1)
    assert np.median(error) < 0.1 * 96 * 0.2


# --------------------------------------------------------------------------
# Sampling.


def test_uniform_sampling(clip):
    truth, _ = clip
    frames = sample_video_frames(truth.path, n_frames=4)
    assert frames["frame"].tolist() == [3, 11, 18, 26]
    np.testing.assert_allclose(frames["time_s"], frames["frame"] / 10)
    assert frames["image"].tolist() == [
        f"{truth.path}#frame={index}" for index in (3, 11, 18, 26)]
    assert (frames["video"] == truth.path).all()
    assert sample_video_frames(truth.path, every=7)["frame"].tolist() == [
        0, 7, 14, 21, 28]
    assert sample_video_frames(truth.path, n_frames=50)["frame"].tolist() == list(
        range(30))
    assert len(sample_video_frames(truth.path)) == 10
    with pytest.raises(ValueError, match="not both"):
        sample_video_frames(truth.path, n_frames=3, every=2)
    with pytest.raises(ValueError, match="every applies"):
        sample_video_frames(truth.path, every=2, method="movement")


def test_movement_sampling_finds_rest_and_apexes(patient_videos):
    for truth in patient_videos:
        frames = sample_video_frames(truth.path, n_frames=4, method="movement")
        rest = frames["movement"].to_numpy() == 0
        assert rest.sum() == 1
        assert truth.intensity[frames["frame"][rest]].item() < 0.1
        moving = frames["frame"][~rest].to_numpy()
        # One apex of each of the three expressions.
        assert sorted(truth.expression[moving]) == [
            "close_eyes", "raise_eyebrows", "smile"]
        assert (truth.intensity[moving] > 0.9).all()


def test_movement_sampling_memory_is_bounded(patient_videos, monkeypatch):
    """Past the cap, every second thumbnail is dropped: frames on a stride."""
    truth = patient_videos[0]
    monkeypatch.setattr("sklearn_palsy.datasets._video._MAX_THUMBNAILS", 8)
    frames = sample_video_frames(truth.path, n_frames=4, method="movement")
    assert (frames["frame"] % 8 == 0).all()  # 60 frames, at most 8 kept
    assert len(frames) == 4


def test_expand_videos(clip, bad_videos, tmp_path):
    truth, frames = clip
    array = frames[0]
    images = ["photo.png", truth.path, f"{truth.path}#frame=2", array]
    data = expand_videos(images, n_frames=3)
    assert len(data.X) == 6
    assert data.X[0] == "photo.png" and data.X[-1] is array
    assert data.X[1:4].tolist() == [f"{truth.path}#frame={i}" for i in (5, 15, 25)]
    assert data.groups.tolist() == ["photo.png"] + [truth.path] * 4 + ["array 3"]
    assert data.table["index"].tolist() == [0, 1, 1, 1, 2, 3]
    assert data.table["frame"].tolist()[1:5] == [5, 15, 25, 2]
    assert data.table["frame"].isna().tolist() == [True] + [False] * 4 + [True]
    # A patient's videos share the patient's group.
    data = expand_videos([truth.path, truth.path, "p.png"],
                         groups=["P01", "P01", "P02"], n_frames=2)
    assert data.groups.tolist() == ["P01"] * 4 + ["P02"]
    # Broken videos: all named at once, or skipped and listed.
    broken = [str(bad_videos / "empty.mp4"), truth.path,
              str(bad_videos / "text.mp4")]
    with pytest.raises(ImageBatchError, match="2 image") as info:
        expand_videos(broken)
    assert info.value.failures["image"].tolist() == [broken[0], broken[2]]
    data = expand_videos(broken, on_error="skip", n_frames=2)
    assert data.X.tolist() == [f"{truth.path}#frame={i}" for i in (7, 22)]
    assert len(data.failures) == 2


def test_resolve_images_skips_bad_inputs_and_lists_them(clip, bad_videos, tmp_path):
    truth, _ = clip
    truncated, empty = str(bad_videos / "truncated.avi"), str(bad_videos / "empty.mp4")
    gone, malformed = str(tmp_path / "gone.png"), f"{truth.path}#frame=1.5"
    inputs = [truncated, truth.path, gone, malformed, empty]
    X, y, groups, frame, failures = resolve_images(inputs, n_frames=2,
                                                   on_error="skip")
    assert X.tolist() == [f"{truth.path}#frame={i}" for i in (7, 22)]
    assert y is None and groups.tolist() == [truth.path] * 2
    assert frame["frame"].tolist() == [7, 22]
    assert failures["image"].tolist() == [truncated, gone, malformed, empty]
    errors = failures["error"].tolist()
    assert re.fullmatch(r"the video is truncated or corrupt: its header declares 40 "
                        rf"frames, but only \d+ decode: {re.escape(repr(truncated))}",
                        errors[0])
    assert errors[1] == f"file not found: {gone!r}"
    assert errors[2] == (
        "malformed frame reference: the frame index must be a non-negative integer "
        f"(0-based), got '1.5': {malformed!r}")
    assert errors[3] == f"empty video file (0 bytes): {empty!r}"
    # With "raise", one error names every bad entry, the videos included.
    with pytest.raises(ImageBatchError, match="4 image") as info:
        resolve_images(inputs, n_frames=2)
    assert info.value.failures["image"].tolist() == failures["image"].tolist()
    # A folder: its bad videos are left out and listed.
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copyfile(truth.path, folder / "a.avi")
    shutil.copyfile(truncated, folder / "b.avi")
    X, _, _, _, failures = resolve_images(folder, n_frames=2, on_error="skip")
    assert X.tolist() == [f"{folder / 'a.avi'}#frame={i}" for i in (7, 22)]
    assert failures["image"].tolist() == [str(folder / "b.avi")]
    with pytest.raises(ValueError, match="on_error"):
        resolve_images(folder, on_error="ignore")


def test_resolve_images_skips_a_manifests_unreadable_video(cohort_folder, cut_video):
    manifest = _manifest(cohort_folder, (
        "image,label,patient_id\n"
        "P01_rest.png,1,P01\n"
        "cut.avi,1,P01\n"
        "C01.mp4,0,C01\n"
    ))
    X, y, groups, frame, failures = resolve_images(manifest, n_frames=2,
                                                   on_error="skip")
    assert frame["image"].tolist() == ["P01_rest.png", "C01.mp4#frame=15",
                                       "C01.mp4#frame=45"]
    assert y.tolist() == [1, 0, 0] and groups.tolist() == ["P01", "C01", "C01"]
    cut = str(cut_video)
    assert failures["image"].tolist() == [cut]
    assert re.fullmatch(
        r"cannot read the video: the video is truncated or corrupt: its header "
        rf"declares 40 frames, but only \d+ decode: {re.escape(repr(cut))} "
        r"\(manifest line 3\)", failures["error"][0])
    with pytest.raises(ManifestError, match="line 3 .*truncated or corrupt"):
        resolve_images(manifest)
    # A missing file is still a malformed manifest, skip or not.
    gone = _manifest(cohort_folder, "image,label,patient_id\ngone.mp4,1,P01\n")
    with pytest.raises(ManifestError, match="line 2 .*video file not found"):
        resolve_images(gone, on_error="skip")


def test_a_single_frame_reference_resolves_to_itself(clip, tmp_path):
    truth, _ = clip
    reference = f"{truth.path}#frame=5"
    X, y, groups, frame = resolve_images(reference)
    assert X.tolist() == [reference] and (y, groups, frame) == (None, None, None)
    X, *_, failures = resolve_images(Path(reference), on_error="skip")
    assert X.tolist() == [reference] and len(failures) == 0
    gone = f"{tmp_path / 'gone.mp4'}#frame=5"
    with pytest.raises(ImageFileNotFoundError, match=re.escape(
            f"1 image file(s) not found: {gone}")):
        resolve_images(gone)


@pytest.mark.parametrize("index", ["-1", "abc", "", "1.5", " 3", "+3"])
def test_a_malformed_frame_index_is_not_a_missing_file(clip, tmp_path, index):
    truth, _ = clip
    reference = f"{truth.path}#frame={index}"
    message = re.escape(
        "malformed frame reference: the frame index must be a non-negative integer "
        f"(0-based), got {index!r}: {reference!r}")
    readers = {
        "read_image": read_image,
        "image_id": image_id,
        "resolve_images": resolve_images,
        "LandmarkDetector": lambda x: LandmarkDetector(backend="dlib").fit_transform(
            [x]),
    }
    for name, read in readers.items():
        with pytest.raises(VideoReadError, match=message) as info:
            read(reference)
        assert not isinstance(info.value, FileNotFoundError), name
        assert info.value.path == reference, name
    # A file that really has that name is read as the file it is.
    literal = tmp_path / f"v.mp4#frame={index}"
    literal.write_bytes(b"not an image")
    with pytest.raises(ImageReadError, match="not an image"):
        read_image(literal)


# --------------------------------------------------------------------------
# Manifests and folders.


def _manifest(folder, text):
    path = folder / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cohort_folder(tmp_path, clip, patient_videos):
    patient, control = patient_videos
    shutil.copyfile(patient.path, tmp_path / "P01_all.avi")
    shutil.copyfile(clip[0].path, tmp_path / "P01_smile.avi")
    shutil.copyfile(control.path, tmp_path / "C01.mp4")
    cv2.imwrite(str(tmp_path / "P01_rest.png"), np.zeros((64, 64, 3), np.uint8))
    return tmp_path


@pytest.fixture
def cut_video(cohort_folder, bad_videos):
    """A truncated video, ``cut.avi``, next to the cohort's files."""
    return shutil.copyfile(bad_videos / "truncated.avi", cohort_folder / "cut.avi")


def test_manifest_with_videos(cohort_folder):
    path = _manifest(cohort_folder, (
        "image,label,patient_id,expression\n"
        "P01_rest.png,1,P01,rest\n"
        "P01_all.avi,1,P01,\n"
        "P01_smile.avi,1,P01,smile\n"
        "C01.mp4#frame=12,0,C01,rest\n"
        "C01.mp4#frame=30,0,C01,smile\n"
    ))
    data = load_manifest(path, video_n_frames=3)
    frame = data.frame
    assert len(frame) == 1 + 3 + 3 + 2
    assert frame["image"].tolist() == [
        "P01_rest.png", "P01_all.avi#frame=10", "P01_all.avi#frame=30",
        "P01_all.avi#frame=50", "P01_smile.avi#frame=5", "P01_smile.avi#frame=15",
        "P01_smile.avi#frame=25", "C01.mp4#frame=12", "C01.mp4#frame=30"]
    assert data.X[1] == f"{cohort_folder / 'P01_all.avi'}#frame=10"
    assert data.groups.tolist() == ["P01"] * 7 + ["C01"] * 2
    assert data.y.tolist() == [1] * 7 + [0] * 2
    assert frame["expression"].tolist()[4:] == ["smile"] * 3 + ["rest", "smile"]
    assert frame["expression"][1:4].isna().all()
    assert frame["video"].isna().tolist() == [True] + [False] * 8
    assert frame["frame"].tolist()[1:] == [10, 30, 50, 5, 15, 25, 12, 30]
    np.testing.assert_allclose(frame["time_s"][1:4], [10 / 6, 5.0, 50 / 6])
    np.testing.assert_allclose(frame["time_s"][7:], [2.0, 5.0])
    assert "9 images of 2 patients (8 of them frames of 3 video(s))" in data.DESCR
    for x in data.X:
        assert read_image(x).shape[2] == 3
    movement = load_manifest(path, video_n_frames=2, video_method="movement")
    assert len(movement.frame) == 1 + 2 + 2 + 2


def test_manifest_of_images_has_no_video_columns(cohort_folder):
    data = load_manifest(_manifest(cohort_folder, (
        "image,label,patient_id\nP01_rest.png,1,P01\n")))
    assert list(data.frame.columns) == ["image", "label", "patient_id", "path"]


def test_manifest_video_problems_are_all_named(cohort_folder, cut_video):
    path = _manifest(cohort_folder, (
        "image,label,patient_id\n"
        "P01_all.avi,1,P01\n"
        "P01_all.avi#frame=3,1,P01\n"
        "C01.mp4#frame=1,0,C01\n"
        "C01.mp4#frame=2,1,P02\n"
        "gone.mp4,1,P03\n"
    ))
    with pytest.raises(ManifestError) as info:
        load_manifest(path, allow_mixed_patient_labels=True)
    reasons = dict(info.value.problems)
    assert reasons[3].startswith("frame of the video listed whole on line 2")
    assert "is listed for 2 patients: 'C01' (line 4) and 'P02' (line 5)" in reasons[4]
    assert reasons[6].startswith("video file not found")
    # A video that cannot be sampled is named by its line.
    path = _manifest(cohort_folder, "image,label,patient_id\ncut.avi,1,P01\n")
    with pytest.raises(ManifestError, match="line 2 .*truncated or corrupt"):
        load_manifest(path)
    with pytest.raises(ValueError, match="not both"):
        load_manifest(path, video_n_frames=2, video_every=3)


def test_image_folder_with_videos(cohort_folder, tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    for name, target in (("P01_all.avi", "1/P01/all.AVI"),
                         ("P01_rest.png", "1/P01/rest.png"),
                         ("C01.mp4", "0/C01/video.mp4")):
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cohort_folder / name, root / target)
    assert find_images(root) == [("1", "P01", "rest.png")]
    assert len(find_images(root, videos=True)) == 3
    data = load_image_folder(root, video_every=20)
    assert data.frame["image"].tolist() == [
        "0/C01/video.mp4#frame=0", "0/C01/video.mp4#frame=20",
        "0/C01/video.mp4#frame=40", "1/P01/all.AVI#frame=0",
        "1/P01/all.AVI#frame=20", "1/P01/all.AVI#frame=40", "1/P01/rest.png"]
    assert data.groups.tolist() == ["C01"] * 3 + ["P01"] * 4
    assert data.y.tolist() == [0] * 3 + [1] * 4
    assert os.path.isfile(parse_frame_reference(data.X[0])[0])


# --------------------------------------------------------------------------
# Synthetic videos.


@pytest.mark.parametrize("name", ["v.mp4", "v.avi", "v.mov", "v.mkv"])
def test_synthetic_video_codecs(tmp_path, name):
    truth = make_synthetic_video(tmp_path / name, duration=1.0, fps=8,
                                 image_size=64, random_state=0)
    info = video_info(tmp_path / name)
    assert (info.n_frames, info.fps, info.width) == (8, 8.0, 64)
    assert truth.landmarks.shape == (8, 68, 2)
    assert len(list(iter_video_frames(tmp_path / name))) == 8


def test_synthetic_video_ground_truth(patient_videos, tmp_path):
    truth = patient_videos[0]
    assert truth.n_frames == 60 and truth.label == 1 and truth.side == "left"
    # Seven stretches of 10/7 s: rest, then an expression up, held and down.
    assert truth.expression[0] == "rest" and truth.expression[15] == "smile"
    assert truth.intensity[truth.expression == "rest"].max() == 0
    assert truth.intensity.max() == 1
    smile = truth.intensity[truth.expression == "smile"]
    assert smile[0] < 0.1 and np.all(np.diff(smile[: len(smile) // 2]) >= 0)
    # The landmarks are rest + a(t) * (expression - rest), up to the sway.
    rest, apex = np.flatnonzero(truth.expression == "rest")[0], 15
    mouth_width = np.linalg.norm(truth.landmarks[:, 48] - truth.landmarks[:, 54],
                                 axis=1)
    assert mouth_width[apex] > 1.05 * mouth_width[rest]
    with pytest.raises(ValueError, match="cannot write"):
        make_synthetic_video(tmp_path / "v.mp4", duration=0.5, fps=4,
                             image_size=64, fourcc="H264")
    with pytest.raises(ValueError, match="expressions"):
        make_synthetic_video(tmp_path / "v.mp4", expressions=("wink",))
    assert not (tmp_path / "v.mp4").exists()


# --------------------------------------------------------------------------
# Movement from video.


def test_key_frames_match_the_ground_truth(patient_videos):
    for truth in patient_videos:
        frames = video_key_frames(truth.landmarks)
        assert frames["rest"].sum() == 1
        assert truth.intensity[frames["rest"]].item() < 0.05
        peaks = frames[frames["peak"]]
        assert sorted(peaks["expression"]) == ["close_eyes", "raise_eyebrows",
                                               "smile"]
        assert (truth.intensity[peaks.index] > 0.95).all()
        # Inferred expressions: the frames at least halfway into one.
        inferred = frames["expression"].to_numpy()
        moving = truth.intensity >= 0.5
        agree = np.where(moving, inferred == truth.expression, inferred == "rest")
        assert agree.mean() >= 0.9
        # Given labels are kept, and their intensities follow a(t).
        labelled = video_key_frames(truth.landmarks, truth.expression)
        on = truth.expression != "rest"
        assert np.corrcoef(labelled["intensity"][on], truth.intensity[on])[0, 1] > 0.95


def _movement_ratios(truth, landmarks=None, **params):
    frame = pd.DataFrame({
        "patient_id": "P",
        "video": truth.path,
        "expression": None,
        "landmarks": list(truth.landmarks if landmarks is None else landmarks),
    })
    movement = PatientMovement(rest="most-neutral", **params).fit(frame)
    values = pd.DataFrame(movement.transform(frame),
                          columns=movement.get_feature_names_out())
    return values


def test_movement_of_videos_shows_the_palsy(patient_videos):
    ratios = ["movement__brow_elevation_ratio", "movement__eye_closure_ratio",
              "movement__commissure_excursion_ratio"]
    patient, control = patient_videos
    for truth, low, high in ((patient, 0.0, 0.4), (control, 0.9, 1.0)):
        values = _movement_ratios(truth, expression_frames="peak")
        rows = values[ratios].notna().any(axis=1)
        assert rows.sum() == 3  # one peak frame per expression
        peaks = values.loc[rows, ratios].max().to_numpy()  # one per column
        assert ((peaks >= low) & (peaks <= high)).all(), peaks
        assert truth.intensity[rows.to_numpy()].min() > 0.95
    # "all": every frame found to show an expression gets features (those at
    # least halfway into one), rest frames none.
    values = _movement_ratios(patient)
    rows = values.notna().any(axis=1).to_numpy()
    assert rows.sum() >= 0.9 * (patient.intensity >= 0.5).sum()
    assert patient.intensity[rows].min() > 0.3


def test_movement_from_detected_frames(patient_videos):
    """Frame references through PatientMovement's own detection."""
    ratios = ["movement__brow_elevation_ratio", "movement__eye_closure_ratio",
              "movement__commissure_excursion_ratio"]
    ratio = {}
    for truth in patient_videos:
        frames = sample_video_frames(truth.path, every=2)
        frame = frames.assign(patient_id="P", expression=None, path=frames["image"])
        movement = PatientMovement(rest="most-neutral", expression_frames="peak",
                                   backend="mediapipe").fit(frame)
        values = pd.DataFrame(movement.transform(frame),
                              columns=movement.get_feature_names_out())
        ratio[truth.label] = values[ratios].max().to_numpy()
    # MediaPipe reads the brows and eyes of the weak side clearly; the
    # smile less so, but still apart from the control's.
    assert (ratio[1][:2] < 0.3).all() and (ratio[0] > 0.8).all()
    assert ratio[1][2] < ratio[0][2] - 0.1


def test_labelled_rest_is_unchanged_by_the_video_column(patient_videos):
    truth = patient_videos[1]
    frame = pd.DataFrame({"patient_id": "C", "video": truth.path,
                          "expression": truth.expression,
                          "landmarks": list(truth.landmarks)})
    with pytest.warns(MovementWarning, match="no rest"):
        PatientMovement().fit_transform(frame.iloc[10:17])  # no rest frame
    values = PatientMovement().fit_transform(frame)
    assert values.shape == (60, len(movement_feature_names()))
    without = PatientMovement().fit_transform(frame.drop(columns="video"))
    np.testing.assert_array_equal(values, without)
    # The labelled rest frames are the mean rest: every smile frame moves.
    start = movement_feature_names().index("movement__commissure_excursion_right")
    smile = values[truth.expression == "smile", start:start + 4]
    assert np.isfinite(smile).all() and smile[:, 2].min() > 0.9


# --------------------------------------------------------------------------
# The acceptance scenario.


def test_palsy_video_is_predicted_per_frame_and_per_video(
    synthetic_cohort, patient_videos
):
    """A 10-second video of a patient is read lazily, sampled and predicted."""
    cohort = synthetic_cohort(n_patients=12, n_controls=12, image_size=128,
                              severity_range=(0.6, 1.0))
    model = make_pipeline(
        LandmarkDetector(backend="mediapipe"),
        ExpressionFeatures(kinds=("symmetry", "clinical")),
        StandardScaler(),
        LogisticRegression(C=0.1),
    ).fit(cohort.images, cohort.y)
    data = expand_videos([truth.path for truth in patient_videos],
                         groups=["P01", "C01"], n_frames=10, method="movement")
    assert len(data.X) == 20
    proba = model.predict_proba(data.X)[:, 1]
    per_video = pd.Series(proba).groupby(data.groups).mean()
    assert per_video["P01"] > 0.7 and per_video["C01"] < 0.3
    # Per frame, most of the patient's frames read as palsy.
    assert (proba[data.groups == "P01"] > 0.5).mean() >= 0.8
