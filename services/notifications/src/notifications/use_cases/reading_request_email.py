"""ReadingReminderDue and FinalReadingRequested → the customer is asked for their meter
readings: which registers, by when, and a link to the form for that contract."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import submit_reading_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import FinalReadingRequested, ReadingReminderDue

REMINDER = EmailKind.READING_REMINDER
FINAL = EmailKind.FINAL_READING_REQUEST


async def queue_reading_reminder(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: ReadingReminderDue
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=REMINDER,
        customer_number=data.customer_number,
        values=lambda to: {
            "registers": list(data.registers),  # named by the templates' labels
            "due_on": format_date(data.due_on, to.language),
            "last_read_on": (
                None
                if data.last_read_at is None
                else format_date(calendar_day(data.last_read_at, room.zone(to)), to.language)
            ),
            "link": submit_reading_link(room.settings.public_url, data.contract_id),
        },
    )


async def queue_final_reading_request(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: FinalReadingRequested
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=FINAL,
        customer_number=data.customer_number,
        values=lambda to: {
            "registers": list(data.registers),
            "end_date": format_date(data.end_date, to.language),
            "link": submit_reading_link(room.settings.public_url, data.contract_id),
        },
    )
