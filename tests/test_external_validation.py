"""External validation: evaluate_pipelines(test=...) and ``evaluate --test``.

Train on one synthetic cohort, score on another; a test set that shares a
patient id or an image's content with the training set is refused, or, when
asked, scored with a loud warning.
"""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from sklearn_palsy import ExpressionFeatures, evaluate_pipelines
from sklearn_palsy.cli import main
from sklearn_palsy.exceptions import PatientLeakageError, PatientLeakageWarning


def _model():
    return make_pipeline(ExpressionFeatures(kinds=("symmetry",)), LogisticRegression())


@pytest.fixture(scope="module")
def sites(synthetic_cohort):
    """Two cohorts of landmarks; the second's patient ids renamed "B-..."."""
    a = synthetic_cohort(n_patients=8, n_controls=8, expressions=("rest", "smile"))
    b = synthetic_cohort(n_patients=6, n_controls=6, expressions=("rest", "smile"),
                         random_state=1)
    b_groups = np.array([f"B-{patient}" for patient in b.groups], dtype=object)
    return a, b, b_groups


def test_fit_on_one_cohort_and_score_on_another(sites):
    a, b, b_groups = sites
    result = evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups,
                                test=(b.landmarks, b.y, b_groups), verbose=0,
                                n_bootstraps=200, random_state=0)
    assert result.validation == "external"
    assert result.scores.fold.unique().tolist() == [0]
    assert result.predictions["index"].tolist() == list(range(len(b.y)))
    assert result.predictions.patient_id.tolist() == b_groups.tolist()
    train, test = result.splits[0]
    assert train.tolist() == list(range(len(a.y)))
    assert test.tolist() == list(range(len(b.y)))
    # The scores are those of the model fitted on all of the first cohort.
    proba = clone(_model()).fit(a.landmarks, a.y).predict_proba(b.landmarks)[:, 1]
    np.testing.assert_allclose(result.predictions.proba, proba)
    row = result.intervals.set_index(["level", "metric"]).loc[("image", "roc_auc")]
    assert row.estimate == pytest.approx(roc_auc_score(b.y, proba))
    assert row.low <= row.estimate <= row.high
    assert result.intervals[["low", "high"]].notna().all().all()


def test_a_shared_patient_id_is_refused_or_warned_about(sites):
    a, b, b_groups = sites
    shared = b_groups.copy()
    shared[b_groups == b_groups[0]] = a.groups[0]
    with pytest.raises(PatientLeakageError, match=(
            r"not an external validation: 1 patient id in both: 'P01' \(training "
            r"rows 0, 1, test rows 0, 1\)\. Remove them")):
        evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups,
                           test=(b.landmarks, b.y, shared), verbose=0,
                           n_bootstraps=10)
    with pytest.warns(PatientLeakageWarning, match="^OVERLAP: the test set shares"):
        result = evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups,
                                    test=(b.landmarks, b.y, shared), verbose=0,
                                    n_bootstraps=10, on_overlap="warn")
    assert len(result.predictions) == len(b.y)


def test_an_image_of_the_training_set_in_the_test_set_is_refused(sites):
    a, b, b_groups = sites
    landmarks = np.array(b.landmarks)
    landmarks[5] = a.landmarks[3]
    with pytest.raises(PatientLeakageError, match=(
            "1 test image has the content of a training image: training row 3 and "
            "test row 5")):
        evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups,
                           test=(landmarks, b.y, b_groups), verbose=0)


def test_test_and_cv_together_are_refused(sites):
    a, b, b_groups = sites
    with pytest.raises(ValueError, match="takes cv .* or test .*, not both"):
        evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups, cv=2,
                           test=(b.landmarks, b.y, b_groups), verbose=0)
    with pytest.raises(ValueError, match=r"test must be a tuple \(X_test, y_test, "
                       r"groups_test\); got tuple of length 2"):
        evaluate_pipelines({"lr": _model()}, a.landmarks, a.y, a.groups,
                           test=(b.landmarks, b.y), verbose=0)


