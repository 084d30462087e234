"""Monthly advances and billing modes on the whole stack: a new contract's recommended advance
(contracts' tariffs and expected consumption), a change through the gateway from the next
billing period, announced on Kafka and confirmed by email; the billing mode; and the advance
run as operations start it (`python -m billing advance-run`), run twice, twice at once and
killed half-way: one advance invoice per contract and month, numbers without gaps."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from portal_stack import Stack

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Old months only the seeded contracts supply in, issued "on" a day of 2099: their invoices get
# numbers of their own year (A2099-...), so other tests' invoices cannot interleave with them.
SEEDED = 600
ISSUE_DAY = "2099-06-01"


def first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def advance_run(stack: Stack, *args: str, batch: int = 50) -> subprocess.Popen[str]:
    """``python -m billing advance-run`` with billing's environment and small batches."""
    handle = stack.services["billing"]
    return subprocess.Popen(
        [stack.config.python, "-m", "billing", "advance-run", *args],
        env={**handle.env, "BILLING_ADVANCE_RUN_BATCH_SIZE": str(batch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def summary(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_change_the_advance_and_the_billing_mode(
    gateway: httpx.Client, new_customer: Any, helpers: Any, kafka: Any, mail: Any, stack: Stack
) -> None:
    customer = new_customer(annual_kwh="2500")
    auth = helpers.log_in(gateway, customer.email, customer.password)
    url = f"/billing/v1/contracts/{customer.contract_id}/advance"
    next_period = first_of_next_month(datetime.now(UTC).astimezone(AMSTERDAM).date())

    def planned() -> dict[str, Any] | None:
        response = gateway.get(url, headers=auth)
        return response.json() if response.status_code == 200 and response.json()["current_amount"] else None

    # VAST-3JR: (2500 kWh x 0.247934 + 365 x 0.198347) x 1.21 / 12 = 69.80 -> 70 euro a month
    assert helpers.eventually(planned, timeout=30) == {
        "contract_id": customer.contract_id,
        "billing_mode": "monthly_advance",
        "current_amount": "70.00",
        "recommended_amount": "70.00",
        "minimum_amount": "35.00",
        "maximum_amount": "210.00",
        "next_period_start": next_period.isoformat(),
        "next_period_amount": None,
    }

    refused = gateway.put(url, headers=auth, json={"amount": "210.01"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"] == "/problems/advance-out-of-bounds"
    assert (refused.json()["minimum"], refused.json()["maximum"]) == ("35.00", "210.00")
    malformed = gateway.put(url, headers={**auth, "content-type": "application/json"}, content=b'{"amount":')
    assert malformed.status_code == 422
    theirs = gateway.get(f"/billing/v1/contracts/{uuid.uuid4()}/advance", headers=auth)
    assert theirs.status_code == 404
    assert theirs.json()["type"] == "/problems/contract-not-found"

    changed = gateway.put(url, headers=auth, json={"amount": "85.00"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["current_amount"], changed.json()["next_period_amount"]) == ("70.00", "85.00")
    assert gateway.get(url, headers=auth).json() == changed.json()

    announced = kafka.about("billing.advance-changed.v1", customer.contract_id, count=2)
    assert [(e["data"]["amount"], e["data"]["changed_by"]) for e in announced] == [
        ("70.00", "billing"),
        ("85.00", "customer"),
    ]
    assert announced[-1]["data"]["effective_from"] == next_period.isoformat()
    assert announced[-1]["data"]["previous_amount"] == "70.00"
    mail.wait_for(lambda m: customer.email in m.to and "85,00" in (m.text or ""), timeout=30)

    # A billing mode change waits for next month; asking for the current mode back cancels it.
    mode_url = f"/billing/v1/contracts/{customer.contract_id}/billing-mode"
    waiting = gateway.put(mode_url, headers=auth, json={"mode": "quarterly"})
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["next_mode"] == "quarterly"
    assert waiting.json()["next_mode_from"] == next_period.isoformat()  # the first of next month
    back = gateway.put(mode_url, headers=auth, json={"mode": "monthly_advance"})
    assert back.json() == {
        "contract_id": customer.contract_id,
        "mode": "monthly_advance",
        "next_mode": None,
        "next_mode_from": None,
    }
    modes = kafka.about("billing.billing-mode-changed.v1", customer.contract_id, count=2)
    assert [(e["data"]["previous_mode"], e["data"]["mode"]) for e in modes] == [
        ("monthly_advance", "quarterly"),
        ("quarterly", "monthly_advance"),
    ]

    # The month the new amount applies to: invoiced once, however often the run is started.
    month = f"{next_period:%Y-%m}"
    first = summary(advance_run(stack, "--month", month))
    again = summary(advance_run(stack, "--month", month))
    assert first["issued"] >= 1 and again["issued"] == 0

    def advance_invoices() -> list[dict[str, Any]] | None:
        items = gateway.get("/billing/v1/invoices", headers=auth).json()["items"]
        return [i for i in items if i["kind"] == "advance"] or None

    [invoice] = helpers.eventually(advance_invoices)
    assert (invoice["period_start"], invoice["total_incl_vat"], invoice["status"]) == (
        next_period.isoformat(),
        "85.00",
        "open",
    )
    [issued] = kafka.about("billing.invoice-issued.v1", invoice["id"])
    assert (issued["data"]["kind"], issued["data"]["contract_id"]) == ("advance", customer.contract_id)


@pytest.fixture
def seeded(databases: Any) -> str:
    """SEEDED contracts billed by advances that supplied in January and February 2001 only,
    written straight into billing's database (as its consumers would have); returns their
    common id prefix."""
    prefix = f"ADV-{uuid.uuid4().hex[:8]}-"
    billing = databases["billing"]
    billing.fetch(
        "INSERT INTO contract_view (contract_id, customer_number, commodity, product_code, start_date,"
        " end_date, withdrawn, expected_annual_consumption)"
        " SELECT $1 || lpad(i::text, 4, '0'), (800000000 + i)::text, 'electricity', 'VAST-3JR',"
        " DATE '2001-01-01', DATE '2001-02-28', false, '{}' FROM generate_series(1, $2) AS i",
        prefix,
        SEEDED,
    )
    billing.fetch(
        "INSERT INTO billing_accounts (contract_id, customer_number, mode)"
        " SELECT contract_id, customer_number, 'monthly_advance' FROM contract_view"
        " WHERE contract_id LIKE $1 || '%'",
        prefix,
    )
    billing.fetch(
        "INSERT INTO advance_plans (contract_id, effective_from, amount, set_by, set_at)"
        " SELECT contract_id, DATE '2001-01-01', 50, 'billing', now() FROM contract_view"
        " WHERE contract_id LIKE $1 || '%'",
        prefix,
    )
    return prefix


def test_advance_runs_at_once_or_killed_issue_each_month_once(
    stack: Stack, databases: Any, seeded: str
) -> None:
    billing = databases["billing"]

    def invoices(period_start: str) -> list[Any]:
        return billing.fetch(
            "SELECT contract_id, number FROM invoices WHERE kind = 'advance' AND contract_id LIKE $1 || '%'"
            " AND period_start = $2",
            seeded,
            date.fromisoformat(period_start),
        )

    # Two runs at once for January: each batch waits for the other's lock, then finds what is left.
    runs = [advance_run(stack, "--month", "2001-01", "--today", ISSUE_DAY) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(summary, runs))
    assert sum(r["issued"] for r in results) == SEEDED
    january = invoices("2001-01-01")
    assert len(january) == len({r["contract_id"] for r in january}) == SEEDED

    # February: stopped as soon as its first batch is in, then run again to the end.
    stopped = advance_run(stack, "--month", "2001-02", "--today", ISSUE_DAY, batch=10)
    deadline = time.monotonic() + 60
    while not invoices("2001-02-01") and stopped.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped.kill()
    stopped.communicate()
    completed = summary(advance_run(stack, "--month", "2001-02", "--today", ISSUE_DAY))
    assert summary(advance_run(stack, "--month", "2001-02", "--today", ISSUE_DAY))["issued"] == 0
    february = invoices("2001-02-01")
    assert len(february) == len({r["contract_id"] for r in february}) == SEEDED
    assert completed["issued"] <= SEEDED

    # Every number of the year 2099 handed out once, none skipped.
    numbers = sorted(int(r["number"].split("-")[1]) for r in billing.fetch(
        "SELECT number FROM invoices WHERE number LIKE 'A2099-%'"
    ))  # fmt: skip
    assert numbers == list(range(1, 2 * SEEDED + 1))
    [sequence] = billing.fetch("SELECT last_number FROM invoice_sequences WHERE series = 'A' AND year = 2099")
    assert sequence["last_number"] == 2 * SEEDED


def test_the_payment_schedule_of_a_monthly_payer(
    gateway: httpx.Client, new_customer: Any, helpers: Any, stack: Stack
) -> None:
    customer = new_customer(annual_kwh="2500")  # supplied since 1 January 2026, 70 euro a month
    auth = helpers.log_in(gateway, customer.email, customer.password)
    url = f"/billing/v1/contracts/{customer.contract_id}/advance-schedule"
    today = datetime.now(UTC).astimezone(AMSTERDAM).date()

    def planned() -> dict[str, Any] | None:
        response = gateway.get(url, headers=auth)
        return (
            response.json()
            if response.status_code == 200 and response.json()["months"][0]["amount"]
            else None
        )

    schedule = helpers.eventually(planned, timeout=30)
    # The contract year runs from 1 January: twelve months, closed by the annual settlement.
    assert (schedule["year_begins"], schedule["settlement_after"]) == (
        date(today.year, 1, 1).isoformat(),
        date(today.year, 12, 31).isoformat(),
    )
    assert [m["month"] for m in schedule["months"]] == [
        date(today.year, n, 1).isoformat() for n in range(1, 13)
    ]
    assert {(m["amount"], m["status"]) for m in schedule["months"]} == {("70.00", "planned")}

    # This month's advance run: the schedule shows the invoice in its month.
    assert summary(advance_run(stack, "--month", f"{today:%Y-%m}"))["issued"] >= 1
    this_month = gateway.get(url, headers=auth).json()["months"][today.month - 1]
    assert (this_month["amount"], this_month["status"]) == ("70.00", "open")
    assert this_month["invoice_number"].startswith(f"A{today.year}-")
