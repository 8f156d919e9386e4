# Every target bootstraps what it needs: scripts/uv installs the pinned uv on first
# use and finds Python 3.13 (through pyenv where present); `uv sync` installs the
# locked dependencies into .venv.
UV := scripts/uv

.PHONY: help sync example test lint typecheck pytest

help:
	@echo "make example   invoke the three handlers on the embedded S3 (no AWS account)"
	@echo "make test      everything CI checks: format, lint, types, the test suite"

sync:
	$(UV) sync --locked

example: sync
	$(UV) run --locked python examples/invoke_local.py

lint: sync
	$(UV) run --locked ruff format --check .
	$(UV) run --locked ruff check .

typecheck: sync
	$(UV) run --locked mypy

pytest: sync
	$(UV) run --locked pytest

test: lint typecheck pytest
