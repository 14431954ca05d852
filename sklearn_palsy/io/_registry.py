"""What model files may name: estimator modules and folder parameters.

The safe model format (:func:`~sklearn_palsy.save_model`,
:func:`~sklearn_palsy.load_model`) consults two registries, which only
the user's own code changes, by calling the functions below; nothing in a
model file can add to them.

- **Estimator modules.** A file names each estimator by its class's module
  and name (``sklearn.linear_model._logistic.LogisticRegression``). It is
  loaded only if the longest registered module that contains that module
  exports the class: the name is checked as a string first, so that no
  other module is ever imported. Registered from the start:
  ``sklearn_palsy`` and scikit-learn's public modules that export
  estimators. :func:`register_estimator_module` adds a package's own.
- **Folder parameters.** Constructor parameters that name a folder whose
  files are read back with pickle (the face cache's ``cache_dir``,
  :class:`~sklearn.pipeline.Pipeline`'s ``memory``). A model file must not
  choose them, or loading it and predicting could unpickle files there:
  :func:`~sklearn_palsy.save_model` saves them as None, with a warning,
  and :func:`~sklearn_palsy.load_model` refuses a file that sets one.
  :func:`register_folder_parameter` adds a name.

A module exports a class when the class is in the module's ``__all__`` (or,
in a module without ``__all__``, bound to a public name there), is defined
under that module, and subclasses :class:`sklearn.base.BaseEstimator`. A
name that a package lists in ``__all__`` but imports on first use (PEP 562,
as ``sklearn_palsy`` does) is fetched as ``from module import name`` would.
"""

import re
import threading

__all__ = [
    "register_estimator_module",
    "register_folder_parameter",
    "registered_estimator_modules",
    "registered_folder_parameters",
]

# Dotted Python identifiers, none of which starts with "__": class names in
# a file are refused when a part does, so such a module could never match.
_MODULE_NAME = re.compile(r"(?!__)[A-Za-z_]\w*(\.(?!__)[A-Za-z_]\w*)*\Z", re.ASCII)
_PARAMETER_NAME = re.compile(r"[A-Za-z_]\w*\Z", re.ASCII)

# Frozen sets, replaced whole under the lock: a reader never sees one change
# while it iterates.
_lock = threading.Lock()
# The modules of sklearn.utils.all_estimators(), which export estimators.
_estimator_modules = frozenset({
    "sklearn_palsy",
    "sklearn.calibration", "sklearn.cluster", "sklearn.compose",
    "sklearn.covariance", "sklearn.cross_decomposition", "sklearn.decomposition",
    "sklearn.discriminant_analysis", "sklearn.dummy", "sklearn.ensemble",
    "sklearn.feature_extraction", "sklearn.feature_extraction.image",
    "sklearn.feature_extraction.text", "sklearn.feature_selection",
    "sklearn.frozen", "sklearn.gaussian_process", "sklearn.impute",
    "sklearn.isotonic", "sklearn.kernel_approximation", "sklearn.kernel_ridge",
    "sklearn.linear_model", "sklearn.manifold", "sklearn.mixture",
    "sklearn.model_selection", "sklearn.multiclass", "sklearn.multioutput",
    "sklearn.naive_bayes", "sklearn.neighbors", "sklearn.neural_network",
    "sklearn.pipeline", "sklearn.preprocessing", "sklearn.random_projection",
    "sklearn.semi_supervised", "sklearn.svm", "sklearn.tree",
})
_folder_parameters = frozenset({"cache_dir", "memory"})


def register_estimator_module(name):
    """Let model files name the estimator classes that module ``name`` exports.

    After this call, :func:`~sklearn_palsy.save_model` saves, and
    :func:`~sklearn_palsy.load_model` loads, estimators whose class is
    exported by the module (in its ``__all__``) and defined in it or below
    it. Registering runs no code of the module; it is imported when a file
    first names one of its classes. Registering a module again does nothing.

    Register only a module whose every exported estimator you would let a
    model file make: loading a file creates instances of those classes
    (without calling ``__init__``), with parameters and fitted attributes
    that the file chooses, and runs their ``_set_safe_state`` method if
    they have one.

    Parameters
    ----------
    name : str
        A module's dotted name, such as ``"my_package"`` or
        ``"my_package.models"``. Parts may not start with ``__``.

    Raises
    ------
    ValueError
        If ``name`` is not a dotted module name.

    See Also
    --------
    registered_estimator_modules : The modules registered now.

    Examples
    --------
    >>> from sklearn_palsy.io import (register_estimator_module,
    ...                               registered_estimator_modules)
    >>> register_estimator_module("sklearn.linear_model")  # already there
    >>> "sklearn.linear_model" in registered_estimator_modules()
    True
    """
    global _estimator_modules

    if not isinstance(name, str) or not _MODULE_NAME.match(name):
        raise ValueError(
            f"an estimator module is a dotted module name such as 'my_package', "
            f"none of whose parts starts with '__'; got {name!r}"
        )
    with _lock:
        _estimator_modules = _estimator_modules | {name}


def register_folder_parameter(name):
    """Keep the constructor parameter ``name`` out of model files.

    For a parameter naming a folder whose files an estimator reads back with
    pickle or joblib (as ``cache_dir`` and ``memory`` do): whatever class
    has it, :func:`~sklearn_palsy.save_model` saves it as None (with a
    warning, so that it can be set again after loading), and
    :func:`~sklearn_palsy.load_model` refuses a file in which it is not
    None. Registering a name again does nothing.

    Parameters
    ----------
    name : str
        A parameter name, a Python identifier.

    Raises
    ------
    ValueError
        If ``name`` is not an identifier.

    See Also
    --------
    registered_folder_parameters : The parameters registered now.

    Examples
    --------
    >>> from sklearn_palsy.io import registered_folder_parameters
    >>> sorted(registered_folder_parameters())
    ['cache_dir', 'memory']
    """
    global _folder_parameters

    if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
        raise ValueError(f"a folder parameter is a Python identifier; got {name!r}")
    with _lock:
        _folder_parameters = _folder_parameters | {name}


def registered_estimator_modules():
    """The modules whose exported estimator classes model files may name.

    Returns
    -------
    modules : frozenset of str
        ``sklearn_palsy``, scikit-learn's estimator modules and those given
        to :func:`register_estimator_module`.

    Examples
    --------
    >>> from sklearn_palsy.io import registered_estimator_modules
    >>> {"sklearn_palsy", "sklearn.pipeline"} <= registered_estimator_modules()
    True
    """
    return _estimator_modules


def registered_folder_parameters():
    """The constructor parameters that model files may not set.

    Returns
    -------
    names : frozenset of str
        ``cache_dir``, ``memory`` and those given to
        :func:`register_folder_parameter`.

    Examples
    --------
    >>> from sklearn_palsy.io import registered_folder_parameters
    >>> "memory" in registered_folder_parameters()
    True
    """
    return _folder_parameters
