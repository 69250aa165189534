# Picket. `make run` starts it, `make test` runs every check; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench migrate clean fonts browser promtool

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Seat maps and charts draw Korean section names; without a Hangul font they show boxes.
fonts:
	@fc-list :lang=ko 2>/dev/null | grep -q . || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq fonts-nanum || { apt-get update -qq && apt-get install -y -qq fonts-nanum; }; } \
	  >/dev/null 2>&1; } || echo "Note: no Korean font found; install fonts-nanum so pictures show Hangul."

# The door scanner page is tested in a real headless Chromium (Debian's package; Playwright drives it).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } \
	  >/dev/null 2>&1; } || echo "Note: no Chromium found; the scanner page test is skipped (apt-get install chromium)."

# Prometheus's alert rules are checked and unit-tested with promtool (Debian's prometheus package).
promtool:
	@command -v promtool >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq prometheus || { apt-get update -qq && apt-get install -y -qq prometheus; }; } \
	  >/dev/null 2>&1; } || echo "Note: no promtool found; the alert rule tests are skipped (apt-get install prometheus)."

run: $(STAMP) fonts
	$(PY) -m bot migrate
	$(PY) -m bot run

migrate: $(STAMP)
	$(PY) -m bot migrate

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy core db

test: lint typecheck fonts browser promtool
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.booking
	$(PY) -m bench.through_bot
	$(PY) -m bench.fanout
	$(PY) -m bench.qr
	$(PY) -m bench.sale_open

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
