"""/v1/contracts/{contract_id}/consumption: a contract's smart-meter data as the customer sees
it (total, year by month, month by day, day by hour or quarter hour) and the CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from metering.api.consumption_csv import consumption_csv, csv_filename
from metering.api.consumption_schemas import (
    ConsumptionOut,
    DayParam,
    MonthParam,
    PeriodOut,
    PointOut,
    SeriesTotalOut,
    TotalOut,
)
from metering.api.deps import SettingsDep
from metering.domain.consumption_periods import FIRST_YEAR, LAST_YEAR, MAX_COMPARE_YEARS, MAX_EXPORT_DAYS
from metering.settings import MeteringSettings
from metering.use_cases.consumption import (
    ConsumptionView,
    day_by_interval,
    export_period,
    month_by_day,
    total_since_install,
    year_by_month,
)
from portal_chassis.auth import CustomerDep
from portal_chassis.calendar import calendar_day
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}/consumption", tags=["consumption"])

ContractId = Annotated[
    str, Path(min_length=1, max_length=64, examples=["3f2b8c1e-6a4d-4e0b-9c57-1d2e3f4a5b6c"])
]
CompareYears = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_COMPARE_YEARS,
        description=f"Also show the same period of this many earlier years (0 to {MAX_COMPARE_YEARS}).",
    ),
]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "smart-meter-consent-required: electricity and gas data is shown only "
        "with the customer's current consent"
    },
    404: {"description": "contract-not-found: no such contract for this customer"},
}
COMMON = (
    "Series per commodity, with units: electricity consumption and feed_in (kWh, apart), gas "
    "(m3), heat (GJ) and hot_water (m3), summed over every meter of the contract. Days are "
    "customer days in Europe/Amsterdam. A point without any interval has value null (a gap, "
    "never 0); intervals_received, intervals_expected and complete tell a partial one."
)


def _today(settings: MeteringSettings) -> date:
    return calendar_day(datetime.now(UTC), settings.zone)


def _out(view: ConsumptionView, settings: MeteringSettings) -> ConsumptionOut:
    return ConsumptionOut(
        contract_id=view.contract.contract_id,
        commodity=view.contract.commodity,
        time_zone=settings.timezone,
        resolution=view.resolution,
        period=PeriodOut.of(view.period),
        earlier=[PeriodOut.of(p) for p in view.earlier],
    )


@router.get(
    "",
    summary="Total consumption since the smart meter was placed",
    description=COMMON,
    responses=PROBLEMS,
)
async def get_total(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep
) -> TotalOut:
    view = await total_since_install(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        today=_today(settings),
    )
    return TotalOut(
        contract_id=view.contract.contract_id,
        commodity=view.contract.commodity,
        time_zone=settings.timezone,
        since=view.since,
        series=[
            SeriesTotalOut(
                name=spec.name,
                channel=spec.channel,
                unit=spec.unit,
                interval_minutes=minutes,
                total=PointOut.of(total),
            )
            for spec, minutes, total in view.totals
        ],
    )


@router.get(
    "/years/{year}",
    summary="A year by month",
    description=COMMON + " Problems: 422 validation (year outside 2000-2999, compare_years).",
    responses=PROBLEMS,
)
async def get_year(
    contract_id: ContractId,
    year: Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    compare_years: CompareYears = 0,
) -> ConsumptionOut:
    view = await year_by_month(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        year=year,
        compare_years=compare_years,
        today=_today(settings),
    )
    return _out(view, settings)


@router.get(
    "/months/{month}",
    summary="A month by day",
    description=COMMON + " Problems: 422 validation (month not YYYY-MM or not 01-12, compare_years).",
    responses=PROBLEMS,
)
async def get_month(
    contract_id: ContractId,
    month: Annotated[MonthParam, Path()],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    compare_years: CompareYears = 0,
) -> ConsumptionOut:
    view = await month_by_day(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        month=month,
        compare_years=compare_years,
        today=_today(settings),
    )
    return _out(view, settings)


@router.get(
    "/days/{day}",
    summary="A day by hour or quarter hour",
    description=COMMON
    + " A day has 23, 24 or 25 hours (92, 96 or 100 quarter hours). Problems: 422 validation "
    "(no such day), resolution-not-available (quarter hours of hourly data: gas, heat).",
    responses=PROBLEMS,
)
async def get_day(
    contract_id: ContractId,
    day: Annotated[DayParam, Path()],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    resolution: Annotated[Literal["hour", "quarter_hour"], Query()] = "hour",
) -> ConsumptionOut:
    view = await day_by_interval(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        day=day,
        resolution=resolution,
        today=_today(settings),
    )
    return _out(view, settings)


@router.get(
    "/export.csv",
    summary="Download my data (CSV)",
    description=(
        f"The customer days from `from` to `to` (both included, at most {MAX_EXPORT_DAYS} days) as "
        "CSV with a header: start,end (local times with offset),series,unit,value (decimal "
        "point; empty for a gap),intervals_received,intervals_expected,complete. Problems: 422 "
        "invalid-period (to before from), period-too-long, resolution-not-available, validation."
    ),
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **PROBLEMS},
)
async def get_export(
    contract_id: ContractId,
    first: Annotated[DayParam, Query(alias="from")],
    last: Annotated[DayParam, Query(alias="to")],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    resolution: Annotated[Literal["day", "hour", "quarter_hour"], Query()] = "day",
) -> Response:
    view = await export_period(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        first=first,
        last=last,
        resolution=resolution,
        today=_today(settings),
    )
    return Response(
        content=consumption_csv(view, settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{csv_filename(contract_id, first.isoformat(), last.isoformat())}"'
            ),
            "Cache-Control": "private, no-store",  # personal data
            "X-Content-Type-Options": "nosniff",
        },
    )
