# CivicWatch: `make run` serves the demo on http://127.0.0.1:5000 (PORT=8000 make run for another port); `make test`
# runs every test on SQLite and PostgreSQL.
PYTHON ?= python3.11
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
# Where the demo's links point (texts, the receipt slip, open data): the port it is served on, unless set.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Translations: `make translations` extracts the strings, updates every catalog and compiles them (the .mo files
# are committed, so a clean clone needs no step of its own; tests/foundation/test_translations.py checks them).
.PHONY: translations run test install install-test demo-data serve test-sqlite test-postgres lint typecheck benchmarks clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flask, spacy, twilio" 

install-test: $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flask, spacy, twilio, pytest, playwright"
	scripts/install-system-packages.sh

demo-data: install
	@test -d instance/models || echo "First run: installing, loading the demo and training the classifier takes 3 to 6 minutes on two cores; later runs start in seconds."
	$(BIN)/flask db upgrade
	$(BIN)/flask civicwatch demo --password "$${DEMO_PASSWORD:-civicwatch-demo}"
	$(BIN)/flask civicwatch prepare

serve:
	@echo "CivicWatch is at http://127.0.0.1:$(PORT)  (staff sign-in: http://127.0.0.1:$(PORT)/login)"
	@echo "Play a citizen's phone in the SMS simulator: http://127.0.0.1:$(PORT)/sms/simulator"
	@echo "Staff sign-ins: admin@example.org, triage@example.org, auditor@example.org, <body code>@example.org (investigators) and committee@example.org (a community committee member: assisted intake only)"
	@echo "  (e.g. police_oversight@example.org), password: $${DEMO_PASSWORD:-civicwatch-demo}"
	@# No access log: client addresses of complainants are personal data. One malloc arena: otherwise each
	@# thread keeps the memory its last upload freed, and uploads that took turns add up (README, Memory).
	@echo "The delivery worker (texts, deadline reminders, statistics, patterns) runs beside it; Ctrl-C stops both."
	@# The worker in the background, stopped with the server however it ends.
	$(BIN)/flask civicwatch deliver & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	MALLOC_ARENA_MAX=1 $(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 wsgi:app

run: demo-data serve

test-sqlite:
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres:
	scripts/with-postgres.sh $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

typecheck: install-test
	$(BIN)/mypy

# The whole suite on both databases. A test that fails is run once more: if it then passes, the run passes and the
# end of the log names it under "rerun test summary info", to be fixed; a test that fails twice fails the run.
test: install-test
	scripts/test-both-databases.sh $(BIN) --reruns 1 -raR

benchmarks: install-test
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

translations: install
	$(BIN)/pybabel --quiet extract --project CivicWatch -k _l -F babel.cfg --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel --quiet update -N --no-fuzzy-matching -i translations/messages.pot -d translations
	$(BIN)/pybabel --quiet compile -d translations

clean:
	rm -rf $(VENV) instance .pytest_cache
