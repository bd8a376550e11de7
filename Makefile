# cop: `make run` serves the app on http://127.0.0.1:5000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_WORKERS ?= 2

.PHONY: run test test-sqlite test-postgres test-browser test-cluster cluster cluster-stop soak \
	bench bench-pages bench-chat bench-search bench-mixed bench-memory \
	lint format check clean

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
	$(MAKE) test-cluster

test-sqlite: $(STAMP)
	COP_TEST_DB=sqlite $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser and not cluster"

test-browser: $(STAMP)
	COP_TEST_DB=sqlite $(PY) -m pytest -m browser tests/browser

test-postgres: $(STAMP)
	COP_TEST_DB=postgresql $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser and not cluster"

# The production topology (docs/deployment.md): nginx on http://127.0.0.1:8080 in front of
# two gunicorn (gevent) processes, a job worker, PostgreSQL (database cop_cluster) and Redis.
cluster: $(STAMP)
	$(PY) deploy/cluster.py start

cluster-stop:
	$(PY) deploy/cluster.py stop

# Starts its own cluster on a fresh PostgreSQL database (dropped afterwards) and tests
# through nginx: both processes, static files, login, chat across processes via Redis.
test-cluster: $(STAMP)
	$(PY) -m pytest -m cluster tests/deploy

# 200 chat clients (50 msg/s) + 50 pages/s against `make cluster` for 10 minutes;
# e.g. make soak SOAK_ARGS="--duration 120" or SOAK_ARGS="--url http://127.0.0.1:5000".
SOAK_ARGS ?=
soak: $(STAMP)
	$(PY) benchmarks/soak.py $(SOAK_ARGS)

# Benchmarks (benchmarks/README.md): each runs its bare baseline in the same run, pins the
# server and the load generator to different cores, repeats 3 times. The data sets are
# generated once under /tmp/cop-bench-data (1M posts: a few minutes each for SQLite and
# PostgreSQL). Pass options with BENCH_ARGS, e.g. BENCH_ARGS="--sizes 1000,100000".
BENCH_ARGS ?=
bench-pages: $(STAMP)
	$(PY) benchmarks/pages.py $(BENCH_ARGS)

bench-chat: $(STAMP)
	$(PY) benchmarks/chat_broadcast.py --clients 500 --targets bare,cop,cop-redis,cop-redis2 $(BENCH_ARGS)
	$(PY) benchmarks/chat_broadcast.py --clients 2000 --targets bare,cop $(BENCH_ARGS)

bench-search: $(STAMP)
	$(PY) benchmarks/search.py $(BENCH_ARGS)

bench-mixed: $(STAMP)
	$(PY) benchmarks/mixed.py $(BENCH_ARGS)

bench-memory: $(STAMP)
	$(PY) benchmarks/memory.py $(BENCH_ARGS)

bench: bench-pages bench-chat bench-search bench-mixed bench-memory

# Static checks (CI runs them before the tests): ruff lint and format, bandit ([tool.bandit]
# in pyproject.toml; findings are fixed or explained inline with `# nosec`).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit -c pyproject.toml -r cop config.py wsgi.py -q

format: $(STAMP)
	$(VENV)/bin/ruff format .

# The exhaustive variants of two hardening checks that `make test` samples (CI runs this
# after `make test`): every hostile payload through every text field, on SQLite and on
# PostgreSQL (COP_HOSTILE_ALL=1), and axe-core on each page for every role that reaches it,
# not only the first (COP_AXE_ALL_ROLES=1). Measured on the 2-core machine: 5.5 min (hostile
# input 2.0 min on SQLite, 1.7 on PostgreSQL; axe-core 1.7 min, 322 pages instead of 93).
check: $(STAMP)
	COP_HOSTILE_ALL=1 COP_TEST_DB=sqlite $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/hardening/test_hostile_input.py
	COP_HOSTILE_ALL=1 COP_TEST_DB=postgresql $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/hardening/test_hostile_input.py
	COP_AXE_ALL_ROLES=1 COP_TEST_DB=sqlite $(PY) -m pytest -m browser tests/browser/test_every_page_accessible.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
