# Paperwire: `make run` for a local service with no external dependencies, `make test` for the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
WEB_PORT ?= 8000

# Many tests wait on processes and sockets: three workers keep two cores busy (measured: 2 took
# 153 s, 3 took 109 s, 4 took 124 s).
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist worksteal
# more of pytest's options: make test PYTEST_ARGS='-m "not browser"'
PYTEST_ARGS ?=

.PHONY: install run test test-fast lint format benchmark clean

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

# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: each test worker would otherwise
# compile every module of the project and the tests again, on every run.
test test-fast: export PYTHONDONTWRITEBYTECODE :=
test: install
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The quick loop: everything but the browser and process tests (marked), and property tests
# with a quarter of their examples.
test-fast: export PAPERWIRE_QUICK_TESTS := 1
test-fast: install
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not browser and not process"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: install
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
