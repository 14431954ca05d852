"""Tests of the safe model format: save_model and load_model."""

import json
import re
import subprocess
import sys
import tempfile
import tracemalloc
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import save_file
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC

import sklearn_palsy
import sklearn_palsy.io
from sklearn_palsy import (
    FFNNClassifier,
    IntermediateFusionClassifier,
    LandmarkDetector,
    PatientStackingClassifier,
    ResNetClassifier,
    load_model,
    make_late_fusion,
    make_paper_pipelines,
    save_model,
)
from sklearn_palsy.cli import main
from sklearn_palsy.exceptions import ModelFileError
from sklearn_palsy.io import _checks, _safe


# ---------------------------------------------------------------- helpers
def round_trip(estimator, tmp_path, name="model.safetensors"):
    path = tmp_path / name
    save_model(estimator, path)
    return load_model(path)


def read_file(path):
    with safe_open(str(path), framework="np") as reader:
        return dict(reader.metadata()), {k: reader.get_tensor(k) for k in reader.keys()}


def rewrite(path, *, config=None, checksum=True, **metadata):
    """Change a model file's config or metadata, recomputing its checksum."""
    meta, tensors = read_file(path)
    if config is not None:
        meta["config"] = json.dumps(config(json.loads(meta["config"])))
    meta.update(metadata)
    if checksum:
        meta["sha256"] = _safe._checksum(meta, tensors)
    save_file(tensors, str(path), metadata=meta)


def write_crafted(path, config):
    """A well-formed file, with a valid checksum, holding ``config``."""
    meta = {
        "format": "sklearn-palsy",
        "format_version": "1",
        **_safe._versions(),
        "config": json.dumps(config),
    }
    meta["sha256"] = _safe._checksum(meta, {})
    save_file({}, str(path), metadata=meta)


def estimator_node(name, params=None, number=0):
    return {"type": "estimator", "id": number, "class": name,
            "params": params or {}, "state": {}}


# ---------------------------------------------------------------- fitted models
@pytest.fixture(scope="module")
def tabular(tabular_data):
    X, y, groups = tabular_data(60, 6, 15)
    severity = (X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    y3 = np.array(["mild", "none", "severe"])[severity]
    return X, y, y3, groups


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 80, size=(8, 32, 32, 3), dtype=np.uint8)
    y = np.array([0, 1] * 4)
    X[y == 1, :, :16] += 120
    return X, y


def ffnn(**params):
    return FFNNClassifier(**{"hidden_layer_sizes": (8,), "max_epochs": 2,
                             "random_state": 0, **params})


def branches():
    # A fitted StandardScaler in one branch, the bare network in the other.
    return [("scaled", make_pipeline(StandardScaler(), ffnn())),
            ("raw", ffnn(hidden_layer_sizes=(4,)))]


def fusion(**params):
    return IntermediateFusionClassifier(
        branches(), **{"max_epochs": 2, "random_state": 0, **params})


TABULAR_MODELS = {
    "ffnn_binary": lambda: ffnn(),
    "ffnn_3_classes_strings": lambda: ffnn(),
    "pipeline_scaler_ffnn": lambda: make_pipeline(StandardScaler(), ffnn()),
    "logistic_regression": lambda: LogisticRegression(),
    "fusion_intermediate": lambda: fusion(),
    "fusion_late_weighted": lambda: make_late_fusion(branches(), weights=[0.3, 0.7]),
    "fusion_late_stacking": lambda: make_late_fusion(
        branches(), final_estimator=LogisticRegression(), cv=3),
}


