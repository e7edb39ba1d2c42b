"""Staff topic pages at /governance/: three actors, actions, bad input, export."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from linli.governance.models import Topic, TopicStatus, TopicSupport
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_board_shows_the_communitys_topics_to_staff_working_there(
    topic: Topic, assigned: User, elsewhere: User
) -> None:
    page = _client(assigned).get("/governance/")
    text = page.content.decode()
    assert page.status_code == 200 and topic.number in text
    assert "附议 0 人，还差 3 人达到上会门槛（3 人）" in text
    assert 'data-status="open">1<' in text
    assert topic.number not in _client(elsewhere).get("/governance/").content.decode()
    anonymous = Client().get("/governance/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def test_the_board_filters_by_status_category_and_words(topic: Topic, assigned: User) -> None:
    client = _client(assigned)
    assert topic.number in client.get("/governance/?status=open&q=停车").content.decode()
    assert topic.number not in client.get("/governance/?status=done").content.decode()
    assert topic.number not in client.get("/governance/?category=safety").content.decode()
    assert client.get("/governance/?status=nonsense").status_code == 200


def test_the_topic_page_masks_supporters_and_is_404_elsewhere(
    topic: Topic, assigned: User, elsewhere: User, neighbour: Any
) -> None:
    from linli.governance import services

    _, user = neighbour("王小明")
    services.topic_support(topic=topic, actor=user)
    text = _client(assigned).get(f"/governance/topics/{topic.pk}/").content.decode()
    assert "王**" in text and "王小明" not in text
    assert _client(elsewhere).get(f"/governance/topics/{topic.pk}/").status_code == 404
    assert Client().get(f"/governance/topics/{topic.pk}/").status_code == 302


def test_recording_an_in_person_support_by_name_search(
    topic: Topic, grid_worker: User, neighbour: Any
) -> None:
    resident, _ = neighbour("赵桂兰")
    client = _client(grid_worker)
    found = client.get(f"/governance/topics/{topic.pk}/?q=赵桂").content.decode()
    assert f'value="{resident.pk}"' in found
    answer = client.post(f"/governance/topics/{topic.pk}/support/", {"resident": resident.pk})
    assert answer.status_code == 302
    assert TopicSupport.objects.get(topic=topic).channel == "in_person"
    again = client.post(f"/governance/topics/{topic.pk}/support/", {"resident": resident.pk})
    assert again.status_code == 409 and "已附议过" in again.content.decode()
    bad = client.post(f"/governance/topics/{topic.pk}/support/", {"resident": "x"})
    assert bad.status_code == 400 and "请先搜索并选择" in bad.content.decode()
    assert TopicSupport.objects.count() == 1


def test_only_managers_schedule_or_decline(
    topic: Topic, manager: User, grid_worker: User, elsewhere: User
) -> None:
    meeting = planned_meeting(topic.area, manager)
    url = f"/governance/topics/{topic.pk}/schedule/"
    assert _client(grid_worker).post(url, {"meeting": meeting.pk}).status_code == 403
    assert _client(elsewhere).post(url, {"meeting": meeting.pk}).status_code == 404
    no_reason = _client(manager).post(url, {"meeting": meeting.pk})
    assert no_reason.status_code == 400 and "须写明理由" in no_reason.content.decode()
    ok = _client(manager).post(url, {"meeting": meeting.pk, "reason": "涉及消防安全"})
    assert ok.status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.SCHEDULED


def test_declining_without_a_reason_is_refused_on_the_page(topic: Topic, manager: User) -> None:
    url = f"/governance/topics/{topic.pk}/decline/"
    empty = _client(manager).post(url, {"reason": ""})
    assert empty.status_code == 400 and "请填写不予立项的理由" in empty.content.decode()
    assert _client(manager).post(url, {"reason": "属物业职责"}).status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECLINED


def test_raising_on_a_residents_behalf(
    areas: dict[str, Area], rules: Any, grid_worker: User, elsewhere: User, neighbour: Any
) -> None:
    resident, _ = neighbour("钱多多")
    client = _client(grid_worker)
    form = client.get("/governance/topics/new/?q=钱多").content.decode()
    assert f'value="{resident.pk}"' in form
    data = {
        "community": areas["community"].pk,
        "title": "楼下广场舞噪音",
        "category": "neighbours",
        "description": "",
        "resident": resident.pk,
    }
    unsearched = client.post("/governance/topics/new/", data)
    assert unsearched.status_code == 400 and not Topic.objects.exists()
    assert client.post("/governance/topics/new/?q=钱多", data).status_code == 302
    topic = Topic.objects.get()
    assert topic.raised_for == resident and topic.raised_by == grid_worker
    bad = client.post("/governance/topics/new/?q=钱多", {**data, "title": ""})
    assert bad.status_code == 400 and Topic.objects.count() == 1
    elsewhere_page = _client(elsewhere).post("/governance/topics/new/?q=钱多", data)
    assert elsewhere_page.status_code == 400 and Topic.objects.count() == 1


def test_the_export_lists_the_filtered_topics(topic: Topic, assigned: User) -> None:
    answer = _client(assigned).get("/governance/export/?status=open")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "编号" and rows[1][0] == topic.number and rows[1][5] == 0
    assert len(rows) == 2


def test_raising_links_the_cases_behind_the_topic(
    areas: dict[str, Area], other_areas: dict[str, Area], grid_worker: User
) -> None:
    from linli.cases.tests.pages import report

    case = report(areas["micro_grid"], reporter=grid_worker)
    foreign = report(other_areas["micro_grid"])
    client = _client(grid_worker)
    data = {
        "community": areas["community"].pk,
        "title": "楼道漏水反复发生",
        "category": "facilities",
        "case_numbers": "NOPE-1",
    }
    unknown = client.post("/governance/topics/new/", data)
    assert unknown.status_code == 400 and "没有找到事件编号：NOPE-1" in unknown.content.decode()
    other = client.post("/governance/topics/new/", {**data, "case_numbers": foreign.number})
    assert other.status_code == 400 and "不属于本社区" in other.content.decode()
    assert not Topic.objects.exists()
    assert (
        client.post("/governance/topics/new/", {**data, "case_numbers": case.number}).status_code
        == 302
    )
    topic = Topic.objects.get()
    assert list(topic.cases.all()) == [case]
    assert case.number in client.get(f"/governance/topics/{topic.pk}/").content.decode()
