# Two commands: `make run` (the app with demo data) and `make test` (lint and the whole suite).
# Each target skips work that is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# honcho hands each Procfile process a PORT of its own (8000, 8100, ...): the web process and the
# readiness check take theirs from WEB_PORT.
WEB_PORT := $(PORT)
export HOST PORT WEB_PORT
export PYTHONUNBUFFERED := 1

PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
STATIC_SOURCES := $(shell find static -type f -not -path '*/tests/*' 2>/dev/null)

.PHONY: run test setup lint messages clean

run: setup
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo
	@echo "Starting web, worker and beat on http://$(HOST):$(PORT)/ (Ctrl-C stops all of them)"
	$(BIN)/honcho start -f Procfile

test: setup lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: $(VENV)/.installed node_modules/.installed $(MO_FILES) var/.collected var/sw.js

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

# `npm install` rather than `npm ci`: the registry here resolves only this platform's optional
# rollup binaries, which `npm ci` reports as a lockfile mismatch. The lockfile still pins versions.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Babel compiles the catalogues in Python, so no system gettext is needed.
locale/%.mo: locale/%.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

messages: $(MO_FILES)

# The patient app's JavaScript catalogues as static files, so the offline app is translated.
static-generated/.compiled: $(MO_FILES) $(VENV)/.installed
	$(BIN)/python manage.py compilejsi18n -v 0
	touch $@

var/.collected: $(STATIC_SOURCES) node_modules/.installed $(VENV)/.installed static-generated/.compiled
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@mkdir -p var && touch $@

# The patient app's service worker: Workbox injectManifest over the collected files.
var/sw.js: var/.collected pwa/sw-src.js tools/build-sw.mjs templates/patientapp/shell.html templates/pwa.html
	node tools/build-sw.mjs

clean:
	rm -rf var $(VENV) node_modules static-generated $(MO_FILES)
