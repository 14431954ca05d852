"""Model cards: built from the training data and an evaluation, written, read."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from sklearn_palsy import evaluate_pipelines, load_manifest
from sklearn_palsy.exceptions import ModelFileError
from sklearn_palsy.io import (
    CARD_FORMAT,
    TRIPOD_AI_ITEMS,
    ModelCard,
    make_model_card,
    model_card_paths,
    read_model_card,
    write_model_card,
)
from sklearn_palsy.model_selection import calibration_summary
from sklearn_palsy.reporting import DISCLAIMER, software_versions


@pytest.fixture(scope="module")
def data():
    """24 patients (12 with palsy), 2 images each, with a sex column."""
    rng = np.random.default_rng(0)
    groups = np.repeat([f"p{i:02d}" for i in range(24)], 2)
    y = np.repeat(np.arange(24) % 2, 2)
    X = y[:, None] * 1.5 + rng.normal(size=(48, 2))
    frame = pd.DataFrame({"patient_id": groups, "label": y,
                          "expression": np.tile(["rest", "smile"], 24),
                          "sex": np.repeat(np.where(np.arange(24) < 12, "F", "M"),
                                           2)})
    return X, y, groups, frame


@pytest.fixture(scope="module")
def evaluation(data):
    X, y, groups, frame = data
    return evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=3,
                              verbose=0, n_bootstraps=100, random_state=0,
                              by=frame[["sex"]])


@pytest.fixture(scope="module")
def card(data, evaluation):
    _, y, groups, frame = data
    return make_model_card("lr", None, y, groups, frame=frame, source="m.csv",
                           backend="dlib", image_size=48, evaluation=evaluation,
                           validation="GroupKFold(3) by patient", n_resamples=100)


def test_the_cards_figures_equal_the_evaluations(card, evaluation):
    rows = {(row["level"], row["metric"]): row
            for row in card["evaluation"]["metrics"]}
    assert len(rows) == 2 * len(evaluation.metrics)
    for interval in evaluation.intervals.itertuples():
        row = rows[(interval.level, interval.metric)]
        for name in ("estimate", "low", "high"):
            expected = getattr(interval, name)
            assert row[name] == (None if np.isnan(expected) else expected)
        summary = evaluation.summary.loc[("lr", interval.level)]
        assert row["mean_over_folds"] == summary[(interval.metric, "mean")]
        assert row["sd_over_folds"] == summary[(interval.metric, "std")]
    assert card["evaluation"]["validation"] == "GroupKFold(3) by patient"
    assert card["evaluation"]["n_splits"] == 3
    calibration = calibration_summary(evaluation, n_resamples=100, random_state=0)
    assert [row["estimate"] for row in card["calibration"]] == pytest.approx(
        calibration.estimate.tolist())
    assert [row["low"] for row in card["calibration"]] == pytest.approx(
        calibration.low.tolist())
    # The summary line quotes the per-patient ROC AUC and its interval.
    auc = evaluation.intervals.set_index(["level", "metric"]).loc[
        ("patient", "roc_auc")]
    assert card.summary_line() == (
        f"lr: trained on 24 patients (12 with palsy), 48 images; per-patient "
        f"roc_auc {auc.estimate:.2f} ({auc.low:.2f}\u2013{auc.high:.2f}), "
        "GroupKFold(3) by patient; a research tool, not a medical device")


def test_the_card_holds_every_section_the_issue_asks_for(card, evaluation):
    assert card["format"] == CARD_FORMAT
    assert card["intended_use"]["not_a_medical_device"] == DISCLAIMER
    data = card["training_data"]
    assert data["patients"] == 24 and data["images"] == 48
    assert data["patients_per_class"] == {"0": 12, "1": 12}
    assert data["images_per_class"] == {"0": 24, "1": 24}
    assert data["classes"] == ["0", "1"]
    assert data["expressions"] == {"rest": 24, "smile": 24}
    assert data["landmark_backend"] == "dlib" and data["model_image_size"] == 48
    assert data["source"] == "m.csv"
    # Subgroups, as the evaluation has them.
    subgroups = {(row["subgroup"], row["level"], row["metric"]): row
                 for row in card["subgroups"]}
    expected = evaluation.subgroups[evaluation.subgroups.estimator == "lr"]
    assert len(subgroups) == len(expected)
    first = expected.iloc[0]
    assert subgroups[(first.subgroup, first.level, first.metric)]["n_patients"] \
        == first.n_patients
    assert card["limitations"] and all(isinstance(item, str)
                                       for item in card["limitations"])
    assert card["software"] == software_versions()
    assert [row["item"] for row in card["tripod_ai"]] == [
        item for item, _, _ in TRIPOD_AI_ITEMS]
    assert {"3b", "23a", "26"} <= {row["item"] for row in card["tripod_ai"]}
    net_benefit = card["decision_curve"]["net_benefit"]
    assert {row["threshold"] for row in net_benefit} == {0.1, 0.2, 0.3, 0.4, 0.5}


def test_a_card_without_evaluation_says_so(data, evaluation):
    _, y, groups, _ = data
    card = make_model_card("m", None, y, groups)
    assert card["evaluation"] is None and card["calibration"] is None
    assert card.summary_line() == ("m: trained on 24 patients (12 with palsy), "
                                   "48 images; not evaluated; a research tool, "
                                   "not a medical device")
    assert "Not evaluated: the card holds no performance figures." in \
        card.to_markdown()
    with pytest.raises(ValueError, match=r"'other' is not among the evaluation's "
                       r"estimators \['lr'\]"):
        make_model_card("m", None, y, groups, evaluation=evaluation,
                        estimator="other")


def test_the_card_reads_the_photos_sizes(tmp_path):
    paths = []
    for index, (width, height) in enumerate([(120, 100), (200, 160), (80, 90)]):
        path = tmp_path / f"{index}.png"
        Image.new("RGB", (width, height)).save(path)
        paths.append(str(path))
    paths.append(str(tmp_path / "clip.mp4#frame=3"))
    card = make_model_card("m", paths, [1, 0, 1, 0], ["a", "b", "c", "d"])
    assert card["training_data"]["image_sizes"] == {
        "unread": 1, "width": {"min": 80, "median": 120.0, "max": 200},
        "height": {"min": 90, "median": 100.0, "max": 160}}
    assert "width 80-200 px (median 120)" in card.to_markdown()


def test_the_card_is_written_beside_the_model_and_read_back(card, tmp_path):
    model = tmp_path / "model.safetensors"
    json_path, markdown_path = write_model_card(model, card)
    assert (json_path, markdown_path) == model_card_paths(model)
    assert json_path.name == "model.card.json"
    assert markdown_path.name == "model.card.md"
    read = read_model_card(model)
    assert isinstance(read, ModelCard)
    assert read.to_dict() == {**card.to_dict(),
                              "model": {**card["model"], "file": model.name}}
    text = markdown_path.read_text(encoding="utf-8")
    for heading in ("# Model card: lr", "## Intended use", "## Training data",
                    "## Evaluation", "## Calibration", "## Decision curve",
                    "## Subgroups", "## Limitations", "## Software",
                    "## TRIPOD+AI items covered"):
        assert f"\n{heading}\n" in f"\n{text}"
    assert DISCLAIMER in text and card.summary_line() in text
    # Only the two card files and nothing temporary are left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.card.json",
                                                          "model.card.md"]
    assert read_model_card(tmp_path / "other.joblib") is None


def test_save_model_writes_the_card_beside_the_model(card, data, tmp_path):
    from sklearn_palsy import load_model, save_model

    X, y, _, _ = data
    model = LogisticRegression().fit(X, y)
    path = tmp_path / "lr.safetensors"
    save_model(model, path, card=card)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lr.card.json", "lr.card.md", "lr.safetensors"]
    assert read_model_card(path).summary_line() == card.summary_line()
    np.testing.assert_array_equal(load_model(path).predict(X), model.predict(X))
    # Without a card, nothing beside the model.
    save_model(model, tmp_path / "bare.safetensors")
    assert read_model_card(tmp_path / "bare.safetensors") is None


def test_a_malformed_card_is_refused_naming_the_file_and_line(tmp_path):
    model = tmp_path / "model.joblib"
    card_path = tmp_path / "model.card.json"
    card_path.write_text('{\n  "format": "sklearn-palsy model card 1",\n  oops\n}',
                         encoding="utf-8")
    message = f"model card {card_path}: malformed JSON at line 3, column 3"
    with pytest.raises(ModelFileError, match="^" + re.escape(message)):
        read_model_card(model)
    card_path.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(ModelFileError, match=re.escape(
            f"model card {card_path}: not a model card")):
        read_model_card(model)


def test_infinite_and_missing_figures_are_written_as_json(tmp_path, data):
    _, y, groups, _ = data
    card = make_model_card("m", None, y, groups)
    card.content["calibration"] = [{"level": "patient",
                                    "metric": "calibration_slope",
                                    "estimate": np.float64(1.2), "low": 0.8,
                                    "high": float("inf"), "note": ""},
                                   {"level": "image",
                                    "metric": "calibration_slope",
                                    "estimate": float("-inf"),
                                    "low": float("-inf"), "high": float("-inf"),
                                    "note": "not finite"}]
    json_path, markdown_path = write_model_card(tmp_path / "m.safetensors",
                                                ModelCard(_plain(card.content)))
    written = json.loads(json_path.read_text(encoding="utf-8"))
    assert written["calibration"][0]["high"] == "inf"
    markdown = markdown_path.read_text(encoding="utf-8")
    assert "| patient | calibration_slope | 1.20 (0.80\u2013∞) |" in markdown
    assert "| image | calibration_slope | −∞ (separated) | not finite |" in markdown


def _plain(content):
    from sklearn_palsy.io._model_card import _plain as plain

    return plain(content)


@pytest.fixture(scope="module")
def trained(synthetic_cohort, tmp_path_factory):
    """``train --evaluate 2`` on a small cohort, and what it printed."""
    import contextlib
    import io

    from sklearn_palsy.cli import main

    cohort = synthetic_cohort(n_patients=4, n_controls=4,
                              expressions=("rest", "smile"), image_size=128,
                              on_disk=True)
    model = tmp_path_factory.mktemp("trained") / "model.safetensors"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["train", str(cohort.manifest), "--pipeline", "features_ffnn",
                     "--image-size", "32", "--epochs-scale", "0.05", "--backend",
                     "dlib", "--evaluate", "2", "--out", str(model)])
    assert code == 0
    return cohort, model, printed.getvalue()


@pytest.mark.slow
def test_train_writes_a_card_whose_figures_equal_the_evaluation(trained):
    from sklearn_palsy.paper import make_paper_pipelines
    from sklearn_palsy.paper._defaults import TRAIN_EPOCHS

    cohort, model, printed = trained
    card = read_model_card(model)
    assert f"model card: {model.with_name('model.card.md')} and " \
        f"{model.with_name('model.card.json')}" in printed
    assert card.summary_line() in printed
    assert card["model"]["file"] == "model.safetensors"
    assert card["training_data"]["patients"] == 8
    assert card["training_data"]["images"] == 16
    assert card["training_data"]["expressions"] == {"rest": 8, "smile": 8}
    assert card["training_data"]["landmark_backend"] == "dlib"
    assert card["evaluation"]["validation"] == "GroupKFold(2) by patient"
    # The same evaluation, run here, gives the card's figures.
    from sklearn.model_selection import GroupKFold

    epochs = {name: max(1, round(value * 0.05)) for name, value in
              TRAIN_EPOCHS.items()}
    pipeline = make_paper_pipelines(image_size=32, backend="dlib", random_state=0,
                                    **epochs)["features_ffnn"]
    data = load_manifest(cohort.manifest)
    result = evaluate_pipelines({"features_ffnn": pipeline}, data.X, data.y,
                                data.groups, cv=GroupKFold(2), verbose=0,
                                n_bootstraps=1000, random_state=0)
    rows = {(row["level"], row["metric"]): row
            for row in card["evaluation"]["metrics"]}
    for interval in result.intervals.itertuples():
        row = rows[(interval.level, interval.metric)]
        assert row["estimate"] == pytest.approx(interval.estimate, nan_ok=True)
        assert row["low"] == pytest.approx(interval.low, nan_ok=True)
        assert row["high"] == pytest.approx(interval.high, nan_ok=True)


@pytest.mark.slow
def test_predict_prints_the_cards_summary_and_survives_a_broken_card(
        trained, tmp_path, capsys):
    import shutil

    from sklearn_palsy.cli import main

    cohort, model, _ = trained
    image = str(cohort.X[0])
    assert main(["predict", str(model), image, "--backend", "dlib"]) == 0
    err = capsys.readouterr().err
    assert f"model card: {read_model_card(model).summary_line()}" in err
    # A copy of the model whose card is damaged still predicts, warning
    # with the card's file and line.
    copy = tmp_path / "model.safetensors"
    shutil.copy(model, copy)
    card = tmp_path / "model.card.json"
    card.write_text("{\n  broken", encoding="utf-8")
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(copy), image, "--backend", "dlib", "--out",
                 str(out)]) == 0
    err = capsys.readouterr().err
    assert (f"sklearn-palsy: warning: model card {card}: malformed JSON at line 2, "
            "column 3") in err
    assert "predicting without the model card" in err
    assert len(pd.read_csv(out)) == 1
