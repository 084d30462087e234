"""Who an email is written to, from the recipients read model: the address and language (from
the event or the account), the name to greet by (contracts' name of the account's own customer)
and the time zone to write moments in (the account's choice, else the supplier's).
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.db.repositories import CustomerContacts, Recipients
from notifications.db.tables import Recipient
from notifications.domain.locale import pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom
from portal_chassis.logging import get_logger
from portal_chassis.sealing import SealingError
from portal_chassis.uow import UnitOfWork
from portal_schemas.types import Language

log = get_logger(__name__)


async def account_addressee(
    uow: UnitOfWork,
    room: MailRoom,
    *,
    account_id: str,
    email: str,
    language: Language,
    customer_number: str | None = None,
) -> Addressee:
    """An address an identity event names for one of its accounts, with what is known of the
    account: its customer (to file the delivery under, unless ``customer_number`` says which
    customer the email is about), the name to greet by, and the zone.

    The name is always that of the account's own customer (AccountActivated's customer number,
    which is the account's), never that of a contract it only co-holds: a co-holder is not
    greeted by the holder's name. An account not activated yet is greeted neutrally.
    """
    known = await Recipients(uow.session).for_account(account_id)
    if known is None:
        return Addressee(email, language, customer_number, account_id=account_id)
    # The event's own address and language, not those on file (an address being confirmed).
    return replace(
        await recipient_addressee(uow, room, known),
        email=email,
        language=language,
        customer_number=customer_number or known.customer_number,
    )


async def recipient_addressee(uow: UnitOfWork, room: MailRoom, recipient: Recipient) -> Addressee:
    """The account that receives a customer's mail, filed under that customer."""
    contact = await CustomerContacts(uow.session).get(recipient.customer_number)
    return addressee_of(room, recipient, contact.sealed_name if contact is not None else None)


def addressee_of(room: MailRoom, recipient: Recipient, sealed_name: str | None) -> Addressee:
    """``recipient_addressee`` for a caller that fetched the customer's sealed name itself
    (a campaign, for all its recipients in one query)."""
    return Addressee(
        recipient.email,
        pick_language(recipient.language),
        recipient.customer_number,
        name=_open_name(room, sealed_name),
        time_zone=time_zone_of(recipient),
        account_id=recipient.account_id,
    )


def _open_name(room: MailRoom, sealed_name: str | None) -> str | None:
    """The customer's name as contracts last sent it, opened only now, for the greeting."""
    if sealed_name is None:
        return None
    try:
        return room.sealer.open(sealed_name)
    except SealingError:
        # Sealed with a key this service no longer holds: a neutral greeting beats no email.
        log.warning("customer name cannot be opened; greeting neutrally")
        return None


def time_zone_of(recipient: Recipient) -> ZoneInfo | None:
    if recipient.time_zone is None:
        return None
    try:
        return ZoneInfo(recipient.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        # Identity accepts known zones only; one this host's tz database lacks falls back.
        log.warning("unknown time zone; the supplier's is used", account_id=recipient.account_id)
        return None
