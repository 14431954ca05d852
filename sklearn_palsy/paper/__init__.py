"""The paper's experiment: its seven configurations, defaults, comparison and demo.

Everything specific to Oo, Lee and Lim (2024) lives here, above the
general-purpose estimators it combines:

- :data:`PAPER_PIPELINES` and the defaults (:data:`DEMO_IMAGE_SIZE`,
  :data:`DEMO_EPOCHS`, :data:`DEMO_FOLDS`, :data:`DEMO_RESNET_ARCH`,
  :data:`TRAIN_EPOCHS`, :data:`FFNN_LR`, :data:`FFNN_WEIGHT_DECAY`): one
  table that every caller reads, the command line's ``--help`` included;
- :func:`make_paper_pipelines`: the configurations as unfitted estimators;
- :func:`run_experiment`, :func:`paper_table` and :func:`interval_table`:
  the comparison by patient, its tables, report and best model;
- :func:`run_demo`: the same on the synthetic cohort, and
  :func:`machine_summary`: the CPU, kernels and threads its time depends on;
- :func:`train_model`: one configuration fitted on a user's cohort, and
  :func:`train_with_card`: the same with its model card (and, asked, its
  cross-validated evaluation);
- :func:`load_reference_model`: the small models shipped in the package
  (palsy at a stored threshold, and the palsy's type), which
  :func:`train_reference_model` and :func:`build_reference_models` trained
  on synthetic faces (:func:`reference_model_info` says how), and
  :func:`threshold_for_specificity`, which chose the threshold.

The names are imported on first use, so that reading the defaults imports
neither torch nor dlib.
"""

from ..utils._lazy import lazy_attributes

# Public name -> the module of this package that defines it.
_LAZY = {
    "DEMO_EPOCHS": "._defaults",
    "DEMO_FOLDS": "._defaults",
    "DEMO_IMAGE_SIZE": "._defaults",
    "DEMO_RESNET_ARCH": "._defaults",
    "FFNN_LR": "._defaults",
    "FFNN_WEIGHT_DECAY": "._defaults",
    "MODERATE_SEVERITY": "._reference_training",
    "PAPER_PIPELINES": "._defaults",
    "REFERENCE_BACKENDS": "._reference",
    "REFERENCE_HELD_OUT": "._reference_training",
    "REFERENCE_TASKS": "._reference",
    "REFERENCE_TRAINING": "._reference_training",
    "TRAIN_EPOCHS": "._defaults",
    "build_reference_models": "._reference_training",
    "evaluate_reference_model": "._reference_training",
    "interval_table": "._experiment",
    "load_reference_model": "._reference",
    "machine_summary": "._demo",
    "make_paper_pipelines": "._pipelines",
    "paper_table": "._experiment",
    "reference_model_info": "._reference",
    "reference_pipeline": "._reference",
    "run_demo": "._demo",
    "run_experiment": "._experiment",
    "train_model": "._train",
    "train_with_card": "._train",
    "threshold_for_specificity": "._reference_training",
    "train_reference_model": "._reference_training",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)
