"""Validation: several estimators cross-validated by patient into one table.

:func:`evaluate_pipelines` checks its target, the patient ids and labels and
every split (with :mod:`~sklearn_palsy.model_selection._split`) before the
first fit; then it fits each estimator on every training fold, in parallel
(a voting ensemble of other estimators of the evaluation is built from
their fitted folds rather than trained again), and scores each test fold
per image and per patient (with :mod:`~sklearn_palsy.model_selection._scoring`).
"""

import pickle
import time

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupKFold
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping

# scikit-learn's Parallel and delayed carry the caller's config (transform_output,
# metadata routing, ...) into joblib workers, as plain joblib does not.
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ..exceptions import format_listing
from ..utils._compat import _safe_indexing, routing_enabled
from ..utils._validation import check_label_values, warn_if_text_order
from ._intervals import check_bootstrap_parameters, interval_table, subgroup_table
from ._scoring import (
    CALIBRATION_METRICS,
    METRICS,
    MULTICLASS_METRICS,
    ORDINAL_METRICS,
    _score_binary_fold,
    _score_class_fold,
)
from ._split import (
    ON_OVERLAP,
    _check_groups,
    _check_one_label_per_patient,
    _n_samples,
    check_no_overlap,
    check_patient_split,
    split_repeats,
)

__all__ = ["evaluate_pipelines"]

TARGETS = ("auto", "binary", "multiclass", "ordinal")


def _fit_params(estimator, groups):
    """``groups`` for ``estimator.fit`` when metadata routing asks for it.

    As in :func:`~sklearn.model_selection.cross_validate`: with routing on,
    the training fold's patient ids reach every step that requested
    ``groups`` (early stopping by patient, late fusion's inner folds); with
    routing off, ``groups`` only splits.
    """
    if not routing_enabled():
        return {}
    router = MetadataRouter(owner="evaluate_pipelines").add(
        estimator=estimator,
        method_mapping=MethodMapping().add(caller="fit", callee="fit"),
    )
    return router.route_params(params={"groups": groups}, caller="fit").estimator.fit


def _aligned_proba(name, fitted, proba, classes):
    """``proba``'s columns put in the order of ``classes``, 0 for classes unseen.

    A training fold may lack a class (a grade that none of its patients
    has); the estimator then gives that class no column, and probability 0.
    """
    index_of = {label: i for i, label in enumerate(classes.tolist())}
    fitted_classes = np.asarray(fitted.classes_).tolist()
    unknown = [label for label in fitted_classes if label not in index_of]
    if unknown:
        raise ValueError(
            f"estimator {name!r} predicts classes {unknown} that the target's "
            f"classes {classes.tolist()} lack"
        )
    aligned = np.zeros((len(proba), len(classes)))
    aligned[:, [index_of[label] for label in fitted_classes]] = proba
    return aligned


def _fit_and_score(name, estimator, X, y, groups, train, test, fold, classes,
                   keep, prior_fit_time=0.0):
    start = time.perf_counter()
    fitted = clone(estimator).fit(
        _safe_indexing(X, train), y[train], **_fit_params(estimator, groups[train])
    )
    fit_time = prior_fit_time + time.perf_counter() - start
    proba = fitted.predict_proba(_safe_indexing(X, test))
    proba = _aligned_proba(name, fitted, proba, classes)
    return name, fold, test, proba, fit_time, fitted if keep else None


def _shared_members(estimators):
    """The voting ensembles whose members are other estimators of the evaluation.

    Returns ``{ensemble: {member: source}}`` for each
    :class:`~sklearn.ensemble.VotingClassifier` among ``estimators`` whose
    every member (but those set to ``"drop"``) equals, parameter for
    parameter, another estimator of the evaluation that is not itself such an
    ensemble, such as the paper's late fusion of ``lines_resnet`` and
    ``features_ffnn``. Equal means that the unfitted clones pickle alike
    (:func:`joblib.hash`), so the member's fit on a fold is the source's fit
    on that fold.
    """
    digests = {}
    for name, estimator in estimators.items():
        if not isinstance(estimator, VotingClassifier):
            digest = _unfitted_digest(estimator)
            if digest is not None:
                digests.setdefault(digest, name)
    shared = {}
    for name, estimator in estimators.items():
        if not isinstance(estimator, VotingClassifier):
            continue
        members = {member: digests.get(_unfitted_digest(sub))
                   for member, sub in estimator.estimators if sub != "drop"}
        if members and None not in members.values():
            shared[name] = members
    return shared


