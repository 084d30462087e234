"""/v1/products: the products on offer and today's prices (public: no token needed)."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.api.deps import TodayDep
from contracts.api.overview_schemas import ProductOut
from contracts.db.repositories import Catalogue
from contracts.use_cases.tariffs import tariffs_on
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/products", tags=["products"])


@router.get("", summary="Products on offer with today's prices, excl. and incl. VAT")
async def products(uow: UowDep, page: PageDep, today: TodayDep) -> Page[ProductOut]:
    offered = list(await Catalogue(uow.session).products(on_sale_only=True))
    shown = offered[page.offset : page.offset + page.limit]
    tariffs = await tariffs_on(uow, [p.code for p in shown], today)
    return Page(
        items=[
            ProductOut.of(p, [t for c in p.commodities if (t := tariffs.get((p.code, c))) is not None])
            for p in shown
        ],
        total=len(offered),
        limit=page.limit,
        offset=page.offset,
    )
