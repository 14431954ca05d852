"""Tests of check_patient_split and evaluate_pipelines."""

import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibrationDisplay, calibration_curve
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy.clinical._ordinal import OrdinalClassifier
from sklearn_palsy.exceptions import ManifestError, PatientLeakageError
from sklearn_palsy.model_selection import (
    CALIBRATION_METRICS,
    METRICS,
    MULTICLASS_METRICS,
    ORDINAL_METRICS,
    calibration_table,
    check_patient_split,
    evaluate_pipelines,
    patient_scores,
)
from sklearn_palsy.neural import FFNNClassifier
from sklearn_palsy.paper import make_paper_pipelines
from sklearn_palsy.preprocessing._features import ExpressionFeatures


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=8, n_controls=8, expressions=("rest", "smile"))


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
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): 1.000 / 1.000 / 0.969, min 0.969.
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


@pytest.mark.parametrize("return_estimator", [True, ["features"]])
def test_evaluate_pipelines_returns_the_fitted_folds(cohort, return_estimator):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    models = {"features": features_model(),
              "chance": DummyClassifier(strategy="prior")}
    result = evaluate_pipelines(models, X, y, groups, cv=GroupKFold(4), verbose=0,
                                return_estimator=return_estimator)
    expected = ["features", "chance"] if return_estimator is True else ["features"]
    assert list(result.estimators) == expected
    for fold, ((train, test), fitted) in enumerate(
            zip(result.splits, result.estimators["features"], strict=True)):
        # The very model that was scored: its probabilities are the fold's.
        assert fitted is not models["features"]
        fold_rows = result.predictions[(result.predictions.estimator == "features")
                                       & (result.predictions.fold == fold)]
        np.testing.assert_allclose(fitted.predict_proba(X[test])[:, 1],
                                   fold_rows.proba.to_numpy())
        refitted = clone(models["features"]).fit(X[train], y[train])
        np.testing.assert_allclose(fitted[-2].mean_, refitted[-2].mean_)
    assert "estimators" not in evaluate_pipelines(models, X, y, groups, cv=2,
                                                  verbose=0)
    with pytest.raises(ValueError, match=r"return_estimator names \['nope'\]"):
        evaluate_pipelines(models, X, y, groups, cv=2, verbose=0,
                           return_estimator=["nope"])
    with pytest.raises(ValueError, match=r"folds \[2\] of 'chance'; there are 2"):
        evaluate_pipelines(models, X, y, groups, cv=2, verbose=0,
                           return_estimator={"chance": [2]})
    first = evaluate_pipelines(models, X, y, groups, cv=GroupKFold(4), verbose=0,
                               return_estimator={"features": [0]})
    assert list(first.estimators) == ["features"]
    assert first.estimators["features"][1:] == [None, None, None]
    np.testing.assert_allclose(first.estimators["features"][0].predict_proba(X),
                               result.estimators["features"][0].predict_proba(X))


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


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts 0.5 for everyone, and records every fit in ``fits``."""

    fits = []

    def fit(self, X, y):
        type(self).fits.append(len(y))
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


@pytest.fixture
def recording():
    _RecordingClassifier.fits.clear()
    yield _RecordingClassifier
    _RecordingClassifier.fits.clear()


def _cohort_with_a_patient_in_two_classes():
    X = np.arange(24, dtype=float).reshape(12, 2)
    groups = np.repeat(["P1", "P2", "C1", "C2", "P3", "C3"], 2)
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0])
    return X, y, groups  # P2 has 1 and 0; C3 has 1 and 0


def test_check_patient_split_refuses_a_patient_in_two_classes_unless_allowed():
    X, y, groups = _cohort_with_a_patient_in_two_classes()
    with pytest.raises(ManifestError) as info:
        check_patient_split(GroupKFold(3), X, y, groups)
    assert info.value.problems == [
        ("P2", "patient 'P2': 1 at index 2; 0 at index 3"),
        ("C3", "patient 'C3': 1 at index 10; 0 at index 11"),
    ]
    message = str(info.value)
    assert message.startswith("2 patients have samples with more than one label")
    assert "allow_mixed_patient_labels=True" in message
    assert "patient 'P2': 1 at index 2; 0 at index 3" in message
    splits = check_patient_split(GroupKFold(3), X, y, groups,
                                 allow_mixed_patient_labels=True)
    assert len(splits) == 3
    # Multiclass grades constant within each patient are fine.
    grades = np.repeat([3, 1, 0, 0, 5, 2], 2)
    assert len(check_patient_split(GroupKFold(3), X, grades, groups)) == 3


def test_evaluate_pipelines_refuses_a_patient_in_two_classes_before_fitting(
    recording,
):
    X, y, groups = _cohort_with_a_patient_in_two_classes()
    with pytest.raises(ManifestError, match="2 patients have samples with more than "
                                            "one label") as info:
        evaluate_pipelines({"recording": recording()}, X, y, groups, cv=2, verbose=0)
    assert [patient for patient, _ in info.value.problems] == ["P2", "C3"]
    assert "evaluate_pipelines scores each patient" in str(info.value)
    assert recording.fits == []
    # The same cohort with consistent labels is fitted once per fold.
    y_consistent = np.repeat([1, 1, 0, 0, 1, 0], 2)
    evaluate_pipelines({"recording": recording()}, X, y_consistent, groups, cv=2,
                       verbose=0)
    assert recording.fits == [6, 6]


def test_mixed_label_error_lists_20_patients_and_counts_the_rest():
    groups = np.repeat([f"P{i:02d}" for i in range(25)], 2)
    y = np.tile([0, 1], 25)
    with pytest.raises(ManifestError) as info:
        check_patient_split(GroupKFold(2), np.zeros((50, 1)), y, groups)
    assert len(info.value.problems) == 25
    message = str(info.value)
    assert "'P19'" in message and "'P20'" not in message
    assert message.endswith("... and 5 more")


@pytest.mark.parametrize(
    "bad_groups, match",
    [
        ([1, "P2", None, "P4"] * 3, r"^groups has 3 missing or infinite patient ids "
                                    r"\(None, NaN or inf\) at indices 2, 6, 10;"),
        ([1.0, 2.0, np.nan, 4.0] * 3, r"^groups has 3 missing"),
        (pd.Series(["P1", "P2", pd.NA, "P4"] * 3), r"^groups has 3 missing"),
        ([1, "P2", "P3", "P4"] * 3, r"^groups mixes numbers and text: indices 0 \(1\), "
                                    r"4 \(1\), 8 \(1\) are numbers, the other 9 are "
                                    r"text"),
        ([("P", 1), "P2"] * 6, r"^groups must hold numbers or text; found other "
                               r"values at indices 0 \(\('P', 1\)\), 2 "),
        (np.zeros((12, 2)), r"^groups must be a 1-D array-like"),
    ],
    ids=["none", "nan", "pd-na", "numbers-and-text", "tuples", "2-d"],
)
def test_bad_groups_are_refused_saying_so_before_fitting(bad_groups, match, recording):
    X = np.zeros((12, 2))
    y = np.tile([0, 1], 6)
    with pytest.raises(ValueError, match=match):
        check_patient_split(GroupKFold(2), X, y, bad_groups)
    with pytest.raises(ValueError, match=match):
        evaluate_pipelines({"recording": recording()}, X, y, bad_groups, cv=2,
                           verbose=0)
    assert recording.fits == []


# ---------------------------------------------------------------- beyond binary
def _three_classes(cohort):
    """control / moderate / severe from the renderer's severity: 8, 5, 3 people."""
    return np.where(cohort.severity == 0, "control",
                    np.where(cohort.severity < 0.75, "moderate", "severe"))


