"""Tests of FusionClassifier and make_paper_pipelines."""

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sklearn_palsy.datasets import make_synthetic_cohort
from sklearn_palsy.fusion import PAPER_PIPELINES, FusionClassifier, make_paper_pipelines
from sklearn_palsy.neural import FFNNClassifier, ResNetClassifier
from sklearn_palsy.preprocessing._face import LandmarkDetector
from sklearn_palsy.preprocessing._features import ExpressionFeatures
from sklearn_palsy.preprocessing._lines import LineSegmentRenderer


def _left(X):
    return X[:, :3]


def _right(X):
    return X[:, 3:]


@pytest.fixture(scope="module")
def tabular():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 3] > 0).astype(int)
    groups = np.repeat(np.arange(30), 4)
    return X, y, groups


def tabular_fusion(**params):
    return FusionClassifier(
        [
            (
                "left",
                FunctionTransformer(_left),
                FFNNClassifier(hidden_layer_sizes=(8,), max_epochs=15, random_state=0),
            ),
            (
                "right",
                FunctionTransformer(_right),
                FFNNClassifier(hidden_layer_sizes=(8,), max_epochs=15, random_state=0),
            ),
        ],
        **{"max_epochs": 30, "random_state": 0, **params},
    )


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return make_synthetic_cohort(
        n_patients=10, n_controls=10, expressions=("rest", "smile", "raise_eyebrows"),
        random_state=0, output_dir=tmp_path_factory.mktemp("fusion_cohort"),
    )


def lines_and_features(**params):
    """The paper's fusion at a small image size, fast enough for tests."""
    lines = make_pipeline(LandmarkDetector(), LineSegmentRenderer(size=32))
    features = make_pipeline(
        LandmarkDetector(), ExpressionFeatures(kinds=("symmetry",)), StandardScaler()
    )
    return FusionClassifier(
        [
            ("lines", lines, ResNetClassifier(image_size=32, lr=1e-3, random_state=0)),
            ("features", features, FFNNClassifier(hidden_layer_sizes=(32,),
                                                  random_state=0)),
        ],
        **{"max_epochs": 15, "batch_size": 16, "random_state": 0, **params},
    )


# ---------------------------------------------------------------- parameters
def test_nested_parameters_and_branch_replacement():
    fusion = lines_and_features()
    params = fusion.get_params()
    assert params["lines__lr"] == 1e-3
    assert params["features__hidden_layer_sizes"] == (32,)
    assert params["lines__transformer__linesegmentrenderer__thickness"] == 2
    fusion.set_params(lines__lr=0.01, features__hidden_layer_sizes=(8,),
                      lines__transformer__linesegmentrenderer__thickness=3,
                      fusion="late", weights=[0.3, 0.7])
    assert fusion.branches[0][2].lr == 0.01
    assert fusion.branches[1][2].hidden_layer_sizes == (8,)
    assert fusion.branches[0][1][-1].thickness == 3
    assert (fusion.fusion, fusion.weights) == ("late", [0.3, 0.7])
    fusion.set_params(features="drop")
    assert fusion.branches[1][2] == "drop"
    fusion.set_params(branches=[("only", "passthrough", FFNNClassifier())])
    assert [name for name, _, _ in fusion.branches] == ["only"]


