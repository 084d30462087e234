"""Registering, or adding a contract to an account, with proof of a contract instead of the
customer number and postcode: the code of a registration letter, or the number and amount of
the contract's latest invoice.

Every failing proof answers the same 422 ``registration-not-matched``: an unknown contract, a
wrong, expired, used or dead code, or an invoice that is not the contract's latest must not be
told apart, or anyone could test contract numbers. A letter's code dies after
``MAX_WRONG_REGISTRATION_CODES`` wrong tries (a new letter brings a new code) and works once.

With a proof, a new address becomes a pending account of the contract's customer that holds
the contract (as for a registration with customer number and postcode, including the rules for
an address that is still pending). An address with an active account needs that account's
password: a wrong one counts towards its lockout and the code stays unused; the right one links
the contract to the account at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from identity.db.repositories import (
    Accounts,
    ContractFactsRepository,
    ContractLinks,
    LatestInvoices,
    RegistrationCodes,
    RegistrationFactsRepository,
)
from identity.db.tables import Account
from identity.domain.contract_proof import MAX_WRONG_REGISTRATION_CODES, invoice_number_matches
from identity.domain.hashing import off_loop
from identity.domain.lockout import AccountLockedError
from identity.domain.password_policy import check_password
from identity.domain.registration import ACTIVE, PENDING
from identity.domain.secrets import hash_password, verify_code, verify_password
from identity.settings import IdentitySettings
from identity.use_cases.contract_links import (
    ContractAccess,
    access_of,
    already_linked,
    link_contract,
    reaches,
)
from identity.use_cases.failed_passwords import count_wrong_password, locked_meanwhile, lockout_policy
from identity.use_cases.registration import mailed_recently, start_activation
from portal_chassis.logging import get_logger
from portal_chassis.mail_secrets import MailSecretsEncrypter
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountRegistered, RegistrationMethod
from portal_schemas.types import Language

log = get_logger(__name__)


@dataclass(frozen=True)
class ProvenContract:
    contract_id: str
    contract_number: str
    customer_number: str
    code_hash: str | None  # the letter's code to use up; None for an invoice proof


Proof = Callable[[UnitOfWork, datetime], Awaitable[ProvenContract]]


def not_matched() -> ProblemError:
    return ProblemError(
        422,
        "registration-not-matched",
        "These details do not match a contract in our records, or the registration code has "
        "expired or was already used. Check them on your letter or latest invoice; you can ask "
        "for a new registration letter.",
    )


def _password_mismatch() -> ProblemError:
    return ProblemError(
        401,
        "registration-password-mismatch",
        "This email address already has an account. To add the contract to it, enter that "
        "account's password (or reset it first).",
    )


def by_code(contract_number: str, code: str) -> Proof:
    async def prove(uow: UnitOfWork, now: datetime) -> ProvenContract:
        codes = RegistrationCodes(uow.session)
        row = await codes.get(contract_number)
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or row.wrong_attempts >= MAX_WRONG_REGISTRATION_CODES
        ):
            await off_loop(verify_code, None, code)  # costs what a wrong code costs
            raise not_matched()
        if await off_loop(verify_code, row.code_hash, code):
            return ProvenContract(row.contract_id, row.contract_number, row.customer_number, row.code_hash)
        wrong = await codes.count_wrong(contract_number, row.code_hash, MAX_WRONG_REGISTRATION_CODES)
        await uow.commit()  # the count stays although the request fails
        if wrong is not None and wrong >= MAX_WRONG_REGISTRATION_CODES:
            log.warning("registration code dead after wrong tries", contract_id=row.contract_id)
        raise not_matched()

    return prove


def by_invoice(contract_number: str, invoice_number: str, amount: Decimal) -> Proof:
    async def prove(uow: UnitOfWork, now: datetime) -> ProvenContract:
        facts = await ContractFactsRepository(uow.session).by_number(contract_number)
        invoice = None if facts is None else await LatestInvoices(uow.session).get(facts.contract_id)
        if (
            facts is None
            or invoice is None
            or not invoice_number_matches(invoice.invoice_number, invoice_number)
            or invoice.total_incl_vat != amount
        ):
            raise not_matched()
        return ProvenContract(facts.contract_id, contract_number, facts.customer_number, None)

    return prove


async def _private_customer(uow: UnitOfWork, customer_number: str) -> Language:
    """The customer's language; business customers (and customers contracts has not told us
    about yet) are refused."""
    facts = await RegistrationFactsRepository(uow.session).get(customer_number)
    if facts is None:
        raise not_matched()
    if facts.segment != "private":
        raise ProblemError(
            422,
            "business-customer",
            "The customer portal is for private customers. Business customers can reach "
            "their account manager for their energy matters.",
        )
    return facts.language  # type: ignore[return-value]


async def _use(uow: UnitOfWork, proof: ProvenContract, now: datetime) -> None:
    if proof.code_hash is None:
        return
    used = await RegistrationCodes(uow.session).use(
        proof.contract_number, proof.code_hash, now, MAX_WRONG_REGISTRATION_CODES
    )
    if not used:  # a concurrent request used it first
        await uow.rollback()
        raise not_matched()


@dataclass(frozen=True)
class Registered:
    """The outcome: ``linked`` when the contract went to an existing active account at once;
    None when a pending account waits for its address to be confirmed (or nothing was sent)."""

    linked: ContractAccess | None


async def register_with_proof(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    prove: Proof,
    *,
    method: RegistrationMethod,
    email: str,
    password: str,
    language: Language | None,
    now: datetime,
) -> Registered:
    proof = await prove(uow, now)
    customer_language = await _private_customer(uow, proof.customer_number)
    accounts = Accounts(uow.session)
    account = await accounts.by_email_for_update(email)
    if account is not None and account.status == ACTIVE:
        return Registered(await _link_to_active(uow, settings, account, proof, password, via=method, now=now))
    check_password(password, email=email, customer_number=proof.customer_number)
    password_hash = await off_loop(hash_password, password)
    chosen: Language = language or customer_language
    if account is None:
        account = Account(
            id=str(uuid.uuid4()),
            email=email.strip().lower(),
            customer_number=proof.customer_number,
            password_hash=password_hash,
            language=chosen,
            created_at=now,
            password_changed_at=now,
            failed_logins=0,
            status=PENDING,
        )
        accounts.add(account)
        await uow.session.flush()  # its activation and link reference it
    elif account.status != PENDING:
        log.info("contract registration for an address with a non-pending account; nothing sent")
        return Registered(None)
    elif await mailed_recently(uow, settings, account.id, now):
        log.info(
            "contract registration of a pending account within the resend interval", account_id=account.id
        )
        return Registered(None)
    else:
        # Taken over: nobody proved the earlier registration, so its contracts go with it.
        await ContractLinks(uow.session).delete_all_of(account.id)
        account.customer_number = proof.customer_number
        account.password_hash = password_hash
        account.password_changed_at = now
        account.language = chosen
    link_contract(
        uow,
        account,
        contract_id=proof.contract_id,
        contract_number=proof.contract_number,
        customer_number=proof.customer_number,
        role="holder",
        via=method,
        now=now,
    )
    uow.emit(
        AccountRegistered(
            account_id=account.id,
            customer_number=account.customer_number,
            email=account.email,
            language=chosen,
            method=method,
        ),
        subject=account.id,
    )
    await start_activation(uow, settings, mail_secrets, account, now)
    await _use(uow, proof, now)
    await uow.commit()
    return Registered(None)


async def _link_to_active(
    uow: UnitOfWork,
    settings: IdentitySettings,
    account: Account,
    proof: ProvenContract,
    password: str,
    *,
    via: str,
    now: datetime,
) -> ContractAccess:
    policy = lockout_policy(settings)
    accounts = Accounts(uow.session)
    if policy.is_locked(account.locked_until, now):
        assert account.locked_until is not None
        raise AccountLockedError(account.locked_until, now)
    if not await off_loop(verify_password, account.password_hash, password):
        await count_wrong_password(uow, policy, account, now, wrong=_password_mismatch)
    if not await accounts.clear_failed_logins(account.id, now):
        await locked_meanwhile(uow, account.id, now)
    if await reaches(uow, account, proof.contract_id, proof.customer_number):
        await uow.rollback()
        raise already_linked()
    link = link_contract(
        uow,
        account,
        contract_id=proof.contract_id,
        contract_number=proof.contract_number,
        customer_number=proof.customer_number,
        role="holder",
        via=via,
        now=now,
    )
    await _use(uow, proof, now)
    await uow.commit()
    log.info("contract linked to an existing account", account_id=account.id, via=via)
    return access_of(link)


async def add_contract(
    uow: UnitOfWork, account_id: str, prove: Proof, *, via: str, now: datetime
) -> ContractAccess:
    """A logged-in customer adds a contract with a letter's code."""
    account = await Accounts(uow.session).get(account_id)
    if account is None or account.status != ACTIVE:
        raise ProblemError(401, "not-authenticated", "This account cannot be used any more. Log in again.")
    proof = await prove(uow, now)
    await _private_customer(uow, proof.customer_number)
    if await reaches(uow, account, proof.contract_id, proof.customer_number):
        raise already_linked()
    link = link_contract(
        uow,
        account,
        contract_id=proof.contract_id,
        contract_number=proof.contract_number,
        customer_number=proof.customer_number,
        role="holder",
        via=via,
        now=now,
    )
    await _use(uow, proof, now)
    await uow.commit()
    log.info("contract added by the customer", account_id=account.id, via=via)
    return access_of(link)
