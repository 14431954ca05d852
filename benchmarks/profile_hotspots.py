"""Where the time goes: profiles of the workloads that ``make bench`` times.

Run ``python benchmarks/profile_hotspots.py`` (about two minutes on two
cores), or ``--quick`` for a smoke run. It prints one Markdown table per
workload; ``benchmarks/README.md`` keeps the findings of the latest run.
It is not one of the ``bench_*.py`` scripts: it measures no target, it says
where a target would be won or lost.

Workloads
---------
- ``LandmarkDetector`` on image paths, face cache cleared (the start of
  every pipeline): :mod:`cProfile`, functions ranked by their own time.
- ``ResNetClassifier.predict_proba`` and one epoch of ``fit`` on line
  images: :mod:`torch.profiler`, operators ranked by their own CPU time,
  so the share of convolutions against data loading, layout conversions
  and skorch's bookkeeping is visible.
- One epoch of ``FFNNClassifier.fit`` on many rows of expression
  features: :mod:`cProfile`, since a tiny network's time is mostly Python
  (DataLoader collation, skorch's callbacks and history).
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import markdown_table, print_header

N_ROWS = 12


def cprofile_rows(fn, n_rows=N_ROWS):
    """Run ``fn`` under cProfile; rows of its functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = stats.total_tt
    entries = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in entries[:n_rows]:
        where = name if filename == "~" else f"{Path(filename).name}:{line} {name}"
        rows.append([where, ncalls, f"{tottime:.3f}", f"{100 * tottime / total:.1f} %",
                     f"{cumtime:.3f}"])
    return total, rows


def torch_profile_rows(fn, n_rows=N_ROWS):
    """Run ``fn`` under torch.profiler; rows of the operators with most own CPU time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    events = [event for event in prof.key_averages() if event.self_cpu_time_total > 0]
    total = sum(event.self_cpu_time_total for event in events)
    events.sort(key=lambda event: event.self_cpu_time_total, reverse=True)
    rows = [
        [event.key, event.count, f"{event.self_cpu_time_total / 1e6:.3f}",
         f"{100 * event.self_cpu_time_total / total:.1f} %"]
        for event in events[:n_rows]
    ]
    return total / 1e6, rows


def print_cprofile(title, fn):
    total, rows = cprofile_rows(fn)
    print(f"### {title}\n\ncProfile, {total:.2f} s in all\n")
    print(markdown_table(rows, ["function", "calls", "own s", "share", "cumulative s"]))
    print(flush=True)


def print_torch_profile(title, fn):
    total, rows = torch_profile_rows(fn)
    print(f"### {title}\n\ntorch.profiler, {total:.2f} s of own CPU time in all\n")
    print(markdown_table(rows, ["operator", "calls", "own CPU s", "share"]))
    print(flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)

    from sklearn_palsy import (
        ExpressionFeatures,
        FFNNClassifier,
        LandmarkDetector,
        LineSegmentRenderer,
        ResNetClassifier,
        make_synthetic_cohort,
    )
    from sklearn_palsy.faces._analysis import clear_face_cache

    n_people = 4 if args.quick else 12
    size = 64 if args.quick else 224
    print_header("Where the time goes", args.quick, notes=[
        f"{2 * n_people} synthetic people x 2 expressions, 224 px PNG files; "
        f"networks at {size} px, batch 32",
    ])
    with tempfile.TemporaryDirectory(prefix="profile-") as workdir:
        cohort = make_synthetic_cohort(
            n_patients=n_people, n_controls=n_people, expressions=("rest", "smile"),
            image_size=224, random_state=0, output_dir=workdir,
        )
        paths, labels = np.asarray(cohort.X, dtype=object), np.asarray(cohort.y)
        detector = LandmarkDetector(backend="dlib")
        detector.fit_transform(paths[:2])  # load dlib's models first
        clear_face_cache()
        print_cprofile(f"LandmarkDetector on {len(paths)} image paths, cache cleared",
                       lambda: detector.fit_transform(paths))
        landmarks = detector.transform(paths)

    lines = LineSegmentRenderer(size=size).fit_transform(landmarks)
    model = ResNetClassifier(image_size=size, augment="none", max_epochs=1,
                             random_state=0)
    model.fit(lines, labels)
    model.predict_proba(lines[:4])  # oneDNN picks its kernels on the first call
    print_torch_profile(f"ResNetClassifier.predict_proba, {len(lines)} line images",
                        lambda: model.predict_proba(lines))
    print_torch_profile(f"ResNetClassifier.fit, one epoch on {len(lines)} line images",
                        lambda: model.fit(lines, labels))

    features = ExpressionFeatures().fit_transform(landmarks).astype(np.float32)
    repeats = 20 if args.quick else 200
    X, y = np.tile(features, (repeats, 1)), np.tile(labels, repeats)
    ffnn = FFNNClassifier(max_epochs=1, batch_size=32, random_state=0)
    ffnn.fit(X[:64], y[:64])
    print_cprofile(f"FFNNClassifier.fit, one epoch on {len(X)} rows",
                   lambda: ffnn.fit(X, y))
    return 0


if __name__ == "__main__":
    sys.exit(main())
