"""Access-token checks every service does itself."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import APIRouter
from jwt.algorithms import ECAlgorithm
from sqlalchemy import MetaData

from portal_chassis.app import build_service
from portal_chassis.auth import CustomerDep, JwksCache, OperatorDep
from portal_chassis.testing import TokenFactory, service_under_test

router = APIRouter()


@router.get("/v1/me")
async def me(customer: CustomerDep) -> dict[str, str]:
    return {"customer_number": customer.customer_number}


async def test_only_a_valid_token_passes(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    tokens = TokenFactory()
    tokens.install(app)
    stranger = TokenFactory()  # same claims, a key identity never published
    async with service_under_test(app, MetaData()) as svc:
        ok = await svc.client.get("/v1/me", headers=tokens.headers("100200300"))
        assert ok.status_code == 200
        assert ok.json() == {"customer_number": "100200300"}
        for headers in (
            {},
            {"Authorization": "Basic abc"},
            {"Authorization": f"Bearer {stranger.token('100200300')}"},
            {"Authorization": f"Bearer {tokens.token('100200300', ttl=-60)}"},
            {"Authorization": f"Bearer {tokens.token('')}"},  # no customer: no access
        ):
            denied: httpx.Response = await svc.client.get("/v1/me", headers=headers)
            assert denied.status_code == 401, headers
            assert denied.json()["type"] == "/problems/not-authenticated"


@router.get("/v1/me/session")
async def my_session(customer: CustomerDep) -> dict[str, str | None]:
    return {"session_id": customer.session_id}


async def test_the_session_claim_is_optional(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    tokens = TokenFactory()
    tokens.install(app)
    async with service_under_test(app, MetaData()) as svc:
        with_sid = await svc.client.get(
            "/v1/me/session", headers=_bearer(tokens.token("100200300", session_id="s-1"))
        )
        without = await svc.client.get("/v1/me/session", headers=tokens.headers("100200300"))
        assert with_sid.json() == {"session_id": "s-1"}
        assert without.status_code == 200
        assert without.json() == {"session_id": None}


@router.post("/v1/admin/ping")
async def admin_ping(operator: OperatorDep) -> dict[str, str]:
    return {"operator": operator.name}


async def test_operator_and_customer_tokens_do_not_open_each_others_doors(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    tokens = TokenFactory()
    tokens.install(app)
    async with service_under_test(app, MetaData()) as svc:
        operator = tokens.operator_headers("alice")
        allowed = await svc.client.post("/v1/admin/ping", headers=operator)
        assert allowed.status_code == 200
        assert allowed.json() == {"operator": "alice"}
        as_customer = await svc.client.post("/v1/admin/ping", headers=tokens.headers("100200300"))
        assert as_customer.status_code == 401
        assert (await svc.client.post("/v1/admin/ping")).status_code == 401
        expired = await svc.client.post("/v1/admin/ping", headers=tokens.operator_headers("alice", ttl=-60))
        assert expired.status_code == 401
        # An operator token carries no customer: it opens nothing of a customer's.
        assert (await svc.client.get("/v1/me", headers=operator)).status_code == 401


async def test_a_loader_replaces_the_http_fetch() -> None:
    tokens = TokenFactory()
    calls = 0

    async def load() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return tokens.jwks

    cache = JwksCache("http://127.0.0.1:9/never-fetched", loader=load)
    assert await cache.key(tokens.kid) is not None
    assert calls == 1


async def test_a_strange_correlation_id_is_replaced(settings) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    async with service_under_test(app, MetaData()) as svc:
        kept = await svc.client.get("/health", headers={"X-Correlation-ID": "abc-123"})
        assert kept.headers["x-correlation-id"] == "abc-123"
        replaced = await svc.client.get("/health", headers={"X-Correlation-ID": "x" * 500})
        assert replaced.headers["x-correlation-id"] != "x" * 500
        assert len(replaced.headers["x-correlation-id"]) == 36  # a fresh UUID


# --- Security: every forged, stale or malformed credential is a 401, never a 500 -----------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: Any) -> str:
    return _b64(json.dumps(obj).encode())


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "account-1",
        "customer_number": "100200300",
        "iss": "identity",
        "aud": "portal",
        "iat": now,
        "exp": now + 900,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def _signed(tokens: TokenFactory, claims: dict[str, Any], **headers: Any) -> str:
    """A correctly ES256-signed token with arbitrary claims and header (jwt.encode refuses some):
    only the verifier's checks of those can refuse it."""
    fields = {"alg": "ES256", "typ": "JWT", "kid": tokens.kid, **headers}
    header = {k: v for k, v in fields.items() if v is not _DROP}
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input.encode(), tokens._key)
    return f"{signing_input}.{_b64(signature)}"


