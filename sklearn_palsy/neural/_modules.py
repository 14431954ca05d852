"""Torch modules, at module scope so that fitted estimators pickle and deepcopy.

Every module has a ``trunk`` (the network up to its penultimate layer), an
``n_embedding`` (the trunk's output width), a ``head`` (the final linear
layer) and an ``embed`` method; fusion concatenates trunks' embeddings and
trains a joint head.
"""

import contextlib
import copy
import os
from pathlib import Path

import torch
from torch import nn

from ..utils._compat import fold_batch_norms, tensor_version

__all__ = ["MLPModule", "ResNetModule", "load_resnet_weights"]


class MLPModule(nn.Module):
    """A feed-forward network: (Linear, ReLU, Dropout) blocks, then a head.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_layer_sizes : tuple of int, default=(64, 32)
        Width of each hidden layer.
    dropout : float, default=0.2
        Dropout after each hidden layer.
    n_outputs : int, default=1
        One logit for binary problems, one per class otherwise.
    """

    def __init__(self, n_features, hidden_layer_sizes=(64, 32), dropout=0.2,
                 n_outputs=1):
        super().__init__()
        layers, width = [], n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.trunk = nn.Sequential(*layers)
        self.n_embedding = width
        self.n_outputs = n_outputs
        self.head = nn.Linear(width, n_outputs)

    def embed(self, X):
        return self.trunk(X)

    def forward(self, X, sample_weight=None):
        logits = self.head(self.trunk(X))
        return logits.squeeze(-1) if self.n_outputs == 1 else logits


_FREEZE_TRAINABLE = {
    "none": None,
    "backbone": (),
    "all_but_layer4": ("layer4",),
}


def _imagenet_weights_error(arch, url, cached):
    return FileNotFoundError(
        f"ImageNet weights for {arch} are not in torch's cache ({cached}) and could "
        f"not be downloaded. On a machine with internet access download {url}, "
        f"then either copy it to {cached} (or set TORCH_HOME), or pass "
        "weights='/path/to/the/file.pth'."
    )


#: The architectures whose ImageNet weights torchvision publishes.
_TORCHVISION_WEIGHTS = ("resnet18", "resnet34", "resnet50")


def build_resnet_trunk(arch):
    """A randomly initialised torchvision ResNet of the named architecture.

    Parameters
    ----------
    arch : {"resnet10", "resnet18", "resnet34", "resnet50"}
        ``"resnet10"`` is torchvision's :class:`~torchvision.models.ResNet`
        with one basic block per stage instead of ResNet-18's two: the same
        stem, widths and embedding (512), half the convolutions and 44 % of
        the parameters. Trained from scratch on small images and few
        patients (the demo's 48 px) it learns as well and 2.3 times faster
        on CPU; torchvision publishes no ImageNet weights for it.

    Returns
    -------
    trunk : torchvision.models.ResNet
        With its ImageNet head (``fc``) in place.

    Examples
    --------
    >>> from sklearn_palsy.neural._modules import build_resnet_trunk
    >>> sum(p.numel() for p in build_resnet_trunk("resnet10").parameters())
    5418792
    """
    import torchvision

    if arch == "resnet10":
        from torchvision.models.resnet import BasicBlock, ResNet

        return ResNet(BasicBlock, [1, 1, 1, 1])
    return getattr(torchvision.models, arch)(weights=None)


def load_resnet_weights(arch, weights):
    """Return a state dict of ImageNet weights for a torchvision ResNet.

    Parameters
    ----------
    arch : {"resnet10", "resnet18", "resnet34", "resnet50"}
        Architecture.
    weights : "imagenet", str or path-like
        "imagenet" uses torchvision's weight enum (``ResNet18_Weights.DEFAULT``
        and so on) and its cache under ``TORCH_HOME``, downloading only if
        the file is not cached (there are none for ``"resnet10"``); a path
        loads a state dict saved with ``torch.save`` (loaded with
        ``weights_only=True``, so it runs no code).

    Returns
    -------
    state_dict : dict
        The weights.

    Raises
    ------
    FileNotFoundError
        If the file is missing, or the ImageNet weights are neither cached
        nor downloadable; the message says how to provide the file.
    ValueError
        If ImageNet weights are asked for an architecture that has none.
    """
    if isinstance(weights, str) and weights == "imagenet":
        from torchvision.models import get_model_weights

        if arch not in _TORCHVISION_WEIGHTS:
            raise ValueError(
                f"torchvision publishes no ImageNet weights for {arch}; choose "
                f"one of {', '.join(_TORCHVISION_WEIGHTS)} for weights='imagenet', "
                "or give the path of a file of weights for this architecture"
            )

        enum = get_model_weights(arch).DEFAULT
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(enum.url)
        if cached.is_file():
            return torch.load(cached, map_location="cpu", weights_only=True)
        try:
            return enum.get_state_dict(progress=False)
        except Exception as error:  # no network here: say how to get the file
            raise _imagenet_weights_error(arch, enum.url, cached) from error
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {str(path)!r}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return state


