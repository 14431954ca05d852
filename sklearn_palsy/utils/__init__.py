"""Checks shared by the loaders, the estimators and model_selection (private).

Nothing here is part of the public API; the modules import what they need
from the private modules below. This package imports nothing else of
sklearn-palsy but :mod:`sklearn_palsy.exceptions`, so that any subpackage can
use it without an import cycle.
"""
