# ejournal — the front door. `make help` lists the everyday commands.
SHELL := /bin/bash
VENV := .venv/bin
export PATH := $(CURDIR)/.tools/bun/node_modules/.bin:$(CURDIR)/$(VENV):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help run test lint typecheck unit bench load seed migrate export setup setup-test clean

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## Install Python packages and bun into the project folder
	@scripts/bootstrap.sh run

setup-test: ## Install everything for tests (dev tools, Chromium)
	@scripts/bootstrap.sh test

run: setup ## Migrate, seed the demo school if empty, serve the app (production mode)
	@$(VENV)/ejournal migrate
	@$(VENV)/ejournal seed --if-empty
	@REFLEX_ENV_MODE=prod $(VENV)/reflex run --env prod --loglevel warning

test: setup-test lint typecheck unit ## Lint, type-check and run the whole test suite

lint: ## ruff
	@$(VENV)/ruff check ejournal tests scripts bench rxconfig.py
	@$(VENV)/ruff format --check ejournal tests scripts bench rxconfig.py

typecheck: ## mypy (strict on the domain layer)
	@$(VENV)/mypy ejournal bench

unit: ## pytest: domain and state tests in parallel, then the browser tests
	@$(VENV)/pytest -n 2 -m "not browser" $(PYTEST_ARGS)
	@$(VENV)/pytest -m browser $(PYTEST_ARGS)

bench: setup-test ## Benchmarks that print their figures
	@$(VENV)/python -m bench

load: setup-test ## Load test of the diary on the production server (LOAD_ARGS="--pg --redis")
	@$(VENV)/python -m bench.load $(LOAD_ARGS)

seed: setup ## Re-seed the demo school (SIZE=small|demo|large)
	@$(VENV)/ejournal migrate
	@$(VENV)/ejournal seed --size $(or $(SIZE),demo) --force

migrate: setup ## Apply database migrations
	@$(VENV)/ejournal migrate

export: setup ## Export every core entity as CSV into var/export
	@$(VENV)/ejournal export --out var/export

clean: ## Remove the build and the local database (keeps .venv)
	rm -rf .web .states var/ejournal.db*
