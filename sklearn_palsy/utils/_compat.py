"""Every use of a dependency's private or experimental API, in one place.

sklearn-palsy builds on scikit-learn's, skorch's and torch's public APIs.
Where a private one is truly needed, it is imported or overridden here and
nowhere else, as imbalanced-learn does in ``imblearn/utils/_sklearn_compat.py``:
when a dependency changes, this is the one module to adapt, and the versions
it was tested with are the upper bounds in ``pyproject.toml``
(scikit-learn < 1.10, skorch < 1.5, torch < 2.15).

What is used, and why:

- scikit-learn: ``_fit_context`` (parameter validation at ``fit``, as every
  scikit-learn estimator does), ``_param_validation``'s constraint classes,
  ``_BaseComposition`` (nested parameters of composite estimators),
  ``_safe_indexing`` (rows of arrays, lists and DataFrames alike),
  ``_check_feature_names_in`` (``get_feature_names_out``'s input check) and
  ``BaseSearchCV`` (to recognise a fitted search). scikit-learn's own
  third-party template and imbalanced-learn use the same.
- torch: ``torch.ops.mkldnn._is_mkldnn_bf16_supported`` (whether the CPU
  computes bfloat16 natively), ``Tensor._version`` (whether a weight changed
  in place since a cached copy was made) and
  ``torch.fx.experimental.optimization.fuse`` (batch norms folded into
  convolutions for prediction).
- skorch: ``NeuralNet._set_training`` is overridden so that module modes are
  set only when they change. skorch has no public hook for it: its public
  ``train_step_single`` and ``evaluation_step`` call it first thing, so a
  public override would have to copy their bodies. Measured again after the
  batched data loader came in, it saves 3.5 % of an FFNN's training (40
  features, batch 32, one thread: 0.864 s against 0.896 s for 20 epochs),
  which the FFNN's target of 1.05 times a plain PyTorch loop needs; it is
  kept here, bounded by ``skorch < 1.5``. Deleting the class (and its use
  in ``neural/_base.py``) is all it takes to drop it.

The torch and skorch parts import torch only when called, so that modules
needing only scikit-learn's parts stay light.
"""

import sklearn
from sklearn.base import _fit_context
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "SetTrainingOnChangeMixin",
    "StrOptions",
    "_BaseComposition",
    "_check_feature_names_in",
    "_fit_context",
    "_safe_indexing",
    "cpu_bfloat16_supported",
    "fold_batch_norms",
    "routing_enabled",
    "tensor_version",
    "validate_params",
]


def routing_enabled():
    """Whether scikit-learn's metadata routing is switched on (public API)."""
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def cpu_bfloat16_supported():
    """Whether this CPU computes bfloat16 natively (oneDNN's own test)."""
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def tensor_version(tensor):
    """A counter that torch increases at every in-place change of ``tensor``."""
    return tensor._version


def fold_batch_norms(module):
    """``module`` with its batch norms folded into the convolutions before them.

    ``module`` must be in evaluation mode; it is changed in place and
    returned.
    """
    from torch.fx.experimental.optimization import fuse

    return fuse(module, inplace=True)


class SetTrainingOnChangeMixin:
    """For a skorch net: set module modes only when they change.

    skorch sets the mode of every module before every batch; walking the
    module tree each time is a tenth of a small network's step. Once this
    net has set a mode, it sets it again only when a root module's mode has
    changed since (e.g. ``module_.eval()`` in between). ``initialize_module``
    forgets it, so a new module is always set once.
    """

    # The mode _set_training last gave the modules (None: not yet).
    _mode_set = None

    def initialize_module(self):
        super().initialize_module()
        self._mode_set = None
        return self

    def _set_training(self, training=True):
        import torch

        roots = [getattr(self, name + "_") for name in self._modules + self._criteria]
        if self._mode_set == training and all(
            module.training == training
            for module in roots if isinstance(module, torch.nn.Module)
        ):
            return
        super()._set_training(training)
        self._mode_set = training
