"""``GET /health`` (the process answers) and ``GET /ready`` (database and Kafka reachable)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from portal_chassis.problems import problem_response
from portal_chassis.runtime import ServiceRuntime

router = APIRouter(tags=["operations"])


@router.get("/health", summary="The process is up")
async def health(request: Request) -> dict[str, str]:
    return {"status": "ok", "service": request.app.state.runtime.settings.service_name}


async def _database_ok(runtime: ServiceRuntime) -> str:
    try:
        async with asyncio.timeout(2), runtime.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"


async def _kafka_ok(runtime: ServiceRuntime) -> str:
    if not runtime.broker_connected:
        return "not connected yet"
    try:
        return "ok" if await runtime.broker.ping(timeout=2) else "unreachable"
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"


@router.get("/ready", summary="Database and Kafka are reachable", response_model=None)
async def ready(request: Request) -> dict[str, Any] | JSONResponse:
    runtime: ServiceRuntime = request.app.state.runtime
    database, kafka = await asyncio.gather(_database_ok(runtime), _kafka_ok(runtime))
    checks = {
        "database": database,
        "kafka": kafka,
        "outbox_relay": "ok" if runtime.relay.healthy else "failing",
    }
    if all(v == "ok" for v in checks.values()):
        return {"status": "ready", "service": runtime.settings.service_name, "checks": checks}
    failing = ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
    return problem_response(
        503, "not-ready", f"Not ready: {failing}.", checks=checks, headers={"Retry-After": "2"}
    )
