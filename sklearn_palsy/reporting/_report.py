"""A self-contained HTML report of an evaluation (the page is :mod:`._html`'s).

Beside the scores over folds, the report holds what a clinical prediction
study reports (TRIPOD+AI): every metric with its interval by patient, the
paired comparison of the configurations, subgroups, calibration (slope,
intercept and reliability diagram), the decision curve and, when given,
the learning curve by number of patients.
"""

import html
import os

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..model_selection import calibration_summary, decision_curve, format_interval
from ..model_selection._decision_curve import useful_thresholds
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
    plot_decision_curves,
    plot_learning_curve,
    plot_precision_recall_curves,
    plot_reliability_diagrams,
    plot_roc_curves,
    pooled_predictions,
)

__all__ = [
    "add_to_report",
    "interval_text",
    "intervals_table",
    "patient_table",
    "summary_table",
    "write_report",
]

# Written before the report's last section (the software versions), so
# that add_to_report knows where more sections go.
_MORE_SECTIONS = "<!-- more sections -->"
# The thresholds at which the report tabulates the net benefit.
_SHOWN_THRESHOLDS = (0.1, 0.2, 0.3, 0.5)


def interval_text(estimate, low, high, digits=2):
    """``"0.93 (0.89–0.96)"``, with an infinite bound written as ∞.

    :func:`~sklearn_palsy.model_selection.format_interval` otherwise; a
    calibration slope is infinite where the probabilities separate the
    classes, and its interval then has no upper bound.

    Examples
    --------
    >>> interval_text(1.2, 0.8, float("inf"))
    '1.20 (0.80–∞)'
    >>> interval_text(float("-inf"), float("-inf"), 0.5)
    '−∞ (separated)'
    >>> interval_text(0.9312, 0.8871, 0.9634)
    '0.93 (0.89–0.96)'
    """
    if estimate is not None and np.isinf(estimate):
        return ("∞" if estimate > 0 else "−∞") + " (separated)"
    bounds = [low, high]
    if estimate is not None and np.isfinite(estimate) and None not in bounds \
            and not np.isnan(bounds).any() and np.isinf(bounds).any():
        low, high = (("∞" if value > 0 else "−∞") if np.isinf(value)
                     else f"{value:.{digits}f}" for value in bounds)
        return f"{estimate:.{digits}f} ({low}\u2013{high})"
    return format_interval(estimate, low, high, digits=digits)