def _unfitted_digest(estimator):
    """The hash of an unfitted clone, or None where it cannot be pickled.

    A lambda in a ``FunctionTransformer`` cannot be pickled; such an
    estimator is then never taken for another, and is simply trained.
    """
    try:
        return joblib.hash(clone(estimator))
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


def _fit_and_score_all(estimators, shared, kept, X, y, groups, splits, classes,
                       n_jobs):
    """Every estimator's fit and score on every fold, as results arrive.

    The voting ensembles of ``shared`` are built on each fold, as soon as
    their sources' fits of that fold arrive, from those fits wrapped in
    :class:`~sklearn.frozen.FrozenEstimator`: a member that another
    estimator of the evaluation already fitted on the same fold is not
    trained again (fitting the ensemble then only encodes the labels, and
    it is done here rather than in a worker). A source's fit is held only
    until the ensembles of its fold are built, unless it is kept. An
    ensemble's ``fit_time`` counts its members' fits.
    """
    sources = {source for members in shared.values() for source in members.values()}
    fitted, fit_times, built = {}, {}, set()
    jobs = [
        delayed(_fit_and_score)(name, estimator, X, y, groups, train, test, fold,
                                classes, fold in kept.get(name, ()) or name in sources)
        for name, estimator in estimators.items() if name not in shared
        for fold, (train, test) in enumerate(splits)
    ]
    for name, fold, test, proba, fit_time, model in Parallel(
            n_jobs=n_jobs, return_as="generator")(jobs):
        if name in sources:
            fitted[name, fold], fit_times[name, fold] = model, fit_time
            model = model if fold in kept.get(name, ()) else None
        yield name, fold, test, proba, fit_time, model
        for ensemble, members in shared.items():
            if (ensemble, fold) in built or any(
                    (source, fold) not in fitted for source in members.values()):
                continue
            built.add((ensemble, fold))
            train, test = splits[fold]
            yield _fit_and_score(
                ensemble,
                clone(estimators[ensemble]).set_params(**{
                    member: FrozenEstimator(fitted[source, fold])
                    for member, source in members.items()
                }),
                X, y, groups, train, test, fold, classes,
                fold in kept.get(ensemble, ()),
                sum(fit_times[source, fold] for source in members.values()),
            )
        for source in sources:
            if (source, fold) in fitted and all(
                    (ensemble, fold) in built for ensemble, members in shared.items()
                    if source in members.values()):
                del fitted[source, fold]


def _kept_folds(return_estimator, names, n_splits):
    """For each estimator name, the folds whose fitted estimators are returned."""
    if isinstance(return_estimator, bool):
        folds = set(range(n_splits)) if return_estimator else set()
        return {name: folds for name in names} if folds else {}
    if isinstance(return_estimator, dict):
        kept = {name: set(folds) for name, folds in return_estimator.items()}
    else:
        kept = {name: set(range(n_splits)) for name in return_estimator}
    unknown = sorted(set(kept) - set(names))
    if unknown:
        raise ValueError(
            f"return_estimator names {unknown}, which are not among the estimators "
            f"{list(names)}"
        )
    for name, folds in kept.items():
        bad = sorted(fold for fold in folds if not 0 <= fold < n_splits)
        if bad:
            raise ValueError(
                f"return_estimator asks for folds {bad} of {name!r}; there are "
                f"{n_splits} folds, numbered from 0"
            )
    return kept


