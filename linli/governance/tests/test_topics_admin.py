"""Back office of deliberation: pages load, topics read-only, scoped to the community."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from linli.governance import meetings
from linli.governance.models import Topic
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_load_for_a_community_admin(topic: Topic, manager: User) -> None:
    meeting = planned_meeting(topic.area, manager)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="纪要")
    decision = meetings.decision_record(
        meeting=meeting,
        actor=manager,
        text="清理楼道",
        deadline=meeting.starts_at.date(),
        owners=[manager],
    )
    client = _client(manager)
    for url in (
        "/admin/governance/topic/",
        f"/admin/governance/topic/{topic.pk}/change/",
        "/admin/governance/meeting/",
        f"/admin/governance/meeting/{meeting.pk}/change/",
        f"/admin/governance/decision/{decision.pk}/change/",
        "/admin/governance/governancerules/",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
    change = client.get(f"/admin/governance/topic/{topic.pk}/change/").content.decode()
    assert 'name="title"' not in change and topic.number in change


def test_topics_of_another_community_are_not_in_the_admin(topic: Topic, elsewhere: User) -> None:
    from linli.people.models import Role
    from linli.testing.factories import staff_user

    other_admin = staff_user(elsewhere.assignments.get().area.parent.parent, Role.COMMUNITY_ADMIN)  # type: ignore[union-attr]
    client = _client(other_admin)
    assert topic.number not in client.get("/admin/governance/topic/").content.decode()
    assert client.get(f"/admin/governance/topic/{topic.pk}/change/").status_code == 404
