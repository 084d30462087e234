"""A move gives a contract a new supply address from the move-in day: invoices of later periods
print it, an invoice issued before keeps the old one, also downloaded after the move."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
from pypdf import PdfReader

from billing.app import create_app
from billing.db.tables import Base, ContractView, SupplyAddressChange
from billing.domain.invoice import InvoiceLine
from billing.domain.supply_address import document_day, supplied_on
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import ContractMoved

ME = "100200300"
START = NS(
    contract_number="100000001",
    commodity="electricity",
    start_date=date(2026, 1, 1),
    supply_street="Kerkstraat",
    supply_house_number=12,
    supply_house_number_addition=None,
    supply_postcode="3511AB",
    supply_city="Utrecht",
)


def change(day: date, street: str, postcode: str) -> NS:
    return NS(
        effective_from=day,
        street=street,
        house_number=3,
        house_number_addition=None,
        postcode=postcode,
        city="Groningen",
    )


def test_the_address_in_force_on_the_day_is_printed() -> None:
    changes = [change(date(2026, 11, 15), "Dorpsweg", "9711CD"), change(date(2027, 3, 1), "Markt", "9712AA")]
    assert supplied_on(START, changes, date(2026, 11, 14)) is START
    on_move_in = supplied_on(START, changes, date(2026, 11, 15))
    assert (on_move_in.supply_street, on_move_in.supply_postcode, on_move_in.supply_city) == (
        "Dorpsweg",
        "9711CD",
        "Groningen",
    )
    assert (on_move_in.contract_number, on_move_in.start_date) == ("100000001", date(2026, 1, 1))
    assert supplied_on(START, changes[::-1], date(2027, 6, 1)).supply_street == "Markt"
    assert document_day(NS(issue_date=date(2026, 12, 2), period_end=date(2026, 11, 30))) == date(2026, 11, 30)
    assert document_day(NS(issue_date=date(2026, 12, 2), period_end=None)) == date(2026, 12, 2)


@pytest.fixture
async def service(tmp_path: Path, tokens: TokenFactory, events: Any) -> AsyncIterator[Harness]:
    app = create_app(BillingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/billing.sqlite3"))
    tokens.install(app)
    async with service_under_test(app, Base.metadata) as harness:
        address = {"supply_street": "Kerkstraat", "supply_house_number": 12, "supply_postcode": "3511AB"}
        await harness.deliver(
            events.contract("C-1", customer=ME, **address, supply_city="Utrecht"), subject="C-1"
        )
        yield harness


async def issue(service: Harness, period_end: date) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind="advance",
            customer_number=ME,
            contract_id="C-1",
            lines=[InvoiceLine("advance", "Advance", Decimal(1), None, Decimal("80.00"), Decimal("0.21"))],
            period_start=period_end.replace(day=1),
            period_end=period_end,
            now=datetime(2026, 11, 24, 9, tzinfo=UTC),
        )
        await uow.commit()
    return invoice.id


async def printed(service: Harness, tokens: TokenFactory, invoice_id: str) -> str:
    response = await service.client.get(f"/v1/invoices/{invoice_id}/pdf", headers=tokens.headers(ME))
    assert response.status_code == 200, response.text
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages)


def moved(move_in: date) -> ContractMoved:
    return ContractMoved(
        contract_id="C-1",
        customer_number=ME,
        move_out_date=move_in,
        move_in_date=move_in,
        old_supply_postcode="3511AB",
        new_supply_postcode="9711CD",
        new_supply_street="Dorpsweg",
        new_supply_house_number=3,
        new_supply_city="Groningen",
    )


async def test_the_invoice_after_a_move_has_the_new_address_the_one_before_keeps_the_old(
    service: Harness, tokens: TokenFactory
) -> None:
    october = await issue(service, date(2026, 10, 31))
    envelope = await service.deliver(moved(date(2026, 11, 15)), subject="C-1")
    await service.redeliver(envelope, ContractMoved.topic())
    november = await issue(service, date(2026, 11, 30))

    assert "Kerkstraat 12" in (before := await printed(service, tokens, october))
    assert "Dorpsweg" not in before
    after = await printed(service, tokens, november)
    assert "Dorpsweg 3" in after and "9711 CD Groningen" in after and "Kerkstraat" not in after
    proof = await service.client.get("/v1/proof-of-address", headers=tokens.headers(ME))
    assert "Dorpsweg 3" in " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(proof.content)).pages
    )
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
        assert contract is not None and contract.supply_street == "Kerkstraat"  # as it started
        assert len((await session.scalars(SupplyAddressChange.__table__.select())).all()) == 1


async def test_a_move_that_arrives_before_its_contract_is_kept(
    service: Harness, tokens: TokenFactory
) -> None:
    await service.deliver(moved(date(2026, 11, 15)).model_copy(update={"contract_id": "C-9"}), subject="C-9")
    async with service.runtime.sessions() as session:
        row = await session.get(SupplyAddressChange, ("C-9", date(2026, 11, 15)))
        assert row is not None and row.postcode == "9711CD"
