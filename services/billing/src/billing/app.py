"""The billing service: invoices from contracts' and metering's events, shown to customers."""

from __future__ import annotations

from fastapi import FastAPI

from billing.api import (
    admin_payments,
    advances,
    balance,
    billing_modes,
    card_payments,
    direct_debits,
    documents,
    invoices,
)
from billing.consumers import build_handlers
from billing.settings import BillingSettings
from portal_chassis.app import build_service


def create_app(settings: BillingSettings | None = None) -> FastAPI:
    settings = settings or BillingSettings()
    return build_service(
        settings,
        title="Billing",
        description=(
            "Invoices and final settlements. Keeps contracts and meter readings as read models "
            "fed by events, issues a final invoice when a contract ends and announces every "
            "invoice with InvoiceIssued."
        ),
        routers=[
            invoices.router,
            documents.router,
            direct_debits.router,
            balance.router,
            card_payments.router,
            admin_payments.router,
            advances.router,
            advances.admin_router,
            billing_modes.router,
        ],
        handlers=build_handlers(settings),
        produces=[
            "InvoiceIssued",
            "AdvanceChanged",
            "BillingModeChanged",
            "PaymentReceived",
            "PaymentReturned",
            "InvoicePaid",
            "PaymentReminderDue",
        ],
    )
