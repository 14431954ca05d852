"""Tests of scale-out: grid searches and evaluations on a Dask cluster.

Every fit is seeded from its own ``random_state``, so a fit in a worker
process must give bit-identical results to the same fit here. The cluster is
two worker processes on loopback; nothing leaves the machine.

Dask's nanny starts its workers with ``OMP_NUM_THREADS=1``, so torch runs one
thread there. Some of torch's CPU kernels (convolutions, dropout) give results
that differ in the last bits between 1 and 2 threads, so a fit is bit-identical
only to one run here with the same thread count: the tests run this process
with the workers' count (``same_torch_threads``).
"""

import operator
import os
import random

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.faces import clear_face_cache, face_cache_info
from sklearn_palsy.model_selection import evaluate_pipelines
from sklearn_palsy.neural import FFNNClassifier, ResNetClassifier
from sklearn_palsy.paper import make_paper_pipelines
from sklearn_palsy.preprocessing._features import ExpressionFeatures

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


def _torch_threads():
    return torch.get_num_threads()


def _scramble_global_random_state():
    """Seed a worker's global generators with something no test uses."""
    seed = 1000 + os.getpid() % 1000
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global generator, on purpose
    torch.manual_seed(seed)


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on loopback, closed afterwards."""
    # The nanny writes its pre-spawn environment (OMP_NUM_THREADS=1, ...) into
    # this process's os.environ as well; put it back for the other tests.
    environ = dict(os.environ)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture
def same_torch_threads(client):
    """Run torch here with the workers' thread count for the test's duration."""
    counts = set(client.run(_torch_threads).values())
    assert len(counts) == 1
    before = torch.get_num_threads()
    torch.set_num_threads(counts.pop())
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def landmarks_cohort():
    return make_synthetic_cohort(n_patients=8, n_controls=8,
                                 expressions=("rest", "smile"), image_size=128,
                                 random_state=0)


@pytest.fixture(scope="module")
def image_cohort(tmp_path_factory):
    """Images on disk: the workers read them by path."""
    return make_synthetic_cohort(
        n_patients=6, n_controls=6, expressions=("rest", "smile"), image_size=128,
        random_state=0, output_dir=tmp_path_factory.mktemp("distributed_cohort"),
    )


def _split_scores(search):
    return {key: value for key, value in search.cv_results_.items()
            if key.startswith("split") or key in ("mean_test_score", "rank_test_score")}


@pytest.mark.parametrize("routing", [False, True])
@pytest.mark.filterwarnings("error:early_stopping without groups:UserWarning")
def test_grid_search_on_dask_matches_the_sequential_run(
    client, same_torch_threads, landmarks_cohort, routing
):
    cohort = landmarks_cohort
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    with sklearn.config_context(enable_metadata_routing=routing):
        ffnn = FFNNClassifier(max_epochs=15, lr=1e-2, random_state=0)
        if routing:
            # Routed groups make early stopping hold out whole patients, in
            # the workers too; without them the split and scores would change.
            ffnn.set_params(early_stopping=True, validation_fraction=0.25,
                            n_iter_no_change=3)
            ffnn.set_fit_request(groups=True)
        model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
                              StandardScaler(), ffnn)
        search = GridSearchCV(
            model,
            {"ffnnclassifier__hidden_layer_sizes": [(8,), (16,)],
             "ffnnclassifier__dropout": [0.0, 0.3]},
            cv=GroupKFold(3), scoring="neg_log_loss", n_jobs=-1,
        )
        sequential = clone(search).set_params(n_jobs=None).fit(X, y, groups=groups)
        # Each fit seeds itself from random_state, not from the global state.
        client.run(_scramble_global_random_state)
        with joblib.parallel_backend("dask"):
            on_dask = clone(search).fit(X, y, groups=groups)

    expected = _split_scores(sequential)
    assert np.isfinite(expected["mean_test_score"]).all()
    for key, value in _split_scores(on_dask).items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
    assert on_dask.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(on_dask.best_estimator_.predict_proba(X),
                                  sequential.best_estimator_.predict_proba(X))
    if routing:
        validation = on_dask.best_estimator_[-1].validation_index_
        assert not set(groups[validation]) & set(
            np.delete(groups, validation))


def test_evaluate_pipelines_on_dask_matches_the_sequential_run(
    client, same_torch_threads, image_cohort, tmp_path
):
    X, y, groups = image_cohort.X, image_cohort.y, image_cohort.groups
    names = ("features_ffnn", "lines_resnet")
    settings = {"image_size": 32, "ffnn_epochs": 10, "resnet_epochs": 1,
                "random_state": 0}
    models = make_paper_pipelines(**settings)
    sequential = evaluate_pipelines({name: models[name] for name in names}, X, y,
                                    groups, cv=GroupKFold(3), verbose=0)

    # This process has every face cached now; the workers start empty and
    # detect the faces themselves, sharing them through cache_dir.
    client.run(clear_face_cache)
    computed_here = face_cache_info()["computed"]
    models = make_paper_pipelines(cache_dir=tmp_path, **settings)
    with joblib.parallel_backend("dask"):
        on_dask = evaluate_pipelines({name: models[name] for name in names}, X, y,
                                     groups, cv=GroupKFold(3), n_jobs=-1, verbose=0)

    assert face_cache_info()["computed"] == computed_here
    computed_there = [info["computed"] for info in client.run(face_cache_info).values()]
    assert sum(computed_there) >= len(set(X))
    assert len(list(tmp_path.rglob("*.json"))) == len(set(X))

    pd.testing.assert_frame_equal(on_dask.scores.drop(columns="fit_time"),
                                  sequential.scores.drop(columns="fit_time"),
                                  check_exact=True)
    pd.testing.assert_frame_equal(on_dask.predictions, sequential.predictions,
                                  check_exact=True)
    assert sequential.predictions.proba.nunique() > len(names)


def test_resnet_fitted_in_a_worker_matches_one_fitted_here(
    client, same_torch_threads
):
    cohort = make_synthetic_cohort(n_patients=4, n_controls=4,
                                   expressions=("rest", "smile"), image_size=64,
                                   random_state=0)
    X, y, groups = cohort.images, cohort.y, cohort.groups
    resnet = ResNetClassifier(image_size=32, max_epochs=1, batch_size=8,
                              random_state=0)
    kwargs = {"groups": groups, "cv": GroupKFold(2), "scoring": "neg_log_loss",
              "return_estimator": True}
    sequential = cross_validate(resnet, X, y, **kwargs)
    with joblib.parallel_backend("dask"):
        on_dask = cross_validate(resnet, X, y, n_jobs=-1, **kwargs)
    np.testing.assert_array_equal(on_dask["test_score"], sequential["test_score"])
    for there, here in zip(on_dask["estimator"], sequential["estimator"], strict=True):
        np.testing.assert_array_equal(there.predict_proba(X), here.predict_proba(X))


def test_evaluate_pipelines_carries_the_scikit_learn_config_to_the_workers(
    client, landmarks_cohort
):
    cohort = landmarks_cohort
    X, y, groups = cohort.landmarks, cohort.y, cohort.groups
    names = list(ExpressionFeatures(kinds=("symmetry",)).fit(X).get_feature_names_out())
    # Columns picked by name: the workers get DataFrames between the steps
    # only if they see transform_output="pandas" too.
    model = make_pipeline(ExpressionFeatures(kinds=("symmetry",)),
                          FunctionTransformer(operator.itemgetter(names[:6])),
                          StandardScaler(), LogisticRegression())
    with sklearn.config_context(transform_output="pandas"):
        sequential = evaluate_pipelines({"model": model}, X, y, groups,
                                        cv=GroupKFold(3), verbose=0)
        with joblib.parallel_backend("dask"):
            on_dask = evaluate_pipelines({"model": model}, X, y, groups,
                                         cv=GroupKFold(3), n_jobs=-1, verbose=0)
    pd.testing.assert_frame_equal(on_dask.predictions, sequential.predictions,
                                  check_exact=True)
