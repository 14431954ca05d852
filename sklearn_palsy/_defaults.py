"""The paper's configurations and the experiment's defaults, in one light module.

The command-line tool builds its ``--help`` from these without importing
torch, dlib or MediaPipe, and the library's functions read their defaults
from here, so that a default is written once.
"""

__all__ = ["DEMO_EPOCHS", "DEMO_IMAGE_SIZE", "PAPER_PIPELINES", "TRAIN_EPOCHS"]

#: The paper's seven configurations, in the order of its table.
PAPER_PIPELINES = (
    "features_ffnn",
    "landmarks_ffnn",
    "rgb_resnet",
    "lines_resnet",
    "lines+features_intermediate",
    "lines+features_late",
    "rgb+features_intermediate",
)

#: Side of crops and line images in the demo and ``evaluate``: small, so the
#: whole comparison runs in minutes on two CPU cores (the paper used 224).
DEMO_IMAGE_SIZE = 48

#: Epochs of the demo and ``evaluate`` (FFNN, ResNet, fusion net).
DEMO_EPOCHS = {"ffnn_epochs": 60, "resnet_epochs": 8, "fusion_epochs": 8}

#: Epochs of :func:`~sklearn_palsy.make_paper_pipelines`, and so of ``train``.
TRAIN_EPOCHS = {"ffnn_epochs": 100, "resnet_epochs": 10, "fusion_epochs": 20}
