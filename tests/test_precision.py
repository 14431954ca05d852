"""ResNetClassifier's precision and memory-layout options."""

import copy

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_palsy import ResNetClassifier
from sklearn_palsy.neural import _base, bfloat16_supported


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, size=(24, 32, 32, 3), dtype=np.uint8)
    # A learnable signal: a bright square in the positives.
    y = np.array([0, 1] * 12)
    X[y == 1, 8:20, 8:20] = 250
    return X, y


def _fit(images, **params):
    X, y = images
    # ResNet-10: precision does not depend on the depth, and on CPUs without
    # native bfloat16 (AVX2) its emulated fits cost half of ResNet-18's.
    defaults = dict(image_size=32, max_epochs=2, lr=1e-3, random_state=0,
                    arch="resnet10")
    return ResNetClassifier(**{**defaults, **params}).fit(X, y)


def _conv_dtypes(clf, X):
    """The dtypes of the first convolution's outputs while predicting X."""
    seen = []

    def record(module, inputs, output):
        # The first convolution (RGB in), of the folded copy that prediction
        # makes of the trunk, batch norms folded into the convolutions.
        if isinstance(module, torch.nn.Conv2d) and module.in_channels == 3:
            seen.append(output.dtype)

    handle = torch.nn.modules.module.register_module_forward_hook(record)
    try:
        clf.predict_proba(X)
    finally:
        handle.remove()
    return set(seen)


def test_float32_is_the_default_and_runs_in_float32(images):
    clf = _fit(images)
    assert clf.precision == "float32"
    assert _conv_dtypes(clf, images[0]) == {torch.float32}


def test_bfloat16_runs_convolutions_in_bfloat16_and_returns_float(images):
    clf = _fit(images, precision="bfloat16")
    X, _ = images
    assert _conv_dtypes(clf, X) == {torch.bfloat16}
    # Weights stay float32; outputs are float64 probabilities and float32
    # embeddings, as in float32.
    assert all(p.dtype == torch.float32 for p in clf.net_.module_.parameters())
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.embed(X).dtype == np.float32


def test_bfloat16_is_reproducible_and_close_to_float32(images):
    X, _ = images
    first = _fit(images, precision="bfloat16").predict_proba(X)
    second = _fit(images, precision="bfloat16").predict_proba(X)
    np.testing.assert_array_equal(first, second)
    # The same float32 weights predicted in bfloat16 move the probabilities
    # a little and the labels (almost) not at all.
    clf = _fit(images)
    proba32 = clf.predict_proba(X)
    clf16 = copy.deepcopy(clf)
    clf16.net_.precision = "bfloat16"
    proba16 = clf16.predict_proba(X)
    assert not np.array_equal(proba32, proba16)
    assert np.abs(proba32 - proba16).max() < 0.05
    assert np.mean(proba32.argmax(1) == proba16.argmax(1)) >= 0.95


def test_auto_follows_the_hardware(images, monkeypatch):
    X, _ = images
    monkeypatch.setattr(_base, "bfloat16_supported", lambda device="cpu": False)
    clf = _fit(images, precision="auto", max_epochs=1)
    assert _conv_dtypes(clf, X) == {torch.float32}
    monkeypatch.setattr(_base, "bfloat16_supported", lambda device="cpu": True)
    assert _conv_dtypes(clf, X) == {torch.bfloat16}


def test_bfloat16_supported_answers_per_device():
    assert isinstance(bfloat16_supported("cpu"), bool)
    assert bfloat16_supported("meta") is False
    if not torch.cuda.is_available():
        assert bfloat16_supported("cuda") is False


def test_channels_last_layout_and_same_predictions_as_nchw(images):
    X, _ = images
    clf = _fit(images, channels_last=True)
    weight = clf.net_.module_.trunk.conv1.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not weight.is_contiguous()
    plain = _fit(images, channels_last=False, max_epochs=1)
    assert plain.net_.module_.trunk.conv1.weight.is_contiguous()
    # The same weights in NCHW layout: the same arithmetic up to the order of
    # summation.
    nchw = copy.deepcopy(clf)
    nchw.net_.channels_last = False
    nchw.net_.module_.to(memory_format=torch.contiguous_format)
    assert nchw.net_.module_.trunk.conv1.weight.is_contiguous()
    np.testing.assert_allclose(clf.predict_proba(X), nchw.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize(
    "params", [{"precision": "float16"}, {"precision": None}, {"channels_last": "yes"}]
)
def test_invalid_options_are_refused(images, params):
    with pytest.raises(InvalidParameterError):
        _fit(images, **params)


def test_bfloat16_prediction_keeps_one_autocast_region(images, monkeypatch):
    # Weights cast to bfloat16 are cached until the outermost autocast region
    # ends; one region over all batches casts them once per prediction.
    clf = _fit(images, precision="bfloat16", batch_size=8, max_epochs=1)
    cleared = []
    real_clear = torch.clear_autocast_cache
    monkeypatch.setattr(torch, "clear_autocast_cache",
                        lambda: (cleared.append(1), real_clear()))
    clf.predict_proba(images[0])  # 24 images: three batches
    assert len(cleared) == 1
