"""Clinical usefulness: calibration slope and intercept, and decision curves.

Each is checked against an independent computation: the net benefit against
Vickers and Elkin's (2006) formula worked by hand on a fixed example, the
calibration slope and intercept against a Newton iteration written here and
against data simulated from known logistic models.
"""

import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Bunch

from sklearn_palsy.model_selection import (
    DEFAULT_THRESHOLDS,
    calibration_slope_intercept,
    calibration_summary,
    decision_curve,
    net_benefit,
)

# Ten patients, one image each: five with palsy.
Y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
P = np.array([0.95, 0.8, 0.6, 0.35, 0.15, 0.7, 0.4, 0.3, 0.1, 0.05])


def _result(y, proba, patients=None, estimator="m"):
    patients = np.arange(len(y)) if patients is None else patients
    predictions = pd.DataFrame({"estimator": estimator, "fold": 0,
                                "index": np.arange(len(y)),
                                "patient_id": patients, "y_true": y,
                                "proba": proba})
    return Bunch(predictions=predictions, target="binary", pos_label=1)


def test_net_benefit_equals_the_hand_computation():
    # pt = 0.1: treated p >= 0.1: positives 0.95 0.8 0.6 0.35 0.15 (TP 5),
    # negatives 0.7 0.4 0.3 0.1 (FP 4): 5/10 - 4/10 * 0.1/0.9.
    # pt = 0.3: TP 4 (0.95 0.8 0.6 0.35), FP 3 (0.7 0.4 0.3): 4/10 - 3/10 * 3/7.
    # pt = 0.5: TP 3, FP 1 (0.7): 3/10 - 1/10 * 1.
    # pt = 0.9: TP 1, FP 0: 1/10.
    expected = [0.5 - 0.4 / 9, 0.4 - 0.3 * 3 / 7, 0.3 - 0.1, 0.1]
    found = net_benefit(Y, P, [0.1, 0.3, 0.5, 0.9])
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-12)


def test_the_decision_curve_has_the_model_treat_all_and_treat_none():
    curve = decision_curve(_result(Y, P), thresholds=[0.1, 0.3, 0.5],
                           levels="image")
    assert list(curve.columns) == ["estimator", "level", "threshold",
                                   "net_benefit", "treat_all", "treat_none",
                                   "prevalence"]
    prevalence = 0.5
    odds = np.array([0.1 / 0.9, 0.3 / 0.7, 1.0])
    np.testing.assert_allclose(curve.treat_all,
                               prevalence - (1 - prevalence) * odds, atol=1e-12)
    # Treating everyone is the model that gives everyone probability 1.
    np.testing.assert_allclose(curve.treat_all,
                               net_benefit(Y, np.ones(10), [0.1, 0.3, 0.5]),
                               atol=1e-12)
    assert (curve.treat_none == 0).all() and (curve.prevalence == 0.5).all()
    np.testing.assert_allclose(curve.net_benefit,
                               [0.5 - 0.4 / 9, 0.4 - 0.3 * 3 / 7, 0.2], atol=1e-12)


def test_the_patient_decision_curve_pools_each_patients_images():
    # Patient a: images 0.9 and 0.1 (mean 0.5); patient b (control): 0.2.
    result = _result(np.array([1, 1, 0]), np.array([0.9, 0.1, 0.2]),
                     patients=np.array(["a", "a", "b"]))
    curve = decision_curve(result, thresholds=[0.4, 0.6], levels="patient")
    # pt 0.4: a treated (TP), b not: 1/2. pt 0.6: no one treated: 0.
    np.testing.assert_allclose(curve.net_benefit, [0.5, 0.0], atol=1e-12)
    images = decision_curve(result, thresholds=[0.4], levels="image")
    # Per image: TP 1 (0.9) of 3 images.
    np.testing.assert_allclose(images.net_benefit, [1 / 3], atol=1e-12)


@pytest.mark.parametrize("thresholds, named", [
    ([0.0, 0.5], "0 at position 0"),
    ([0.2, 1.0], "1 at position 1"),
    ([0.5, -0.1, 1.5], "-0.1 at position 1, 1.5 at position 2"),
    ([np.nan], "nan at position 0"),
])
def test_thresholds_outside_zero_one_are_refused_by_position(thresholds, named):
    message = re.escape("thresholds must lie strictly between 0 and 1 (the net "
                        "benefit weighs a false positive by pt / (1 - pt)); got "
                        + named)
    with pytest.raises(ValueError, match="^net_benefit: " + message):
        net_benefit(Y, P, thresholds)
    with pytest.raises(ValueError, match="^decision_curve: " + message):
        decision_curve(_result(Y, P), thresholds=thresholds)


