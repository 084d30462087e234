"""A service's HTTP API against its own OpenAPI document, for its test suite (schemathesis).

Valid and invalid requests for every operation, generated from the document: never a server
error, and every answer matches the response schema the document declares. The app runs
in-process with the unit-test harness (schema on SQLite, in-memory broker), started and stopped
by its ASGI lifespan. Needs the test dependencies (schemathesis, hypothesis).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import MetaData

from portal_chassis.testing import service_under_test


class _WithHarness:
    """The app with the harness started on lifespan.startup and stopped on shutdown, so
    schemathesis' in-process client can drive it."""

    def __init__(self, app: FastAPI, metadata: MetaData) -> None:
        self.app = app
        self.metadata = metadata

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        await receive()  # lifespan.startup
        async with service_under_test(self.app, self.metadata):
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


def fuzz_openapi(
    app: FastAPI, metadata: MetaData, *, examples: int = 25, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    """Run ``examples`` valid and as many invalid requests per operation; returns how many
    operations the document has and the failures by operation (empty when all is well).
    ``headers`` go with every request (a customer's bearer token reaches past the 401s).

    The same requests every run (derandomized), so a red CI run is reproducible.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error, response_schema_conformance
    from schemathesis.core.result import Ok
    from schemathesis.python import asgi as schemathesis_asgi

    schema = schemathesis.openapi.from_asgi("/openapi.json", _WithHarness(app, metadata))
    schema.config.update(base_url="http://testserver")  # the document's server is the gateway prefix
    failures: dict[str, str] = {}
    operations = 0
    try:
        for result in schema.get_all_operations():
            operations += 1
            if not isinstance(result, Ok):  # an operation the document describes wrongly
                failures[f"operation {operations}"] = str(result.err())
                continue
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if mode is GenerationMode.NEGATIVE and not operation.body:
                    continue  # nothing to send wrong

                @hypothesis_settings(
                    max_examples=examples,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate],
                )
                @given(case=operation.as_strategy(generation_mode=mode))
                def check(case: Any) -> None:  # a schemathesis.Case
                    case.call_and_validate(
                        headers=headers, checks=[not_a_server_error, response_schema_conformance]
                    )

                try:
                    check()
                except BaseException as exc:  # schemathesis raises a group of failures
                    if not isinstance(exc, Exception | BaseExceptionGroup):
                        raise
                    failures[f"{operation.label} ({mode.value})"] = str(exc)
    finally:
        schemathesis_asgi.shutdown_lifespans()
    return operations, failures
