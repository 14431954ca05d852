"""Figures of an evaluation: confusion matrices, ROC and PR curves, landmarks.

The curves and matrices are drawn with scikit-learn's own displays from the
out-of-fold probabilities that :func:`~sklearn_palsy.evaluate_pipelines`
keeps in ``result.predictions``. Figures are built as
:class:`matplotlib.figure.Figure` objects, not through pyplot, so no window
opens and nothing accumulates in pyplot's registry.
"""

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from sklearn.calibration import CalibrationDisplay
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
)

from ..faces._schemes import IBUG68
from ..model_selection._calibration import pooled_out_of_fold
from ..model_selection._decision_curve import DEFAULT_THRESHOLDS, decision_curve
from ..utils._patients import pool_by_patient
from ._style import CONTOUR_WIDTH, OUTLINE_COLOUR, measure_points, region_colour

__all__ = [
    "plot_confusion_matrices",
    "plot_decision_curves",
    "plot_landmarks",
    "plot_learning_curve",
    "plot_permutation_importance",
    "plot_precision_recall_curves",
    "plot_reliability_diagrams",
    "plot_roc_curves",
    "pooled_predictions",
]

_LEVELS = ("image", "patient")


def pooled_predictions(result, level="image"):
    """Return the out-of-fold probabilities of an evaluation, per image or patient.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    level : {"image", "patient"}, default="image"
        "patient" pools a patient's images by their mean probability, within
        each fold, as the patient-level scores do.

    Returns
    -------
    frame : DataFrame
        Columns ``estimator``, ``fold``, ``patient_id``, ``y_true`` and
        ``proba``, in the order of the estimators in ``result``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1, 2],
    ...                             "patient_id": ["a", "a", "b"],
    ...                             "y_true": [1, 1, 0], "proba": [0.2, 0.6, 0.1]})
    >>> pooled_predictions(Bunch(predictions=predictions), "patient").proba.tolist()
    [0.4, 0.1]
    """
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {_LEVELS}; got {level!r}")
    predictions = result.predictions
    columns = ["estimator", "fold", "patient_id", "y_true", "proba"]
    if level == "image":
        return predictions[columns].reset_index(drop=True)
    return pool_by_patient(predictions, ["proba"], by=columns[:3],
                           first=["y_true"])[columns]


def _estimator_names(frame):
    return list(pd.unique(frame["estimator"]))


def _positive_label(frame):
    labels = np.unique(frame["y_true"])
    return 1 if 1 in labels.tolist() else labels[-1]


def plot_confusion_matrices(result, level="image", threshold=0.5):
    """Draw one confusion matrix per estimator from out-of-fold predictions.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    level : {"image", "patient"}, default="image"
        Count images, or patients (mean probability of their images within
        each fold).
    threshold : float, default=0.5
        Probability at or above which palsy is predicted.

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes per estimator, titled with its name; rows are the true
        labels (control, palsy), columns the predicted ones.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "b"], "y_true": [1, 0],
    ...                             "proba": [0.9, 0.7]})
    >>> figure = plot_confusion_matrices(Bunch(predictions=predictions))
    >>> len(figure.axes[0].images)
    1
    """
    frame = pooled_predictions(result, level)
    names = _estimator_names(frame)
    positive = _positive_label(frame)
    # At most four panels a row, so that titles stay apart and the figure
    # stays readable when a page scales it to its width.
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(3.6 * columns, 3.4 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax, name in zip(axes, names, strict=False):
        part = frame[frame["estimator"] == name]
        y_true = (part["y_true"].to_numpy() == positive).astype(int)
        y_pred = (part["proba"].to_numpy() >= threshold).astype(int)
        ConfusionMatrixDisplay.from_predictions(
            y_true, y_pred, labels=[0, 1], display_labels=["control", "palsy"],
            ax=ax, colorbar=False, cmap="Blues",
        )
        ax.set_title(f"{name} ({level})")
    return figure


def _plot_curves(result, level, display, title):
    frame = pooled_predictions(result, level)
    positive = _positive_label(frame)
    names = _estimator_names(frame)
    # The legend goes below the axes, where it hides no curve; the figure
    # grows by a line per estimator to hold it.
    figure = Figure(figsize=(5.5, 4.2 + 0.22 * len(names)), layout="constrained")
    ax = figure.subplots()
    for name in names:
        part = frame[frame["estimator"] == name]
        display.from_predictions(
            part["y_true"].to_numpy(), part["proba"].to_numpy(),
            pos_label=positive, name=name, ax=ax,
        )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small",
              frameon=False)
    ax.set_title(f"{title} ({level} level)")
    return figure


