"""GET /v1/invoices?year=&status=: the caller's invoices of one issue year and one status,
still paginated; a bad filter is a 422 problem naming it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from billing.db.tables import InvoiceRow
from billing.domain.invoice import InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.testing import Harness, TokenFactory

ME, OTHER = "100200300", "999888777"
FEE = [InvoiceLine("termination_fee", "Termination fee", Decimal(1), None, Decimal("10.00"), Decimal("0.21"))]


async def issue(service: Harness, at: datetime, status: str = "open", customer: str = ME) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind="final_settlement",
            customer_number=customer,
            contract_id=None,
            lines=FEE,
            now=at,
        )
        await uow.session.flush()
        if status != "open":
            await uow.session.execute(
                update(InvoiceRow).where(InvoiceRow.id == invoice.id).values(status=status, open_amount=0)
            )
        await uow.commit()
    return invoice.id


async def listed(service: Harness, tokens: TokenFactory, **params: str | int) -> dict[str, object]:
    response = await service.client.get("/v1/invoices", params=params, headers=tokens.headers(ME))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def ids(page: dict[str, object]) -> list[str]:
    return [item["id"] for item in page["items"]]  # type: ignore[attr-defined, index]


async def test_filter_by_issue_year_and_status(service: Harness, tokens: TokenFactory) -> None:
    # 31 December 23:30 UTC is already 1 January in Amsterdam: the issue year is 2026.
    new_year = await issue(service, datetime(2025, 12, 31, 23, 30, tzinfo=UTC), status="paid")
    last_year = await issue(service, datetime(2025, 12, 31, 22, 30, tzinfo=UTC), status="paid")
    open_2026 = await issue(service, datetime(2026, 3, 1, 9, tzinfo=UTC))
    credited_2026 = await issue(service, datetime(2026, 4, 1, 9, tzinfo=UTC), status="credited")
    await issue(service, datetime(2026, 5, 1, 9, tzinfo=UTC), customer=OTHER)

    assert ids(await listed(service, tokens)) == [credited_2026, open_2026, new_year, last_year]
    assert ids(await listed(service, tokens, year=2025)) == [last_year]
    assert ids(await listed(service, tokens, year=2026)) == [credited_2026, open_2026, new_year]
    assert ids(await listed(service, tokens, status="paid")) == [new_year, last_year]
    assert ids(await listed(service, tokens, year=2026, status="open")) == [open_2026]
    assert ids(await listed(service, tokens, status="credited")) == [credited_2026]
    assert (await listed(service, tokens, year=2024))["total"] == 0

    first = await listed(service, tokens, year=2026, limit=2)
    second = await listed(service, tokens, year=2026, limit=2, offset=2)
    assert (first["total"], second["total"]) == (3, 3)
    assert ids(first) + ids(second) == [credited_2026, open_2026, new_year]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "twenty"}, "query.year"),
        ({"year": 0}, "query.year"),
        ({"year": 10000}, "query.year"),
        ({"status": "overdue"}, "query.status"),
    ],
)
async def test_a_bad_filter_is_a_validation_problem(
    service: Harness, tokens: TokenFactory, params: dict[str, object], field: str
) -> None:
    response = await service.client.get("/v1/invoices", params=params, headers=tokens.headers(ME))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation"
    assert [e["field"] for e in body["errors"]] == [field]
