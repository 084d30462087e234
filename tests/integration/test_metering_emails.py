"""Metering's customer-facing events become emails: reading reminders, the final reading
request, smart-meter consent granted, revoked and asked again, and the confirmation of a
reading the customer entered. The events are published straight to their topics, as metering
would; the emails are read back from the mail catcher."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from portal_schemas.metering import (
    FinalReadingRequested,
    MeterReadingReceived,
    ReadingReminderDue,
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
)
from portal_stack import Mail, MailCatcherClient


def mail_to(mail: MailCatcherClient, email: str, subject_part: str) -> Mail:
    return mail.wait_for(lambda m: email in m.to and subject_part in m.subject, timeout=30)


def words(text: str | None) -> str:
    return " ".join((text or "").split())


def test_reading_requests_name_the_registers_the_date_and_the_form(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    kafka.publish_event(
        ReadingReminderDue(
            contract_id=customer.contract_id,
            customer_number=customer.customer_number,
            meter_id="meter-1",
            due_on=date(2026, 7, 1),
            registers=["electricity_normal", "electricity_offpeak"],
            last_read_at=datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        ),
        customer.contract_id,
        "metering",
    )
    kafka.publish_event(
        FinalReadingRequested(
            contract_id=customer.contract_id,
            customer_number=customer.customer_number,
            meter_id="meter-1",
            end_date=date(2026, 9, 30),
            registers=["electricity_single"],
        ),
        customer.contract_id,
        "metering",
    )

    form = f"/contracts/{customer.contract_id}/readings/new"
    reminder = mail_to(mail, customer.email, "Tijd om je meterstanden door te geven")
    text = words(reminder.text)
    assert "gepland op 1 juli 2026" in text
    assert "- stroom, normaaltarief - stroom, daltarief" in text
    assert "is van 1 januari 2026" in text
    assert form in (reminder.text or "") and form in (reminder.html or "")
    assert reminder.headers["Message-ID"].endswith("@portal.invalid>")

    final = mail_to(mail, customer.email, "Je eindmeterstanden op 30 september 2026")
    assert "Je contract eindigt op 30 september 2026" in words(final.text)
    assert "- stroom, enkeltarief" in words(final.text)
    assert form in (final.text or "")


def test_smart_meter_consent_mails(mail: MailCatcherClient, kafka: Any, customer: Any) -> None:
    common = {"contract_id": customer.contract_id, "customer_number": customer.customer_number}
    kafka.publish_event(
        SmartMeterConsentGranted(
            **common,
            terms_version=1,
            granted_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            data_expected_by=date(2026, 3, 9),
        ),
        customer.contract_id,
        "metering",
    )
    kafka.publish_event(
        SmartMeterReconsentNeeded(**common, consented_version=1, current_version=2),
        customer.contract_id,
        "metering",
    )
    kafka.publish_event(
        SmartMeterConsentRevoked(**common, revoked_at=datetime(2026, 4, 30, 22, 30, tzinfo=UTC)),
        customer.contract_id,
        "metering",
    )

    granted = mail_to(mail, customer.email, "we mogen je slimme meter op afstand uitlezen")
    assert "uiterlijk 9 maart 2026" in words(granted.text)
    assert f"/contracts/{customer.contract_id}/consumption" in (granted.text or "")

    consent_page = f"/contracts/{customer.contract_id}/smart-meter-consent"
    reconsent = mail_to(mail, customer.email, "geef opnieuw toestemming voor je slimme meter")
    assert "binnen 5 werkdagen" in words(reconsent.text)
    assert consent_page in (reconsent.text or "")

    revoked = mail_to(mail, customer.email, "toestemming voor je slimme meter ingetrokken")
    assert "Op 1 mei 2026" in words(revoked.text)  # 22:30 UTC is already 1 May in Amsterdam
    assert consent_page in (revoked.text or "")


def test_mails_follow_the_chosen_language_and_a_redelivery_sends_nothing(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    chosen = {"language": "en", "offers": False, "news": False, "energy_saving_advice": False}
    assert gateway.put("/identity/v1/me/preferences", headers=auth, json=chosen).status_code == 200
    kafka.wait_until_handled(
        "identity.preferences-changed.v1", customer.account_id, "notifications.recipient-preferences"
    )

    reminder = ReadingReminderDue(
        contract_id=customer.contract_id,
        customer_number=customer.customer_number,
        meter_id="meter-1",
        due_on=date(2027, 1, 1),
        registers=["gas"],
    )
    envelope = kafka.publish_event(reminder, customer.contract_id, "metering")
    kafka.publish(ReadingReminderDue.topic(), envelope.to_json(), key=customer.contract_id)  # same event id

    english = mail_to(mail, customer.email, "Time to send us your meter readings")
    assert "due on 1 January 2027" in words(english.text)
    assert "- gas" in words(english.text)
    assert "last reading" not in words(english.text)  # none known yet

    # Readings: only the one the customer entered is confirmed, with its confirmed unusual value.
    meter = f"meter-{uuid.uuid4()}"
    reading = {
        "meter_id": meter,
        "customer_number": customer.customer_number,
        "contract_id": customer.contract_id,
        "register_type": "gas",
        "unit": "m3",
        "read_at": datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        "quality": "actual",
    }
    kafka.publish_event(
        MeterReadingReceived(
            reading_id=str(uuid.uuid4()), value=Decimal("100.5"), source="smart_meter", **reading
        ),
        meter,
        "metering",
    )
    kafka.publish_event(
        MeterReadingReceived(
            reading_id=str(uuid.uuid4()),
            value=Decimal("4321.125"),
            source="customer",
            confirmed_unusual=True,
            **reading,
        ),
        meter,
        "metering",
    )  # same key, same partition: handled after the smart-meter reading
    confirmation = mail_to(mail, customer.email, "We have received your meter reading")
    assert "4,321.125 m3" in words(confirmation.text)
    assert "You confirmed this reading although it differs a lot" in words(confirmation.text)

    # Both copies of the reminder were consumed before the reading events were published
    # (one partition per key, but another topic): wait for the group, then count.
    last = kafka.keyed(ReadingReminderDue.topic(), customer.contract_id, count=2)[-1]
    kafka.wait_for_group("notifications.reading-reminder-email", last)
    mine = [m for m in mail.list() if customer.email in m.to]
    assert sum(m.subject == "Time to send us your meter readings" for m in mine) == 1
    assert sum(m.subject == "We have received your meter reading" for m in mine) == 1
    assert "100.5" not in " ".join(words(mail.get(m.id).text) for m in mine)
