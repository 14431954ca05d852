"""The learning curve by number of patients: how many patients does a model need?

:func:`~sklearn.model_selection.learning_curve` counts training samples,
which for photographs are images; several photos of one patient are not
several patients. :func:`learning_curve_by_patients` keeps the test folds
of a patient-grouped cross-validation, draws subsets of each training
fold's *patients* (stratified by class, several times), fits on all the
images of the patients drawn, and scores the out-of-fold predictions per
patient, with intervals from a bootstrap over the test patients.
"""

import numbers

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GroupKFold
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed

from ..utils._compat import _safe_indexing
from ._calibration import (
    _check_levels,
    check_bootstrap,
    patient_bootstrap,
    percentile_interval,
)
from ._scoring import METRICS
from ._split import _check_groups, _n_samples, check_patient_split

__all__ = ["learning_curve_by_patients"]

_DEFAULT_SIZES = (0.25, 0.5, 0.75, 1.0)


def _patients_and_labels(y, groups, rows, pos_label):
    """The patients of ``rows`` in order of appearance, and whether each has palsy."""
    patients, first = np.unique(groups[rows], return_index=True)
    order = np.argsort(first)
    return patients[order], (y[rows][first[order]] == pos_label)


def _train_sizes(train_sizes, splits, y, groups, pos_label):
    """The numbers of training patients, checked against every training fold."""
    counts = [len(_patients_and_labels(y, groups, train, pos_label)[0])
              for train, _ in splits]
    smallest = min(counts)
    sizes = []
    for size in np.atleast_1d(np.asarray(train_sizes, dtype=object)):
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            sizes.append(int(size))
        elif isinstance(size, numbers.Real) and 0 < size <= 1:
            sizes.append(int(np.floor(size * smallest)))
        else:
            raise ValueError(
                "learning_curve_by_patients: train_sizes holds numbers of "
                "patients (int) or fractions of the smallest training fold's "
                f"patients (float in (0, 1]); got {size!r}"
            )
    too_many = [size for size in sizes if size > smallest]
    if too_many:
        fold = int(np.argmin(counts))
        raise ValueError(
            f"learning_curve_by_patients: train_sizes asks for {max(too_many)} "
            f"training patients, but fold {fold}'s training set has only "
            f"{smallest} (the training folds have {counts} patients)"
        )
    too_few = [size for size in sizes if size < 2]
    if too_few:
        raise ValueError(
            "learning_curve_by_patients: every training subset needs at least 2 "
            f"patients, one of each class; train_sizes gives {too_few[0]} "
            f"(of the smallest training fold's {smallest} patients)"
        )
    return sorted(set(sizes))


def _stratified_subset(patients, positive, size, rng):
    """``size`` patients drawn without replacement, the classes in proportion.

    Each class gets its share of ``size`` (largest remainders first), and at
    least one patient while it has any, so that every subset holds both
    classes.
    """
    if size >= len(patients):
        return patients
    classes = [np.flatnonzero(positive), np.flatnonzero(~positive)]
    shares = np.array([len(members) for members in classes]) * size / len(patients)
    counts = np.floor(shares).astype(int)
    for index in np.argsort(-(shares - counts))[: size - counts.sum()]:
        counts[index] += 1
    for index, members in enumerate(classes):
        if counts[index] == 0 and len(members):
            counts[index] = 1
            counts[1 - index] -= 1
    chosen = np.concatenate([
        rng.choice(members, size=count, replace=False)
        for members, count in zip(classes, counts, strict=True)
    ])
    return patients[np.sort(chosen)]


def _fit_and_predict(estimator, X, y, train, test, size, repeats, fold):
    fitted = clone(estimator).fit(_safe_indexing(X, train), y[train])
    classes = list(fitted.classes_)
    return size, list(repeats), fold, test, fitted.predict_proba(
        _safe_indexing(X, test)), classes