def test_the_default_thresholds_are_one_to_ninety_nine_percent():
    assert DEFAULT_THRESHOLDS[0] == 0.01 and DEFAULT_THRESHOLDS[-1] == 0.99
    assert len(DEFAULT_THRESHOLDS) == 99


def _newton_intercept(linear, positive):
    """The intercept of a + linear (an offset) by Newton's method, written here."""
    intercept = 0.0
    for _ in range(100):
        fitted = expit(intercept + linear)
        intercept += (positive - fitted).sum() / (fitted * (1 - fitted)).sum()
    return intercept


@pytest.fixture(scope="module")
def simulated():
    """Outcomes drawn from known probabilities: a calibrated model's."""
    rng = np.random.default_rng(1)
    linear = rng.normal(0.3, 1.5, size=4000)
    proba = expit(linear)
    return proba, rng.random(4000) < proba


def test_a_calibrated_model_has_slope_one_and_intercept_zero(simulated):
    proba, y = simulated
    slope, intercept = calibration_slope_intercept(y, proba, pos_label=True)
    assert slope == pytest.approx(1, abs=0.08)
    assert intercept == pytest.approx(0, abs=0.08)


def test_over_confident_probabilities_have_slope_one_half(simulated):
    proba, y = simulated
    slope, _ = calibration_slope_intercept(y, expit(2 * logit(proba)),
                                           pos_label=True)
    assert slope == pytest.approx(0.5, abs=0.04)
    # Probabilities too high on average: an intercept near -1.
    _, intercept = calibration_slope_intercept(y, expit(logit(proba) + 1),
                                               pos_label=True)
    assert intercept == pytest.approx(-1, abs=0.1)


def test_slope_equals_scikit_learns_and_intercept_a_hand_newton_iteration(
        simulated):
    proba, y = simulated
    distorted = expit(1.7 * logit(proba) - 0.4)
    slope, intercept = calibration_slope_intercept(y, distorted, pos_label=True)
    linear = logit(distorted)
    reference = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(
        linear[:, None], y)
    assert slope == pytest.approx(reference.coef_[0, 0], abs=1e-5)
    assert intercept == pytest.approx(_newton_intercept(linear, y), abs=1e-9)


def test_separated_probabilities_have_an_infinite_slope_and_one_class_none():
    slope, intercept = calibration_slope_intercept([0, 0, 1, 1],
                                                   [0.1, 0.3, 0.3, 0.9])
    assert slope == np.inf and np.isfinite(intercept)
    # The wrong way round (every positive below every negative), as a
    # network that learned nothing yet can give: minus infinity, not the
    # huge number where Newton's method would stop.
    slope, intercept = calibration_slope_intercept([1, 1, 0, 0],
                                                   [0.33, 0.35, 0.35, 0.43])
    assert slope == -np.inf and np.isfinite(intercept)
    assert np.isnan(calibration_slope_intercept([1, 1], [0.2, 0.9])).all()
    with pytest.raises(ValueError, match=r"in \[0, 1\]; got 1.5 at row 1"):
        calibration_slope_intercept([0, 1], [0.2, 1.5])


def test_the_calibration_summary_gives_patient_bootstrap_intervals():
    # 100 patients of 4 images each, the outcome drawn per patient from a
    # calibrated probability; each image's probability scatters around it.
    rng = np.random.default_rng(2)
    patient_proba = expit(rng.normal(0, 1.5, size=100))
    patient_y = (rng.random(100) < patient_proba).astype(int)
    patients = np.repeat(np.arange(100), 4)
    proba = expit(logit(patient_proba[patients]) + rng.normal(0, 0.1, size=400))
    y = patient_y[patients]
    result = _result(y, proba, patients=patients)
    table = calibration_summary(result, n_resamples=200, random_state=0)
    assert list(table.columns) == ["estimator", "level", "metric", "estimate",
                                   "low", "high", "note"]
    assert table[["level", "metric"]].values.tolist() == [
        ["image", "calibration_slope"], ["image", "calibration_intercept"],
        ["patient", "calibration_slope"], ["patient", "calibration_intercept"]]
    image = table[table.level == "image"].set_index("metric")
    expected = calibration_slope_intercept(y, proba)
    assert image.estimate.tolist() == pytest.approx(list(expected))
    assert (image.low < image.estimate).all() and (image.estimate < image.high).all()
    # Calibrated data: the intervals hold 1 and 0.
    for level in ("image", "patient"):
        rows = table[table.level == level].set_index("metric")
        assert rows.low.calibration_slope < 1 < rows.high.calibration_slope
        assert rows.low.calibration_intercept < 0 < rows.high.calibration_intercept
    # The same seed, the same intervals; the patient level pools the images.
    again = calibration_summary(result, n_resamples=200, random_state=0)
    pd.testing.assert_frame_equal(table, again)
    pooled = pd.DataFrame({"p": proba, "y": y, "g": patients}).groupby("g").mean()
    patient = table[table.level == "patient"].set_index("metric").estimate
    assert patient.tolist() == pytest.approx(list(calibration_slope_intercept(
        pooled.y, pooled.p)))


