"""SEPA direct debit: collection dates, the pain.008 file, the collection run and returned debits."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from billing.__main__ import main
from billing.db.tables import DirectDebitCollection, DirectDebitItem, InvoiceRow
from billing.domain.direct_debit import (
    check_creditor_id,
    check_iban,
    collection_date,
    sequence_type,
    target2_closed,
)
from billing.domain.invoice import Invoice, InvoiceLine
from billing.domain.pain008 import Creditor, Debit, Pain008Invalid, build, validate
from billing.settings import BillingSettings
from billing.use_cases.direct_debit import CollectionResult, collect_direct_debits
from billing.use_cases.dunning import send_payment_reminders
from billing.use_cases.issuing import issue_invoice
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import CustomerDetailsChanged

D = Decimal
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
KEY = Sealer.new_key()
IBAN = "NL44RABO0123456789"
NAME = "Jan Jansen"
CUSTOMER = "100200300"


@pytest.fixture
def settings(settings: BillingSettings, tmp_path: Path) -> BillingSettings:
    """The suite's test settings with a sealing key (IBANs arrive sealed) and a data dir."""
    return settings.model_copy(update={"event_sealing_key": SecretStr(KEY), "data_dir": tmp_path / "data"})


def xml(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314 - a file this service wrote


def read(path: str | Path) -> bytes:
    return Path(path).read_bytes()


def texts(root: ElementTree.Element, path: str) -> list[str]:
    return [e.text or "" for e in root.findall(path, NS)]


# --- collection date and sequence type ------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 25), date(2026, 3, 30)),  # Wed + 5 = Mon: a business day
        (date(2026, 3, 2), date(2026, 3, 9)),  # Mon + 5 = Sat 7 March -> Mon 9 March
        (date(2026, 3, 29), date(2026, 4, 7)),  # + 5 = Good Friday 3 April; Sat, Sun, Easter Monday
        (date(2026, 4, 26), date(2026, 5, 4)),  # + 5 = Fri 1 May (closed) -> Mon 4 May
        (date(2026, 12, 20), date(2026, 12, 28)),  # + 5 = Fri 25 Dec; 26 Dec, Sun 27 -> Mon 28
        (date(2026, 12, 27), date(2027, 1, 4)),  # + 5 = Fri 1 Jan 2027 -> Mon 4 Jan
    ],
)
def test_collection_date_is_the_next_target2_business_day(today: date, expected: date) -> None:
    assert collection_date(today, 5) == expected


def test_target2_is_closed_on_weekends_and_its_holidays_only() -> None:
    assert target2_closed(date(2026, 4, 6))  # Easter Monday
    assert target2_closed(date(2026, 12, 26))
    assert not target2_closed(date(2026, 4, 27))  # King's Day is a Dutch holiday, not a TARGET2 one
    assert not target2_closed(date(2026, 5, 5))  # nor Liberation Day


def test_first_debit_of_a_mandate_is_frst_then_rcur() -> None:
    assert sequence_type(mandate_debited_before=False) == "FRST"
    assert sequence_type(mandate_debited_before=True) == "RCUR"


def test_creditor_identifiers_and_ibans_are_checked() -> None:
    # NL + check digits + ZZZ + KvK 12345678 + 0000: the digits of 123456780000 followed by
    # N=23 L=21 0 0 give 1234567800002321 00 mod 97 = 29, so the check digits are 98 - 29 = 69.
    assert check_creditor_id("NL69 ZZZ 123456780000") == "NL69ZZZ123456780000"
    with pytest.raises(ValueError, match="creditor"):
        check_creditor_id("NL70ZZZ123456780000")
    with pytest.raises(ValueError, match="Dutch"):
        check_creditor_id("NL17ZZZ12345678000")  # a valid checksum, but a digit short
    assert check_iban("nl44 rabo 0123 4567 89") == IBAN
    with pytest.raises(ValueError, match="IBAN"):
        check_iban("NL45RABO0123456789")
    with pytest.raises(ValueError, match="creditor"):
        BillingSettings(creditor_id="NL00ZZZ123456780000")
    with pytest.raises(ValueError, match="IBAN"):
        BillingSettings(creditor_iban="NL00ABNA0417164300")


# --- the pain.008 file ------------------------------------------------------------------------

CREDITOR = Creditor("Portal Energie B.V.", "NL91ABNA0417164300", "ABNANL2A", "NL69ZZZ123456780000")


