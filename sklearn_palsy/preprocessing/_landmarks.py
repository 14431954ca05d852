"""What every transformer of landmarks shares: the scheme, the input, the tags.

A landmark transformer takes faces as (n, K, 2) landmarks, or flattened at a
scheme's width (136 or 956 columns), and a ``scheme`` parameter ("auto"
infers it from the number of points). :class:`LandmarkTransformerMixin`
gives it the ``scheme`` constraint, scheme fitting, input validation
(:func:`validate_landmark_input`), ``get_feature_names_out`` from the
subclass's ``_output_names`` and the input tags; :class:`LandmarkInputMixin`
gives the constraint and the tags alone, to a transformer whose output is
not a feature table (:class:`~sklearn_palsy.LineSegmentRenderer`).
"""

import numpy as np
from scipy import sparse
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..exceptions import InvalidLandmarksError
from ..faces._schemes import (
    SCHEME_NAMES,
    LandmarkScheme,
    get_scheme,
    infer_scheme,
    scheme_mismatch,
)
from ..utils._compat import StrOptions, _check_feature_names_in, _fit_context

__all__ = [
    "SCHEME_CONSTRAINT",
    "LandmarkInputMixin",
    "LandmarkTransformerMixin",
    "fit_landmark_scheme",
    "validate_landmark_input",
]

#: The ``_parameter_constraints`` entry of every ``scheme`` parameter.
SCHEME_CONSTRAINT = [StrOptions(set(SCHEME_NAMES)), LandmarkScheme]


def fit_landmark_scheme(scheme, X):
    """The scheme a landmark transformer's ``fit`` uses: given, or from X.

    ``"auto"`` infers it from the number of points in ``X`` (68 or 478),
    after scikit-learn's own checks (sparse, empty, complex or 1-D input).
    """
    if not (isinstance(scheme, str) and scheme == "auto"):
        return get_scheme(scheme)
    return infer_scheme(check_array(X, allow_nd=True, dtype=np.float64,
                                    ensure_all_finite=False, input_name="X"))


def validate_landmark_input(estimator, X, *, reset):
    """(n, K, 2) landmarks of ``estimator.scheme_`` from 3-D or flattened X.

    The 3-D form must have the scheme's points; the flattened form goes
    through scikit-learn's ``validate_data`` (``n_features_in_``, feature
    names) and must be the scheme's width. NaN is let through, for the
    caller to name or score.
    """
    scheme = estimator.scheme_
    width = 2 * scheme.n_landmarks
    if not sparse.issparse(X) and not hasattr(X, "iloc"):
        array = np.asarray(X)
        if array.ndim == 3:
            if array.shape[1:] != (scheme.n_landmarks, 2):
                raise InvalidLandmarksError(scheme_mismatch(scheme, array.shape))
            # An explicit width, so that 0 faces reach validate_data's clear
            # "0 sample(s)" error instead of a failed reshape.
            X = array.reshape(len(array), width)
    X = validate_data(
        estimator, X, reset=reset, dtype=np.float64, ensure_all_finite=False
    )
    if X.shape[1] != width:
        raise InvalidLandmarksError(
            f"expected {width} feature(s), the flattened {scheme.n_landmarks} "
            f"landmarks of the {scheme.name} scheme; got {X.shape[1]} feature(s)"
        )
    return X.reshape(len(X), scheme.n_landmarks, 2)


class LandmarkInputMixin(TransformerMixin):
    """The ``scheme`` constraint and the input tags of a landmark transformer.

    Landmarks are (n, K, 2); the flattened (n, 2K) form is accepted too, but
    only at the width of a landmark scheme (136 or 956), so the input is not
    a general 2-D matrix: scikit-learn's data checks, which fit on random
    matrices of 2 to 10 columns, do not apply. A subclass whose NaN rows are
    missing faces (given NaN outputs, not an error) sets ``_allow_nan``.
    """

    _parameter_constraints = {"scheme": SCHEME_CONSTRAINT}
    _allow_nan = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.two_d_array = False
        if self._allow_nan:
            tags.input_tags.allow_nan = True
        return tags


class LandmarkTransformerMixin(LandmarkInputMixin):
    """``fit``, input validation and output names of a landmark transformer.

    A subclass implements ``_output_names()`` and calls :meth:`_landmarks`
    in ``transform`` ((n, K, 2) float64 landmarks of ``scheme_``). It may
    override ``_fit_parameters()`` (checks and fitted attributes made before
    the landmarks are read) and ``_check_faces(landmarks)`` (a computation
    that fails at ``fit``, not later, on degenerate faces).
    """

    def _fit_parameters(self):
        """Check the parameters and set what they determine (nothing here)."""

    def _check_faces(self, landmarks):
        """Fail at ``fit`` on faces that ``transform`` would refuse (nothing here)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the landmarks; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_landmarks, 2) or \
(n_samples, 2 * n_landmarks)
            Landmarks in image pixels.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._fit_parameters()
        self._check_faces(self._fit_landmarks(X))
        return self

    def _fit_landmarks(self, X):
        """Set ``scheme_`` (given, or inferred from X) and validate X."""
        self.scheme_ = fit_landmark_scheme(self.scheme, X)
        return validate_landmark_input(self, X, reset=True)

    def _landmarks(self, X):
        """X as landmarks of the fitted scheme, checked against fit's input."""
        check_is_fitted(self)
        return validate_landmark_input(self, X, reset=False)

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output features.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Only checked against the input's names, which do not enter the
            output names.

        Returns
        -------
        names : ndarray of str
            The output columns, in order.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(self._output_names(), dtype=object)
