"""A refused second vote shows one box (how and when the household voted), not two."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.governance.models import Ballot
from linli.governance.tests.fixtures_votes import *  # noqa: F403
from linli.governance.tests.fixtures_votes import VoteScene, local_at, make_vote, option

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_second_vote_shows_one_box(vote_scene: VoteScene) -> None:
    s = vote_scene

    vote = make_vote(
        s.manager,
        s.community,
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=local_at(3, 18),
    )
    url = reverse("resident_votes:vote", args=[vote.pk])
    assert _client(s.zhang_user).post(url, {"option": option(vote, "同意")}).status_code == 302
    for user in (s.zhang_user, s.zhang_wife_user):
        again = _client(user).post(url, {"option": option(vote, "不同意")})
        html = again.content.decode()
        assert again.status_code == 409
        assert html.count("不能重复投票") == 1 and 'id="voted"' in html
        assert 'id="error"' not in html and "⚠" not in html
    assert Ballot.objects.filter(vote=vote).count() == 1