def _check_target(y, target, classes, pos_label):
    """The kind of target, its classes in order, and each label's index there."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    check_label_values(y, "evaluate_pipelines")
    labels = np.unique(y)
    if target == "auto":
        target = "binary" if len(labels) == 2 and classes is None else "multiclass"
        inferred = True
    else:
        inferred = False
    if target == "binary":
        if classes is not None:
            raise ValueError(
                "classes orders multiclass and ordinal targets; a binary target "
                "takes pos_label instead"
            )
        if len(labels) != 2 or pos_label not in set(y.tolist()):
            raise ValueError(
                "evaluate_pipelines scores binary problems with "
                f"pos_label={pos_label!r}; y has classes {labels.tolist()}"
                + (". Pass target='multiclass' or 'ordinal' for more classes"
                   if len(labels) > 2 else "")
            )
        return target, labels, "a binary target"
    if classes is None:
        classes = labels
        if target == "ordinal":
            warn_if_text_order(classes, "evaluate_pipelines", stacklevel=3)
    else:
        classes = np.asarray(classes)
        values = classes.tolist()
        if classes.ndim != 1 or len(set(values)) != len(values):
            raise ValueError(
                "classes must be a 1-D list of distinct labels, lowest first; got "
                f"{values!r}"
            )
        missing = sorted(set(labels.tolist()) - set(values), key=str)
        if missing:
            rows = np.flatnonzero(np.isin(y, missing))
            raise ValueError(
                f"y has labels {missing} that classes={values!r} lacks, at "
                f"{'rows' if rows.size > 1 else 'row'} "
                + format_listing([str(row) for row in rows], separator=", ")
            )
    if len(labels) < 2:
        raise ValueError(
            f"evaluate_pipelines needs at least 2 classes in y; got {labels.tolist()}"
        )
    described = (
        f"y's {len(labels)} classes make target='auto' a multiclass target, not "
        "binary" if inferred else f"a {target} target"
    )
    return target, classes, described


def _check_test(test, cv):
    """The external test set's X, y and patient ids, checked."""
    if cv is not None:
        raise ValueError(
            "evaluate_pipelines takes cv (cross-validation) or test (external "
            "validation), not both"
        )
    if not isinstance(test, (tuple, list)) or len(test) != 3:
        raise ValueError(
            "test must be a tuple (X_test, y_test, groups_test); got "
            f"{type(test).__name__}"
            + (f" of length {len(test)}" if isinstance(test, (tuple, list)) else "")
        )
    X_test, y_test, groups_test = test
    y_test = np.asarray(y_test)
    groups_test = _check_groups(groups_test, _n_samples(X_test))
    if len(y_test) != len(groups_test):
        raise ValueError(
            f"y_test has {len(y_test)} labels but X_test has {len(groups_test)} "
            "samples"
        )
    return X_test, y_test, groups_test


def _check_by(by, X, n_samples):
    """The subgroup columns as a DataFrame of n_samples rows, or None."""
    if by is None:
        return None
    if isinstance(by, str) or (isinstance(by, (list, tuple)) and by and all(
            isinstance(name, str) for name in by)):
        names = [by] if isinstance(by, str) else list(by)
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"by names columns {names}, but the samples are not a DataFrame: "
                "pass the columns themselves (a DataFrame or a dict of arrays)"
            )
        missing = [name for name in names if name not in X.columns]
        if missing:
            raise ValueError(
                f"by names columns {missing} that the samples lack; their columns "
                f"are {list(X.columns)}"
            )
        by = X[names]
    frame = pd.DataFrame(by).reset_index(drop=True)
    if len(frame) != n_samples or frame.shape[1] == 0:
        raise ValueError(
            f"by must hold one value per evaluated sample in each of its columns: "
            f"it has {len(frame)} rows and {frame.shape[1]} columns, for "
            f"{n_samples} samples"
        )
    return frame


def _concatenate_samples(X, X_test):
    """Training then test samples, in one container of X's kind."""
    if isinstance(X, pd.DataFrame):
        return pd.concat([X, pd.DataFrame(X_test)], ignore_index=True)
    if isinstance(X, list):
        return X + list(X_test)
    X, X_test = np.asarray(X), np.asarray(X_test)
    if X.dtype.kind in "OUS" or X_test.dtype.kind in "OUS":
        return np.concatenate([X.astype(object), X_test.astype(object)])
    return np.concatenate([X, X_test])


