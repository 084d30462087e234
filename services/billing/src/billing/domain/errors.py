"""Billing's domain errors, each with a stable problem slug (``/problems/<slug>``)."""

from __future__ import annotations


class BillingError(Exception):
    slug = "billing-error"


class InvoiceError(BillingError):
    """An invoice that cannot be built as asked."""

    slug = "invoice-invalid"


class SettlementError(BillingError):
    """A settlement that cannot be made: readings that cannot be settled (a meter that runs
    backwards, mixed units), a day without a product or a price, or a termination fee whose
    split does not add up."""

    slug = "settlement-impossible"


class TariffError(BillingError):
    """Tariffs that cannot be stored as published (two periods of one commodity from one day:
    which price applies is ambiguous)."""

    slug = "tariffs-invalid"
