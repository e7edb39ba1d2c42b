"""Fixes of the staff parking pages: money in yuan (the data keeps fen), each lot's
code (the gate cameras') shown, for the staff of the area; nothing of it elsewhere."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from linli.sharing.tests.conftest import Scene, book, local_at

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_lot_page_shows_the_price_in_yuan_and_the_lot_code(
    parking: Scene, community_admin: User
) -> None:
    parking.lot.daily_cap_fen = 2000
    parking.lot.save()
    page = as_user(community_admin).get(reverse("parking:lot", args=[parking.lot.pk]))
    text = page.content.decode()
    assert "每小时 5.00 元，按 30 分钟计费，每日封顶 20.00 元" in text
    assert " 分，" not in text and "500 分" not in text and "2000 分" not in text
    assert '<code id="lot-code">p1</code>' in text


def test_the_lot_list_shows_each_lot_code(parking: Scene, community_admin: User) -> None:
    home = as_user(community_admin).get(reverse("parking:home")).content.decode()
    assert "停车场代码" in home and "<code>p1</code>" in home


def test_the_board_shows_the_price_in_yuan(parking: Scene, community_admin: User) -> None:
    book(parking, "wang", local_at(1, 9), local_at(1, 11))
    board = as_user(community_admin).get(reverse("parking:bookings")).content.decode()
    assert '<td class="num">10.00 元</td>' in board
    assert "1000 分" not in board


def test_the_export_has_exact_yuan_under_yuan_headers(
    parking: Scene, community_admin: User
) -> None:
    book(parking, "wang", local_at(1, 9), local_at(1, 11))
    export = as_user(community_admin).get(reverse("parking:bookings_export"))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6] == "费用（元）" and rows[0][10] == "超时费（元）"
    assert Decimal(str(rows[1][6])) == Decimal("10.00")
    assert rows[1][10] == 0


@pytest.mark.parametrize("who", ["anonymous", "elsewhere"])
def test_others_see_no_lot_code(parking: Scene, elsewhere: User, who: str) -> None:
    client = as_user(elsewhere if who == "elsewhere" else None)
    response = client.get(reverse("parking:lot", args=[parking.lot.pk]))
    assert response.status_code == (404 if who == "elsewhere" else 302)
    home = client.get(reverse("parking:home")).content.decode()
    assert "<code>p1</code>" not in home and "东区停车场" not in home


def test_the_occupancy_report_defaults_to_the_last_7_days_in_words(
    parking: Scene, community_admin: User
) -> None:
    today = local_at(0, 0).date()
    start = local_at(-6, 0).date()
    response = as_user(community_admin).get(reverse("parking:occupancy"))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'value="{start:%Y-%m-%d}"' in page and f'value="{today:%Y-%m-%d}"' in page
    words = (
        f"统计范围：最近 7 天：{start.year}年{start.month}月{start.day}日 至 "
        f"{today.year}年{today.month}月{today.day}日（今天），共 7 天"
    )
    assert words in page
    assert page.index('id="range-words"') < page.index('id="hours"')


def test_a_chosen_occupancy_range_is_said_without_the_default_words(
    parking: Scene, community_admin: User
) -> None:
    start, end = local_at(-10, 0).date(), local_at(-9, 0).date()
    query = {"date_from": f"{start:%Y-%m-%d}", "date_to": f"{end:%Y-%m-%d}"}
    page = as_user(community_admin).get(reverse("parking:occupancy"), query).content.decode()
    assert f"统计范围：{start.year}年{start.month}月{start.day}日 至 " in page
    assert "最近 7 天" not in page and "共 2 天" in page
    bad = as_user(community_admin).get(reverse("parking:occupancy"), {"date_from": "昨天"})
    assert bad.status_code == 400 and "统计范围" not in bad.content.decode()
