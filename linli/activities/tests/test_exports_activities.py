"""「导出 Excel」 on the activity management list: the listed activities, scoped."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.activities.services import registration_create
from linli.activities.tests.conftest import backdate, guest, one_session
from linli.common.tests.test_exports import table
from linli.people.models import Role
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db
BASE = "/activities/manage/"


def test_export_holds_the_listed_activities_with_counts(
    client, make_activity, community_admin
) -> None:
    fire = make_activity(title="消防安全培训", capacity=2)
    for n in range(3):
        registration_create(activity=fire, participant=guest(f"居民{n}"))
    make_activity(title="草稿活动", publish=False, sessions=one_session(days=8))
    backdate(make_activity(title="上月讲座", sessions=one_session(days=9)), 40)
    client.force_login(community_admin)

    assert "format=xlsx" in client.get(BASE).content.decode()
    rows = table(client.get(BASE, {"format": "xlsx"}), "活动")
    assert rows[0] == [
        "活动",
        "类型",
        "场地",
        "主办",
        "场次",
        "第一场",
        "状态",
        "已报名",
        "名额",
        "候补",
    ]
    titles = [r[0] for r in rows[1:]]
    assert sorted(titles) == ["消防安全培训", "草稿活动"]
    fire_row = next(r for r in rows if r[0] == "消防安全培训")
    assert fire_row[7:] == [2, 2, 1]
    published = table(client.get(BASE, {"status": "published", "format": "xlsx"}), "活动")
    assert [r[0] for r in published[1:]] == ["消防安全培训"]
    past = table(client.get(BASE, {"past": "1", "format": "xlsx"}), "活动")
    assert [r[0] for r in past[1:]] == ["上月讲座"]


def test_who_may_not_manage_may_not_export(make_activity, areas, other_areas) -> None:
    make_activity()
    anonymous = Client().get(BASE, {"format": "xlsx"})
    assert anonymous.status_code == 302
    worker = Client()
    worker.force_login(staff_user(other_areas["micro_grid"]))
    assert worker.get(BASE, {"format": "xlsx"}).status_code == 403
    admin = Client()
    admin.force_login(staff_user(other_areas["community"], Role.COMMUNITY_ADMIN))
    assert table(admin.get(BASE, {"format": "xlsx"}), "活动")[1:] == []


def test_export_queries_do_not_grow_with_rows(
    client, make_activity, community_admin, django_assert_max_num_queries
) -> None:
    for n in range(6):
        make_activity(title=f"活动{n}", sessions=one_session(days=7 + n))
    client.force_login(community_admin)
    with django_assert_max_num_queries(8):
        rows = table(client.get(BASE, {"format": "xlsx"}), "活动")
    assert len(rows) == 7
