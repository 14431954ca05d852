"""The spread of every bounded learning outcome in tests/ over seeds and ISAs.

A test that asserts a learning outcome (an accuracy, an AUC, a correlation,
one model beating another) has to hold on every CPU the suite runs on, and
the kernels of AVX2, AVX-512 and AMX cores round differently. This script
computes each such quantity with the test module's own function (the same
data, models and folds as the test, the seed an argument), once per seed and
per instruction set, each (ISA, seed) in a fresh process whose torch, oneDNN
and OpenBLAS are held to that ISA by ``ATEN_CPU_CAPABILITY``,
``ONEDNN_MAX_CPU_ISA`` and ``OPENBLAS_CORETYPE``. It prints every value, its
bound, and the worst value over the runs: the comments next to the bounds in
tests/ quote these figures.

What a "seed" is depends on the quantity (the ``seed`` column of
``QUANTITIES``): the networks' ``random_state`` on the test's fixed data
where a network is trained (its chaotic sensitivity to the last digits is
what other kernels perturb), otherwise the random state of the data (the
cohort), starting from the test's own (``first seed``): ``--seeds 0 1 2``
runs the test's seed and the next two. tests/test_learning.py has its own
script, ``learning_spread.py``.

Not part of ``make bench``::

    .venv/bin/python benchmarks/bound_spread.py      # seeds 0-2, native and default
    .venv/bin/python benchmarks/bound_spread.py --seeds 0 --isa native \
        --only neural.ffnn
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import machine_info, markdown_table

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests"

#: Instruction sets a run can be held to: torch's ATen kernels, oneDNN's and
#: OpenBLAS's (numpy's and scipy's linear algebra, so the logistic
#: regressions too). "native" leaves them free; "default" is the baseline
#: kernels of any x86-64 CPU (OpenBLAS's Prescott kernels are SSE3).
ISAS = {
    "native": {},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE",
               "OPENBLAS_CORETYPE": "SkylakeX"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "OPENBLAS_CORETYPE": "Haswell"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
                "OPENBLAS_CORETYPE": "Prescott"},
}


def _tests(name):
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return __import__(name)


class _Cohorts:
    """The conftest's ``synthetic_cohort`` maker, outside pytest."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.made = {}

    def __call__(self, *, on_disk=False, **params):
        from sklearn_palsy.datasets import make_synthetic_cohort

        params = {"random_state": 0, **params}
        key = (on_disk, repr(sorted(params.items())))
        if key not in self.made:
            output_dir = (tempfile.mkdtemp(dir=self.directory) if on_disk else None)
            self.made[key] = make_synthetic_cohort(**params, output_dir=output_dir)
        return self.made[key]


# ------------------------------------------------------------- the quantities
# Each takes the seed and the cohort maker and returns {value name: number}.

def paper_probabilities(seed, cohorts):
    return _tests("test_paper").feature_pipeline_probabilities(cohorts(), seed=seed)


def paper_three_class(seed, cohorts):
    module = _tests("test_paper")
    cohort = cohorts(**module.THREE_CLASS_COHORT)
    accuracy = module.three_class_evaluation(cohort, cohort.landmarks, seed=seed)\
        .summary[("balanced_accuracy", "mean")]
    return {"image": accuracy[("features_ffnn", "image")],
            "patient": accuracy[("features_ffnn", "patient")]}


def paper_three_class_images(seed, cohorts):
    module = _tests("test_paper")
    cohort = cohorts(**module.THREE_CLASS_COHORT, on_disk=True)
    accuracy = module.three_class_evaluation(cohort, cohort.X, seed=seed,
                                             backend="mediapipe")\
        .summary[("balanced_accuracy", "mean")]
    return {"image": accuracy[("features_ffnn", "image")],
            "patient": accuracy[("features_ffnn", "patient")]}


def _mediapipe_cohort(seed, cohorts):
    return cohorts(n_patients=12, n_controls=12, random_state=seed)


def _detect(backend, images):
    from sklearn_palsy import LandmarkDetector

    return LandmarkDetector(backend=backend, on_missing="nan").fit_transform(images)


