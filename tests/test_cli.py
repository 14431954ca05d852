"""Tests of the sklearn-palsy command-line tool, through its entry point."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_palsy.cli import main

DEMO_FAST = ["--n-patients", "4", "--n-controls", "4", "--folds", "2",
             "--epochs-scale", "0.2", "--image-size", "32", "--quiet"]


def _report_sections(path):
    """The images and table headers of an HTML report, parsed."""
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.images, self.captions, self.headings = [], [], []
            self._tag = None

        def handle_starttag(self, tag, attrs):
            self._tag = tag
            if tag == "img":
                self.images.append(dict(attrs)["src"])

        def handle_endtag(self, tag):
            self._tag = None

        def handle_data(self, data):
            if self._tag == "figcaption":
                self.captions.append(data)
            if self._tag in ("h1", "h2"):
                self.headings.append(data)

    parser = Collect()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


@pytest.mark.slow
def test_demo_runs_the_experiment_and_writes_report_and_model(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), *DEMO_FAST]) == 0
    out = capsys.readouterr().out
    assert "patients with palsy : 4" in out and "controls            : 4" in out
    assert "images              : 40" in out
    for expression in ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker"):
        assert expression in out
    assert "face detection rate : 100.0%" in out
    assert "images of 32 px" in out and "GroupKFold(2)" in out
    from sklearn_palsy.paper import PAPER_PIPELINES

    # The paper-style table: one row per configuration, per image and patient.
    for name in PAPER_PIPELINES:
        assert name in out
    assert "image precision" in out and "patient f1" in out
    assert "not a medical device" in out
    import torch

    # The demo says which kernels and threads its time was taken with.
    assert (f"({torch.backends.cpu.get_cpu_capability()} kernels, "
            f"{torch.get_num_threads()} torch threads") in out
    table = pd.read_csv(tmp_path / "table.csv")
    assert list(table.configuration) == list(PAPER_PIPELINES)
    assert "| configuration" in (tmp_path / "table.md").read_text()
    report = _report_sections(tmp_path / "report.html")
    assert all(src.startswith("data:image/png;base64,") for src in report.images)
    captions = " ".join(report.captions)
    for figure in ("Confusion matrices (image level)", "ROC curves (patient level)",
                   "Precision-recall curves (image level)", "Landmarks",
                   "Permutation importance", "Grad-CAM of lines_resnet",
                   "Grad-CAM of rgb_resnet", "Reliability diagrams",
                   "Decision curves", "Learning curve by number of training "
                   "patients"):
        assert figure in captions
    assert len(report.images) == len(report.captions) == 13
    # The best model's card, beside it.
    assert "card   : " in out and "a research tool, not a medical device" in out
    assert (tmp_path / "model.card.md").exists()
    assert (tmp_path / "model.card.json").exists()
    assert "The paper's table" in report.headings
    # The saved best model predicts new photos through the CLI.
    best = table.set_index("configuration")
    assert len(best) == 7
    images = sorted((tmp_path / "cohort").glob("*/*.png"))[:3]
    assert main(["predict", str(tmp_path / "model.safetensors"), *map(str, images),
                 "--out", str(tmp_path / "p.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert len(predictions) == 3 and predictions.probability.between(0, 1).all()


@pytest.mark.slow
def test_evaluate_writes_table_and_report_for_chosen_pipelines(cohort_dir, tmp_path,
                                                                 capsys):
    code = main(["evaluate", str(cohort_dir / "manifest.csv"), "--out",
                 str(tmp_path), "--pipelines", "features_ffnn,lines_resnet",
                 "--folds", "3", "--image-size", "32", "--quiet"])
    assert code == 0
    table = pd.read_csv(tmp_path / "table.csv")
    assert list(table.configuration) == ["features_ffnn", "lines_resnet"]
    # Numbers, not "mean ± sd" text: the mean and sd of each metric apart,
    # agreeing with the per-fold scores.
    assert table["patient f1 mean"].dtype == float
    assert table["image precision sd"].dtype == float
    folds = pd.read_csv(tmp_path / "scores.csv")
    image_f1 = folds[folds.level == "image"].groupby("estimator")["f1"].mean()
    np.testing.assert_allclose(table.set_index("configuration")["image f1 mean"],
                               image_f1[["features_ffnn", "lines_resnet"]])
    assert "±" in (tmp_path / "table.md").read_text()
    assert (tmp_path / "report.html").is_file() and (
        tmp_path / "model.safetensors"
    ).is_file()
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert set(scores.fold) == {0, 1, 2} and set(scores.level) == {"image", "patient"}
    assert "best configuration" in capsys.readouterr().out
    for written in ("table.csv", "scores.csv"):
        _assert_no_formula_cell(tmp_path / written)


@pytest.mark.slow
def test_evaluate_leave_one_patient_out(cohort_dir, tmp_path):
    assert main(["evaluate", str(cohort_dir / "manifest.csv"), "--out", str(tmp_path),
                 "--pipelines", "features_ffnn", "--cv", "lopo", "--quiet"]) == 0
    assert pd.read_csv(tmp_path / "scores.csv").fold.nunique() == 6


def test_evaluate_refuses_unknown_pipelines_and_missing_manifests(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "m.csv", "--out", str(tmp_path), "--pipelines", "magic"])
    assert exit_.value.code == 2
    assert "unknown pipelines ['magic']" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "none.csv"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "none.csv" in err and "Traceback" not in err


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

SUBCOMMANDS = ("demo", "evaluate", "extract", "train", "predict", "assess", "review")


@pytest.fixture(scope="module")
def cohort_dir(synthetic_cohort):
    cohort = synthetic_cohort(n_patients=3, n_controls=3,
                              expressions=("rest", "smile"), image_size=160,
                              on_disk=True)
    return Path(cohort.manifest).parent


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


@pytest.mark.parametrize("backend, n_points", [("auto", 478), ("dlib", 68)])
def test_extract_writes_one_row_per_image_with_the_features(cohort_dir, tmp_path,
                                                            backend, n_points):
    out = tmp_path / "features.csv"
    assert main(["extract", str(cohort_dir / "manifest.csv"), "--out", str(out),
                 "--backend", backend, "--quiet"]) == 0
    features = pd.read_csv(out)
    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    assert len(features) == len(manifest) == 12
    assert list(features.columns[:2]) == ["image", "landmark_backend"]
    # "auto" is MediaPipe in the default environment, and the CSV says so.
    used = "mediapipe" if backend == "auto" else backend
    assert set(features.landmark_backend) == {used}
    assert [f"x_{i}" for i in range(n_points)] == list(
        features.columns[2 : 2 + n_points])
    assert [f"y_{i}" for i in range(n_points)] == list(
        features.columns[2 + n_points : 2 + 2 * n_points])
    symmetry = [c for c in features.columns if c.startswith("symmetry__")]
    assert len(symmetry) == 29
    assert features.drop(columns=["image", "landmark_backend"]).notna().all().all()
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
                                         "affected_side", "landmark_backend",
                                         "yaw", "pitch"]
    # Frontal synthetic faces: the head-pose estimate is near zero.
    assert predictions[["yaw", "pitch"]].abs().max().max() < 15
    assert set(predictions.landmark_backend) == {"mediapipe"}
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
    from sklearn_palsy.cli._detect import _detect
    from sklearn_palsy.cli._predict import _affected_sides

    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    patients = manifest[manifest.label == 1]
    kept, landmarks, failures, scheme, _ = _detect(
        [str(cohort_dir / image) for image in patients.image], backend="dlib",
        verbose=0,
    )
    assert failures == []
    # The package's one side rule (issue 26) on each photo alone: the smile
    # photos are called where their static asymmetry clears the threshold
    # (measured: 2 of 3, evidence 0.19 and 0.21; P02's 0.12 lies just
    # within healthy faces' and reads "none"), the rest photos' asymmetry
    # alone (evidence 0.03-0.12) reads "none"; never the wrong side.
    found = _affected_sides(landmarks, scheme)
    smiles = (patients.expression == "smile").to_numpy()
    assert (found[smiles] == patients.side[smiles].to_numpy()).sum() >= 2
    assert all(side in (truth, "none") for side, truth in
               zip(found, patients.side, strict=True))


def test_model_file_round_trip_and_bad_file(tmp_path, capsys):
    from sklearn.dummy import DummyClassifier

    from sklearn_palsy.exceptions import ModelFileError
    from sklearn_palsy.io import load_model_joblib, save_model_joblib

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
    from sklearn_palsy.paper import PAPER_PIPELINES

    assert main(["train", str(cohort_dir / "manifest.csv"), "--pipeline", "nope",
                 "--out", str(tmp_path / "m.joblib")]) == 1
    err = capsys.readouterr().err
    assert "nope" in err
    assert all(name in err for name in PAPER_PIPELINES)
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.parametrize("command", ["train", "extract", "assess"])
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


@pytest.mark.slow
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


def test_chunked_batches_match_one_chunk_and_keep_every_failure(
    model_path, flat_folder_with_bad_file, monkeypatch
):
    """Chunks of 2 images give the rows, failures and probabilities of one chunk."""
    import numpy as np

    from sklearn_palsy.cli import _detect, extract_features, predict_images
    from sklearn_palsy.io import load_model_file

    images = sorted(str(p) for p in flat_folder_with_bad_file.iterdir())
    model = load_model_file(model_path)

    def run():
        features, failures = extract_features(images, on_error="skip", verbose=0)
        predictions, predict_failures = predict_images(model, images,
                                                       on_error="skip")
        return features, failures, predictions, predict_failures

    whole = run()
    monkeypatch.setattr(_detect, "_CHUNK_SIZE", 2)
    chunked = run()
    assert len(whole[0]) == 4 and len(whole[1]) == 1 and len(whole[3]) == 1
    pd.testing.assert_frame_equal(chunked[0], whole[0])
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    pd.testing.assert_frame_equal(chunked[3], whole[3])
    # Batch sizes change float32 sums in the network's last bits only.
    np.testing.assert_allclose(chunked[2]["probability"], whole[2]["probability"],
                               atol=1e-6)
    assert (chunked[2]["label"] == whole[2]["label"]).all()


# --- hardening: pickle warnings, Ctrl-C, formula cells ---------------------------

def test_predict_warns_on_every_pickle_model_and_not_on_safetensors(
    model_path, cohort_dir, tmp_path, capsys
):
    image = str(cohort_dir / pd.read_csv(cohort_dir / "manifest.csv").image[0])
    for _ in range(2):
        assert main(["predict", str(model_path), image,
                     "--out", str(tmp_path / "p.csv")]) == 0
        err = capsys.readouterr().err
        warning_lines = [line for line in err.splitlines() if "warning" in line]
        assert len(warning_lines) == 1
        assert "runs code" in warning_lines[0] and model_path.name in warning_lines[0]
    from sklearn_palsy import save_model
    from sklearn_palsy.exceptions import PickleModelWarning
    from sklearn_palsy.io import load_model_joblib

    with pytest.warns(PickleModelWarning, match="runs code"):
        model = load_model_joblib(model_path)
    safe = tmp_path / "model.safetensors"
    save_model(model, safe)
    assert main(["predict", str(safe), image, "--out", str(tmp_path / "q.csv")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_ctrl_c_ends_with_one_line_and_exit_code_130(monkeypatch, capsys, tmp_path):
    import sklearn_palsy.datasets as datasets

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets, "resolve_images", interrupted)
    assert main(["extract", str(tmp_path), "--out", str(tmp_path / "f.csv")]) == 130
    captured = capsys.readouterr()
    assert captured.err == "sklearn-palsy: interrupted\n"
    assert "Traceback" not in captured.out


@pytest.fixture(scope="module")
def formula_folder(cohort_dir, tmp_path_factory):
    """Face images whose names would run as spreadsheet formulas, and a bad one."""
    import shutil

    folder = tmp_path_factory.mktemp("formulas")
    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    names = ["=HYPERLINK(1).png", "@SUM(A1).png"]
    for image, name in zip(manifest.image[:2], names, strict=True):
        shutil.copy(cohort_dir / image, folder / name)
    (folder / "+cmd.png").write_bytes(b"")
    return folder


def _raw_cells(path):
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _assert_no_formula_cell(path):
    for cell in _raw_cells(path):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path, cell)
        if cell.startswith("-"):
            float(cell)  # a negative number, not a formula


def test_extract_and_failures_csvs_escape_formula_cells(
    formula_folder, tmp_path, monkeypatch
):
    # Paths given relative to the working folder are written as given, so a
    # file name is the start of its cell.
    monkeypatch.chdir(formula_folder)
    out, failures = tmp_path / "features.csv", tmp_path / "failures.csv"
    assert main(["extract", "=HYPERLINK(1).png", "--out", str(out), "--quiet"]) == 0
    assert main(["extract", "+cmd.png", "--out", str(tmp_path / "none.csv"),
                 "--on-error", "skip", "--failures", str(failures), "--quiet"]) == 0
    for path in (out, failures):
        _assert_no_formula_cell(path)
    assert pd.read_csv(out).image.tolist() == ["'=HYPERLINK(1).png"]
    assert pd.read_csv(failures).image.tolist() == ["'+cmd.png"]
    # Numbers stay numbers, negative ones included.
    assert pd.read_csv(out)["x_0"].dtype == float


def test_predict_csv_escapes_formula_cells(model_path, formula_folder, tmp_path,
                                           monkeypatch):
    monkeypatch.chdir(formula_folder)
    out = tmp_path / "predictions.csv"
    assert main(["predict", str(model_path), "=HYPERLINK(1).png", "@SUM(A1).png",
                 "--out", str(out)]) == 0
    _assert_no_formula_cell(out)
    assert pd.read_csv(out).image.tolist() == ["'=HYPERLINK(1).png", "'@SUM(A1).png"]


def test_extract_lists_a_plain_photo_tree_without_reading_folders_as_labels(
    cohort_dir, tmp_path
):
    """photos/<year>/<month>/x.png is three levels deep but holds no labels."""
    import shutil

    manifest = pd.read_csv(cohort_dir / "manifest.csv")
    tree = tmp_path / "photos"
    for image, folder in zip(
        manifest.image[:3], ["2023/jan", "2024/jan", "misc/jan"], strict=True
    ):
        (tree / folder).mkdir(parents=True)
        shutil.copy(cohort_dir / image, tree / folder / Path(image).name)
    out = tmp_path / "features.csv"
    assert main(["extract", str(tree), "--out", str(out), "--quiet"]) == 0
    assert len(pd.read_csv(out)) == 3


# --- a light command line ---------------------------------------------------------

HEAVY_MODULES = ("torch", "torchvision", "skorch", "dlib", "mediapipe", "cv2",
                 "sklearn", "matplotlib")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["train", "--help"],
                                  ["assess", "--help"], ["predict"],
                                  ["no-such-command"]],
                         ids=["help", "version", "subcommand-help", "assess-help",
                              "missing-args", "unknown-command"])
def test_help_version_and_argument_errors_import_no_heavy_module(argv):
    code = textwrap.dedent(f"""
        import sys
        from sklearn_palsy.cli import main
        try:
            main({argv!r})
        except SystemExit:
            pass
        loaded = [name for name in {HEAVY_MODULES!r} if name in sys.modules]
        print("LOADED", loaded)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


