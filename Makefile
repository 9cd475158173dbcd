# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) sandbox/manage.py
DEMO_ORDERS ?= 200
# pytest exits 5 when it collected no test; with -k or a marker that can be legitimate.
PYTEST := $(PY) -m pytest
PIP_QUIET := --quiet --disable-pip-version-check --no-warn-script-location
PORT ?= 8000

.PHONY: install run test test-postgres test-browser migrate seed clean lint messages \
	compilemessages check-translations

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_QUIET) --upgrade pip
	@# setuptools' build warns about editable installs at length: keep `make run` short.
	PYTHONWARNINGS=ignore $(PY) -m pip install $(PIP_QUIET) -e ".[sandbox,test]"
	@# django-payments pulls phonenumberslite, whose files overwrite Oscar's phonenumbers (the
	@# same package): keep the full phonenumbers (docs/payments.md).
	$(PY) -m pip uninstall --quiet --disable-pip-version-check -y phonenumberslite
	$(PY) -m pip install $(PIP_QUIET) --force-reinstall --no-deps \
		"phonenumbers==$$($(PY) -c 'import importlib.metadata as m; print(m.version("phonenumbers"))')"
	$(PY) -m pip check
	touch $@

install: $(VENV)/.installed

migrate: install
	@$(MANAGE) migrate --noinput -v 0

seed: migrate
	@$(MANAGE) seed_demo --orders $(DEMO_ORDERS) --only-if-empty

# The web server, the task worker (background exports, imports, prints) and the scheduler
# tick, in one terminal; Ctrl-C stops all three.
run: seed
	@echo ""
	@echo "  Oscar dashboard: http://127.0.0.1:$(PORT)/dashboard/"
	@echo "  Wagtail admin:   http://127.0.0.1:$(PORT)/cms/"
	@echo "  Login:           demo@example.com / demo   (username: demo)"
	@echo "  Ctrl-C stops the web server, the worker and the tick."
	@echo ""
	@$(PY) sandbox/run.py --port $(PORT)

# Static checks, one step each: import contracts (.importlinter), ruff and mypy (both
# configured in pyproject.toml). docs/architecture.md explains the contracts.
lint: install
	@echo "== import contracts (lint-imports .importlinter)"
	@$(VENV)/bin/lint-imports .importlinter --no-cache
	@echo "== ruff check oscar_orders_ext"
	@$(VENV)/bin/ruff check --no-cache oscar_orders_ext
	@echo "== mypy (django-stubs)"
	@$(VENV)/bin/mypy

# The whole suite: the static checks, the default workflow, then a shop's own workflow (fixed
# at import, so it needs its own process), then on SQLite a shop without Wagtail (core and
# dashboard, Wagtail unimportable: it proves imports, which the database does not change).
# On SQLite the tables are built without migrations (tests/conftest.py).
test: install lint check-translations
	$(PYTEST) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PYTEST) tests/custom_workflow --ds=tests.custom_workflow.settings $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ]
ifeq ($(findstring postgres,$(DATABASE_URL)),)
	$(PYTEST) --ds=tests.settings_no_wagtail -m "not browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]
endif

# Translations (docs/translations.md): extract new strings into the .po files, translate them,
# compile; the gate fails on any msgid missing, fuzzy or untranslated, or a stale .mo file.
messages: install
	$(PY) scripts/translations.py update

compilemessages: install
	$(PY) scripts/translations.py compile

check-translations: install
	$(PY) scripts/translations.py check

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(MAKE) test

clean:
	rm -rf $(VENV) sandbox/db.sqlite3 sandbox/media build *.egg-info
