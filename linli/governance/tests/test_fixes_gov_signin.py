"""Paper sign-in search on a secret vote: namesakes are told apart by masked phone, year of
birth and room (the full phone is never shown)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.governance.tests.fixtures_votes import *  # noqa: F403
from linli.governance.tests.fixtures_votes import VoteScene, local_at, make_vote
from linli.testing.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def test_namesakes_are_told_apart(vote_scene: VoteScene, elsewhere: object) -> None:
    s = vote_scene
    micro = s.h1.building.micro_grid
    home_a = HouseholdFactory(building__micro_grid=micro, room="301")
    home_b = HouseholdFactory(building__micro_grid=micro, room="502")
    ping = ResidentFactory(
        name="曾萍",
        household=home_a,
        area=micro,
        birth_date=dt.date(1956, 4, 1),
        phone="13912345678",
    )
    pingxue = ResidentFactory(
        name="曾萍雪", household=home_b, area=micro, birth_date=dt.date(1990, 7, 1), phone=""
    )
    vote = make_vote(
        s.manager,
        s.community,
        secret=True,
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=local_at(3, 18),
    )
    client = Client()
    client.force_login(s.manager)
    url = reverse("governance_votes:vote", args=[vote.pk])
    html = client.get(url, {"q": "曾萍"}).content.decode()
    rows = dict(re.findall(r'<li data-resident="(\d+)">(.*?)</li>', html, re.S))
    first, second = rows[str(ping.pk)], rows[str(pingxue.pk)]
    assert "139****5678" in first and "1956 年生" in first and "301" in first
    assert "13912345678" not in html
    assert "1990 年生" in second and "502" in second and "电话" not in second
    other = Client()
    other.force_login(elsewhere)  # type: ignore[arg-type]
    assert other.get(url, {"q": "曾萍"}).status_code == 404
    assert Client().get(url, {"q": "曾萍"}).status_code == 302
