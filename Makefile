# Two commands matter: `make run` (set up everything and serve the demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint messages worker worker-till worker-batch beat bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.12, say)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data --host http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install  # the benchmark suite on PostgreSQL (docs/performance.md); not part of `make test`
	$(BIN)/python -m bench.run

messages: install
	$(BIN)/python manage.py makemessages -l nl -l en --no-obsolete --ignore=.venv --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv

# The Celery app defaults to the production settings (loyalty_site/celery.py); these two targets
# are for development, so they default to the local ones (an exported value still wins).
# One worker for both queues in development; in production run them apart (README).
worker: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-loyalty_site.settings.local} $(BIN)/celery -A loyalty_site worker -Q celery,batch --loglevel=info

worker-till: install  # till-facing work only: the outbox (welcome bonuses, sends, webhooks)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-loyalty_site.settings.local} $(BIN)/celery -A loyalty_site worker -Q celery -n till@%h --loglevel=info

worker-batch: install  # the scheduled batch jobs only (expiry, tiers, automations, KPIs)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-loyalty_site.settings.local} $(BIN)/celery -A loyalty_site worker -Q batch -n batch@%h --concurrency 1 --loglevel=info

beat: install
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-loyalty_site.settings.local} $(BIN)/celery -A loyalty_site beat --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
