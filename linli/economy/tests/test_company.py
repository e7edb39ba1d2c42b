"""Company record: shareholder lists must total 100 % (service and form), money and
per-cent parsing of the forms."""

from __future__ import annotations

import pytest
from django import forms

from linli.economy.company import StakeRow, set_shareholders
from linli.economy.errors import EconomyError
from linli.economy.forms_company import ShareholderFormSet, WelfareRateForm, parse_percent
from linli.economy.forms_money import YuanField, parse_yuan
from linli.economy.models import Shareholder, ShareholderKind
from linli.economy.tests.conftest import Shop

pytestmark = pytest.mark.django_db


def holders(shop: Shop) -> list[tuple[str, int]]:
    return list(
        Shareholder.objects.filter(enterprise=shop.enterprise)
        .order_by("name")
        .values_list("name", "stake_bp")
    )


@pytest.mark.parametrize(("second", "total"), [(5500, "95%"), (6500, "105%")])
def test_service_refuses_shares_not_totalling_100_and_changes_nothing(
    shop: Shop, second: int, total: str
) -> None:
    before = holders(shop)
    rows = [
        StakeRow("社区股份经济合作社", ShareholderKind.COMMUNITY, 4000),
        StakeRow("合作单位甲", ShareholderKind.PARTNER, second),
    ]
    with pytest.raises(EconomyError, match=f"股东持股比例合计须为 100%，当前合计 {total}"):
        set_shareholders(shop.enterprise, rows)
    assert holders(shop) == before


def formset_data(rows: list[tuple[str, str, str, str]]) -> dict[str, str]:
    data = {"s-TOTAL_FORMS": str(len(rows)), "s-INITIAL_FORMS": "0"}
    for index, (name, kind, stake, contribution) in enumerate(rows):
        data |= {
            f"s-{index}-name": name,
            f"s-{index}-kind": kind,
            f"s-{index}-stake": stake,
            f"s-{index}-contribution": contribution,
        }
    return data


@pytest.mark.parametrize(("stake", "total"), [("55", "95%"), ("65", "105%")])
def test_form_refuses_shares_not_totalling_100(stake: str, total: str) -> None:
    formset = ShareholderFormSet(
        formset_data([("社区", "community", "40", "4000"), ("企业甲", "partner", stake, "")]),
        prefix="s",
    )
    assert not formset.is_valid()
    assert formset.non_form_errors() == [f"股东持股比例合计须为 100%，当前合计 {total}"]


def test_form_reads_percent_and_yuan_into_basis_points_and_fen() -> None:
    formset = ShareholderFormSet(
        formset_data([("社区", "community", "87.5", "1２.5"), ("企业甲", "partner", "12.5%", "")]),
        prefix="s",
    )
    assert formset.is_valid(), formset.errors
    rows = formset.stake_rows()
    assert [(r.name, r.stake_bp, r.contribution_fen) for r in rows] == [
        ("社区", 8750, 1250),
        ("企业甲", 1250, 0),
    ]


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12.5", 1250), ("12.50", 1250), ("１２", 1200), ("0.05", 5), ("8元", 800), ("1,000", 100000)],
)
def test_parse_yuan_accepts_yuan_text(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", "不能为负"),
        ("1.234", "最多两位小数"),
        ("abc", "不是有效金额"),
        ("", "请填写金额"),
        ("1e3", "不是有效金额"),
    ],
)
def test_parse_yuan_refuses_bad_text_in_chinese(text: str, message: str) -> None:
    with pytest.raises(forms.ValidationError, match=message):
        parse_yuan(text)


def test_yuan_field_minimum() -> None:
    field = YuanField(min_fen=1)
    assert field.clean("0.01") == 1
    with pytest.raises(forms.ValidationError, match="大于 0"):
        field.clean("0")


@pytest.mark.parametrize(("text", "bp"), [("40", 4000), ("12.5", 1250), ("100", 10000)])
def test_parse_percent(text: str, bp: int) -> None:
    assert parse_percent(text) == bp


@pytest.mark.parametrize("text", ["0", "101", "12.345", "四十"])
def test_parse_percent_refuses_bad_text(text: str) -> None:
    with pytest.raises(forms.ValidationError):
        parse_percent(text)


def test_welfare_rate_form_refuses_below_20_percent() -> None:
    form = WelfareRateForm({"rate": "19.99"})
    assert not form.is_valid()
    assert form.errors["rate"] == ["公益提取比例不得低于 20%"]
