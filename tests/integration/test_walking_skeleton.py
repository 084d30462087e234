"""One customer's path through all five services, over real Kafka, PostgreSQL and SMTP.

contracts (ContractCreated) -> metering and billing read models; a reading at the gateway
-> MeterReadingReceived -> billing and a confirmation email; a termination at the gateway
-> ContractTerminated -> billing's final invoice -> InvoiceIssued -> "new document" email.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from portal_schemas.metering import MeterReadingReceived
from portal_stack import MailCatcherClient


def test_reading_termination_invoice_and_emails(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)

    def submit(value: str, read_at: str) -> httpx.Response:
        return gateway.post(
            "/metering/v1/readings",
            headers=auth,
            json={
                "contract_id": customer.contract_id,
                "register_type": "electricity_single",
                "value": value,
                "read_at": read_at,
            },
        )

    # metering learns the contract from contracts' event: retry until its read model has it
    first = helpers.eventually(
        lambda: (r := submit("1000", "2026-02-01T09:00:00+01:00")).status_code == 201 and r
    )
    assert first.json()["value"] in ("1000", "1000.000", "1000.000000")
    lower = submit("900", "2026-03-01T09:00:00+01:00")
    assert lower.status_code == 422
    assert lower.headers["content-type"].startswith("application/problem+json")
    assert submit("1350.5", "2026-03-01T09:00:00+01:00").status_code == 201

    readings = kafka.envelopes(
        "metering.meter-reading-received.v1",
        lambda evs: sum(e["data"]["customer_number"] == customer.customer_number for e in evs) >= 2,
    )
    mine = [e for e in readings if e["data"]["customer_number"] == customer.customer_number]
    assert [e["data"]["value"] for e in mine][-2:] != ["900"]  # the refused value was never emitted
    assert all(e["producer"] == "metering" and e["subject"] == e["data"]["meter_id"] for e in mine)
    # the confirmation shows the index the Dutch way: 1.350,500 kWh
    mail.wait_for(lambda m: customer.email in m.to and "1.350,5" in (m.text or ""), timeout=30)

    terminated = gateway.post(
        f"/contracts/v1/contracts/{customer.contract_id}/termination",
        headers=auth,
        json={"end_date": "2027-06-30", "reason": "switch"},
    )
    assert terminated.status_code in (200, 201), terminated.text
    # The final reading of the end date, as metering announces it (published directly: the
    # end date is still ahead, so the portal would not take it yet).
    meter_id = mine[-1]["data"]["meter_id"]
    final_reading = MeterReadingReceived(
        reading_id=str(uuid.uuid4()),
        meter_id=meter_id,
        customer_number=customer.customer_number,
        contract_id=customer.contract_id,
        register_type="electricity_single",
        value=Decimal("1500"),
        unit="kWh",
        read_at=datetime(2027, 6, 30, 18, tzinfo=UTC),
        source="customer",
        quality="actual",
        final=True,
    )
    kafka.publish_event(final_reading, meter_id, "metering")
    kafka.wait_until_handled(MeterReadingReceived.topic(), meter_id, "billing.reading-view")
    # The fee is provisional until the contract has ended; billing waits for the final one,
    # which the daily job announces once the last day has passed. With the final reading in,
    # billing settles the contract at once.
    cli("contracts", "end-due-contracts", "--today", "2027-07-01")

    invoices = helpers.eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice["kind"] == "final_settlement"
    issued = kafka.envelopes(
        "billing.invoice-issued.v1",
        lambda evs: any(e["data"]["invoice_id"] == invoice["id"] for e in evs),
    )
    [event] = [e for e in issued if e["data"]["invoice_id"] == invoice["id"]]
    provisional, cause = kafka.about("contracts.contract-terminated.v1", customer.contract_id, count=2)
    assert (provisional["data"]["fee_is_final"], cause["data"]["fee_is_final"]) == (False, True)
    assert event["causation_id"] == cause["event_id"]  # the chain can be followed by ids
    assert event["correlation_id"] == cause["correlation_id"]
    mail.wait_for(lambda m: customer.email in m.to and invoice["number"] in (m.text or ""), timeout=30)

    # another customer can't see it
    other = gateway.get(f"/billing/v1/invoices/{invoice['id']}")
    assert other.status_code == 401


def test_kcat_shows_events_as_json_envelopes(stack: Any, customer: Any, kafka: Any) -> None:
    kafka.about("contracts.contract-created.v1", customer.contract_id)
    out = subprocess.run(
        ["kcat", "-b", stack.bootstrap_servers, "-C", "-t", "contracts.contract-created.v1", "-e",
         "-f", "%k\t%s\n"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    rows = [line.split("\t", 1) for line in out.splitlines() if line]
    mine = [json.loads(value) for key, value in rows if key == customer.contract_id]
    assert mine and mine[0]["event_type"] == "ContractCreated"
    assert set(mine[0]) >= {
        "event_id", "event_type", "schema_version", "occurred_at", "producer",
        "correlation_id", "causation_id", "subject", "data",
    }  # fmt: skip
