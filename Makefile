# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app timebank.app
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
PROD_STAMP := $(VENV)/.production-installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: serve worker translations run test test-sqlite test-postgresql bench bench-hordak-venv lint lock format services browser frontend pdf clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# The exact versions come from the lock files in requirements/ (`make lock` refreshes
# them); the project itself is installed on top, without touching them.
$(RUN_STAMP): requirements/run.txt pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements/run.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(PROD_STAMP): requirements/production.txt pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements/production.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(RUN_STAMP)

$(DEV_STAMP): requirements/dev.txt pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(RUN_STAMP)

## lock: pin requirements/run.txt and dev.txt to pyproject.toml's ranges (keeps the
## pins that still fit; `make lock UPGRADE=1` moves every pin to the newest that fits)
UV_VERSION := 0.13.9
lock: | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" --python-version 3.11 $(if $(UPGRADE),--upgrade) \
		pyproject.toml requirements/build.in -o requirements/run.txt
	$(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" --python-version 3.11 $(if $(UPGRADE),--upgrade) \
		pyproject.toml requirements/build.in --extra dev -c requirements/run.txt \
		-o requirements/dev.txt
	$(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" --python-version 3.11 $(if $(UPGRADE),--upgrade) \
		pyproject.toml requirements/build.in --extra production -c requirements/run.txt \
		-o requirements/production.txt

## run: install, migrate the SQLite database in instance/, seed the demo once, serve
run: $(RUN_STAMP) frontend pdf
	$(FLASK) db upgrade
	$(FLASK) timebank demo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	TIMEBANK_SESSION_COOKIE_SECURE=false TIMEBANK_REMEMBER_COOKIE_SECURE=false TIMEBANK_DEMO_OUTBOX_PAGE=true \
		TIMEBANK_EXTERNAL_ORIGIN=http://$(HOST):$(PORT) \
		$(FLASK) run --host $(HOST) --port $(PORT)

## serve: gunicorn on PostgreSQL and Redis, as in production (README: "Running in
## production"). Needs TIMEBANK_SECRET_KEY, TIMEBANK_SQLALCHEMY_DATABASE_URI,
## TIMEBANK_REDIS_URL and TIMEBANK_EXTERNAL_ORIGIN; WEB_CONCURRENCY workers (default 2).
serve: $(PROD_STAMP) frontend pdf
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py timebank.wsgi:app

## worker: the background jobs (emails, imports, report rebuilds) from Redis
worker: $(PROD_STAMP)
	$(FLASK) timebank worker

## services: start PostgreSQL if it is down (and wait until it answers)
services:
	@scripts/ensure-services.sh

## browser: Debian's Chromium and axe-core (npm) for the real-browser tests
browser:
	@bash scripts/ensure-browser.sh

## frontend: the pages' browser libraries from npm (Cytoscape.js) into timebank/static/vendor/
frontend:
	@bash scripts/ensure-frontend.sh

## pdf: Pango for WeasyPrint (the reports as PDF)
pdf: $(RUN_STAMP)
	@bash scripts/ensure-pdf.sh $(PY)

## test: lint and types, the whole suite on SQLite, then on PostgreSQL what the engine
## can change (marked both_engines: the ledger, importing and concurrency tests) and what
## needs it (postgres_only); pytest-xdist runs each on every core (WORKERS=1 for serial)
WORKERS ?= auto
PG_TESTS := both_engines or postgres_only
test: lint services browser frontend pdf
	$(PY) -m pytest -n $(WORKERS) --engine sqlite
	$(PY) -m pytest -n $(WORKERS) --engine postgresql -m "$(PG_TESTS)"

test-sqlite: $(DEV_STAMP) browser frontend pdf
	$(PY) -m pytest -n $(WORKERS) --engine sqlite

## test-postgresql: the whole suite on PostgreSQL (make test runs only $(PG_TESTS) there)
test-postgresql: $(DEV_STAMP) services browser frontend pdf
	$(PY) -m pytest -n $(WORKERS) --engine postgresql

## bench: benchmarks; figures land in bench/results/
bench: $(DEV_STAMP) services
	$(PY) -m bench

## bench-hordak-venv: django-hordak in the benchmark's own environment (not the app's)
bench-hordak-venv: $(DEV_STAMP)
	$(PY) -c "from bench.hordak_env import ensure_venv; ensure_venv()"

## translations: extract translatable strings and merge them into each catalogue
translations: $(DEV_STAMP)
	$(PY) scripts/update_translations.py

## lint: ruff (with DTZ, PT and S), ruff format, mypy on the whole timebank package
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check timebank tests bench scripts
	$(VENV)/bin/ruff format --check timebank tests bench scripts
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix timebank tests bench scripts
	$(VENV)/bin/ruff format timebank tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
