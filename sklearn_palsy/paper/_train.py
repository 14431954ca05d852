"""Fit one of the paper's configurations on a user's labelled cohort."""

import inspect

from ..datasets import resolve_images
from ._defaults import DEMO_IMAGE_SIZE, PAPER_PIPELINES
from ._pipelines import make_paper_pipelines

__all__ = ["train_model"]


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
    if pipeline not in PAPER_PIPELINES:
        raise ValueError(
            f"unknown pipeline {pipeline!r}; choose one of: "
            + ", ".join(PAPER_PIPELINES)
        )
    X, y, groups, _ = resolve_images(manifest, labelled=True)
    if y is None:
        raise ValueError(
            f"{str(manifest)!r} has no labels; give a CSV manifest or a "
            "root/<label>/<patient_id>/ folder"
        )
    model = make_paper_pipelines(
        image_size=image_size, random_state=random_state, **overrides
    )[pipeline]
    if "groups" in inspect.signature(model.fit).parameters:
        return model.fit(X, y, groups=groups)
    return model.fit(X, y)
