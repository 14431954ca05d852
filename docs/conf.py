"""Sphinx configuration for the sklearn-palsy documentation.

The build needs no network: no intersphinx inventories are fetched and the
theme's assets ship in its wheel. ``make docs`` builds with ``-W`` so that
any warning fails it.
"""

import os
import sys
from pathlib import Path

# Examples draw figures without a display.
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn_palsy  # noqa: E402

project = "sklearn-palsy"
author = "sklearn-palsy developers"
copyright = "sklearn-palsy developers"  # noqa: A001
release = sklearn_palsy.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "examples",
    "Thumbs.db",
    ".DS_Store",
    "**.ipynb_checkpoints",
]
root_doc = "index"

# API pages: one generated stub per public name.
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_default_options = {"members": False}

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# No intersphinx: there is no network at build time.
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    # Backreferences feed the "Examples using ..." lists on the API pages.
    "doc_module": ("sklearn_palsy",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-palsy {release}"
html_static_path = []
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
}
html_show_sourcelink = False


# Module-level constants have no docstring of their own; autodoc would show
# the docstring of their type (int, str, tuple, ndarray) instead.
CONSTANT_DOCS = {
    "DEFAULT_MAX_PIXELS": "Largest image, in pixels, that :func:`read_image` "
    "decodes by default; larger images are refused as possible "
    "decompression bombs.",
    "IBUG68": "The iBUG 300-W 68-point landmark scheme (dlib), 0-based.",
    "MEDIAPIPE478": "The MediaPipe Face Mesh scheme: 478 points with irises.",
    "IBUG68_MEAN_FACE": "Mean iBUG 300-W face, (68, 2): x right, y down, eye "
    "centres at about (-0.5, 0) (the subject's right) and (0.5, 0), "
    "inter-ocular distance 1. Exactly left-right symmetric.",
    "METRICS": "Names of the metrics that :func:`evaluate_pipelines` reports "
    "for binary targets.",
    "MULTICLASS_METRICS": "Names of the metrics that :func:`evaluate_pipelines` "
    "reports for multi-class targets.",
    "ORDINAL_METRICS": "Names of the metrics that :func:`evaluate_pipelines` "
    "reports for ordinal targets (the multi-class ones, and grade errors).",
    "CALIBRATION_METRICS": "Names of the calibration metrics that "
    ":func:`evaluate_pipelines` adds for binary targets.",
    "PAPER_PIPELINES": "Names of the paper's seven configurations, as keys of "
    ":func:`make_paper_pipelines`'s dict.",
    "DISCLAIMER": "The research-tool statement written into every report.",
    "DEMO_IMAGE_SIZE": "Side, in pixels, of crops and line images in the demo, "
    "``evaluate`` and ``train`` (the paper used 224).",
    "DEMO_EPOCHS": "Epochs of the demo and ``evaluate``: FFNN, ResNet, fusion net.",
    "TRAIN_EPOCHS": "Epochs of :func:`make_paper_pipelines`, and so of ``train``.",
    "FFNN_LR": "Adam's learning rate of the paper's FFNNs, alone and as fusion "
    "trunks.",
    "FFNN_WEIGHT_DECAY": "Adam's weight decay of the paper's FFNNs; it keeps "
    "their probabilities away from exactly 0 and 1.",
    "REFERENCE_BACKENDS": "The landmark backends that a reference model is "
    "shipped for.",
    "REFERENCE_TRAINING": "The settings the shipped reference models were "
    "trained with: the synthetic cohort, the network, the seeds and threads.",
    "REFERENCE_HELD_OUT": "The held-out synthetic cohorts the shipped "
    "reference models were measured on.",
    "VIDEO_EXTENSIONS": "File extensions read as videos (any case).",
    "FORMAT": "The ``format`` string in every safe model file's metadata.",
    "FORMAT_VERSION": "The layout of the metadata and JSON config that "
    ":func:`~sklearn_palsy.save_model` writes; :func:`~sklearn_palsy.load_model` "
    "refuses files of a higher "
    "version.",
}


def _document_constants(app, what, name, obj, options, lines):
    short = name.rsplit(".", 1)[-1]
    if what in ("data", "attribute") and short in CONSTANT_DOCS:
        lines[:] = [CONSTANT_DOCS[short]]


def setup(app):
    # Run before numpydoc (priority 500) so it parses our text, not the type's.
    app.connect("autodoc-process-docstring", _document_constants, priority=100)
