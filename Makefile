# Catedra: one entry point. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help install browser run test test-fast lint fmt bench stop clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || \
		{ echo "Catedra needs Python 3.11 on PATH (python3.11 or python3); set PYTHON=/path/to/python3.11."; exit 1; }
	@start=$$(date +%s); \
	$(PYTHON) -m venv $(VENV) && \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip && \
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]' && \
	touch $(STAMP) && echo "Installed into $(VENV) in $$(( $$(date +%s) - start )) s."

install: $(STAMP) ## Create .venv and install Catedra with its test tools

browser: ## Install Chromium for the browser tests (Debian's package; needs root)
	@command -v chromium >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] && { apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }; } || \
		echo "Chromium is not installed and cannot be installed without root: browser tests will fail" \
		     "(install Debian's chromium, or set CATEDRA_BROWSER_TESTS=off)."

run: install ## Start PostgreSQL, Redis, web, worker and beat with the demo school (Ctrl-C stops all)
	$(BIN)/catedra run

# Two pytest processes keep both cores busy: the benchmarks (tests/perf, mostly PostgreSQL
# work, at CI sizes: CATEDRA_BENCH=ci, tests/perf/budget.py) and the browser tests (each
# starts a whole stack and Chromium) run beside the rest, in a test database of their own;
# their output follows the suite's. `make bench` runs the benchmarks alone at full sizes.
test: install browser ## Run the whole test suite (slow, end-to-end, browser and perf suites included)
	@side_log=$$(mktemp); \
	CATEDRA_BENCH=ci CATEDRA_TEST_DATABASE=test_catedra_perf $(BIN)/python -m pytest tests/perf tests/e2e \
		-m "perf or browser" >"$$side_log" 2>&1 & side=$$!; \
	trap 'kill $$side 2>/dev/null' INT TERM; \
	$(BIN)/python -m pytest --ignore=tests/perf -m "not browser"; status=$$?; \
	wait $$side; side_status=$$?; \
	echo; echo "== tests/perf and the browser tests (run alongside) =="; cat "$$side_log"; rm -f "$$side_log"; \
	[ $$status -eq 0 ] && [ $$side_status -eq 0 ]

test-fast: install ## Run the tests without the slow suites
	$(BIN)/python -m pytest -m "not slow"

# pip-audit asks PyPI's advisory data (over the network) about every installed package, Catedra
# itself aside, and fails on a known vulnerability; a release PyPI has no data for is listed as
# skipped. Ignore an advisory only here, each with its reason and when to drop it, e.g.
#   --ignore-vuln GHSA-xxxx-xxxx-xxxx  # the vulnerable function is never called; drop with the next bump
PIP_AUDIT := $(BIN)/pip-audit --local --skip-editable --progress-spinner off

lint: install ## ruff check, the import contracts, the migrations check and the dependency audit (pip-audit)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/catedra makemigrations --check --dry-run
	$(PIP_AUDIT)

fmt: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Run the benchmarks under tests/perf at full sizes, print their figures, assert their goals
	CATEDRA_BENCH=full $(BIN)/python -m pytest tests/perf -m perf -s

stop: install ## Stop a running `make run` and the embedded servers
	$(BIN)/catedra embedded stop

clean: ## Remove .venv and the embedded data under .catedra/
	rm -rf $(VENV) .catedra
