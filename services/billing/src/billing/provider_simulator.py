"""A local payment-provider simulator: the hosted payment page and signed webhooks.

Run it with ``python -m billing provider-simulator --port 8190`` (``make up`` and the
integration tests start it). It implements what billing's HttpPaymentProvider calls and what a
real provider does after the customer acts on its page:

- ``POST /checkouts`` {amount, currency, reference, return_url} -> 201 {id, url}: a checkout
  and the URL of its hosted page;
- ``GET /pay/{id}``: the hosted page, with a pay and a decline button (no card fields: any card
  "works"; nothing typed here ever reaches billing);
- ``POST /pay/{id}/succeed`` or ``/decline``: the outcome, sent to billing's webhook URL signed
  with the shared secret (``Provider-Signature: t=...,v1=...``), then a 303 back to the
  return URL. Paying a paid checkout again sends the same webhook again (a provider's retry),
  with the same payment id: billing must book it once;
- ``GET /checkouts/{id}``: the checkout's state, for tests and curious people.

Checkouts live in memory: a restart forgets them. It reads billing's settings
(BILLING_PAYMENT_PROVIDER_URL is its own public address, BILLING_PAYMENT_WEBHOOK_URL and
BILLING_PAYMENT_WEBHOOK_SECRET where and how it signs).
"""

from __future__ import annotations

import asyncio
import html
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

import httpx
from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from billing.domain.webhook_signature import HEADER, signature_header
from billing.settings import BillingSettings

WEBHOOK_ATTEMPTS = 3

CheckoutId = Annotated[str, Path(min_length=1, max_length=60)]


class CheckoutIn(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    currency: Literal["EUR"]
    reference: str = Field(min_length=1, max_length=100)
    return_url: str = Field(min_length=1, max_length=500)


@dataclass
class SimulatedCheckout:
    id: str
    amount: Decimal
    currency: str
    reference: str
    return_url: str
    status: Literal["open", "succeeded", "declined"] = "open"
    payment_id: str | None = None
    events: list[bytes] = field(default_factory=list)  # every webhook body sent, in order


def create_simulator(
    settings: BillingSettings, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """``webhook_transport`` lets a test deliver the webhooks to billing's app in-process."""
    app = FastAPI(title="Payment provider simulator", docs_url=None, redoc_url=None)
    checkouts: dict[str, SimulatedCheckout] = {}
    public_url = settings.payment_provider_url.rstrip("/")

    def find(checkout_id: str) -> SimulatedCheckout:
        checkout = checkouts.get(checkout_id)
        if checkout is None:
            raise HTTPException(404, "no such checkout")
        return checkout

    async def send(body: bytes) -> int:
        """POST the signed webhook, retrying a little; the last status (0: unreachable)."""
        status = 0
        async with httpx.AsyncClient(transport=webhook_transport, timeout=10.0) as client:
            for attempt in range(WEBHOOK_ATTEMPTS):
                # Signed at each attempt: a retry carries a fresh timestamp, as providers do.
                header = signature_header(
                    settings.payment_webhook_secret.get_secret_value(), int(time.time()), body
                )
                try:
                    response = await client.post(
                        settings.payment_webhook_url,
                        content=body,
                        headers={HEADER: header, "Content-Type": "application/json"},
                    )
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                if 200 <= status < 300 or 400 <= status < 500:
                    return status
                await asyncio.sleep(0.5 * (attempt + 1))
        return status

    def record(checkout: SimulatedCheckout, event_type: str) -> None:
        data: dict[str, str | None] = {
            "checkout_id": checkout.id,
            "reference": checkout.reference,
            "payment_id": checkout.payment_id,
            "amount": f"{checkout.amount:.2f}",
            "currency": checkout.currency,
        }
        event = {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": event_type,
            "created": datetime.now(UTC).isoformat(),
            "data": data,
        }
        checkout.events.append(json.dumps(event).encode())

    async def deliver(checkout: SimulatedCheckout) -> RedirectResponse:
        """Send the checkout's last event; then back to the shop, like a real hosted page."""
        status = await send(checkout.events[-1])
        if not 200 <= status < 300:
            # The outcome stands; pressing the button again sends the same event again.
            raise HTTPException(502, f"billing did not accept the webhook (status {status})")
        separator = "&" if "?" in checkout.return_url else "?"
        return RedirectResponse(
            f"{checkout.return_url}{separator}checkout={checkout.reference}&status={checkout.status}",
            status_code=303,
        )

    @app.post("/checkouts", status_code=201)
    async def create_checkout(body: CheckoutIn) -> dict[str, str]:
        checkout_id = f"cs_{uuid.uuid4().hex}"
        checkouts[checkout_id] = SimulatedCheckout(
            checkout_id, body.amount, body.currency, body.reference, body.return_url
        )
        return {"id": checkout_id, "url": f"{public_url}/pay/{checkout_id}"}

    @app.get("/checkouts/{checkout_id}")
    async def show_checkout(checkout_id: CheckoutId) -> dict[str, str | int | None]:
        checkout = find(checkout_id)
        return {
            "id": checkout.id,
            "status": checkout.status,
            "amount": f"{checkout.amount:.2f}",
            "reference": checkout.reference,
            "payment_id": checkout.payment_id,
            "webhooks_sent": len(checkout.events),
        }

    @app.get("/pay/{checkout_id}", response_class=HTMLResponse)
    async def hosted_page(checkout_id: CheckoutId) -> str:
        checkout = find(checkout_id)
        amount = html.escape(f"{checkout.currency} {checkout.amount:.2f}")
        state = "" if checkout.status == "open" else f"<p>This checkout is {checkout.status}.</p>"
        action = html.escape(f"/pay/{checkout.id}")
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pay {amount}</title></head>
<body>
<h1>Payment provider simulator</h1>
<p>Amount: <strong>{amount}</strong></p>
{state}
<p>This page stands in for a card provider's hosted payment page: no card details here.</p>
<form method="post" action="{action}/succeed"><button type="submit">Pay</button></form>
<form method="post" action="{action}/decline"><button type="submit">Decline</button></form>
</body></html>
"""

    @app.post("/pay/{checkout_id}/succeed", status_code=303)
    async def succeed(checkout_id: CheckoutId) -> RedirectResponse:
        checkout = find(checkout_id)
        if checkout.status == "declined":
            raise HTTPException(409, "this checkout was declined")
        if checkout.status == "open":
            checkout.status, checkout.payment_id = "succeeded", f"pay_{uuid.uuid4().hex}"
            record(checkout, "payment.succeeded")
        return await deliver(checkout)  # again for a paid one: a provider's retry, same payment id

    @app.post("/pay/{checkout_id}/decline", status_code=303)
    async def decline(checkout_id: CheckoutId) -> RedirectResponse:
        checkout = find(checkout_id)
        if checkout.status == "succeeded":
            raise HTTPException(409, "this checkout was paid")
        if checkout.status == "open":
            checkout.status = "declined"
            record(checkout, "payment.failed")
        return await deliver(checkout)

    return app
