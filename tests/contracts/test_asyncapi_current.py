"""The committed AsyncAPI documents are what the services' FastStream apps describe today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal_chassis.cli import asyncapi_document
from portal_chassis.mail_secrets import generate_key_pair

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "contracts", "metering", "billing", "notifications")


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_is_current(service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("EVENT_SEALING_KEY", Fernet.generate_key().decode())
    private, public = generate_key_pair()
    monkeypatch.setenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", private)
    monkeypatch.setenv("IDENTITY_MAIL_SECRETS_PUBLIC_KEY", public)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    app_module = __import__(f"{service}.app", fromlist=["create_app"])
    document = asyncapi_document(app_module.create_app())
    committed = json.loads((ROOT / f"shared/schemas/asyncapi/{service}.json").read_text())
    assert document == committed, "stale: run scripts/export-contracts.sh"


def test_every_event_has_a_producer_and_its_consumers_are_documented() -> None:
    addresses: dict[str, set[str]] = {}
    for service in SERVICES:
        document = json.loads((ROOT / f"shared/schemas/asyncapi/{service}.json").read_text())
        for name, channel in document["channels"].items():
            role = "publish" if name.endswith(":publish") else "consume"
            addresses.setdefault(channel["address"], set()).add(f"{service}:{role}")
    for topic in ("metering.meter-reading-received.v1", "contracts.contract-terminated.v1",
                  "billing.invoice-issued.v1", "identity.password-reset-requested.v1",
                  "identity.account-locked.v1"):  # fmt: skip
        roles = addresses[topic]
        assert sum(r.endswith(":publish") for r in roles) == 1, roles
        assert any(r.endswith(":consume") for r in roles), roles
