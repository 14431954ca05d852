"""Train the reference models shipped in sklearn_palsy/paper/models/.

One model per landmark backend (MediaPipe Face Mesh and dlib), trained on a
large synthetic cohort and measured on held-out synthetic people; each is
written as ``reference_<backend>.safetensors`` with its record
``reference_<backend>.json``. The defaults are those of the shipped models
(:data:`sklearn_palsy.paper.REFERENCE_TRAINING`), so that

    python scripts/train_reference_model.py

rebuilds them, and, with the same torch build and thread count, the same
models: the same weights and predictions, bit for bit. All the work is
:func:`sklearn_palsy.paper.build_reference_models`; this is its command line.
"""

import argparse
import sys
import time
from pathlib import Path

from sklearn_palsy.paper import (
    REFERENCE_BACKENDS,
    REFERENCE_HELD_OUT,
    REFERENCE_TRAINING,
    build_reference_models,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "sklearn_palsy" / "paper" / "models"
# Settings that are a number or a (low, high) range.
_NUMBER_OR_RANGE = ("yaw", "pitch")
# Settings that are one number or several (image_size: several photo sizes,
# given to the cohort's chunks in turn).
_ONE_OR_SEVERAL = ("image_size",)


def _option(name):
    return "--" + name.replace("_", "-")


def make_parser():
    """The command line: one option per setting of REFERENCE_TRAINING."""
    parser = argparse.ArgumentParser(
        prog="train_reference_model.py",
        description="Train, measure and save the reference models shipped in "
        "sklearn-palsy (synthetic faces only: a research baseline, not a "
        "diagnostic). Defaults: the shipped models' settings.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder of the model files (default: {DEFAULT_OUT})")
    parser.add_argument("--backends", nargs="+", choices=REFERENCE_BACKENDS,
                        default=list(REFERENCE_BACKENDS),
                        help="landmark backends, one model each (default: both)")
    parser.add_argument(
        "--held-out-people", type=int, default=None, metavar="N",
        help="patients and controls of each held-out cohort (default: "
        + ", ".join(f"{name}: {settings['n_patients']} + {settings['n_controls']}"
                    for name, settings in REFERENCE_HELD_OUT.items())
        + "); 0 measures nothing",
    )
    parser.add_argument("--quiet", action="store_true", help="print no progress")
    training = parser.add_argument_group("training (default: the shipped models')")
    for name, default in REFERENCE_TRAINING.items():
        option = {"default": default, "help": f"default: {default}"}
        if isinstance(default, bool):
            option.update(action=argparse.BooleanOptionalAction)
        elif name in _NUMBER_OR_RANGE:
            option.update(type=float, nargs="+", metavar="DEGREES")
        elif name in _ONE_OR_SEVERAL:
            option.update(type=int, nargs="+")
        elif isinstance(default, tuple):
            option.update(type=type(default[0]), nargs="+")
        else:
            option.update(type=type(default))
        training.add_argument(_option(name), **option)
    return parser


def training_settings(args):
    """REFERENCE_TRAINING's settings as the parsed arguments give them."""
    settings = {}
    for name in REFERENCE_TRAINING:
        value = getattr(args, name)
        if isinstance(value, list):
            value = tuple(value)
            if name in _NUMBER_OR_RANGE:
                if len(value) not in (1, 2):
                    raise SystemExit(f"{_option(name)} takes one angle or two (a "
                                     f"range); got {len(value)}")
                value = value[0] if len(value) == 1 else value
            elif name in _ONE_OR_SEVERAL and len(value) == 1:
                value = value[0]
        settings[name] = value
    return settings


def held_out_settings(args):
    """The held-out cohorts, resized by --held-out-people."""
    if args.held_out_people is None:
        return None
    if args.held_out_people == 0:
        return {}
    return {
        name: {**settings, "n_patients": args.held_out_people,
               "n_controls": args.held_out_people}
        for name, settings in REFERENCE_HELD_OUT.items()
    }


def main(argv=None):
    args = make_parser().parse_args(argv)
    settings = training_settings(args)
    changed = {name: value for name, value in settings.items()
               if value != REFERENCE_TRAINING[name]}
    started = time.perf_counter()
    records = build_reference_models(
        args.out, backends=tuple(args.backends), held_out=held_out_settings(args),
        verbose=0 if args.quiet else 1, **changed,
    )
    for backend, record in records.items():
        print(f"{backend}: {args.out / record['model']} ({record['file_bytes']} "
              f"bytes), trained in {record['training_seconds']} s")
        threshold = record["threshold"]
        print(f"  threshold {threshold['value']} per photo, "
              f"{threshold['patient']['value']} per person (specificity "
              f"{threshold['specificity_target']} on the tuning cohort)")
        for name, figures in record["held_out"].items():
            for level in ("image", "patient"):
                scores = ", ".join(f"{metric} {value}"
                                   for metric, value in figures[level].items()
                                   if metric != "intervals")
                print(f"  held-out {name}, per {level}: {scores}")
            if "type" in figures:
                print(f"  held-out {name}, type: {figures['type']}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
