"""BillingModeChanged → the new way of billing, explained, and the date it starts."""

from __future__ import annotations

import datetime as dt

import pytest

from portal_chassis.testing import Harness
from portal_schemas.billing import BillingModeChanged

from .conftest import plain_words

LINK = "https://portal.example.test/contracts/contract-1/billing"


def mode_changed(customer_number: str = "100200300", mode: str = "quarterly") -> BillingModeChanged:
    return BillingModeChanged(
        contract_id="contract-1",
        customer_number=customer_number,
        mode=mode,  # type: ignore[arg-type]
        previous_mode="monthly_advance",
        effective_from=dt.date(2026, 4, 1),
    )


SUBJECTS = {
    "nl": "Vanaf 1 april 2026 factureren we je contract anders: kwartaalnota op je verbruik",
    "en": "Your contract is billed differently from 1 April 2026: quarterly invoice on your consumption",
    "fr": (
        "Nouveau mode de facturation à partir du 1 avril 2026 : facture trimestrielle sur votre consommation"
    ),
    "de": "Neue Abrechnungsart ab dem 1. April 2026: Quartalsrechnung nach Verbrauch",
}
PREVIOUS = {
    "nl": "Was: maandelijks voorschot met jaarafrekening",
    "en": "Previously: monthly advance with an annual statement",
    "fr": "Auparavant : acompte mensuel avec décompte annuel",
    "de": "Bisher: monatlicher Abschlag mit Jahresabrechnung",
}


@pytest.mark.parametrize("language", sorted(SUBJECTS))
async def test_the_new_mode_and_its_start_in_each_language(
    service: Harness, probe, mail, language: str
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(mode_changed(), subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    # Python folds a subject of 70 to 77 characters right after "Subject:"; unfolded, a
    # leading space is left, which mail readers drop.
    assert message["Subject"].lstrip() == SUBJECTS[language]
    assert PREVIOUS[language] in plain_words(message)
    assert LINK in message.get_body(("plain",)).get_content().splitlines()
    assert f'href="{LINK}"' in message.get_body(("html",)).get_content()


async def test_billing_on_readings_asks_for_readings(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    await service.deliver(mode_changed(mode="on_reading"), subject="contract-1", producer="billing")

    [message] = await probe.received(mail, 1)
    text = plain_words(message)
    assert "New: invoice after each meter reading From: 1 April 2026" in text
    assert "please send us your readings regularly" in text
    assert "Consumption before 1 April 2026 is billed as before." in text


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(mode_changed("999000111"), subject="contract-1", producer="billing")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
