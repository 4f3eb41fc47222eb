# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
STAMP := $(VENV)/.installed

.PHONY: run test venv lint validate clean-data prod-local

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Collect the demo window from the embedded simulator, then start the simulator's clock (10x real time) and
# serve the Dagster UI, where the sensors and the automation carry on unattended (NO_UI=1: stop after the pipeline).
run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/linelogic clock stop > /dev/null
	$(BIN)/linelogic demo
	@if [ -z "$(NO_UI)" ]; then $(BIN)/linelogic clock start && $(BIN)/dagster dev -m linelogic_assets.definitions; fi

test: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/ruff check linelogic_assets linelogic_assets_tests bench
	$(BIN)/dagster definitions validate -m linelogic_assets.definitions
	$(BIN)/pytest

# The production topology as plain processes (docker-compose.yml without Docker): the code server, webserver and
# daemon on the PostgreSQL in .env (PG_*; the database is created if missing). Ctrl-C stops all three.
prod-local: $(STAMP)
	$(BIN)/linelogic prod-local $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
