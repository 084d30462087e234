"""build_service(): one FastAPI app and one Kafka broker, started and stopped together."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

from portal_chassis import health, metrics
from portal_chassis.auth import JwksCache
from portal_chassis.batch_consumers import BatchHandlers, wire_batch_consumers
from portal_chassis.broker import document_publishers, wire_consumers
from portal_chassis.consumers import EventHandlers
from portal_chassis.context import work_context
from portal_chassis.logging import configure_logging, get_logger
from portal_chassis.problems import document_problems, install_problem_handlers
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.settings import ServiceSettings

log = get_logger(__name__)

Hook = Callable[[ServiceRuntime], Awaitable[None]]


def build_service(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    handlers: EventHandlers | None = None,
    batch_handlers: BatchHandlers | None = None,
    produces: Sequence[str] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
) -> FastAPI:
    service = settings.service_name
    configure_logging(service, settings.log_level)
    runtime = ServiceRuntime.create(settings)
    if handlers is not None:
        wire_consumers(runtime.broker, runtime.dead_letters, service, handlers, runtime.new_uow)
    if batch_handlers is not None:
        wire_batch_consumers(runtime.broker, runtime.dead_letters, service, batch_handlers, runtime.new_uow)
    document_publishers(runtime.broker, list(produces))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start_messaging()
        for hook in on_startup:
            await hook(runtime)
        log.info("service started")
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(runtime)
            await app.state.metrics.close()
            await runtime.shutdown()
            log.info("service stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        servers=[{"url": f"/{service}", "description": "through the API gateway"}],
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.jwks = JwksCache(settings.jwks_url, ttl_seconds=settings.jwks_cache_seconds)
    app.state.metrics = metrics.ServiceMetrics(runtime)
    install_problem_handlers(app)
    document_problems(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in routers:
        app.include_router(router)

    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[..., Awaitable[Response]]) -> Response:
        incoming = _safe_id(request.headers.get("x-correlation-id")) or _safe_id(
            request.headers.get("x-request-id")
        )
        started = time.perf_counter()
        with work_context(incoming) as correlation:
            response = await call_next(request)
            response.headers["X-Correlation-ID"] = correlation
            if request.url.path not in ("/health", "/ready", "/metrics"):
                log.info(
                    "request",
                    method=request.method,
                    path=_logged_path(request),
                    status=response.status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
        return response

    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.tracer_provider)
    # The instrumentation declares SQLAlchemy < 2.1 but only uses the stable engine events API,
    # which 2.1 keeps; its version check would otherwise refuse and log an error.
    SQLAlchemyInstrumentor().instrument(
        engine=runtime.engine.sync_engine,
        tracer_provider=runtime.tracer_provider,
        skip_dep_check=True,
    )
    return app


_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _safe_id(value: str | None) -> str | None:
    """A caller's id is kept only if it is a short plain token (it goes into logs and events)."""
    return value if value and _SAFE_ID.fullmatch(value) else None


def runtime_of(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


def _logged_path(request: Request) -> str:
    """The route's template (``/v1/unsubscribe/{token}``), not the path as requested: paths can
    carry what must stay out of logs (an unsubscribe token, a customer's invoice id). A request
    no route matched is logged as such; its path is whatever the caller typed."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "(no route)"
