"""PaymentReminderDue and PaymentReturned → a reminder for an overdue invoice (firmer from the
second step), and a request to pay by transfer when a direct debit came back. Direct debits
collected and invoices paid send nothing (receipts for other payments: test_payment_received_email.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal_chassis.testing import Harness
from portal_schemas import EventData
from portal_schemas.billing import InvoicePaid, PaymentReceived, PaymentReminderDue, PaymentReturned

from .conftest import plain_words, text_words

INVOICE_LINK = "https://portal.example.test/invoices/inv-7"
INVOICES_LINK = "https://portal.example.test/invoices"


def reminder(customer_number: str = "100200300", *, step: int = 1) -> PaymentReminderDue:
    return PaymentReminderDue(
        invoice_id="inv-7",
        invoice_number="A2026-000042",
        customer_number=customer_number,
        contract_id="contract-1",
        step=step,
        due_date=dt.date(2026, 4, 1),
        days_overdue=14 * step,
        open_amount=Decimal("1087.65"),
        pay_by=dt.date(2026, 4, 29),
    )


def returned(customer_number: str = "100200300", *, reason: str = "AM04") -> PaymentReturned:
    return PaymentReturned(
        payment_id="pay-1",
        customer_number=customer_number,
        amount=Decimal("87.6"),
        reason_code=reason,
        # 22:30 UTC on 30 April is already 1 May in Amsterdam.
        returned_at=dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC),
    )


# language: (first subject, later subject, the facts as the plain text lists them)
REMINDERS = {
    "nl": (
        "Herinnering: nota A2026-000042 staat nog open",
        "Aanmaning: nota A2026-000042 is nog steeds niet betaald",
        "Openstaand bedrag: €\u00a01.087,65 Oorspronkelijke vervaldatum: 1 april 2026 "
        "Nu uiterlijk betalen op: 29 april 2026",
    ),
    "en": (
        "Reminder: invoice A2026-000042 is still open",
        "Overdue notice: invoice A2026-000042 is still unpaid",
        "Amount outstanding: €1,087.65 Original due date: 1 April 2026 Please pay by: 29 April 2026",
    ),
    "fr": (
        "Rappel : la facture A2026-000042 reste à payer",
        "Relance : la facture A2026-000042 n'est toujours pas payée",
        "Montant restant dû : 1\u202f087,65\u00a0€ Échéance initiale : 1 avril 2026 "
        "À payer au plus tard le : 29 avril 2026",
    ),
    "de": (
        "Zahlungserinnerung: Rechnung A2026-000042 ist noch offen",
        "Mahnung: Rechnung A2026-000042 ist weiterhin unbezahlt",
        "Offener Betrag: 1.087,65\u00a0€ Ursprünglich fällig am: 1. April 2026 "
        "Bitte zahlen bis: 29. April 2026",
    ),
}


@pytest.mark.parametrize("language", sorted(REMINDERS))
async def test_a_reminder_names_invoice_amount_and_both_dates(
    service: Harness, probe, mail, language: str
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(reminder(), subject="inv-7", producer="billing")

    [message] = await probe.received(mail, 1)
    first, _, facts = REMINDERS[language]
    assert message["Subject"] == first
    assert facts in text_words(message)
    assert INVOICE_LINK in message.get_body(("plain",)).get_content().splitlines()
    assert f'href="{INVOICE_LINK}"' in message.get_body(("html",)).get_content()
    assert (await probe.delivery()).kind == "payment_reminder"


@pytest.mark.parametrize("language", sorted(REMINDERS))
async def test_the_second_step_is_firmer(service: Harness, probe, mail, language: str) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(reminder(step=2), subject="inv-7", producer="billing")

    [message] = await probe.received(mail, 1)
    _, later, facts = REMINDERS[language]
    assert message["Subject"] == later
    assert facts in text_words(message)


async def test_each_step_is_its_own_email_and_a_redelivery_sends_nothing_new(
    service: Harness, probe, mail, sender
) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    envelope = await service.deliver(reminder(step=1), subject="inv-7", producer="billing")
    await service.deliver(reminder(step=2), subject="inv-7", producer="billing")
    messages = await probe.received(mail, 2)

    await service.redeliver(envelope, PaymentReminderDue.topic())
    await sender.send_due()

    assert len(mail.messages) == 2 and len(await probe.deliveries()) == 2
    later = next(m for m in messages if m["Subject"].startswith("Overdue notice"))
    text = plain_words(later)
    assert "Despite our earlier reminder" in text
    assert "we may take further steps" in text and "payment arrangement" in text


RETURNS = {
    "nl": ("Je automatische incasso van € 87,60 is teruggeboekt", "op 1 mei 2026", "niet genoeg saldo"),
    "en": ("Your direct debit of €87.60 was returned", "On 1 May 2026", "insufficient funds"),
    "fr": (
        "Votre prélèvement de 87,60 € a été rejeté",
        "Le 1 mai 2026",
        "solde du compte était insuffisant",
    ),
    "de": (
        "Ihre Lastschrift über 87,60 € wurde zurückgebucht",
        "am 1. Mai 2026",
        "nicht ausreichend gedeckt",
    ),
}


@pytest.mark.parametrize("language", sorted(RETURNS))
async def test_a_returned_debit_asks_for_a_transfer_of_the_amount(
    service: Harness, probe, mail, language: str
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.com", language=language)
    await service.deliver(returned(), subject="pay-1", producer="billing")

    [message] = await probe.received(mail, 1)
    subject, day, reason = RETURNS[language]
    assert message["Subject"] == subject
    text = plain_words(message)
    assert day in text and reason in text
    assert "AM04" not in text  # the reason in words, not the bank's code
    assert INVOICES_LINK in message.get_body(("plain",)).get_content().splitlines()
    assert f'href="{INVOICES_LINK}"' in message.get_body(("html",)).get_content()
    assert (await probe.delivery()).kind == "payment_returned"


async def test_an_unexplained_reason_code_gets_the_general_text(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="a@example.com", language="en")
    await service.deliver(returned(reason="ms03"), subject="pay-1", producer="billing")

    [message] = await probe.received(mail, 1)
    text = plain_words(message)
    assert "Please transfer this amount to us yourself" in text and "€87.60" in text
    assert "Your bank tells us" not in text and "MS03" not in text.upper()


@pytest.mark.parametrize("event", [reminder("999"), returned("999")], ids=["reminder", "returned"])
async def test_no_known_recipient_parks_the_event(
    service: Harness, probe, mail, sender, event: EventData
) -> None:
    await service.deliver(event, subject="x", producer="billing")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1


async def test_direct_debits_collected_and_invoices_paid_send_nothing(
    service: Harness, probe, mail, sender
) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    at = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
    await service.deliver(
        PaymentReceived(
            payment_id="pay-2",
            customer_number="100200300",
            channel="direct_debit",
            amount=Decimal("87.60"),
            received_at=at,
            unallocated=Decimal("0"),
        ),
        subject="pay-2",
        producer="billing",
    )
    await service.deliver(
        InvoicePaid(
            invoice_id="inv-7", invoice_number="A2026-000042", customer_number="100200300", paid_at=at
        ),
        subject="inv-7",
        producer="billing",
    )
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []
