"""Domain errors become problem documents with their own status and slug."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from contracts.domain.errors import DomainError
from portal_chassis.problems import problem_response


def install_domain_errors(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if exc.field is not None:
            # Like request validation errors, the problem names the field at fault.
            extra["errors"] = [{"field": exc.field, "message": exc.detail}]
        response: JSONResponse = problem_response(
            exc.status, exc.slug, exc.detail, instance=request.url.path, **extra
        )
        return response
