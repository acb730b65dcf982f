# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := FLASK_DEBUG=$${FLASK_DEBUG:-1} $(BIN)/flask --app app
NODE_TOOLS := tests/node_modules/axe-core/axe.min.js

.PHONY: run test install translations messages test-only lint browser-deps clean battery battery-deps audit

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	$(BIN)/python -m pip install --quiet -e '.[test,sav,dask]' > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v '^$$' || true

# Refresh the catalogs after changing UI strings; then translate the new Vietnamese entries.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

run: install
	$(FLASK) db upgrade
	$(FLASK) survey publish survey_definitions/*.yaml
	$(FLASK) demo seed --if-empty
	$(FLASK) results update --all
	@echo ""
	@echo "  Open http://127.0.0.1:5000 — log in at http://127.0.0.1:5000/login as"
	@echo "  admin@example.org or official@example.org with DEMO_PASSWORD (or the password"
	@echo "  printed above when the demo was first seeded). Stop with Ctrl+C."
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port 5000

# Browser tests need Debian's chromium and axe-core from the npm registry; both are
# installed when the machine allows it (root with apt-get, npm present).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi
	@if [ ! -f $(NODE_TOOLS) ] && command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix tests axe-core@4 >/dev/null; \
	fi

test: install browser-deps test-only

# Two pytest-xdist workers, a test file each at a time (TEST_WORKERS=0 runs in one process). On
# PostgreSQL each worker builds its own database next to the named one (tests/conftest.py).
TEST_WORKERS ?= 2
test-only:
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

# Reliability, security and load figures against gunicorn + the local PostgreSQL (not part of
# `make test`; restarts PostgreSQL once during the crash test). BATTERY_ARGS=--short for CI.
battery: install browser-deps battery-deps
	$(BIN)/python -m battery $(BATTERY_ARGS)

battery-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[battery]' > $(VENV)/pip-battery.log 2>&1 || (cat $(VENV)/pip-battery.log; exit 1)
	@# nginx from Debian: the reverse proxy of the proxy figure (as the README recommends one)
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; \
	fi

# Static analysis of the code (bandit) and of the installed dependencies (pip-audit); 0 unwaived findings.
audit: battery-deps
	$(BIN)/python -m battery --only static --no-database

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/sipas.sqlite