@pytest.fixture(scope="module")
def site_manifests(synthetic_cohort, tmp_path_factory):
    """Two cohorts on disk: a training manifest, and test manifests (renamed
    ids; the original ids; renamed ids plus a copy of a training photo)."""
    a = synthetic_cohort(n_patients=3, n_controls=3, expressions=("rest", "smile"),
                         image_size=160, on_disk=True)
    b = synthetic_cohort(n_patients=3, n_controls=3, expressions=("rest", "smile"),
                         image_size=160, on_disk=True, random_state=1)
    folder = tmp_path_factory.mktemp("sites")
    frame = pd.read_csv(b.manifest, dtype={"patient_id": str})
    frame["image"] = [str(Path(b.manifest).parent / image) for image in frame.image]
    renamed = frame.assign(patient_id="B-" + frame.patient_id)
    renamed.to_csv(folder / "renamed.csv", index=False)
    frame.to_csv(folder / "same_ids.csv", index=False)
    training = pd.read_csv(a.manifest, dtype={"patient_id": str})
    copy = folder / "copy.png"
    shutil.copyfile(Path(a.manifest).parent / training.image[2], copy)
    extra = renamed.iloc[[0]].assign(image=str(copy), patient_id="B-X9")
    pd.concat([renamed, extra]).to_csv(folder / "with_copy.csv", index=False)
    return Path(a.manifest), folder


def test_evaluate_refuses_a_test_manifest_sharing_patients_or_images(
        site_manifests, tmp_path, capsys):
    train, folder = site_manifests
    args = ["evaluate", str(train), "--pipelines", "features_ffnn", "--out",
            str(tmp_path), "--quiet", "--test"]
    assert main([*args, str(folder / "same_ids.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"sklearn-palsy: error: {folder / 'same_ids.csv'} against "
                          f"{train} (rows count each manifest's images from 0: "
                          "line = row + 2): the test set shares patients")
    assert "6 patient ids in both: 'P01' (training rows 0, 1, test rows 0, 1)" in err
    assert main([*args, str(folder / "with_copy.csv")]) == 1
    err = capsys.readouterr().err
    assert "1 test image has the content of a training image: training row 2 " in err
    assert f"and test row 12 '{folder / 'copy.png'}'" in err
    assert "--allow-overlap" in err and "Traceback" not in err
    assert not (tmp_path / "table.csv").exists()


def test_evaluate_by_a_column_the_manifest_lacks_is_refused(site_manifests, tmp_path,
                                                            capsys):
    train, folder = site_manifests
    assert main(["evaluate", str(train), "--test", str(folder / "renamed.csv"),
                 "--by", "expression,camera", "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"--by names 'camera', which '{folder / 'renamed.csv'}' lacks" in err
    assert "its columns are image, patient_id, label, expression" in err


@pytest.mark.slow
def test_evaluate_trains_on_one_manifest_and_tests_on_another(site_manifests,
                                                              tmp_path, capsys):
    train, folder = site_manifests
    assert main(["evaluate", str(train), "--test", str(folder / "renamed.csv"),
                 "--pipelines", "features_ffnn,landmarks_ffnn", "--by", "expression",
                 "--bootstraps", "200", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"tested on {folder / 'renamed.csv'} (12 images of 6 patients)" in out
    assert "Per patient, with 95 % confidence intervals" in out
    intervals = pd.read_csv(tmp_path / "intervals.csv")
    row = intervals.set_index(["estimator", "level", "metric"]).loc[
        ("features_ffnn", "patient", "f1")]
    from sklearn_palsy.model_selection import format_interval

    assert format_interval(row.estimate, row.low, row.high) in out
    assert "Paired comparison with" in out and "bootstrap p = " in out
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert len(comparison) == 1 and comparison.p_corrected_t.isna().all()
    assert "By expression (per patient, 95 % intervals):" in out
    subgroups = pd.read_csv(tmp_path / "subgroups.csv")
    assert set(subgroups.subgroup) == {"rest", "smile"}
    assert (subgroups.n_patients == 6).all() and (subgroups.n_images == 6).all()
    assert subgroups.note.str.startswith("too small to say anything").all()
