"""Fixes on the staff topic and vote pages: Chinese labels for stored codes, the abstain
option named once, the threshold progress only for OPEN topics."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.governance import services, voting
from linli.governance.models import Topic, TopicEvent, TopicStatus
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_votes import *  # noqa: F403
from linli.governance.tests.fixtures_votes import AFTER, DURING, VoteScene, make_vote, option

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _events(html: str) -> str:
    match = re.search(r'id="events">(.*?)</(?:ol|ul)>', html, re.S)
    assert match
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_topic_history_in_chinese(topic: Topic, manager: User) -> None:
    services.topic_decline(topic=topic, actor=manager, reason="不属于议事范围")
    text = _events(_client(manager).get(f"/governance/topics/{topic.pk}/").content.decode())
    assert f"— → {TopicStatus.OPEN.label}" in text
    assert f"{TopicStatus.OPEN.label} → {TopicStatus.DECLINED.label}" in text
    assert "open" not in text and "declined" not in text


def test_threshold_progress_only_for_open_topics(topic: Topic, manager: User) -> None:
    client = _client(manager)
    board = client.get("/governance/").content.decode()
    assert "还差" in board and 'aria-label="附议进度"' in board
    services.topic_decline(topic=topic, actor=manager, reason="不属于议事范围")
    board = client.get("/governance/?status=").content.decode()
    assert topic.title in board
    assert "还差" not in board and 'aria-label="附议进度"' not in board
    assert "附议 0 人" in board
    page = client.get(f"/governance/topics/{topic.pk}/").content.decode()
    assert "还差" not in page and "上会门槛" not in page


def test_vote_history_in_chinese_and_abstain_named_once(
    vote_scene: VoteScene, rules: object
) -> None:
    s = vote_scene
    raised = services.topic_raise(
        actor=s.manager, area=s.community, title="停车", category="parking", description="车多"
    )
    Topic.objects.filter(pk=raised.pk).update(status=TopicStatus.DECIDED)
    vote = make_vote(s.manager, s.community, topic=raised)
    voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    voting.vote_count(actor=s.manager, vote=vote, now=AFTER)
    html = _client(s.manager).get(reverse("governance_votes:vote", args=[vote.pk])).content.decode()
    text = _events(html)
    for code in ("created", "published", "counted"):
        assert code not in text
    for label in ("创建", "发布", "计票"):
        assert label in text
    assert "弃权（弃权）" not in html and "弃权" in html
    # The count writes one note on the topic (status unchanged), shown without an arrow.
    note = TopicEvent.objects.get(topic=raised, note__contains="计票")
    assert note.from_status == note.to_status
    topic_text = _events(
        _client(s.manager).get(f"/governance/topics/{raised.pk}/").content.decode()
    )
    assert f"{TopicStatus.DECIDED.label} → {TopicStatus.DECIDED.label}" not in topic_text
    assert "decided" not in topic_text and "状态不变" in topic_text
