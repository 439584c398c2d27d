# Two commands do everything on a fresh machine with Python 3.11:
#   make run    set up, then run the nightly DAG once on demo submissions and print the report
#   make test   set up, then run every check and test
#   make test-fast   the tests that need no warehouse, Airflow or browser (the inner loop)
#   make bench  set up, then print the benchmarks (close to an hour)
#   make docs   set up, then build the documentation site into site/ (opens offline)
PYTHON ?= python3
OUTREACH_HOME ?= $(CURDIR)/var
PERIOD ?= 2022-H1
UV_VERSION := 0.13.9

VENV := .venv
BIN := $(VENV)/bin
UV := .tools/bin/uv
SYNCED := $(VENV)/.synced
DROP := $(OUTREACH_HOME)/drop/$(PERIOD)

export OUTREACH_HOME
export UV_PYTHON_DOWNLOADS := never
# Python writes the bytecode of the project's own modules and the tests' rewritten asserts
# (__pycache__, ignored by git), as it does by default: where the environment forbids it
# (PYTHONDONTWRITEBYTECODE, set on some machines), every process of a run compiled them again,
# each pytest worker 3.5 s of its 7.5 s of collection (docs/engineers.md, "The test suite's time")
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup run test tests test-fast lint bench report-pdf airflow web docs docs-cli clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# --compile-bytecode: every process (each dbt run, each Airflow task, the checks) imports from
# .pyc files written once here, instead of compiling dbt's, Airflow's and GX's sources again
# wherever bytecode is not written back (PYTHONDONTWRITEBYTECODE, a read-only install)
$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

setup: $(SYNCED)

run: setup
	$(BIN)/outreach sample --period $(PERIOD) --inbox $(DROP)
	$(BIN)/outreach run --period $(PERIOD) --inbox $(DROP)

# the same checks as .pre-commit-config.yaml: the code's layers (import-linter's contracts in
# pyproject.toml), formatting, lint, types, and the dbt project's SQL
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

# make lint and every test side by side (mypy alone takes about a minute on a fresh clone; its
# few lines may come between the tests' dots); fails if either fails
test: setup
	$(MAKE) --no-print-directory -j2 lint tests

# every test on three workers (pytest-xdist) for two cores: much of a test's time is spent
# waiting on Airflow, dbt or a browser. A test module goes to one worker, the longest first
# (LONGEST_FIRST in tests/conftest.py; --no-loadscope-reorder, else xdist orders the modules by
# their number of tests instead).
tests: setup
	$(BIN)/pytest -n 3 --dist loadfile --no-loadscope-reorder

# the inner loop: every test that needs no built warehouse, no Airflow and no browser, on three
# workers (a module to a worker) for two cores: one process leaves a core idle, and a third
# worker fills the time the portal's deadline tests spend waiting (45 s here, 49 s on two)
test-fast: setup
	$(BIN)/pytest -m fast -n 3 --dist loadfile

# Airflow's embedded default (SQLite, LocalExecutor), the UI on http://localhost:8080
airflow: setup
	$(BIN)/outreach airflow

# The web portal on the home folder, on http://localhost:8000
web: setup
	$(BIN)/outreach web

# The report of PERIOD as PDF (and HTML) from the current warehouse; needs LibreOffice, which
# this installs nothing of: see docs/report.md ("Other formats").
report-pdf: setup
	$(BIN)/outreach report --period $(PERIOD) --pdf

# Measurements printed as Markdown tables; each line measured in the same run on this machine.
# The bench group (pyproject.toml) adds what only the benchmarks use (Cosmos); the next
# sync of make setup (after a change of pyproject.toml or uv.lock) leaves it out again.
bench: setup
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON) --group bench
	$(BIN)/python bench/summary.py

# The CLI reference, docs/reference/cli.md, written from the commands' own help (a test fails
# when the committed file is stale)
docs-cli: setup
	$(BIN)/python scripts/cli_reference.py

# The documentation site (mkdocs.yml: one section per audience) into site/, to open from the
# disk: site/index.html. MkDocs comes with the dev group (the docs group in pyproject.toml).
docs: docs-cli
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@echo "site/index.html"

clean:
	rm -rf $(OUTREACH_HOME) dbt_project/target dbt_project/logs .pytest_cache site