def plot_roc_curves(result, level="image"):
    """Draw the ROC curve of every estimator on one pair of axes.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    level : {"image", "patient"}, default="image"
        Curves over images, or over patients (mean probability per fold).

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes with one line per estimator, labelled with its AUC.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "b"], "y_true": [1, 0],
    ...                             "proba": [0.9, 0.2]})
    >>> len(plot_roc_curves(Bunch(predictions=predictions)).axes[0].lines)
    1
    """
    return _plot_curves(result, level, RocCurveDisplay, "ROC")


def plot_precision_recall_curves(result, level="image"):
    """Draw the precision-recall curve of every estimator on one pair of axes.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    level : {"image", "patient"}, default="image"
        Curves over images, or over patients (mean probability per fold).

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes with one line per estimator, labelled with its average
        precision.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "b"], "y_true": [1, 0],
    ...                             "proba": [0.9, 0.2]})
    >>> figure = plot_precision_recall_curves(Bunch(predictions=predictions))
    >>> len(figure.axes[0].lines)
    1
    """
    return _plot_curves(result, level, PrecisionRecallDisplay, "Precision-recall")


def plot_landmarks(image, landmarks, scheme=IBUG68, features=None, ax=None):
    """Draw a face with its landmark contours and, optionally, asymmetry measures.

    In the package's one landmark style, the review page's
    (:mod:`~sklearn_palsy.reporting._style`): thin contours coloured by
    region over a dark edge, which read on any skin, and small rings on the
    points that feed a measure only (iBUG 68's points, and the irises);
    MediaPipe's other points are drawn as the contours through them, so that
    the face stays visible.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) or (H, W), or None
        The face; None draws the landmarks alone (y pointing down).
    landmarks : array-like of shape (n_landmarks, 2)
        Points in image coordinates (x right, y down).
    scheme : LandmarkScheme, default=IBUG68
        Which contours to draw: one line per entry of ``scheme.contours``.
    features : dict of str to float, default=None
        Named asymmetry measures, written in a text box.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: one line per contour, and one collection of
        rings for the points that feed a measure.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces import IBUG68_MEAN_FACE
    >>> ax = plot_landmarks(None, IBUG68_MEAN_FACE, features={"eye_ratio": 0.93})
    >>> len(ax.lines), len(ax.texts), len(ax.collections[0].get_offsets())
    (9, 1, 68)
    """
    landmarks = np.asarray(landmarks, dtype=float)
    if landmarks.ndim != 2 or landmarks.shape[1] != 2:
        raise ValueError(f"landmarks must have shape (K, 2); got {landmarks.shape}")
    if landmarks.shape[0] != scheme.n_landmarks:
        raise ValueError(
            f"scheme {scheme.name!r} has {scheme.n_landmarks} landmarks; "
            f"got {landmarks.shape[0]}"
        )
    if ax is None:
        ax = Figure(figsize=(4, 4), layout="constrained").subplots()
    if image is not None:
        image = np.asarray(image)
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    edge = [patheffects.Stroke(linewidth=CONTOUR_WIDTH * 2.5,
                               foreground=OUTLINE_COLOUR), patheffects.Normal()]
    for contour, (indices, closed) in scheme.contours.items():
        indices = list(indices) + ([indices[0]] if closed else [])
        points = landmarks[indices]
        ax.plot(points[:, 0], points[:, 1], "-", color=region_colour(contour),
                linewidth=CONTOUR_WIDTH, label=contour, path_effects=edge)
    measured = measure_points(scheme)
    points = landmarks[list(measured)]
    ax.scatter(points[:, 0], points[:, 1], s=7, facecolors="none",
               edgecolors=list(measured.values()), linewidths=0.6, zorder=3,
               path_effects=[patheffects.Stroke(linewidth=1.4,
                                                foreground=OUTLINE_COLOUR),
                             patheffects.Normal()])
    if image is None:
        ax.set_aspect("equal")
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
    ax.set_axis_off()
    if features:
        text = "\n".join(f"{name}: {value:.3g}" for name, value in features.items())
        ax.text(0.02, 0.98, text, transform=ax.transAxes, va="top", ha="left",
                fontsize=7, bbox={"boxstyle": "round", "facecolor": "white",
                                  "alpha": 0.8})
    return ax


