# Each target creates its virtual environment when it is missing and installs
# the package into it; `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP_INSTALL = -m pip install --quiet -c constraints.txt
DOCS_STAMP := $(VENV)/.docs-stamp

.PHONY: demo test test-slow test-all test-mediapipe lint docs bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -e ".[test,distributed]"
	touch $(STAMP)

# The docs tools go into the same .venv; their own stamp reinstalls them when
# pyproject.toml or constraints.txt change.
$(DOCS_STAMP): $(STAMP)
	$(PY) $(PIP_INSTALL) -e ".[test,distributed,docs]"
	touch $(DOCS_STAMP)

demo: $(STAMP)
	$(VENV)/bin/sklearn-palsy demo --out demo_output

# Everything but the slow end-to-end tests, on two pytest-xdist workers of one
# torch thread each (tests/conftest.py); about three minutes on two cores.
test: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow" --durations=15

# The slow end-to-end tests (whole experiments, learning outcomes, fresh
# processes, Dask): .ci/run runs them after make test.
test-slow: $(STAMP)
	$(PY) -m pytest -m slow

test-all: test test-slow

# ruff, with the settings in pyproject.toml; CI runs it.
lint: $(STAMP)
	$(PY) -m ruff check .

# Only the MediaPipe backend's tests (make test runs them too), in the same venv.
test-mediapipe: $(STAMP)
	$(PY) -m pytest -m mediapipe

# The Sphinx site, with the gallery's examples run; any warning fails the build.
docs: $(DOCS_STAMP)
	MPLBACKEND=Agg $(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

# Speed and memory against their targets (benchmarks/README.md); about
# 18 minutes on two cores. Not part of make test: figures, not pass/fail.
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .venv-mediapipe demo_output .pytest_cache build *.egg-info
