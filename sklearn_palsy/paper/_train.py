"""Fit one of the paper's configurations on a user's labelled cohort."""

import inspect

from sklearn.base import clone
from sklearn.model_selection import GroupKFold
from sklearn.utils import Bunch

from ..datasets import resolve_images
from ._defaults import DEMO_IMAGE_SIZE, PAPER_PIPELINES
from ._pipelines import make_paper_pipelines

__all__ = ["train_model", "train_with_card"]


def train_model(
    manifest, pipeline, *, image_size=DEMO_IMAGE_SIZE, random_state=0, **overrides
):
    """Fit one of the paper's pipelines on a labelled cohort.

    Parameters
    ----------
    manifest : str or path-like
        A CSV manifest or a ``root/<label>/<patient_id>/`` folder (see
        :func:`~sklearn_palsy.datasets.resolve_images`).
    pipeline : str
        A name of :data:`~sklearn_palsy.paper.PAPER_PIPELINES`.
    image_size : int, default=48
        Side of the crops and line images; the same default as ``evaluate``
        and the demo, so that ``train`` fits what they compared.
    random_state : int, default=0
        Seed of every network.
    **overrides
        Further arguments of :func:`~sklearn_palsy.paper.make_paper_pipelines`,
        for example ``ffnn_epochs=5``.

    Returns
    -------
    model : estimator
        The fitted estimator. ``groups`` (patient ids) is passed to ``fit``
        only when the estimator's ``fit`` names a ``groups`` parameter.

    Raises
    ------
    ValueError
        If ``pipeline`` is unknown (the message lists the valid names), or
        the cohort has no labels.

    Examples
    --------
    >>> from sklearn_palsy.paper import train_model
    >>> model = train_model("cohort/manifest.csv", "features_ffnn",
    ...                     ffnn_epochs=5)  # doctest: +SKIP
    """
    X, y, groups, _ = _labelled(manifest, pipeline)
    model = make_paper_pipelines(
        image_size=image_size, random_state=random_state, **overrides
    )[pipeline]
    return _fit(model, X, y, groups)


def _labelled(manifest, pipeline):
    if pipeline not in PAPER_PIPELINES:
        raise ValueError(
            f"unknown pipeline {pipeline!r}; choose one of: "
            + ", ".join(PAPER_PIPELINES)
        )
    X, y, groups, frame = resolve_images(manifest, labelled=True)
    if y is None:
        raise ValueError(
            f"{str(manifest)!r} has no labels; give a CSV manifest or a "
            "root/<label>/<patient_id>/ folder"
        )
    return X, y, groups, frame


def _fit(model, X, y, groups):
    if "groups" in inspect.signature(model.fit).parameters:
        return model.fit(X, y, groups=groups)
    return model.fit(X, y)


def train_with_card(
    manifest, pipeline, *, folds=None, image_size=DEMO_IMAGE_SIZE, random_state=0,
    backend="auto", n_bootstraps=1000, **overrides
):
    """Fit one of the paper's pipelines, with its model card.

    As :func:`train_model`; with ``folds``, the configuration is first
    cross-validated by patient (GroupKFold) with
    :func:`~sklearn_palsy.evaluate_pipelines`, and the card carries that
    evaluation: every metric with its interval by patient, the calibration
    and the decision curve. The model itself is then fitted on every image.

    Parameters
    ----------
    manifest : str or path-like
        A CSV manifest or a ``root/<label>/<patient_id>/`` folder.
    pipeline : str
        A name of :data:`~sklearn_palsy.paper.PAPER_PIPELINES`.
    folds : int, default=None
        Folds of the cross-validation by patient; None trains without
        evaluating (the card then holds no performance figures).
    image_size : int, default=48
        Side of the crops and line images.
    random_state : int, default=0
        Seed of every network and of the bootstrap.
    backend : {"auto", "mediapipe", "dlib"}, default="auto"
        Landmark model; the card names the one used.
    n_bootstraps : int, default=1000
        Resamples of the patients for the intervals.
    **overrides
        Further arguments of :func:`~sklearn_palsy.paper.make_paper_pipelines`.

    Returns
    -------
    trained : Bunch
        ``model`` (fitted), ``card`` (:class:`~sklearn_palsy.io.ModelCard`,
        to write with :func:`~sklearn_palsy.io.write_model_card`) and
        ``evaluation`` (the :func:`~sklearn_palsy.evaluate_pipelines`
        result, or None).

    Raises
    ------
    ValueError
        If ``pipeline`` is unknown, the cohort has no labels, or ``folds``
        is below 2.

    Examples
    --------
    >>> from sklearn_palsy.paper import train_with_card
    >>> trained = train_with_card("cohort/manifest.csv", "features_ffnn",
    ...                           folds=5, ffnn_epochs=5)  # doctest: +SKIP
    >>> print(trained.card.summary_line())  # doctest: +SKIP
    """
    from ..faces import resolve_backend
    from ..io import make_model_card
    from ..model_selection import evaluate_pipelines

    if folds is not None and not (isinstance(folds, int) and folds >= 2):
        raise ValueError(f"folds must be an int >= 2 to cross-validate by patient; "
                         f"got {folds!r}")
    X, y, groups, frame = _labelled(manifest, pipeline)
    backend = resolve_backend(backend)
    model = make_paper_pipelines(
        image_size=image_size, random_state=random_state, backend=backend,
        **overrides
    )[pipeline]
    evaluation = None
    if folds is not None:
        evaluation = evaluate_pipelines(
            {pipeline: clone(model)}, X, y, groups, cv=GroupKFold(folds),
            verbose=0, n_bootstraps=n_bootstraps, random_state=random_state)
    fitted = _fit(model, X, y, groups)
    card = make_model_card(
        pipeline, X, y, groups, frame=frame, source=str(manifest),
        backend=backend, image_size=image_size, evaluation=evaluation,
        validation=None if folds is None else f"GroupKFold({folds}) by patient",
        n_resamples=n_bootstraps, random_state=random_state)
    return Bunch(model=fitted, card=card, evaluation=evaluation)
