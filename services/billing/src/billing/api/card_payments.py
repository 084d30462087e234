"""Card payments: POST /v1/invoices/{id}/card-payment opens the provider's hosted page, and
POST /v1/payment-provider/webhook takes the provider's signed outcome (no customer token: the
HMAC signature is the authentication)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import ValidationError

from billing.api.deps import CustomerDep, NowDep, SettingsDep, UowDep
from billing.api.payments_schemas import CardCheckoutOut, ProviderEventIn, WebhookAnswer, problem
from billing.domain.webhook_signature import HEADER, SignatureError, verify
from billing.payment_provider import HttpPaymentProvider, PaymentProvider
from billing.use_cases.card_payments import ProviderPayment, record_provider_payment, start_card_payment
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError

log = get_logger(__name__)

router = APIRouter(tags=["payments"])


def payment_provider(settings: SettingsDep) -> PaymentProvider:
    """The provider adapter; tests override this dependency."""
    return HttpPaymentProvider(
        settings.payment_provider_url, timeout=settings.payment_provider_timeout_seconds
    )


PaymentProviderDep = Annotated[PaymentProvider, Depends(payment_provider)]

CHECKOUT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("No invoice with this id for the caller"),
    409: problem("The invoice is paid, credited or a credit"),
    502: problem("The payment provider cannot be reached"),
}
WEBHOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem("Missing, wrong or stale signature: nothing changes"),
    422: problem("A signed body that is not a payment event"),
}


@router.post(
    "/v1/invoices/{invoice_id}/card-payment",
    status_code=status.HTTP_201_CREATED,
    summary="Pay one of my open invoices by card on the provider's hosted page",
    responses=CHECKOUT_ERRORS,
)
async def pay_by_card(
    invoice_id: Annotated[str, Path(min_length=1, max_length=36)],
    customer: CustomerDep,
    settings: SettingsDep,
    provider: PaymentProviderDep,
    uow: UowDep,
    now: NowDep,
) -> CardCheckoutOut:
    checkout = await start_card_payment(
        uow,
        settings,
        provider,
        customer_number=customer.customer_number,
        invoice_id=invoice_id,
        now=now,
    )
    await uow.commit()
    return CardCheckoutOut(checkout_id=checkout.checkout_id, redirect_url=checkout.redirect_url)


@router.post(
    "/v1/payment-provider/webhook",
    summary="The payment provider's signed notice of a card payment (idempotent)",
    responses=WEBHOOK_ERRORS,
    openapi_extra={
        "parameters": [
            {
                "name": HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
            }
        ],
        # Read raw (the signature covers the exact bytes), so the body is described by hand.
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["id", "type", "created", "data"],
                        "description": "type payment.succeeded or payment.failed; data: checkout_id, "
                        "reference, payment_id, amount (a decimal string), currency",
                    }
                }
            },
        },
    },
)
async def provider_webhook(request: Request, settings: SettingsDep, uow: UowDep) -> WebhookAnswer:
    body = await request.body()
    try:
        verify(
            request.headers.get(HEADER),
            body,
            secret=settings.payment_webhook_secret.get_secret_value(),
            now=int(time.time()),
            tolerance_seconds=settings.payment_webhook_tolerance_seconds,
        )
    except SignatureError as exc:
        log.warning("webhook refused", reason=str(exc))
        raise ProblemError(
            401, "webhook-signature-invalid", "The webhook signature is missing, wrong or stale."
        ) from exc
    try:
        event = ProviderEventIn.model_validate_json(body)
    except ValidationError as exc:
        raise ProblemError(422, "webhook-invalid", "The webhook body is not a payment event.") from exc
    outcome = await record_provider_payment(
        uow,
        settings,
        ProviderPayment(
            event_type=event.type,
            provider_reference=event.data.checkout_id,
            payment_id=event.data.payment_id,
            amount=event.data.amount,
            currency=event.data.currency,
            occurred_at=event.created,
        ),
    )
    await uow.commit()
    log.info("webhook applied", event_type=event.type, outcome=outcome)
    return WebhookAnswer(outcome=outcome)
