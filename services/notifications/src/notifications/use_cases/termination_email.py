"""ContractTerminated → a confirmation of the end date and the termination fee.

A fee computed on the intended end date arrives first, provisional (``fee_is_final`` false), and
is mailed. The final one is mailed only when its end date or fee (incl. VAT) differs from what was
mailed for the contract; otherwise it is recorded as skipped, so the customer is not told the
same thing twice. A final one with nothing mailed before is always mailed. Kept simple: only the
last mailed terms per contract are remembered, and a provisional one arriving after the final
one was mailed (redelivery out of order) is skipped.
"""

from __future__ import annotations

from decimal import Decimal

from notifications.db.repositories import TerminationNotices
from notifications.db.tables import TerminationNotice
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import addressee_or_skip
from notifications.use_cases.queue_email import MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractTerminated
from portal_schemas.types import to_cents

KIND = EmailKind.CONTRACT_TERMINATED


async def queue_termination_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: ContractTerminated
) -> None:
    # First, before anything is written: with nobody to write to, the event parks (raises).
    to = await addressee_or_skip(
        uow, room, event_id=event_id, kind=KIND, customer_number=data.customer_number
    )
    if to is None:
        return  # parked too long: recorded as skipped, and no terms count as mailed
    notices = TerminationNotices(uow.session)
    mailed = await notices.for_contract(data.contract_id)
    fee = to_cents(data.termination_fee)
    skip = _reason_to_skip(mailed, data, fee, event_id)
    if skip is not None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=skip,
            language=to.language,
            recipient=to.email,
            customer_number=data.customer_number,
            account_id=to.account_id,
        )
        return
    queued = await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "end_date": format_date(data.end_date, to.language),
            "fee": format_money(fee, to.language) if fee else None,  # None: no fee is charged
            "fee_excl_vat": (
                format_money(data.termination_fee_excl_vat, to.language)
                if fee and data.termination_fee_excl_vat is not None
                else None
            ),
            "is_final": data.fee_is_final,
            "link": contracts_link(room.settings.public_url),
        },
    )
    if queued is None:
        return  # this event was mailed before (redelivery): what it recorded stands
    if mailed is None:
        notices.add(
            TerminationNotice(
                contract_id=data.contract_id,
                end_date=data.end_date,
                fee=fee,
                is_final=data.fee_is_final,
                event_id=event_id,
            )
        )
    else:
        mailed.end_date = data.end_date
        mailed.fee = fee
        mailed.is_final = data.fee_is_final
        mailed.event_id = event_id


def _reason_to_skip(
    mailed: TerminationNotice | None, data: ContractTerminated, fee: Decimal, event_id: str
) -> SkipReason | None:
    if mailed is None or mailed.event_id == event_id:
        return None
    if not data.fee_is_final:
        return SkipReason.TERMINATION_ALREADY_FINAL if mailed.is_final else None
    if mailed.end_date == data.end_date and mailed.fee == fee:
        return SkipReason.TERMINATION_UNCHANGED
    return None
