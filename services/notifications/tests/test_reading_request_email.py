"""ReadingReminderDue and FinalReadingRequested → the customer is asked for readings: the
registers by name, the date, and a link to the reading form of that contract."""

from __future__ import annotations

import datetime as dt

import pytest

from portal_chassis.testing import Harness
from portal_schemas import EventData
from portal_schemas.metering import FinalReadingRequested, ReadingReminderDue

from .conftest import plain_words

LINK = "https://portal.example.test/contracts/contract-1/readings/new"


def reminder(customer_number: str = "100200300") -> ReadingReminderDue:
    return ReadingReminderDue(
        contract_id="contract-1",
        customer_number=customer_number,
        meter_id="meter-1",
        due_on=dt.date(2026, 7, 1),
        registers=["electricity_normal", "electricity_offpeak"],
        # 23:30 UTC on 31 December 2025 is already New Year's Day in Amsterdam (00:30 CET).
        last_read_at=dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC),
    )


def final_request(customer_number: str = "100200300") -> FinalReadingRequested:
    return FinalReadingRequested(
        contract_id="contract-1",
        customer_number=customer_number,
        meter_id="meter-1",
        end_date=dt.date(2026, 9, 30),
        registers=["heat", "hot_water"],
    )


async def test_a_reminder_names_the_registers_and_links_to_the_form(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.com", language="en")
    await probe.register(customer_number="2", email="b@example.nl", language="nl")
    for customer in ("1", "2"):
        await service.deliver(reminder(customer), subject="contract-1", producer="metering")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    english, dutch = messages["a@example.com"], messages["b@example.nl"]
    assert english["Subject"] == "Time to send us your meter readings"
    assert dutch["Subject"] == "Tijd om je meterstanden door te geven"
    text = plain_words(english)
    assert "due on 1 July 2026" in text
    assert "- electricity, normal rate - electricity, off-peak rate" in text
    assert "from 1 January 2026" in text  # the last reading, on the customer's calendar day
    assert "- stroom, normaaltarief - stroom, daltarief" in plain_words(dutch)
    assert "1 juli 2026" in plain_words(dutch)
    for message in (english, dutch):
        assert LINK in message.get_body(("plain",)).get_content().splitlines()
        assert f'href="{LINK}"' in message.get_body(("html",)).get_content()
    delivery = (await probe.deliveries())[0]
    assert delivery.kind == "reading_reminder"


async def test_a_reminder_without_an_earlier_reading_leaves_that_sentence_out(
    service: Harness, probe, mail
) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    first = reminder().model_copy(update={"last_read_at": None})
    await service.deliver(first, subject="contract-1", producer="metering")
    [message] = await probe.received(mail, 1)
    assert "last reading" not in plain_words(message)


async def test_a_final_reading_request_names_the_end_date(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.de", language="de")
    await service.deliver(final_request(), subject="contract-1", producer="metering")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Ihre Schlusszählerstände zum 30. September 2026"
    text = plain_words(message)
    assert "Ihr Vertrag endet am 30. September 2026" in text
    assert "- Wärme - Warmwasser" in text
    assert LINK in message.get_body(("plain",)).get_content().splitlines()
    assert (await probe.delivery()).kind == "final_reading_request"


@pytest.mark.parametrize("event", [reminder(), final_request()], ids=["reminder", "final"])
async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender, event: EventData) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(event, subject="contract-1", producer="metering")
    await probe.received(mail, 1)

    await service.redeliver(envelope, type(event).topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


@pytest.mark.parametrize("event", [reminder("999"), final_request("999")], ids=["reminder", "final"])
async def test_no_known_recipient_parks_the_event(
    service: Harness, probe, mail, sender, event: EventData
) -> None:
    await service.deliver(event, subject="contract-1", producer="metering")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
