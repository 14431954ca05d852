"""What the per-image face cache saves in a grid search by patient.

Run ``python benchmarks/bench_gridsearch.py`` (about a minute on two cores),
or with ``--quick`` for a smoke run. It prints one Markdown table.

What is measured
----------------
A 4-candidate x 5-fold :class:`~sklearn.model_selection.GridSearchCV` with
:class:`~sklearn.model_selection.GroupKFold` by patient (21 fits with the
refit), over the paper's cheapest configuration, ``features_ffnn`` from
:func:`~sklearn_palsy.make_paper_pipelines` (landmarks, expression
features, scaling, FFNN), fitted on *image paths*, so that face detection
runs inside the pipeline. The cohort is synthetic: 8 patients and 8
controls, five expressions each, 80 PNG images of 224 px. The FFNN trains
for few epochs, so that the search is dominated by what the cache is for.

The search is timed twice, median of ``--repeat`` runs each:

- *cached*, the default: the in-memory face cache is cleared before each
  run, so the first fit detects every image once and the other fits reuse
  the results;
- *uncached*: inside :func:`sklearn_palsy.faces._analysis.no_face_cache`,
  every ``fit`` and ``score`` detects its images again.

torch runs on one thread here (``torch.set_num_threads(1)``, ``--threads``
to change it). The FFNN is tiny (63 features, 64 training rows), so a second
thread has nothing to gain, and on a machine whose cores are busy with other
work torch's intra-op thread pool makes each step wait for a descheduled
thread: during development, with a load average of 4 to 5 on two cores, one
10-epoch fit took 2.2 s with two threads against 0.05 s with one, which
buried the cache's effect under noise. Detection does not use torch.

dlib's detector calls are counted by wrapping
``sklearn_palsy.faces._dlib.detect_faces``, as ``tests/test_face.py`` does.

Targets
-------
- Detector calls in the cached search equal the number of distinct images
  (80): face work is done once per image, whatever the candidates and folds.
- Without the cache, every one of the 21 fits detects all 80 images (64 to
  fit, 16 to score; the refit all 80), so 1,680 calls; the count is checked
  against that to show that the uncached figure is really uncached.
- Speed-up of the cached search of at least 3x. The cache removes 20 of the
  21 passes of detection; what remains is one pass plus the 21 FFNN fits, so
  the ratio depends on the training cost; with 10 epochs on 64 images
  training is cheaper than detection, and a ratio below 3 would mean that
  the cache lookups (hashing every file on every call) eat much of the
  saving.

The machine is shared by other jobs during development, so figures are
noisy; medians damp that but do not remove it.
"""

import argparse
import sys
import tempfile
import warnings

from _common import markdown_table, median_time, print_header, target_text, verdict

SPEEDUP_TARGET = 3.0
CANDIDATES = {
    "ffnn__hidden_layer_sizes": [(32,), (64, 32)],
    "ffnn__lr": [1e-3, 1e-2],
}
N_SPLITS = 5


class DetectorCallCounter:
    """Count the calls of dlib's detector while inside the ``with`` block."""

    def __enter__(self):
        from sklearn_palsy.faces import _dlib

        self._module, self._real, self.calls = _dlib, _dlib.detect_faces, 0

        def counting(image, **kwargs):
            self.calls += 1
            return self._real(image, **kwargs)

        _dlib.detect_faces = counting
        return self

    def __exit__(self, *exc_info):
        self._module.detect_faces = self._real


def make_search(epochs):
    from sklearn.model_selection import GridSearchCV, GroupKFold

    from sklearn_palsy import make_paper_pipelines

    pipeline = make_paper_pipelines(
        # dlib, whose detector calls are counted (bench_backends.py compares).
        image_size=64, ffnn_epochs=epochs, backend="dlib", random_state=0
    )["features_ffnn"]
    return GridSearchCV(pipeline, CANDIDATES, cv=GroupKFold(n_splits=N_SPLITS),
                        scoring="roc_auc")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20 images of 128 px, 1 repeat")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed searches per setting (default 3; 1 with --quick)")
    parser.add_argument("--epochs", type=int, default=10, help="FFNN epochs")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (default 1; see the docstring)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    repeat = args.repeat or (1 if args.quick else 3)
    n_people, expressions, size = (
        (5, ("rest", "smile"), 128) if args.quick
        else (8, ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker"), 224)
    )

    from sklearn_palsy import make_synthetic_cohort
    from sklearn_palsy.faces._analysis import clear_face_cache, no_face_cache

    n_candidates = len(CANDIDATES["ffnn__hidden_layer_sizes"]) * len(
        CANDIDATES["ffnn__lr"])
    n_fits = n_candidates * N_SPLITS + 1
    with tempfile.TemporaryDirectory(prefix="bench-gridsearch-") as workdir:
        cohort = make_synthetic_cohort(
            n_patients=n_people, n_controls=n_people, expressions=expressions,
            image_size=size, random_state=0, output_dir=workdir,
        )
        n_images = len(cohort.X)
        n_distinct = len(set(cohort.X))
        notes = [
            f"GridSearchCV: {n_candidates} candidates x GroupKFold({N_SPLITS}) by "
            f"patient + refit = {n_fits} fits of features_ffnn ({args.epochs} "
            f"epochs) on {n_images} image paths ({2 * n_people} people, {size} px)",
            f"median of {repeat} searches per setting; the face cache is "
            f"cleared before each; torch on {args.threads} thread(s)",
        ]
        print_header("Grid search with and without the face cache",
                     quick=args.quick, notes=notes)

        def search(disabled):
            def run():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if disabled:
                        with no_face_cache():
                            make_search(args.epochs).fit(cohort.X, cohort.y,
                                                         groups=cohort.groups)
                    else:
                        make_search(args.epochs).fit(cohort.X, cohort.y,
                                                     groups=cohort.groups)
            return run

        # Load dlib's models and torch before timing anything.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both_classes = [0, 1, -2, -1]
            make_search(1).estimator.fit(cohort.X[both_classes], cohort.y[both_classes])
        seconds, counts = {}, {}
        for disabled in (False, True):
            # Every search does the same work, so the calls counted over all
            # of them, divided by their number, are those of one search.
            with DetectorCallCounter() as counter:
                seconds[disabled] = median_time(
                    search(disabled), repeat=repeat, warmup=0, setup=clear_face_cache
                )
            counts[disabled] = counter.calls / repeat
        clear_face_cache()

    speedup = seconds[True] / seconds[False]
    expected_uncached = n_fits * n_images
    rows = [
        ["search time, cached", f"{seconds[False]:.1f} s", "reported", "-"],
        ["search time, cache disabled", f"{seconds[True]:.1f} s", "reported", "-"],
        ["speed-up from the cache (uncached / cached)", f"{speedup:.2f} x",
         target_text(SPEEDUP_TARGET, True, "x"),
         verdict(speedup, SPEEDUP_TARGET, higher_is_better=True)],
        ["detector calls, cached search", f"{counts[False]:g}",
         f"== {n_distinct} distinct images",
         "PASS" if counts[False] == n_distinct else "FAIL"],
        ["detector calls, cache disabled", f"{counts[True]:g}",
         f"== {expected_uncached} ({n_fits} fits x {n_images} images)",
         "PASS" if counts[True] == expected_uncached else "FAIL"],
    ]
    print(markdown_table(rows, ["figure", "value", "target", "verdict"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
