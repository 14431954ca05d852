"""skorch-wrapped neural classifiers and their torch modules."""

from ._base import BaseNeuralClassifier, bfloat16_supported
from ._data import array_loader
from ._ffnn import FFNNClassifier
from ._modules import MLPModule, ResNetModule, load_resnet_weights
from ._resnet import ResNetClassifier, make_image_transform

__all__ = [
    "BaseNeuralClassifier",
    "FFNNClassifier",
    "MLPModule",
    "ResNetClassifier",
    "ResNetModule",
    "array_loader",
    "bfloat16_supported",
    "load_resnet_weights",
    "make_image_transform",
]
