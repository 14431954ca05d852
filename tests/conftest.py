"""Shared test set-up: every test starts from the same random state and an
empty face cache, so that no result depends on which tests ran before."""

import random

import numpy as np
import pytest
import torch

from sklearn_palsy.faces import clear_face_cache


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed Python's, numpy's and torch's global generators before each test."""
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - the global generator, on purpose
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _clean_face_cache():
    """Empty the process-wide face cache before and after each test.

    Module-scoped fixtures keep the arrays they computed; only the cache of
    per-image analyses, which tests count and plant entries in, is reset.
    """
    clear_face_cache()
    yield
    clear_face_cache()
