"""Every query identity makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Exists, case, delete, func, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from identity.db.tables import (
    AccessRequest,
    Account,
    Activation,
    ClientFailure,
    ContractEnd,
    ContractFacts,
    ContractLink,
    EmailChange,
    Invitation,
    LatestInvoice,
    LegacyMigration,
    PasswordReset,
    RefreshToken,
    RegistrationCode,
    RegistrationFacts,
    SessionFamily,
    SigningKey,
)
from identity.domain.lockout import LockoutPolicy
from portal_chassis.columns import UtcDateTime


@dataclass(frozen=True)
class FailureCount:
    """What counting one failed log-in did."""

    failed_logins: int
    locked_until: datetime | None  # set only when this very failure locked the account


def _not_locked(now: datetime) -> ColumnElement[bool]:
    return or_(Account.locked_until.is_(None), Account.locked_until <= now)


class Accounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> Account | None:
        result: Account | None = await self.session.scalar(
            select(Account).where(Account.email == email.strip().lower())
        )
        return result

    async def by_email_for_update(self, email: str) -> Account | None:
        result: Account | None = await self.session.scalar(
            select(Account).where(Account.email == email.strip().lower()).with_for_update()
        )
        return result

    async def by_legacy_username(self, username: str) -> Account | None:
        result: Account | None = await self.session.scalar(
            select(Account).where(Account.legacy_username == normalise_username(username))
        )
        return result

    async def get(self, account_id: str) -> Account | None:
        return await self.session.get(Account, account_id)

    async def locked_until(self, account_id: str) -> datetime | None:
        """Read from the database, not from the session's copy of the account."""
        result: datetime | None = await self.session.scalar(
            select(Account.locked_until).where(Account.id == account_id)
        )
        return result

    def add(self, account: Account) -> None:
        self.session.add(account)

    async def count_failed_login(
        self, account_id: str, policy: LockoutPolicy, now: datetime
    ) -> FailureCount | None:
        """Count one failed log-in; lock the account when it reaches the policy's maximum.

        One UPDATE reads and writes the counter, so two failures at the same moment cannot both
        read 2 and write 3 (a read-modify-write would let an attacker skip the lock by sending
        guesses in parallel). The row is excluded while locked: under PostgreSQL's READ
        COMMITTED a concurrent UPDATE waits for ours and re-checks the WHERE clause, so once a
        failure has locked the account, the others match nothing. ``None`` means the account is
        locked (by a concurrent failure); nothing was counted.

        A lock that has run out is cleared by the next failure, which counts as the first again.
        """
        counted = case((Account.locked_until.is_(None), Account.failed_logins + 1), else_=literal(1))
        until = now + policy.duration
        statement = (
            update(Account)
            .where(Account.id == account_id, _not_locked(now))
            .values(
                failed_logins=counted,
                locked_until=case(
                    (counted >= policy.max_failures, literal(until, UtcDateTime())), else_=null()
                ),
            )
            .returning(Account.failed_logins, Account.locked_until)
            .execution_options(synchronize_session=False)
        )
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            return None
        return FailureCount(failed_logins=row.failed_logins, locked_until=row.locked_until)

    async def clear_failed_logins(self, account_id: str, now: datetime) -> bool:
        """After a right password: the count starts again. False if the account is locked by now.

        Conditional for the same reason as :meth:`count_failed_login`: a right password that
        races with an attacker's locking failure must not lift the lock.
        """
        statement = (
            update(Account)
            .where(Account.id == account_id, _not_locked(now))
            .values(failed_logins=0, locked_until=None)
            .returning(Account.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def page(self, *, email: str, limit: int, offset: int) -> tuple[list[Account], int]:
        """Operations' look-up: the account of an address (a list, like every list)."""
        condition = Account.email == email.strip().lower()
        total = await self.session.scalar(select(func.count()).select_from(Account).where(condition))
        rows = await self.session.scalars(
            select(Account).where(condition).order_by(Account.created_at).limit(limit).offset(offset)
        )
        return list(rows), int(total or 0)

    async def change_status(self, account_id: str, *, old: str, new: str) -> bool:
        """``old`` -> ``new`` in one conditional UPDATE: False when the account was not ``old``
        (two runs of a job at once change it once)."""
        statement = (
            update(Account)
            .where(Account.id == account_id, Account.status == old)
            .values(status=new)
            .returning(Account.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def ids_of_customer(self, customer_number: str, status: str) -> list[str]:
        rows = await self.session.scalars(
            select(Account.id).where(Account.customer_number == customer_number, Account.status == status)
        )
        return list(rows)

    @staticmethod
    def unlock(account: Account) -> None:
        """A completed password reset proves ownership: the lock and the count go."""
        account.failed_logins = 0
        account.locked_until = None


def normalise_username(username: str) -> str:
    """The old portal's user names did not depend on case."""
    return username.strip().lower()


class LegacyMigrations:
    """Migration tokens of legacy accounts (see use_cases.legacy)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, migration: LegacyMigration) -> None:
        self.session.add(migration)

    async def by_digest(self, digest: str) -> LegacyMigration | None:
        result: LegacyMigration | None = await self.session.scalar(
            select(LegacyMigration).where(LegacyMigration.token_hash == digest)
        )
        return result

    async def use(self, migration_id: str, now: datetime) -> bool:
        """Mark the token used; False if it already was (of two requests at once, one wins)."""
        statement = (
            update(LegacyMigration)
            .where(LegacyMigration.id == migration_id, LegacyMigration.used_at.is_(None))
            .values(used_at=now)
            .returning(LegacyMigration.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def end_all_of(self, account_id: str, now: datetime) -> None:
        await self.session.execute(
            update(LegacyMigration)
            .where(LegacyMigration.account_id == account_id, LegacyMigration.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )


class PasswordResets:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, reset: PasswordReset) -> None:
        self.session.add(reset)

    async def by_digest_for_update(self, digest: str) -> PasswordReset | None:
        result: PasswordReset | None = await self.session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == digest).with_for_update()
        )
        return result

    async def open_code_for(self, account_id: str, now: datetime, max_wrong: int) -> PasswordReset | None:
        """The account's reset whose code still works (at most one: a new request ends the others)."""
        result: PasswordReset | None = await self.session.scalar(
            select(PasswordReset)
            .where(
                PasswordReset.account_id == account_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
                PasswordReset.code_expires_at > now,
                PasswordReset.wrong_codes < max_wrong,
            )
            .order_by(PasswordReset.created_at.desc())
            .limit(1)
        )
        return result

    async def use(self, reset_id: str, now: datetime) -> bool:
        """Mark the reset used; False if it had already ended (of two requests at once, one wins)."""
        statement = (
            update(PasswordReset)
            .where(PasswordReset.id == reset_id, PasswordReset.used_at.is_(None))
            .values(used_at=now, end_reason="used")
            .returning(PasswordReset.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def end_all_of(self, account_id: str, now: datetime, reason: str) -> None:
        """End every reset of the account that is still open (its link and code stop working)."""
        await self.session.execute(
            update(PasswordReset)
            .where(PasswordReset.account_id == account_id, PasswordReset.used_at.is_(None))
            .values(used_at=now, end_reason=reason)
            .execution_options(synchronize_session=False)
        )

    async def count_wrong_code(self, reset_id: str, max_wrong: int) -> int | None:
        """Count one wrong code in a single UPDATE (parallel guesses cannot skip the limit);
        ``None`` if the reset has ended or its code has died meanwhile."""
        statement = (
            update(PasswordReset)
            .where(
                PasswordReset.id == reset_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.wrong_codes < max_wrong,
            )
            .values(wrong_codes=PasswordReset.wrong_codes + 1)
            .returning(PasswordReset.wrong_codes)
            .execution_options(synchronize_session=False)
        )
        result: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return result

    async def count_created_since(self, account_id: str, since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .where(PasswordReset.account_id == account_id, PasswordReset.created_at > since)
        )
        return int(count or 0)


class Sessions:
    """Session families and their refresh tokens."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_family(self, family: SessionFamily) -> None:
        self.session.add(family)
        # Written at once: its refresh tokens reference it, and without a relationship() the
        # flush would not know to insert the family first.
        await self.session.flush()

    def add_token(self, token: RefreshToken) -> None:
        self.session.add(token)

    async def family(self, family_id: str) -> SessionFamily | None:
        return await self.session.get(SessionFamily, family_id)

    async def token_by_digest(self, digest: str) -> RefreshToken | None:
        result: RefreshToken | None = await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == digest)
        )
        return result

    async def use_token(self, token_id: str, now: datetime) -> bool:
        """Mark the token used; False if it already was.

        A conditional UPDATE, so of two requests presenting the same token at once exactly one
        rotates it and the other is treated as reuse.
        """
        statement = (
            update(RefreshToken)
            .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def revoke_family(self, family_id: str, now: datetime, reason: str) -> None:
        await self.session.execute(
            update(SessionFamily)
            .where(SessionFamily.id == family_id, SessionFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )

    async def revoke_all_of(self, account_id: str, now: datetime, reason: str) -> None:
        await self.session.execute(
            update(SessionFamily)
            .where(SessionFamily.account_id == account_id, SessionFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )

    async def revoke_all_but(self, account_id: str, keep: str | None, now: datetime, reason: str) -> None:
        """Every session of the account except ``keep`` (the caller's own log-in) ends."""
        await self.session.execute(
            update(SessionFamily)
            .where(
                SessionFamily.account_id == account_id,
                SessionFamily.revoked_at.is_(None),
                SessionFamily.id != (keep or ""),
            )
            .values(revoked_at=now, revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )


class SigningKeys:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self) -> list[SigningKey]:
        rows = await self.session.scalars(
            select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at)
        )
        return list(rows)

    def add(self, key: SigningKey) -> None:
        self.session.add(key)


class _MailedSecrets:
    """What activations and email changes share: a mailed link and code that end once (used,
    replaced, too many wrong codes). Subclasses name their table in ``model``."""

    model: type[Activation] | type[EmailChange]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def end(self, row_id: str, now: datetime, reason: str) -> bool:
        """End one; False if it had already ended. Conditional, so of two requests presenting
        the same token or code at once exactly one wins."""
        model = self.model
        statement = (
            update(model)
            .where(model.id == row_id, model.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def end_all_of(self, account_id: str, now: datetime, reason: str) -> None:
        model = self.model
        await self.session.execute(
            update(model)
            .where(model.account_id == account_id, model.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
            .execution_options(synchronize_session=False)
        )

    async def count_wrong_code(self, row_id: str) -> int | None:
        """Count one wrong code in a single UPDATE (parallel guesses cannot skip the limit);
        ``None`` if it has ended meanwhile."""
        model = self.model
        statement = (
            update(model)
            .where(model.id == row_id, model.ended_at.is_(None))
            .values(wrong_codes=model.wrong_codes + 1)
            .returning(model.wrong_codes)
            .execution_options(synchronize_session=False)
        )
        result: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return result


class Activations(_MailedSecrets):
    """Pending activations of new accounts (link token and code)."""

    model = Activation

    def add(self, activation: Activation) -> None:
        self.session.add(activation)

    async def by_token_digest(self, digest: str) -> Activation | None:
        result: Activation | None = await self.session.scalar(
            select(Activation).where(Activation.token_hash == digest)
        )
        return result

    async def open_for(self, account_id: str, now: datetime) -> Activation | None:
        """The account's activation that still works (at most one: a new one ends the others)."""
        result: Activation | None = await self.session.scalar(
            select(Activation)
            .where(
                Activation.account_id == account_id,
                Activation.ended_at.is_(None),
                Activation.expires_at > now,
            )
            .order_by(Activation.created_at.desc())
            .limit(1)
        )
        return result

    async def latest_created_at(self, account_id: str) -> datetime | None:
        result: datetime | None = await self.session.scalar(
            select(func.max(Activation.created_at)).where(Activation.account_id == account_id)
        )
        return result


class RegistrationFactsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_number: str) -> RegistrationFacts | None:
        return await self.session.get(RegistrationFacts, customer_number)

    def add(self, facts: RegistrationFacts) -> None:
        self.session.add(facts)


class ContractFactsRepository:
    """Contracts' numbers and customers (read model of ContractCreated)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> ContractFacts | None:
        return await self.session.get(ContractFacts, contract_id)

    async def by_number(self, contract_number: str) -> ContractFacts | None:
        result: ContractFacts | None = await self.session.scalar(
            select(ContractFacts).where(ContractFacts.contract_number == contract_number)
        )
        return result

    async def of_customer(self, customer_number: str) -> list[ContractFacts]:
        rows = await self.session.scalars(
            select(ContractFacts)
            .where(ContractFacts.customer_number == customer_number)
            .order_by(ContractFacts.contract_number, ContractFacts.contract_id)
        )
        return list(rows)

    def add(self, facts: ContractFacts) -> None:
        self.session.add(facts)


class ContractEnds:
    """Contracts' last days of supply (read model of ContractTerminated and ContractWithdrawn),
    and the accounts whose contracts have all ended."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> ContractEnd | None:
        return await self.session.get(ContractEnd, contract_id)

    def add(self, end: ContractEnd) -> None:
        self.session.add(end)

    async def accounts_past(self, cutoff: date, *, status: str, limit: int) -> list[Account]:
        """Up to ``limit`` accounts with ``status`` that have a contract that ended, none that
        runs, and none that ended on or after ``cutoff``. An account's contracts are those of
        its customer number (known from ContractCreated or from their end) and its links; an
        account identity knows no contract of is left alone."""

        def ended_before_cutoff(contract_id: InstrumentedAttribute[str]) -> Exists:
            return (
                select(ContractEnd.contract_id)
                .where(ContractEnd.contract_id == contract_id, ContractEnd.end_date < cutoff)
                .exists()
            )

        linked = select(ContractLink.contract_id).where(ContractLink.account_id == Account.id)
        some_ended = (
            select(ContractEnd.contract_id)
            .where(
                or_(
                    ContractEnd.customer_number == Account.customer_number,
                    ContractEnd.contract_id.in_(linked),
                )
            )
            .exists()
        )
        own_running = (
            select(ContractFacts.contract_id)
            .where(
                ContractFacts.customer_number == Account.customer_number,
                ~ended_before_cutoff(ContractFacts.contract_id),
            )
            .exists()
        )
        own_in_grace = (
            select(ContractEnd.contract_id)
            .where(ContractEnd.customer_number == Account.customer_number, ContractEnd.end_date >= cutoff)
            .exists()
        )
        linked_running = (
            select(ContractLink.contract_id)
            .where(ContractLink.account_id == Account.id, ~ended_before_cutoff(ContractLink.contract_id))
            .exists()
        )
        rows = await self.session.scalars(
            select(Account)
            .where(Account.status == status, some_ended, ~own_running, ~own_in_grace, ~linked_running)
            .order_by(Account.id)
            .limit(limit)
        )
        return list(rows)


class RegistrationCodes:
    """The latest registration-letter code of each contract (argon2id only)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_number: str) -> RegistrationCode | None:
        return await self.session.get(RegistrationCode, contract_number)

    def add(self, code: RegistrationCode) -> None:
        self.session.add(code)

    async def count_wrong(self, contract_number: str, code_hash: str, max_wrong: int) -> int | None:
        """Count one wrong code in a single UPDATE (parallel guesses cannot skip the limit);
        ``None`` if the code was used, replaced or already dead meanwhile."""
        statement = (
            update(RegistrationCode)
            .where(
                RegistrationCode.contract_number == contract_number,
                RegistrationCode.code_hash == code_hash,  # not a newer letter's
                RegistrationCode.used_at.is_(None),
                RegistrationCode.wrong_attempts < max_wrong,
            )
            .values(wrong_attempts=RegistrationCode.wrong_attempts + 1)
            .returning(RegistrationCode.wrong_attempts)
            .execution_options(synchronize_session=False)
        )
        result: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return result

    async def use(self, contract_number: str, code_hash: str, now: datetime, max_wrong: int) -> bool:
        """Mark the code used; False if it was used, replaced or died meanwhile (of two
        requests with the same code, one wins)."""
        statement = (
            update(RegistrationCode)
            .where(
                RegistrationCode.contract_number == contract_number,
                RegistrationCode.code_hash == code_hash,  # not a newer letter's
                RegistrationCode.used_at.is_(None),
                RegistrationCode.wrong_attempts < max_wrong,
            )
            .values(used_at=now)
            .returning(RegistrationCode.contract_number)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None


class LatestInvoices:
    """The newest invoice of each contract (read model of InvoiceIssued)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> LatestInvoice | None:
        return await self.session.get(LatestInvoice, contract_id)

    def add(self, invoice: LatestInvoice) -> None:
        self.session.add(invoice)


class ContractLinks:
    """Accounts' access to contracts beyond their own customer number's."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, link: ContractLink) -> None:
        self.session.add(link)

    async def of_account(self, account_id: str) -> list[ContractLink]:
        rows = await self.session.scalars(
            select(ContractLink)
            .where(ContractLink.account_id == account_id)
            .order_by(ContractLink.linked_at, ContractLink.contract_number)
        )
        return list(rows)

    async def find(self, account_id: str, contract_id: str) -> ContractLink | None:
        result: ContractLink | None = await self.session.scalar(
            select(ContractLink).where(
                ContractLink.account_id == account_id, ContractLink.contract_id == contract_id
            )
        )
        return result

    async def delete_all_of(self, account_id: str) -> None:
        await self.session.execute(delete(ContractLink).where(ContractLink.account_id == account_id))


class ClientFailures:
    """Failed log-ins and registration proofs per client key, for the spraying limit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_since(self, client_key: str, since: datetime) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ClientFailure)
            .where(ClientFailure.client_key == client_key, ClientFailure.failed_at > since)
        )
        return int(count or 0)

    async def nth_oldest_since(self, client_key: str, since: datetime, n: int) -> datetime | None:
        """The failure time at 0-based position ``n`` among those after ``since``, oldest first."""
        return await self.session.scalar(
            select(ClientFailure.failed_at)
            .where(ClientFailure.client_key == client_key, ClientFailure.failed_at > since)
            .order_by(ClientFailure.failed_at)
            .offset(n)
            .limit(1)
        )

    def add(self, client_key: str, at: datetime) -> None:
        self.session.add(ClientFailure(client_key=client_key, failed_at=at))

    async def forget_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(ClientFailure).where(ClientFailure.failed_at <= cutoff))


class EmailChanges(_MailedSecrets):
    """Requested changes of login address (link token and code for the new address)."""

    model = EmailChange

    def add(self, change: EmailChange) -> None:
        self.session.add(change)

    async def by_token_digest_for_update(self, digest: str) -> EmailChange | None:
        result: EmailChange | None = await self.session.scalar(
            select(EmailChange).where(EmailChange.token_hash == digest).with_for_update()
        )
        return result

    async def open_for(self, account_id: str, now: datetime) -> EmailChange | None:
        """The account's request that still works (at most one: a new one ends the others)."""
        result: EmailChange | None = await self.session.scalar(
            select(EmailChange)
            .where(
                EmailChange.account_id == account_id,
                EmailChange.ended_at.is_(None),
                EmailChange.expires_at > now,
            )
            .order_by(EmailChange.created_at.desc())
            .limit(1)
        )
        return result


class AccessRequests:
    """Portal access requests and operations' decisions on them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, request: AccessRequest) -> None:
        self.session.add(request)

    async def get_for_update(self, request_id: str) -> AccessRequest | None:
        result: AccessRequest | None = await self.session.scalar(
            select(AccessRequest).where(AccessRequest.id == request_id).with_for_update()
        )
        return result

    async def open_for_email(self, email: str) -> AccessRequest | None:
        result: AccessRequest | None = await self.session.scalar(
            select(AccessRequest)
            .where(AccessRequest.email == email, AccessRequest.decision.is_(None))
            .limit(1)
        )
        return result

    async def page(self, *, decided: bool, limit: int, offset: int) -> tuple[list[AccessRequest], int]:
        """Open requests oldest first (a queue); decided ones newest decision first."""
        condition = AccessRequest.decision.is_not(None) if decided else AccessRequest.decision.is_(None)
        order = AccessRequest.decided_at.desc() if decided else AccessRequest.requested_at
        total = await self.session.scalar(select(func.count()).select_from(AccessRequest).where(condition))
        rows = await self.session.scalars(
            select(AccessRequest)
            .where(condition)
            .order_by(order, AccessRequest.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)


class Invitations:
    """Set-password links of accounts opened on an approved access request."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, invitation: Invitation) -> None:
        self.session.add(invitation)

    async def by_token_digest_for_update(self, digest: str) -> Invitation | None:
        result: Invitation | None = await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == digest).with_for_update()
        )
        return result

    async def use(self, invitation_id: str, now: datetime) -> bool:
        """Mark the link used; False if it already was (of two requests at once, one wins)."""
        statement = (
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
            .values(used_at=now)
            .returning(Invitation.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None
