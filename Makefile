# Two commands: `make run` (set up and serve) and `make test` (set up and run the suite).
# Everything is installed from package registries at setup time; nothing loads from the
# internet at run time.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
VENDOR := crm_core/static/vendor
EXAMPLE := examples/crm-plugin-example
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Python keeps compiled modules (__pycache__, git-ignored) even where the environment asks it
# not to: each `crm` process, server and test worker otherwise compiles ~2,000 modules again
# (~1 s a process, and pytest rewrote every kernel and plugin module per worker).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test setup install vendor translations database admin browser pgclient bench lint clean

run: setup database admin
	@echo "Serving on http://127.0.0.1:5000 with a Celery worker and beat (Ctrl-C stops all)."
	$(BIN)/honcho start -f Procfile

# Two processes on the two cores of the reference machine: the suite takes ~12 min instead of
# ~20. `make test PYTEST_ARGS="-n 0 tests/core/test_x.py"` runs a part in one process.
# --dist loadfile: a module's tests run in one process, so its module fixtures (a browser
# module's seeded server, the migration matrix) are built once, not once per process.
PYTEST_ARGS ?= -n 2 --dist loadfile

test: setup admin browser pgclient
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: install vendor translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's or the example plugin's metadata changes.
$(VENV)/.installed: pyproject.toml $(EXAMPLE)/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' -e $(EXAMPLE)
	touch $@

install: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(VENDOR)/.installed: node_modules/.package-lock.json
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons/fonts $(VENDOR)/echarts $(VENDOR)/htmx \
	  $(VENDOR)/swagger-ui $(VENDOR)/sortablejs $(VENDOR)/jsqr
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* $(VENDOR)/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/bootstrap-icons/
	cp node_modules/bootstrap-icons/font/fonts/* $(VENDOR)/bootstrap-icons/fonts/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	  $(VENDOR)/swagger-ui/
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortablejs/
	cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsqr/
	touch $@

vendor: $(VENDOR)/.installed

# The .mo catalogs are build output: compiled from the committed .po files (kernel and plugins).
translations: install
	$(BIN)/crm i18n compile >/dev/null

database: install
	$(BIN)/crm db upgrade

admin: database
	$(BIN)/crm users ensure-admin

# Browser tests drive Debian's chromium; never a downloaded browser. A CJK font lets the
# Chinese UI render (and its screenshots show characters, not boxes).
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  echo "Installing Debian's chromium and a Chinese font for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-noto-cjk >/dev/null; }

# `crm backup` on PostgreSQL runs pg_dump and pg_restore (the tests do too): Debian's client.
pgclient:
	@command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 || { \
	  echo "Installing the PostgreSQL client tools for crm backup"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    postgresql-client >/dev/null; }

# The benchmarks' extra tools (bench/README.md): locust for bench/locust.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check crm_core plugins tests

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance
