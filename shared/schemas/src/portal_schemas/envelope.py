"""The one envelope every event travels in, and the base class of event payloads."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class EventData(BaseModel):
    """Payload of one event type. Subclasses name their type, domain and major version.

    Unknown fields are ignored when reading so that a producer may add optional fields
    (a minor change) without breaking consumers; removing or retyping a field is a
    breaking change and needs a new ``schema_version`` (and so a new topic).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    domain: ClassVar[str]
    schema_version: ClassVar[int] = 1
    summary: ClassVar[str] = ""

    @classmethod
    def topic(cls) -> str:
        """``<domain>.<event-name>.v<major>``, e.g. ``metering.meter-reading-received.v1``."""
        return f"{cls.domain}.{_kebab(cls.event_type)}.v{cls.schema_version}"


class Envelope(BaseModel):
    """Metadata around an event payload; ``subject`` is the aggregate id and the Kafka key."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    event_type: str = Field(min_length=1)
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: str = Field(min_length=1)
    correlation_id: str = Field(min_length=1)
    causation_id: str | None = None
    subject: str = Field(min_length=1)
    data: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        subject: str,
        producer: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        event_id = uuid.uuid4()
        return cls(
            event_id=event_id,
            event_type=data.event_type,
            schema_version=data.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id or str(event_id),
            causation_id=causation_id,
            subject=subject,
            data=data.model_dump(mode="json"),
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