def _unsigned(kid: str, claims: dict[str, Any], alg: str = "none") -> str:
    return f"{_segment({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{_segment(claims)}."


def _hmac_signed(kid: str, claims: dict[str, Any], secret: bytes, alg: str = "HS256") -> str:
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{_segment({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{_segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _public_key_secrets(tokens: TokenFactory) -> dict[str, bytes]:
    """Every form of the *public* key an attacker could try as an HMAC secret."""
    public = tokens._key.public_key()
    jwk = tokens.jwks["keys"][0]
    return {
        "pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "pem-stripped": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).strip(),
        "der": public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "point": public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint),
        "jwk": json.dumps(jwk).encode(),
        "jwk-compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "jwks": json.dumps(tokens.jwks).encode(),
        "x": jwk["x"].encode(),
    }


async def _assert_not_authenticated(client: httpx.AsyncClient, headers: dict[str, Any], label: str) -> None:
    answer = await client.get("/v1/me", headers=headers)
    assert answer.status_code == 401, (label, answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json"), label
    assert answer.json()["type"] == "/problems/not-authenticated", label


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def app(settings, tokens: TokenFactory):
    app = build_service(settings, title="demo", description="demo", routers=[router])
    tokens.install(app)
    return app


async def test_the_baseline_token_passes(app, tokens: TokenFactory) -> None:
    # Guards the tests below: their forgeries differ from this token in one respect only.
    async with service_under_test(app, MetaData()) as svc:
        answer = await svc.client.get("/v1/me", headers=_bearer(_signed(tokens, _claims())))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"customer_number": "100200300"}


async def test_an_unsigned_token_is_refused(app, tokens: TokenFactory) -> None:
    async with service_under_test(app, MetaData()) as svc:
        for alg in ("none", "None", "NONE", "nOnE"):
            await _assert_not_authenticated(svc.client, _bearer(_unsigned(tokens.kid, _claims(), alg)), alg)
        # The real signature stripped off a valid token, and an alg-none header on a signed body.
        header, payload, _ = tokens.token("100200300").split(".")
        await _assert_not_authenticated(svc.client, _bearer(f"{header}.{payload}."), "stripped")
        none_header = _segment({"alg": "none", "kid": tokens.kid})
        forged = f"{none_header}.{payload}."
        await _assert_not_authenticated(svc.client, _bearer(forged), "none on signed body")


async def test_hmac_with_the_public_key_as_secret_is_refused(app, tokens: TokenFactory) -> None:
    # The classic key-confusion attack: the verifier must never let the token pick HS256.
    async with service_under_test(app, MetaData()) as svc:
        for name, secret in _public_key_secrets(tokens).items():
            for alg in ("HS256", "HS384", "HS512"):
                token = _hmac_signed(tokens.kid, _claims(), secret, alg)
                await _assert_not_authenticated(svc.client, _bearer(token), f"{alg} with {name}")


async def test_an_expired_token_is_refused(app, tokens: TokenFactory) -> None:
    now = int(time.time())
    async with service_under_test(app, MetaData()) as svc:
        for label, claims in {
            "expired a minute ago": _claims(iat=now - 960, exp=now - 60),
            "expired long ago": _claims(iat=now - 86_400, exp=now - 86_000),
            "no exp": _claims(exp=_DROP),
            "exp not a number": _claims(exp="tomorrow"),
            "not yet valid": _claims(nbf=now + 3600),
        }.items():
            await _assert_not_authenticated(svc.client, _bearer(_signed(tokens, claims)), label)


async def test_wrong_issuer_or_audience_is_refused(app, tokens: TokenFactory) -> None:
    async with service_under_test(app, MetaData()) as svc:
        for label, claims in {
            "other issuer": _claims(iss="evil"),
            "issuer differs in case": _claims(iss="Identity"),
            "no issuer": _claims(iss=_DROP),
            "issuer a list": _claims(iss=["identity"]),
            "other audience": _claims(aud="backoffice"),
            "audience list without portal": _claims(aud=["backoffice", "admin"]),
            "no audience": _claims(aud=_DROP),
            "audience differs in case": _claims(aud="Portal"),
        }.items():
            await _assert_not_authenticated(svc.client, _bearer(_signed(tokens, claims)), label)


async def test_missing_or_malformed_subject_and_customer_are_refused(app, tokens: TokenFactory) -> None:
    async with service_under_test(app, MetaData()) as svc:
        for label, claims in {
            "no sub": _claims(sub=_DROP),
            "sub null": _claims(sub=None),
            "sub a number": _claims(sub=42),
            "no customer_number": _claims(customer_number=_DROP),
            "customer_number null": _claims(customer_number=None),
            "customer_number empty": _claims(customer_number=""),
            "customer_number an int": _claims(customer_number=100200300),
            "customer_number a list": _claims(customer_number=["100200300"]),
            "customer_number an object": _claims(customer_number={"id": "100200300"}),
            "customer_number a bool": _claims(customer_number=True),
        }.items():
            await _assert_not_authenticated(svc.client, _bearer(_signed(tokens, claims)), label)


async def test_unknown_kid_or_a_key_identity_never_published_is_refused(app, tokens: TokenFactory) -> None:
    impostor = TokenFactory()
    impostor.kid = tokens.kid  # right kid in the header, signed by another key
    async with service_under_test(app, MetaData()) as svc:
        for label, token in {
            "right kid, other key": impostor.token("100200300"),
            "unknown kid": _signed(tokens, _claims(), kid="not-published"),
            "empty kid": _signed(tokens, _claims(), kid=""),
            "no kid": _signed(tokens, _claims(), kid=_DROP),
            "kid a number": _signed(tokens, _claims(), kid=1),
            "kid a list": _signed(tokens, _claims(), kid=[tokens.kid]),
            "kid an object": _signed(tokens, _claims(), kid={"kid": tokens.kid}),
        }.items():
            await _assert_not_authenticated(svc.client, _bearer(token), label)


async def test_garbage_and_trailing_data_are_refused(app, tokens: TokenFactory) -> None:
    valid = tokens.token("100200300")
    header, payload, signature = valid.split(".")
    async with service_under_test(app, MetaData()) as svc:
        for token in (
            "garbage",
            "a.b.c",
            "..",
            "...",
            "a.b",
            "a.b.c.d.e",
            "eyJ.eyJ.sig",
            "%%%.%%%.%%%",
            "x" * 8000,
            "null",
            f"{_b64(b'not json')}.{payload}.{signature}",
            f"{_segment([1, 2])}.{payload}.{signature}",
            f"{_segment('a string')}.{payload}.{signature}",
            f"{header}.{_b64(b'not json')}.{signature}",
            f"{header}.{_segment([1, 2])}.{signature}",
            f"{header}.{_segment('a string')}.{signature}",
            f"{header}.{payload}.{_b64(b'short')}",
            f"{header}.{payload}.not-base64!",
            f"{valid}x",
            f"{valid}AA",
            f"{valid}.",
            f"{valid}.extra",
            f"{valid}!",
            f"{valid}{valid}",
            f"{valid}.{valid}",
            f"{header}.{payload}.{signature[:-4]}",
            f"{header}!.{payload}.{signature}",
            f"{header}.{payload}!.{signature}",
        ):
            await _assert_not_authenticated(svc.client, _bearer(token), token[:60])
        # Bytes a client cannot normally send, as raw latin-1 header values.
        for raw in (b"Bearer \xe9\xe9\xe9", b"Bearer " + valid.encode() + b"\xff"):
            await _assert_not_authenticated(svc.client, {"Authorization": raw}, repr(raw[:20]))


async def test_other_schemes_and_empty_tokens_are_refused(app, tokens: TokenFactory) -> None:
    valid = tokens.token("100200300")
    async with service_under_test(app, MetaData()) as svc:
        await _assert_not_authenticated(svc.client, {}, "no header")
        for value in (
            "",
            "Bearer",
            "Bearer ",
            "bearer ",
            "Basic abc",
            f"Basic {valid}",
            f"Token {valid}",
            f"JWT {valid}",
            f"DPoP {valid}",
            f"Bearer{valid}",
            valid,
            f"Bearer: {valid}",
        ):
            await _assert_not_authenticated(svc.client, {"Authorization": value}, value[:30])
        # The token as a cookie or a query parameter does not count.
        cookie = {"Cookie": f"access_token={valid}"}
        answer = await svc.client.get("/v1/me", params={"access_token": valid}, headers=cookie)
        assert answer.status_code == 401
        # ...while the scheme itself is case-insensitive (RFC 6750).
        answer = await svc.client.get("/v1/me", headers={"Authorization": f"bearer {valid}"})
        assert answer.status_code == 200


# --- The JWKS fetch: identity down, and key rotation ---------------------------------------------


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _JwksServer:
    """identity's JWKS endpoint, in a thread; counts the fetches."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                body = json.dumps(server.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/.well-known/jwks.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    server = _JwksServer({"keys": []})
    yield server
    server.close()


async def test_an_unreachable_jwks_with_no_keys_is_503(settings, tokens: TokenFactory) -> None:
    app = build_service(settings, title="demo", description="demo", routers=[router])
    app.state.jwks = JwksCache(f"http://127.0.0.1:{_closed_port()}/.well-known/jwks.json")
    async with service_under_test(app, MetaData()) as svc:
        # A valid token cannot be checked: that is the server's problem, not the client's, and it
        # stays so (the client must not be told its token is bad and throw it away).
        for attempt in range(3):
            answer = await svc.client.get("/v1/me", headers=tokens.headers("100200300"))
            assert answer.status_code == 503, (attempt, answer.text)
            assert answer.json()["type"] == "/problems/auth-unavailable"
        # Without a token there is nothing to check: still a plain 401.
        await _assert_not_authenticated(svc.client, {}, "no header")


async def test_identity_down_after_a_fetch_keeps_using_the_cached_keys(
    settings, tokens: TokenFactory, jwks_server: _JwksServer
) -> None:
    jwks_server.jwks = tokens.jwks
    app = build_service(settings, title="demo", description="demo", routers=[router])
    app.state.jwks = cache = JwksCache(jwks_server.url, ttl_seconds=0, refetch_seconds=0)
    async with service_under_test(app, MetaData()) as svc:
        assert (await svc.client.get("/v1/me", headers=tokens.headers("100200300"))).status_code == 200
        cache.url = f"http://127.0.0.1:{_closed_port()}/.well-known/jwks.json"  # identity goes down
        answer = await svc.client.get("/v1/me", headers=tokens.headers("100200300"))
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("served", [[], {"keys": [1, "x"]}, {"keys": "nope"}])
async def test_a_malformed_jwks_is_unavailable_not_a_crash(
    settings, tokens: TokenFactory, jwks_server: _JwksServer, served: Any
) -> None:
    jwks_server.jwks = served  # identity serving the wrong shape
    app = build_service(settings, title="demo", description="demo", routers=[router])
    app.state.jwks = JwksCache(jwks_server.url)
    async with service_under_test(app, MetaData()) as svc:
        answer = await svc.client.get("/v1/me", headers=tokens.headers("100200300"))
        assert answer.status_code == 503, answer.text
        assert answer.json()["type"] == "/problems/auth-unavailable"


async def _burst(client: httpx.AsyncClient, headers: dict[str, str]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.get("/v1/me", headers=headers) for _ in range(5))))


async def test_a_rotated_key_is_fetched_once(settings, jwks_server: _JwksServer) -> None:
    old, new, stranger = TokenFactory(), TokenFactory(), TokenFactory()
    jwks_server.jwks = old.jwks
    app = build_service(settings, title="demo", description="demo", routers=[router])
    app.state.jwks = JwksCache(jwks_server.url, refetch_seconds=0.3)
    async with service_under_test(app, MetaData()) as svc:
        # A burst at start-up, before any key is known: one fetch, and nobody refused meanwhile.
        answers = await _burst(svc.client, old.headers("1"))
        assert [a.status_code for a in answers] == [200] * 5
        assert (await svc.client.get("/v1/me", headers=old.headers("1"))).status_code == 200
        assert jwks_server.fetches == 1  # cached

        # identity rotates; tokens with the new kid arrive at once, all together.
        jwks_server.jwks = {"keys": old.jwks["keys"] + new.jwks["keys"]}
        await asyncio.sleep(0.35)
        answers = await _burst(svc.client, new.headers("1"))
        assert [a.status_code for a in answers] == [200] * 5
        assert jwks_server.fetches == 2  # one refetch, shared by all five
        assert (await svc.client.get("/v1/me", headers=old.headers("1"))).status_code == 200
        assert jwks_server.fetches == 2

        # A kid identity never published cannot make the service hammer identity.
        for _ in range(5):
            await _assert_not_authenticated(svc.client, stranger.headers("1"), "never published")
        assert jwks_server.fetches <= 3
