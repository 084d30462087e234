"""Card payments end to end in one process: billing's checkout endpoint, the provider simulator's
hosted page, its signed webhook back into billing; and every way a webhook is refused."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from billing.api.card_payments import payment_provider
from billing.app import create_app
from billing.db.tables import Base, CardCheckoutRow, InvoiceRow, PaymentRow
from billing.domain.invoice import InvoiceLine
from billing.domain.webhook_signature import HEADER, signature_header
from billing.payment_provider import HttpPaymentProvider, PaymentProviderError
from billing.provider_simulator import create_simulator
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.testing import Harness, TokenFactory, service_under_test

ME, OTHER = "100200300", "999888777"
SECRET = "whsec-test-0123456789"
WEBHOOK = "/v1/payment-provider/webhook"
D = Decimal


@pytest.fixture
def card_settings(settings: BillingSettings) -> BillingSettings:
    return settings.model_copy(
        update={
            "payment_provider_url": "http://provider.test",
            "payment_return_url": "http://portal.test/payments/return",
            "payment_webhook_url": f"http://testserver{WEBHOOK}",
            "payment_webhook_secret": SecretStr(SECRET),
        }
    )


@pytest.fixture
async def paying(
    card_settings: BillingSettings, tokens: TokenFactory
) -> AsyncIterator[tuple[Harness, httpx.AsyncClient]]:
    """Billing (the harness) and the simulator, each calling the other in-process."""
    app = create_app(card_settings)
    tokens.install(app)
    simulator = create_simulator(card_settings, webhook_transport=httpx.ASGITransport(app=app))
    simulator_transport = httpx.ASGITransport(app=simulator)
    app.dependency_overrides[payment_provider] = lambda: HttpPaymentProvider(
        card_settings.payment_provider_url, transport=simulator_transport
    )
    async with (
        service_under_test(app, Base.metadata) as harness,
        httpx.AsyncClient(
            transport=simulator_transport, base_url=card_settings.payment_provider_url
        ) as browser,
    ):
        harness.runtime_app = app  # type: ignore[attr-defined]
        yield harness, browser


async def open_invoice(service: Harness, amount: str, customer: str = ME, days_ago: int = 3) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    line = InvoiceLine("advance", "Advance", D(1), None, D(amount), D(0))
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind="advance",
            customer_number=customer,
            contract_id=None,
            lines=[line],
            now=datetime.now(UTC) - timedelta(days=days_ago),
        )
        await uow.commit()
    return invoice.id


async def count(service: Harness, model: type[Base]) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def invoice_state(service: Harness, invoice_id: str) -> tuple[str, Decimal]:
    async with service.runtime.sessions() as session:
        row = await session.get(InvoiceRow, invoice_id)
        assert row is not None
        return row.status, row.open_amount


async def checkout(
    service: Harness, tokens: TokenFactory, invoice_id: str, customer: str = ME
) -> httpx.Response:
    return await service.client.post(
        f"/v1/invoices/{invoice_id}/card-payment", headers=tokens.headers(customer)
    )


async def test_pay_an_invoice_on_the_hosted_page(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, browser = paying
    invoice_id = await open_invoice(service, "87.65")

    response = await checkout(service, tokens, invoice_id)
    assert response.status_code == 201
    body = response.json()
    assert body["redirect_url"].startswith("http://provider.test/pay/cs_")
    async with service.runtime.sessions() as session:
        row = await session.get(CardCheckoutRow, body["checkout_id"])
        assert row is not None and (row.status, row.amount, row.invoice_id) == (
            "pending",
            D("87.65"),
            invoice_id,
        )

    page = await browser.get(body["redirect_url"])
    assert page.status_code == 200 and "EUR 87.65" in page.text
    assert "card number" not in page.text.lower()

    paid = await browser.post(f"{body['redirect_url']}/succeed")
    assert paid.status_code == 303
    assert paid.headers["location"] == (
        f"http://portal.test/payments/return?checkout={body['checkout_id']}&status=succeeded"
    )
    assert await invoice_state(service, invoice_id) == ("paid", D("0.00"))
    [received] = await service.outbox("PaymentReceived")
    assert (received.data["channel"], received.data["amount"], received.data["unallocated"]) == (
        "card",
        "87.65",
        "0.00",
    )
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [invoice_id]
    async with service.runtime.sessions() as session:
        [payment] = await session.scalars(select(PaymentRow))
        assert payment.reference.startswith("pay_")  # the provider's payment id
        row = await session.get(CardCheckoutRow, body["checkout_id"])
        assert row is not None and row.status == "paid"

    # The provider sends the same webhook again (a retry): answered, nothing booked twice.
    again = await browser.post(f"{body['redirect_url']}/succeed")
    assert again.status_code == 303
    assert await count(service, PaymentRow) == 1
    assert len(await service.outbox("PaymentReceived")) == 1
    assert len(await service.outbox("InvoicePaid")) == 1


async def test_the_invoice_paid_for_is_settled_before_an_older_one(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, browser = paying
    older = await open_invoice(service, "40.00", days_ago=20)
    chosen = await open_invoice(service, "25.00")

    started = await checkout(service, tokens, chosen)
    assert started.status_code == 201, started.text
    assert (await browser.post(f"{started.json()['redirect_url']}/succeed")).status_code == 303

    assert await invoice_state(service, chosen) == ("paid", D("0.00"))
    assert await invoice_state(service, older) == ("open", D("40.00"))
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [chosen]


async def test_a_declined_payment_books_nothing(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, browser = paying
    invoice_id = await open_invoice(service, "10.00")
    body = (await checkout(service, tokens, invoice_id)).json()

    declined = await browser.post(f"{body['redirect_url']}/decline")
    assert declined.status_code == 303 and declined.headers["location"].endswith("&status=declined")
    assert await count(service, PaymentRow) == 0
    assert await invoice_state(service, invoice_id) == ("open", D("10.00"))
    async with service.runtime.sessions() as session:
        row = await session.get(CardCheckoutRow, body["checkout_id"])
        assert row is not None and row.status == "failed"
    # A declined checkout cannot be paid after all; a new checkout can.
    assert (await browser.post(f"{body['redirect_url']}/succeed")).status_code == 409
    assert (await checkout(service, tokens, invoice_id)).status_code == 201


async def test_only_my_open_invoices_can_be_paid(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, browser = paying
    mine = await open_invoice(service, "20.00")
    theirs = await open_invoice(service, "30.00", customer=OTHER)

    unknown = await checkout(service, tokens, "no-such-invoice")
    foreign = await checkout(service, tokens, theirs)
    assert unknown.status_code == foreign.status_code == 404
    assert foreign.json()["type"] == unknown.json()["type"] == "/problems/invoice-not-found"
    assert foreign.json()["detail"] == unknown.json()["detail"]

    body = (await checkout(service, tokens, mine)).json()
    await browser.post(f"{body['redirect_url']}/succeed")
    paid = await checkout(service, tokens, mine)
    assert paid.status_code == 409
    assert paid.json()["type"] == "/problems/invoice-not-payable" and paid.json()["invoice_status"] == "paid"
    assert await count(service, CardCheckoutRow) == 1

    anonymous = await service.client.post(f"/v1/invoices/{mine}/card-payment")
    assert anonymous.status_code == 401


async def test_an_unreachable_provider_is_a_502_and_stores_nothing(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, _ = paying

    class Down:
        async def create_checkout(
            self, amount: Decimal, currency: str, reference: str, return_url: str
        ) -> tuple[str, str]:
            raise PaymentProviderError("down")

    invoice_id = await open_invoice(service, "20.00")
    service.runtime_app.dependency_overrides[payment_provider] = lambda: Down()  # type: ignore[attr-defined]
    response = await checkout(service, tokens, invoice_id)
    assert response.status_code == 502
    assert response.json()["type"] == "/problems/payment-provider-unavailable"
    assert await count(service, CardCheckoutRow) == 0


# -- the webhook on its own: signature, staleness, repetition -------------------------------


async def started_checkout(service: Harness, tokens: TokenFactory, amount: str = "50.00") -> tuple[str, str]:
    invoice_id = await open_invoice(service, amount)
    body = (await checkout(service, tokens, invoice_id)).json()
    async with service.runtime.sessions() as session:
        row = await session.get(CardCheckoutRow, body["checkout_id"])
        assert row is not None
        return invoice_id, row.provider_reference


def event(
    provider_reference: str,
    *,
    payment_id: str = "pay_1",
    amount: str = "50.00",
    kind: str = "payment.succeeded",
) -> bytes:
    return json.dumps(
        {
            "id": "evt_1",
            "type": kind,
            "created": "2026-03-05T10:00:00+00:00",
            "data": {
                "checkout_id": provider_reference,
                "payment_id": payment_id,
                "amount": amount,
                "currency": "EUR",
            },
        }
    ).encode()


async def post_webhook(service: Harness, body: bytes, header: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[HEADER] = header
    return await service.client.post(WEBHOOK, content=body, headers=headers)


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda body: None, id="missing"),
        pytest.param(lambda body: "garbage", id="malformed"),
        pytest.param(
            lambda body: signature_header("not-the-secret", int(time.time()), body), id="wrong-secret"
        ),
        pytest.param(lambda body: signature_header(SECRET, int(time.time()), body + b" "), id="other-body"),
        pytest.param(lambda body: signature_header(SECRET, int(time.time()) - 301, body), id="stale"),
        pytest.param(
            lambda body: signature_header(SECRET, int(time.time()) + 301, body), id="from-the-future"
        ),
    ],
)
async def test_an_unsigned_webhook_is_refused_and_changes_nothing(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory, make_header: Any
) -> None:
    service, _ = paying
    invoice_id, reference = await started_checkout(service, tokens)
    body = event(reference)

    response = await post_webhook(service, body, make_header(body))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/webhook-signature-invalid"
    assert await count(service, PaymentRow) == 0
    assert await invoice_state(service, invoice_id) == ("open", D("50.00"))
    assert await service.outbox("PaymentReceived") == []


async def test_a_signed_webhook_within_the_tolerance_books_once(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, _ = paying
    invoice_id, reference = await started_checkout(service, tokens)
    body = event(reference, amount="20.00")

    # 299 s old is still inside the 5 minutes.
    first = await post_webhook(service, body, signature_header(SECRET, int(time.time()) - 299, body))
    assert (first.status_code, first.json()) == (200, {"outcome": "booked"})
    again = await post_webhook(service, body, signature_header(SECRET, int(time.time()), body))
    assert (again.status_code, again.json()) == (200, {"outcome": "already_booked"})
    assert await count(service, PaymentRow) == 1
    # 20.00 of 50.00 paid: 30.00 still open.
    assert await invoice_state(service, invoice_id) == ("open", D("30.00"))


async def test_a_signed_webhook_that_is_not_an_event_is_422(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, _ = paying
    _, reference = await started_checkout(service, tokens)
    for body in (
        b"not json",
        b'{"id": "evt_1"}',
        event(reference, amount="-5.00"),
        event(reference, payment_id=""),
    ):
        response = await post_webhook(service, body, signature_header(SECRET, int(time.time()), body))
        assert response.status_code == 422, body
    assert await count(service, PaymentRow) == 0


async def test_webhooks_for_unknown_checkouts_and_other_events_are_acknowledged(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory
) -> None:
    service, _ = paying
    _, reference = await started_checkout(service, tokens)
    for body in (event("cs_unknown"), event(reference, kind="payment.refund_requested")):
        response = await post_webhook(service, body, signature_header(SECRET, int(time.time()), body))
        assert (response.status_code, response.json()) == (200, {"outcome": "ignored"})
    assert await count(service, PaymentRow) == 0


async def test_without_a_configured_secret_every_webhook_is_refused(
    settings: BillingSettings, tokens: TokenFactory
) -> None:
    app = create_app(settings)  # payment_webhook_secret left empty
    async with service_under_test(app, Base.metadata) as service:
        body = event("cs_1")
        response = await post_webhook(service, body, signature_header("", int(time.time()), body))
        assert response.status_code == 401


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_signed_webhook_dated_outside_utc_is_422(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory, created: str
) -> None:
    service, _ = paying
    invoice_id, reference = await started_checkout(service, tokens)
    body = json.dumps({**json.loads(event(reference)), "created": created}).encode()

    response = await post_webhook(service, body, signature_header(SECRET, int(time.time()), body))
    assert (response.status_code, response.json()["type"]) == (422, "/problems/webhook-invalid")
    assert await count(service, PaymentRow) == 0
    assert await invoice_state(service, invoice_id) == ("open", D("50.00"))


async def test_a_paid_amount_other_than_the_checkouts_is_booked_with_a_warning(
    paying: tuple[Harness, httpx.AsyncClient], tokens: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    service, _ = paying
    invoice_id, reference = await started_checkout(service, tokens)  # a checkout of 50.00
    body = event(reference, amount="60.00")

    response = await post_webhook(service, body, signature_header(SECRET, int(time.time()), body))
    assert (response.status_code, response.json()) == (200, {"outcome": "booked"})
    # The money moved: the invoice is paid and 10.00 is credit, and operations are told.
    assert await invoice_state(service, invoice_id) == ("paid", D("0.00"))
    [received] = await service.outbox("PaymentReceived")
    assert (received.data["amount"], received.data["unallocated"]) == ("60.00", "10.00")
    [warning] = [r.msg for r in caplog.records if "differs from its checkout" in str(r.msg)]
    assert isinstance(warning, dict)
    assert (warning["checkout_amount"], warning["paid_amount"]) == ("50.00", "60.00")
