"""Staff parking pages at /parking/: three actors, every form with bad input, the board
at 120 spaces in bounded queries, the .xlsx exports."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from linli.sharing.models import Booking, BookingEvent, BookingStatus, ParkingSpace, SpaceWindow
from linli.sharing.tests.conftest import Scene, book, local_at
from linli.sharing.tests.fixtures_parking import big_lot, booking_row  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def as_user(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pages(scene: Scene, booking: Booking) -> list[str]:
    lot = scene.lot.pk
    return [
        reverse("parking:lot", args=[lot]),
        reverse("parking:space_windows", args=[lot, scene.spaces[3].pk]),
        reverse("parking:booking", args=[booking.pk]),
    ]


def test_community_staff_see_the_lot_and_its_pages(parking: Scene, community_admin: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(community_admin)
    home = client.get(reverse("parking:home"))
    assert home.status_code == 200
    assert "东区停车场" in home.content.decode()
    # 4 spaces, 1 shared, 1 live booking
    counts = '<td class="num">4</td>\n    <td class="num">1</td>\n    <td class="num">1</td>'
    assert counts in home.content.decode()
    for url in pages(parking, booking):
        assert client.get(url).status_code == 200, url
    lot_page = client.get(reverse("parking:lot", args=[parking.lot.pk])).content.decode()
    assert "张*主" in lot_page  # the owner's name masked
    assert "张业主" not in lot_page
    assert "每天 08:00–18:00" in lot_page
    board = client.get(reverse("parking:bookings")).content.decode()
    assert "宁A12345" in board


def test_staff_elsewhere_get_404_and_an_empty_list(parking: Scene, elsewhere: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(elsewhere)
    home = client.get(reverse("parking:home")).content.decode()
    assert "东区停车场" not in home
    for url in pages(parking, booking):
        assert client.get(url).status_code == 404, url
    assert "宁A12345" not in client.get(reverse("parking:bookings")).content.decode()
    post = client.post(reverse("parking:booking_cancel", args=[booking.pk]))
    assert post.status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_anonymous_is_sent_to_log_in(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(None)
    for url in [reverse("parking:home"), reverse("parking:occupancy"), *pages(parking, booking)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"]


def test_add_a_space_and_refuse_a_taken_number(parking: Scene, community_admin: User) -> None:
    client = as_user(community_admin)
    url = reverse("parking:space_new", args=[parking.lot.pk])
    assert client.post(url, {"number": "a-100", "kind": "plain"}).status_code == 302
    assert parking.lot.spaces.filter(number="A-100").exists()
    again = client.post(url, {"number": "A-100", "kind": "plain"})
    assert again.status_code == 400
    assert "车位号 A-100 已存在" in again.content.decode()
    empty = client.post(url, {"number": "", "kind": "bogus"})
    assert empty.status_code == 400
    assert "请填写车位号" in empty.content.decode()
    assert parking.lot.spaces.count() == 5


def test_staff_set_a_community_spaces_windows(parking: Scene, community_admin: User) -> None:
    client = as_user(community_admin)
    space = parking.spaces[3]
    url = reverse("parking:space_windows", args=[parking.lot.pk, space.pk])
    form = {"weekdays": ["0", "1", "2", "3", "4"], "start": "08:00", "end": "18:00"}
    assert client.post(url, form).status_code == 302
    assert space.windows.count() == 5


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"weekdays": ["0"], "start": "18:00", "end": "08:00"}, "结束时间必须晚于开始时间"),
        ({"weekdays": ["0"], "start": "8点", "end": "18:00"}, "开始时间格式应为 08:00"),
        ({"weekdays": ["9"], "start": "08:00", "end": "18:00"}, "星期应为周一到周日"),
        ({"start": "08:00", "end": "18:00"}, "请至少选一天"),
    ],
)
def test_bad_windows_are_explained_and_nothing_changes(
    parking: Scene, community_admin: User, form: dict[str, object], words: str
) -> None:
    space = parking.spaces[3]
    url = reverse("parking:space_windows", args=[parking.lot.pk, space.pk])
    response = as_user(community_admin).post(url, form)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not SpaceWindow.objects.filter(space=space).exists()


def test_record_arrival_and_departure_by_hand(parking: Scene, community_admin: User) -> None:
    booking = booking_row(parking, parking.spaces[0], local_at(-1, 9), local_at(-1, 11))
    client = as_user(community_admin)
    arrive = reverse("parking:booking_arrive", args=[booking.pk])
    leave = reverse("parking:booking_leave", args=[booking.pk])
    day = local_at(-1, 0).date().isoformat()
    assert client.post(arrive, {"at": f"{day}T09:05"}).status_code == 302
    assert client.post(leave, {"at": f"{day}T12:00"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert booking.overstay_minutes == 60
    assert BookingEvent.objects.filter(booking=booking, actor=community_admin).count() == 2


def test_bad_gate_times_and_illegal_steps(parking: Scene, community_admin: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(community_admin)
    arrive = reverse("parking:booking_arrive", args=[booking.pk])
    bad = client.post(arrive, {"at": "昨天"})
    assert bad.status_code == 400
    assert "时间格式应为" in bad.content.decode()
    future = client.post(arrive, {"at": local_at(2, 9).strftime("%Y-%m-%dT%H:%M")})
    assert future.status_code == 400
    assert "不能记录将来的时间" in future.content.decode()
    leave = client.post(
        reverse("parking:booking_leave", args=[booking.pk]),
        {"at": local_at(-1, 9).strftime("%Y-%m-%dT%H:%M")},
    )
    assert leave.status_code == 409
    assert "不能改为已离场" in leave.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED


def test_staff_cancel(parking: Scene, community_admin: User) -> None:
    booking = book(parking, "wang", local_at(1, 9), local_at(1, 11))
    client = as_user(community_admin)
    url = reverse("parking:booking_cancel", args=[booking.pk])
    assert client.post(url, {"reason": "车位维修"}).status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    assert client.post(url).status_code == 409


def test_board_filters_and_export(parking: Scene, community_admin: User) -> None:
    book(parking, "wang", local_at(1, 9), local_at(1, 11))
    book(parking, "li", local_at(2, 9), local_at(2, 11))
    client = as_user(community_admin)
    url = reverse("parking:bookings")
    by_plate = client.get(url, {"plate": "ad234"}).content.decode()
    assert "宁AD23456" in by_plate and "宁A12345" not in by_plate
    by_day = client.get(url, {"day": local_at(1, 0).date().isoformat()}).content.decode()
    assert "宁A12345" in by_day and "宁AD23456" not in by_day
    assert client.get(url, {"status": "bogus"}).status_code == 400
    assert client.get(url, {"day": "明天"}).status_code == 400
    export = client.get(reverse("parking:bookings_export"), {"plate": "A123"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("停车场", "车位", "车牌")
    assert [r[2] for r in rows[1:]] == ["宁A12345"]
    assert rows[1][6] == 10  # 2 hours at 5 yuan


def test_board_at_120_spaces_in_bounded_queries(
    big_lot,  # noqa: F811
    parking: Scene,
    community_admin: User,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    spaces = list(ParkingSpace.objects.filter(lot=big_lot))
    for space in spaces:
        booking_row(parking, space, local_at(1, 9), local_at(1, 11))
    client = as_user(community_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("parking:bookings"), {"lot": big_lot.pk})
    assert response.content.decode().count('data-pk="') == 120
    with django_assert_max_num_queries(12):
        assert client.get(reverse("parking:home")).status_code == 200


def test_occupancy_page_and_export(parking: Scene, community_admin: User) -> None:
    booking_row(
        parking,
        parking.spaces[0],
        local_at(-1, 10),
        local_at(-1, 12),
        status=BookingStatus.COMPLETED,
    )
    day = local_at(-1, 0).date().isoformat()
    client = as_user(community_admin)
    query = {"lot": parking.lot.pk, "date_from": day, "date_to": day}
    page = client.get(reverse("parking:occupancy"), query).content.decode()
    # 4 spaces, 1 shared 08–18: 10 published hours; 2 used inside = 20 %
    assert "10.0 车位·小时" in page
    assert "占开放时段的 20.0%" in page
    assert '10:00–11:00</td><td class="num">25%' in page  # 1 of 4 spaces
    export = client.get(reverse("parking:occupancy_export"), query)
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[11] == ("10:00–11:00", 25)
    assert ("共享增量（车位·小时）", 2) in rows


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "结束日期不能早于开始日期"),
        ({"date_from": "2026-01-01", "date_to": "2026-12-31"}, "一次最多统计 92 天"),
        ({"date_from": "五月", "date_to": "2026-05-01"}, "开始日期格式应为"),
        (
            {"lot": "999999", "date_from": "2026-05-01", "date_to": "2026-05-01"},
            "请选择列出的停车场",
        ),
    ],
)
def test_occupancy_bad_ranges(
    parking: Scene, community_admin: User, query: dict[str, str], words: str
) -> None:
    response = as_user(community_admin).get(reverse("parking:occupancy"), query)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert (
        as_user(community_admin).get(reverse("parking:occupancy_export"), query).status_code == 400
    )
