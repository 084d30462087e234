"""Invoice PDFs, Factur-X e-invoices and the proof of address.

The invoice used throughout (issued 2026-11-02 09:00 UTC, due 14 days later), worked out:

    1  Electricity normal   1194.5 kWh x 0.30   = 358.35   21 %
    2  Electricity off-peak  800   kWh x 0.28   = 224.00   21 %
    3  Fixed costs           304   day x 0.25   =  76.00   21 %
    4  Feed-in              -300   kWh x 0.30   = -90.00   21 %
    5  Termination fee         1       x 63.38  =  63.38   21 %
    6  Advances deducted       1       x -500   = -500.00   0 %

    VAT 21 %: base 358.35 + 224.00 + 76.00 - 90.00 + 63.38 = 631.73, VAT 132.6633 -> 132.66
    VAT  0 %: base -500.00, VAT 0.00
    excl. VAT 631.73 - 500.00 = 131.73; VAT 132.66; incl. VAT 131.73 + 132.66 = 264.39
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.api.deps import get_now
from billing.app import create_app
from billing.db.tables import Base
from billing.domain.e_invoice import NAMESPACES, cii_xml
from billing.domain.invoice import InvoiceKind, InvoiceLine
from billing.domain.invoice_document import (
    Supplier,
    invoice_document,
    invoice_filename,
    masked_iban,
    payment_instruction,
    postal_address,
)
from billing.rendering.facturx import render_invoice_file
from billing.rendering.pdf import render_invoice
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import (
    ContractAmended,
    ContractOptions,
    CustomerDetailsChanged,
    CustomerRegistered,
)

ME, OTHER = "100200300", "999888777"
KEY = Sealer.new_key()
ISSUED = datetime(2026, 11, 2, 9, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


def line(kind: Any, description: str, quantity: str, unit: str | None, price: str, rate: str) -> InvoiceLine:
    return InvoiceLine(kind, description, Decimal(quantity), unit, Decimal(price), Decimal(rate))


LINES = [
    line("consumption", "Electricity normal, meter index 100 to 1294.5", "1194.5", "kWh", "0.30", "0.21"),
    line("consumption", "Electricity off-peak, meter index 50 to 850", "800", "kWh", "0.28", "0.21"),
    line("fixed_costs", "Fixed delivery costs, 304 days", "304", "day", "0.25", "0.21"),
    line("feed_in", "Feed-in, netted", "-300", "kWh", "0.30", "0.21"),
    line("termination_fee", "Termination fee", "1", None, "63.38", "0.21"),
    line("advances_deducted", "Advances invoiced for the period", "1", None, "-500.00", "0"),
]


@pytest.fixture
def settings(tmp_path: Path) -> BillingSettings:
    return BillingSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/billing.sqlite3",
        event_sealing_key=KEY,
        payment_term_days=14,
    )


@pytest.fixture
async def service(settings: BillingSettings, tokens: TokenFactory, events: Any) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    app.dependency_overrides[get_now] = lambda: NOW
    address = {
        "supply_street": "Kerkstraat",
        "supply_house_number": 12,
        "supply_house_number_addition": "bis",
        "supply_postcode": "3511AB",
        "supply_city": "Utrecht",
    }
    async with service_under_test(app, Base.metadata) as harness:
        await harness.deliver(
            events.contract("C-1", customer=ME, contract_number="100000001", **address), subject="C-1"
        )
        await harness.deliver(
            events.contract("C-2", customer=OTHER, contract_number="100000002", **address), subject="C-2"
        )
        await harness.deliver(details(ME, "Zoë de Vries"), subject=ME)
        yield harness


def details(customer: str, name: str | None, **change: Any) -> CustomerDetailsChanged:
    sealer = Sealer(KEY)
    return CustomerDetailsChanged(
        customer_number=customer,
        payment_method=change.pop("payment_method", "transfer"),
        sealed_name=None if name is None else sealer.seal(name),
        **change,
    )


async def issue(
    service: Harness,
    *,
    customer: str = ME,
    contract_id: str = "C-1",
    kind: InvoiceKind = "final_settlement",
    lines: list[InvoiceLine] | None = None,
    at: datetime = ISSUED,
    credits: str | None = None,
) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind=kind,
            customer_number=customer,
            contract_id=contract_id,
            lines=LINES if lines is None else lines,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 10, 31),
            credits_invoice_id=credits,
            now=at,
        )
        await uow.commit()
    return invoice.id


def text_of(pdf: bytes) -> str:
    """The pages' text with every run of white space (line breaks too) as one space."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


