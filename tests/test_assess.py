"""Tests of the assessment of patients: assess_images, its report and command."""

import base64
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_palsy.cli import assess_images, main, predict_images
from sklearn_palsy.clinical import (
    DYNAMIC_ITEMS,
    MOVEMENTS,
    REGIONS,
    STATIC_ITEMS,
    regional_score_names,
)
from sklearn_palsy.exceptions import ImageBatchError, ImageFileNotFoundError
from sklearn_palsy.reporting import write_assessment

EXPRESSIONS = ("rest", "smile", "raise_eyebrows", "close_eyes")
COHORT = {"n_patients": 3, "n_controls": 3, "expressions": EXPRESSIONS,
          "image_size": 160}
MOVEMENT_COLUMNS = [f"movement__{name}_ratio" for name, _, _ in MOVEMENTS]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(on_disk=True, **COHORT)


@pytest.fixture(scope="module")
def assessed(cohort, tmp_path_factory):
    """The cohort's assessment, and the folder it was written to."""
    assessment = assess_images(cohort.manifest, backend="dlib")
    out = tmp_path_factory.mktemp("assessment")
    return assessment, write_assessment(assessment, out)


@pytest.fixture(scope="module")
def model_file(cohort, tmp_path_factory):
    from sklearn_palsy.io import save_model
    from sklearn_palsy.paper import train_model

    model = train_model(cohort.manifest, "features_ffnn", ffnn_epochs=3,
                        backend="dlib")
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    save_model(model, path)
    return path


class _Report(HTMLParser):
    """The cards of a report, each with its images' sources, and its text."""

    def __init__(self, text):
        super().__init__()
        self.cards, self.images_outside, self.text = [], [], []
        self.tags = []
        self._depth = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section" and attrs.get("class") == "card":
            self.cards.append({"id": attrs["id"], "images": [], "text": []})
            self._depth = 0
        elif tag == "section" and self._depth is not None:
            self._depth += 1
        if tag == "img":
            inside = self._depth is not None
            (self.cards[-1]["images"] if inside else self.images_outside).append(
                attrs["src"])

    def handle_endtag(self, tag):
        if tag == "section" and self._depth is not None:
            self._depth = None if self._depth == 0 else self._depth - 1

    def handle_data(self, data):
        data = data.strip()
        if not data:
            return
        self.text.append(data)
        if self._depth is not None:
            self.cards[-1]["text"].append(data)


def _decode_png(source):
    prefix = "data:image/png;base64,"
    assert source.startswith(prefix)
    data = base64.b64decode(source[len(prefix):], validate=True)
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.size


def _truth(cohort, column):
    return cohort.frame.groupby("patient_id", sort=False)[column].first()


# --- on the cohort's manifest --------------------------------------------------


def test_manifest_gives_one_row_per_patient_with_the_documented_columns(
        assessed, cohort):
    assessment, paths = assessed
    patients = assessment.patients
    assert list(patients.columns) == [
        "patient_id", "label", "n_photos", "expressions", "rest_image",
        "landmark_backend", *regional_score_names(), *MOVEMENT_COLUMNS, "notes",
    ]
    assert list(patients.patient_id) == list(pd.unique(cohort.groups))
    assert list(patients.label) == list(_truth(cohort, "label"))
    assert (patients.n_photos == 4).all()
    assert (patients.expressions == ";".join(EXPRESSIONS)).all()
    assert [Path(path).name for path in patients.rest_image] == [
        f"{patient}_rest_0.png" for patient in patients.patient_id]
    assert (patients.landmark_backend == "dlib").all() and assessment.backend == "dlib"
    assert (patients.notes == "").all()
    # Every photo has a face: 24 analysed, each scored as what it shows.
    images = assessment.images
    assert len(images) == 24 and len(assessment.failures) == 0
    assert (images.role == np.where(images.expression == "rest", "rest",
                                    "expression")).all()
    assert assessment.landmarks.shape == (24, 68, 2)
    # The table on disk is the same one.
    table = pd.read_csv(paths.table, dtype={"patient_id": str})
    assert list(table.columns) == list(patients.columns)
    assert list(table.patient_id) == list(patients.patient_id)
    np.testing.assert_allclose(table.static_score, patients.static_score)
    assert list(table.affected_side) == list(patients.affected_side)


