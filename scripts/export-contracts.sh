#!/usr/bin/env bash
# Regenerates the committed event contracts: JSON Schema of every event (portal-schemas export)
# and each service's AsyncAPI document from its FastStream app. Run after changing an event,
# a consumer or a producer; tests/contracts fails while the committed files are stale.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON=${UV_PYTHON:-$(python3.11 -c 'import sys; print(sys.executable)')}

uv run --frozen portal-schemas export
out=shared/schemas/asyncapi
mkdir -p "$out"
# Fixed values so the documents do not depend on who generates them; the key is throwaway.
export KAFKA_BOOTSTRAP_SERVERS=kafka:9092
EVENT_SEALING_KEY=$(uv run --frozen python -c \
  'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
export EVENT_SEALING_KEY
NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY=$(uv run --frozen python -c \
  'from portal_chassis.mail_secrets import generate_key_pair; print(generate_key_pair()[0])')
IDENTITY_MAIL_SECRETS_PUBLIC_KEY=$(uv run --frozen python -c \
  'import sys; from portal_chassis.mail_secrets import public_jwk; print(public_jwk(sys.argv[1]))' \
  "$NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY")
export NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY IDENTITY_MAIL_SECRETS_PUBLIC_KEY
export PORTAL_DATA_DIR=$(mktemp -d)
trap 'rm -rf "$PORTAL_DATA_DIR"' EXIT
for service in identity contracts metering billing notifications; do
  uv run --frozen python -m "$service" asyncapi --output "$out/$service.json"
done
echo "wrote $out/*.json"
