"""SmartMeterConsentGranted, SmartMeterConsentRevoked and SmartMeterReconsentNeeded → the
customer hears what their choice means: when remote data shows, that it stopped and was
deleted, or that new terms need their consent again."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import consumption_link, smart_meter_consent_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import (
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
)

GRANTED = EmailKind.SMART_METER_CONSENT_GRANTED
REVOKED = EmailKind.SMART_METER_CONSENT_REVOKED
RECONSENT = EmailKind.SMART_METER_RECONSENT


async def queue_consent_granted_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: SmartMeterConsentGranted
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=GRANTED,
        customer_number=data.customer_number,
        values=lambda to: {
            "granted_on": format_date(calendar_day(data.granted_at, room.zone(to)), to.language),
            "data_expected_by": format_date(data.data_expected_by, to.language),
            "link": consumption_link(room.settings.public_url, data.contract_id),
        },
    )


async def queue_consent_revoked_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: SmartMeterConsentRevoked
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=REVOKED,
        customer_number=data.customer_number,
        values=lambda to: {
            "revoked_on": format_date(calendar_day(data.revoked_at, room.zone(to)), to.language),
            "link": smart_meter_consent_link(room.settings.public_url, data.contract_id),
        },
    )


async def queue_reconsent_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: SmartMeterReconsentNeeded
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=RECONSENT,
        customer_number=data.customer_number,
        values=lambda _: {"link": smart_meter_consent_link(room.settings.public_url, data.contract_id)},
    )
