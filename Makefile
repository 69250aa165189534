# Picket. `make run` starts it, `make test` runs every check; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot migrate
	$(PY) -m bot run

migrate: $(STAMP)
	$(PY) -m bot migrate

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy core db

test: lint typecheck
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.booking

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
