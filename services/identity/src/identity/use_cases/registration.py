"""Self-registration: a private customer proves who they are with their customer number and a
postcode of theirs, then confirms their email address by the link or the code in a mail.

The account exists as ``pending`` from the registration on and becomes ``active`` (and is
announced with AccountActivated) only when the address is confirmed. Answers never tell whether
an address already has an account: a registration or resend for such an address is answered
exactly like a new one, and nothing is sent to an active account.

A pending account is not yet proven to belong to anyone, so it does not block its address: a
new registration for the same address (after the resend interval) takes it over with the new
customer number, password and language, and a fresh activation ends the older ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from identity.db.repositories import Accounts, Activations, ContractLinks, RegistrationFactsRepository
from identity.db.tables import Account, Activation
from identity.domain.hashing import off_loop
from identity.domain.password_policy import check_password
from identity.domain.registration import ACTIVE, PENDING, postcode_matches, without_whitespace
from identity.domain.secrets import hash_code, hash_password, new_code, new_token, token_digest, verify_code
from identity.settings import IdentitySettings
from identity.use_cases.contract_links import announce
from portal_chassis.logging import get_logger
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountActivated, AccountRegistered, ActivationRequested
from portal_schemas.types import Language

log = get_logger(__name__)


@dataclass(frozen=True)
class _ActivationSecrets:
    token_hash: str
    code_hash: str
    sealed_token: str
    sealed_code: str


async def _new_secrets(mail_secrets: MailSecretsEncrypter) -> _ActivationSecrets:
    """Made before we know whether anything will be sent, and thrown away when nothing is:
    every path does the same work, so the answer's timing says less about the address."""
    token, code = new_token(), new_code()
    return _ActivationSecrets(
        token_hash=token_digest(token),
        code_hash=await off_loop(hash_code, code),
        sealed_token=mail_secrets.encrypt(token, SecretPurpose.ACTIVATION_TOKEN),
        sealed_code=mail_secrets.encrypt(code, SecretPurpose.ACTIVATION_CODE),
    )


def _not_matched() -> ProblemError:
    # One answer for an unknown customer number and a postcode that is not theirs: saying
    # which was wrong would let anyone test customer numbers.
    return ProblemError(
        422,
        "registration-not-matched",
        "This customer number and postcode do not belong together in our records. Check both "
        "on an invoice; the postcode of your billing address is accepted too.",
    )


def _invalid() -> ProblemError:
    return ProblemError(
        400,
        "activation-invalid",
        "This activation link or code is not valid, was already used or has expired. You can "
        "ask for a new activation mail.",
    )


async def register(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    *,
    customer_number: str,
    postcode: str,
    email: str,
    password: str,
    language: Language | None,
    now: datetime,
) -> None:
    # First: it needs nothing from the database and says nothing about the customer number.
    check_password(password, email=email, customer_number=without_whitespace(customer_number))
    password_hash = await off_loop(hash_password, password)
    secrets = await _new_secrets(mail_secrets)
    facts = await RegistrationFactsRepository(uow.session).get(without_whitespace(customer_number))
    if facts is None or not postcode_matches(facts.postcodes, postcode):
        raise _not_matched()
    if facts.segment != "private":
        raise ProblemError(
            422,
            "business-customer",
            "The customer portal is for private customers. Business customers can reach "
            "their account manager for their energy matters.",
        )
    chosen_language: Language = language or facts.language  # type: ignore[assignment]
    accounts = Accounts(uow.session)
    try:
        account = await accounts.by_email_for_update(email)
        if account is None:
            account = Account(
                id=str(uuid.uuid4()),
                email=email.strip().lower(),
                customer_number=facts.customer_number,
                password_hash=password_hash,
                language=chosen_language,
                created_at=now,
                password_changed_at=now,
                failed_logins=0,
                status=PENDING,
            )
            accounts.add(account)
            await uow.session.flush()  # its activation references it
        elif account.status != PENDING:
            log.info("registration for an address with an active account; nothing sent")
            return
        elif await mailed_recently(uow, settings, account.id, now):
            log.info("registration of a pending account within the resend interval", account_id=account.id)
            return
        else:
            account.customer_number = facts.customer_number
            account.password_hash = password_hash
            account.password_changed_at = now
            account.language = chosen_language
        uow.emit(
            AccountRegistered(
                account_id=account.id,
                customer_number=account.customer_number,
                email=account.email,
                language=chosen_language,
                method="customer_number_postcode",
            ),
            subject=account.id,
        )
        await _issue_activation(uow, settings, secrets, account, now)
        await uow.commit()
    except IntegrityError:
        # A registration for the same address committed at the same moment: it sent the mail.
        await uow.rollback()


