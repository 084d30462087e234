#!/usr/bin/env bash
# `make test`: install what is missing, then lint (ruff), type-check (mypy) and run every test
# suite. All three always run so one report shows everything; any failure fails the whole.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never
# the real interpreter path, not a version-manager shim (uv would rebuild .venv each call)
export UV_PYTHON=${UV_PYTHON:-$(python3.11 -c 'import sys; print(sys.executable)')}

scripts/install.sh

shopt -s nullglob
# Members that have no tests (or no src) yet are left out rather than failing pytest/mypy.
test_dirs=(services/*/tests shared/*/tests deploy/stack/tests tests/contracts tests/integration)
existing_tests=()
for dir in "${test_dirs[@]}"; do [ -d "$dir" ] && existing_tests+=("$dir"); done
source_dirs=()
for dir in shared/schemas/src shared/chassis/src shared/profiles/src deploy/stack/src services/*/src; do
  [ -d "$dir" ] && source_dirs+=("$dir")
done

failed=()
echo "== ruff check"
uv run --frozen ruff check . || failed+=(ruff)
echo "== mypy ${source_dirs[*]}"
uv run --frozen mypy "${source_dirs[@]}" || failed+=(mypy)
echo "== pytest ${existing_tests[*]}"
# A hung test fails after PYTEST_TIMEOUT seconds instead of eating CI's whole budget.
uv run --frozen pytest --timeout="${PYTEST_TIMEOUT:-600}" "${existing_tests[@]}" || failed+=(pytest)

if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "make test: lint, types and tests passed"
