"""Tests of the assessment of patients: assess_images, its report and command."""

import base64
import html
import io
import json
import shutil
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_palsy import make_synthetic_cohort
from sklearn_palsy.cli import assess_images, main, predict_images
from sklearn_palsy.clinical import (
    DYNAMIC_ITEMS,
    MOVEMENTS,
    REGIONS,
    STATIC_ITEMS,
    PatientMovement,
    regional_score_names,
    regional_scores,
)
from sklearn_palsy.exceptions import (
    ImageBatchError,
    ImageFileNotFoundError,
    ManifestError,
)
from sklearn_palsy.reporting import write_assessment

EXPRESSIONS = ("rest", "smile", "raise_eyebrows", "close_eyes")
COHORT = {"n_patients": 3, "n_controls": 3, "expressions": EXPRESSIONS,
          "image_size": 160}
MOVEMENT_COLUMNS = [f"movement__{name}_ratio" for name, _, _ in MOVEMENTS]
PHOTO_COLUMNS = [f"photo_{name}" for name in ("raise_eyebrows", "close_eyes",
                                              "close_eyes_tightly", "smile",
                                              "show_lower_teeth", "pucker")]
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
        *PHOTO_COLUMNS, "landmark_backend", *regional_score_names(),
        *MOVEMENT_COLUMNS, "notes",
    ]
    assert list(patients.patient_id) == list(pd.unique(cohort.groups))
    assert list(patients.label) == list(_truth(cohort, "label"))
    assert (patients.n_photos == 4).all()
    assert (patients.expressions == ";".join(EXPRESSIONS)).all()
    assert [Path(path).name for path in patients.rest_image] == [
        f"{patient}_rest_0.png" for patient in patients.patient_id]
    # The photo used for each expression is named; none for those not taken.
    for expression in EXPRESSIONS[1:]:
        assert [Path(path).name for path in patients[f"photo_{expression}"]] == [
            f"{patient}_{expression}_0.png" for patient in patients.patient_id]
    assert patients[["photo_show_lower_teeth", "photo_pucker"]].isna().all().all()
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
    # Measured 80 (69 on patients): eye closure is each eye's own
    # completeness (issue 26), and dlib places a closed eye's lids as if
    # half open.
    assert regions[label == 0].mean() > 75
    assert regions[label == 1].mean() < regions[label == 0].mean() - 10
    assert patients.loc[label == 0, "static_score"].mean() > 90
    # Scores lie in [0, 100], the static items on the eFACE's 0-200 (issue
    # 26); the static items come from every rest photo and the movements of
    # the three expression photos are there.
    deviations = [f"{item}_deviation" for item in STATIC_ITEMS]
    scores = patients[[*deviations, *DYNAMIC_ITEMS, *REGIONS]].to_numpy(float)
    finite = scores[np.isfinite(scores)]
    assert ((finite >= 0) & (finite <= 100)).all()
    assert patients[list(STATIC_ITEMS)].stack().between(0, 200).all()
    assert patients[list(STATIC_ITEMS)].notna().all().all()
    assert patients[["gentle_eye_closure",
                     "oral_commissure_with_smile"]].notna().all().all()
    # No photo shows the lower teeth, nor a pucker.
    assert patients.lower_lip_movement.isna().all()
    assert patients["movement__pucker_excursion_ratio"].isna().all()
    ratios = patients[["movement__brow_elevation_ratio",
                       "movement__eye_closure_ratio",
                       "movement__commissure_excursion_ratio"]]
    assert ratios.notna().all().all() and ratios.stack().between(0, 1).all()


def test_the_manifests_side_is_used_and_reported_as_given(assessed, cohort):
    # The cohort's manifest has a side column (issue 26: a clinician's side
    # is used when given).
    patients = assessed[0].patients.set_index("patient_id")
    side = _truth(cohort, "side")
    assert patients.affected_side.reindex(side.index).tolist() == side.tolist()
    assert (patients.side_source == "given").all()
    assert (patients.side_confidence == 1).all()