def test_scores_are_high_for_controls_and_lower_for_patients(assessed, cohort):
    patients = assessed[0].patients.set_index("patient_id")
    label = _truth(cohort, "label")
    regions = patients[list(REGIONS)].mean(axis=1)
    assert regions[label == 0].mean() > 85
    assert regions[label == 1].mean() < regions[label == 0].mean() - 10
    assert patients.loc[label == 0, "static_score"].mean() > 90
    # Scores lie in [0, 100]; the static items come from every rest photo and
    # the movements of the three expression photos are there.
    scores = patients[[*STATIC_ITEMS, *DYNAMIC_ITEMS, *REGIONS]].to_numpy(float)
    finite = scores[np.isfinite(scores)]
    assert ((finite >= 0) & (finite <= 100)).all()
    assert patients[list(STATIC_ITEMS)].notna().all().all()
    assert patients[["eye_closure", "oral_commissure_with_smile"]].notna().all().all()
    # No photo shows the lower teeth, nor a pucker.
    assert patients.lower_lip_movement.isna().all()
    assert patients["movement__pucker_excursion_ratio"].isna().all()
    ratios = patients[["movement__brow_elevation_ratio",
                       "movement__eye_closure_ratio",
                       "movement__commissure_excursion_ratio"]]
    assert ratios.notna().all().all() and ratios.stack().between(0, 1).all()


def test_affected_side_matches_the_cohort(assessed, cohort):
    patients = assessed[0].patients.set_index("patient_id")
    side = _truth(cohort, "side")
    found = patients.affected_side.reindex(side.index)
    with_palsy = side != "none"
    assert (found[with_palsy] == side[with_palsy]).sum() >= 2
    # Never the wrong side.
    assert not (found[with_palsy] == side[with_palsy].map(
        {"left": "right", "right": "left"})).any()
    assert patients.side_confidence.between(0, 1).all()


def test_report_is_self_contained_with_one_card_per_patient(assessed):
    assessment, paths = assessed
    text = Path(paths.report).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "http" not in text.lower() and "<script" not in text.lower()
    assert "<link" not in text.lower()
    report = _Report(text)
    assert report.tags.count("html") == 1 and report.tags.count("body") == 1
    ids = list(assessment.patients.patient_id)
    assert [card["id"] for card in report.cards] == [
        f"patient-{number}" for number in range(len(ids))]
    for card, patient in zip(report.cards, ids, strict=True):
        assert card["text"][0] == patient  # the card's heading
        # The rest photo, the three expression photos, the bars.
        assert len(card["images"]) == 5
        sizes = [_decode_png(source) for source in card["images"]]
        assert sizes[:4] == [(180, 180)] * 4
        assert sizes[4] == (300, 180)
        captions = " ".join(card["text"])
        for expression in EXPRESSIONS:
            assert f"{expression}: {patient}_{expression}_0.png" in captions
    assert report.images_outside == []
    whole = " ".join(report.text)
    assert whole.index("not a medical device") < whole.index(ids[0])
    assert whole.rindex("Software") > whole.rindex(ids[-1])
    assert "scikit-learn" in whole.split("Software")[-1]
    # Small: about 20 kB per figure.
    assert Path(paths.report).stat().st_size < 6 * 30_000 * len(ids)


# --- photos without a manifest -------------------------------------------------


