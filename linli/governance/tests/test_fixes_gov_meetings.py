"""Fixes on the staff meeting page: the progress form starts at the follow-up's status."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.governance import meetings
from linli.governance.models import FollowUp, FollowUpStatus
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting
from linli.places.models import Area

pytestmark = pytest.mark.django_db

IN_A_MONTH = timezone.localdate() + dt.timedelta(days=30)


def _selected_status(html: str, prefix: str) -> list[str]:
    """The selected option values of the ``<select id="<prefix>status">``."""
    match = re.search(
        rf'<select[^>]*id="{re.escape(prefix)}status"[^>]*>(.*?)</select>', html, re.S
    )
    assert match, prefix
    return re.findall(r'<option value="([^"]*)"[^>]*selected', match.group(1))


def test_the_progress_form_defaults_to_the_current_status(
    areas: dict[str, Area], manager: User
) -> None:
    meeting = planned_meeting(areas["community"], manager)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="到会 12 人")
    decision = meetings.decision_record(
        meeting=meeting, actor=manager, text="修路灯", deadline=IN_A_MONTH, owners=[manager]
    )
    for title in ("第一步", "第二步"):
        meetings.followup_add(
            decision=decision, actor=manager, title=title, due=IN_A_MONTH, owner=manager
        )
    first, second = FollowUp.objects.filter(decision=decision).order_by("pk")
    FollowUp.objects.filter(pk=second.pk).update(status=FollowUpStatus.DOING)
    client = Client()
    client.force_login(manager)
    html = client.get(f"/governance/meetings/{meeting.pk}/").content.decode()
    assert _selected_status(html, f"d{decision.pk}-f{first.pk}-") == ["todo"]
    assert _selected_status(html, f"d{decision.pk}-f{second.pk}-") == ["doing"]
