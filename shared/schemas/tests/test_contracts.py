"""The event contracts: envelope rules, topic naming, the topics file and the committed schemas."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from portal_schemas import REGISTRY, Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.export import DEFAULT_DIR, render, schemas
from portal_schemas.metering import MeterReadingReceived
from portal_schemas.topics import ALL_TOPICS, dead_letter_topic

ROOT = Path(__file__).resolve().parents[3]


def invoice() -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id="i-1",
        invoice_number="F2026-000001",
        customer_number="100200300",
        kind="final_settlement",
        issued_at=datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=1))),
        due_date=date(2026, 11, 8),
        total_incl_vat=Decimal("123.40"),
    )


def test_topic_rule() -> None:
    assert MeterReadingReceived.topic() == "metering.meter-reading-received.v1"
    assert InvoiceIssued.topic() == "billing.invoice-issued.v1"
    assert dead_letter_topic("billing") == "billing.dead-letter.v1"


def test_envelope_round_trip_keeps_money_exact_and_time_utc() -> None:
    envelope = Envelope.wrap(invoice(), subject="i-1", producer="billing")
    wire = json.loads(envelope.to_json())
    assert wire["data"]["total_incl_vat"] == "123.40"  # a string, never a float
    assert wire["correlation_id"] == wire["event_id"]  # first event of a chain
    back = Envelope.model_validate(wire)
    data = InvoiceIssued.model_validate(back.data)
    assert data.total_incl_vat == Decimal("123.40")
    assert data.issued_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert back.occurred_at.tzinfo == UTC


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        Envelope.model_validate(
            {
                **json.loads(Envelope.wrap(invoice(), subject="i", producer="b").to_json()),
                "occurred_at": "2026-01-01T10:00:00",
            }
        )


def test_topics_file_declares_exactly_the_topics_of_the_code() -> None:
    declared = tomllib.loads((ROOT / "deploy/kafka/topics.toml").read_text())
    names = {t["name"] for t in declared["topic"]}
    assert names == ALL_TOPICS


def test_committed_json_schemas_are_current() -> None:
    current = schemas()
    on_disk = {p.name: p.read_text() for p in DEFAULT_DIR.glob("*.json")}
    assert set(on_disk) == set(current), "run: uv run portal-schemas export"
    for name, schema in current.items():
        assert on_disk[name] == render(schema), f"{name} is stale: run uv run portal-schemas export"


def test_every_event_names_its_topic_in_the_schema() -> None:
    for spec in REGISTRY.values():
        schema = schemas()[f"{spec.event_type}.v{spec.version}.json"]
        assert schema["x-topic"] == spec.topic
