# KIOPS Desktop - one command for every check.
#
#   make demo    set everything up, then start the app on the embedded sandbox cluster
#   make test    set everything up, lint, then run the whole test suite (PYTEST_ARGS=... forwarded)
#   make bench   run the benchmarks in tests/bench and print their results
#
# Every target that needs the virtualenv creates and fills it first, so each of the above works
# from a clean clone on a fresh Debian 12 machine.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp
PYTEST_ARGS ?=

.PHONY: help venv install system-deps lint format test bench demo screenshots package clean

help:
	@echo "make demo         set up, then run kiops-desktop --demo on the embedded sandbox cluster"
	@echo "make test         set up, lint, run the whole suite (PYTEST_ARGS='-k foo' to narrow)"
	@echo "make bench        run the benchmarks (tests/bench) and print their results"
	@echo "make screenshots  render the app's screens to docs/screenshots (offscreen, demo sandbox)"
	@echo "make package      build the Linux installers into dist/ (PyInstaller one-folder, .deb, .tar.gz)"
	@echo "make lint         ruff check, ruff format --check, mypy"
	@echo "make format       ruff format + ruff check --fix"
	@echo "make install      create .venv and pip install -e '.[test]' (only when pyproject changed)"
	@echo "make system-deps  install the Debian packages the app and the suite need"
	@echo "make clean        remove caches and build output (keeps .venv)"

system-deps:
	@bash scripts/ensure-system-deps.sh

# The virtualenv is created once; the system packages (python3-venv among them) come first.
venv: $(BIN)/python

$(BIN)/python: | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs only when pyproject.toml changes (or the venv is new).
install: $(STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kiops_desktop

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: system-deps install lint
	$(BIN)/pytest $(PYTEST_ARGS)

# pytest exits 5 when it collects nothing; an empty benchmark directory is not a failure.
bench: install
	@status=0; $(BIN)/pytest tests/bench -p no:randomly -s $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "make bench: no benchmarks collected"; status=0; fi; \
	exit $$status

demo: install
	$(BIN)/kiops-desktop --demo

screenshots: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py docs/screenshots

# PyInstaller comes from the `packaging` extra, installed on first use; the spec and the recipes
# live in packaging/ (packaging/README.md). Smoke test: bash packaging/linux/smoke-test.sh
package: system-deps install
	@$(BIN)/pyinstaller --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet -e '.[packaging]'
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/kiops-desktop.spec
	PYTHON=$(BIN)/python bash packaging/linux/build-deb.sh dist

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .benchmarks $(STAMP)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
