"""Staff meeting pages: plan, participants, hold, decisions, follow-ups, progress, overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.governance import meetings, services
from linli.governance.models import (
    Decision,
    FollowUp,
    Meeting,
    MeetingStatus,
    Topic,
    TopicStatus,
)
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import local_at, planned_meeting
from linli.places.models import Area

pytestmark = pytest.mark.django_db

IN_A_MONTH = timezone.localdate() + dt.timedelta(days=30)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_plans_a_meeting_and_bad_input_is_refused(
    areas: dict[str, Area], manager: User, grid_worker: User
) -> None:
    client = _client(manager)
    data = {
        "community": areas["community"].pk,
        "title": "停车专题议事会",
        "starts_at": local_at(5, 19).strftime("%Y-%m-%dT%H:%M"),
        "place": "",
        "agenda": "",
    }
    no_place = client.post("/governance/meetings/", data)
    assert no_place.status_code == 400 and "请选择场地或填写地点" in no_place.content.decode()
    bad_time = client.post("/governance/meetings/", {**data, "starts_at": "明天"})
    assert bad_time.status_code == 400 and not Meeting.objects.exists()
    ok = client.post("/governance/meetings/", {**data, "place": "活动室"})
    meeting = Meeting.objects.get()
    assert ok["Location"] == f"/governance/meetings/{meeting.pk}/"
    assert timezone.localtime(meeting.starts_at).hour == 19
    assert _client(grid_worker).post("/governance/meetings/", data).status_code == 403
    assert "停车专题议事会" in _client(grid_worker).get("/governance/meetings/").content.decode()


def test_the_meeting_page_for_three_actors(
    areas: dict[str, Area], manager: User, assigned: User, elsewhere: User
) -> None:
    meeting = planned_meeting(areas["community"], manager)
    url = f"/governance/meetings/{meeting.pk}/"
    assert _client(manager).get(url).status_code == 200
    seen = _client(assigned).get(url).content.decode()
    assert meeting.title in seen and 'id="hold"' not in seen
    assert _client(elsewhere).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert _client(assigned).post(f"{url}hold/", {"minutes": "x"}).status_code == 403


def test_the_whole_meeting_on_the_page(topic: Topic, manager: User, grid_worker: User) -> None:
    Topic.objects.filter(pk=topic.pk).update(status=TopicStatus.QUALIFIED)
    meeting = planned_meeting(topic.area, manager)
    services.topic_schedule(topic=topic, actor=manager, meeting=meeting)
    client = _client(manager)
    url = f"/governance/meetings/{meeting.pk}/"
    assert (
        client.post(f"{url}participants/", {"role": "property", "name": "钱经理"}).status_code
        == 302
    )
    empty = client.post(f"{url}hold/", {"minutes": ""})
    assert empty.status_code == 400
    assert client.post(f"{url}hold/", {"minutes": "到会 12 人"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    decision_data = {
        "topic": topic.pk,
        "text": "建 120 个智能车位",
        "owners": [manager.pk],
        "deadline": IN_A_MONTH.isoformat(),
    }
    no_owner = client.post(f"{url}decisions/", {**decision_data, "owners": []})
    assert no_owner.status_code == 400 and "责任人或责任单位" in no_owner.content.decode()
    assert client.post(f"{url}decisions/", decision_data).status_code == 302
    decision = Decision.objects.get()
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    follow = {
        "title": "施工",
        "due": IN_A_MONTH.isoformat(),
        "owner": grid_worker.pk,
        "target": decision.pk,
    }
    bad_case = client.post(f"{url}decisions/{decision.pk}/follow-ups/", {**follow, "case": "NOPE"})
    assert bad_case.status_code == 400 and "本社区没有这个编号的事件" in bad_case.content.decode()
    assert client.post(f"{url}decisions/{decision.pk}/follow-ups/", follow).status_code == 302
    item = FollowUp.objects.get()
    progress = f"/governance/follow-ups/{item.pk}/progress/"
    no_note = _client(grid_worker).post(progress, {"status": "done", "note": ""})
    assert no_note.status_code == 400
    assert (
        _client(grid_worker).post(progress, {"status": "done", "note": "完工"}).status_code == 302
    )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE
    text = client.get(url).content.decode()
    assert "完工" in text and "钱经理" in text


def test_the_overdue_list(topic: Topic, manager: User, elsewhere: User) -> None:
    meeting = planned_meeting(topic.area, manager)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="纪要")
    decision = meetings.decision_record(
        meeting=meeting, actor=manager, text="清理", deadline=IN_A_MONTH, owners=[manager]
    )
    meetings.followup_add(
        decision=decision,
        actor=manager,
        title="清运建筑垃圾",
        due=timezone.localdate() - dt.timedelta(days=3),
        owner=manager,
    )
    text = _client(manager).get("/governance/overdue/").content.decode()
    assert "清运建筑垃圾" in text and "已逾期 3 天" in text
    assert "清运建筑垃圾" not in _client(elsewhere).get("/governance/overdue/").content.decode()
    assert Client().get("/governance/overdue/").status_code == 302


def test_a_meeting_in_a_community_venue(
    areas: dict[str, Area], other_areas: dict[str, Area], manager: User
) -> None:
    from linli.activities.models import Venue

    room = Venue.objects.create(area=areas["community"], name="党群服务中心活动室", capacity=40)
    foreign = Venue.objects.create(area=other_areas["community"], name="别处广场", capacity=100)
    data = {
        "community": areas["community"].pk,
        "title": "议事会",
        "starts_at": local_at(5, 19).strftime("%Y-%m-%dT%H:%M"),
        "place": "",
    }
    client = _client(manager)
    assert "别处广场" not in client.get("/governance/meetings/").content.decode()
    assert client.post("/governance/meetings/", {**data, "venue": foreign.pk}).status_code == 400
    assert client.post("/governance/meetings/", {**data, "venue": room.pk}).status_code == 302
    assert Meeting.objects.get().venue == room
