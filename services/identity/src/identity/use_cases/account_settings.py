"""The signed-in customer's own settings: the profile, a new password, the preferences.

Changing the password asks for the current one (use_cases.reauthentication); the new one passes
the password rules; every other session of the account ends (whoever else is signed in, maybe
with a stolen password, is logged out) while the caller's own log-in stays; the owner is told by
mail (PasswordChanged). Preferences are announced (PreferencesChanged, the whole set) only when
something actually changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from identity.db.repositories import EmailChanges, Sessions
from identity.db.tables import Account
from identity.domain.hashing import off_loop
from identity.domain.secrets import hash_password
from identity.settings import IdentitySettings
from identity.use_cases.accounts import check_new_password
from identity.use_cases.reauthentication import confirm_password, signed_in_account
from portal_chassis.auth import Principal
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordChanged, PreferencesChanged
from portal_schemas.types import Language

log = get_logger(__name__)


@dataclass(frozen=True)
class Preferences:
    language: Language
    offers: bool
    news: bool
    energy_saving_advice: bool
    time_zone: str | None = None  # IANA name (validated by the API); None: the supplier's zone


@dataclass(frozen=True)
class PendingEmailChange:
    new_email: str
    expires_at: datetime


@dataclass(frozen=True)
class Profile:
    email: str
    customer_number: str
    status: str
    preferences: Preferences
    pending_email_change: PendingEmailChange | None


def preferences_of(account: Account) -> Preferences:
    return Preferences(
        language=account.language,  # type: ignore[arg-type]  # stored from a Language
        offers=account.offers,
        news=account.news,
        energy_saving_advice=account.energy_saving_advice,
        time_zone=account.time_zone,
    )


async def my_profile(uow: UnitOfWork, principal: Principal, *, now: datetime) -> Profile:
    account = await signed_in_account(uow, principal)
    change = await EmailChanges(uow.session).open_for(account.id, now)
    return Profile(
        email=account.email,
        customer_number=account.customer_number,
        status=account.status,
        preferences=preferences_of(account),
        pending_email_change=None
        if change is None
        else PendingEmailChange(new_email=change.new_email, expires_at=change.expires_at),
    )


async def my_preferences(uow: UnitOfWork, principal: Principal) -> Preferences:
    return preferences_of(await signed_in_account(uow, principal))


async def change_preferences(
    uow: UnitOfWork, principal: Principal, wanted: Preferences, *, now: datetime, keep_time_zone: bool = False
) -> Preferences:
    """Set the account's preferences; with ``keep_time_zone`` (a client that sends none) its
    time zone stays as it is."""
    account = await signed_in_account(uow, principal)
    if keep_time_zone:
        wanted = replace(wanted, time_zone=account.time_zone)
    current = preferences_of(account)
    if current == wanted:
        return wanted  # nothing to announce
    if (current.offers, current.news, current.energy_saving_advice) != (
        wanted.offers,
        wanted.news,
        wanted.energy_saving_advice,
    ):
        account.preferences_chosen_at = now
    account.language = wanted.language
    account.offers = wanted.offers
    account.news = wanted.news
    account.energy_saving_advice = wanted.energy_saving_advice
    account.time_zone = wanted.time_zone
    announce_preferences(uow, account)
    await uow.commit()
    return wanted


def announce_preferences(uow: UnitOfWork, account: Account) -> None:
    """PreferencesChanged with the account's whole set, as every read model expects it."""
    uow.emit(
        PreferencesChanged(
            account_id=account.id,
            language=account.language,
            offers=account.offers,
            news=account.news,
            energy_saving_advice=account.energy_saving_advice,
            time_zone=account.time_zone,
        ),
        subject=account.id,
    )


async def change_password(
    uow: UnitOfWork,
    settings: IdentitySettings,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
    now: datetime,
) -> None:
    account = await signed_in_account(uow, principal)
    await confirm_password(uow, settings, account, current_password, now=now)
    check_new_password(new_password, account)
    account.password_hash = await off_loop(hash_password, new_password)
    account.password_changed_at = now
    await Sessions(uow.session).revoke_all_but(account.id, principal.session_id, now, "password-change")
    uow.emit(
        PasswordChanged(
            account_id=account.id,
            email=account.email,
            language=account.language,
            changed_at=now,
            reason="settings",
        ),
        subject=account.id,
    )
    await uow.commit()
    log.info("password changed in settings; other sessions ended", account_id=account.id)
