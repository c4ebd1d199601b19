# Qurb — `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# What is installed: the runtime alone for the demo, the development tools too for the rest.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
PORT ?= 8000
PYTHON_INPUTS := pyproject.toml requirements/constraints.txt scripts/install-python scripts/find-python

.PHONY: install demo test test-postgres lint format typecheck contracts check bench bench-intake bench-triage bench-insights bench-alerts bench-programme bench-messages bench-smoke messages clean

# scripts/install-python creates the venv if needed and installs with a pinned uv (pip if uv
# fails). The development install holds the runtime one, so it stamps both.
$(RUNTIME_STAMP): $(PYTHON_INPUTS)
	@PYTHON="$(PYTHON)" scripts/install-python $(VENV)
	@touch $@

$(DEV_STAMP): $(PYTHON_INPUTS)
	@PYTHON="$(PYTHON)" scripts/install-python $(VENV) dev
	@touch $@ $(RUNTIME_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm was not found: install Node.js and npm for the map (Leaflet). Pages still work from the list."; \
	fi

install: $(DEV_STAMP) $(NODE_STAMP)

# The demo needs no development tools: a fresh clone serves sooner without them.
demo: $(RUNTIME_STAMP) $(NODE_STAMP)
	$(BIN)/qurb demo --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The same suite against PostgreSQL and Redis (both local on the CI machine).
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: install
	$(BIN)/mypy src tests bench scripts

contracts: install
	$(BIN)/lint-imports

check: lint typecheck contracts

bench: install
	$(BIN)/python bench/point_lookup.py

# Report intake on PostgreSQL under gunicorn (2 workers) against raw psycopg inserts, and a
# SIGKILL durability check. Needs PostgreSQL on 127.0.0.1:5432 and Redis on 6379.
bench-intake: install
	$(BIN)/python bench/intake.py

bench-triage: install
	$(BIN)/python bench/triage.py

bench-insights: install
	$(BIN)/python bench/insights.py

# A missing-child alert to 1,000,000 subscribers: selection and queueing, then Web Push
# delivery to a local endpoint by the delivery workers. Needs PostgreSQL on 127.0.0.1:5432.
bench-alerts: install
	$(BIN)/python bench/alerts.py

# A national alert on the distributed engine: 200,000 push subscribers, Celery workers on 1
# then 2 hosts (network namespaces, as root), three workers SIGKILLed and RabbitMQ restarted
# while it goes out; prints lost=… duplicated=…. Needs PostgreSQL and RabbitMQ on 127.0.0.1.
bench-fanout: install
	$(BIN)/python bench/fanout.py --kill-broker

# One district message to 100,000 subscribers by e-mail, Web Push and SMS (40/40/20): Celery
# workers on RabbitMQ, a real SMTP server, a checking push service, Kannel with fakesmsc;
# prints first and last copy per channel, lost=… duplicated=…, and a reference of the same
# receivers fed directly. Needs PostgreSQL, RabbitMQ and Redis on 127.0.0.1, and Kannel.
bench-messages: install
	$(BIN)/python bench/messages.py

# Open-day crowds: the programme page under gunicorn (2 workers, Redis) against a static file
# of the same size from the same server. Needs PostgreSQL on 5432 and Redis on 6379.
bench-programme: install
	$(BIN)/python bench/programme.py

# Every benchmark at tiny sizes (--smoke): each phase runs and prints its figures, in a couple
# of minutes; fails on a crash or a wrong answer, not on a missed target. CI runs it.
bench-smoke: install
	$(BIN)/python bench/point_lookup.py --smoke
	$(BIN)/python bench/triage.py --smoke
	$(BIN)/python bench/intake.py --smoke
	$(BIN)/python bench/insights.py --smoke
	$(BIN)/python bench/alerts.py --smoke
	$(BIN)/python bench/fanout.py --smoke
	$(BIN)/python bench/messages.py --smoke
	$(BIN)/python bench/programme.py --smoke

messages: install
	cd src/qurb && ../../$(BIN)/django-admin makemessages -l ar -l fr -l en --no-obsolete && ../../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
