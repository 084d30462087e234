"""Billing's customer-facing events become emails: the monthly advance and the billing mode
confirmed, payment reminders (firmer from the second step), a returned direct debit, and the
new-document email telling a credit note or partly estimated consumption. The events are
published straight to their topics, as billing would; the emails are read back from the mail
catcher. Amounts and invoice numbers are unique per test, so billing's own emails for the same
customer cannot be mistaken for these."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from portal_schemas.billing import (
    AdvanceChanged,
    BillingModeChanged,
    InvoiceIssued,
    PaymentReminderDue,
    PaymentReturned,
)
from portal_stack import Mail, MailCatcherClient


def mail_to(mail: MailCatcherClient, email: str, subject_part: str) -> Mail:
    return mail.wait_for(lambda m: email in m.to and subject_part in m.subject, timeout=30)


def words(text: str | None) -> str:
    """Lines and spaces (the no-break ones inside amounts too) joined by single spaces."""
    return " ".join((text or "").split())


def test_advance_and_billing_mode_are_confirmed(mail: MailCatcherClient, kafka: Any, customer: Any) -> None:
    common = {"contract_id": customer.contract_id, "customer_number": customer.customer_number}
    kafka.publish_event(
        AdvanceChanged(
            **common,
            amount=Decimal("87.50"),
            previous_amount=Decimal("95.00"),
            recommended_amount=Decimal("101.25"),
            effective_from=date(2026, 3, 1),
            changed_by="customer",
        ),
        customer.contract_id,
        "billing",
    )
    kafka.publish_event(
        BillingModeChanged(
            **common, mode="quarterly", previous_mode="monthly_advance", effective_from=date(2026, 4, 1)
        ),
        customer.contract_id,
        "billing",
    )

    billing_page = f"/contracts/{customer.contract_id}/billing"
    advance = mail_to(mail, customer.email, "87,50 per maand vanaf 1 maart 2026")
    assert advance.subject.strip().startswith("Je voorschot is aangepast")
    text = words(advance.text)
    assert "Je hebt je maandelijkse voorschot aangepast." in text
    assert "Voorschot per maand: € 87,50 Was: € 95,00 Vanaf: 1 maart 2026" in text
    assert "Ons advies: € 101,25 per maand" in text
    assert billing_page in (advance.text or "") and billing_page in (advance.html or "")

    mode = mail_to(mail, customer.email, "Vanaf 1 april 2026 factureren we je contract anders")
    text = words(mode.text)
    assert "Nieuw: kwartaalnota op je verbruik Vanaf: 1 april 2026" in text
    assert "Was: maandelijks voorschot met jaarafrekening" in text
    assert billing_page in (mode.text or "")


def test_payment_reminders_and_a_redelivered_step_once(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    number = f"A2026-{uuid.uuid4().hex[:8]}"
    invoice_id = str(uuid.uuid4())

    def reminder(step: int) -> PaymentReminderDue:
        return PaymentReminderDue(
            invoice_id=invoice_id,
            invoice_number=number,
            customer_number=customer.customer_number,
            contract_id=customer.contract_id,
            step=step,
            due_date=date(2026, 4, 1),
            days_overdue=14 * step,
            open_amount=Decimal("1087.65"),
            pay_by={1: date(2026, 4, 29), 2: date(2026, 5, 13)}[step],
        )

    first = kafka.publish_event(reminder(1), invoice_id, "billing")
    kafka.publish(PaymentReminderDue.topic(), first.to_json(), key=invoice_id)  # same event again
    kafka.publish_event(reminder(2), invoice_id, "billing")

    link = f"/invoices/{invoice_id}"
    friendly = mail_to(mail, customer.email, f"Herinnering: nota {number} staat nog open")
    text = words(friendly.text)
    assert "Openstaand bedrag: € 1.087,65" in text
    assert "Oorspronkelijke vervaldatum: 1 april 2026" in text
    assert "Nu uiterlijk betalen op: 29 april 2026" in text
    assert link in (friendly.text or "") and link in (friendly.html or "")

    firm = mail_to(mail, customer.email, f"Aanmaning: nota {number} is nog steeds niet betaald")
    text = words(firm.text)
    assert "Ondanks onze eerdere herinnering" in text
    assert "Nu uiterlijk betalen op: 13 mei 2026" in text
    assert "betalingsregeling" in text

    # All three records are on one partition (one key): once the group is past the last one,
    # the repeated first step has been handled too.
    last = kafka.keyed(PaymentReminderDue.topic(), invoice_id, count=3)[-1]
    kafka.wait_for_group("notifications.payment-reminder-email", last)
    mine = [m for m in mail.list() if customer.email in m.to and number in m.subject]
    assert len(mine) == 2


def test_a_returned_direct_debit_asks_for_a_transfer(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    payment_id = str(uuid.uuid4())
    kafka.publish_event(
        PaymentReturned(
            payment_id=payment_id,
            customer_number=customer.customer_number,
            amount=Decimal("93.17"),
            reason_code="AM04",
            returned_at=datetime(2026, 4, 30, 22, 30, tzinfo=UTC),  # 1 May in Amsterdam
        ),
        payment_id,
        "billing",
    )

    returned = mail_to(mail, customer.email, "93,17 is teruggeboekt")
    text = words(returned.text)
    assert "automatische incasso van € 93,17 op 1 mei 2026 teruggeboekt" in text
    assert "niet genoeg saldo" in text and "AM04" not in text
    assert "Wil je dit bedrag zelf overmaken?" in text
    assert "/invoices" in (returned.text or "") and "/invoices" in (returned.html or "")


def test_a_credit_note_and_an_estimated_invoice_say_so(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    original_id, credit_id, estimated_id = (str(uuid.uuid4()) for _ in range(3))
    suffix = uuid.uuid4().hex[:8]
    common = {
        "customer_number": customer.customer_number,
        "contract_id": customer.contract_id,
        "issued_at": datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
        "due_date": date(2026, 5, 18),
    }
    kafka.publish_event(
        InvoiceIssued(
            **common,
            invoice_id=credit_id,
            invoice_number=f"C2026-{suffix}",
            kind="credit_note",
            total_incl_vat=Decimal("-212.40"),
            credits_invoice_id=original_id,
        ),
        credit_id,
        "billing",
    )
    kafka.publish_event(
        InvoiceIssued(
            **common,
            invoice_id=estimated_id,
            invoice_number=f"Q2026-{suffix}",
            kind="quarterly",
            total_incl_vat=Decimal("318.05"),
            estimated=True,
        ),
        estimated_id,
        "billing",
    )

    credit = mail_to(mail, customer.email, f"creditnota C2026-{suffix}")
    text = words(credit.text)
    assert "Bedrag: € -212,40" in text and "Dit bedrag betalen we aan je terug." in text
    assert "Dit document corrigeert een eerdere nota." in text
    assert f"/invoices/{original_id}" in (credit.text or "") and f"/invoices/{original_id}" in (
        credit.html or ""
    )
    assert f"/invoices/{credit_id}" in (credit.text or "")

    estimated = mail_to(mail, customer.email, f"kwartaalnota Q2026-{suffix}")
    text = words(estimated.text)
    assert "Betalen vóór: 18 mei 2026" in text
    assert "Een deel van het verbruik op dit document is geschat" in text
    assert "corrigeert een eerdere nota" not in text
