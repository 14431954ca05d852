"""How time and peak memory grow with the number of images.

Run ``python benchmarks/bench_scaling.py`` (three to four minutes on two
cores), or with ``--quick`` for a smoke run. It prints one Markdown table.

What is measured
----------------
Two batch jobs over image paths on disk, at 100, 1,000 and 5,000 images:

- ``extract``: :func:`sklearn_palsy.cli.extract_features`, the work of
  ``sklearn-palsy extract`` (read, detect, landmarks, expression features,
  one DataFrame row per image);
- ``predict``: :func:`sklearn_palsy.cli.predict_images`, the work of
  ``sklearn-palsy predict``, with a small fitted ``features_ffnn`` pipeline
  (the paper's landmarks -> features -> FFNN, 10 epochs on 100 images)
  loaded from a joblib file, as the command does.

Each (job, size) runs in a fresh Python process, so that its peak resident
set size is that job's alone. The process loads the models and analyses two
warm-up images first, then clears the face cache, notes its resident size,
resets the kernel's peak (``/proc/self/clear_refs``, so that the transient
peak of importing torch does not hide what the job adds) and runs the job
``repeat`` times (9 at 100 images, whose one-second runs are the most
exposed to the drift of a shared machine and are the reference of the
ratios, 2 at 1,000, 1 at 5,000: a single 5,000-image run is already an
average over a minute of work, and repeating it would not fit the time
budget of ``make bench``), each time
with the face cache cleared, and reports the median.

Images
------
Rendering 5,000 synthetic faces takes minutes, so 500 are rendered
(50 people x 5 expressions x 2 repeats, 224 px), and the 5,000 files are
the 500 pictures written ten times, copy ``k`` with its top-left pixel's red
value XOR ``k``. Every file thus has its own content, so the content-keyed
face cache cannot serve one from another, while detection does the same
work as on a new photograph. The 100- and 1,000-image sets are the first
files of the 5,000. Jobs run sequentially (``extract_features`` and
``predict_images`` have no ``n_jobs``), which keeps the per-image times
comparable across sizes and within the budget: about 8 ms per image per job
at 224 px on this kind of machine. The files are PNG at zlib level 1, which
encodes five times faster than the default level 6 (4 ms against 20 ms per
image here) and decodes about as fast.

Targets
-------
- Time linear in n: the per-image time at 1,000 and 5,000 images is at most
  1.2 times that at 100. Nothing in the jobs should be worse than linear;
  20 % covers the noise of a shared machine and the fixed costs that a
  100-image run amortises less well, which only lower the ratio.
- Memory flat: the peak RSS grows by at most 50 MiB from 100 to 5,000
  images. Both jobs read one image at a time and work in chunks of 256
  images, so what may grow with n is per-image bookkeeping only: the face
  cache's entry (68 landmarks and a box, about 1.8 KiB with Python's
  overhead), and for ``extract`` the result row (199 floats, 1.6 KiB, plus
  the path), briefly twice while the chunks are joined: about 5 KiB per
  image, 25 MiB for 5,000 images (``predict`` keeps 4 values per image,
  about 2 KiB in all). A job that kept decoded pixels would grow by
  147 KiB per 224-px image, over 700 MiB for 5,000, and fail at once.

The machine is shared by other jobs during development, so figures are
noisy; medians damp that but do not remove it.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import (
    current_rss_mb,
    markdown_table,
    peak_rss_mb,
    print_header,
    reset_peak_rss,
    run_child,
    target_text,
    verdict,
)

TIME_RATIO_TARGET = 1.2
MEMORY_GROWTH_TARGET_MB = 50.0
IMAGE_SIZE = 224
N_COPIES = 10


def _repeat_for(n_images):
    return 9 if n_images <= 100 else 2 if n_images <= 1000 else 1


def write_images(workdir, n_base, quick):
    """Render ``n_base`` faces and write ``N_COPIES`` distinct files of each.

    Returns the paths in order (copy 0 of every face first), two warm-up
    paths outside that list, and the labels of the first ``n_base`` paths.
    """
    import numpy as np
    from PIL import Image

    from sklearn_palsy import make_synthetic_cohort

    expressions = ("rest", "smile", "raise_eyebrows", "close_eyes", "pucker")
    n_people = max(2, n_base // (len(expressions) * 2))
    cohort = make_synthetic_cohort(
        n_patients=(n_people + 1) // 2, n_controls=n_people // 2,
        expressions=expressions, image_size=IMAGE_SIZE, n_repeats=2,
        random_state=0,
    )
    # Shuffled, so that any first n files hold patients and controls.
    order = np.random.default_rng(0).permutation(len(cohort.images))[:n_base]
    images, labels = cohort.images[order], cohort.y[order]
    paths = []
    for copy in range(N_COPIES + 1):
        folder = Path(workdir) / ("warmup" if copy == N_COPIES else f"copy{copy}")
        folder.mkdir()
        for index, image in enumerate(images):
            if copy == N_COPIES and index >= 2:
                break
            pixels = image.copy()
            pixels[0, 0, 0] ^= np.uint8(copy)
            path = folder / f"{index:04d}.png"
            # Level 1: a fifth of the default level 6's encoding time.
            Image.fromarray(pixels).save(path, compress_level=1)
            paths.append(str(path))
    return paths[:-2], paths[-2:], labels


def fit_model(paths, labels, model_path, epochs):
    """Fit the small features -> FFNN pipeline on paths and save it."""
    from sklearn_palsy import make_paper_pipelines
    from sklearn_palsy.io import save_model_joblib

    # dlib throughout, as in the figures of benchmarks/README.md.
    model = make_paper_pipelines(image_size=64, ffnn_epochs=epochs,
                                 backend="dlib", random_state=0)[
        "features_ffnn"]
    model.fit(paths, labels)
    save_model_joblib(model, model_path)


def child(task, list_file, warmup_file, model_path, repeat):
    """Run one job in this fresh process; print a JSON line of its figures."""
    from sklearn_palsy.cli import extract_features, predict_images
    from sklearn_palsy.faces._analysis import clear_face_cache
    from sklearn_palsy.io import load_model_joblib

    paths = Path(list_file).read_text().split("\n")
    warmup = Path(warmup_file).read_text().split("\n")
    if task == "extract":
        def job(images):
            return extract_features(images, backend="dlib", verbose=0,
                                    on_error="skip")
    else:
        model = load_model_joblib(model_path)

        def job(images):
            return predict_images(model, images, backend="dlib", on_error="skip")
    job(warmup)
    clear_face_cache()
    rss_before = current_rss_mb()
    # The peak of the jobs alone, not of importing torch and loading models.
    peak_reset = reset_peak_rss()
    seconds, rows, failures = [], 0, 0
    for _ in range(repeat):
        clear_face_cache()
        start = time.perf_counter()
        frame, failed = job(paths)
        seconds.append(time.perf_counter() - start)
        rows, failures = len(frame), len(failed)
        del frame, failed
    print(json.dumps({"seconds": seconds, "rows": rows, "failures": failures,
                      "rss_before_mb": rss_before, "peak_rss_mb": peak_rss_mb(),
                      "peak_reset": peak_reset}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 20 and 100 images, one repeat")
    parser.add_argument("--child", choices=["extract", "predict"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)
    if args.child:
        child(args.child, args.paths, args.warmup, args.model, args.repeat)
        return 0

    sizes = (20, 100) if args.quick else (100, 1000, 5000)
    n_base = sizes[-1] // N_COPIES
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as workdir:
        start = time.perf_counter()
        paths, warmup, labels = write_images(workdir, n_base, args.quick)
        prepare = time.perf_counter() - start
        model_path = os.path.join(workdir, "model.joblib")
        n_train = min(100, n_base)
        fit_model(paths[:n_train], labels[:n_train], model_path, epochs=10)
        warmup_file = os.path.join(workdir, "warmup.txt")
        Path(warmup_file).write_text("\n".join(warmup))
        repeats = ", ".join(
            f"{1 if args.quick else _repeat_for(n)} run(s) at {n}" for n in sizes
        )
        notes = [
            f"{len(paths)} distinct PNG files of {IMAGE_SIZE} px ({n_base} rendered "
            f"faces x {N_COPIES} copies, {prepare:.0f} s to make); each job and "
            "size in a fresh process, one job at a time, no n_jobs",
            f"median over {repeats} images; face cache cleared before each run",
            "RSS at start: resident size once torch, dlib's models and the "
            "model file are loaded and two images analysed; peak RSS: the "
            "highest resident size during the runs",
        ]
        print_header("Time and peak memory against the number of images",
                     quick=args.quick, notes=notes)

        results = {}
        for task in ("extract", "predict"):
            for n in sizes:
                list_file = os.path.join(workdir, f"paths{n}.txt")
                Path(list_file).write_text("\n".join(paths[:n]))
                repeat = 1 if args.quick else _repeat_for(n)
                code, out, wall = run_child([
                    sys.executable, os.path.abspath(__file__), "--child", task,
                    "--paths", list_file, "--warmup", warmup_file,
                    "--model", model_path, "--repeat", str(repeat),
                ])
                if code != 0:
                    raise RuntimeError(f"{task} on {n} images failed with code {code}")
                figures = json.loads(out.strip().splitlines()[-1])
                if figures["rows"] + figures["failures"] != n or figures["failures"]:
                    print(f"warning: {task} on {n} images: {figures['failures']} "
                          "failures", file=sys.stderr)
                results[task, n] = (statistics.median(figures["seconds"]),
                                    figures["peak_rss_mb"], figures["rss_before_mb"],
                                    figures["peak_reset"])
                print(f"{task} {n}: {wall:.0f} s", file=sys.stderr, flush=True)

    if not all(reset for *_, reset in results.values()):
        print("- the peak RSS could not be reset here: peaks include imports "
              "and model loading\n")
    rows = []
    smallest = sizes[0]
    for task in ("extract", "predict"):
        base_seconds, base_peak, *_ = results[task, smallest]
        for n in sizes:
            seconds, peak, before, _ = results[task, n]
            ratio = (seconds / n) / (base_seconds / smallest)
            growth = peak - base_peak
            if n == smallest:
                time_target = time_verdict = "reference"
                memory_target = memory_verdict = "reference"
            else:
                time_target = target_text(TIME_RATIO_TARGET)
                time_verdict = verdict(ratio, TIME_RATIO_TARGET)
                memory_target = target_text(MEMORY_GROWTH_TARGET_MB, unit="MiB")
                memory_verdict = verdict(growth, MEMORY_GROWTH_TARGET_MB)
            rows.append([
                task, n, f"{seconds:.1f}", f"{1e3 * seconds / n:.2f}",
                f"{ratio:.2f}", time_target, time_verdict,
                f"{before:.0f}", f"{peak:.0f}", f"{growth:+.1f}", memory_target,
                memory_verdict,
            ])
    print(markdown_table(rows, [
        "job", "images", "seconds", "ms / image", f"per-image time vs {smallest}",
        "time target", "time verdict", "RSS at start (MiB)", "peak RSS (MiB)",
        f"peak growth vs {smallest} (MiB)", "memory target", "memory verdict",
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
