"""RepeatedStratifiedGroupKFold (model_selection/_split.py), a scikit-learn splitter."""

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedGroupKFold,
    check_cv,
    cross_val_score,
    cross_validate,
)

from sklearn_palsy import RepeatedStratifiedGroupKFold, evaluate_pipelines
from sklearn_palsy.model_selection._split import split_repeats


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(0)
    photos = rng.integers(1, 5, 30)
    groups = np.repeat(np.arange(30), photos)
    label = (rng.random(30) < 0.35).astype(int)
    y = label[groups]
    X = rng.normal(size=(len(y), 3)) + y[:, None]
    return X, y, groups


def test_no_patient_on_both_sides_and_each_repetition_tests_everyone_once(cohort):
    X, y, groups = cohort
    for seed in range(3):
        cv = RepeatedStratifiedGroupKFold(n_splits=4, n_repeats=3, random_state=seed)
        splits = list(cv.split(X, y, groups))
        assert len(splits) == cv.get_n_splits() == 12
        for train, test in splits:
            assert set(groups[train]).isdisjoint(groups[test])
            assert len(train) + len(test) == len(y)
        for repeat in range(3):
            tested = np.concatenate([test for _, test in splits[4 * repeat:
                                                                4 * repeat + 4]])
            assert sorted(tested) == list(range(len(y)))
        assert split_repeats(splits).tolist() == [0] * 4 + [1] * 4 + [2] * 4


def test_each_repetition_is_a_shuffled_stratified_group_kfold(cohort):
    X, y, groups = cohort
    cv = RepeatedStratifiedGroupKFold(n_splits=4, n_repeats=3, random_state=7)
    splits = list(cv.split(X, y, groups))
    rng = np.random.RandomState(7)
    for repeat in range(3):
        reference = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=rng)
        for (train, test), (want_train, want_test) in zip(
                splits[4 * repeat:4 * repeat + 4], reference.split(X, y, groups),
                strict=True):
            np.testing.assert_array_equal(test, want_test)
            np.testing.assert_array_equal(train, want_train)
    # The class proportions of the test folds stay near the cohort's, as
    # StratifiedGroupKFold keeps them, and the repetitions differ.
    share = y.mean()
    assert max(abs(y[test].mean() - share) for _, test in splits) < 0.12
    firsts = [tuple(sorted(set(groups[splits[4 * r][1]]))) for r in range(3)]
    assert len(set(firsts)) == 3


def test_same_splits_on_every_call_with_an_int_seed(cohort):
    X, y, groups = cohort
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    first = [test.tolist() for _, test in cv.split(X, y, groups)]
    assert first == [test.tolist() for _, test in cv.split(X, y, groups)]


def test_scikit_learns_model_selection_accepts_it(cohort):
    X, y, groups = cohort
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    assert check_cv(cv, y, classifier=True) is cv
    assert repr(cv) == ("RepeatedStratifiedGroupKFold(n_repeats=2, n_splits=3, "
                        "random_state=0)")
    assert len(cross_val_score(LogisticRegression(), X, y, groups=groups, cv=cv)) == 6
    scores = cross_validate(LogisticRegression(), X, y, groups=groups, cv=cv,
                            return_indices=True)
    for train, test in zip(scores["indices"]["train"], scores["indices"]["test"],
                           strict=True):
        assert set(groups[train]).isdisjoint(groups[test])
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cv)
    search.fit(X, y, groups=groups)
    assert search.n_splits_ == 6
    with pytest.raises(ValueError, match="'groups' parameter should not be None"):
        search.fit(X, y)


def test_metadata_routing_sends_groups_to_it(cohort):
    X, y, groups = cohort
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cv)
        search.fit(X, y, groups=groups)
    assert search.n_splits_ == 6


def test_bad_parameters_are_named(cohort):
    X, y, groups = cohort
    for params, name in (({"n_splits": 1}, "n_splits"), ({"n_repeats": 0}, "n_repeats"),
                         ({"n_splits": 2.5}, "n_splits")):
        cv = RepeatedStratifiedGroupKFold(**params)
        with pytest.raises(ValueError, match=f"^RepeatedStratifiedGroupKFold: {name} "
                           "must be an integer of at least"):
            list(cv.split(X, y, groups))


def test_evaluate_pipelines_scores_every_repetition(cohort):
    X, y, groups = cohort
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    result = evaluate_pipelines({"lr": LogisticRegression()}, X, y, groups, cv=cv,
                                verbose=0, n_bootstraps=20, random_state=0)
    assert len(result.splits) == 6
    assert sorted(set(result.scores.fold)) == list(range(6))
    # Every image has one out-of-fold prediction per repetition.
    per_image = result.predictions.groupby("index").repeat.agg(["count", "nunique"])
    assert (per_image["count"] == 2).all() and (per_image["nunique"] == 2).all()


@pytest.mark.slow
def test_evaluate_repeats_the_folds_and_compares_on_every_split(synthetic_cohort,
                                                                tmp_path, capsys):
    import pandas as pd

    from sklearn_palsy.cli import main

    cohort = synthetic_cohort(n_patients=3, n_controls=3,
                              expressions=("rest", "smile"), image_size=160,
                              on_disk=True)
    assert main(["evaluate", cohort.manifest, "--pipelines",
                 "features_ffnn,landmarks_ffnn", "--folds", "3", "--repeats", "2",
                 "--bootstraps", "200", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert sorted(set(scores.fold)) == list(range(6))
    assert scores.drop_duplicates("fold").repeat.tolist() == [0, 0, 0, 1, 1, 1]
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert comparison.n_splits.tolist() == [6] and comparison.metric[0] == "f1"
    assert "StratifiedGroupKFold(3) repeated 2 times" in (
        tmp_path / "report.html").read_text()
    p = comparison.p_corrected_t_holm[0]
    assert f"corrected t-test p = {p:.3f}" in out
    with pytest.raises(SystemExit):
        main(["evaluate", cohort.manifest, "--repeats", "0", "--out", str(tmp_path)])
    assert "--repeats: must be at least 1; got 0" in capsys.readouterr().err
