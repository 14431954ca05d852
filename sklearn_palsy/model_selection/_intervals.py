"""Confidence intervals by patient: a bootstrap over the patients of pooled predictions.

Every metric that :func:`~sklearn_palsy.evaluate_pipelines` reports gets an
estimate and an interval at both levels. The estimate is the metric of the
pooled out-of-fold predictions, computed by the scoring functions of
:mod:`~sklearn_palsy.model_selection._scoring`; for repeated
cross-validation, where each image has one out-of-fold prediction per
repetition, it is the mean over the repetitions of each repetition's pooled
metric. The interval comes from :func:`scipy.stats.bootstrap` resampling the
*patients* (all of a drawn patient's images come along, and a patient drawn
twice counts twice), percentile or BCa.

A bootstrap of a thousand resamples would call scikit-learn's metric
functions 2000 times per estimator (some 15 ms per call on a laptop, half a
minute per configuration), so the resamples are scored at once, as weighted
counts: a patient drawn ``k`` times weighs ``k``. :class:`_Units` holds one
level's predictions and computes every metric of a batch of weightings;
``tests/test_intervals.py`` checks it against the scoring functions on
resampled (duplicated) predictions.
"""

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from ..utils._patients import pool_by_patient
from ._scoring import _score_binary_fold, _score_class_fold, ordinal_decision

__all__ = ["INTERVAL_METHODS", "format_interval"]

#: The interval methods of :func:`~sklearn_palsy.evaluate_pipelines`.
INTERVAL_METHODS = ("percentile", "BCa")
_LEVELS = ("image", "patient")
# Resamples scored per batch are limited so that a batch's weights (one float
# per resample and image) stay near 40 MB.
_BATCH_WEIGHTS = 5_000_000


def format_interval(estimate, low, high, digits=2):
    """Write an estimate and its interval as ``"0.93 (0.89–0.96)"``.

    Parameters
    ----------
    estimate, low, high : float
        The estimate and the bounds of its interval.
    digits : int, default=2
        Decimal places.

    Returns
    -------
    text : str
        ``"n/a"`` for an undefined estimate (NaN), and the estimate alone
        followed by ``"(no interval)"`` when a bound is undefined.

    Examples
    --------
    >>> from sklearn_palsy import format_interval
    >>> format_interval(0.9312, 0.8871, 0.9634)
    '0.93 (0.89–0.96)'
    >>> format_interval(0.5, float("nan"), 0.7, digits=1)
    '0.5 (no interval)'
    """
    if estimate is None or not np.isfinite(estimate):
        return "n/a"
    text = f"{estimate:.{digits}f}"
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return f"{text} (no interval)"
    return f"{text} ({low:.{digits}f}\u2013{high:.{digits}f})"


def check_bootstrap_parameters(n_bootstraps, confidence_level, interval_method,
                               owner):
    """Refuse a bootstrap that cannot give an interval, naming the parameter."""
    if not isinstance(n_bootstraps, numbers.Integral) or isinstance(
            n_bootstraps, bool) or n_bootstraps < 1:
        raise ValueError(
            f"{owner}: n_bootstraps must be an integer of at least 1 (resamples of "
            f"the patients); got {n_bootstraps!r}"
        )
    if not isinstance(confidence_level, numbers.Real) or not (
            0 < confidence_level < 1):
        raise ValueError(
            f"{owner}: confidence_level must be a number between 0 and 1, such as "
            f"0.95; got {confidence_level!r}"
        )
    if interval_method not in INTERVAL_METHODS:
        raise ValueError(
            f"{owner}: interval_method must be one of {INTERVAL_METHODS}; got "
            f"{interval_method!r}"
        )


@dataclass
class _Units:
    """One level's pooled predictions (images or patients), scored under weights.

    ``patient`` is the index of each unit's patient among the bootstrap's
    patients. A binary level has ``positive`` and ``score``; a multi-class
    or ordinal level has class indices ``true`` and ``predicted`` and the
    ``proba`` matrix. :meth:`metrics` gives what ``_scoring`` gives for the
    units repeated as many times as their weights say.
    """

    patient: np.ndarray
    positive: np.ndarray = None
    score: np.ndarray = None
    true: np.ndarray = None
    predicted: np.ndarray = None
    proba: np.ndarray = None
    ordinal: bool = False

    def metrics(self, weights):
        """Every metric for each row of ``weights`` (n_batch, n_units)."""
        if self.score is not None:
            return _binary_metrics(self.positive, self.score, weights)
        return _class_metrics(self.true, self.predicted, self.proba, self.ordinal,
                              weights)


