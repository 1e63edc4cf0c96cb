# The two commands: `make run` (everything, on embedded defaults) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

# Test services: the machine's PostgreSQL and Redis unless the environment names others.
# (Only for the test targets: `make run` keeps its embedded defaults, SQLite included.)
test lint: export DATABASE_URL ?= postgres://root@127.0.0.1:5432/test
test lint: export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint format check venv chaos

run: $(VENV)/.run-installed
	bin/run

test: $(VENV)/.dev-installed
	bin/ensure-chromium
	$(PY) -m pytest

# Minutes, by hand: kills, a Redis flush and a PostgreSQL restart under load, then an audit.
chaos: $(VENV)/.dev-installed
	bin/chaos $(CHAOS_ARGS)

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null || \
	  { echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: on Debian/Ubuntu install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed
