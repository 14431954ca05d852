"""Tests of check_patient_split and evaluate_pipelines."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.exceptions import PatientLeakageError
from sklearn_palsy.neural import FFNNClassifier
from sklearn_palsy.model_selection import (
    METRICS,
    check_patient_split,
    evaluate_pipelines,
    patient_scores,
)
from sklearn_palsy.preprocessing._features import ExpressionFeatures


@pytest.fixture(scope="module")
def cohort():
    return make_synthetic_cohort(n_patients=8, n_controls=8,
                                 expressions=("rest", "smile"), random_state=0)


def features_model():
    return make_pipeline(ExpressionFeatures(kinds=("symmetry",)), StandardScaler(),
                         LogisticRegression())


def test_check_patient_split_accepts_group_splitters_and_refuses_leaks(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    assert len(check_patient_split(GroupKFold(4), X, y, groups)) == 4
    assert len(check_patient_split(LeaveOneGroupOut(), X, y, groups)) == 16
    assert len(check_patient_split(3, X, y, groups)) == 3
    with pytest.raises(PatientLeakageError, match="fold 0 puts patients"):
        check_patient_split(KFold(4, shuffle=True, random_state=0), X, y, groups)
    with pytest.raises(ValueError, match="groups has 3 entries"):
        check_patient_split(GroupKFold(2), X, y, groups[:3])
    with pytest.raises(ValueError, match="groups"):
        check_patient_split(GroupKFold(2), X, y, None)


def test_evaluate_pipelines_table_shape_and_values(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    models = {"features": features_model(),
              "chance": DummyClassifier(strategy="prior")}
    result = evaluate_pipelines(models, X, y, groups, cv=GroupKFold(4), verbose=0)
    scores = result.scores
    assert len(scores) == 2 * 4 * 2  # estimators x folds x levels
    assert set(METRICS) <= set(scores.columns)
    assert list(dict.fromkeys(scores.estimator)) == ["features", "chance"]
    features = scores[(scores.estimator == "features") & (scores.level == "image")]
    assert features.roc_auc.mean() > 0.9
    chance = scores[(scores.estimator == "chance") & (scores.level == "image")]
    assert np.allclose(chance.roc_auc, 0.5)
    summary = result.summary
    assert ("features", "patient") in summary.index
    assert summary.loc[("features", "image"), ("f1", "mean")] == pytest.approx(
        features.f1.mean())
    # Out-of-fold predictions cover every image once per estimator.
    predictions = result.predictions
    assert sorted(predictions[predictions.estimator == "features"]["index"]) == list(
        range(len(y)))


def test_patient_level_scores_pool_the_images(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    result = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                cv=GroupKFold(4), verbose=0)
    predictions = result.predictions
    fold0 = predictions[predictions.fold == 0]
    pooled = patient_scores(fold0.y_true, fold0.proba, fold0.patient_id)
    assert len(pooled) == fold0.patient_id.nunique()
    expected = (pooled.proba >= 0.5) == (pooled.y_true == 1)
    patient_row = result.scores.query("fold == 0 and level == 'patient'").iloc[0]
    assert patient_row.accuracy == pytest.approx(expected.mean())


def test_leave_one_patient_out_and_leak_refusal(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    result = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                cv=LeaveOneGroupOut(), verbose=0)
    assert result.scores.fold.nunique() == 16
    with pytest.raises(PatientLeakageError):
        evaluate_pipelines({"features": features_model()}, X, y, groups,
                           cv=KFold(4, shuffle=True, random_state=0), verbose=0)


def test_evaluate_pipelines_shows_a_progress_bar(cohort, capsys):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    evaluate_pipelines({"features": features_model()}, X, y, groups, cv=2, verbose=1)
    assert "evaluating" in capsys.readouterr().err


def test_evaluate_pipelines_refuses_bad_input(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    with pytest.raises(TypeError, match="not a classifier"):
        evaluate_pipelines({"scaler": StandardScaler()}, X, y, groups, verbose=0)
    with pytest.raises(ValueError, match="binary"):
        evaluate_pipelines({"m": features_model()}, X, np.arange(len(y)) % 3, groups,
                           verbose=0)
    with pytest.raises(ValueError, match="non-empty dict"):
        evaluate_pipelines({}, X, y, groups)


def test_mixed_labels_within_a_patient_are_refused():
    with pytest.raises(ValueError, match="different labels"):
        patient_scores(np.array([0, 1]), np.array([0.2, 0.8]), np.array(["a", "a"]))
    pooled = patient_scores(np.array([1, 1, 0]), np.array([0.2, 0.6, 0.1]),
                            np.array(["a", "a", "b"]))
    assert isinstance(pooled, pd.DataFrame)
    assert pooled.proba.tolist() == pytest.approx([0.4, 0.1])


@pytest.mark.parametrize("routing", [False, True])
def test_evaluate_pipelines_routes_groups_to_fit_when_routing_is_on(routing):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 5)
    X, y = rng.normal(size=(60, 5)), groups % 2
    with sklearn.config_context(enable_metadata_routing=routing):
        clf = FFNNClassifier(max_epochs=2, early_stopping=True, random_state=0)
        if routing:
            clf.set_fit_request(groups=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluate_pipelines({"ffnn": clf}, X, y, groups, cv=3, verbose=0)
    by_image = [w for w in caught if "early_stopping without groups" in str(w.message)]
    # Routing off: groups only split, so early stopping splits by image and
    # says so, once per fold. Routing on: every fold's fit gets its patients.
    assert len(by_image) == (0 if routing else 3)
