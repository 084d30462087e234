"""The termination fee's prices from the stored catalogue (use_cases/fee_prices.py): the
contract's own price from its term, today's price of the same type of contract, the fallbacks,
and the configured stand-ins for products the catalogue does not price.

Today's prices of the default catalogue (catalogue/default.toml, excl. VAT), on 2026-03-10:
electricity_single VAST-1JR 0.231405, VAST-3JR 0.247934, VARIABEL 0.214876;
gas VAST-1JR 1.074380, VAST-3JR 1.132231, VARIABEL 0.991736. The fee's profile is the
configured one (settings.py): electricity Apr 0.078, May 0.072, Jun 0.066, Oct 0.086,
Nov 0.098, Dec 0.109; gas Nov 0.110, Dec 0.130. VAT 21 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.db.tables import Contract
from contracts.domain.catalogue import parse_catalogue
from contracts.domain.termination_fee import (
    ContractType,
    FeeBasis,
    FeeQuote,
    FeeTerms,
    PriceSource,
    Register,
    RegisterTerms,
    TariffLookup,
    comparison_price,
    termination_fee,
)
from contracts.settings import ContractsSettings
from contracts.use_cases.catalogue import import_catalogue
from contracts.use_cases.fee_prices import GapTariffs, OfferedTariffs, fee_inputs
from portal_chassis.testing import Harness

from .conftest import TODAY, MakeContract

pytestmark = pytest.mark.usefixtures("catalogue")

D = Decimal

# Products no longer on sale: kept for the contracts concluded on them, never offered, so
# never the "current" price. OUD-3JR got cheaper on 2026-01-01.
WITHDRAWN = """
[[product]]
code = "OUD-3JR"
name = "Vast 3 jaar (2025)"
kind = "fixed"
term_months = 36
commodities = ["electricity"]
on_sale = false

[[product.tariff]]
commodity = "electricity"
valid_from = 2025-01-01
valid_to = 2026-01-01
vat_rate = "0.21"
fixed_costs_per_day = "0.198347"
unit_prices = { electricity_single = "0.300000" }

[[product.tariff]]
commodity = "electricity"
valid_from = 2026-01-01
vat_rate = "0.21"
fixed_costs_per_day = "0.198347"
unit_prices = { electricity_single = "0.260000" }

[[product]]
code = "OUD-2JR"
name = "Vast 2 jaar (2024)"
kind = "fixed"
term_months = 24
commodities = ["gas"]
gas_sources = ["grey"]
on_sale = false

