"""Every list takes ?limit=&offset= within bounds; anything else is a 422 problem."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import MetaData

from portal_chassis.app import build_service
from portal_chassis.pagination import MAX_OFFSET, Page, PageDep
from portal_chassis.testing import service_under_test

router = APIRouter()


@router.get("/v1/things")
async def things(page: PageDep) -> Page[int]:
    return Page(items=[], total=0, limit=page.limit, offset=page.offset)


async def test_limits_and_offsets_outside_their_bounds_are_refused(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    async with service_under_test(app, MetaData()) as svc:
        ok = await svc.client.get("/v1/things", params={"limit": 100, "offset": MAX_OFFSET})
        assert ok.status_code == 200
        assert (ok.json()["limit"], ok.json()["offset"]) == (100, MAX_OFFSET)
        # A huge offset would overflow the database's integer: refused before any query.
        for params in (
            {"offset": MAX_OFFSET + 1},
            {"offset": 2**64},
            {"offset": -1},
            {"limit": 0},
            {"limit": 101},
        ):
            refused = await svc.client.get("/v1/things", params=params)
            assert refused.status_code == 422, params
            assert refused.headers["content-type"] == "application/problem+json"
