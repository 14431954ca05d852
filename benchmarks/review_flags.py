"""How well the review page's disagreement flag finds displaced landmarks.

Run ``python benchmarks/review_flags.py`` (about two minutes: 600 photos
rendered and detected by both landmark models), or with ``--quick``.
Not a benchmark of speed: it measures the flag that
:func:`~sklearn_palsy.reporting.landmark_quality_flags` raises when the
landmarks under review and the other landmark model disagree
(``flag_disagreement``, threshold
:data:`~sklearn_palsy.reporting._quality.DISAGREEMENT_THRESHOLD`), and
prints one Markdown table.

The scheme: the landmarks under review are MediaPipe's (the default
backend; its 478 points mapped to iBUG 68), the other model is dlib. The
threshold was chosen on one cohort (``random_state=1``: 30 patients and 30
controls, five expressions, 256 px; the 95th percentile of the untouched
faces' disagreement); it is measured here on that cohort and on another
(``random_state=2``). On each, the reviewed points of every face are then
displaced by 0.05 inter-ocular distances (IOD) of that face, as a
misplaced landmark set would be, and the flag's recall is the share of
displaced faces flagged; its false-alarm rate is the share of untouched
faces flagged. Displacements:

- ``whole face``: every point by 0.05 IOD in one random direction;
- ``each point``: every point by 0.05 IOD, each in its own random direction;
- ``mouth``: the mouth's points (outer and inner lips) by 0.05 IOD;
- ``one point``: one random point by 0.05 IOD.

Targets: recall >= 90 % for whole-face displacements of 0.05 IOD, false
alarms <= 10 %. A region or a single point displaced by 0.05 IOD is within
the two models' own disagreement (0.015 to 0.05 IOD per point on clean
faces), and is reported, not targeted.
"""

import argparse

import numpy as np
from _common import markdown_table, print_header, target_text, verdict

RECALL_TARGET = 0.90
FALSE_ALARM_TARGET = 0.10
DISPLACEMENT_IOD = 0.05


def _detected(random_state, n, size):
    from sklearn_palsy import make_synthetic_cohort
    from sklearn_palsy.faces import analyze_faces

    cohort = make_synthetic_cohort(n, n, image_size=size, random_state=random_state)
    images = list(cohort.images)
    shown = analyze_faces(images, backend="mediapipe", on_missing="ignore")
    other = analyze_faces(images, backend="dlib", on_missing="ignore")
    both = [i for i in range(len(images))
            if shown[i].landmarks is not None and other[i].landmarks is not None]
    return (np.asarray([shown[i].landmarks for i in both]),
            np.asarray([other[i].landmarks for i in both]), len(images))


def _displaced(shown, kind, rng):
    from sklearn_palsy.faces._schemes import MEDIAPIPE478

    ibug = MEDIAPIPE478.to_ibug68(shown)
    iod = np.linalg.norm(ibug[:, 42:48].mean(1) - ibug[:, 36:42].mean(1), axis=1)
    step = DISPLACEMENT_IOD * iod
    moved = shown.copy()
    n = len(shown)
    if kind == "each point":
        angle = rng.uniform(0, 2 * np.pi, shown.shape[:2])
        moved += step[:, None, None] * np.stack([np.cos(angle), np.sin(angle)], -1)
        return moved
    angle = rng.uniform(0, 2 * np.pi, n)
    offset = step[:, None] * np.stack([np.cos(angle), np.sin(angle)], -1)
    if kind == "whole face":
        moved += offset[:, None, :]
    elif kind == "mouth":
        mouth = list(MEDIAPIPE478.regions["outer_lips"]
                     + MEDIAPIPE478.regions["inner_lips"])
        moved[:, mouth] += offset[:, None, :]
    else:  # one point, among the 68 that stand for iBUG's
        points = np.asarray(MEDIAPIPE478.ibug_index)[rng.integers(0, 68, n)]
        moved[np.arange(n), points] += offset
    return moved


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    print_header("The disagreement flag on displaced landmarks", args.quick)
    from sklearn_palsy.reporting import landmark_quality_flags

    n, size = (4, 256) if args.quick else (30, 256)
    rows = []
    for random_state in (1, 2):
        shown, other, total = _detected(random_state, n, size)

        def flagged(points, other=other):
            return landmark_quality_flags(points, other_landmarks=other)[
                "flag_disagreement"].to_numpy()

        untouched = flagged(shown)
        false_alarms = untouched.mean()
        where = f"random_state={random_state} ({len(shown)} of {total} photos)"
        rows.append([where, "none (false alarms)", f"{false_alarms:.1%}",
                     target_text(FALSE_ALARM_TARGET), verdict(false_alarms,
                                                              FALSE_ALARM_TARGET)])
        rng = np.random.default_rng(random_state)
        for kind in ("whole face", "each point", "mouth", "one point"):
            recall = flagged(_displaced(shown, kind, rng)).mean()
            targeted = kind in ("whole face", "each point")
            rows.append([where, f"{kind}, {DISPLACEMENT_IOD} IOD (recall)",
                         f"{recall:.1%}",
                         target_text(RECALL_TARGET, higher_is_better=True)
                         if targeted else "(reported)",
                         verdict(recall, RECALL_TARGET, higher_is_better=True)
                         if targeted else ""])
    print(markdown_table(rows, ["cohort", "displacement", "flagged", "target",
                                "verdict"]))


if __name__ == "__main__":
    main()
