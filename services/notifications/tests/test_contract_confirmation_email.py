"""ContractCreated → a contract confirmation with the last day of the 14-day withdrawal period,
counted from the day the contract was concluded in the customer's zone."""

from __future__ import annotations

import datetime as dt

from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated


def created(customer_number: str = "100200300", contract_number: str | None = "123456789") -> ContractCreated:
    return ContractCreated(
        contract_id="contract-1",
        customer_number=customer_number,
        commodity="electricity",
        product_code="VAST-3J",
        start_date=dt.date(2026, 5, 1),
        contract_number=contract_number,
    )


def concluded(data: ContractCreated, at: dt.datetime) -> Envelope:
    envelope = Envelope.wrap(data, subject=data.contract_id, producer="contracts")
    return envelope.model_copy(update={"occurred_at": at})


# 23:30 UTC on 17 March is 00:30 on 18 March in Amsterdam: concluded on the 18th, so the
# withdrawal period runs up to and including 1 April.
LATE_EVENING_UTC = dt.datetime(2026, 3, 17, 23, 30, tzinfo=dt.UTC)


async def test_confirmation_in_french_with_the_withdrawal_deadline(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="client@example.fr", language="fr")
    await service.redeliver(concluded(created(), LATE_EVENING_UTC), ContractCreated.topic())

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.kind == "contract_confirmation" and delivery.customer_number == "100200300"
    assert message["To"] == "client@example.fr"
    assert message["Subject"] == "Confirmation de votre contrat électricité 123456789"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "1 mai 2026" in text  # start date
    assert "jusqu'au 1 avril 2026 inclus" in " ".join(text.split())
    assert "VAST-3J" in text and "14 jours" in text
    assert "https://portal.example.test/contracts" in text.splitlines()
    assert 'href="https://portal.example.test/contracts"' in html
    assert "1 avril 2026" in html


async def test_confirmation_in_english_without_a_contract_number(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", language="en")
    await service.redeliver(
        concluded(created(contract_number=None), LATE_EVENING_UTC), ContractCreated.topic()
    )

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Confirmation of your electricity contract"
    text = message.get_body(("plain",)).get_content()
    assert "Contract number" not in text and "None" not in text
    assert "1 May 2026" in text
    assert "up to and including 1 April 2026" in " ".join(text.split())


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(created(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, ContractCreated.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(created("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
