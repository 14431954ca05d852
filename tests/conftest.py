"""Shared test set-up: every test starts from the same random state."""

import random

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _seed_everything():
    """Seed Python's, numpy's and torch's global generators before each test."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield
