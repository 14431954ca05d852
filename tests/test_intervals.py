"""Confidence intervals by patient (model_selection/_intervals.py).

The bootstrap scores its resamples as weighted counts; these tests hold
those scores to the scoring functions' on resampled (duplicated)
predictions, the estimates to scikit-learn's metrics on the pooled
predictions, and the intervals' coverage to its nominal level on data drawn
from a known model (``simulate_coverage``, which
``benchmarks/interval_coverage.py`` runs 500 times).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

from sklearn_palsy import (
    RepeatedStratifiedGroupKFold,
    evaluate_pipelines,
    format_interval,
)
from sklearn_palsy.model_selection import CALIBRATION_METRICS, METRICS, ORDINAL_METRICS
from sklearn_palsy.model_selection._intervals import (
    PooledPredictions,
    counts_of,
    holm,
    interval_table,
)
from sklearn_palsy.model_selection._scoring import _score_binary_fold, _score_class_fold

BINARY_METRICS = METRICS + CALIBRATION_METRICS


def _binary_predictions(rng, n_patients=12, *, ties=True):
    images = rng.integers(1, 4, n_patients)
    patient = np.repeat(np.arange(n_patients), images)
    y = rng.integers(0, 2, n_patients)
    y[:2] = [0, 1]
    proba = rng.random(patient.size)
    if ties:
        # Ties, exact 0s and 1s: the cases where a hand-made metric goes wrong.
        proba = np.round(proba, 1)
    return pd.DataFrame({"estimator": "m", "fold": 0, "repeat": 0,
                         "index": np.arange(patient.size),
                         "patient_id": [f"p{p}" for p in patient],
                         "y_true": y[patient], "proba": proba})


def _class_predictions(rng, n_patients=12, n_classes=4):
    images = rng.integers(1, 4, n_patients)
    patient = np.repeat(np.arange(n_patients), images)
    y = rng.integers(0, n_classes, n_patients)
    proba = rng.dirichlet(np.ones(n_classes), patient.size)
    proba = np.round(proba, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"estimator": "m", "fold": 0, "repeat": 0,
                          "index": np.arange(patient.size),
                          "patient_id": [f"p{p}" for p in patient],
                          "y_true": y[patient]})
    for label in range(n_classes):
        frame[f"proba_{label}"] = proba[:, label]
    return frame


def _resampled(frame, drawn):
    """The predictions of the patients ``drawn``, a patient drawn twice twice."""
    patients = list(dict.fromkeys(frame.patient_id))
    parts = [frame[frame.patient_id == patients[i]].assign(
        patient_id=f"{patients[i]}#{copy}") for copy, i in enumerate(drawn)]
    return pd.concat(parts, ignore_index=True)


def test_resampled_scores_equal_the_scoring_functions_on_duplicated_patients():
    rng = np.random.default_rng(0)
    for trial in range(4):
        frame = _binary_predictions(rng, ties=trial % 2 == 0)
        pooled = PooledPredictions(frame, target="binary", classes=np.array([0, 1]),
                                   pos_label=1, metrics=BINARY_METRICS)
        n = len(pooled.patients)
        drawn = rng.integers(0, n, (2, n))
        counts, _ = counts_of(drawn, n)
        got = pooled.statistic(counts).reshape(2, len(BINARY_METRICS), 2)
        for b in range(2):
            sample = _resampled(frame, drawn[b])
            want, _, _ = _score_binary_fold(
                sample.y_true.to_numpy(), sample.proba.to_numpy()[:, None],
                sample.patient_id.to_numpy(), pos_label=1, column=0)
            for level_index, level in enumerate(("image", "patient")):
                np.testing.assert_allclose(
                    got[level_index, :, b],
                    [want[level][metric] for metric in BINARY_METRICS],
                    rtol=1e-12, atol=1e-12, err_msg=f"{trial} {b} {level}")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.parametrize("ordinal", [False, True])
def test_resampled_class_scores_equal_the_scoring_functions(ordinal):
    rng = np.random.default_rng(1)
    metrics = ORDINAL_METRICS if ordinal else ORDINAL_METRICS[:4]
    classes = np.arange(4)
    for trial in range(3):
        frame = _class_predictions(rng)
        pooled = PooledPredictions(frame, target="ordinal" if ordinal else "multiclass",
                                   classes=classes, pos_label=None, metrics=metrics)
        n = len(pooled.patients)
        drawn = rng.integers(0, n, (2, n))
        counts, _ = counts_of(drawn, n)
        got = pooled.statistic(counts).reshape(2, len(metrics), 2)
        for b in range(2):
            sample = _resampled(frame, drawn[b])
            proba = sample[[f"proba_{k}" for k in classes]].to_numpy()
            want, _, _ = _score_class_fold(sample.y_true.to_numpy(), proba,
                                           sample.patient_id.to_numpy(),
                                           classes=classes, ordinal=ordinal)
            for level_index, level in enumerate(("image", "patient")):
                np.testing.assert_allclose(
                    got[level_index, :, b], [want[level][m] for m in metrics],
                    rtol=1e-10, atol=1e-12, equal_nan=True,
                    err_msg=f"{trial} {b} {level}")


@pytest.fixture(scope="module")
def evaluation(tabular_data):
    X, y, groups = tabular_data(n_samples=120, n_features=4, n_patients=40)
    y = np.repeat(y[::3], 3)  # one label per patient
    return X, y, groups


def test_every_metric_has_a_patient_level_interval_at_both_levels(evaluation):
    X, y, groups = evaluation
    result = evaluate_pipelines(
        {"lr": LogisticRegression(), "weak": LogisticRegression(C=1e-3)}, X, y,
        groups, cv=4, verbose=0, n_bootstraps=200, random_state=0)
    intervals = result.intervals
    assert list(intervals.columns) == ["estimator", "level", "metric", "estimate",
                                       "low", "high", "note"]
    assert len(intervals) == 2 * 2 * len(BINARY_METRICS)
    for (name, level), rows in intervals.groupby(["estimator", "level"]):
        assert rows.metric.tolist() == list(BINARY_METRICS), (name, level)
    assert intervals[["estimate", "low", "high"]].notna().all().all()
    assert (intervals.note == "").all()
    assert (intervals.low <= intervals.estimate + 1e-12).all()
    assert (intervals.estimate <= intervals.high + 1e-12).all()
    # No probability is exactly 0 or 1 here; every other metric varies.
    lr = intervals[(intervals.estimator == "lr")
                   & (intervals.metric != "extreme_fraction")]
    assert (lr.high - lr.low > 0.02).all()
    # The estimate is the metric of the pooled out-of-fold predictions.
    lr = result.predictions[result.predictions.estimator == "lr"]
    row = intervals.set_index(["estimator", "level", "metric"])
    assert row.loc[("lr", "image", "roc_auc"), "estimate"] == pytest.approx(
        roc_auc_score(lr.y_true, lr.proba))
    patients = lr.groupby("patient_id").agg(y=("y_true", "first"), p=("proba", "mean"))
    assert row.loc[("lr", "patient", "f1"), "estimate"] == pytest.approx(
        f1_score(patients.y, patients.p >= 0.5))


def test_the_seed_fixes_the_intervals_and_the_methods_differ(evaluation):
    X, y, groups = evaluation
    runs = [evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=4,
                               verbose=0, n_bootstraps=300, random_state=seed,
                               interval_method=method).intervals
            for seed, method in ((0, "percentile"), (0, "percentile"),
                                 (1, "percentile"), (0, "BCa"))]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    auc = [run.set_index(["level", "metric"]).loc[("patient", "roc_auc")]
           for run in runs]
    assert auc[0].low != auc[2].low
    assert auc[0].low != auc[3].low and auc[0].estimate == auc[3].estimate


def test_wider_intervals_for_fewer_patients_and_higher_confidence():
    rng = np.random.default_rng(3)
    kwargs = {"target": "binary", "classes": np.array([0, 1]), "pos_label": 1,
              "metrics": BINARY_METRICS, "n_bootstraps": 400, "method": "percentile",
              "random_state": 0}
    small, _ = interval_table(_binary_predictions(rng, 15, ties=False),
                              confidence_level=0.95, **kwargs)
    large, _ = interval_table(_binary_predictions(rng, 400, ties=False),
                              confidence_level=0.95, **kwargs)
    narrow, _ = interval_table(_binary_predictions(np.random.default_rng(3), 15,
                                                   ties=False),
                               confidence_level=0.5, **kwargs)
    width = {name: (table.high - table.low)[table.metric == "accuracy"].to_numpy()
             for name, table in (("small", small), ("large", large),
                                 ("narrow", narrow))}
    assert (width["large"] < width["small"] / 2).all()
    assert (width["narrow"] < width["small"]).all()


def test_repeated_cross_validation_estimates_the_mean_of_the_repetitions(evaluation):
    X, y, groups = evaluation
    cv = RepeatedStratifiedGroupKFold(n_splits=4, n_repeats=3, random_state=0)
    result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=cv,
                                verbose=0, n_bootstraps=100, random_state=0)
    folds = result.scores.drop_duplicates("fold")
    assert folds.fold.tolist() == list(range(12))
    assert folds.repeat.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    by_repeat = result.predictions.groupby("repeat")
    assert by_repeat["index"].nunique().tolist() == [len(y)] * 3
    want = np.mean([roc_auc_score(rows.y_true, rows.proba) for _, rows in by_repeat])
    row = result.intervals.set_index(["level", "metric"]).loc[("image", "roc_auc")]
    assert row.estimate == pytest.approx(want)
    single = [roc_auc_score(rows.y_true, rows.proba) for _, rows in by_repeat]
    assert len(set(np.round(single, 12))) > 1  # the repetitions do differ


def test_format_interval():
    assert format_interval(0.9312, 0.8871, 0.9634) == "0.93 (0.89\u20130.96)"
    assert format_interval(0.9312, 0.8871, 0.9634, digits=3) == (
        "0.931 (0.887\u20130.963)")
    assert format_interval(np.nan, 0.1, 0.2) == "n/a"
    assert format_interval(0.5, np.nan, np.nan) == "0.50 (no interval)"


def test_holm_against_a_hand_computed_example():
    # m = 4: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 is 0.02, 0.03,
    # 0.06, 0.04; made non-decreasing, the last becomes 0.06. NaN is not
    # counted among the m.
    adjusted = holm([0.01, 0.04, 0.03, np.nan, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, np.nan, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.9]), [1.0, 1.0])


def test_subgroups_give_each_metric_per_level_with_notes(evaluation):
    X, y, groups = evaluation
    site = np.where(groups < 30, "A", "B").astype(object)
    sex = np.where(groups % 2 == 0, "f", None)
    result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=4,
                                verbose=0, n_bootstraps=100, random_state=0,
                                by={"site": site, "sex": sex})
    subgroups = result.subgroups
    assert list(subgroups.columns[:7]) == ["subgroup_column", "subgroup", "estimator",
                                           "level", "metric", "n_patients", "n_images"]
    counts = subgroups.drop_duplicates(["subgroup_column", "subgroup"]).set_index(
        ["subgroup_column", "subgroup"])[["n_patients", "n_images"]]
    assert counts.loc[("site", "A")].tolist() == [30, 90]
    assert counts.loc[("site", "B")].tolist() == [10, 30]
    assert counts.loc[("sex", "f")].tolist() == [20, 60]
    # Missing values are a subgroup of their own, said so; nothing is dropped.
    assert counts.loc[("sex", "(missing)")].tolist() == [20, 60]
    notes = subgroups.set_index(["subgroup_column", "subgroup"]).sort_index().note
    assert notes.loc[("sex", "(missing)")].str.contains("value is missing").all()
    assert not notes.loc[("site", "A")].str.contains("too small").any()
    # The subgroup of site A alone scores as the whole evaluation restricted
    # to its patients.
    mine = result.predictions[np.isin(result.predictions["index"],
                                      np.flatnonzero(site == "A"))]
    row = subgroups.set_index(["subgroup_column", "subgroup", "level", "metric"])
    assert row.loc[("site", "A", "image", "roc_auc"), "estimate"] == pytest.approx(
        roc_auc_score(mine.y_true, mine.proba))


def test_a_subgroup_too_small_to_say_anything_is_noted(evaluation):
    X, y, groups = evaluation
    camera = np.where(groups < 4, "old", "new")
    result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=4,
                                verbose=0, n_bootstraps=100, random_state=0,
                                by=pd.DataFrame({"camera": camera}))
    old = result.subgroups[result.subgroups.subgroup == "old"]
    assert old.n_patients.iloc[0] == 4
    assert old.note.str.startswith("too small to say anything: 4 patients "
                                   "(fewer than 10)").all()
    assert not result.subgroups[result.subgroups.subgroup == "new"].note.str.contains(
        "too small").any()


def simulate_coverage(n_runs, *, n_patients=100, n_bootstraps=1000,
                      method="percentile", confidence_level=0.95, seed=0):
    """The share of runs whose interval covers the true value, per level and metric.

    Each patient has a true probability of palsy (Beta(2, 2)), which is also
    the model's; the label is drawn from it; each patient has 1 to 4 photos
    whose probabilities are the patient's plus Gaussian noise (sd 0.2),
    clipped to [0, 1] (so some are exactly 0 or 1). The true value of each
    metric is its value on 200,000 such patients.
    """
    kwargs = {"target": "binary", "classes": np.array([0, 1]), "pos_label": 1,
              "metrics": BINARY_METRICS}
    truth = PooledPredictions(_simulated(np.random.default_rng(10**6 + seed),
                                         200_000), **kwargs).estimates()
    rng = np.random.default_rng(seed)
    covered = []
    for run in range(n_runs):
        table, _ = interval_table(
            _simulated(rng, n_patients), n_bootstraps=n_bootstraps,
            confidence_level=confidence_level, method=method, random_state=run,
            **kwargs)
        covered.append(((table.low <= truth) & (truth <= table.high)).to_numpy())
    return pd.DataFrame({"level": table.level, "metric": table.metric,
                         "truth": truth, "coverage": np.mean(covered, axis=0)})


def _simulated(rng, n_patients):
    risk = rng.beta(2, 2, n_patients)
    y = (rng.random(n_patients) < risk).astype(int)
    photos = rng.integers(1, 5, n_patients)
    patient = np.repeat(np.arange(n_patients), photos)
    proba = np.clip(risk[patient] + rng.normal(0, 0.2, patient.size), 0, 1)
    return pd.DataFrame({"estimator": "model", "fold": 0, "repeat": 0,
                         "index": np.arange(patient.size), "patient_id": patient,
                         "y_true": y[patient], "proba": proba})


@pytest.mark.slow
def test_nominal_95_percent_intervals_cover_the_truth():
    # 150 runs of 100 patients (the benchmark runs 500): a looser band than
    # the benchmark's 92-98 %, for the smaller number of runs (a binomial
    # sd of 1.8 points at 95 %).
    coverage = simulate_coverage(150, n_patients=100, n_bootstraps=500)
    main = coverage[coverage.metric != "extreme_fraction"]
    assert main.coverage.between(0.89, 0.99).all(), main.to_string()
    assert 0.93 <= main.coverage.mean() <= 0.97, main.coverage.mean()
