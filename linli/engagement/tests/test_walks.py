"""The two walks of the report (issue 6, "Done when"), end to end through the services.

1. An enterprise (the health-check centre) asks at the building council for fire-safety
   training → staff plan it from the menu as an activity → 60 employees are registered by
   the enterprise contact → they check in at the door → the need is done and rated.
2. Enterprises ask for summer childcare → a multi-week class on a timetable for children
   aged 6–12 of employees → children registered by employee parents (a registry resident
   and guests), refusals in words, the waitlist promoted on a cancellation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from linli.activities.errors import ActivityError
from linli.activities.models import (
    Attendance,
    Audience,
    Registration,
    RegistrationStatus,
    Venue,
    VenueWindow,
)
from linli.activities.services import (
    Participant,
    activity_create,
    checkin,
    registration_cancel,
    registration_create,
    registrations_bulk_create,
    timetable,
    waitlist_position,
)
from linli.engagement.models import NeedCategory, NeedEvent, NeedStatus
from linli.engagement.services import (
    council_meeting_save,
    menu_item_save,
    need_activity_link,
    need_raise,
    need_rate,
    need_transition,
)
from linli.notify.models import Delivery, Notification
from linli.orgs.models import OrgKind
from linli.people.models import Assignment, Relation, Role
from linli.testing.factories import (
    HouseholdFactory,
    OrganizationFactory,
    ResidentFactory,
    UserFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _contact(org: Any, community: Any, username: str) -> Any:
    user = UserFactory(username=username)
    Assignment.objects.create(
        user=user, area=community, role=Role.ENTERPRISE_CONTACT, organization=org
    )
    return user


def _hall(community: Any, capacity: int = 80) -> Venue:
    venue = Venue.objects.create(area=community, name="楼宇党群服务站", capacity=capacity)
    VenueWindow.objects.bulk_create(
        VenueWindow(venue=venue, weekday=d, start=dt.time(8, 30), end=dt.time(18)) for d in range(5)
    )
    return venue


def _weekday_ahead(weekday: int, days: int = 10) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def test_fire_safety_training_from_a_council_need_to_sixty_check_ins(
    areas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    community = areas["community"]
    admin = staff_user(community, Role.COMMUNITY_ADMIN)
    health = OrganizationFactory(
        area=community, kind=OrgKind.CLINIC, name="宁夏阅海健康体检中心有限公司", employee_count=60
    )
    contact = _contact(health, community, "health_contact")
    fire = menu_item_save(
        actor=admin,
        area=community,
        name="消防安全实操培训",
        category=NeedCategory.TRAINING,
        capacity=80,
        lead_days=7,
        deliverer="社区 + 消防救援站",
    )
    meeting = council_meeting_save(
        actor=admin,
        area=community,
        title="阅海金融大厦楼事会（第 3 次）",
        held_at=timezone.now() - dt.timedelta(days=1),
        agenda="企业需求征集",
        attendees=[(health, "王主任")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        need = need_raise(
            actor=contact,
            organization=health,
            category="",
            title="员工消防安全培训",
            description="新员工多，希望有灭火器实操",
            headcount=60,
            council=meeting,
            menu_item=fire,
        )
    assert need.status == NeedStatus.RAISED and need.category == NeedCategory.TRAINING
    assert Notification.objects.filter(user=admin).exists()  # community admins are told

    with django_capture_on_commit_callbacks(execute=True):
        need = need_transition(need=need, actor=admin, to=NeedStatus.ACCEPTED)
    day = _weekday_ahead(2)
    training = activity_create(
        actor=admin,
        area=community,
        venue=_hall(community),
        title=fire.name,
        kind="training",
        capacity=fire.capacity,
        sessions=[(_at(day, 14), _at(day, 16, 30), "实操")],
        audience=Audience.INVITED,
        invited_orgs=[health],
        publish=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        need = need_activity_link(need=need, actor=admin, activity=training)
    assert need.status == NeedStatus.PLANNED and need.activity == training

    employees = [
        Participant(name=f"员工{i:02d}", phone=f"1390000{i:04d}", organization=health)
        for i in range(60)
    ]
    outcomes = registrations_bulk_create(activity=training, participants=employees, actor=contact)
    assert all(o.error == "" or o.error is None for o in outcomes)
    assert training.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 60
    # Someone from another enterprise is not invited; nothing is written for them.
    stranger = OrganizationFactory(area=community, kind=OrgKind.ENTERPRISE)
    with pytest.raises(ActivityError, match="受邀单位"):
        registration_create(
            activity=training,
            participant=Participant(name="外单位", phone="13900009999", organization=stranger),
        )
    assert training.registrations.count() == 60

    need = need_transition(need=need, actor=admin, to=NeedStatus.IN_PROGRESS)
    at_the_door = _at(day, 13, 50)
    for registration in training.registrations.all():
        assert not checkin(token=registration.token, actor=admin, now=at_the_door).already
    again = checkin(token=training.registrations.first().token, actor=admin, now=at_the_door)
    assert again.already
    assert Attendance.objects.filter(session__activity=training).count() == 60

    with django_capture_on_commit_callbacks(execute=True):
        need = need_transition(need=need, actor=admin, to=NeedStatus.DONE, note="60 人参训")
    need_rate(need=need, actor=contact, rating=5, comment="很实用")
    need.refresh_from_db()
    steps = list(NeedEvent.objects.filter(need=need).values_list("to_status", flat=True))
    assert steps[0] == NeedStatus.RAISED and steps[-1] == NeedStatus.DONE
    assert {NeedStatus.ACCEPTED, NeedStatus.PLANNED, NeedStatus.IN_PROGRESS} <= set(steps)
    assert need.rating == 5 and need.council == meeting
    assert Notification.objects.filter(user=contact).count() >= 3  # progress reached them


def test_summer_childcare_class_with_parents_registering_and_the_waitlist(
    areas: dict[str, Any], other_areas: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    community = areas["community"]
    admin = staff_user(community, Role.COMMUNITY_ADMIN)
    firms = [OrganizationFactory(area=community, kind=OrgKind.ENTERPRISE) for _ in range(3)]
    contacts = [_contact(f, community, f"contact{i}") for i, f in enumerate(firms)]
    elsewhere = OrganizationFactory(area=other_areas["community"], kind=OrgKind.ENTERPRISE)
    for firm, contact in zip(firms, contacts, strict=True):
        need_raise(
            actor=contact,
            organization=firm,
            category=NeedCategory.CHILDCARE,
            title="暑期职工子女托管",
            headcount=8,
        )
    needs = list(firms[0].needs.all()) + list(firms[1].needs.all()) + list(firms[2].needs.all())
    needs = [need_transition(need=n, actor=admin, to=NeedStatus.ACCEPTED) for n in needs]

    sessions = timetable(
        first_day=dt.date(2027, 7, 5),
        last_day=dt.date(2027, 7, 23),
        weekdays=range(5),
        start=dt.time(9),
        end=dt.time(11, 30),
        title="作业辅导 + 美术 / 科学实验 / 体育",
    )
    assert len(sessions) == 15
    room = Venue.objects.create(area=community, name="七彩假期活动室", capacity=40)
    camp = activity_create(
        actor=admin,
        area=community,
        venue=room,
        title="七彩假期暑期班",
        kind="camp",
        capacity=20,
        waitlist_limit=5,
        sessions=sessions,
        audience=Audience.EMPLOYEES_CHILDREN,
        min_age=6,
        max_age=12,
        publish=True,
    )
    for need in needs:
        need_activity_link(need=need, actor=admin, activity=camp)
    assert {n.status for n in camp.needs.all()} == {NeedStatus.PLANNED}

    # A parent in the registry, employed by the first firm, registers her son of 8.
    home = HouseholdFactory()
    mother = ResidentFactory(
        household=home, employer=firms[0], birth_date=dt.date(1990, 3, 1), phone="13912340000"
    )
    son = ResidentFactory(
        household=home, birth_date=dt.date(2019, 2, 1), relation_to_head=Relation.CHILD
    )
    first = registration_create(
        activity=camp, participant=Participant(resident=son, guardian=mother), actor=None
    )
    assert not first.waitlisted
    with pytest.raises(ActivityError, match="不能重复报名"):
        registration_create(activity=camp, participant=Participant(resident=son, guardian=mother))

    def child(i: int, firm: Any, born: dt.date) -> Participant:
        return Participant(
            name=f"孩子{i:02d}",
            birth_date=born,
            organization=firm,
            guardian_name=f"家长{i:02d}",
            guardian_phone=f"1390001{i:04d}",
        )

    # Too old (13 on 5 July 2027) and a parent working outside the community: refused.
    with pytest.raises(ActivityError, match="年龄范围"):
        registration_create(activity=camp, participant=child(90, firms[1], dt.date(2014, 7, 1)))
    with pytest.raises(ActivityError, match="不在本社区辖区"):
        registration_create(activity=camp, participant=child(91, elsewhere, dt.date(2018, 1, 1)))
    assert camp.registrations.count() == 1

    results = [
        registration_create(
            activity=camp,
            participant=child(i, firms[i % 3], dt.date(2015 + i % 6, 1 + i % 12, 10)),
            actor=contacts[i % 3],
        )
        for i in range(21)
    ]
    assert sum(not r.waitlisted for r in results) == 19
    waiting = [r.registration for r in results if r.waitlisted]
    assert [waitlist_position(r) for r in waiting] == [1, 2]

    # A confirmed family drops out: the first on the waitlist gets the place and is told.
    with django_capture_on_commit_callbacks(execute=True):
        promoted = registration_cancel(registration=results[3].registration, reason="回老家过暑假")
    assert [p.pk for p in promoted] == [waiting[0].pk]
    waiting[0].refresh_from_db()
    waiting[1].refresh_from_db()
    assert waiting[0].status == RegistrationStatus.CONFIRMED and waiting[0].promoted_at
    assert waitlist_position(waiting[1]) == 1
    sms = Delivery.objects.filter(kind="activity.promoted", channel="sms")
    assert sms.count() == 1 and sms.get().target.endswith(waiting[0].guardian_phone[-4:])
    assert (
        Registration.objects.filter(activity=camp, status=RegistrationStatus.CONFIRMED).count()
        == 20
    )

    # First morning: the son checks in with his QR code.
    assert not checkin(token=first.registration.token, now=sessions[0][0]).already
    assert (
        Attendance.objects.get(registration=first.registration).session.starts_at
        == (sessions[0][0])
    )
