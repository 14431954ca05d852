"""Cross-validation by patient: the leakage guard and the comparison table."""

import numbers
import time

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import GroupKFold, check_cv
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping

# scikit-learn's Parallel and delayed carry the caller's config (transform_output,
# metadata routing, ...) into joblib workers, as plain joblib does not.
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ..exceptions import ManifestError, PatientLeakageError, format_listing
from ..utils._compat import _safe_indexing, routing_enabled
from ..utils._validation import check_groups, mixed_label_patients

__all__ = ["METRICS", "check_patient_split", "evaluate_pipelines"]

METRICS = (
    "precision",
    "recall",
    "specificity",
    "f1",
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
)


def check_patient_split(cv, X, y, groups, *, allow_mixed_patient_labels=False):
    """Check that no split puts one patient on both sides, and return the splits.

    The patient ids and labels are checked first: every sample needs a
    patient id, the ids must be all numbers or all text, and, unless
    ``allow_mixed_patient_labels=True``, each patient's samples must share
    one label.

    Parameters
    ----------
    cv : int, cross-validation generator or iterable
        As for :func:`~sklearn.model_selection.cross_validate`; an int means
        :class:`~sklearn.model_selection.GroupKFold` with that many folds.
    X : array-like of shape (n_samples, ...)
        The samples (only their number is used).
    y : array-like of shape (n_samples,)
        Labels.
    groups : array-like of shape (n_samples,)
        Patient id of each sample.
    allow_mixed_patient_labels : bool, default=False
        Accept a patient whose samples have different labels, as
        :func:`~sklearn_palsy.load_manifest` does with the same switch. By
        default that is an error: it is usually a mislabelled image or two
        people under one id.

    Returns
    -------
    splits : list of (train, test) tuples of index arrays
        The splits, checked.

    Raises
    ------
    PatientLeakageError
        If a split has a patient in both its training and its test part; the
        message names the fold and the patients.
    ManifestError
        If a patient's samples have more than one label (and
        ``allow_mixed_patient_labels`` is False); the message names the first
        20 such patients with their labels and sample indices, and
        ``error.problems`` lists a ``(patient, reason)`` pair for each. It is
        also a :class:`ValueError`.
    ValueError
        If ``groups`` is missing, its length differs from X's, or it holds
        missing ids (None, NaN) or both numbers and text; or if y's length
        differs from X's.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GroupKFold, KFold
    >>> from sklearn_palsy import check_patient_split
    >>> X, y = np.zeros((6, 1)), np.array([1, 1, 0, 0, 1, 1])
    >>> groups = np.array(["a", "a", "b", "b", "c", "c"])
    >>> len(check_patient_split(GroupKFold(3), X, y, groups))
    3
    >>> check_patient_split(KFold(2), X, y, groups)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklearn_palsy.exceptions.PatientLeakageError: fold 0 puts patients ...

    A patient whose images have two labels is refused unless allowed:

    >>> y_by_image = np.array([1, 0, 0, 0, 1, 1])
    >>> check_patient_split(GroupKFold(3), X, y_by_image, groups)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklearn_palsy.exceptions.ManifestError: 1 patient has samples with more ...
    >>> len(check_patient_split(GroupKFold(3), X, y_by_image, groups,
    ...                         allow_mixed_patient_labels=True))
    3
    """
    n_samples = _n_samples(X)
    groups = _check_groups(groups, n_samples)
    if not allow_mixed_patient_labels:
        _check_one_label_per_patient(y, groups, n_samples)
    if isinstance(cv, numbers.Integral):
        cv = GroupKFold(n_splits=cv)
    cv = check_cv(cv, y, classifier=True)
    splits = list(cv.split(np.zeros(n_samples), y, groups))
    for fold, (train, test) in enumerate(splits):
        shared = np.intersect1d(groups[train], groups[test])
        if shared.size:
            shown = ", ".join(map(str, shared[:10])) + (
                " ..." if shared.size > 10 else ""
            )
            raise PatientLeakageError(
                f"fold {fold} puts patients {shown} in both training and test: use "
                "GroupKFold or LeaveOneGroupOut with groups=patient ids"
            )
    return splits


