"""Correlation and causation ids of the work in progress (an HTTP request or an event).

They are copied into every log line (structlog contextvars) and into every event emitted,
so one customer action can be followed through all services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def correlation_id() -> str | None:
    return _correlation_id.get()


def causation_id() -> str | None:
    return _causation_id.get()


@contextmanager
def work_context(correlation: str | None, causation: str | None = None) -> Iterator[str]:
    """Bind ids for the duration of one unit of work; a new correlation id if none came in."""
    cid = correlation or str(uuid.uuid4())
    tokens = (_correlation_id.set(cid), _causation_id.set(causation))
    with structlog.contextvars.bound_contextvars(correlation_id=cid, causation_id=causation):
        try:
            yield cid
        finally:
            _correlation_id.reset(tokens[0])
            _causation_id.reset(tokens[1])
