"""ContractTerminated → the end date and the fee, provisional or final. The final one is mailed
only when it differs from what was already mailed for the contract."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractTerminated


def terminated(
    customer_number: str = "100200300",
    *,
    fee: str = "1234.50",
    excl_vat: str | None = "1020.25",
    final: bool = False,
    end_date: dt.date = dt.date(2026, 6, 30),
    contract_id: str = "contract-1",
) -> ContractTerminated:
    return ContractTerminated(
        contract_id=contract_id,
        customer_number=customer_number,
        end_date=end_date,
        reason="switch",
        termination_fee=Decimal(fee),
        termination_fee_excl_vat=Decimal(excl_vat) if excl_vat is not None else None,
        termination_fee_vat_rate=Decimal("0.21") if excl_vat is not None else None,
        fee_is_final=final,
    )


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    # Lines joined; no-break spaces (inside amounts) kept.
    return re.sub(r"[ \r\n]+", " ", message.get_body(("plain",)).get_content())


async def test_provisional_fee_in_dutch_and_english(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.nl", language="nl")
    await probe.register(customer_number="2", email="b@example.com", language="en")
    await service.deliver(terminated("1"), subject="contract-1", producer="contracts")
    await service.deliver(
        terminated("2", contract_id="contract-2"), subject="contract-2", producer="contracts"
    )

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    dutch = messages["a@example.nl"]
    english = messages["b@example.com"]
    assert dutch["Subject"] == "Opzegging bevestigd: je contract eindigt op 30 juni 2026"
    assert "€\u00a01.234,50 (incl. btw), €\u00a01.020,25 excl. btw" in text_of(dutch)
    assert "voorlopig: het is berekend op de beoogde einddatum" in text_of(dutch)
    assert english["Subject"] == "Termination confirmed: your contract ends on 30 June 2026"
    assert "€1,234.50 (incl. VAT), €1,020.25 excl. VAT" in text_of(english)
    assert "provisional: it is based on the intended end date" in text_of(english)
    assert "final amount follows on your final invoice" in text_of(english)
    for message in (dutch, english):
        assert (
            "https://portal.example.test/contracts" in message.get_body(("plain",)).get_content().splitlines()
        )
        assert 'href="https://portal.example.test/contracts"' in message.get_body(("html",)).get_content()


async def test_no_fee_says_so(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="client@example.fr", language="fr")
    await service.deliver(terminated(fee="0", excl_vat="0", final=True), subject="c", producer="contracts")

    [message] = await probe.received(mail, 1)
    text = text_of(message)
    assert "Aucune indemnité de résiliation n'est facturée." in text
    assert "€" not in text and "provisoire" not in text


async def test_final_fee_without_excl_vat(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="kunde@example.de", language="de")
    await service.deliver(
        terminated(fee="99.5", excl_vat=None, final=True), subject="c", producer="contracts"
    )

    [message] = await probe.received(mail, 1)
    text = text_of(message)
    assert "Kündigungsgebühr: 99,50\u00a0€ (inkl. MwSt.)" in text
    assert "ohne MwSt." not in text
    assert "endgültige Betrag" in text and "vorläufig" not in text


async def test_a_final_fee_equal_to_the_provisional_one_is_not_mailed_again(
    service: Harness, probe, mail, sender
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    await service.deliver(terminated(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.deliver(terminated(final=True), subject="contract-1", producer="contracts")
    await sender.send_due()

    assert len(mail.messages) == 1
    skipped = [d for d in await probe.deliveries() if d.status == "skipped"]
    assert [d.skip_reason for d in skipped] == ["termination-as-already-mailed"]


async def test_a_final_fee_that_changed_is_mailed(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", language="en")
    await service.deliver(terminated(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.deliver(
        terminated(fee="1000.00", excl_vat=None, final=True), subject="contract-1", producer="contracts"
    )

    final = (await probe.received(mail, 2))[1]
    assert "€1,000.00 (incl. VAT)" in text_of(final)
    assert "This is the final amount" in text_of(final)


async def test_a_final_end_date_that_changed_is_mailed(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", language="en")
    await service.deliver(terminated(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.deliver(
        terminated(final=True, end_date=dt.date(2026, 7, 15)), subject="contract-1", producer="contracts"
    )

    final = (await probe.received(mail, 2))[1]
    assert final["Subject"].endswith("ends on 15 July 2026")


async def test_a_provisional_fee_after_the_final_one_is_not_mailed(
    service: Harness, probe, mail, sender
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    await service.deliver(terminated(final=True), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.deliver(terminated(fee="1.00"), subject="contract-1", producer="contracts")
    await sender.send_due()

    assert len(mail.messages) == 1
    skipped = [d for d in await probe.deliveries() if d.status == "skipped"]
    assert [d.skip_reason for d in skipped] == ["termination-already-final"]


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(terminated(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, ContractTerminated.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(terminated("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
