"""Results recorded before the reorganisation of issue 25, compared after it.

A refactoring changes no result: the shipped reference models give the same
probabilities, and a small run of the demo gives the same table. Both were
recorded on 2026-12-06 at commit c0df82d (before the move to ``cli/``,
``utils/`` and the split files), with one torch thread, on AMD EPYC cores
with AVX2 kernels (``tests/data/*``; the recording's code is in each test).
The dlib model's probabilities were recorded again after it was trained
again (issue 26 moved dlib's eye reference to the canthi's midpoint, which
changed its inputs); the MediaPipe model's were unchanged to the last bit.
The small demo's table was recorded again at the same time: the clinical
features' millimetres became 11.7 mm over the horizontal iris chord (the
one rule of issue 26), which changed the two intermediate fusions, trained
on those features, and nothing else. Both models' probabilities were
recorded again when issue 29 trained them again (natural asymmetry, mild
palsy, the clinical features, a stored threshold); the recording's code is
unchanged.

On the recording's kind of machine (an AMD EPYC with AVX2 kernels) the
comparison is exact, to the last bit. On other kernels a float32 network
rounds differently in its last digits: the reference models' probabilities
are compared within 1e-5 there, and the table, whose networks are trained on
eight people, is not compared (a last digit can flip a photo's class).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

DATA = Path(__file__).parent / "data"


def _same_kernels(recorded="AVX2"):
    from sklearn_palsy.paper import machine_summary

    return (torch.backends.cpu.get_cpu_capability() == str(recorded)
            and machine_summary()["cpu"].startswith("AMD EPYC"))


def test_reference_models_predict_as_recorded():
    from sklearn_palsy.datasets import make_synthetic_cohort
    from sklearn_palsy.paper import load_reference_model

    # Recorded with: make_synthetic_cohort(n_patients=3, n_controls=3,
    # expressions=("rest", "smile", "close_eyes"), random_state=7), then
    # load_reference_model(backend).predict_proba(faces.images)[:, 1].
    recorded = np.load(DATA / "reference_predictions.npz")
    faces = make_synthetic_cohort(n_patients=3, n_controls=3,
                                  expressions=("rest", "smile", "close_eyes"),
                                  random_state=7)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for backend in ("dlib", "mediapipe"):
            proba = load_reference_model(backend).predict_proba(faces.images)[:, 1]
            if _same_kernels(recorded["capability"]):
                np.testing.assert_array_equal(proba, recorded[backend])
            else:
                np.testing.assert_allclose(proba, recorded[backend], rtol=0,
                                           atol=1e-5)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_a_small_demo_gives_the_recorded_table(tmp_path):
    from sklearn_palsy.paper import run_demo

    if not _same_kernels():
        pytest.skip("the table was recorded on AMD EPYC cores with AVX2 kernels")
    # Recorded with exactly this call, one torch thread, AVX2 kernels.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_demo(tmp_path, n_patients=4, n_controls=4, expressions=("rest", "smile"),
                 image_size=32, epochs_scale=0.25, n_splits=2, random_state=0,
                 verbose=0)
    finally:
        torch.set_num_threads(threads)
    table = pd.read_csv(tmp_path / "table.csv")
    recorded = pd.read_csv(DATA / "demo_table_small.csv")
    pd.testing.assert_frame_equal(table, recorded, check_exact=True)
