"""Invoice documents on the whole stack: a final invoice downloaded as PDF through the gateway,
an e-invoice as Factur-X with its XML, the proof of address, the invoice list's filters and the
retention purge as operations run it."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import facturx
import httpx
from lxml import etree
from pypdf import PdfReader

from portal_schemas.contracts import (
    ContractAmended,
    ContractCreated,
    ContractOptions,
    ContractTerminated,
)
from portal_schemas.metering import MeterReadingReceived

CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def text_of(pdf: bytes) -> str:
    """The pages' text with every run of white space as one space."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def euro(amount: str) -> str:
    """Dutch notation, as the PDF prints it: 1234.50 -> € 1.234,50."""
    value = Decimal(amount)
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    return ("-" if value < 0 else "") + f"€ {int(whole):,}".replace(",", ".") + f",{cents}"


def terminate(kafka: Any, customer_number: str, contract_id: str, end_date: date) -> None:
    """ContractTerminated as contracts announces it: a 76.69 fee (63.38 + 21 % VAT)."""
    kafka.publish_event(
        ContractTerminated(
            contract_id=contract_id,
            customer_number=customer_number,
            end_date=end_date,
            reason="move",
            termination_fee=Decimal("76.69"),
            termination_fee_excl_vat=Decimal("63.38"),
            termination_fee_vat_rate=Decimal("0.21"),
        ),
        contract_id,
        "contracts",
    )