def test_multiclass_scores_match_scikit_learn_on_the_predictions(cohort):
    X, groups = cohort.landmarks, cohort.groups
    y = _three_classes(cohort)
    result = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                cv=GroupKFold(4), verbose=0)
    assert result.target == "multiclass"
    assert result.classes.tolist() == ["control", "moderate", "severe"]
    assert result.metrics == MULTICLASS_METRICS
    assert set(MULTICLASS_METRICS) <= set(result.scores.columns)
    assert "precision" not in result.scores.columns
    predictions = result.predictions
    proba = predictions[[f"proba_{c}" for c in result.classes]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (predictions.y_pred == result.classes[proba.argmax(axis=1)]).all()
    matrices = result.confusion_matrices["features"]
    assert matrices["image"].shape == (4, 3, 3)
    assert matrices["image"].sum() == len(y)
    assert matrices["patient"].sum() == len(set(groups))
    np.testing.assert_array_equal(matrices["image"].sum(axis=(0, 2)),
                                  [16, 10, 6])  # images per true class
    for fold in range(4):
        rows = predictions[predictions.fold == fold]
        score = result.scores.query("fold == @fold and level == 'image'").iloc[0]
        assert score.accuracy == pytest.approx(np.mean(rows.y_true == rows.y_pred))
        assert score.f1_macro == pytest.approx(f1_score(
            rows.y_true, rows.y_pred, average="macro", zero_division=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a class predicted but absent
            assert score.balanced_accuracy == pytest.approx(
                balanced_accuracy_score(rows.y_true, rows.y_pred))
        present = sorted(set(rows.y_true))
        expected_auc = np.mean([
            roc_auc_score(rows.y_true == c, rows[f"proba_{c}"]) for c in present])
        assert score.roc_auc_ovr == pytest.approx(expected_auc)
        np.testing.assert_array_equal(
            matrices["image"][fold],
            confusion_matrix(rows.y_true, rows.y_pred, labels=result.classes))
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): 0.903 / 0.951 / 0.938, min 0.903.
    assert result.summary.loc[("features", "image"), ("roc_auc_ovr", "mean")] > 0.8


def test_multiclass_patients_get_their_images_mean_probabilities(cohort):
    X, groups = cohort.landmarks, cohort.groups
    y = _three_classes(cohort)
    result = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                cv=GroupKFold(4), verbose=0, return_estimator=True)
    columns = [f"proba_{c}" for c in result.classes]
    for fold, fitted in enumerate(result.estimators["features"]):
        rows = result.predictions[result.predictions.fold == fold]
        np.testing.assert_allclose(fitted.predict_proba(X[rows["index"]]),
                                   rows[columns].to_numpy())
        pooled = rows.groupby("patient_id").agg(
            {"y_true": "first", **{c: "mean" for c in columns}})
        predicted = result.classes[pooled[columns].to_numpy().argmax(axis=1)]
        patient = result.scores.query("fold == @fold and level == 'patient'").iloc[0]
        assert patient.accuracy == pytest.approx(np.mean(predicted == pooled.y_true))
        np.testing.assert_array_equal(
            result.confusion_matrices["features"]["patient"][fold],
            confusion_matrix(pooled.y_true, predicted, labels=result.classes))


def test_ordinal_scores_count_grade_steps_in_the_given_order(cohort):
    X, groups = cohort.landmarks, cohort.groups
    names = np.array(["none", "moderate", "severe"])  # sorted: moderate < none
    y = names[np.searchsorted(["control", "moderate", "severe"],
                              _three_classes(cohort))]
    order = ["none", "moderate", "severe"]
    result = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                cv=GroupKFold(4), target="ordinal", classes=order,
                                verbose=0)
    assert result.metrics == ORDINAL_METRICS
    assert result.classes.tolist() == order
    rank = {label: i for i, label in enumerate(order)}
    predictions = result.predictions
    proba = predictions[[f"proba_{c}" for c in order]].to_numpy()
    # The predicted grade is the rounded expected grade.
    expected_grade = np.floor(proba @ np.arange(3) + 0.5).astype(int)
    assert predictions.y_pred.map(rank).tolist() == expected_grade.tolist()
    for fold in range(4):
        rows = predictions[predictions.fold == fold]
        true, pred = rows.y_true.map(rank), rows.y_pred.map(rank)
        score = result.scores.query("fold == @fold and level == 'image'").iloc[0]
        assert score.mean_absolute_error == pytest.approx(np.mean(np.abs(true - pred)))
        assert score.quadratic_kappa == pytest.approx(
            cohen_kappa_score(true, pred, weights="quadratic", labels=[0, 1, 2]))
        assert score.spearman == pytest.approx(spearmanr(true, pred).statistic,
                                               nan_ok=True)
    image = result.summary.loc[("features", "image")]
    assert image[("mean_absolute_error", "mean")] < 0.5
    # In sorted order "none" would sit between "moderate" and "severe".
    sorted_order = evaluate_pipelines({"features": features_model()}, X, y, groups,
                                      cv=GroupKFold(4), target="ordinal",
                                      verbose=0)
    assert sorted_order.classes.tolist() == ["moderate", "none", "severe"]
    assert not np.allclose(sorted_order.scores.mean_absolute_error,
                           result.scores.mean_absolute_error)


