# The two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install dev bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("vinpaint needs Python >= 3.11" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[dev,web]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

demo: install
	$(BIN)/vinpaint demo --output demo-output

test: dev
	$(BIN)/python -m pytest

bench: dev
	$(BIN)/python benchmarks/completion.py

clean:
	rm -rf $(VENV) demo-output bench-output .pytest_cache
