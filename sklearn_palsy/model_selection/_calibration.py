"""Calibration: the reliability curve, slope and intercept of binary probabilities.

:func:`calibration_table` bins the out-of-fold probabilities that
:func:`~sklearn_palsy.model_selection.evaluate_pipelines` returns, per image
or per patient, and sets each bin's mean probability against the fraction
of positives in it, as :func:`sklearn.calibration.calibration_curve` does,
with the share of probabilities that are exactly 0 or 1.

:func:`calibration_slope_intercept` fits the logistic recalibration model
of Cox (1958), as Van Calster et al. (2019) and Steyerberg's *Clinical
Prediction Models* define the calibration slope and the calibration in the
large; :func:`calibration_summary` gives both for every estimator of an
evaluation, with confidence intervals from a bootstrap over patients.
"""

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..utils._patients import pool_by_patient
from ._scoring import _extreme_fraction

# A patient within a fold: the unit pooled at the patient level.
_FOLD_PATIENT = ["estimator", "fold", "patient_id"]
_LEVELS = ("image", "patient")
# Probabilities of exactly 0 or 1 have no logit; they are moved this far
# inside (a logit of about +-13.8) before the recalibration model is fitted.
_CLIP = 1e-6

__all__ = [
    "calibration_slope_intercept",
    "calibration_summary",
    "calibration_table",
]


def calibration_table(result, *, n_bins=10, strategy="uniform", level="image"):
    """Tabulate the reliability curve of a binary evaluation's probabilities.

    The out-of-fold probabilities of :func:`evaluate_pipelines` are binned,
    and each bin's mean probability set against the fraction of its images
    (or patients) that have palsy, as
    :func:`sklearn.calibration.calibration_curve` does; the bin edges and
    counts are kept too. A calibrated model's points lie on the diagonal.
    :meth:`sklearn.calibration.CalibrationDisplay.from_predictions` draws
    the same curve from ``result.predictions``.

    Parameters
    ----------
    result : Bunch
        The output of :func:`evaluate_pipelines` for a binary target.
    n_bins : int, default=10
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of equal width in [0, 1], or holding equal numbers of
        probabilities (per estimator).
    level : {"image", "patient"}, default="image"
        "patient" bins each patient's mean probability, within each fold, as
        the patient-level scores do.

    Returns
    -------
    table : DataFrame
        One row per estimator and non-empty bin: ``estimator``, ``bin``,
        ``lower`` and ``upper`` (the bin's edges), ``count``,
        ``mean_predicted`` and ``fraction_positive``; the ``extreme_fraction``
        of the estimator's probabilities (exactly 0 or 1), repeated on its
        rows.

    Raises
    ------
    ValueError
        If ``result`` is not from a binary target, or a parameter is out of
        range.

    Examples
    --------
    Out-of-fold probabilities of four images, as ``evaluate_pipelines``
    gives them:

    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> from sklearn_palsy.model_selection import calibration_table
    >>> predictions = pd.DataFrame({
    ...     "estimator": "m", "fold": 0, "patient_id": ["a", "a", "b", "c"],
    ...     "y_true": [1, 1, 0, 0], "proba": [0.9, 0.7, 0.2, 0.0]})
    >>> result = Bunch(predictions=predictions, target="binary", pos_label=1)
    >>> table = calibration_table(result, n_bins=2)
    >>> table[["bin", "count", "mean_predicted", "fraction_positive"]]
       bin  count  mean_predicted  fraction_positive
    0    0      2             0.1                0.0
    1    1      2             0.8                1.0
    >>> float(table.extreme_fraction[0])
    0.25
    """
    if getattr(result, "target", "binary") != "binary":
        raise ValueError(
            "calibration_table needs a binary evaluation; this one's target is "
            f"{result.target!r}"
        )
    if not (isinstance(n_bins, numbers.Integral) and n_bins >= 1):
        raise ValueError(f"n_bins must be an int >= 1; got {n_bins!r}")
    if strategy not in ("uniform", "quantile"):
        raise ValueError(
            f"strategy must be 'uniform' or 'quantile'; got {strategy!r}"
        )
    if level not in ("image", "patient"):
        raise ValueError(f"level must be 'image' or 'patient'; got {level!r}")
    predictions = result.predictions
    if level == "patient":
        predictions = pool_by_patient(
            predictions, ["proba"], by=_FOLD_PATIENT, first=["y_true"])
    pos_label = result.get("pos_label", 1)
    tables = []
    for name, rows in predictions.groupby("estimator", sort=False):
        proba = rows["proba"].to_numpy(dtype=float)
        positive = (rows["y_true"] == pos_label).to_numpy()
        if strategy == "quantile":
            edges = np.percentile(proba, np.linspace(0, 100, n_bins + 1))
        else:
            edges = np.linspace(0.0, 1.0, n_bins + 1)
        # The binning of sklearn.calibration.calibration_curve.
        bins = np.searchsorted(edges[1:-1], proba)
        count = np.bincount(bins, minlength=n_bins)
        filled = count > 0
        tables.append(pd.DataFrame({
            "estimator": name,
            "bin": np.flatnonzero(filled),
            "lower": edges[:-1][filled],
            "upper": edges[1:][filled],
            "count": count[filled],
            "mean_predicted": np.bincount(bins, proba, n_bins)[filled]
            / count[filled],
            "fraction_positive": np.bincount(bins, positive, n_bins)[filled]
            / count[filled],
            "extreme_fraction": _extreme_fraction(proba),
        }))
    return pd.concat(tables, ignore_index=True)


