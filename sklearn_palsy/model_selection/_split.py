"""Splitting by patient: the leakage guard that every evaluation's splits pass.

:func:`check_patient_split` checks the patient ids (one per sample, all
numbers or all text) and, unless allowed otherwise, that each patient's
samples share one label, then that no split puts a patient on both its
training and its test side. Its checks of ids and labels are the ones that
:func:`~sklearn_palsy.model_selection.evaluate_pipelines` runs before it
fits anything.
"""

import numbers

import numpy as np
from sklearn.model_selection import GroupKFold, check_cv

from ..exceptions import ManifestError, PatientLeakageError, format_listing
from ..utils._validation import (
    check_groups,
    check_label_values,
    mixed_label_patients,
)

__all__ = ["check_patient_split"]


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
        missing ids (None, NaN) or both numbers and text; if y holds missing
        labels (None, NaN) or both numbers and text (naming the rows); or if
        y's length differs from X's.

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
    if y is not None:
        check_label_values(y, "check_patient_split")
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
