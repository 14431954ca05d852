"""ResNetClassifier: a skorch-wrapped torchvision ResNet on face images."""

import numbers
import os

import torch
from torchvision.transforms import v2

from ..preprocessing._base import as_image_list
from ..utils._compat import Interval, StrOptions, _fit_context
from ._base import COMMON_CONSTRAINTS, BaseNeuralClassifier
from ._data import ImageDataset
from ._modules import ResNetModule

__all__ = ["ResNetClassifier"]

#: The most memory that the transformed tensors of one data set may take
#: for them to be kept between epochs (ImageDataset's ``cache``).
_CACHE_BYTES = 256 * 2**20

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _stack_views(views):
    return torch.stack(list(views))


def make_image_transform(image_size, *, augment="none", tta=None):
    """Build the torchvision transform from an RGB uint8 array to a tensor.

    Parameters
    ----------
    image_size : int
        Side of the network's input.
    augment : {"none", "light", "light+flip"}, default="none"
        Training augmentation: "light" is a small random affine (±5°, ±4 %
        shift, ±5 % scale) and brightness/contrast jitter; "light+flip" adds
        left-right mirroring, which swaps the affected side and so is never a
        default.
    tta : {None, "fivecrop", "tencrop"}, default=None
        Test-time augmentation: the image is resized to ``image_size * 8/7``
        and cut into five crops (plus their mirror images for "tencrop"),
        giving a (n_views, 3, S, S) tensor.

    Returns
    -------
    transform : callable
        Maps (H, W, 3) uint8 to a normalised float tensor.
    """
    steps = [v2.ToImage()]
    if tta is None:
        steps.append(v2.Resize((image_size, image_size), antialias=True))
    if augment in ("light", "light+flip"):
        steps += [
            v2.RandomAffine(degrees=5, translate=(0.04, 0.04), scale=(0.95, 1.05)),
            v2.ColorJitter(brightness=0.2, contrast=0.2),
        ]
    if augment == "light+flip":
        steps.append(v2.RandomHorizontalFlip())
    steps += [v2.ToDtype(torch.float32, scale=True),
              v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    if tta is not None:
        larger = round(image_size * 8 / 7)
        crop = v2.FiveCrop(image_size) if tta == "fivecrop" else v2.TenCrop(image_size)
        steps = [v2.ToImage(), v2.Resize((larger, larger), antialias=True),
                 *steps[1:], crop, _stack_views]
    return v2.Compose(steps)


class ResNetClassifier(BaseNeuralClassifier):
    """A torchvision ResNet fine-tuned on face images, trained with Adam.

    The paper's image model, for RGB face crops or line-segment images.
    Images are normalised with ImageNet's statistics; grey (line) images
    become three channels. Binary problems use one logit and binary
    cross-entropy with logits. The skorch net is built in ``fit`` and kept as
    ``net_``.

    Parameters
    ----------
    arch : {"resnet10", "resnet18", "resnet34", "resnet50"}, default="resnet18"
        torchvision architecture. ``"resnet10"`` (one basic block per stage,
        half of ResNet-18's convolutions) is for small images trained from
        scratch, as in the demo; it has no ImageNet weights.
    weights : None, "imagenet", str or path-like, default=None
        Initial weights. "imagenet" uses torchvision's weight enum and its
        cache (``TORCH_HOME``); a path loads a state dict saved with
        ``torch.save`` (e.g. the file torchvision downloads). Without network
        and without a cached file, "imagenet" raises an error that says
        where to put the file.
    freeze : {"none", "backbone", "all_but_layer4"}, default="none"
        Trunk parts kept fixed: none, all, or all but the last stage (the
        paper's authors trained only layer4 and the head).
    image_size : int, default=224
        Side of the network's input; images are resized to it.
    augment : {"none", "light", "light+flip"}, default="light"
        Training augmentation; see :func:`make_image_transform`. Left-right
        flips swap the affected side, so they are only an option.
    tta : {None, "fivecrop", "tencrop"}, default=None
        Test-time augmentation; logits are averaged over the views.
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        Arithmetic of the forward passes, in training and prediction.
        "bfloat16" runs convolutions and matrix products under
        :func:`torch.autocast` in bfloat16 (weights, batch-norm statistics
        and the loss stay float32); on CPUs with AVX-512 BF16 or AMX and on
        Ampere or later GPUs it is about twice as fast, and predicted labels
        agree with float32 on at least 99 % of images in
        ``benchmarks/bench_neural.py``. "auto" uses bfloat16 where the
        device supports it natively (:func:`bfloat16_supported`) and float32
        elsewhere. Results are reproducible for a given precision, not
        across precisions.
    channels_last : bool, default=True
        Keep weights and image batches in channels-last (NHWC) layout, which
        oneDNN and cuDNN convolve faster than the default NCHW.
    lr : float, default=1e-4
        Adam's learning rate.
    max_epochs : int, default=10
        Passes over the training data.
    batch_size : int, default=32
        Mini-batch size.
    weight_decay : float, default=0.0
        Adam's L2 penalty.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (whole patients when ``groups`` is
        passed to ``fit``) and stop when its loss stalls.
    validation_fraction : float, default=0.2
        Share held out for early stopping.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    num_workers : int, default=0
        DataLoader worker processes that read and transform images.
    device : str, default="cpu"
        Torch device, e.g. "cuda".
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, augmentation and the validation
        split; the same int gives bit-identical predictions on CPU with the
        same number of torch threads (``torch.get_num_threads()``; Dask
        workers run with one).
    verbose : int, default=0
        1 prints skorch's table of epochs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The trained skorch net.
    n_epochs_ : int
        Epochs actually run.

    See Also
    --------
    FFNNClassifier : The model for structured features.
    FaceCropper, LineSegmentRenderer : Image views to feed it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy import ResNetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 255, size=(8, 32, 32, 3), dtype=np.uint8)
    >>> y = np.array([0, 1] * 4)
    >>> clf = ResNetClassifier(image_size=32, max_epochs=1, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.embed(X).shape
    ((8, 2), (8, 512))
    """

    _parameter_constraints = {
        "arch": [StrOptions({"resnet10", "resnet18", "resnet34", "resnet50"})],
        "weights": [None, str, os.PathLike],
        "freeze": [StrOptions({"none", "backbone", "all_but_layer4"})],
        "image_size": [Interval(numbers.Integral, 16, None, closed="left")],
        "augment": [StrOptions({"none", "light", "light+flip"})],
        "tta": [StrOptions({"fivecrop", "tencrop"}), None],
        "num_workers": [Interval(numbers.Integral, 0, None, closed="left")],
        "precision": [StrOptions({"float32", "bfloat16", "auto"})],
        "channels_last": ["boolean"],
        **COMMON_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        arch="resnet18",
        weights=None,
        freeze="none",
        image_size=224,
        augment="light",
        tta=None,
        precision="float32",
        channels_last=True,
        lr=1e-4,
        max_epochs=10,
        batch_size=32,
        weight_decay=0.0,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.2,
        n_iter_no_change=3,
        num_workers=0,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.arch = arch
        self.weights = weights
        self.freeze = freeze
        self.image_size = image_size
        self.augment = augment
        self.tta = tta
        self.precision = precision
        self.channels_last = channels_last
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.num_workers = num_workers
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def check_input(self, X, *, reset=False):
        return as_image_list(X)

    def make_dataset(self, X, y=None, sample_weight=None, *, training=False):
        augment = self.augment if training else "none"
        tta = None if training else self.tta
        transform = make_image_transform(self.image_size, augment=augment, tta=tta)
        # Images in memory, transformed without randomness, are transformed
        # once per data set rather than once per epoch, up to a bound on the
        # memory their tensors take; paths stay read lazily, batch by batch.
        views = 1 if tta is None else (5 if tta == "fivecrop" else 10)
        size = len(X) * views * 3 * self.image_size**2 * 4
        cache = (augment == "none" and size <= _CACHE_BYTES
                 and not any(isinstance(image, (str, os.PathLike)) for image in X))
        return ImageDataset(X, transform, y, sample_weight,
                            binary=len(self.classes_) == 2, cache=cache)

    def _extra_net_params(self):
        return {
            "iterator_train__num_workers": self.num_workers,
            "iterator_valid__num_workers": self.num_workers,
            "precision": self.precision,
            "channels_last": self.channels_last,
        }

    def build_module(self, train=None, *, n_outputs=1, pretrained=True):
        return ResNetModule, {
            "arch": self.arch,
            "weights": self.weights if pretrained else None,
            "freeze": self.freeze,
            "n_outputs": n_outputs,
        }

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Fine-tune the network on images.

        Parameters
        ----------
        X : array-like of image paths or images
            A 1-D array of paths (read lazily, batch by batch), an
            (n, H, W, 3) uint8 RGB array, an (n, H, W) uint8 array of line
            images, or a list of such arrays.
        y : array-like of shape (n_samples,)
            Labels, numbers or strings.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss; >= 0 and not all 0.
        groups : array-like of shape (n_samples,), default=None
            Patient ids, all numbers or all text, none missing; with
            ``early_stopping`` whole patients are held out.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        images = as_image_list(X)
        if len(images) != len(y):
            raise ValueError(f"X has {len(images)} images but y has {len(y)} labels")
        return self._fit_net(images, y, sample_weight=sample_weight, groups=groups)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        return tags
