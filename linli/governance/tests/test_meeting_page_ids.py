"""The staff meeting page repeats a follow-up form per decision and a progress form per
follow-up: their HTML ids are prefixed (``d<decision>-…``, ``d<decision>-f<item>-…``) so
that no id appears twice and every label points at its own field."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.governance import meetings
from linli.governance.models import Decision, FollowUp, Meeting
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting
from linli.places.models import Area

pytestmark = pytest.mark.django_db

IN_A_MONTH = timezone.localdate() + dt.timedelta(days=30)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


@pytest.fixture
def held(areas: dict[str, Area], manager: User) -> tuple[Meeting, list[Decision]]:
    """A held meeting with two decisions, each with two open follow-ups."""
    meeting = planned_meeting(areas["community"], manager)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="到会 12 人")
    decisions = []
    for text in ("清理楼道", "修路灯"):
        decision = meetings.decision_record(
            meeting=meeting, actor=manager, text=text, deadline=IN_A_MONTH, owners=[manager]
        )
        for title in ("第一步", "第二步"):
            meetings.followup_add(
                decision=decision, actor=manager, title=title, due=IN_A_MONTH, owner=manager
            )
        decisions.append(decision)
    return meeting, decisions


def _assert_unique_and_labelled(html: str) -> None:
    counts = Counter(_ids(html))
    assert [name for name, n in counts.items() if n > 1] == []
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert counts[target] == 1, target


def test_no_id_repeats_on_a_meeting_with_two_decisions(
    held: tuple[Meeting, list[Decision]], manager: User, assigned: User, elsewhere: User
) -> None:
    meeting, (first, second) = held
    url = f"/governance/meetings/{meeting.pk}/"
    html = _client(manager).get(url).content.decode()
    _assert_unique_and_labelled(html)
    ids = set(_ids(html))
    assert {f"d{first.pk}-title", f"d{second.pk}-title"} <= ids
    items = FollowUp.objects.filter(decision=second).order_by("pk")
    assert {f"d{second.pk}-f{item.pk}-note" for item in items} <= ids
    # Staff of the area who do not manage see the progress forms only: unique too.
    seen = _client(assigned).get(url).content.decode()
    _assert_unique_and_labelled(seen)
    assert f"d{first.pk}-title" not in seen
    assert _client(elsewhere).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_errors_show_on_the_form_that_was_posted_with_its_own_ids(
    held: tuple[Meeting, list[Decision]], manager: User
) -> None:
    meeting, (first, second) = held
    before = FollowUp.objects.count()
    answer = _client(manager).post(
        f"/governance/meetings/{meeting.pk}/decisions/{second.pk}/follow-ups/",
        {"title": "", "due": "", "target": second.pk},
    )
    assert answer.status_code == 400 and FollowUp.objects.count() == before
    html = answer.content.decode()
    _assert_unique_and_labelled(html)
    assert f'id="d{second.pk}-title-error"' in html
    assert f'id="d{first.pk}-title-error"' not in html
    item = FollowUp.objects.filter(decision=first).order_by("pk").first()
    assert item is not None
    bad = _client(manager).post(
        f"/governance/follow-ups/{item.pk}/progress/", {"status": "done", "note": ""}
    )
    assert bad.status_code == 400
    assert f'id="d{first.pk}-f{item.pk}-note-error"' in bad.content.decode()
    _assert_unique_and_labelled(bad.content.decode())
    item.refresh_from_db()
    assert item.status != "done" and not item.updates.exists()
