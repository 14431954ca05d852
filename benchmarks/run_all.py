"""Run every ``bench_*.py`` script in this folder, one after the other.

``make bench`` calls this. Each script runs in its own Python process (the
one running this file), so that one benchmark's caches, worker pools and
memory do not colour the next; their Markdown output is printed as it
comes, followed by a summary of how long each took and whether it ran.

Usage::

    python benchmarks/run_all.py            # full size, about 18 minutes
    python benchmarks/run_all.py --quick    # smoke run of every script
    python benchmarks/run_all.py stages scaling   # only those scripts

The first line describes the machine, with the instruction set torch runs
on (its CPU capability, e.g. ``AVX2``) and whether bfloat16 is native; where
it is not, the bfloat16 targets say ``SKIP (bfloat16 not native on this CPU:
AVX2)`` and are not measured.

Options after ``--`` are passed to every script. The exit status is 1 when a
script crashed (a FAIL verdict is a finding, not a crash, and exits 0; nor
does a SKIP).
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import machine_info, markdown_table

HERE = Path(__file__).resolve().parent


def find_scripts(names=()):
    """The ``bench_*.py`` files here, sorted, or those named (without prefix)."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if not names:
        return scripts
    wanted = {name.removeprefix("bench_").removesuffix(".py") for name in names}
    chosen = [path for path in scripts if path.stem.removeprefix("bench_") in wanted]
    missing = wanted - {path.stem.removeprefix("bench_") for path in chosen}
    if missing:
        raise SystemExit(
            f"no benchmark named {sorted(missing)}; have "
            + ", ".join(path.stem.removeprefix("bench_") for path in scripts)
        )
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Arguments after -- go to every script.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="pass --quick to every script (a smoke run)")
    parser.add_argument("names", nargs="*",
                        help="benchmarks to run, e.g. stages (default: all)")
    argv = sys.argv[1:] if argv is None else list(argv)
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[: argv.index("--")]
    args = parser.parse_args(argv)
    scripts = find_scripts(args.names)

    info = machine_info()
    print(f"# sklearn-palsy benchmarks{' (--quick)' if args.quick else ''}\n")
    print(", ".join(f"{key}: {value}" for key, value in info.items()) + "\n",
          flush=True)
    summary, failed = [], False
    for script in scripts:
        command = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        start = time.perf_counter()
        code = subprocess.call(command + extra, cwd=HERE.parent)
        seconds = time.perf_counter() - start
        print(flush=True)
        failed |= code != 0
        summary.append([script.name, f"{seconds:.0f} s",
                        "ran" if code == 0 else f"crashed (exit {code})"])
    total = sum(float(row[1].split()[0]) for row in summary)
    summary.append(["total", f"{total:.0f} s", "-"])
    print("## Run time of each script\n")
    print(markdown_table(summary, ["script", "wall time", "status"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
