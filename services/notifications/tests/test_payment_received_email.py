"""PaymentReceived → a receipt for money the customer sent us (card, transfer, energy cheque):
the amount, the day, how it was paid and the credit left over. A direct debit collected sends
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal_chassis.testing import Harness
from portal_schemas.billing import PaymentReceived

from .conftest import plain_words

INVOICES_LINK = "https://portal.example.test/invoices"


def received(
    channel: str = "transfer", *, unallocated: str = "0", payment_id: str = "pay-1"
) -> PaymentReceived:
    return PaymentReceived(
        payment_id=payment_id,
        customer_number="100200300",
        channel=channel,  # type: ignore[arg-type]
        amount=Decimal("87.6"),
        # 22:30 UTC on 30 April is already 1 May in Amsterdam.
        received_at=dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC),
        unallocated=Decimal(unallocated),
    )


# language: (subject, the day and amount as the text says them, how a transfer is named, credit words)
RECEIPTS = {
    "nl": (
        "We hebben je betaling van € 87,60 ontvangen",
        "Op 1 mei 2026 hebben we je betaling van € 87,60 ontvangen",
        "Betaalwijze: overboeking",
        "Tegoed: € 25,00",
    ),
    "en": (
        "We have received your payment of €87.60",
        "On 1 May 2026 we received your payment of €87.60",
        "Payment method: bank transfer",
        "Credit: €25.00",
    ),
    "fr": (
        "Nous avons bien reçu votre paiement de 87,60 €",
        "Le 1 mai 2026, nous avons reçu votre paiement de 87,60 €",
        "Moyen de paiement : virement",
        "Avoir : 25,00 €",
    ),
    "de": (
        "Wir haben Ihre Zahlung über 87,60 € erhalten",
        "am 1. Mai 2026 haben wir Ihre Zahlung über 87,60 € erhalten",
        "Zahlungsart: Überweisung",
        "Guthaben: 25,00 €",
    ),
}


def spaced(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("language", sorted(RECEIPTS))
async def test_a_transfer_gets_a_receipt_in_the_customers_language(
    service: Harness, probe, mail, language: str
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(received(), subject="pay-1", producer="billing")

    [message] = await probe.received(mail, 1)
    subject, day, channel, credit = RECEIPTS[language]
    assert spaced(message["Subject"]) == spaced(subject)
    text = plain_words(message)
    assert spaced(day) in text and spaced(channel) in text
    assert spaced(credit).split()[0] not in text  # no credit line when nothing is left over
    assert INVOICES_LINK in message.get_body(("plain",)).get_content().splitlines()
    assert f'href="{INVOICES_LINK}"' in message.get_body(("html",)).get_content()
    delivery = await probe.delivery()
    assert (delivery.kind, delivery.customer_number) == ("payment_received", "100200300")


@pytest.mark.parametrize("language", sorted(RECEIPTS))
async def test_what_is_left_over_is_named_as_credit(service: Harness, probe, mail, language: str) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(received("card", unallocated="25"), subject="pay-1", producer="billing")

    [message] = await probe.received(mail, 1)
    credit = spaced(RECEIPTS[language][3])
    assert credit in plain_words(message)
    html = " ".join(message.get_body(("html",)).get_content().split())
    assert credit.split(":")[0].strip() in html and credit.split(":")[1].strip() in html


@pytest.mark.parametrize(
    ("channel", "words"),
    [("card", "Payment method: card"), ("energy_cheque", "Payment method: energy cheque")],
)
async def test_each_channel_is_named(service: Harness, probe, mail, channel: str, words: str) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language="en")
    await service.deliver(received(channel), subject="pay-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert words in plain_words(message)


async def test_a_direct_debit_collected_sends_nothing(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language="en")
    await service.deliver(received("direct_debit"), subject="pay-1", producer="billing")
    await service.deliver(received("transfer", payment_id="pay-2"), subject="pay-2", producer="billing")

    [message] = await probe.received(mail, 1)
    assert "bank transfer" in plain_words(message)
    await sender.send_due()
    assert len(mail.messages) == 1
    assert [d.kind for d in await probe.deliveries()] == ["payment_received"]  # no row for the debit


async def test_a_redelivered_payment_sends_one_receipt(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language="en")
    envelope = await service.deliver(received(), subject="pay-1", producer="billing")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PaymentReceived.topic())
    await sender.send_due()

    assert len(mail.messages) == 1 and len(await probe.deliveries()) == 1
