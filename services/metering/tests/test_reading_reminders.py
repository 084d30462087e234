"""Reading reminders for self-reading contracts: due twice a year, sent once per due date."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from metering.__main__ import main
from metering.db.repositories import ReadingReminders
from metering.domain.reminders import add_months, latest_due_date
from metering.settings import MeteringSettings
from metering.use_cases.reading_reminders import send_reading_reminders
from portal_chassis.testing import Harness, TokenFactory

CUSTOMER = "100001"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "today", "due"),
    [
        (date(2026, 1, 1), date(2026, 6, 30), None),  # the first one is six months after the start
        (date(2026, 1, 1), date(2026, 7, 1), date(2026, 7, 1)),
        (date(2026, 1, 1), date(2026, 12, 31), date(2026, 7, 1)),
        (date(2026, 1, 1), date(2027, 1, 1), date(2027, 1, 1)),
        (date(2026, 1, 1), date(2025, 12, 1), None),  # not started yet
        # 31 August + 6 months is the last day of February; + 12 months the 31st again.
        (date(2025, 8, 31), date(2026, 2, 28), date(2026, 2, 28)),
        (date(2025, 8, 31), date(2026, 8, 30), date(2026, 2, 28)),
        (date(2025, 8, 31), date(2026, 8, 31), date(2026, 8, 31)),
    ],
)
def test_due_dates_every_six_months_from_the_start(start: date, today: date, due: date | None) -> None:
    assert latest_due_date(start, today, 6) == due


def test_months_are_added_with_the_calendar() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)  # a leap year
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


async def run(service: Harness, settings: MeteringSettings, today: date) -> int:
    async with service.runtime.new_uow() as uow:
        return await send_reading_reminders(uow, settings, today=today, now=NOW)


async def reading(
    service: Harness, tokens: TokenFactory, read_at: str, value: str, *, operator: str | None = None
) -> None:
    body: dict[str, Any] = {
        "contract_id": "C-1",
        "register_type": "electricity_single",
        "value": value,
        "read_at": read_at,
    }
    if operator is None:
        response = await service.client.post("/v1/readings", json=body, headers=tokens.headers(CUSTOMER))
    else:
        body |= {"source": operator, "quality": "estimated" if operator == "estimated" else "actual"}
        response = await service.client.post(
            "/v1/admin/readings", json=body, headers=tokens.operator_headers()
        )
    assert response.status_code == 201, response.text


async def test_a_due_reminder_is_sent_once(service: Harness, settings, contracts, tokens) -> None:
    await contracts.created()
    await contracts.amended(self_reading=True)
    await reading(service, tokens, "2026-02-01", "100")
    assert await run(service, settings, date(2026, 6, 30)) == 0  # not due yet
    assert await run(service, settings, date(2026, 7, 1)) == 1
    assert await run(service, settings, date(2026, 7, 1)) == 0  # safe to run twice
    assert await run(service, settings, date(2026, 9, 15)) == 0  # still the same due date

    [event] = await service.outbox("ReadingReminderDue")
    meter_id = (await service.client.get("/v1/meters", headers=tokens.headers(CUSTOMER))).json()["items"][0][
        "meter_id"
    ]
    assert event.subject == "C-1"
    assert event.data == {
        "contract_id": "C-1",
        "customer_number": CUSTOMER,
        "meter_id": meter_id,
        "due_on": "2026-07-01",
        "registers": ["electricity_single"],
        "last_read_at": "2026-01-31T23:00:00Z",
    }
    assert await run(service, settings, date(2027, 1, 1)) == 1  # the next half year


async def test_only_active_self_reading_contracts_are_reminded(service: Harness, settings, contracts) -> None:
    await contracts.created("C-1")  # no self-reading
    await contracts.created("C-2")
    await contracts.amended("C-2", self_reading=True)
    await contracts.amended("C-2", self_reading=False)  # changed their mind
    await contracts.created("C-3")
    await contracts.amended("C-3", self_reading=True)
    await contracts.terminated("C-3", end_date=date(2026, 8, 31))  # reminders stop
    assert await run(service, settings, date(2026, 7, 1)) == 0
    assert await service.outbox("ReadingReminderDue") == []


async def test_a_recent_reading_makes_the_reminder_unneeded(
    service: Harness, settings, contracts, tokens
) -> None:
    await contracts.created()
    await contracts.amended(self_reading=True)
    # An estimate does not count: nobody looked at the meter.
    await reading(service, tokens, "2026-06-20", "100", operator="estimated")
    await reading(service, tokens, "2026-06-01", "90")  # 30 days before 1 July
    assert await run(service, settings, date(2026, 7, 1)) == 0
    assert await run(service, settings, date(2026, 7, 2)) == 1  # 31 days: too long ago


async def test_a_technicians_reading_counts_too(service: Harness, settings, contracts, tokens) -> None:
    await contracts.created()
    await contracts.amended(self_reading=True)
    await reading(service, tokens, "2026-06-25", "100", operator="technician")
    assert await run(service, settings, date(2026, 7, 1)) == 0


async def test_of_two_runs_at_once_one_records_the_reminder(service: Harness, contracts) -> None:
    await contracts.created()
    # Both runs decided it is due; the insert that records it lets only one of them send.
    async with service.runtime.new_uow() as first:
        assert await ReadingReminders(first.session).claim("C-1", date(2026, 7, 1), NOW)
        await first.commit()
    async with service.runtime.new_uow() as second:
        assert not await ReadingReminders(second.session).claim("C-1", date(2026, 7, 1), NOW)


async def test_the_command_prints_how_many_were_sent(
    service: Harness,
    settings: MeteringSettings,
    contracts,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await contracts.created()
    await contracts.amended(self_reading=True)
    monkeypatch.setenv("METERING_DATABASE_URL", settings.database_url)
    for expected in ("1", "0"):  # the second run finds it sent
        # In a thread: the command runs its own event loop, as it does from the shell.
        assert await asyncio.to_thread(main, ["send-reading-reminders", "--today", "2026-07-01"]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == expected
    assert len(await service.outbox("ReadingReminderDue")) == 1
