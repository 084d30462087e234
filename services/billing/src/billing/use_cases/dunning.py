"""Payment reminders for overdue invoices (``send-payment-reminders``), a daily job.

Which step an invoice gets is billing.domain.dunning. Each step is recorded (dunning_steps)
and announced (PaymentReminderDue, for notifications to write the letter) in the run's one
transaction. Recording is an insert that skips an existing (invoice, step) row and only a
new row emits, so a second run sends nothing again and of two runs at once the second waits
for the first's rows (PostgreSQL) and then skips them. A payment stops the steps: an invoice with nothing
left to pay is not overdue. An invoice in a direct-debit collection that is still to be taken
is left alone; once its debit is returned it is open again and the steps go on.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from billing.db.repositories import DunningSteps
from billing.domain.dunning import days_overdue, next_step, pay_by
from billing.settings import BillingSettings
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import PaymentReminderDue

log = get_logger(__name__)


async def send_payment_reminders(
    uow: UnitOfWork, settings: BillingSettings, *, today: date
) -> dict[str, Any]:
    """Sends today's steps and commits; returns a summary (how many per step)."""
    steps = settings.reminder_days_after_due
    dunning = DunningSteps(uow.session)
    sent: Counter[int] = Counter()
    overdue = await dunning.overdue(today=today, due_by=today - timedelta(days=steps[0]))
    for invoice, last_step, last_sent_on in overdue:
        step = next_step(
            due_date=invoice.due_date,
            today=today,
            last_step_sent=last_step,
            last_sent_on=last_sent_on,
            step_days=steps,
        )
        if step is None:
            continue
        if not await dunning.claim(invoice.id, step, today):
            continue  # a concurrent run sent it
        uow.emit(
            PaymentReminderDue(
                invoice_id=invoice.id,
                invoice_number=invoice.number,
                customer_number=invoice.customer_number,
                contract_id=invoice.contract_id,
                step=step,
                due_date=invoice.due_date,
                days_overdue=days_overdue(invoice.due_date, today),
                open_amount=invoice.open_amount,
                pay_by=pay_by(today, settings.reminder_pay_within_days),
            ),
            subject=invoice.id,
        )
        sent[step] += 1
    await uow.commit()
    summary = {
        "today": today.isoformat(),
        "reminders": sum(sent.values()),
        "by_step": {str(step): sent[step] for step in sorted(sent)},
    }
    log.info("payment reminders sent", **summary)
    return summary