def invoices(gateway: httpx.Client, auth: dict[str, str], **params: Any) -> dict[str, Any]:
    response = gateway.get("/billing/v1/invoices", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def the_invoice(gateway: httpx.Client, auth: dict[str, str], helpers: Any) -> dict[str, Any]:
    [summary] = helpers.eventually(lambda: invoices(gateway, auth)["items"], timeout=30)
    detail = gateway.get(f"/billing/v1/invoices/{summary['id']}", headers=auth)
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


def pdf_of(gateway: httpx.Client, auth: dict[str, str], invoice: dict[str, Any]) -> bytes:
    response = gateway.get(f"/billing/v1/invoices/{invoice['id']}/pdf", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert (
        response.headers["content-disposition"] == f'attachment; filename="invoice-{invoice["number"]}.pdf"'
    )
    return response.content


def test_a_final_invoice_as_pdf_the_proof_of_address_and_the_filters(
    gateway: httpx.Client, kafka: Any, helpers: Any, customer: Any, new_customer: Any
) -> None:
    """The customer's own contract (concluded through contracts' CLI at 1234AB, from
    2026-01-01) ends on 2026-06-30; its final reading is in, so billing settles it at once."""
    auth = helpers.log_in(gateway, customer.email, customer.password)
    nothing_yet = gateway.get("/billing/v1/proof-of-address", headers=auth)
    assert nothing_yet.status_code == 404
    assert nothing_yet.json()["type"] == "/problems/proof-of-address-unavailable"

    # Billing knows the contract (and, from contracts' CustomerDetailsChanged, the name).
    kafka.wait_until_handled(ContractCreated.topic(), customer.contract_id, "billing.contract-view")
    meter = f"M-{uuid.uuid4().hex[:10]}"
    for value, read_at, final in (
        ("1000", datetime(2026, 1, 1, 8, tzinfo=UTC), False),
        ("2200", datetime(2026, 6, 30, 18, tzinfo=UTC), True),
    ):
        kafka.publish_event(
            MeterReadingReceived(
                reading_id=str(uuid.uuid4()),
                meter_id=meter,
                customer_number=customer.customer_number,
                contract_id=customer.contract_id,
                register_type="electricity_single",
                value=Decimal(value),
                unit="kWh",
                read_at=read_at,
                source="customer",
                quality="actual",
                final=final,
            ),
            meter,
            "metering",
        )
    kafka.wait_until_handled(MeterReadingReceived.topic(), meter, "billing.reading-view")
    terminate(kafka, customer.customer_number, customer.contract_id, date(2026, 6, 30))
    invoice = the_invoice(gateway, auth, helpers)
    assert (invoice["kind"], invoice["contract_id"]) == ("final_settlement", customer.contract_id)

    text = text_of(pdf_of(gateway, auth, invoice))
    assert f"Eindafrekening {invoice['number']}" in text
    assert "Test Klant" in text  # the name, sealed by contracts, opened by billing
    assert "1234 AB" in text  # the supply address
    assert "Portal Energie B.V." in text
    assert "01-01-2026 t/m 30-06-2026" in text
    for line in invoice["lines"]:
        assert line["description"] in text
        assert euro(line["amount_excl_vat"]) in text
    assert f"Totaal incl. btw {euro(invoice['total_incl_vat'])}" in text
    assert f"onder vermelding van factuurnummer {invoice['number']}" in text

    # Someone else cannot download it, nor tell it from an unknown one.
    other = new_customer()
    other_auth = helpers.log_in(gateway, other.email, other.password)
    theirs = gateway.get(f"/billing/v1/invoices/{invoice['id']}/pdf", headers=other_auth)
    missing = gateway.get(f"/billing/v1/invoices/{uuid.uuid4()}/pdf", headers=other_auth)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["type"] == "/problems/invoice-not-found"
    assert theirs.json()["detail"] == missing.json()["detail"]

    proof = gateway.get("/billing/v1/proof-of-address", headers=auth)
    assert proof.status_code == 200, proof.text
    assert proof.headers["content-type"] == "application/pdf"
    proof_text = text_of(proof.content)
    assert "Adresbewijs" in proof_text and "Test Klant" in proof_text and "1234 AB" in proof_text
    assert f"{invoice['number']} van " in proof_text
    chosen = gateway.get(
        "/billing/v1/proof-of-address", params={"contract_id": customer.contract_id}, headers=auth
    )
    assert chosen.status_code == 200
    not_mine = gateway.get(
        "/billing/v1/proof-of-address", params={"contract_id": customer.contract_id}, headers=other_auth
    )
    assert not_mine.status_code == 404

    issued_in = int(invoice["issue_date"][:4])
    assert [i["id"] for i in invoices(gateway, auth, year=issued_in, status="open")["items"]] == [
        invoice["id"]
    ]
    assert invoices(gateway, auth, year=issued_in - 1)["total"] == 0
    assert invoices(gateway, auth, status="paid")["total"] == 0
    bad = gateway.get("/billing/v1/invoices", params={"status": "overdue", "year": "soon"}, headers=auth)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"query.status", "query.year"}


def test_an_e_invoice_is_a_factur_x_pdf(
    gateway: httpx.Client, kafka: Any, helpers: Any, customer: Any
) -> None:
    """An older contract of the customer, one billing never saw concluded (its history predates
    billing), with the e-invoice option: its final invoice (the fee alone, issued at once) is a
    Factur-X PDF/A-3 whose embedded XML has the invoice's totals."""
    auth = helpers.log_in(gateway, customer.email, customer.password)
    contract_id = f"legacy-{uuid.uuid4()}"
    kafka.publish_event(
        ContractAmended(
            contract_id=contract_id,
            customer_number=customer.customer_number,
            commodity="electricity",
            change="options",
            effective_from=date(2025, 1, 1),
            product_code="VAST-3JR",
            options=ContractOptions(e_invoice=True),
        ),
        contract_id,
        "contracts",
    )
    kafka.wait_until_handled(ContractAmended.topic(), contract_id, "billing.contract-products")
    terminate(kafka, customer.customer_number, contract_id, date(2026, 12, 31))
    invoice = the_invoice(gateway, auth, helpers)
    assert invoice["total_incl_vat"] == "76.69"

    pdf = pdf_of(gateway, auth, invoice)
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert facturx.get_level(root, "factur-x") == "en16931"

    def value(tag: str) -> str:
        return str(
            root.xpath(
                f"string(//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{tag})", namespaces=CII
            )
        )

    assert value("LineTotalAmount") == invoice["total_excl_vat"] == "63.38"
    assert value("TaxTotalAmount") == invoice["vat_total"] == "13.31"
    assert value("GrandTotalAmount") == value("DuePayableAmount") == invoice["total_incl_vat"]
    reader = PdfReader(io.BytesIO(pdf))
    assert "/OutputIntents" in reader.trailer["/Root"]  # PDF/A
    assert f"Totaal incl. btw {euro('76.69')}" in text_of(pdf)


def test_the_retention_purge_runs_and_keeps_what_is_young(cli: Any) -> None:
    """The invoices of this run are all young: the purge (run twice, as the daily job may be)
    removes nothing of them. (Removal itself is covered by billing's unit tests.)"""
    today = datetime.now(UTC).date().isoformat()
    for _ in range(2):
        summary = json.loads(cli("billing", "purge-documents", "--today", today))
        assert summary["today"] == today
        assert summary["invoices_purged"] == 0
        assert summary["issued_before"] < "2020-01-01"
