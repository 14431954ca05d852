"""Calibration: the reliability curve of a binary evaluation's probabilities.

:func:`calibration_table` bins the out-of-fold probabilities that
:func:`~sklearn_palsy.model_selection.evaluate_pipelines` returns, per image
or per patient, and sets each bin's mean probability against the fraction
of positives in it, as :func:`sklearn.calibration.calibration_curve` does,
with the share of probabilities that are exactly 0 or 1.
"""

import numbers

import numpy as np
import pandas as pd

from ..utils._patients import pool_by_patient
from ._scoring import _extreme_fraction

# A patient within a fold: the unit pooled at the patient level.
_FOLD_PATIENT = ["estimator", "fold", "patient_id"]

__all__ = ["calibration_table"]


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