@pytest.mark.parametrize("name", TABULAR_MODELS)
def test_round_trip_gives_bit_identical_predictions(name, tabular, tmp_path):
    X, y, y3, groups = tabular
    target = y3 if "strings" in name else y
    model = TABULAR_MODELS[name]()
    if isinstance(model, IntermediateFusionClassifier | PatientStackingClassifier):
        model.fit(X, target, groups=groups)
    else:
        model.fit(X, target)
    loaded = round_trip(model, tmp_path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.classes_.dtype == model.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert sorted(loaded.get_params()) == sorted(model.get_params())
    assert repr(loaded) == repr(model)
    assert hasattr(loaded, "embed") == hasattr(model, "embed")
    if hasattr(model, "embed"):
        np.testing.assert_array_equal(loaded.embed(X), model.embed(X))


def test_string_labels_keep_their_dtype_and_three_logits(tabular, tmp_path):
    X, _, y3, _ = tabular
    model = ffnn().fit(X, y3)
    loaded = round_trip(model, tmp_path)
    assert model.classes_.dtype.kind == "U"
    assert loaded.net_.module_.head.out_features == 3
    assert list(loaded.predict(X)) == list(model.predict(X))
    assert loaded.n_epochs_ == model.n_epochs_ == 2
    assert [row["train_loss"] for row in loaded.net_.history] == [
        row["train_loss"] for row in model.net_.history]


def test_fusion_branches_and_shared_estimators_survive(tabular, tmp_path):
    X, y, _, groups = tabular
    model = make_late_fusion(branches(), final_estimator=LogisticRegression(), cv=3)
    loaded = round_trip(model.fit(X, y, groups=groups), tmp_path)
    # named_estimators_ and estimators_ are the very same objects, as before.
    assert loaded.named_estimators_["scaled"] is loaded.estimators_[0]
    np.testing.assert_array_equal(loaded.estimators_[0][0].mean_,
                                  model.estimators_[0][0].mean_)
    intermediate = round_trip(fusion().fit(X, y, groups=groups), tmp_path)
    assert intermediate.transformers_[1] == "passthrough"
    assert intermediate.named_estimators_["raw"] is intermediate.estimators_[1]
    np.testing.assert_array_equal(loaded.final_estimator_.coef_,
                                  model.final_estimator_.coef_)
    for loaded_split, split in zip(loaded.inner_splits_, model.inner_splits_,
                                   strict=True):
        np.testing.assert_array_equal(loaded_split[0], split[0])
        np.testing.assert_array_equal(loaded_split[1], split[1])


def test_loaded_model_clones_and_refits_like_the_original(tabular, tmp_path):
    X, y, _, _ = tabular
    model = make_pipeline(StandardScaler(), ffnn()).fit(X, y)
    loaded = round_trip(model, tmp_path)
    np.testing.assert_array_equal(clone(loaded).fit(X, y).predict_proba(X),
                                  model.predict_proba(X))
    np.testing.assert_array_equal(loaded.fit(X, y).predict_proba(X),
                                  model.predict_proba(X))


def test_resnet_with_batch_norm_buffers_never_fetches_initial_weights(
    images, tmp_path, monkeypatch
):
    X, y = images
    model = ResNetClassifier(image_size=32, max_epochs=1, batch_size=4,
                             random_state=0).fit(X, y)
    # As if it had been fine-tuned from ImageNet weights: loading must not
    # look for them, the saved weights replace them.
    model.set_params(weights="imagenet")
    path = tmp_path / "resnet.safetensors"
    save_model(model, path)

    def no_weights(*args, **kwargs):
        raise AssertionError("load_model fetched initial weights")

    monkeypatch.setattr("sklearn_palsy.neural._modules.load_resnet_weights", no_weights)
    loaded = load_model(path)
    assert loaded.weights == "imagenet"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.embed(X), model.embed(X))
    _, tensors = read_file(path)
    running = [name for name in tensors if name.endswith("running_var']")]
    assert len(running) == 20  # every BatchNorm layer of a ResNet-18
    original = model.net_.module_.state_dict()
    for name, value in loaded.net_.module_.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), original[name].numpy())
    assert int(loaded.net_.module_.state_dict()["trunk.bn1.num_batches_tracked"]) == 2


def test_file_is_plain_safetensors_with_the_documented_metadata(tabular, tmp_path):
    X, y, _, _ = tabular
    path = tmp_path / "model.safetensors"
    save_model(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), path)
    meta, tensors = read_file(path)
    assert set(meta) == {"format", "format_version", "sklearn_palsy_version",
                         "sklearn_version", "torch_version", "config", "sha256"}
    assert (meta["format"], meta["format_version"]) == ("sklearn-palsy", "1")
    assert meta["sklearn_palsy_version"] == sklearn_palsy.__version__
    config = json.loads(meta["config"])
    assert config["class"] == "sklearn.pipeline.Pipeline"
    assert set(tensors) == {"steps[0][1].mean_", "steps[0][1].scale_",
                            "steps[0][1].var_", "steps[1][1].classes_",
                            "steps[1][1].coef_", "steps[1][1].intercept_",
                            "steps[1][1].n_iter_"}
    assert meta["sha256"] == _safe._checksum(meta, tensors)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left


def test_values_keep_their_types(tmp_path):
    scaler = StandardScaler().fit([[0.0], [1.0]])
    scaler.extra_ = {
        "tuple": (1, 2.5, float("nan"), float("-inf")),
        "list": [1, "a", None, True],
        3: np.float32(np.inf),
        "dtype": np.dtype("int16"),
        "type": np.float64,
        "strings": np.array([["a", "bc"], ["d", "e"]]),
        "objects": np.array(["x", 1, 2.5, None], dtype=object),
        "empty": np.zeros((0, 3), dtype=np.uint8),
        "flags": np.array([True, False]),
        "slice": slice(1, None, 2),
        "random_state": np.random.RandomState(3),
        "generator": np.random.default_rng(4),
    }
    extra = round_trip(scaler, tmp_path).extra_
    assert list(extra) == list(scaler.extra_)
    assert extra["tuple"][:2] == (1, 2.5) and type(extra["tuple"]) is tuple
    assert np.isnan(extra["tuple"][2]) and extra["tuple"][3] == float("-inf")
    assert extra["list"] == [1, "a", None, True]
    assert type(extra[3]) is np.float32 and extra[3] == np.inf
    assert extra["dtype"] == np.dtype("int16") and extra["type"] is np.float64
    for key in ("strings", "objects", "empty", "flags"):
        assert extra[key].dtype == scaler.extra_[key].dtype, key
        assert extra[key].shape == scaler.extra_[key].shape, key
        assert extra[key].tolist() == scaler.extra_[key].tolist(), key
    assert extra["slice"] == slice(1, None, 2)
    # Random generators come back in the same state: they draw the same numbers.
    for key in ("random_state", "generator"):
        assert type(extra[key]) is type(scaler.extra_[key])
        np.testing.assert_array_equal(extra[key].random(5),
                                      scaler.extra_[key].random(5))
    encoder = OneHotEncoder(dtype=np.float32).fit([["a"], ["b"]])
    loaded = round_trip(encoder, tmp_path, "encoder.safetensors")
    assert loaded.dtype is np.float32
    np.testing.assert_array_equal(loaded.transform([["b"]]).toarray(), [[0, 1]])