def intervals_table(intervals, index=("estimator", "level")):
    """Lay a tidy table of intervals out as one row per estimator and level.

    Parameters
    ----------
    intervals : DataFrame
        Columns ``estimator``, ``level``, ``metric``, ``estimate``, ``low``
        and ``high`` (and any in ``index``), as ``result.intervals`` of
        :func:`~sklearn_palsy.evaluate_pipelines` and
        :func:`~sklearn_palsy.model_selection.calibration_summary` give.
    index : tuple of str, default=("estimator", "level")
        The columns that name a row.

    Returns
    -------
    table : DataFrame
        Indexed by ``index``, one text column per metric holding
        "estimate (low–high)".

    Examples
    --------
    >>> import pandas as pd
    >>> intervals = pd.DataFrame({"estimator": "m", "level": "patient",
    ...                           "metric": ["f1", "roc_auc"],
    ...                           "estimate": [0.8, 0.9], "low": [0.6, 0.8],
    ...                           "high": [0.9, 0.97]})
    >>> intervals_table(intervals).loc[("m", "patient"), "roc_auc"]
    '0.90 (0.80–0.97)'
    """
    index = list(index)
    frame = intervals.assign(text=[
        interval_text(estimate, low, high) for estimate, low, high in zip(
            intervals["estimate"], intervals["low"], intervals["high"], strict=True)])
    table = frame.pivot_table(index=index, columns="metric", values="text",
                              aggfunc="first", sort=False)
    metrics = list(pd.unique(intervals["metric"]))
    table = table[metrics]
    table.columns.name = None
    return table

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
                 extra_tables=None, learning_curve=None, comparison=None,
                 n_resamples=1000, random_state=0):
    """Write an evaluation as one self-contained HTML file.

    The report holds every metric with its confidence interval by patient
    (``result.intervals``, when the evaluation has them), the comparison
    table (mean ± sd over folds, per estimator and level), the paired
    comparison of the configurations (when given), the subgroups (when the
    evaluation has them), the per-patient results, confusion matrices, ROC
    and precision-recall curves at image and patient level; for a binary
    target, the calibration slope and intercept with their intervals, the
    reliability diagrams and the decision curves; the learning curve by
    number of patients when given; any extra figures and tables, the
    software versions and the statement that sklearn-palsy is a research
    tool, not a medical device. Figures are embedded as base64 PNG and
    closed; there are no scripts and no external links. The file is written
    to a temporary file in the same folder and moved into place, so a reader
    never sees half a report.

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
    learning_curve : Bunch or DataFrame, default=None
        The result of
        :func:`~sklearn_palsy.model_selection.learning_curve_by_patients`
        (or its ``curve``), drawn and tabulated.
    comparison : DataFrame, default=None
        :func:`~sklearn_palsy.model_selection.compare_pipelines`'s table,
        shown with its intervals and p-values.
    n_resamples : int, default=1000
        Bootstrap resamples of the patients for the calibration intervals.
    random_state : int, default=0
        Seed of those resamples.

    Returns
    -------
    path : str
        The path written.

    See Also
    --------
    add_to_report : Add a section to a report already written.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_palsy import evaluate_pipelines, make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=4, n_controls=4,
    ...                                expressions=("rest",), random_state=0)
    >>> X = cohort.landmarks.reshape(len(cohort.y), -1)
    >>> result = evaluate_pipelines({"chance": DummyClassifier()}, X, cohort.y,
    ...                             cohort.groups, cv=2, verbose=0,
    ...                             n_bootstraps=50)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_report(os.path.join(folder, "report.html"), result,
    ...                         n_resamples=50)
    ...     print(open(path, encoding="utf-8").read().count("data:image/png;base64,"))
    8
    """
    path = os.fspath(path)
    sections = []

    def add_figure(name, figure):
        if not isinstance(figure, Figure):
            raise TypeError(f"figure {name!r} is not a matplotlib Figure")
        sections.append(figure_html(figure, name, name, tight=True))

    sections.append(f"<h1>{html.escape(title)}</h1>")
    sections.append(f'<p class="disclaimer">{html.escape(DISCLAIMER)}</p>')
    intervals = result.get("intervals")
    if intervals is not None:
        sections.append("<h2>Results with 95 % intervals (bootstrap over "
                        "patients, out-of-fold predictions pooled)</h2>")
        sections.append(wrap_table(intervals_table(intervals).to_html(border=0)))
        sections.extend(_notes(intervals))
    sections.append("<h2>Comparison (mean ± sd over folds)</h2>")
    sections.append(wrap_table(summary_table(result).to_html(border=0)))
    if comparison is not None:
        sections.extend(_comparison_sections(comparison))
    if result.get("subgroups") is not None:
        sections.extend(_subgroup_sections(result.subgroups))
    sections.append("<h2>Per-patient results (mean out-of-fold probability)</h2>")
    sections.append(wrap_table(patient_table(result).to_html(
        index=False, border=0, float_format="{:.3f}".format)))
    if result.get("target", "binary") == "binary":
        calibration = calibration_summary(result, n_resamples=n_resamples,
                                          random_state=random_state)
        sections.extend(_calibration_sections(calibration))
        add_figure("Reliability diagrams (out-of-fold probabilities, 5 bins)",
                   plot_reliability_diagrams(result, calibration=calibration))
        curve = decision_curve(result)
        sections.extend(_decision_sections(curve))
        add_figure("Decision curves: net benefit against treating everyone and "
                   "no one", plot_decision_curves(result, curve=curve))
    if learning_curve is not None:
        sections.extend(_learning_curve_sections(learning_curve))
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
        sections.append(_table_html(table))
    sections.append(_MORE_SECTIONS)
    sections.append("<h2>Software</h2>")
    versions = pd.DataFrame(
        {"version": software_versions()}
    ).rename_axis("package")
    sections.append(wrap_table(versions.to_html(border=0)))

    document = html_page(title, sections)
    atomic_write(path, lambda handle: handle.write(document))
    return path


def _table_html(table):
    table = pd.DataFrame(table)
    # A table's own row numbers are no information: show an index only
    # when it names something (such as the configurations).
    named = not isinstance(table.index, pd.RangeIndex)
    return wrap_table(table.to_html(border=0, index=named))


def _notes(table):
    """The table's notes, one line each, where there are any."""
    if "note" not in table:
        return []
    notes = table[table["note"].fillna("").astype(str) != ""]
    if notes.empty:
        return []
    keys = [column for column in ("subgroup_column", "subgroup", "estimator",
                                  "other", "level", "metric") if column in notes]
    items = [
        "<li>" + html.escape(" / ".join(str(row[key]) for key in keys) + ": "
                             + str(row["note"])) + "</li>"
        for _, row in notes.iterrows()
    ]
    return ["<ul>" + "".join(items) + "</ul>"]


