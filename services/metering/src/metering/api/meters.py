"""/v1/meters: the customer's meters, their registers and the latest reading of each."""

from __future__ import annotations

from fastapi import APIRouter

from metering.api.schemas import LatestReading, MeterOut, RegisterOut
from metering.use_cases.reading_history import MeterOverview, list_meters
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/meters", tags=["meters"])


@router.get("", summary="My meters with the latest reading per register")
async def get_meters(customer: CustomerDep, uow: UowDep, page: PageDep) -> Page[MeterOut]:
    overviews, total = await list_meters(uow, customer.customer_number, page)
    return Page(items=[_meter_out(o) for o in overviews], total=total, limit=page.limit, offset=page.offset)


def _meter_out(overview: MeterOverview) -> MeterOut:
    registers = []
    for register in overview.registers:
        latest = overview.latest.get(register.register_type)
        registers.append(
            RegisterOut.model_validate(
                {
                    "register_type": register.register_type,
                    "unit": register.unit,
                    "latest_reading": None
                    if latest is None
                    else LatestReading.model_validate(latest, from_attributes=True),
                }
            )
        )
    return MeterOut(
        meter_id=overview.meter.meter_id,
        contract_id=overview.contract.contract_id,
        commodity=overview.meter.commodity,
        contract_status=overview.contract.status,
        contract_end_date=overview.contract.end_date,
        readings_expected=overview.contract.readings_expected,
        registers=registers,
    )
