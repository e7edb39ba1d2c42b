"""Building councils (楼事会): recording meetings, attendees, needs raised there; pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from linli.engagement.errors import EngagementError, NotAllowed
from linli.engagement.models import CouncilAttendance, CouncilMeeting, Need
from linli.engagement.services import council_meeting_save
from linli.orgs.models import Organization
from linli.places.models import Area
from linli.testing.factories import BuildingFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def yesterday() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=1)


def test_record_a_meeting_with_buildings_and_attendees(
    admin: User, community: Area, areas: dict[str, Area], firm: Organization, rival: Organization
) -> None:
    tower = BuildingFactory(micro_grid=areas["micro_grid"], name="A 座", kind="office")
    meeting = council_meeting_save(
        actor=admin,
        area=community,
        title="A 座楼事会",
        held_at=yesterday(),
        venue="A 座一楼会议室",
        agenda="1. 消防培训需求\n2. 子女托管",
        buildings=[tower],
        attendees=[(firm, "张经理"), (rival, "")],
    )
    assert meeting.recorded_by == admin
    assert list(meeting.buildings.all()) == [tower]
    assert {(a.organization, a.person_name) for a in meeting.attendance.all()} == {
        (firm, "张经理"),
        (rival, ""),
    }

    meeting = council_meeting_save(
        actor=admin,
        area=community,
        meeting=meeting,
        title="A 座楼事会",
        held_at=meeting.held_at,
        minutes="会上提出两项需求",
        attendees=[(firm, "张经理")],
    )
    assert meeting.minutes == "会上提出两项需求"
    assert CouncilAttendance.objects.filter(meeting=meeting).count() == 1


@pytest.mark.parametrize("problem", ["foreign_org", "duplicate", "naive", "no_title", "building"])
def test_bad_meeting_is_refused_and_nothing_written(
    admin: User,
    community: Area,
    firm: Organization,
    other_areas: dict[str, Area],
    problem: str,
) -> None:
    kwargs: dict = {
        "actor": admin,
        "area": community,
        "title": "楼事会",
        "held_at": yesterday(),
        "attendees": [(firm, "")],
    }
    if problem == "foreign_org":
        kwargs["attendees"] = [(OrganizationFactory(area=other_areas["community"]), "")]
    elif problem == "duplicate":
        kwargs["attendees"] = [(firm, "甲"), (firm, "乙")]
    elif problem == "naive":
        kwargs["held_at"] = dt.datetime(2030, 1, 1, 9, 0)
    elif problem == "no_title":
        kwargs["title"] = " "
    else:
        kwargs["buildings"] = [BuildingFactory(micro_grid=other_areas["micro_grid"])]

    with pytest.raises(EngagementError):
        council_meeting_save(**kwargs)
    assert not CouncilMeeting.objects.exists()
    assert not CouncilAttendance.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "firm_contact", "assigned"])
def test_only_staff_of_the_community_record_councils(
    community: Area, who: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(NotAllowed):
        council_meeting_save(
            actor=request.getfixturevalue(who), area=community, title="x", held_at=yesterday()
        )
    assert not CouncilMeeting.objects.exists()


def test_grid_worker_records_a_council_of_their_community(worker: User, community: Area) -> None:
    meeting = council_meeting_save(
        actor=worker, area=community, title="网格楼事会", held_at=yesterday()
    )
    assert meeting.area == community


# --- pages ----------------------------------------------------------------------------------


def test_council_pages_for_three_actors(
    client: Client,
    admin: User,
    outsider: User,
    community: Area,
    raise_need: Callable[..., Need],
) -> None:
    meeting = council_meeting_save(
        actor=admin, area=community, title="B 座楼事会", held_at=yesterday()
    )
    need = raise_need(council=meeting)
    url = f"/engagement/councils/{meeting.pk}/"

    assert "/login/" in client.get(url)["Location"]

    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "B 座楼事会" in page and need.number in page
    assert "B 座楼事会" in client.get("/engagement/councils/").content.decode()

    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}edit/").status_code == 404
    assert "B 座楼事会" not in client.get("/engagement/councils/").content.decode()


def test_record_a_council_from_the_page(
    client: Client, admin: User, community: Area, firm: Organization, rival: Organization
) -> None:
    client.force_login(admin)
    form = client.get("/engagement/councils/new/")
    assert form.status_code == 200 and firm.name in form.content.decode()

    held = timezone.localtime(yesterday()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/engagement/councils/new/",
        {
            "title": "C 座楼事会",
            "held_at": held,
            "venue": "C 座会议室",
            "agenda": "消防培训",
            f"org_{firm.pk}": "on",
            f"person_{firm.pk}": "张经理",
        },
    )

    assert response.status_code == 302
    meeting = CouncilMeeting.objects.get()
    assert [(a.organization, a.person_name) for a in meeting.attendance.all()] == [(firm, "张经理")]
    assert response["Location"] == f"/engagement/councils/{meeting.pk}/"


def test_council_form_without_time_is_400(client: Client, admin: User) -> None:
    client.force_login(admin)
    response = client.post("/engagement/councils/new/", {"title": "无时间"})
    assert response.status_code == 400
    assert not CouncilMeeting.objects.exists()