def mediapipe_feature_auc(seed, cohorts):
    cohort = _mediapipe_cohort(seed, cohorts)
    mesh = _detect("mediapipe", cohort.images)
    return {"auc": _tests("test_mediapipe").mediapipe_feature_auc(mesh, cohort)}


def mediapipe_backends(seed, cohorts):
    scores = _tests("test_mediapipe").backend_scores(_mediapipe_cohort(0, cohorts),
                                                     seed=seed)
    return {"auto_bal_acc": scores["auto"][0], "dlib_bal_acc": scores["dlib"][0],
            "bal_acc_auto-dlib": scores["auto"][0] - scores["dlib"][0],
            "auto_auc": scores["auto"][1], "dlib_auc": scores["dlib"][1],
            "auc_auto-dlib": scores["auto"][1] - scores["dlib"][1]}


def mediapipe_eye_opening(seed, cohorts):
    cohort = _mediapipe_cohort(seed, cohorts)
    values = _tests("test_mediapipe").eye_opening_correlations(
        _detect("mediapipe", cohort.images), _detect("dlib", cohort.images), cohort)
    values["closing_mediapipe-dlib"] = (values["mediapipe_closing"]
                                        - values["dlib_closing"])
    return values


def features_habit(seed, cohorts):
    return _tests("test_features").habit_aucs(cohorts, seed=seed)


def movement_exact(seed, cohorts):
    module = _tests("test_movement")
    cohort = cohorts(random_state=seed)
    auc, f1 = module.patient_scores(module.classifier(module.PatientMovement()),
                                    module.landmark_frame(cohort), cohort)
    return {"auc": auc, "f1": f1}


def movement_detected(seed, cohorts):
    module = _tests("test_movement")
    f1_static, f1_both = module.static_and_movement_f1(
        cohorts(severity_range=(0.2, 0.6), random_state=seed))
    auc, _ = module.detected_movement_scores(cohorts(random_state=seed))
    return {"f1_static": f1_static, "f1_both": f1_both,
            "f1_both-static": f1_both - f1_static, "auc_default_dlib": auc}


def movement_cv_folds(seed, cohorts):
    module = _tests("test_movement")
    return {"min_fold_auc":
            module.symmetry_movement_fold_aucs(cohorts(random_state=seed)).min()}


def ordinal_graded(seed, cohorts):
    import numpy as np

    from sklearn_palsy.clinical._ordinal import OrdinalClassifier

    # As tests/test_ordinal.py's two tests on ``graded`` fit them.
    X, grade = _tests("test_ordinal").graded_data(seed)
    order = ["none", "slight", "moderate", "marked", "severe", "total"]
    y = np.array(order)[grade - 1]
    model = OrdinalClassifier().fit(X, grade)
    named = OrdinalClassifier(classes=order).fit(X, y)
    unordered = OrdinalClassifier().fit(X, y)
    return {"score": model.score(X, grade),
            "named-sorted": named.score(X, y) - unordered.score(X, y)}


def ordinal_small_cohort(seed, cohorts):
    module = _tests("test_ordinal")
    cohort = cohorts(n_patients=8, n_controls=8, expressions=("rest", "smile"),
                     random_state=seed)
    X, y, groups = cohort.landmarks, cohort.grade, cohort.groups
    after = module.grading_pipeline().fit(X, y)
    return {"training_score": after.score(X, y),
            "best_score": module.grading_search(after, X, y, groups).best_score_}


def ordinal_by_patient(seed, cohorts):
    module = _tests("test_ordinal")
    values = {}
    for name, params in module.GRADED_COHORTS.items():
        ordinal, multinomial = module.grading_summaries(
            cohorts(**{**params, "random_state": seed}))
        values[f"{name}_spearman"] = ordinal[("spearman", "mean")]
        values[f"{name}_kappa"] = ordinal[("quadratic_kappa", "mean")]
        values[f"{name}_mae"] = ordinal[("mean_absolute_error", "mean")]
        values[f"{name}_mae_multinomial-ordinal"] = (
            multinomial[("mean_absolute_error", "mean")]
            - ordinal[("mean_absolute_error", "mean")])
    return values


