"""OpenTelemetry tracing for HTTP (FastAPI), SQL (SQLAlchemy) and Kafka (FastStream).

Trace context crosses Kafka in W3C ``traceparent`` headers: the outbox stores the context of
the transaction that wrote an event, and the relay publishes inside it, so a consumer's span
continues the trace of the request that caused the event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def make_tracer_provider(service: str, exporter: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def current_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def within_trace(headers: Mapping[str, str]) -> Iterator[None]:
    """Make the trace context carried in ``headers`` the current one."""
    token = otel_context.attach(propagate.extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
