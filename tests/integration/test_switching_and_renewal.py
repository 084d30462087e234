"""A switch notice from the switching hub ends a contract with a provisional fee; the end of
supply makes it final; renewal proposals go out once per term. Over real Kafka and PostgreSQL,
customers' reads through the gateway."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from portal_schemas import Envelope
from portal_schemas.hub import SwitchNoticeReceived


def test_switch_notice_provisional_then_final_fee(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    created = kafka.envelopes(
        "contracts.contract-created.v1",
        lambda es: any(e["subject"] == customer.contract_id for e in es),
    )
    [contract] = [e["data"] for e in created if e["subject"] == customer.contract_id]
    number = contract["contract_number"]

    # The new supplier starts on 2027-02-01: our last day of supply is 2027-01-31.
    notice = SwitchNoticeReceived(
        notice_id=str(uuid.uuid4()),
        contract_number=number,
        new_supplier="Andere Energie BV",
        intended_switch_date=date(2027, 2, 1),
    )
    kafka.publish(
        "hub.switch-notice-received.v1",
        Envelope.wrap(notice, subject=number, producer="hub").to_json(),
        key=number,
    )

    def terminations(es: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e["data"] for e in es if e["subject"] == customer.contract_id]

    events = kafka.envelopes("contracts.contract-terminated.v1", lambda es: len(terminations(es)) >= 1)
    [provisional] = terminations(events)
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
    events = kafka.envelopes("contracts.contract-terminated.v1", lambda es: len(terminations(es)) >= 2)
    first, final = terminations(events)
    assert final["fee_is_final"] is True
    assert final["end_date"] == "2027-01-31"
    assert final["termination_fee"] == first["termination_fee"]  # the date did not move
    ended = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=auth).json()
    assert (ended["status"], ended["termination_fee_is_final"]) == ("ended", True)


def test_propose_renewals_twice_proposes_once(kafka: Any, cli: Any) -> None:
    number = str(uuid.uuid4().int)[:9]
    contract_id = cli(
        "contracts", "create-contract", "--customer-number", number, "--name", "Test Klant",
        "--commodity", "gas", "--product-code", "VAST-1JR", "--start-date", "2026-02-01",
        "--fixed-term-end", "2027-01-31", "--supply-postcode", "1234AB", "--concluded-on", "2026-01-01",
    )  # fmt: skip
    # 2026-12-15 is within 60 days of the term's end.
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    marker = str(uuid.uuid4().int)[:9]
    marker_id = cli(
        "contracts", "create-contract", "--customer-number", marker, "--name", "Test Klant",
        "--commodity", "gas", "--product-code", "VAST-1JR", "--start-date", "2026-02-01",
        "--fixed-term-end", "2027-01-30", "--supply-postcode", "1234AB", "--concluded-on", "2026-01-01",
    )  # fmt: skip
    # A third run proposes only the new contract; once its proposal is on the topic, every
    # earlier one is too (one partition per key, but the outbox relays in order).
    cli("contracts", "propose-renewals", "--today", "2026-12-15")
    events = kafka.envelopes(
        "contracts.renewal-proposed.v1", lambda es: any(e["subject"] == marker_id for e in es)
    )
    mine = [e["data"] for e in events if e["subject"] == contract_id]
    assert len(mine) == 1
    assert (mine[0]["fixed_term_end"], mine[0]["product_code"]) == ("2027-01-31", "VAST-1JR")
