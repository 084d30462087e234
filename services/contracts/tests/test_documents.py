"""The document mailbox: documents filed on conclusion and on a tariff switch, their PDFs and
who may read them (today is 2026-03-10)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from contracts.db.tables import Contract, Customer, Document
from contracts.domain.documents import Confirmation, Heading, PriceLine, Prices, filename, money, render
from contracts.settings import DEFAULT_CATALOGUE, ContractsSettings
from contracts.use_cases.contract_requests import confirm_requests
from contracts.use_cases.documents import confirmation_of
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import DocumentAvailable

from .conftest import NOW, TODAY, MakeContract

CUSTOMER = "100200300"
OTHER = "900800700"
REQUEST = {
    "commodity": "electricity",
    "product_code": "VAST-1JR",
    "ean": "871687140000000019",
    "capacity": "3x25A",
    "supply_address": {"street": "Kerkstraat", "house_number": 12, "postcode": "3511AB", "city": "Utrecht"},
}


@pytest.fixture
def settings(tmp_path: Path) -> ContractsSettings:
    return ContractsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/contracts.sqlite3", catalogue_file=DEFAULT_CATALOGUE
    )


def confirmation(language: str = "nl") -> Confirmation:
    return Confirmation(
        heading=Heading(language, "J. de Vries", CUSTOMER, "100000042", "electricity", "Vast 1 jaar"),
        concluded_on=date(2026, 3, 10),
        start_date=date(2026, 4, 9),
        price_guarantee_end=date(2027, 4, 8),
        withdrawal_days=14,
        withdrawal_last_day=date(2026, 3, 24),
        prices=Prices(
            on=date(2026, 3, 10),
            vat_rate=Decimal("0.21"),
            lines=(PriceLine("electricity_single", "kWh", Decimal("0.25"), Decimal("0.3025")),),
            fixed_costs_per_day_excl_vat=Decimal("0.2"),
            fixed_costs_per_day_incl_vat=Decimal("0.242"),
        ),
    )


def test_the_confirmation_pdf_names_the_contract_and_the_last_withdrawal_day() -> None:
    pdf = render(confirmation(), created_at=NOW, compress=False)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"100000042" in pdf
    assert b"24-03-2026" in pdf  # the last day to withdraw, written the Dutch way
    assert "€ 0,302500".encode("windows-1252") in pdf
    english = render(confirmation("en"), created_at=NOW, compress=False)
    assert b"2026-03-24" in english and b"Contract confirmation" in english
    assert render(confirmation(), created_at=NOW) == render(confirmation(), created_at=NOW)


def test_names_outside_the_pdf_fonts_print_rather_than_fail() -> None:
    content = confirmation()
    heading = Heading("nl", "Łukasz Żółw", CUSTOMER, "100000042", "electricity", "Vast 1 jaar")
    pdf = render(Confirmation(**{**content.__dict__, "heading": heading}), created_at=NOW, compress=False)
    assert b"?ukasz ?\xf3?w" in pdf


@pytest.mark.parametrize(
    ("amount", "language", "places", "text"),
    [
        (Decimal("1234.5"), "nl", 2, "€ 1.234,50"),
        (Decimal("1234.5"), "en", 2, "€1,234.50"),
        (Decimal("1234.5"), "de", 2, "1.234,50 €"),
        (Decimal("0.005"), "nl", 2, "€ 0,01"),  # half-up
        (Decimal("-3"), "en", 2, "-€3.00"),
        (Decimal("0.3139998"), "nl", 6, "€ 0,314000"),
    ],
)
def test_amounts_are_written_the_customers_way(
    amount: Decimal, language: str, places: int, text: str
) -> None:
    assert money(amount, language, places) == text


def test_download_names_are_safe() -> None:
    assert filename("tariff_sheet", "100000042", date(2026, 3, 10)) == "tariff-sheet-100000042-2026-03-10.pdf"
    assert filename('x"; evil\r\n/..', "1", date(2026, 3, 10)) == "x-evil-1-2026-03-10.pdf"


async def documents(service: Harness, contract_id: str) -> list[Document]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            sa.select(Document).where(Document.contract_id == contract_id).order_by(Document.kind)
        )
        return list(rows.all())


def announced(events: list[Any], contract_id: str) -> list[DocumentAvailable]:
    found = [DocumentAvailable.model_validate(e.data) for e in events]
    return [e for e in found if e.contract_id == contract_id]


async def confirm(service: Harness, settings: ContractsSettings, now: datetime = NOW) -> None:
    """The confirmation job, on the tests' day."""
    async with service.runtime.new_uow() as uow:
        await confirm_requests(uow, settings, today=TODAY, now=now)


