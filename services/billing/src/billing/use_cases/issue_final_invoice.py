"""Final settlement: when a contract ends, one final invoice for it.

Called from the ContractTerminated consumer, inside its unit of work (the consumer commits,
together with the inbox claim, the invoice, its number and the InvoiceIssued outbox row).

Simple for now, and what later issues change:
- energy is priced with the placeholder tariff from settings; real tariffs will come from the
  contracts' events;
- the settlement uses the readings billing holds when the event arrives. Metering takes the
  final reading in reaction to the same event, so a later issue waits for it (or estimates);
- advances already paid are not yet deducted.

A termination with a provisional fee (``fee_is_final`` false: a switch notice named the
intended end date) issues nothing yet: billing records the end date and waits for the final
announcement, which contracts sends when the contract has really ended and carries the fee
the final invoice must show.

A contract billing never heard of (its ContractCreated was lost to a retention limit, or came
before billing existed) still gets its final invoice: the termination fee is owed whatever
billing knows, and readings that carry the contract id are still settled (with no start date
to bound them).
"""

from __future__ import annotations

from datetime import datetime

from billing.db.repositories import ContractViews, Invoices, ReadingViews
from billing.domain.invoice import Invoice, InvoiceKind
from billing.domain.settlement import (
    final_settlement_lines,
    register_usage,
    settlement_window,
    termination_fee_of,
)
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractTerminated

log = get_logger(__name__)

KIND: InvoiceKind = "final_settlement"


async def issue_final_invoice(
    uow: UnitOfWork,
    settings: BillingSettings,
    termination: ContractTerminated,
    *,
    now: datetime | None = None,
) -> Invoice | None:
    """Issue the final invoice; None when the contract already has one (a repeated event) or
    the fee is still provisional."""
    invoices = Invoices(uow.session)
    contract_id = termination.contract_id
    if await invoices.final_settlement_of(contract_id) is not None:
        # The inbox stops the same event twice; this stops the same termination announced
        # again under a new event id (a replay by the producer), and a provisional one
        # arriving after the final one: the settled end date stands.
        log.info("final settlement already issued", contract_id=contract_id)
        return None

    contract = await ContractViews(uow.session).get(contract_id)
    if contract is not None:
        contract.end_date = termination.end_date
    if not termination.fee_is_final:
        log.info(
            "termination announced with a provisional fee; waiting for the final one", contract_id=contract_id
        )
        return None

    start = contract.start_date if contract is not None else None
    since, until = settlement_window(start, termination.end_date, settings.zone)
    reads = await ReadingViews(uow.session).for_contract(contract_id, since, until)
    fee = termination_fee_of(
        termination.termination_fee,
        excl_vat=termination.termination_fee_excl_vat,
        vat_rate=termination.termination_fee_vat_rate,
        fallback_vat_rate=settings.termination_fee_vat_rate,
    )
    lines = final_settlement_lines(
        termination_fee=fee,
        usages=register_usage(reads),
        tariff=settings.placeholder_tariff,
    )

    invoice = await issue_invoice(
        uow,
        settings,
        kind=KIND,
        customer_number=termination.customer_number,
        contract_id=contract_id,
        lines=lines,
        period_start=start,
        period_end=termination.end_date,
        now=now,
    )
    log.info(
        "final invoice issued",
        contract_id=contract_id,
        invoice_number=invoice.number,
        known_contract=contract is not None,
        lines=len(lines),
    )
    return invoice
