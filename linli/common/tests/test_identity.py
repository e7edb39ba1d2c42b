"""Identity numbers, phones and credit codes: the standards' checks and our policy."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from linli.common.identity import IdentityError, age_on, parse_id_number, parse_phone, parse_uscc


def make_id(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def test_valid_number_gives_birth_date_and_sex() -> None:
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"


def test_lower_case_x_and_full_width_digits_are_accepted() -> None:
    assert parse_id_number("１１０１０５１９４９１２３１００２x").number == "11010519491231002X"


def test_wrong_check_digit_is_rejected_with_expected_digit() -> None:
    with pytest.raises(IdentityError, match=r"校验位错误.*应为 X"):
        parse_id_number("110105194912310021")


def test_future_birth_date_is_rejected() -> None:
    number = make_id("640106", dt.date(2030, 1, 1), 11)
    with pytest.raises(IdentityError, match="未来"):
        parse_id_number(number, today=dt.date(2026, 11, 29))


def test_impossible_birth_date_is_rejected() -> None:
    body = "64010619500230123"
    with pytest.raises(IdentityError, match="不存在"):
        parse_id_number(body + ric.calc_check_digit(body + "0"))


def test_region_created_after_birth_is_only_a_warning() -> None:
    # Jinfeng District (640106) dates from 2002; people born in 1950 hold such numbers.
    parsed = parse_id_number(make_id("640106", dt.date(1950, 3, 5), 123))
    assert parsed.birth_date == dt.date(1950, 3, 5)
    assert parsed.warnings and "640106" in parsed.warnings[0]


def test_fifteen_digit_legacy_number_is_converted() -> None:
    assert parse_id_number("110105491231002").number == "11010519491231002X"


def test_wrong_length_is_rejected() -> None:
    with pytest.raises(IdentityError, match="18 位"):
        parse_id_number("1101051949")


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 1)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_generated_number_round_trips(birth: dt.date, seq: int) -> None:
    parsed = parse_id_number(make_id("640104", birth, seq))
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 1, 1)))
def test_age_increases_exactly_on_birthday(birth: dt.date) -> None:
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(birth.year + 60):
        birthday_60 = dt.date(birth.year + 60, 3, 1)
    else:
        birthday_60 = birth.replace(year=birth.year + 60)
    assert age_on(birth, birthday_60) == 60
    assert age_on(birth, birthday_60 - dt.timedelta(days=1)) == 59


def test_mobile_phone_is_normalised() -> None:
    assert parse_phone("+86 139-1234-5678") == "13912345678"
    assert parse_phone("１３９１２３４５６７８") == "13912345678"


def test_fixed_line_keeps_area_code() -> None:
    assert parse_phone("0951-5012345") == "09515012345"


@pytest.mark.parametrize("bad", ["12345", "1391234567", "23912345678", "abc"])
def test_invalid_phone_is_rejected(bad: str) -> None:
    with pytest.raises(IdentityError):
        parse_phone(bad)


def test_uscc_check_character() -> None:
    assert parse_uscc("91110000600037341l") == "91110000600037341L"
    with pytest.raises(IdentityError, match="校验位"):
        parse_uscc("91110000600037341M")


def test_region_code_missing_from_stdnum_county_table_is_only_a_warning() -> None:
    # 110027: python-stdnum knows the prefix but has no county entry and raises KeyError.
    parsed = parse_id_number(make_id("110027", dt.date(1980, 1, 1), 1))
    assert parsed.birth_date == dt.date(1980, 1, 1)
    assert parsed.warnings
