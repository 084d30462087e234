"""Log-in and the JWKS that lets other services verify access tokens."""

from __future__ import annotations

import jwt

from identity.use_cases.accounts import create_account
from portal_chassis.testing import Harness


async def test_login_token_verifies_against_the_jwks(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        account = await create_account(
            uow, email="an@example.nl", password="long enough pw", customer_number="42", language="en"
        )
    response = await service.client.post(
        "/v1/sessions", json={"email": "an@example.nl", "password": "long enough pw"}
    )
    assert response.status_code == 201
    token = response.json()["access_token"]
    jwks = (await service.client.get("/.well-known/jwks.json")).json()
    [key] = jwks["keys"]
    assert "d" not in key  # never the private part
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"], audience="portal", issuer="identity")
    assert claims["sub"] == account.id
    assert claims["customer_number"] == "42"


async def test_wrong_password_and_unknown_email_look_the_same(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        await create_account(
            uow, email="an@example.nl", password="long enough pw", customer_number="42", language="en"
        )
    wrong = await service.client.post("/v1/sessions", json={"email": "an@example.nl", "password": "nope"})
    unknown = await service.client.post("/v1/sessions", json={"email": "who@example.nl", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_health_and_ready_answer(service: Harness) -> None:
    assert (await service.client.get("/health")).json()["status"] == "ok"
    ready = await service.client.get("/ready")
    assert ready.status_code == 200, ready.text
