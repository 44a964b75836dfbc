# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASES ?= sqlite postgresql
PYTEST_ARGS ?=

.PHONY: run test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kanbert serve --demo

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy

test: lint
	@for db in $(TEST_DATABASES); do \
	  echo "== tests on $$db =="; \
	  KANBERT_TEST_DB=$$db $(BIN)/python -m pytest $(PYTEST_ARGS) || exit 1; \
	done

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache

# Load benchmarks against the floor (bench/README.md); needs wrk (apt-get install wrk).
.PHONY: bench bench-small
bench: install
	$(BIN)/python -m bench

bench-small: install
	$(BIN)/python -m bench --small
