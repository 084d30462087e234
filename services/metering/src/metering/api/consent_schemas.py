"""Request and response bodies of the smart-meter consent endpoints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from metering.domain.consent import ConsentStatus


class ConsentGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms_version: int = Field(
        ge=1,
        le=1_000_000,
        description="The version of the smart-meter terms the customer agrees to: the one in force "
        "(current_terms_version of GET).",
        examples=[1],
    )


class ConsentOut(BaseModel):
    contract_id: str
    status: ConsentStatus = Field(
        description="none (never given), granted, revoked, or reconsent_needed (given for older "
        "terms: remote reading pauses until it is given for the terms in force)"
    )
    consent_required: bool = Field(
        description="False for commodities whose meters are read without a consent (heat)."
    )
    smart_meter: bool = Field(description="The contract's meter can be read remotely.")
    terms_version: int | None = Field(description="The terms version the consent was given for.")
    current_terms_version: int
    granted_at: datetime | None
    revoked_at: datetime | None
    data_expected_by: date | None = Field(
        description="While granted: the day by which the remote data shows (working days after the consent)."
    )
