"""A self-contained HTML report of an evaluation (the page is :mod:`._html`'s)."""

import html
import os

import pandas as pd
from matplotlib.figure import Figure

from ..utils._atomic import atomic_write
from ._html import (
    DISCLAIMER,
    figure_html,
    html_page,
    software_versions,
    wrap_table,
)
from ._plots import (
    plot_confusion_matrices,
    plot_precision_recall_curves,
    plot_roc_curves,
    pooled_predictions,
)

__all__ = ["patient_table", "summary_table", "write_report"]

def summary_table(result):
    """Format the comparison table as "mean ± sd" per estimator and level.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.

    Returns
    -------
    table : DataFrame
        Indexed by (estimator, level), one string column per metric with
        three decimals.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> columns = pd.MultiIndex.from_product([["f1"], ["mean", "std"]])
    >>> index = pd.MultiIndex.from_tuples([("m", "image")],
    ...                                   names=["estimator", "level"])
    >>> summary = pd.DataFrame([[0.5, 0.1]], index=index, columns=columns)
    >>> summary_table(Bunch(summary=summary)).loc[("m", "image"), "f1"]
    '0.500 ± 0.100'
    """
    summary = result.summary
    metrics = list(dict.fromkeys(summary.columns.get_level_values(0)))
    table = pd.DataFrame(index=summary.index)
    for metric in metrics:
        means = summary[(metric, "mean")]
        stds = summary[(metric, "std")]
        table[metric] = [
            "n/a" if pd.isna(mean) else
            f"{mean:.3f} ± {std:.3f}" if not pd.isna(std) else f"{mean:.3f}"
            for mean, std in zip(means, stds, strict=True)
        ]
    return table


def patient_table(result):
    """Tabulate each patient's label and mean out-of-fold probability per estimator.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.

    Returns
    -------
    table : DataFrame
        One row per patient: ``patient_id``, ``y_true`` and one column per
        estimator holding the mean probability of palsy over the patient's
        images.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "a"], "y_true": [1, 1],
    ...                             "proba": [0.2, 0.4]})
    >>> float(patient_table(Bunch(predictions=predictions)).loc[0, "m"].round(2))
    0.3
    """
    pooled = pooled_predictions(result, "patient")
    names = list(pd.unique(pooled["estimator"]))
    table = pooled.pivot_table(index=["patient_id", "y_true"], columns="estimator",
                               values="proba", aggfunc="mean", sort=False)
    table = table[names].reset_index()
    table.columns.name = None
    return table


def write_report(path, result, *, title="sklearn-palsy report", figures=None,
                 extra_tables=None):
    """Write an evaluation as one self-contained HTML file.

    The report holds the comparison table (mean ± sd over folds, per
    estimator and level), the per-patient results, confusion matrices, ROC
    and precision-recall curves at image and patient level, any extra
    figures and tables, the software versions and the statement that
    sklearn-palsy is a research tool, not a medical device. Figures are
    embedded as base64 PNG and closed; there are no scripts and no external
    links. The file is written to a temporary file in the same folder and
    moved into place, so a reader never sees half a report.

    Parameters
    ----------
    path : str or path-like
        Where to write the HTML file.
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    title : str, default="sklearn-palsy report"
        Title of the page.
    figures : dict of str to matplotlib Figure, default=None
        More figures, each under its name (e.g. Grad-CAM overlays).
    extra_tables : dict of str to DataFrame, default=None
        More tables, each under its name.

    Returns
    -------
    path : str
        The path written.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_palsy import evaluate_pipelines, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=4, n_controls=4,
    ...                                expressions=("rest",), random_state=0)
    >>> X = cohort.landmarks.reshape(len(cohort.y), -1)
    >>> result = evaluate_pipelines({"chance": DummyClassifier()}, X, cohort.y,
    ...                             cohort.groups, cv=2, verbose=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_report(os.path.join(folder, "report.html"), result)
    ...     print(open(path, encoding="utf-8").read().count("data:image/png;base64,"))
    6
    """
    path = os.fspath(path)
    sections = []

    def add_figure(name, figure):
        if not isinstance(figure, Figure):
            raise TypeError(f"figure {name!r} is not a matplotlib Figure")
        sections.append(figure_html(figure, name, name, tight=True))

    sections.append(f"<h1>{html.escape(title)}</h1>")
    sections.append(f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>')
    sections.append("<h2>Comparison (mean ± sd over folds)</h2>")
    sections.append(wrap_table(summary_table(result).to_html(border=0)))
    sections.append("<h2>Per-patient results (mean out-of-fold probability)</h2>")
    sections.append(wrap_table(patient_table(result).to_html(
        index=False, border=0, float_format="{:.3f}".format)))
    sections.append("<h2>Figures</h2>")
    for level in ("image", "patient"):
        add_figure(f"Confusion matrices ({level} level)",
                   plot_confusion_matrices(result, level))
        add_figure(f"ROC curves ({level} level)", plot_roc_curves(result, level))
        add_figure(f"Precision-recall curves ({level} level)",
                   plot_precision_recall_curves(result, level))
    for name, figure in (figures or {}).items():
        add_figure(str(name), figure)
    for name, table in (extra_tables or {}).items():
        sections.append(f"<h2>{html.escape(str(name))}</h2>")
        table = pd.DataFrame(table)
        # A table's own row numbers are no information: show an index only
        # when it names something (such as the configurations).
        named = not isinstance(table.index, pd.RangeIndex)
        sections.append(wrap_table(table.to_html(border=0, index=named)))
    sections.append("<h2>Software</h2>")
    versions = pd.DataFrame(
        {"version": software_versions()}
    ).rename_axis("package")
    sections.append(wrap_table(versions.to_html(border=0)))

    document = html_page(title, sections)
    atomic_write(path, lambda handle: handle.write(document))
    return path