async def download(service: Harness, tokens: TokenFactory, invoice_id: str, customer: str = ME) -> Any:
    return await service.client.get(f"/v1/invoices/{invoice_id}/pdf", headers=tokens.headers(customer))


async def test_the_invoice_pdf_has_supplier_customer_lines_vat_totals_and_how_to_pay(
    service: Harness, tokens: TokenFactory
) -> None:
    invoice_id = await issue(service)
    response = await download(service, tokens, invoice_id)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="invoice-F2026-000001.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = text_of(response.content)
    # Dutch: the customer's language by default. The name was unsealed for the page.
    assert "Eindafrekening F2026-000001" in text
    assert "Zoë de Vries" in text
    assert "Kerkstraat 12 bis" in text and "3511 AB Utrecht" in text
    assert "Portal Energie B.V." in text and "NL001234567B01" in text
    assert "Contractnummer 100000001" in text
    assert "Factuurdatum 02-11-2026" in text and "Vervaldatum 16-11-2026" in text
    assert "01-01-2026 t/m 31-10-2026" in text
    for issued in LINES:
        assert issued.description in text
    assert "1.194,5 kWh € 0,30 21% € 358,35" in text
    assert "-300 kWh € 0,30 21% -€ 90,00" in text
    assert "0% -€ 500,00 € 0,00" in text  # VAT per rate: rate, base, VAT
    assert "21% € 631,73 € 132,66" in text
    assert "Totaal excl. btw € 131,73" in text
    assert "Totaal incl. btw € 264,39" in text
    # No direct debit: a transfer to the supplier's account quoting the number.
    assert "Maak € 264,39 uiterlijk 16-11-2026 over naar NL91ABNA0417164300" in text
    assert "factuurnummer F2026-000001" in text
    # A plain PDF: nothing attached.
    assert PdfReader(io.BytesIO(response.content)).attachments == {}
    again = await download(service, tokens, invoice_id)
    assert again.content == response.content  # the same invoice gives the same bytes


async def test_direct_debit_shows_the_account_masked_and_english_customers_read_english(
    service: Harness, tokens: TokenFactory
) -> None:
    await service.deliver(
        details(
            ME,
            "Zoë de Vries",
            payment_method="direct_debit",
            sealed_iban=Sealer(KEY).seal("NL02RABO0123456789"),
        ),
        subject=ME,
    )
    await service.deliver(
        CustomerRegistered(customer_number=ME, segment="private", language="en"), subject=ME
    )
    text = text_of((await download(service, tokens, await issue(service))).content)
    assert "Final invoice F2026-000001" in text
    assert "Total incl. VAT €264.39" in text
    assert "We collect €264.39 from your account NL02 **** 6789 on or after 2026-11-16" in text
    assert "NL02RABO0123456789" not in text


async def test_without_a_known_name_the_customer_number_is_printed(
    service: Harness, tokens: TokenFactory
) -> None:
    invoice_id = await issue(service, customer=OTHER, contract_id="C-2")
    text = text_of((await download(service, tokens, invoice_id, customer=OTHER)).content)
    assert f"Klant {OTHER}" in text


async def test_someone_elses_invoice_pdf_is_not_found(service: Harness, tokens: TokenFactory) -> None:
    theirs = await issue(service, customer=OTHER, contract_id="C-2")
    response = await download(service, tokens, theirs)
    missing = await download(service, tokens, "no-such-invoice")
    assert response.status_code == missing.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/invoice-not-found"
    assert response.json()["detail"] == missing.json()["detail"]
    assert (await service.client.get(f"/v1/invoices/{theirs}/pdf")).status_code == 401