def test_without_a_side_it_is_inferred_and_side_gives_one(cohort, tmp_path):
    frame = cohort.frame.drop(columns="side")
    frame["image"] = [str(Path(cohort.manifest).parent / image)
                      for image in frame.image]
    manifest = tmp_path / "manifest.csv"
    frame.to_csv(manifest, index=False)
    patients = assess_images(manifest, backend="dlib").patients.set_index(
        "patient_id")
    side = _truth(cohort, "side")
    found = patients.affected_side.reindex(side.index)
    with_palsy = side != "none"
    assert (patients.side_source == "inferred").all()
    assert (found[with_palsy] == side[with_palsy]).sum() >= 2
    # Never the wrong side.
    assert not (found[with_palsy] == side[with_palsy].map(
        {"left": "right", "right": "left"})).any()
    assert patients.side_confidence.between(0, 1).all()
    given = assess_images(manifest, backend="dlib", side="left").patients
    assert (given.affected_side == "left").all()
    assert (given.side_source == "given").all()


def test_a_bad_side_is_refused_naming_the_image(cohort, tmp_path):
    frame = cohort.frame.copy()
    frame["image"] = [str(Path(cohort.manifest).parent / image)
                      for image in frame.image]
    frame["side"] = frame["side"].astype(object)
    frame.loc[frame.index[1], "side"] = "up"
    manifest = tmp_path / "manifest.csv"
    frame.to_csv(manifest, index=False)
    with pytest.raises(ManifestError, match=rf"image {frame.image.iloc[1]}: "
                       "side 'up' is not one of right, left, none"):
        assess_images(manifest, backend="dlib")
    with pytest.raises(ValueError, match="side must be one of right, left, none"):
        assess_images(manifest, backend="dlib", side="both")


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assessment = assess_images(manifest, backend="dlib")
    # One warning for the run, naming the patient; no photo stands in for rest.
    assert [str(warning.message) for warning in caught] == [
        "1 patient(s) without a rest photo: P01; their static items, movements "
        "and dynamic items are NaN"]
    patients = assessment.patients.set_index("patient_id")
    assert pd.isna(patients.loc["P01", "rest_image"])
    assert "no rest photo: no static items, movements or dynamic items" in (
        patients.loc["P01", "notes"])
    assert "wink not scored" in patients.loc["P01", "notes"]
    assert patients.loc["C01", "notes"] == ""
    assert patients.loc["P01", list(STATIC_ITEMS)].isna().all()
    assert np.isnan(patients.loc["P01", "static_score"])
    assert patients.loc["P01", list(DYNAMIC_ITEMS)].isna().all()
    assert patients.loc["P01", MOVEMENT_COLUMNS].isna().all()
    assert patients.loc["C01", list(STATIC_ITEMS)].notna().all()
    assert Path(patients.loc["P01", "photo_smile"]).name == "P01_smile_0.png"
    images = assessment.images.set_index(assessment.images.image.map(
        lambda path: Path(path).name))
    assert images.loc["P01_smile_0.png", "role"] == "expression"
    assert images.loc["P01_close_eyes_0.png", "role"] == "not scored"
    assert images.loc["C01_raise_eyebrows_0.png", "expression"] == "raise_eyebrows"
    assert images.loc["C01_raise_eyebrows_0.png", "role"] == "expression"
    assert patients.loc["C01", "movement__brow_elevation_ratio"] > 0.5
    paths = write_assessment(assessment, tmp_path / "out")
    report = Path(paths.report).read_text(encoding="utf-8")
    assert "(as rest)" not in report and "smile: P01_smile_0.png" in report
    assert "wink not scored" in report
    # The command says it in one line.
    assert main(["assess", str(manifest), "--out", str(tmp_path / "cli"),
                 "--backend", "dlib", "--quiet", "--no-model"]) == 0
    err = capsys.readouterr().err
    assert err == ("sklearn-palsy: warning: 1 patient(s) without a rest photo: "
                   "P01; their static items, movements and dynamic items are NaN\n")


# --- with a model ---------------------------------------------------------------


def test_the_shipped_models_give_each_photo_and_patient_a_type(cohort):
    from sklearn_palsy.paper import load_reference_model, reference_model_info

    model = load_reference_model("dlib")
    type_model = load_reference_model("dlib", task="type")
    # A patient threshold apart from the photos', to tell which one is used.
    patient_threshold = reference_model_info("dlib")["threshold"]["patient"]["value"]
    assessment = assess_images(cohort.manifest, model=model, type_model=type_model,
                               patient_threshold=patient_threshold, backend="dlib")
    images = assessment.images
    palsy = images.probability >= model.threshold
    assert (images.predicted_label == np.where(palsy, "palsy", "control")).all()
    type_proba = type_model.predict_proba(images.image.to_numpy(dtype=object))
    np.testing.assert_allclose(images[["type_probability_central",
                                       "type_probability_peripheral"]], type_proba)
    expected = np.array(["central", "peripheral"])[type_proba.argmax(axis=1)]
    assert (images.type == np.where(palsy, expected, "none")).all()
    # A patient: the mean of their photos, against the patient threshold.
    patients = assessment.patients.set_index("patient_id")
    mean = images.groupby("patient_id")[["probability", "type_probability_central",
                                         "type_probability_peripheral"]].mean()
    called = mean.probability >= patient_threshold
    assert (patients.loc[mean.index, "predicted_label"] == np.where(
        called, "palsy", "control")).all()
    patient_type = np.where(mean.type_probability_peripheral
                            > mean.type_probability_central, "peripheral",
                            "central")
    assert (patients.loc[mean.index, "type"] == np.where(
        called, patient_type, "none")).all()


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


