"""How much of the reference models' error is the landmark model's.

The same synthetic people (the reference models' wide cohort: variety,
natural asymmetry, yaw within ±15° and pitch within ±10°, severity 0.1-1,
central and peripheral palsy) are read twice: from the renderer's true
iBUG 68 landmarks, and from the landmarks MediaPipe Face Mesh detects on the
224-pixel photographs. On each, the reference models' recipe is fitted (the
symmetry, lateral and clinical features, a scaler and the (32, 16) network
for palsy, and the same for central against peripheral on the patients)
and scored on held-out people of the same kind:

* palsy: ROC AUC per photo, and the sensitivity to moderate-to-severe palsy
  (severity above 0.2) at the threshold that calls 90 % of the held-out
  controls' photos healthy;
* type: balanced accuracy per photo between central and peripheral palsy.

The gap between the two rows is what the detected landmarks lose on these
photographs. ``--kinds`` compares other feature sets on the detected
landmarks, ``--image-size`` renders larger photographs. Run alone (two
cores): ``python benchmarks/landmark_ceiling.py``; about four minutes. It
prints a Markdown table.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import ExpressionFeatures, LandmarkDetector
from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.neural import FFNNClassifier
from sklearn_palsy.paper import MODERATE_SEVERITY, REFERENCE_TRAINING

KINDS = REFERENCE_TRAINING["kinds"]


def cohort(n_people, seed, image_size=224):
    return make_synthetic_cohort(
        n_patients=n_people, n_controls=n_people, image_size=image_size,
        severity_range=REFERENCE_TRAINING["severity_range"],
        palsy_types=("peripheral", "central"), variety="wide",
        natural_asymmetry=True, random_state=seed)


def landmarks(made, source):
    """The landmarks of every photo and the mask of those with a face."""
    if source == "true":
        return made.landmarks, np.ones(len(made.y), dtype=bool), "ibug68"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = LandmarkDetector(backend="mediapipe",
                                 on_missing="nan").fit_transform(made.images)
    return found, ~np.isnan(found).any(axis=(1, 2)), "mediapipe"


def network(X, y):
    return FFNNClassifier(
        hidden_layer_sizes=REFERENCE_TRAINING["hidden_layer_sizes"],
        dropout=REFERENCE_TRAINING["dropout"], lr=REFERENCE_TRAINING["lr"],
        weight_decay=REFERENCE_TRAINING["weight_decay"],
        max_epochs=REFERENCE_TRAINING["epochs"],
        batch_size=REFERENCE_TRAINING["batch_size"], random_state=0).fit(X, y)


def scores(train, test, found, kinds):
    """The recipe fitted on ``train``'s landmarks and scored on ``test``'s."""
    (train_points, train_found, scheme), (test_points, test_found, _) = found
    features = ExpressionFeatures(kinds=kinds, scheme=scheme)
    X = features.fit_transform(train_points[train_found])
    X_test = features.transform(test_points[test_found])
    y, y_test = train.y[train_found], test.y[test_found]
    scaler = StandardScaler().fit(X)
    proba = network(scaler.transform(X), y).predict_proba(
        scaler.transform(X_test))[:, 1]
    threshold = np.quantile(proba[y_test == 0], 0.9)
    moderate = (y_test == 1) & (test.severity[test_found] > MODERATE_SEVERITY)
    patients, test_patients = y == 1, y_test == 1
    kind, kind_test = train.palsy_type[train_found], test.palsy_type[test_found]
    type_scaler = StandardScaler().fit(X[patients])
    types = network(type_scaler.transform(X[patients]), kind[patients]).predict(
        type_scaler.transform(X_test[test_patients]))
    return {
        "roc_auc": roc_auc_score(y_test, proba),
        "sensitivity": float(np.mean(proba[moderate] >= threshold)),
        "type": balanced_accuracy_score(kind_test[test_patients], types),
        "photos": int(test_found.sum()),
    }


def add_people_arguments(parser):
    """--people and --held-out: the training and held-out cohorts' sizes."""
    parser.add_argument("--people", type=int, default=400,
                        help="patients (and as many controls) to train on")
    parser.add_argument("--held-out", type=int, default=150,
                        help="held-out patients (and as many controls)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_people_arguments(parser)
    parser.add_argument("--image-size", type=int, default=224,
                        help="side of the rendered photos in pixels (default: "
                        "224, the reference models')")
    parser.add_argument("--kinds", nargs="+", default=[",".join(KINDS)],
                        help="feature kinds to compare on detected landmarks, "
                        "each a comma-separated set (default: the reference "
                        "models')")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    train = cohort(args.people, 21, args.image_size)
    test = cohort(args.held_out, 22, args.image_size)
    print("| landmarks | features | photos scored | palsy ROC AUC per photo | "
          "sensitivity, moderate-severe, at 90 % specificity | type balanced "
          "accuracy per photo |")
    print("| --- | --- | --- | --- | --- | --- |")
    for source in ("true", "detected"):
        found = (landmarks(train, source), landmarks(test, source))
        name = ("true (the renderer's iBUG 68)" if source == "true"
                else f"detected (MediaPipe Face Mesh, {args.image_size} px)")
        for kinds in ([",".join(KINDS)] if source == "true" else args.kinds):
            result = scores(train, test, found, tuple(kinds.split(",")))
            print(f"| {name} | {kinds.replace(',', ' + ')} | {result['photos']} | "
                  f"{result['roc_auc']:.3f} | {result['sensitivity']:.3f} | "
                  f"{result['type']:.3f} |", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
