"""InvoiceIssued → "new document in your mailbox" to the customer's recipient, or a recorded
skip when notifications knows no address for the customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal_chassis.testing import Harness
from portal_schemas.billing import InvoiceIssued

from .conftest import plain_words


def invoice(
    customer_number: str = "100200300",
    *,
    number: str = "2026-000123",
    total: str = "1234.57",
    kind: str = "annual_settlement",
    credits_invoice_id: str | None = None,
    estimated: bool = False,
) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id="inv-1",
        invoice_number=number,
        customer_number=customer_number,
        kind=kind,  # type: ignore[arg-type]
        issued_at=dt.datetime(2026, 3, 18, 9, 0, tzinfo=dt.UTC),
        due_date=dt.date(2026, 4, 1),
        total_incl_vat=Decimal(total),
        credits_invoice_id=credits_invoice_id,
        estimated=estimated,
    )


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(invoice("999000111"), subject="inv-1", producer="billing")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1


async def test_new_document_email_in_the_recipients_language(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="client@example.fr", language="fr")
    await service.deliver(invoice(), subject="inv-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert message["To"] == "client@example.fr"
    assert message["Subject"] == "Nouveau dans votre messagerie : décompte annuel 2026-000123"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # French: narrow no-break space between thousands, decimal comma, euro sign after.
    assert "1\u202f234,57\u00a0€" in text
    assert "1 avril 2026" in text
    assert "https://portal.example.test/invoices/inv-1" in text.splitlines()
    assert 'href="https://portal.example.test/invoices/inv-1"' in html


async def test_amounts_and_dates_follow_the_language(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.nl", language="nl")
    await probe.register(customer_number="2", email="b@example.com", language="en")
    await probe.register(customer_number="3", email="c@example.de", language="de")
    for customer in ("1", "2", "3"):
        await service.deliver(invoice(customer), subject="inv-1", producer="billing")

    messages = await probe.received(mail, 3)
    texts = {m["To"]: m.get_body(("plain",)).get_content() for m in messages}
    assert "€\u00a01.234,57" in texts["a@example.nl"] and "1 april 2026" in texts["a@example.nl"]
    assert "€1,234.57" in texts["b@example.com"] and "1 April 2026" in texts["b@example.com"]
    assert "1.234,57\u00a0€" in texts["c@example.de"] and "1. April 2026" in texts["c@example.de"]


async def test_html_is_escaped_and_text_is_not(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    await service.deliver(invoice(number="A<b>&1"), subject="inv-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert "A<b>&1" in message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "A&lt;b&gt;&amp;1" in html
    assert "A<b>" not in html


async def test_a_credit_note_has_no_due_date(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl", language="en")
    await service.deliver(invoice(kind="credit_note", total="-12.50"), subject="inv-1", producer="billing")

    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "New in your mailbox: credit note 2026-000123"
    assert "-€12.50" in text
    assert "Due by" not in text


async def test_a_credit_note_links_to_the_invoice_it_corrects(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    credit = invoice(kind="credit_note", total="-1234.57", number="C2026-000001", credits_invoice_id="inv-0")
    await service.deliver(credit, subject="inv-1", producer="billing")

    [message] = await probe.received(mail, 1)
    assert message["Subject"] == "Nieuw in je berichtenbox: creditnota C2026-000001"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    original = "https://portal.example.test/invoices/inv-0"
    assert "Dit document corrigeert een eerdere nota." in plain_words(message)
    assert "Dit bedrag betalen we aan je terug." in text and "Betalen vóór" not in text
    assert original in text.splitlines() and f'href="{original}"' in html
    assert "https://portal.example.test/invoices/inv-1" in text.splitlines()  # the credit note itself
    assert "geschat" not in text


async def test_partly_estimated_consumption_is_said_to_be_corrected_later(
    service: Harness, probe, mail
) -> None:
    await probe.register(customer_number="1", email="a@example.com", language="en")
    await probe.register(customer_number="2", email="b@example.fr", language="fr")
    for customer in ("1", "2"):
        await service.deliver(
            invoice(customer, kind="quarterly", estimated=True), subject="inv-1", producer="billing"
        )

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    english, french = plain_words(messages["a@example.com"]), plain_words(messages["b@example.fr"])
    assert "Part of the consumption on this document is estimated" in english
    assert "Once we have a reading, we correct the estimate." in english
    assert "Due by: 1 April 2026" in english  # otherwise the usual invoice
    assert "Une partie de la consommation de ce document est estimée" in french
    assert "corrects an earlier invoice" not in english


async def test_a_negative_settlement_is_money_back_without_a_due_date(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="kunde@example.de", language="de")
    await service.deliver(invoice(total="-80.10"), subject="inv-1", producer="billing")

    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "Neu in Ihrem Postfach: Jahresabrechnung 2026-000123"
    assert "-80,10\u00a0€" in text
    assert "Diesen Betrag erstatten wir Ihnen." in text
    assert "Fällig am" not in text and "Fällig am" not in message.get_body(("html",)).get_content()