def plot_permutation_importance(estimator, X, y, feature_names, n_repeats=5,
                                random_state=0, top=15):
    """Draw the permutation importance of a fitted model's features.

    Parameters
    ----------
    estimator : fitted estimator
        The model, scored with its default ``score`` (accuracy for classifiers).
    X : array-like of shape (n_samples, n_features)
        Held-out data.
    y : array-like of shape (n_samples,)
        Its labels.
    feature_names : sequence of str
        Name of each column of X.
    n_repeats : int, default=5
        Shuffles per feature.
    random_state : int, RandomState instance or None, default=0
        Seeds the shuffles.
    top : int, default=15
        How many of the most important features to show.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Horizontal bars of the mean drop in score (with its standard
        deviation), the most important at the top.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> figure = plot_permutation_importance(model, X, y, ["a", "b", "c"], top=2)
    >>> [label.get_text() for label in figure.axes[0].get_yticklabels()][-1]
    'a'
    """
    feature_names = [str(name) for name in feature_names]
    importance = permutation_importance(
        estimator, X, y, n_repeats=n_repeats, random_state=random_state
    )
    if len(feature_names) != len(importance.importances_mean):
        raise ValueError(
            f"{len(feature_names)} feature names for "
            f"{len(importance.importances_mean)} features"
        )
    order = np.argsort(importance.importances_mean)[::-1][:top][::-1]
    figure = Figure(figsize=(6, 0.3 * len(order) + 1.2), layout="constrained")
    ax = figure.subplots()
    ax.barh(np.arange(len(order)), importance.importances_mean[order],
            xerr=importance.importances_std[order], color="tab:blue")
    ax.set_yticks(np.arange(len(order)), [feature_names[i] for i in order])
    ax.set_xlabel("mean decrease in score")
    ax.set_title("Permutation importance")
    return figure


def _level_panels(n_levels, height=4.2, extra=0.0):
    figure = Figure(figsize=(5.2 * n_levels, height + extra), layout="constrained")
    return figure, figure.subplots(1, n_levels, squeeze=False).ravel()


def _legend_below(ax):
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize="small",
              frameon=False)


