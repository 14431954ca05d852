"""The paper's seven configurations as ready-to-evaluate estimators."""

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..fusion import IntermediateFusionClassifier, make_late_fusion
from ..neural._ffnn import FFNNClassifier
from ..neural._resnet import ResNetClassifier
from ..preprocessing._face import FaceCropper, LandmarkDetector
from ..preprocessing._features import ExpressionFeatures
from ..preprocessing._lines import LineSegmentRenderer
from ._defaults import (
    FFNN_LR,
    FFNN_WEIGHT_DECAY,
    PAPER_IMAGE_SIZE,
    PAPER_PIPELINES,
    TRAIN_EPOCHS,
)

__all__ = ["PAPER_PIPELINES", "make_paper_pipelines"]


def make_paper_pipelines(
    *,
    image_size=PAPER_IMAGE_SIZE,
    ffnn_epochs=TRAIN_EPOCHS["ffnn_epochs"],
    ffnn_lr=FFNN_LR,
    ffnn_weight_decay=FFNN_WEIGHT_DECAY,
    resnet_epochs=TRAIN_EPOCHS["resnet_epochs"],
    fusion_epochs=TRAIN_EPOCHS["fusion_epochs"],
    resnet_arch="resnet18",
    weights=None,
    freeze="none",
    backend="auto",
    class_weight=None,
    cache_dir=None,
    random_state=None,
    device="cpu",
):
    """Build the paper's single-modality and fusion models, unfitted.

    Every estimator starts from image paths (or image arrays): faces are
    detected once per distinct image through the shared cache, then each
    configuration computes its view.

    - ``features_ffnn``: expression features (29 symmetry features and the
      clinical measures), standardised, into an FFNN;
    - ``landmarks_ffnn``: aligned landmark coordinates into an FFNN;
    - ``rgb_resnet``: RGB face crops into a ResNet;
    - ``lines_resnet``: line-segment images into a ResNet;
    - ``lines+features_intermediate``: the paper's fusion, trunks joined
      before a joint head (:class:`~sklearn_palsy.IntermediateFusionClassifier`);
    - ``lines+features_late``: the ``lines_resnet`` and ``features_ffnn``
      pipelines fused by averaging their probabilities (scikit-learn's soft
      :class:`~sklearn.ensemble.VotingClassifier`);
    - ``rgb+features_intermediate``: RGB crops and features, joined.

    Parameters
    ----------
    image_size : int, default=224
        Side of the crops and line images (the paper's 224; smaller is much
        faster on a CPU).
    ffnn_epochs, resnet_epochs, fusion_epochs : int, default=100, 10, 20
        Training epochs of the FFNNs, the ResNets and the joint fusion nets.
    resnet_arch : {"resnet18", "resnet10", "resnet34", "resnet50"}, \
default="resnet18"
        Architecture of every ResNet, fusion trunks included
        (:class:`~sklearn_palsy.ResNetClassifier`'s ``arch``).
    ffnn_lr : float, default=1e-2
        Adam's learning rate for the FFNNs, standalone and as fusion trunks.
        Higher than the estimator's default so that the features trunk also
        converges within the fusion net's fewer epochs.
    ffnn_weight_decay : float, default=1e-2
        L2 weight decay of the standalone FFNNs, so that their probabilities
        mean something: without it a third of the out-of-fold probabilities
        on the synthetic cohort were exactly 0 or 1
        (:data:`~sklearn_palsy.paper.FFNN_WEIGHT_DECAY` has the figures).
    weights : None, "imagenet" or path, default=None
        Initial ResNet weights (the paper fine-tuned ImageNet weights; they
        must be provided as a file where there is no network).
    freeze : {"none", "backbone", "all_but_layer4"}, default="none"
        ResNet layers kept fixed.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model of every configuration, the face crops' included:
        ``"auto"`` is MediaPipe Face Mesh where it runs, else dlib
        (:func:`~sklearn_palsy.faces.resolve_backend`). The feature and
        line-image steps take their landmark scheme from the landmarks
        (``scheme="auto"``).
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes in every network's loss (FFNNs, ResNets and
        the joint fusion nets). None weighs every image equally, as the paper
        did. With unequal classes, such as a cohort of 70 % patients,
        ``"balanced"`` weighs each class inversely to its frequency in the
        training fold, so that the minority class is not traded away for
        accuracy; per-patient scores are then the fairer comparison.
    cache_dir : str or path-like, default=None
        On-disk face cache shared by all configurations.
    random_state : int or None, default=None
        Seed of every network.
    device : str, default="cpu"
        Torch device.

    Returns
    -------
    estimators : dict of str to estimator
        Named, unfitted estimators, in the order of ``PAPER_PIPELINES``.

    Examples
    --------
    >>> from sklearn_palsy import make_paper_pipelines
    >>> models = make_paper_pipelines(image_size=64, random_state=0)
    >>> list(models)[:2]
    ['features_ffnn', 'landmarks_ffnn']
    >>> type(models["lines+features_intermediate"]).__name__
    'IntermediateFusionClassifier'
    >>> type(models["lines+features_late"]).__name__
    'VotingClassifier'
    """
    # The features and drawings take their scheme from the landmarks they
    # are fitted on, whichever backend "auto" turns out to be.
    scheme = "auto"

    def landmarks():
        return LandmarkDetector(backend=backend, cache_dir=cache_dir)

    def features_view():
        return Pipeline([
            ("landmarks", landmarks()),
            ("features", ExpressionFeatures(kinds=("symmetry", "clinical"),
                                            scheme=scheme)),
            ("scale", StandardScaler()),
        ])

    def lines_view():
        return Pipeline([
            ("landmarks", landmarks()),
            ("lines", LineSegmentRenderer(size=image_size, scheme=scheme)),
        ])

    def rgb_view():
        return FaceCropper(size=image_size, backend=backend,
                           cache_dir=cache_dir)

    def ffnn(**params):
        return FFNNClassifier(max_epochs=ffnn_epochs, lr=ffnn_lr,
                              weight_decay=ffnn_weight_decay,
                              class_weight=class_weight, random_state=random_state,
                              device=device, **params)

    def resnet(**params):
        return ResNetClassifier(
            image_size=image_size, arch=resnet_arch, weights=weights,
            freeze=freeze,
            max_epochs=resnet_epochs, class_weight=class_weight,
            random_state=random_state, device=device, **params,
        )

    def features_ffnn():
        return Pipeline(features_view().steps + [("ffnn", ffnn())])

    def lines_resnet():
        return Pipeline(lines_view().steps + [("resnet", resnet())])

    def rgb_resnet():
        return Pipeline([("crop", rgb_view()), ("resnet", resnet())])

    def intermediate(image_branch, image_pipeline):
        return IntermediateFusionClassifier(
            [(image_branch, image_pipeline), ("features", features_ffnn())],
            max_epochs=fusion_epochs,
            class_weight=class_weight,
            random_state=random_state,
            device=device,
        )

    return {
        "features_ffnn": features_ffnn(),
        "landmarks_ffnn": Pipeline([
            ("landmarks", landmarks()),
            ("coordinates", ExpressionFeatures(kinds=("coordinates",), scheme=scheme)),
            ("scale", StandardScaler()),
            ("ffnn", ffnn()),
        ]),
        "rgb_resnet": rgb_resnet(),
        "lines_resnet": lines_resnet(),
        "lines+features_intermediate": intermediate("lines", lines_resnet()),
        "lines+features_late": make_late_fusion(
            [("lines", lines_resnet()), ("features", features_ffnn())]
        ),
        "rgb+features_intermediate": intermediate("rgb", rgb_resnet()),
    }
