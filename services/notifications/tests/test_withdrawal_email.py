"""ContractWithdrawn → a confirmation that the contract is void, without costs."""

from __future__ import annotations

import datetime as dt

from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractWithdrawn


def withdrawn(
    customer_number: str = "100200300", last_supply_day: dt.date | None = None
) -> ContractWithdrawn:
    return ContractWithdrawn(
        contract_id="contract-1",
        customer_number=customer_number,
        withdrawn_on=dt.date(2026, 3, 20),
        last_supply_day=last_supply_day,
    )


async def test_withdrawal_before_supply_in_dutch(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl", language="nl")
    await service.deliver(withdrawn(), subject="contract-1", producer="contracts")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Bevestiging: je hebt je contract kosteloos ontbonden"
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "op 20 maart 2026 gebruik hebt gemaakt van je bedenktijd" in text
    assert "zonder kosten" in text and "je betaalt niets" in text
    assert "https://portal.example.test/contracts" in message.get_body(("plain",)).get_content().splitlines()
    assert 'href="https://portal.example.test/contracts"' in message.get_body(("html",)).get_content()


async def test_withdrawal_after_supply_started_in_german(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="kunde@example.de", language="de")
    await service.deliver(withdrawn(last_supply_day=dt.date(2026, 3, 1)), subject="c", producer="contracts")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Bestätigung: Sie haben Ihren Vertrag kostenlos widerrufen"
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "am 20. März 2026 Ihr Widerrufsrecht ausgeübt" in text
    assert "bis einschließlich 1. März 2026 gelieferte Energie" in text
    assert "Kündigungsgebühr fällt nicht an" in text


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(withdrawn(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, ContractWithdrawn.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(withdrawn("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
