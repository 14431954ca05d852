"""Reading and sampling videos: peak memory against length, and frames per second.

Run ``python benchmarks/bench_video.py`` (about a minute on two cores), or
with ``--quick`` for a smoke run. It prints one Markdown table.

What is measured
----------------
Two synthetic videos of the same person (:func:`make_synthetic_video`,
224 px, 25 fps, MPEG-4 Part 2 in MP4), 10 and 60 seconds long (250 and
1,500 frames), through four workloads:

- ``read in order``: :func:`~sklearn_palsy.faces.read_image` on the frame
  reference of every frame, in order, as a transformer reads a video's
  frames (each frame decoded once by the thread's open decoder);
- ``read 50 at random``: 50 frame references in a random order, each a
  checked seek;
- ``sample uniform``: :func:`sample_video_frames` with ``n_frames=10`` (the
  header, and one frame decoded to check the count);
- ``sample movement``: the same with ``method="movement"``, one pass over
  the whole video keeping grey thumbnails (at most 256 of them).

Each (workload, video) runs in a fresh Python process, which first opens a
small video once (so that FFmpeg's libraries are loaded), then notes its
resident size, resets the kernel's peak (``/proc/self/clear_refs``) and runs
the workload: the peak resident set size minus the size before is what the
workload added, decoders included. It then runs the workload again under
:mod:`tracemalloc` for the peak of Python and NumPy allocations alone. The
time is that of the first run.

Targets
-------
- Memory flat in length: what a workload adds (peak RSS) grows by at most
  10 MiB from the 10-second to the 60-second video. One decoded 224-px frame
  is 147 KiB, so a reader that kept frames would add 180 MiB for the extra
  1,250 frames; the decoders' own buffers and the thumbnails are bounded.
- Reading speed: ``read in order`` at least 200 frames/s (a 224-px frame
  decodes in about a millisecond; the face detectors that follow take 5 ms
  or more per frame, so reading stays a small share of the work).
"""

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
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

WORKLOADS = ("read in order", "read 50 at random", "sample uniform",
             "sample movement")
MEMORY_GROWTH_TARGET = 10.0  # MiB, from the short to the long video
READ_TARGET = 200.0  # frames per second, reading in order


def workload(name, path):
    """A callable running one workload on one video; returns frames handled."""
    from sklearn_palsy.datasets import sample_video_frames
    from sklearn_palsy.faces import clear_video_cache, read_image, video_info

    n_frames = video_info(path).n_frames

    def run():
        clear_video_cache()
        if name == "read in order":
            for index in range(n_frames):
                read_image(f"{path}#frame={index}")
            return n_frames
        if name == "read 50 at random":
            order = np.random.default_rng(0).permutation(n_frames)[:50]
            for index in order:
                read_image(f"{path}#frame={index}")
            return len(order)
        method = "uniform" if name == "sample uniform" else "movement"
        sample_video_frames(path, n_frames=10, method=method)
        return n_frames

    return run


def child(name, path, warm_up_path):
    """Measure one workload in this fresh process; print a JSON line."""
    from sklearn_palsy.faces import read_image

    read_image(f"{warm_up_path}#frame=0")
    run = workload(name, path)
    before = current_rss_mb()
    reset = reset_peak_rss()
    start = time.perf_counter()
    frames = run()
    seconds = time.perf_counter() - start
    added = peak_rss_mb() - before if reset else float("nan")
    tracemalloc.start()
    run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"seconds": seconds, "frames": frames, "rss_added_mb": added,
                      "traced_peak_mb": traced_peak / 2**20}))


def make_videos(folder, quick):
    from sklearn_palsy.datasets import make_synthetic_video

    size, fps = (96, 10) if quick else (224, 25)
    durations = (2.0, 6.0) if quick else (10.0, 60.0)
    paths = {}
    for duration in durations:
        path = Path(folder) / f"video_{int(duration)}s.mp4"
        make_synthetic_video(path, duration=duration, fps=fps, image_size=size,
                             palsy_side="left", random_state=0)
        paths[duration] = path
    warm_up = Path(folder) / "warm_up.mp4"
    make_synthetic_video(warm_up, duration=0.2, fps=10, image_size=64,
                         random_state=1)
    return paths, warm_up, size, fps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--child", nargs=3, metavar=("WORKLOAD", "VIDEO", "WARM_UP"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        paths, warm_up, size, fps = make_videos(folder, args.quick)
        written = time.perf_counter() - start
        (short, short_path), (long, long_path) = sorted(paths.items())
        print_header("Video reading and sampling", args.quick, notes=[
            f"synthetic videos of {short:g} s and {long:g} s, {size} px, {fps} fps, "
            f"mp4v ({os.path.getsize(short_path) / 2**20:.2f} and "
            f"{os.path.getsize(long_path) / 2**20:.2f} MiB), written in "
            f"{written:.0f} s",
            "each workload in a fresh process; memory = peak RSS added by the "
            "workload (decoders included) and tracemalloc's peak",
        ])
        results = {}
        for name in WORKLOADS:
            for duration, path in paths.items():
                code, out, _ = run_child(
                    [sys.executable, __file__, "--child", name, str(path),
                     str(warm_up)])
                if code != 0:
                    raise SystemExit(f"{name} on {path.name} failed ({code})")
                results[name, duration] = json.loads(out.strip().splitlines()[-1])

    rows, failed = [], False
    for name in WORKLOADS:
        first, second = results[name, short], results[name, long]
        growth = second["rss_added_mb"] - first["rss_added_mb"]
        result = verdict(growth, MEMORY_GROWTH_TARGET)
        failed |= result == "FAIL"
        rows.append([
            f"{name}: peak RSS added, {short:g} s / {long:g} s video (MiB)",
            f"{first['rss_added_mb']:.1f} / {second['rss_added_mb']:.1f}",
            f"growth {target_text(MEMORY_GROWTH_TARGET)}", result,
        ])
        rows.append([
            f"{name}: tracemalloc peak, {short:g} s / {long:g} s video (MiB)",
            f"{first['traced_peak_mb']:.2f} / {second['traced_peak_mb']:.2f}", "", "",
        ])
        rate = [result["frames"] / result["seconds"] for result in (first, second)]
        target, mark = "", ""
        if name == "read in order":
            target = target_text(READ_TARGET, higher_is_better=True)
            mark = verdict(min(rate), READ_TARGET, higher_is_better=True)
            failed |= mark == "FAIL"
        what = "frames/s" if name.startswith("read") else "video frames/s"
        rows.append([f"{name}: {what}, {short:g} s / {long:g} s video",
                     f"{rate[0]:.0f} / {rate[1]:.0f}", target, mark])
    print(markdown_table(rows, ["figure", "value", "target", "verdict"]))
    return 1 if failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