def test_folder_of_single_photos_gives_one_patient_each_at_rest(
        cohort, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    rests = [path for path in cohort.X if path.endswith("_rest_0.png")][:4]
    for path in rests:
        shutil.copy(path, folder / Path(path).name)
    out = tmp_path / "out"
    assert main(["assess", str(folder), "--out", str(out), "--backend", "dlib",
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "4 patient(s), 4 photo(s), landmarks by dlib" in printed
    assert str(out / "report.html") in printed and "not a medical device" in printed
    table = pd.read_csv(out / "assessment.csv")
    assert sorted(table.patient_id) == sorted(Path(path).stem for path in rests)
    assert (table.n_photos == 1).all() and (table.expressions == "rest").all()
    assert table[list(DYNAMIC_ITEMS)].isna().all().all()
    assert table[MOVEMENT_COLUMNS].isna().all().all()
    assert table[list(STATIC_ITEMS)].notna().all().all()
    assert table.dynamic_score.isna().all() and table.static_score.notna().all()
    assert "label" not in table
    report = _Report((out / "report.html").read_text(encoding="utf-8"))
    assert len(report.cards) == 4
    assert all(len(card["images"]) == 2 for card in report.cards)


def test_photos_with_one_stem_in_two_folders_stay_two_patients(cohort, tmp_path):
    rest = next(path for path in cohort.X if path.endswith("_rest_0.png"))
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(rest, tmp_path / folder / "face.png")
    assessment = assess_images(
        [str(tmp_path / "a" / "face.png"), str(tmp_path / "b" / "face.png")],
        backend="dlib")
    assert list(assessment.patients.patient_id) == ["a/face", "b/face"]


def test_patient_without_rest_photo_and_expression_spellings(cohort, tmp_path,
                                                               capsys):
    frame = cohort.frame[cohort.frame.patient_id.isin(["P01", "C01"])].copy()
    frame["image"] = [str(Path(cohort.manifest).parent / image)
                      for image in frame.image]
    frame = frame[~((frame.patient_id == "P01") & (frame.expression == "rest"))]
    frame.loc[(frame.patient_id == "C01") & (frame.expression == "raise_eyebrows"),
              "expression"] = "Raise eyebrows"
    frame.loc[(frame.patient_id == "P01") & (frame.expression == "close_eyes"),
              "expression"] = "wink"
    manifest = tmp_path / "manifest.csv"
    frame.to_csv(manifest, index=False)
    with pytest.warns(UserWarning, match=r"1 patient\(s\) without a rest photo: P01"):
        assessment = assess_images(manifest, backend="dlib")
    patients = assessment.patients.set_index("patient_id")
    assert Path(patients.loc["P01", "rest_image"]).name == "P01_smile_0.png"
    assert "no rest photo: the smile photo P01_smile_0.png stands in" in (
        patients.loc["P01", "notes"])
    assert "wink not scored" in patients.loc["P01", "notes"]
    assert patients.loc["C01", "notes"] == ""
    assert patients.loc["P01", list(STATIC_ITEMS)].notna().all()
    # The stand-in is not compared with itself: no smile items.
    assert np.isnan(patients.loc["P01", "oral_commissure_with_smile"])
    assert np.isnan(patients.loc["P01", "movement__commissure_excursion_ratio"])
    images = assessment.images.set_index(assessment.images.image.map(
        lambda path: Path(path).name))
    assert images.loc["P01_smile_0.png", "role"] == "rest"
    assert images.loc["P01_close_eyes_0.png", "role"] == "not scored"
    assert images.loc["C01_raise_eyebrows_0.png", "expression"] == "raise_eyebrows"
    assert images.loc["C01_raise_eyebrows_0.png", "role"] == "expression"
    assert patients.loc["C01", "movement__brow_elevation_ratio"] > 0.5
    paths = write_assessment(assessment, tmp_path / "out")
    report = Path(paths.report).read_text(encoding="utf-8")
    assert "smile (as rest): P01_smile_0.png" in report
    assert "wink not scored" in report
    # The command says it in one line.
    assert main(["assess", str(manifest), "--out", str(tmp_path / "cli"),
                 "--backend", "dlib", "--quiet", "--no-model"]) == 0
    err = capsys.readouterr().err
    assert err == ("sklearn-palsy: warning: 1 patient(s) without a rest photo: "
                   "P01; their first photo stands in for it\n")


# --- with a model ---------------------------------------------------------------


def test_model_probabilities_per_patient_are_the_mean_over_photos(
        cohort, model_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["assess", cohort.manifest, "--out", str(out), "--model",
                 str(model_file), "--backend", "dlib", "--quiet"]) == 0
    assert "6 patient(s), 24 photo(s)" in capsys.readouterr().out
    table = pd.read_csv(out / "assessment.csv", dtype={"patient_id": str})
    assert list(table.columns[-3:]) == ["probability", "predicted_label", "notes"]

    assessment = assess_images(cohort.manifest, model=model_file, backend="dlib")
    images = assessment.images
    # Per image, exactly what predict_images gives.
    from sklearn_palsy.io import load_model

    expected, _ = predict_images(load_model(model_file), list(images.image),
                                 backend="dlib")
    np.testing.assert_allclose(images.probability, expected.probability)
    assert list(images.predicted_label) == list(expected.label)
    # Per patient, the mean over the patient's photos, in [0, 1].
    means = images.groupby("patient_id", sort=False).probability.mean()
    patients = assessment.patients.set_index("patient_id")
    np.testing.assert_allclose(patients.probability, means[patients.index])
    np.testing.assert_allclose(table.probability, means[table.patient_id])
    assert patients.probability.between(0, 1).all()
    assert list(patients.predicted_label) == list((means > 0.5).astype(int))
    assert list(assessment.classes) == [0, 1]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "model (mean over photos): P(1) = " in report


def _path_length(X):
    return np.array([[len(Path(path).stem)] for path in X], dtype=float)


def test_multi_class_model_gives_class_probabilities_and_class(cohort):
    classes = np.array(["central", "none", "peripheral"])
    y = classes[np.arange(len(cohort.X)) % 3]
    model = make_pipeline(FunctionTransformer(_path_length),
                          LogisticRegression()).fit(cohort.X, y)
    assessment = assess_images(cohort.manifest, model=model, backend="dlib")
    columns = [f"probability_{label}" for label in classes]
    images, patients = assessment.images, assessment.patients
    np.testing.assert_allclose(images[columns], model.predict_proba(cohort.X))
    means = images.groupby("patient_id", sort=False)[columns].mean()
    np.testing.assert_allclose(patients[columns], means.loc[patients.patient_id])
    np.testing.assert_allclose(patients[columns].sum(axis=1), 1.0)
    assert list(patients.predicted_label) == list(
        classes[np.argmax(means.loc[patients.patient_id].to_numpy(), axis=1)])
    assert list(images.predicted_label) == list(model.predict(cohort.X))


# --- failures ------------------------------------------------------------------


@pytest.fixture
def bad_photos(cohort, tmp_path):
    """A good photo, a file that does not exist, and a photo without a face."""
    good = next(path for path in cohort.X if path.endswith("_rest_0.png"))
    blank = tmp_path / "blank.png"
    Image.new("RGB", (160, 160), (128, 128, 128)).save(blank)
    return good, str(tmp_path / "missing.png"), str(blank)


def test_missing_file_and_photo_without_a_face_raise_naming_them(bad_photos,
                                                                 tmp_path, capsys):
    good, missing, blank = bad_photos
    with pytest.raises(ImageFileNotFoundError, match="missing.png"):
        assess_images([good, missing, blank], backend="dlib")
    with pytest.raises(ImageBatchError, match="blank.png") as error:
        assess_images([good, blank], backend="dlib")
    assert list(error.value.failures.image) == [blank]
    assert "no face" in error.value.failures.error[0]
    out = tmp_path / "out"
    assert main(["assess", good, blank, "--out", str(out), "--backend", "dlib",
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error:") and "blank.png" in err
    assert "Traceback" not in err and not (out / "report.html").exists()


def test_skip_lists_the_failures(bad_photos, tmp_path, capsys):
    good, missing, blank = bad_photos
    assessment = assess_images([good, missing, blank], backend="dlib",
                               on_error="skip")
    assert list(assessment.failures.image) == [missing, blank]
    assert list(assessment.patients.patient_id) == [Path(good).stem]
    assert list(assessment.images.image) == [good]
    out, failures = tmp_path / "out", tmp_path / "failures.csv"
    assert main(["assess", good, missing, blank, "--out", str(out), "--backend",
                 "dlib", "--on-error", "skip", "--failures", str(failures),
                 "--quiet"]) == 0
    assert "skipped 2 image(s)" in capsys.readouterr().err
    assert list(pd.read_csv(failures).image) == [missing, blank]
    assert len(pd.read_csv(out / "assessment.csv")) == 1
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Photos not analysed" in report and "blank.png" in report
    # Nothing left: empty tables with every column, a report without cards.
    nothing = assess_images([missing, blank], backend="dlib", on_error="skip")
    assert len(nothing.patients) == 0 and len(nothing.images) == 0
    assert list(nothing.patients.columns) == list(assessment.patients.columns)
    paths = write_assessment(nothing, tmp_path / "empty")
    assert _Report(Path(paths.report).read_text(encoding="utf-8")).cards == []


def test_bad_input_gives_one_line_errors(tmp_path, capsys):
    assert main(["assess", str(tmp_path / "nowhere.csv"), "--out",
                 str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error:") and "nowhere.csv" in err
    assert err.count("\n") == 1
    manifest = tmp_path / "bad.csv"
    manifest.write_text("image,patient_id\na.png,P1\n")
    assert main(["assess", str(manifest), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "label" in err and "Traceback" not in err
    with pytest.raises(TypeError, match="predict_proba"):
        assess_images(str(manifest), model=object())
    with pytest.raises(ValueError, match="on_error"):
        assess_images(str(manifest), on_error="ignore")
