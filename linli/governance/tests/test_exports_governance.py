"""「导出 Excel」 on the overdue follow-ups (topics and vote participations have their own)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.common.tests.test_exports import table
from linli.governance import meetings
from linli.governance.models import FollowUp, FollowUpStatus, Topic
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting

pytestmark = pytest.mark.django_db
URL = "/governance/overdue/"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _follow_ups(topic: Topic, manager: User, days: list[int]) -> list[FollowUp]:
    meeting = planned_meeting(topic.area, manager)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="纪要")
    decision = meetings.decision_record(
        meeting=meeting,
        actor=manager,
        text="清理",
        deadline=timezone.localdate() + dt.timedelta(days=30),
        owners=[manager],
    )
    return [
        meetings.followup_add(
            decision=decision,
            actor=manager,
            title=f"事项{n}",
            due=timezone.localdate() + dt.timedelta(days=n),
            owner=manager,
        )
        for n in days
    ]


def test_export_holds_the_overdue_follow_ups(topic: Topic, manager: User) -> None:
    made = _follow_ups(topic, manager, [-5, -3, -1, 2])
    FollowUp.objects.filter(pk=made[2].pk).update(status=FollowUpStatus.DONE)
    client = _client(manager)
    assert "format=xlsx" in client.get(URL).content.decode()

    rows = table(client.get(URL, {"format": "xlsx"}), "事项")

    assert rows[0][:3] == ["事项", "议题编号", "议题"]
    assert [(r[0], r[8]) for r in rows[1:]] == [("事项-5", 5), ("事项-3", 3)]


def test_outsiders_export_nothing_and_anonymous_goes_to_log_in(
    topic: Topic, manager: User, elsewhere: User
) -> None:
    _follow_ups(topic, manager, [-2])
    assert table(_client(elsewhere).get(URL, {"format": "xlsx"}), "事项")[1:] == []
    assert Client().get(URL, {"format": "xlsx"}).status_code == 302


def test_export_queries_do_not_grow_with_rows(
    topic: Topic, manager: User, django_assert_max_num_queries
) -> None:
    _follow_ups(topic, manager, [-1, -2, -3, -4, -5, -6])
    client = _client(manager)
    with django_assert_max_num_queries(8):
        rows = table(client.get(URL, {"format": "xlsx"}), "事项")
    assert len(rows) == 7


def test_meeting_export_lists_my_communities_meetings(
    topic: Topic, manager: User, elsewhere: User
) -> None:
    planned_meeting(topic.area, manager)
    planned_meeting(topic.area, manager, days=9)
    client = _client(manager)
    assert "format=xlsx" in client.get("/governance/meetings/").content.decode()
    rows = table(client.get("/governance/meetings/", {"format": "xlsx"}), "会议")
    assert rows[0] == ["会议", "社区", "时间", "地点", "状态"]
    assert [r[0] for r in rows[1:]] == ["第三季度居民议事会"] * 2
    assert {r[3] for r in rows[1:]} == {"社区活动室"}
    empty = table(_client(elsewhere).get("/governance/meetings/", {"format": "xlsx"}), "会议")
    assert empty[1:] == []
    assert Client().get("/governance/meetings/", {"format": "xlsx"}).status_code == 302