def test_fortran_ordered_arrays_keep_their_layout_and_bits(tabular, tmp_path):
    X, _, _, _ = tabular
    pca = PCA(n_components=3).fit(X.astype(np.float64))
    assert pca.components_.flags.f_contiguous and not pca.components_.flags.c_contiguous
    loaded = round_trip(pca, tmp_path)
    assert loaded.components_.flags.f_contiguous
    np.testing.assert_array_equal(loaded.transform(X), pca.transform(X))


# ---------------------------------------------------------------- the paper's models
@pytest.fixture(scope="module")
def cohort(synthetic_cohort):
    return synthetic_cohort(n_patients=3, n_controls=3, expressions=("rest", "smile"),
                            image_size=128, on_disk=True)


@pytest.mark.parametrize(
    "name", ["features_ffnn", "lines+features_late", "rgb+features_intermediate"]
)
def test_paper_pipelines_round_trip(name, cohort, tmp_path):
    """LandmarkDetector, ExpressionFeatures, LineSegmentRenderer, FaceCropper."""
    model = make_paper_pipelines(image_size=32, ffnn_epochs=2, resnet_epochs=1,
                                 fusion_epochs=1, random_state=0)[name]
    model.fit(cohort.X, cohort.y, **({"groups": cohort.groups}
                                      if name.endswith("intermediate") else {}))
    loaded = round_trip(model, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(cohort.X),
                                  model.predict_proba(cohort.X))
    if name == "features_ffnn":
        features = loaded.named_steps["features"]
        # The shipped landmark scheme comes back as the very same object.
        assert features.scheme_ is model.named_steps["features"].scheme_
        assert features.kinds_ == ("symmetry", "clinical")


def test_folders_of_pickles_are_not_saved_and_not_loaded(tmp_path):
    model = make_pipeline(LandmarkDetector(cache_dir=str(tmp_path / "cache")),
                          memory=str(tmp_path / "memory"))
    path = tmp_path / "model.safetensors"
    with pytest.warns(UserWarning, match="is not saved") as record:
        save_model(model, path)
    messages = sorted(str(warning.message).split("=")[0] for warning in record)
    assert messages == ["memory", "steps[0][1].cache_dir"]
    loaded = load_model(path)
    assert loaded.memory is None and loaded.steps[0][1].cache_dir is None
    # A file that sets one anyway is refused.
    rewrite(path, config=lambda c: {**c, "params": {**c["params"], "memory": "/x"}})
    with pytest.raises(ModelFileError, match="memory must be None"):
        load_model(path)


# ---------------------------------------------------------------- loading runs no code
@pytest.fixture
def spies(monkeypatch):
    """Record every module import_module is asked for and every dangerous call."""
    imported, called = [], []
    real = _checks.importlib.import_module

    def import_module(name):
        imported.append(name)
        return real(name)

    monkeypatch.setattr(_checks, "importlib",
                        types.SimpleNamespace(import_module=import_module))
    for target in ("os.system", "subprocess.Popen", "sklearn.datasets.fetch_openml"):
        monkeypatch.setattr(target, lambda *a, _t=target, **k: called.append(_t))
    return imported, called


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess.Popen",
                                  "posix.system", "sklearn_palsyx.evil.Model",
                                  "sklearnx.Model"])
def test_classes_outside_the_allowed_packages_are_refused_before_import(
    name, tmp_path, spies
):
    imported, called = spies
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    write_crafted(path, estimator_node(name, {"command": f"touch {marker}"}))
    with pytest.raises(ModelFileError, match="is not allowed") as error:
        load_model(path)
    assert str(path) in str(error.value) and name in str(error.value)
    assert imported == [] and called == [] and not marker.exists()


@pytest.mark.parametrize("name", ["sklearn.datasets.fetch_openml",
                                  "sklearn.datasets._openml.fetch_openml",
                                  "sklearn.base.clone",
                                  "sklearn.utils.Bunch",
                                  "sklearn.base.BaseEstimator.__init_subclass__",
                                  "sklearn.conftest.Estimator",
                                  "sklearn.tests.test_base.T",
                                  "sklearn.linear_model.LogisticRegression"])
def test_allowed_modules_but_not_estimator_classes_are_refused(name, tmp_path, spies):
    imported, called = spies
    path = tmp_path / "evil.safetensors"
    write_crafted(path, estimator_node(name, {"name_or_id": "mnist"}))
    with pytest.raises(ModelFileError, match=re.escape(str(path))):
        load_model(path)
    assert called == []
    assert not any("test" in module for module in imported)


def test_a_disallowed_class_deep_inside_a_pipeline_is_refused(tabular, tmp_path, spies):
    X, y, _, _ = tabular
    imported, called = spies
    path = tmp_path / "model.safetensors"
    save_model(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), path)

    def swap(config):
        config["params"]["steps"][1]["items"][1]["class"] = "subprocess.Popen"
        return config

    rewrite(path, config=swap)
    with pytest.raises(ModelFileError, match="'subprocess.Popen' is not allowed"):
        load_model(path)
    assert "subprocess" not in imported and called == []


@pytest.mark.parametrize("node, message", [
    ({"type": "pickle", "data": "gASV"}, "unknown type tag 'pickle'"),
    ({"type": "ref", "id": 7}, "defined nowhere"),
    ({"type": "numpy.ndarray", "tensor": "nothing"}, "does not hold"),
    ({"type": "numpy.scalar", "dtype": "O", "value": 1}, "unsupported dtype"),
    ({"class": "x"}, "unknown type tag None"),
    ([1, 2], "does not hold an estimator"),
])
def test_malformed_configs_are_refused(node, message, tmp_path):
    path = tmp_path / "model.safetensors"
    write_crafted(path, node)
    with pytest.raises(ModelFileError, match=message) as error:
        load_model(path)
    assert str(path) in str(error.value)


