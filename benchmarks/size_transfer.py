"""Does one threshold hold on small and large faces?

The same synthetic people (the reference models' wide cohort, natural
asymmetry included) are photographed at 224 and at 448 pixels; on the
wide variety's 224-pixel photos the eyes are about 45 pixels apart, on
448-pixel ones about 90. The reference models' recipe (MediaPipe
landmarks, the symmetry, lateral and clinical features, a scaler and the
(32, 16) network) is trained on photos of one size, of both sizes (half
the people at each, or every person at both), with or without the face's
size as a feature (``kinds=(..., "face_size")``), and scored on held-out
people at each size. One threshold per model, chosen for 90 % specificity
on the held-out controls of both sizes together, shows whether it holds
at each size: a small face's landmarks are noisier, and noise reads as
asymmetry. The type model (central or peripheral) is scored per photo. A
second table does the same per person (the mean of a person's five
photos' probabilities, as ``assess`` pools them), with one person
threshold chosen on the held-out controls' means of both sizes, and gives
the sensitivity to moderate-to-severe palsy at it. Both thresholds are
chosen on the people they are scored on, so the specificities are about
their spread across sizes, not about a threshold chosen beforehand.

Run alone (two cores): ``python benchmarks/size_transfer.py``; about 17
minutes, nearly all of it rendering the 448-pixel photos. It prints two
Markdown tables.
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from landmark_ceiling import add_people_arguments, cohort, landmarks, network
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

from sklearn_palsy import ExpressionFeatures
from sklearn_palsy.paper import MODERATE_SEVERITY, REFERENCE_TRAINING

KINDS = tuple(kind for kind in REFERENCE_TRAINING["kinds"] if kind != "face_size")
SIZES = (224, 448)


def features(made):
    """Both feature sets of a cohort (without and with the face's size)."""
    points, found, scheme = landmarks(made, "detected")
    out = {}
    for with_size in (False, True):
        kinds = (*KINDS, "face_size") if with_size else KINDS
        X = ExpressionFeatures(kinds=kinds, scheme=scheme).fit_transform(points[found])
        out[with_size] = {"X": X, "y": made.y[found], "type": made.palsy_type[found],
                          "groups": made.groups[found],
                          "severity": made.severity[found]}
    return out


def pick(data, keep):
    return {key: value[keep] for key, value in data.items()}


def stack(parts):
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def per_person(held, proba):
    """Each person's label, severity and mean probability."""
    return pd.DataFrame({"person": held["groups"], "y": held["y"],
                         "severity": held["severity"], "proba": proba}).groupby(
        "person").agg({"y": "first", "severity": "first", "proba": "mean"})


def fit(train):
    scaler = StandardScaler().fit(train["X"])
    palsy = network(scaler.transform(train["X"]), train["y"])
    patients = train["y"] == 1
    type_scaler = StandardScaler().fit(train["X"][patients])
    kind = network(type_scaler.transform(train["X"][patients]),
                   train["type"][patients])
    return (lambda X: palsy.predict_proba(scaler.transform(X))[:, 1],
            lambda X: kind.predict(type_scaler.transform(X)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_people_arguments(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    train, test = {}, {}
    for size in SIZES:
        for store, n_people, seed in ((train, args.people, 21),
                                      (test, args.held_out, 22)):
            for with_size, data in features(cohort(n_people, seed, size)).items():
                store[with_size, size] = data
    people = np.unique(train[False, SIZES[0]]["groups"])
    large = set(people[np.random.default_rng(0).random(len(people)) < 0.5])

    def designs(with_size):
        small_set, large_set = (train[with_size, size] for size in SIZES)
        half = stack([
            pick(small_set, ~np.isin(small_set["groups"], list(large))),
            pick(large_set, np.isin(large_set["groups"], list(large))),
        ])
        return {f"{SIZES[0]}-pixel photos": small_set,
                f"{SIZES[1]}-pixel photos": large_set,
                "half the people at each size": half,
                "every person at both sizes": stack([small_set, large_set])}

    photo_rows, person_rows = [], []
    for with_size in (False, True):
        for name, training in designs(with_size).items():
            if with_size and "both" not in name and "half" not in name:
                continue  # one size: the feature barely varies
            proba, kind = fit(training)
            held = {size: test[with_size, size] for size in SIZES}
            scored = {size: proba(held[size]["X"]) for size in SIZES}
            threshold = np.quantile(np.concatenate(
                [scored[size][held[size]["y"] == 0] for size in SIZES]), 0.9)
            people = {size: per_person(held[size], scored[size]) for size in SIZES}
            person_threshold = np.quantile(np.concatenate(
                [people[size]["proba"][people[size]["y"] == 0] for size in SIZES]), 0.9)
            cells = [f"{np.mean(scored[size][held[size]['y'] == 0] < threshold):.3f}"
                     for size in SIZES]
            cells += [f"{roc_auc_score(held[size]['y'], scored[size]):.3f}"
                      for size in SIZES]
            for size in SIZES:
                patients = held[size]["y"] == 1
                accuracy = balanced_accuracy_score(held[size]["type"][patients],
                                                   kind(held[size]["X"][patients]))
                cells.append(f"{accuracy:.3f}")
            person_cells = []
            for size in SIZES:
                frame = people[size]
                moderate = (frame["y"] == 1) & (frame["severity"] > MODERATE_SEVERITY)
                healthy = frame["proba"][frame["y"] == 0]
                person_cells += [
                    f"{np.mean(healthy < person_threshold):.3f}",
                    f"{np.mean(frame['proba'][moderate] >= person_threshold):.3f}",
                ]
            label = f"| {name} | {'yes' if with_size else 'no'} | "
            photo_rows.append(label + " | ".join(cells) + " |")
            person_rows.append(label + " | ".join(person_cells) + " |")
            print(photo_rows[-1], person_rows[-1], sep="\n", flush=True)

    print("\nPer photo:\n")
    print("| trained on | face size a feature | "
          + " | ".join(f"specificity, {size} px" for size in SIZES) + " | "
          + " | ".join(f"ROC AUC, {size} px" for size in SIZES) + " | "
          + " | ".join(f"type, {size} px" for size in SIZES) + " |")
    print("| --- " * (2 + 3 * len(SIZES)) + "|")
    print("\n".join(photo_rows))
    print("\nPer person:\n")
    print("| trained on | face size a feature | "
          + " | ".join(f"specificity, {size} px | sensitivity, moderate to severe, "
                       f"{size} px" for size in SIZES) + " |")
    print("| --- " * (2 + 2 * len(SIZES)) + "|")
    print("\n".join(person_rows))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
