"""Model files written and read with joblib, which uses pickle.

.. warning::

   **Loading a joblib or pickle file runs code chosen by whoever wrote
   it.** Only load such model files that you made yourself or that come
   from a source you trust as much as the code you install. The safe
   format (:func:`~sklearn_palsy.save_model`) holds most models without
   this risk.
"""

import os
import warnings

from ..exceptions import ModelFileError, PickleModelWarning
from ..utils._atomic import atomic_write

__all__ = ["load_model_joblib", "pickle_warning", "save_model_joblib"]


def save_model_joblib(model, path):
    """Save a fitted model with joblib, atomically.

    The file holds a dict ``{"model": model, "sklearn_palsy_version": ...,
    "classes": ...}``; :func:`load_model_joblib` reads it back.

    .. warning::

       joblib files are pickles: **loading one runs code chosen by whoever
       wrote it.** Share them only with people who trust you, and load only
       files from trusted sources.

    Parameters
    ----------
    model : estimator
        A fitted estimator.
    path : str or path-like
        Destination, written through a temporary file and :func:`os.replace`.

    See Also
    --------
    sklearn_palsy.save_model : The safe format, which loads without running code.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_palsy.io import load_model_joblib, save_model_joblib
    >>> path = Path(tempfile.mkdtemp()) / "model.joblib"
    >>> save_model_joblib(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_model_joblib(path).classes_
    array([0, 1])
    """
    # Imported here, so that importing sklearn_palsy.io for the safe format
    # does not load joblib.
    import joblib

    from .. import __version__

    classes = getattr(model, "classes_", None)
    payload = {
        "model": model,
        "sklearn_palsy_version": __version__,
        "classes": None if classes is None else list(classes),
    }
    atomic_write(path, lambda handle: joblib.dump(payload, handle), "wb")


def load_model_joblib(path):
    """Load a model saved by :func:`save_model_joblib`.

    .. warning::

       **This runs code stored in the file** (joblib uses pickle). Only load
       files you made yourself or that come from a source you trust.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    model : estimator
        The fitted estimator.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFileError
        If the file is not a model saved by :func:`save_model_joblib`.

    Warns
    -----
    PickleModelWarning
        Every time a file is loaded, saying that it runs code.

    See Also
    --------
    sklearn_palsy.load_model : The safe format, which loads without running code.

    Examples
    --------
    >>> from sklearn_palsy.io import load_model_joblib
    >>> load_model_joblib("no-such-model.joblib")
    Traceback (most recent call last):
    ...
    FileNotFoundError: model file not found: 'no-such-model.joblib'
    """
    import joblib

    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {str(path)!r}")
    warnings.warn(pickle_warning(path), PickleModelWarning, stacklevel=2)
    try:
        payload = joblib.load(path)
    except Exception as error:  # noqa: BLE001 - any unpickling failure
        raise ModelFileError(
            f"cannot load model file {str(path)!r}: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(payload, dict) or "model" not in payload:
        raise ModelFileError(
            f"{str(path)!r} is not a model file written by sklearn-palsy train"
        )
    return payload["model"]


def pickle_warning(path):
    """The one-line warning given whenever a pickle model file is loaded."""
    return (
        f"{str(path)!r} is a pickle (joblib) model file: loading it runs code "
        "stored in it, so use only files you trust; .safetensors model files "
        "load without running code"
    )