def debit(e2e: str, amount: str, seq: str = "FRST", name: str = "Jöhn Dœ") -> Debit:
    return Debit(
        end_to_end_id=e2e,
        amount=D(amount),
        debtor_name=name,
        debtor_iban=IBAN,
        mandate_reference="100200300-20260101120000",
        mandate_signed_on=date(2026, 1, 1),
        sequence_type=seq,  # type: ignore[arg-type]
        description=f"Factuur {e2e}",
    )


def test_pain008_file_carries_each_debit_grouped_by_sequence_type() -> None:
    pain = build(
        CREDITOR,
        date(2026, 3, 2),
        [
            debit("F2026-000001", "76.69"),
            debit("A2026-000007", "120.00", "RCUR"),
            debit("A2026-000008", "0.01"),
        ],
    )
    validate(pain.content)
    assert (pain.count, pain.total) == (3, D("196.70"))  # 76.69 + 120.00 + 0.01
    root = xml(pain.content)
    assert texts(root, ".//p:GrpHdr/p:MsgId") == [pain.message_id]
    assert texts(root, ".//p:GrpHdr/p:NbOfTxs") == ["3"]
    assert texts(root, ".//p:GrpHdr/p:CtrlSum") == ["196.70"]
    # One payment information block per sequence type, each with its own count and sum.
    blocks = root.findall(".//p:PmtInf", NS)
    assert [
        (texts(b, "p:PmtTpInf/p:SeqTp"), texts(b, "p:NbOfTxs"), texts(b, "p:CtrlSum")) for b in blocks
    ] == [
        (["FRST"], ["2"], ["76.70"]),
        (["RCUR"], ["1"], ["120.00"]),
    ]
    assert set(texts(root, ".//p:ReqdColltnDt")) == {"2026-03-02"}
    assert texts(root, ".//p:CdtrSchmeId//p:Id/p:PrvtId/p:Othr/p:Id") == ["NL69ZZZ123456780000"] * 2
    assert texts(root, ".//p:DrctDbtTxInf/p:PmtId/p:EndToEndId") == [
        "F2026-000001",
        "A2026-000008",
        "A2026-000007",
    ]
    assert texts(root, ".//p:DrctDbtTxInf/p:InstdAmt") == ["76.69", "0.01", "120.00"]
    assert texts(root, ".//p:Dbtr/p:Nm")[0] == "John Doe"  # transliterated to SEPA's characters


def test_a_tampered_file_fails_the_schema() -> None:
    content = build(CREDITOR, date(2026, 3, 2), [debit("F2026-000001", "76.69")]).content
    validate(content)
    for tampered in (
        content.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>ONCE-A-YEAR</SeqTp>"),  # not a sequence type
        content.replace(b'<InstdAmt Ccy="EUR">76.69', b'<InstdAmt Ccy="EUR">-76.69'),  # below zero
        content.replace(b'Ccy="EUR"', b'Ccy="EURO"'),  # not a currency code
        content.replace(b"<EndToEndId>F2026-000001</EndToEndId>", b""),  # end-to-end id missing
        content.replace(b"<ReqdColltnDt>2026-03-02", b"<ReqdColltnDt>02-03-2026"),
    ):
        assert tampered != content
        with pytest.raises(Pain008Invalid):
            validate(tampered)
    with pytest.raises(Pain008Invalid):
        validate(b"not xml at all")
    with pytest.raises(Pain008Invalid):
        validate(content[:-20])  # cut short


def test_a_debit_is_whole_cents_above_zero() -> None:
    for amount in ("0.00", "-5.00", "1.005"):
        with pytest.raises(ValueError, match="cents"):
            build(CREDITOR, date(2026, 3, 2), [debit("F2026-000001", amount)])


# --- the collection run -----------------------------------------------------------------------


async def pays_by_direct_debit(
    service: Harness, customer: str, iban: str | None = IBAN, key: str = KEY
) -> None:
    sealer = Sealer(key)
    await service.deliver(
        CustomerDetailsChanged(
            customer_number=customer,
            payment_method="direct_debit",
            sealed_iban=None if iban is None else sealer.seal(iban),
            sealed_name=sealer.seal(NAME),
            changed=["payment"],
        ),
        subject=customer,
    )


async def issue(service: Harness, customer: str, amount: str, issued_on: date) -> Invoice:
    """A periodic invoice of ``amount`` (no VAT), due 14 days after ``issued_on``."""
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind="periodic",
            customer_number=customer,
            contract_id=None,
            lines=[InvoiceLine("consumption", "Stroom", D(1), None, D(amount), D(0))],
            now=datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=UTC),
        )
        await uow.commit()
    return invoice


