"""POST /v1/admin/readings: operations record a technician's reading or an estimate."""

from __future__ import annotations

from fastapi import APIRouter, status

from metering.api.admin_reading_schemas import OperatorReadingOut, OperatorReadingSubmission, PlausibilityOut
from metering.api.deps import SettingsDep
from metering.api.schemas import ReadingOut
from metering.use_cases.submit_reading import ReadingEntry, record_operator_reading
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep
from portal_chassis.logging import get_logger

log = get_logger(__name__)

router = APIRouter(prefix="/v1/admin/readings", tags=["operations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a technician's reading or an estimate",
    description=(
        "The same rules as a customer's reading (supply period, the meter in place at read_at, "
        "registers, monotony, rollover), except that an unusual value is recorded without a "
        "confirmation; the answer shows how the plausibility check judged it. An estimate is "
        "never of quality actual.\n\n"
        "Problems: 404 contract-not-found; 422 validation and the reading problems of "
        "POST /v1/readings; 409 reading-exists."
    ),
)
async def record_reading(
    body: OperatorReadingSubmission, operator: OperatorDep, uow: UowDep, settings: SettingsDep
) -> OperatorReadingOut:
    recorded = await record_operator_reading(
        uow,
        settings,
        entry=ReadingEntry(
            contract_id=body.contract_id,
            register_type=body.register_type,
            value=body.value,
            read_at=body.read_at,
            rollover=body.rollover,
        ),
        source=body.source,
        quality=body.quality,
    )
    reading, verdict = recorded.reading, recorded.verdict
    log.info(
        "operator recorded a reading",
        operator=operator.name,
        reading_id=reading.reading_id,
        source=body.source,
        unusual=verdict is not None and not verdict.usual,
    )
    return OperatorReadingOut(
        **ReadingOut.model_validate(reading, from_attributes=True).model_dump(),
        plausibility=None
        if verdict is None
        else PlausibilityOut(
            usual=verdict.usual, expected_min=verdict.expected_min, expected_max=verdict.expected_max
        ),
    )
