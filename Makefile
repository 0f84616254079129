# `make test` and `make demo` build .venv from requirements.lock on a fresh machine: exactly the
# locked versions, checked against their hashes, nothing resolved at install time.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
LOCKED := $(VENV)/.locked
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: test demo browser lint typecheck imports pytest bench bench-quick lock lock-upgrade test-latest mutate clean

# A new lock means a new environment: rebuilding from nothing leaves no package the lock dropped.
$(LOCKED): $(LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	@rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	@echo "installing the locked dependencies into $(VENV) (about a minute on a fresh machine)"
	$(PIP) install --require-hashes --no-deps -r $(LOCK)
	@touch $(LOCKED)

# The project itself, editable, against what is already installed; `pip check` then proves the
# lock satisfies pyproject's ranges (a range changed without `make lock` stops here).
$(STAMP): $(LOCKED) pyproject.toml
	$(PIP) install --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "requirements.lock does not satisfy pyproject.toml: run 'make lock'"; exit 1; }
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy states policies desk flows

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) browser
	$(BIN)/pytest $(PYTEST_ARGS)

# The console's tests drive Debian's chromium (never a downloaded browser). As root (CI) a missing
# one is installed; otherwise those tests skip, saying why. CJK glyphs for its screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ echo "installing Debian's chromium for the console's browser tests"; \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }; } \
		|| echo "no chromium and not root: the console's browser tests will skip"; }

test: lint typecheck imports pytest

# Refresh the lock on purpose. `make lock` after changing a range in pyproject.toml: only what the
# change needs moves, every other pin stays. `make lock-upgrade` to take security and bug-fix
# releases: every package moves to the newest version its range allows. Read the diff, then test.
# uv reads the pins to keep from the file it writes: a copy, moved over the lock only when it
# differs, so that an unchanged lock does not look new to make and rebuild .venv.
COMPILE = cp $(LOCK) $(LOCK).new && $(BIN)/uv pip compile pyproject.toml --extra dev --group build --universal \
	--python-version 3.11 --generate-hashes --custom-compile-command 'make lock' --quiet -o $(LOCK).new
KEEP    = if cmp -s $(LOCK).new $(LOCK); then rm $(LOCK).new; echo "requirements.lock: unchanged"; \
	else mv $(LOCK).new $(LOCK); git diff --stat -- $(LOCK) 2>/dev/null || true; fi

lock: $(LOCKED)
	@$(COMPILE)
	@$(KEEP)

lock-upgrade: $(LOCKED)
	@$(COMPILE) --upgrade
	@$(KEEP)

# Drift check, not CI: the suite in a throw-away environment holding the newest releases the
# ranges allow, so the next breaking release is found here first. The lock is left alone.
test-latest:
	@bash scripts/test-latest

# Mutation testing of states/, policies/ and the timer and repository conditions of desk/
# (slow; on demand): prints the score per package and the surviving mutants.
mutate: $(STAMP)
	@$(BIN)/python scripts/mutate.py $(MUTATE_ARGS)

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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis mutants
