# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test translations extract-messages update-messages serve seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compiled catalogs (.mo) are build output, not committed; fuzzy entries are never compiled.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations

# Translation workflow: extract the marked strings, merge them into the catalogs, translate, compile.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output --no-wrap .

update-messages: extract-messages
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete --no-wrap

seed: install translations
	$(FLASK) db upgrade
	$(FLASK) portal geo-index
	$(FLASK) portal seed --demo

run: seed
	@echo "Serving http://$(HOST):$(PORT)/ (staff workspace: http://$(HOST):$(PORT)/fr/manage/)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test translations
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
