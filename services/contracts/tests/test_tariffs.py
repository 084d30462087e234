"""Price look-ups in the default catalogue: period boundaries and the same kind of contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.domain.terms import guarantee_end
from contracts.use_cases.tariffs import same_kind_tariff, tariff_of_kind, tariff_on, unit_price
from portal_chassis.testing import Harness

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.mark.parametrize(
    ("day", "price"),
    [
        (date(2025, 12, 31), "0.223140"),  # last day of the 2025 period
        (date(2026, 1, 1), "0.214876"),  # valid_to is exclusive: the next period applies
        (date(2026, 6, 30), "0.214876"),
        (date(2026, 7, 1), "0.206612"),
        (date(2030, 1, 1), "0.206612"),  # open-ended
    ],
)
async def test_unit_price_at_period_boundaries(service: Harness, day: date, price: str) -> None:
    async with service.runtime.new_uow() as uow:
        found = await unit_price(uow, product_code="VARIABEL", register="electricity_single", on=day)
    assert found == Decimal(price)


async def test_no_price_before_the_first_period_or_for_unknown_things(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        assert await unit_price(uow, product_code="VARIABEL", register="gas", on=date(2024, 12, 31)) is None
        assert await unit_price(uow, product_code="NOPE", register="gas", on=date(2026, 1, 1)) is None
        assert await unit_price(uow, product_code="VARIABEL", register="heat", on=date(2026, 1, 1)) is None
        assert await unit_price(uow, product_code="VARIABEL", register="water", on=date(2026, 1, 1)) is None


async def test_tariff_with_fixed_costs_feed_in_and_vat(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        tariff = await tariff_on(uow, product_code="VAST-3JR", commodity="electricity", on=date(2026, 3, 10))
    assert tariff is not None
    assert tariff.vat_rate == Decimal("0.21")
    assert tariff.fixed_costs_per_day == Decimal("0.198347")
    assert tariff.incl_vat(tariff.fixed_costs_per_day) == Decimal("0.240000")
    assert tariff.feed_in_compensation_per_kwh == Decimal("0.035")
    assert set(tariff.unit_prices) == {"electricity_single", "electricity_normal", "electricity_offpeak"}


async def test_todays_tariff_of_the_same_kind_of_contract(service: Harness) -> None:
    day = date(2026, 3, 10)
    async with service.runtime.new_uow() as uow:
        fixed = await same_kind_tariff(uow, product_code="VAST-3JR", commodity="gas", on=day)
        variable = await same_kind_tariff(uow, product_code="VARIABEL", commodity="gas", on=day)
        heat = await tariff_of_kind(uow, commodity="heat", kind="variable", term_months=None, on=day)
        none = await tariff_of_kind(uow, commodity="gas", kind="fixed", term_months=24, on=day)
        unknown = await same_kind_tariff(uow, product_code="FIX-3Y-GREEN", commodity="gas", on=day)
    assert fixed is not None and (fixed.product_code, fixed.unit_prices["gas"]) == (
        "VAST-3JR",
        Decimal("1.132231"),
    )
    assert variable is not None and variable.unit_prices["gas"] == Decimal("0.991736")
    assert heat is not None and heat.product_code == "WARMTE"
    assert none is None and unknown is None


@pytest.mark.parametrize(
    ("first", "months", "last"),
    [
        (date(2026, 3, 10), 12, date(2027, 3, 9)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2026, 4, 1), 36, date(2029, 3, 31)),
        (date(2026, 4, 1), None, None),
    ],
)
def test_price_guarantee_end(first: date, months: int | None, last: date | None) -> None:
    assert guarantee_end(first, months) == last
