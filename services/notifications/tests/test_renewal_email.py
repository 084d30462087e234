"""RenewalProposed → the fixed term's end date, what happens without a reply, and a link to the
proposal."""

from __future__ import annotations

import datetime as dt

from portal_chassis.testing import Harness
from portal_schemas.contracts import RenewalProposed


def proposal(customer_number: str = "100200300") -> RenewalProposed:
    return RenewalProposed(
        contract_id="contract-1",
        customer_number=customer_number,
        contract_number="123456789",
        commodity="gas",
        product_code="VAST-1J",
        fixed_term_end=dt.date(2026, 7, 1),
    )


LINK = "https://portal.example.test/contracts/contract-1/renewal"


async def test_proposal_in_english_and_french(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.com", language="en")
    await probe.register(customer_number="2", email="b@example.fr", language="fr")
    for customer in ("1", "2"):
        await service.deliver(proposal(customer), subject="contract-1", producer="contracts")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    english = messages["a@example.com"]
    french = messages["b@example.fr"]
    assert english["Subject"] == "Your fixed term ends on 1 July 2026: our proposal"
    assert french["Subject"] == "Votre durée fixe prend fin le 1 juillet 2026 : notre proposition"
    text = " ".join(english.get_body(("plain",)).get_content().split())
    assert "gas contract 123456789 (VAST-1J)" in text
    assert "continues for an indefinite period at variable prices" in text
    assert "free of charge, with 30 days' notice" in text
    french_text = " ".join(french.get_body(("plain",)).get_content().split())
    assert "durée indéterminée, à prix variables" in french_text and "préavis de 30 jours" in french_text
    for message in (english, french):
        assert LINK in message.get_body(("plain",)).get_content().splitlines()
        assert f'href="{LINK}"' in message.get_body(("html",)).get_content()


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(proposal(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, RenewalProposed.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(proposal("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
