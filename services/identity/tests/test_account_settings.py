"""The signed-in customer's settings: profile, password change, preferences."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from identity.db.tables import Account, SessionFamily
from portal_chassis.testing import Harness
from portal_schemas.identity import AccountLocked, PasswordChanged, PreferencesChanged

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)

PASSWORD = "correct horse battery"  # make_account's default (conftest)
NEW_PASSWORD = "a brand new secret"
EMAIL = "jan@example.nl"


async def log_in(service: Harness, email: str = EMAIL, password: str = PASSWORD) -> dict[str, Any]:
    response = await service.client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


async def account_row(service: Harness, account_id: str) -> Account:
    async with service.runtime.sessions() as session:
        account = await session.get(Account, account_id)
    assert account is not None
    return account


async def test_my_profile(service: Harness, make_account: MakeAccount) -> None:
    await make_account(language="fr")
    me = await service.client.get("/v1/me", headers=bearer(await log_in(service)))
    assert me.status_code == 200
    assert me.json() == {
        "email": EMAIL,
        "customer_number": "100200300",
        "status": "active",
        "preferences": {
            "language": "fr",
            "offers": False,
            "news": False,
            "energy_saving_advice": False,
            "time_zone": None,
        },
        "pending_email_change": None,
    }
    anonymous = await service.client.get("/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_password_change_keeps_this_session_and_ends_the_others(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    mine, other = await log_in(service), await log_in(service)
    changed = await service.client.post(
        "/v1/me/password",
        headers=bearer(mine),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text

    refreshed = await service.client.post(
        "/v1/sessions/refresh", json={"refresh_token": mine["refresh_token"]}
    )
    assert refreshed.status_code == 200
    ended = await service.client.post("/v1/sessions/refresh", json={"refresh_token": other["refresh_token"]})
    assert ended.status_code == 401
    async with service.runtime.sessions() as session:
        reasons = set(
            await session.scalars(
                select(SessionFamily.revoked_reason).where(SessionFamily.account_id == account_id)
            )
        )
    assert reasons == {None, "password-change"}

    [event] = await service.outbox("PasswordChanged")
    data = PasswordChanged.model_validate(event.data)
    assert (data.reason, data.email, event.subject) == ("settings", EMAIL, account_id)
    old = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert old.status_code == 401
    await log_in(service, password=NEW_PASSWORD)


async def test_wrong_current_password_counts_towards_the_lock(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    session = await log_in(service)

    async def change(current: str) -> Any:
        return await service.client.post(
            "/v1/me/password",
            headers=bearer(session),
            json={"current_password": current, "new_password": NEW_PASSWORD},
        )

    first = await change("wrong one")
    assert first.status_code == 401
    assert first.json()["type"] == "/problems/wrong-password"
    assert (await account_row(service, account_id)).failed_logins == 1
    # A failed log-in and a wrong password in settings add up.
    failed = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": "nope nope"})
    assert failed.status_code == 401
    third = await change("wrong three")
    assert third.status_code == 423
    assert third.json()["type"] == "/problems/account-locked"
    assert len(await service.outbox("AccountLocked")) == 1
    assert AccountLocked.model_validate((await service.outbox("AccountLocked"))[0].data).failed_attempts == 3
    # Locked: even the right password is refused here, and nothing changed.
    assert (await change(PASSWORD)).status_code == 423
    assert await service.outbox("PasswordChanged") == []
    assert (await account_row(service, account_id)).password_changed_at is not None
    bad = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": NEW_PASSWORD})
    assert bad.status_code == 423


async def test_right_current_password_starts_the_count_again(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    session = await log_in(service)
    await service.client.post(
        "/v1/me/password",
        headers=bearer(session),
        json={"current_password": "wrong one", "new_password": NEW_PASSWORD},
    )
    ok = await service.client.post(
        "/v1/me/password",
        headers=bearer(session),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert ok.status_code == 204
    assert (await account_row(service, account_id)).failed_logins == 0


async def test_a_rejected_new_password_changes_nothing(service: Harness, make_account: MakeAccount) -> None:
    account_id = await make_account()
    session = await log_in(service)
    before = await account_row(service, account_id)
    for new_password, rule in (
        ("short", "too-short"),
        ("jan@example.nl and more", "contains-email"),
        ("my number 100200300!", "contains-customer-number"),
    ):
        refused = await service.client.post(
            "/v1/me/password",
            headers=bearer(session),
            json={"current_password": PASSWORD, "new_password": new_password},
        )
        assert refused.status_code == 422
        body = refused.json()
        assert body["type"] == "/problems/password-rejected"
        assert body["field"] == "new_password"
        assert rule in [r["rule"] for r in body["rules"]]
    for malformed in (
        {},
        {"current_password": PASSWORD},
        {"current_password": "", "new_password": NEW_PASSWORD},
    ):
        answer = await service.client.post("/v1/me/password", headers=bearer(session), json=malformed)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    after = await account_row(service, account_id)
    assert after.password_hash == before.password_hash
    assert await service.outbox("PasswordChanged") == []
    refresh = await service.client.post(
        "/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refresh.status_code == 200


async def test_a_customer_changes_only_their_own_account(service: Harness, make_account: MakeAccount) -> None:
    await make_account()
    other_id = await make_account(email="piet@example.nl")
    other_before = await account_row(service, other_id)
    jan = bearer(await log_in(service))
    # The body names no account: the token decides whose settings change.
    await service.client.post(
        "/v1/me/password", headers=jan, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    await service.client.put(
        "/v1/me/preferences",
        headers=jan,
        json={
            "language": "de",
            "offers": True,
            "news": True,
            "energy_saving_advice": True,
            "account_id": other_id,
        },
    )
    other_after = await account_row(service, other_id)
    assert other_after.password_hash == other_before.password_hash
    assert (other_after.language, other_after.offers) == ("nl", False)
    assert (await service.client.get("/v1/me", headers=jan)).json()["email"] == EMAIL


async def test_preferences_round_trip_and_announce_only_changes(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    headers = bearer(await log_in(service))
    current = await service.client.get("/v1/me/preferences", headers=headers)
    assert current.json() == {
        "language": "nl",
        "offers": False,
        "news": False,
        "energy_saving_advice": False,
        "time_zone": None,
    }
    wanted = {
        "language": "en",
        "offers": False,
        "news": True,
        "energy_saving_advice": True,
        "time_zone": None,
    }
    put = await service.client.put("/v1/me/preferences", headers=headers, json=wanted)
    assert put.status_code == 200
    assert put.json() == wanted
    assert (await service.client.get("/v1/me/preferences", headers=headers)).json() == wanted
    again = await service.client.put("/v1/me/preferences", headers=headers, json=wanted)
    assert again.status_code == 200
    [event] = await service.outbox("PreferencesChanged")
    assert event.subject == account_id
    assert PreferencesChanged.model_validate(event.data).model_dump() == {"account_id": account_id, **wanted}


async def test_a_time_zone_is_chosen_kept_when_left_out_and_reset_with_null(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    headers = bearer(await log_in(service))
    base = {"language": "nl", "offers": False, "news": False, "energy_saving_advice": False}

    chosen = await service.client.put(
        "/v1/me/preferences", headers=headers, json={**base, "time_zone": "America/New_York"}
    )
    assert chosen.status_code == 200 and chosen.json()["time_zone"] == "America/New_York"
    # A client that knows nothing of time zones changes the rest and leaves the zone alone.
    kept = await service.client.put("/v1/me/preferences", headers=headers, json={**base, "news": True})
    assert kept.json() == {**base, "news": True, "time_zone": "America/New_York"}
    assert (await service.client.get("/v1/me", headers=headers)).json()["preferences"]["time_zone"] == (
        "America/New_York"
    )
    reset = await service.client.put("/v1/me/preferences", headers=headers, json={**base, "time_zone": None})
    assert reset.json()["time_zone"] is None
    assert (await account_row(service, account_id)).time_zone is None

    events = [PreferencesChanged.model_validate(e.data) for e in await service.outbox("PreferencesChanged")]
    assert [(e.news, e.time_zone) for e in events] == [
        (False, "America/New_York"),
        (True, "America/New_York"),
        (False, None),
    ]


async def test_an_unknown_time_zone_is_refused_and_changes_nothing(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    headers = bearer(await log_in(service))
    base = {"language": "nl", "offers": False, "news": False, "energy_saving_advice": False}
    for zone in ("Mars/Olympus_Mons", "", "../../etc/passwd", "CEST", 2):
        answer = await service.client.put(
            "/v1/me/preferences", headers=headers, json={**base, "time_zone": zone}
        )
        assert answer.status_code == 422, zone
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == ["time_zone"]
    assert await service.outbox("PreferencesChanged") == []
    assert (await account_row(service, account_id)).time_zone is None


async def test_bad_preferences_are_refused_and_change_nothing(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    headers = bearer(await log_in(service))
    for body in (
        {"language": "es", "offers": False, "news": False, "energy_saving_advice": False},
        {"language": "nl", "offers": "maybe", "news": False, "energy_saving_advice": False},
        {"language": "nl", "offers": True},
        {},
    ):
        answer = await service.client.put("/v1/me/preferences", headers=headers, json=body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await service.client.put("/v1/me/preferences", json={})).status_code == 401
    assert await service.outbox("PreferencesChanged") == []
    current = await service.client.get("/v1/me/preferences", headers=headers)
    assert current.json()["language"] == "nl"