async def test_an_e_invoice_is_factur_x_with_its_xml_embedded(service: Harness, tokens: TokenFactory) -> None:
    await service.deliver(
        ContractAmended(
            contract_id="C-1",
            customer_number=ME,
            commodity="electricity",
            change="options",
            effective_from=date(2026, 10, 1),
            product_code="FIXED-3Y",
            options=ContractOptions(e_invoice=True),
        ),
        subject="C-1",
    )
    pdf = (await download(service, tokens, await issue(service))).content

    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert facturx.get_level(root, "factur-x") == "en16931"

    def value(path: str) -> str:
        [found] = root.xpath(path, namespaces=NAMESPACES)
        return str(found.text)

    settlement = "//ram:ApplicableHeaderTradeSettlement"
    totals = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert value("//rsm:ExchangedDocument/ram:ID") == "F2026-000001"
    assert value("//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert value(f"{totals}/ram:LineTotalAmount") == "131.73"
    assert value(f"{totals}/ram:TaxTotalAmount") == "132.66"
    assert value(f"{totals}/ram:GrandTotalAmount") == "264.39"
    assert value(f"{totals}/ram:DuePayableAmount") == "264.39"
    assert [
        t.text
        for t in root.xpath(
            f"{settlement}/ram:ApplicableTradeTax/ram:CalculatedAmount", namespaces=NAMESPACES
        )
    ] == ["0.00", "132.66"]
    assert value("//ram:BuyerTradeParty/ram:Name") == "Zoë de Vries"
    assert value("//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:LineOne") == "Kerkstraat 12 bis"
    assert value(f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    # The deducted advances: a price is never negative in EN 16931, so the sign moves to the quantity.
    [advances] = [
        i
        for i in root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NAMESPACES)
        if i.xpath("string(.//ram:LineID)", namespaces=NAMESPACES) == "6"
    ]
    assert advances.xpath("string(.//ram:ChargeAmount)", namespaces=NAMESPACES) == "500"
    assert advances.xpath("string(.//ram:BilledQuantity)", namespaces=NAMESPACES) == "-1"
    assert advances.xpath("string(.//ram:LineTotalAmount)", namespaces=NAMESPACES) == "-500.00"

    # PDF/A-3: an output intent, the XML as an associated file, every font embedded.
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert "/OutputIntents" in catalog and "/AF" in catalog
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]
    assert "Totaal incl. btw € 264,39" in text_of(pdf)
    assert "factur-x.xml" in text_of(pdf)


SUPPLIER = Supplier(
    "Portal Energie B.V.", "Stationsplein 1", "3511 ED", "Utrecht", "NL", "NL001234567B01",
    "12345678", "NL91ABNA0417164300", "ABNANL2A", "NL69ZZZ123456780000",
)  # fmt: skip


def test_a_credit_note_e_invoice_is_type_381_with_its_amounts_positive() -> None:
    # The lines of the invoice above, reversed: amounts -358.35, ... and +500.00 for the advances.
    lines = [
        NS(position=n, **{**vars(x), "quantity": -x.quantity}, amount_excl_vat=-x.amount_excl_vat)
        for n, x in enumerate(LINES, start=1)
    ]
    invoice = NS(
        number="C2026-000001", kind="credit_note", status="open", customer_number=ME,
        issue_date=date(2026, 11, 20), due_date=date(2026, 12, 4), period_start=None, period_end=None,
        total_excl_vat=Decimal("-131.73"), vat_total=Decimal("-132.66"), total_incl_vat=Decimal("-264.39"),
        open_amount=Decimal("-264.39"), currency="EUR", estimated=False, e_invoice=True, lines=lines,
        vat=[NS(rate=Decimal(0), base=Decimal("500.00"), vat=Decimal("0.00")),
             NS(rate=Decimal("0.21"), base=Decimal("-631.73"), vat=Decimal("-132.66"))],
    )  # fmt: skip
    document = invoice_document(
        invoice, None, None, SUPPLIER, customer_name=None, iban=None, credits_number="F2026-000001"
    )
    assert document.payment.kind == "credit"
    xml = cii_xml(document)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert root.xpath("string(//rsm:ExchangedDocument/ram:TypeCode)", namespaces=NAMESPACES) == "381"
    assert root.xpath("string(//ram:GrandTotalAmount)", namespaces=NAMESPACES) == "264.39"
    assert root.xpath(
        "string(//ram:InvoiceReferencedDocument/ram:IssuerAssignedID)", namespaces=NAMESPACES
    ) == ("F2026-000001")
    assert root.xpath("string(//ram:BuyerTradeParty/ram:Name)", namespaces=NAMESPACES) == f"Customer {ME}"
    # No payment means on a credit: nothing is to be paid to the supplier.
    assert root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NAMESPACES) == []


