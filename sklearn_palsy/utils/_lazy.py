"""Names of a package imported on first use (PEP 562), written once.

The subpackages whose names load torch, dlib or MediaPipe (``paper``,
``cli``, ``reporting``'s Grad-CAM) import them only when a name is first
used, so that the command line's ``--help`` and reading a default stay
instant. This module imports nothing of the package.
"""

import importlib
import sys

__all__ = ["lazy_attributes"]


def lazy_attributes(package, names):
    """The ``__getattr__`` and ``__dir__`` of a package with lazy names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str to str
        Each lazy name -> the module (relative to ``package``) defining it.

    Returns
    -------
    getattr, dir : callable
        To assign to the package's ``__getattr__`` and ``__dir__``. A name is
        imported on its first use and then kept in the package's namespace,
        so later look-ups skip ``__getattr__``.

    Examples
    --------
    >>> from sklearn_palsy.utils._lazy import lazy_attributes
    >>> getattr_, dir_ = lazy_attributes("sklearn_palsy.paper",
    ...                                  {"DEMO_FOLDS": "._defaults"})
    >>> getattr_("DEMO_FOLDS")
    4
    """

    def __getattr__(name):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        module = sys.modules[package]
        return sorted(set(vars(module)) | set(getattr(module, "__all__", ())))

    return __getattr__, __dir__
