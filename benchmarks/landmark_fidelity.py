"""How faithfully the detected landmarks' features follow the true ones.

The reference models' features (symmetry, lateral and clinical kinds) are
computed twice on the same synthetic photographs (the reference models'
wide cohort, natural asymmetry and all): from the renderer's true iBUG 68
landmarks and from the landmarks MediaPipe Face Mesh detects. For each
feature, the Pearson correlation between the two over all photos says how
much of what the feature measures the detector reads. The features are
grouped by the part of the face they describe (brow, eye, mouth, other).

The brows are also split by how dark they are against the forehead in the
photo (the rendered pixels: the brow stroke's centre against the skin 0.3
IOD above the brow), to show that a brow the detector cannot see is one it
cannot follow. Run alone (two cores):
``python benchmarks/landmark_fidelity.py``; about one minute. It prints
Markdown tables.
"""

import argparse
import re
import time

import cv2
import numpy as np
from landmark_ceiling import cohort, landmarks

from sklearn_palsy import ExpressionFeatures
from sklearn_palsy.paper import REFERENCE_TRAINING

KINDS = REFERENCE_TRAINING["kinds"]
PARTS = {
    "brow": r"brow",
    "eye": r"eye|lid|mrd|palpebral|canth",
    "mouth": r"lip|commissure|smile|dental|mouth|chin",
}
# The brow asymmetry the brow-contrast table follows.
BROW_FEATURE = "lateral__brow_height_balance"


def brow_contrast(image, truth):
    """The brows' darkness against the forehead, mean of both sides."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float64)
    right_eye, left_eye = truth[36:42].mean(0), truth[42:48].mean(0)
    iod = np.linalg.norm(left_eye - right_eye)
    across = (left_eye - right_eye) / iod
    up = np.array([across[1], -across[0]])
    high = np.array(grey.shape[::-1]) - 1
    contrast = []
    for brow in (truth[17:22], truth[22:27]):
        stroke, forehead = (np.clip(np.round(brow[2] + offset * iod * up), 0, high)
                            .astype(int) for offset in (-0.06, 0.3))
        skin = max(grey[forehead[1], forehead[0]], 1.0)
        contrast.append((skin - grey[stroke[1], stroke[0]]) / skin)
    return float(np.mean(contrast))


def part(name):
    short = name.split("__", 1)[1]
    for label, pattern in PARTS.items():
        if re.search(pattern, short):
            return label
    return "other"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=150,
                        help="patients (and as many controls)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    made = cohort(args.people, args.seed, args.image_size)
    truth, _, _ = landmarks(made, "true")
    found, has_face, scheme = landmarks(made, "detected")
    true_features = ExpressionFeatures(kinds=KINDS, scheme="ibug68")
    X_true = true_features.fit_transform(truth[has_face])
    detected_features = ExpressionFeatures(kinds=KINDS, scheme=scheme)
    X_found = detected_features.fit_transform(found[has_face])
    names = list(true_features.get_feature_names_out())
    found_names = list(detected_features.get_feature_names_out())
    rows = []
    for column, name in enumerate(names):
        if name not in found_names:
            continue  # a measure only one scheme has
        a, b = X_true[:, column], X_found[:, found_names.index(name)]
        if np.std(a) > 0 and np.std(b) > 0:
            rows.append((part(name), name, float(np.corrcoef(a, b)[0, 1])))

    print(f"{int(has_face.sum())} photos with a face, of {len(has_face)} "
          f"({args.image_size} px)\n")
    print("| part of the face | features | median r | lowest r | highest r |")
    print("| --- | --- | --- | --- | --- |")
    for label in (*PARTS, "other"):
        values = [r for group, _, r in rows if group == label]
        if values:
            print(f"| {label} | {len(values)} | {np.median(values):.2f} | "
                  f"{min(values):.2f} | {max(values):.2f} |")

    contrast = np.array([brow_contrast(image, points) for image, points
                         in zip(made.images[has_face], truth[has_face], strict=True)])
    brow = names.index(BROW_FEATURE)
    found_brow = found_names.index(BROW_FEATURE)
    print(f"\n`{BROW_FEATURE}`, true against detected, by the brows' contrast "
          "with the forehead:\n")
    print("| brow contrast | photos | r |")
    print("| --- | --- | --- |")
    edges = np.quantile(contrast, [0, 0.25, 0.5, 0.75, 1])
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (contrast >= low) & (contrast <= high)
        r = np.corrcoef(X_true[inside, brow], X_found[inside, found_brow])[0, 1]
        print(f"| {low:.2f} to {high:.2f} | {int(inside.sum())} | {r:.2f} |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
