"""The spread of tests/test_learning.py's scores over seeds and instruction sets.

A bound on a learning outcome has to hold on every CPU the suite runs on:
kernels differ between AVX2, AVX-512 and AMX, and so do the last digits of
every fit, and a small network trained on 140 images turns those digits
into different scores. This script runs the test module's own
``out_of_fold_scores`` (the same cohort, models and folds) once per seed
and per instruction set, each in a fresh process whose torch and oneDNN are
restricted with ``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA``, and
prints every score with its minimum over the runs: the bounds in
tests/test_learning.py sit below those minima.

Not part of ``make bench`` (it trains 27 networks per run, about two
minutes each on two cores)::

    .venv/bin/python benchmarks/learning_spread.py          # seeds 0-2, every ISA
    .venv/bin/python benchmarks/learning_spread.py --seeds 0 --isa native
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_info, markdown_table

HERE = Path(__file__).resolve().parent

#: Instruction sets a run can be held to: torch's ATen kernels and oneDNN's.
#: "native" leaves both free; the others are what a CPU of that kind gives.
ISAS = {
    "native": {},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}


def child(seed):
    import torch

    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_learning import out_of_fold_scores

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        scores = out_of_fold_scores(Path(directory) / "cohort", seed=seed)
    print(json.dumps({
        "capability": torch.backends.cpu.get_cpu_capability(),
        "seconds": round(time.perf_counter() - start, 1),
        "scores": scores,
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--isa", nargs="+", default=list(ISAS), choices=list(ISAS))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child)

    print("# The spread of the learning tests' scores\n")
    print(", ".join(f"{k}: {v}" for k, v in machine_info().items()) + "\n")
    rows, minima = [], {}
    for isa in args.isa:
        for seed in args.seeds:
            env = {**os.environ, **ISAS[isa]}
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(seed)],
                env=env, capture_output=True, text=True,
            )
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                rows.append([isa, "-", seed, "crashed", "", "", "", ""])
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for name, scores in result["scores"].items():
                rows.append([isa, result["capability"], seed, name,
                             *(f"{scores[m]:.3f}" for m in
                               ("balanced_accuracy", "roc_auc", "f1")),
                             f"{result['seconds']:.0f} s"])
                for metric, value in scores.items():
                    key = (name, metric)
                    minima[key] = min(minima.get(key, 1.0), value)
            print(f"{isa} seed {seed}: {result['capability']}, "
                  f"{result['seconds']} s", file=sys.stderr, flush=True)
    print(markdown_table(rows, ["ISA asked", "ATen capability", "seed", "model",
                                "balanced accuracy", "ROC AUC", "F1", "time"]))
    print("\n## Minimum over the runs\n")
    print(markdown_table(
        [[name, metric, f"{value:.3f}"] for (name, metric), value in minima.items()],
        ["model", "metric", "minimum"],
    ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
