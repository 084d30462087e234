"""MeterReadingReceived → a confirmation to the customer who entered the reading.

It repeats what they confirmed when metering found the value unusual (so a typo they waved
through can still be corrected), and says so when the reading closes the contract's supply.
"""

from __future__ import annotations

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import readings_link
from notifications.domain.locale import DEFAULT_LANGUAGE, format_date, format_quantity, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
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
    recipient = await Recipients(uow.session).for_customer(data.customer_number)
    if recipient is None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=SkipReason.NO_RECIPIENT,
            language=DEFAULT_LANGUAGE,
            customer_number=data.customer_number,
        )
        return
    language = pick_language(recipient.language)
    read_on = calendar_day(data.read_at, room.settings.zone)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(recipient.email, language, data.customer_number),
        values={
            "register": data.register_type,
            "value": format_quantity(data.value, language),
            "unit": data.unit,
            "read_on": format_date(read_on, language),
            "link": readings_link(room.settings.public_url),
            "unusual": data.confirmed_unusual,
            "final": data.final,
        },
    )