# --- pairing: visits, maximal effort, labels, study names, pose -----------------


def _rows(cohort, patient, **changes):
    """The cohort's manifest rows of ``patient`` with absolute image paths,
    as a manifest of its own would list them, with ``changes`` as columns."""
    frame = cohort.frame[cohort.frame.patient_id == patient].copy()
    frame["image"] = [str(Path(cohort.manifest).parent / image)
                      for image in frame.image]
    return frame.assign(**changes)


def _write(frame, path):
    frame.to_csv(path, index=False)
    return path


def test_two_visits_per_patient_pair_within_visits(assessed, cohort, tmp_path):
    # Patient A before (P01's photos, a palsy) and after (C01's, symmetric);
    # B likewise with P02 and C02. The rows are interleaved, and A's "post"
    # rest photo comes first: without visits they would mix.
    visits = {("A", "pre"): "P01", ("A", "post"): "C01",
              ("B", "pre"): "P02", ("B", "post"): "C02"}
    # One label per patient, as the manifest's loader asks.
    parts = [_rows(cohort, source, patient_id=patient, visit=visit, label=1)
             for (patient, visit), source in visits.items()]
    frame = pd.concat([parts[1], parts[0], parts[3], parts[2]])
    frame = frame.sort_values("expression", key=lambda e: e != "rest",
                              kind="stable")
    manifest = _write(frame, tmp_path / "visits.csv")
    assessment = assess_images(manifest, backend="dlib")
    patients = assessment.patients
    assert list(patients.columns[:2]) == ["patient_id", "visit"]
    assert list(zip(patients.patient_id, patients.visit, strict=True)) == [
        ("A", "post"), ("A", "pre"), ("B", "post"), ("B", "pre")]
    alone = assessed[0].patients.set_index("patient_id")
    for _, row in patients.iterrows():
        source = visits[(row.patient_id, row.visit)]
        # Each visit's row uses its own photos and scores as that person alone.
        assert Path(row.rest_image).name == f"{source}_rest_0.png"
        assert Path(row.photo_smile).name == f"{source}_smile_0.png"
        assert row.n_photos == 4 and row.notes == ""
        for column in ("static_score", "dynamic_score",
                       "movement__commissure_excursion_ratio"):
            np.testing.assert_allclose(row[column], alone.loc[source, column])
    assert list(assessment.images.columns[:3]) == ["image", "patient_id", "visit"]
    paths = write_assessment(assessment, tmp_path / "out")
    table = pd.read_csv(paths.table)
    assert list(table.visit) == ["post", "pre", "post", "pre"]
    report = _Report(Path(paths.report).read_text(encoding="utf-8"))
    assert [card["text"][0] for card in report.cards] == [
        "A, visit post", "A, visit pre", "B, visit post", "B, visit pre"]
    assert all(len(card["images"]) == 5 for card in report.cards)
    assert "C01_rest_0.png" in " ".join(report.cards[0]["text"])
    assert "P01_rest_0.png" in " ".join(report.cards[1]["text"])


def test_photo_of_maximal_effort_is_scored_and_named(assessed, cohort, tmp_path):
    # Two smile photos of P01: first a neutral face (no movement), then the
    # real smile. The smile of larger amplitude is scored, whatever the order.
    frame = _rows(cohort, "P01")
    neutral = tmp_path / "P01_weak_smile.png"
    shutil.copy(frame.image[frame.expression == "rest"].iloc[0], neutral)
    weak = frame[frame.expression == "rest"].assign(image=str(neutral),
                                                     expression="smile")
    manifest = _write(pd.concat([weak, frame]), tmp_path / "manifest.csv")
    assessment = assess_images(manifest, backend="dlib")
    row = assessment.patients.iloc[0]
    assert Path(row.photo_smile).name == "P01_smile_0.png"
    assert "several photos of smile (2): the one of maximal effort" in row.notes
    alone = assessed[0].patients.set_index("patient_id").loc["P01"]
    for column in ("oral_commissure_with_smile", "dynamic_score",
                   "movement__commissure_excursion_ratio"):
        np.testing.assert_allclose(row[column], alone[column])
    roles = assessment.images.set_index("image").role
    assert roles[str(neutral)] == "not scored"
    report = Path(write_assessment(assessment, tmp_path / "out").report).read_text(
        encoding="utf-8")
    assert "photo used: smile</td><td>P01_smile_0.png" in report


