"""A switch notice from the switching hub ends a contract with a provisional fee; the end of
supply makes it final; renewal proposals go out once per term, and a term nobody renewed rolls
over into an indefinite contract that ends free with 30 days' notice. Over real Kafka and
PostgreSQL, customers' reads through the gateway."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.contracts import ContractAmended
from portal_schemas.hub import SwitchNoticeReceived


def test_switch_notice_provisional_then_final_fee(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    [contract] = [e["data"] for e in kafka.about("contracts.contract-created.v1", customer.contract_id)]
    number = contract["contract_number"]

    # The new supplier starts on 2027-02-01: our last day of supply is 2027-01-31.
    notice = SwitchNoticeReceived(
        notice_id=str(uuid.uuid4()),
        contract_number=number,
        new_supplier="Andere Energie BV",
        intended_switch_date=date(2027, 2, 1),
    )
    kafka.publish_event(notice, number, "hub")

    def terminations(count: int) -> list[dict[str, Any]]:
        return [
            e["data"] for e in kafka.about("contracts.contract-terminated.v1", customer.contract_id, count)
        ]

    [provisional] = terminations(1)
    assert provisional["fee_is_final"] is False
    assert (provisional["end_date"], provisional["reason"]) == ("2027-01-31", "switch")

    auth = helpers.log_in(gateway, customer.email, customer.password)
    shown = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=auth)
    assert shown.status_code == 200, shown.text
    assert shown.json()["status"] == "terminating"
    assert shown.json()["termination_fee_is_final"] is False

    # The day after the last day of supply the job ends it; a second run finds nothing more.
    cli("contracts", "end-due-contracts", "--today", "2027-02-01")
    assert cli("contracts", "end-due-contracts", "--today", "2027-02-01") == "0"
    first, final = terminations(2)
    assert final["fee_is_final"] is True
    assert final["end_date"] == "2027-01-31"
    assert final["termination_fee"] == first["termination_fee"]  # the date did not move
    ended = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=auth).json()
    assert (ended["status"], ended["termination_fee_is_final"]) == ("ended", True)


def test_propose_renewals_twice_proposes_once(kafka: Any, cli: Any, helpers: Any) -> None:
    gas = {"commodity": "gas", "product_code": "VAST-1JR", "start_date": "2026-02-01",
           "concluded_on": "2026-01-01"}  # fmt: skip
    contract_id = cli.create_contract(helpers.new_customer_number(), fixed_term_end="2027-01-31", **gas)
    # 2026-12-15 is within 60 days of the term's end.
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    marker_id = cli.create_contract(helpers.new_customer_number(), fixed_term_end="2027-01-30", **gas)
    # A third run proposes only the new contract; once its proposal is on the topic, every
    # earlier one is too (one partition per key, but the outbox relays in order).
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    events = kafka.envelopes(
        "contracts.renewal-proposed.v1", lambda es: any(e["subject"] == marker_id for e in es)
    )
    mine = [e["data"] for e in events if e["subject"] == contract_id]
    assert len(mine) == 1
    assert (mine[0]["fixed_term_end"], mine[0]["product_code"]) == ("2027-01-31", "VAST-1JR")


def test_an_unaccepted_renewal_rolls_over_and_ends_free_with_30_days_notice(
    gateway: httpx.Client, kafka: Any, cli: Any, new_customer: Any, helpers: Any
) -> None:
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    term_end = today - timedelta(days=2)  # proposed before, never accepted
    customer = new_customer(
        commodity="gas", product_code="VAST-1JR", start_date=(term_end - timedelta(days=364)).isoformat(),
        fixed_term_end=term_end.isoformat(), concluded_on=(term_end - timedelta(days=400)).isoformat(),
    )  # fmt: skip
    contract_id = customer.contract_id

    cli("contracts", "propose-renewals", "--today", today.isoformat())
    [rolled] = [e["data"] for e in kafka.about(ContractAmended.topic(), contract_id)]
    day_after = (term_end + timedelta(days=1)).isoformat()
    assert (rolled["change"], rolled["effective_from"]) == ("rollover", day_after)
    auth = helpers.log_in(gateway, customer.email, customer.password)
    shown = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth)
    assert shown.status_code == 200, shown.text
    assert shown.json()["overview"]["price_guarantee_end"] is None  # indefinite now

    url = f"/contracts/v1/contracts/{contract_id}/termination"
    too_soon = gateway.post(
        url, headers=auth, json={"end_date": (today + timedelta(days=10)).isoformat(), "reason": "switch"}
    )
    assert too_soon.status_code == 422, too_soon.text
    assert too_soon.json()["type"] == "/problems/invalid-end-date"
    assert gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth).json()["status"] == "active"
    ended = gateway.post(
        url, headers=auth, json={"end_date": (today + timedelta(days=30)).isoformat(), "reason": "switch"}
    )
    assert ended.status_code == 201, ended.text
    assert ended.json()["fee"]["total_incl_vat"] == "0.00"
