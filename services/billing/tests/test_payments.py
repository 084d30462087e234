"""book_payment, reverse_payment and allocate_credit on the database: rows, statuses and events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from billing.db.tables import AllocationRow, InvoiceRow, PaymentRow
from billing.domain.invoice import InvoiceKind, InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.payments import allocate_credit, book_payment, reverse_payment
from portal_chassis.testing import Harness

ME = "100200300"
D = Decimal


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


async def invoice(service: Harness, amount: str, issued: datetime, kind: InvoiceKind = "advance") -> str:
    """An invoice of one line of ``amount`` without VAT (an advance, or a credit when negative)."""
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    line = InvoiceLine(
        kind="advance", description="Advance", quantity=D(1), unit=None, unit_price=D(amount), vat_rate=D(0)
    )
    async with service.runtime.new_uow() as uow:
        issued_invoice = await issue_invoice(
            uow, settings, kind=kind, customer_number=ME, contract_id=None, lines=[line], now=issued
        )
        await uow.commit()
    return issued_invoice.id


async def pay(
    service: Harness, amount: str, reference: str, received: datetime, channel: str = "transfer"
) -> PaymentRow | None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        payment = await book_payment(
            uow,
            settings,
            customer_number=ME,
            channel=channel,  # type: ignore[arg-type]
            amount=D(amount),
            reference=reference,
            received_at=received,
        )
        await uow.commit()
    return payment


async def state(service: Harness) -> dict[str, tuple[str, Decimal]]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(select(InvoiceRow))
        return {r.id: (r.status, r.open_amount) for r in rows}


async def payments(service: Harness) -> list[PaymentRow]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(PaymentRow).order_by(PaymentRow.received_at)))


async def test_partial_then_full_payment(service: Harness) -> None:
    feb = await invoice(service, "50.00", at(2, 1))
    mar = await invoice(service, "30.00", at(3, 1))

    # 65.00: February's 50.00 in full, 15.00 of March's 30.00.
    payment = await pay(service, "65.00", "BANK-1", at(3, 5))
    assert payment is not None and payment.unallocated == D("0.00")
    assert await state(service) == {feb: ("paid", D("0.00")), mar: ("open", D("15.00"))}
    [received] = await service.outbox("PaymentReceived")
    assert received.data["amount"] == "65.00" and received.data["unallocated"] == "0.00"
    assert received.data["channel"] == "transfer" and received.subject == payment.id
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [feb]

    # 15.00 more closes March.
    await pay(service, "15.00", "BANK-2", at(3, 20))
    assert await state(service) == {feb: ("paid", D("0.00")), mar: ("paid", D("0.00"))}
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [feb, mar]


async def test_the_same_reference_books_once(service: Harness) -> None:
    await invoice(service, "50.00", at(2, 1))
    assert await pay(service, "20.00", "BANK-1", at(3, 5)) is not None
    assert await pay(service, "20.00", "BANK-1", at(3, 6)) is None
    # Another channel with the same reference is another payment.
    assert await pay(service, "20.00", "BANK-1", at(3, 6), channel="energy_cheque") is not None
    assert [p.amount for p in await payments(service)] == [D("20.00"), D("20.00")]
    assert len(await service.outbox("PaymentReceived")) == 2


async def test_an_overpayment_stays_credit_and_settles_the_next_invoice(service: Harness) -> None:
    feb = await invoice(service, "50.00", at(2, 1))
    # 80.00 for 50.00: 30.00 credit.
    payment = await pay(service, "80.00", "BANK-1", at(2, 3))
    assert payment is not None and payment.unallocated == D("30.00")
    [received] = await service.outbox("PaymentReceived")
    assert received.data["unallocated"] == "30.00"

    # The next invoice of 45.00: 30.00 from the credit (allocate_credit after issuing), 15.00 open.
    mar = await invoice(service, "45.00", at(3, 1))
    async with service.runtime.new_uow() as uow:
        await allocate_credit(uow, ME, at(3, 1))
        await uow.commit()
    assert await state(service) == {feb: ("paid", D("0.00")), mar: ("open", D("15.00"))}
    [after] = await payments(service)
    assert after.unallocated == D("0.00")


async def test_a_credit_note_settles_the_next_invoice(service: Harness) -> None:
    credit = await invoice(service, "-30.00", at(2, 1), kind="annual_settlement")
    nxt = await invoice(service, "45.50", at(3, 1))
    async with service.runtime.new_uow() as uow:
        await allocate_credit(uow, ME, at(3, 1))
        await uow.commit()
    # 45.50 - 30.00 = 15.50 still open; the negative invoice is used up, so settled.
    assert await state(service) == {credit: ("paid", D("0.00")), nxt: ("open", D("15.50"))}
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [credit]
    async with service.runtime.sessions() as session:
        [row] = await session.scalars(select(AllocationRow))
    assert (row.invoice_id, row.credit_note_id, row.payment_id, row.amount) == (nxt, credit, None, D("30.00"))


async def test_reversal_reopens_what_the_payment_settled(service: Harness) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    feb = await invoice(service, "50.00", at(2, 1))
    mar = await invoice(service, "30.00", at(3, 1))
    debit = await pay(service, "60.00", "E2E-1", at(3, 2), channel="direct_debit")
    assert debit is not None
    await pay(service, "25.00", "BANK-1", at(3, 3))  # 20.00 to March, 5.00 credit
    assert await state(service) == {feb: ("paid", D("0.00")), mar: ("paid", D("0.00"))}

    async with service.runtime.new_uow() as uow:
        assert await reverse_payment(uow, settings, debit.id, reason_code="AM04", returned_at=at(3, 10))
        await uow.commit()
    # The debit's 50.00 (Feb) and 10.00 (Mar) are open again; then the transfer's 5.00 credit
    # settles Feb (due first): Feb 50.00 - 5.00 = 45.00, Mar 10.00.
    assert await state(service) == {feb: ("open", D("45.00")), mar: ("open", D("10.00"))}
    returned = next(p for p in await payments(service) if p.id == debit.id)
    assert (returned.status, returned.unallocated) == ("returned", D("0.00"))
    [event] = await service.outbox("PaymentReturned")
    assert event.data["amount"] == "60.00" and event.data["reason_code"] == "AM04"

    async with service.runtime.new_uow() as uow:
        assert not await reverse_payment(uow, settings, debit.id, reason_code="AM04", returned_at=at(3, 11))
        await uow.commit()
    assert len(await service.outbox("PaymentReturned")) == 1
    assert await state(service) == {feb: ("open", D("45.00")), mar: ("open", D("10.00"))}
