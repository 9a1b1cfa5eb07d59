# Two commands for a newcomer: `make run` (set up and run the workbench with demo
# data) and `make test` (set up and run the test suite). See README.md.

PY ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
PORT ?= 8000
HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
# Databases on the local Redis for `make run`: broker/results and cache.
RUN_BROKER_DB ?= 0
RUN_CACHE_DB ?= 1
# Services `make test-services` runs the suite against.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_BROKER_URL ?= redis://127.0.0.1:6379/14
TEST_CACHE_URL ?= redis://127.0.0.1:6379/15

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VAR := $(abspath var)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

.PHONY: help install run test test-services lint security clean distclean

help:
	@echo "make run            set up, load demo data, run on http://$(HOST):$(PORT)/"
	@echo "make test           set up and run the test suite (services it lacks are skipped)"
	@echo "make test-services  the suite against PostgreSQL + Redis + a real worker (nothing skips)"
	@echo "make lint           ruff check, format check and mypy"
	@echo "make security       bandit (high findings fail) and a dependency audit"
	@echo "make clean          remove var/ (demo database, uploads, logs) and caches"
	@echo "make distclean      clean, and remove $(VENV)"

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@mkdir -p $(VAR)
	export DJANGO_DEBUG=1
	$(BIN)/python manage.py migrate --noinput
	worker_pid=
	redis_started=
	stop() {
		if [ -n "$$worker_pid" ] && kill -0 "$$worker_pid" 2>/dev/null; then
			echo "Stopping the Celery worker ($$worker_pid)"
			kill -TERM "$$worker_pid" 2>/dev/null || true
			for _ in $$(seq 20); do kill -0 "$$worker_pid" 2>/dev/null || break; sleep 0.5; done
			kill -KILL "$$worker_pid" 2>/dev/null || true
		fi
		if [ -n "$$redis_started" ] && [ -f $(VAR)/redis.pid ]; then
			echo "Stopping the Redis server started for this run"
			kill -TERM "$$(cat $(VAR)/redis.pid)" 2>/dev/null || true
		fi
	}
	trap stop EXIT
	trap 'exit 130' INT TERM
	redis_up() { $(BIN)/python -c "import redis; redis.Redis(port=$(REDIS_PORT), socket_timeout=1).ping()" 2>/dev/null; }
	if command -v redis-server >/dev/null; then
		if redis_up; then
			echo "Using the Redis already answering on 127.0.0.1:$(REDIS_PORT)"
		else
			redis-server --bind 127.0.0.1 --port $(REDIS_PORT) --daemonize yes \
				--dir $(VAR) --pidfile $(VAR)/redis.pid --logfile $(VAR)/redis.log
			redis_started=1
			for _ in $$(seq 50); do redis_up && break; sleep 0.1; done
			redis_up || { echo "Redis did not start; see $(VAR)/redis.log" >&2; exit 1; }
		fi
		export CELERY_BROKER_URL=redis://127.0.0.1:$(REDIS_PORT)/$(RUN_BROKER_DB)
		export CACHE_URL=redis://127.0.0.1:$(REDIS_PORT)/$(RUN_CACHE_DB)
		$(BIN)/celery -A takedown worker -B --loglevel INFO \
			--schedule $(VAR)/celerybeat-schedule >$(VAR)/celery.log 2>&1 &
		worker_pid=$$!
		echo "Celery worker with beat started (pid $$worker_pid), log: $(VAR)/celery.log"
	else
		echo "redis-server not found: tasks run eagerly inside the web process"
	fi
	# After the worker starts, so the demo's tasks (notification e-mails) go to its log.
	$(BIN)/python manage.py load_demo
	echo
	echo "The workbench runs at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/pytest -q

test-services: $(STAMP)
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		CACHE_URL=$(TEST_CACHE_URL) TAKEDOWN_REQUIRE_SERVICES=1 $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy takedown rightsholders listings

# bandit fails on any high-severity finding; .ci/audit on a known-vulnerable dependency.
security: $(STAMP)
	$(BIN)/bandit -q -r takedown listings rightsholders --severity-level high
	$(BIN)/python .ci/audit

clean:
	if [ -f var/redis.pid ]; then kill -TERM "$$(cat var/redis.pid)" 2>/dev/null || true; fi
	rm -rf var .pytest_cache .ruff_cache test-results *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
