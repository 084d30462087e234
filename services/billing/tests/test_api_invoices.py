"""GET /v1/invoices and /v1/invoices/{id}: only the caller's invoices, paginated."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from billing.db.tables import InvoiceRow
from billing.settings import BillingSettings
from billing.use_cases.issue_final_invoice import issue_final_invoice
from portal_chassis.testing import Harness, TokenFactory

ME, OTHER = "100200300", "999888777"


async def issue(
    service: Harness, events, contract_id: str, customer: str, at: datetime, fee: str, excl_vat: str
) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    termination = events.termination(contract_id, customer=customer, fee=fee, excl_vat=excl_vat)
    async with service.runtime.new_uow() as uow:
        invoice = await issue_final_invoice(uow, settings, termination, now=at)
        await uow.commit()
    assert invoice is not None
    return invoice.id


async def test_list_shows_only_my_invoices_newest_first(
    service: Harness, events, tokens: TokenFactory
) -> None:
    older = await issue(service, events, "C-1", ME, datetime(2026, 3, 1, 9, tzinfo=UTC), "12.10", "10.00")
    await issue(service, events, "C-2", OTHER, datetime(2026, 4, 1, 9, tzinfo=UTC), "24.20", "20.00")
    newer = await issue(service, events, "C-3", ME, datetime(2026, 5, 1, 9, tzinfo=UTC), "36.30", "30.00")

    response = await service.client.get("/v1/invoices", headers=tokens.headers(ME))
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)
    assert [i["id"] for i in page["items"]] == [newer, older]
    first = page["items"][0]
    assert first["number"] == "F2026-000003"  # the other customer's invoice took number 2
    assert (first["kind"], first["status"], first["currency"]) == ("final_settlement", "open", "EUR")
    assert (first["issue_date"], first["due_date"]) == ("2026-05-01", "2026-05-15")
    # fee only, 30.00 before VAT at 21 %: VAT 30.00 x 0.21 = 6.30; incl. 30.00 + 6.30 = 36.30
    assert (first["total_excl_vat"], first["vat_total"], first["total_incl_vat"]) == (
        "30.00",
        "6.30",
        "36.30",
    )

    second_page = await service.client.get(
        "/v1/invoices", params={"limit": 1, "offset": 1}, headers=tokens.headers(ME)
    )
    assert [i["id"] for i in second_page.json()["items"]] == [older]
    assert second_page.json()["total"] == 2


async def test_detail_has_lines_and_vat(service: Harness, events, deliver, tokens: TokenFactory) -> None:
    gas = {"commodity": "gas", "valid_from": "2025-01-01", "vat_rate": "0.21"}
    await deliver(
        service,
        events.tariffs("FIXED-3Y", {**gas, "unit_prices": {"gas": "1.40"}, "fixed_costs_per_day": "0.20"}),
        events.contract("C-1", commodity="gas"),
        events.reading("R-1", "40", datetime(2026, 1, 5, tzinfo=UTC), register="gas", unit="m3"),
        # the final reading, on the end date: the final invoice is issued at once
        events.reading("R-2", "1234.5", datetime(2026, 10, 31, 9, tzinfo=UTC), register="gas", unit="m3"),
    )
    invoice_id = await issue(service, events, "C-1", ME, datetime(2026, 11, 2, 9, tzinfo=UTC), "0.00", "0.00")

    response = await service.client.get(f"/v1/invoices/{invoice_id}", headers=tokens.headers(ME))
    assert response.status_code == 200
    body = response.json()
    # 1 January to 31 October: 304 days x 0.20 = 60.80; gas 1234.5 - 40 = 1194.5 m3 x 1.40 =
    # 1672.30; base 1733.10, VAT 1733.10 x 0.21 = 363.951 -> 363.95; incl. 2097.05. No fee line:
    # the fee is zero.
    assert body["lines"] == [
        {
            "position": 1,
            "kind": "fixed_costs",
            "description": "Fixed delivery costs, 2026-01-01 to 2026-10-31",
            "quantity": "304",
            "unit": "day",
            "unit_price": "0.2",
            "vat_rate": "0.21",
            "amount_excl_vat": "60.80",
            "meter_id": None,
            "register_type": None,
        },
        {
            "position": 2,
            "kind": "consumption",
            "description": "Gas, 2026-01-01 to 2026-10-31 (meter index 40 to 1234.5)",
            "quantity": "1194.5",
            "unit": "m3",
            "unit_price": "1.4",
            "vat_rate": "0.21",
            "amount_excl_vat": "1672.30",
            "meter_id": "M-1",
            "register_type": "gas",
        },
    ]
    assert body["vat"] == [{"rate": "0.21", "base": "1733.10", "vat": "363.95"}]
    assert (body["total_excl_vat"], body["vat_total"], body["total_incl_vat"]) == (
        "1733.10",
        "363.95",
        "2097.05",
    )
    assert (body["period_start"], body["period_end"]) == ("2026-01-01", "2026-10-31")


async def test_someone_elses_invoice_is_not_found(service: Harness, events, tokens: TokenFactory) -> None:
    theirs = await issue(service, events, "C-2", OTHER, datetime(2026, 4, 1, 9, tzinfo=UTC), "24.20", "20.00")
    response = await service.client.get(f"/v1/invoices/{theirs}", headers=tokens.headers(ME))
    missing = await service.client.get("/v1/invoices/no-such-id", headers=tokens.headers(ME))
    assert response.status_code == missing.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invoice-not-found"
    assert response.json()["detail"] == missing.json()["detail"]  # nothing to tell them apart
    mine = await service.client.get("/v1/invoices", headers=tokens.headers(ME))
    assert mine.json()["items"] == []


async def test_without_a_token_nothing_is_shown(service: Harness) -> None:
    response = await service.client.get("/v1/invoices")
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/not-authenticated"


async def test_bad_paging_is_a_validation_problem_and_changes_nothing(
    service: Harness, tokens: TokenFactory
) -> None:
    response = await service.client.get(
        "/v1/invoices", params={"limit": 0, "offset": -1}, headers=tokens.headers(ME)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/validation"
    assert {e["field"] for e in body["errors"]} == {"query.limit", "query.offset"}
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InvoiceRow)) == 0
    assert await service.outbox() == []
