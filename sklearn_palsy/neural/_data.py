"""Torch datasets that feed the skorch nets: feature arrays and images.

Items are ``({"X": tensor, "sample_weight": weight}, target)``, so the loss can
weight samples and the fusion net can take a dict of several inputs.
"""

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
)

__all__ = ["ArrayDataset", "ImageDataset", "array_loader"]


def _targets(y, n_samples, binary):
    if y is None:
        y = np.zeros(n_samples)
    return np.asarray(y, dtype=np.float32 if binary else np.int64)


def _weights(sample_weight):
    # Without weights the items carry none and the loss is a plain mean.
    if sample_weight is None:
        return None
    return torch.as_tensor(np.asarray(sample_weight, dtype=np.float32))


def _item(X, weight, index):
    if weight is None:
        return {"X": X}
    return {"X": X, "sample_weight": weight[index]}


class ArrayDataset(Dataset):
    """Rows of a float feature matrix.

    An item is one row; a list of indices gives a whole mini-batch, already
    stacked, which is how :func:`array_loader` reads it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features; stored as float32.
    y : ndarray of shape (n_samples,) or None
        Encoded targets; None gives zeros (for prediction).
    sample_weight : ndarray of shape (n_samples,) or None
        Per-sample loss weights.
    binary : bool
        Float targets for BCE if True, integer targets otherwise.
    """

    def __init__(self, X, y=None, sample_weight=None, binary=True):
        X = np.asarray(X, dtype=np.float32)
        if not X.flags.writeable:
            # torch shares the memory but cannot mark it read-only (and warns);
            # a copy keeps a caller's read-only (e.g. memory-mapped) array safe.
            X = X.copy()
        self.X = torch.as_tensor(X)
        self.y = torch.as_tensor(_targets(y, len(self.X), binary))
        self.sample_weight = _weights(sample_weight)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        if isinstance(index, list):
            # A mini-batch; numpy turns a list into indices faster than torch.
            index = torch.from_numpy(np.asarray(index, dtype=np.int64))
        return _item(self.X[index], self.sample_weight, index), self.y[index]


def array_loader(dataset, *, batch_size, shuffle=False, **kwargs):
    """A DataLoader that takes each mini-batch of an :class:`ArrayDataset` at once.

    The default loader asks the dataset for one row at a time and stacks the
    rows again (``default_collate``); for a small network on feature vectors
    that bookkeeping costs about as much as the arithmetic. Here a
    :class:`~torch.utils.data.BatchSampler` hands the dataset a batch's
    indices, and one tensor indexing returns the batch. The order of the rows
    is drawn exactly as with ``DataLoader(dataset, batch_size, shuffle)``, from
    torch's global generator, so a seeded fit gives the same batches.

    Parameters
    ----------
    dataset : ArrayDataset
        Rows to iterate over.
    batch_size : int
        Rows per mini-batch; the last one may be smaller.
    shuffle : bool, default=False
        Draw a new order of the rows for every pass.
    **kwargs
        Other :class:`~torch.utils.data.DataLoader` arguments, e.g.
        ``num_workers``.

    Returns
    -------
    loader : torch.utils.data.DataLoader
    """
    sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    batches = BatchSampler(sampler, batch_size=batch_size, drop_last=False)
    # batch_size=None: the sampler's lists of indices go to the dataset as they are.
    return DataLoader(dataset, sampler=batches, batch_size=None, **kwargs)


class ImageDataset(Dataset):
    """Images loaded lazily, one item at a time, then transformed.

    Parameters
    ----------
    images : list of str or ndarray
        Paths (read when the item is asked for, so a data set never has to
        fit in memory) or uint8 arrays of shape (H, W, 3) or (H, W).
    transform : callable
        Maps an (H, W, 3) uint8 array to a float tensor of shape (3, S, S),
        or (n_views, 3, S, S) for test-time augmentation.
    y, sample_weight, binary
        As for :class:`ArrayDataset`.
    cache : bool, default=False
        Keep each item's tensor after its first transform, for a transform
        that gives the same tensor every time (no random augmentation): a
        training epoch then costs the network alone. torchvision's
        per-image transforms cost about 1.4 ms an image on two AVX2 cores,
        an eighth of what the demo's 8 epochs spent (38 of its 207 s in a
        profile). Items are memoised in this process only (each DataLoader
        worker keeps its own).
    """

    def __init__(self, images, transform, y=None, sample_weight=None, binary=True,
                 *, cache=False):
        self.images = images
        self.transform = transform
        self.y = torch.as_tensor(_targets(y, len(images), binary))
        self.sample_weight = _weights(sample_weight)
        self._cached = [None] * len(images) if cache else None

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        from ..faces._io import read_image

        tensor = None if self._cached is None else self._cached[index]
        if tensor is None:
            # Grey line images become three identical channels here.
            pixels = read_image(self.images[index], min_size=8)
            tensor = self.transform(pixels)
            if self._cached is not None:
                self._cached[index] = tensor
        return _item(tensor, self.sample_weight, index), self.y[index]
