"""UnilateralChangeAnnounced → what changes from when, and that ending the contract before then
is free of charge."""

from __future__ import annotations

import datetime as dt

from portal_chassis.testing import Harness
from portal_schemas.contracts import UnilateralChangeAnnounced


def change(
    customer_number: str = "100200300", description: str = "De vaste kosten stijgen."
) -> UnilateralChangeAnnounced:
    return UnilateralChangeAnnounced(
        change_id="change-1",
        contract_id="contract-1",
        customer_number=customer_number,
        kind="price",
        effective_date=dt.date(2026, 6, 1),
        description=description,
    )


async def test_announcement_in_dutch_and_german(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.nl", language="nl")
    await probe.register(customer_number="2", email="b@example.de", language="de")
    for customer in ("1", "2"):
        await service.deliver(change(customer), subject="contract-1", producer="contracts")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    dutch = messages["a@example.nl"]
    german = messages["b@example.de"]
    assert dutch["Subject"] == "Wijziging van je contract per 1 juni 2026"
    assert german["Subject"] == "Änderung Ihres Vertrags ab dem 1. Juni 2026"
    dutch_text = " ".join(dutch.get_body(("plain",)).get_content().split())
    assert "een wijziging van je tarieven" in dutch_text
    assert "De vaste kosten stijgen." in dutch_text
    assert "kosteloos opzeggen, zolang dat vóór 1 juni 2026 ingaat" in dutch_text
    german_text = " ".join(german.get_body(("plain",)).get_content().split())
    assert "kostenlos kündigen, sofern die Kündigung vor dem 1. Juni 2026 wirksam wird" in german_text
    for message in (dutch, german):
        assert (
            "https://portal.example.test/contracts" in message.get_body(("plain",)).get_content().splitlines()
        )
        assert 'href="https://portal.example.test/contracts"' in message.get_body(("html",)).get_content()


async def test_the_description_is_escaped_in_html(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    await service.deliver(
        change(description="<script>x</script>"), subject="contract-1", producer="contracts"
    )

    [message] = await probe.received(mail, 1)
    html = message.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(change(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, UnilateralChangeAnnounced.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(change("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
