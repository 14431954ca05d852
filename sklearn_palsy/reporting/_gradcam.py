"""Grad-CAM heatmaps of a fitted ResNetClassifier.

Grad-CAM (Selvaraju et al., 2017) weights each channel of a convolutional
stage's output by the mean gradient of the positive-class logit over that
channel, sums the weighted channels, keeps the positive part and upsamples
it to the input size: where the network looked when it called palsy.
"""

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from sklearn.utils.validation import check_is_fitted

__all__ = ["grad_cam", "plot_grad_cam"]


def _positive_score(logits, n_outputs):
    """The logit of the positive class, one per image."""
    if n_outputs == 1:
        return logits.reshape(-1)
    return logits[:, 1] if logits.shape[1] == 2 else logits[:, -1]


def grad_cam(resnet_classifier, images, target_layer="layer4", batch_size=16):
    """Compute Grad-CAM heatmaps of the positive class for a fitted ResNet.

    The module runs in evaluation mode (its previous mode is restored) and
    its parameters and their ``.grad`` are left untouched: gradients are
    taken with :func:`torch.autograd.grad` with respect to the stage's
    output only, which a forward hook captures and a tensor (backward) hook
    on it reads. Both hooks are removed afterwards, even on error.

    Parameters
    ----------
    resnet_classifier : ResNetClassifier
        A fitted classifier.
    images : array-like
        Images as for ``ResNetClassifier.fit``: paths, an (n, H, W, 3) uint8
        array or a list of arrays. No test-time augmentation is applied.
    target_layer : str, default="layer4"
        Name of the trunk stage whose output is explained.
    batch_size : int, default=16
        Images per forward pass.

    Returns
    -------
    heatmaps : ndarray of shape (n_images, S, S)
        Float maps in [0, 1] at the network's input size S
        (``image_size``); each is divided by its maximum, and a map with no
        positive evidence is all zeros. A ResNet's layer4 downsamples 32
        times, so ``image_size`` below 64 gives constant maps (with a
        warning).

    See Also
    --------
    plot_grad_cam : Overlay a heatmap on its image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy import ResNetClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 255, size=(4, 64, 64, 3), dtype=np.uint8)
    >>> clf = ResNetClassifier(image_size=64, max_epochs=1, random_state=0)
    >>> clf = clf.fit(X, [0, 1, 0, 1])
    >>> grad_cam(clf, X).shape
    (4, 64, 64)
    """
    from ..neural._data import ImageDataset
    from ..neural._resnet import make_image_transform
    from ..preprocessing._base import as_image_list

    check_is_fitted(resnet_classifier)
    net = resnet_classifier.net_
    module = net.module_
    trunk = getattr(module, "trunk", None)
    layer = getattr(trunk, target_layer, None) if trunk is not None else None
    if not isinstance(layer, torch.nn.Module):
        raise ValueError(f"the network's trunk has no stage named {target_layer!r}")
    image_list = as_image_list(images)
    size = resnet_classifier.image_size
    dataset = ImageDataset(image_list, make_image_transform(size))

    captured = {}

    def keep_gradient(gradient):
        captured["gradient"] = gradient

    def keep_activation(_module, _inputs, output):
        # A frozen trunk gives an output outside the graph: attach it, so the
        # head's gradient still reaches it.
        if not output.requires_grad:
            output = output.detach().requires_grad_(True)
        output.register_hook(keep_gradient)
        captured["activation"] = output
        return output

    was_training = module.training
    handle = layer.register_forward_hook(keep_activation)
    heatmaps = []
    try:
        module.eval()
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size)
        with torch.enable_grad():
            for batch, _ in loader:
                inputs = batch["X"].to(net.device)
                logits = module(inputs)
                score = _positive_score(logits, module.n_outputs).sum()
                activation = captured["activation"]
                torch.autograd.grad(score, activation)
                gradient = captured["gradient"]
                if activation.shape[-2:] == (1, 1) and not heatmaps:
                    warnings.warn(
                        f"{target_layer} gives a 1x1 map at image_size={size}, so "
                        "every heatmap is constant; use a larger image_size or an "
                        "earlier target_layer",
                        UserWarning,
                        stacklevel=2,
                    )
                weights = gradient.mean(dim=(2, 3), keepdim=True)
                cam = F.relu((weights * activation).sum(dim=1, keepdim=True))
                cam = F.interpolate(cam, size=(size, size), mode="bilinear",
                                    align_corners=False)[:, 0]
                peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12)[:, None, None]
                heatmaps.append((cam / peak).clamp(0, 1).detach().cpu().numpy())
    finally:
        handle.remove()
        module.train(was_training)
    if not heatmaps:
        return np.empty((0, size, size), dtype=np.float32)
    return np.concatenate(heatmaps).astype(np.float32)


def plot_grad_cam(image, heatmap, ax=None, alpha=0.45, cmap="jet"):
    """Overlay a Grad-CAM heatmap on its image.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W)
        The image; the heatmap is stretched over its extent.
    heatmap : ndarray of shape (S, S)
        A map in [0, 1] from :func:`grad_cam`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.
    alpha : float, default=0.45
        Opacity of the heatmap.
    cmap : str, default="jet"
        Colour map of the heatmap.

    Returns
    -------
    ax : matplotlib Axes
        The axes, with the image and the heatmap as its two images.

    Examples
    --------
    >>> import numpy as np
    >>> ax = plot_grad_cam(np.zeros((8, 8, 3), dtype=np.uint8), np.eye(4))
    >>> len(ax.images)
    2
    """
    image = np.asarray(image)
    heatmap = np.asarray(heatmap, dtype=float)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be 2-D; got shape {heatmap.shape}")
    if ax is None:
        ax = Figure(figsize=(3, 3), layout="constrained").subplots()
    height, width = image.shape[:2]
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, extent=extent)
    ax.imshow(heatmap, cmap=cmap, alpha=alpha, vmin=0, vmax=1, extent=extent,
              interpolation="bilinear")
    ax.set_axis_off()
    return ax
