# Two commands: `make demo` and `make test`. Both (re)build .venv only when pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared)

.PHONY: demo test venv system lint typecheck check bench mutate clean wheel-check

$(STAMP): pyproject.toml
	./scripts/setup-system.sh --build-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## system: Debian packages and local services the tests need (Chromium, PostgreSQL, Mosquitto)
system:
	./scripts/setup-system.sh

# without ../shared the demo runs on the camera positions packaged with TrustLPR
demo: venv
	$(if $(wildcard $(SHARED)/data),TRUSTLPR_SHARED_DIR=$(SHARED)) $(BIN)/trustlpr --data-dir demo-data demo

test: venv system
	TRUSTLPR_SHARED_DIR=$(SHARED) $(BIN)/pytest

## wheel-check: the wheel alone runs `trustlpr demo` and `trustlpr recognize` (issue 22)
wheel-check: venv
	./scripts/wheel-check.sh $(abspath $(BIN)/python) $(SHARED)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

check: lint typecheck test

## mutate: mutation testing of the safety-critical modules (long; not part of `make test`)
mutate: venv system
	TRUSTLPR_SHARED_DIR=$(SHARED) $(BIN)/python scripts/mutation_report.py

## bench: every bench at a small size, ours alternated with its baseline; one JSON summary
## in artifacts/bench.json (BENCH_ARGS="--only ingest,audit" for some of them)
bench: venv
	TRUSTLPR_SHARED_DIR=$(SHARED) $(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-data artifacts mutants .pytest_cache .mypy_cache .ruff_cache