async def test_a_confirmed_request_files_three_documents_and_announces_each(
    app: FastAPI,
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    settings: ContractsSettings,
) -> None:
    await make_contract()
    app.state.clock = lambda: NOW + timedelta(minutes=5)  # the request comes later: listed first
    headers = tokens.headers(CUSTOMER)
    made = await service.client.post("/v1/contract-requests", json=REQUEST, headers=headers)
    assert made.status_code == 201, made.text
    contract_id = made.json()["contract_id"]
    assert await documents(service, contract_id) == []  # filed once the request is confirmed
    await confirm(service, settings, NOW + timedelta(minutes=5))

    stored = await documents(service, contract_id)
    assert [d.kind for d in stored] == ["confirmation", "tariff_sheet", "technical_card"]
    events = announced(await service.outbox("DocumentAvailable"), contract_id)
    assert sorted(e.document_id for e in events) == sorted(d.id for d in stored)  # once per document
    assert all(e.customer_number == CUSTOMER for e in events)

    listed = await service.client.get("/v1/documents", headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 6  # three of the contract made by operations, three of the request
    assert {d["kind"] for d in body["items"][:3]} == {"confirmation", "tariff_sheet", "technical_card"}
    assert "content" not in body["items"][0]

    confirmation_doc = next(d for d in stored if d.kind == "confirmation")
    one = await service.client.get(f"/v1/documents/{confirmation_doc.id}", headers=headers)
    assert one.status_code == 200
    assert one.json()["title"].startswith("Contractbevestiging ")

    pdf = await service.client.get(f"/v1/documents/{confirmation_doc.id}/pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="confirmation-')
    assert pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.content).hexdigest() == one.json()["content_sha256"]
    assert len(pdf.content) == one.json()["size"]


async def test_what_the_confirmation_says(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, settings: ContractsSettings
) -> None:
    await make_contract()
    made = await service.client.post("/v1/contract-requests", json=REQUEST, headers=tokens.headers(CUSTOMER))
    await confirm(service, settings)
    async with service.runtime.new_uow() as uow:
        contract = await uow.session.get(Contract, made.json()["contract_id"])
        customer = await uow.session.get(Customer, CUSTOMER)
        assert contract is not None and customer is not None
        content = await confirmation_of(uow, contract, customer, withdrawal_days=14)
        assert content.heading.contract_number == contract.contract_number
        assert content.price_guarantee_end == contract.fixed_term_end == date(2027, 4, 8)
    assert content.withdrawal_last_day == date(2026, 3, 24)
    assert (content.heading.product_name, content.heading.customer_name) == ("Vast 1 jaar", "J. de Vries")
    assert content.prices is not None and content.prices.vat_rate == Decimal("0.21")
    for line in content.prices.lines:
        assert line.incl_vat == (line.excl_vat * Decimal("1.21")).quantize(Decimal("0.000001"))


async def test_a_contract_made_by_operations_files_its_documents(
    service: Harness, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(
        product_code="VAST-3JR", concluded_on=date(2026, 3, 1), start_date=date(2026, 4, 1)
    )
    stored = await documents(service, contract_id)
    assert [d.kind for d in stored] == ["confirmation", "tariff_sheet", "technical_card"]
    assert all(d.customer_number == CUSTOMER and d.size > 500 for d in stored)
    assert len(announced(await service.outbox("DocumentAvailable"), contract_id)) == 3


async def test_a_tariff_switch_files_a_new_tariff_sheet(
    app: FastAPI, service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(product_code="VARIABEL", fixed_term_end=None, commodity="gas")
    app.state.clock = lambda: NOW + timedelta(hours=1)  # the switch comes later the same day
    headers = tokens.headers(CUSTOMER)
    refused = await service.client.post(
        f"/v1/contracts/{contract_id}/tariff-switch",
        json={"product_code": "NOPE", "effective_date": "2026-04-01"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert len(await documents(service, contract_id)) == 3  # nothing filed

    switched = await service.client.post(
        f"/v1/contracts/{contract_id}/tariff-switch",
        json={"product_code": "VAST-1JR", "effective_date": "2026-04-01"},
        headers=headers,
    )
    assert switched.status_code == 201, switched.text
    sheets = [d for d in await documents(service, contract_id) if d.kind == "tariff_sheet"]
    assert len(sheets) == 2
    events = announced(await service.outbox("DocumentAvailable"), contract_id)
    assert len(events) == 4
    assert events[-1].kind == "tariff_sheet" and "Vast 1 jaar" in events[-1].title
    newest = (await service.client.get("/v1/documents?limit=1", headers=headers)).json()["items"]
    assert newest[0]["title"] == "Tarievenblad Vast 1 jaar (01-04-2026)"


async def test_someone_elses_document_is_not_found(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    await make_contract(OTHER)
    [document, *_] = await documents(service, contract_id)
    other = tokens.headers(OTHER)
    for path in (
        f"/v1/documents/{document.id}",
        f"/v1/documents/{document.id}/pdf",
        "/v1/documents/nope/pdf",
    ):
        response = await service.client.get(path, headers=other)
        assert response.status_code == 404, path
        assert response.json()["type"].endswith("document-not-found")
    listed = (await service.client.get("/v1/documents", headers=other)).json()
    assert listed["total"] == 3 and document.id not in {d["id"] for d in listed["items"]}
    assert (await service.client.get("/v1/documents")).status_code == 401


async def test_created_at_is_the_moment_of_filing(service: Harness, make_contract: MakeContract) -> None:
    contract_id = await make_contract()
    assert {d.created_at for d in await documents(service, contract_id)} == {NOW}
    assert NOW.tzinfo is UTC and datetime(2026, 3, 9, tzinfo=UTC) < NOW