def test_ordinal_grades_that_a_fold_lacks_get_probability_zero(cohort):
    X, y, groups = cohort.landmarks, cohort.grade, cohort.groups  # grades 1, 4-6
    result = evaluate_pipelines(
        {"ordinal": make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
                                  StandardScaler(), OrdinalClassifier())},
        X, y, groups, cv=GroupKFold(4), target="ordinal", classes=range(1, 7),
        verbose=0)
    assert result.confusion_matrices["ordinal"]["image"].shape == (4, 6, 6)
    assert (result.predictions[["proba_2", "proba_3"]].to_numpy() == 0).all()
    # An error from grade 1 to 4 counts three steps, not one.
    rows = result.predictions
    steps = np.abs(rows.y_true - rows.y_pred)
    image = result.scores[result.scores.level == "image"]
    assert image.mean_absolute_error.mean() == pytest.approx(
        steps.groupby(rows.fold).mean().mean())
    with pytest.raises(ValueError, match=r"predicts classes \[7\] that the target's "
                                         r"classes \[1, 2, 3, 4, 5, 6\] lack"):
        evaluate_pipelines({"o": OrdinalClassifier(classes=range(1, 8))},
                           ExpressionFeatures().fit_transform(X), y, groups, cv=2,
                           target="ordinal", classes=range(1, 7), verbose=0)


