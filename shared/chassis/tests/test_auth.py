"""Access-token checks every service does itself."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from sqlalchemy import MetaData

from portal_chassis.app import build_service
from portal_chassis.auth import CustomerDep
from portal_chassis.testing import TokenFactory, service_under_test

router = APIRouter()


@router.get("/v1/me")
async def me(customer: CustomerDep) -> dict[str, str]:
    return {"customer_number": customer.customer_number}


async def test_only_a_valid_token_passes(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    tokens = TokenFactory()
    tokens.install(app)
    stranger = TokenFactory()  # same claims, a key identity never published
    async with service_under_test(app, MetaData()) as svc:
        ok = await svc.client.get("/v1/me", headers=tokens.headers("100200300"))
        assert ok.status_code == 200
        assert ok.json() == {"customer_number": "100200300"}
        for headers in (
            {},
            {"Authorization": "Basic abc"},
            {"Authorization": f"Bearer {stranger.token('100200300')}"},
            {"Authorization": f"Bearer {tokens.token('100200300', ttl=-60)}"},
            {"Authorization": f"Bearer {tokens.token('')}"},  # no customer: no access
        ):
            denied: httpx.Response = await svc.client.get("/v1/me", headers=headers)
            assert denied.status_code == 401, headers
            assert denied.json()["type"] == "/problems/not-authenticated"


async def test_a_strange_correlation_id_is_replaced(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    async with service_under_test(app, MetaData()) as svc:
        kept = await svc.client.get("/health", headers={"X-Correlation-ID": "abc-123"})
        assert kept.headers["x-correlation-id"] == "abc-123"
        replaced = await svc.client.get("/health", headers={"X-Correlation-ID": "x" * 500})
        assert replaced.headers["x-correlation-id"] != "x" * 500
        assert len(replaced.headers["x-correlation-id"]) == 36  # a fresh UUID
