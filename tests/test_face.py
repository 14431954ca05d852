"""Tests of FaceCropper, LandmarkDetector and the per-image face cache.

Most tests here use dlib's backend explicitly: its 68 points compare
directly with the synthetic renderer's ground truth, and its detector calls
can be counted. The default backend (MediaPipe) is tested in
``test_mediapipe.py``.
"""

import joblib
import numpy as np
import pytest
from PIL import Image
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.exceptions import (
    ImageReadError,
    ImageTooSmallError,
    NoFaceDetectedError,
)
from sklearn_palsy.faces import _dlib
from sklearn_palsy.faces._analysis import (
    MultipleFacesWarning,
    analyze_face,
    clear_face_cache,
    face_cache_info,
    no_face_cache,
)
from sklearn_palsy.preprocessing._face import (
    FaceCropper,
    LandmarkDetector,
    NoFaceFallbackWarning,
)
from sklearn_palsy.preprocessing._features import ExpressionFeatures

TRANSFORMERS = [FaceCropper(size=64), LandmarkDetector()]


def dlib_landmarks(**params):
    """dlib's 68 points, which compare directly with the renderer's ground truth."""
    return LandmarkDetector(backend="dlib", **params)


def dlib_crops(**params):
    """Crops around dlib's detector box."""
    return FaceCropper(backend="dlib", **params)


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=4, n_controls=4, expressions=("rest", "smile"),
                            image_size=160, on_disk=True)


@pytest.fixture
def count_detector_calls(monkeypatch):
    """Count the real dlib detector's runs; the cache starts empty."""
    clear_face_cache()
    calls = []
    real = _dlib.detect_faces

    def counting(image, **kwargs):
        calls.append(image.shape)
        return real(image, **kwargs)

    monkeypatch.setattr(_dlib, "detect_faces", counting)
    yield calls
    clear_face_cache()


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: type(t).__name__)
def test_api_checks(transformer):
    name = type(transformer).__name__
    check_no_attributes_set_in_init(name, transformer)
    check_parameters_default_constructible(name, transformer)
    check_get_params_invariance(name, transformer)
    check_set_params(name, transformer)
    assert repr(transformer).startswith(name)
    cloned = clone(transformer)
    assert cloned is not transformer
    assert cloned.get_params() == transformer.get_params()


def test_face_cropper_centres_the_face(cohort):
    crops = dlib_crops(size=96, margin=0.25).fit_transform(cohort.X)
    assert crops.shape == (len(cohort.X), 96, 96, 3) and crops.dtype == np.uint8
    # The crop is not a plain centre square: it differs from one.
    full = np.asarray(Image.open(cohort.X[0]).resize((96, 96)))
    assert np.abs(crops[0].astype(int) - full).mean() > 10
    # Map the ground-truth nose tip into the crop: it sits near the centre.
    landmarks = dlib_landmarks().fit_transform(cohort.X)
    from sklearn_palsy.faces._analysis import analyze_faces

    for analysis, truth in zip(analyze_faces(cohort.X), cohort.landmarks, strict=True):
        left, top, right, bottom = analysis.box
        side = max(right - left, bottom - top) * 1.5
        centre = np.array([(left + right) / 2, (top + bottom) / 2])
        nose = (truth[30] - (centre - side / 2)) / side * 96
        assert np.all(np.abs(nose - 48) < 20)
    assert landmarks.shape == (len(cohort.X), 68, 2)


def test_landmarks_match_ground_truth(cohort):
    landmarks = dlib_landmarks().fit_transform(cohort.X)
    truth = cohort.landmarks
    iod = np.linalg.norm(truth[:, 36:42].mean(1) - truth[:, 42:48].mean(1), axis=1)
    error = np.linalg.norm(landmarks - truth, axis=2) / iod[:, None]
    assert np.median(error) < 0.1