def neural_ffnn(seed, cohorts):
    module = _tests("test_neural")
    X, y, groups = module.tabular_data()
    clf, Xm, labels = module.multiclass_ffnn(seed)
    plain, balanced = module.minority_recalls(seed)
    return {"binary_score": module.binary_ffnn(X, y, seed).score(X, y),
            "multiclass_score": clf.score(Xm, labels),
            "recall_balanced-plain": balanced - plain,
            "search_best_score": module.ffnn_group_search(X, y, groups,
                                                          seed).best_score_}


def neural_resnet10(seed, cohorts):
    module = _tests("test_neural")
    X, y, _ = module.image_data()
    return {"training_accuracy": (module.resnet10(X, y, seed).predict(X) == y).mean()}


def fusion_tabular(seed, cohorts):
    X, y, _ = _tabular_data(120, 6, 30)  # the test's ``tabular`` fixture
    return {"score": _tests("test_fusion").fusion_with_per_branch_rates(
        X, y, seed).score(X, y)}


def _tabular_data(n_samples, n_features, n_patients):
    """The conftest's ``tabular_data`` (the fixture itself cannot be called)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
    y = (X[:, 0] + X[:, n_features // 2] > 0).astype(int)
    groups = np.repeat(np.arange(n_patients), n_samples // n_patients)
    return X, y, groups


def model_selection_logistic(seed, cohorts):
    from sklearn.model_selection import GroupKFold

    from sklearn_palsy.model_selection import evaluate_pipelines

    module = _tests("test_model_selection")
    cohort = cohorts(n_patients=8, n_controls=8, expressions=("rest", "smile"),
                     random_state=seed)
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    binary = evaluate_pipelines({"features": module.features_model()}, X, y, groups,
                                cv=GroupKFold(4), verbose=0)
    image = binary.summary.loc[("features", "image")]
    three = evaluate_pipelines({"features": module.features_model()}, X,
                               module._three_classes(cohort), groups,
                               cv=GroupKFold(4), verbose=0)
    return {"binary_roc_auc": image[("roc_auc", "mean")],
            "brier": image[("brier", "mean")],
            "extreme_fraction": image[("extreme_fraction", "mean")],
            "three_class_roc_auc_ovr":
                three.summary.loc[("features", "image"), ("roc_auc_ovr", "mean")]}


def model_selection_paper_three_class(seed, cohorts):
    module = _tests("test_model_selection")
    cohort = cohorts(n_patients=8, n_controls=8, expressions=("rest", "smile"))
    _, result = module.paper_three_class_evaluation(cohort, seed=seed)
    features = result.summary.loc[("features_ffnn", "image")]
    return {"roc_auc_ovr": features[("roc_auc_ovr", "mean")],
            "accuracy": features[("accuracy", "mean")]}


def openface_search(seed, cohorts):
    return {"best_score": _tests("test_openface").action_unit_search(seed).best_score_}


def face_symmetry_auc(seed, cohorts):
    module = _tests("test_face")
    return {"auc": module.detected_symmetry_aucs(
        *module.paper_cohort_landmarks(seed)).mean()}


def synthetic_dlib(seed, cohorts):
    from sklearn.metrics import roc_auc_score

    module = _tests("test_synthetic")
    cohort, detected, predicted = module.dlib_detections(seed)
    score = module._clinical_asymmetry(predicted[detected])
    return {"detected": detected.mean(),
            "detected_patients": detected[cohort.y == 1].mean(),
            "detected_controls": detected[cohort.y == 0].mean(),
            "asymmetry_auc": roc_auc_score(cohort.y[detected], score)}


def pose_yaw(seed, cohorts):
    import numpy as np

    module = _tests("test_pose")
    values = {}
    for backend in ("mediapipe", "dlib"):
        estimates = module.yaw_estimates(cohorts, backend, random_state=seed)
        values[f"{backend}_min_found"] = min(np.isfinite(e).mean()
                                             for e in estimates.values())
    return values


def reference_shipped(seed, cohorts):
    module = _tests("test_reference_model")
    faces = module.severe_faces_cohort(seed)
    values = {}
    for backend in module.REFERENCE_BACKENDS:
        _, lowest, highest = module.shipped_model_means(backend, faces)
        values[f"{backend}_lowest_patient"] = lowest
        values[f"{backend}_highest_control"] = highest
    return values


#: name: (function, what the seed is, the test's own seed, {value: bound}).
#: A bound is (">=", 0.9) and the like; None for a value shown for context.
QUANTITIES = {
    "paper.probabilities": (paper_probabilities, "network", 0, {
        "extreme": ("<=", 0.02), "brier": ("<", 0.02),
        "extreme_unregularised": (">", 0.1)}),
    "paper.three_class": (paper_three_class, "network", 0, {
        "image": (">=", 0.9), "patient": (">=", 0.9)}),
    "paper.three_class_images": (paper_three_class_images, "network", 0, {
        "image": (">=", 0.8), "patient": (">=", 0.9)}),
    "mediapipe.feature_auc": (mediapipe_feature_auc, "cohort", 0, {
        "auc": (">=", 0.8)}),
    "mediapipe.backends": (mediapipe_backends, "network", 0, {
        "auto_bal_acc": None, "dlib_bal_acc": None, "bal_acc_auto-dlib": (">=", 0.0),
        "auto_auc": None, "dlib_auc": None, "auc_auto-dlib": (">=", 0.0)}),
    "mediapipe.eye_opening": (mediapipe_eye_opening, "cohort", 0, {
        "mediapipe": (">=", 0.85), "mediapipe_closing": (">=", 0.75),
        "dlib_closing": None, "closing_mediapipe-dlib": (">=", 0.2)}),
    "features.habit": (features_habit, "cohort", 0, {
        "lateral": (">=", 0.9), "size": ("<", 0.8), "symmetry": ("<", 0.9)}),
    "movement.exact": (movement_exact, "cohort", 0, {
        "auc": (">=", 0.95), "f1": (">=", 0.9)}),
    "movement.detected": (movement_detected, "cohort", 0, {
        "f1_static": None, "f1_both": None, "f1_both-static": (">=", 0.05),
        "auc_default_dlib": (">=", 0.95)}),
    "movement.cv_folds": (movement_cv_folds, "cohort", 0, {
        "min_fold_auc": (">", 0.9)}),
    "ordinal.graded": (ordinal_graded, "data", 0, {
        "score": (">", 0.8), "named-sorted": (">", 0.1)}),
    "ordinal.small_cohort": (ordinal_small_cohort, "cohort", 0, {
        "training_score": ("==", 1.0), "best_score": (">", -0.5)}),
    "ordinal.by_patient": (ordinal_by_patient, "cohort", 0, {
        f"{name}_{value}": bound for name in ("default", "every-grade")
        for value, bound in (("spearman", (">=", 0.85)), ("kappa", (">=", 0.85)),
                             ("mae", ("<=", 0.7)),
                             ("mae_multinomial-ordinal", (">", 0.0)))}),
    "neural.ffnn": (neural_ffnn, "network", 0, {
        "binary_score": (">", 0.85), "multiclass_score": (">", 0.7),
        "recall_balanced-plain": (">", 0.0), "search_best_score": (">", 0.7)}),
    "neural.resnet10": (neural_resnet10, "network", 0, {
        "training_accuracy": (">=", 0.9)}),
    "fusion.tabular": (fusion_tabular, "network", 0, {"score": (">", 0.8)}),
    "model_selection.logistic": (model_selection_logistic, "cohort", 0, {
        "binary_roc_auc": (">", 0.9), "brier": ("<", 0.1),
        "extreme_fraction": ("<=", 0.02), "three_class_roc_auc_ovr": (">", 0.8)}),
    "model_selection.paper_three_class": (model_selection_paper_three_class,
                                          "network", 0, {
        "roc_auc_ovr": (">", 0.85), "accuracy": (">", 0.5)}),
    "openface.search": (openface_search, "data", 2, {"best_score": (">", 0.9)}),
    "face.symmetry_auc": (face_symmetry_auc, "cohort", 1, {"auc": (">=", 0.9)}),
    "synthetic.dlib": (synthetic_dlib, "cohort", 0, {
        "detected": (">=", 0.95), "detected_patients": (">=", 0.9),
        "detected_controls": (">=", 0.9), "asymmetry_auc": (">=", 0.9)}),
    "pose.yaw": (pose_yaw, "cohort", 17, {
        "mediapipe_min_found": (">=", 0.9), "dlib_min_found": (">=", 0.9)}),
    "reference.shipped": (reference_shipped, "cohort", 11, {
        "mediapipe_lowest_patient": (">", 0.5), "mediapipe_highest_control": ("<", 0.5),
        "dlib_lowest_patient": (">", 0.5), "dlib_highest_control": ("<", 0.5)}),
}


def _reset():
    """What tests/conftest.py does before every test."""
    import numpy as np
    import torch

    from sklearn_palsy.faces import clear_face_cache

    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the global generator, as conftest does
    torch.manual_seed(0)
    clear_face_cache()


def child(index, names):
    import threadpoolctl
    import torch

    warnings.simplefilter("ignore")
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        cohorts = _Cohorts(directory)
        for name in names:
            function, _, first, _ = QUANTITIES[name]
            _reset()
            start = time.perf_counter()
            values = function(first + index, cohorts)
            results[name] = {"seed": first + index,
                             "seconds": round(time.perf_counter() - start, 1),
                             "values": {k: float(v) for k, v in values.items()}}
            print(f"  {name} seed {first + index}: {results[name]['seconds']} s",
                  file=sys.stderr, flush=True)
    blas = sorted({info.get("architecture") or "?"
                   for info in threadpoolctl.threadpool_info()
                   if info["internal_api"] == "openblas"})
    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(),
                      "openblas": "/".join(blas), "results": results}))


def _worst(op, values):
    return max(values) if op in ("<", "<=") else min(values)


def _holds(op, value, bound):
    return {">": value > bound, ">=": value >= bound, "<": value < bound,
            "<=": value <= bound, "==": value == bound}[op]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="offsets from each test's own seed (0 is the test's)")
    parser.add_argument("--isa", nargs="+", default=["native", "default"],
                        choices=list(ISAS))
    parser.add_argument("--only", nargs="+", default=list(QUANTITIES),
                        choices=list(QUANTITIES), metavar="NAME",
                        help="quantities to measure: " + ", ".join(QUANTITIES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child, args.only)

    print("# The spread of the learning outcomes that tests/ bound\n")
    print(", ".join(f"{k}: {v}" for k, v in machine_info().items()) + "\n")
    rows, runs = [], {}
    start = time.perf_counter()
    for isa in args.isa:
        for index in args.seeds:
            env = {**os.environ, **ISAS[isa]}
            print(f"{isa}, seed offset {index}:", file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(index), "--only", *args.only],
                env=env, stdout=subprocess.PIPE, text=True,
            )
            if done.returncode != 0:
                rows.append([isa, "-", "-", index, "crashed", "", "", "", ""])
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for name, figures in result["results"].items():
                for value_name, value in figures["values"].items():
                    bound = QUANTITIES[name][3].get(value_name)
                    runs.setdefault((name, value_name), []).append(value)
                    rows.append([isa, result["capability"], result["openblas"],
                                 figures["seed"], name, value_name, f"{value:.4f}",
                                 "" if bound is None else f"{bound[0]} {bound[1]}",
                                 f"{figures['seconds']:.0f} s"])
    print(markdown_table(rows, ["ISA asked", "ATen capability", "OpenBLAS", "seed",
                                "quantity", "value", "measured", "bound", "time"]))
    print("\n## Worst over the runs\n")
    summary = []
    for (name, value_name), values in runs.items():
        bound = QUANTITIES[name][3].get(value_name)
        if bound is None:
            summary.append([name, QUANTITIES[name][1], value_name, "", len(values),
                            f"{min(values):.4f}", f"{max(values):.4f}", "", ""])
            continue
        worst = _worst(bound[0], values)
        summary.append([name, QUANTITIES[name][1], value_name,
                        f"{bound[0]} {bound[1]}", len(values), f"{min(values):.4f}",
                        f"{max(values):.4f}", f"{worst:.4f}",
                        "holds" if all(_holds(bound[0], v, bound[1]) for v in values)
                        else "**FAILS**"])
    print(markdown_table(summary, ["quantity", "seed", "value", "bound", "runs",
                                   "min", "max", "worst", "bound over the runs"]))
    print(f"\nTotal: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