def _comparison_sections(comparison):
    shown = comparison[["estimator", "other", "level", "metric"]].copy()
    shown["difference (95 % interval)"] = [
        interval_text(difference, low, high, digits=3) for difference, low, high in
        zip(comparison["difference"], comparison["low"], comparison["high"],
            strict=True)]
    for column in ("p_corrected_t", "p_bootstrap", "p_corrected_t_holm",
                   "p_bootstrap_holm"):
        shown[column] = [f"{value:.3f}" if np.isfinite(value) else "n/a"
                         for value in comparison[column]]
    return [
        "<h2>Paired comparison (difference, paired bootstrap over patients; "
        "corrected resampled t-test; Holm's correction across pairs)</h2>",
        _table_html(shown),
        *_notes(comparison),
    ]


def _subgroup_sections(subgroups):
    index = ["subgroup_column", "subgroup", "estimator", "level", "n_patients",
             "n_images"]
    table = intervals_table(subgroups, index=index)
    return ["<h2>Subgroups (each metric with its interval by patient)</h2>",
            wrap_table(table.to_html(border=0)), *_notes(subgroups)]


def _calibration_sections(calibration):
    return [
        "<h2>Calibration (logistic recalibration: slope 1 and intercept 0 "
        "when calibrated; 95 % intervals by a bootstrap over patients)</h2>",
        wrap_table(intervals_table(calibration).to_html(border=0)),
        *_notes(calibration),
    ]


def _decision_sections(curve):
    shown = curve[np.isclose(curve["threshold"].to_numpy()[:, None],
                             np.array(_SHOWN_THRESHOLDS)[None, :]).any(axis=1)]
    table = shown.pivot_table(index=["estimator", "level"], columns="threshold",
                              values="net_benefit", sort=False)
    table.columns = [f"net benefit at {value:g}" for value in table.columns]
    treat_all = shown.groupby(["level", "threshold"], sort=False)["treat_all"].first()
    for level in pd.unique(shown["level"]):
        table.loc[("treat all", level), :] = treat_all.loc[level].to_numpy()
    useful = useful_thresholds(curve)
    table["thresholds where the model beats both"] = [
        "" if key[0] == "treat all" else
        "none" if useful[key] is None else f"{useful[key][0]:g} to {useful[key][1]:g}"
        for key in table.index]
    return [
        "<h2>Decision curve (net benefit = TP/n − FP/n · pt/(1 − pt); treating "
        "no one is 0)</h2>",
        wrap_table(table.to_html(border=0, float_format="{:.3f}".format)),
    ]


def _learning_curve_sections(learning_curve):
    """The learning curve's heading, figure and table, as HTML."""
    curve = getattr(learning_curve, "curve", learning_curve)
    table = intervals_table(curve, index=("level", "n_train_patients"))
    return [
        "<h2>Learning curve by number of training patients (out-of-fold, "
        "95 % intervals by a bootstrap over the test patients)</h2>",
        figure_html(plot_learning_curve(curve), "Learning curve",
                    "Learning curve by number of training patients", tight=True),
        wrap_table(table.to_html(border=0)),
    ]


def add_to_report(path, heading=None, *, figure=None, table=None,
                  learning_curve=None):
    """Add a section to a report that :func:`write_report` wrote.

    The section goes before the report's software versions; the file is
    rewritten atomically. For what is computed after the report, such as a
    learning curve, which fits the models again.

    Parameters
    ----------
    path : str or path-like
        The report.
    heading : str, default=None
        The section's heading.
    figure : matplotlib Figure, default=None
        Embedded (and closed).
    table : DataFrame, default=None
        Shown as a table.
    learning_curve : Bunch or DataFrame, default=None
        A learning curve, drawn and tabulated as :func:`write_report` does.

    Returns
    -------
    path : str

    Raises
    ------
    ValueError
        If the file is not a report written by :func:`write_report` (naming
        the file).
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8") as handle:
        document = handle.read()
    if document.count(_MORE_SECTIONS) != 1:
        raise ValueError(f"{path} is not a report written by write_report (it "
                         "lacks the place where more sections go)")
    added = [f"<h2>{html.escape(str(heading))}</h2>"] if heading else []
    if figure is not None:
        added.append(figure_html(figure, str(heading), str(heading), tight=True))
    if table is not None:
        added.append(_table_html(table))
    if learning_curve is not None:
        added.extend(_learning_curve_sections(learning_curve))
    document = document.replace(_MORE_SECTIONS,
                                "\n".join([*added, _MORE_SECTIONS]))
    atomic_write(path, lambda handle: handle.write(document))
    return path