async def resend_activation(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    email: str,
    *,
    now: datetime,
) -> None:
    secrets = await _new_secrets(mail_secrets)
    account = await Accounts(uow.session).by_email_for_update(email)
    if account is None or account.status != PENDING:
        return
    if await mailed_recently(uow, settings, account.id, now):
        log.info("activation resend throttled", account_id=account.id)
        return
    await _issue_activation(uow, settings, secrets, account, now)
    await uow.commit()


async def activate_with_token(uow: UnitOfWork, token: str, *, now: datetime) -> None:
    activation = await Activations(uow.session).by_token_digest(token_digest(without_whitespace(token)))
    if activation is None or activation.ended_at is not None or activation.expires_at <= now:
        raise _invalid()
    await _activate(uow, activation, now)


async def activate_with_code(
    uow: UnitOfWork, settings: IdentitySettings, email: str, code: str, *, now: datetime
) -> None:
    account = await Accounts(uow.session).by_email(email)
    activations = Activations(uow.session)
    activation = None
    if account is not None and account.status == PENDING:
        activation = await activations.open_for(account.id, now)
    if activation is None:
        await off_loop(verify_code, None, code)  # costs what a wrong code costs
        raise _invalid()
    if await off_loop(verify_code, activation.code_hash, code):
        await _activate(uow, activation, now)
        return
    wrong = await activations.count_wrong_code(activation.id)
    if wrong is None:  # ended by a concurrent request
        await uow.rollback()
        raise _invalid()
    if wrong >= settings.max_wrong_activation_codes:
        await activations.end(activation.id, now, "wrong-codes")
        await uow.commit()
        log.warning("activation ended after wrong codes", account_id=activation.account_id, wrong=wrong)
        raise _invalid()
    await uow.commit()  # the count stays although the request fails
    # The same answer as for an address with nothing to activate: counting down the tries
    # would tell anyone that this address has a registration waiting.
    raise _invalid()


async def _activate(uow: UnitOfWork, activation: Activation, now: datetime) -> None:
    account = await Accounts(uow.session).get(activation.account_id)
    assert account is not None, "activations reference an account"
    if account.status != PENDING or not await Activations(uow.session).end(activation.id, now, "used"):
        await uow.rollback()
        raise _invalid()
    await activate_account(uow, account, now)
    await uow.commit()


async def activate_account(uow: UnitOfWork, account: Account, now: datetime) -> None:
    """The address is confirmed (activation, password reset, invitation): the account works.
    Contracts linked while it was not active (by a letter code or an invoice at registration)
    are announced now, so their mail goes to a confirmed address; the caller commits."""
    account.status = ACTIVE
    account.activated_at = now
    uow.emit(
        AccountActivated(
            account_id=account.id,
            customer_number=account.customer_number,
            email=account.email,
            language=account.language,
        ),
        subject=account.id,
    )
    for link in await ContractLinks(uow.session).of_account(account.id):
        announce(uow, account, link)


async def mailed_recently(
    uow: UnitOfWork, settings: IdentitySettings, account_id: str, now: datetime
) -> bool:
    latest = await Activations(uow.session).latest_created_at(account_id)
    return latest is not None and now < latest + settings.activation_resend_interval


async def start_activation(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    account: Account,
    now: datetime,
) -> None:
    """Send an account (made pending by someone else, e.g. the legacy migration) a link and a
    code exactly as a registration does; the caller commits."""
    await _issue_activation(uow, settings, await _new_secrets(mail_secrets), account, now)


async def _issue_activation(
    uow: UnitOfWork, settings: IdentitySettings, secrets: _ActivationSecrets, account: Account, now: datetime
) -> None:
    """A new link and code; the account's older ones stop working."""
    activations = Activations(uow.session)
    await activations.end_all_of(account.id, now, "replaced")
    activation = Activation(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=secrets.token_hash,
        code_hash=secrets.code_hash,
        created_at=now,
        expires_at=now + settings.activation_ttl,
        wrong_codes=0,
    )
    activations.add(activation)
    uow.emit(
        ActivationRequested(
            account_id=account.id,
            email=account.email,
            language=account.language,
            sealed_token=secrets.sealed_token,
            sealed_code=secrets.sealed_code,
            expires_at=activation.expires_at,
            # Also on a resend: a migrated account keeps the mail that explains the move.
            purpose="legacy_migration" if account.legacy_username is not None else "registration",
        ),
        subject=account.id,
    )
