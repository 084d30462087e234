"""/v1/admin/payments: operations register bank transfers and energy cheques;
/v1/admin/invoices/{id}/credit-note: operations credit an issued invoice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from billing.api.deps import NowDep, SettingsDep, UowDep
from billing.api.payments_schemas import PaymentIn, PaymentOut, problem
from billing.api.schemas import InvoiceSummary
from billing.db.tables import InvoiceRow
from billing.use_cases.credit_notes import credit_invoice
from billing.use_cases.registered_payments import register_payment
from portal_chassis.auth import OperatorDep
from portal_chassis.logging import get_logger

log = get_logger(__name__)

router = APIRouter(prefix="/v1/admin", tags=["operations"])

PAYMENT_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Registered before with this channel and reference: the same payment, not a second one"
    },
    409: problem("Another payment (other customer or amount) has this channel and reference"),
    422: problem("Invalid fields, an unknown customer or a day after today"),
}


@router.post(
    "/payments",
    status_code=status.HTTP_201_CREATED,
    summary="Register a bank transfer or an energy cheque; it settles the oldest open invoices",
    responses=PAYMENT_ERRORS,
)
async def register(
    body: PaymentIn,
    operator: OperatorDep,
    settings: SettingsDep,
    uow: UowDep,
    now: NowDep,
    response: Response,
) -> PaymentOut:
    payment, created = await register_payment(
        uow,
        settings,
        customer_number=body.customer_number,
        channel=body.channel,
        amount=body.amount,
        reference=body.reference,
        received_on=body.received_on,
        now=now,
    )
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    log.info("payment registered", operator=operator.name, payment_id=payment.id, new=created)
    return PaymentOut.model_validate(payment)


CREDIT_NOTE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: problem("No invoice with this id"),
    409: problem("The invoice is a credit note or already credited"),
}


@router.post(
    "/invoices/{invoice_id}/credit-note",
    status_code=status.HTTP_201_CREATED,
    summary="Credit an issued invoice: a credit note reverses it; what was paid on it becomes credit",
    responses=CREDIT_NOTE_ERRORS,
)
async def credit_note(
    invoice_id: Annotated[str, Path(min_length=1, max_length=36)],
    operator: OperatorDep,
    settings: SettingsDep,
    uow: UowDep,
    now: NowDep,
) -> InvoiceSummary:
    # It also sets what was paid on the invoice against the customer's other open invoices.
    note = await credit_invoice(uow, settings, invoice_id, now)
    await uow.session.flush()
    row = await uow.session.get(InvoiceRow, note.id)
    assert row is not None, "issued above"
    summary = InvoiceSummary.model_validate(row)
    await uow.commit()
    log.info("invoice credited by operations", operator=operator.name, credit_note=note.number)
    return summary
