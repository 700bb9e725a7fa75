# Two commands for a newcomer (see README):  make run   and   make test
# Each creates the virtual environment in .venv if it is missing (Python from .python-version via pyenv) and installs
# the locked versions of every dependency (requirements.lock, generated from pyproject.toml; see its header).
SHELL := /bin/bash
PY_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format env clean-env

$(STAMP): pyproject.toml requirements.lock
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
		base=$$(pyenv prefix $(PY_VERSION) 2>/dev/null || true); \
		if [ -n "$$base" ] && [ -x "$$base/bin/python" ]; then pybin="$$base/bin/python"; \
		elif command -v python$(basename $(PY_VERSION) .1) >/dev/null; then pybin=python3.12; \
		else echo "Python $(PY_VERSION) not found (install it with: pyenv install $(PY_VERSION))" >&2; exit 2; fi; \
		"$$pybin" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -r requirements.lock; \
	$(PY) -m pip install --quiet --no-deps -e .; \
	touch $(STAMP)

env: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/dlsim world

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean-env:
	rm -rf $(VENV)
