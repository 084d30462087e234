"""Payments operations registers by hand: bank transfers and energy cheques."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from billing.db.repositories import Customers, Payments
from billing.db.tables import PaymentRow
from billing.settings import BillingSettings
from billing.use_cases.payments import book_payment
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

RegisteredChannel = Literal["transfer", "energy_cheque"]


async def register_payment(
    uow: UnitOfWork,
    settings: BillingSettings,
    *,
    customer_number: str,
    channel: RegisteredChannel,
    amount: Decimal,
    reference: str,
    received_on: date,
    now: datetime,
) -> tuple[PaymentRow, bool]:
    """Book the payment (the caller commits); (payment, True) when new, (the payment booked
    before, False) when the same (channel, reference) is registered again."""
    if received_on > calendar_day(now, settings.zone):
        raise ProblemError(422, "payment-in-future", "A payment cannot be received after today.")
    payments = Payments(uow.session)
    existing = await payments.by_reference(channel, reference)
    if existing is None:
        if await Customers(uow.session).get(customer_number) is None:
            raise ProblemError(422, "customer-unknown", "Billing knows no customer with this number.")
        booked = await book_payment(
            uow,
            settings,
            customer_number=customer_number,
            channel=channel,
            amount=amount,
            reference=reference,
            received_at=start_of_day(received_on, settings.zone),
        )
        if booked is not None:
            return booked, True
        existing = await payments.by_reference(channel, reference)  # booked meanwhile
        assert existing is not None
    if existing.customer_number != customer_number or existing.amount != amount:
        # A repeat must be the same payment; anything else is a typo in the reference.
        raise ProblemError(
            409,
            "payment-reference-taken",
            "A different payment is already booked with this channel and reference.",
        )
    return existing, False