def test_characters_xml_cannot_hold_are_left_out_of_an_e_invoice() -> None:
    # A control character in a stored text (a line, the name, the address) made the XML
    # unreadable and the download fail; other scripts and signs stay as they are.
    lines = [
        NS(
            position=1,
            description="Fee\x01 for Zoë 電力",
            quantity=Decimal(1),
            unit=None,
            unit_price=Decimal("10.00"),
            vat_rate=Decimal("0.21"),
            amount_excl_vat=Decimal("10.00"),
        )
    ]
    invoice = NS(
        number="F2026-000010", kind="final_settlement", status="open", customer_number=ME,
        issue_date=date(2026, 11, 2), due_date=date(2026, 11, 16), period_start=None, period_end=None,
        total_excl_vat=Decimal("10.00"), vat_total=Decimal("2.10"), total_incl_vat=Decimal("12.10"),
        open_amount=Decimal("12.10"), currency="EUR", estimated=False, e_invoice=True, lines=lines,
        vat=[NS(rate=Decimal("0.21"), base=Decimal("10.00"), vat=Decimal("2.10"))],
    )  # fmt: skip
    contract = NS(
        contract_number=None, commodity="electricity", start_date=date(2026, 1, 1),
        supply_street="Kerk\x02straat", supply_house_number=12, supply_house_number_addition=None,
        supply_postcode="3511AB", supply_city="Utrecht\x1f",
    )  # fmt: skip
    document = invoice_document(invoice, None, contract, SUPPLIER, customer_name="Zoë\x0b", iban=None)

    pdf = render_invoice_file(document, created_at=ISSUED)

    _, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert (
        root.xpath("string(//ram:SpecifiedTradeProduct/ram:Name)", namespaces=NAMESPACES)
        == "Fee for Zoë 電力"
    )
    assert root.xpath("string(//ram:BuyerTradeParty/ram:Name)", namespaces=NAMESPACES) == "Zoë"
    assert root.xpath("string(//ram:ShipToTradeParty//ram:LineOne)", namespaces=NAMESPACES) == "Kerkstraat 12"
    assert root.xpath("string(//ram:ShipToTradeParty//ram:CityName)", namespaces=NAMESPACES) == "Utrecht"


@pytest.mark.parametrize(
    ("total", "status", "method", "iban", "kind"),
    [
        ("0.00", "paid", "transfer", None, "nothing_to_pay"),
        ("-12.10", "open", "direct_debit", "NL91ABNA0417164300", "credit"),
        ("12.10", "credited", "transfer", None, "credited"),
        ("12.10", "paid", "direct_debit", "NL91ABNA0417164300", "paid"),
        ("12.10", "open", "direct_debit", "NL91ABNA0417164300", "direct_debit"),
        ("12.10", "open", "direct_debit", None, "transfer"),  # no IBAN to collect from
        ("12.10", "open", "transfer", "NL91ABNA0417164300", "transfer"),
    ],
)
def test_how_an_invoice_is_paid(total: str, status: str, method: str, iban: str | None, kind: str) -> None:
    instruction = payment_instruction(
        total=Decimal(total),
        status=status,
        due_date=date(2026, 11, 16),
        number="F2026-000001",
        payment_method=method,
        iban=iban,
        mandate_reference="M-1",
    )
    assert instruction.kind == kind
    assert instruction.amount == abs(Decimal(total))


