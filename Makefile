# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) sandbox/manage.py
DEMO_ORDERS ?= 200
# pytest exits 5 when it collected no test; with -k or a marker that can be legitimate.
PYTEST := $(PY) -m pytest

.PHONY: install run test test-postgres test-browser migrate seed clean messages compilemessages \
	check-translations

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[sandbox,test]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo --orders $(DEMO_ORDERS) --only-if-empty

run: seed
	@echo ""
	@echo "  Oscar dashboard: http://127.0.0.1:8000/dashboard/"
	@echo "  Wagtail admin:   http://127.0.0.1:8000/cms/"
	@echo "  Login:           demo@example.com / demo   (username: demo)"
	@echo ""
	$(MANAGE) runserver 127.0.0.1:8000

# The whole suite: the default workflow, then a shop's own workflow (fixed at import, so it
# needs its own process).
test: install check-translations
	$(PYTEST) $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PYTEST) tests/custom_workflow --ds=tests.custom_workflow.settings $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ]

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
