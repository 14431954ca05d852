"""Reproducibility: the same random_state gives bit-identical results on the CPU.

For every estimator of the package, fitting twice with the same
``random_state`` gives the same ``predict_proba`` to the bit, and another
``random_state`` gives other predictions (so that these tests can fail). The
FFNN and the ResNet are also fitted in a fresh Python process, to show that
the results do not depend on what the process did before. The transformers
learn nothing and draw nothing at random: the same input gives the same
output, with the face cache emptied in between. Last, the paper's seven
pipelines are cross-validated by patient twice, and their out-of-fold
probabilities compared bit for bit.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_palsy import (
    ExpressionFeatures,
    FaceCropper,
    FFNNClassifier,
    IntermediateFusionClassifier,
    LandmarkDetector,
    LineSegmentDetector,
    LineSegmentRenderer,
    ResNetClassifier,
    evaluate_pipelines,
    make_late_fusion,
    make_paper_pipelines,
    make_synthetic_cohort,
)
from sklearn_palsy.faces import clear_face_cache
from sklearn_palsy.paper import PAPER_PIPELINES

# ----------------------------------------------------------------------------
# Data and models, as plain functions so that a fresh process can use them.


def _tabular():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 3] > 0).astype(int)
    groups = np.repeat(np.arange(15), 4)
    return X, y, groups


def _images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 80, size=(8, 32, 32, 3), dtype=np.uint8)
    y = np.array([0, 1] * 4)
    X[y == 1, :, :16] += 120
    return X, y


def _ffnn(seed):
    return FFNNClassifier(hidden_layer_sizes=(16,), max_epochs=5, random_state=seed)


def _resnet(seed):
    # The default light augmentation is on, so its random draws are seeded too.
    return ResNetClassifier(image_size=32, max_epochs=2, batch_size=4,
                            random_state=seed)


def _ffnn_and_resnet_proba(seed):
    """predict_proba of an FFNN and a ResNet trained with ``seed``."""
    X, y, _ = _tabular()
    images, labels = _images()
    return (_ffnn(seed).fit(X, y).predict_proba(X),
            _resnet(seed).fit(images, labels).predict_proba(images))


def _first(X):
    return X[:, :3]


def _last(X):
    return X[:, 3:]


def _fusion(kind, seed):
    """Intermediate, late or stacking fusion of two FFNN branches."""
    branches = [
        ("first", make_pipeline(FunctionTransformer(_first), _ffnn(seed))),
        ("last", make_pipeline(FunctionTransformer(_last), _ffnn(seed))),
    ]
    if kind == "intermediate":
        return IntermediateFusionClassifier(branches, max_epochs=5, random_state=seed)
    if kind == "late":
        return make_late_fusion(branches)
    return make_late_fusion(branches, cv=3, final_estimator=LogisticRegression())


# ----------------------------------------------------------------------------
# Estimators: same seed, same bits; another seed, other predictions.


def _assert_reproducible(make, fit, predict):
    """``make(seed)`` fitted twice with seed 0 agrees to the bit, not with seed 1."""
    first = predict(fit(make(0)))
    again = predict(fit(make(0)))
    other = predict(fit(make(1)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    return first


def test_ffnn_is_reproducible():
    X, y, _ = _tabular()
    _assert_reproducible(_ffnn, lambda m: m.fit(X, y), lambda m: m.predict_proba(X))


def test_resnet_is_reproducible():
    images, labels = _images()
    _assert_reproducible(_resnet, lambda m: m.fit(images, labels),
                         lambda m: m.predict_proba(images))


@pytest.mark.parametrize("kind", ["intermediate", "late", "stacking"])
def test_fusion_is_reproducible(kind):
    X, y, groups = _tabular()
    # Soft voting takes groups only through metadata routing; the others
    # take them as an argument.
    fit_params = {} if kind == "late" else {"groups": groups}
    proba = _assert_reproducible(lambda seed: _fusion(kind, seed),
                                 lambda m: m.fit(X, y, **fit_params),
                                 lambda m: m.predict_proba(X))
    assert proba.shape == (60, 2)


def test_refit_and_global_random_state_do_not_matter():
    """A refit, and noise in numpy's and torch's global generators, change nothing."""
    import torch

    X, y, _ = _tabular()
    model = _ffnn(0).fit(X, y)
    expected = model.predict_proba(X)
    np.random.seed(123)  # noqa: NPY002 - the global generator, on purpose
    torch.manual_seed(123)
    np.testing.assert_array_equal(model.fit(X, y).predict_proba(X), expected)


@pytest.mark.slow
def test_a_fresh_process_gives_the_same_bits(tmp_path):
    ffnn, resnet = _ffnn_and_resnet_proba(0)
    script = textwrap.dedent(f"""
        import importlib.util
        import sys

        import numpy as np

        spec = importlib.util.spec_from_file_location("reproducibility", {__file__!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        ffnn, resnet = module._ffnn_and_resnet_proba(0)
        np.save(sys.argv[1], ffnn)
        np.save(sys.argv[2], resnet)
    """)
    paths = [tmp_path / "ffnn.npy", tmp_path / "resnet.npy"]
    subprocess.run([sys.executable, "-c", script, *map(str, paths)], check=True,
                   timeout=300, capture_output=True)
    np.testing.assert_array_equal(np.load(paths[0]), ffnn)
    np.testing.assert_array_equal(np.load(paths[1]), resnet)


# ----------------------------------------------------------------------------
# Transformers and the cohort generator: the same input, the same output.


@pytest.fixture(scope="module")
def cohort():
    return make_synthetic_cohort(n_patients=2, n_controls=2, expressions=("rest",),
                                 image_size=128, random_state=0)


def test_synthetic_cohort_is_reproducible(cohort):
    again = make_synthetic_cohort(n_patients=2, n_controls=2, expressions=("rest",),
                                  image_size=128, random_state=0)
    other = make_synthetic_cohort(n_patients=2, n_controls=2, expressions=("rest",),
                                  image_size=128, random_state=1)
    for field in ("images", "landmarks", "y", "groups"):
        np.testing.assert_array_equal(again[field], cohort[field])
    assert not np.array_equal(other.images, cohort.images)
    assert not np.array_equal(other.landmarks, cohort.landmarks)


@pytest.mark.parametrize(
    "transformer",
    [FaceCropper(size=48), LandmarkDetector(), LineSegmentDetector(size=48)],
    ids=lambda t: type(t).__name__,
)
def test_image_transformers_are_deterministic(transformer, cohort):
    clear_face_cache()
    first = transformer.fit_transform(cohort.images)
    clear_face_cache()
    again = transformer.fit_transform(cohort.images)
    np.testing.assert_array_equal(first, again)
    assert first.shape[0] == len(cohort.images)
    # The output follows the input: two people, two different results.
    assert not np.array_equal(first[0], first[2])


@pytest.mark.parametrize(
    "transformer",
    [ExpressionFeatures(kinds=("symmetry", "clinical", "coordinates")),
     LineSegmentRenderer(size=48, guides=("midline", "pupils", "commissures"))],
    ids=lambda t: type(t).__name__,
)
def test_landmark_transformers_are_deterministic(transformer, cohort):
    first = transformer.fit_transform(cohort.landmarks)
    again = transformer.fit_transform(cohort.landmarks.copy())
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], first[2])


# ----------------------------------------------------------------------------
# The paper's seven pipelines, cross-validated by patient, twice.


@pytest.fixture(scope="module")
def paper_cohort(synthetic_cohort):
    # Photos of 128 px so that dlib finds every face; the networks see 32 px.
    cohort = synthetic_cohort(n_patients=4, n_controls=4,
                              expressions=("rest", "smile"), image_size=128,
                              on_disk=True)
    for train, _ in GroupKFold(2).split(cohort.X, cohort.y, cohort.groups):
        assert set(cohort.y[train]) == {0, 1}
    return cohort


def _out_of_fold(cohort, seed, names=PAPER_PIPELINES):
    # Detection too is run afresh, not read from the first run's cache.
    clear_face_cache()
    models = make_paper_pipelines(image_size=32, ffnn_epochs=5, resnet_epochs=1,
                                  fusion_epochs=1, random_state=seed)
    result = evaluate_pipelines({name: models[name] for name in names},
                                cohort.X, cohort.y, cohort.groups, cv=GroupKFold(2),
                                verbose=0)
    predictions = result.predictions.sort_values(["estimator", "index"])
    return {name: group.proba.to_numpy()
            for name, group in predictions.groupby("estimator", sort=False)}


@pytest.mark.slow
def test_paper_pipelines_give_the_same_out_of_fold_probabilities(paper_cohort):
    first = _out_of_fold(paper_cohort, 0)
    again = _out_of_fold(paper_cohort, 0)
    assert sorted(first) == sorted(PAPER_PIPELINES)
    for name in PAPER_PIPELINES:
        assert first[name].shape == (len(paper_cohort.y),), name
        np.testing.assert_array_equal(again[name], first[name], err_msg=name)
    # Another seed moves them: the comparison above can fail.
    cheap = ("features_ffnn", "lines_resnet")
    other = _out_of_fold(paper_cohort, 1, names=cheap)
    for name in cheap:
        assert not np.array_equal(other[name], first[name]), name
