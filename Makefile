# The two commands a newcomer needs: `make run` and `make test`. Everything installs itself.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
VENV := .venv/bin

.PHONY: run test lint format bench sync bootstrap contracts

bootstrap:  ## install uv when the machine has none (from PyPI, into the user site)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | bootstrap
	$(UV) sync --frozen
	@touch $@

sync: .venv/.synced

run: sync  ## migrate, seed the demo data, serve FireMode on :8000 and Alloy on :8001 (Ctrl-C stops both)
	$(VENV)/firemode migrate
	$(VENV)/alloy migrate
	@echo ""
	@$(VENV)/firemode seed-demo
	@$(VENV)/alloy seed-demo
	@echo "FireMode  http://127.0.0.1:8000/docs"
	@echo "Alloy     http://127.0.0.1:8001/docs"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
		$(VENV)/firemode serve --port 8000 & \
		$(VENV)/alloy serve --port 8001 & \
		wait

test: sync  ## the whole suite (SQLite; PostgreSQL and Redis too when TEST_DATABASE_URL / TEST_REDIS_URL are set)
	$(VENV)/pytest

lint: sync  ## ruff (lint + format check), mypy (strict on the kit), the contract check
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/python scripts/validate_contracts.py

format: sync
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

bench: sync  ## every benchmark under bench/, figures to compare with bench/RESULTS.md
	@for script in bench/[!_]*.py; do echo "== $$script"; $(VENV)/python $$script || exit 1; done
