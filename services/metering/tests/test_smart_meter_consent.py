"""/v1/contracts/{id}/smart-meter-consent: grant, revoke and re-consent after new terms, with
the events each sends, the data a revocation deletes, and every refusal changing nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from metering.__main__ import main as metering_main
from metering.db.tables import (
    ConsumptionDay,
    ConsumptionMonth,
    DataRequest,
    SmartMeterConsent,
)
from metering.domain.working_days import add_working_days, is_working_day
from metering.use_cases.consent import request_reconsent
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.testing import Harness, TokenFactory

CUSTOMER = "100001"
EAN = "871687120000000011"
URL = "/v1/contracts/{}/smart-meter-consent"


async def smart_contract(service: Harness, contracts: Any, contract_id: str = "C-1", **kwargs: Any) -> str:
    return str(await contracts.smart(contract_id, ean=kwargs.pop("ean", EAN), **kwargs))


async def put(service: Harness, tokens: TokenFactory, version: Any = 1, contract_id: str = "C-1") -> Any:
    return await service.client.put(
        URL.format(contract_id), json={"terms_version": version}, headers=tokens.headers(CUSTOMER)
    )


async def event_types(service: Harness) -> list[str]:
    return [e.event_type for e in await service.outbox() if e.event_type.startswith("SmartMeter")]


async def test_a_new_contract_has_no_consent_and_no_smart_meter_yet(
    service: Harness, tokens: TokenFactory, contracts: Any
) -> None:
    await contracts.created(ean=EAN)
    response = await service.client.get(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "contract_id": "C-1",
        "status": "none",
        "consent_required": True,
        "smart_meter": False,
        "terms_version": None,
        "current_terms_version": 1,
        "granted_at": None,
        "revoked_at": None,
        "data_expected_by": None,
    }


async def test_granting_asks_the_hub_for_the_data_and_promises_it_within_five_working_days(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await smart_contract(service, contracts, start_date=date(2026, 6, 1))
    before = datetime.now(UTC)
    response = await put(service, tokens)
    assert response.status_code == 200, response.text
    body = response.json()
    today = calendar_day(datetime.now(UTC), service.runtime.settings.zone)
    expected_by = date.fromisoformat(body["data_expected_by"])
    assert (body["status"], body["terms_version"], body["smart_meter"]) == ("granted", 1, True)
    assert expected_by == add_working_days(today, 5)
    assert is_working_day(expected_by) and (expected_by - today).days >= 7  # a weekend at least

    granted, requested = [e for e in await service.outbox() if e.event_type.startswith("SmartMeter")]
    assert (granted.event_type, granted.subject) == ("SmartMeterConsentGranted", "C-1")
    assert granted.data["customer_number"] == CUSTOMER
    assert granted.data["data_expected_by"] == body["data_expected_by"]
    assert (requested.event_type, requested.subject) == ("SmartMeterDataRequested", EAN)
    assert requested.data["ean"] == EAN
    # Backfill from the contract's start (within the 400 days asked at most), up to now.
    zone = service.runtime.settings.zone
    assert datetime.fromisoformat(requested.data["data_from"]) == start_of_day(date(2026, 6, 1), zone)
    assert before <= datetime.fromisoformat(requested.data["data_to"]) <= datetime.now(UTC)
    async with service.runtime.sessions() as session:
        [request] = (await session.scalars(select(DataRequest))).all()
    assert (request.request_id, request.contract_id, request.ean) == (
        requested.data["request_id"],
        "C-1",
        EAN,
    )

    again = await put(service, tokens)  # granted for these terms already: nothing new
    assert again.status_code == 200
    assert again.json() == body
    assert await event_types(service) == ["SmartMeterConsentGranted", "SmartMeterDataRequested"]
    assert await rows(DataRequest) == 1


async def test_the_backfill_reaches_back_at_most_the_configured_days(
    service: Harness, tokens: TokenFactory, contracts: Any
) -> None:
    await smart_contract(service, contracts, start_date=date(2020, 1, 1))
    assert (await put(service, tokens)).status_code == 200
    [requested] = await service.outbox("SmartMeterDataRequested")
    span = datetime.fromisoformat(requested.data["data_to"]) - datetime.fromisoformat(
        requested.data["data_from"]
    )
    assert span == timedelta(days=service.runtime.settings.smart_meter_backfill_days)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 23), date(2026, 11, 30)),  # Monday: to the next Monday
        (date(2026, 11, 27), date(2026, 12, 4)),  # Friday: the weekend does not count
        (date(2026, 4, 2), date(2026, 4, 13)),  # Good Friday and Easter Monday do not count
        (date(2026, 4, 24), date(2026, 5, 4)),  # nor King's Day (Monday 27 April)
        (date(2026, 12, 24), date(2027, 1, 4)),  # Christmas Day and New Year's Day
        (date(2026, 11, 28), date(2026, 12, 4)),  # asked on a Saturday
    ],
)
def test_working_days_skip_weekends_and_dutch_public_holidays(day: date, expected: date) -> None:
    assert add_working_days(day, 5) == expected


def test_working_days_need_a_positive_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 11, 23), 0)


async def test_no_smart_meter_no_consent(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await contracts.created(ean=EAN)
    response = await put(service, tokens)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/no-smart-meter"
    assert await rows(SmartMeterConsent) == 0
    assert await event_types(service) == []


async def test_outdated_terms_are_refused_and_change_nothing(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await smart_contract(service, contracts)
    for version in (2, 7):
        response = await put(service, tokens, version)
        assert response.status_code == 422
        body = response.json()
        assert (body["type"], body["current_terms_version"]) == ("/problems/terms-version-outdated", 1)
    assert await rows(SmartMeterConsent) == 0
    assert await rows(DataRequest) == 0
    assert await event_types(service) == []


async def test_a_heat_contract_needs_no_consent(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await smart_contract(service, contracts, commodity="heat")
    got = await service.client.get(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert (got.json()["status"], got.json()["consent_required"]) == ("none", False)
    for response in (
        await put(service, tokens),
        await service.client.delete(URL.format("C-1"), headers=tokens.headers(CUSTOMER)),
    ):
        assert response.status_code == 422
        assert response.json()["type"] == "/problems/consent-not-needed"
    assert await rows(SmartMeterConsent) == 0


async def test_an_ended_contract_takes_no_new_consent(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await smart_contract(service, contracts)
    await contracts.terminated(end_date=date(2026, 10, 31))
    response = await put(service, tokens)
    assert (response.status_code, response.json()["type"]) == (409, "/problems/contract-ended")
    assert await rows(SmartMeterConsent) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("contract_id", ["C-2", "C-unknown"])
async def test_another_customers_or_an_unknown_contract_is_not_found(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any, method: str, contract_id: str
) -> None:
    await smart_contract(service, contracts)
    await smart_contract(service, contracts, "C-2", customer_number="200002", ean="871687120000000028")
    response = await service.client.request(
        method,
        URL.format(contract_id),
        json={"terms_version": 1} if method == "PUT" else None,
        headers=tokens.headers(CUSTOMER),
    )
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/contract-not-found"
    assert await rows(SmartMeterConsent) == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"terms_version": 0},
        {"terms_version": "one"},
        {"terms_version": 1.5},
        {"terms_version": 1, "x": 1},
    ],
)
async def test_a_malformed_grant_is_refused_with_the_field_named(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any, body: dict[str, Any]
) -> None:
    await smart_contract(service, contracts)
    response = await service.client.put(URL.format("C-1"), json=body, headers=tokens.headers(CUSTOMER))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"]
    assert await rows(SmartMeterConsent) == 0


async def test_consent_needs_the_customers_token(service: Harness, contracts: Any) -> None:
    await smart_contract(service, contracts)
    for method in ("GET", "PUT", "DELETE"):
        response = await service.client.request(method, URL.format("C-1"), json={"terms_version": 1})
        assert response.status_code == 401


async def test_revoking_deletes_the_remote_data_of_the_contracts_meters_only(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    mine = await smart_contract(service, contracts)
    other = await smart_contract(service, contracts, "C-2", ean="871687120000000028")
    assert (await put(service, tokens)).status_code == 200
    assert (await put(service, tokens, contract_id="C-2")).status_code == 200
    async with service.runtime.sessions() as session:
        for meter_id in (mine, other):
            # One quarter hour (12:00) of 1 March in the day's slots, and the sums.
            slots: list[Decimal | None] = [None] * 96
            slots[48] = Decimal("0.25")
            session.add(
                ConsumptionDay(
                    meter_id=meter_id,
                    channel="electricity_consumption",
                    day=date(2026, 3, 1),
                    total=Decimal("0.25"),
                    intervals=1,
                    interval_minutes=15,
                    slot_values=slots,
                    slot_qualities="." * 48 + "m" + "." * 47,
                )
            )
            session.add(
                ConsumptionMonth(
                    meter_id=meter_id,
                    channel="electricity_consumption",
                    month=date(2026, 3, 1),
                    total=Decimal("0.25"),
                    intervals=1,
                    interval_minutes=15,
                )
            )
        await session.commit()

    response = await service.client.delete(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["data_expected_by"]) == ("revoked", None)
    assert body["revoked_at"] is not None
    async with service.runtime.sessions() as session:
        for model in (ConsumptionDay, ConsumptionMonth):
            assert list(await session.scalars(select(model.meter_id))) == [other]
    [revoked] = await service.outbox("SmartMeterConsentRevoked")
    assert (revoked.subject, revoked.data["customer_number"]) == ("C-1", CUSTOMER)

    again = await service.client.delete(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert (again.status_code, again.json()["status"]) == (200, "revoked")
    assert len(await service.outbox("SmartMeterConsentRevoked")) == 1

    regranted = await put(service, tokens)
    assert (regranted.json()["status"], regranted.json()["revoked_at"]) == ("granted", None)
    assert len(await service.outbox("SmartMeterConsentGranted")) == 3  # C-1 twice, C-2 once
    assert await rows(DataRequest) == 3


async def test_revoking_what_was_never_given_changes_nothing(
    service: Harness, tokens: TokenFactory, contracts: Any, rows: Any
) -> None:
    await smart_contract(service, contracts)
    response = await service.client.delete(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert (response.status_code, response.json()["status"]) == (200, "none")
    assert await rows(SmartMeterConsent) == 0
    assert await event_types(service) == []


async def test_new_terms_ask_each_consent_again_once(
    service: Harness, tokens: TokenFactory, contracts: Any
) -> None:
    await smart_contract(service, contracts)
    await smart_contract(service, contracts, "C-2", ean="871687120000000028")
    await smart_contract(service, contracts, "C-3", ean="871687120000000035")
    for contract_id in ("C-1", "C-2", "C-3"):
        assert (await put(service, tokens, contract_id=contract_id)).status_code == 200
    await service.client.delete(URL.format("C-2"), headers=tokens.headers(CUSTOMER))  # not asked again

    settings = service.runtime.settings
    settings.smart_meter_terms_version = 2
    got = await service.client.get(URL.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert (got.json()["status"], got.json()["terms_version"], got.json()["current_terms_version"]) == (
        "reconsent_needed",
        1,
        2,
    )
    assert got.json()["data_expected_by"] is None

    async with service.runtime.new_uow() as uow:
        assert await request_reconsent(uow, settings) == 2
    async with service.runtime.new_uow() as uow:
        assert await request_reconsent(uow, settings) == 0
    asked = await service.outbox("SmartMeterReconsentNeeded")
    assert sorted(e.subject for e in asked) == ["C-1", "C-3"]
    assert {(e.data["consented_version"], e.data["current_version"]) for e in asked} == {(1, 2)}

    assert (await put(service, tokens, 1)).json()["type"] == "/problems/terms-version-outdated"
    regranted = await put(service, tokens, 2)
    assert (regranted.json()["status"], regranted.json()["terms_version"]) == ("granted", 2)

    settings.smart_meter_terms_version = 3
    async with service.runtime.new_uow() as uow:
        assert await request_reconsent(uow, settings) == 2  # C-1 and C-3 again


async def test_the_request_reconsent_command_asks_once(
    service: Harness, tokens: TokenFactory, contracts: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    await smart_contract(service, contracts)
    assert (await put(service, tokens)).status_code == 200
    monkeypatch.setenv("METERING_DATABASE_URL", service.runtime.settings.database_url)
    monkeypatch.setenv("METERING_SMART_METER_TERMS_VERSION", "2")
    assert await asyncio.to_thread(metering_main, ["request-reconsent"]) == 0
    assert await asyncio.to_thread(metering_main, ["request-reconsent"]) == 0
    assert capsys.readouterr().out.split() == ["1", "0"]
    async with service.runtime.sessions() as session:
        await session.execute(update(SmartMeterConsent).values(reconsent_asked_version=None))
        await session.commit()
    assert (
        await asyncio.to_thread(metering_main, ["request-reconsent"]) == 0
    )  # the recorded version alone stops it
    assert len(await service.outbox("SmartMeterReconsentNeeded")) == 2
