# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench clean

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

## Lint and run the whole test suite (SQLite and PostgreSQL)
test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .

## Print engine throughput figures (not a test)
bench: install-test
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/replay.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
