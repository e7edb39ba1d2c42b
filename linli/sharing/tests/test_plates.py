"""Chinese plate formats (GA 36-2018): what is accepted, what is refused and why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.sharing.plates import PROVINCES, PlateError, parse


@pytest.mark.parametrize(
    ("raw", "number", "new_energy"),
    sorted(
        [
            ("京A12345", "京A12345", False),
            ("粤B5T8K9", "粤B5T8K9", False),
            ("宁a·12345", "宁A12345", False),
            ("沪Ａ　１２３４５", "沪A12345", False),
            ("京AD12345", "京AD12345", True),
            ("沪AFK1234", "沪AFK1234", True),
            ("粤BA12345", "粤BA12345", True),
            ("京A12345D", "京A12345D", True),
            ("京A12345F", "京A12345F", True),
            ("粤Z1234港", "粤Z1234港", False),
            ("宁A1234学", "宁A1234学", False),
        ]
    ),
)
def test_valid_plates(raw: str, number: str, new_energy: bool) -> None:
    plate = parse(raw)
    assert plate.number == number
    assert plate.new_energy is new_energy


@pytest.mark.parametrize(
    ("raw", "words"),
    sorted(
        [
            ("", "请填写车牌号"),
            ("A12345", "省份简称"),
            ("X京A12345", "省份简称"),
            ("京112345", "发牌机关字母"),
            ("京A1234", "位数不对"),
            ("京A1234567", "位数不对"),
            ("京AI2345", "I 或 O"),
            ("京AO2345", "I 或 O"),
            ("京AX12345", "新能源"),
            ("京A1234X5", "新能源"),
            ("京A12!45", "不是有效的车牌号"),
        ]
    ),
)
def test_malformed_plates_say_why(raw: str, words: str) -> None:
    with pytest.raises(PlateError, match=words):
        parse(raw)


@given(
    province=st.sampled_from(PROVINCES),
    letter=st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    serial=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=5),
)
def test_every_ordinary_serial_is_accepted(province: str, letter: str, serial: str) -> None:
    assert parse(f"{province}{letter}{serial}").number == f"{province}{letter}{serial}"


@given(st.text(max_size=12))
def test_anything_else_is_either_a_plate_or_a_chinese_error(raw: str) -> None:
    try:
        plate = parse(raw)
    except PlateError as exc:
        assert str(exc)
    else:
        assert plate.number[0] in PROVINCES
        assert len(plate.number) in (7, 8)