def test_help_prints_the_defaults_from_the_one_table(capsys):
    from sklearn_palsy.paper import DEMO_EPOCHS, DEMO_IMAGE_SIZE, TRAIN_EPOCHS

    for command, epochs in (("evaluate", DEMO_EPOCHS), ("train", TRAIN_EPOCHS)):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"{epochs['ffnn_epochs']} ffnn, {epochs['resnet_epochs']} resnet" in text
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert f"(default: {DEMO_IMAGE_SIZE})" in " ".join(capsys.readouterr().out.split())


def test_demo_and_evaluate_of_one_configuration_print_table_and_machine(
    cohort_dir, tmp_path, capsys
):
    # The fast counterpart of the slow end-to-end demo test: the same
    # commands on one cheap configuration, so that make test covers them.
    import torch

    assert main(["demo", "--out", str(tmp_path / "demo"), "--n-patients", "2",
                 "--n-controls", "2", "--folds", "2", "--pipelines",
                 "features_ffnn", "--epochs-scale", "0.05", "--image-size", "32",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "patients with palsy : 2" in out and "images              : 20" in out
    assert "resnet10 ResNets" in out and "GroupKFold(2)" in out
    assert "features_ffnn" in out and "landmarks_ffnn" not in out
    assert (f"({torch.backends.cpu.get_cpu_capability()} kernels, "
            f"{torch.get_num_threads()} torch threads") in out
    assert list(pd.read_csv(tmp_path / "demo" / "table.csv").configuration) == [
        "features_ffnn"]
    assert main(["evaluate", str(cohort_dir / "manifest.csv"), "--pipelines",
                 "features_ffnn", "--folds", "2", "--out", str(tmp_path / "eval"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "best configuration (highest per-patient F1): features_ffnn" in out
    assert "not a medical device" in out
    assert (tmp_path / "eval" / "report.html").is_file()
