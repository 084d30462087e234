"""The operations CLI's create-account: an active account at once, announced with AccountActivated."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from identity.__main__ import MIGRATIONS, main
from identity.db.tables import Account
from portal_chassis import tables
from portal_chassis.migrations import upgrade


def test_create_account_makes_an_active_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))

    code = main(["create-account", "--email", "Ops@Example.nl", "--customer-number", "100200300"])

    assert code == 0
    account_id = capsys.readouterr().out.strip()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            account = conn.execute(
                select(Account.status, Account.email).where(Account.id == account_id)
            ).one()
            events = conn.execute(select(tables.outbox.c.event_type, tables.outbox.c.payload)).all()
    finally:
        engine.dispose()
    assert (account.status, account.email) == ("active", "ops@example.nl")
    assert [e.event_type for e in events] == ["AccountRegistered", "AccountActivated"]
    assert json.loads(events[0].payload)["data"]["method"] == "operations"
    assert {json.loads(e.payload)["data"]["account_id"] for e in events} == {account_id}