def test_the_bootstrap_resamples_patients_not_images():
    # Two patients of 50 identical images each: resampling images would give
    # a tight interval; resampling the 4 patients cannot.
    y = np.repeat([1, 0, 1, 0], 50)
    proba = np.repeat([0.8, 0.3, 0.4, 0.6], 50)
    table = calibration_summary(_result(y, proba, patients=np.repeat(list("abcd"),
                                                                     50)),
                                levels="image", n_resamples=300)
    intercept = table.set_index("metric").loc["calibration_intercept"]
    # Resamples of the four patients range from all-positive-ish to
    # all-negative-ish: the interval is wide.
    assert intercept.high - intercept.low > 2


def test_a_separating_model_is_noted_not_given_a_number():
    table = calibration_summary(_result(Y, np.where(Y == 1, 0.9, 0.1)),
                                levels="patient", n_resamples=50)
    slope = table.set_index("metric").loc["calibration_slope"]
    assert slope.estimate == np.inf
    assert slope.note == "not finite: the probabilities separate the classes " \
        "completely"


def test_calibration_and_decision_curves_refuse_other_targets():
    result = Bunch(predictions=pd.DataFrame(), target="multiclass")
    with pytest.raises(ValueError, match="^calibration_summary needs a binary"):
        calibration_summary(result)
    with pytest.raises(ValueError, match="^decision_curve needs a binary"):
        decision_curve(result)
    with pytest.raises(ValueError, match=r"levels must be among \('image', "):
        decision_curve(_result(Y, P), levels="fold")


def test_weighted_resamples_equal_fits_on_the_rows_repeated(simulated):
    from sklearn_palsy.model_selection._calibration import (
        _logits,
        weighted_calibration,
    )

    proba, y = simulated
    proba, y = proba[:60], y[:60]
    counts = np.random.default_rng(3).integers(0, 3, size=(4, 60))
    slopes, intercepts = weighted_calibration(_logits(proba), y, counts)
    for row, count in enumerate(counts):
        repeated = np.repeat(np.arange(60), count)
        expected = calibration_slope_intercept(y[repeated], proba[repeated],
                                               pos_label=True)
        assert (slopes[row], intercepts[row]) == pytest.approx(expected, abs=1e-8)


@pytest.fixture(scope="module")
def evaluation():
    from sklearn.dummy import DummyClassifier

    from sklearn_palsy import evaluate_pipelines

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(24), 2)
    y = (groups % 2).astype(int)
    X = y[:, None] * 1.2 + rng.normal(size=(48, 2))
    return evaluate_pipelines(
        {"lr": LogisticRegression(), "chance": DummyClassifier(strategy="prior")},
        X, y, groups, cv=3, verbose=0, n_bootstraps=50, random_state=0)


@pytest.mark.slow
def test_the_report_shows_calibration_and_decision_curves(evaluation, tmp_path):
    from sklearn_palsy.model_selection import compare_pipelines
    from sklearn_palsy.reporting import write_report
    from sklearn_palsy.reporting._report import interval_text

    comparison = compare_pipelines(evaluation, n_bootstraps=50, random_state=0)
    path = write_report(tmp_path / "report.html", evaluation, n_resamples=100,
                        comparison=comparison)
    text = open(path, encoding="utf-8").read()
    assert "<h2>Calibration (logistic recalibration" in text
    calibration = calibration_summary(evaluation, n_resamples=100, random_state=0)
    row = calibration[(calibration.estimator == "lr") & (calibration.level ==
                                                         "patient")].iloc[0]
    assert row.metric == "calibration_slope"
    assert interval_text(row.estimate, row.low, row.high) in text
    assert 'alt="Reliability diagrams' in text
    assert "<h2>Decision curve (net benefit" in text
    assert 'alt="Decision curves: net benefit' in text
    curve = decision_curve(evaluation, thresholds=[0.2], levels="patient")
    value = curve[curve.estimator == "lr"].net_benefit.iloc[0]
    assert f"<td>{value:.3f}</td>" in text
    assert "net benefit at 0.2" in text and "treat all" in text
    # The evaluation's intervals and the paired comparison.
    assert "<h2>Results with 95 % intervals" in text
    assert "<h2>Paired comparison" in text
    pair = comparison.iloc[0]
    assert interval_text(pair.difference, pair.low, pair.high, digits=3) in text
    # Two more figures than before: 6 curves and matrices, 2 of usefulness.
    assert text.count("data:image/png;base64,") == 8
