"""Shared input handling for the transformers that take images."""

import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils._compat import _fit_context

__all__ = ["ArrayOutputMixin", "ImageTransformerMixin", "as_image_list"]


def as_image_list(X):
    """Turn the accepted image inputs into a list of paths or arrays.

    Accepted: a 1-D array, list or pandas Series of paths (what
    ``load_manifest`` returns), a one-column DataFrame or (n, 1) array of
    paths (``frame[["image"]]``), a list of (H, W, 3) or (H, W) uint8 arrays,
    or one (n, H, W, 3) or (n, H, W) uint8 array.

    Parameters
    ----------
    X : array-like
        The images.

    Returns
    -------
    images : list
        One path string or ndarray per image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.preprocessing._base import as_image_list
    >>> as_image_list(np.array(["a.png", "b.png"], dtype=object))
    ['a.png', 'b.png']
    >>> len(as_image_list(np.zeros((3, 8, 8, 3), dtype=np.uint8)))
    3
    >>> import pandas as pd
    >>> as_image_list(pd.DataFrame({"image": ["a.png", "b.png"]}))
    ['a.png', 'b.png']
    """
    if isinstance(X, (str, os.PathLike)):
        raise ValueError(
            "expected a sequence of images, got a single path; wrap it in a list"
        )
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim in (3, 4):
        if X.dtype != np.uint8:
            raise ValueError(
                f"image arrays must be uint8; got an array of dtype {X.dtype}"
            )
        return list(X)
    if hasattr(X, "to_numpy"):  # a pandas Series, or a one-column DataFrame
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]  # frame[["image"]], as a ColumnTransformer hands it over
    if isinstance(X, np.ndarray) and X.ndim != 1:
        raise ValueError(
            "expected a 1-D array of image paths, a list of images or an "
            f"(n, H, W[, 3]) uint8 array; got an array of shape {X.shape}"
        )
    images = []
    for index, image in enumerate(X):
        if isinstance(image, os.PathLike):
            image = os.fspath(image)
        if not isinstance(image, (str, np.ndarray)):
            raise ValueError(
                f"image at index {index} is a {type(image).__name__}, "
                "not a path or an array"
            )
        images.append(image)
    return images


class ArrayOutputMixin:
    """``set_output`` for transformers whose output is images or landmarks.

    scikit-learn's ``set_output(transform="pandas")`` turns a transformer's
    2-D output into a DataFrame with named columns. Images and landmarks are
    3-D or 4-D arrays with no column names, so these transformers accept the
    setting, as a :class:`~sklearn.pipeline.Pipeline` asks every step to,
    and keep returning arrays; the feature transformers after them (e.g.
    :class:`~sklearn_palsy.ExpressionFeatures`) return named columns.
    """

    def set_output(self, *, transform=None):
        """Accept a pipeline's output setting; images stay arrays.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Checked, then ignored: the output is an array whatever it is.

        Returns
        -------
        self : object
            This transformer.
        """
        if transform not in (None, "default", "pandas", "polars"):
            raise ValueError(
                "transform must be 'default', 'pandas', 'polars' or None; got "
                f"{transform!r}"
            )
        return self


class ImageTransformerMixin(ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Tags and ``fit`` for stateless transformers whose input is images.

    Their input is a 1-D array of paths or a stack of images, not a 2-D
    feature matrix, so they say so in their tags; and they learn nothing, so
    they need no fit before ``transform``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.three_d_array = True
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def __sklearn_is_fitted__(self):
        return True

    def _fit_state(self):
        """Set what a subclass records at ``fit`` (e.g. the backend chosen)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the input; nothing is learnt.

        Parameters
        ----------
        X : array-like of image paths or images
            The images.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        as_image_list(X)
        self._fit_state()
        return self
