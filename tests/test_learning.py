"""Learning tests: each model beats chance clearly under GroupKFold by patient.

The paper-sized synthetic cohort (21 patients, 21 controls, five expressions)
is written to disk and read back as image paths; landmarks come from dlib's
detector (through the shared face cache), not from the ground truth. Every
model is scored out of fold with GroupKFold(3), so no patient is ever on
both sides. Networks are small and trained briefly so the module runs in
about two minutes and a half on two CPU cores (marked slow: make test-slow).

A bound on a learning outcome must hold on every CPU: the kernels of AVX2,
AVX-512 and AMX cores round differently, and a small network trained on 140
images turns the last digits into other scores. The bounds sit below the
spread that ``benchmarks/learning_spread.py`` measured (network seeds, the
cohort of seed 0; "AVX-512" from 2026-12-02 on another machine, the other
rows on 2026-12-06 on AMD EPYC cores with AVX2 and no AVX-512, natively and
under ``ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41``)::

    ISA      seed  features_ffnn     lines_resnet      fusion   fusion - features
                   bal.acc  AUC      bal.acc  AUC      F1       F1
    AVX-512  0     -        -        0.671    0.677    0.920    +0.000
    AVX-512  1     -        -        0.710    0.780    0.907    -0.013
    AVX-512  2     -        -        0.686    0.764    0.894    -0.047
    AVX2     0     0.943    0.982    0.614    0.652    0.915    -0.026
    AVX2     1     0.914    0.973    0.690    0.789    0.892    -0.020
    AVX2     2     0.919    0.981    0.705    0.763    0.930    +0.014
    DEFAULT  0     0.943    0.982    0.710    0.774    0.911    -0.030
    DEFAULT  1     0.914    0.973    0.714    0.812    0.919    +0.007

The line-image ResNet spreads most (balanced accuracy 0.614 to 0.714, AUC
0.652 to 0.812); its bounds sit below the lowest and still well above
chance (sd of balanced accuracy about 0.035, of AUC about 0.04, for 210
images under the null).
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


def ffnn(seed):
    # lr=1e-2 lets the features trunk converge within the fusion's 15 epochs
    # too; the branch alone uses the very same estimator, for a fair comparison.
    return FFNNClassifier(max_epochs=60, lr=1e-2, random_state=seed)


def resnet(seed):
    # No augmentation: small affine jitter of thin line drawings hurt more
    # than it helped here (out-of-fold AUC 0.76 and 0.80 without it against
    # 0.73 and 0.60 with it, seeds 0 and 1).
    return ResNetClassifier(image_size=IMAGE_SIZE, max_epochs=15, lr=1e-3,
                            augment="none", random_state=seed)


MODELS = {
    "features_ffnn": lambda seed: make_pipeline(features_view(), ffnn(seed)),
    "lines_resnet": lambda seed: make_pipeline(lines_view(), resnet(seed)),
    "lines+features_intermediate": lambda seed: IntermediateFusionClassifier(
        [("lines", make_pipeline(lines_view(), resnet(seed))),
         ("features", make_pipeline(features_view(), ffnn(seed)))],
        max_epochs=15, random_state=seed,
    ),
}


def out_of_fold_scores(directory, seed=0):
    """Out-of-fold scores of ``MODELS`` with networks seeded by ``seed``.

    The cohort is always the one of ``random_state=0``, written to
    ``directory``; ``benchmarks/learning_spread.py`` calls this with other
    seeds and instruction sets to measure the spread the bounds allow for.
    """
    cohort = make_synthetic_cohort(random_state=0, output_dir=directory)
    X, y, groups = cohort.X, cohort.y, cohort.groups
    splits = list(GroupKFold(3).split(X, y, groups))
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    proba = {}
    for name, make in MODELS.items():
        proba[name] = np.empty(len(y))
        for train, test in splits:
            model = make(seed).fit(X[train], y[train])
            proba[name][test] = model.predict_proba(X[test])[:, 1]
    scores = {
        name: {
            "balanced_accuracy": balanced_accuracy_score(y, p > 0.5),
            "f1": f1_score(y, p > 0.5),
            "roc_auc": roc_auc_score(y, p),
        }
        for name, p in proba.items()
    }
    return scores


@pytest.fixture(scope="module")
def out_of_fold(tmp_path_factory):
    scores = out_of_fold_scores(tmp_path_factory.mktemp("learning"))
    print("\nout-of-fold scores under GroupKFold(3):")
    for name, values in scores.items():
        print(f"  {name:<30}", {k: round(v, 3) for k, v in values.items()})
    return scores


def test_ffnn_on_features_beats_chance_clearly(out_of_fold):
    # Measured 0.914 to 0.943 and 0.973 to 0.982 (module docstring).
    assert out_of_fold["features_ffnn"]["balanced_accuracy"] >= 0.75
    assert out_of_fold["features_ffnn"]["roc_auc"] >= 0.85


def test_resnet_on_line_images_beats_chance_clearly(out_of_fold):
    # Line drawings from detected landmarks at 48 px are a hard view for a
    # ResNet trained from scratch on 140 images; chance is 0.5. Over seeds
    # and instruction sets its balanced accuracy ranged from 0.614 to 0.714
    # and its AUC from 0.652 to 0.812 (module docstring): the bounds sit
    # below both minima, 2.3 and 2.5 null sds above chance.
    assert out_of_fold["lines_resnet"]["balanced_accuracy"] >= 0.58
    assert out_of_fold["lines_resnet"]["roc_auc"] >= 0.60


def test_intermediate_fusion_learns_from_both_branches(out_of_fold):
    fusion = out_of_fold["lines+features_intermediate"]["f1"]
    features = out_of_fold["features_ffnn"]["f1"]
    lines = out_of_fold["lines_resnet"]["f1"]
    # The fusion clearly uses the features (above the lines alone by 0.165
    # of F1 at the least measured), but it is not better than the
    # features alone: fusion minus features ranged from -0.047 to +0.014 of
    # F1 over seeds and instruction sets (module docstring; 0.925 against
    # 0.967 with MediaPipe's landmarks). The paper, too, found that fusion
    # traded recall for precision. One image is about 0.005 of F1; the
    # bound allows twelve images below the better branch.
    assert fusion >= lines + 0.1
    assert fusion >= features - 0.06
