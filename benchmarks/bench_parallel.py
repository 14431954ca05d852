"""Two joblib workers over neural estimators against one process.

Run ``python benchmarks/bench_parallel.py`` (about three minutes on two
cores), or with ``--quick`` for a smoke run. It prints one Markdown table.

What is measured
----------------
The same :class:`~sklearn.model_selection.GridSearchCV` with
:class:`~sklearn.model_selection.GroupKFold` by patient, run with
``n_jobs=1`` (one process; torch's intra-op pool uses every core, as it does
by default) and with ``n_jobs=2`` (two loky worker processes). joblib's loky
backend sets ``OMP_NUM_THREADS`` in each worker to its share of the cores
(``cpu_count() // n_jobs``) before torch is imported there, so each
worker's torch runs one thread on two cores: the workers share the cores
instead of fighting over them. The benchmark records the thread count each
worker's torch reports, to show it.

Two workloads, chosen to span the package's networks:

- **FFNN on features**: :class:`~sklearn_palsy.FFNNClassifier` on the 63
  expression features of a synthetic cohort (precomputed, so that the
  search is only training), 4 candidates x 5 folds + refit, 30 epochs.
- **ResNet-18 on 48 px line images**: :class:`~sklearn_palsy.ResNetClassifier`
  (``weights=None``) on rendered line-segment images, 2 candidates x 3
  folds + refit, 3 epochs.

The two workers are started before any timing (each fits a tiny ResNet and
FFNN first, see ``_worker_threads``), as they are once per session in real
use; the timings include sending the data to them.

Target (issue 18): two workers at least 1.5 times as fast as one process,
and never slower. Each configuration is timed ``--repeat`` times (median).
Run it alone: on a loaded machine torch's thread pool waits for descheduled
threads and the one-process figure suffers most.
"""

import argparse
import os
import sys
import time

from _common import markdown_table, print_header, target_text, verdict

SPEEDUP_TARGET = 1.5


def _worker_threads():
    """Torch's thread count in a worker, after one tiny fit of each network.

    The fits start the worker, import torch and the package there and grow
    torch's memory to a network's working size, as the first fit of a
    session does. Without them, loky measures a worker's reference memory
    after a task that allocated nothing and then replaces the worker as
    "leaking" (more than 300 MB above it) after its first ResNet fit, so
    that the timings would include starting workers again.
    """
    import numpy as np
    import torch

    from sklearn_palsy import FFNNClassifier, ResNetClassifier

    y = np.array([0, 1] * 4)
    ResNetClassifier(max_epochs=1, weights=None, image_size=48).fit(
        np.zeros((8, 48, 48, 3), np.uint8), y)
    FFNNClassifier(max_epochs=1).fit(np.zeros((8, 4), np.float32), y)
    return torch.get_num_threads()


def _data(quick):
    import numpy as np

    from sklearn_palsy import ExpressionFeatures, LineSegmentRenderer
    from sklearn_palsy.datasets import make_synthetic_cohort

    n = 6 if quick else 21
    cohort = make_synthetic_cohort(n, n, image_size=96, random_state=0)
    features = ExpressionFeatures().fit_transform(cohort.landmarks)
    lines = LineSegmentRenderer(size=48).fit_transform(cohort.landmarks)
    return (np.asarray(features, dtype=np.float32), lines, cohort.y.astype(np.int64),
            cohort.groups)


def _searches(quick):
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from sklearn_palsy import FFNNClassifier, ResNetClassifier

    ffnn = GridSearchCV(
        FFNNClassifier(max_epochs=2 if quick else 30, random_state=0),
        {"hidden_layer_sizes": [(32,), (64, 32)], "lr": [1e-3, 1e-2]},
        cv=GroupKFold(3 if quick else 5),
    )
    resnet = GridSearchCV(
        ResNetClassifier(max_epochs=1 if quick else 3, weights=None, image_size=48,
                         random_state=0),
        {"lr": [1e-3, 1e-4]},
        cv=GroupKFold(3),
    )
    return {"FFNN on features": ffnn, "ResNet-18 on 48 px line images": resnet}


def _time(search, X, y, groups, n_jobs, repeat):
    from sklearn.base import clone

    times = []
    for _ in range(repeat):
        candidate = clone(search).set_params(n_jobs=n_jobs)
        start = time.perf_counter()
        candidate.fit(X, y, groups=groups)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat

    import joblib
    import torch

    print_header("Two workers over neural estimators (bench_parallel.py)",
                 quick=args.quick,
                 notes=[f"cores: {os.cpu_count()}; torch threads in this process: "
                        f"{torch.get_num_threads()}; repeats: {repeat} (median)"])
    threads = joblib.Parallel(n_jobs=2)(joblib.delayed(_worker_threads)()
                                        for _ in range(2))
    print(f"torch threads in each of two loky workers: {threads}\n")
    features, lines, y, groups = _data(args.quick)
    rows = []
    for name, search in _searches(args.quick).items():
        X = features if name.startswith("FFNN") else lines
        one = _time(search, X, y, groups, 1, repeat)
        two = _time(search, X, y, groups, 2, repeat)
        speedup = one / two
        rows.append([name, f"{one:.1f} s", f"{two:.1f} s", f"{speedup:.2f}",
                     target_text(SPEEDUP_TARGET, higher_is_better=True),
                     verdict(speedup, SPEEDUP_TARGET, higher_is_better=True),
                     verdict(speedup, 1.0, higher_is_better=True)])
    print(markdown_table(rows, ["search", "n_jobs=1", "n_jobs=2", "speed-up",
                                "target", "verdict", "never slower"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