def _n_samples(X):
    return len(X) if not hasattr(X, "shape") else X.shape[0]


def _check_groups(groups, n_samples):
    """Patient ids, checked; they are required here."""
    if groups is None:
        raise ValueError(
            "groups (one patient id per sample) are needed to split by patient"
        )
    return check_groups(groups, n_samples)


def _check_one_label_per_patient(y, groups, n_samples, *, hint=None):
    """Refuse patients whose samples have different labels, naming them."""
    if y is None:
        return
    y = np.asarray(y)
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels but X has {n_samples} samples")
    mixed = mixed_label_patients(groups, y)
    if not mixed:
        return
    problems = []
    for patient, by_label in mixed.items():
        where = "; ".join(
            f"{label!r} at "
            f"{'indices' if len(indices) > 1 else 'index'} "
            + format_listing([str(index) for index in indices], separator=", ")
            for label, indices in by_label.items()
        )
        problems.append((patient, f"patient {patient!r}: {where}"))
    hint = hint or (
        "Pass allow_mixed_patient_labels=True if this study labels images, "
        "not patients"
    )
    raise ManifestError(
        f"{len(mixed)} patient{'s have' if len(mixed) > 1 else ' has'} samples with "
        "more than one label. A patient's images share one label: is one "
        f"mislabelled, or are two people under one id? {hint}:\n"
        + format_listing(f"  {reason}" for _, reason in problems),
        problems=problems,
    )


def _scores(y_true, score, pos_label):
    """Every metric of the table for one set of binary predictions."""
    y_true = np.asarray(y_true)
    positive = y_true == pos_label
    predicted = score >= 0.5
    both = len(np.unique(positive)) == 2
    negatives = (~positive).sum()
    return {
        "precision": precision_score(positive, predicted, zero_division=0),
        "recall": recall_score(positive, predicted, zero_division=0),
        "specificity": ((~positive) & (~predicted)).sum() / negatives
        if negatives
        else np.nan,
        "f1": f1_score(positive, predicted, zero_division=0),
        "accuracy": accuracy_score(positive, predicted),
        "balanced_accuracy": balanced_accuracy_score(positive, predicted)
        if both
        else np.nan,
        "roc_auc": roc_auc_score(positive, score) if both else np.nan,
    }


def patient_scores(y_true, proba, groups):
    """Pool image probabilities into one probability per patient (their mean).

    Parameters
    ----------
    y_true : array-like of shape (n_images,)
        Labels of the images.
    proba : array-like of shape (n_images,)
        Probability of the positive class for each image.
    groups : array-like of shape (n_images,)
        Patient ids.

    Returns
    -------
    frame : DataFrame
        One row per patient, with ``patient_id``, ``y_true`` (the patient's
        label) and ``proba`` (the mean over their images).
    """
    frame = pd.DataFrame({"patient_id": groups, "y_true": y_true, "proba": proba})
    labels = frame.groupby("patient_id", sort=False)["y_true"].nunique()
    mixed = labels[labels > 1].index.tolist()
    if mixed:
        raise ValueError(f"patients {mixed[:10]} have images with different labels")
    return frame.groupby("patient_id", sort=False).agg(
        y_true=("y_true", "first"), proba=("proba", "mean")
    ).reset_index()


def _fit_params(estimator, groups):
    """``groups`` for ``estimator.fit`` when metadata routing asks for it.

    As in :func:`~sklearn.model_selection.cross_validate`: with routing on,
    the training fold's patient ids reach every step that requested
    ``groups`` (early stopping by patient, late fusion's inner folds); with
    routing off, ``groups`` only splits.
    """
    if not routing_enabled():
        return {}
    router = MetadataRouter(owner="evaluate_pipelines").add(
        estimator=estimator,
        method_mapping=MethodMapping().add(caller="fit", callee="fit"),
    )
    return router.route_params(params={"groups": groups}, caller="fit").estimator.fit


