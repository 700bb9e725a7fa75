# Two commands for a newcomer (see README):  make run   and   make test
# Each creates the virtual environment in .venv if it is missing (Python from .python-version via pyenv) and installs
# the locked versions of every dependency (requirements.lock, generated from pyproject.toml; see its header).
SHELL := /bin/bash
PY_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium
MAIN_REFORMS := storage_ban_nigeria lac_conditional_adequacy afcfta_digital_papss wto_jsi_data_flows
MAIN_SETTINGS := --replicates 8 --firms 5000 --steps 28

.PHONY: run test lint format env clean-env browser sample-report

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

# The main job: the baseline against four shipped reforms, 8 paired replicates, ending in an offline HTML report
# (reports/main.html). It rebuilds results/main each time (--force).
run: $(STAMP) browser
	$(VENV)/bin/dlsim compare scenarios/baseline.yaml $(MAIN_REFORMS:%=scenarios/%.yaml) $(MAIN_SETTINGS) \
		--out results/main --force --report-out reports/main.html

test: $(STAMP) browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

clean-env:
	rm -rf $(VENV)

# The sample report in docs/ (for presenters without Python) and the README's picture of it: the main job's study.
sample-report: $(STAMP) browser
	$(VENV)/bin/dlsim compare scenarios/baseline.yaml $(MAIN_REFORMS:%=scenarios/%.yaml) $(MAIN_SETTINGS) \
		--out results/sample --force --report-out docs/sample-report.html
	$(PY) docs/screenshot_report.py docs/sample-report.html docs/report.png
