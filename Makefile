# CLAC indicators observatory: the two commands a new user needs are
#   make build   set everything up, then run the main job (clac build) on the bundled data
#   make test    set everything up, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup build test lint format dev bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { echo "Installing python3-venv (Debian)"; \
		apt-get update -qq && apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

build: setup
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium poppler-utils fonts-dejavu-core)
	$(BIN)/clac build

# The suite runs in $(TEST_WORKERS) processes (pytest-xdist, a module per worker at a time); the
# built homes the tests share are made once per run (tests/conftest.py). Tests need Chromium,
# poppler and a PostgreSQL server (Debian's packages), which this target installs when missing.
# --no-loadscope-reorder keeps the order of tests/conftest.py (the longest modules first).
TEST_WORKERS ?= 2

test: setup
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium poppler-utils fonts-dejavu-core postgresql)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --max-worker-restart=0

# The lint and the import contract (pyproject.toml); tests/test_layer_contract.py runs the same
# checks inside make test.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dev: setup
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev

bench: setup
	$(BIN)/python bench/bench_build.py
	$(BIN)/python bench/bench_validation.py --goals 1,2
	$(BIN)/python bench/bench_dagster_launch.py

clean:
	rm -rf var build .dagster_home
