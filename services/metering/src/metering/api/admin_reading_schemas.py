"""Bodies of POST /v1/admin/readings: operations record a technician's reading or an estimate."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from metering.api.schemas import ReadAt, ReadingOut
from portal_schemas.metering import ReadingQuality, Register


class OperatorReadingSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_id: str = Field(min_length=1, max_length=64)
    register_type: Register
    value: Decimal = Field(ge=0, max_digits=15, decimal_places=3, examples=["12345.678"])
    read_at: ReadAt
    source: Literal["technician", "estimated"]
    quality: ReadingQuality = Field(
        description="actual (read on the meter), estimated, or corrected (replaces a wrong value "
        "in billing's eyes; the wrong reading stays in the history)."
    )
    rollover: bool = Field(False, description="The counter restarted at zero since the previous reading.")

    @field_validator("quality")
    @classmethod
    def _an_estimate_is_not_actual(cls, quality: ReadingQuality, info: ValidationInfo) -> ReadingQuality:
        if info.data.get("source") == "estimated" and quality == "actual":
            raise ValueError("an estimate is of quality estimated or corrected, not actual")
        return quality


class PlausibilityOut(BaseModel):
    usual: bool
    expected_min: Decimal = Field(description="Lowest usual index")
    expected_max: Decimal = Field(description="Highest usual index")


class OperatorReadingOut(ReadingOut):
    plausibility: PlausibilityOut | None = Field(
        description="The check a customer would be asked to confirm against (informative here); "
        "null when there was nothing to judge by."
    )
