# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
THREADS ?= 4

.PHONY: help run serve test test-fast lint venv venv-dev db db-stop migrate sample chromium cairo superuser check-deploy clean

help:
	@echo "make run    set everything up (venv, database, migrations, sample pages) and serve the catalogue"
	@echo "            at http://$(HOST):$(PORT)/"
	@echo "make test   set everything up and run the whole test suite (PYTEST_ARGS=... to narrow it)"
	@echo "make test-fast   the suite without the slow fault-injection and memory tests (for development)"
	@echo "make lint   ruff (format check and lint) and the import contracts (.importlinter)"
	@echo "make serve  serve the catalogue with gunicorn (HOST, PORT, WORKERS), without re-ingesting"
	@echo "make venv / make venv-dev   the virtualenv (.venv) with the app's / also the test packages"
	@echo "make db / make db-stop   start / stop the project's own PostgreSQL (.pgdata/)"
	@echo "make migrate   apply the database migrations"
	@echo "make sample   ingest the bundled sample pages (samples/)"
	@echo "make chromium   install Debian's chromium for the browser tests"
	@echo "make cairo   install Debian's libcairo2 and fonts (the landscape's PNG downloads)"
	@echo "make backup / make restore FILE=...   pg_dump / pg_restore of the catalogue"
	@echo "make harvest   harvest ClinicalTrials.gov and the ICTRP folder now (HARVEST_ARGS=\"ctgov --full\" etc.; see README, Operating)"
	@echo "make superuser   create an admin account"
	@echo "make check-deploy   Django's deployment checks under production settings"
	@echo "make loadtest   30 s of wrk per page type (list, API) against gunicorn on the current database"
	@echo "make bench-browser   Chromium times a first load of the list and two facet clicks against gunicorn"
	@echo "            (DEBUG=0): median/min/max of 5 fresh-browser visits, cold and warm server cache, bytes"
	@echo "            (BENCH_BROWSER_ARGS=\"--json --cold restart\"; see bench/browser.py)"
	@echo "make soak   5 min of load on 10,000 synthetic trials with an ingest running; fails on errors or memory growth"
	@echo "            (SHARED_CACHE=1: both against the project's Redis as CACHE_URL)"
	@echo "make redis / make redis-stop   start / stop the project's own Redis (.redis/, for CACHE_URL and the tests)"
	@echo "make clean   remove collected static files and test artifacts"
	@echo "make maps   rebuild the committed map assets (Leaflet, country outlines) from npm (needs node)"

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }
	@set -o pipefail; $(BIN)/python -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }

$(VENV)/.installed: $(BIN)/python requirements.txt | cairo
	set -o pipefail; $(BIN)/pip install -q -r requirements.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
	@$(BIN)/python -c "import django, django_filters, psycopg, bs4, lxml, gunicorn, whitenoise, requests, urllib3, cairosvg" || { echo "package install failed"; exit 1; }
	@touch $@

# The landscape renders its PNG downloads with cairosvg, which needs the cairo library
# (and a font for the labels); like chromium, installed from Debian when missing.
cairo:
	@if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2' || ! fc-list 2>/dev/null | grep -qi 'liberation\|dejavu'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's libcairo2 and fonts for the landscape's PNG downloads..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcairo2 fonts-liberation fontconfig >/dev/null; \
	  else echo "the landscape's PNG downloads need cairo: sudo apt-get install libcairo2 fonts-liberation"; exit 1; fi; fi

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	set -o pipefail; $(BIN)/pip install -q -r requirements-dev.txt 2>&1 | { grep -v "^WARNING: Location" || true; }
	@$(BIN)/python -c "import pytest, pytest_django, playwright, axe_playwright_python, hypothesis, feedparser" || { echo "test package install failed"; exit 1; }
	@touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

# The project's own PostgreSQL, unless DATABASE_URL points at a server.
db:
	@if [ -n "$$DATABASE_URL" ]; then echo "db: using DATABASE_URL"; else scripts/db.sh start; fi

db-stop:
	@scripts/db.sh stop

migrate: venv db
	$(BIN)/python manage.py migrate --noinput -v0

sample: migrate
	$(BIN)/python manage.py ingest samples/

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "the browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; }

run: sample serve

serve: venv
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  The CAR-T trials catalogue is served at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo ""
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread --threads $(THREADS) \
	  --no-control-socket --access-logfile - --error-logfile -

