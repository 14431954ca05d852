"""Paired comparisons of configurations (model_selection/_compare.py).

The corrected t-test is checked against Nadeau and Bengio's formula written
out here by hand, and the comparison against simulated configurations that
differ only by noise (p > 0.05 in most runs) or clearly (p < 0.05).
"""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_palsy import (
    RepeatedStratifiedGroupKFold,
    compare_pipelines,
    evaluate_pipelines,
)
from sklearn_palsy.model_selection import corrected_t_test
from sklearn_palsy.model_selection._intervals import bootstrap_p_value, holm


def test_the_corrected_t_test_is_nadeau_and_bengios_formula():
    # Five fold differences, n_test / n_train = 1/4 (five folds):
    # mean 0.03; sample variance (0.02² + 0.01² + 0.01² + 0.02² + 0) / 4
    # = 0.00025; corrected variance of the mean (1/5 + 1/4) * 0.00025
    # = 0.0001125; t = 0.03 / sqrt(0.0001125) = 2.8284; two-sided p from
    # Student's t with 4 degrees of freedom.
    t, p = corrected_t_test([0.05, 0.02, 0.04, 0.01, 0.03], 0.25)
    assert t == pytest.approx(0.03 / math.sqrt(0.0001125))
    assert t == pytest.approx(2.8284271)
    assert p == pytest.approx(2 * stats.t.sf(2.8284271, 4), rel=1e-6)
    assert p == pytest.approx(0.04742, abs=1e-4)
    # The naive t-test (variance / J alone) is far more confident.
    naive = stats.ttest_1samp([0.05, 0.02, 0.04, 0.01, 0.03], 0.0).pvalue
    assert naive == pytest.approx(0.01324, abs=1e-4) and naive < p
    assert corrected_t_test([0.0, 0.0, 0.0], 0.5) == (0.0, 1.0)
    assert corrected_t_test([0.1, 0.1], 0.5) == (math.inf, 0.0)
    assert all(math.isnan(value) for value in corrected_t_test([0.1], 0.5))


def _keep(columns):
    return make_pipeline(ColumnTransformer([("keep", "passthrough", columns)]),
                         LogisticRegression())


def _cohort(rng, n_patients=40, photos=2, effect=1.0):
    """Column 0 carries the label (per patient), columns 1 and 2 are noise."""
    label = rng.integers(0, 2, n_patients)
    groups = np.repeat(np.arange(n_patients), photos)
    y = label[groups]
    X = rng.normal(size=(len(y), 3))
    X[:, 0] += effect * y + rng.normal(0, 0.5, n_patients)[groups]
    return X, y, groups


@pytest.fixture(scope="module")
def three_configurations():
    X, y, groups = _cohort(np.random.default_rng(0), effect=2.5)
    return evaluate_pipelines(
        {"signal": _keep([0, 1]), "signal_too": _keep([0, 2]), "noise": _keep([1, 2])},
        X, y, groups, cv=5, verbose=0, n_bootstraps=100, random_state=0), groups


def test_the_comparison_matches_a_hand_computation_on_the_fold_scores(
        three_configurations):
    result, groups = three_configurations
    comparison = compare_pipelines(result, "noise", n_bootstraps=300, random_state=0)
    assert comparison[["estimator", "other"]].values.tolist() == [
        ["signal", "noise"], ["signal_too", "noise"]]
    assert list(comparison.columns[:11]) == [
        "estimator", "other", "level", "metric", "difference", "low", "high",
        "p_corrected_t", "p_bootstrap", "p_corrected_t_holm", "p_bootstrap_holm"]
    assert (comparison.metric == "roc_auc").all()
    assert (comparison.level == "patient").all()
    scores = result.scores[result.scores.level == "patient"].pivot(
        index="fold", columns="estimator", values="roc_auc")
    differences = (scores["signal"] - scores["noise"]).to_numpy()
    ratios = [len(set(groups[test])) / len(set(groups[train]))
              for train, test in result.splits]
    J = len(differences)
    t = differences.mean() / math.sqrt(
        (1 / J + np.mean(ratios)) * differences.var(ddof=1))
    row = comparison.iloc[0]
    assert row.p_corrected_t == pytest.approx(2 * stats.t.sf(abs(t), J - 1))
    assert row.mean_fold_difference == pytest.approx(differences.mean())
    intervals = result.intervals.set_index(["estimator", "level", "metric"]).estimate
    assert row.difference == pytest.approx(intervals["signal", "patient", "roc_auc"]
                                           - intervals["noise", "patient", "roc_auc"])
    assert row.low < row.difference < row.high
    # Clearly different: both tests say so; the bootstrap's, after Holm's
    # correction for two pairs too (the t-test is the more cautious).
    assert row.p_corrected_t < 0.05 and row.p_bootstrap < 0.05
    assert row.p_bootstrap_holm < 0.05
    np.testing.assert_allclose(comparison.p_bootstrap_holm,
                               holm(comparison.p_bootstrap))
    np.testing.assert_allclose(comparison.p_corrected_t_holm,
                               holm(comparison.p_corrected_t))


