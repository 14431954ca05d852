"""The paper's configurations and the experiment's defaults, in one light module.

The command-line tool builds its ``--help`` from these without importing
torch, dlib or MediaPipe, and the library's functions read their defaults
from here, so that a default is written once.
"""

__all__ = [
    "DEMO_EPOCHS",
    "DEMO_FOLDS",
    "DEMO_IMAGE_SIZE",
    "DEMO_RESNET_ARCH",
    "FFNN_LR",
    "FFNN_WEIGHT_DECAY",
    "PAPER_IMAGE_SIZE",
    "PAPER_PIPELINES",
    "TRAIN_EPOCHS",
]

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

#: Side of crops and line images in the paper, and the default of
#: :func:`~sklearn_palsy.paper.make_paper_pipelines`.
PAPER_IMAGE_SIZE = 224

#: Side of crops and line images in the demo, ``evaluate`` and ``train``:
#: small, so the whole comparison runs in minutes on two CPU cores.
DEMO_IMAGE_SIZE = 48

#: ResNet of the demo and ``evaluate``: torchvision's ResNet with one basic
#: block per stage (ResNet-10), trained from scratch at 48 px. On two AVX2
#: cores (no AVX-512) the demo with the paper's ResNet-18 and GroupKFold(5)
#: took 309 s, its 20 ResNet fits most of it; a ResNet-10 training step is
#: 2.3 times faster. ``make_paper_pipelines`` and ``train`` keep ResNet-18.
DEMO_RESNET_ARCH = "resnet10"

#: GroupKFold folds of the demo: four train 16 networks instead of 20, on 31
#: or 32 patients instead of 33 or 34. With ResNet-10s and four folds the
#: demo took 160 s on the same cores, and every row of the paper's table
#: moved by less than its sd over the folds (benchmarks/README.md has both
#: tables). ``evaluate`` keeps five folds by default.
DEMO_FOLDS = 4

#: Epochs of the demo and ``evaluate`` (FFNN, ResNet, fusion net).
DEMO_EPOCHS = {"ffnn_epochs": 60, "resnet_epochs": 8, "fusion_epochs": 8}

#: Epochs of :func:`~sklearn_palsy.make_paper_pipelines`, and so of ``train``.
TRAIN_EPOCHS = {"ffnn_epochs": 100, "resnet_epochs": 10, "fusion_epochs": 20}

#: Adam's learning rate of the FFNNs, standalone and as fusion trunks:
#: higher than the estimator's default so that the features trunk also
#: converges within the fusion net's fewer epochs.
FFNN_LR = 1e-2

#: L2 weight decay (Adam's ``weight_decay``) of the paper's FFNNs. Without it
#: the FFNN's out-of-fold probabilities on the synthetic cohort (MediaPipe
#: landmarks, GroupKFold(5)) were exactly 0 or 1 for 32 % of the images (log
#: loss 0.31); with 1e-2, none were (log loss 0.13), at the same Brier score
#: (0.031 against 0.035) and ROC AUC (0.993 against 0.989).
FFNN_WEIGHT_DECAY = 1e-2
