"""Portal access on request: the request, operations' decision, the invitation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import func, select

from identity.db.tables import AccessRequest, Account, Invitation, RegistrationFacts
from identity.domain.secrets import token_digest
from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.signing_keys import current_key
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import (
    AccountActivated,
    AccountRegistered,
    PortalAccessApproved,
    PortalAccessRefused,
    PortalAccessRequested,
)

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


EMAIL = "marie@example.nl"
PASSWORD = "a long and sturdy passphrase"
REQUEST = {"name": "Marie de Vries", "customer_number": "555666777", "email": EMAIL}


@pytest.fixture
async def ops(service: Harness, settings: IdentitySettings) -> dict[str, str]:
    async with service.runtime.new_uow() as uow:
        token = issue_operator_token(
            await current_key(uow),
            operator="ops-anna",
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=30),
        )
    return {"Authorization": f"Bearer {token}"}


async def facts(service: Harness, segment: str = "private", number: str = "555666777") -> None:
    async with service.runtime.sessions() as session:
        session.add(
            RegistrationFacts(
                customer_number=number,
                segment=segment,
                language="fr",
                postcodes="1234AB",
                as_of=datetime.now(UTC),
            )
        )
        await session.commit()


async def open_request(service: Harness, body: dict[str, Any] | None = None) -> str:
    answer = await service.client.post("/v1/access-requests", json=body or REQUEST)
    assert answer.status_code == 202, answer.text
    events = await service.outbox("PortalAccessRequested")
    return PortalAccessRequested.model_validate(events[-1].data).request_id


async def approve(service: Harness, ops: dict[str, str], request_id: str) -> Any:
    return await service.client.post(f"/v1/admin/access-requests/{request_id}/approval", headers=ops)


def invitation_token(mail_keys: MailSecretsDecrypter, event: Any) -> str:
    sealed = PortalAccessApproved.model_validate(event.data).sealed_token
    return mail_keys.decrypt(sealed, SecretPurpose.INVITATION_TOKEN)


async def test_request_answers_the_same_and_is_not_repeated(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account(email="known@example.nl")
    first = await service.client.post("/v1/access-requests", json=REQUEST)
    twice = await service.client.post("/v1/access-requests", json={**REQUEST, "email": " Marie@Example.nl"})
    known = await service.client.post("/v1/access-requests", json={**REQUEST, "email": "known@example.nl"})
    assert first.status_code == twice.status_code == known.status_code == 202
    assert first.json() == twice.json() == known.json()
    events = [
        PortalAccessRequested.model_validate(e.data) for e in await service.outbox("PortalAccessRequested")
    ]
    assert [e.email for e in events] == [EMAIL, "known@example.nl"]  # the open one is not repeated
    assert events[0].language == "nl"  # no language given, customer unknown


async def test_bad_requests_are_refused_and_store_nothing(service: Harness) -> None:
    for body in (
        {**REQUEST, "email": "not an address"},
        {**REQUEST, "name": ""},
        {**REQUEST, "customer_number": "1" * 21},
        {**REQUEST, "language": "es"},
        {"email": EMAIL},
    ):
        answer = await service.client.post("/v1/access-requests", json=body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AccessRequest)) == 0


async def test_approval_invites_and_the_invitation_signs_the_customer_in(
    service: Harness,
    settings: IdentitySettings,
    ops: dict[str, str],
    clock: MovableClock,
    mail_keys: MailSecretsDecrypter,
) -> None:
    await facts(service)
    request_id = await open_request(service)
    listed = await service.client.get("/v1/admin/access-requests?state=open", headers=ops)
    assert listed.status_code == 200
    page = listed.json()
    assert (page["total"], page["limit"], page["offset"]) == (1, 20, 0)
    assert page["items"][0]["id"] == request_id and page["items"][0]["language"] == "fr"

    approved = await approve(service, ops, request_id)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approved" and approved.json()["decided_by"] == "ops-anna"
    [event] = await service.outbox("PortalAccessApproved")
    data = PortalAccessApproved.model_validate(event.data)
    assert data.expires_at == clock.now + timedelta(days=settings.invitation_days)
    token = invitation_token(mail_keys, event)
    assert token not in event.model_dump_json()
    async with service.runtime.sessions() as session:
        account = await session.get(Account, data.account_id)
        [invitation] = await session.scalars(select(Invitation))
    assert account is not None
    assert (account.status, account.password_hash, account.customer_number) == ("invited", None, "555666777")
    assert invitation.token_hash == token_digest(token)
    [registered] = await service.outbox("AccountRegistered")
    assert AccountRegistered.model_validate(registered.data).method == "access_request"
    decided = await service.client.get("/v1/admin/access-requests?state=decided", headers=ops)
    assert [r["id"] for r in decided.json()["items"]] == [request_id]
    assert (await service.client.get("/v1/admin/access-requests", headers=ops)).json()["total"] == 0

    # Invited: no log-in, and a password reset does nothing visible.
    no_login = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert no_login.status_code == 401
    reset = await service.client.post("/v1/password-resets", json={"email": EMAIL})
    assert reset.status_code == 202
    assert await service.outbox("PasswordResetRequested") == []

    weak = await service.client.post("/v1/invitations/accept", json={"token": token, "password": "marie123"})
    assert weak.status_code == 422
    assert weak.json()["type"] == "/problems/password-rejected"
    accepted = await service.client.post(
        "/v1/invitations/accept", json={"token": token, "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    session_body = accepted.json()
    assert session_body["access_token"] and session_body["refresh_token"]
    me = await service.client.get(
        "/v1/me", headers={"Authorization": f"Bearer {session_body['access_token']}"}
    )
    assert me.json()["status"] == "active"
    [activated] = await service.outbox("AccountActivated")
    assert AccountActivated.model_validate(activated.data).email == EMAIL
    assert (
        await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    ).status_code == 201

    reused = await service.client.post(
        "/v1/invitations/accept", json={"token": token, "password": PASSWORD + "x"}
    )
    assert reused.status_code == 400
    assert reused.json()["type"] == "/problems/invitation-invalid"


async def test_expired_or_unknown_invitation_is_invalid(
    service: Harness,
    settings: IdentitySettings,
    ops: dict[str, str],
    clock: MovableClock,
    mail_keys: MailSecretsDecrypter,
) -> None:
    await approve(service, ops, await open_request(service))
    token = invitation_token(mail_keys, (await service.outbox("PortalAccessApproved"))[0])
    unknown = await service.client.post(
        "/v1/invitations/accept", json={"token": "z" * 43, "password": PASSWORD}
    )
    assert unknown.status_code == 400
    clock.advance(days=settings.invitation_days, seconds=1)
    expired = await service.client.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    assert expired.status_code == 400
    assert expired.json()["type"] == "/problems/invitation-invalid"
    assert await service.outbox("AccountActivated") == []


async def test_approval_refusals(service: Harness, ops: dict[str, str], make_account: MakeAccount) -> None:
    await facts(service, segment="business", number="999888777")
    business = await open_request(service, {**REQUEST, "customer_number": "999888777"})
    answer = await approve(service, ops, business)
    assert answer.status_code == 422
    assert answer.json()["type"] == "/problems/business-customer"

    await make_account(email="has.account@example.nl")
    existing = await open_request(service, {**REQUEST, "email": "has.account@example.nl"})
    answer = await approve(service, ops, existing)
    assert answer.status_code == 409
    assert answer.json()["type"] == "/problems/account-exists"

    unknown = await approve(service, ops, "no-such-request")
    assert unknown.status_code == 404
    assert (
        await service.client.post(
            "/v1/admin/access-requests/x/refusal", headers=ops, json={"reason": "other"}
        )
    ).status_code == 404
    assert await service.outbox("PortalAccessApproved") == []
    async with service.runtime.sessions() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Account).where(Account.status == "invited"))
            == 0
        )
        assert (
            await session.scalar(
                select(func.count()).select_from(AccessRequest).where(AccessRequest.decision.is_not(None))
            )
            == 0
        )


async def test_refusal_tells_the_requester_and_decides_once(service: Harness, ops: dict[str, str]) -> None:
    request_id = await open_request(service, {**REQUEST, "language": "en"})
    bad = await service.client.post(
        f"/v1/admin/access-requests/{request_id}/refusal", headers=ops, json={"reason": "because"}
    )
    assert bad.status_code == 422
    refused = await service.client.post(
        f"/v1/admin/access-requests/{request_id}/refusal",
        headers=ops,
        json={"reason": "details_do_not_match"},
    )
    assert refused.status_code == 200
    assert (refused.json()["decision"], refused.json()["reason"]) == ("refused", "details_do_not_match")
    [event] = await service.outbox("PortalAccessRefused")
    data = PortalAccessRefused.model_validate(event.data)
    assert (data.email, data.language, data.reason, data.request_id) == (
        EMAIL,
        "en",
        "details_do_not_match",
        request_id,
    )
    for path, body in (("approval", None), ("refusal", {"reason": "other"})):
        again = await service.client.post(
            f"/v1/admin/access-requests/{request_id}/{path}", headers=ops, json=body
        )
        assert again.status_code == 409
        assert again.json()["type"] == "/problems/access-request-decided"
    # A decided request no longer blocks a new one for the address.
    await open_request(service)
    assert len(await service.outbox("PortalAccessRequested")) == 2


async def test_admin_endpoints_need_an_operations_token(service: Harness, make_account: MakeAccount) -> None:
    await make_account()
    customer = await service.client.post(
        "/v1/sessions", json={"email": "jan@example.nl", "password": "correct horse battery"}
    )
    customer_headers = {"Authorization": f"Bearer {customer.json()['access_token']}"}
    request_id = await open_request(service)
    for headers in ({}, customer_headers):
        assert (await service.client.get("/v1/admin/access-requests", headers=headers)).status_code == 401
        assert (await approve(service, headers, request_id)).status_code == 401
    assert await service.outbox("PortalAccessApproved") == []


async def test_list_is_paginated_and_state_checked(
    service: Harness, ops: dict[str, str], clock: MovableClock
) -> None:
    for n in range(3):
        await open_request(service, {**REQUEST, "email": f"person{n}@example.nl"})
        clock.advance(minutes=1)
    page = (await service.client.get("/v1/admin/access-requests?limit=2&offset=1", headers=ops)).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert [i["email"] for i in page["items"]] == ["person1@example.nl", "person2@example.nl"]
    bad = await service.client.get("/v1/admin/access-requests?state=maybe", headers=ops)
    assert bad.status_code == 422


async def test_an_invited_account_answers_log_ins_like_an_unknown_address(
    service: Harness, ops: dict[str, str]
) -> None:
    await facts(service)
    assert (await approve(service, ops, await open_request(service))).status_code == 200
    for _ in range(4):  # more than the lockout's three: nothing to guess, nothing counted
        answer = await service.client.post(
            "/v1/sessions", json={"email": REQUEST["email"], "password": "any guess at all"}
        )
        assert answer.status_code == 401
        assert answer.json()["type"] == "/problems/invalid-credentials"
    async with service.runtime.sessions() as session:
        account = await session.scalar(select(Account).where(Account.email == REQUEST["email"]))
    assert account is not None and (account.failed_logins, account.locked_until) == (0, None)
    assert await service.outbox("AccountLocked") == []
