"""Decision-curve analysis: the net benefit of acting on a model's probabilities.

:func:`net_benefit` is Vickers and Elkin's (2006) net benefit at each
threshold probability; :func:`decision_curve` tabulates it for every
estimator of a binary evaluation, beside the two default strategies: treat
everyone (refer every patient) and treat no one.
"""

import numpy as np
import pandas as pd

from ..exceptions import format_listing
from ._calibration import (
    _check_binary,
    _check_levels,
    check_binary_predictions,
    pooled_out_of_fold,
)

__all__ = ["DEFAULT_THRESHOLDS", "decision_curve", "net_benefit"]

#: The threshold probabilities of :func:`decision_curve` by default: 0.01 to
#: 0.99 in steps of 0.01.
DEFAULT_THRESHOLDS = tuple(round(k / 100, 2) for k in range(1, 100))


def check_thresholds(thresholds, caller):
    """``thresholds`` as a 1-D float array, each strictly between 0 and 1."""
    values = np.asarray(thresholds, dtype=float).reshape(-1)
    if not values.size:
        raise ValueError(f"{caller}: thresholds is empty")
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0) & (values < 1)))
    if bad.size:
        raise ValueError(
            f"{caller}: thresholds must lie strictly between 0 and 1 (the net "
            "benefit weighs a false positive by pt / (1 - pt)); got "
            + format_listing([f"{values[i]:g} at position {i}" for i in bad],
                             separator=", ")
        )
    return values


def net_benefit(y_true, proba, thresholds=DEFAULT_THRESHOLDS, *, pos_label=1):
    """The net benefit of treating those whose probability reaches each threshold.

    At a threshold probability ``pt``, everyone with a predicted probability
    of at least ``pt`` is treated (referred, examined), and the net benefit
    is ``TP / n - FP / n * pt / (1 - pt)`` (Vickers and Elkin 2006): the
    true positives, less the false positives weighed by the odds at which a
    clinician would be indifferent between treating and not.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Outcomes.
    proba : array-like of shape (n_samples,)
        Predicted probabilities of ``pos_label``.
    thresholds : array-like of float, default=DEFAULT_THRESHOLDS
        Threshold probabilities, each strictly between 0 and 1.
    pos_label : int or str, default=1
        The label of the positive class.

    Returns
    -------
    net_benefit : ndarray of shape (n_thresholds,)

    Raises
    ------
    ValueError
        If a threshold is not strictly between 0 and 1 (naming each, by its
        position), ``y_true`` and ``proba`` differ in length, or a
        probability is outside [0, 1] (naming its row).

    Examples
    --------
    Two true positives and one false positive at ``pt = 0.25`` among four:

    >>> from sklearn_palsy.model_selection import net_benefit
    >>> net_benefit([1, 1, 0, 0], [0.9, 0.3, 0.4, 0.1], [0.25]).round(4).tolist()
    [0.4167]

    (2/4 - 1/4 * 0.25/0.75 = 0.5 - 0.0833.)
    """
    thresholds = check_thresholds(thresholds, "net_benefit")
    positive, proba = check_binary_predictions(y_true, proba, pos_label,
                                               "net_benefit")
    n = len(proba)
    if not n:
        return np.full(len(thresholds), np.nan)
    treated = proba[None, :] >= thresholds[:, None]
    true_positives = (treated & positive).sum(axis=1)
    false_positives = (treated & ~positive).sum(axis=1)
    return true_positives / n - false_positives / n * thresholds / (1 - thresholds)


def decision_curve(result, *, thresholds=DEFAULT_THRESHOLDS,
                   levels=("image", "patient")):
    """Tabulate the decision curve of every estimator of a binary evaluation.

    The out-of-fold probabilities of all folds together (per image, or each
    patient's mean within their fold) give each estimator's
    :func:`net_benefit` at every threshold, beside treating everyone
    (``prevalence - (1 - prevalence) * pt / (1 - pt)``) and treating no one
    (0). A model is useful at the thresholds where its net benefit exceeds
    both.

    Parameters
    ----------
    result : Bunch
        The output of :func:`evaluate_pipelines` for a binary target.
    thresholds : array-like of float, default=DEFAULT_THRESHOLDS
        Threshold probabilities, each strictly between 0 and 1.
    levels : str or tuple of str, default=("image", "patient")
        The levels to tabulate.

    Returns
    -------
    table : DataFrame
        One row per estimator, level and threshold: ``estimator``,
        ``level``, ``threshold``, ``net_benefit``, ``treat_all``,
        ``treat_none`` and ``prevalence``.

    Raises
    ------
    ValueError
        If ``result`` is not from a binary target, or a threshold is not
        strictly between 0 and 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> from sklearn_palsy.model_selection import decision_curve
    >>> predictions = pd.DataFrame({
    ...     "estimator": "m", "fold": 0, "patient_id": ["a", "b", "c", "d"],
    ...     "y_true": [1, 1, 0, 0], "proba": [0.9, 0.3, 0.4, 0.1]})
    >>> result = Bunch(predictions=predictions, target="binary", pos_label=1)
    >>> decision_curve(result, thresholds=[0.25], levels="patient").round(3)
      estimator    level  threshold  net_benefit  treat_all  treat_none  prevalence
    0         m  patient       0.25        0.417      0.333         0.0         0.5
    """
    _check_binary(result, "decision_curve")
    levels = _check_levels(levels, "decision_curve")
    thresholds = check_thresholds(thresholds, "decision_curve")
    odds = thresholds / (1 - thresholds)
    frames = []
    for level in levels:
        pooled = pooled_out_of_fold(result, level)
        for name, frame in pooled.groupby("estimator", sort=False):
            positive = frame["y_true"].to_numpy()
            prevalence = float(positive.mean())
            frames.append(pd.DataFrame({
                "estimator": name, "level": level, "threshold": thresholds,
                "net_benefit": net_benefit(positive, frame["proba"].to_numpy(),
                                           thresholds, pos_label=True),
                "treat_all": prevalence - (1 - prevalence) * odds,
                "treat_none": 0.0, "prevalence": prevalence,
            }))
    return pd.concat(frames, ignore_index=True)


def useful_thresholds(curve):
    """The thresholds at which each estimator beats both default strategies.

    Returns a dict from (estimator, level) to the lowest and highest such
    threshold (None where there is none): a summary line, not a proof that
    the range between them is unbroken.
    """
    useful = {}
    for key, frame in curve.groupby(["estimator", "level"], sort=False):
        better = frame["net_benefit"] > np.maximum(frame["treat_all"],
                                                   frame["treat_none"])
        chosen = frame.loc[better, "threshold"]
        useful[key] = (float(chosen.min()), float(chosen.max())) if len(chosen) \
            else None
    return useful
