"""Learning tests: each model beats chance clearly under GroupKFold by patient.

The paper-sized synthetic cohort (21 patients, 21 controls, five expressions)
is written to disk and read back as image paths; landmarks come from dlib's
detector (through the shared face cache), not from the ground truth. Every
model is scored out of fold with GroupKFold(3), so no patient is ever on
both sides. Networks are small and trained briefly so the module runs in
about a minute and a half on two CPU cores.
"""

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import (
    ExpressionFeatures,
    FFNNClassifier,
    IntermediateFusionClassifier,
    LandmarkDetector,
    LineSegmentRenderer,
    ResNetClassifier,
    make_synthetic_cohort,
)

pytestmark = pytest.mark.slow

IMAGE_SIZE = 48


# dlib's landmarks, as when these bounds were set. With MediaPipe, the default
# backend, the features alone reach F1 0.967 and the fusion 0.925 on this
# cohort: the fusion then falls short of its better branch (see the README);
# tests/test_mediapipe.py compares the backends.
def landmarks():
    return LandmarkDetector(backend="dlib")


def features_view():
    return make_pipeline(landmarks(), ExpressionFeatures(kinds=("symmetry",
                                                                "clinical")),
                         StandardScaler())


def lines_view():
    # One-pixel lines: at 48 px the default two-pixel lines merge the lips and
    # eyes into blobs (balanced accuracy 0.59-0.61 against 0.67-0.71 with one
    # pixel, seeds 0-2, on this cohort).
    return make_pipeline(landmarks(),
                         LineSegmentRenderer(size=IMAGE_SIZE, thickness=1))


def ffnn():
    # lr=1e-2 lets the features trunk converge within the fusion's 15 epochs
    # too; the branch alone uses the very same estimator, for a fair comparison.
    return FFNNClassifier(max_epochs=60, lr=1e-2, random_state=0)


def resnet():
    # No augmentation: small affine jitter of thin line drawings hurt more
    # than it helped here (out-of-fold AUC 0.76 and 0.80 without it against
    # 0.73 and 0.60 with it, seeds 0 and 1).
    return ResNetClassifier(image_size=IMAGE_SIZE, max_epochs=15, lr=1e-3,
                            augment="none", random_state=0)


MODELS = {
    "features_ffnn": lambda: make_pipeline(features_view(), ffnn()),
    "lines_resnet": lambda: make_pipeline(lines_view(), resnet()),
    "lines+features_intermediate": lambda: IntermediateFusionClassifier(
        [("lines", make_pipeline(lines_view(), resnet())),
         ("features", make_pipeline(features_view(), ffnn()))],
        max_epochs=15, random_state=0,
    ),
}


@pytest.fixture(scope="module")
def out_of_fold(tmp_path_factory):
    cohort = make_synthetic_cohort(random_state=0,
                                   output_dir=tmp_path_factory.mktemp("learning"))
    X, y, groups = cohort.X, cohort.y, cohort.groups
    splits = list(GroupKFold(3).split(X, y, groups))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    proba = {}
    for name, make in MODELS.items():
        proba[name] = np.empty(len(y))
        for train, test in splits:
            model = make().fit(X[train], y[train])
            proba[name][test] = model.predict_proba(X[test])[:, 1]
    scores = {
        name: {
            "balanced_accuracy": balanced_accuracy_score(y, p > 0.5),
            "f1": f1_score(y, p > 0.5),
            "roc_auc": roc_auc_score(y, p),
        }
        for name, p in proba.items()
    }
    print("\nout-of-fold scores under GroupKFold(3):")
    for name, values in scores.items():
        print(f"  {name:<30}", {k: round(v, 3) for k, v in values.items()})
    return scores


def test_ffnn_on_features_beats_chance_clearly(out_of_fold):
    assert out_of_fold["features_ffnn"]["balanced_accuracy"] >= 0.75
    assert out_of_fold["features_ffnn"]["roc_auc"] >= 0.85


def test_resnet_on_line_images_beats_chance_clearly(out_of_fold):
    # Line drawings from detected landmarks at 48 px are a hard view for a
    # ResNet trained from scratch on 140 images; chance is 0.5. Its scores
    # move with the seed and with the library versions (balanced accuracy
    # 0.671 / 0.710 / 0.686 and AUC 0.677 / 0.780 / 0.764 with seeds 0 / 1 /
    # 2 on 2026-12-02), so the bounds sit below all of them, and well above
    # chance (sd about 0.04 for 210 images).
    assert out_of_fold["lines_resnet"]["balanced_accuracy"] >= 0.62
    assert out_of_fold["lines_resnet"]["roc_auc"] >= 0.65


def test_intermediate_fusion_learns_from_both_branches(out_of_fold):
    fusion = out_of_fold["lines+features_intermediate"]["f1"]
    features = out_of_fold["features_ffnn"]["f1"]
    lines = out_of_fold["lines_resnet"]["f1"]
    # The fusion clearly uses the features (far above the lines alone), but
    # it is not better than the features alone: F1 0.920 against 0.920 on
    # 2026-11-30, 0.907 against 0.920 and 0.894 against 0.941 on 2026-12-02
    # with other versions of numpy and OpenCV (0.925 against 0.967 with
    # MediaPipe's landmarks). The paper, too, found that fusion traded
    # recall for precision. One image is about 0.005 of F1; the bound allows
    # twelve images below the better branch.
    assert fusion >= lines + 0.1
    assert fusion >= features - 0.06
