"""Predictions per patient from a classifier of photos.

A clinic diagnoses a patient, not a photograph. :class:`PatientClassifier`
fits any classifier on photos and, at prediction, pools the probabilities
of each patient's photos, so that every photo of a patient gets the same
answer: the patient's.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..utils._compat import HasMethods, StrOptions, _fit_context, routing_enabled
from ..utils._patients import AGGREGATES, pool_by_patient
from ..utils._validation import check_groups

__all__ = ["PatientClassifier"]

_PATIENT = "patient_id"


def _estimator_has(attribute):
    """Whether the fitted estimator, or else the unfitted one, has ``attribute``."""

    def check(self):
        estimator = getattr(self, "estimator_", self.estimator)
        return hasattr(estimator, attribute)

    return check


class PatientClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on photos; predict each patient from all their photos.

    ``fit`` fits a clone of ``estimator`` on the photos as they are. At
    prediction, the class probabilities of each patient's photos are pooled
    (``aggregate``) into the patient's, and every photo gets its patient's
    probabilities and class. The output keeps one row per photo, so the
    classifier works wherever scikit-learn expects one (``cross_validate``,
    ``GridSearchCV``, ``score``), while :meth:`predict_patients` gives one
    row per patient.

    Parameters
    ----------
    estimator : classifier
        Fitted on the photos; pooled through ``predict_proba`` where it has
        one, else by majority vote of ``predict`` (a tie goes to the class
        first in ``classes_``).
    aggregate : {"mean", "median", "max"}, default="mean"
        How a patient's photo probabilities are pooled, class by class.
        ``"max"`` takes each class's largest probability over the photos
        (for a binary problem: the photo that looks most like palsy decides)
        and normalises the result to sum to 1.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen by ``estimator_`` at ``fit``, where it
        records it.
    feature_names_in_ : ndarray of str
        Names of those features, where ``estimator_`` records them.

    See Also
    --------
    sklearn_palsy.clinical.PatientMovement : Movement features per photo,
        from a frame that has the ``patient_id`` column this reads.
    sklearn_palsy.evaluate_pipelines : Scores per photo and per patient.

    Notes
    -----
    **Who is who at prediction.** Each prediction method takes the patients
    from ``groups`` where it is given, else from the ``patient_id`` column
    of a DataFrame ``X`` (the frame of
    :func:`~sklearn_palsy.load_manifest` has it). The column is the
    scikit-learn way through ``cross_validate`` and searches: it travels
    with the rows of each fold, where ``groups`` is only used to split.
    With metadata routing on, ``groups`` reaches ``predict`` and
    ``predict_proba`` when requested
    (``set_predict_proba_request(groups=True)``). With neither, every photo
    is its own patient and the photo predictions are returned unpooled,
    with a warning.

    ``X`` is handed to ``estimator`` as it is, ``patient_id`` column
    included, so a pipeline that does not read it must drop it (a
    :class:`~sklearn.compose.ColumnTransformer`, say) or take a frame, as
    :class:`~sklearn_palsy.clinical.PatientMovement` does.

    ``fit`` passes extra keyword arguments (``sample_weight``, say) to
    ``estimator.fit``; with metadata routing on, it routes those the
    estimator requested.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy.clinical._patient import PatientClassifier
    >>> X = pd.DataFrame({"patient_id": ["A", "A", "B", "B"],
    ...                   "score": [2.0, -0.5, -2.0, -1.0]})
    >>> y = np.array([1, 1, 0, 0])
    >>> model = PatientClassifier(make_pipeline(
    ...     make_column_transformer(("passthrough", ["score"])),
    ...     LogisticRegression()))
    >>> model.fit(X, y).predict(X).tolist()
    [1, 1, 0, 0]
    >>> model.predict_patients(X)[["patient_id", "n_images", "prediction"]]
      patient_id  n_images  prediction
    0          A         2           1
    1          B         2           0
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "aggregate": [StrOptions(set(AGGREGATES))],
    }

    def __init__(self, estimator, *, aggregate="mean"):
        self.estimator = estimator
        self.aggregate = aggregate

    # The inner estimator's parameters are validated when it is fitted.
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit a clone of ``estimator`` on the photos.

        Parameters
        ----------
        X : array-like or DataFrame
            The photos, in the form ``estimator`` takes.
        y : array-like of shape (n_samples,)
            The label of each photo.
        **fit_params : dict
            Passed to ``estimator.fit``; with metadata routing on, routed to
            it as it requested.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        if routing_enabled():
            fit_params = process_routing(self, "fit", **fit_params).estimator.fit
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        self.classes_ = self.estimator_.classes_
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
        return self

    # ------------------------------------------------------------ pooling

    def _patients(self, X, groups, n_samples):
        if groups is not None:
            return check_groups(groups, n_samples)
        if isinstance(X, pd.DataFrame) and _PATIENT in X.columns:
            return check_groups(X[_PATIENT].to_numpy(), n_samples)
        warnings.warn(
            f"{type(self).__name__} was given no patients (groups, or a "
            f"{_PATIENT!r} column of a DataFrame X), so each photo is its own "
            "patient and the predictions are per photo",
            UserWarning,
            stacklevel=4,  # the caller of predict, predict_proba, ...
        )
        return np.arange(n_samples)

    def _photo_proba(self, X):
        if hasattr(self.estimator_, "predict_proba"):
            return self.estimator_.predict_proba(X)
        # Majority vote: a one-hot vote per photo, pooled as probabilities.
        predicted = self.estimator_.predict(X)
        return (predicted[:, None] == self.classes_[None, :]).astype(np.float64)

    def _pool(self, X, groups):
        """Photo probabilities, each patient's pooled, and the patient index."""
        proba = self._photo_proba(X)
        patients = self._patients(X, groups, len(proba))
        ids, index = pd.factorize(pd.Series(patients, dtype=object), sort=False)
        columns = [f"proba_{k}" for k in range(proba.shape[1])]
        # Pooled in float64, whatever the estimator's precision.
        frame = pd.DataFrame(np.asarray(proba, dtype=np.float64), columns=columns)
        frame.insert(0, "patient", ids)
        pooled = pool_by_patient(frame, columns, by="patient",
                                 aggregate=self.aggregate)[columns].to_numpy()
        total = pooled.sum(axis=1, keepdims=True)
        pooled = np.divide(pooled, total, out=np.full_like(pooled, 1 / pooled.shape[1]),
                           where=total > 0)
        return pooled, ids, index

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X, groups=None):
        """Class probabilities of each photo's patient.

        Parameters
        ----------
        X : array-like or DataFrame
            The photos.
        groups : array-like of shape (n_samples,), default=None
            Patient ids; None reads the ``patient_id`` column of a DataFrame
            ``X`` (see Notes).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The pooled probabilities of the patient of each photo.
        """
        check_is_fitted(self)
        pooled, ids, _ = self._pool(X, groups)
        return pooled[ids]

    def predict(self, X, groups=None):
        """The class of each photo's patient.

        Parameters
        ----------
        X : array-like or DataFrame
            The photos.
        groups : array-like of shape (n_samples,), default=None
            Patient ids; None reads the ``patient_id`` column of a DataFrame
            ``X`` (see Notes).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The patient's class, the same for all their photos.
        """
        check_is_fitted(self)
        pooled, ids, _ = self._pool(X, groups)
        return self.classes_[pooled.argmax(axis=1)][ids]

    def predict_patients(self, X, groups=None):
        """One row per patient: their photos, class and probabilities.

        Parameters
        ----------
        X : array-like or DataFrame
            The photos.
        groups : array-like of shape (n_samples,), default=None
            Patient ids; None reads the ``patient_id`` column of a DataFrame
            ``X`` (see Notes).

        Returns
        -------
        patients : DataFrame
            Patients in order of first appearance, with ``patient_id``,
            ``n_images``, ``prediction`` and ``proba_<class>`` for each class
            (the pooled probabilities; a one-hot majority vote where
            ``estimator`` has no ``predict_proba``).
        """
        check_is_fitted(self)
        pooled, ids, index = self._pool(X, groups)
        frame = pd.DataFrame({
            "patient_id": np.asarray(index, dtype=object),
            "n_images": np.bincount(ids, minlength=len(index)),
            "prediction": self.classes_[pooled.argmax(axis=1)],
        })
        for column, label in enumerate(self.classes_):
            frame[f"proba_{label}"] = pooled[:, column]
        return frame

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``fit``'s metadata go to ``estimator.fit`` as it requests them;
        ``groups`` (the patients) are this estimator's own, at prediction.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return MetadataRouter(owner=type(self).__name__).add_self_request(self).add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        tags.input_tags = estimator_tags.input_tags
        return tags
