"""The back office shows votes and participations read-only and never ballots."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from linli.governance import voting
from linli.governance.models import Ballot, Participation
from linli.governance.tests.fixtures_votes import DURING, VoteScene, make_vote, option, vote_scene

__all__ = ["vote_scene"]
pytestmark = pytest.mark.django_db


def test_ballots_are_not_in_admin() -> None:
    assert Ballot not in admin.site._registry
    assert Participation in admin.site._registry


def test_published_vote_and_participations_are_read_only(vote_scene: VoteScene) -> None:
    s = vote_scene
    vote = make_vote(s.manager, s.community)
    voting.ballot_cast(
        actor=s.zhang_user, vote=vote, resident=s.zhang, option=option(vote, "同意"), now=DURING
    )
    root = User.objects.create_superuser("root", password="pw-linli-test")
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:governance_vote_change", args=[vote.pk]))
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()  # published: texts are fixed
    assert client.get(reverse("admin:governance_vote_changelist")).status_code == 200
    participation = Participation.objects.get()
    url = reverse("admin:governance_participation_change", args=[participation.pk])
    response = client.post(url, {"channel": "paper"})
    assert response.status_code == 403
    participation.refresh_from_db()
    assert participation.channel == "online"
    assert client.get(reverse("admin:governance_vote_add")).status_code == 403
