"""/v1/readings: submit a meter reading, list the readings of one's contracts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from metering.api.deps import SettingsDep
from metering.api.schemas import ReadingOut, ReadingSubmission
from metering.use_cases.reading_history import list_readings
from metering.use_cases.submit_reading import ReadingEntry, submit_reading
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/readings", tags=["readings"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a meter reading",
    description=(
        "The reading goes to the contract's meter in place at read_at (after an exchange, the "
        "new meter's indexes start afresh). A reading dated on the contract's last supply day "
        "is its final reading (final: true).\n\n"
        "Problems: 404 contract-not-found; 422 register-not-on-meter, reading-in-future, "
        "reading-before-contract-start, reading-after-contract-end, reading-not-monotonic "
        "(with previous_value/previous_read_at or next_value/next_read_at), "
        "value-exceeds-register (more digits than the counter has), rollover-not-possible "
        "(digits unknown, value not below the previous one, a later reading exists, or more "
        "than half a turn of the counter), reading-unusual (with expected_min, expected_max "
        "and confirmation_required: send again with confirm_unusual: true); "
        "409 reading-exists."
    ),
)
async def create_reading(
    body: ReadingSubmission, customer: CustomerDep, uow: UowDep, settings: SettingsDep
) -> ReadingOut:
    reading = await submit_reading(
        uow,
        settings,
        customer_number=customer.customer_number,
        entry=ReadingEntry(
            contract_id=body.contract_id,
            register_type=body.register_type,
            value=body.value,
            read_at=body.read_at,
            rollover=body.rollover,
            confirm_unusual=body.confirm_unusual,
        ),
    )
    return ReadingOut.model_validate(reading, from_attributes=True)


@router.get("", summary="My readings, newest first")
async def get_readings(
    customer: CustomerDep,
    uow: UowDep,
    page: PageDep,
    contract_id: Annotated[
        str | None, Query(max_length=64, description="Only this contract's readings")
    ] = None,
) -> Page[ReadingOut]:
    readings, total = await list_readings(uow, customer.customer_number, contract_id, page)
    return Page(
        items=[ReadingOut.model_validate(r, from_attributes=True) for r in readings],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