def test_emotrics_photo_names_are_all_recognised(assessed, cohort, tmp_path):
    from sklearn_palsy.cli._assess import _expression_name

    # Emotrics+'s seven photos (its selection window and its menu), as named
    # there, and spellings of its sounds.
    expected = {"Resting": "rest", " Brow Raise": "raise_eyebrows",
                "Gentle Eye Closure": "close_eyes",
                "Tight Eye Closure": "close_eyes_tightly", "Big Smile": "smile",
                '"eeeek"': "show_lower_teeth", '"ooooo"': "pucker",
                "eeeee": "show_lower_teeth", "oooo": "pucker",
                "Show Teeth": "show_lower_teeth", "Pucker Lips": "pucker",
                "Brow Elevation": "raise_eyebrows", "Other": "other"}
    assert {name: _expression_name(name) for name in expected} == expected
    names = {"rest": "Resting", "raise_eyebrows": "Brow Raise",
             "close_eyes": "Gentle Eye Closure", "smile": "Big Smile"}
    frame = _rows(cohort, "P01")
    frame["expression"] = frame.expression.map(names)
    tight = _rows(cohort, "C01", expression="Tight Eye Closure")
    tight = tight[tight.image.str.endswith("close_eyes_0.png")].assign(
        patient_id="P01", label=1, side=frame.side.iloc[0])
    manifest = _write(pd.concat([frame, tight]), tmp_path / "emotrics.csv")
    assessment = assess_images(manifest, backend="dlib")
    row = assessment.patients.iloc[0]
    assert row.expressions == "rest;smile;raise_eyebrows;close_eyes;close_eyes_tightly"
    assert row.notes == ""
    # The tight closure photo is scored as the eFACE's full eye closure.
    assert Path(row.photo_close_eyes_tightly).name == "C01_close_eyes_0.png"
    at = {image: i for i, image in enumerate(assessment.images.image)}
    assert (assessment.images.set_index("image").role[row.photo_close_eyes_tightly]
            == "expression")
    rest = assessment.landmarks[at[row.rest_image]]
    tight = assessment.landmarks[at[row.photo_close_eyes_tightly]]
    direct = regional_scores(rest[None],
                             expressions={"close_eyes_tightly": tight[None]},
                             scheme=assessment.scheme, side=[row.affected_side])
    assert np.isfinite(row.full_eye_closure)
    assert row.full_eye_closure == direct.full_eye_closure.iloc[0]
    frame = pd.DataFrame({"patient_id": "P01",
                          "expression": ["rest", "close_eyes_tightly"],
                          "landmarks": [rest, tight]})
    movement = PatientMovement(scheme=assessment.scheme)
    values = dict(zip(movement.fit(frame).get_feature_names_out(),
                      movement.transform(frame)[1], strict=True))
    assert np.isfinite(row.movement__full_eye_closure_ratio)
    assert (row.movement__full_eye_closure_ratio
            == values["movement__full_eye_closure_ratio"])
    alone = assessed[0].patients.set_index("patient_id").loc["P01"]
    for column in ("static_score", "gentle_eye_closure",
                   "brow_elevation", "oral_commissure_with_smile"):
        np.testing.assert_allclose(row[column], alone[column])


def test_missing_expression_label_is_unknown_never_rest(assessed, cohort, tmp_path):
    frame = _rows(cohort, "C01")
    # The smile row, first, lost its label: it must not become the rest photo.
    frame.loc[frame.expression == "smile", "expression"] = np.nan
    frame = frame.sort_values("expression", na_position="first")
    manifest = _write(frame, tmp_path / "manifest.csv")
    assessment = assess_images(manifest, backend="dlib")
    row = assessment.patients.iloc[0]
    assert Path(row.rest_image).name == "C01_rest_0.png"
    assert pd.isna(row.photo_smile)
    assert "unknown" in row.expressions.split(";")
    assert row.notes == "1 photo(s) without an expression label: unknown, not scored"
    images = assessment.images.set_index(assessment.images.image.map(
        lambda path: Path(path).name))
    assert images.loc["C01_smile_0.png", "expression"] == "unknown"
    assert images.loc["C01_smile_0.png", "role"] == "not scored"
    alone = assessed[0].patients.set_index("patient_id").loc["C01"]
    # The same rest photo, scored against the side its evidence leans to
    # (a control's side is "none"), which the smile photo moves a little.
    np.testing.assert_allclose(row.static_score, alone.static_score, rtol=0.01)