[[product.tariff]]
commodity = "gas"
valid_from = 2025-01-01
vat_rate = "0.21"
fixed_costs_per_day = "0.198347"
unit_prices = { gas = "1.400000" }
"""


@pytest.fixture
async def withdrawn(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        await import_catalogue(uow, parse_catalogue(WITHDRAWN))


async def inputs(
    service: Harness, settings: ContractsSettings, contract_id: str, *, on: date
) -> tuple[FeeTerms, TariffLookup]:
    async with service.runtime.new_uow() as uow:
        contract = await uow.session.get(Contract, contract_id)
        assert contract is not None
        return await fee_inputs(uow, settings, contract, on=on)


def fee(settings: ContractsSettings, terms: FeeTerms, tariffs: TariffLookup, end_date: date) -> FeeQuote:
    return termination_fee(
        terms,
        end_date=end_date,
        requested_on=TODAY,
        withdrawal_days=settings.withdrawal_days,
        vat_rate=settings.vat_rate,
        tariffs=tariffs,
        profile=settings.fee_profile(terms.commodity),
    )


async def test_own_prices_per_recorded_register_and_the_same_type_today(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(
        product_code="VAST-3JR",
        start_date=date(2026, 1, 1),
        fixed_term_end=date(2028, 12, 31),
        annual_consumption={"electricity_normal": D("1900"), "electricity_offpeak": D("1600")},
    )
    terms, tariffs = await inputs(service, settings, contract_id, on=date(2027, 6, 30))

    # Only the registers with an expected volume; the single register's price is left out.
    assert list(terms.registers) == [
        RegisterTerms(Register.NORMAL, D("0.259504"), D("1900")),
        RegisterTerms(Register.OFF_PEAK, D("0.236364"), D("1600")),
    ]
    # 2026-01-01 to 2028-12-31: 36 months.
    assert (terms.duration_months, terms.fixed_term_end) == (36, date(2028, 12, 31))
    assert isinstance(tariffs, OfferedTariffs)
    same_type = ContractType("electricity", "fixed", 36)
    assert comparison_price(tariffs, same_type, Register.NORMAL, TODAY) == (
        D("0.259504"),
        PriceSource.SAME_TYPE,
    )
    # Still on sale at the same price: no gap, no fee.
    assert fee(settings, terms, tariffs, date(2027, 6, 30)).amount_excl_vat == D("0.00")


async def test_without_recorded_volumes_the_configured_volume_goes_on_the_single_register(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(
        product_code="VAST-1JR", start_date=date(2026, 1, 1), fixed_term_end=date(2026, 12, 31)
    )
    terms, tariffs = await inputs(service, settings, contract_id, on=date(2026, 9, 30))
    assert list(terms.registers) == [RegisterTerms(Register.SINGLE, D("0.231405"), D("2500"))]
    assert terms.duration_months == 12
    assert tariffs.current_unit_price(
        commodity="electricity", kind="fixed", duration_months=12, register=Register.SINGLE, on=TODAY
    ) == D("0.231405")


async def test_own_price_is_that_of_the_period_the_term_started_in(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract, withdrawn: None
) -> None:
    started_2025 = await make_contract(
        product_code="OUD-3JR",
        start_date=date(2025, 7, 1),
        fixed_term_end=date(2028, 6, 30),
        annual_consumption={"electricity_single": D("3000")},
    )
    started_2026 = await make_contract(
        "100200301",
        product_code="OUD-3JR",
        start_date=date(2026, 2, 1),
        fixed_term_end=date(2029, 1, 31),
        annual_consumption={"electricity_single": D("3000")},
    )
    terms, tariffs = await inputs(service, settings, started_2025, on=date(2028, 3, 31))
    later, _ = await inputs(service, settings, started_2026, on=date(2028, 3, 31))
    assert [r.contract_unit_price for r in terms.registers] == [D("0.300000")]
    assert [r.contract_unit_price for r in later.registers] == [D("0.260000")]

    quote = fee(settings, terms, tariffs, date(2028, 3, 31))
    # OUD-3JR is not on sale: today's same type (fixed, 36 months) is VAST-3JR at 0.247934.
    [line] = quote.registers
    assert (line.current_unit_price, line.price_source) == (D("0.247934"), PriceSource.SAME_TYPE)
    # Remaining: April 0.078 + May 0.072 + June 0.066 = 0.216 of 3000 kWh = 648 kWh.
    # (0.300000 - 0.247934) = 0.052066 x 648 = 33.738768 -> 33.74; VAT 33.74 x 0.21 = 7.0854
    # -> 7.09; total 40.83.
    assert line.remaining_volume == D("648")
    assert (quote.basis, quote.amount_excl_vat, quote.vat, quote.total) == (
        FeeBasis.EARLY_TERMINATION,
        D("33.74"),
        D("7.09"),
        D("40.83"),
    )


async def test_no_same_type_or_duration_falls_back_to_the_highest_tariff_offered(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract, withdrawn: None
) -> None:
    contract_id = await make_contract(
        commodity="gas",
        product_code="OUD-2JR",
        start_date=date(2025, 1, 1),
        fixed_term_end=date(2026, 12, 31),
        concluded_on=date(2024, 12, 1),
        annual_consumption={"gas": D("1200")},
    )
    terms, tariffs = await inputs(service, settings, contract_id, on=date(2026, 10, 31))
    assert terms.duration_months == 24
    assert list(terms.registers) == [RegisterTerms(Register.GAS, D("1.400000"), D("1200"))]
    # Nothing of 24 months is on sale, of any kind.
    for kind in ("fixed", None):
        assert (
            tariffs.current_unit_price(
                commodity="gas", kind=kind, duration_months=24, register=Register.GAS, on=TODAY
            )
            is None
        )

    quote = fee(settings, terms, tariffs, date(2026, 10, 31))
    [line] = quote.registers
    # Highest of 1.074380, 1.132231 and 0.991736: VAST-3JR's 1.132231.
    assert (line.current_unit_price, line.price_source) == (D("1.132231"), PriceSource.HIGHEST_OFFERED)
    # Remaining: November 0.110 + December 0.130 = 0.240 of 1200 m3 = 288 m3.
    # (1.400000 - 1.132231) = 0.267769 x 288 = 77.117472 -> 77.12; VAT 77.12 x 0.21 = 16.1952
    # -> 16.20; total 93.32.
    assert line.remaining_volume == D("288")
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("77.12"), D("16.20"), D("93.32"))


async def test_same_duration_step_matches_any_kind_with_that_term(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(
        product_code="VAST-1JR", start_date=date(2026, 1, 1), fixed_term_end=date(2026, 12, 31)
    )
    _, tariffs = await inputs(service, settings, contract_id, on=date(2026, 9, 30))
    # The second step leaves the kind open: of the offers, only fixed products have a term,
    # so it finds VAST-1JR's price as the first step does.
    assert tariffs.current_unit_price(
        commodity="electricity", kind=None, duration_months=12, register=Register.SINGLE, on=TODAY
    ) == D("0.231405")
    # A variable offer has no term: asking for a variable 12-month contract finds nothing.
    assert (
        tariffs.current_unit_price(
            commodity="electricity", kind="variable", duration_months=12, register=Register.SINGLE, on=TODAY
        )
        is None
    )
    # The variable price today is the one of the period covering 2026-03-10, not 2025's.
    assert tariffs.current_unit_price(
        commodity="electricity", kind="variable", duration_months=None, register=Register.SINGLE, on=TODAY
    ) == D("0.214876")


async def test_a_product_the_catalogue_does_not_price_uses_the_configured_gap(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()  # FIX-3Y-GREEN, 2025-07-01 to 2026-12-31: not in the catalogue
    terms, tariffs = await inputs(service, settings, contract_id, on=date(2026, 9, 30))
    assert isinstance(tariffs, GapTariffs)
    assert list(terms.registers) == [RegisterTerms(Register.SINGLE, D("0"), D("2500"))]

    quote = fee(settings, terms, tariffs, date(2026, 9, 30))
    # Gap 0.05 per kWh; October 0.086 + November 0.098 + December 0.109 = 0.293 of 2500 kWh
    # = 732.5 kWh; 732.5 x 0.05 = 36.625 -> 36.63 (half up); VAT 36.63 x 0.21 = 7.6923 -> 7.69;
    # total 44.32.
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("36.63"), D("7.69"), D("44.32"))
