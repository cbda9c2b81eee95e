# Two commands matter: `make run` (demo data -> published marts) and `make test`.
# Both install what they need first, from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv

# Settings: a local .env (never committed) is read when present; see .env.example.
ifneq (,$(wildcard .env))
include .env
export
endif

export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install run instance lint test test-fast dev dashboard demo-data docs bench clean

install: $(VENV)/.installed

# Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set, every process
# (each dbt command, each run) would otherwise compile its imports again (`dbt --version`
# 5.3 s -> 3.1 s, importing the definitions 10.6 s -> 5.1 s on 2 cores).
$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv || $(PYTHON) -m pip install --quiet --user uv
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# Options of the run after ARGS=, e.g. ARGS="--as-of-date 2025-06-30 --full-refresh".
run: install
	$(BIN)/python -m pipelines.run $(ARGS)

# $(DAGSTER_HOME)/dagster.yaml from the settings: SQLite, or PostgreSQL when
# CCP_DAGSTER_POSTGRES_URL is set (docs/operations.md). `make run` writes it itself.
instance: install
	$(BIN)/python -m pipelines.instance

# Linters: ruff (lint and format) for Python, sqlfluff (dbt templater) for the models.
# The templater compiles against a throwaway warehouse file, never the working one.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CCP_WAREHOUSE=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models --processes 2

# Tests run in one process per core (pytest-xdist); PYTEST_WORKERS=0 runs them in this one.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadgroup

# Everything, CI included: linters first, then every test.
test: lint
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# Leaves out the tests marked slow (browser and `dagster dev`, other engines).
test-fast: lint
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not slow"

dev: instance
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

# The managers' dashboard on http://127.0.0.1:<CCP_DASHBOARD_PORT, default 8501>, reading the published marts.
dashboard: install
	$(BIN)/python -m pipelines.dashboard $(ARGS)

demo-data: install
	$(BIN)/python -m pipelines.demo --out $${CCP_LANDING_DIR:-data/landing} --order-lines $${CCP_DEMO_ORDER_LINES:-200000}

docs: install
	cd dbt_project && ../$(BIN)/dbt docs generate --no-version-check

# The benchmark (docs/performance.md). Overrides: SCALES=100000,1000000 REPEATS=3.
bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf data dbt_project/target dbt_project/logs
