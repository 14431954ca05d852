"""The main job behind ``sklearn-palsy demo`` and ``make demo``."""

import time
from pathlib import Path

import numpy as np

from .datasets import load_manifest, make_synthetic_cohort
from .faces import analyze_faces

__all__ = ["run_demo"]


def run_demo(out_dir="demo_output", *, random_state=0, verbose=1):
    """Generate the synthetic cohort, write it to disk and summarise it.

    Parameters
    ----------
    out_dir : str or path-like, default="demo_output"
        Folder that receives the cohort's images and ``manifest.csv``.
    random_state : int, default=0
        Seed of the cohort.
    verbose : int, default=1
        Show a progress bar while detecting faces.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_palsy._demo import run_demo
    >>> summary = run_demo(tempfile.mkdtemp(), verbose=0)  # doctest: +SKIP
    >>> summary["patients with palsy"], summary["controls"]  # doctest: +SKIP
    (21, 21)

    Returns
    -------
    summary : dict
        Counts of patients, images per class and expression, and the share of
        images in which dlib's detector finds a face.
    """
    start = time.perf_counter()
    cohort_dir = Path(out_dir) / "cohort"
    make_synthetic_cohort(random_state=random_state, output_dir=cohort_dir)
    # Read back through the public loader, exactly as a user's data would come in.
    data = load_manifest(cohort_dir / "manifest.csv")
    frame = data.frame
    analyses = analyze_faces(data.X, verbose=verbose, on_missing="ignore")
    detected = np.array([analysis.box is not None for analysis in analyses])
    labels = np.asarray(data.y)
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
        "seconds": round(time.perf_counter() - start, 1),
    }