def _fast_scores(positive, proba, metrics):
    """The metrics of :data:`METRICS` at the 0.5 threshold, in plain numpy.

    The bootstrap scores thousands of resamples; scikit-learn's metrics
    check their input at each call, which would take most of the time.
    ``tests/test_learning_curve_patients.py`` checks these against
    scikit-learn's.
    """
    predicted = proba >= 0.5
    n_positive = positive.sum()
    n_negative = len(positive) - n_positive
    true_positive = (predicted & positive).sum()
    true_negative = (~predicted & ~positive).sum()
    n_predicted = predicted.sum()
    recall = true_positive / n_positive if n_positive else 0.0
    specificity = true_negative / n_negative if n_negative else np.nan
    precision = true_positive / n_predicted if n_predicted else 0.0
    values = {}
    for metric in metrics:
        if metric == "precision":
            values[metric] = precision
        elif metric == "recall":
            values[metric] = recall
        elif metric == "specificity":
            values[metric] = specificity
        elif metric == "f1":
            denominator = 2 * true_positive + (n_predicted - true_positive) + (
                n_positive - true_positive)
            values[metric] = 2 * true_positive / denominator if denominator else 0.0
        elif metric == "accuracy":
            values[metric] = (true_positive + true_negative) / len(positive)
        elif metric == "balanced_accuracy":
            values[metric] = (recall + specificity) / 2 if n_positive and \
                n_negative else np.nan
        elif metric == "roc_auc":
            if not (n_positive and n_negative):
                values[metric] = np.nan
                continue
            ranks = rankdata(proba)
            values[metric] = (ranks[positive].sum() - n_positive * (n_positive + 1)
                              / 2) / (n_positive * n_negative)
    return [float(values[metric]) for metric in metrics]


def learning_curve_by_patients(
    estimator,
    X,
    y,
    groups,
    *,
    train_sizes=_DEFAULT_SIZES,
    cv=None,
    n_repeats=3,
    metrics=("balanced_accuracy", "roc_auc"),
    levels="patient",
    pos_label=1,
    n_resamples=1000,
    confidence_level=0.95,
    random_state=0,
    n_jobs=None,
):
    """Score a binary classifier as a function of the number of training patients.

    The splits of ``cv`` are checked by patient, as
    :func:`evaluate_pipelines` checks them. For each number of patients in
    ``train_sizes`` and each of ``n_repeats`` repeats, every training fold's
    patients are subsampled, stratified by class (each class in proportion,
    at least one patient each), the estimator is fitted on all the images of
    the patients drawn and predicts its fold's test images, which are the
    same at every size. The out-of-fold probabilities of all folds are then
    scored together, per patient (their mean probability) or per image.

    The estimate at each size is the mean over the repeats. Its interval
    comes from a bootstrap over the test patients (drawn with replacement,
    the same draw in every repeat, the score averaged over the repeats): it
    holds the uncertainty of scoring on these patients, not that of which
    patients were drawn for training, which the standard deviation over the
    repeats (``sd_repeats``) shows.

    Parameters
    ----------
    estimator : classifier
        A binary classifier with ``predict_proba``.
    X : array-like
        Shared input, e.g. image paths or features.
    y : array-like of shape (n_samples,)
        Labels, one per patient.
    groups : array-like of shape (n_samples,)
        Patient ids.
    train_sizes : array-like, default=(0.25, 0.5, 0.75, 1.0)
        Numbers of training patients (int), or fractions (float in (0, 1])
        of the smallest training fold's patients, rounded down. At the full
        size of a fold, its patients are all used, once.
    cv : int, splitter or iterable, default=None
        None means ``GroupKFold(5)``.
    n_repeats : int, default=3
        Subsamples drawn at each size.
    metrics : tuple of str, default=("balanced_accuracy", "roc_auc")
        Names from :data:`METRICS`.
    levels : str or tuple of str, default="patient"
        "patient", "image", or both.
    pos_label : int or str, default=1
        The label of palsy.
    n_resamples : int, default=1000
        Bootstrap resamples of the test patients.
    confidence_level : float, default=0.95
        Coverage of the intervals.
    random_state : int, default=0
        Seed of the subsampling and of the bootstrap.
    n_jobs : int, default=None
        Fits run in parallel (joblib).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``curve``: DataFrame, one row per number of training patients,
          level and metric: ``n_train_patients``, ``level``, ``metric``,
          ``estimate``, ``low``, ``high``, ``sd_repeats``;
        - ``predictions``: the out-of-fold probabilities of every fit
          (``n_train_patients``, ``repeat``, ``fold``, ``index``,
          ``patient_id``, ``y_true``, ``proba``);
        - ``train_sizes``: the numbers of training patients;
        - ``training_patients``: the training folds' numbers of patients.

    Raises
    ------
    ValueError
        If ``train_sizes`` asks for more patients than a training fold has
        (naming the fold) or fewer than 2, if y is not binary with
        ``pos_label`` among its labels, or a parameter is out of range.
    PatientLeakageError
        If ``cv`` puts a patient on both sides of a split.

    See Also
    --------
    sklearn.model_selection.learning_curve : The same by samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_palsy.model_selection import learning_curve_by_patients
    >>> rng = np.random.default_rng(0)
    >>> groups = np.repeat(np.arange(40), 2)
    >>> y = (groups % 2).astype(int)
    >>> X = y[:, None] + rng.normal(size=(80, 1))
    >>> result = learning_curve_by_patients(
    ...     LogisticRegression(), X, y, groups, train_sizes=[4, 32], cv=5,
    ...     metrics=("roc_auc",), n_resamples=100)
    >>> result.curve[["n_train_patients", "metric"]].values.tolist()
    [[4, 'roc_auc'], [32, 'roc_auc']]
    """
    if not (is_classifier(estimator) and hasattr(estimator, "predict_proba")):
        raise TypeError("learning_curve_by_patients: estimator is not a classifier "
                        "with predict_proba")
    unknown = [metric for metric in metrics if metric not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"learning_curve_by_patients: metrics must be among "
                         f"{METRICS}; got {list(metrics)!r}")
    levels = _check_levels(levels, "learning_curve_by_patients")
    check_bootstrap(n_resamples, confidence_level, "learning_curve_by_patients")
    if not (isinstance(n_repeats, numbers.Integral) and n_repeats >= 1):
        raise ValueError(f"learning_curve_by_patients: n_repeats must be an int "
                         f">= 1; got {n_repeats!r}")
    y = np.asarray(y)
    groups = _check_groups(groups, _n_samples(X))
    labels = np.unique(y).tolist()
    if len(labels) != 2 or pos_label not in labels:
        raise ValueError(
            "learning_curve_by_patients scores binary problems with "
            f"pos_label={pos_label!r}; y has classes {labels}"
        )
    splits = check_patient_split(GroupKFold(5) if cv is None else cv, X, y, groups)
    sizes = _train_sizes(train_sizes, splits, y, groups, pos_label)
    rng = np.random.default_rng(random_state)
    jobs = []
    for fold, (train, test) in enumerate(splits):
        patients, positive = _patients_and_labels(y, groups, train, pos_label)
        for size in sizes:
            if size >= len(patients):
                # All of a fold's patients can be drawn only one way: one fit
                # stands for every repeat.
                jobs.append(delayed(_fit_and_predict)(
                    estimator, X, y, train, test, size, range(n_repeats), fold))
                continue
            for repeat in range(n_repeats):
                chosen = _stratified_subset(patients, positive, size, rng)
                rows = train[np.isin(groups[train], chosen)]
                jobs.append(delayed(_fit_and_predict)(
                    estimator, X, y, rows, test, size, [repeat], fold))
    frames = []
    for size, repeats, fold, test, proba, classes in Parallel(n_jobs=n_jobs)(jobs):
        for repeat in repeats:
            frames.append(pd.DataFrame({
                "n_train_patients": size, "repeat": repeat, "fold": fold,
                "index": test, "patient_id": groups[test], "y_true": y[test],
                "proba": proba[:, classes.index(pos_label)]
                if pos_label in classes else 0.0,
            }))
    predictions = pd.concat(frames, ignore_index=True)
    curve = _curve(predictions, sizes, metrics, levels, pos_label, n_resamples,
                   confidence_level, random_state)
    return Bunch(curve=curve, predictions=predictions, train_sizes=sizes,
                 training_patients=[len(np.unique(groups[train]))
                                    for train, _ in splits])