def _divide(numerator, denominator, empty):
    """numerator / denominator, ``empty`` where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(
            denominator > 0, denominator, 1), empty)


def _weighted_auc(positive, score, weights):
    """The ROC AUC of each weighting (ties count half), NaN without both classes."""
    order = np.argsort(score, kind="stable")
    sorted_score = score[order]
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    ordered = weights[:, order]
    pos = np.add.reduceat(ordered * positive[order], starts, axis=1)
    neg = np.add.reduceat(ordered * ~positive[order], starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    pairs = (pos * (below + 0.5 * neg)).sum(axis=1)
    return _divide(pairs, pos.sum(axis=1) * neg.sum(axis=1), np.nan)


def _binary_metrics(positive, score, weights):
    predicted = score >= 0.5
    total = weights.sum(axis=1)
    tp = weights @ (positive & predicted).astype(float)
    fp = weights @ (~positive & predicted).astype(float)
    fn = weights @ (positive & ~predicted).astype(float)
    tn = total - tp - fp - fn
    positives, negatives = tp + fn, tn + fp
    recall = _divide(tp, positives, 0.0)
    specificity = _divide(tn, negatives, np.nan)
    both = (positives > 0) & (negatives > 0)
    extreme = ((score == 0.0) | (score == 1.0)).astype(float)
    return {
        "precision": _divide(tp, tp + fp, 0.0),
        "recall": recall,
        "specificity": specificity,
        "f1": _divide(2 * tp, 2 * tp + fp + fn, 0.0),
        "accuracy": _divide(tp + tn, total, np.nan),
        "balanced_accuracy": np.where(both, (recall + specificity) / 2, np.nan),
        "roc_auc": _weighted_auc(positive, score, weights),
        "brier": _divide(weights @ (score - positive) ** 2, total, np.nan),
        "extreme_fraction": _divide(weights @ extreme, total, np.nan),
    }


def _midranks(counts):
    """The average rank of each class's members, from the class counts."""
    return np.cumsum(counts, axis=-1) - counts + (counts + 1) / 2


def _class_metrics(true, predicted, proba, ordinal, weights):
    n_batch, n_classes = weights.shape[0], proba.shape[1]
    cells = np.zeros((len(true), n_classes * n_classes))
    cells[np.arange(len(true)), true * n_classes + predicted] = 1.0
    confusion = (weights @ cells).reshape(n_batch, n_classes, n_classes)
    rows, columns = confusion.sum(axis=2), confusion.sum(axis=1)
    total = rows.sum(axis=1)
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    present = rows > 0
    recalls = _divide(hits, rows, 0.0)
    labelled = (rows + columns) > 0
    f1 = _divide(2 * hits, rows + columns, 0.0)
    aucs = np.stack([_weighted_auc(true == label, proba[:, label], weights)
                     for label in range(n_classes)], axis=1)
    n_present = present.sum(axis=1)
    scores = {
        "accuracy": _divide(hits.sum(axis=1), total, np.nan),
        "balanced_accuracy": _divide((recalls * present).sum(axis=1), n_present,
                                     np.nan),
        "f1_macro": _divide((f1 * labelled).sum(axis=1), labelled.sum(axis=1),
                            np.nan),
        "roc_auc_ovr": np.where(
            n_present > 1,
            _divide(np.where(present, aucs, 0.0).sum(axis=1), n_present, np.nan),
            np.nan),
    }
    if ordinal:
        grades = np.arange(n_classes)
        steps = np.abs(grades[:, None] - grades[None, :])
        true_rank, predicted_rank = _midranks(rows), _midranks(columns)
        true_mean = _divide((rows * true_rank).sum(axis=1), total, np.nan)
        predicted_mean = _divide((columns * predicted_rank).sum(axis=1), total, np.nan)
        true_centred = true_rank - true_mean[:, None]
        predicted_centred = predicted_rank - predicted_mean[:, None]
        covariance = np.einsum("bij,bi,bj->b", confusion, true_centred,
                               predicted_centred)
        spread = ((rows * true_centred**2).sum(axis=1)
                  * (columns * predicted_centred**2).sum(axis=1))
        expected = _divide(columns[:, :, None] * rows[:, None, :],
                           total[:, None, None], np.nan)
        squared = steps.astype(float) ** 2
        disagreement = (squared * expected).sum(axis=(1, 2))
        scores.update({
            "mean_absolute_error": _divide((confusion * steps).sum(axis=(1, 2)),
                                           total, np.nan),
            "spearman": _divide(covariance, np.sqrt(spread), np.nan),
            "quadratic_kappa": 1 - _divide((squared * confusion).sum(axis=(1, 2)),
                                           disagreement, np.nan),
        })
    return scores


