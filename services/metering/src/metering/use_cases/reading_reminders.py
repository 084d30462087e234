"""Reading reminders for customers who read their own meter (``send-reading-reminders``).

A self-reading contract is due every ``reminder_interval_months`` from its start date (twice a
year by default). On a run, the latest due date on or before today is due unless

- a reminder for that due date was already sent (reading_reminders), or
- the customer or a technician read the meter within ``reminder_recent_reading_days`` before
  (and including) today, by the reading's date: a reminder right after a reading would only
  confuse. Estimates do not count (nobody looked at the meter); a technician's index at a
  meter installation does.

Each reminder is recorded and announced (ReadingReminderDue) in the run's one transaction.
Recording is an insert that skips an existing row, so a second run sends nothing, and of two
runs at once the second waits for the first and then skips what it sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from metering.db.repositories import Contracts, Meters, ReadingReminders, Readings
from metering.domain.meters import current
from metering.domain.reminders import latest_due_date
from metering.settings import MeteringSettings
from portal_chassis.calendar import end_of_day, start_of_day
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import ReadingReminderDue

log = get_logger(__name__)

READ_BY_SOMEONE = ("customer", "technician")


async def send_reading_reminders(
    uow: UnitOfWork, settings: MeteringSettings, *, today: date, now: datetime
) -> int:
    """Returns how many reminders were sent."""
    interval = settings.reminder_interval_months
    contracts = await Contracts(uow.session).self_reading(started_by=today)
    due = {c.contract_id: latest_due_date(c.start_date, today, interval) for c in contracts}
    ids = [contract_id for contract_id, due_on in due.items() if due_on is not None]
    reminders = ReadingReminders(uow.session)
    sent = await reminders.sent_for(ids)
    readings = Readings(uow.session)
    recently_read = await readings.contracts_read_between(
        ids,
        READ_BY_SOMEONE,
        since=start_of_day(today - timedelta(days=settings.reminder_recent_reading_days), settings.zone),
        until=end_of_day(today, settings.zone),
    )
    last_read = await readings.last_read_at(ids)
    meters = Meters(uow.session)
    placed = await meters.of_contracts(ids)
    count = 0
    for contract in contracts:
        due_on = due[contract.contract_id]
        if due_on is None or (contract.contract_id, due_on) in sent:
            continue
        if contract.contract_id in recently_read:
            continue
        if not await reminders.claim(contract.contract_id, due_on, now):
            continue  # a concurrent run sent it
        meter = current([m for m in placed if m.contract_id == contract.contract_id])
        assert meter is not None, "every contract gets a meter with its ContractCreated"
        uow.emit(
            ReadingReminderDue.model_validate(
                {
                    "contract_id": contract.contract_id,
                    "customer_number": contract.customer_number,
                    "meter_id": meter.meter_id,
                    "due_on": due_on,
                    "registers": [r.register_type for r in await meters.registers([meter.meter_id])],
                    "last_read_at": last_read.get(contract.contract_id),
                }
            ),
            subject=contract.contract_id,
        )
        count += 1
    await uow.commit()
    log.info("reading reminders sent", count=count, today=today.isoformat())
    return count
