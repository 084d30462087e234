"""SmartMeterConsentGranted, SmartMeterConsentRevoked and SmartMeterReconsentNeeded → what the
customer's choice means, with a link to their consumption or to the consent page."""

from __future__ import annotations

import datetime as dt

import pytest

from portal_chassis.testing import Harness
from portal_schemas import EventData
from portal_schemas.metering import (
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
)

from .conftest import plain_words

CONSENT_LINK = "https://portal.example.test/contracts/contract-1/smart-meter-consent"
CONSUMPTION_LINK = "https://portal.example.test/contracts/contract-1/consumption"


def granted(customer_number: str = "100200300") -> SmartMeterConsentGranted:
    return SmartMeterConsentGranted(
        contract_id="contract-1",
        customer_number=customer_number,
        terms_version=2,
        granted_at=dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC),
        data_expected_by=dt.date(2026, 3, 9),
    )


def revoked(customer_number: str = "100200300") -> SmartMeterConsentRevoked:
    return SmartMeterConsentRevoked(
        contract_id="contract-1",
        customer_number=customer_number,
        revoked_at=dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC),  # 1 May in Amsterdam (CEST)
    )


def reconsent(customer_number: str = "100200300") -> SmartMeterReconsentNeeded:
    return SmartMeterReconsentNeeded(
        contract_id="contract-1", customer_number=customer_number, consented_version=1, current_version=2
    )


def links_to(message, link: str) -> bool:  # type: ignore[no-untyped-def]
    return (
        link in message.get_body(("plain",)).get_content().splitlines()
        and f'href="{link}"' in message.get_body(("html",)).get_content()
    )


async def test_a_grant_says_when_the_data_shows(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.com", language="en")
    await probe.register(customer_number="2", email="b@example.fr", language="fr")
    for customer in ("1", "2"):
        await service.deliver(granted(customer), subject="contract-1", producer="metering")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    english, french = messages["a@example.com"], messages["b@example.fr"]
    assert english["Subject"] == "Thank you: we may now read your smart meter remotely"
    assert "On 2 March 2026 you gave us permission" in plain_words(english)
    assert "by 9 March 2026" in plain_words(english)
    assert "d'ici le 9 mars 2026" in plain_words(french)
    assert english["Subject"] != french["Subject"]
    assert links_to(english, CONSUMPTION_LINK) and links_to(french, CONSUMPTION_LINK)
    assert {d.kind for d in await probe.deliveries()} == {"smart_meter_consent_granted"}


async def test_a_revocation_confirms_that_the_data_is_deleted(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.nl", language="nl")
    await service.deliver(revoked(), subject="contract-1", producer="metering")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Je hebt je toestemming voor je slimme meter ingetrokken"
    text = plain_words(message)
    assert "Op 1 mei 2026 heb je je toestemming ingetrokken" in text  # the customer's calendar day
    assert "gegevens verwijderd" in text
    assert links_to(message, CONSENT_LINK)  # to consent again


async def test_new_terms_ask_for_consent_again(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.de", language="de")
    await service.deliver(reconsent(), subject="contract-1", producer="metering")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Neue Bedingungen: Bitte willigen Sie für Ihren Smart Meter erneut ein"
    assert "innerhalb von 5 Werktagen" in plain_words(message)
    assert links_to(message, CONSENT_LINK)
    assert (await probe.delivery()).kind == "smart_meter_reconsent"


EVENTS = [granted(), revoked(), reconsent()]
IDS = ["granted", "revoked", "reconsent"]


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender, event: EventData) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(event, subject="contract-1", producer="metering")
    await probe.received(mail, 1)

    await service.redeliver(envelope, type(event).topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
async def test_no_known_recipient_parks_the_event(
    service: Harness, probe, mail, sender, event: EventData
) -> None:
    await service.deliver(
        event.model_copy(update={"customer_number": "999"}), subject="c", producer="metering"
    )
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