# ---------------------------------------------------------------- damaged files
@pytest.fixture
def saved(tabular, tmp_path):
    X, y, _, _ = tabular
    path = tmp_path / "model.safetensors"
    save_model(LogisticRegression().fit(X, y), path)
    return path


def flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def edit_config_keeping_checksum(path):
    rewrite(path, checksum=False,
            config=lambda c: {**c, "params": {**c["params"], "C": 1000.0}})


DAMAGES = {
    "a flipped bit in a tensor": (flip_last_byte, "corrupted or was modified"),
    "an edited config": (edit_config_keeping_checksum, "corrupted or was modified"),
    "an edited version": (
        lambda p: rewrite(p, checksum=False, torch_version="9.9"),
        "corrupted or was modified"),
    "a truncated file": (
        lambda p: p.write_bytes(p.read_bytes()[:-10]), "truncated"),
    "a truncated header": (
        lambda p: p.write_bytes(p.read_bytes()[:20]), "not a safetensors file"),
    "a zero-byte file": (lambda p: p.write_bytes(b""), "not a safetensors file"),
    "a text file": (
        lambda p: p.write_text("model = LogisticRegression()\n" * 3),
        "not a safetensors file"),
    "a missing file": (lambda p: p.unlink(), "model file not found"),
    "another format": (
        lambda p: rewrite(p, format="other"), "not an sklearn-palsy model file"),
    "a future format_version": (
        lambda p: rewrite(p, format_version="2"), "format_version 2"),
    "another minor version": (
        lambda p: rewrite(p, sklearn_palsy_version="0.2.0"),
        "written by sklearn-palsy 0.2.0"),
    "another major version": (
        lambda p: rewrite(p, sklearn_palsy_version="1.1.0"),
        "same major.minor version"),
    "missing metadata": (
        lambda p: save_file(read_file(p)[1], str(p),
                            metadata={"format": "sklearn-palsy"}),
        "metadata lacks"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_files_are_refused_naming_the_path(damage, saved):
    spoil, message = DAMAGES[damage]
    spoil(saved)
    with pytest.raises(ModelFileError, match=message) as error:
        load_model(saved)
    assert repr(str(saved)) in str(error.value)


def test_other_patch_release_or_scikit_learn_version_warns(saved, tabular):
    X, _, _, _ = tabular
    expected = load_model(saved).predict_proba(X)
    rewrite(saved, sklearn_palsy_version="0.1.7", sklearn_version="1.8.0")
    with pytest.warns(UserWarning) as record:
        loaded = load_model(saved)
    messages = " ".join(str(warning.message) for warning in record)
    assert "sklearn-palsy 0.1.7" in messages and "scikit-learn 1.8.0" in messages
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


# ---------------------------------------------------------------- what a file may hold
# Each file below has a valid checksum, as a forger would recompute it: what
# refuses it is the check under test, not the checksum.
def with_state(path, **state):
    """Add fitted attributes (JSON nodes) to the saved top-level estimator."""
    rewrite(path, config=lambda c: {**c, "state": {**c["state"], **state}})


def peak_memory_of(function):
    """The peak of Python and numpy allocations while ``function`` runs, in bytes."""
    tracemalloc.start()
    try:
        function()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def wide_strings(width, count=1):
    return {"type": "numpy.array", "dtype": f"<U{width}", "shape": [count],
            "values": [""] * count}


# Each declares far more than its few bytes of JSON take.
HUGE_DECLARATIONS = {
    # 256 MiB: one string of 67 million characters.
    "a wide string array": (wide_strings(2**26), "MAX_INLINE_BYTES"),
    # 80 MiB: five arrays of 16 MiB, each below the limit.
    "wide string arrays adding up": (
        {"type": "tuple", "items": [wide_strings(2**22) for _ in range(5)]},
        "MAX_INLINE_BYTES"),
    # 400 MB each, once a transformer uses the dtype.
    "a wide string scalar": (
        {"type": "numpy.scalar", "dtype": "<U100000000", "value": "a"},
        "MAX_INLINE_BYTES"),
    "a wide string dtype": (
        {"type": "numpy.dtype", "dtype": "<U100000000"}, "MAX_INLINE_BYTES"),
}


@pytest.mark.parametrize("case", HUGE_DECLARATIONS)
def test_small_files_declaring_huge_arrays_are_refused_before_allocating(
    case, saved
):
    node, limit = HUGE_DECLARATIONS[case]
    with_state(saved, huge_=node)
    assert saved.stat().st_size < 10_000
    errors = []

    def load():
        with pytest.raises(ModelFileError) as error:
            load_model(saved)
        errors.append(str(error.value))

    assert peak_memory_of(load) < 50 * 2**20
    assert repr(str(saved)) in errors[0] and limit in errors[0]


def nested(depth):
    node = 0
    for _ in range(depth - 1):
        node = [node]
    return node


def huge_header(path):
    """A file whose first 8 bytes announce a header of more than MAX_HEADER_BYTES.

    The file has as many bytes, but they are never written (a sparse file):
    the length alone refuses it.
    """
    size = sklearn_palsy.io.MAX_HEADER_BYTES + 1
    with open(path, "wb") as handle:
        handle.write(size.to_bytes(8, "little"))
        handle.truncate(8 + size)


def many_objects(count):
    return {"type": "numpy.array", "dtype": "object", "shape": [count],
            "values": [0] * count}


LIMITS = {
    "MAX_HEADER_BYTES": huge_header,
    "MAX_CONFIG_DEPTH": lambda p: with_state(p, deep_=nested(150)),
    "MAX_CONFIG_NODES": lambda p: with_state(
        p, many_=[0] * sklearn_palsy.io.MAX_CONFIG_NODES),
    "MAX_INLINE_ELEMENTS": lambda p: with_state(
        p, many_=many_objects(sklearn_palsy.io.MAX_INLINE_ELEMENTS + 1)),
}


@pytest.mark.parametrize("limit", LIMITS)
def test_files_beyond_the_size_limits_are_refused_naming_the_limit(limit, saved):
    LIMITS[limit](saved)
    with pytest.raises(ModelFileError, match=limit) as error:
        load_model(saved)
    assert repr(str(saved)) in str(error.value)


def test_tensors_beyond_the_limit_are_refused_before_they_are_read(
    tmp_path, monkeypatch
):
    # A file of more than 2 GiB would make a slow test: lower the limit instead.
    scaler = StandardScaler().fit([[0.0], [1.0]])
    scaler.big_ = np.zeros(2**22)  # 32 MiB
    path = tmp_path / "model.safetensors"
    save_model(scaler, path)
    total = sum(array.nbytes for array in read_file(path)[1].values())
    monkeypatch.setattr(sklearn_palsy.io, "MAX_TENSOR_BYTES", total - 1)
    errors = []

    def load():
        with pytest.raises(ModelFileError) as error:
            load_model(path)
        errors.append(str(error.value))

    assert peak_memory_of(load) < 2**22  # the 32 MiB were not read
    assert repr(str(path)) in errors[0]
    assert f"{total} bytes, more than MAX_TENSOR_BYTES = {total - 1}" in errors[0]
    monkeypatch.setattr(sklearn_palsy.io, "MAX_TENSOR_BYTES", total)
    assert load_model(path).big_.shape == (2**22,)


def test_save_model_refuses_files_that_load_model_would_refuse(tmp_path, monkeypatch):
    model = LogisticRegression().fit([[0.0], [1.0]], ["control", "palsy"])
    path = tmp_path / "model.safetensors"
    monkeypatch.setattr(sklearn_palsy.io, "MAX_INLINE_BYTES", 8)  # classes_: 56 bytes
    with pytest.raises(ValueError, match="MAX_INLINE_BYTES = 8"):
        save_model(model, path)
    assert not path.exists()


@pytest.fixture(scope="module")
def small_ffnn(tabular, tmp_path_factory):
    X, y, _, _ = tabular
    path = tmp_path_factory.mktemp("ffnn") / "ffnn.safetensors"
    save_model(ffnn(max_epochs=1).fit(X, y), path)
    return path.read_bytes()


@pytest.mark.parametrize("params, message", [
    # 16 million weights, where the file holds 65.
    ({"hidden_layer_sizes": {"type": "tuple", "items": [4000, 4000]}},
     "network larger than its saved weights"),
    ({"hidden_layer_sizes": {"type": "tuple", "items": [9]}},
     r"weights differ from the saved ones: \['head.weight', 'trunk.0.bias'"),
    ({"lr": -1.0}, "'lr' parameter of FFNNClassifier must be"),
])
def test_networks_other_than_their_saved_weights_are_refused_before_building(
    params, message, small_ffnn, tmp_path, monkeypatch
):
    from skorch import NeuralNet

    path = tmp_path / "ffnn.safetensors"
    path.write_bytes(small_ffnn)
    rewrite(path, config=lambda c: {**c, "params": {**c["params"], **params}})
    built = []
    monkeypatch.setattr(NeuralNet, "initialize", lambda net: built.append(net))
    with pytest.raises(ModelFileError, match=message) as error:
        load_model(path)
    assert repr(str(path)) in str(error.value) and built == []


@pytest.mark.parametrize("name, node, where", [
    # A numpy type is callable: it would answer predict_proba(X) with garbage.
    ("predict_proba", {"type": "numpy.type", "dtype": "<f8"}, "method"),
    ("predict", {"type": "numpy.type", "dtype": "<f8"}, "method"),
    ("_validate_params", None, "method"),
    ("_parameter_constraints", {"type": "dict", "items": []}, "class variable"),
    ("__dict__", {"type": "dict", "items": []}, "Python"),
    ("__class__", None, "Python"),
    ("not-a-name", 1, "identifier"),
    ("", 1, "identifier"),
    ("_metadata_request", None, "metadata-routing"),
    ("C", 2.0, "parameter"),
])
def test_attributes_that_the_class_defines_or_not_names_are_refused(
    name, node, where, saved
):
    with_state(saved, **{name: node})
    with pytest.raises(ModelFileError) as error:
        load_model(saved)
    message = str(error.value)
    assert repr(str(saved)) in message and repr(name) in message
    assert "LogisticRegression" in message and where in message


def test_attributes_that_hide_properties_of_a_pipeline_are_refused(tabular, tmp_path):
    X, y, _, _ = tabular
    path = tmp_path / "model.safetensors"
    save_model(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), path)
    with_state(path, classes_=[0, 1])
    with pytest.raises(ModelFileError, match=r"'classes_' of the .*Pipeline.*property"):
        load_model(path)


def test_save_model_refuses_attributes_that_load_model_would_refuse(tmp_path):
    scaler = StandardScaler().fit([[0.0], [1.0]])
    scaler.transform = np.float64  # data, but it hides a method
    with pytest.raises(TypeError, match=r"attribute 'transform' of a StandardScaler"):
        save_model(scaler, tmp_path / "model.safetensors")


def pipeline_as_its_own_step(path, tabular):
    step = {"type": "tuple", "items": ["itself", {"type": "ref", "id": 0}]}
    write_crafted(path, estimator_node("sklearn.pipeline.Pipeline", {"steps": [step]}))


def pipeline_in_its_final_step(path, tabular):
    X, y, _, _ = tabular
    save_model(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), path)

    def add_parent(config):
        final = config["params"]["steps"][1]["items"][1]
        final["state"]["parent_"] = {"type": "ref", "id": config["id"]}
        return config

    rewrite(path, config=add_parent)