def _fit_and_score(name, estimator, X, y, groups, train, test, fold, pos_label,
                   keep):
    start = time.perf_counter()
    fitted = clone(estimator).fit(
        _safe_indexing(X, train), y[train], **_fit_params(estimator, groups[train])
    )
    fit_time = time.perf_counter() - start
    proba = fitted.predict_proba(_safe_indexing(X, test))
    column = list(fitted.classes_).index(pos_label)
    positive = proba[:, column]
    return name, fold, test, positive, fit_time, fitted if keep else None


def _kept_folds(return_estimator, names, n_splits):
    """For each estimator name, the folds whose fitted estimators are returned."""
    if isinstance(return_estimator, bool):
        folds = set(range(n_splits)) if return_estimator else set()
        return {name: folds for name in names} if folds else {}
    if isinstance(return_estimator, dict):
        kept = {name: set(folds) for name, folds in return_estimator.items()}
    else:
        kept = {name: set(range(n_splits)) for name in return_estimator}
    unknown = sorted(set(kept) - set(names))
    if unknown:
        raise ValueError(
            f"return_estimator names {unknown}, which are not among the estimators "
            f"{list(names)}"
        )
    for name, folds in kept.items():
        bad = sorted(fold for fold in folds if not 0 <= fold < n_splits)
        if bad:
            raise ValueError(
                f"return_estimator asks for folds {bad} of {name!r}; there are "
                f"{n_splits} folds, numbered from 0"
            )
    return kept