def plot_reliability_diagrams(result, levels=_LEVELS, *, n_bins=5, calibration=None):
    """Draw the reliability diagram of every estimator, one panel per level.

    The out-of-fold probabilities of a binary evaluation are binned (equal
    widths) with :meth:`sklearn.calibration.CalibrationDisplay.from_predictions`;
    a calibrated model's points lie on the diagonal.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines` for a binary
        target.
    levels : tuple of str, default=("image", "patient")
        One panel per level.
    n_bins : int, default=5
        Bins of the probabilities; few, since cohorts are small.
    calibration : DataFrame, default=None
        :func:`~sklearn_palsy.model_selection.calibration_summary`'s table:
        each estimator's calibration slope and intercept go into its label.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "b"], "y_true": [1, 0],
    ...                             "proba": [0.9, 0.2]})
    >>> result = Bunch(predictions=predictions, target="binary", pos_label=1)
    >>> len(plot_reliability_diagrams(result).axes)
    2
    """
    names = _estimator_names(result.predictions)
    figure, axes = _level_panels(len(levels), extra=0.22 * len(names))
    for ax, level in zip(axes, levels, strict=True):
        pooled = pooled_out_of_fold(result, level)
        for name in names:
            part = pooled[pooled["estimator"] == name]
            label = name
            if calibration is not None:
                rows = calibration[(calibration["estimator"] == name)
                                   & (calibration["level"] == level)]
                values = dict(zip(rows["metric"], rows["estimate"], strict=True))
                label = (f"{name} (slope {values['calibration_slope']:.3g}, "
                         f"intercept {values['calibration_intercept']:.3g})")
            CalibrationDisplay.from_predictions(
                part["y_true"].to_numpy(), part["proba"].to_numpy(), n_bins=n_bins,
                name=label, ax=ax, ref_line=name == names[0])
        ax.set_title(f"Reliability ({level} level)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        _legend_below(ax)
    return figure


def plot_decision_curves(result, levels=_LEVELS, *, thresholds=DEFAULT_THRESHOLDS,
                         curve=None):
    """Draw the decision curves of every estimator, one panel per level.

    Each estimator's net benefit over the threshold probabilities, beside
    treating everyone and treating no one
    (:func:`~sklearn_palsy.model_selection.decision_curve`). The vertical
    axis is cut at a little below zero, where treating everyone falls away.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines` for a binary
        target.
    levels : tuple of str, default=("image", "patient")
        One panel per level.
    thresholds : array-like of float, default=DEFAULT_THRESHOLDS
        Threshold probabilities, each strictly between 0 and 1.
    curve : DataFrame, default=None
        ``decision_curve(result, ...)``, when already computed.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.utils import Bunch
    >>> predictions = pd.DataFrame({"estimator": "m", "fold": 0, "index": [0, 1],
    ...                             "patient_id": ["a", "b"], "y_true": [1, 0],
    ...                             "proba": [0.9, 0.2]})
    >>> result = Bunch(predictions=predictions, target="binary", pos_label=1)
    >>> [len(ax.lines) for ax in plot_decision_curves(result).axes]
    [3, 3]
    """
    if curve is None:
        curve = decision_curve(result, thresholds=thresholds, levels=levels)
    names = _estimator_names(curve)
    figure, axes = _level_panels(len(levels), extra=0.22 * (len(names) + 2))
    for ax, level in zip(axes, levels, strict=True):
        part = curve[curve["level"] == level]
        first = part[part["estimator"] == names[0]]
        for name in names:
            rows = part[part["estimator"] == name]
            ax.plot(rows["threshold"], rows["net_benefit"], label=name)
        ax.plot(first["threshold"], first["treat_all"], color="0.45", linestyle="--",
                label="treat all")
        ax.plot(first["threshold"], first["treat_none"], color="0.2", linestyle=":",
                label="treat none")
        prevalence = float(first["prevalence"].iloc[0])
        ax.set_ylim(-0.05 * max(prevalence, 0.1), max(prevalence, 0.05) * 1.1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("threshold probability")
        ax.set_ylabel("net benefit")
        ax.set_title(f"Decision curve ({level} level)")
        _legend_below(ax)
    return figure


def plot_learning_curve(curve):
    """Draw a learning curve by number of training patients, with its intervals.

    Parameters
    ----------
    curve : DataFrame or Bunch
        The ``curve`` of
        :func:`~sklearn_palsy.model_selection.learning_curve_by_patients`
        (or its whole result).

    Returns
    -------
    figure : matplotlib.figure.Figure
        One panel per level; one line per metric, its interval shaded.

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"n_train_patients": [4, 8], "level": "patient",
    ...                       "metric": "roc_auc", "estimate": [0.6, 0.8],
    ...                       "low": [0.4, 0.7], "high": [0.8, 0.9],
    ...                       "sd_repeats": [0.1, 0.0]})
    >>> len(plot_learning_curve(curve).axes[0].lines)
    1
    """
    curve = getattr(curve, "curve", curve)
    levels = list(pd.unique(curve["level"]))
    figure, axes = _level_panels(len(levels), height=3.8)
    for ax, level in zip(axes, levels, strict=True):
        part = curve[curve["level"] == level]
        for metric in pd.unique(part["metric"]):
            rows = part[part["metric"] == metric]
            line, = ax.plot(rows["n_train_patients"], rows["estimate"], marker="o",
                            label=metric)
            ax.fill_between(rows["n_train_patients"], rows["low"], rows["high"],
                            color=line.get_color(), alpha=0.2)
        ax.set_xlabel("training patients")
        ax.set_ylabel("score")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"Learning curve ({level} level)")
        ax.legend(loc="lower right", fontsize="small")
    return figure