def test_target_is_binary_for_two_classes_and_chosen_otherwise(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    binary = evaluate_pipelines({"f": features_model()}, X, y, groups, cv=2,
                                verbose=0)
    assert binary.target == "binary" and binary.metrics == METRICS + CALIBRATION_METRICS
    as_classes = evaluate_pipelines({"f": features_model()}, X, y, groups, cv=2,
                                    target="multiclass", verbose=0)
    assert as_classes.target == "multiclass"
    # The same predictions: accuracy agrees between the two readings.
    np.testing.assert_allclose(as_classes.scores.accuracy, binary.scores.accuracy)
    np.testing.assert_allclose(as_classes.scores.roc_auc_ovr, binary.scores.roc_auc)
    with pytest.raises(ValueError, match="target must be one of"):
        evaluate_pipelines({"f": features_model()}, X, y, groups, target="graded")
    with pytest.raises(ValueError, match="a binary target takes pos_label"):
        evaluate_pipelines({"f": features_model()}, X, y, groups, target="binary",
                           classes=[0, 1])
    with pytest.raises(ValueError, match=r"y has labels \[1\] that classes=\[0, 2\] "
                                         r"lacks, at rows 0, 1, 2"):
        evaluate_pipelines({"f": features_model()}, X, y, groups,
                           target="ordinal", classes=[0, 2])
    with pytest.raises(ValueError, match="Pass target='multiclass'"):
        evaluate_pipelines({"f": features_model()}, X, _three_classes(cohort),
                           groups, target="binary", pos_label="severe")


def test_binary_calibration_brier_and_extreme_probabilities(cohort):
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    models = {"features": features_model(),
              "certain": DummyClassifier(strategy="most_frequent")}
    result = evaluate_pipelines(models, X, y, groups, cv=GroupKFold(4), verbose=0)
    assert set(CALIBRATION_METRICS) <= set(result.summary.columns.get_level_values(0))
    predictions = result.predictions
    scores = result.scores.set_index(["estimator", "fold", "level"])
    for (name, fold), rows in predictions.groupby(["estimator", "fold"]):
        score = scores.loc[(name, fold, "image")]
        assert score.brier == pytest.approx(np.mean((rows.proba - rows.y_true) ** 2))
    image = result.summary.xs("image", level="level")
    # The most frequent class, predicted with probability exactly 1 or 0.
    assert image.loc["certain", ("extreme_fraction", "mean")] == 1.0
    # Spread (benchmarks/bound_spread.py, 2026-12-06; cohort seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): extreme fraction 0 on every run; Brier 0.005 / 0.010 /
    # 0.061, max 0.061.
    assert image.loc["features", ("extreme_fraction", "mean")] <= 0.02
    assert image.loc["features", ("brier", "mean")] < 0.1

    table = calibration_table(result, n_bins=5)
    assert list(table.columns) == ["estimator", "bin", "lower", "upper", "count",
                                   "mean_predicted", "fraction_positive",
                                   "extreme_fraction"]
    features = table[table.estimator == "features"]
    rows = predictions[predictions.estimator == "features"]
    fraction_positive, mean_predicted = calibration_curve(rows.y_true, rows.proba,
                                                          n_bins=5)
    np.testing.assert_allclose(features.fraction_positive, fraction_positive)
    np.testing.assert_allclose(features.mean_predicted, mean_predicted)
    assert features["count"].sum() == len(y)
    assert (features.lower <= features.mean_predicted).all()
    assert (features.mean_predicted <= features.upper).all()
    assert table[table.estimator == "certain"].extreme_fraction.eq(1.0).all()
    quantile = calibration_table(result, n_bins=4, strategy="quantile")
    fraction_positive, _ = calibration_curve(rows.y_true, rows.proba, n_bins=4,
                                             strategy="quantile")
    np.testing.assert_allclose(
        quantile[quantile.estimator == "features"].fraction_positive,
        fraction_positive)
    patients = calibration_table(result, n_bins=5, level="patient")
    assert patients[patients.estimator == "features"]["count"].sum() == 16
    # The out-of-fold predictions are all CalibrationDisplay needs.
    matplotlib.use("Agg")
    display = CalibrationDisplay.from_predictions(rows.y_true, rows.proba, n_bins=5)
    np.testing.assert_allclose(display.prob_true, features.fraction_positive)
    plt.close("all")
    graded = evaluate_pipelines({"f": features_model()}, X, _three_classes(cohort),
                                groups, cv=2, verbose=0)
    with pytest.raises(ValueError, match="needs a binary evaluation"):
        calibration_table(graded)


def paper_three_class_evaluation(cohort, seed=0):
    """The paper's feature models as they are, on the exact landmarks instead
    of detected ones, networks seeded by ``seed``, under GroupKFold(4)
    (``benchmarks/bound_spread.py`` calls it with other seeds)."""
    models = make_paper_pipelines(ffnn_epochs=20, random_state=seed)
    models = {name: models[name].set_params(landmarks="passthrough")
              for name in ("features_ffnn", "landmarks_ffnn")}
    return models, evaluate_pipelines(models, cohort.landmarks, _three_classes(cohort),
                                      cohort.groups, cv=GroupKFold(4), verbose=0,
                                      return_estimator=["features_ffnn"])


def test_paper_pipelines_score_a_three_class_problem(cohort):
    models, result = paper_three_class_evaluation(cohort)
    assert result.target == "multiclass"
    assert list(result.summary.index.get_level_values(0).unique()) == list(models)
    assert result.summary.notna().all().all()
    fitted = result.estimators["features_ffnn"][0]
    assert fitted[-1].classes_.tolist() == ["control", "moderate", "severe"]
    features = result.summary.loc[("features_ffnn", "image")]
    # Spread (benchmarks/bound_spread.py, 2026-12-06; network seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): ROC AUC 0.944 / 0.931 / 0.944, min 0.931; accuracy 0.750 /
    # 0.812 / 0.812, min 0.750.
    assert features[("roc_auc_ovr", "mean")] > 0.85
    assert features[("accuracy", "mean")] > 0.5  # chance is 0.5 (16 of 32)


class _CountingLogisticRegression(LogisticRegression):
    """LogisticRegression that records every fit in ``fits``."""

    fits = []

    def fit(self, X, y, sample_weight=None):
        type(self).fits.append(len(y))
        return super().fit(X, y, sample_weight=sample_weight)


# In one process with routing off; in two loky workers (the fitted folds
# come back as copies) with routing on.
@pytest.mark.parametrize(("routing", "n_jobs"), [
    (False, None),
    # Two loky worker processes: end to end, and slow.
    pytest.param(True, 2, marks=pytest.mark.slow),
])
def test_a_voting_ensemble_of_evaluated_estimators_reuses_their_folds(
        cohort, n_jobs, routing):
    from sklearn.ensemble import VotingClassifier
    from sklearn.frozen import FrozenEstimator

    X, y, groups = cohort.landmarks, cohort.y, cohort.groups

    def member(C):
        return make_pipeline(ExpressionFeatures(kinds=("symmetry",)), StandardScaler(),
                             _CountingLogisticRegression(C=C))

    def vote(C_a=1.0, C_b=0.01):
        return VotingClassifier([("a", member(C_a)), ("b", member(C_b))],
                                voting="soft")

    models = {"a": member(1.0), "b": member(0.01), "late": vote()}
    _CountingLogisticRegression.fits.clear()
    with sklearn.config_context(enable_metadata_routing=routing):
        result = evaluate_pipelines(models, X, y, groups, cv=GroupKFold(4), verbose=0,
                                    n_jobs=n_jobs, return_estimator=["a", "late"])
        alone = evaluate_pipelines({"late": vote()}, X, y, groups, cv=GroupKFold(4),
                                   verbose=0)
    if n_jobs is None:
        # 2 members x 4 folds, then the ensemble alone trains its 8 again.
        assert len(_CountingLogisticRegression.fits) == 8 + 8
    shared = result.predictions[result.predictions.estimator == "late"]
    np.testing.assert_allclose(
        shared.proba.to_numpy(),
        alone.predictions.proba.to_numpy(), rtol=0, atol=1e-12)
    assert list(dict.fromkeys(result.predictions.estimator)) == ["a", "b", "late"]
    for fold in range(4):
        ensemble = result.estimators["late"][fold]
        assert isinstance(ensemble.estimators_[0], FrozenEstimator)
        inner, source = ensemble.estimators_[0].estimator, result.estimators["a"][fold]
        # The same object in one process; across workers, a copy of it.
        assert inner is source or n_jobs == 2
        np.testing.assert_array_equal(inner[-1].coef_, source[-1].coef_)
        times = result.scores[(result.scores.level == "image")
                              & (result.scores.fold == fold)].set_index("estimator")
        assert times.fit_time["late"] >= times.fit_time["a"] + times.fit_time["b"]
    # A member that differs from every evaluated estimator is trained as usual.
    _CountingLogisticRegression.fits.clear()
    evaluate_pipelines({"a": member(1.0), "b": member(0.01), "late": vote(C_b=0.1)},
                       X, y, groups, cv=GroupKFold(4), verbose=0)
    assert len(_CountingLogisticRegression.fits) == 8 + 8


def test_a_voting_ensemble_over_an_unpicklable_estimator_is_trained_as_usual(cohort):
    from sklearn.ensemble import VotingClassifier
    from sklearn.preprocessing import FunctionTransformer

    X, y, groups = cohort.landmarks, cohort.y, cohort.groups

    def member():
        # A lambda cannot be pickled, so this member cannot be hashed.
        return make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
                             FunctionTransformer(lambda features: features * 2),
                             _CountingLogisticRegression())

    _CountingLogisticRegression.fits.clear()
    result = evaluate_pipelines(
        {"a": member(), "late": VotingClassifier([("a", member())], voting="soft")},
        X, y, groups, cv=GroupKFold(4), verbose=0)
    assert len(_CountingLogisticRegression.fits) == 4 + 4
    late = result.predictions[result.predictions.estimator == "late"]
    a = result.predictions[result.predictions.estimator == "a"]
    np.testing.assert_allclose(late.proba.to_numpy(), a.proba.to_numpy())