@pytest.mark.parametrize("make_cycle", [pipeline_as_its_own_step,
                                        pipeline_in_its_final_step])
def test_an_estimator_containing_itself_is_refused(make_cycle, tabular, tmp_path):
    path = tmp_path / "model.safetensors"
    make_cycle(path, tabular)
    cycle = "estimator 0 (sklearn.pipeline.Pipeline) contains a reference to itself"
    with pytest.raises(ModelFileError, match=re.escape(cycle)) as error:
        load_model(path)
    assert repr(str(path)) in str(error.value)
    # Nor does save_model write one.
    pipeline = make_pipeline(StandardScaler())
    pipeline.steps.append(("again", pipeline))
    with pytest.raises(TypeError, match=r"steps\[1\]\[1\].*contains itself"):
        save_model(pipeline, tmp_path / "cycle.safetensors")


FORGE_AND_LOAD = """
import json, sys
import numpy as np
from safetensors.numpy import save_file
from sklearn.preprocessing import StandardScaler
from sklearn_palsy import load_model, save_model
from sklearn_palsy.io import _safe

# One genuine load first, so that what the loader itself imports (sklearn_palsy
# imports its public names on first use) is in place before the count starts.
save_model(StandardScaler().fit(np.zeros((2, 1))), sys.argv[1])
load_model(sys.argv[1])
before, refusals = set(sys.modules), {}
for name in sys.argv[2:]:
    meta = {"format": "sklearn-palsy", "format_version": "1",
            **_safe._versions(),
            "config": json.dumps({"type": "estimator", "id": 0, "class": name,
                                  "params": {}, "state": {}})}
    meta["sha256"] = _safe._checksum(meta, {})
    save_file({}, sys.argv[1], metadata=meta)
    try:
        load_model(sys.argv[1])
        refusals[name] = None
    except Exception as error:
        refusals[name] = str(error)
print(json.dumps({"refusals": refusals,
                  "imported": sorted(set(sys.modules) - before)}))
"""


