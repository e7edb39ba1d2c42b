"""The governance sub-menu leads to 表决, and the vote pages lead back to 议题."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.governance import services
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_votes import *  # noqa: F403
from linli.governance.tests.fixtures_votes import VoteScene, make_vote

pytestmark = pytest.mark.django_db

VOTES_LINK = '<a href="/governance/votes/"'
TOPICS_LINK = '<a href="/governance/"'


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/governance/", "/governance/meetings/", "/governance/overdue/"])
def test_the_sub_menu_names_votes(url: str, assigned: User) -> None:
    html = _client(assigned).get(url).content.decode()
    assert VOTES_LINK in html and ">表决</a>" in html


def test_vote_pages_lead_back_to_topics(vote_scene: VoteScene, rules: object) -> None:
    s = vote_scene
    topic = services.topic_raise(
        actor=s.manager, area=s.community, title="停车", category="parking", description="车多"
    )
    vote = make_vote(s.manager, s.community, topic=topic)
    client = _client(s.manager)
    for name, args in (("home", []), ("new", []), ("vote", [vote.pk])):
        html = client.get(reverse(f"governance_votes:{name}", args=args)).content.decode()
        assert TOPICS_LINK in html, name
        assert f'{VOTES_LINK} aria-current="page">表决</a>' in html, name
    detail = client.get(reverse("governance_votes:vote", args=[vote.pk])).content.decode()
    assert f'href="/governance/topics/{topic.pk}/" id="vote-topic"' in detail
    assert Client().get(reverse("governance_votes:home")).status_code == 302
