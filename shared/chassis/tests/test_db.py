"""A database that cannot be reached is an OperationalError: a 503 problem and a transient failure."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal_chassis.db import make_engine, make_sessions
from portal_chassis.dead_letter import is_transient
from portal_chassis.problems import install_problem_handlers


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _engine_without_server():  # type: ignore[no-untyped-def]
    return make_engine(f"postgresql+asyncpg://nobody:secret@127.0.0.1:{_closed_port()}/nothing")


async def test_a_refused_connection_is_an_operational_error_that_consumers_retry() -> None:
    engine = _engine_without_server()
    try:
        with pytest.raises(OperationalError) as raised:
            async with make_sessions(engine)() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_transient(raised.value)
    assert "secret" not in str(raised.value)


async def test_an_api_whose_database_is_down_answers_503_problem_details() -> None:
    engine = _engine_without_server()
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things")
    async def things() -> dict[str, int]:
        async with make_sessions(engine)() as session:
            return {"n": int(await session.scalar(text("SELECT 1")) or 0)}

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/things")
    finally:
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("database-unavailable")
    assert "Traceback" not in response.text
