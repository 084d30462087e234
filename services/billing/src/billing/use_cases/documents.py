"""Documents a customer downloads: an invoice as PDF (Factur-X for an e-invoice) and a proof of
address from the latest invoice.

The name and IBAN are opened with the event sealing key only to print them; without the key
(or with a value it cannot open) the document shows the customer number instead of the name
and asks for a transfer. Rendering is CPU work: it runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from billing.db.repositories import ContractViews, Customers, InvoiceDocuments, SupplyAddressChanges
from billing.db.tables import ContractView
from billing.domain.invoice_document import (
    ContractFacts,
    Supplier,
    invoice_document,
    invoice_filename,
    proof_of_address,
    proof_of_address_filename,
)
from billing.domain.supply_address import document_day, supplied_on
from billing.rendering.facturx import render_invoice_file
from billing.rendering.pdf import render_proof_of_address
from billing.settings import BillingSettings
from billing.use_cases.invoices import get_invoice
from portal_chassis.calendar import calendar_day
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer, SealingError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


def supplier_of(settings: BillingSettings) -> Supplier:
    return Supplier(
        name=settings.supplier_name,
        street=settings.supplier_street,
        postcode=settings.supplier_postcode,
        city=settings.supplier_city,
        country=settings.supplier_country,
        vat_number=settings.supplier_vat_number,
        coc_number=settings.supplier_coc_number,
        iban=settings.supplier_iban,
        bic=settings.supplier_bic,
        creditor_id=settings.creditor_id,
    )


def _sealer(settings: BillingSettings) -> Sealer | None:
    key = settings.event_sealing_key
    try:
        return None if key is None else Sealer(key.get_secret_value())
    except SealingError:
        log.warning("the event sealing key is not a valid key; documents go without names")
        return None


def _opened(sealer: Sealer | None, sealed: str | None, what: str) -> str | None:
    if sealer is None or sealed is None:
        return None
    try:
        return sealer.open(sealed)
    except SealingError:
        log.warning("a sealed customer value cannot be opened with this key", field=what)
        return None


async def _supplied_on(uow: UnitOfWork, contract: ContractView, day: date) -> ContractFacts:
    return supplied_on(contract, await SupplyAddressChanges(uow.session).history(contract.contract_id), day)


async def invoice_pdf(
    uow: UnitOfWork, settings: BillingSettings, customer_number: str, invoice_id: str
) -> tuple[str, bytes]:
    """The file name and PDF of one of the customer's invoices (404 as for an unknown one)."""
    invoice = await get_invoice(uow, customer_number, invoice_id)
    customer = await Customers(uow.session).get(customer_number)
    contract = (
        None if invoice.contract_id is None else await ContractViews(uow.session).get(invoice.contract_id)
    )
    supplied = None if contract is None else await _supplied_on(uow, contract, document_day(invoice))
    documents = InvoiceDocuments(uow.session)
    credits = (
        None if invoice.credits_invoice_id is None else await documents.number_of(invoice.credits_invoice_id)
    )
    sealer = _sealer(settings)
    document = invoice_document(
        invoice,
        customer,
        supplied,
        supplier_of(settings),
        customer_name=None if customer is None else _opened(sealer, customer.sealed_name, "name"),
        iban=None if customer is None else _opened(sealer, customer.sealed_iban, "iban"),
        credits_number=credits,
    )
    content = await asyncio.to_thread(render_invoice_file, document, created_at=invoice.issued_at)
    return invoice_filename(invoice.number), content


async def proof_of_address_pdf(
    uow: UnitOfWork,
    settings: BillingSettings,
    customer_number: str,
    *,
    contract_id: str | None,
    now: datetime,
) -> tuple[str, bytes]:
    """A proof of address from the customer's latest invoice (of ``contract_id`` when given),
    dated today."""
    today = calendar_day(now, settings.zone)
    found = await InvoiceDocuments(uow.session).latest_with_contract(customer_number, contract_id)
    if found is None:
        raise ProblemError(
            404,
            "proof-of-address-unavailable",
            "There is no invoice yet to base a proof of address on"
            + ("." if contract_id is None else " for this contract."),
        )
    invoice, contract = found
    customer = await Customers(uow.session).get(customer_number)
    name = None if customer is None else _opened(_sealer(settings), customer.sealed_name, "name")
    supplied = await _supplied_on(uow, contract, document_day(invoice))
    proof = proof_of_address(
        invoice, customer, supplied, supplier_of(settings), customer_name=name, today=today
    )
    if proof is None:
        raise ProblemError(
            404, "proof-of-address-unavailable", "The supply address of this contract is not known yet."
        )
    content = await asyncio.to_thread(render_proof_of_address, proof, created_at=now)
    return proof_of_address_filename(today), content