def _curve(predictions, sizes, metrics, levels, pos_label, n_resamples,
           confidence_level, random_state):
    rows = []
    for level in levels:
        for size in sizes:
            part = predictions[predictions["n_train_patients"] == size]
            if level == "patient":
                part = part.groupby(["repeat", "fold", "patient_id"], sort=False).agg(
                    y_true=("y_true", "first"), proba=("proba", "mean")
                ).reset_index()
            repeat = part["repeat"].to_numpy()
            positive = part["y_true"].to_numpy() == pos_label
            proba = part["proba"].to_numpy()
            members = [np.flatnonzero(repeat == value) for value in np.unique(repeat)]

            def statistic(rows, repeat=repeat, positive=positive, proba=proba):
                # The same patients in every repeat: average the repeats' scores.
                return np.mean([
                    _fast_scores(positive[rows[repeat[rows] == value]],
                                 proba[rows[repeat[rows] == value]], metrics)
                    for value in np.unique(repeat)], axis=0)

            by_repeat = np.array([_fast_scores(positive[rows], proba[rows], metrics)
                                  for rows in members])
            resampled = patient_bootstrap(part["patient_id"], statistic,
                                          n_resamples=n_resamples,
                                          random_state=random_state)
            for position, metric in enumerate(metrics):
                low, high = percentile_interval(resampled[:, position],
                                                confidence_level)
                rows.append({
                    "n_train_patients": size, "level": level, "metric": metric,
                    "estimate": float(np.mean(by_repeat[:, position])),
                    "low": low, "high": high,
                    "sd_repeats": float(np.std(by_repeat[:, position], ddof=1))
                    if len(by_repeat) > 1 else 0.0,
                })
    return pd.DataFrame(rows)
