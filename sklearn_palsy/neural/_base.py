"""What the skorch-wrapped classifiers share.

The estimators here are thin scikit-learn estimators of our own that build a
skorch net inside ``fit`` and keep it as ``net_``; they do not subclass skorch,
so scikit-learn's own checks see ordinary classifiers.
"""

import contextlib
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
from skorch.callbacks import EarlyStopping
from skorch.helper import predefined_split
from skorch.utils import to_device, to_tensor

from ..utils._compat import (
    Interval,
    SetTrainingOnChangeMixin,
    StrOptions,
    cpu_bfloat16_supported,
)
from ..utils._validation import (
    check_classification_labels,
    check_groups,
    check_sample_weight,
)

__all__ = ["BaseNeuralClassifier", "bfloat16_supported", "resolve_precision"]


class _WeightedLossMixin:
    """Weight each sample's loss by ``X["sample_weight"]``.

    The criterion is built with ``reduction="none"``; the batch loss is the
    weighted mean, so a weight of 2 counts a sample twice.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        if isinstance(self.criterion_, torch.nn.BCEWithLogitsLoss):
            y_true = y_true.to(y_pred.dtype)
        loss = self.criterion_(y_pred, y_true)
        if isinstance(X, dict) and "sample_weight" in X:
            weight = to_tensor(X["sample_weight"], device=self.device).to(loss.dtype)
            return (loss * weight).sum() / weight.sum().clamp_min(1e-12)
        return loss.mean()


def bfloat16_supported(device="cpu"):
    """Whether ``device`` runs bfloat16 arithmetic natively.

    On a CUDA GPU this is torch's own test (Ampere and later); on the CPU it
    is oneDNN's (AVX-512 BF16 or AMX instructions). Elsewhere bfloat16 would
    be emulated and slower than float32.

    Parameters
    ----------
    device : str or torch.device, default="cpu"
        The device to ask about.

    Returns
    -------
    supported : bool
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_bfloat16_supported()
    return False


def resolve_precision(precision, device):
    """``"float32"`` or ``"bfloat16"`` for a ``precision`` option.

    ``"auto"`` picks bfloat16 where :func:`bfloat16_supported` says the
    device has it natively, float32 elsewhere.
    """
    if precision == "auto":
        return "bfloat16" if bfloat16_supported(device) else "float32"
    return precision


