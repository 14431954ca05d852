"""One entry point for model files, whose format their extension names.

``.safetensors`` files are in the safe format
(:func:`~sklearn_palsy.save_model`), which loads without running code;
``.joblib`` and ``.pkl`` files are pickles written and read with joblib
(:func:`~sklearn_palsy.io.save_model_joblib`), which run code when loaded.
"""

from pathlib import Path

from ..exceptions import ModelFileError
from ._joblib import load_model_joblib, save_model_joblib
from ._safe import load_model, save_model

__all__ = [
    "JOBLIB_MODEL_EXTENSIONS",
    "SAFE_MODEL_EXTENSIONS",
    "load_model_file",
    "save_model_file",
]

SAFE_MODEL_EXTENSIONS = (".safetensors",)
JOBLIB_MODEL_EXTENSIONS = (".joblib", ".pkl")


def _model_format(path):
    """"safetensors" or "joblib", from the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix in SAFE_MODEL_EXTENSIONS:
        return "safetensors"
    if suffix in JOBLIB_MODEL_EXTENSIONS:
        return "joblib"
    raise ModelFileError(
        f"model file {str(path)!r} has an unknown extension {suffix!r}: use "
        ".safetensors (loads without running code) or .joblib / .pkl (a "
        "pickle, which runs code when loaded)"
    )


def save_model_file(model, path):
    """Save a fitted model in the format its extension names.

    Parameters
    ----------
    model : estimator
        A fitted estimator.
    path : str or path-like
        ``.safetensors`` for :func:`~sklearn_palsy.save_model`'s safe format,
        ``.joblib`` or ``.pkl`` for :func:`save_model_joblib`.

    Raises
    ------
    ModelFileError
        If the extension is none of these.
    TypeError
        If the model holds something the safe format cannot (the message
        names it).

    See Also
    --------
    load_model_file : Read the file back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_palsy.io import load_model_file, save_model_file
    >>> path = Path(tempfile.mkdtemp()) / "model.safetensors"
    >>> save_model_file(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_model_file(path).classes_
    array([0, 1])
    """
    if _model_format(path) == "safetensors":
        save_model(model, path)
    else:
        save_model_joblib(model, path)


def load_model_file(path):
    """Load a model in the format its extension names.

    ``.safetensors`` files are read by :func:`~sklearn_palsy.load_model`,
    which runs no code from the file; ``.joblib`` and ``.pkl`` files by
    :func:`load_model_joblib`, which does (load only trusted ones).

    Parameters
    ----------
    path : str or path-like
        A ``.safetensors``, ``.joblib`` or ``.pkl`` file (any case).

    Returns
    -------
    model : estimator
        The estimator, as :func:`save_model_file` saved it.

    Raises
    ------
    FileNotFoundError
        If a joblib file does not exist.
    ModelFileError
        If the extension is unknown, or the file is not a valid model file
        (a missing ``.safetensors`` file included).

    See Also
    --------
    save_model_file : Write the file.

    Examples
    --------
    >>> from sklearn_palsy.exceptions import ModelFileError
    >>> from sklearn_palsy.io import load_model_file
    >>> try:
    ...     load_model_file("model.onnx")
    ... except ModelFileError as error:
    ...     print(str(error).split(": use")[0])
    model file 'model.onnx' has an unknown extension '.onnx'
    """
    if _model_format(path) == "safetensors":
        return load_model(path)
    return load_model_joblib(path)
