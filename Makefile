# Each target creates .venv when it is missing and installs the package into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sklearn-palsy demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) demo_output .pytest_cache build *.egg-info
