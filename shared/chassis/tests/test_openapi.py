"""The OpenAPI document says what errors look like: RFC 9457 problem documents."""

from __future__ import annotations

import json

import httpx
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


@router.get("/v1/unsubscribe/{token}")
async def secret_path(token: str) -> dict[str, str]:
    return {"token_length": str(len(token))}


async def test_request_logs_name_the_route_not_the_values_in_its_path(settings, capsys) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/v1/unsubscribe/s3cr3t-t0ken")).status_code == 200
        assert (await client.get("/nowhere/s3cr3t-t0ken")).status_code == 404
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    ours = [entry for entry in lines if entry.get("logger") == "portal_chassis.app"]
    assert [(entry["path"], entry["status"]) for entry in ours if entry["event"] == "request"] == [
        ("/v1/unsubscribe/{token}", 200),
        ("(no route)", 404),
    ]
    assert not any("s3cr3t" in json.dumps(entry) for entry in ours)