class PooledPredictions:
    """The out-of-fold predictions of an evaluation, pooled for the bootstrap.

    Parameters
    ----------
    predictions : DataFrame
        ``evaluate_pipelines``' predictions (one row per image, estimator and
        fold; a ``repeat`` column numbers the repetitions).
    target, classes, pos_label, metrics
        As in ``evaluate_pipelines``' result.
    """

    def __init__(self, predictions, *, target, classes, pos_label, metrics):
        self.target, self.classes, self.pos_label = target, classes, pos_label
        self.metrics = tuple(metrics)
        self.estimators = list(dict.fromkeys(predictions["estimator"]))
        self.patients = np.asarray(list(dict.fromkeys(predictions["patient_id"])),
                                   dtype=object)
        index_of = {patient: i for i, patient in enumerate(self.patients.tolist())}
        self.units, self._estimates = {}, {}
        repeats = (predictions["repeat"] if "repeat" in predictions
                   else pd.Series(0, index=predictions.index))
        for name in self.estimators:
            mine = predictions[predictions["estimator"] == name]
            by_level = {level: [] for level in _LEVELS}
            estimates = {level: [] for level in _LEVELS}
            for _, rows in mine.groupby(repeats[mine.index], sort=True):
                units, scored = self._pool(rows, index_of)
                for level in _LEVELS:
                    by_level[level].append(units[level])
                    estimates[level].append([scored[level][m] for m in self.metrics])
            for level in _LEVELS:
                self.units[name, level] = by_level[level]
                with warnings.catch_warnings():
                    # A metric undefined in every repetition stays NaN.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    self._estimates[name, level] = np.nanmean(
                        np.asarray(estimates[level], dtype=float), axis=0)

    @property
    def keys(self):
        """The (estimator, level) pairs, in the order of the statistics."""
        return [(name, level) for name in self.estimators for level in _LEVELS]

    def _pool(self, rows, index_of):
        """One repetition's units at both levels, and its scores by ``_scoring``."""
        y_true = rows["y_true"].to_numpy()
        groups = rows["patient_id"].to_numpy()
        if self.target == "binary":
            proba = rows["proba"].to_numpy(dtype=float)
            scored, _, _ = _score_binary_fold(y_true, proba[:, None], groups,
                                              pos_label=self.pos_label, column=0)
            pooled = pool_by_patient(rows.assign(proba=proba), ["proba"],
                                     first=["y_true"])
            units = {
                "image": _Units(_indices(groups, index_of),
                                positive=y_true == self.pos_label, score=proba),
                "patient": _Units(
                    _indices(pooled["patient_id"], index_of),
                    positive=pooled["y_true"].to_numpy() == self.pos_label,
                    score=pooled["proba"].to_numpy(dtype=float)),
            }
            return units, scored
        columns = [f"proba_{label}" for label in self.classes.tolist()]
        proba = rows[columns].to_numpy(dtype=float)
        ordinal = self.target == "ordinal"
        scored, _, _ = _score_class_fold(y_true, proba, groups, classes=self.classes,
                                         ordinal=ordinal)
        position = {label: i for i, label in enumerate(self.classes.tolist())}
        true = np.array([position[label] for label in y_true.tolist()], dtype=int)
        frame = pd.DataFrame(proba, columns=columns).assign(
            true=true, patient_id=groups)
        pooled = pool_by_patient(frame, columns, first=["true"])
        pooled_proba = pooled[columns].to_numpy(dtype=float)
        decision = "mean" if ordinal else "mode"
        units = {
            "image": _Units(_indices(groups, index_of), true=true,
                            predicted=ordinal_decision(proba, decision),
                            proba=proba, ordinal=ordinal),
            "patient": _Units(_indices(pooled["patient_id"], index_of),
                              true=pooled["true"].to_numpy(dtype=int),
                              predicted=ordinal_decision(pooled_proba, decision),
                              proba=pooled_proba, ordinal=ordinal),
        }
        return units, scored

    def estimates(self):
        """Every (estimator, level)'s metrics, as an array (n_keys * n_metrics,)."""
        return np.concatenate([self._estimates[key] for key in self.keys])

    def statistic(self, counts, keys=None):
        """The statistics of ``keys`` for patient counts (n_batch, n_patients).

        Returns an array (len(keys) * n_metrics, n_batch): for each key, each
        metric's mean over the repetitions, NaN where a repetition leaves it
        undefined in every one.
        """
        out = []
        for key in self.keys if keys is None else keys:
            per_repeat = []
            for units in self.units[key]:
                scored = units.metrics(counts[:, units.patient])
                per_repeat.append(np.stack([scored[m] for m in self.metrics]))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out.append(np.nanmean(np.stack(per_repeat), axis=0))
        return np.concatenate(out)

    def n_images(self):
        return max(len(units.patient) for key in self.keys
                   for units in self.units[key])


