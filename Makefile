# `make test` and `make demo` bootstrap .venv from pyproject.toml on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo lint typecheck imports pytest bench bench-quick clean

# Reinstall only when the dependency list changes; an editable install picks up code edits.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing complaint-desk and its dev tools into $(VENV) (about a minute on a fresh machine)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy states policies desk flows

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck imports pytest

# The whole system on one machine: the Prefect server and UI at http://127.0.0.1:4200, the
# deployments served, demo policies (minutes stand for hours) and a stream of complaints.
# Ctrl-C stops it. `desk walkthrough` replays the seed cases without any of that.
demo: $(STAMP)
	$(BIN)/desk up --demo

# Performance runs (benchmarks/README.md): one JSON on stdout and in benchmarks/results/.
# PostgreSQL comes from DESK_BENCH_POSTGRES_URL; BENCH_ARGS=--full adds 1,000,000 open complaints.
bench: $(STAMP)
	@$(BIN)/python -m benchmarks $(BENCH_ARGS)

bench-quick: $(STAMP)
	@$(BIN)/python -m benchmarks --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
