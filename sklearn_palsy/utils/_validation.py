"""Checks of patient ids, sample weights and the labels of each patient.

One function per check, used by the loaders, the estimators and
:mod:`sklearn_palsy.model_selection` alike, so that the same bad input gets
the same error wherever it enters. Only public scikit-learn functions are
used here.
"""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import check_array

from ..exceptions import format_listing

__all__ = [
    "check_classification_labels",
    "check_groups",
    "check_label_values",
    "check_sample_weight",
    "mixed_label_patients",
    "warn_if_text_order",
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
    mixed = _mixed_kinds(values, kinds, "indices", "index")
    if mixed:
        raise ValueError(
            f"groups mixes numbers and text: {mixed}. Give every patient id the "
            "same way, all as text or all as numbers (1 and '1' would be two "
            "patients)"
        )
    return values if isinstance(raw, np.ndarray) else np.asarray(raw)


def _mixed_kinds(values, kinds, plural, singular):
    """``"index 3 ('a') is text, the other 9 are numbers"``, or "" when not mixed.

    The rarer kind is named: those are most likely the mistakes.
    """
    numbers_at = np.flatnonzero(kinds == "number")
    text_at = np.flatnonzero(kinds == "text")
    if not (numbers_at.size and text_at.size):
        return ""
    if text_at.size <= numbers_at.size:
        minority, names, rest_kind = text_at, ("text", "text"), "numbers"
    else:
        minority, names, rest_kind = numbers_at, ("a number", "numbers"), "text"
    several = minority.size > 1
    return (
        f"{plural if several else singular} {_indices(minority, values)} "
        f"{'are' if several else 'is'} {names[several]}, the other "
        f"{len(values) - minority.size} are {rest_kind}"
    )


def check_label_values(y, owner):
    """Check that every sample has a label, and that labels do not mix kinds.

    ``np.unique`` and scikit-learn's checks fail on ``None`` among text
    labels with a :class:`TypeError` ("'<' not supported between instances
    of 'NoneType' and 'str'"), and on a NaN label with "Input y contains
    NaN"; neither says which samples. This check names them, for every kind
    of target (binary, multi-class, ordinal).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels; a row of a 2-D ``y`` is missing when any of its labels is.
    owner : str
        The function or estimator that checks, for the message.

    Returns
    -------
    y : ndarray
        ``np.asarray(y)``, checked.

    Raises
    ------
    ValueError
        If a label is missing (None, NaN, ``pd.NA``, ``NaT``), or if a 1-D
        ``y`` of Python objects holds both numbers and text (``1`` and
        ``"1"`` would be two classes, and they cannot be sorted). The message
        names the first 20 rows and counts the rest.

    Examples
    --------
    >>> from sklearn_palsy.utils._validation import check_label_values
    >>> check_label_values(["a", "b", "a"], "Model")
    array(['a', 'b', 'a'], dtype='<U1')
    >>> check_label_values(["a", None, "b", None], "Model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Model needs a label for every sample; y has 2 missing labels ...
    """
    labels = np.asarray(y)
    if labels.dtype.kind == "f":
        missing = np.isnan(labels)
    elif labels.dtype.kind == "O":
        missing = np.asarray(pd.isna(labels), dtype=bool)
    else:
        return labels
    if labels.ndim == 2:
        missing = missing.any(axis=1)
    elif labels.ndim != 1:
        return labels
    rows = np.flatnonzero(missing)
    if rows.size:
        several = rows.size > 1
        raise ValueError(
            f"{owner} needs a label for every sample; y has {rows.size} missing "
            f"label{'s' if several else ''} (None or NaN) at "
            f"{'rows' if several else 'row'} {_indices(rows)}. Drop those samples "
            "or label them"
        )
    if labels.dtype.kind == "O" and labels.ndim == 1:
        mixed = _mixed_kinds(labels, np.array([_kind(value) for value in labels]),
                             "rows", "row")
        if mixed:
            raise ValueError(
                f"{owner} needs labels that are all numbers or all text; in y, "
                f"{mixed}. Give every label the same way (1 and '1' would be two "
                "classes)"
            )
    return labels


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
        If a label is missing or the labels mix numbers and text
        (:func:`check_label_values`, naming the rows), if ``y`` is not a
        classification target (scikit-learn's message) or if it holds one
        class.

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

    y = check_label_values(y, owner)
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            f"{owner} needs at least 2 classes in y; got {len(classes)} class: "
            f"{classes.tolist()}"
        )
    return classes


def warn_if_text_order(classes, owner, *, stacklevel=2):
    """Warn that text grades were put in alphabetical order, naming it.

    Ordered targets (House-Brackmann grades, "none" to "severe") need their
    classes lowest first. Numbers sort into that order; text rarely does
    (``"mild" < "moderate" < "none" < "severe"``), yet some text does
    (``"I" < "II" < ... < "VI"``), so the sorted order is used and said,
    as scikit-learn warns where it falls back on a default that may be wrong.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels, which will be used as the order.
    owner : str
        The function or estimator that sorted them, for the message.
    stacklevel : int, default=2
        How many calls above this one the warning points to: the caller's
        caller by default; pass more to point at the user's call.

    Warns
    -----
    UserWarning
        When ``classes`` holds text (str or bytes), naming the order used
        and how to give one with ``classes=``. Numbers are silent.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn_palsy.utils._validation import warn_if_text_order
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_text_order(np.array(["mild", "none", "severe"]), "Model")
    ...     warn_if_text_order(np.array([1, 2, 3]), "Model")
    >>> [str(warning.message).split(": ")[1].split(". ")[0] for warning in caught]
    ["['mild', 'none', 'severe']"]
    """
    values = np.asarray(classes).tolist()
    if not any(isinstance(value, (str, bytes)) for value in values):
        return
    warnings.warn(
        f"{owner} ordered the text grades of y alphabetically, lowest first: "
        f"{values!r}. If that is not their grade order, pass classes= with every "
        "grade from lowest to highest (for example classes=['none', 'mild', "
        "'moderate', 'severe']); numeric grades keep their numeric order",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


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