def _check_binary(result, caller):
    if getattr(result, "target", "binary") != "binary":
        raise ValueError(
            f"{caller} needs a binary evaluation; this one's target is "
            f"{result.target!r}"
        )


def _check_levels(levels, caller):
    levels = (levels,) if isinstance(levels, str) else tuple(levels)
    bad = [level for level in levels if level not in _LEVELS]
    if bad or not levels:
        raise ValueError(
            f"{caller}: levels must be among {_LEVELS}; got {list(levels)!r}"
        )
    return levels


def pooled_out_of_fold(result, level):
    """The out-of-fold probabilities of a binary evaluation, per image or patient.

    Columns ``estimator``, ``fold``, ``patient_id``, ``y_true`` (True for
    the positive class) and ``proba``; a patient's probability is the mean
    over their images within the fold, as the patient-level scores take it.
    """
    predictions = result.predictions
    columns = ["estimator", "fold", "patient_id", "y_true", "proba"]
    if level == "patient":
        predictions = pool_by_patient(
            predictions, ["proba"], by=_FOLD_PATIENT, first=["y_true"])
    frame = predictions[columns].copy()
    frame["y_true"] = (frame["y_true"] == result.get("pos_label", 1)).to_numpy()
    return frame.reset_index(drop=True)


def check_binary_predictions(y_true, proba, pos_label, caller):
    """Whether each outcome is positive, and the probabilities, both checked."""
    positive = np.asarray(y_true) == pos_label
    proba = np.asarray(proba, dtype=float)
    if positive.shape != proba.shape or proba.ndim != 1:
        raise ValueError(
            f"{caller}: y_true and proba must be 1-D and of one length; got "
            f"shapes {positive.shape} and {proba.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(proba) | (proba < 0) | (proba > 1))
    if bad.size:
        raise ValueError(
            f"{caller}: proba must hold probabilities in [0, 1]; got "
            f"{proba[bad[0]]!r} at row {bad[0]}"
            + (f" and {bad.size - 1} more" if bad.size > 1 else "")
        )
    return positive, proba


def calibration_slope_intercept(y_true, proba, *, pos_label=1):
    """Fit the calibration slope and the calibration intercept of probabilities.

    The calibration slope is the coefficient ``b`` of the logistic
    regression ``logit P(y = 1) = a + b logit(p)`` of the outcomes on the
    logits of the predicted probabilities ``p``; the calibration intercept
    (calibration in the large) is ``a`` in ``logit P(y = 1) = a + logit(p)``,
    the slope fixed at 1 as an offset (Van Calster et al. 2019; Steyerberg,
    *Clinical Prediction Models*, 2019). A calibrated model has slope 1 and
    intercept 0; a slope below 1 means probabilities too extreme
    (over-fitting), above 1 too modest; an intercept below 0 means
    probabilities too high on average.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Outcomes.
    proba : array-like of shape (n_samples,)
        Predicted probabilities of ``pos_label``. Probabilities of exactly 0
        or 1 are moved 1e-6 inside, since they have no logit.
    pos_label : int or str, default=1
        The label of the positive class.

    Returns
    -------
    slope : float
        The calibration slope: ``inf`` where the probabilities separate the
        classes completely (every positive's probability at or above every
        negative's, the maximum likelihood slope then has no finite value),
        ``-inf`` where they separate them the wrong way round (every
        positive's at or below every negative's), NaN where both classes are
        not present or every probability is the same.
    intercept : float
        The calibration intercept; NaN where both classes are not present.

    See Also
    --------
    calibration_summary : Both, with intervals, for every estimator of an
        evaluation.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import expit
    >>> from sklearn_palsy.model_selection import calibration_slope_intercept
    >>> rng = np.random.default_rng(0)
    >>> proba = expit(rng.normal(size=20000))
    >>> y = rng.random(20000) < proba
    >>> slope, intercept = calibration_slope_intercept(y, proba, pos_label=True)
    >>> round(slope, 2), abs(intercept) < 0.05
    (1.0, True)
    >>> slope, _ = calibration_slope_intercept(y, expit(2 * logit(proba)),
    ...                                        pos_label=True)
    >>> round(slope, 1)
    0.5
    """
    positive, proba = check_binary_predictions(
        y_true, proba, pos_label, "calibration_slope_intercept")
    slope, intercept = weighted_calibration(_logits(proba), positive,
                                            np.ones((1, len(proba))))
    return float(slope[0]), float(intercept[0])


def _logits(proba):
    return logit(np.clip(proba, _CLIP, 1 - _CLIP))


def weighted_calibration(linear, positive, weights):
    """Calibration slopes and intercepts under several weightings of the rows.

    Row ``b`` of ``weights`` (shape (n_weightings, n_rows)) weighs each
    observation, as a bootstrap resample counts it; all are fitted at once.
    The slope is the unpenalised logistic regression of ``positive`` on
    ``linear`` (Newton's method with step halving), the intercept the root
    of the score equation with ``linear`` as an offset (bisection: it is
    monotone). Returns two arrays of shape (n_weightings,): ``inf`` slopes
    where the weighted rows are separated (``-inf`` where the positives lie
    at or below every negative), NaN where they hold one class or one
    value.
    ``tests/test_decision_curve.py`` checks both against scikit-learn's
    :class:`~sklearn.linear_model.LogisticRegression` and a Newton
    iteration written there.
    """
    weights = np.asarray(weights, dtype=float)
    present = weights > 0
    n_positive = weights @ positive
    n_negative = weights @ ~positive
    both = (n_positive > 0) & (n_negative > 0)
    top_negative = np.where(present & ~positive, linear, -np.inf).max(axis=1)
    bottom_positive = np.where(present & positive, linear, np.inf).min(axis=1)
    top_positive = np.where(present & positive, linear, -np.inf).max(axis=1)
    bottom_negative = np.where(present & ~positive, linear, np.inf).min(axis=1)
    constant = np.where(present, linear, -np.inf).max(axis=1) == np.where(
        present, linear, np.inf).min(axis=1)
    # Every positive at or above every negative: the slope grows without
    # bound; every positive at or below every negative: it falls without one.
    separated = both & ~constant & (top_negative <= bottom_positive)
    reversed_ = both & ~constant & ~separated & (top_positive <= bottom_negative)
    fit = both & ~separated & ~reversed_ & ~constant
    slope = np.full(len(weights), np.nan)
    slope[separated] = np.inf
    slope[reversed_] = -np.inf
    if fit.any():
        slope[fit] = _newton_slopes(linear, positive.astype(float), weights[fit])
    intercept = np.full(len(weights), np.nan)
    if both.any():
        intercept[both] = _bisect_intercepts(linear, n_positive[both],
                                             weights[both])
    return slope, intercept


def _newton_slopes(linear, target, weights):
    # A full Newton step can overshoot far (near-separated resamples); the
    # step halving below takes it back, so overflow on the way is expected.
    with np.errstate(over="ignore", invalid="ignore"):
        return _newton_slopes_unguarded(linear, target, weights)


def _newton_slopes_unguarded(linear, target, weights):
    coef = np.zeros((len(weights), 2))

    def log_likelihood(coef, rows=slice(None)):
        eta = coef[:, :1] + coef[:, 1:] * linear
        return (weights[rows] * (target * eta - np.logaddexp(0, eta))).sum(axis=1)

    current = log_likelihood(coef)
    for _ in range(100):
        eta = coef[:, :1] + coef[:, 1:] * linear
        fitted = expit(eta)
        residual = weights * (target - fitted)
        curvature = weights * fitted * (1 - fitted)
        gradient = np.stack([residual.sum(1), (residual * linear).sum(1)], axis=1)
        h00 = curvature.sum(1)
        h01 = (curvature * linear).sum(1)
        h11 = (curvature * linear**2).sum(1)
        determinant = h00 * h11 - h01**2
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.stack([(h11 * gradient[:, 0] - h01 * gradient[:, 1]),
                             (h00 * gradient[:, 1] - h01 * gradient[:, 0])],
                            axis=1) / determinant[:, None]
        step = np.nan_to_num(step)
        scale = np.ones(len(weights))
        candidate = coef + step
        value = log_likelihood(candidate)
        for _ in range(40):
            worse = ~(value >= current - 1e-12)
            if not worse.any():
                break
            scale[worse] /= 2
            candidate[worse] = coef[worse] + scale[worse, None] * step[worse]
            value[worse] = log_likelihood(candidate[worse], worse)
        moved = np.abs(scale[:, None] * step).max(axis=1)
        coef, current = candidate, value
        if moved.max() < 1e-10:
            break
    return coef[:, 1]


def _bisect_intercepts(linear, n_positive, weights):
    # sum(w * (y - expit(a + linear))) = 0 is decreasing in a: bisect it.
    low = np.full(len(weights), -100.0)
    high = np.full(len(weights), 100.0)
    for _ in range(64):
        middle = (low + high) / 2
        above = (weights * expit(middle[:, None] + linear)).sum(axis=1) > n_positive
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return (low + high) / 2


def patient_bootstrap(patient_ids, statistic, *, n_resamples, random_state):
    """Recompute ``statistic`` on resamples of the patients.

    Each resample draws as many patients as there are, with replacement,
    and passes ``statistic`` the row numbers of every row of each patient
    drawn (a patient drawn twice counts twice). Returns an array of shape
    (n_resamples, n_values).
    """
    codes, _ = pd.factorize(np.asarray(patient_ids))
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    rows = [order[starts[i]:starts[i + 1]] for i in range(len(starts) - 1)]
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(n_resamples):
        drawn = rng.integers(len(rows), size=len(rows))
        values.append(statistic(np.concatenate([rows[i] for i in drawn])))
    return np.asarray(values, dtype=float)


def patient_resample_weights(patient_ids, n_resamples, random_state):
    """How often each row is drawn in each bootstrap resample of the patients.

    Each resample draws as many patients as there are, with replacement;
    a row counts as often as its patient was drawn. Returns an array of
    shape (n_resamples, n_rows).
    """
    codes, uniques = pd.factorize(np.asarray(patient_ids))
    rng = np.random.default_rng(random_state)
    drawn = rng.integers(len(uniques), size=(n_resamples, len(uniques)))
    counts = np.zeros((n_resamples, len(uniques)))
    np.add.at(counts, (np.arange(n_resamples)[:, None], drawn), 1)
    return counts[:, codes]


def percentile_interval(values, confidence_level):
    """The percentile interval of bootstrap values (NaN resamples dropped).

    Taken without interpolation, so that an infinite value (a calibration
    slope where a resample is separated) gives an infinite bound rather than
    NaN.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not values.size:
        return np.nan, np.nan
    alpha = (1 - confidence_level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha], method="inverted_cdf")
    return float(low), float(high)


def check_bootstrap(n_resamples, confidence_level, caller):
    if not (isinstance(n_resamples, numbers.Integral) and n_resamples >= 1):
        raise ValueError(f"{caller}: n_resamples must be an int >= 1; got "
                         f"{n_resamples!r}")
    if not (isinstance(confidence_level, numbers.Real)
            and 0 < confidence_level < 1):
        raise ValueError(f"{caller}: confidence_level must lie strictly between "
                         f"0 and 1; got {confidence_level!r}")


def calibration_summary(result, *, levels=("image", "patient"), n_resamples=1000,
                        confidence_level=0.95, random_state=0):
    """Tabulate the calibration slope and intercept of an evaluation, with intervals.

    For every estimator of a binary :func:`evaluate_pipelines` result, the
    out-of-fold probabilities of all folds together give the calibration
    slope and intercept (:func:`calibration_slope_intercept`), per image and
    per patient (a patient's mean probability within their fold). Their
    intervals come from a bootstrap over patients: patients are drawn with
    replacement, each with all their images, and the percentile interval of
    the resampled values is taken (resamples holding one class only are
    left out).

    Parameters
    ----------
    result : Bunch
        The output of :func:`evaluate_pipelines` for a binary target.
    levels : str or tuple of str, default=("image", "patient")
        The levels to tabulate.
    n_resamples : int, default=1000
        Bootstrap resamples.
    confidence_level : float, default=0.95
        Coverage of the intervals.
    random_state : int, default=0
        Seed of the resampling.

    Returns
    -------
    table : DataFrame
        One row per estimator, level and metric (``calibration_slope``,
        ``calibration_intercept``), with the columns of an evaluation's
        intervals: ``estimator``, ``level``, ``metric``, ``estimate``,
        ``low``, ``high``; and ``note``, which says where the slope is
        infinite (the probabilities separate the classes, in the data or in
        more than the interval's tail of the resamples).

    Raises
    ------
    ValueError
        If ``result`` is not from a binary target, or a parameter is out of
        range.

    See Also
    --------
    calibration_table : The reliability curve.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from scipy.special import expit
    >>> from sklearn.utils import Bunch
    >>> from sklearn_palsy.model_selection import calibration_summary
    >>> rng = np.random.default_rng(0)
    >>> proba = expit(rng.normal(size=400))
    >>> predictions = pd.DataFrame({
    ...     "estimator": "m", "fold": 0, "patient_id": np.arange(400) // 2,
    ...     "y_true": (rng.random(400) < proba).astype(int), "proba": proba})
    >>> result = Bunch(predictions=predictions, target="binary", pos_label=1)
    >>> table = calibration_summary(result, levels="image", n_resamples=200)
    >>> table[["metric", "estimate"]].round(1)
                      metric  estimate
    0      calibration_slope       1.0
    1  calibration_intercept      -0.1
    """
    _check_binary(result, "calibration_summary")
    levels = _check_levels(levels, "calibration_summary")
    check_bootstrap(n_resamples, confidence_level, "calibration_summary")
    rows = []
    for level in levels:
        pooled = pooled_out_of_fold(result, level)
        for name, frame in pooled.groupby("estimator", sort=False):
            positive = frame["y_true"].to_numpy()
            linear = _logits(frame["proba"].to_numpy())
            estimates = [value[0] for value in weighted_calibration(
                linear, positive, np.ones((1, len(frame))))]
            resampled = np.column_stack(weighted_calibration(
                linear, positive, patient_resample_weights(
                    frame["patient_id"], n_resamples, random_state)))
            for position, metric in enumerate(("calibration_slope",
                                               "calibration_intercept")):
                low, high = percentile_interval(resampled[:, position],
                                                confidence_level)
                note = ""
                if np.isposinf(estimates[position]):
                    note = ("not finite: the probabilities separate the classes "
                            "completely")
                elif np.isneginf(estimates[position]):
                    note = ("not finite: the probabilities separate the classes "
                            "the wrong way round (every palsy below every "
                            "control)")
                elif np.isinf(low) and np.isinf(high):
                    note = ("neither bound finite: the probabilities separate "
                            "the classes, one way or the other, in many "
                            "resamples")
                elif np.isinf(low):
                    note = ("lower bound not finite: the probabilities separate "
                            "the classes the wrong way round in many resamples")
                elif np.isinf(high):
                    note = ("upper bound not finite: the probabilities separate "
                            "the classes in many resamples")
                rows.append({"estimator": name, "level": level, "metric": metric,
                             "estimate": estimates[position], "low": low,
                             "high": high, "note": note})
    return pd.DataFrame(rows, columns=["estimator", "level", "metric", "estimate",
                                       "low", "high", "note"])
