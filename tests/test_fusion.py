"""Tests of IntermediateFusionClassifier, make_late_fusion and make_paper_pipelines."""

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedGroupKFold,
    cross_validate,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch import nn

from sklearn_palsy.fusion import (
    IntermediateFusionClassifier,
    make_late_fusion,
)
from sklearn_palsy.neural import BaseNeuralClassifier, FFNNClassifier, ResNetClassifier
from sklearn_palsy.paper import PAPER_PIPELINES, make_paper_pipelines
from sklearn_palsy.preprocessing._face import LandmarkDetector
from sklearn_palsy.preprocessing._features import ExpressionFeatures
from sklearn_palsy.preprocessing._lines import LineSegmentRenderer


def _left(X):
    return X[:, :3]


def _right(X):
    return X[:, 3:]


@pytest.fixture(scope="module")
def tabular(tabular_data):
    return tabular_data(120, 6, 30)


def branches(**ffnn_params):
    """Two FFNN branches, each on three of the six columns."""
    params = {"hidden_layer_sizes": (8,), "max_epochs": 15, "random_state": 0,
              **ffnn_params}
    return [
        ("left", make_pipeline(FunctionTransformer(_left), FFNNClassifier(**params))),
        ("right", make_pipeline(FunctionTransformer(_right), FFNNClassifier(**params))),
    ]


def tabular_fusion(**params):
    return IntermediateFusionClassifier(
        branches(), **{"max_epochs": 30, "random_state": 0, **params}
    )


@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=10, n_controls=10,
                            expressions=("rest", "smile", "raise_eyebrows"),
                            on_disk=True)


def lines_and_features(**params):
    """The paper's fusion at a small image size, fast enough for tests."""
    lines = make_pipeline(LandmarkDetector(), LineSegmentRenderer(size=32),
                          ResNetClassifier(image_size=32, lr=1e-3, random_state=0))
    features = make_pipeline(
        LandmarkDetector(), ExpressionFeatures(kinds=("symmetry",)), StandardScaler(),
        FFNNClassifier(hidden_layer_sizes=(32,), random_state=0),
    )
    return IntermediateFusionClassifier(
        [("lines", lines), ("features", features)],
        **{"max_epochs": 15, "batch_size": 16, "random_state": 0, **params},
    )


# ---------------------------------------------------------------- parameters
def test_nested_parameters_come_from_the_branch_pipelines():
    fusion = lines_and_features()
    params = fusion.get_params()
    assert params["lines__resnetclassifier__lr"] == 1e-3
    assert params["features__ffnnclassifier__hidden_layer_sizes"] == (32,)
    assert params["lines__linesegmentrenderer__thickness"] == "auto"
    assert params["lines"] is fusion.estimators[0][1]
    fusion.set_params(lines__resnetclassifier__lr=0.01,
                      features__ffnnclassifier__hidden_layer_sizes=(8,),
                      lines__linesegmentrenderer__thickness=3, dropout=0.5)
    lines, features = fusion.named_estimators.lines, fusion.named_estimators.features
    assert lines[-1].lr == 0.01 and lines[1].thickness == 3
    assert features[-1].hidden_layer_sizes == (8,)
    assert fusion.dropout == 0.5
    fusion.set_params(features="drop")
    assert fusion.estimators[1] == ("features", "drop")
    fusion.set_params(estimators=[("only", FFNNClassifier())])
    assert [name for name, _ in fusion.estimators] == ["only"]
    with pytest.raises(ValueError, match="conflict with constructor arguments"):
        IntermediateFusionClassifier([("dropout", FFNNClassifier())]).fit(
            np.zeros((4, 2)), [0, 1, 0, 1])