@pytest.mark.slow  # fresh processes
def test_forged_class_names_are_refused_without_importing_their_module(tmp_path):
    names = [
        # Importing it changes sklearn.impute: a side effect.
        "sklearn.experimental.enable_iterative_imputer.IterativeImputer",
        # An estimator class, but one for scikit-learn's own tests.
        "sklearn.utils._testing.MinimalClassifier",
        "sklearn.datasets._samples_generator.make_classification",
    ]
    # A fresh interpreter: which modules are imported does not depend on the
    # tests that ran before.
    result = subprocess.run(
        [sys.executable, "-c", FORGE_AND_LOAD, str(tmp_path / "forged.safetensors"),
         *names], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert [module for module in outcome["imported"]
            if module.startswith("sklearn.")] == []
    for name in names:
        assert f"{name!r} is not allowed" in outcome["refusals"][name], name


# DummyClassifier's module has no __all__; CountVectorizer's is a submodule.
@pytest.mark.parametrize("cls", [SVC, CountVectorizer, ColumnTransformer, OneHotEncoder,
                                 DummyClassifier, Pipeline, FFNNClassifier,
                                 IntermediateFusionClassifier,
                                 PatientStackingClassifier, LandmarkDetector])
def test_public_estimator_classes_resolve_from_their_module(cls):
    assert _checks._resolve_class(_checks._class_name(cls)) is cls


@pytest.mark.parametrize("name, message", [
    # An estimator, but a private helper that sklearn.multiclass does not export.
    ("sklearn.multiclass._ConstantPredictor", "not an estimator class that"),
    ("sklearn_palsy.neural._base.BaseNeuralClassifier", "not an estimator class that"),
    ("sklearn.svm.SVC", "is an alias of 'sklearn.svm._classes.SVC'"),
])
def test_unexported_classes_and_aliases_are_refused(name, message):
    with pytest.raises(_checks._Invalid, match=re.escape(message)):
        _checks._resolve_class(name)


# ---------------------------------------------------------------- the registries
PLUGIN_INIT = """
import importlib

__all__ = ["ConstantClassifier"]
requested = []


def __getattr__(name):  # exports its estimators on first use, as sklearn_palsy does
    requested.append(name)
    if name in __all__:
        return getattr(importlib.import_module("._models", __name__), name)
    raise AttributeError(name)
"""
PLUGIN_MODELS = """
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class ConstantClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, *, label=1, scratch_dir=None):
        self.label = label
        self.scratch_dir = scratch_dir

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.label)


class Unexported(ConstantClassifier):
    pass
"""


@pytest.fixture
def registries(monkeypatch):
    """The registry module; whatever a test registers is undone after it."""
    from sklearn_palsy.io import _registry

    for name in ("_estimator_modules", "_folder_parameters"):
        monkeypatch.setattr(_registry, name, getattr(_registry, name))
    return _registry


@pytest.fixture
def plugin(tmp_path, monkeypatch, registries):
    """A third-party package of estimators, importable but not imported yet."""
    package = tmp_path / "site" / "palsy_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN_INIT)
    (package / "_models.py").write_text(PLUGIN_MODELS)
    monkeypatch.syspath_prepend(str(package.parent))
    yield "palsy_plugin"
    for name in [name for name in sys.modules if name.startswith("palsy_plugin")]:
        del sys.modules[name]


def test_a_registered_module_s_estimators_round_trip(plugin, tmp_path):
    sklearn_palsy.io.register_estimator_module(plugin)
    from palsy_plugin import ConstantClassifier

    model = ConstantClassifier(label=0).fit([[0.0], [1.0]], [0, 1])
    loaded = round_trip(model, tmp_path)
    assert type(loaded) is ConstantClassifier
    assert loaded.label == 0 and loaded.classes_.tolist() == [0, 1]
    assert loaded.predict([[5.0], [6.0]]).tolist() == [0, 0]


def test_an_unregistered_module_is_refused_before_it_is_imported(plugin, tmp_path,
                                                                 spies):
    imported, _ = spies
    path = tmp_path / "plugin.safetensors"
    write_crafted(path, estimator_node("palsy_plugin._models.ConstantClassifier"))
    with pytest.raises(ModelFileError, match="is not allowed"):
        load_model(path)
    assert imported == [] and "palsy_plugin" not in sys.modules
    # Nor does save_model write a file that load_model would refuse.
    from palsy_plugin import ConstantClassifier

    with pytest.raises(TypeError, match="load_model would refuse its class"):
        save_model(ConstantClassifier(), path)


def test_a_registered_module_s_unexported_classes_are_refused(plugin, tmp_path):
    sklearn_palsy.io.register_estimator_module(plugin)
    path = tmp_path / "plugin.safetensors"
    write_crafted(path, estimator_node("palsy_plugin._models.Unexported"))
    with pytest.raises(ModelFileError, match="not an estimator class that "
                       "palsy_plugin exports"):
        load_model(path)
    # The package's __getattr__ is asked only for names that it exports.
    assert sys.modules["palsy_plugin"].requested == []


def test_a_registered_folder_parameter_is_not_saved_and_refused_in_files(
    plugin, tmp_path
):
    sklearn_palsy.io.register_estimator_module(plugin)
    from palsy_plugin import ConstantClassifier

    model = ConstantClassifier(scratch_dir=str(tmp_path)).fit([[0.0], [1.0]], [0, 1])
    path = tmp_path / "model.safetensors"
    save_model(model, path)  # not a folder parameter yet: saved as it is
    assert load_model(path).scratch_dir == str(tmp_path)
    sklearn_palsy.io.register_folder_parameter("scratch_dir")
    assert "scratch_dir" in sklearn_palsy.io.registered_folder_parameters()
    # Files written before the registration are refused...
    with pytest.raises(ModelFileError, match="scratch_dir must be None"):
        load_model(path)
    # ...and files written after it hold None.
    with pytest.warns(UserWarning, match="scratch_dir=.* is not saved"):
        save_model(model, path)
    assert load_model(path).scratch_dir is None


@pytest.mark.parametrize("name", ["", "my-package", "pkg..models", "1pkg", "__main__",
                                  "pkg.__init__", "pkg.", None, 3])
def test_registering_what_is_not_a_module_name_raises(name, registries):
    before = sklearn_palsy.io.registered_estimator_modules()
    with pytest.raises(ValueError, match="dotted module name"):
        sklearn_palsy.io.register_estimator_module(name)
    assert sklearn_palsy.io.registered_estimator_modules() == before


@pytest.mark.parametrize("name", ["", "cache-dir", "a.b", "1dir", None])
def test_registering_what_is_not_a_parameter_name_raises(name, registries):
    with pytest.raises(ValueError, match="a Python identifier"):
        sklearn_palsy.io.register_folder_parameter(name)


def test_the_registries_start_with_the_package_and_scikit_learn(registries):
    modules = sklearn_palsy.io.registered_estimator_modules()
    assert {"sklearn_palsy", "sklearn.pipeline", "sklearn.linear_model"} <= modules
    assert not any(module.startswith(("sklearn.experimental", "sklearn.utils",
                                      "sklearn.datasets")) for module in modules)
    assert sklearn_palsy.io.registered_folder_parameters() == {"cache_dir", "memory"}


def test_estimators_of_other_scikit_learn_modules_round_trip(tabular, tmp_path):
    X, y, _, _ = tabular
    model = make_pipeline(StandardScaler(), PCA(n_components=3), SVC()).fit(X, y)
    loaded = round_trip(model, tmp_path)
    np.testing.assert_array_equal(loaded.decision_function(X),
                                  model.decision_function(X))


# ---------------------------------------------------------------- what cannot be saved
class _OutsideEstimator(ClassifierMixin, BaseEstimator):
    """An estimator class from outside sklearn and sklearn_palsy."""


def test_functions_are_refused_naming_the_attribute(tabular, tmp_path):
    X, y, _, _ = tabular
    model = make_pipeline(FunctionTransformer(func=lambda x: x),
                          LogisticRegression()).fit(X, y)
    path = tmp_path / "model.safetensors"
    with pytest.raises(TypeError, match=r"steps\[0\]\[1\]\.func.*joblib"):
        save_model(model, path)
    assert not path.exists()


@pytest.mark.parametrize("make, where", [
    (lambda: _set(StandardScaler().fit([[0.0], [1.0]]), note_=object()), r"note_"),
    (lambda: _set(StandardScaler().fit([[0.0], [1.0]]), when_=np.datetime64(1, "D")),
     r"when_"),
    (lambda: Pipeline([("outside", _OutsideEstimator())]),
     r"steps\[0\]\[1\].*_OutsideEstimator"),
    (lambda: "not an estimator", "scikit-learn estimators"),
])
def test_arbitrary_objects_are_refused_naming_the_attribute(make, where, tmp_path):
    with pytest.raises(TypeError, match=where):
        save_model(make(), tmp_path / "model.safetensors")


def _set(estimator, **attributes):
    vars(estimator).update(attributes)
    return estimator


def test_searches_are_refused_with_a_pointer_to_best_estimator(tabular, tmp_path):
    X, y, _, _ = tabular
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    with pytest.raises(TypeError, match="best_estimator_") as error:
        save_model(search, tmp_path / "search.safetensors")
    assert "joblib" in str(error.value)
    loaded = round_trip(search.best_estimator_, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))