def test_paths_and_arrays_give_the_same_result(cohort):
    from_paths = dlib_landmarks().fit_transform(cohort.X[:3])
    arrays = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in cohort.X[:3]])
    np.testing.assert_allclose(dlib_landmarks().fit_transform(arrays), from_paths)
    np.testing.assert_array_equal(
        dlib_crops(size=48).fit_transform(list(arrays)),
        dlib_crops(size=48).fit_transform(cohort.X[:3]),
    )


def _no_face_image(path):
    gradient = np.linspace(0, 255, 200 * 200 * 3).reshape(200, 200, 3)
    Image.fromarray(gradient.astype(np.uint8)).save(path)
    return str(path)


def test_no_face_raises_naming_the_file_or_falls_back(tmp_path):
    path = _no_face_image(tmp_path / "wall.png")
    with pytest.raises(NoFaceDetectedError, match="wall.png"):
        dlib_crops().fit_transform([path])
    with pytest.raises(NoFaceDetectedError, match="wall.png"):
        dlib_landmarks().fit_transform([path])
    with pytest.warns(NoFaceFallbackWarning, match="wall.png"):
        crop = dlib_crops(size=50, on_missing="center").fit_transform([path])
    expected = np.asarray(Image.open(path).resize((50, 50), Image.BILINEAR))
    assert np.abs(crop[0].astype(int) - expected).mean() < 3
    with pytest.warns(NoFaceFallbackWarning, match="wall.png"):
        landmarks = dlib_landmarks(on_missing="nan").fit_transform([path])
    assert np.isnan(landmarks).all()


def test_two_faces_take_the_largest_and_say_so(cohort):
    big = np.asarray(Image.open(cohort.X[0]).convert("RGB"))
    small = np.asarray(Image.open(cohort.X[2]).convert("RGB").resize((120, 120)))
    canvas = np.full((240, 400, 3), 128, np.uint8)
    canvas[40:200, 0:160] = big
    canvas[60:180, 260:380] = small
    with pytest.warns(MultipleFacesWarning, match="2 faces"):
        landmarks = dlib_landmarks().fit_transform([canvas])
    # The landmarks are those of the big face on the left.
    assert landmarks[0, :, 0].max() < 170


@pytest.mark.parametrize(
    "content, error",
    [(b"", ImageReadError), (b"not an image at all", ImageReadError)],
    ids=["zero-byte", "text-named-png"],
)
def test_bad_files_raise_naming_the_file(tmp_path, content, error):
    path = tmp_path / "broken.png"
    path.write_bytes(content)
    for transformer in (dlib_crops(), dlib_landmarks()):
        with pytest.raises(error, match="broken.png"):
            transformer.fit_transform([str(path)])


def test_missing_and_tiny_files_raise_naming_the_file(tmp_path):
    with pytest.raises(ImageReadError, match="missing.png"):
        dlib_landmarks().fit_transform([str(tmp_path / "missing.png")])
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tiny)
    with pytest.raises(ImageTooSmallError, match="tiny.png"):
        dlib_crops().fit_transform([str(tiny)])


def test_detection_runs_once_per_distinct_image_in_a_grid_search(
    cohort, count_detector_calls
):
    model = make_pipeline(
        dlib_landmarks(), ExpressionFeatures(kinds=("symmetry",)),
        LogisticRegression(max_iter=1000),
    )
    search = GridSearchCV(
        model, {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}, cv=GroupKFold(3)
    )
    search.fit(cohort.X, cohort.y, groups=cohort.groups)
    assert len(search.cv_results_["params"]) == 4
    assert len(count_detector_calls) == len(set(cohort.X)) == len(cohort.X)
    assert face_cache_info()["computed"] == len(cohort.X)


def test_identical_content_at_two_paths_is_detected_once(
    cohort, tmp_path, count_detector_calls
):
    copy = tmp_path / "copy.png"
    copy.write_bytes(open(cohort.X[0], "rb").read())
    landmarks = dlib_landmarks().fit_transform([cohort.X[0], str(copy)])
    assert len(count_detector_calls) == 1
    np.testing.assert_array_equal(landmarks[0], landmarks[1])


