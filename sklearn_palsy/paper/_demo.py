"""The main job behind ``sklearn-palsy demo`` and ``make demo``."""

import os
import platform
import time
from pathlib import Path

import numpy as np

from ..datasets import load_manifest, make_synthetic_cohort
from ..datasets._synthetic import EXPRESSIONS
from ..faces import analyze_faces, resolve_backend
from ._defaults import DEMO_EPOCHS, DEMO_FOLDS, DEMO_IMAGE_SIZE, DEMO_RESNET_ARCH

__all__ = ["machine_summary", "run_demo"]


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_summary():
    """What the demo's time depends on: the CPU, its kernels and the threads.

    The ResNet fits dominate the demo, and their speed follows the
    instruction set torch dispatches its kernels to (``"AVX2"``,
    ``"AVX512"``; ``ATEN_CPU_CAPABILITY`` can lower it) and the number of
    torch threads.

    Returns
    -------
    machine : dict
        ``cpu`` (the model name in ``/proc/cpuinfo``, else the platform's),
        ``cpu capability``, ``torch threads`` and ``cores``.

    Examples
    --------
    >>> from sklearn_palsy.paper import machine_summary
    >>> sorted(machine_summary())
    ['cores', 'cpu', 'cpu capability', 'torch threads']
    """
    import torch

    return {
        "cpu": _cpu_model(),
        "cpu capability": torch.backends.cpu.get_cpu_capability(),
        "torch threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
    }


