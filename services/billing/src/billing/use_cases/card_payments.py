"""Card payments: a checkout on the provider's hosted page, and the provider's webhook.

The customer pays one open invoice at a time, its open amount. The webhook books what the
provider says was paid through book_payment, settling that invoice before any older one; the
provider's payment id is the reference, and (channel, reference) is booked once, so a repeated
webhook books nothing. An amount other than the checkout's is booked as well (the money moved)
and logged as a warning for operations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from billing.db.repositories import CardCheckouts, Invoices
from billing.db.tables import CardCheckoutRow
from billing.payment_provider import PaymentProvider, PaymentProviderError
from billing.settings import BillingSettings
from billing.use_cases.payments import book_payment
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)

WebhookOutcome = Literal["booked", "already_booked", "declined", "ignored"]


@dataclass(frozen=True)
class Checkout:
    checkout_id: str
    redirect_url: str  # the provider's hosted payment page


@dataclass(frozen=True)
class ProviderPayment:
    """What a webhook says about a checkout."""

    event_type: str  # payment.succeeded | payment.failed | others (ignored)
    provider_reference: str  # the provider's checkout id
    payment_id: str | None  # the provider's payment id, once money moved
    amount: Decimal
    currency: str
    occurred_at: datetime


async def start_card_payment(
    uow: UnitOfWork,
    settings: BillingSettings,
    provider: PaymentProvider,
    *,
    customer_number: str,
    invoice_id: str,
    now: datetime,
) -> Checkout:
    """Open a checkout for the invoice's open amount and record it (the caller commits)."""
    invoice = await Invoices(uow.session).for_customer(invoice_id, customer_number)
    if invoice is None:
        # Someone else's invoice answers exactly like a missing one.
        raise ProblemError(404, "invoice-not-found", "There is no invoice with this id.")
    if invoice.status != "open" or invoice.open_amount <= 0:
        what = "a credit" if invoice.status == "open" else invoice.status
        raise ProblemError(
            409,
            "invoice-not-payable",
            f"This invoice is {what}: there is nothing to pay.",
            invoice_status=invoice.status,
        )
    checkout_id = str(uuid.uuid4())
    try:
        provider_reference, redirect_url = await provider.create_checkout(
            invoice.open_amount, invoice.currency, checkout_id, settings.payment_return_url
        )
    except PaymentProviderError as exc:
        raise ProblemError(
            502, "payment-provider-unavailable", "The payment provider cannot be reached; try again later."
        ) from exc
    CardCheckouts(uow.session).add(
        CardCheckoutRow(
            id=checkout_id,
            customer_number=customer_number,
            invoice_id=invoice.id,
            amount=invoice.open_amount,
            provider_reference=provider_reference,
            status="pending",
            created_at=now,
        )
    )
    log.info("card checkout opened", checkout_id=checkout_id, invoice_id=invoice.id)
    return Checkout(checkout_id, redirect_url)


async def record_provider_payment(
    uow: UnitOfWork, settings: BillingSettings, payment: ProviderPayment
) -> WebhookOutcome:
    """Apply a verified webhook (the caller commits)."""
    checkout = await CardCheckouts(uow.session).by_provider_reference(payment.provider_reference)
    if checkout is None:
        # Signed by the provider but not ours (another environment's checkout): answering an
        # error would only make the provider retry it for days.
        log.warning("webhook for an unknown checkout", event_type=payment.event_type)
        return "ignored"
    if payment.event_type == "payment.failed":
        if checkout.status == "pending":
            checkout.status = "failed"
        log.info("card payment declined", checkout_id=checkout.id)
        return "declined"
    if payment.event_type != "payment.succeeded":
        return "ignored"
    if not payment.payment_id:
        raise ProblemError(422, "webhook-invalid", "A succeeded payment names its payment id.")
    if payment.currency != "EUR" or payment.amount <= 0:
        raise ProblemError(422, "webhook-invalid", "A succeeded payment is a euro amount above zero.")
    if payment.amount != checkout.amount:
        log.warning(
            "card payment differs from its checkout",
            checkout_id=checkout.id,
            checkout_amount=str(checkout.amount),
            paid_amount=str(payment.amount),
        )
    booked = await book_payment(
        uow,
        settings,
        customer_number=checkout.customer_number,
        channel="card",
        amount=payment.amount,
        reference=payment.payment_id,
        received_at=payment.occurred_at,
        for_invoice=checkout.invoice_id,  # the customer paid this one, not the oldest
    )
    checkout.status = "paid"
    return "booked" if booked is not None else "already_booked"
