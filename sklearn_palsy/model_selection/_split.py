"""Splitting by patient: the leakage guard, and repeated stratified patient folds.

:class:`RepeatedStratifiedGroupKFold` repeats scikit-learn's
:class:`~sklearn.model_selection.StratifiedGroupKFold` with new shuffles,
as :class:`~sklearn.model_selection.RepeatedStratifiedKFold` repeats
:class:`~sklearn.model_selection.StratifiedKFold`.
:func:`check_patient_split` checks the patient ids (one per sample, all
numbers or all text) and, unless allowed otherwise, that each patient's
samples share one label, then that no split puts a patient on both its
training and its test side. Its checks of ids and labels are the ones that
:func:`~sklearn_palsy.model_selection.evaluate_pipelines` runs before it
fits anything.
"""

import numbers
import os
import stat

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    BaseCrossValidator,
    GroupKFold,
    StratifiedGroupKFold,
    check_cv,
)
from sklearn.utils import check_random_state

from ..exceptions import ManifestError, PatientLeakageError, format_listing
from ..utils._validation import (
    check_groups,
    check_label_values,
    mixed_label_patients,
)

__all__ = ["RepeatedStratifiedGroupKFold", "check_no_overlap", "check_patient_split",
           "split_repeats"]


class RepeatedStratifiedGroupKFold(BaseCrossValidator):
    """Stratified K-fold by patient, repeated with a new shuffle each time.

    Each repetition is a :class:`~sklearn.model_selection.StratifiedGroupKFold`
    with ``shuffle=True``: every patient (group) is in the test part of
    exactly one fold per repetition, never on both sides of a split, and
    each fold keeps the classes' proportions as far as whole patients allow.
    The repetitions differ by their shuffle of the patients. Splits are
    numbered repetition after repetition: split ``i`` is fold
    ``i % n_splits`` of repetition ``i // n_splits``.

    scikit-learn has repeated splitters for samples
    (:class:`~sklearn.model_selection.RepeatedStratifiedKFold`) but none for
    groups; this one is accepted wherever ``cv=`` is (``cross_validate``,
    ``GridSearchCV``, :func:`~sklearn_palsy.evaluate_pipelines`, which scores
    every repetition).

    Parameters
    ----------
    n_splits : int, default=5
        Folds per repetition, at least 2.
    n_repeats : int, default=10
        Repetitions, at least 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles. With an int, ``split`` gives the same splits on
        every call (as ``GridSearchCV`` needs); with None, new ones.

    See Also
    --------
    sklearn.model_selection.StratifiedGroupKFold : One repetition.
    sklearn_palsy.compare_pipelines : The corrected repeated k-fold t-test
        on these splits.

    Notes
    -----
    With metadata routing on, ``groups`` reaches ``split`` by default, as
    for scikit-learn's group splitters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy import RepeatedStratifiedGroupKFold
    >>> y = np.array([0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1])
    >>> groups = np.repeat(np.arange(6), 2)
    >>> cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    >>> cv.get_n_splits()
    6
    >>> splits = list(cv.split(np.zeros((12, 1)), y, groups))
    >>> all(set(groups[train]).isdisjoint(groups[test]) for train, test in splits)
    True
    """

    # Like scikit-learn's GroupsConsumerMixin: with metadata routing on,
    # ``groups`` is routed to ``split`` without being requested.
    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits=5, n_repeats=10, random_state=None):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _check_parameters(self):
        for name, value, least in (("n_splits", self.n_splits, 2),
                                   ("n_repeats", self.n_repeats, 1)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (
                    value < least):
                raise ValueError(
                    f"RepeatedStratifiedGroupKFold: {name} must be an integer of "
                    f"at least {least}; got {value!r}"
                )

    def split(self, X, y=None, groups=None):
        """Yield the (train, test) indices of every fold of every repetition.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The samples (only their number is used).
        y : array-like of shape (n_samples,)
            The classes to stratify by.
        groups : array-like of shape (n_samples,)
            Patient id of each sample; required.

        Yields
        ------
        train : ndarray
            Training indices of the split.
        test : ndarray
            Test indices of the split.
        """
        self._check_parameters()
        if groups is None:
            raise ValueError("The 'groups' parameter should not be None.")
        rng = check_random_state(self.random_state)
        for _ in range(self.n_repeats):
            folds = StratifiedGroupKFold(n_splits=self.n_splits, shuffle=True,
                                         random_state=rng)
            yield from folds.split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of splits, ``n_splits * n_repeats``.

        Parameters
        ----------
        X, y, groups : object
            Ignored, for compatibility.

        Returns
        -------
        n_splits : int
        """
        self._check_parameters()
        return self.n_splits * self.n_repeats


def split_repeats(splits):
    """The repetition of each split: a new one starts when a test part repeats a sample.

    Each repetition of a repeated K-fold tests every sample once; the splits
    of :class:`RepeatedStratifiedGroupKFold` (and of any splitter that
    yields one partition after another) are numbered by repetition this
    way, and those of a single K-fold or leave-one-patient-out all belong
    to repetition 0.

    Parameters
    ----------
    splits : list of (train, test) index arrays

    Returns
    -------
    repeats : ndarray of int, shape (n_splits,)
    """
    repeats, repeat, tested = [], 0, set()
    for _, test in splits:
        test = set(np.asarray(test).tolist())
        if tested & test:
            repeat, tested = repeat + 1, set()
        tested |= test
        repeats.append(repeat)
    return np.asarray(repeats, dtype=int)


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


ON_OVERLAP = ("raise", "warn")


def check_no_overlap(X, groups, X_test, groups_test, *, on_overlap="raise"):
    """Refuse (or warn about) a test set sharing patients or images with training.

    Patients are compared by id; images by content: files by their bytes
    (only files of a size that the other set also has are read), arrays and
    frames by :func:`~sklearn_palsy.faces._io.image_id`, DataFrame rows by
    their values.

    Parameters
    ----------
    X, X_test : array-like, list or DataFrame
        The training and test samples: image paths (or frame references),
        arrays (landmarks, images) or table rows.
    groups, groups_test : array-like
        Their patient ids.
    on_overlap : {"raise", "warn"}, default="raise"
        Refuse, or only warn.

    Raises
    ------
    PatientLeakageError
        With ``on_overlap="raise"``, naming the shared patients with their
        rows in both sets and the images with the same content.

    Warns
    -----
    PatientLeakageWarning
        With ``on_overlap="warn"``, the same message.
    """
    import warnings

    from ..exceptions import PatientLeakageWarning

    if on_overlap not in ON_OVERLAP:
        raise ValueError(f"on_overlap must be one of {ON_OVERLAP}; got {on_overlap!r}")
    problems = []
    groups, groups_test = np.asarray(groups), np.asarray(groups_test)
    shared = [patient for patient in dict.fromkeys(np.asarray(groups_test).tolist())
              if patient in set(np.asarray(groups).tolist())]
    if shared:
        listed = [
            f"{patient!r} (training {_rows(np.flatnonzero(groups == patient))}, test "
            f"{_rows(np.flatnonzero(groups_test == patient))})"
            for patient in shared
        ]
        problems.append(
            f"{len(shared)} patient id{'s' if len(shared) > 1 else ''} in both: "
            + format_listing(listed, separator="; "))
    same = _same_content(X, X_test)
    if same:
        listed = [f"training row {train}{_shown(X, train)} and test row "
                  f"{test}{_shown(X_test, test)}" for train, test in same]
        problems.append(
            f"{len(same)} test image{'s have' if len(same) > 1 else ' has'} the "
            "content of a training image: " + format_listing(listed, separator="; "))
    if not problems:
        return
    message = (
        "the test set shares patients or images with the training set, so it is "
        "not an external validation: " + ". ".join(problems) + ". Remove them from "
        "one set; if the same ids name different people at the two sites, rename "
        "them, or pass on_overlap='warn' (sklearn-palsy evaluate --allow-overlap) "
        "to score anyway"
    )
    if on_overlap == "raise":
        raise PatientLeakageError(message)
    warnings.warn(f"OVERLAP: {message}", PatientLeakageWarning, stacklevel=3)


def _rows(rows):
    return ("rows " if len(rows) > 1 else "row ") + format_listing(
        [str(row) for row in rows], limit=5, separator=", ")


def _shown(X, row):
    if isinstance(X, pd.DataFrame):
        return ""
    item = X[row]
    return f" {str(item)!r}" if isinstance(item, (str, os.PathLike)) else ""


def _same_content(X, X_test):
    """(training row, test row) pairs of samples with the same content."""
    train_keys, test_keys = _content_keys(X, X_test)
    first_row = {}
    for row, key in enumerate(train_keys):
        if key is not None:
            first_row.setdefault(key, row)
    return [(first_row[key], row) for row, key in enumerate(test_keys)
            if key is not None and key in first_row]


def _content_keys(X, X_test):
    """A content key per sample of both sets; None where none is needed."""
    if isinstance(X, pd.DataFrame) or isinstance(X_test, pd.DataFrame):
        return [[_row_key(row) for row in pd.DataFrame(frame).itertuples(index=False)]
                for frame in (X, X_test)]
    from ..faces._io import image_id

    items = [list(X), list(X_test)]
    sizes = [[_file_size(item) for item in part] for part in items]
    both = set(size for size in sizes[0] if size is not None) & set(
        size for size in sizes[1] if size is not None)
    keys = []
    for part, part_sizes in zip(items, sizes, strict=True):
        part_keys = []
        for item, size in zip(part, part_sizes, strict=True):
            if isinstance(item, (str, os.PathLike)) and size not in both and (
                    size is not None):
                part_keys.append(None)  # no file of the other set has its size
                continue
            try:
                part_keys.append(image_id(item if isinstance(item, (str, os.PathLike))
                                          else np.asarray(item)))
            except (OSError, ValueError):
                part_keys.append(None)  # unreadable: reported when it is read
        keys.append(part_keys)
    return keys


def _file_size(item):
    if not isinstance(item, (str, os.PathLike)):
        return None
    try:
        info = os.stat(item)
    except OSError:
        return None  # a frame reference, or missing
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _row_key(row):
    return tuple(row)