def test_expression_map_through_the_command(assessed, cohort, tmp_path, capsys):
    study = {"rest": "neutral", "smile": "Grin", "raise_eyebrows": "brows up",
             "close_eyes": "eyes-shut"}
    frame = pd.concat([_rows(cohort, "P01"), _rows(cohort, "C01")])
    frame["expression"] = frame.expression.map(study)
    manifest = _write(frame, tmp_path / "manifest.csv")
    mapping = tmp_path / "names.csv"
    pd.DataFrame({"name": list(study.values()),
                  "expression": list(study)}).to_csv(mapping, index=False)
    out = tmp_path / "out"
    assert main(["assess", str(manifest), "--out", str(out), "--backend", "dlib",
                 "--quiet", "--no-model", "--expression-map", str(mapping)]) == 0
    table = pd.read_csv(out / "assessment.csv").set_index("patient_id")
    alone = assessed[0].patients.set_index("patient_id")
    for patient in ("P01", "C01"):
        assert table.loc[patient, "expressions"] == ";".join(EXPRESSIONS)
        assert table.loc[patient, "notes"] != table.loc[patient, "notes"]  # empty
        np.testing.assert_allclose(table.loc[patient, "dynamic_score"],
                                   alone.loc[patient, "dynamic_score"])
    # The same as JSON, through the function.
    as_json = tmp_path / "names.json"
    as_json.write_text(json.dumps({name: ours for ours, name in study.items()}))
    again = assess_images(manifest, backend="dlib", expression_map=as_json)
    assert list(again.patients.expressions) == [";".join(EXPRESSIONS)] * 2
    # A name mapped to no expression of the package is refused, naming the
    # file and the line.
    mapping.write_text("name,expression\nneutral,rest\nGrin,laugh\n")
    assert main(["assess", str(manifest), "--out", str(tmp_path / "bad"),
                 "--backend", "dlib", "--quiet", "--no-model",
                 "--expression-map", str(mapping)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error: expression map ")
    assert f"{mapping}: line 3: 'laugh' is not one of rest, " in err
    assert err.count("\n") == 1


def test_head_pose_is_screened_by_default(tmp_path, capsys):
    turned = make_synthetic_cohort(1, 0, ("rest",), 160, yaw=35, random_state=0,
                                   output_dir=tmp_path / "cohort")
    with pytest.raises(ImageBatchError, match=r"head turned beyond the limits "
                       r"\(\|yaw\| > 20\): yaw \+3\d\.\d°") as error:
        assess_images(turned.manifest, backend="dlib")
    assert list(error.value.failures.image) == list(turned.X)
    assert len(assess_images(turned.manifest, backend="dlib", max_yaw=None,
                             max_pitch=None).patients) == 1
    failures = tmp_path / "failures.csv"
    assert main(["assess", turned.manifest, "--out", str(tmp_path / "out"),
                 "--backend", "dlib", "--quiet", "--no-model", "--on-error",
                 "skip", "--failures", str(failures)]) == 0
    assert "head turned beyond" in pd.read_csv(failures).error[0]
    assert main(["assess", turned.manifest, "--out", str(tmp_path / "free"),
                 "--backend", "dlib", "--quiet", "--no-model",
                 "--no-pose-limit"]) == 0
    assert len(pd.read_csv(tmp_path / "free" / "assessment.csv")) == 1


def test_cli_side_is_given_where_the_manifest_has_none(cohort, tmp_path):
    manifest = _write(pd.concat([_rows(cohort, "P01"), _rows(cohort, "C01")]).drop(
        columns="side"), tmp_path / "manifest.csv")
    out = tmp_path / "cli"
    assert main(["assess", str(manifest), "--out", str(out), "--backend", "dlib",
                 "--no-model", "--quiet", "--side", "right"]) == 0
    table = pd.read_csv(out / "assessment.csv", dtype={"patient_id": str})
    assert table.affected_side.tolist() == ["right", "right"]
    assert table.side_source.tolist() == ["given", "given"]


def test_report_shows_static_items_with_their_direction_and_the_subscores(assessed):
    from sklearn_palsy.reporting._assessment import _static_entry

    assert _static_entry("palpebral_fissure_at_rest", 80.0) == "80.0 (wide)"
    assert _static_entry("palpebral_fissure_at_rest", 125.0) == "125.0 (narrow)"
    assert _static_entry("brow_at_rest", 70.0) == "70.0 (low)"
    assert _static_entry("oral_commissure_at_rest", 130.0) == "130.0 (high)"
    assert _static_entry("nasolabial_fold_at_rest", 100.0) == "100.0 (balanced)"
    assert _static_entry("brow_at_rest", np.nan) == "n/a"
    assessment, paths = assessed
    text = Path(paths.report).read_text(encoding="utf-8")
    row = assessment.patients.iloc[0]
    assert html.escape(_static_entry("brow_at_rest", row.brow_at_rest)) in text
    for name in ("brow_at_rest (0-200)", "synkinesis_score", "total_score",
                 "side_source"):
        assert name in text


# --- assess's row is the public functions' results ------------------------------

AGREEMENT = {"n_patients": 2, "n_controls": 1, "image_size": 160,
             "expressions": ("rest", "smile", "raise_eyebrows", "close_eyes",
                             "pucker")}


@pytest.fixture(scope="module")
def agreement(synthetic_cohort):
    cohort = synthetic_cohort(on_disk=True, **AGREEMENT)
    return assess_images(cohort.manifest, backend="dlib")


def _used_landmarks(assessment, row):
    """The rest landmarks and {expression: landmarks} of the photos assess used."""
    images = assessment.images
    at = {image: i for i, image in enumerate(images["image"])}
    rest = assessment.landmarks[at[row["rest_image"]]]
    expressions = {}
    for column in PHOTO_COLUMNS:
        if isinstance(row[column], str):
            expressions[column.removeprefix("photo_")] = assessment.landmarks[
                at[row[column]]]
    return rest, expressions


def test_assess_row_equals_the_public_functions(agreement):
    """Each patient's regional and movement columns are regional_scores' and
    PatientMovement's own results on the photos assess names."""
    patients = agreement.patients
    roles = agreement.images.set_index("image")["role"]
    regional_columns = regional_score_names()
    assert len(patients) == 3
    for _, row in patients.iterrows():
        rest, expressions = _used_landmarks(agreement, row)
        assert sorted(expressions) == ["close_eyes", "pucker", "raise_eyebrows",
                                       "smile"]
        assert roles[row["rest_image"]] == "rest"
        assert all(roles[row[f"photo_{name}"]] == "expression" for name in expressions)
        # The comparison is of numbers, not of NaN with NaN.
        measured = [f"movement__{name}_ratio" for name, on, _ in MOVEMENTS
                    if on in expressions]
        assert len(measured) == 7
        assert np.isfinite(row[["static_score", "dynamic_score", "synkinesis_score",
                                "total_score", *measured]].astype(float)).all()
        given = row["affected_side"] if row["side_source"] == "given" else None
        direct = regional_scores(
            rest[None], expressions={name: value[None]
                                     for name, value in expressions.items()},
            scheme=agreement.scheme, side=None if given is None else [given])
        for column in regional_columns:
            expected, got = direct[column].iloc[0], row[column]
            if isinstance(expected, str) or isinstance(got, str):
                assert got == expected, (row["patient_id"], column)
            else:
                np.testing.assert_allclose(
                    float(got), float(expected), rtol=0, atol=1e-12,
                    err_msg=f"{row['patient_id']} {column}")
        frame = pd.DataFrame({
            "patient_id": row["patient_id"],
            "expression": ["rest", *expressions],
            "landmarks": [rest, *expressions.values()],
        })
        movement = PatientMovement(scheme=agreement.scheme)
        values = pd.DataFrame(movement.fit_transform(frame),
                              columns=movement.get_feature_names_out())
        for (_, expression, _), column in zip(MOVEMENTS, MOVEMENT_COLUMNS,
                                                 strict=True):
            on = list(frame["expression"]).index(expression) if (
                expression in expressions) else None
            expected = np.nan if on is None else values[column].iloc[on]
            np.testing.assert_allclose(float(row[column]), expected, rtol=0,
                                       atol=1e-12,
                                       err_msg=f"{row['patient_id']} {column}")