# ---------------------------------------------------------------- property
@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_features=st.integers(1, 5),
    n_classes=st.integers(2, 3),
    labels=st.sampled_from(["int", "str", "object"]),
    kind=st.sampled_from(["ffnn", "logistic"]),
)
def test_save_then_load_is_the_identity_on_predictions(seed, n_features, n_classes,
                                                      labels, kind):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, n_features)).astype(np.float32)
    y = np.arange(12) % n_classes
    if labels != "int":
        y = np.array(["control", "palsy", "severe palsy"])[y]
        y = y.astype(object) if labels == "object" else y
    model = (ffnn(hidden_layer_sizes=(3,), max_epochs=1, random_state=seed)
             if kind == "ffnn" else LogisticRegression())
    model.fit(X, y)
    with tempfile.TemporaryDirectory() as folder:
        loaded = round_trip(model, Path(folder))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    predicted = loaded.predict(X)
    assert predicted.dtype == model.predict(X).dtype
    np.testing.assert_array_equal(predicted, model.predict(X))


# ---------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def cli_models(cohort, tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    for name in ("model.safetensors", "model.joblib"):
        code = main(["train", str(cohort.manifest), "--pipeline", "features_ffnn",
                     "--epochs-scale", "0.02", "--out", str(folder / name)])
        assert code == 0
    return folder


