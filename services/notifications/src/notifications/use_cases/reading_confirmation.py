"""MeterReadingReceived → a confirmation to the customer who entered the reading.

It repeats what they confirmed when metering found the value unusual (so a typo they waved
through can still be corrected), and says so when the reading closes the contract's supply.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import readings_link
from notifications.domain.locale import format_date, format_quantity
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import MeterReadingReceived

KIND = EmailKind.READING_CONFIRMATION


async def queue_reading_confirmation(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: MeterReadingReceived
) -> None:
    if data.source != "customer":
        # Smart-meter feeds, technicians and estimates produce readings nobody submitted;
        # confirming each would flood the customer (and this table), so they pass silently.
        return
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "register": data.register_type,
            "value": format_quantity(data.value, to.language),
            "unit": data.unit,
            "read_on": format_date(calendar_day(data.read_at, room.zone(to)), to.language),
            "link": readings_link(room.settings.public_url),
            "unusual": data.confirmed_unusual,
            "final": data.final,
        },
    )
