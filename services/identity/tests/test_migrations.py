"""The migrations build exactly the schema the code declares (tables, outbox, inbox)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from identity.db.tables import Base
from portal_chassis import tables
from portal_chassis.migrations import alembic_config, upgrade

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def test_migrations_match_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "migrated.sqlite3"
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            assert {
                "outbox",
                "inbox",
                "accounts",
                "activations",
                "registration_facts",
                "password_resets",
                "sessions",
                "refresh_tokens",
                "signing_keys",
            } <= names
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, [Base.metadata, tables.metadata]) == []

        command.downgrade(alembic_config(MIGRATIONS, f"sqlite+aiosqlite:///{path}"), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
