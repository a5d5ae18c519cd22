# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install install-test translations extract-messages update-messages serve seed clean

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
# Each one is compiled again only when its .po changed.
CATALOGS := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGS:.po=.mo)

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -l $* -i $< -o $@

# Translation workflow: extract the marked strings, merge them into the catalogs, translate, compile.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output --no-wrap .

update-messages: extract-messages
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete --no-wrap

seed: install translations
	$(FLASK) db upgrade
	$(FLASK) portal geo-index
	$(FLASK) portal seed --demo

# The web server, the outbox worker and the minute job; Ctrl-C stops all three. Migrations, the
# router's index and the demo data are brought up to date first, each only if needed. Links in
# pages and e-mails use http://HOST:PORT unless PORTAL_BASE_URL is set.
run: install translations
	@$(FLASK) portal dev --host $(HOST) --port $(PORT)

# Static checks, run first by `make test`: ruff on the code, its tests and benchmarks; mypy on
# portal/ (settings in pyproject.toml).
lint: install-test
	$(BIN)/ruff check portal tests benchmarks
	$(BIN)/mypy

test: install-test translations lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