def test_addresses_iban_and_file_names() -> None:
    assert masked_iban("NL91ABNA0417164300") == "NL91 **** 4300"
    full = postal_address("Kerkstraat", 12, "bis", "3511AB", "Utrecht")
    assert full is not None and full.lines == ("Kerkstraat 12 bis", "3511 AB Utrecht")
    only_postcode = postal_address(None, None, None, "1234AB", None)
    assert only_postcode is not None and only_postcode.lines == ("1234 AB",)
    assert postal_address(None, None, None, None, None) is None
    assert invoice_filename("F2026-000001") == "invoice-F2026-000001.pdf"
    assert invoice_filename('x"; evil=1') == "invoice-x-evil-1.pdf"


async def test_a_proof_of_address_from_the_latest_invoice(service: Harness, tokens: TokenFactory) -> None:
    none_yet = await service.client.get("/v1/proof-of-address", headers=tokens.headers(ME))
    assert none_yet.status_code == 404
    assert none_yet.json()["type"] == "/problems/proof-of-address-unavailable"

    await issue(service)
    response = await service.client.get("/v1/proof-of-address", headers=tokens.headers(ME))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="proof-of-address-2026-11-24.pdf"'
    text = text_of(response.content)
    assert "Adresbewijs" in text
    assert "Zoë de Vries" in text
    assert "Kerkstraat 12 bis" in text and "3511 AB Utrecht" in text
    assert "Portal Energie B.V." in text
    assert "Datum 24-11-2026" in text
    assert "F2026-000001 van 02-11-2026" in text

    chosen = await service.client.get(
        "/v1/proof-of-address", params={"contract_id": "C-1"}, headers=tokens.headers(ME)
    )
    assert chosen.status_code == 200
    # Someone else's contract answers like one without invoices: nothing to tell them apart.
    theirs = await service.client.get(
        "/v1/proof-of-address", params={"contract_id": "C-2"}, headers=tokens.headers(ME)
    )
    unknown = await service.client.get(
        "/v1/proof-of-address", params={"contract_id": "C-9"}, headers=tokens.headers(ME)
    )
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    bad = await service.client.get(
        "/v1/proof-of-address", params={"contract_id": ""}, headers=tokens.headers(ME)
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.contract_id"


def test_a_long_description_wraps_within_its_column_and_a_long_invoice_takes_more_pages() -> None:
    long = "Electricity normal, meter 871687120000012345, index 123456.789 to 234567.891, estimated"
    lines = [NS(position=n, description=long if n == 1 else f"Line {n}", quantity=Decimal(1), unit=None,
                unit_price=Decimal("1.00"), vat_rate=Decimal("0.21"), amount_excl_vat=Decimal("1.00"))
             for n in range(1, 61)]  # fmt: skip
    invoice = NS(
        number="F2026-000009", kind="final_settlement", status="open", customer_number=ME,
        issue_date=date(2026, 11, 2), due_date=date(2026, 11, 16), period_start=None, period_end=None,
        total_excl_vat=Decimal("60.00"), vat_total=Decimal("12.60"), total_incl_vat=Decimal("72.60"),
        open_amount=Decimal("72.60"), currency="EUR", estimated=False, e_invoice=False, lines=lines,
        vat=[NS(rate=Decimal("0.21"), base=Decimal("60.00"), vat=Decimal("12.60"))],
    )  # fmt: skip
    document = invoice_document(invoice, None, None, SUPPLIER, customer_name=None, iban=None)
    pdf = render_invoice(document, created_at=ISSUED)
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) > 1
    # The table's heading again on the next page.
    assert all("Omschrijving Aantal Eenheid Prijs Btw Bedrag" in page for page in pages[:2])
    text = text_of(pdf)
    assert long in text  # on two lines of its cell, read back in order
    assert "Line 60" in text and "Totaal incl. btw € 72,60" in text
