"""The paper's experiment: compare configurations by patient, explain, report."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.utils import Bunch

from ..faces import resolve_backend
from ..io import save_model
from ..model_selection import (
    RepeatedStratifiedGroupKFold,
    compare_pipelines,
    evaluate_pipelines,
    format_interval,
)
from ..preprocessing import LandmarkDetector
from ..utils._atomic import atomic_write
from ..utils._csv import write_csv_atomic
from ._defaults import DEMO_EPOCHS, DEMO_IMAGE_SIZE, DEMO_RESNET_ARCH, PAPER_PIPELINES
from ._pipelines import make_paper_pipelines

__all__ = ["interval_table", "paper_table", "run_experiment"]

_TABLE_METRICS = ("precision", "recall", "f1")
# The metrics of the interval table that the command line prints and the
# report shows (intervals.csv holds every metric).
_INTERVAL_METRICS = ("recall", "specificity", "f1", "roc_auc")
# The metric by which the best configuration is chosen and compared.
_COMPARISON_METRIC = "f1"
_CV_CHOICES = ("group-kfold", "lopo")


def paper_table(result, metrics=_TABLE_METRICS, *, numeric=False):
    """Lay the scores out as the paper does: one row per configuration.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    metrics : tuple of str, default=("precision", "recall", "f1")
        Metrics to show, each per image and per patient.
    numeric : bool, default=False
        With False, one text column per metric holding "mean ± sd", to
        print; with True, two float columns per metric, ``... mean`` and
        ``... sd``, to sort, plot or compute with (what ``table.csv`` holds).

    Returns
    -------
    table : DataFrame
        Indexed by configuration, with columns such as ``image precision``
        and ``patient f1`` holding "mean ± sd" over the folds, or
        ``image precision mean`` and ``image precision sd``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy import ExpressionFeatures, evaluate_pipelines
    >>> from sklearn_palsy.paper import paper_table
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=6, n_controls=6,
    ...                                expressions=("rest",), random_state=0)
    >>> model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
    ...                       LogisticRegression())
    >>> result = evaluate_pipelines({"features": model}, cohort.landmarks,
    ...                             cohort.y, cohort.groups, cv=3, verbose=0)
    >>> list(paper_table(result).columns)[:2]
    ['image precision', 'image recall']
    >>> list(paper_table(result, numeric=True).columns)[:2]
    ['image precision mean', 'image precision sd']
    """
    summary = result.summary
    names = list(dict.fromkeys(summary.index.get_level_values("estimator")))
    table = pd.DataFrame(index=pd.Index(names, name="configuration"))
    for level in ("image", "patient"):
        for metric in metrics:
            scores = summary.xs(level, level="level")
            # One fold has no sd (NaN); it is shown as 0.
            means = scores[(metric, "mean")].reindex(names).to_numpy(float)
            stds = np.nan_to_num(scores[(metric, "std")].reindex(names).to_numpy(float))
            if numeric:
                table[f"{level} {metric} mean"] = means
                table[f"{level} {metric} sd"] = stds
            else:
                table[f"{level} {metric}"] = [
                    f"{mean:.3f} ± {sd:.3f}"
                    for mean, sd in zip(means, stds, strict=True)
                ]
    return table


def interval_table(result, metrics=_INTERVAL_METRICS, *, levels=("patient",),
                   digits=2):
    """Lay the intervals out as a table: one row per configuration.

    Parameters
    ----------
    result : Bunch
        The output of :func:`~sklearn_palsy.evaluate_pipelines`.
    metrics : tuple of str, default=("recall", "specificity", "f1", "roc_auc")
        Metrics to show, each of ``result.metrics``.
    levels : tuple of str, default=("patient",)
        Levels to show, "image" and/or "patient".
    digits : int, default=2
        Decimal places.

    Returns
    -------
    table : DataFrame
        Indexed by configuration, with a column such as ``patient f1`` per
        level and metric, holding :func:`~sklearn_palsy.format_interval`'s
        ``"0.93 (0.89–0.96)"``: the metric of the pooled out-of-fold
        predictions and its interval by patient.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy import ExpressionFeatures, evaluate_pipelines
    >>> from sklearn_palsy.paper import interval_table
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=6, n_controls=6,
    ...                                expressions=("rest",), random_state=0)
    >>> model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
    ...                       LogisticRegression())
    >>> result = evaluate_pipelines({"features": model}, cohort.landmarks,
    ...                             cohort.y, cohort.groups, cv=3, verbose=0,
    ...                             n_bootstraps=200, random_state=0)
    >>> list(interval_table(result, ("f1",), levels=("image", "patient")).columns)
    ['image f1', 'patient f1']
    """
    intervals = result.intervals.set_index(["estimator", "level", "metric"])
    names = list(dict.fromkeys(result.intervals["estimator"]))
    table = pd.DataFrame(index=pd.Index(names, name="configuration"))
    for level in levels:
        for metric in metrics:
            table[f"{level} {metric}"] = [
                format_interval(*intervals.loc[(name, level, metric),
                                               ["estimate", "low", "high"]],
                                digits=digits)
                for name in names
            ]
    return table


# The configurations whose first-fold models the report explains.
_EXPLAINED = ("features_ffnn", "lines_resnet", "rgb_resnet")


def _figures(result, data, backend, *, verbose=0):
    """Everything the report shows beyond the curves and matrices.

    The models explained are those the evaluation fitted on its first fold
    (``result.estimators``), shown on that fold's held-out patients: nothing
    is trained again.
    """
    import matplotlib.figure
    from tqdm.auto import tqdm

    from ..faces import read_image
    from ..preprocessing import ExpressionFeatures
    from ..reporting import (
        grad_cam,
        plot_grad_cam,
        plot_landmarks,
        plot_permutation_importance,
    )

    figures = {}
    y = np.asarray(data.y)
    fitted = getattr(result, "estimators", {})
    explained = [name for name in _EXPLAINED if fitted.get(name, [None])[0] is not None]
    progress = tqdm(total=1 + len(explained), desc="report figures",
                    disable=not verbose)
    # One face of each class, with its landmarks and its asymmetry measures.
    chosen = [int(np.flatnonzero(y == label)[0]) for label in np.unique(y)][:2]
    detector = LandmarkDetector(backend=backend, on_missing="nan")
    landmarks = detector.fit_transform(data.X[chosen])
    features = ExpressionFeatures(kinds=("clinical",))
    figure = matplotlib.figure.Figure(figsize=(4 * len(chosen), 4.5))
    for position, (index, points) in enumerate(
        zip(chosen, landmarks, strict=True), start=1
    ):
        ax = figure.add_subplot(1, len(chosen), position)
        if np.isfinite(points).all():
            values = features.fit_transform(points[None])[0]
            names = features.get_feature_names_out()
            shown = {
                name.replace("clinical__", ""): value
                for name, value in zip(names, values, strict=True)
                if name.endswith("_deviation")
                and ("brow" in name or "commissure" in name)
            }
            plot_landmarks(read_image(data.X[index]), points, detector.scheme,
                           features=shown, ax=ax)
        ax.set_title(f"{Path(data.X[index]).name} (label {y[index]})")
    figures["Landmarks and asymmetry measures"] = figure
    progress.update()

    _, test = result.splits[0]
    for name in explained:
        model = fitted[name][0]
        if name == "features_ffnn":
            # Permutation importance of the expression features, on the
            # first fold's held-out patients.
            figures["Permutation importance of the expression features "
                    "(held-out fold)"] = plot_permutation_importance(
                model[-1], model[:-1].transform(data.X[test]), y[test],
                model.named_steps["features"].get_feature_names_out(),
                n_repeats=5,
            )
        else:
            # Grad-CAM of the ResNet, on held-out faces of both classes.
            shown = [int(test[np.flatnonzero(y[test] == label)[0]])
                     for label in np.unique(y[test])]
            resnet, images = _resnet_and_images(model, data.X[shown])
            # layer3 keeps a few cells of resolution at small image sizes.
            heatmaps = grad_cam(resnet, images, target_layer="layer3")
            figure = matplotlib.figure.Figure(figsize=(4 * len(shown), 4.5))
            for position, (index, image, heatmap) in enumerate(
                zip(shown, images, heatmaps, strict=True), start=1
            ):
                ax = figure.add_subplot(1, len(shown), position)
                plot_grad_cam(np.asarray(image), heatmap, ax=ax)
                ax.set_title(f"{Path(data.X[index]).name} (label {y[index]})")
            figures[f"Grad-CAM of {name} (layer3, held-out faces)"] = figure
        progress.update()
    progress.close()
    return figures


def _resnet_and_images(model, X):
    """The ResNet inside a fitted pipeline and its input images, if any."""
    from sklearn.pipeline import Pipeline

    from ..neural import ResNetClassifier

    if isinstance(model, Pipeline) and isinstance(model[-1], ResNetClassifier):
        return model[-1], model[:-1].transform(X)
    return None, None


def run_experiment(
    X,
    y,
    groups,
    out_dir,
    *,
    pipelines=None,
    cv="group-kfold",
    n_splits=5,
    image_size=DEMO_IMAGE_SIZE,
    ffnn_epochs=DEMO_EPOCHS["ffnn_epochs"],
    resnet_epochs=DEMO_EPOCHS["resnet_epochs"],
    fusion_epochs=DEMO_EPOCHS["fusion_epochs"],
    resnet_arch=DEMO_RESNET_ARCH,
    backend="auto",
    random_state=0,
    verbose=1,
    repeats=1,
    test=None,
    on_overlap="raise",
    by=None,
    n_bootstraps=1000,
):
    """Run the paper's comparison by patient, then write the table, report and model.

    Parameters
    ----------
    X : array-like of str
        Image paths.
    y : array-like
        Labels (1 for palsy).
    groups : array-like
        Patient ids.
    out_dir : str or path-like
        Receives ``table.csv``, ``table.md``, ``scores.csv``, ``report.html``,
        ``intervals.csv`` (every metric's estimate and interval by patient),
        ``comparison.csv`` (the paired comparison, with more than one
        configuration), ``subgroups.csv`` (with ``by``) and
        ``model.safetensors`` (the best configuration refitted on all
        training images, in the safe format of :func:`~sklearn_palsy.save_model`).
    pipelines : list of str, default=None
        Configurations from :data:`~sklearn_palsy.paper.PAPER_PIPELINES`;
        None runs them all.
    cv : {"group-kfold", "lopo"}, default="group-kfold"
        GroupKFold with ``n_splits`` folds, or leave-one-patient-out.
        Anything else is refused before any work.
    n_splits : int, default=5
        Folds of GroupKFold.
    image_size, ffnn_epochs, resnet_epochs, fusion_epochs : int
        Passed to :func:`~sklearn_palsy.make_paper_pipelines`; the defaults
        keep the whole paper table within a few minutes on two CPU cores.
    resnet_arch : str, default="resnet18"
        Architecture of every ResNet
        (:data:`~sklearn_palsy.paper.DEMO_RESNET_ARCH`, the paper's;
        ``"resnet10"`` trains faster).
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model of every configuration; the one used is written in
        the CSVs (``landmark_backend`` column) and the report's settings.
    random_state : int, default=0
        Seed of every network.
    verbose : int, default=1
        Progress bars.
    repeats : int, default=1
        With more than one, GroupKFold becomes
        :class:`~sklearn_palsy.RepeatedStratifiedGroupKFold` with
        ``n_splits`` folds repeated this many times (seeded by
        ``random_state``); not with ``cv="lopo"``.
    test : tuple (X_test, y_test, groups_test), default=None
        External validation: train on X, y and score on this set instead of
        cross-validating (see :func:`~sklearn_palsy.evaluate_pipelines`).
    on_overlap : {"raise", "warn"}, default="raise"
        With ``test``: refuse a test set sharing patients or images with the
        training set, or warn.
    by : DataFrame, default=None
        Subgroup columns, one row per evaluated image (of X, or of the test
        set): every metric with its interval per subgroup.
    n_bootstraps : int, default=1000
        Patient resamples of the intervals and of the paired comparison.

    Returns
    -------
    experiment : Bunch
        ``result`` (from :func:`~sklearn_palsy.evaluate_pipelines`, with its
        ``intervals`` and, with ``by``, ``subgroups``), ``table``
        (:func:`paper_table`), ``intervals`` (:func:`interval_table`),
        ``best`` (the configuration with the highest mean per-patient F1),
        ``comparison`` (:func:`~sklearn_palsy.compare_pipelines` of every
        other configuration against the best, on the per-patient F1; None
        with one configuration), and the paths written.

    Notes
    -----
    The report's Grad-CAM images and permutation importances explain the
    models that the evaluation fitted on its first fold, so the experiment
    trains each configuration once per fold, plus the best one once more on
    all images for ``model.safetensors``.
    """
    if cv not in _CV_CHOICES:
        raise ValueError(
            f"cv must be one of {', '.join(map(repr, _CV_CHOICES))}; got {cv!r}"
        )
    if repeats != 1 and (cv == "lopo" or test is not None):
        raise ValueError(
            "repeats applies to GroupKFold; leave-one-patient-out and an external "
            "test set are not repeated"
        )
    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    backend = resolve_backend(backend)
    models = make_paper_pipelines(
        image_size=image_size, ffnn_epochs=ffnn_epochs, resnet_epochs=resnet_epochs,
        fusion_epochs=fusion_epochs, resnet_arch=resnet_arch,
        backend=backend,
        random_state=random_state,
    )
    names = list(PAPER_PIPELINES) if pipelines is None else list(pipelines)
    unknown = sorted(set(names) - set(models))
    if unknown:
        raise ValueError(
            f"unknown pipelines {unknown}; choose from {', '.join(PAPER_PIPELINES)}"
        )
    if test is not None:
        X_test, y_test, groups_test = test
        test = (np.asarray(X_test, dtype=object), np.asarray(y_test),
                np.asarray(groups_test))
        splitter = None
        validation = (f"none: trained on all, tested on an external set of "
                      f"{len(test[1])} images of {len(np.unique(test[2]))} patients")
    elif cv == "lopo":
        splitter, validation = LeaveOneGroupOut(), "leave-one-patient-out"
    elif repeats > 1:
        splitter = RepeatedStratifiedGroupKFold(n_splits=n_splits, n_repeats=repeats,
                                                random_state=random_state)
        validation = f"StratifiedGroupKFold({n_splits}) repeated {repeats} times"
    else:
        splitter, validation = GroupKFold(n_splits=n_splits), f"GroupKFold({n_splits})"
    X, y, groups = np.asarray(X, dtype=object), np.asarray(y), np.asarray(groups)
    # The first fold's models of the explained configurations are kept for
    # the report's figures.
    result = evaluate_pipelines(
        {name: models[name] for name in names}, X, y, groups, cv=splitter,
        return_estimator={name: [0] for name in _EXPLAINED if name in names},
        verbose=verbose, n_bootstraps=n_bootstraps, random_state=random_state,
        test=test, on_overlap=on_overlap, by=by,
    )
    table = paper_table(result)
    intervals = interval_table(result)
    patient_f1 = result.summary.xs("patient", level="level")[("f1", "mean")]
    best = str(patient_f1.idxmax())
    comparison = None
    if len(names) > 1:
        # The same resamples' seed as the intervals'.
        comparison = compare_pipelines(result, best, metric=_COMPARISON_METRIC,
                                       n_bootstraps=n_bootstraps,
                                       random_state=random_state)

    paths = Bunch(table_csv=out_dir / "table.csv", table_md=out_dir / "table.md",
                  scores=out_dir / "scores.csv", report=out_dir / "report.html",
                  intervals=out_dir / "intervals.csv",
                  model=out_dir / "model.safetensors")
    write_csv_atomic(result.intervals.assign(landmark_backend=backend),
                     paths.intervals)
    if comparison is not None:
        paths.comparison = out_dir / "comparison.csv"
        write_csv_atomic(comparison, paths.comparison)
    if by is not None:
        paths.subgroups = out_dir / "subgroups.csv"
        write_csv_atomic(result.subgroups, paths.subgroups)
    # Numbers in the CSV (mean and sd apart), "mean ± sd" in the Markdown.
    numeric = paper_table(result, numeric=True)
    write_csv_atomic(numeric.reset_index().assign(landmark_backend=backend),
                     paths.table_csv)
    write_csv_atomic(result.scores.assign(landmark_backend=backend),
                     paths.scores)
    atomic_write(
        paths.table_md, lambda handle: handle.write(table.to_markdown() + "\n")
    )

    best_model = models[best].fit(X, y)
    save_model(best_model, paths.model)

    from ..reporting import write_report

    # The figures explain fold 0's models on its test images: the external
    # test set's, when there is one.
    data = Bunch(X=X, y=y) if test is None else Bunch(X=test[0], y=test[1])
    figures = _figures(result, data, backend, verbose=verbose)
    scheme = LandmarkDetector(backend=backend).scheme
    settings = pd.DataFrame(
        {
            "setting": [
                "images",
                "patients",
                "cross-validation",
                "image size",
                "epochs (FFNN / ResNet / fusion)",
                "ResNet",
                "landmarks",
                "best configuration",
            ],
            "value": [
                len(y),
                len(np.unique(groups)),
                validation,
                f"{image_size} px",
                f"{ffnn_epochs} / {resnet_epochs} / {fusion_epochs}",
                f"{resnet_arch}, from scratch",
                f"{backend} ({scheme.n_landmarks} points)",
                f"{best} (highest mean per-patient F1), saved to {paths.model.name}",
            ],
        }
    )
    # The report shows result.intervals and the comparison in its own
    # sections (every metric, and every pair's p-values).
    extra_tables = {"Settings": settings, "The paper's table": table}
    write_report(paths.report, result, title="sklearn-palsy: the paper's comparison",
                 figures=figures, extra_tables=extra_tables, comparison=comparison)
    return Bunch(result=result, table=table, intervals=intervals, best=best,
                 comparison=comparison, paths=paths,
                 seconds=round(time.perf_counter() - start, 1))
