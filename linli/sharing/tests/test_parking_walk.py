"""The report's parking walk (issue 7), end to end.

Residents raise the parking shortage, the topic passes the support threshold, a residents'
deliberation meeting decides to turn idle ground into shared smart spaces and follows it
up; the lot is set up, an owner publishes when their space is free, a neighbour books it
on the resident pages, and the barrier camera lets the booked plate in and refuses
another — then records the departure. Resident steps go through the pages (Django's test
client), the camera through the HTTP API, staff steps through the services.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.cases.tests.lifecycle import report
from linli.governance import meetings as gov_meetings
from linli.governance import services as gov
from linli.governance.models import (
    FollowUpStatus,
    GovernanceRules,
    ParticipantRole,
    TopicCategory,
    TopicStatus,
)
from linli.people.models import Role
from linli.places.models import Area
from linli.sharing.gate import gate_key_issue
from linli.sharing.models import Booking, BookingStatus, GateEvent, ParkingLot, SpaceKind
from linli.sharing.services import space_create
from linli.sharing.tests.conftest import resident_with_account
from linli.testing.factories import OrganizationFactory, staff_user

pytestmark = pytest.mark.django_db

THRESHOLD = 20


def _next_weekday(after_days: int = 2) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_parking_walk(areas: dict[str, Area]) -> None:
    community, grid = areas["community"], areas["micro_grid"]
    admin = staff_user(community, Role.COMMUNITY_ADMIN)
    grid_worker = staff_user(grid, Role.MICRO_GRID_WORKER)
    GovernanceRules.objects.create(community=community, support_threshold=THRESHOLD)
    property_company = OrganizationFactory(name="金凤物业", kind="property_company")

    # 1. A resident raises the parking shortage on the resident pages, with the grid case
    #    behind it linked by the grid worker's report.
    raiser, raiser_user = resident_with_account(grid, "赵提议")
    case = report(grid, reporter=grid_worker, name="停车", description="夜间车辆停满消防通道")
    raiser_client = _client_for(raiser_user)
    response = raiser_client.post(
        reverse("resident_topics:topic_new"),
        {
            "title": "小区停车难，建议盘活北侧闲置空地并错峰共享车位",
            "category": TopicCategory.PARKING,
            "description": "晚上车位不够，白天很多车位空着。",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    topic = raiser.topics_raised.get()
    topic.cases.add(case)
    assert topic.status == TopicStatus.OPEN and topic.support_count == 1

    # 2. Neighbours support it online until it passes the threshold; supporting twice is refused.
    for n in range(THRESHOLD - 1):
        _, user = resident_with_account(grid, f"附议人{n}")
        response = _client_for(user).post(reverse("resident_topics:topic_support", args=[topic.pk]))
        assert response.status_code == 302
    again = raiser_client.post(reverse("resident_topics:topic_support", args=[topic.pk]))
    assert "已附议" in again.content.decode() or again.status_code in (302, 409)
    topic.refresh_from_db()
    assert topic.support_count == THRESHOLD
    assert topic.status == TopicStatus.QUALIFIED

    # 3. The deliberation meeting: participants, the topic on the agenda, held, decided,
    #    followed up in public.
    meeting = gov_meetings.meeting_create(
        actor=admin,
        area=community,
        title="金凤苑居民议事会（停车专题）",
        starts_at=_at(timezone.localdate() + dt.timedelta(days=1), 19),
        place="党群服务中心二楼",
        agenda="停车难问题",
    )
    gov_meetings.participant_add(
        meeting=meeting,
        actor=admin,
        role=ParticipantRole.RESIDENT_REP,
        name=raiser.name,
        resident=raiser,
    )
    gov_meetings.participant_add(
        meeting=meeting,
        actor=admin,
        role=ParticipantRole.PROPERTY,
        name="物业经理",
        organization=property_company,
    )
    topic = gov.topic_schedule(topic=topic, actor=admin, meeting=meeting)
    assert topic.status == TopicStatus.SCHEDULED
    gov_meetings.meeting_hold(
        meeting=meeting, actor=admin, minutes="与会人员一致同意改建智慧停车位并错峰共享。"
    )
    decision = gov_meetings.decision_record(
        meeting=meeting,
        actor=admin,
        topic=topic,
        text="北侧闲置空地改建为智慧停车位，业主车位白天错峰共享，每小时 5 元。",
        deadline=timezone.localdate() + dt.timedelta(days=30),
        owners=[admin],
        owner_orgs=[property_company],
        votes_for=18,
        votes_against=1,
        votes_abstain=1,
    )
    follow_up = gov_meetings.followup_add(
        decision=decision,
        actor=admin,
        title="平整场地、划设车位、安装道闸",
        due=timezone.localdate() + dt.timedelta(days=30),
        owner_org=property_company,
    )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DECIDED
    board = Client().get(reverse("yishi:board", args=[community.code]))
    assert board.status_code == 200
    assert "北侧闲置空地改建为智慧停车位" in board.content.decode()

    # 4. The lot is set up (the lot row in the back office; spaces by staff); the decision's
    #    follow-up is done, so the topic is done.
    lot = ParkingLot.objects.create(area=community, code="jfy", name="金凤苑智慧停车场")
    key = gate_key_issue(actor=admin, lot=lot)
    owner, owner_user = resident_with_account(grid, "钱车主")
    space = space_create(actor=admin, lot=lot, number="B-001", kind=SpaceKind.SMART, owner=owner)
    gov_meetings.followup_update(
        follow_up=follow_up, actor=admin, status=FollowUpStatus.DONE, note="120 个车位已启用"
    )
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE

    # 5. The owner publishes weekdays 08:00–18:00 on the resident pages.
    owner_client = _client_for(owner_user)
    response = owner_client.post(
        reverse("resident_parking:space_windows", args=[space.pk]),
        {"weekdays": ["0", "1", "2", "3", "4"], "start": "08:00", "end": "18:00"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert space.windows.count() == 5

    # 6. A neighbour registers a car (a malformed plate first) and books 09:00–11:00.
    neighbour, neighbour_user = resident_with_account(grid, "孙邻居")
    neighbour_client = _client_for(neighbour_user)
    bad = neighbour_client.post(reverse("resident_parking:vehicle_new"), {"plate": "宁A1234"})
    assert bad.status_code == 400 and "位数不对" in bad.content.decode()
    response = neighbour_client.post(
        reverse("resident_parking:vehicle_new"), {"plate": "宁AD12345"}
    )
    assert response.status_code == 302
    car = neighbour.vehicles.get()
    assert car.new_energy
    day = _next_weekday()
    search = {"lot": lot.pk, "day": day.isoformat(), "start": "09:00", "end": "11:00"}
    found = neighbour_client.get(reverse("resident_parking:book"), search)
    assert found.status_code == 200 and "B-001" in found.content.decode()
    response = neighbour_client.post(
        reverse("resident_parking:book_confirm"), {**search, "space": space.pk, "vehicle": car.pk}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    booking = Booking.objects.get(plate="宁AD12345")
    assert booking.price_fen == 1000  # 2 hours at the lot's default 5 yuan an hour
    # The same instant again (someone else's car) is refused; nothing is written.
    other, other_user = resident_with_account(grid, "周路人")
    other_client = _client_for(other_user)
    other_client.post(reverse("resident_parking:vehicle_new"), {"plate": "宁B54321"})
    stranger_car = other.vehicles.get()
    response = other_client.post(
        reverse("resident_parking:book_confirm"),
        {**search, "space": space.pk, "vehicle": stranger_car.pk},
    )
    assert Booking.objects.count() == 1

    # 7. The barrier camera: the booked plate enters (within the grace before 09:00), another
    #    plate is refused, and the departure is recorded.
    camera = Client(HTTP_X_GATE_KEY=key)
    check = reverse("parking_gate:check")
    at = _at(day, 8, 50).isoformat()
    allowed = camera.get(check, {"lot": "jfy", "plate": "宁AD12345", "at": at}).json()
    assert allowed["allow"] is True and allowed["booking"]["id"] == booking.pk
    refused = camera.get(check, {"lot": "jfy", "plate": "宁B54321", "at": at}).json()
    assert refused["allow"] is False and refused["reason"]
    passage = reverse("parking_gate:pass")
    for direction, hour, minute in (("in", 8, 52), ("out", 10, 58)):
        body = {"lot": "jfy", "plate": "宁AD12345", "at": _at(day, hour, minute).isoformat()}
        answer = camera.post(
            passage, json.dumps({**body, "direction": direction}), content_type="application/json"
        )
        assert answer.status_code == 200 and answer.json()["allow"] is True
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.overstay_minutes == 0
    assert GateEvent.objects.filter(lot=lot).count() == 2
    wrong_key = Client(HTTP_X_GATE_KEY="nope").get(check, {"lot": "jfy", "plate": "宁AD12345"})
    assert wrong_key.status_code == 401
