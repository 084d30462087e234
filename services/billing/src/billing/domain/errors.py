"""Billing's domain errors, each with a stable problem slug (``/problems/<slug>``)."""

from __future__ import annotations


class BillingError(Exception):
    slug = "billing-error"


class InvoiceError(BillingError):
    """An invoice that cannot be built as asked."""

    slug = "invoice-invalid"


class SettlementError(BillingError):
    """Readings that cannot be settled (a meter that runs backwards, mixed units)."""

    slug = "settlement-impossible"