def test_disk_cache_is_reused_after_the_memory_cache_is_cleared(
    cohort, tmp_path, count_detector_calls
):
    first = dlib_landmarks(cache_dir=tmp_path).fit_transform(cohort.X[:4])
    assert len(count_detector_calls) == 4
    clear_face_cache()
    second = dlib_landmarks(cache_dir=tmp_path).fit_transform(cohort.X[:4])
    assert len(count_detector_calls) == 4
    np.testing.assert_array_equal(first, second)


def test_no_face_cache_detects_every_time_and_keeps_earlier_entries(
    cohort, tmp_path, count_detector_calls
):
    images = cohort.X[:3]
    cached = dlib_landmarks(cache_dir=tmp_path).fit_transform(images)
    assert len(count_detector_calls) == 3
    with no_face_cache():
        for _ in range(2):
            again = dlib_landmarks(cache_dir=tmp_path).fit_transform(images)
            np.testing.assert_array_equal(again, cached)
    assert len(count_detector_calls) == 3 + 2 * 3
    # Outside the block the entries cached before it serve again.
    dlib_landmarks(cache_dir=tmp_path).fit_transform(images)
    assert len(count_detector_calls) == 9


def test_no_face_cache_switches_the_cache_off_for_its_own_thread_only(
    cohort, count_detector_calls
):
    """A block in one thread leaves another thread's cache on, and blocks that
    overlap in two threads do not switch the cache back on under each other."""
    import threading

    images = cohort.X[:2]
    dlib_landmarks().fit_transform(images)
    assert len(count_detector_calls) == 2
    inside, left, done = threading.Event(), threading.Event(), threading.Event()

    def blocked_thread():
        with no_face_cache():
            inside.set()
            left.wait(timeout=30)  # the main thread's block has ended
            dlib_landmarks().fit_transform(images)  # still off here
        done.set()

    worker = threading.Thread(target=blocked_thread)
    worker.start()
    assert inside.wait(timeout=30)
    # The other thread's block does not reach this one: cached, no detection.
    dlib_landmarks().fit_transform(images)
    assert len(count_detector_calls) == 2
    with no_face_cache():
        dlib_landmarks().fit_transform(images)
    assert len(count_detector_calls) == 4
    left.set()
    assert done.wait(timeout=60)
    worker.join()
    # The worker detected afresh though this thread's block had ended first.
    assert len(count_detector_calls) == 6


def test_n_jobs_gives_the_same_landmarks(cohort):
    clear_face_cache()
    parallel = dlib_landmarks(n_jobs=2).fit_transform(cohort.X[:6])
    clear_face_cache()
    sequential = dlib_landmarks().fit_transform(cohort.X[:6])
    np.testing.assert_array_equal(parallel, sequential)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=lambda t: type(t).__name__)
def test_idempotent_fit_and_joblib_round_trip(transformer, cohort, tmp_path):
    first = clone(transformer).fit(cohort.X[:3]).transform(cohort.X[:3])
    fitted = clone(transformer).fit(cohort.X[:3]).fit(cohort.X[:3])
    np.testing.assert_array_equal(fitted.transform(cohort.X[:3]), first)
    joblib.dump(fitted, tmp_path / "t.joblib")
    loaded = joblib.load(tmp_path / "t.joblib")
    np.testing.assert_array_equal(loaded.transform(cohort.X[:3]), first)


def paper_cohort_landmarks(seed=1):
    """The paper-sized cohort (21 + 21 people, 5 expressions) with dlib's landmarks."""
    cohort = make_synthetic_cohort(random_state=seed)
    landmarks = dlib_landmarks(on_missing="nan").fit_transform(cohort.X)
    return cohort, landmarks


