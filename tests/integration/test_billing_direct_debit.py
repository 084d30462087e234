"""Direct debit and reminders on real Kafka and PostgreSQL: a final invoice of a customer who
pays by direct debit goes into a SEPA pain.008 file (two collection runs at once, then a third:
debited once), is paid, comes back from the bank (the admin endpoint) and is open again;
the reminder job then sends step 1 once however often it runs (also two at once), and a paid
invoice gets none."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx

from billing.domain.pain008 import validate
from portal_chassis.sealing import Sealer
from portal_schemas.contracts import CustomerDetailsChanged
from portal_stack import Stack

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
IBANS = ("NL44RABO0123456789", "NL91ABNA0417164300")


def pays_by_direct_debit(
    stack: Stack, kafka: Any, databases: Any, helpers: Any, customer: Any, iban: str
) -> None:
    """Contracts announces the customer's choice of direct debit, IBAN and name sealed with the
    suite's sealing key; waits until billing holds the mandate."""
    sealer = Sealer(stack.services["billing"].env["EVENT_SEALING_KEY"])
    kafka.about("contracts.customer-details-changed.v1", customer.customer_number)  # the one at creation
    details = CustomerDetailsChanged(
        customer_number=customer.customer_number,
        payment_method="direct_debit",
        sealed_iban=sealer.seal(iban),
        sealed_name=sealer.seal("Test Klant"),
        changed=["payment"],
    )
    kafka.publish_event(details, customer.customer_number, "contracts")
    helpers.eventually(
        lambda: databases["billing"].fetch(
            "SELECT 1 FROM customer_view WHERE customer_number = $1 AND mandate_reference IS NOT NULL",
            customer.customer_number,
        ),
        timeout=30,
    )


def at_once(stack: Stack, *args: str) -> list[dict[str, Any]]:
    """Two runs of the same billing command started together; their JSON summaries."""
    handle = stack.services["billing"]
    runs = [
        subprocess.Popen(
            [stack.config.python, "-m", "billing", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=handle.env,
        )
        for _ in range(2)
    ]
    summaries = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    return summaries


def debits_in(path: str) -> dict[str, str]:
    """End-to-end id -> amount of every debit in a pain.008 file (validated first)."""
    content = Path(path).read_bytes()
    validate(content)
    root = ElementTree.fromstring(content)  # noqa: S314 - a file billing wrote for this test
    return {
        tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS) or "": tx.findtext("p:InstdAmt", namespaces=NS)
        or ""
        for tx in root.iterfind(".//p:DrctDbtTxInf", NS)
    }


def events_about(kafka: Any, topic: str, subjects: set[str], until: Any) -> list[dict[str, Any]]:
    found = kafka.envelopes(topic, lambda es: until([e for e in es if e["subject"] in subjects]))
    return [e for e in found if e["subject"] in subjects]


def test_direct_debit_collected_returned_and_reminded(
    stack: Stack,
    gateway: httpx.Client,
    kafka: Any,
    databases: Any,
    cli: Any,
    new_customer: Any,
    helpers: Any,
    tmp_path: Path,
) -> None:
    returned, kept = new_customer(), new_customer()
    for customer, iban in zip((returned, kept), IBANS, strict=True):
        pays_by_direct_debit(stack, kafka, databases, helpers, customer, iban)
    invoice = helpers.final_invoice(gateway, kafka, returned)
    other = helpers.final_invoice(gateway, kafka, kept)
    due = date.fromisoformat(invoice["due_date"])
    assert date.fromisoformat(other["due_date"]) == due  # issued the same day

    # Five days before the due date the collection date reaches it: two runs at once, each
    # invoice in exactly one file.
    out = tmp_path / "sepa"
    runs = at_once(
        stack, "collect-direct-debits", "--today", (due - timedelta(days=5)).isoformat(), "--out", str(out)
    )
    assert all(date.fromisoformat(r["collection_date"]) >= due for r in runs)
    files = [r["file"] for r in runs if r["file"]]
    assert files and all(Path(f).parent == out for f in files)
    debits = [debits_in(f) for f in files]
    for mine in (invoice, other):
        [amount] = [d[mine["number"]] for d in debits if mine["number"] in d]
        assert amount == mine["total_incl_vat"]
    auth = helpers.log_in(gateway, returned.email, returned.password)
    detail = gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth).json()
    assert detail["status"] == "paid"
    kafka.about("billing.invoice-paid.v1", invoice["id"])

    # Once more: nothing of these is collected again.
    again = json.loads(
        cli(
            "billing",
            "collect-direct-debits",
            "--today",
            (due - timedelta(days=5)).isoformat(),
            "--out",
            str(out),
        )
    )
    assert again["debits"] == 0 and again["file"] is None
    [item] = databases["billing"].fetch(
        "SELECT payment_id, sequence_type, status FROM direct_debit_items WHERE invoice_id = $1",
        invoice["id"],
    )
    assert (item["sequence_type"], item["status"]) == ("FRST", "collected")

    # The bank returns the debit for lack of funds; operations enter it (twice: once counts).
    operator = cli.operator_headers()
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    body = [{"end_to_end_id": invoice["number"], "reason_code": "AM04", "returned_on": today.isoformat()}]
    answer = gateway.post("/billing/v1/admin/direct-debits/returns", json=body, headers=operator)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"returned": [invoice["number"]], "already_returned": [], "unknown": []}
    repeated = gateway.post("/billing/v1/admin/direct-debits/returns", json=body, headers=operator)
    assert repeated.json()["already_returned"] == [invoice["number"]]
    unknown = gateway.post(
        "/billing/v1/admin/direct-debits/returns",
        json=[{**body[0], "end_to_end_id": "F1999-000001"}],
        headers=operator,
    )
    assert (unknown.status_code, unknown.json()["type"]) == (422, "/problems/debits-unknown")
    reopened = gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth).json()
    assert reopened["status"] == "open"
    [event] = kafka.about("billing.payment-returned.v1", item["payment_id"])
    assert (event["data"]["reason_code"], event["data"]["amount"]) == ("AM04", invoice["total_incl_vat"])

    # Fourteen days after the due date: step 1 for the returned invoice, none for the paid one,
    # also when the job runs again.
    step_one = (due + timedelta(days=14)).isoformat()
    first = json.loads(cli("billing", "send-payment-reminders", "--today", step_one))
    assert first["reminders"] >= 1
    assert json.loads(cli("billing", "send-payment-reminders", "--today", step_one))["reminders"] == 0
    # Step 2 from two runs at once: sent once.
    at_once(stack, "send-payment-reminders", "--today", (due + timedelta(days=28)).isoformat())

    subjects = {invoice["id"], other["id"]}
    reminders = events_about(kafka, "billing.payment-reminder-due.v1", subjects, lambda mine: len(mine) >= 2)
    assert [(e["subject"], e["data"]["step"]) for e in reminders] == [(invoice["id"], 1), (invoice["id"], 2)]
    assert reminders[0]["data"]["open_amount"] == invoice["total_incl_vat"]
    assert reminders[0]["data"]["pay_by"] == (due + timedelta(days=21)).isoformat()
    steps = databases["billing"].fetch(
        "SELECT invoice_id, step FROM dunning_steps WHERE invoice_id = ANY($1::text[]) ORDER BY step",
        list(subjects),
    )
    assert [(s["invoice_id"], s["step"]) for s in steps] == [(invoice["id"], 1), (invoice["id"], 2)]