def evaluate_pipelines(
    estimators,
    X,
    y,
    groups,
    cv=None,
    *,
    target="auto",
    classes=None,
    pos_label=1,
    return_estimator=False,
    n_jobs=None,
    verbose=1,
    n_bootstraps=1000,
    confidence_level=0.95,
    interval_method="percentile",
    random_state=None,
    test=None,
    on_overlap="raise",
    by=None,
):
    """Cross-validate several estimators by patient and tabulate their scores.

    Each estimator is cloned and fitted on every training fold; its
    probabilities on the test fold are scored per image (as the paper
    reports) and per patient (a patient's probabilities are the mean over
    their images). Before anything is fitted, the patient ids and labels are
    checked and every split is checked with :func:`check_patient_split`, so
    a split that puts one patient on both sides, or a patient whose images
    have different labels, is refused.

    Binary targets (palsy or not) are scored as the paper does, plus the
    calibration of the probabilities; multi-class targets (control, central,
    peripheral) by class; ordinal targets (House-Brackmann grades) also by
    how far each predicted grade is from the true one.

    Parameters
    ----------
    estimators : dict of str to estimator
        Classifiers with ``predict_proba``, e.g. from
        :func:`~sklearn_palsy.make_paper_pipelines`, or
        :class:`~sklearn_palsy.clinical.OrdinalClassifier` for grades.
    X : array-like
        Shared input, usually a 1-D array of image paths.
    y : array-like of shape (n_samples,)
        Labels.
    groups : array-like of shape (n_samples,)
        Patient ids. They define the splits; with metadata routing on
        (``sklearn.set_config(enable_metadata_routing=True)``) the training
        fold's ids also reach every step whose ``fit`` requests ``groups``.
    cv : int, splitter or iterable, default=None
        None means ``GroupKFold(5)``;
        :class:`~sklearn.model_selection.LeaveOneGroupOut` gives
        leave-one-patient-out.
    target : {"auto", "binary", "multiclass", "ordinal"}, default="auto"
        How to score. ``"auto"`` is binary when y has two classes (and
        ``classes`` is None), else multiclass; ordinal targets are scored as
        such only when asked.

        - binary: :data:`METRICS` and :data:`CALIBRATION_METRICS`, from the
          probability of ``pos_label`` thresholded at 0.5;
        - multiclass: :data:`MULTICLASS_METRICS`, predicting the most
          probable class;
        - ordinal: :data:`ORDINAL_METRICS`, predicting the expected grade
          rounded (:func:`ordinal_decision` with ``"mean"``), whatever the
          estimator's own ``predict`` does, so that every estimator and both
          levels are judged alike.
    classes : array-like, default=None
        The order of the classes of a multiclass or ordinal target, lowest
        grade first (the rows and columns of the confusion matrices, and the
        grade steps that the ordinal metrics count). None means the sorted
        labels of y: numeric grades keep their numeric order, and text
        grades of an ordinal target are sorted alphabetically with a
        ``UserWarning`` naming that order (``"mild"`` would come before
        ``"normal"``), since it is rarely their grade order; give ``classes``
        to choose it. It may hold classes that y lacks; every label of y
        must be in it.
    pos_label : int or str, default=1
        The label of palsy, for a binary target.
    return_estimator : bool, list of str or dict, default=False
        Keep the estimators fitted on each fold, as
        :func:`~sklearn.model_selection.cross_validate` does, to explain or
        plot them without training again: all of them (True), every fold of
        the estimators named (a list), or the folds given for each name (a
        dict such as ``{"lines_resnet": [0]}``). Each holds its weights in
        memory (a ResNet-18 about 45 MB), so keep only what you need.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; also under a Dask backend).
    verbose : int, default=1
        Show a progress bar over estimators and folds.
    n_bootstraps : int, default=1000
        Resamples of the patients for the confidence intervals
        (``intervals``, ``subgroups``), at least 1.
    confidence_level : float, default=0.95
        Of every interval.
    interval_method : {"percentile", "BCa"}, default="percentile"
        The bootstrap interval: percentile, or bias-corrected and
        accelerated (:func:`scipy.stats.bootstrap`).
    random_state : int, Generator or None, default=None
        Seed of the bootstrap's resamples (the estimators keep their own).
    test : tuple (X_test, y_test, groups_test), default=None
        External validation: fit each estimator once on all of X, y and
        score it on this test set (another site's patients, say), with the
        same metrics and intervals; ``cv`` must then be None. The test set
        is checked to share no patient id and no image (by content) with
        the training set, see ``on_overlap``.
    on_overlap : {"raise", "warn"}, default="raise"
        With ``test``: refuse a test set that shares patients or images
        with the training set (:class:`~sklearn_palsy.exceptions.PatientLeakageError`),
        or only warn (:class:`~sklearn_palsy.exceptions.PatientLeakageWarning`),
        for sites whose ids collide but name different people.
    by : DataFrame, dict, str or list of str, default=None
        Subgroups: columns with one value per evaluated sample (of X, or of
        the test set with ``test``), such as sex, age group, camera or site;
        a name or list of names picks those columns of X (or of X_test)
        when it is a DataFrame. Every metric is given with its interval in
        each subgroup of each column (``subgroups``).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With fields:

        - ``scores``: tidy DataFrame, one row per estimator, fold and level
          ("image" or "patient"), with a column per metric (those of
          ``metrics``), ``fit_time`` and ``repeat`` (the repetition of the
          fold, 0 but for repeated cross-validation such as
          :class:`RepeatedStratifiedGroupKFold`, whose folds are numbered
          on across repetitions);
        - ``summary``: DataFrame indexed by estimator and level with the mean
          and standard deviation of each metric over the folds;
        - ``predictions``: DataFrame of the out-of-fold predictions of every
          image for every estimator (columns ``estimator``, ``fold``,
          ``repeat``, ``index``, ``patient_id``, ``y_true``, and ``proba``, the
          probability of ``pos_label``, for a binary target; for others
          ``y_pred`` and a column ``proba_<class>`` per class);
        - ``intervals``: tidy DataFrame, one row per estimator, level and
          metric, with ``estimate`` (the metric of the pooled out-of-fold
          predictions), ``low`` and ``high`` (its interval, by a bootstrap
          over patients) and ``note`` (why an interval is missing or how it
          was made, else empty); see Notes;
        - ``subgroups`` (with ``by``): the same columns for each subgroup,
          after ``subgroup_column`` and ``subgroup``, with ``n_patients`` and
          ``n_images``; the ``note`` says when a subgroup is too small to say
          anything (fewer than 10 patients, or one class only) and names
          the subgroup of missing values, ``"(missing)"``;
        - ``splits``: the checked (train, test) splits; with ``test``, one
          split holding every training index and every test index (each an
          index into its own set);
        - ``validation``: ``"cross-validation"`` or ``"external"``;
        - ``target``: "binary", "multiclass" or "ordinal";
        - ``classes``: the classes in order (for a binary target, the two
          labels sorted);
        - ``metrics``: the names of the metric columns;
        - ``confusion_matrices`` (multiclass and ordinal targets): a dict
          from estimator name to a dict from level to an int array of shape
          (n_folds, n_classes, n_classes), true classes in rows, both in the
          order of ``classes``;
        - ``pos_label`` (binary target), for :func:`calibration_table`;
        - ``estimators``: with ``return_estimator``, a dict from name to the
          list of its fitted estimators, one per split (None for the folds
          not kept).

    Raises
    ------
    PatientLeakageError
        If ``cv`` puts a patient on both sides of a split.
    ManifestError
        If a patient's images have more than one label, naming the patients
        (as :func:`check_patient_split` does). Unlike
        :func:`check_patient_split` and the loaders, this function has no
        ``allow_mixed_patient_labels`` switch: it scores each patient against
        their one label, which such a patient does not have. It is also a
        :class:`ValueError`.
    PatientLeakageError
        With ``test`` and ``on_overlap="raise"``, if the test set shares a
        patient id or an image's content with the training set, naming them
        with their rows.
    ValueError
        If the bootstrap parameters are out of range, ``test`` is not a
        triple or comes with ``cv``, ``by`` names a column that X lacks or
        has another length than the samples evaluated;
        if ``groups`` is missing, of another length than X, or holds missing
        ids (None, NaN) or both numbers and text; if y holds missing labels
        (None, NaN) or both numbers and text, whatever the target (naming
        the rows); if a binary target does not
        have two classes with ``pos_label`` among them; if y has a label that
        ``classes`` lacks (naming the rows); if a fitted estimator predicts
        classes outside the target's.

    Warns
    -----
    UserWarning
        For an ordinal target of text grades without ``classes``: which
        (alphabetical) order was used, and how to give another.

    See Also
    --------
    calibration_table : The reliability curve of a binary evaluation.

    Notes
    -----
    Each check runs before the first fit, so a bad input fails at once
    rather than after the first fold has trained.

    The intervals resample patients, the independent units, with
    :func:`scipy.stats.bootstrap` (all of a patient's images come along),
    and score each resample's pooled out-of-fold predictions at both
    levels. With repeated cross-validation each image has one out-of-fold
    prediction per repetition: the estimate is the mean over repetitions of
    each repetition's pooled metric (not the metric of averaged
    probabilities, which would score an ensemble the folds never built),
    and each resample of the patients is applied to every repetition
    alike, so that the interval reflects the patients sampled rather than
    the shuffles. A metric that a resample leaves undefined (a ROC AUC
    without both classes) is left out of that resample, and the note says
    in how many it was defined.

    A :class:`~sklearn.ensemble.VotingClassifier` whose members are all
    estimators of the same evaluation, parameter for parameter (the paper's
    late fusion of ``lines_resnet`` and ``features_ffnn``), is built on each
    fold from those estimators' fitted folds, wrapped in
    :class:`~sklearn.frozen.FrozenEstimator`, instead of training its
    members a second time; its ``fit_time`` includes theirs. With seeded
    members (an int ``random_state``) the results are those of training it
    alone.

    The multi-class macro averages (balanced accuracy, one-vs-rest ROC AUC)
    are taken over the classes that the fold's test patients have. Spearman's
    rho and the quadratic-weighted kappa are NaN in a fold whose true or
    predicted grades are all the same.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_palsy import ExpressionFeatures, evaluate_pipelines
    >>> from sklearn_palsy.datasets import make_synthetic_cohort
    >>> cohort = make_synthetic_cohort(n_patients=6, n_controls=6,
    ...                                expressions=("rest",), random_state=0)
    >>> model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
    ...                       LogisticRegression())
    >>> result = evaluate_pipelines({"features": model}, cohort.landmarks,
    ...                             cohort.y, cohort.groups, cv=3, verbose=0)
    >>> sorted(set(result.scores.level))
    ['image', 'patient']

    Every metric has an estimate and an interval by patient:

    >>> result.intervals.columns.tolist()
    ['estimator', 'level', 'metric', 'estimate', 'low', 'high', 'note']

    The same cohort graded (1 normal to 6), as an ordinal target:

    >>> graded = evaluate_pipelines({"features": model}, cohort.landmarks,
    ...                             cohort.grade, cohort.groups, cv=3,
    ...                             target="ordinal", verbose=0)
    >>> graded.metrics[-3:]
    ('mean_absolute_error', 'spearman', 'quadratic_kappa')
    >>> graded.confusion_matrices["features"]["image"].shape[1:]
    (4, 4)
    """
    if not isinstance(estimators, dict) or not estimators:
        raise ValueError("estimators must be a non-empty dict of name to estimator")
    for name, estimator in estimators.items():
        if not (is_classifier(estimator) and hasattr(estimator, "predict_proba")):
            raise TypeError(
                f"estimator {name!r} is not a classifier with predict_proba"
            )
    check_bootstrap_parameters(n_bootstraps, confidence_level, interval_method,
                               "evaluate_pipelines")
    if on_overlap not in ON_OVERLAP:
        raise ValueError(f"on_overlap must be one of {ON_OVERLAP}; got {on_overlap!r}")
    y = np.asarray(y)
    groups = _check_groups(groups, _n_samples(X))
    n_train = len(groups)
    if test is not None:
        X_test, y_test, groups_test = _check_test(test, cv)
        by = _check_by(by, X_test, len(groups_test))
        target, classes, described = _check_target(
            np.concatenate([y, y_test]), target, classes, pos_label)
    else:
        by = _check_by(by, X, n_train)
        target, classes, described = _check_target(y, target, classes, pos_label)
    hint = ("evaluate_pipelines scores each patient against their one label, so "
            f"it cannot score such a cohort ({described})")
    _check_one_label_per_patient(y, groups, n_train, hint=hint)
    if test is not None:
        _check_one_label_per_patient(y_test, groups_test, len(groups_test), hint=hint)
        check_no_overlap(X, groups, X_test, groups_test, on_overlap=on_overlap)
        X = _concatenate_samples(X, X_test)
        y = np.concatenate([y, y_test])
        groups = np.concatenate([groups.astype(object), groups_test.astype(object)])
        splits = [(np.arange(n_train), np.arange(n_train, len(groups)))]
    else:
        splits = check_patient_split(GroupKFold(5) if cv is None else cv, X, y,
                                     groups, allow_mixed_patient_labels=True)
    repeats = split_repeats(splits)
    # With an external test set, predictions are numbered by test row.
    external = test is not None
    offset = n_train if external else 0
    kept = _kept_folds(return_estimator, list(estimators), len(splits))
    shared = _shared_members(estimators)
    results = _fit_and_score_all(estimators, shared, kept, X, y, groups, splits,
                                 classes, n_jobs)
    n_fits = len(estimators) * len(splits)
    progress = tqdm(results, total=n_fits, desc="evaluating", disable=not verbose)

    score_fold = _score_binary_fold if target == "binary" else _score_class_fold
    context = (
        {"pos_label": pos_label, "column": classes.tolist().index(pos_label)}
        if target == "binary"
        else {"classes": classes, "ordinal": target == "ordinal"}
    )
    rows, predictions = [], []
    fitted_estimators = {name: [None] * len(splits) for name in estimators
                         if name in kept}
    matrices = {name: {"image": [None] * len(splits), "patient": [None] * len(splits)}
                for name in estimators}
    for name, fold, test, proba, fit_time, fitted in progress:
        if fitted is not None:
            fitted_estimators[name][fold] = fitted
        progress.set_postfix_str(f"{name} fold {fold}")
        by_level, image_predictions, fold_matrices = score_fold(
            y[test], proba, groups[test], **context)
        for level, level_scores in by_level.items():
            rows.append({"estimator": name, "fold": fold, "level": level,
                         **level_scores, "fit_time": fit_time,
                         "repeat": repeats[fold]})
            matrices[name][level][fold] = fold_matrices.get(level)
        predictions.append(pd.DataFrame({
            "estimator": name, "fold": fold, "repeat": repeats[fold],
            "index": test - offset, "patient_id": groups[test], "y_true": y[test],
            **image_predictions,
        }))
    metrics = {"binary": METRICS + CALIBRATION_METRICS, "multiclass":
               MULTICLASS_METRICS, "ordinal": ORDINAL_METRICS}[target]
    scores = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate(estimators)}
    scores = scores.sort_values(
        ["estimator", "level", "fold"], key=lambda c: c.map(order) if c.name ==
        "estimator" else c
    ).reset_index(drop=True)
    summary = scores.groupby(["estimator", "level"], sort=False)[list(metrics)].agg(
        ["mean", "std"]
    )
    predictions = pd.concat(
        sorted(predictions, key=lambda frame: (order[frame.estimator.iloc[0]],
                                                frame.fold.iloc[0])),
        ignore_index=True)
    bootstrap = {"target": target, "classes": classes,
                 "pos_label": pos_label if target == "binary" else None,
                 "metrics": metrics, "n_bootstraps": n_bootstraps,
                 "confidence_level": confidence_level, "method": interval_method,
                 "random_state": random_state}
    intervals, _ = interval_table(predictions, **bootstrap)
    if external:
        splits = [(splits[0][0], splits[0][1] - offset)]
    result = Bunch(
        scores=scores,
        summary=summary,
        predictions=predictions,
        intervals=intervals,
        splits=splits,
        validation="external" if external else "cross-validation",
        target=target,
        classes=classes,
        metrics=metrics,
    )
    if by is not None:
        result.subgroups = subgroup_table(predictions, by, **bootstrap)
    if target == "binary":
        result.pos_label = pos_label
    else:
        result.confusion_matrices = {
            name: {level: np.stack(folds) for level, folds in levels.items()}
            for name, levels in matrices.items()
        }
    if return_estimator is not False:
        result.estimators = fitted_estimators
    return result
