"""The monthly advance run: one advance invoice per contract billed by advances, per month.

Who is invoiced for a month [first, last]: every contract in monthly-advance billing (a mode
change due by the first day is applied first) that supplies during the month (starts on or
before the last day, has not ended before the first, is not withdrawn) and whose advance plan in
force on max(first day, start) is above zero. The invoice covers the month clipped to the
supply, has the one "advance" line of billing.domain.advances, is due the payment term after
its issue date, and is announced with InvoiceIssued.

Exactly once per contract and month, whatever happens:
- batches of ``advance_run_batch_size`` contracts, each one transaction: a run that is stopped
  keeps the batches it committed, and the next run invoices only what is still missing;
- each batch first locks the series' number sequence (the row), then selects the contracts
  still without an invoice for the month: a second run at the same time waits for the lock
  and its selection sees what the first one committed. Numbers come from that one locked row,
  so they stay gapless (one update per batch);
- the unique index on (contract, kind, period start) of advance invoices refuses a second
  advance for a month even if a statement elsewhere got this wrong.

It is set-based: one selection, one multi-row insert per table and one sequence update per
batch, and the InvoiceIssued rows go into the outbox with the same commit. After issuing, the
credit of the batch's customers who have some (payments not yet allocated, credit notes) is
set against their open invoices, the new ones included.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing.db.repositories import AdvanceRunBatches
from billing.domain.advances import advance_line, first_of_month, last_of_month
from billing.domain.invoice import Invoice, InvoiceKind, issue_date_of
from billing.domain.numbering import format_number, series_for
from billing.settings import BillingSettings
from billing.use_cases.issuing import invoice_issued
from billing.use_cases.payments import allocate_credit
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)

KIND: InvoiceKind = "advance"


@dataclass(frozen=True)
class AdvanceRunSummary:
    month: date
    issued: int
    total: Decimal
    batches: int
    modes_applied: int
    credit_applied: int  # customers whose credit was set against the new invoices

    def to_json(self) -> str:
        return json.dumps(
            {
                "job": "advance-run",
                "month": f"{self.month:%Y-%m}",
                "issued": self.issued,
                "total": f"{self.total:.2f}",
                "batches": self.batches,
                "modes_applied": self.modes_applied,
                "credit_applied": self.credit_applied,
            }
        )


async def advance_run(
    new_uow: Callable[[], UnitOfWork], settings: BillingSettings, *, month: date, now: datetime
) -> AdvanceRunSummary:
    """Issue the advance invoices of ``month`` (any day of it) still missing, as of ``now``."""
    first, last = first_of_month(month), last_of_month(month)
    issue_date = issue_date_of(now, settings.zone)
    series = series_for(KIND)
    async with new_uow() as uow:
        modes_applied = await AdvanceRunBatches(uow.session).apply_due_modes(first)
        await uow.commit()

    issued, batches, credit_applied, total = 0, 0, 0, Decimal("0.00")
    after = ""
    while True:
        async with new_uow() as uow:
            batch = AdvanceRunBatches(uow.session)
            number = await batch.take_sequence(series, issue_date.year)
            contracts = await batch.still_to_invoice(
                first, last, issue_date, after=after, limit=settings.advance_run_batch_size
            )
            if not contracts:
                break  # leaving the unit of work rolls back and releases the lock
            after = contracts[-1].contract_id
            invoices, with_credit = [], set()
            for contract in contracts:
                if contract.amount is None or contract.amount <= 0:
                    continue
                number += 1
                invoices.append(
                    Invoice.issue(
                        invoice_id=str(uuid.uuid4()),
                        number=format_number(series, issue_date.year, number),
                        kind=KIND,
                        customer_number=contract.customer_number,
                        contract_id=contract.contract_id,
                        lines=[advance_line(contract.amount, first)],
                        issued_at=now,
                        zone=settings.zone,
                        payment_term_days=settings.payment_term_days,
                        period_start=contract.period_start,
                        period_end=last if contract.end_date is None else min(last, contract.end_date),
                        e_invoice=bool(contract.e_invoice),
                    )
                )
                if contract.has_credit:
                    with_credit.add(contract.customer_number)
            if invoices:
                await batch.set_sequence(series, issue_date.year, number)
                total += await batch.insert(invoices)
                uow.emit_many((invoice_issued(invoice), invoice.id) for invoice in invoices)
                for customer_number in sorted(with_credit):
                    await allocate_credit(uow, customer_number, now)
            await uow.commit()
        issued += len(invoices)
        credit_applied += len(with_credit)
        batches += 1
        log.info("advance batch issued", month=f"{first:%Y-%m}", invoices=len(invoices), batch=batches)
    return AdvanceRunSummary(first, issued, total, batches, modes_applied, credit_applied)
