"""Resident topic pages at /me/topics/: list, raise, one-tap support, progress steps."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.governance import services
from linli.governance.models import Topic, TopicSupport
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import login, make_neighbour
from linli.places.models import Area

pytestmark = pytest.mark.django_db


def test_the_list_shows_my_communitys_topics_with_counts_and_one_main_action(
    topic: Topic, neighbour: Any, other_areas: dict[str, Area]
) -> None:
    _, user = neighbour()
    page = login(user).get("/me/topics/")
    text = page.content.decode()
    assert page.status_code == 200 and topic.title in text
    assert "已有 0 人附议（需要 3 人）" in text
    assert text.count("button main") == 1 and "提议题" in text
    _, stranger = make_neighbour(other_areas["micro_grid"])
    assert topic.title not in login(stranger).get("/me/topics/").content.decode()


def test_anonymous_visitors_log_in_and_staff_go_to_the_board(topic: Topic, assigned: User) -> None:
    answer = Client().get("/me/topics/")
    assert answer.status_code == 302 and "next=/me/topics/" in answer["Location"]
    staff = Client()
    staff.force_login(assigned)
    assert staff.get("/me/topics/")["Location"] == "/governance/"


def test_support_is_one_tap_and_refused_the_second_time(topic: Topic, neighbour: Any) -> None:
    _, user = neighbour()
    client = login(user)
    page = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert 'id="support"' in page and "提出议题" in page and "进行中" in page
    assert client.post(f"/me/topics/{topic.pk}/support/").status_code == 302
    after = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert "您已附议这个议题" in after and 'id="support"' not in after
    again = client.post(f"/me/topics/{topic.pk}/support/")
    assert again.status_code == 409 and "您已附议过" in again.content.decode()
    assert TopicSupport.objects.filter(topic=topic).count() == 1


def test_a_topic_of_another_community_is_not_found(
    topic: Topic, other_areas: dict[str, Area]
) -> None:
    _, stranger = make_neighbour(other_areas["micro_grid"])
    client = login(stranger)
    assert client.get(f"/me/topics/{topic.pk}/").status_code == 404
    assert client.post(f"/me/topics/{topic.pk}/support/").status_code == 404
    assert not TopicSupport.objects.exists()


def test_raising_a_topic_counts_my_support(
    areas: dict[str, Area], rules: Any, neighbour: Any
) -> None:
    resident, user = neighbour()
    client = login(user)
    assert client.get("/me/topics/new/").status_code == 200
    answer = client.post(
        "/me/topics/new/", {"title": "小区增设充电桩", "category": "facilities", "description": ""}
    )
    topic = Topic.objects.get()
    assert answer["Location"] == f"/me/topics/{topic.pk}/"
    assert topic.raised_for == resident and topic.support_count == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"title": "", "category": "parking"}, "必填"),
        ({"title": "长" * 101, "category": "parking"}, "100"),
        ({"title": "停车", "category": "bogus"}, "bogus"),
    ],
)
def test_bad_input_on_the_raise_form(
    rules: Any, neighbour: Any, data: dict[str, str], words: str
) -> None:
    _, user = neighbour()
    answer = login(user).post("/me/topics/new/", data)
    assert answer.status_code == 400 and words in answer.content.decode()
    assert not Topic.objects.exists()


def test_progress_steps_are_words_and_elder_mode_works(
    topic: Topic, manager: User, neighbour: Any
) -> None:
    services.topic_decline(topic=topic, actor=manager, reason="属于物业合同范围")
    _, user = neighbour()
    client = login(user)
    client.cookies["linli_elder"] = "1"
    page = client.get(f"/me/topics/{topic.pk}/").content.decode()
    assert "不予立项：属于物业合同范围" in page and 'id="support"' not in page
    assert "orders-resident elder" in page
