"""Every query identity makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identity.db.tables import Account, PasswordReset, SigningKey


class Accounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> Account | None:
        result: Account | None = await self.session.scalar(
            select(Account).where(Account.email == email.strip().lower())
        )
        return result

    async def get(self, account_id: str) -> Account | None:
        return await self.session.get(Account, account_id)

    def add(self, account: Account) -> None:
        self.session.add(account)


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

    async def open_for(self, account_id: str, now: datetime) -> list[PasswordReset]:
        rows = await self.session.scalars(
            select(PasswordReset).where(
                PasswordReset.account_id == account_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
        )
        return list(rows)


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
