"""Unit-test harness: a service on SQLite with FastStream's in-memory broker.

Integration tests (tests/integration/) run the same services as processes against real
Kafka and PostgreSQL; this harness is for fast tests of one service's behaviour.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import TestKafkaBroker
from sqlalchemy import MetaData, select

from portal_chassis import tables
from portal_chassis.runtime import ServiceRuntime
from portal_schemas import Envelope, EventData


@dataclass
class Harness:
    client: httpx.AsyncClient
    runtime: ServiceRuntime
    broker: Any

    async def outbox(self, event_type: str | None = None) -> list[Envelope]:
        """Events the service has written to its outbox, oldest first."""
        async with self.runtime.sessions() as session:
            query = select(tables.outbox.c.payload, tables.outbox.c.event_type).order_by(tables.outbox.c.id)
            rows = (await session.execute(query)).all()
        return [
            Envelope.model_validate(json.loads(r.payload))
            for r in rows
            if event_type is None or r.event_type == event_type
        ]

    async def deliver(self, data: EventData, *, subject: str, producer: str = "test") -> Envelope:
        """Publish an event to this service's consumers as another service would."""
        envelope = Envelope.wrap(data, subject=subject, producer=producer)
        await self.broker.publish(envelope.model_dump(mode="json"), data.topic(), key=subject.encode())
        return envelope

    async def redeliver(self, envelope: Envelope, topic: str) -> None:
        await self.broker.publish(envelope.model_dump(mode="json"), topic, key=envelope.subject.encode())


async def create_schema(runtime: ServiceRuntime, metadata: MetaData) -> None:
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(tables.metadata.create_all)


@asynccontextmanager
async def service_under_test(app: FastAPI, metadata: MetaData) -> AsyncIterator[Harness]:
    runtime: ServiceRuntime = app.state.runtime
    await create_schema(runtime, metadata)
    async with TestKafkaBroker(runtime.broker) as broker, app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, runtime=runtime, broker=broker)


class TokenFactory:
    """Signs access tokens the way identity does, for services' unit tests."""

    def __init__(self) -> None:
        import uuid

        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.algorithms import ECAlgorithm

        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = uuid.uuid4().hex
        jwk = json.loads(ECAlgorithm.to_jwk(self._key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def install(self, app: FastAPI) -> None:
        app.state.jwks.use_static(self.jwks)

    def token(
        self,
        customer_number: str,
        account_id: str = "account-1",
        ttl: int = 900,
        session_id: str | None = None,
    ) -> str:
        import time

        import jwt

        now = int(time.time())
        claims: dict[str, object] = {
            "sub": account_id,
            "customer_number": customer_number,
            "iss": "identity",
            "aud": "portal",
            "iat": now,
            "exp": now + ttl,
        }
        if session_id is not None:
            claims["sid"] = session_id  # as identity signs it: the log-in the token belongs to
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})

    def headers(self, customer_number: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(customer_number)}"}

    def operator_headers(self, operator: str = "ops-tester", ttl: int = 900) -> dict[str, str]:
        """An operations token (audience ``portal-operations``), as identity's CLI mints it."""
        import time

        import jwt

        now = int(time.time())
        claims = {
            "sub": operator,
            "iss": "identity",
            "aud": "portal-operations",
            "iat": now,
            "exp": now + ttl,
        }
        token = jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid})
        return {"Authorization": f"Bearer {token}"}