@pytest.fixture(scope="module")
def paper_cohort():
    return paper_cohort_landmarks()


def detected_symmetry_aucs(cohort, landmarks):
    """Per-fold ROC AUC (GroupKFold(5)) of a logistic regression on the
    symmetry features of the detected landmarks."""
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import StandardScaler

    found = np.isfinite(landmarks).all(axis=(1, 2))
    model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)), StandardScaler(),
                          LogisticRegression(max_iter=1000))
    return cross_val_score(model, landmarks[found], cohort.y[found],
                           groups=cohort.groups[found], cv=GroupKFold(5),
                           scoring="roc_auc")


def test_transformers_succeed_on_95_percent_of_the_cohort(paper_cohort):
    cohort, landmarks = paper_cohort
    found = np.isfinite(landmarks).all(axis=(1, 2))
    assert found.mean() >= 0.95
    crops = dlib_crops(size=64, on_missing="center").fit_transform(cohort.X)
    assert crops.shape == (len(cohort.X), 64, 64, 3)


def test_symmetry_features_of_detected_landmarks_separate_palsy(paper_cohort):
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 1 / 2 / 3, AVX2 and
    # the default ISA alike): 0.945 / 0.937 / 0.977, min 0.937.
    assert detected_symmetry_aucs(*paper_cohort).mean() >= 0.9


def test_progress_bar_unless_verbose_is_zero(cohort, capsys):
    clear_face_cache()
    dlib_landmarks(verbose=1).fit_transform(cohort.X[:2])
    assert "faces (dlib)" in capsys.readouterr().err
    clear_face_cache()
    dlib_landmarks(verbose=0).fit_transform(cohort.X[:2])
    assert "faces (dlib)" not in capsys.readouterr().err


# --- the on-disk cache runs no code and checks what it reads --------------------

