# Entry points for people and CI; the logic lives in scripts/ and in portal-stack.
# Every target works from a fresh clone: `make up` and `make test` install what is missing.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

# uv must never try to download a Python (no network for that): use the machine's 3.11.
export UV_PYTHON_DOWNLOADS := never
# The real interpreter path, not a version-manager shim: uv would rebuild .venv on every call.
export UV_PYTHON ?= $(shell python3.11 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3.11)

SOURCE_DIRS = shared/schemas/src shared/chassis/src shared/profiles/src deploy/stack/src $(wildcard services/*/src)

.PHONY: install up down status test lint bench drill clean

install:
	scripts/install.sh

up: install
	uv run --frozen portal-stack up

down:
	uv run --frozen portal-stack down

status:
	uv run --frozen portal-stack status

test:
	scripts/test.sh

lint: install
	uv run --frozen ruff check .
	uv run --frozen mypy $(wildcard $(SOURCE_DIRS))

bench: install
	@if [ -f bench/__main__.py ]; then \
	  uv run --frozen python -m bench; \
	else \
	  echo "no benchmark yet (bench/__main__.py does not exist)"; \
	fi

# Failure drills on a stack of their own (drills/README.md); DRILL_ARGS="--only poison" runs one.
drill: install
	uv run --frozen python -m drills $(DRILL_ARGS)

# Refuses while `make up` runs: deleting its run dir under it would orphan the processes.
clean:
	@if [ -f .run/up.pid ] && kill -0 "$$(cat .run/up.pid)" 2>/dev/null; then \
	  echo "make up is still running (pid $$(cat .run/up.pid)): make down first" >&2; exit 1; \
	fi
	rm -rf .run