# The shared-cache tests use the project's own Redis (scripts/redis.sh) through TEST_CACHE_URL.
test: venv-dev db redis chromium
	$(BIN)/python manage.py collectstatic --noinput -v0
	TEST_CACHE_URL=$$(scripts/redis.sh url) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: venv-dev db redis chromium
	$(BIN)/python manage.py collectstatic --noinput -v0
	TEST_CACHE_URL=$$(scripts/redis.sh url) $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The project's own Redis (.redis/, a Unix socket only), installed when missing.
.PHONY: redis redis-stop
redis:
	@scripts/redis.sh start

redis-stop:
	@scripts/redis.sh stop

lint: venv-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

superuser: migrate
	$(BIN)/python manage.py createsuperuser

check-deploy: venv
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=catalogue.example.org \
	  CSRF_TRUSTED_ORIGINS=https://catalogue.example.org DATABASE_URL="$${DATABASE_URL:-postgres://postgres@/catalogue?host=$(CURDIR)/.pgdata/run}" \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf staticfiles .pytest_cache tests/artifacts

.PHONY: maps
# Rebuilds the committed map assets (static/vendor/leaflet*, static/maps/countries.geojson)
# from the npm packages pinned in scripts/maps/package-lock.json. Needs node and npm.
maps:
	cd scripts/maps && npm ci --no-audit --no-fund && node build.mjs

.PHONY: backup restore

# pg_dump (custom format) of the configured database (DATABASE_URL, else the local
# cluster) into backups/catalogue-YYYYmmdd-HHMMSS.dump; prints the file's path.
backup: db
	@scripts/backup.sh backup

# make restore FILE=backups/catalogue-....dump: replaces the configured database's
# contents with the dump (pg_restore --clean --if-exists --no-owner, one transaction).
# On a terminal it asks for the database name first; YES=1 skips the question, and is
# required when stdin is not a terminal (scripts, cron). Then it moves the data version on.
restore:
	@if [ -z "$(FILE)" ]; then \
	  echo "make restore needs FILE=backups/catalogue-YYYYmmdd-HHMMSS.dump: it REPLACES the rows of the" >&2; \
	  echo "configured database ($$(scripts/backup.sh target)) with the dump's; nothing was changed." >&2; \
	  exit 2; fi
	@$(MAKE) --no-print-directory db
	@scripts/backup.sh restore $(if $(YES),--yes) "$(FILE)"

# Load test against the current database: gunicorn (DEBUG=0) on 127.0.0.1:8077 and wrk,
# 30 s at 16 connections on the list page and on the API (LOADTEST_* knobs: see bench/load.py).
.PHONY: loadtest
loadtest: venv db $(if $(SHARED_CACHE),redis)
	$(if $(SHARED_CACHE),CACHE_URL=$$(scripts/redis.sh url)) $(BIN)/python -m bench.load loadtest

# Browser timing: Chromium against gunicorn (DEBUG=0, whitenoise, Brotli/gzip) on 127.0.0.1:8079, 5 visits
# in a fresh browser context each (first load of /, a click on the top antigen, a click on the top status)
# with a cold server cache, then 5 with a warm one: median/min/max ms per step and bytes transferred.
# The database: DATABASE_URL (cold = a gunicorn restart: nothing written), else catalogue_browser,
# created and loaded with the real corpus (../shared/corpus/bulk/) once (cold = a data version bump).
# BENCH_BROWSER_ARGS: --runs N, --cold bump|restart, --json, -v; BENCH_BROWSER_* knobs: bench/browser.py.
.PHONY: bench-browser
bench-browser: venv-dev db chromium
	$(BIN)/python -m bench.browser $(BENCH_BROWSER_ARGS)

# Soak (issue 7): wrk for SOAK_DURATION (5m) at SOAK_CONNECTIONS (32) against gunicorn (DEBUG=0) on
# a database of 10,000 synthetic trials (catalogue_soak, created and seeded once) while an ingest of
# new pages runs; fails on any request error, ingest failure or > 20% worker RSS growth
# (SOAK_* knobs: see bench/load.py).
.PHONY: soak
soak: venv db $(if $(SHARED_CACHE),redis)
	$(if $(SHARED_CACHE),CACHE_URL=$$(scripts/redis.sh url)) $(BIN)/python -m bench.load soak

# The daily harvest (README, Operating): ClinicalTrials.gov (incremental after the first run), the
# weekly reconcile when due, and the WHO ICTRP folder when HARVEST_ICTRP_DIR is set. For one part:
# make harvest HARVEST_ARGS="ctgov --full", HARVEST_ARGS="ictrp exports/", HARVEST_ARGS="--quiet".
.PHONY: harvest
harvest: migrate
	$(BIN)/python manage.py harvest $(HARVEST_ARGS)
