# cop: `make run` serves the app on http://127.0.0.1:5000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres test-browser lint format check clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) cop seed-if-empty
	$(FLASK) cop serve --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then on PostgreSQL, then the browser tests (real server +
# Chromium + axe-core) in a process of their own: they build apps bound to the live
# server's Redis, which must not leak into the other tests' global extensions.
test: $(STAMP)
	$(MAKE) test-sqlite
	$(MAKE) test-postgres
	$(MAKE) test-browser

test-sqlite: $(STAMP)
	COP_TEST_DB=sqlite $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser"

test-browser: $(STAMP)
	COP_TEST_DB=sqlite $(PY) -m pytest -m browser tests/browser

test-postgres: $(STAMP)
	COP_TEST_DB=postgresql $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
