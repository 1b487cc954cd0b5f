# Quick start:  make all   (set up + main job)      make test   (set up + tests)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= figures

.PHONY: all setup test test-fast bench bench-atlas lint format clean

all: $(STAMP)
	$(BIN)/canlearn all --out $(OUT)

setup: $(STAMP)

# constraints.txt pins the versions the committed figures were made with (byte-identical output).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "canlearn needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,fast,smt]'
	# An editable install compiles nothing, and machines that set PYTHONDONTWRITEBYTECODE would
	# compile the package anew in every process (about 0.3 s each): compile it once here.
	$(BIN)/python -m compileall -q analysis
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# The everyday loop: every test but those marked slow (the full regeneration, long sweeps).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup -m "not slow"

# Every target of issue 12 as a time or ratio next to its goal, from one run (minutes).
bench: $(STAMP)
	$(BIN)/canlearn bench --pipeline --certify

# The full two-input atlas, uncached, on 1 then 2 Dask workers (minutes; see README, Atlas).
bench-atlas: $(STAMP)
	$(BIN)/canlearn atlas --bench --workers 2 --out atlas-bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
