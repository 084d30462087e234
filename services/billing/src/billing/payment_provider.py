"""The payment-provider port, and its adapter for a provider's HTTP API.

Card payments use the provider's hosted payment page: billing asks for a checkout and sends
the customer to the page the provider returns; the customer types the card details there, and
the provider tells billing the outcome with a signed webhook. Card data never reaches billing.

The adapter speaks the API of the local provider simulator (billing.provider_simulator); a real
provider gets an adapter of its own behind the same Protocol.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import httpx

from portal_chassis.logging import get_logger

log = get_logger(__name__)


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the request."""


class PaymentProvider(Protocol):
    async def create_checkout(
        self, amount: Decimal, currency: str, reference: str, return_url: str
    ) -> tuple[str, str]:
        """Open a hosted payment page for ``amount``; returns (provider_reference, redirect_url).

        ``reference`` is ours (the checkout id): the provider echoes it in its webhooks."""
        ...


class HttpPaymentProvider:
    """POST {base_url}/checkouts {amount, currency, reference, return_url} -> {id, url}."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport  # tests hand in the simulator app in-process

    async def create_checkout(
        self, amount: Decimal, currency: str, reference: str, return_url: str
    ) -> tuple[str, str]:
        body = {
            "amount": f"{amount:.2f}",
            "currency": currency,
            "reference": reference,
            "return_url": return_url,
        }
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url, timeout=self._timeout, transport=self._transport
            ) as client:
                response = await client.post("/checkouts", json=body)
        except httpx.HTTPError as exc:
            log.warning("payment provider unreachable", error=type(exc).__name__)
            raise PaymentProviderError("the payment provider cannot be reached") from exc
        if response.status_code != 201:
            log.warning("payment provider refused a checkout", status=response.status_code)
            raise PaymentProviderError(f"the payment provider answered {response.status_code}")
        try:
            answer = response.json()
            return str(answer["id"]), str(answer["url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentProviderError("the payment provider's answer is not understood") from exc