def test_every_pair_without_a_baseline(three_configurations):
    result, _ = three_configurations
    comparison = compare_pipelines(result, metric="f1", level="image",
                                   n_bootstraps=100, random_state=0)
    assert comparison[["estimator", "other"]].values.tolist() == [
        ["signal", "signal_too"], ["signal", "noise"], ["signal_too", "noise"]]
    assert (comparison.metric == "f1").all() and (comparison.level == "image").all()
    # Two configurations that both use the signal do not differ.
    assert comparison.p_corrected_t[0] > 0.05 and comparison.p_bootstrap[0] > 0.05


def test_the_repeated_t_test_uses_every_split(three_configurations):
    X, y, groups = _cohort(np.random.default_rng(1), effect=2.5)
    cv = RepeatedStratifiedGroupKFold(n_splits=4, n_repeats=3, random_state=0)
    result = evaluate_pipelines({"signal": _keep([0, 1]), "noise": _keep([1, 2])},
                                X, y, groups, cv=cv, verbose=0, n_bootstraps=50,
                                random_state=0)
    comparison = compare_pipelines(result, n_bootstraps=200, random_state=0)
    assert comparison.n_splits[0] == 12
    scores = result.scores[result.scores.level == "patient"].pivot(
        index="fold", columns="estimator", values="roc_auc")
    differences = (scores["signal"] - scores["noise"]).to_numpy()
    # Bouckaert and Frank: J = k r = 12, 11 degrees of freedom, n2/n1 = 1/3.
    t = differences.mean() / math.sqrt((1 / 12 + 1 / 3) * differences.var(ddof=1))
    assert comparison.p_corrected_t[0] == pytest.approx(2 * stats.t.sf(abs(t), 11))


def test_the_comparison_refuses_what_it_cannot_compare(three_configurations):
    result, _ = three_configurations
    with pytest.raises(ValueError, match=r"baseline 'magic' is not among the "
                       r"configurations \['signal', 'signal_too', 'noise'\]"):
        compare_pipelines(result, "magic")
    with pytest.raises(ValueError, match="metric 'auc' is not among the result's"):
        compare_pipelines(result, metric="auc")
    with pytest.raises(ValueError, match="level must be 'patient' or 'image'"):
        compare_pipelines(result, level="fold")
    with pytest.raises(ValueError, match="n_bootstraps must be an integer of at "
                       "least 1"):
        compare_pipelines(result, n_bootstraps=0)


def test_bootstrap_p_value_counts_both_tails():
    assert bootstrap_p_value(np.zeros(99)) == 1.0
    # 4 of 99 at or below 0: 2 * (4 + 1) / 100.
    assert bootstrap_p_value(np.r_[np.full(4, -0.1), np.full(95, 0.2)]) == 0.1
    assert bootstrap_p_value(np.full(99, 0.2)) == 0.02


@pytest.mark.slow
def test_configurations_that_differ_only_by_noise_are_rarely_called_different():
    # 30 simulated cohorts of 40 patients; the configurations use the same
    # signal column and one noise column each. benchmarks/interval_coverage.py
    # --comparisons runs more.
    rng = np.random.default_rng(0)
    p_values = []
    for run in range(30):
        X, y, groups = _cohort(rng)
        result = evaluate_pipelines({"a": _keep([0, 1]), "b": _keep([0, 2])}, X, y,
                                    groups, cv=5, verbose=0, n_bootstraps=20,
                                    random_state=run)
        comparison = compare_pipelines(result, n_bootstraps=300, random_state=run)
        p_values.append(comparison[["p_corrected_t", "p_bootstrap"]].iloc[0])
    p_values = np.array(p_values)
    assert (p_values > 0.05).mean(axis=0).min() >= 0.9, p_values