class _ExecutionMixin(SetTrainingOnChangeMixin):
    """Mixed precision and memory layout for skorch's forward passes.

    ``precision="bfloat16"`` runs the module's forward pass under
    :func:`torch.autocast` (convolutions and matrix products in bfloat16,
    everything else in float32); the outputs, and so the loss, are float32.
    ``channels_last=True`` keeps the module's weights and 4-D inputs in
    channels-last (NHWC) layout, which oneDNN and cuDNN convolve faster.
    """

    def __init__(self, *args, precision="float32", channels_last=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.precision = precision
        self.channels_last = channels_last

    def initialize_module(self):
        super().initialize_module()
        if self.channels_last:
            self.module_ = self.module_.to(memory_format=torch.channels_last)
        return self

    def autocast(self):
        """The context that runs a forward pass in the chosen precision."""
        precision = resolve_precision(self.precision, self.device)
        if precision == "float32":
            return contextlib.nullcontext()
        return torch.autocast(
            device_type=torch.device(self.device).type,
            dtype=torch.bfloat16,
            enabled=precision == "bfloat16",
        )

    def prepare_input(self, x):
        """Move 4-D image batches to channels-last layout when asked."""
        if not self.channels_last:
            return x
        if isinstance(x, dict):
            return {k: self.prepare_input(v) for k, v in x.items()}
        if isinstance(x, torch.Tensor) and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def infer(self, x, **fit_params):
        x = to_device(self.prepare_input(x), self.device)
        with self.autocast():
            y_infer = super().infer(x, **fit_params)
        return y_infer.float()


class _BinaryNet(_ExecutionMixin, _WeightedLossMixin, NeuralNetBinaryClassifier):
    """skorch's binary classifier (BCE with logits) with sample weights."""


class _MulticlassNet(_ExecutionMixin, _WeightedLossMixin, NeuralNetClassifier):
    """skorch's classifier (cross-entropy on logits) with sample weights."""


def _seed_from(random_state):
    """An int seed for torch from a scikit-learn ``random_state``.

    An int is used as it is; None and a ``RandomState`` draw one through
    :func:`~sklearn.utils.check_random_state`, as scikit-learn's estimators
    do (None: numpy's global generator).
    """
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


COMMON_CONSTRAINTS = {
    "lr": [Interval(numbers.Real, 0, None, closed="neither")],
    "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def _module_embeds(estimator):
    """For ``available_if``: whether the fitted network has an embedding.

    Before ``fit`` it says yes, so that ``embed`` raises ``NotFittedError``
    as every scikit-learn method does.
    """
    net = getattr(estimator, "net_", None)
    return net is None or hasattr(net.module_, "embed")


class BaseNeuralClassifier(ClassifierMixin, BaseEstimator):
    """Base class of the skorch-wrapped classifiers: fit, predict and embed.

    A subclass describes its network through a small public protocol, which
    :meth:`fit` uses and which :class:`~sklearn_palsy.IntermediateFusionClassifier`
    uses to join several networks into one:

    - :meth:`check_input` validates ``X`` and returns what the network's
      dataset takes (a float32 array, a list of images...);
    - :meth:`make_dataset` wraps checked input, labels and weights in a torch
      :class:`~torch.utils.data.Dataset` whose items are
      ``({"X": tensor[, "sample_weight": w]}, y)``;
    - :meth:`build_module` returns the torch module class and its
      parameters. The module has ``forward(X, sample_weight=None)`` (the
      logits), ``embed(X)`` (the trunk: the network without its final
      layer) and ``n_embedding`` (the trunk's width).

    Subclasses set ``classes_`` (at ``fit``) before calling these, and may
    override ``_extra_net_params`` to give the skorch net more arguments.
    """

    # Early stopping holds out whole patients: with metadata routing on,
    # groups are routed to fit by default, inside a Pipeline or a search too,
    # with no set_fit_request(groups=True) needed.
    __metadata_request__fit = {"groups": True}

    # ------------------------------------------------ the network's protocol
    def check_input(self, X, *, reset=False):
        """Validate ``X`` and return it in the form :meth:`make_dataset` takes.

        Parameters
        ----------
        X : array-like
            Input samples, as for ``fit``.
        reset : bool, default=False
            Record the input's shape (``n_features_in_``...), as at ``fit``,
            instead of checking it against the recorded one.

        Returns
        -------
        X_checked : ndarray or list
            The network's input.
        """
        raise NotImplementedError

    def make_dataset(self, X, y=None, sample_weight=None, *, training=False):
        """The torch dataset of checked input ``X``.

        Parameters
        ----------
        X : ndarray or list
            Input returned by :meth:`check_input`.
        y : ndarray of shape (n_samples,), default=None
            Encoded labels (indices into ``classes_``), or None to predict.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the samples in the loss.
        training : bool, default=False
            Whether the dataset feeds training (with augmentation, where the
            estimator has any) or evaluation.

        Returns
        -------
        dataset : torch.utils.data.Dataset
            Items ``({"X": tensor[, "sample_weight": w]}, y)``.
        """
        raise NotImplementedError

    def build_module(self, train=None, *, n_outputs=1, pretrained=True):
        """The torch module class and its parameters.

        Parameters
        ----------
        train : torch.utils.data.Dataset, default=None
            The training dataset, for modules sized from their data.
        n_outputs : int, default=1
            One logit for binary problems, one per class otherwise.
        pretrained : bool, default=True
            Start from pretrained weights where the estimator asks for them
            (``weights="imagenet"``); False builds the bare architecture, as
            loading a saved model does, whose weights replace every one.

        Returns
        -------
        module : type
            A :class:`torch.nn.Module` subclass with ``embed`` and
            ``n_embedding``.
        params : dict
            Its constructor's arguments.
        """
        raise NotImplementedError

    def _extra_net_params(self):
        """More keyword arguments for the skorch net."""
        return {}

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _check_device(self):
        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r} was asked for, but torch sees no CUDA GPU"
            )

    def _fit_net(self, X, y, sample_weight=None, groups=None):
        """Encode the labels, split off a validation part and train the net."""
        self._check_device()
        check_classification_labels(y, type(self).__name__)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y_encoded = encoder.transform(y)
        n_samples = len(y_encoded)
        # Negative weights would reward the loss for growing.
        weight = check_sample_weight(sample_weight, n_samples, dtype=np.float32)
        if self.class_weight is not None:
            weight = weight * compute_sample_weight(
                self.class_weight, y_encoded
            ).astype(np.float32)
        if sample_weight is None and self.class_weight is None:
            weight = None  # unweighted: a plain mean of the loss, no weight tensors
        if groups is not None:
            groups = check_groups(groups, n_samples)
        seed = _seed_from(self.random_state)
        train_index = np.arange(n_samples)
        callbacks = []
        train_split = None
        if self.early_stopping:
            train_index, valid_index = self._validation_split(y_encoded, groups, seed)
            valid = self.make_dataset(
                _take(X, valid_index),
                y_encoded[valid_index],
                _take_weight(weight, valid_index),
                training=False,
            )
            train_split = predefined_split(valid)
            callbacks.append(
                ("early_stopping", EarlyStopping(
                    monitor="valid_loss", patience=self.n_iter_no_change,
                    load_best=True,
                ))
            )
            self.validation_index_ = valid_index
        train = self.make_dataset(
            _take(X, train_index),
            y_encoded[train_index],
            _take_weight(weight, train_index),
            training=True,
        )
        module, module_params = self.build_module(train, n_outputs=self._n_outputs())
        self.net_ = self._build_net(
            module, module_params, train_split=train_split, callbacks=callbacks
        )
        # Seed torch without touching the caller's global random state.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            with warnings.catch_warnings():
                # skorch warns when y is None with a Dataset: ours carries y.
                warnings.filterwarnings("ignore", message=".*y=None.*")
                self.net_.fit(train, y=None)
        self.n_epochs_ = len(self.net_.history)
        return self

    def _build_net(self, module, module_params, *, train_split=None, callbacks=()):
        """The (uninitialised) skorch net, for ``fit`` and for :func:`load_model`."""
        net_class = _BinaryNet if self._n_outputs() == 1 else _MulticlassNet
        criterion = (
            torch.nn.BCEWithLogitsLoss
            if net_class is _BinaryNet
            else torch.nn.CrossEntropyLoss
        )
        return net_class(
            module,
            criterion=criterion,
            criterion__reduction="none",
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=list(callbacks),
            iterator_train__shuffle=True,
            device=self.device,
            verbose=self.verbose,
            **self._extra_net_params(),
            **{f"module__{k}": v for k, v in module_params.items()},
        )

    # ------------------------------------------------ the safe model format
    def _get_safe_state(self):
        """Fitted attributes as data, for :func:`~sklearn_palsy.save_model`.

        Everything but the constructor's parameters, with ``net_`` (a skorch
        net, which is not data) replaced by its module's state dict (weights
        and batch-norm buffers, as numpy arrays) and its training history.
        """
        params = self.get_params(deep=False)
        state = {
            key: value for key, value in vars(self).items()
            if key not in params and key != "net_"
        }
        if hasattr(self, "net_"):
            state["net_"] = {
                "module_state_dict": {
                    name: tensor.detach().cpu().contiguous().numpy()
                    for name, tensor in self.net_.module_.state_dict().items()
                },
                "history": self.net_.history.to_list(),
            }
        return state

    def _set_safe_state(self, state):
        """Restore what :meth:`_get_safe_state` gave, rebuilding ``net_``.

        The net is built by the same code as in ``fit``, initialised, and
        given the saved weights with ``load_state_dict(strict=True)``, so a
        state dict that does not fit the architecture is refused.
        """
        from skorch.history import History

        state = dict(state)
        net_state = state.pop("net_", None)
        vars(self).update(state)
        if net_state is None:
            return
        if set(net_state) != {"module_state_dict", "history"}:
            raise ValueError(f"net_ has entries {sorted(net_state)}")
        self._check_device()
        # The saved state dict replaces every weight: no pretrained weights
        # are read or downloaded.
        module, module_params = self.build_module(
            n_outputs=self._n_outputs(), pretrained=False
        )
        net = self._build_net(module, module_params)
        # Initialising draws random weights, soon overwritten; keep the
        # caller's random state as it was.
        with torch.random.fork_rng(devices=[]):
            net.initialize()
        weights = {
            name: torch.from_numpy(np.asarray(value))
            for name, value in net_state["module_state_dict"].items()
        }
        net.module_.load_state_dict(weights, strict=True)
        net.history = History(net_state["history"])
        self.net_ = net

    def _validation_split(self, y_encoded, groups, seed):
        n_samples = len(y_encoded)
        if groups is not None:
            if len(np.unique(groups)) < 2:
                raise ValueError(
                    "early_stopping needs at least 2 groups to hold some out"
                )
            splitter = GroupShuffleSplit(
                n_splits=1, test_size=self.validation_fraction, random_state=seed
            )
            return next(splitter.split(np.zeros(n_samples), y_encoded, groups))
        warnings.warn(
            "early_stopping without groups: the validation split is made by image, "
            "so one patient's images can sit on both sides of it. Pass "
            "groups=patient_ids to fit (with metadata routing on, request it with "
            "set_fit_request(groups=True)).",
            UserWarning,
            stacklevel=3,
        )
        splitter = StratifiedShuffleSplit(
            n_splits=1, test_size=self.validation_fraction, random_state=seed
        )
        return next(splitter.split(np.zeros(n_samples), y_encoded))

    def _forward(self, X, method):
        """Run the trained module over X in evaluation mode, batch by batch."""
        check_is_fitted(self)
        dataset = self.make_dataset(X, training=False)
        # DataLoader draws a seed from torch's global generator each time it
        # iterates; fork it so that predicting leaves the caller's state alone.
        # Modules with an inference scope (the ResNet's folded trunk) keep
        # what they derive for prediction only for its duration.
        with torch.random.fork_rng(devices=[]), contextlib.ExitStack() as scopes:
            for module in self.net_.module_.modules():
                if hasattr(module, "inference_scope"):
                    scopes.enter_context(module.inference_scope())
            torch.manual_seed(0)
            if method == "embed":
                return self._embed(dataset)
            # One autocast region for all batches: its cache of weights cast
            # to bfloat16 then lasts the whole prediction (it is emptied when
            # the outermost region ends, which per batch cost 3 % of a
            # ResNet-18's prediction time).
            with torch.inference_mode(), self.net_.autocast():
                logits = self.net_.forward(dataset, training=False)
            return logits.cpu().numpy()

    def _embed(self, dataset):
        module = self.net_.module_
        module.eval()
        outputs = []
        with torch.inference_mode(), self.net_.autocast():
            for batch, _ in self.net_.get_iterator(dataset, training=False):
                inputs = {k: v for k, v in batch.items() if k != "sample_weight"}
                # A single net embeds its "X"; a fusion net a dict of inputs.
                inputs = inputs["X"] if list(inputs) == ["X"] else inputs
                inputs = to_device(self.net_.prepare_input(inputs), self.net_.device)
                outputs.append(module.embed(inputs).float().cpu().numpy())
        if not outputs:
            return np.empty((0, module.n_embedding), dtype=np.float32)
        return np.concatenate(outputs)

    def decision_function(self, X):
        """Return the network's logits.

        Parameters
        ----------
        X : array-like
            Input samples, as for ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logit of the positive class for binary problems, one logit
            per class otherwise.
        """
        X = self.check_input(X, reset=False)
        logits = self._forward(X, "logits").astype(np.float64)
        return logits

    def predict_proba(self, X):
        """Return class probabilities.

        Parameters
        ----------
        X : array-like
            Input samples, as for ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        logits = self.decision_function(X)
        if logits.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-logits))
            return np.column_stack([1.0 - positive, positive])
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Return the most probable class of each sample.

        Parameters
        ----------
        X : array-like
            Input samples, as for ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    @available_if(_module_embeds)
    def embed(self, X):
        """Return the penultimate-layer embedding of each sample.

        Named ``embed`` rather than ``transform`` so that scikit-learn treats
        the estimator as a classifier, not as a transformer.

        Parameters
        ----------
        X : array-like
            Input samples, as for ``fit``.

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_embedding)
            The trunk's output, before the final layer; fusion and plots use
            it.
        """
        X = self.check_input(X, reset=False)
        return self._forward(X, "embed")

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")


def _take(X, index):
    """Rows of an array, items of a list, or both for a dict of them."""
    if isinstance(X, dict):
        return {name: _take(value, index) for name, value in X.items()}
    if isinstance(X, np.ndarray):
        return X[index]
    return [X[i] for i in index]


def _take_weight(weight, index):
    return None if weight is None else weight[index]
