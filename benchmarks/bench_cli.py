"""How long the command-line tool takes to answer ``--help`` and ``--version``.

Run ``python benchmarks/bench_cli.py`` (a few seconds), or with ``--quick``.
It prints one Markdown table.

What is measured: the wall time of ``sklearn-palsy --help``,
``sklearn-palsy --version`` and ``sklearn-palsy train --help``, each run as
a fresh process (the installed entry point, found next to this Python), the
median of ``--repeat`` runs after one warm-up run that fills the file cache.
This is what a user waits for before the tool says anything.

Target: at most 0.5 s each. Parsing arguments imports neither torch, nor
dlib, nor MediaPipe (``tests/test_cli.py`` checks that); the package's
public names are imported on first use.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from _common import markdown_table, print_header, target_text, verdict

TARGET_S = 0.5


def entry_point():
    here = os.path.dirname(sys.executable)
    path = os.path.join(here, "sklearn-palsy")
    return (
        [path] if os.path.exists(path) else [sys.executable, "-m", "sklearn_palsy.cli"]
    )


def wall_time(command, repeat):
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    print_header("Command-line start-up", args.quick)
    repeat = 2 if args.quick else args.repeat
    rows = []
    for arguments in (["--help"], ["--version"], ["train", "--help"]):
        seconds = wall_time(entry_point() + arguments, repeat)
        result = verdict(seconds, TARGET_S)
        rows.append(["sklearn-palsy " + " ".join(arguments), f"{seconds:.3f}",
                     target_text(TARGET_S, unit="s"), result])
    print(markdown_table(rows, ["command", "wall s (median)", "target", "verdict"]))
    # A FAIL is a finding, printed in the table; the exit status is for crashes.
    return 0


if __name__ == "__main__":
    sys.exit(main())
