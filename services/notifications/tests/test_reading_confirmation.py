"""MeterReadingReceived → a confirmation for readings the customer entered themselves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal_chassis.testing import Harness
from portal_schemas.metering import MeterReadingReceived


def reading(source: str = "customer", customer_number: str = "100200300") -> MeterReadingReceived:
    return MeterReadingReceived(
        reading_id="reading-1",
        meter_id="meter-1",
        customer_number=customer_number,
        register_type="electricity_normal",
        value=Decimal("1234.500"),
        unit="kWh",
        # 23:30 UTC on 28 March 2026 is already 29 March in Amsterdam (00:30 CET).
        read_at=dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC),
        source=source,  # type: ignore[arg-type]
        quality="actual",
    )


async def test_a_customer_reading_is_confirmed_in_their_language(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", language="en")
    await service.deliver(reading(), subject="meter-1", producer="metering")

    [message] = await probe.received(mail, 1)
    assert message["To"] == "jo@example.com"
    assert message["Subject"] == "We have received your meter reading"
    text = message.get_body(("plain",)).get_content()
    assert "electricity, normal rate" in text
    assert "1,234.5 kWh" in text  # trailing zeros of the index dropped
    assert "29 March 2026" in text  # the customer's calendar day, not UTC's
    delivery = await probe.delivery()
    assert delivery.customer_number == "100200300"
    assert delivery.language == "en"


async def test_readings_nobody_typed_in_are_not_confirmed(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com")
    for source in ("smart_meter", "estimated", "technician"):
        await service.deliver(reading(source), subject="meter-1", producer="metering")
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(reading(customer_number="555"), subject="m", producer="metering")
    await service.redeliver(envelope, MeterReadingReceived.topic())
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1  # once, though the event came twice


async def test_a_confirmed_unusual_value_and_a_final_reading_are_mentioned(
    service: Harness, probe, mail
) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", language="en")
    usual = reading()
    unusual = usual.model_copy(update={"reading_id": "reading-2", "confirmed_unusual": True})
    final = usual.model_copy(update={"reading_id": "reading-3", "final": True})
    for event in (usual, unusual, final):
        await service.deliver(event, subject="meter-1", producer="metering")

    texts = [" ".join(m.get_body(("plain",)).get_content().split()) for m in await probe.received(mail, 3)]
    by_reading = {
        "usual": [t for t in texts if "differs a lot" not in t and "final reading" not in t],
        "unusual": [t for t in texts if "You confirmed this reading although it differs a lot" in t],
        "final": [t for t in texts if "This is the final reading of your contract" in t],
    }
    assert {name: len(found) for name, found in by_reading.items()} == {"usual": 1, "unusual": 1, "final": 1}