def evaluate_pipelines(
    estimators,
    X,
    y,
    groups,
    cv=None,
    *,
    pos_label=1,
    return_estimator=False,
    n_jobs=None,
    verbose=1,
):
    """Cross-validate several estimators by patient and tabulate their scores.

    Each estimator is cloned and fitted on every training fold; its
    probabilities on the test fold are scored per image (as the paper
    reports) and per patient (a patient's probability is the mean over their
    images). Before anything is fitted, the patient ids and labels are
    checked and every split is checked with :func:`check_patient_split`, so
    a split that puts one patient on both sides, or a patient whose images
    have different labels, is refused.

    Parameters
    ----------
    estimators : dict of str to estimator
        Binary classifiers with ``predict_proba``, e.g. from
        :func:`~sklearn_palsy.make_paper_pipelines`.
    X : array-like
        Shared input, usually a 1-D array of image paths.
    y : array-like of shape (n_samples,)
        Labels.
    groups : array-like of shape (n_samples,)
        Patient ids. They define the splits; with metadata routing on
        (``sklearn.set_config(enable_metadata_routing=True)``) the training
        fold's ids also reach every step whose ``fit`` requests ``groups``.
    cv : int, splitter or iterable, default=None
        None means ``GroupKFold(5)``;
        :class:`~sklearn.model_selection.LeaveOneGroupOut` gives
        leave-one-patient-out.
    pos_label : int or str, default=1
        The label of palsy.
    return_estimator : bool, list of str or dict, default=False
        Keep the estimators fitted on each fold, as
        :func:`~sklearn.model_selection.cross_validate` does, to explain or
        plot them without training again: all of them (True), every fold of
        the estimators named (a list), or the folds given for each name (a
        dict such as ``{"lines_resnet": [0]}``). Each holds its weights in
        memory (a ResNet-18 about 45 MB), so keep only what you need.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; also under a Dask backend).
    verbose : int, default=1
        Show a progress bar over estimators and folds.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``scores``: tidy DataFrame, one row per estimator, fold and level
          ("image" or "patient"), with a column per metric
          (precision, recall, specificity, f1, accuracy, balanced_accuracy,
          roc_auc) and ``fit_time``;
        - ``summary``: DataFrame indexed by estimator and level with the mean
          and standard deviation of each metric over the folds;
        - ``predictions``: DataFrame of the out-of-fold probability of every
          image for every estimator (columns ``estimator``, ``fold``,
          ``index``, ``patient_id``, ``y_true``, ``proba``);
        - ``splits``: the checked (train, test) splits;
        - ``estimators``: with ``return_estimator``, a dict from name to the
          list of its fitted estimators, one per split (None for the folds
          not kept).

    Raises
    ------
    PatientLeakageError
        If ``cv`` puts a patient on both sides of a split.
    ManifestError
        If a patient's images have more than one label, naming the patients
        (as :func:`check_patient_split` does). Unlike
        :func:`check_patient_split` and the loaders, this function has no
        ``allow_mixed_patient_labels`` switch: it scores each patient against
        their one label, which such a patient does not have. It is also a
        :class:`ValueError`.
    ValueError
        If ``groups`` is missing, of another length than X, or holds missing
        ids (None, NaN) or both numbers and text; if y is not binary with
        ``pos_label`` among its classes.

    Notes
    -----
    Each check runs before the first fit, so a bad input fails at once
    rather than after the first fold has trained.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy import ExpressionFeatures, evaluate_pipelines
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=6, n_controls=6,
    ...                                expressions=("rest",), random_state=0)
    >>> model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
    ...                       LogisticRegression())
    >>> result = evaluate_pipelines({"features": model}, cohort.landmarks,
    ...                             cohort.y, cohort.groups, cv=3, verbose=0)
    >>> sorted(set(result.scores.level))
    ['image', 'patient']
    """
    if not isinstance(estimators, dict) or not estimators:
        raise ValueError("estimators must be a non-empty dict of name to estimator")
    for name, estimator in estimators.items():
        if not (is_classifier(estimator) and hasattr(estimator, "predict_proba")):
            raise TypeError(
                f"estimator {name!r} is not a classifier with predict_proba"
            )
    y = np.asarray(y)
    groups = _check_groups(groups, _n_samples(X))
    if len(np.unique(y)) != 2 or pos_label not in set(y.tolist()):
        raise ValueError(
            f"evaluate_pipelines scores binary problems with pos_label={pos_label!r}; "
            f"y has classes {np.unique(y).tolist()}"
        )
    _check_one_label_per_patient(
        y, groups, len(groups),
        hint="evaluate_pipelines scores each patient against their one label, so "
        "it cannot score such a cohort",
    )
    splits = check_patient_split(GroupKFold(5) if cv is None else cv, X, y, groups,
                                 allow_mixed_patient_labels=True)
    kept = _kept_folds(return_estimator, list(estimators), len(splits))
    jobs = [
        delayed(_fit_and_score)(name, estimator, X, y, groups, train, test, fold,
                                pos_label, fold in kept.get(name, ()))
        for name, estimator in estimators.items()
        for fold, (train, test) in enumerate(splits)
    ]
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    progress = tqdm(results, total=len(jobs), desc="evaluating", disable=not verbose)

    rows, predictions = [], []
    fitted_estimators = {name: [None] * len(splits) for name in estimators
                         if name in kept}
    for name, fold, test, positive, fit_time, fitted in progress:
        if fitted is not None:
            fitted_estimators[name][fold] = fitted
        progress.set_postfix_str(f"{name} fold {fold}")
        image_scores = _scores(y[test], positive, pos_label)
        rows.append({"estimator": name, "fold": fold, "level": "image",
                     **image_scores, "fit_time": fit_time})
        per_patient = patient_scores(y[test], positive, groups[test])
        patient_level = _scores(per_patient.y_true.to_numpy(),
                                per_patient.proba.to_numpy(), pos_label)
        rows.append({"estimator": name, "fold": fold, "level": "patient",
                     **patient_level, "fit_time": fit_time})
        predictions.append(pd.DataFrame({
            "estimator": name, "fold": fold, "index": test,
            "patient_id": groups[test], "y_true": y[test], "proba": positive,
        }))
    scores = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate(estimators)}
    scores = scores.sort_values(
        ["estimator", "level", "fold"], key=lambda c: c.map(order) if c.name ==
        "estimator" else c
    ).reset_index(drop=True)
    summary = scores.groupby(["estimator", "level"], sort=False)[list(METRICS)].agg(
        ["mean", "std"]
    )
    result = Bunch(
        scores=scores,
        summary=summary,
        predictions=pd.concat(predictions, ignore_index=True),
        splits=splits,
    )
    if return_estimator is not False:
        result.estimators = fitted_estimators
    return result
