"""AdvanceChanged → the new monthly advance and from when it applies: a confirmation when the
customer or operations changed it, information when billing set a contract's first plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal_chassis.testing import Harness
from portal_schemas.billing import AdvanceChanged

from .conftest import plain_words, text_words

LINK = "https://portal.example.test/contracts/contract-1/billing"


def changed(
    customer_number: str = "100200300",
    *,
    amount: str = "1234.5",
    previous: str | None = "95",
    recommended: str | None = None,
    changed_by: str = "customer",
) -> AdvanceChanged:
    return AdvanceChanged(
        contract_id="contract-1",
        customer_number=customer_number,
        amount=Decimal(amount),
        previous_amount=None if previous is None else Decimal(previous),
        recommended_amount=None if recommended is None else Decimal(recommended),
        effective_from=dt.date(2026, 3, 1),
        changed_by=changed_by,  # type: ignore[arg-type]
    )


# language: (subject, the previous amount as the plain text writes it)
CONFIRMATIONS = {
    "nl": ("Je voorschot is aangepast: € 1.234,50 per maand vanaf 1 maart 2026", "Was: €\u00a095,00"),
    "en": ("Your advance has changed: €1,234.50 a month from 1 March 2026", "Previously: €95.00"),
    "fr": (
        "Votre acompte a été modifié : 1 234,50 € par mois à partir du 1 mars 2026",
        "Auparavant : 95,00\u00a0€",
    ),
    "de": ("Ihr Abschlag wurde geändert: 1.234,50 € pro Monat ab dem 1. März 2026", "Bisher: 95,00\u00a0€"),
}


@pytest.mark.parametrize("language", sorted(CONFIRMATIONS))
async def test_a_customers_change_is_confirmed_in_their_language(
    service: Harness, probe, mail, language: str
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(changed(), subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    subject, previous = CONFIRMATIONS[language]
    assert message["Subject"] == subject
    assert previous in text_words(message)
    assert LINK in message.get_body(("plain",)).get_content().splitlines()
    assert f'href="{LINK}"' in message.get_body(("html",)).get_content()
    delivery = await probe.delivery()
    assert (delivery.kind, delivery.status, delivery.language) == ("advance_changed", "sent", language)


async def test_a_change_by_operations_says_we_changed_it(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    await service.deliver(changed(changed_by="operations"), subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    text = plain_words(message)
    assert "We have changed your monthly advance." in text
    assert "You have changed" not in text
    assert "applies from the next advance period" in text


async def test_a_first_plan_is_information_with_the_amount_and_its_start(
    service: Harness, probe, mail
) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    first = changed(amount="120", previous=None, recommended="120", changed_by="billing")
    await service.deliver(first, subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Your monthly advance: €120.00 from 1 March 2026"
    text = plain_words(message)
    assert "For your energy contract you pay a monthly advance." in text
    assert "Advance per month: €120.00 From: 1 March 2026" in text
    # Nothing was changed, and the recommendation is the amount itself: neither is repeated.
    assert "Previously" not in text and "recommend" not in text
    assert "confirms the change" not in text and "next advance period" not in text


async def test_an_amount_below_the_recommendation_names_it(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.nl")
    await service.deliver(changed(amount="60", recommended="110"), subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert "Ons advies: €\u00a0110,00 per maand, op basis van je verwachte verbruik" in text_words(message)


async def test_a_zero_advance_says_none_is_collected(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.de", language="de")
    await service.deliver(
        changed(amount="0", changed_by="operations"), subject="contract-1", producer="billing"
    )

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Ab dem 1. März 2026 zahlen Sie keinen monatlichen Abschlag"
    assert "0,00" not in plain_words(message)


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(changed(), subject="contract-1", producer="billing")
    await probe.received(mail, 1)

    await service.redeliver(envelope, AdvanceChanged.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(changed("999000111"), subject="contract-1", producer="billing")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
