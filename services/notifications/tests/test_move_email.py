"""ContractMoved → a confirmation with the new postcode and the moving dates."""

from __future__ import annotations

import datetime as dt

from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractMoved


def moved(customer_number: str = "100200300") -> ContractMoved:
    return ContractMoved(
        contract_id="contract-1",
        customer_number=customer_number,
        move_out_date=dt.date(2026, 8, 31),
        move_in_date=dt.date(2026, 9, 1),
        old_supply_postcode="1234AB",
        new_supply_postcode="5678CD",
    )


async def test_move_confirmation_in_english_and_french(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.com", language="en")
    await probe.register(customer_number="2", email="b@example.fr", language="fr")
    for customer in ("1", "2"):
        await service.deliver(moved(customer), subject="contract-1", producer="contracts")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    english = messages["a@example.com"]
    french = messages["b@example.fr"]
    assert english["Subject"] == "Your move is confirmed: new address from 1 September 2026"
    english_text = english.get_body(("plain",)).get_content()
    assert "New address (postcode 5678 CD):  supply from 1 September 2026" in english_text
    assert "(postcode 1234 AB):  supply up to and including 31 August 2026" in english_text
    french_text = french.get_body(("plain",)).get_content()
    assert "à partir du 1 septembre 2026" in french["Subject"]
    assert "code postal 5678 CD" in french_text and "jusqu'au 31 août 2026 inclus" in french_text
    for message in (english, french):
        assert (
            "https://portal.example.test/contracts" in message.get_body(("plain",)).get_content().splitlines()
        )
        assert 'href="https://portal.example.test/contracts"' in message.get_body(("html",)).get_content()


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(moved(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, ContractMoved.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(moved("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