def test_fit_never_mutates_the_constructor_arguments(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion()
    branches = list(fusion.branches)
    fusion.fit(X, y)
    assert fusion.branches == branches
    assert all(not hasattr(estimator, "net_") for _, _, estimator in branches)
    fresh = clone(fusion)
    assert not hasattr(fresh, "net_") and not hasattr(fresh, "transformers_")
    assert fresh.branches[0][2] is not fusion.branches[0][2]


def test_intermediate_fusion_trains_one_net_with_per_branch_rates(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion(lr=1e-2)
    fusion.set_params(left__lr=1e-3, right__lr=1e-4).fit(X, y)
    rates = sorted(group["lr"] for group in fusion.net_.optimizer_.param_groups)
    assert rates == [1e-4, 1e-3, 1e-2]
    assert set(fusion.net_.module_.branches) == {"left", "right"}
    assert fusion.embed(X).shape == (120, 64)
    assert fusion.score(X, y) > 0.8
    assert list(fusion.named_estimators_) == ["left", "right"]


def test_late_fusion_is_the_weighted_mean_of_the_branches(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion(fusion="late", weights=[0.25, 0.75]).fit(X, y)
    left, right = fusion.estimators_
    expected = 0.25 * left.predict_proba(_left(X)) + 0.75 * right.predict_proba(
        _right(X)
    )
    np.testing.assert_allclose(fusion.predict_proba(X), expected)
    with pytest.raises(AttributeError, match="intermediate"):
        fusion.embed(X)


def test_drop_and_passthrough_branches(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion().set_params(right="drop").fit(X, y)
    assert list(fusion.named_estimators_) == ["left"]
    passthrough = FusionClassifier(
        [("all", "passthrough", FFNNClassifier(hidden_layer_sizes=(8,)))],
        max_epochs=5, random_state=0,
    ).fit(X, y)
    assert passthrough.estimators_[0].n_features_in_ == 6
    with pytest.raises(ValueError, match="all branches are dropped"):
        tabular_fusion().set_params(left="drop", right="drop").fit(X, y)


def test_bad_branches_are_refused(tabular):
    X, y, _ = tabular
    with pytest.raises(TypeError, match="neural estimator"):
        FusionClassifier([("a", "passthrough", LogisticRegression())]).fit(X, y)
    with pytest.raises(ValueError, match="weights has 1"):
        tabular_fusion(fusion="late", weights=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="groups has 3"):
        tabular_fusion().fit(X, y, groups=[1, 2, 3])


@pytest.mark.parametrize("fusion", ["intermediate", "late", "stacking"])
def test_bad_groups_and_negative_weights_are_refused_before_any_work(tabular, fusion):
    X, y, groups = tabular
    params = ({"fusion": "late", "final_estimator": LogisticRegression(), "cv": 2}
              if fusion == "stacking" else {"fusion": fusion})
    bad_groups = [
        (np.r_[groups[:-1], np.nan], r"^groups has 1 missing"),
        (list(groups[:-1]) + [None], r"^groups has 1 missing"),
        (["P0"] + list(groups[1:]), r"^groups mixes numbers and text"),
    ]
    for bad, match in bad_groups:
        model = tabular_fusion(**params)
        with pytest.raises(ValueError, match=match):
            model.fit(X, y, groups=bad)
        assert not hasattr(model, "transformers_")
    weight = np.ones(len(y))
    weight[[3, 7]] = [-1.0, -0.5]
    model = tabular_fusion(**params)
    with pytest.raises(ValueError, match=r"^sample_weight has 2 negative values, at "
                                         r"indices 3 \(-1.0\), 7 \(-0.5\)"):
        model.fit(X, y, sample_weight=weight, groups=groups)
    assert not hasattr(model, "transformers_")


def test_stacking_keeps_patients_together_in_inner_folds(tabular):
    X, y, groups = tabular
    fusion = tabular_fusion(fusion="late", final_estimator=LogisticRegression(), cv=3)
    fusion.fit(X, y, groups=groups)
    assert len(fusion.inner_splits_) == 3
    for train, test in fusion.inner_splits_:
        assert not set(groups[train]) & set(groups[test])
    with pytest.warns(UserWarning, match="stacking without groups"):
        tabular_fusion(fusion="late", final_estimator=LogisticRegression()).fit(X, y)


@pytest.mark.parametrize("routing", [False, True])
def test_no_patient_on_both_sides_of_any_split(tabular, routing, monkeypatch):
    """Outer GroupKFold folds and the stacking's inner folds split by patient."""
    X, y, groups = tabular
    seen = []
    real_fit = FusionClassifier.fit

    def spy(self, X, y, sample_weight=None, groups=None):
        seen.append(groups)
        return real_fit(self, X, y, sample_weight=sample_weight, groups=groups)

    monkeypatch.setattr(FusionClassifier, "fit", spy)
    fusion = tabular_fusion(fusion="late", final_estimator=LogisticRegression(), cv=2)
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(fusion, {"weights": [None]}, cv=GroupKFold(3))
        if routing:
            search.fit(X, y, groups=groups)
        else:
            with pytest.warns(UserWarning, match="stacking without groups"):
                search.fit(X, y, groups=groups)
    for train, test in GroupKFold(3).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
    if routing:
        # Every fit saw the patients of its own training rows only.
        assert all(g is not None for g in seen)
        best = search.best_estimator_
        for train, test in best.inner_splits_:
            assert not set(groups[train]) & set(groups[test])
    else:
        assert all(g is None for g in seen)


def test_metadata_routing_requests_groups_by_default():
    request = FusionClassifier([]).get_metadata_routing()
    assert request.fit.requests["groups"] is True


# ---------------------------------------------------------------- the cohort
@pytest.mark.slow
def test_grid_search_cross_validate_pipeline_and_joblib_on_the_cohort(cohort, tmp_path):
    X, y, groups = cohort.X, cohort.y, cohort.groups
    search = GridSearchCV(
        lines_and_features(max_epochs=3),
        {"fusion": ["intermediate", "late"], "features__lr": [1e-3]},
        cv=GroupKFold(5),
    ).fit(X, y, groups=groups)
    assert search.best_params_["fusion"] in ("intermediate", "late")
    joblib.dump(search, tmp_path / "search.joblib")
    loaded = joblib.load(tmp_path / "search.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))

    nested = Pipeline([("fusion", lines_and_features(max_epochs=2))])
    scores = cross_validate(nested, X, y, groups=groups, cv=GroupKFold(3),
                            scoring=["f1", "roc_auc"])
    assert len(scores["test_f1"]) == 3


def test_make_paper_pipelines_builds_every_configuration():
    models = make_paper_pipelines(image_size=48, random_state=3)
    assert tuple(models) == PAPER_PIPELINES
    for name, model in models.items():
        params = model.get_params()
        assert any(k.endswith("random_state") and v == 3 for k, v in params.items()), (
            name
        )
        clone(model)
    assert models["lines+features_late"].fusion == "late"
    assert models["rgb+features_intermediate"].branches[0][0] == "rgb"
    assert models["lines_resnet"].steps[-1][1].image_size == 48


def test_paper_pipelines_fit_on_a_tiny_cohort(cohort):
    models = make_paper_pipelines(image_size=32, ffnn_epochs=3, resnet_epochs=1,
                                  fusion_epochs=1, random_state=0)
    rows = np.r_[0:12, 30:42]  # four patients and four controls
    X, y = cohort.X[rows], cohort.y[rows]
    assert set(y) == {0, 1}
    for name, model in models.items():
        proba = model.fit(X, y).predict_proba(X)
        assert proba.shape == (24, 2), name
        np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)


@pytest.mark.parametrize("fusion", ["intermediate", "late"])
def test_shapes_same_seed_idempotent_fit_and_joblib(tabular, fusion, tmp_path):
    X, y, _ = tabular
    first = tabular_fusion(fusion=fusion).fit(X, y)
    proba = first.predict_proba(X)
    assert proba.shape == (120, 2) and first.predict(X).shape == (120,)
    assert first.decision_function(X).shape == (120,)
    np.testing.assert_array_equal(
        tabular_fusion(fusion=fusion).fit(X, y).predict_proba(X), proba)
    np.testing.assert_array_equal(first.fit(X, y).predict_proba(X), proba)
    joblib.dump(first, tmp_path / "fusion.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "fusion.joblib").predict_proba(X), proba)
