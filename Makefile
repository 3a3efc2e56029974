# Two commands do all set-up on a fresh machine with Python >= 3.11 and make:
#   make run   - install into .venv and serve the API (with a demo programme and an
#                admin key) on an embedded PostgreSQL
#   make test  - install into .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser-deps run test test-db lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "punchcard needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# PORT=8001 make run to listen elsewhere; `punchcard demo` is the scripted simulation.
PORT ?= 8000
run: install
	$(BIN)/punchcard serve --demo --port $(PORT)

# The console's browser tests drive the Debian Chromium (tests/browser). Install it
# when it is missing and we can (root, with apt-get); never fail the build over it:
# without /usr/bin/chromium those tests skip and say why.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium for the console's browser tests"; \
		( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium ) \
			>/dev/null 2>&1 || echo "could not install chromium: the browser tests will skip"; \
	fi

test: install browser-deps
	$(BIN)/python -m pytest

# Only the tests that talk to PostgreSQL; .ci/run uses it against a stock server.
# The console's browser tests are left out: what they add (the pages in Chromium)
# does not depend on the server's version, and the HTTP tests cover the console's data.
test-db: install
	$(BIN)/python -m pytest -m db --ignore=tests/browser

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# Benchmarks (not part of make test): every item of issue 6 against raw PostgreSQL
# in one run, one table of figures, targets and ratios, and the same as JSON in
# bench/results/latest.json (docs/performance.md). bench is the quick profile
# (under 5 minutes on 2 cores); bench-long the issue's sizes (hours).
bench: install
	$(BIN)/python -m bench --profile quick

bench-long: install
	$(BIN)/python -m bench --profile long

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
