"""Tests of the sklearn-palsy command-line tool, through its entry point."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sklearn_palsy.cli import main


def test_demo_writes_the_cohort_and_prints_its_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "patients with palsy : 21" in out
    assert "controls            : 21" in out
    assert "images              : 210" in out
    for expression in ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker"):
        assert expression in out
    assert "face detection rate : 100.0%" in out or "face detection rate : 9" in out
    assert "not a medical device" in out
    manifest = pd.read_csv(tmp_path / "cohort" / "manifest.csv")
    assert len(manifest) == 210
    assert all((tmp_path / "cohort" / image).is_file() for image in manifest.image)


def test_entry_point_is_installed_and_has_help():
    script = Path(sys.executable).parent / "sklearn-palsy"
    result = subprocess.run([str(script), "demo", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert "--out" in result.stdout


def test_bad_arguments_exit_non_zero_with_a_message(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-command"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --- extract, train and predict -------------------------------------------------

SUBCOMMANDS = ("demo", "extract", "train", "predict")


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory):
    from sklearn_palsy import make_synthetic_cohort

    folder = tmp_path_factory.mktemp("cohort")
    make_synthetic_cohort(n_patients=3, n_controls=3, expressions=("rest", "smile"),
                          image_size=160, random_state=0, output_dir=folder)
    return folder


@pytest.fixture(scope="module")
def flat_folder_with_bad_file(cohort_dir, tmp_path_factory):
    """Four good images from the cohort and one empty file, no label layout."""
    import shutil

    folder = tmp_path_factory.mktemp("flat")
    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    # Two patients' images and two controls', so both classes are predicted on.
    for image in list(manifest.image[:2]) + list(manifest.image[-2:]):
        shutil.copy(cohort_dir / image, folder / Path(image).name)
    (folder / "broken.png").write_bytes(b"")
    return folder


@pytest.fixture(scope="module")
def model_path(cohort_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    code = main(["train", str(cohort_dir / "manifest.csv"), "--pipeline",
                 "features_ffnn", "--image-size", "32", "--epochs-scale", "0.05",
                 "--out", str(path)])
    assert code == 0
    return path


def test_extract_writes_one_row_per_image_with_the_features(cohort_dir, tmp_path):
    out = tmp_path / "features.csv"
    assert main(["extract", str(cohort_dir / "manifest.csv"), "--out", str(out),
                 "--quiet"]) == 0
    features = pd.read_csv(out)
    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    assert len(features) == len(manifest) == 12
    assert features.columns[0] == "image"
    assert [f"x_{i}" for i in range(68)] == list(features.columns[1:69])
    assert [f"y_{i}" for i in range(68)] == list(features.columns[69:137])
    symmetry = [c for c in features.columns if c.startswith("symmetry__")]
    assert len(symmetry) == 29
    assert features.drop(columns="image").notna().all().all()
    # Landmarks are in pixels of the 160-pixel images.
    assert features["x_30"].between(0, 160).all()
    assert [Path(p).name for p in features.image] == [
        Path(p).name for p in manifest.image
    ]


def test_extract_raise_names_the_bad_file_and_writes_nothing(
    flat_folder_with_bad_file, tmp_path, capsys
):
    out = tmp_path / "features.csv"
    code = main(["extract", str(flat_folder_with_bad_file), "--out", str(out),
                 "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error:")
    assert len(err.strip().splitlines()) == 1
    assert "broken.png" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_extract_skip_writes_good_rows_and_the_failures(
    flat_folder_with_bad_file, tmp_path
):
    out, failures_path = tmp_path / "features.csv", tmp_path / "failures.csv"
    assert main(["extract", str(flat_folder_with_bad_file), "--out", str(out),
                 "--on-error", "skip", "--failures", str(failures_path),
                 "--quiet"]) == 0
    features = pd.read_csv(out)
    assert len(features) == 4
    assert not any("broken" in image for image in features.image)
    failures = pd.read_csv(failures_path)
    assert list(failures.columns) == ["image", "error"]
    assert len(failures) == 1
    assert failures.image[0].endswith("broken.png")
    assert "empty" in failures.error[0]


def test_train_then_predict_writes_probabilities_labels_and_sides(
    model_path, flat_folder_with_bad_file, tmp_path
):
    out, failures_path = tmp_path / "predictions.csv", tmp_path / "failures.csv"
    images = sorted(str(p) for p in flat_folder_with_bad_file.iterdir())
    assert main(["predict", str(model_path), *images, "--out", str(out),
                 "--on-error", "skip", "--failures", str(failures_path)]) == 0
    predictions = pd.read_csv(out)
    assert list(predictions.columns) == ["image", "probability", "label",
                                         "affected_side"]
    assert len(predictions) == 4
    assert predictions.probability.between(0, 1).all()
    assert set(predictions.label) <= {0, 1}
    assert set(predictions.affected_side) <= {"left", "right", "none"}
    assert (predictions.affected_side[predictions.label == 0] == "none").all()
    assert pd.read_csv(failures_path).image[0].endswith("broken.png")


def test_predict_prints_the_table_without_out(model_path, cohort_dir, capsys):
    image = str(cohort_dir / pd.read_csv(cohort_dir / "manifest.csv").image[0])
    assert main(["predict", str(model_path), image]) == 0
    out = capsys.readouterr().out
    assert "probability" in out and "affected_side" in out
    assert Path(image).name in out


def test_predict_raise_on_a_bad_image_exits_1(model_path, flat_folder_with_bad_file,
                                              tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model_path), str(flat_folder_with_bad_file),
                 "--out", str(out)]) == 1
    assert "broken.png" in capsys.readouterr().err
    assert not out.exists()


def test_affected_side_follows_the_synthetic_palsy_side(cohort_dir):
    from sklearn_palsy._batch import _affected_sides, _detect

    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    patients = manifest[manifest.label == 1]
    kept, landmarks, failures, scheme = _detect(
        [str(cohort_dir / image) for image in patients.image], backend="dlib",
        verbose=0,
    )
    assert failures == []
    assert list(_affected_sides(landmarks, scheme)) == list(patients.side)


def test_model_file_round_trip_and_bad_file(tmp_path, capsys):
    from sklearn.dummy import DummyClassifier

    from sklearn_palsy._batch import load_model_joblib, save_model_joblib
    from sklearn_palsy.exceptions import ModelFileError

    path = tmp_path / "model.joblib"
    save_model_joblib(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    assert list(load_model_joblib(path).classes_) == [0, 1]
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(ModelFileError, match="bad.joblib"):
        load_model_joblib(bad)
    assert main(["predict", str(bad), str(path)]) == 1
    assert "bad.joblib" in capsys.readouterr().err


def test_unknown_pipeline_lists_the_valid_names(cohort_dir, tmp_path, capsys):
    from sklearn_palsy.fusion import PAPER_PIPELINES

    assert main(["train", str(cohort_dir / "manifest.csv"), "--pipeline", "nope",
                 "--out", str(tmp_path / "m.joblib")]) == 1
    err = capsys.readouterr().err
    assert "nope" in err
    assert all(name in err for name in PAPER_PIPELINES)
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.parametrize("command", ["train", "extract"])
def test_missing_manifest_exits_1_naming_it(command, tmp_path, capsys):
    missing = tmp_path / "nowhere.csv"
    argv = [command, str(missing), "--out", str(tmp_path / "out")]
    if command == "train":
        argv += ["--pipeline", "features_ffnn"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("sklearn-palsy: error:")
    assert "not found" in err and str(missing) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "--out" in capsys.readouterr().out


def test_entry_point_runs_extract_and_reports_errors(cohort_dir, tmp_path):
    script = Path(sys.executable).parent / "sklearn-palsy"
    out = tmp_path / "features.csv"
    result = subprocess.run(
        [str(script), "extract", str(cohort_dir / "manifest.csv"), "--out",
         str(out), "--quiet"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out)) == 12
    result = subprocess.run(
        [str(script), "train", str(tmp_path / "missing.csv"), "--pipeline",
         "features_ffnn", "--out", str(tmp_path / "m.joblib")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("sklearn-palsy: error:")
    assert "missing.csv" in result.stderr and "Traceback" not in result.stderr
