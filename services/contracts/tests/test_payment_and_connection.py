"""IBANs, EAN codes, connection capacities, addresses, phone numbers, move and withdrawal rules."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.domain.address import make_address
from contracts.domain.connection import normalise_capacity, normalise_ean
from contracts.domain.contact import normalise_phone
from contracts.domain.errors import (
    ContractNotActive,
    InvalidAddress,
    InvalidConnection,
    InvalidMove,
    InvalidPaymentDetails,
    InvalidPostcode,
    LargeConnection,
    WithdrawalPeriodOver,
)
from contracts.domain.move import check_move
from contracts.domain.payment import check_payment, masked_iban, normalise_iban
from contracts.domain.withdrawal import check_withdrawal

GOOD_EAN = "871687140000000019"
FULLWIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}  # digits of other scripts


@pytest.mark.parametrize(
    ("typed", "compact"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        ("BE71 0961 2345 6769", "BE71096123456769"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_good_ibans_are_stored_compact(typed: str, compact: str) -> None:
    assert normalise_iban(typed) == compact


def test_a_wrong_check_digit_is_named_as_such() -> None:
    with pytest.raises(InvalidPaymentDetails) as refused:
        normalise_iban("NL92ABNA0417164300")
    assert "check digits" in refused.value.detail
    assert "0417164300" not in refused.value.detail
    assert refused.value.field == "iban"


@pytest.mark.parametrize("typed", ["NL91ABNA041716430", "XX91ABNA0417164300", "NL91ABNA04171643!!", ""])
def test_malformed_ibans_are_refused(typed: str) -> None:
    with pytest.raises(InvalidPaymentDetails):
        normalise_iban(typed)


def test_direct_debit_needs_an_iban_and_the_iban_is_shown_masked() -> None:
    with pytest.raises(InvalidPaymentDetails):
        check_payment("direct_debit", None)
    check_payment("transfer", None)
    check_payment("direct_debit", "NL91ABNA0417164300")
    assert masked_iban("NL91ABNA0417164300") == "NL91 **** 4300"


def test_ean_codes_have_18_digits_and_a_gs1_check_digit() -> None:
    assert normalise_ean("8716 8714 0000 0000 19") == GOOD_EAN
    with pytest.raises(InvalidConnection, match="check digit"):
        normalise_ean("871687140000000018")
    for bad in (
        "87168714000000001",
        "8716871400000000190",
        "87168714000000001X",
        "871687140000000019".translate(FULLWIDTH),
    ):
        with pytest.raises(InvalidConnection, match="18 digits"):
            normalise_ean(bad)


@pytest.mark.parametrize(
    ("commodity", "typed", "canonical"),
    [
        ("electricity", "3x25A", "3x25A"),
        ("electricity", "1 x 40 a", "1x40A"),
        ("electricity", "3x80", "3x80A"),  # the largest small-consumer connection
        ("gas", "6", "6 m3(n)/h"),
        ("gas", "10 m3(n)/h", "10 m3(n)/h"),
        ("gas", "40 m3/h", "40 m3(n)/h"),
        ("gas", "2,5", "2.5 m3(n)/h"),
    ],
)
def test_capacities(commodity: str, typed: str, canonical: str) -> None:
    assert normalise_capacity(commodity, typed) == canonical


@pytest.mark.parametrize(
    ("commodity", "typed"),
    [("electricity", "3x81A"), ("electricity", "1x100A"), ("gas", "40.5"), ("gas", "65 m3(n)/h")],
)
def test_large_consumer_connections_are_refused(commodity: str, typed: str) -> None:
    with pytest.raises(LargeConnection, match="large-consumer"):
        normalise_capacity(commodity, typed)


@pytest.mark.parametrize(
    ("commodity", "typed"),
    [
        ("electricity", "25A"),
        ("electricity", "2x25A"),
        ("electricity", "3x0A"),
        ("gas", "0"),
        ("gas", "G6"),
        ("heat", "10"),
    ],
)
def test_unreadable_capacities_are_refused(commodity: str, typed: str) -> None:
    with pytest.raises(InvalidConnection):
        normalise_capacity(commodity, typed)


def test_addresses() -> None:
    address = make_address(
        street=" Kerkstraat ",
        house_number=12,
        house_number_addition=" a ",
        postcode="1234 ab",
        city="Utrecht",
    )
    assert (address.street, address.house_number_addition, address.postcode) == ("Kerkstraat", "a", "1234AB")
    with pytest.raises(InvalidPostcode) as bad_postcode:
        make_address(
            street="Kerkstraat",
            house_number=12,
            house_number_addition=None,
            postcode="0123AB",
            city="Utrecht",
            field="billing_address",
        )
    assert bad_postcode.value.field == "billing_address.postcode"
    with pytest.raises(InvalidAddress) as bad_number:
        make_address(
            street="Kerkstraat", house_number=0, house_number_addition=None, postcode="1234AB", city="Utrecht"
        )
    assert bad_number.value.field == "address.house_number"
    with pytest.raises(InvalidAddress):
        make_address(
            street=" ", house_number=1, house_number_addition=None, postcode="1234AB", city="Utrecht"
        )


def test_phone_numbers() -> None:
    assert normalise_phone("+31 (0)6-1234 5678") == "+310612345678"
    assert normalise_phone("030 123 4567") == "0301234567"
    for bad in ("12345", "phone me", "+31 6 1234 5678 9012 34"):
        with pytest.raises(InvalidAddress):
            normalise_phone(bad)


TODAY = date(2026, 3, 10)


def test_a_move_needs_five_days_notice_and_no_past_dates() -> None:
    check_move(
        today=TODAY, move_out_date=date(2026, 3, 15), move_in_date=date(2026, 3, 15), has_new_address=True
    )
    with pytest.raises(InvalidMove, match="2026-03-15") as short:
        check_move(today=TODAY, move_out_date=date(2026, 3, 14), move_in_date=None, has_new_address=False)
    assert short.value.field == "move_out_date"
    with pytest.raises(InvalidMove, match="past"):
        check_move(today=TODAY, move_out_date=date(2026, 3, 9), move_in_date=None, has_new_address=False)
    with pytest.raises(InvalidMove) as no_move_in:
        check_move(today=TODAY, move_out_date=date(2026, 4, 1), move_in_date=None, has_new_address=True)
    assert no_move_in.value.field == "move_in_date"
    with pytest.raises(InvalidMove):
        check_move(
            today=TODAY, move_out_date=date(2026, 4, 1), move_in_date=date(2026, 3, 1), has_new_address=True
        )


def test_withdrawal_within_14_days_after_the_confirmation() -> None:
    confirmed = date(2026, 3, 1)
    check_withdrawal(status="confirmed", concluded_on=confirmed, today=date(2026, 3, 15), withdrawal_days=14)
    with pytest.raises(WithdrawalPeriodOver, match="2026-03-15"):
        check_withdrawal(
            status="confirmed", concluded_on=confirmed, today=date(2026, 3, 16), withdrawal_days=14
        )
    with pytest.raises(ContractNotActive):
        check_withdrawal(
            status="withdrawn", concluded_on=confirmed, today=date(2026, 3, 2), withdrawal_days=14
        )