def test_fit_never_mutates_the_constructor_arguments(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion()
    estimators = list(fusion.estimators)
    fusion.fit(X, y)
    assert fusion.estimators == estimators
    assert all(not hasattr(pipe[-1], "net_") for _, pipe in estimators)
    assert all(not hasattr(pipe[0], "n_features_in_") for _, pipe in estimators)
    fresh = clone(fusion)
    assert not hasattr(fresh, "net_") and not hasattr(fresh, "transformers_")
    assert fresh.estimators[0][1] is not fusion.estimators[0][1]


def fusion_with_per_branch_rates(X, y, seed=0):
    """The tabular fusion at three learning rates, every network seeded by
    ``seed`` (``benchmarks/bound_spread.py`` calls it with other seeds)."""
    fusion = IntermediateFusionClassifier(branches(random_state=seed), lr=1e-2,
                                          max_epochs=30, random_state=seed)
    return fusion.set_params(left__ffnnclassifier__lr=1e-3,
                             right__ffnnclassifier__lr=1e-4).fit(X, y)


def test_intermediate_fusion_trains_one_net_with_per_branch_rates(tabular):
    X, y, _ = tabular
    fusion = fusion_with_per_branch_rates(X, y)
    rates = sorted(group["lr"] for group in fusion.net_.optimizer_.param_groups)
    assert rates == [1e-4, 1e-3, 1e-2]
    assert set(fusion.net_.module_.branches) == {"left", "right"}
    assert fusion.embed(X).shape == (120, 64)
    # Spread (benchmarks/bound_spread.py, 2026-12-06; network seeds 0 / 1 / 2, AVX2 and
    # the default ISA alike): 0.958 on every run.
    assert fusion.score(X, y) > 0.8
    assert list(fusion.named_estimators_) == ["left", "right"]
    # The views are the pipelines but their last step, fitted.
    assert [len(view.steps) for view in fusion.transformers_] == [1, 1]
    np.testing.assert_array_equal(fusion.transformers_[1].transform(X), _right(X))


def test_the_protocol_is_what_fusion_uses(tabular):
    """check_input, make_dataset and build_module of a fitted FFNN, in public."""
    X, y, _ = tabular
    ffnn = FFNNClassifier(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    ffnn.fit(X, y)
    checked = ffnn.check_input(X.astype(np.float64))
    assert checked.dtype == np.float32
    with pytest.raises(ValueError, match="6 features"):
        ffnn.check_input(X[:, :3])
    dataset = ffnn.make_dataset(checked, training=False)
    inputs, target = dataset[0]
    np.testing.assert_array_equal(np.asarray(inputs["X"]), checked[0])
    module, params = ffnn.build_module(n_outputs=1)
    built = module(**params)
    assert built.n_embedding == 8 and hasattr(built, "embed")
    assert isinstance(ffnn, BaseNeuralClassifier)


class _Plain(nn.Module):
    """A network without an embedding."""

    def __init__(self, n_features, n_outputs=1):
        super().__init__()
        self.linear = nn.Linear(n_features, n_outputs)

    def forward(self, X, sample_weight=None):
        return self.linear(X).squeeze(-1)


class _PlainFFNN(FFNNClassifier):
    def build_module(self, train=None, *, n_outputs=1, pretrained=True):
        return _Plain, {"n_features": self.n_features_in_, "n_outputs": n_outputs}


def test_embed_is_available_only_where_the_network_has_an_embedding(tabular):
    X, y, _ = tabular
    assert hasattr(FFNNClassifier(), "embed")  # before fit: NotFittedError on call
    plain = _PlainFFNN(max_epochs=2, random_state=0).fit(X, y)
    assert plain.predict(X).shape == (120,)
    assert not hasattr(plain, "embed")
    assert hasattr(tabular_fusion(max_epochs=1).fit(X, y), "embed")
    assert not hasattr(make_late_fusion(branches()), "embed")


def test_drop_and_bare_classifier_branches(tabular):
    X, y, _ = tabular
    fusion = tabular_fusion().set_params(right="drop").fit(X, y)
    assert list(fusion.named_estimators_) == ["left"]
    bare = IntermediateFusionClassifier(
        [("all", FFNNClassifier(hidden_layer_sizes=(8,)))], max_epochs=5,
        random_state=0,
    ).fit(X, y)
    assert bare.transformers_ == ["passthrough"]
    assert bare.estimators_[0].n_features_in_ == 6
    with pytest.raises(ValueError, match="all branches are dropped"):
        tabular_fusion().set_params(left="drop", right="drop").fit(X, y)


def test_bad_branches_are_refused(tabular):
    X, y, _ = tabular
    with pytest.raises(TypeError, match=r"branch 'a'.*got LogisticRegression"):
        IntermediateFusionClassifier([("a", LogisticRegression())]).fit(X, y)
    with pytest.raises(TypeError, match=r"branch 'a'.*got LogisticRegression"):
        IntermediateFusionClassifier(
            [("a", make_pipeline(StandardScaler(), LogisticRegression()))]).fit(X, y)
    with pytest.raises(ValueError, match="groups has 3"):
        tabular_fusion().fit(X, y, groups=[1, 2, 3])
    with pytest.raises(ValueError, match="weights set the mean"):
        make_late_fusion(branches(), weights=[1, 1],
                         final_estimator=LogisticRegression())


def test_bad_groups_and_negative_weights_are_refused_before_any_work(tabular):
    X, y, groups = tabular
    bad_groups = [
        (np.r_[groups[:-1], np.nan], r"^groups has 1 missing"),
        (list(groups[:-1]) + [None], r"^groups has 1 missing"),
        (["P0"] + list(groups[1:]), r"^groups mixes numbers and text"),
    ]
    for bad, match in bad_groups:
        model = tabular_fusion()
        with pytest.raises(ValueError, match=match):
            model.fit(X, y, groups=bad)
        assert not hasattr(model, "transformers_")
    weight = np.ones(len(y))
    weight[[3, 7]] = [-1.0, -0.5]
    model = tabular_fusion()
    with pytest.raises(ValueError, match=r"^sample_weight has 2 negative values, at "
                                         r"indices 3 \(-1.0\), 7 \(-0.5\)"):
        model.fit(X, y, sample_weight=weight, groups=groups)
    assert not hasattr(model, "transformers_")


def test_metadata_routing_requests_groups_by_default():
    request = IntermediateFusionClassifier([]).get_metadata_routing()
    assert request.fit.requests["groups"] is True


@pytest.mark.parametrize("routing", [False, True])
def test_intermediate_fusion_gets_the_patients_of_its_fold(tabular, routing,
                                                           monkeypatch):
    X, y, groups = tabular
    seen = []
    real_fit = IntermediateFusionClassifier.fit

    def spy(self, X, y, sample_weight=None, groups=None):
        seen.append(groups)
        return real_fit(self, X, y, sample_weight=sample_weight, groups=groups)

    monkeypatch.setattr(IntermediateFusionClassifier, "fit", spy)
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(tabular_fusion(max_epochs=2), {"dropout": [0.1]},
                              cv=GroupKFold(3))
        search.fit(X, y, groups=groups)
    if routing:
        # Every fit saw the patients of its own training rows only.
        folds = [groups[train] for train, _ in GroupKFold(3).split(X, y, groups)]
        assert [sorted(set(g)) for g in seen[:3]] == [sorted(set(f)) for f in folds]
    else:
        assert seen == [None] * 4


# ---------------------------------------------------------------- late fusion
def test_soft_voting_is_the_weighted_mean_of_the_branches(tabular):
    X, y, _ = tabular
    fusion = make_late_fusion(branches(), weights=[0.25, 0.75]).fit(X, y)
    assert isinstance(fusion, VotingClassifier)
    left, right = fusion.estimators_
    expected = 0.25 * left.predict_proba(X) + 0.75 * right.predict_proba(X)
    np.testing.assert_allclose(fusion.predict_proba(X), expected)
    alone = [clone(pipe).fit(X, y).predict_proba(X) for _, pipe in branches()]
    np.testing.assert_allclose(expected, 0.25 * alone[0] + 0.75 * alone[1])


def test_stacking_equals_scikit_learns_on_the_patient_folds(tabular):
    X, y, groups = tabular
    ours = make_late_fusion(branches(), final_estimator=LogisticRegression(), cv=3)
    assert isinstance(ours, StackingClassifier)
    ours.fit(X, y, groups=groups)
    folds = list(StratifiedGroupKFold(3).split(X, y, groups))
    theirs = StackingClassifier(branches(), final_estimator=LogisticRegression(),
                                cv=folds, stack_method="predict_proba").fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.final_estimator_.coef_,
                               theirs.final_estimator_.coef_, rtol=1e-6)
    assert len(ours.inner_splits_) == 3
    for (train, test), (_, their_test) in zip(ours.inner_splits_, folds,
                                                        strict=True):
        assert not set(groups[train]) & set(groups[test])
        np.testing.assert_array_equal(test, their_test)
    assert ours.cv == 3  # the parameter is left as given


@pytest.mark.parametrize("routing", [False, True])
def test_stacking_in_a_search_splits_by_patient_where_it_gets_them(tabular, routing):
    X, y, groups = tabular
    stacking = make_late_fusion(branches(max_epochs=2),
                                final_estimator=LogisticRegression(), cv=2)
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(stacking, {"passthrough": [False]}, cv=GroupKFold(3))
        if routing:
            search.fit(X, y, groups=groups)
        else:
            with pytest.warns(UserWarning, match="stacking without groups"):
                search.fit(X, y, groups=groups)
    best = search.best_estimator_
    shared = [set(groups[train]) & set(groups[test])
              for train, test in best.inner_splits_]
    if routing:
        assert shared == [set(), set()]
    else:  # routing off: the search keeps the patients to itself
        assert any(shared)


def test_stacking_takes_sample_weight_and_refuses_bad_ones(tabular):
    X, y, groups = tabular
    weight = np.ones(len(y))
    weight[[3, 7]] = [-1.0, -0.5]
    bare = [("a", FFNNClassifier(max_epochs=2, random_state=0)),
            ("b", FFNNClassifier(max_epochs=2, random_state=1))]
    stacking = make_late_fusion(bare, final_estimator=LogisticRegression(), cv=2)
    with pytest.raises(ValueError, match=r"^sample_weight has 2 negative values"):
        stacking.fit(X, y, groups=groups, sample_weight=weight)
    weight = np.where(y == 1, 2.0, 1.0)
    stacking.fit(X, y, groups=groups, sample_weight=weight)
    plain = clone(stacking).fit(X, y, groups=groups)
    assert not np.allclose(stacking.final_estimator_.coef_,
                           plain.final_estimator_.coef_)


# ---------------------------------------------------------------- the cohort
@pytest.mark.slow
def test_grid_search_cross_validate_pipeline_and_joblib_on_the_cohort(cohort, tmp_path):
    X, y, groups = cohort.X, cohort.y, cohort.groups
    search = GridSearchCV(
        lines_and_features(max_epochs=3),
        {"head_hidden_layer_sizes": [(16,), (64,)],
         "features__ffnnclassifier__lr": [1e-3]},
        cv=GroupKFold(5),
    ).fit(X, y, groups=groups)
    assert search.best_params_["head_hidden_layer_sizes"] in ((16,), (64,))
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
    late = models["lines+features_late"]
    assert isinstance(late, VotingClassifier) and late.voting == "soft"
    # The late fusion's branches are the single-modality pipelines themselves.
    assert [name for name, _ in late.estimators] == ["lines", "features"]
    assert (late.estimators[1][1].get_params(deep=False).keys()
            == models["features_ffnn"].get_params(deep=False).keys())
    assert [step for step, _ in late.estimators[0][1].steps] == [
        step for step, _ in models["lines_resnet"].steps]
    rgb = models["rgb+features_intermediate"]
    assert isinstance(rgb, IntermediateFusionClassifier)
    assert rgb.estimators[0][0] == "rgb"
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


@pytest.mark.parametrize("kind", ["intermediate", "late"])
def test_shapes_same_seed_idempotent_fit_and_joblib(tabular, kind, tmp_path):
    X, y, _ = tabular

    def make():
        return tabular_fusion() if kind == "intermediate" else make_late_fusion(
            branches())

    first = make().fit(X, y)
    proba = first.predict_proba(X)
    assert proba.shape == (120, 2) and first.predict(X).shape == (120,)
    if kind == "intermediate":
        assert first.decision_function(X).shape == (120,)
    np.testing.assert_array_equal(make().fit(X, y).predict_proba(X), proba)
    np.testing.assert_array_equal(first.fit(X, y).predict_proba(X), proba)
    joblib.dump(first, tmp_path / "fusion.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "fusion.joblib").predict_proba(X), proba)
