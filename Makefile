# Smurf Workbench — `make` with no target lists what there is.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The demo needs the product only; tests, lint and benchmarks also need the dev extras
# (a PostgreSQL server and an S3 stand-in for the lake tests, the linters).
STAMP := $(VENV)/.installed-dev
RUNTIME_STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# setuptools warns on every editable install of a flat layout that a folder named like the
# package may shadow it: here that folder is the package, so the boxed warning says nothing.
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet

.DEFAULT_GOAL := help
.PHONY: help demo test lint format bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(PIP_INSTALL) -e '.[dev]'
	@touch $(STAMP) $(RUNTIME_STAMP)

$(RUNTIME_STAMP): $(BIN)/python pyproject.toml
	$(PIP_INSTALL) -e .
	@touch $(RUNTIME_STAMP)

demo: $(RUNTIME_STAMP) ## Set up .venv and run the whole product against the bundled simulator
	$(BIN)/smurf demo

test: $(STAMP) ## Set up .venv with dev extras and run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix pipeline tests benchmarks
	$(BIN)/ruff format pipeline tests benchmarks

bench: $(STAMP) ## Run every benchmark and print one summary table
	$(BIN)/python -m benchmarks

clean: ## Remove the virtual environment and caches (keeps data/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