# ------------------------------------------------------------ labels of every kind
def _graded_table(n_patients=12, seed=0):
    """Two features of two images per patient, three ordered grades by patient."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_patients), 2)
    grade = groups % 3
    X = rng.normal(size=(len(groups), 2))
    X[:, 0] += grade
    return X, grade, groups


class _RecordingLogisticRegression(LogisticRegression):
    fits = []

    def fit(self, X, y, **kwargs):
        type(self).fits.append(len(X))
        return super().fit(X, y, **kwargs)


@pytest.mark.parametrize("target", ["auto", "binary", "multiclass", "ordinal"])
@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_labels_are_named_for_every_target_before_fitting(target, missing):
    X, grade, groups = _graded_table()
    names = ["control", "palsy"] if target in ("auto", "binary") else [
        "none", "mild", "severe"]
    y = np.array(names, dtype=object)[grade % len(names)]
    if missing is not None:
        y = y.astype(object)
    y[[4, 5, 9]] = missing
    _RecordingLogisticRegression.fits = []
    with pytest.raises(ValueError, match=(
            r"^evaluate_pipelines needs a label for every sample; y has 3 missing "
            r"labels \(None or NaN\) at rows 4, 5, 9\. Drop those samples or label "
            r"them$")):
        evaluate_pipelines({"lr": _RecordingLogisticRegression()}, X, y, groups,
                           cv=GroupKFold(2), target=target, pos_label="palsy",
                           classes=None, verbose=0)
    assert _RecordingLogisticRegression.fits == []


def test_numeric_nan_labels_and_many_missing_labels_are_named():
    X, grade, groups = _graded_table(n_patients=20)
    y = grade.astype(float)
    y[10:35] = np.nan
    listed = ", ".join(str(row) for row in range(10, 30))
    with pytest.raises(ValueError, match=(
            rf"y has 25 missing labels \(None or NaN\) at rows {listed}, \.\.\. and 5 "
            "more")):
        evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=2,
                           target="ordinal", verbose=0)
    with pytest.raises(ValueError, match=(
            r"^check_patient_split needs a label for every sample; y has 25 missing")):
        check_patient_split(GroupKFold(2), X, y, groups)


def test_labels_mixing_numbers_and_text_are_named():
    X, grade, groups = _graded_table()
    y = grade.astype(object)
    y[[6, 7]] = "2"
    with pytest.raises(ValueError, match=(
            r"^evaluate_pipelines needs labels that are all numbers or all text; in "
            r"y, rows 6 \('2'\), 7 \('2'\) are text, the other 22 are numbers\. Give "
            r"every label the same way \(1 and '1' would be two classes\)$")):
        evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=2,
                           target="multiclass", verbose=0)


def _order_warnings(caught):
    return [str(warning.message) for warning in caught
            if "ordered the text grades" in str(warning.message)]


def test_ordinal_text_grades_without_classes_warn_naming_the_order_used():
    X, grade, groups = _graded_table()
    y = np.array(["none", "mild", "severe"])[grade]
    with pytest.warns(UserWarning, match=(
            r"^evaluate_pipelines ordered the text grades of y alphabetically, lowest "
            r"first: \['mild', 'none', 'severe'\]\. If that is not their grade order, "
            r"pass classes= with every grade from lowest to highest")) as caught:
        result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups,
                                    cv=2, target="ordinal", verbose=0)
    assert result.classes.tolist() == ["mild", "none", "severe"]
    assert caught[0].filename == __file__  # points at the call
    # Silent where the order is given, numeric or not asked to be ordinal.
    for labels, options in ((y, {"target": "ordinal",
                                 "classes": ["none", "mild", "severe"]}),
                            (grade, {"target": "ordinal"}),
                            (grade.astype(float), {"target": "ordinal"}),
                            (y, {"target": "multiclass"})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluate_pipelines({"lr": LogisticRegression()}, X, labels, groups,
                               cv=2, verbose=0, **options)
        assert _order_warnings(caught) == [], options