def test_cli_safetensors_model_predicts_as_the_joblib_one(cli_models, cohort, tmp_path):
    images = [str(image) for image in cohort.X[::3]]
    for name in ("model.safetensors", "model.joblib"):
        out = tmp_path / f"{name}.csv"
        assert main(["predict", str(cli_models / name), *images,
                     "--out", str(out)]) == 0
    safe = pd.read_csv(tmp_path / "model.safetensors.csv")
    pickled = pd.read_csv(tmp_path / "model.joblib.csv")
    assert len(safe) == len(images)
    pd.testing.assert_frame_equal(safe, pickled)
    assert safe.probability.nunique() > 1


def test_cli_refuses_bad_model_files_in_one_line(cli_models, cohort, tmp_path, capsys):
    image = str(cohort.X[0])
    tampered = tmp_path / "tampered.safetensors"
    tampered.write_bytes((cli_models / "model.safetensors").read_bytes())
    flip_last_byte(tampered)
    # A pickle renamed .safetensors is refused, never unpickled.
    renamed = tmp_path / "renamed.safetensors"
    renamed.write_bytes((cli_models / "model.joblib").read_bytes())
    for path, message in ((tampered, "corrupted"), (renamed, "not a safetensors"),
                          (tmp_path / "model.bin", "unknown extension")):
        assert main(["predict", str(path), image]) == 1
        err = capsys.readouterr().err
        assert err.startswith("sklearn-palsy: error:") and len(err.splitlines()) == 1
        assert str(path) in err and message in err
    assert main(["train", str(cohort.manifest), "--pipeline", "features_ffnn",
                 "--out", str(tmp_path / "model.h5")]) == 1
    assert "unknown extension '.h5'" in capsys.readouterr().err
    assert not (tmp_path / "model.h5").exists()


def test_cli_help_names_both_formats(capsys):
    for command in ("train", "predict"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert ".safetensors" in out and ".joblib" in out, command


@pytest.mark.slow  # fresh processes
def test_estimators_imported_from_their_subpackage_save_and_load_in_a_fresh_process(
    tmp_path,
):
    """sklearn_palsy imports its public names on first use; the format's class
    check must not depend on whether anything touched them before."""
    path = str(tmp_path / "m.safetensors")
    code = (
        "from sklearn_palsy.preprocessing import LandmarkDetector\n"
        "from sklearn_palsy import load_model, save_model\n"
        f"save_model(LandmarkDetector(backend='dlib'), {path!r})\n"
        f"print(type(load_model({path!r})).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LandmarkDetector"


def test_importing_the_io_package_loads_neither_torch_nor_joblib():
    """Reading the safe format's limits or registering a module costs no torch."""
    code = (
        "import sys\n"
        "import sklearn_palsy.io\n"
        "sklearn_palsy.io.register_folder_parameter('scratch_dir')\n"
        "print([name for name in ('torch', 'skorch', 'joblib', 'sklearn')"
        " if name in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
