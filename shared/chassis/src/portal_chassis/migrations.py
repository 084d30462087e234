"""Alembic, the same way in every service.

Each service keeps ``migrations/`` beside its ``src/``; its ``env.py`` is two lines that call
:func:`run_env` with the service's metadata. The chassis tables (outbox, inbox) are part of
every service's metadata and of its first migration, which creates them by calling
:func:`create_outbox_and_inbox_v1`.

Those functions are versioned by name and frozen: they spell the tables out instead of reading
``tables.py``, so a migration that ran once keeps doing the same. When the chassis tables
change, ``tables.py`` changes together with a new function (``..._v2`` or an alteration) that
every service calls from a new migration of its own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command, context, op
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from portal_chassis import tables


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate: a migration imports SQLAlchemy, Alembic and the chassis, never service code.

    Column types from the chassis (``portal_chassis.columns``) are written by their module path;
    this adds the import they need. A type defined anywhere else outside SQLAlchemy belongs in
    the chassis first, so autogenerate stops instead of writing a migration that imports it.
    """
    if kind == "type":
        module = type(obj).__module__
        if module.startswith("portal_chassis."):
            if autogen_context.imports is not None:
                autogen_context.imports.add(f"import {module}")
        elif not module.startswith("sqlalchemy."):
            raise ValueError(
                f"column type {type(obj).__name__} comes from {module}: migrations may use only "
                "SQLAlchemy's types and portal_chassis.columns"
            )
    return False  # Alembic's own rendering


def run_env(service_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py."""
    target = [service_metadata, tables.metadata]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by alembic_config()"
    is_sqlite = url.startswith("sqlite")
    options: dict[str, Any] = {
        "target_metadata": target,
        "render_as_batch": is_sqlite,
        "render_item": _render_item,
    }

    if context.is_offline_mode():
        context.configure(url=url, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())


def create_outbox_and_inbox_v1() -> None:
    """Create the chassis tables as ``tables.py`` first declared them (call from ``upgrade()``)."""
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"], unique=False)
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )


def drop_outbox_and_inbox_v1() -> None:
    """Undo :func:`create_outbox_and_inbox_v1` (call from ``downgrade()``)."""
    op.drop_index(
        "ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_index("ix_outbox_published_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
