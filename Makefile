# Two commands for a newcomer (see README):  make run   and   make test
# Each creates the virtual environment in .venv if it is missing (Python from .python-version via pyenv).
SHELL := /bin/bash
PY_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
SAMPLE_SCENARIOS := baseline storage_ban_nigeria lac_conditional_adequacy afcfta_digital_papss wto_jsi_data_flows

.PHONY: run test lint format env clean-env browser sample-report

$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
		base=$$(pyenv prefix $(PY_VERSION) 2>/dev/null || true); \
		if [ -n "$$base" ] && [ -x "$$base/bin/python" ]; then pybin="$$base/bin/python"; \
		elif command -v python$(basename $(PY_VERSION) .1) >/dev/null; then pybin=python3.12; \
		else echo "Python $(PY_VERSION) not found (install it with: pyenv install $(PY_VERSION))" >&2; exit 2; fi; \
		"$$pybin" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -e ".[dev]"; \
	touch $(STAMP)

env: $(STAMP) browser

# Chromium for the report's browser tests (Playwright) and for image export (kaleido). Debian/Ubuntu: installed
# with apt when missing (as root, or with passwordless sudo); elsewhere a message says what to install.
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "note: no Chromium at $(CHROMIUM): the report's browser tests will be skipped and dlsim export needs" \
			"a browser (install chromium, or run .venv/bin/kaleido_get_chrome)" >&2; \
	fi

run: $(STAMP)
	$(VENV)/bin/dlsim world

test: $(STAMP) browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean-env:
	rm -rf $(VENV)

# The sample report in docs/ (for presenters without Python) and the README's picture of it. Results are built by the
# report's test fixture writer (tests/report_fixture.py, real model runs) until dlsim compare writes results folders.
sample-report: $(STAMP) browser
	rm -rf results/sample
	$(PY) tests/report_fixture.py results/sample --scenarios $(SAMPLE_SCENARIOS) --firms 2000 --steps 24 --replicates 4
	$(VENV)/bin/dlsim report results/sample -o docs/sample-report.html
	$(PY) docs/screenshot_report.py docs/sample-report.html docs/report.png
