#!/usr/bin/env bash
# Installs what `make up` and `make test` need on a Debian 12 machine, idempotently and without
# questions (CI=true, no stdin): system packages, uv, the Apache Kafka jars and the workspace venv.
# Prints one line per step that did something, with its duration; a failing step prints its log.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

kafka_version=4.1.1
cache_dir=${PORTAL_CACHE_DIR:-$HOME/.cache/energy-portal}
kafka_home=$cache_dir/kafka/$kafka_version
# Never let uv fetch a Python from the network: it is not reachable and retries cost 10 s.
export UV_PYTHON_DOWNLOADS=never
# the real interpreter path, not a version-manager shim (uv would rebuild .venv each call)
export UV_PYTHON=${UV_PYTHON:-$(python3.11 -c 'import sys; print(sys.executable)')}
export DEBIAN_FRONTEND=noninteractive

step_log=$(mktemp)
trap 'rm -f "$step_log"' EXIT

now() { date +%s.%N; }

# step LABEL CMD...: run CMD with its output kept aside; print LABEL and the time it took.
step() {
  local label=$1 start rc=0
  shift
  start=$(now)
  "$@" >"$step_log" 2>&1 </dev/null || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf 'install: %s FAILED (exit %d); last lines of its output:\n' "$label" "$rc" >&2
    tail -n 40 "$step_log" >&2
    exit "$rc"
  fi
  awk -v s="$start" -v e="$(now)" -v l="$label" 'BEGIN { printf "install: %s (%.1fs)\n", l, e - s }'
}

# --- system packages ---------------------------------------------------------------------
# Checked by file rather than dpkg so a machine that has them some other way is left alone.
missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v python3.11 >/dev/null 2>&1 || missing+=(python3 python3-pip python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    # One update, only when something is missing: it is the slow part on a warm machine.
    step "apt-get update" apt-get update -q
    step "apt-get install ${missing[*]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    printf 'install: not root, skipping apt-get; missing: %s\n' "${missing[*]}" >&2
    printf 'install: install them (as root: apt-get install -y %s) or what needs them fails\n' \
      "${missing[*]}" >&2
  fi
fi

# --- uv ----------------------------------------------------------------------------------
install_uv() {
  # uv is one static binary; on a distribution Python (PEP 668) allow it into the system site.
  python3.11 -m pip install --quiet uv || PIP_BREAK_SYSTEM_PACKAGES=1 python3.11 -m pip install --quiet uv
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
}
if ! command -v uv >/dev/null 2>&1; then
  step "pip install uv" install_uv
  command -v uv >/dev/null 2>&1 || {
    echo "install: uv was installed but is not on PATH (add ~/.local/bin or pip's bin dir)" >&2
    exit 1
  }
fi

# --- Kafka jars --------------------------------------------------------------------------
fetch_kafka() {
  # Copy into a scratch dir and rename, so an interrupted download never looks complete.
  rm -rf "$kafka_home/lib.partial"
  mkdir -p "$kafka_home"
  mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies \
    -DoutputDirectory="$kafka_home/lib.partial"
  rm -rf "$kafka_home/lib"
  mv "$kafka_home/lib.partial" "$kafka_home/lib"
  touch "$kafka_home/.installed"
}
if [ ! -f "$kafka_home/.installed" ]; then
  step "Kafka $kafka_version jars into $kafka_home/lib" fetch_kafka
fi

# --- Python workspace --------------------------------------------------------------------
if [ -f uv.lock ]; then
  step "uv sync --frozen" uv sync --frozen
else
  step "uv sync (no uv.lock yet)" uv sync
fi
