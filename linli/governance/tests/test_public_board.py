"""The public board /yishi/<community code>/: decisions, owners by role and surname,
follow-up progress and overdue marks; topics on the way without supporters' data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.governance import meetings, services
from linli.governance.models import Topic, TopicStatus
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import planned_meeting
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(topic: Topic, manager: User, areas: dict[str, Area]) -> dict[str, Any]:
    Topic.objects.filter(pk=topic.pk).update(status=TopicStatus.QUALIFIED)
    meeting = planned_meeting(topic.area, manager)
    services.topic_schedule(topic=topic, actor=manager, meeting=meeting)
    meetings.meeting_hold(meeting=meeting, actor=manager, minutes="纪要")
    property_co = OrganizationFactory(name="安居物业", area=areas["community"])
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    decision = meetings.decision_record(
        meeting=meeting,
        actor=manager,
        topic=topic,
        text="闲置空地改建智能车位，错峰共享",
        deadline=yesterday,
        owners=[manager],
        owner_orgs=[property_co],
    )
    late = meetings.followup_add(
        decision=decision, actor=manager, title="安装道闸", due=yesterday, owner=manager
    )
    meetings.followup_update(follow_up=late, actor=manager, status="doing", note="设备已到货")
    return {"decision": decision, "late": late}


def test_anyone_reads_the_decisions_with_owners_by_role_and_surname(
    areas: dict[str, Area], decided: dict[str, Any], manager: User
) -> None:
    page = Client().get(f"/yishi/{areas['community'].code}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "闲置空地改建智能车位" in text and "社区居委会 王主任" in text and "安居物业" in text
    assert "芳" not in text and manager.username not in text
    assert "已逾期" in text and "最新进展" in text and "设备已到货" in text


def test_topics_on_the_way_show_counts_but_no_supporter(
    areas: dict[str, Area], rules: Any, grid_worker: User, neighbour: Any
) -> None:
    topic = services.topic_raise(
        actor=grid_worker, area=areas["community"], title="增设充电桩", category="facilities"
    )
    resident, user = neighbour("孙悟净")
    services.topic_support(topic=topic, actor=user)
    text = Client().get(f"/yishi/{areas['community'].code}/").content.decode()
    assert "增设充电桩" in text and "1 人附议" in text
    assert resident.name not in text and "孙" not in text and resident.phone not in text


def test_other_communities_and_unknown_codes(
    areas: dict[str, Area], other_areas: dict[str, Area], decided: dict[str, Any]
) -> None:
    other = Client().get(f"/yishi/{other_areas['community'].code}/").content.decode()
    assert "闲置空地改建智能车位" not in other and "还没有公开的决议" in other
    assert Client().get("/yishi/999999/").status_code == 404
    assert Client().get(f"/yishi/{areas['street'].code}/").status_code == 404


def test_elder_mode(areas: dict[str, Area], decided: dict[str, Any]) -> None:
    client = Client()
    client.cookies["linli_elder"] = "1"
    text = client.get(f"/yishi/{areas['community'].code}/").content.decode()
    assert "elder" in text.split("<body", 1)[1].split(">", 1)[0]


def test_a_private_decision_stays_off_the_board(
    areas: dict[str, Area], decided: dict[str, Any]
) -> None:
    decided["decision"].public = False
    decided["decision"].save()
    text = Client().get(f"/yishi/{areas['community'].code}/").content.decode()
    assert "闲置空地改建智能车位" not in text
