"""Pooling a table of photos into one row per patient, written once.

Patient-level scores (:mod:`sklearn_palsy.model_selection`), the report's
patient curves, :class:`~sklearn_palsy.PatientClassifier` and the
assessment of ``sklearn-palsy assess`` all pool photo rows per patient with
:func:`pool_by_patient`.
"""


__all__ = ["AGGREGATES", "pool_by_patient"]

#: How a patient's photos are pooled.
AGGREGATES = ("mean", "median", "max")


def pool_by_patient(frame, columns, *, by="patient_id", aggregate="mean", first=()):
    """One row per patient: ``columns`` pooled over their photos.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per photo, with the key column(s) ``by``.
    columns : list of str
        The columns pooled with ``aggregate``.
    by : str or list of str, default="patient_id"
        The patient key; a list pools within each combination (for example
        ``["estimator", "fold", "patient_id"]``, a patient within a fold).
    aggregate : {"mean", "median", "max"}, default="mean"
        How the photos' values are pooled.
    first : list of str, default=()
        Columns that hold one value per patient (a label): their first.

    Returns
    -------
    pooled : pandas.DataFrame
        Patients in order of first appearance, with the ``by`` columns, then
        ``first``, then ``columns``, and a fresh 0..n-1 index.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_palsy.utils._patients import pool_by_patient
    >>> photos = pd.DataFrame({"patient_id": ["b", "a", "b"], "y_true": [1, 0, 1],
    ...                        "proba": [0.2, 0.1, 0.6]})
    >>> pool_by_patient(photos, ["proba"], first=["y_true"])
      patient_id  y_true  proba
    0          b       1    0.4
    1          a       0    0.1
    """
    if aggregate not in AGGREGATES:
        raise ValueError(f"aggregate must be one of {AGGREGATES}; got {aggregate!r}")
    named = {column: (column, "first") for column in first}
    named.update({column: (column, aggregate) for column in columns})
    return frame.groupby(by, sort=False).agg(**named).reset_index()
