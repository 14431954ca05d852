"""The learning curve by number of patients (learning_curve_by_patients)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GroupKFold, cross_val_predict

from sklearn_palsy.exceptions import PatientLeakageError
from sklearn_palsy.model_selection import METRICS, learning_curve_by_patients
from sklearn_palsy.model_selection._learning_curve import _fast_scores

# Every fit's training patients, in the order of the fits.
SEEN = []


class Recorder(ClassifierMixin, BaseEstimator):
    """Logistic regression on column 1 that records column 0 (the patient)."""

    def fit(self, X, y):
        SEEN.append((sorted(set(X[:, 0].astype(int))), len(X)))
        self.model_ = LogisticRegression().fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X[:, 1:])


@pytest.fixture(scope="module")
def cohort():
    """30 patients (12 with palsy), 3 images each, one informative feature."""
    rng = np.random.default_rng(0)
    patients = np.repeat(np.arange(30), 3)
    label = (np.arange(30) < 12).astype(int)[patients]
    feature = label * 1.5 + rng.normal(size=90)
    return np.column_stack([patients, feature]), label, patients


def test_each_fit_sees_a_stratified_subset_of_its_training_patients(cohort):
    X, y, groups = cohort
    SEEN.clear()
    splits = list(GroupKFold(3).split(X, y, groups))
    result = learning_curve_by_patients(Recorder(), X, y, groups,
                                        train_sizes=[5, 10, 20], cv=splits,
                                        n_repeats=2, n_resamples=20)
    assert result.train_sizes == [5, 10, 20]
    assert result.training_patients == [20, 20, 20]
    # Per fold: sizes 5 and 10 twice each, then all 20 patients once.
    assert len(SEEN) == 3 * (2 + 2 + 1)
    palsy = set(range(12))
    for fold, (train, _) in enumerate(splits):
        training = set(groups[train])
        for patients, n_images in SEEN[5 * fold:5 * fold + 5]:
            assert set(patients) <= training
            assert n_images == 3 * len(patients)
        sizes = [len(patients) for patients, _ in SEEN[5 * fold:5 * fold + 5]]
        assert sorted(sizes) == [5, 5, 10, 10, 20]
        # Stratified: the share of palsy follows the training fold's.
        share = len(training & palsy) / 20
        for patients, _ in SEEN[5 * fold:5 * fold + 5]:
            in_class = len(set(patients) & palsy)
            assert abs(in_class - share * len(patients)) <= 1
            assert 0 < in_class < len(patients)
    # Different repeats draw different patients.
    assert SEEN[0][0] != SEEN[1][0]


def test_the_full_size_equals_a_patient_grouped_cross_validation(cohort):
    X, y, groups = cohort
    cv = GroupKFold(3)
    result = learning_curve_by_patients(
        LogisticRegression(), X[:, 1:], y, groups, train_sizes=[1.0], cv=cv,
        metrics=("roc_auc", "balanced_accuracy"), levels=("image", "patient"),
        n_resamples=50)
    # An independent computation: scikit-learn's out-of-fold probabilities,
    # each patient's mean, scored with scikit-learn's metrics.
    proba = cross_val_predict(LogisticRegression(), X[:, 1:], y, groups=groups,
                              cv=cv, method="predict_proba")[:, 1]
    patient = pd.DataFrame({"g": groups, "y": y, "p": proba}).groupby("g").mean()
    curve = result.curve.set_index(["level", "metric"])
    assert curve.loc[("image", "roc_auc"), "estimate"] == pytest.approx(
        roc_auc_score(y, proba))
    assert curve.loc[("patient", "roc_auc"), "estimate"] == pytest.approx(
        roc_auc_score(patient.y, patient.p))
    assert curve.loc[("patient", "balanced_accuracy"), "estimate"] == pytest.approx(
        balanced_accuracy_score(patient.y, patient.p >= 0.5))
    # One fit per fold at the full size: the repeats do not differ.
    np.testing.assert_allclose(result.curve.sd_repeats, 0, atol=1e-12)
    assert ((result.curve.low <= result.curve.estimate)
            & (result.curve.estimate <= result.curve.high)).all()


def test_the_curve_has_an_interval_and_repeat_spread_per_size(cohort):
    X, y, groups = cohort
    result = learning_curve_by_patients(LogisticRegression(), X[:, 1:], y, groups,
                                        train_sizes=[0.2, 0.5, 1.0], cv=3,
                                        n_repeats=3, n_resamples=40)
    assert list(result.curve.columns) == ["n_train_patients", "level", "metric",
                                          "estimate", "low", "high", "sd_repeats"]
    assert result.curve.n_train_patients.unique().tolist() == [4, 10, 20]
    assert (result.curve.high > result.curve.low).all()
    assert (result.curve.low <= result.curve.estimate).all()
    assert (result.curve.estimate <= result.curve.high).all()
    # The same seed gives the same curve.
    again = learning_curve_by_patients(LogisticRegression(), X[:, 1:], y, groups,
                                       train_sizes=[0.2, 0.5, 1.0], cv=3,
                                       n_repeats=3, n_resamples=40)
    pd.testing.assert_frame_equal(result.curve, again.curve)
    assert set(result.predictions.columns) >= {"n_train_patients", "repeat",
                                               "fold", "patient_id", "proba"}


def test_more_patients_than_a_training_fold_has_are_refused(cohort):
    X, y, groups = cohort
    message = ("learning_curve_by_patients: train_sizes asks for 21 training "
               "patients, but fold 0's training set has only 20 (the training "
               "folds have [20, 20, 20] patients)")
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        learning_curve_by_patients(LogisticRegression(), X, y, groups,
                                   train_sizes=[10, 21], cv=3)
    with pytest.raises(ValueError, match="needs at least 2 patients, one of each "
                       "class; train_sizes gives 1"):
        learning_curve_by_patients(LogisticRegression(), X, y, groups,
                                   train_sizes=[1], cv=3)
    with pytest.raises(ValueError, match=r"fractions .* got 1\.5"):
        learning_curve_by_patients(LogisticRegression(), X, y, groups,
                                   train_sizes=[1.5], cv=3)


def test_a_split_that_leaks_a_patient_is_refused(cohort):
    X, y, groups = cohort
    leaky = [(np.arange(0, 60), np.arange(58, 90))]
    with pytest.raises(PatientLeakageError):
        learning_curve_by_patients(LogisticRegression(), X, y, groups, cv=leaky)


def test_a_non_binary_target_is_refused(cohort):
    X, _, groups = cohort
    with pytest.raises(ValueError, match=r"binary problems with pos_label=1; y "
                       r"has classes \[0, 1, 2\]"):
        learning_curve_by_patients(LogisticRegression(), X, groups % 3, groups)


@pytest.mark.parametrize("seed", range(5))
def test_the_fast_scores_equal_scikit_learns(seed):
    rng = np.random.default_rng(seed)
    positive = rng.random(40) < 0.4
    # Ties and probabilities exactly at the threshold.
    proba = np.round(rng.random(40), 1)
    found = dict(zip(METRICS, _fast_scores(positive, proba, METRICS), strict=True))
    predicted = proba >= 0.5
    expected = {
        "precision": precision_score(positive, predicted, zero_division=0),
        "recall": recall_score(positive, predicted),
        "specificity": recall_score(~positive, ~predicted),
        "f1": f1_score(positive, predicted, zero_division=0),
        "accuracy": accuracy_score(positive, predicted),
        "balanced_accuracy": balanced_accuracy_score(positive, predicted),
        "roc_auc": roc_auc_score(positive, proba),
    }
    assert found == pytest.approx(expected, abs=1e-12)


def test_the_learning_curve_goes_into_a_written_report(cohort, tmp_path):
    from sklearn_palsy.reporting import add_to_report
    from sklearn_palsy.reporting._report import _MORE_SECTIONS

    X, y, groups = cohort
    result = learning_curve_by_patients(LogisticRegression(), X[:, 1:], y, groups,
                                        train_sizes=[4, 20], cv=3, n_repeats=2,
                                        n_resamples=30)
    report = tmp_path / "report.html"
    report.write_text(f"<html><body><h1>r</h1>\n{_MORE_SECTIONS}\n<h2>Software</h2>"
                      "</body></html>", encoding="utf-8")
    add_to_report(report, learning_curve=result)
    text = report.read_text(encoding="utf-8")
    heading = text.index("<h2>Learning curve by number of training patients")
    assert heading < text.index("<h2>Software</h2>")
    assert text.count(_MORE_SECTIONS) == 1
    assert 'alt="Learning curve"' in text
    row = result.curve.iloc[-1]
    assert f"{row.estimate:.2f} ({row.low:.2f}\u2013{row.high:.2f})" in text
    # A file that write_report did not write is refused, naming it.
    other = tmp_path / "other.html"
    other.write_text("<html></html>", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"{other} is not a report "
                                                   "written by write_report")):
        add_to_report(other, learning_curve=result)
