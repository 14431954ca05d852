"""skorch-wrapped neural classifiers and their torch modules."""

from ._base import bfloat16_supported
from ._ffnn import FFNNClassifier
from ._modules import MLPModule, ResNetModule, load_resnet_weights
from ._resnet import ResNetClassifier, make_image_transform

__all__ = [
    "FFNNClassifier",
    "MLPModule",
    "ResNetClassifier",
    "ResNetModule",
    "bfloat16_supported",
    "load_resnet_weights",
    "make_image_transform",
]
