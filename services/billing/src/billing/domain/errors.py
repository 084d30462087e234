"""Billing's domain errors, each with a stable problem slug (``/problems/<slug>``)."""

from __future__ import annotations


class BillingError(Exception):
    slug = "billing-error"


class InvoiceError(BillingError):
    """An invoice that cannot be built as asked."""

    slug = "invoice-invalid"


class SettlementError(BillingError):
    """A final settlement that cannot be made: readings that cannot be settled (a meter that
    runs backwards, mixed units) or a termination fee whose split does not add up."""

    slug = "settlement-impossible"
