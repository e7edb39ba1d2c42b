"""Writes of needs (问需清单), the service menu (点菜单) and building councils (楼事会).

Every function is keyword-only and atomic, checks who may act before it writes, and
raises :mod:`linli.engagement.errors` with a Chinese message: :class:`EngagementError`
(400, bad input), :class:`NotAllowed` (403), :class:`IllegalTransition` (409). Nothing
is half-written: a refused call leaves no row behind. Notifications are in-app and sent
after commit (a failing notification never undoes the write).

Who may do what (see ``docs/needs.md``):

* raise a need: an enterprise contact for their own organisation; staff of
  :data:`~linli.engagement.selectors.STAFF_ROLES` for organisations (or residents) under
  their areas, e.g. after a council meeting;
* move a need (accept, plan, start, finish, decline): staff over the need's area;
* rate a finished need: an enterprise contact of the raising organisation, once;
* edit the menu: street or community admins of the community;
* record a council meeting: staff working in the community (on it, above or below it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.activities.models import Activity
from linli.engagement.errors import EngagementError, IllegalTransition, NotAllowed
from linli.engagement.models import (
    NEED_TRANSITIONS,
    CouncilAttendance,
    CouncilMeeting,
    MenuItem,
    Need,
    NeedCategory,
    NeedEvent,
    NeedStatus,
    Urgency,
)
from linli.engagement.selectors import (
    MENU_ROLES,
    STAFF_ROLES,
    community_of,
    contact_organizations,
    holds_role_over,
    organizations_for_staff,
    works_in_community,
)
from linli.orgs.models import Organization
from linli.people.models import Resident, Role
from linli.places.models import Area, AreaKind, Building

AnyUser = User | AnonymousUser

TITLE_MAX = 100
TEXT_MAX = 2000
REASON_MAX = 200
COMMENT_MAX = 300
HEADCOUNT_MAX = 100_000
CAPACITY_MAX = 100_000
LEAD_DAYS_MAX = 365
#: Attempts at a fresh need number when two needs are raised at the same moment.
NUMBER_ATTEMPTS = 5


# --- small checks ---------------------------------------------------------------------------


def _text(value: str, *, field: str, label: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EngagementError(f"请填写{label}", field=field)
    if len(value) > limit:
        raise EngagementError(f"{label}不能超过 {limit} 个字（现有 {len(value)} 个）", field=field)
    return value


def _whole(value: Any, *, field: str, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise EngagementError(f"{label}必须是整数", field=field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EngagementError(f"{label}必须是整数", field=field) from None
    if not low <= number <= high:
        raise EngagementError(f"{label}应在 {low}–{high} 之间", field=field)
    return number


def _choice(value: str, choices: type[Any], *, field: str, label: str) -> str:
    if value not in choices.values:
        raise EngagementError(f"请选择{label}", field=field)
    return value


def _community(area: Area, *, field: str) -> Area:
    community = community_of(area)
    if community is None:
        raise EngagementError("所属区域不在任何社区之内", field=field)
    return community


def _under(area: Area, community: Area) -> bool:
    return area.path.startswith(community.path)


# --- needs ----------------------------------------------------------------------------------


def need_number_next(year: int) -> str:
    """``XQ2026000001``: the year and a 6-digit sequence, one more than the year's highest,
    by :func:`linli.common.numbering.next_number` (compared as numbers, so it keeps
    counting past 999999).

    Unique by the database; a clash with a concurrent need is retried by :func:`need_raise`.
    """
    from linli.common.numbering import next_number

    return next_number(Need.objects.all(), "number", f"XQ{year}", 6)


def _raiser_check(
    actor: AnyUser, organization: Organization | None, resident: Resident | None
) -> Area:
    """The area of the need; raises if the actor may not raise it for this raiser."""
    if (organization is None) == (resident is None):
        raise EngagementError("请选择提出需求的单位（或居民），且只能选一个", field="organization")
    if organization is not None:
        if organization.pk in {o.pk for o in contact_organizations(actor)}:
            return organization.area
        if organizations_for_staff(actor).filter(pk=organization.pk).exists():
            return organization.area
        raise NotAllowed("您只能为本单位（或您负责区域内的单位）提出需求")
    assert resident is not None
    if may_act_for_resident(actor, resident):
        return resident.area
    if not holds_role_over(actor, resident.area, STAFF_ROLES):
        raise NotAllowed("该居民不在您负责的区域内，不能代为提出需求")
    return resident.area


def may_act_for_resident(actor: AnyUser, resident: Resident) -> bool:
    """Whether ``actor`` is a resident account acting for ``resident``: themself or a
    relative who consented (:func:`linli.accounts.selectors.residents_actable_by`)."""
    from linli.accounts.selectors import residents_actable_by

    return residents_actable_by(actor).filter(pk=resident.pk).exists()


@transaction.atomic
def need_raise(
    *,
    actor: AnyUser,
    organization: Organization | None = None,
    resident: Resident | None = None,
    category: str,
    title: str,
    description: str = "",
    urgency: str = Urgency.NORMAL,
    headcount: int,
    council: CouncilMeeting | None = None,
    menu_item: MenuItem | None = None,
) -> Need:
    """Put a need on the needs list (问需清单), status ``raised``.

    Args:
        organization / resident: who raises it; exactly one. The need's ``area`` is theirs.
        category: a :class:`NeedCategory` value; may be ``""`` when ``menu_item`` is given
            (then the item's category is used).
        title: required, at most 100 characters. description: at most 2,000.
        urgency: a :class:`Urgency` value. headcount: people concerned, 1–100,000.
        council: the meeting it was raised at (same community).
        menu_item: ordering from the menu (点菜单): an active item of the same community,
            for at most its ``capacity`` people (``headcount``).

    Returns the saved need with number ``XQ<year><6 digits>``; a ``NeedEvent`` ''→raised
    is written, and the community admins over the area are told in-app after commit.

    Raises:
        NotAllowed: an enterprise contact raising for another organisation; staff raising
            for an organisation or resident outside their areas; anyone else.
        EngagementError: a bad field (``field`` names it).
    """
    area = _raiser_check(actor, organization, resident)
    community = _community(area, field="organization")
    if menu_item is not None:
        if not menu_item.active:
            raise EngagementError("这项服务已下架，不能再预约", field="menu_item")
        if menu_item.area_id != community.pk:
            raise EngagementError("这项服务不属于本社区的服务菜单", field="menu_item")
        category = category or menu_item.category
    if council is not None and council.area_id != community.pk:
        raise EngagementError("所选楼事会不属于本社区", field="council")
    headcount = _whole(headcount, field="headcount", label="涉及人数", low=1, high=HEADCOUNT_MAX)
    if menu_item is not None and headcount > menu_item.capacity:
        raise EngagementError(
            f"这项服务每次最多 {menu_item.capacity} 人，请分批预约或直接提需求",
            field="headcount",
        )
    fields = {
        "category": _choice(category, NeedCategory, field="category", label="需求类别"),
        "title": _text(title, field="title", label="需求", limit=TITLE_MAX, required=True),
        "description": _text(description, field="description", label="详细说明", limit=TEXT_MAX),
        "urgency": _choice(urgency, Urgency, field="urgency", label="紧急程度"),
        "headcount": headcount,
    }
    need = _need_create(
        area=area,
        organization=organization,
        resident=resident,
        raised_by=actor if isinstance(actor, User) else None,
        council=council,
        menu_item=menu_item,
        **fields,
    )
    _event(need, actor, "", NeedStatus.RAISED, "" if menu_item is None else f"点单：{menu_item}")
    _tell_admins_on_commit(need)
    return need


def _need_create(**fields: Any) -> Need:
    year = timezone.localdate().year
    for _ in range(NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                return Need.objects.create(number=need_number_next(year), **fields)
        except IntegrityError:
            continue  # a concurrent need took the number; read the new highest and retry
    raise EngagementError("系统繁忙，需求编号分配失败，请稍后再试")


def _event(need: Need, actor: AnyUser, from_status: str, to_status: str, note: str) -> None:
    NeedEvent.objects.create(
        need=need,
        actor=actor if isinstance(actor, User) else None,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _need_locked(need: Need) -> Need:
    # No outer joins under FOR UPDATE (PostgreSQL refuses to lock a nullable side).
    return Need.objects.select_for_update(of=("self",)).select_related("area").get(pk=need.pk)


def _plan_check(
    need: Need,
    actor: AnyUser,
    *,
    menu_item: MenuItem | None,
    partner: Organization | None,
    activity: Activity | None,
    plan_note: str,
) -> str:
    """Validates how a need will be answered; returns the cleaned plan note."""
    plan_note = _text(plan_note, field="plan_note", label="安排说明", limit=TEXT_MAX)
    if menu_item is None and partner is None and activity is None and not plan_note:
        raise EngagementError(
            "请说明如何满足这项需求：从服务菜单选择、指定共建单位、关联活动或填写安排说明",
            field="plan_note",
        )
    community = _community(need.area, field="plan_note")
    if menu_item is not None and (not menu_item.active or menu_item.area_id != community.pk):
        raise EngagementError("请选择本社区服务菜单中上架的服务", field="menu_item")
    if partner is not None and not organizations_for_staff(actor).filter(pk=partner.pk).exists():
        raise EngagementError("所选共建单位不在您负责的区域内", field="partner")
    if activity is not None and not (
        _under(activity.area, community) or community.path.startswith(activity.area.path)
    ):
        raise EngagementError("所选活动不属于本社区", field="activity")
    return plan_note


@transaction.atomic
def need_transition(
    *,
    need: Need,
    actor: AnyUser,
    to: str,
    note: str = "",
    declined_reason: str = "",
    menu_item: MenuItem | None = None,
    partner: Organization | None = None,
    activity: Activity | None = None,
    plan_note: str = "",
) -> Need:
    """Move ``need`` to status ``to`` along :data:`NEED_TRANSITIONS` (row locked).

    ``accepted`` / ``planned`` / ``done`` stamp ``accepted_at`` / ``planned_at`` /
    ``done_at``. ``planned`` needs at least one of ``menu_item`` (active, same
    community), ``partner`` (an organisation under the actor's areas), ``activity`` (of
    the same community) or ``plan_note``. ``declined`` needs ``declined_reason`` (≤ 200
    characters). ``note`` (≤ 2,000) goes on the event. Writes a :class:`NeedEvent`; the
    raiser's enterprise contacts are told in-app after commit.

    Raises:
        NotAllowed: the actor is not staff over the need's area.
        IllegalTransition: the need's current status does not allow ``to`` (409).
        EngagementError: unknown status, missing reason or plan, a bad field.
    """
    if not holds_role_over(actor, need.area, STAFF_ROLES):
        raise NotAllowed("只有负责该区域的社区工作人员可以办理这项需求")
    if to not in NeedStatus.values:
        raise EngagementError("未知的需求状态", field="to")
    need = _need_locked(need)
    current = need.status
    if to not in NEED_TRANSITIONS[current]:
        raise IllegalTransition(
            f"这项需求现在是「{NeedStatus(current).label}」，不能改为「{NeedStatus(to).label}」"
        )
    note = _text(note, field="note", label="办理说明", limit=TEXT_MAX)
    now = timezone.now()
    if to == NeedStatus.DECLINED:
        need.declined_reason = _text(
            declined_reason,
            field="declined_reason",
            label="未能受理的原因",
            limit=REASON_MAX,
            required=True,
        )
        note = note or need.declined_reason
    elif to == NeedStatus.PLANNED:
        need.plan_note = _plan_check(
            need,
            actor,
            menu_item=menu_item,
            partner=partner,
            activity=activity,
            plan_note=plan_note,
        )
        need.menu_item = menu_item or need.menu_item
        need.partner, need.activity, need.planned_at = partner, activity, now
        note = note or _plan_words(need)
    elif to == NeedStatus.ACCEPTED:
        need.accepted_at = now
    elif to == NeedStatus.DONE:
        need.done_at = now
    need.status = to
    need.save()
    _event(need, actor, current, to, note)
    _tell_raiser_on_commit(need, f"您的需求「{need.title}」{NeedStatus(to).label}", note)
    return need


def _plan_words(need: Need) -> str:
    parts = []
    if need.menu_item is not None:
        parts.append(f"服务菜单：{need.menu_item.name}（{need.menu_item.provider_name}）")
    if need.partner is not None:
        parts.append(f"共建单位：{need.partner.name}")
    if need.activity is not None:
        parts.append(f"活动：{need.activity.title}")
    if need.plan_note:
        parts.append(need.plan_note)
    return "；".join(parts)


@transaction.atomic
def need_activity_link(*, need: Need, actor: AnyUser, activity: Activity) -> Need:
    """Answer ``need`` with ``activity`` (the "新建活动" path of the need page).

    An ``accepted`` need moves to ``planned`` (:func:`need_transition`); a ``planned`` or
    ``in_progress`` need keeps its status and gets the activity, with an event saying so.

    Raises: as :func:`need_transition`; :class:`IllegalTransition` for raised, done or
        declined needs.
    """
    if need.status == NeedStatus.ACCEPTED:
        return need_transition(need=need, actor=actor, to=NeedStatus.PLANNED, activity=activity)
    if not holds_role_over(actor, need.area, STAFF_ROLES):
        raise NotAllowed("只有负责该区域的社区工作人员可以办理这项需求")
    need = _need_locked(need)
    if need.status not in (NeedStatus.PLANNED, NeedStatus.IN_PROGRESS):
        raise IllegalTransition(
            f"这项需求现在是「{NeedStatus(need.status).label}」，不能关联活动（请先受理）"
        )
    _plan_check(need, actor, menu_item=None, partner=None, activity=activity, plan_note="")
    need.activity = activity
    need.save(update_fields=["activity", "updated_at"])
    note = f"关联活动：{activity.title}"
    _event(need, actor, need.status, need.status, note)
    _tell_raiser_on_commit(need, f"您的需求「{need.title}」已安排活动", note)
    return need


@transaction.atomic
def need_rate(*, need: Need, actor: AnyUser, rating: int, comment: str = "") -> Need:
    """The raising organisation (or resident) rates a finished need: ``rating`` 1–5
    stars, ``comment`` at most 300 characters. Once only: the first rating stands (it
    feeds the community's satisfaction figures, and a rating that can be changed can be
    pressed for).

    Writes a :class:`NeedEvent` done→done with the stars.

    Raises:
        NotAllowed: the actor is not an enterprise contact of the raising organisation, nor
            (for a resident's need) the resident's account or a consented relative's.
        IllegalTransition: the need is not done, or already rated (409).
        EngagementError: rating not a whole number 1–5, comment too long.
    """
    orgs = {o.pk for o in contact_organizations(actor)}
    if need.resident is not None:
        if not may_act_for_resident(actor, need.resident):
            raise NotAllowed("只有提出需求的居民（或其授权家人）可以评价")
    elif need.organization_id is None or need.organization_id not in orgs:
        raise NotAllowed("只有提出需求的单位可以评价")
    need = _need_locked(need)
    if need.status != NeedStatus.DONE:
        raise IllegalTransition("需求办结后才能评价")
    if need.rating is not None:
        raise IllegalTransition("这项需求已经评价过了，评价不能修改")
    need.rating = _whole(rating, field="rating", label="满意度", low=1, high=5)
    need.rating_comment = _text(comment, field="comment", label="评价", limit=COMMENT_MAX)
    need.save(update_fields=["rating", "rating_comment", "updated_at"])
    stars = "★" * need.rating + "☆" * (5 - need.rating)
    note = f"评价：{stars}（{need.rating} 分）" + (
        f"；{need.rating_comment}" if need.rating_comment else ""
    )
    _event(need, actor, need.status, need.status, note)
    return need


# --- notifications --------------------------------------------------------------------------


def _admins_over(area: Area) -> list[User]:
    """Active community admins on ``area`` or above it (street admins when there are none)."""
    ancestors = ["/" + "/".join(area.path.strip("/").split("/")[:i]) + "/" for i in range(1, 9)]
    for role in (Role.COMMUNITY_ADMIN, Role.STREET_ADMIN):
        users = list(
            User.objects.filter(
                is_active=True,
                assignments__role=role,
                assignments__area__path__in=ancestors,
            ).distinct()
        )
        if users:
            return users
    return []


def _contacts_of(need: Need) -> list[User]:
    if need.organization_id is None:
        return [need.raised_by] if need.raised_by is not None and need.raised_by.is_active else []
    return list(
        User.objects.filter(
            is_active=True,
            assignments__role=Role.ENTERPRISE_CONTACT,
            assignments__organization_id=need.organization_id,
        ).distinct()
    )


def _send(need_id: int, *, to_admins: bool, title: str, body: str) -> None:
    from linli.notify.services import notify

    need = Need.objects.select_related("area", "organization", "raised_by").get(pk=need_id)
    people = _admins_over(need.area) if to_admins else _contacts_of(need)
    if not people:
        return
    notify(
        recipients=people,
        title=title[:200],
        body=body,
        link=f"/engagement/needs/{need.pk}/" if to_admins else f"/biz/needs/{need.pk}/",
        kind="need.raised" if to_admins else f"need.{need.status}",
        subject=need,
        area=need.area,
    )


def _tell_admins_on_commit(need: Need) -> None:
    title = f"新需求：{need.raiser_name}「{need.title}」"
    body = f"{need.number} · {need.get_category_display()} · {need.headcount} 人"
    transaction.on_commit(
        lambda: _send(need.pk, to_admins=True, title=title, body=body), robust=True
    )


def _tell_raiser_on_commit(need: Need, title: str, body: str) -> None:
    transaction.on_commit(
        lambda: _send(need.pk, to_admins=False, title=title, body=body), robust=True
    )


# --- the menu -------------------------------------------------------------------------------


def _menu_check(actor: AnyUser, area: Area) -> None:
    if area.kind != AreaKind.COMMUNITY:
        raise EngagementError("服务菜单按社区设置，请选择一个社区", field="area")
    if not holds_role_over(actor, area, MENU_ROLES):
        raise NotAllowed("只有本社区（或街道）的管理员可以维护服务菜单")


@transaction.atomic
def menu_item_save(
    *,
    actor: AnyUser,
    area: Area,
    name: str,
    category: str,
    capacity: int,
    lead_days: int = 7,
    fee_fen: int = 0,
    description: str = "",
    provider: Organization | None = None,
    deliverer: str = "",
    item: MenuItem | None = None,
) -> MenuItem:
    """Add a service to ``area``'s menu (点菜单), or change ``item`` (its area stays).

    Args:
        area: a community. name: required, ≤ 100. category: a :class:`NeedCategory` value.
        capacity: people per delivery, 1–100,000. lead_days: notice needed, 0–365 days.
        fee_fen: price in fen (integer ≥ 0; 0 is free). provider: ``None`` = the
            community; else an organisation under the actor's areas. deliverer: ≤ 100.

    Raises:
        NotAllowed: the actor is not a street or community admin over ``area``.
        EngagementError: a bad field.
    """
    if item is not None:
        item = MenuItem.objects.select_for_update().select_related("area").get(pk=item.pk)
        area = item.area
    _menu_check(actor, area)
    if provider is not None and not organizations_for_staff(actor).filter(pk=provider.pk).exists():
        raise EngagementError("提供单位不在您负责的区域内", field="provider")
    values = {
        "name": _text(name, field="name", label="服务名称", limit=TITLE_MAX, required=True),
        "category": _choice(category, NeedCategory, field="category", label="类别"),
        "capacity": _whole(
            capacity, field="capacity", label="每次可服务人数", low=1, high=CAPACITY_MAX
        ),
        "lead_days": _whole(
            lead_days, field="lead_days", label="需提前天数", low=0, high=LEAD_DAYS_MAX
        ),
        "fee_fen": _whole(fee_fen, field="fee_fen", label="费用（分）", low=0, high=10**9),
        "description": _text(description, field="description", label="服务内容", limit=TEXT_MAX),
        "deliverer": _text(deliverer, field="deliverer", label="承办人/团队", limit=100),
        "provider": provider,
    }
    if item is None:
        return MenuItem.objects.create(area=area, **values)
    for key, value in values.items():
        setattr(item, key, value)
    item.save()
    return item


@transaction.atomic
def menu_item_retire(*, item: MenuItem, actor: AnyUser, retire: bool = True) -> MenuItem:
    """Take ``item`` off the menu (下架), or put it back with ``retire=False`` (上架).

    Needs already ordered from it keep their link.

    Raises:
        NotAllowed: not a street or community admin over the item's community.
        IllegalTransition: already off (or already on) the menu.
    """
    item = MenuItem.objects.select_for_update().select_related("area").get(pk=item.pk)
    _menu_check(actor, item.area)
    if item.active != retire:
        raise IllegalTransition("这项服务已经下架了" if retire else "这项服务已经在菜单上了")
    item.active = not retire
    item.save(update_fields=["active", "updated_at"])
    return item


# --- building councils ----------------------------------------------------------------------


def _attendance_rows(
    area: Area, attendees: Iterable[tuple[Organization, str]]
) -> list[tuple[Organization, str]]:
    rows: list[tuple[Organization, str]] = []
    seen: set[int] = set()
    for org, person in attendees:
        if not _under(org.area, area):
            raise EngagementError(f"参会单位「{org.name}」不在本社区", field="attendees")
        if org.pk in seen:
            raise EngagementError(f"参会单位「{org.name}」重复", field="attendees")
        seen.add(org.pk)
        rows.append((org, _text(person, field="attendees", label="参会人姓名", limit=50)))
    return rows


@transaction.atomic
def council_meeting_save(
    *,
    actor: AnyUser,
    area: Area,
    title: str,
    held_at: dt.datetime,
    venue: str = "",
    agenda: str = "",
    minutes: str = "",
    buildings: Sequence[Building] = (),
    attendees: Sequence[tuple[Organization, str]] = (),
    meeting: CouncilMeeting | None = None,
) -> CouncilMeeting:
    """Record a building council meeting (楼事会) of ``area``, or update ``meeting``.

    Args:
        area: the community (kept from ``meeting`` when updating).
        title: required, ≤ 100. held_at: timezone-aware. venue ≤ 100; agenda and minutes
            ≤ 2,000 characters each.
        buildings: the building or cluster, all in the community.
        attendees: ``(organisation, person name)`` pairs, organisations of the community,
            each once; replaces the attendance of ``meeting``.

    Needs raised at the meeting: :func:`need_raise` with ``council=meeting``.

    Raises:
        NotAllowed: the actor does not work in the community.
        EngagementError: a bad field.
    """
    if meeting is not None:
        meeting = CouncilMeeting.objects.select_for_update().get(pk=meeting.pk)
        area = meeting.area
    if area.kind != AreaKind.COMMUNITY:
        raise EngagementError("楼事会按社区记录，请选择一个社区", field="area")
    if not works_in_community(actor, area, STAFF_ROLES):
        raise NotAllowed("只有本社区的工作人员可以记录楼事会")
    if not isinstance(held_at, dt.datetime) or timezone.is_naive(held_at):
        raise EngagementError("请填写召开时间（日期和时刻）", field="held_at")
    for building in buildings:
        if not _under(building.micro_grid, area):
            raise EngagementError(f"楼栋「{building.name}」不在本社区", field="buildings")
    rows = _attendance_rows(area, attendees)
    values = {
        "title": _text(title, field="title", label="会议名称", limit=TITLE_MAX, required=True),
        "held_at": held_at,
        "venue": _text(venue, field="venue", label="地点", limit=100),
        "agenda": _text(agenda, field="agenda", label="议程", limit=TEXT_MAX),
        "minutes": _text(minutes, field="minutes", label="会议纪要", limit=TEXT_MAX),
    }
    if meeting is None:
        meeting = CouncilMeeting.objects.create(
            area=area, recorded_by=actor if isinstance(actor, User) else None, **values
        )
    else:
        for key, value in values.items():
            setattr(meeting, key, value)
        meeting.save()
        meeting.attendance.all().delete()
    meeting.buildings.set(buildings)
    CouncilAttendance.objects.bulk_create(
        CouncilAttendance(meeting=meeting, organization=org, person_name=person)
        for org, person in rows
    )
    return meeting
