# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DB ?= sqlite:///broker.db
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test bench lint system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/broker load fixtures/report.json --db $(DB)
	$(BIN)/python scripts/demo_key.py --db $(DB)
	$(BIN)/broker serve --db $(DB)

system-deps:
	./scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check broker tests benchmarks
	$(BIN)/ruff format --check broker tests benchmarks
	$(BIN)/mypy broker
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check --fix broker tests benchmarks
	$(BIN)/ruff format broker tests benchmarks

clean:
	rm -rf $(VENV) broker.db broker.db-wal broker.db-shm .pytest_cache .mypy_cache
