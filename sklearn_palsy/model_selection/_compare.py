"""Paired comparison of configurations evaluated on the same splits.

Two tests, each with Holm's correction across the pairs compared:

- the corrected resampled t-test of Nadeau and Bengio (2003) on the
  per-split scores, whose variance is inflated by ``1/J + n_test/n_train``
  because training sets overlap; over ``r`` repetitions of ``k`` folds it is
  Bouckaert and Frank's (2004) corrected repeated k-fold t-test (``J = k r``,
  ``J - 1`` degrees of freedom);
- a paired bootstrap over patients of the pooled out-of-fold predictions
  (the same resamples for both configurations), which also gives the
  difference's interval.
"""

import math

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from ._intervals import (
    PooledPredictions,
    bootstrap_p_value,
    check_bootstrap_parameters,
    holm,
    run_bootstrap,
)

__all__ = ["compare_pipelines", "corrected_t_test"]

#: The metric compared when none is given, by kind of target.
DEFAULT_COMPARISON_METRIC = {"binary": "roc_auc", "multiclass": "balanced_accuracy",
                             "ordinal": "quadratic_kappa"}


def corrected_t_test(differences, test_train_ratio):
    """The corrected resampled t-test of per-split score differences.

    Parameters
    ----------
    differences : array-like of shape (n_splits,)
        The score of one configuration minus the other's, on each split
        (every fold of every repetition).
    test_train_ratio : float
        ``n_test / n_train`` of a split (patients in the test part over
        patients in the training part), the mean over the splits.

    Returns
    -------
    t : float
        ``mean / sqrt((1/J + test_train_ratio) * variance)``, with the
        variance of the ``J`` differences (``ddof=1``).
    p_value : float
        Two-sided, from Student's t with ``J - 1`` degrees of freedom. NaN
        with fewer than two splits; 1 when every difference is 0, and 0 when
        they are all the same non-zero number.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error",
    Machine Learning 52, 239-281 (2003). R. R. Bouckaert and E. Frank,
    "Evaluating the replicability of significance tests for comparing
    learning algorithms", PAKDD 2004.

    Examples
    --------
    >>> from sklearn_palsy.model_selection import corrected_t_test
    >>> t, p = corrected_t_test([0.05, 0.02, 0.04, 0.01, 0.03], 0.25)
    >>> round(t, 3), round(p, 3)
    (2.828, 0.047)
    """
    differences = np.asarray(differences, dtype=float)
    n_splits = differences.size
    if n_splits < 2:
        return math.nan, math.nan
    mean = differences.mean()
    variance = differences.var(ddof=1)
    if variance == 0:
        return (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    t = mean / math.sqrt((1 / n_splits + test_train_ratio) * variance)
    return float(t), float(2 * student_t.sf(abs(t), n_splits - 1))


def compare_pipelines(result, baseline=None, *, metric=None, level="patient",
                      n_bootstraps=1000, confidence_level=0.95,
                      interval_method="percentile", random_state=None):
    """Compare the configurations of one evaluation, pair by pair.

    Each pair's difference (first minus second) in one metric, with the
    interval of a paired bootstrap over patients and two p-values: the
    corrected resampled t-test on the per-split scores, and the paired
    bootstrap; each also with Holm's correction across the pairs compared.

    Parameters
    ----------
    result : Bunch
        From :func:`~sklearn_palsy.evaluate_pipelines`: every configuration
        on the same splits (repeated or not).
    baseline : str, default=None
        Compare every other configuration with this one; None compares every
        pair.
    metric : str, default=None
        One of ``result.metrics``; None means ``"roc_auc"`` for a binary
        target, ``"balanced_accuracy"`` for a multi-class one and
        ``"quadratic_kappa"`` for an ordinal one.
    level : {"patient", "image"}, default="patient"
        Which scores are compared.
    n_bootstraps : int, default=1000
        Patient resamples of the paired bootstrap.
    confidence_level : float, default=0.95
        Of the difference's interval.
    interval_method : {"percentile", "BCa"}, default="percentile"
        The bootstrap interval's method.
    random_state : int, Generator or None, default=None
        Seed of the resamples.

    Returns
    -------
    comparison : DataFrame
        One row per pair, with columns ``estimator``, ``other``, ``level``,
        ``metric``, ``difference`` (estimator minus other, of the metric on
        the pooled out-of-fold predictions, as in ``result.intervals``),
        ``low`` and ``high`` (its bootstrap interval), ``p_corrected_t``,
        ``p_bootstrap``, ``p_corrected_t_holm``, ``p_bootstrap_holm``, then
        ``mean_fold_difference`` (the mean of the per-split differences
        that the t-test tests), ``n_splits`` and ``note``.

    Raises
    ------
    ValueError
        For an unknown baseline, metric or level, fewer than two
        configurations, or bad bootstrap parameters.

    Notes
    -----
    The t-test's ``n_test / n_train`` counts patients, the independent
    units, in each split's two parts. An external validation has one split:
    its t-test is undefined (NaN) and only the bootstrap speaks. A split on
    which either configuration's score is undefined (NaN) is left out of
    the t-test, and the note says so.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_palsy import (ExpressionFeatures, compare_pipelines,
    ...                            evaluate_pipelines)
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=8, n_controls=8,
    ...                                expressions=("rest",), random_state=0)
    >>> features = ExpressionFeatures(kinds=("symmetry",))
    >>> result = evaluate_pipelines(
    ...     {"model": make_pipeline(features, LogisticRegression()),
    ...      "chance": make_pipeline(features, DummyClassifier())},
    ...     cohort.landmarks, cohort.y, cohort.groups, cv=4, verbose=0,
    ...     n_bootstraps=200, random_state=0)
    >>> comparison = compare_pipelines(result, "chance", n_bootstraps=200,
    ...                                random_state=0)
    >>> comparison[["estimator", "other", "metric"]].values.tolist()
    [['model', 'chance', 'roc_auc']]
    """
    check_bootstrap_parameters(n_bootstraps, confidence_level, interval_method,
                               "compare_pipelines")
    names = list(dict.fromkeys(result.scores["estimator"]))
    if len(names) < 2:
        raise ValueError(
            f"compare_pipelines needs at least two configurations; the result has "
            f"{names}"
        )
    if level not in ("patient", "image"):
        raise ValueError(f"level must be 'patient' or 'image'; got {level!r}")
    metric = DEFAULT_COMPARISON_METRIC[result.target] if metric is None else metric
    if metric not in result.metrics:
        raise ValueError(
            f"metric {metric!r} is not among the result's metrics "
            f"{list(result.metrics)}"
        )
    if baseline is None:
        pairs = [(first, second) for i, first in enumerate(names)
                 for second in names[i + 1:]]
    elif baseline not in names:
        raise ValueError(
            f"baseline {baseline!r} is not among the configurations {names}"
        )
    else:
        pairs = [(name, baseline) for name in names if name != baseline]

    pooled = PooledPredictions(result.predictions, target=result.target,
                               classes=result.classes,
                               pos_label=getattr(result, "pos_label", None),
                               metrics=(metric,))
    estimates = dict(zip(pooled.keys, pooled.estimates(), strict=True))  # one metric
    position = {name: i for i, name in enumerate(names)}

    def statistic(counts):
        values = pooled.statistic(counts, keys=[(name, level) for name in names])
        return np.stack([values[position[first]] - values[position[second]]
                         for first, second in pairs])

    low, high, distribution, notes = run_bootstrap(
        statistic, len(pooled.patients), len(pairs), n_bootstraps=n_bootstraps,
        confidence_level=confidence_level, method=interval_method,
        random_state=random_state, n_images=pooled.n_images() * len(names))

    folds = result.scores[result.scores["level"] == level].pivot(
        index="fold", columns="estimator", values=metric)
    ratio = _test_train_ratio(result)
    rows = []
    for pair, (first, second) in enumerate(pairs):
        differences = (folds[first] - folds[second]).to_numpy(dtype=float)
        defined = differences[np.isfinite(differences)]
        _, p_t = corrected_t_test(defined, ratio)
        note = [notes[pair]] if notes[pair] else []
        if len(differences) < 2:
            note.append("one split (external validation): no t-test")
        elif defined.size < differences.size:
            note.append(f"t-test on the {defined.size} of {differences.size} splits "
                        f"where both scores are defined")
        rows.append({
            "estimator": first, "other": second, "level": level, "metric": metric,
            "difference": estimates[first, level] - estimates[second, level],
            "low": low[pair], "high": high[pair], "p_corrected_t": p_t,
            "p_bootstrap": bootstrap_p_value(distribution[pair]),
            "mean_fold_difference": defined.mean() if defined.size else math.nan,
            "n_splits": int(defined.size), "note": "; ".join(note),
        })
    comparison = pd.DataFrame(rows)
    for column in ("p_corrected_t", "p_bootstrap"):
        comparison.insert(comparison.columns.get_loc("mean_fold_difference"),
                          f"{column}_holm", holm(comparison[column]))
    return comparison


def _test_train_ratio(result):
    """The mean over the splits of test patients over training patients."""
    frame = result.predictions.drop_duplicates("index")
    patient_of = pd.Series(frame["patient_id"].to_numpy(), index=frame["index"])
    ratios = []
    for train, test in result.splits:
        train_patients = patient_of.reindex(train).dropna().nunique()
        test_patients = patient_of.reindex(test).dropna().nunique()
        if train_patients:
            ratios.append(test_patients / train_patients)
    return float(np.mean(ratios)) if ratios else math.nan
