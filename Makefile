# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app timebank.app
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: translations run test test-sqlite test-postgresql bench lint format services browser clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

## run: install, migrate the SQLite database in instance/, seed the demo once, serve
run: $(RUN_STAMP)
	$(FLASK) db upgrade
	$(FLASK) timebank demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	TIMEBANK_SESSION_COOKIE_SECURE=false TIMEBANK_REMEMBER_COOKIE_SECURE=false TIMEBANK_DEMO_OUTBOX_PAGE=true \
		$(FLASK) run --host $(HOST) --port $(PORT)

## services: start PostgreSQL if it is down (and wait until it answers)
services:
	@scripts/ensure-services.sh

## browser: Debian's Chromium and axe-core (npm) for the real-browser tests
browser:
	@bash scripts/ensure-browser.sh

## test: the whole suite on SQLite and then on PostgreSQL
test: $(DEV_STAMP) services browser
	$(PY) -m pytest --engine sqlite
	$(PY) -m pytest --engine postgresql

test-sqlite: $(DEV_STAMP) browser
	$(PY) -m pytest --engine sqlite

test-postgresql: $(DEV_STAMP) services browser
	$(PY) -m pytest --engine postgresql

## bench: benchmarks; figures land in bench/results/
bench: $(DEV_STAMP) services
	$(PY) -m bench

## translations: extract translatable strings and merge them into each catalogue
translations: $(DEV_STAMP)
	$(PY) scripts/update_translations.py

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check timebank tests bench
	$(VENV)/bin/ruff format --check timebank tests bench
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix timebank tests bench
	$(VENV)/bin/ruff format timebank tests bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
