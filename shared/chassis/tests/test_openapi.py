"""The OpenAPI document says what errors look like: RFC 9457 problem documents."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from portal_chassis.app import build_service

router = APIRouter()


class Body(BaseModel):
    name: str


@router.post("/v1/things", status_code=201)
async def create(body: Body) -> dict[str, str]:
    return {"name": body.name}


def test_error_answers_are_documented_as_problem_json(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    document = app.openapi()
    responses = document["paths"]["/v1/things"]["post"]["responses"]
    for status in ("400", "422"):
        assert list(responses[status]["content"]) == ["application/problem+json"], status
    assert list(responses["201"]["content"]) == ["application/json"]
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
