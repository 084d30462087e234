"""The recipients read model: whom to write to for an account or a customer, in which language
and time zone, and what else the account wants to hear about. Fed by identity's events; the
customer's name comes from contracts' (use_cases/customer_contacts.py).

Each part (address, language, preferences) remembers when the event that set it happened; an
older event never overwrites a newer value, whatever order the topics deliver them in.
"""

from __future__ import annotations

from datetime import datetime

from notifications.db.repositories import CustomerContacts, Recipients
from notifications.db.tables import Recipient
from notifications.use_cases.parking import Parking
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountActivated, EmailChanged, PreferencesChanged

log = get_logger(__name__)


async def keep_recipient(uow: UnitOfWork, data: AccountActivated, as_of: datetime, parking: Parking) -> None:
    """Insert or refresh the account's address (an older event never overwrites a newer one),
    then send what was parked for the customer while nobody could be written to."""
    # Taken before the address is written: an email about the customer being parked right now
    # either sees this recipient or is parked before the release below looks (parking.py).
    await CustomerContacts(uow.session).lock(data.customer_number)
    await _keep_recipient(uow, data, as_of)
    await uow.session.flush()  # the parked events' use cases look the recipient up
    await parking.release(uow, data.customer_number)


async def _keep_recipient(uow: UnitOfWork, data: AccountActivated, as_of: datetime) -> None:
    recipients = Recipients(uow.session)
    known = await recipients.for_account(data.account_id)
    if known is None:
        recipients.add(
            Recipient(
                account_id=data.account_id,
                customer_number=data.customer_number,
                email=str(data.email),
                updated_at=as_of,
                language=data.language,
                language_updated_at=as_of,
            )
        )
        return
    if known.language_updated_at <= as_of:
        known.language = data.language
        known.language_updated_at = as_of
    if known.updated_at > as_of:
        return
    known.customer_number = data.customer_number
    known.email = str(data.email)
    known.updated_at = as_of


async def change_recipient_email(uow: UnitOfWork, data: EmailChanged, as_of: datetime) -> None:
    """The confirmed new address receives the account's mail from now on."""
    known = await Recipients(uow.session).for_account(data.account_id)
    if known is None:
        # No AccountActivated seen, so no customer to file the address under. Only an active
        # account can change its address, so its activation normally arrived long before.
        log.info("email change for an account not known here", account_id=data.account_id)
        return
    if known.updated_at > as_of:
        return
    known.email = str(data.new_email)
    known.updated_at = as_of


async def keep_preferences(uow: UnitOfWork, data: PreferencesChanged, as_of: datetime) -> None:
    """The account's language and time zone (used for later service mails) and its marketing
    choices."""
    known = await Recipients(uow.session).for_account(data.account_id)
    if known is None:
        log.info("preferences for an account not known here", account_id=data.account_id)
        return
    if known.language_updated_at <= as_of:
        known.language = data.language
        known.language_updated_at = as_of
    if known.preferences_updated_at is not None and known.preferences_updated_at > as_of:
        return
    known.offers = data.offers
    known.news = data.news
    known.energy_saving_advice = data.energy_saving_advice
    known.time_zone = data.time_zone  # None: the supplier's
    known.preferences_updated_at = as_of
