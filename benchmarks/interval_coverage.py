"""Coverage of the patient-level intervals, and the paired comparison's error rates.

Not a speed benchmark: a check by simulation that the statistics of issue
28 say what they claim.

- **Coverage.** ``tests/test_intervals.py``'s ``simulate_coverage`` draws
  cohorts from a known model (each patient's probability of palsy is also
  the model's; labels are drawn from it; each patient has 1 to 4 photos
  whose probabilities are the patient's plus noise, clipped to [0, 1]), and
  counts the runs whose nominal 95 % interval covers each metric's true
  value (its value on 200,000 such patients). Target: 92-98 % for every
  metric at both levels.
- **Comparisons** (``--comparisons N``): ``tests/test_compare.py``'s
  simulated cohorts of 40 patients, two configurations that use the same
  signal and differ only by a noise column (the share of runs with p > 0.05
  should be at least 90 %), and two that differ clearly (one without the
  signal: the share with p < 0.05), by both tests of ``compare_pipelines``.
- **Time** (``--timing``): what the intervals and the comparison add to a
  result the size of ``make demo``'s (7 configurations, 42 patients, 5
  photos each, GroupKFold(5)), at the default 1,000 resamples.

::

    python benchmarks/interval_coverage.py             # 500 runs of 100 patients
    python benchmarks/interval_coverage.py --runs 100 --patients 42 --method BCa
    python benchmarks/interval_coverage.py --runs 0 --comparisons 200 --timing
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine_info, markdown_table

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

TARGET = (0.92, 0.98)


def coverage(args):
    from test_intervals import simulate_coverage

    start = time.perf_counter()
    table = simulate_coverage(args.runs, n_patients=args.patients,
                              n_bootstraps=args.bootstraps, method=args.method,
                              seed=args.seed)
    seconds = time.perf_counter() - start
    print(f"## Coverage of nominal 95 % intervals ({args.method}, {args.bootstraps} "
          f"resamples): {args.runs} runs of {args.patients} patients, "
          f"{seconds:.0f} s\n")
    rows = [[row.level, row.metric, f"{row.truth:.4f}", f"{100 * row.coverage:.1f} %",
             "PASS" if TARGET[0] <= row.coverage <= TARGET[1] else "FAIL"]
            for row in table.itertuples()]
    print(markdown_table(rows, ["level", "metric", "true value", "coverage",
                                "92-98 %"]))
    print(f"\nmean coverage {100 * table.coverage.mean():.1f} %, range "
          f"{100 * table.coverage.min():.1f}-{100 * table.coverage.max():.1f} %\n")


def comparisons(args):
    from test_compare import _cohort, _keep

    from sklearn_palsy import compare_pipelines, evaluate_pipelines

    rng = np.random.default_rng(args.seed)
    rows = []
    for kind, configurations, effect in (
            ("differ only by noise", {"a": [0, 1], "b": [0, 2]}, 1.0),
            ("differ clearly", {"a": [0, 1], "b": [1, 2]}, 2.5)):
        start = time.perf_counter()
        p_values = []
        n_runs = args.comparisons if kind.endswith("noise") else max(
            args.comparisons // 4, 10)
        for run in range(n_runs):
            X, y, groups = _cohort(rng, effect=effect)
            result = evaluate_pipelines(
                {name: _keep(columns) for name, columns in configurations.items()},
                X, y, groups, cv=5, verbose=0, n_bootstraps=20, random_state=run)
            comparison = compare_pipelines(result, n_bootstraps=args.bootstraps,
                                           random_state=run)
            p_values.append(comparison[["p_corrected_t", "p_bootstrap"]].iloc[0])
        p_values = np.asarray(p_values, dtype=float)
        below = (p_values < 0.05).mean(axis=0)
        rows.append([kind, n_runs, f"{100 * (1 - below[0]):.1f} %",
                     f"{100 * (1 - below[1]):.1f} %", f"{100 * below[0]:.1f} %",
                     f"{100 * below[1]:.1f} %", f"{time.perf_counter() - start:.0f} s"])
    print("## compare_pipelines on simulated cohorts of 40 patients (GroupKFold(5), "
          "per-patient ROC AUC)\n")
    print(markdown_table(rows, ["configurations", "runs", "p > 0.05 (corrected t)",
                                "p > 0.05 (bootstrap)", "p < 0.05 (corrected t)",
                                "p < 0.05 (bootstrap)", "time"]))
    print()


def timing(args):
    """The intervals and comparison on a result the size of make demo's."""
    from sklearn_palsy.model_selection import METRICS, compare_pipelines
    from sklearn_palsy.model_selection._intervals import interval_table
    from sklearn_palsy.model_selection._scoring import CALIBRATION_METRICS
    from sklearn_palsy.paper import PAPER_PIPELINES

    rng = np.random.default_rng(0)
    patients = np.repeat(np.arange(42), 5)
    label = np.repeat(np.arange(42) < 21, 5).astype(int)
    fold = np.repeat(np.arange(42) % 5, 5)
    frames, scores = [], []
    for name in PAPER_PIPELINES:
        proba = np.clip(0.5 + (label - 0.5) * rng.uniform(0, 1.2, label.size), 0, 1)
        frames.append(pd.DataFrame({
            "estimator": name, "fold": fold, "repeat": 0, "index": np.arange(210),
            "patient_id": patients, "y_true": label, "proba": proba}))
        for k in range(5):
            for level in ("image", "patient"):
                scores.append({"estimator": name, "fold": k, "level": level,
                               "f1": rng.uniform(0.6, 1.0), "repeat": 0})
    predictions = pd.concat(frames, ignore_index=True)
    splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(5)]
    metrics = METRICS + CALIBRATION_METRICS
    kwargs = {"target": "binary", "classes": np.array([0, 1]), "pos_label": 1,
              "metrics": metrics}
    result = {"predictions": predictions, "scores": pd.DataFrame(scores),
              "splits": splits, "metrics": metrics, **kwargs}
    from sklearn.utils import Bunch

    result = Bunch(**{key: value for key, value in result.items()
                      if key != "pos_label"}, pos_label=1)
    rows = []
    for label_, call in (
            ("intervals (percentile)", lambda: interval_table(
                predictions, n_bootstraps=1000, confidence_level=0.95,
                method="percentile", random_state=0, **kwargs)),
            ("intervals (BCa)", lambda: interval_table(
                predictions, n_bootstraps=1000, confidence_level=0.95,
                method="BCa", random_state=0, **kwargs)),
            ("comparison with the best (6 pairs)", lambda: compare_pipelines(
                result, PAPER_PIPELINES[0], metric="f1", n_bootstraps=1000,
                random_state=0))):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        rows.append([label_, f"{np.median(times):.2f} s"])
    print("## Time added to a result the size of make demo's (7 configurations, "
          "42 patients, 210 photos, 5 folds, 1,000 resamples; median of 3)\n")
    print(markdown_table(rows, ["step", "time"]))
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--bootstraps", type=int, default=1000)
    parser.add_argument("--method", choices=("percentile", "BCa"),
                        default="percentile")
    parser.add_argument("--comparisons", type=int, default=0, metavar="N",
                        help="also simulate N comparisons of configurations "
                        "that differ only by noise")
    parser.add_argument("--timing", action="store_true",
                        help="also time the intervals on a demo-sized result")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    info = machine_info()
    print(f"# interval_coverage.py on {info.get('cpu', 'this machine')}\n")
    if args.runs:
        coverage(args)
    if args.comparisons:
        comparisons(args)
    if args.timing:
        timing(args)


if __name__ == "__main__":
    main()
