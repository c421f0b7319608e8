# Paperwire: `make run` for a local service with no external dependencies, `make test` for the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
WEB_PORT ?= 8000

.PHONY: install run test lint format benchmark clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Local defaults; anything already in the environment (DATABASE_URL, REDIS_URL, ...) wins.
run: export DEBUG ?= 1
run: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend
run: export WEB_PORT := $(WEB_PORT)
run: export SITE_URL ?= http://127.0.0.1:$(WEB_PORT)
run: export DJANGO_RUNSERVER_HIDE_WARNING ?= true
run: install
	@$(BIN)/python manage.py migrate --no-input
	@$(BIN)/python manage.py local_setup
	@echo "Starting web on http://127.0.0.1:$(WEB_PORT)/ (this machine only), worker and beat;"
	@echo "links in mail point to $(SITE_URL). Ctrl-C stops them all."
	@PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/python -m config.procs Procfile

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: install
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
