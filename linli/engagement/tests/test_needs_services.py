"""Needs services: raising, every transition legal and illegal, rating, notifications."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from linli.activities.models import Activity, Venue
from linli.engagement.errors import EngagementError, IllegalTransition, NotAllowed
from linli.engagement.models import (
    NEED_TRANSITIONS,
    CouncilMeeting,
    MenuItem,
    Need,
    NeedCategory,
    NeedEvent,
    NeedStatus,
)
from linli.engagement.services import (
    need_activity_link,
    need_raise,
    need_rate,
    need_transition,
)
from linli.notify.models import Notification
from linli.orgs.models import Organization
from linli.places.models import Area
from linli.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

#: The shortest way from ``raised`` to each status.
PATHS: dict[str, list[str]] = {
    NeedStatus.RAISED: [],
    NeedStatus.ACCEPTED: [NeedStatus.ACCEPTED],
    NeedStatus.PLANNED: [NeedStatus.ACCEPTED, NeedStatus.PLANNED],
    NeedStatus.IN_PROGRESS: [NeedStatus.ACCEPTED, NeedStatus.PLANNED, NeedStatus.IN_PROGRESS],
    NeedStatus.DONE: [NeedStatus.ACCEPTED, NeedStatus.PLANNED, NeedStatus.DONE],
    NeedStatus.DECLINED: [NeedStatus.DECLINED],
}


def at_status(need: Need, status: str, move: Callable[..., Need]) -> Need:
    for step in PATHS[status]:
        need = move(need, step)
    return need


# --- raising --------------------------------------------------------------------------------


def test_contact_raises_for_own_firm_with_number_event_and_area(
    raise_need: Callable[..., Need], firm: Organization, firm_contact: User
) -> None:
    need = raise_need()

    assert re.fullmatch(rf"XQ{timezone.localdate().year}\d{{6}}", need.number)
    assert need.status == NeedStatus.RAISED
    assert need.area == firm.area
    assert need.raised_by == firm_contact
    event = need.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("", "raised", firm_contact)


def test_numbers_are_sequential(raise_need: Callable[..., Need]) -> None:
    first, second = raise_need(), raise_need(title="第二项")
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_raising_tells_the_community_admin_after_commit(
    raise_need: Callable[..., Need],
    admin: User,
    firm_contact: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        need = raise_need()

    note = Notification.objects.get(user=admin)
    assert need.title in note.title
    assert note.link == f"/engagement/needs/{need.pk}/"
    assert not Notification.objects.filter(user=firm_contact).exists()


def test_contact_may_not_raise_for_another_firm(firm_contact: User, rival: Organization) -> None:
    with pytest.raises(NotAllowed):
        need_raise(
            actor=firm_contact,
            organization=rival,
            category="training",
            title="代别人提",
            headcount=3,
        )
    assert not Need.objects.exists()


def test_staff_raise_for_firms_of_their_area_only(
    admin: User, outsider: User, firm: Organization
) -> None:
    need = need_raise(
        actor=admin, organization=firm, category="legal", title="合同咨询", headcount=2
    )
    assert need.raised_by == admin

    with pytest.raises(NotAllowed):
        need_raise(actor=outsider, organization=firm, category="legal", title="越权", headcount=2)
    assert Need.objects.count() == 1


def test_exactly_one_raiser_required(admin: User) -> None:
    with pytest.raises(EngagementError) as err:
        need_raise(actor=admin, category="legal", title="无人提出", headcount=1)
    assert err.value.field == "organization"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("title", "长" * 101),
        ("headcount", 0),
        ("headcount", 100_001),
        ("headcount", "六十"),
        ("headcount", 2.5),
        ("category", "party"),
        ("urgency", "yesterday"),
        ("description", "字" * 2001),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    raise_need: Callable[..., Need], field: str, value: Any
) -> None:
    with pytest.raises(EngagementError) as err:
        raise_need(**{field: value})

    assert err.value.http_status == 400
    assert err.value.field == field
    assert str(err.value)  # a Chinese message for the page
    assert not Need.objects.exists()
    assert not NeedEvent.objects.exists()


def test_ordering_from_the_menu_takes_the_item_category(
    raise_need: Callable[..., Need], menu_item: MenuItem
) -> None:
    need = raise_need(category="", menu_item=menu_item, title="消防安全培训")
    assert need.menu_item == menu_item
    assert need.category == NeedCategory.TRAINING
    assert "点单" in need.events.get().note


def test_a_retired_menu_item_cannot_be_ordered(
    raise_need: Callable[..., Need], menu_item: MenuItem
) -> None:
    menu_item.active = False
    menu_item.save()
    with pytest.raises(EngagementError) as err:
        raise_need(menu_item=menu_item)
    assert err.value.field == "menu_item"
    assert not Need.objects.exists()


def test_ordering_more_people_than_the_item_serves_is_refused(
    raise_need: Callable[..., Need], menu_item: MenuItem
) -> None:
    with pytest.raises(
        EngagementError, match="这项服务每次最多 60 人，请分批预约或直接提需求"
    ) as err:
        raise_need(menu_item=menu_item, headcount=61)
    assert err.value.field == "headcount" and not Need.objects.exists()
    assert raise_need(menu_item=menu_item, headcount=60).headcount == 60


def test_menu_item_and_council_of_another_community_are_refused(
    raise_need: Callable[..., Need], other_areas: dict[str, Area]
) -> None:
    foreign_item = MenuItem.objects.create(
        area=other_areas["community"], name="法律咨询", category="legal", capacity=5
    )
    foreign_council = CouncilMeeting.objects.create(
        area=other_areas["community"], title="别处楼事会", held_at=timezone.now()
    )
    with pytest.raises(EngagementError, match="不属于本社区"):
        raise_need(menu_item=foreign_item)
    with pytest.raises(EngagementError, match="不属于本社区"):
        raise_need(council=foreign_council)
    assert not Need.objects.exists()


# --- transitions ----------------------------------------------------------------------------


LEGAL = [(src, dst) for src, targets in NEED_TRANSITIONS.items() for dst in sorted(targets)]
ILLEGAL = [
    (src, dst)
    for src, dst in itertools.product(NeedStatus.values, NeedStatus.values)
    if dst not in NEED_TRANSITIONS[src]
]


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_transition_moves_and_writes_an_event(
    need: Need, move: Callable[..., Need], src: str, dst: str
) -> None:
    need = at_status(need, src, move)
    before = need.events.count()

    need = move(need, dst)

    need.refresh_from_db()
    assert need.status == dst
    last = need.events.last()
    assert last is not None
    assert (last.from_status, last.to_status) == (src, dst)
    assert need.events.count() == before + 1


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_transition_is_409_and_changes_nothing(
    need: Need, move: Callable[..., Need], src: str, dst: str
) -> None:
    need = at_status(need, src, move)
    before = need.events.count()

    with pytest.raises(IllegalTransition) as err:
        move(need, dst)

    assert err.value.http_status == 409
    need.refresh_from_db()
    assert need.status == src
    assert need.events.count() == before


def test_transitions_stamp_their_times(need: Need, move: Callable[..., Need]) -> None:
    need = move(need, "accepted")
    assert need.accepted_at is not None and need.planned_at is None
    need = move(need, "planned")
    assert need.planned_at is not None
    need = move(need, "done")
    assert need.done_at is not None


def test_declining_needs_a_reason(need: Need, admin: User) -> None:
    with pytest.raises(EngagementError) as err:
        need_transition(need=need, actor=admin, to="declined", declined_reason="  ")
    assert err.value.field == "declined_reason"
    need.refresh_from_db()
    assert need.status == NeedStatus.RAISED

    need = need_transition(need=need, actor=admin, to="declined", declined_reason="不属于社区职能")
    assert need.declined_reason == "不属于社区职能"
    assert need.events.last().note == "不属于社区职能"  # type: ignore[union-attr]


def test_planning_needs_a_way_to_answer(need: Need, move: Callable[..., Need], admin: User) -> None:
    need = move(need, "accepted")
    with pytest.raises(EngagementError) as err:
        need_transition(need=need, actor=admin, to="planned")
    assert err.value.field == "plan_note"
    need.refresh_from_db()
    assert need.status == NeedStatus.ACCEPTED and need.planned_at is None


def test_planning_from_the_menu_and_a_partner(
    need: Need, move: Callable[..., Need], menu_item: MenuItem, community: Area
) -> None:
    clinic = OrganizationFactory(name="康宁体检中心", kind="clinic", area=community)
    need = move(move(need, "accepted"), "planned", menu_item=menu_item, partner=clinic)

    assert need.menu_item == menu_item and need.partner == clinic
    note = need.events.last().note  # type: ignore[union-attr]
    assert "消防安全培训" in note and "康宁体检中心" in note


def test_planning_with_a_partner_outside_ones_areas_is_refused(
    need: Need, move: Callable[..., Need], other_areas: dict[str, Area]
) -> None:
    far = OrganizationFactory(area=other_areas["community"])
    need = move(need, "accepted")
    with pytest.raises(EngagementError) as err:
        move(need, "planned", partner=far)
    assert err.value.field == "partner"


def _activity(area: Area) -> Activity:
    venue = Venue.objects.create(area=area, name="社区活动室", capacity=80)
    return Activity.objects.create(
        area=area, venue=venue, title="消防安全培训（60 人）", kind="training", capacity=60
    )


def test_planning_with_an_activity_of_the_community(
    need: Need, move: Callable[..., Need], community: Area, other_areas: dict[str, Area]
) -> None:
    need = move(need, "accepted")
    with pytest.raises(EngagementError) as err:
        move(need, "planned", activity=_activity(other_areas["community"]))
    assert err.value.field == "activity"

    activity = _activity(community)
    need = move(need, "planned", activity=activity)
    assert need.activity == activity


def test_activity_link_plans_an_accepted_need_and_adds_to_a_planned_one(
    need: Need, move: Callable[..., Need], admin: User, community: Area
) -> None:
    with pytest.raises(IllegalTransition):
        need_activity_link(need=need, actor=admin, activity=_activity(community))

    need = move(need, "accepted")
    need = need_activity_link(need=need, actor=admin, activity=_activity(community))
    assert need.status == NeedStatus.PLANNED

    second = _activity(community)
    need = need_activity_link(need=need, actor=admin, activity=second)
    assert need.status == NeedStatus.PLANNED and need.activity == second
    assert "关联活动" in need.events.last().note  # type: ignore[union-attr]


@pytest.mark.parametrize("who", ["outsider", "firm_contact", "assigned"])
def test_only_staff_over_the_area_may_move_a_need(
    need: Need, who: str, request: pytest.FixtureRequest
) -> None:
    actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed) as err:
        need_transition(need=need, actor=actor, to="accepted")
    assert err.value.http_status == 403
    need.refresh_from_db()
    assert need.status == NeedStatus.RAISED


def test_grid_worker_of_the_area_may_move_a_need(need: Need, worker: User) -> None:
    need = need_transition(need=need, actor=worker, to="accepted")
    assert need.status == NeedStatus.ACCEPTED


def test_unknown_status_is_400(need: Need, admin: User) -> None:
    with pytest.raises(EngagementError) as err:
        need_transition(need=need, actor=admin, to="archived")
    assert err.value.http_status == 400


def test_a_move_tells_the_firm_contacts_after_commit(
    need: Need,
    admin: User,
    firm_contact: User,
    rival_contact: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        need_transition(need=need, actor=admin, to="accepted", note="下周联系您")

    note = Notification.objects.get(user=firm_contact)
    assert "已受理" in note.title and note.body == "下周联系您"
    assert note.link == f"/biz/needs/{need.pk}/"
    assert not Notification.objects.filter(user=rival_contact).exists()


def test_a_refused_move_tells_nobody(
    need: Need, admin: User, firm_contact: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IllegalTransition):
        need_transition(need=need, actor=admin, to="done")
    assert not Notification.objects.filter(user=firm_contact).exists()


# --- rating ---------------------------------------------------------------------------------


def test_the_firm_rates_a_done_need_once(
    need: Need, move: Callable[..., Need], firm_contact: User
) -> None:
    need = at_status(need, "done", move)

    need = need_rate(need=need, actor=firm_contact, rating=5, comment="培训很实用")
    assert (need.rating, need.rating_comment) == (5, "培训很实用")
    assert "★★★★★" in need.events.last().note  # type: ignore[union-attr]

    with pytest.raises(IllegalTransition, match="已经评价"):
        need_rate(need=need, actor=firm_contact, rating=1)
    need.refresh_from_db()
    assert need.rating == 5


def test_rating_before_done_is_409(need: Need, firm_contact: User) -> None:
    with pytest.raises(IllegalTransition):
        need_rate(need=need, actor=firm_contact, rating=4)


@pytest.mark.parametrize("rating", [0, 6, "五", -1])
def test_rating_outside_1_to_5_is_400(
    need: Need, move: Callable[..., Need], firm_contact: User, rating: Any
) -> None:
    need = at_status(need, "done", move)
    with pytest.raises(EngagementError) as err:
        need_rate(need=need, actor=firm_contact, rating=rating)
    assert err.value.http_status == 400
    need.refresh_from_db()
    assert need.rating is None


@pytest.mark.parametrize("who", ["rival_contact", "admin"])
def test_only_the_raising_firm_may_rate(
    need: Need, move: Callable[..., Need], who: str, request: pytest.FixtureRequest
) -> None:
    need = at_status(need, "done", move)
    with pytest.raises(NotAllowed):
        need_rate(need=need, actor=request.getfixturevalue(who), rating=3)


def test_need_raised_at_a_council_links_back(
    raise_need: Callable[..., Need], community: Area
) -> None:
    meeting = CouncilMeeting.objects.create(
        area=community, title="3 号楼楼事会", held_at=timezone.now() - dt.timedelta(days=1)
    )
    need = raise_need(council=meeting)
    assert list(meeting.needs.all()) == [need]


def test_resident_need_by_staff(admin: User, areas: dict[str, Area]) -> None:
    from linli.testing.factories import BuildingFactory, HouseholdFactory, ResidentFactory

    building = BuildingFactory(micro_grid=areas["micro_grid"])
    resident = ResidentFactory(household=HouseholdFactory(building=building))
    need = need_raise(
        actor=admin, resident=resident, category="other", title="楼道照明", headcount=20
    )
    assert need.area == resident.area and need.organization is None


def test_org_outside_any_community_is_refused(admin: User, areas: dict[str, Area]) -> None:
    street_org = OrganizationFactory(area=areas["street"])
    street_admin = User.objects.create(username="street-admin")
    from linli.people.models import Assignment, Role

    Assignment.objects.create(user=street_admin, area=areas["street"], role=Role.STREET_ADMIN)
    with pytest.raises(EngagementError, match="社区"):
        need_raise(
            actor=street_admin, organization=street_org, category="other", title="x", headcount=1
        )
    assert not Need.objects.exists()