class _PlantedPayload:
    """Unpickling this creates a marker file: the proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _entry_paths(cache_dir):
    return sorted(p for p in cache_dir.rglob("*") if p.is_file())


def test_a_planted_pickle_in_the_cache_folder_does_not_run(cohort, tmp_path):
    from sklearn_palsy.faces._analysis import (
        DEFAULT_DETECT_MAX_SIDE,
        FaceCacheWarning,
        _cache_key,
        _disk_path,
    )
    from sklearn_palsy.faces._io import DEFAULT_MAX_PIXELS, image_id

    clear_face_cache()
    expected = dlib_landmarks().fit_transform(cohort.X[:1])
    clear_face_cache()
    cache_dir, marker = tmp_path / "shared", tmp_path / "code-ran"
    key = _cache_key(image_id(cohort.X[0]), "dlib", DEFAULT_MAX_PIXELS,
                     DEFAULT_DETECT_MAX_SIDE)
    entry = _disk_path(cache_dir, key)
    entry.parent.mkdir(parents=True)
    # The same payload where an entry is read now and where it used to be.
    joblib.dump(_PlantedPayload(marker), entry)
    joblib.dump(_PlantedPayload(marker), entry.with_suffix(".joblib"))
    with pytest.warns(FaceCacheWarning, match="malformed"):
        landmarks = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    assert not marker.exists()
    np.testing.assert_array_equal(landmarks, expected)
    # The bad entry was replaced by a good one, which is read without a warning.
    clear_face_cache()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", FaceCacheWarning)
        again = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    np.testing.assert_array_equal(again, expected)
    clear_face_cache()


def _corrupt(entry, how):
    import json

    data = json.loads(entry.read_text())
    if how == "landmarks shape":
        data["landmarks"] = data["landmarks"][:10]
    elif how == "nan landmark":
        entry.write_text(entry.read_text().replace(
            str(data["landmarks"][0][0]), "NaN", 1))
        return
    elif how == "other backend":
        data["backend"] = "mediapipe"
    elif how == "other key":
        data["key"] = "0" * 64
    elif how == "extra field":
        data["__class__"] = "os.system"
    elif how == "no face but landmarks":
        data["n_faces"] = 0
    elif how == "string numbers":
        data["box"] = [str(v) for v in data["box"]]
    elif how == "too large":
        entry.write_text(" " * (2 << 20) + json.dumps(data))
        return
    elif how == "deep nesting":
        entry.write_text("[" * 100_000 + "]" * 100_000)
        return
    entry.write_text(json.dumps(data))


@pytest.mark.parametrize("how", [
    "landmarks shape", "nan landmark", "other backend", "other key", "extra field",
    "no face but landmarks", "string numbers", "too large", "deep nesting",
    "fifo", "symlink",
])
def test_malformed_cache_entries_are_misses_with_a_warning(
    cohort, tmp_path, count_detector_calls, how
):
    import os

    from sklearn_palsy.faces._analysis import FaceCacheWarning

    cache_dir = tmp_path / "cache"
    expected = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    (entry,) = _entry_paths(cache_dir)
    if how == "fifo":
        entry.unlink()
        os.mkfifo(entry)
    elif how == "symlink":
        target = tmp_path / "elsewhere.json"
        entry.rename(target)
        entry.symlink_to(target)
    else:
        _corrupt(entry, how)
    clear_face_cache()
    with pytest.warns(FaceCacheWarning, match=str(entry.name)):
        landmarks = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    np.testing.assert_array_equal(landmarks, expected)
    assert len(count_detector_calls) == 2  # detected again


def test_a_well_formed_planted_entry_is_used_as_the_docs_warn(
    cohort, tmp_path, count_detector_calls
):
    """What a writable shared cache folder still allows, tested: the docs say it."""
    import json

    cache_dir = tmp_path / "cache"
    detected = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    (entry,) = _entry_paths(cache_dir)
    data = json.loads(entry.read_text())
    data["landmarks"][48][1] += 5.0  # one mouth corner 5 px lower
    entry.write_text(json.dumps(data))
    clear_face_cache()
    planted = dlib_landmarks(cache_dir=cache_dir).fit_transform(cohort.X[:1])
    assert len(count_detector_calls) == 1
    assert planted[0, 48, 1] == detected[0, 48, 1] + 5.0


# --- detection on a bounded copy -------------------------------------------------

def test_detection_runs_on_a_bounded_copy_and_landmarks_on_the_full_image(
    cohort, tmp_path, count_detector_calls
):
    import cv2

    face = np.asarray(Image.open(cohort.X[0]).convert("RGB"))
    big = cv2.resize(face, (1600, 1600), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "big.png"
    Image.fromarray(big).save(path)
    bounded = dlib_landmarks(detect_max_side=400).fit_transform([str(path)])
    # The largest level of dlib's pyramid within 400 px: 1600 * (5/6)**8.
    assert count_detector_calls == [(372, 372, 3)]
    full = dlib_landmarks(detect_max_side=None).fit_transform([str(path)])
    assert count_detector_calls[1] == (1600, 1600, 3)
    with no_face_cache():
        boxes = [analyze_face(str(path), backend="dlib", detect_max_side=side).box
                 for side in (400, None)]
    # Within dlib's own rounding of a box mapped up eight levels.
    np.testing.assert_allclose(boxes[0], boxes[1], atol=6)
    # The landmarks are in the full image's pixels and barely move: the box
    # found at a quarter of the size differs by a few pixels, and the
    # predictor follows it (about 0.01 of the inter-ocular distance).
    inter_ocular = np.linalg.norm(full[0, 36:42].mean(0) - full[0, 42:48].mean(0))
    change = np.linalg.norm(bounded[0] - full[0], axis=1)
    assert inter_ocular > 300
    assert np.median(change) <= 0.02 * inter_ocular
    small = dlib_landmarks(detect_max_side=None).fit_transform(cohort.X[:1])
    np.testing.assert_allclose(bounded[0] / 10, small[0], atol=1.5)


def test_a_64_megapixel_blank_image_is_answered_in_seconds(tmp_path):
    import time

    path = tmp_path / "blank.png"
    Image.new("L", (8000, 8000), 200).save(path)
    clear_face_cache()
    start = time.perf_counter()
    with pytest.raises(NoFaceDetectedError, match="blank.png"):
        dlib_landmarks().fit_transform([str(path)])
    assert time.perf_counter() - start < 10
    clear_face_cache()


def test_detect_max_side_is_validated():
    with pytest.raises(ValueError, match="detect_max_side"):
        dlib_landmarks(detect_max_side=10).fit_transform(
            np.zeros((1, 64, 64, 3), np.uint8))


# --- scikit-learn conformance: pandas output, DataFrames of paths ----------------

def test_set_output_pandas_on_the_paper_feature_pipeline_and_image_pipelines(cohort):
    import pandas as pd

    from sklearn_palsy import make_paper_pipelines

    models = make_paper_pipelines(ffnn_epochs=2, image_size=32, random_state=0)
    features = models["features_ffnn"][:-1].set_output(transform="pandas")
    table = features.fit_transform(cohort.X)
    assert isinstance(table, pd.DataFrame)
    names = features.named_steps["features"].get_feature_names_out()
    assert list(table.columns) == list(names) and len(names) == 63
    # Image and landmark steps keep returning arrays; what follows them names
    # its columns.
    lines = models["lines_resnet"][:-1].set_output(transform="pandas")
    assert lines.fit_transform(cohort.X[:2]).shape == (2, 32, 32)
    detector = make_pipeline(dlib_landmarks(), ExpressionFeatures(kinds=("symmetry",)))
    frame = detector.set_output(transform="pandas").fit_transform(cohort.X[:3])
    assert isinstance(frame, pd.DataFrame) and frame.shape == (3, 29)
    crops = dlib_crops(size=32).set_output(transform="pandas")
    assert crops.fit_transform(cohort.X[:2]).shape == (2, 32, 32, 3)
    # A whole configuration still fits and predicts with pandas output on.
    model = models["features_ffnn"].set_output(transform="pandas")
    assert model.fit(cohort.X, cohort.y).predict_proba(cohort.X).shape == (16, 2)
    with pytest.raises(ValueError, match="transform must be"):
        dlib_landmarks().set_output(transform="arrow")


def test_a_one_column_dataframe_of_paths_is_accepted(cohort):
    import pandas as pd

    frame = pd.DataFrame({"image": cohort.X[:3], "label": cohort.y[:3]})
    from_frame = dlib_landmarks().fit_transform(frame[["image"]])
    np.testing.assert_array_equal(from_frame,
                                  dlib_landmarks().fit_transform(frame["image"]))
    np.testing.assert_array_equal(
        from_frame, dlib_landmarks().fit_transform(np.asarray(cohort.X[:3])[:, None]))
    with pytest.raises(ValueError, match="1-D array of image paths"):
        dlib_landmarks().fit_transform(frame)


def test_dlib_detects_large_photos_on_a_level_of_its_own_pyramid():
    from sklearn_palsy.faces._analysis import _detection_copy, _dlib_box_up

    image = np.zeros((1536, 2048, 3), np.uint8)
    small, scale = _detection_copy(image, 1024, step=5 / 6)
    assert scale == pytest.approx((5 / 6) ** 4)
    assert small.shape[:2] == (741, 988)
    assert _detection_copy(image, 1024)[1] == 0.5
    assert _detection_copy(image[:800, :1000], 1024, step=5 / 6)[1] == 1.0
    # dlib's point_up, four times: p -> p * 6/5 + 0.3.
    expected = 100.0
    for _ in range(4):
        expected = expected * 6 / 5 + 0.3
    assert _dlib_box_up([100, 100, 100, 100], scale) == pytest.approx([expected] * 4)

