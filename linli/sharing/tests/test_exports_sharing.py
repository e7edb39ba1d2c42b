"""「导出 Excel」 on the staff venue bookings of a day (parking has its own export)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.common.tests.test_exports import table
from linli.people.models import Role
from linli.places.models import Area
from linli.sharing.tests.fixtures_venues import VenueScene, local_at, request_room, venues
from linli.testing.factories import staff_user

__all__ = ["venues"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_elsewhere(other_areas: dict[str, Area]) -> User:
    return staff_user(other_areas["community"], Role.COMMUNITY_ADMIN)


def test_export_holds_the_days_bookings_of_the_chosen_venue(
    client: Client, venues: VenueScene
) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11), purpose="合唱排练")
    request_room(venues, local_at(2, 14), local_at(2, 15), purpose="读书会", attendees=8)
    request_room(venues, local_at(3, 9), local_at(3, 11), purpose="棋牌比赛")
    client.force_login(venues.admin)
    day = f"{local_at(2, 0):%Y-%m-%d}"
    url = reverse("venues_manage:bookings")

    page = client.get(url, {"day": day, "venue": venues.room.pk}).content.decode()
    assert f"day={day}&amp;venue={venues.room.pk}&amp;format=xlsx" in page
    response = client.get(url, {"day": day, "venue": venues.room.pk, "format": "xlsx"})

    rows = table(response, "场地")
    assert rows[0] == ["场地", "日期", "开始", "结束", "预约方", "用途", "人数", "状态", "说明"]
    assert [r[5] for r in rows[1:]] == ["合唱排练", "读书会"]
    assert rows[2][1:7] == [day, "14:00", "15:00", "王居民", "读书会", 8]
    assert venues.wang.phone not in str(rows)


def test_who_may_not_see_the_bookings_may_not_export_them(
    client: Client, venues: VenueScene, assigned: User, admin_elsewhere: User
) -> None:
    request_room(venues, local_at(2, 9), local_at(2, 11), purpose="合唱排练")
    url = reverse("venues_manage:bookings")
    day = f"{local_at(2, 0):%Y-%m-%d}"
    assert client.get(url, {"day": day, "format": "xlsx"}).status_code == 302
    client.force_login(assigned)
    assert client.get(url, {"day": day, "format": "xlsx"}).status_code == 403
    client.force_login(admin_elsewhere)
    assert table(client.get(url, {"day": day, "format": "xlsx"}), "场地")[1:] == []


def test_export_queries_do_not_grow_with_rows(
    client: Client, venues: VenueScene, django_assert_max_num_queries
) -> None:
    for hour in (8, 10, 12, 14, 16):
        request_room(venues, local_at(2, hour), local_at(2, hour + 1))
    client.force_login(venues.admin)
    day = f"{local_at(2, 0):%Y-%m-%d}"
    with django_assert_max_num_queries(8):
        rows = table(
            client.get(reverse("venues_manage:bookings"), {"day": day, "format": "xlsx"}), "场地"
        )
    assert len(rows) == 6
