"""Signing-key rotation: a new key is published before it signs; old keys retire once no token
they signed can still be valid; the newest key never retires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from identity.__main__ import MIGRATIONS, main
from identity.use_cases.signing_keys import (
    current_key,
    ensure_signing_key,
    public_jwks,
    retire_signing_keys,
    rotate_signing_key,
)
from portal_chassis.migrations import upgrade
from portal_chassis.problems import ProblemError
from portal_chassis.testing import Harness

DELAY = timedelta(seconds=60)
TTL = timedelta(minutes=15)


async def kids(service: Harness) -> list[str]:
    async with service.runtime.new_uow() as uow:
        return [k["kid"] for k in (await public_jwks(uow))["keys"]]


async def signing_kid(service: Harness, now: datetime) -> str:
    async with service.runtime.new_uow() as uow:
        return (await current_key(uow, publish_delay=DELAY, now=now)).kid


async def test_a_new_key_is_published_at_once_and_signs_after_the_delay(service: Harness) -> None:
    [old] = await kids(service)
    now = datetime.now(UTC)
    async with service.runtime.new_uow() as uow:
        new, signs_from = await rotate_signing_key(uow, now=now, publish_delay=DELAY)

    assert signs_from == now + DELAY
    assert await kids(service) == [old, new]
    assert await signing_kid(service, now + timedelta(seconds=59)) == old
    assert await signing_kid(service, now + DELAY) == new


async def test_old_keys_retire_only_after_an_access_tokens_lifetime(service: Harness) -> None:
    [old] = await kids(service)
    now = datetime.now(UTC)
    async with service.runtime.new_uow() as uow:
        new, _ = await rotate_signing_key(uow, now=now, publish_delay=DELAY)

    async with service.runtime.new_uow() as uow:
        early = await retire_signing_keys(uow, now=now + DELAY, access_ttl=TTL, publish_delay=DELAY)
    assert early.retired == []
    assert early.kept == [(old, now + DELAY + TTL)]
    assert await kids(service) == [old, new]

    async with service.runtime.new_uow() as uow:
        due = await retire_signing_keys(uow, now=now + DELAY + TTL, access_ttl=TTL, publish_delay=DELAY)
    assert due.retired == [old]
    assert await kids(service) == [new]
    assert await signing_kid(service, now + DELAY + TTL) == new


async def test_a_leaked_key_retires_immediately_and_the_new_one_signs_at_once(service: Harness) -> None:
    [old] = await kids(service)
    now = datetime.now(UTC)
    async with service.runtime.new_uow() as uow:
        new, _ = await rotate_signing_key(uow, now=now, publish_delay=DELAY)
    async with service.runtime.new_uow() as uow:
        done = await retire_signing_keys(
            uow, now=now, access_ttl=TTL, publish_delay=DELAY, kid=old, immediately=True
        )

    assert done.retired == [old]
    assert await signing_kid(service, now) == new  # the only key left signs, delay or not


async def test_the_newest_or_only_key_never_retires(service: Harness) -> None:
    [only] = await kids(service)
    later = datetime.now(UTC) + timedelta(days=1)

    async def retire(kid: str) -> None:
        async with service.runtime.new_uow() as uow:
            await retire_signing_keys(
                uow, now=later, access_ttl=TTL, publish_delay=DELAY, kid=kid, immediately=True
            )

    with pytest.raises(ProblemError, match="the only signing key") as refused:
        await retire(only)
    assert refused.value.status == 409
    async with service.runtime.new_uow() as uow:
        new, _ = await rotate_signing_key(uow, now=datetime.now(UTC), publish_delay=DELAY)
    with pytest.raises(ProblemError, match="the newest signing key"):
        await retire(new)
    with pytest.raises(ProblemError, match="No active signing key") as unknown:
        await retire("not-a-kid")
    assert unknown.value.status == 404
    assert await kids(service) == [only, new]
    async with service.runtime.new_uow() as uow:
        nothing = await retire_signing_keys(uow, now=later, access_ttl=TTL, publish_delay=DELAY)
    assert nothing.retired == [only]  # without --kid: the older ones, never the newest


def test_the_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)

    assert main(["rotate-signing-key"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("new signing key ")
    assert main(["retire-signing-keys"]) == 0
    assert "kept " in capsys.readouterr().out  # the newest has not signed a token's lifetime yet
    newest = first.split()[3].rstrip(":")
    assert main(["retire-signing-keys", "--kid", newest]) == 1
    assert "newest signing key" in capsys.readouterr().err
    assert main(["retire-signing-keys", "--immediately"]) == 0
    assert capsys.readouterr().out.startswith("retired ")
    assert main(["retire-signing-keys"]) == 0
    assert "nothing to retire" in capsys.readouterr().out


def test_retiring_before_any_key_exists_retires_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)

    assert main(["retire-signing-keys"]) == 0
    assert "nothing to retire" in capsys.readouterr().out
    assert main(["retire-signing-keys", "--kid", "not-a-kid"]) == 1
    assert "No active signing key" in capsys.readouterr().err


async def test_start_up_keeps_the_keys_it_finds(service: Harness) -> None:
    before = await kids(service)
    async with service.runtime.new_uow() as uow:
        await ensure_signing_key(uow)
    assert await kids(service) == before
