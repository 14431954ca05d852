"""Command-line entry point ``sklearn-palsy``: argument parsing only.

The work lives in the library; this module turns arguments into calls and
errors into one-line messages with a non-zero exit code.
"""

import argparse
import sys

from . import __version__
from .exceptions import PalsyError

DISCLAIMER = "sklearn-palsy is a research tool, not a medical device."


def _demo(args):
    from ._demo import run_demo

    summary = run_demo(args.out, random_state=args.random_state, verbose=not args.quiet)
    print(f"Synthetic cohort written to {summary['manifest']}")
    print(f"  patients with palsy : {summary['patients with palsy']}")
    print(f"  controls            : {summary['controls']}")
    print(f"  images              : {summary['images']}")
    for name, count in summary["images per class"].items():
        print(f"    {name:<17} : {count}")
    print("  images per expression:")
    for name, count in summary["images per expression"].items():
        print(f"    {name:<17} : {count}")
    print(f"  face detection rate : {summary['face detection rate']:.1%} (dlib HOG)")
    print(f"  took {summary['seconds']} s")
    print(DISCLAIMER)
    return 0


def build_parser():
    """Return the argument parser of the ``sklearn-palsy`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-palsy",
        description="Detect facial palsy from face photographs. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="generate the synthetic cohort and summarise it"
    )
    demo.add_argument("--out", default="demo_output", help="output folder")
    demo.add_argument("--random-state", type=int, default=0, help="cohort seed")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    """Run the ``sklearn-palsy`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (PalsyError, OSError, ValueError) as error:
        print(f"sklearn-palsy: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