def _indices(patients, index_of):
    return np.fromiter((index_of[patient] for patient in patients), dtype=int,
                       count=len(patients))


def counts_of(resampled, n_patients):
    """How often each patient is drawn in each resample (n_batch, n_patients)."""
    resampled = np.asarray(resampled)
    flat = resampled.reshape(-1, resampled.shape[-1])
    offsets = np.arange(flat.shape[0])[:, None] * n_patients
    counts = np.bincount((flat + offsets).ravel(), minlength=flat.shape[0] * n_patients)
    return counts.reshape(flat.shape[0], n_patients).astype(float), resampled.shape[:-1]


def run_bootstrap(statistic, n_patients, n_outputs, *, n_bootstraps,
                  confidence_level, method, random_state, n_images):
    """scipy's bootstrap over patient indices of a vectorised statistic.

    ``statistic(counts)`` takes patient counts (n_batch, n_patients) and
    returns (n_outputs, n_batch). Returns the lows, highs and the bootstrap
    distribution (n_outputs, n_bootstraps), NaN where undefined; with fewer
    than two patients, everything is NaN. Where scipy's interval is
    undefined but some resamples define the statistic (a resample with one
    class has no ROC AUC; BCa needs a spread), the percentile interval of
    those resamples is used, and ``notes`` says so.
    """
    nothing = np.full(n_outputs, np.nan)
    notes = [""] * n_outputs
    if n_patients < 2:
        return nothing, nothing.copy(), np.full((n_outputs, 0), np.nan), [
            "fewer than 2 patients: no interval"] * n_outputs

    def vectorised(resampled, axis=-1):
        counts, shape = counts_of(np.moveaxis(resampled, axis, -1), n_patients)
        return statistic(counts).reshape(n_outputs, *shape)

    batch = max(1, min(n_bootstraps, _BATCH_WEIGHTS // max(n_images, 1)))
    with warnings.catch_warnings():
        # Undefined intervals are handled below, with a note.
        warnings.simplefilter("ignore")
        result = bootstrap(
            (np.arange(n_patients),), vectorised, n_resamples=n_bootstraps,
            batch=batch, vectorized=True, confidence_level=confidence_level,
            method="BCa" if method == "BCa" else "percentile", rng=random_state,
        )
    low = np.array(result.confidence_interval.low, dtype=float, ndmin=1)
    high = np.array(result.confidence_interval.high, dtype=float, ndmin=1)
    distribution = np.asarray(result.bootstrap_distribution, dtype=float).reshape(
        n_outputs, -1)
    alpha = (1 - confidence_level) / 2
    for output in range(n_outputs):
        if np.isfinite(low[output]) and np.isfinite(high[output]):
            continue
        values = distribution[output][np.isfinite(distribution[output])]
        if not values.size:
            notes[output] = "undefined in every resample"
            continue
        low[output], high[output] = np.quantile(values, [alpha, 1 - alpha])
        if values.size < distribution.shape[1]:
            notes[output] = (f"defined in {values.size} of {distribution.shape[1]} "
                             "resamples; percentile interval of those")
        elif method == "BCa" and values.min() != values.max():
            notes[output] = "BCa undefined; percentile interval"
    return low, high, distribution, notes


def interval_table(predictions, *, target, classes, pos_label, metrics,
                   n_bootstraps, confidence_level, method, random_state):
    """The tidy interval table of an evaluation's out-of-fold predictions.

    Returns a DataFrame with columns estimator, level, metric, estimate,
    low, high and note, and the number of patients resampled.
    """
    pooled = PooledPredictions(predictions, target=target, classes=classes,
                               pos_label=pos_label, metrics=metrics)
    estimates = pooled.estimates()
    low, high, _, notes = run_bootstrap(
        pooled.statistic, len(pooled.patients), len(estimates),
        n_bootstraps=n_bootstraps, confidence_level=confidence_level, method=method,
        random_state=random_state, n_images=pooled.n_images() * len(pooled.keys))
    rows = [(name, level, metric) for name, level in pooled.keys
            for metric in pooled.metrics]
    table = pd.DataFrame(rows, columns=["estimator", "level", "metric"])
    table["estimate"] = estimates
    table["low"], table["high"], table["note"] = low, high, notes
    return table, len(pooled.patients)


#: Subgroups with fewer patients than this get a note: their intervals are
#: too wide to say anything.
MIN_SUBGROUP_PATIENTS = 10
_MISSING = "(missing)"


def subgroup_table(predictions, by, *, target, classes, pos_label, metrics,
                   n_bootstraps, confidence_level, method, random_state):
    """Every metric with its interval in each subgroup of each column of ``by``.

    ``by`` is a DataFrame with one row per sample (aligned with the
    ``index`` column of ``predictions``). Missing values form their own
    subgroup, ``"(missing)"``.
    """
    tables = []
    for column in by.columns:
        values = by[column]
        labels = values.astype(object).where(values.notna(), _MISSING)
        for value in list(dict.fromkeys(labels.tolist())):
            samples = np.flatnonzero((labels == value).to_numpy())
            chosen = predictions[predictions["index"].isin(samples)]
            table, n_patients = interval_table(
                chosen, target=target, classes=classes, pos_label=pos_label,
                metrics=metrics, n_bootstraps=n_bootstraps,
                confidence_level=confidence_level, method=method,
                random_state=random_state)
            note = _subgroup_note(chosen, n_patients, value, target, classes,
                                  pos_label)
            table["note"] = [
                "; ".join(part for part in (note, own) if part)
                for own in table["note"]]
            table.insert(0, "subgroup", value)
            table.insert(0, "subgroup_column", column)
            table.insert(5, "n_patients", n_patients)
            table.insert(6, "n_images", chosen["index"].nunique())
            tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _subgroup_note(chosen, n_patients, value, target, classes, pos_label):
    """Why a subgroup's figures say little, or "" when they can be read."""
    notes = []
    if value == _MISSING:
        notes.append("patients whose value is missing in this column")
    if n_patients < MIN_SUBGROUP_PATIENTS:
        notes.append(f"too small to say anything: {n_patients} patient"
                     f"{'s' if n_patients != 1 else ''} (fewer than "
                     f"{MIN_SUBGROUP_PATIENTS})")
    labels = set(chosen.drop_duplicates("patient_id")["y_true"].tolist())
    expected = [pos_label] if target == "binary" else []
    if len(labels) < 2 or any(label not in labels for label in expected):
        shown = ", ".join(map(repr, sorted(labels, key=str)))
        notes.append(f"its patients have one class only ({shown}): metrics that "
                     "need both are undefined")
    return "; ".join(notes)


def holm(p_values):
    """Holm's step-down adjustment of p-values; NaN stays NaN and is not counted.

    The i-th smallest of m p-values becomes ``max over j <= i of min(1,
    (m - j + 1) p_(j))``.
    """
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, np.nan)
    defined = np.flatnonzero(np.isfinite(p_values))
    order = defined[np.argsort(p_values[defined], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def bootstrap_p_value(differences):
    """Two-sided p-value of a paired bootstrap: twice the smaller tail beyond 0.

    The smallest level at which the percentile interval of the differences
    excludes 0, counting the observed resamples as (count + 1) / (B + 1).
    """
    values = np.asarray(differences, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return math.nan
    below = (np.sum(values <= 0) + 1) / (values.size + 1)
    above = (np.sum(values >= 0) + 1) / (values.size + 1)
    return float(min(1.0, 2 * min(below, above)))
