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

# The engines' suites run at the same time (each mostly waits on I/O and subprocesses), each
# into its own log, printed whole under a header when that run ends; a failure of either fails
# the target. The runs share nothing: temp dirs, databases and Redis keys are made per run.
# One engine: TEST_DATABASES=sqlite make test.
test: lint
	@logs=$$(mktemp -d); runs=""; status=0; \
	trap 'for run in $$runs; do kill $${run%%:*} 2>/dev/null; done; rm -rf "$$logs"' EXIT; \
	trap 'exit 130' INT TERM; \
	for db in $(TEST_DATABASES); do \
	  echo "== tests on $$db: started (log: $$logs/$$db.log) =="; \
	  KANBERT_TEST_DB=$$db $(BIN)/python -m pytest $(PYTEST_ARGS) >"$$logs/$$db.log" 2>&1 & \
	  runs="$$runs $$!:$$db"; \
	done; \
	for run in $$runs; do \
	  db=$${run#*:}; \
	  if wait $${run%%:*}; then result=passed; else result=FAILED; status=1; fi; \
	  echo "== tests on $$db: $$result =="; cat "$$logs/$$db.log"; \
	done; \
	runs=""; \
	if [ $$status -ne 0 ]; then echo "== make test: FAILED (see the failing engine above) =="; fi; \
	exit $$status

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache

# Load benchmarks against the floor (bench/README.md); needs wrk (apt-get install wrk).
.PHONY: bench bench-small
bench: install
	$(BIN)/python -m bench

bench-small: install
	$(BIN)/python -m bench --small
