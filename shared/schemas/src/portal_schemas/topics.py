"""Topic names.

Rule: one topic per event type and major version, ``<domain>.<event-name>.v<major>``
(``EventData.topic()``); the Kafka key is the envelope's ``subject``, so the events of one
aggregate stay in order. Each service's consumers send what they cannot handle to
``<service>.dead-letter.v1``. deploy/kafka/topics.toml declares all of them with their
partitions and retention; a test keeps the two in step.
"""

from __future__ import annotations

from portal_schemas.registry import REGISTRY

SERVICES: tuple[str, ...] = ("identity", "contracts", "metering", "billing", "notifications")


def dead_letter_topic(service: str) -> str:
    return f"{service}.dead-letter.v1"


EVENT_TOPICS: frozenset[str] = frozenset(spec.topic for spec in REGISTRY.values())
DEAD_LETTER_TOPICS: frozenset[str] = frozenset(dead_letter_topic(s) for s in SERVICES)
ALL_TOPICS: frozenset[str] = EVENT_TOPICS | DEAD_LETTER_TOPICS
