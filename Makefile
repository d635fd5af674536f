# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench mutate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

HOST ?= 127.0.0.1
PORT ?= 5000

## Serve a demo (demo accounts, http cookies) on the embedded SQLite database at http://$(HOST):$(PORT)
## (`make run PORT=8000`, `make run HOST=0.0.0.0`)
run: install
	$(BIN)/onewindow init --demo
	ONEWINDOW_SECURE_COOKIES=0 $(BIN)/onewindow serve --with-worker --host $(HOST) --port $(PORT)

## Lint and run the whole test suite (SQLite, PostgreSQL and the browser), one worker per core
# --dist loadfile: a module's tests share one worker, so module-scoped apps are built once per module.
PYTEST_WORKERS ?= auto
test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

## Mutation testing of engine/runtime, engine/services and engine/persistence (slow: hours on 2 cores)
# Narrow it with MUTANTS, e.g. make mutate MUTANTS='engine.runtime.*'; results: .venv/bin/mutmut results
MUTANTS ?= engine.runtime.* engine.services.* engine.persistence.*
MUTATE_WORKERS ?= 2
mutate: install-test
	$(BIN)/mutmut run --max-children $(MUTATE_WORKERS) $(MUTANTS)
	$(BIN)/python tools/mutation_summary.py $(MUTANTS)

lint: install-test
	$(BIN)/ruff check .

## Print engine throughput figures (not a test)
bench: install-test
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/catalogue.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache mutants