def run_demo(
    out_dir="demo_output",
    *,
    n_patients=21,
    n_controls=21,
    expressions=EXPRESSIONS,
    image_size=DEMO_IMAGE_SIZE,
    epochs_scale=1.0,
    resnet_arch=DEMO_RESNET_ARCH,
    n_splits=DEMO_FOLDS,
    pipelines=None,
    backend="auto",
    random_state=0,
    verbose=1,
    learning_curve=True,
):
    """Generate the synthetic cohort, run the paper's comparison and report it.

    The cohort (21 people with palsy and 21 controls, as in the paper, five
    expressions each) is written to ``out_dir/cohort`` with its manifest and
    read back through :func:`~sklearn_palsy.load_manifest`, exactly as a
    user's data would come in. Then every configuration of
    :func:`~sklearn_palsy.make_paper_pipelines` is cross-validated by patient
    (by default GroupKFold(4) and ResNet-10s at 48 px, the settings that keep
    the demo within three minutes on two AVX2 cores), and the table, an HTML
    report and the best model are written to ``out_dir``, with the model's
    card (``model.card.md`` and ``model.card.json``: the training data, the
    evaluation with intervals, calibration and decision curve). The report
    also shows the learning curve of ``features_ffnn`` by number of
    training patients.

    Parameters
    ----------
    out_dir : str or path-like, default="demo_output"
        Output folder.
    n_patients, n_controls : int, default=21
        Size of the cohort.
    expressions : tuple of str, default=all five
        Expressions photographed.
    image_size : int, default=48
        Side of the crops and line images; small so that the demo runs in a
        few minutes on two CPU cores (the paper used 224).
    epochs_scale : float, default=1.0
        Multiplies the epochs (60 FFNN, 8 ResNet, 8 fusion); the defaults keep
        the demo within three minutes on two CPU cores.
    resnet_arch : str, default="resnet18"
        Architecture of the ResNets (:data:`~sklearn_palsy.paper.DEMO_RESNET_ARCH`).
    n_splits : int, default=4
        Folds of GroupKFold (:data:`~sklearn_palsy.paper.DEMO_FOLDS`).
    pipelines : list of str, default=None
        Configurations to run; None runs all seven.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model (``"auto"``: MediaPipe Face Mesh where it runs).
    random_state : int, default=0
        Seed of the cohort and of the networks.
    verbose : int, default=1
        Progress bars.
    learning_curve : bool, default=True
        Add the learning curve of ``features_ffnn`` (when it is among the
        configurations) to the report: the features are extracted once, and
        the scaler and network fitted on a stratified subset of a quarter and
        a half of each training fold's patients, and on all of them (one
        subset per size, to keep the demo within its time).

    Returns
    -------
    summary : dict
        The cohort's counts and detection rate, the experiment (``experiment``,
        see :func:`~sklearn_palsy.paper.run_experiment`), the model card
        (``model card``, :class:`~sklearn_palsy.io.ModelCard`, and
        ``model card paths``), the learning curve (``learning curve``, or
        None), the machine (``machine``, see :func:`machine_summary`) and
        the time.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_palsy.paper import run_demo
    >>> summary = run_demo(tempfile.mkdtemp(), verbose=0)  # doctest: +SKIP
    >>> summary["patients with palsy"], summary["controls"]  # doctest: +SKIP
    (21, 21)
    """
    from ._experiment import run_experiment

    start = time.perf_counter()
    out_dir = Path(out_dir)
    cohort_dir = out_dir / "cohort"
    make_synthetic_cohort(n_patients=n_patients, n_controls=n_controls,
                          expressions=expressions, random_state=random_state,
                          output_dir=cohort_dir)
    data = load_manifest(cohort_dir / "manifest.csv")
    frame = data.frame
    backend = resolve_backend(backend)
    analyses = analyze_faces(data.X, backend=backend, verbose=verbose,
                             on_missing="ignore")
    detected = np.array([analysis.box is not None for analysis in analyses])
    labels = np.asarray(data.y)
    epochs = {name: max(1, round(default * epochs_scale))
              for name, default in DEMO_EPOCHS.items()}
    experiment = run_experiment(
        data.X[detected], labels[detected], data.groups[detected], out_dir,
        pipelines=pipelines, n_splits=n_splits, image_size=image_size,
        backend=backend, random_state=random_state,
        resnet_arch=resnet_arch, verbose=verbose, **epochs,
    )
    from ..io import make_model_card, write_model_card

    card = make_model_card(
        experiment.best, data.X[detected], labels[detected],
        data.groups[detected], frame=frame[detected],
        source=str(cohort_dir / "manifest.csv"), backend=backend,
        image_size=image_size, evaluation=experiment.result,
        validation=f"GroupKFold({n_splits}) by patient", random_state=random_state)
    card_paths = write_model_card(experiment.paths.model, card)
    curve = None
    if learning_curve and "features_ffnn" in experiment.table.index:
        from ..reporting import add_to_report

        curve = _features_learning_curve(
            data.X[detected], labels[detected], data.groups[detected], n_splits,
            image_size=image_size, backend=backend, random_state=random_state,
            ffnn_epochs=epochs["ffnn_epochs"])
        add_to_report(experiment.paths.report, learning_curve=curve)
    return {
        "manifest": str(cohort_dir / "manifest.csv"),
        "patients with palsy": int(frame.loc[labels == 1, "patient_id"].nunique()),
        "controls": int(frame.loc[labels == 0, "patient_id"].nunique()),
        "images": int(len(frame)),
        "images per class": {
            "palsy (1)": int((labels == 1).sum()),
            "control (0)": int((labels == 0).sum()),
        },
        "images per expression": {
            str(k): int(v) for k, v in frame["expression"].value_counts().items()
        },
        "face detection rate": float(detected.mean()),
        "settings": {"image size": image_size, "folds": n_splits,
                     "resnet": resnet_arch,
                     "landmarks": backend, **epochs},
        "experiment": experiment,
        "model card": card,
        "model card paths": card_paths,
        "learning curve": curve,
        "machine": machine_summary(),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _features_learning_curve(X, y, groups, n_splits, *, image_size, backend,
                             random_state, ffnn_epochs):
    """The learning curve of ``features_ffnn`` by number of training patients.

    Its landmarks and expression features are per image and fitted on
    nothing, so they are computed once; the scaler and the network, which
    learn, are fitted on each subset of patients.
    """
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import Pipeline

    from ..model_selection import learning_curve_by_patients
    from ._pipelines import make_paper_pipelines

    pipeline = make_paper_pipelines(
        image_size=image_size, ffnn_epochs=ffnn_epochs, backend=backend,
        random_state=random_state)["features_ffnn"]
    features = Pipeline(pipeline.steps[:2]).fit_transform(X)
    splits = list(GroupKFold(n_splits).split(features, y, groups))
    smallest = min(len(np.unique(groups[train])) for train, _ in splits)
    # Two patients (one per class) at the least, for small cohorts.
    sizes = sorted({max(2, int(fraction * smallest))
                    for fraction in (0.25, 0.5, 1.0)})
    return learning_curve_by_patients(
        Pipeline(pipeline.steps[2:]), features, y, groups, train_sizes=sizes,
        cv=splits, n_repeats=1, n_resamples=500, random_state=random_state)
