"""Shared test set-up.

- Every test starts from the same random state and an empty face cache, so
  that no result depends on which tests ran before.
- ``synthetic_cohort`` and ``tabular_data`` build the data sets that the
  modules share, once per session for each set of arguments.
"""

import os
import random

# Under pytest-xdist (make test runs two workers on two cores) each worker
# computes with one thread, so that the workers never oversubscribe the
# cores; the variables reach the processes that tests start, too (fresh
# interpreters, loky workers), which then compute as their parent does.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_variable] = "1"

import numpy as np  # noqa: E402 - after the thread settings above
import pytest  # noqa: E402
import torch  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)

from sklearn_palsy.datasets import make_synthetic_cohort
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


@pytest.fixture(scope="session")
def synthetic_cohort(tmp_path_factory):
    """``make(**params)``: a synthetic cohort, made once per set of arguments.

    Arguments are those of :func:`make_synthetic_cohort` (``random_state``
    defaults to 0); ``on_disk=True`` writes its images and manifest to a
    session folder, so that ``X`` holds paths. The same arguments give the
    very same cohort object, whose arrays are made read-only so that no test
    can change what another one sees.
    """
    made = {}

    def make(*, on_disk=False, **params):
        params = {"random_state": 0, **params}
        key = (on_disk, tuple(sorted(params.items())))
        if key not in made:
            output_dir = tmp_path_factory.mktemp("cohort") if on_disk else None
            cohort = make_synthetic_cohort(**params, output_dir=output_dir)
            for value in cohort.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False
            made[key] = cohort
        return made[key]

    return make


@pytest.fixture(scope="session")
def tabular_data():
    """``make(n_samples, n_features, n_patients)``: features, labels, patients.

    Gaussian features whose label is the sign of the first plus the middle
    feature, and patient ids in consecutive runs of equal length; read-only.
    """
    made = {}

    def make(n_samples=120, n_features=6, n_patients=30):
        key = (n_samples, n_features, n_patients)
        if key not in made:
            rng = np.random.default_rng(0)
            X = rng.normal(size=(n_samples, n_features)).astype(np.float32)
            y = (X[:, 0] + X[:, n_features // 2] > 0).astype(int)
            groups = np.repeat(np.arange(n_patients), n_samples // n_patients)
            for array in (X, y, groups):
                array.flags.writeable = False
            made[key] = (X, y, groups)
        return made[key]

    return make