async def collect(service: Harness, today: date, out: Path) -> CollectionResult:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        return await collect_direct_debits(
            uow,
            settings,
            today=today,
            now=datetime(today.year, today.month, today.day, 6, tzinfo=UTC),
            out_dir=out,
        )


async def invoice(service: Harness, invoice_id: str) -> InvoiceRow:
    async with service.runtime.sessions() as session:
        row = await session.get(InvoiceRow, invoice_id)
        assert row is not None
        return row


async def items(service: Harness) -> list[DirectDebitItem]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(DirectDebitItem).order_by(DirectDebitItem.end_to_end_id)))


async def test_collection_debits_due_invoices_of_customers_with_a_mandate(
    service: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await pays_by_direct_debit(service, CUSTOMER)
    await pays_by_direct_debit(service, "100200301", iban=None)  # direct debit but no IBAN: no mandate
    await pays_by_direct_debit(service, "100200302", key=Sealer.new_key())  # sealed for someone else
    due = await issue(service, CUSTOMER, "76.69", date(2026, 2, 15))  # due 1 March
    later = await issue(service, CUSTOMER, "50.00", date(2026, 2, 20))  # due 6 March
    await issue(service, "100200301", "10.00", date(2026, 2, 15))
    await issue(service, "100200302", "10.00", date(2026, 2, 15))
    await issue(service, "100200303", "10.00", date(2026, 2, 15))  # pays by transfer

    # Tuesday 24 Feb + 5 days = Sunday 1 March -> collected on Monday 2 March: the invoice due
    # on 1 March is in, the one due on 6 March is not yet.
    result = await collect(service, date(2026, 2, 24), tmp_path / "sepa")
    assert (result.collection_date, result.count, result.total) == (date(2026, 3, 2), 1, D("76.69"))
    assert result.skipped_customers == ["100200302"]
    assert result.file is not None and result.file.parent == tmp_path / "sepa"
    content = read(result.file)
    validate(content)
    root = xml(content)
    assert texts(root, ".//p:EndToEndId") == [due.number]
    assert texts(root, ".//p:InstdAmt") == ["76.69"]
    assert texts(root, ".//p:SeqTp") == ["FRST"]
    assert texts(root, ".//p:ReqdColltnDt") == ["2026-03-02"]
    assert texts(root, ".//p:DbtrAcct/p:Id/p:IBAN") == [IBAN]
    assert texts(root, ".//p:Dbtr/p:Nm") == [NAME]
    [mandate] = texts(root, ".//p:MndtId")
    assert mandate.startswith(f"{CUSTOMER}-")

    async with service.runtime.sessions() as session:
        [stored] = list(await session.scalars(select(DirectDebitCollection)))
    assert (stored.content, stored.message_id, stored.count, stored.total) == (
        content,
        result.message_id,
        1,
        D("76.69"),
    )
    assert stored.file_name == result.file.name
    [item] = await items(service)
    assert (item.end_to_end_id, item.invoice_id, item.status, item.sequence_type) == (
        due.number,
        due.id,
        "collected",
        "FRST",
    )
    paid = await invoice(service, due.id)
    assert (paid.status, paid.open_amount) == ("paid", D("0.00"))
    assert (await invoice(service, later.id)).status == "open"
    [received] = [e.data for e in await service.outbox("PaymentReceived")]
    assert received["payment_id"] == item.payment_id
    assert (received["channel"], received["amount"]) == ("direct_debit", "76.69")
    assert received["received_at"] == "2026-03-01T23:00:00Z"  # 2 March 00:00 in Amsterdam
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [due.id]
    out = capsys.readouterr()
    assert IBAN not in out.out + out.err and NAME not in out.out + out.err

    # The same day again: nothing new, no new file.
    again = await collect(service, date(2026, 2, 24), tmp_path / "sepa")
    assert (again.count, again.file) == (0, None)
    assert len(list((tmp_path / "sepa").iterdir())) == 1

    # A week later the next invoice is due: the mandate was used, so RCUR.
    week = await collect(service, date(2026, 3, 1), tmp_path / "sepa")
    assert week.collection_date == date(2026, 3, 6) and week.file is not None
    assert texts(xml(read(week.file)), ".//p:SeqTp") == ["RCUR"]
    assert [i.end_to_end_id for i in await items(service)] == sorted([due.number, later.number])


async def test_nothing_due_writes_no_file(service: Harness, tmp_path: Path) -> None:
    await pays_by_direct_debit(service, CUSTOMER)
    await issue(service, CUSTOMER, "10.00", date(2026, 3, 1))  # due 15 March
    result = await collect(service, date(2026, 3, 2), tmp_path / "sepa")
    assert result.summary() == {
        "collection_date": "2026-03-09",
        "debits": 0,
        "total": "0.00",
        "message_id": None,
        "file": None,
        "skipped_customers": [],
    }
    assert not (tmp_path / "sepa").exists()
    async with service.runtime.sessions() as session:
        assert list(await session.scalars(select(DirectDebitCollection))) == []


async def test_collection_without_the_sealing_key_is_refused(service: Harness, tmp_path: Path) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    from portal_chassis.problems import ProblemError

    async with service.runtime.new_uow() as uow:
        with pytest.raises(ProblemError, match="EVENT_SEALING_KEY"):
            await collect_direct_debits(
                uow,
                settings.model_copy(update={"event_sealing_key": None}),
                today=date(2026, 3, 2),
                now=datetime(2026, 3, 2, tzinfo=UTC),
                out_dir=tmp_path,
            )


# --- returned debits --------------------------------------------------------------------------


async def collected(service: Harness, tmp_path: Path) -> Invoice:
    await pays_by_direct_debit(service, CUSTOMER)
    due = await issue(service, CUSTOMER, "76.69", date(2026, 2, 15))
    assert (await collect(service, date(2026, 2, 24), tmp_path)).count == 1
    return due


async def test_a_returned_debit_reopens_its_invoice_once(
    service: Harness, tokens: TokenFactory, tmp_path: Path
) -> None:
    due = await collected(service, tmp_path)
    body = [{"end_to_end_id": due.number, "reason_code": "AM04", "returned_on": "2026-03-04"}]
    answer = await service.client.post(
        "/v1/admin/direct-debits/returns", json=body, headers=tokens.operator_headers()
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"returned": [due.number], "already_returned": [], "unknown": []}
    reopened = await invoice(service, due.id)
    assert (reopened.status, reopened.open_amount) == ("open", D("76.69"))
    [item] = await items(service)
    assert (item.status, item.reason_code, item.returned_on) == ("returned", "AM04", date(2026, 3, 4))
    [returned] = [e.data for e in await service.outbox("PaymentReturned")]
    assert (returned["payment_id"], returned["amount"], returned["reason_code"]) == (
        item.payment_id,
        "76.69",
        "AM04",
    )
    assert returned["returned_at"] == "2026-03-03T23:00:00Z"

    # The same return again (and an unknown id beside it): nothing changes.
    again = await service.client.post(
        "/v1/admin/direct-debits/returns",
        json=[*body, {"end_to_end_id": "F2026-999999", "reason_code": "MD06", "returned_on": "2026-03-04"}],
        headers=tokens.operator_headers(),
    )
    assert again.json() == {"returned": [], "already_returned": [due.number], "unknown": ["F2026-999999"]}
    assert len(await service.outbox("PaymentReturned")) == 1
    assert (await invoice(service, due.id)).open_amount == D("76.69")

    # A returned debit is not debited again: the reminders take over.
    assert (await collect(service, date(2026, 3, 5), tmp_path)).count == 0
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        summary = await send_payment_reminders(uow, settings, today=date(2026, 3, 15))
    assert summary["reminders"] == 1
    [reminder] = [e.data for e in await service.outbox("PaymentReminderDue")]
    assert (reminder["invoice_id"], reminder["open_amount"]) == (due.id, "76.69")


async def test_bad_returns_are_refused_and_change_nothing(
    service: Harness, tokens: TokenFactory, tmp_path: Path
) -> None:
    due = await collected(service, tmp_path)
    ops = tokens.operator_headers()
    url = "/v1/admin/direct-debits/returns"
    ok = {"end_to_end_id": due.number, "reason_code": "AM04", "returned_on": "2026-03-04"}

    unknown = await service.client.post(url, json=[{**ok, "end_to_end_id": "F2026-999999"}], headers=ops)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["type"] == "/problems/debits-unknown"
    assert unknown.json()["unknown"] == ["F2026-999999"]

    future = await service.client.post(url, json=[{**ok, "returned_on": "2999-01-01"}], headers=ops)
    assert (future.status_code, future.json()["type"]) == (422, "/problems/return-date-in-future")

    for bad, field in (
        ([{**ok, "reason_code": "am04"}], "reason_code"),
        ([{**ok, "reason_code": "AM045"}], "reason_code"),
        ([{**ok, "returned_on": "4 March"}], "returned_on"),
        ([{**ok, "returned_on": "0001-01-01"}], "returned_on"),
        ([{**ok, "end_to_end_id": ""}], "end_to_end_id"),
        ([{**ok, "extra": 1}], "extra"),
    ):
        answer = await service.client.post(url, json=bad, headers=ops)
        assert answer.status_code == 422, bad
        assert field in answer.text
    assert (await service.client.post(url, json=[], headers=ops)).status_code == 422

    assert (await service.client.post(url, json=[ok])).status_code == 401
    customer = await service.client.post(url, json=[ok], headers=tokens.headers(CUSTOMER))
    assert customer.status_code == 401  # a customer's token is not an operator's

    assert (await invoice(service, due.id)).status == "paid"
    assert [i.status for i in await items(service)] == ["collected"]
    assert await service.outbox("PaymentReturned") == []


async def test_an_invoice_whose_collection_is_still_to_be_taken_gets_no_reminder(
    service: Harness, tokens: TokenFactory, tmp_path: Path
) -> None:
    """W's debit came back, so the debit for X (taken later) settles W first (oldest first):
    X stays open. Until X's collection date X is left alone; after it, X is reminded."""
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    w = await collected(service, tmp_path)  # W due 1 March, collected on 2 March
    await service.client.post(
        "/v1/admin/direct-debits/returns",
        json=[{"end_to_end_id": w.number, "reason_code": "AM04", "returned_on": "2026-03-04"}],
        headers=tokens.operator_headers(),
    )
    x = await issue(service, CUSTOMER, "76.69", date(2026, 3, 1))  # due 15 March
    run = await collect(service, date(2026, 3, 10), tmp_path)  # Tue 10 + 5 = Sun 15 -> Mon 16 March
    assert (run.collection_date, run.count) == (date(2026, 3, 16), 1)
    assert (await invoice(service, w.id)).status == "paid"
    assert (await invoice(service, x.id)).status == "open"

    one_day = settings.model_copy(update={"reminder_days_after_due": (1,)})
    async with service.runtime.new_uow() as uow:
        assert (await send_payment_reminders(uow, one_day, today=date(2026, 3, 16)))["reminders"] == 0
    async with service.runtime.new_uow() as uow:
        assert (await send_payment_reminders(uow, one_day, today=date(2026, 3, 17)))["by_step"] == {"1": 1}
    [reminder] = [e.data for e in await service.outbox("PaymentReminderDue")]
    assert reminder["invoice_id"] == x.id


# --- the commands -----------------------------------------------------------------------------


async def test_commands_collect_and_process_returns(
    service: Harness, settings: BillingSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("BILLING_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EVENT_SEALING_KEY", KEY)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    await pays_by_direct_debit(service, CUSTOMER)
    due = await issue(service, CUSTOMER, "76.69", date(2026, 2, 15))

    def run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        return code, capsys.readouterr().out.strip().splitlines()[-1] if code == 0 else ""

    # The default folder is <data dir>/sepa.
    code, out = await asyncio.to_thread(run, "collect-direct-debits", "--today", "2026-02-24")
    assert code == 0
    summary = json.loads(out)
    assert (summary["debits"], summary["total"]) == (1, "76.69")
    assert Path(summary["file"]).parent == tmp_path / "data" / "sepa"
    validate(read(summary["file"]))

    returns = tmp_path / "returns.json"
    returns.write_text(
        json.dumps([{"end_to_end_id": due.number, "reason_code": "MD06", "returned_on": "2026-03-04"}])
    )
    code, out = await asyncio.to_thread(run, "process-debit-returns", str(returns))
    assert (code, json.loads(out)) == (0, {"returned": [due.number], "already_returned": [], "unknown": []})
    code, out = await asyncio.to_thread(run, "process-debit-returns", str(returns))
    assert json.loads(out)["already_returned"] == [due.number]
    assert (await invoice(service, due.id)).status == "open"

    returns.write_text(
        json.dumps([{"end_to_end_id": "F2026-999999", "reason_code": "MD06", "returned_on": "2026-03-04"}])
    )
    assert (await asyncio.to_thread(run, "process-debit-returns", str(returns)))[0] == 1  # none known
    assert "end-to-end" in capsys.readouterr().err
    returns.write_text('[{"end_to_end_id": "x", "reason_code": "bad", "returned_on": "2026-03-04"}]')
    assert (await asyncio.to_thread(run, "process-debit-returns", str(returns)))[0] == 2
    assert "reason_code" in capsys.readouterr().err
