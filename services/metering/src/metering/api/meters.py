"""/v1/meters: the customer's meters (exchanged ones too), their registers and the latest
reading of each."""

from __future__ import annotations

from fastapi import APIRouter

from metering.api.schemas import LatestReading, MeterOut, RegisterOut
from metering.use_cases.reading_history import MeterOverview, list_meters
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/meters", tags=["meters"])


@router.get(
    "",
    summary="My meters with the latest reading per register",
    description="Newest contract first; within a contract the meter in place before those it replaced.",
)
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
                    "digits": register.digits,
                    "latest_reading": None
                    if latest is None
                    else LatestReading.model_validate(latest, from_attributes=True),
                }
            )
        )
    meter = overview.meter
    return MeterOut.model_validate(
        {
            "meter_id": meter.meter_id,
            "contract_id": overview.contract.contract_id,
            "commodity": meter.commodity,
            "serial": meter.serial,
            "smart": meter.smart,
            "location": meter.location,
            "installed_on": meter.installed_on,
            "removed_on": meter.removed_on,
            "contract_status": overview.contract.status,
            "contract_end_date": overview.contract.end_date,
            "readings_expected": overview.contract.readings_expected,
            "registers": registers,
        }
    )
