"""「导出 Excel」 on the policy library and the council list (needs have their own export)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.common.tests.test_exports import table
from linli.engagement import policies
from linli.engagement.services import council_meeting_save
from linli.engagement.tests.test_policy_support import *  # noqa: F403
from linli.engagement.tests.test_policy_support import policy_fields
from linli.people.models import Role
from linli.places.models import Area
from linli.testing.factories import staff_user

pytestmark = pytest.mark.django_db
POLICIES = "/engagement/policies/"
COUNCILS = "/engagement/councils/"


def test_policy_export_holds_the_filtered_policies_with_match_words(
    client, areas, orgs, policy_admin
) -> None:
    policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    policies.policy_save(
        actor=policy_admin,
        **policy_fields(areas["community"], title="小微企业房租补贴", document_number="银政发9号"),
    )
    client.force_login(policy_admin)
    assert "format=xlsx" in client.get(POLICIES).content.decode()

    rows = table(client.get(POLICIES, {"q": "人才", "format": "xlsx"}), "政策")

    assert rows[0][:3] == ["政策", "发布机关", "文号"]
    assert [r[0] for r in rows[1:]] == ["人才共有产权住房"]
    assert str(rows[1][8]).startswith("符合 1 个")
    every = table(client.get(POLICIES, {"v": "all", "format": "xlsx"}), "政策")
    assert len(every) == 3


def test_policy_export_is_refused_or_empty_like_the_page(
    client, areas, orgs, policy_admin, stranger_admin
) -> None:
    policies.policy_save(actor=policy_admin, **policy_fields(areas["community"]))
    assert client.get(POLICIES, {"format": "xlsx"}).status_code == 302
    client.force_login(staff_user(areas["micro_grid"], Role.MICRO_GRID_WORKER))
    assert client.get(POLICIES, {"format": "xlsx"}).status_code == 403
    client.force_login(stranger_admin)
    assert table(client.get(POLICIES, {"format": "xlsx"}), "政策")[1:] == []


def test_council_export_lists_my_communities_meetings(
    client: Client, admin: User, outsider: User, community: Area
) -> None:
    held = timezone.now() - dt.timedelta(days=1)
    for title in ("B 座楼事会", "C 座楼事会"):
        council_meeting_save(actor=admin, area=community, title=title, held_at=held)
    client.force_login(admin)
    assert "format=xlsx" in client.get(COUNCILS).content.decode()
    rows = table(client.get(COUNCILS, {"format": "xlsx"}), "会议")
    assert rows[0] == ["会议", "地点", "召开时间", "社区", "参会单位", "提出需求"]
    assert sorted(r[0] for r in rows[1:]) == ["B 座楼事会", "C 座楼事会"]
    client.force_login(outsider)
    assert table(client.get(COUNCILS, {"format": "xlsx"}), "会议")[1:] == []
    client.logout()
    assert client.get(COUNCILS, {"format": "xlsx"}).status_code == 302


def test_exports_queries_do_not_grow_with_rows(
    client, areas, orgs, policy_admin, django_assert_max_num_queries
) -> None:
    for n in range(5):
        policies.policy_save(
            actor=policy_admin, **policy_fields(areas["community"], title=f"政策{n}")
        )
    client.force_login(policy_admin)
    with django_assert_max_num_queries(10):
        rows = table(client.get(POLICIES, {"format": "xlsx"}), "政策")
    assert len(rows) == 6