class ResNetModule(nn.Module):
    """A torchvision ResNet whose classification layer is replaced by ``head``.

    Parameters
    ----------
    arch : {"resnet10", "resnet18", "resnet34", "resnet50"}, default="resnet18"
        torchvision architecture (see :func:`build_resnet_trunk`).
    weights : None, "imagenet", str or path-like, default=None
        Initial weights of the trunk; see :func:`load_resnet_weights`.
    freeze : {"none", "backbone", "all_but_layer4"}, default="none"
        Which parts stay fixed: nothing, the whole trunk, or all of the
        trunk but its last stage (as the paper's authors did). Frozen parts
        also keep their batch-norm statistics fixed.
    n_outputs : int, default=1
        One logit for binary problems, one per class otherwise.

    Notes
    -----
    In evaluation mode under :func:`torch.inference_mode` (prediction), the
    module runs :meth:`inference_trunk`, a copy of the trunk with each
    batch norm folded into the convolution before it; in training, under
    plain :func:`torch.no_grad` and wherever gradients flow (Grad-CAM), it
    runs ``trunk`` itself.
    """

    def __init__(self, arch="resnet18", weights=None, freeze="none", n_outputs=1):
        super().__init__()
        trunk = build_resnet_trunk(arch)
        if weights is not None:
            state = load_resnet_weights(arch, weights)
            state = {k: v for k, v in state.items() if not k.startswith("fc.")}
            missing, unexpected = trunk.load_state_dict(state, strict=False)
            missing = [k for k in missing if not k.startswith("fc.")]
            if missing or unexpected:
                raise ValueError(
                    f"weights do not fit {arch}: missing {missing[:5]}, "
                    f"unexpected {unexpected[:5]}"
                )
        self.n_embedding = trunk.fc.in_features
        trunk.fc = nn.Identity()
        self.trunk = trunk
        self.n_outputs = n_outputs
        self.head = nn.Linear(self.n_embedding, n_outputs)
        self.freeze = freeze
        trainable = _FREEZE_TRAINABLE[freeze]
        self._frozen = []
        if trainable is not None:
            for name, child in self.trunk.named_children():
                if name not in trainable:
                    child.requires_grad_(False)
                    self._frozen.append(child)

    def train(self, mode=True):
        super().train(mode)
        for child in self._frozen:
            child.eval()
        return self

    def __getstate__(self):
        # The folded copy is derived state: pickles and deep copies leave it out.
        state = self.__dict__.copy()
        state.pop("_folded_trunk", None)
        state.pop("_scope_depth", None)
        return state

    @contextlib.contextmanager
    def inference_scope(self):
        """Keep one folded copy of the trunk for the predictions in this block.

        :meth:`inference_trunk` folds the trunk on first use inside the
        block and serves that copy until the block ends (or a weight
        changes), when it is dropped: between predictions the module holds
        its weights once, not twice. The estimators' ``predict_proba`` and
        ``embed`` run inside such a block; folding a ResNet-18 takes about
        50 ms.
        """
        self.__dict__["_scope_depth"] = self.__dict__.get("_scope_depth", 0) + 1
        try:
            yield self
        finally:
            self.__dict__["_scope_depth"] -= 1
            if not self.__dict__["_scope_depth"]:
                self.__dict__.pop("_folded_trunk", None)

    def inference_trunk(self):
        """The trunk for prediction, with batch norms folded into convolutions.

        In evaluation mode a batch-norm layer is a fixed affine map, which
        :func:`torch.fx.experimental.optimization.fuse` merges into the
        weights of the convolution before it: the same function up to
        rounding (logits within about 1e-5), without the batch-norm passes,
        about a tenth of a ResNet's inference time on a CPU. Inside
        :meth:`inference_scope` the folded copy is made on first use and
        kept until a weight or buffer of the trunk changes (training,
        ``load_state_dict``, ``to``) or the block ends; outside one, each
        call folds a new copy. It has the trunk's memory layout.

        Returns
        -------
        trunk : torch.nn.Module
            A folded copy of ``trunk`` in evaluation mode.
        """
        tensors = [*self.trunk.parameters(), *self.trunk.buffers()]
        key = tuple((t.data_ptr(), tensor_version(t)) for t in tensors)
        cached = self.__dict__.get("_folded_trunk")
        if cached is not None and cached[0] == key:
            return cached[1]
        # Folding needs evaluation mode; the trunk itself keeps its mode.
        folded = fold_batch_norms(copy.deepcopy(self.trunk).eval()).eval()
        if self.trunk.conv1.weight.is_contiguous(memory_format=torch.channels_last):
            folded = folded.to(memory_format=torch.channels_last)
        if self.__dict__.get("_scope_depth", 0):
            # A tuple, not a Module attribute: the copy is no submodule, so it
            # is in neither state_dict() nor parameters().
            self.__dict__["_folded_trunk"] = (key, folded)
        return folded

    def embed(self, X):
        # Prediction (evaluation and inference mode) runs the folded trunk;
        # training, validation and gradients (Grad-CAM) the trunk itself.
        folded = not self.training and torch.is_inference_mode_enabled()
        trunk = self.inference_trunk() if folded else self.trunk
        if X.ndim == 5:  # (batch, views, 3, S, S): average test-time views
            batch, views = X.shape[:2]
            return trunk(X.flatten(0, 1)).unflatten(0, (batch, views)).mean(1)
        return trunk(X)

    def forward(self, X, sample_weight=None):
        logits = self.head(self.embed(X))
        return logits.squeeze(-1) if self.n_outputs == 1 else logits
