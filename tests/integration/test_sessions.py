"""Sessions through the gateway: the access token is signed with a key the JWKS endpoint
publishes, a refresh token works once (replaying it ends the whole session), "stay signed in"
lasts longer, and logging out ends the session."""

from __future__ import annotations

from typing import Any

import httpx
import jwt


def test_refresh_rotates_a_replay_ends_the_session_and_logout_ends_it_too(
    gateway: httpx.Client, customer: Any
) -> None:
    def log_in(**extra: Any) -> dict[str, Any]:
        credentials = {"email": customer.email, "password": customer.password, **extra}
        answer = gateway.post("/identity/v1/sessions", json=credentials)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def refresh(token: str) -> httpx.Response:
        return gateway.post("/identity/v1/sessions/refresh", json={"refresh_token": token})

    short, long = log_in(), log_in(stay_signed_in=True)
    assert long["refresh_expires_in"] > short["refresh_expires_in"]

    keys = gateway.get("/identity/.well-known/jwks.json")
    assert keys.status_code == 200, keys.text
    header = jwt.get_unverified_header(short["access_token"])
    [key] = [k for k in keys.json()["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(
        short["access_token"], jwt.PyJWK(key).key, algorithms=[header["alg"]], options={"verify_aud": False}
    )
    assert header["alg"] != "none" and claims["sub"] == customer.account_id

    rotated = refresh(short["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    successor = rotated.json()["refresh_token"]
    assert successor != short["refresh_token"]
    me = gateway.get("/identity/v1/me", headers={"Authorization": f"Bearer {rotated.json()['access_token']}"})
    assert me.status_code == 200, me.text
    assert refresh(short["refresh_token"]).status_code == 401  # used once already: a thief's copy?
    assert refresh(successor).status_code == 401  # ... so the whole session ended

    out = gateway.post("/identity/v1/sessions/logout", json={"refresh_token": long["refresh_token"]})
    assert out.status_code == 204, out.text
    assert refresh(long["refresh_token"]).status_code == 401
