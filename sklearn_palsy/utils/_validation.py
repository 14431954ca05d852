"""Checks of patient ids, sample weights and the labels of each patient.

One function per check, used by the loaders, the estimators and
:mod:`sklearn_palsy.model_selection` alike, so that the same bad input gets
the same error wherever it enters. Only public scikit-learn functions are
used here.
"""

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_array

from ..exceptions import format_listing

__all__ = [
    "check_classification_labels",
    "check_groups",
    "check_sample_weight",
    "mixed_label_patients",
]


def _kind(value):
    """"number", "text" or "other": the kinds that patient ids must not mix."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, numbers.Real):
        return "number"
    return "other"


def _indices(positions, values=None):
    """``"3, 7, ... and N more"``, with each value in brackets when given."""
    if values is None:
        return format_listing([str(i) for i in positions], separator=", ")
    return format_listing([f"{i} ({values[i]!r})" for i in positions], separator=", ")


def check_groups(groups, n_samples=None):
    """Check patient ids: one per sample, none missing, all numbers or all text.

    ``np.asarray([1, "P2"])`` silently turns ``1`` into ``"1"``, and sorting
    ``[1, "P2", None]`` fails with a :class:`TypeError` that does not say
    where it came from; this check names the samples instead.

    Parameters
    ----------
    groups : array-like of shape (n_samples,)
        The patient id of each sample.
    n_samples : int, default=None
        How many samples there are; None skips the length check.

    Returns
    -------
    groups : ndarray of shape (n_samples,)
        ``np.asarray(groups)``, checked.

    Raises
    ------
    ValueError
        If ``groups`` is not 1-D, has another length than ``n_samples``, or
        holds missing ids (None, NaN, ``pd.NA``), infinite numbers, values
        that are neither numbers nor text, or both numbers and text. Every
        message starts with "groups" and names the first 20 offending indices.

    Examples
    --------
    >>> from sklearn_palsy.utils._validation import check_groups
    >>> check_groups(["P1", "P1", "P2"], 3)
    array(['P1', 'P1', 'P2'], dtype='<U2')
    >>> check_groups([1, "P2", None], 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: groups has 1 missing or infinite patient id (None, NaN or inf) at ...
    """
    raw = groups
    if isinstance(groups, np.ndarray) and groups.dtype.kind != "O":
        values = groups
    else:
        # dtype=object keeps 1 and "1" apart, which a plain asarray would not.
        values = np.asarray(groups, dtype=object)
    if values.ndim != 1:
        raise ValueError(
            "groups must be a 1-D array-like with one patient id per sample; got "
            f"{'a scalar' if values.ndim == 0 else f'an array of shape {values.shape}'}"
        )
    if n_samples is not None and len(values) != n_samples:
        raise ValueError(
            f"groups has {len(values)} entries but X has {n_samples} samples"
        )
    if values.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(values))
    elif values.dtype.kind == "O":
        missing = np.asarray(pd.isna(values), dtype=bool)
        infinite = np.array(
            [isinstance(v, numbers.Real) and not math.isfinite(v) for v in values],
            dtype=bool,
        )
        bad = np.flatnonzero(missing | infinite)
    else:
        bad = np.array([], dtype=int)
    if bad.size:
        raise ValueError(
            f"groups has {bad.size} missing or infinite patient "
            f"id{'s' if bad.size > 1 else ''} (None, NaN or inf) at "
            f"{'indices' if bad.size > 1 else 'index'} {_indices(bad)}; every "
            "sample needs the id of its patient"
        )
    if values.dtype.kind != "O":
        return values
    kinds = np.array([_kind(value) for value in values])
    other = np.flatnonzero(kinds == "other")
    if other.size:
        raise ValueError(
            "groups must hold numbers or text; found other values at "
            f"{'indices' if other.size > 1 else 'index'} {_indices(other, values)}"
        )
    numbers_at = np.flatnonzero(kinds == "number")
    text_at = np.flatnonzero(kinds == "text")
    if numbers_at.size and text_at.size:
        # Name the rarer kind: those are most likely the mistakes.
        if text_at.size <= numbers_at.size:
            minority, kinds, rest_kind = text_at, ("text", "text"), "numbers"
        else:
            minority, kinds, rest_kind = numbers_at, ("a number", "numbers"), "text"
        several = minority.size > 1
        raise ValueError(
            f"groups mixes numbers and text: {'indices' if several else 'index'} "
            f"{_indices(minority, values)} {'are' if several else 'is'} "
            f"{kinds[several]}, the other {len(values) - minority.size} are "
            f"{rest_kind}. Give every patient id the same way, all as text or all "
            "as numbers (1 and '1' would be two patients)"
        )
    return values if isinstance(raw, np.ndarray) else np.asarray(raw)


def check_classification_labels(y, owner):
    """``y`` as an array of class labels, with at least two classes.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    owner : str
        The estimator's name, for the message.

    Returns
    -------
    classes : ndarray
        The sorted distinct labels.

    Raises
    ------
    ValueError
        If ``y`` is not a classification target (scikit-learn's message) or
        holds one class.

    Examples
    --------
    >>> from sklearn_palsy.utils._validation import check_classification_labels
    >>> check_classification_labels(["a", "b", "a"], "Model")
    array(['a', 'b'], dtype='<U1')
    >>> check_classification_labels([1, 1], "Model")
    Traceback (most recent call last):
    ...
    ValueError: Model needs at least 2 classes in y; got 1 class: [1]
    """
    from sklearn.utils.multiclass import check_classification_targets

    y = np.asarray(y)
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            f"{owner} needs at least 2 classes in y; got {len(classes)} class: "
            f"{classes.tolist()}"
        )
    return classes


def check_sample_weight(sample_weight, n_samples, *, dtype=np.float64):
    """Check sample weights: finite, non-negative, not all zero, one per sample.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        None gives every sample weight 1; a number gives every sample that
        weight.
    n_samples : int
        How many samples there are.
    dtype : numpy dtype, default=np.float64
        The dtype of the returned weights.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        A new array; the caller's is never written to.

    Raises
    ------
    ValueError
        If the weights are not 1-D numbers, have another length than
        ``n_samples``, are NaN or infinite, are negative (the message names
        the first 20 such samples) or are all zero.

    Examples
    --------
    >>> from sklearn_palsy.utils._validation import check_sample_weight
    >>> check_sample_weight([1, 0, 2], 3)
    array([1., 0., 2.])
    >>> check_sample_weight([1, -2, 2], 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sample_weight has 1 negative value, at index 1 (-2.0); weights ...
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        weight = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        weight = check_array(
            sample_weight, ensure_2d=False, dtype=np.float64, copy=True,
            ensure_min_samples=0, input_name="sample_weight",
        )
        if weight.ndim != 1:
            raise ValueError(
                "sample_weight must be a number or a 1-D array; got an array of "
                f"shape {weight.shape}"
            )
        if len(weight) != n_samples:
            raise ValueError(
                f"sample_weight has {len(weight)} entries but X has {n_samples} "
                "samples"
            )
    if not np.isfinite(weight).all():
        raise ValueError("sample_weight must be finite; it holds NaN or infinity")
    negative = np.flatnonzero(weight < 0)
    if negative.size:
        values = weight.tolist()
        raise ValueError(
            f"sample_weight has {negative.size} negative "
            f"value{'s' if negative.size > 1 else ''}, at "
            f"{'indices' if negative.size > 1 else 'index'} "
            f"{_indices(negative, values)}; weights must be >= 0 (a weight of 0 "
            "leaves a sample out)"
        )
    if n_samples and not weight.any():
        raise ValueError(
            "sample_weight is zero for every sample; at least one weight must be > 0"
        )
    return weight.astype(dtype, copy=False)


def mixed_label_patients(groups, y):
    """The patients whose samples have more than one label, and where.

    Parameters
    ----------
    groups : array-like of shape (n_samples,)
        Patient ids, already checked by :func:`check_groups`.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels; rows of a 2-D ``y`` are compared whole.

    Returns
    -------
    mixed : dict
        ``{patient: {label: [index, ...], ...}}`` for each patient with
        samples under more than one label, in order of first appearance;
        empty when every patient has one label. NaN labels count as one label.

    Examples
    --------
    >>> from sklearn_palsy.utils._validation import mixed_label_patients
    >>> mixed_label_patients(["a", "a", "b", "b"], [0, 1, 1, 1])
    {'a': {0: [0], 1: [1]}}
    """
    patients = _as_objects(groups)
    labels = _as_objects(y)
    if len(patients) != len(labels):
        raise ValueError(f"groups has {len(patients)} entries but y has {len(labels)}")
    patient_codes, patient_values = pd.factorize(patients, use_na_sentinel=False)
    label_codes, label_values = pd.factorize(labels, use_na_sentinel=False)
    pairs = np.unique(np.column_stack([patient_codes, label_codes]), axis=0)
    n_labels = np.bincount(pairs[:, 0], minlength=len(patient_values))
    mixed = {}
    for index in np.flatnonzero(np.isin(patient_codes, np.flatnonzero(n_labels > 1))):
        patient = patient_values[patient_codes[index]]
        label = label_values[label_codes[index]]
        mixed.setdefault(patient, {}).setdefault(label, []).append(int(index))
    return mixed


def _as_objects(values):
    """A 1-D object array of Python scalars (tuples for the rows of 2-D input)."""
    array = np.asarray(values, dtype=object)
    items = [tuple(row) for row in array.tolist()] if array.ndim > 1 else array.tolist()
    objects = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        objects[index] = item
    return objects
