# Each target creates its virtual environment when it is missing and installs
# the package into it; `make demo` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# MediaPipe 0.10.21 needs numpy<2, so its backend is tested in a venv of its own.
MP_VENV ?= .venv-mediapipe
MP_STAMP := $(MP_VENV)/.installed-stamp
PIP_INSTALL = -m pip install --quiet -c constraints.txt

.PHONY: demo test test-mediapipe clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -e ".[test]"
	touch $(STAMP)

$(MP_STAMP): pyproject.toml constraints.txt
	test -x $(MP_VENV)/bin/python || $(PYTHON) -m venv $(MP_VENV)
	$(MP_VENV)/bin/python $(PIP_INSTALL) -e ".[test,mediapipe]"
	touch $(MP_STAMP)

demo: $(STAMP)
	$(VENV)/bin/sklearn-palsy demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest

# The MediaPipe backend's tests, in the numpy<2 environment.
test-mediapipe: $(MP_STAMP)
	$(MP_VENV)/bin/python -m pytest -m mediapipe

clean:
	rm -rf $(VENV) $(MP_VENV) demo_output .pytest_cache build *.egg-info
