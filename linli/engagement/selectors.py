"""Reads of needs (问需清单), the service menu (点菜单) and building councils (楼事会).

Every read takes the acting user and returns only what they may see:

* staff (:data:`STAFF_ROLES`) see rows whose ``area`` lies under one of their assignments
  (:func:`linli.people.scoping.scope`); superusers see everything;
* an enterprise contact sees the needs of the organisations named on their
  ``enterprise_contact`` assignments, and the menu of those organisations' communities;
* anyone else sees nothing.

Policies (政策) are read in :mod:`linli.engagement.policies` (another module's code).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.common import workcalendar
from linli.engagement.models import (
    CouncilMeeting,
    MenuItem,
    Need,
    NeedCategory,
    NeedStatus,
    Urgency,
)
from linli.orgs.models import Organization
from linli.people.models import Assignment, Role
from linli.people.scoping import area_paths, scope
from linli.places.models import Area, AreaKind

AnyUser = User | AnonymousUser

#: Staff who work the needs list, the menu and councils in their areas (issue 6).
STAFF_ROLES = frozenset(
    {
        Role.STREET_ADMIN,
        Role.COMMUNITY_ADMIN,
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.DISPATCHER,
    }
)
#: Staff who edit the service menu of their communities.
MENU_ROLES = frozenset({Role.STREET_ADMIN, Role.COMMUNITY_ADMIN})
#: A raised need not accepted within this much working time is overdue: 3 working days of
#: 7 h office hours (linli.common.workcalendar), i.e. 75,600 s.
ACCEPT_WITHIN_S = 3 * 7 * 3600
#: The search window for the overdue cut-off: 3 working days never span more than this
#: (the longest Chinese holiday with its weekends is about 9 days).
_OVERDUE_SEARCH = dt.timedelta(days=45)


# --- who may do what ------------------------------------------------------------------------


def _active(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def role_paths(user: AnyUser, roles: Iterable[str]) -> list[str] | None:
    """Area paths where ``user`` holds one of ``roles``; ``None`` means everywhere (superuser)."""
    if not _active(user):
        return []
    if getattr(user, "is_superuser", False):
        return None
    return list(
        Assignment.objects.filter(user_id=user.pk or 0, role__in=list(roles)).values_list(
            "area__path", flat=True
        )
    )


def holds_role_over(user: AnyUser, area: Area, roles: Iterable[str]) -> bool:
    """Whether ``user`` holds one of ``roles`` on ``area`` or an area above it."""
    paths = role_paths(user, roles)
    return paths is None or any(area.path.startswith(p) for p in paths)


def works_in_community(user: AnyUser, community: Area, roles: Iterable[str]) -> bool:
    """Whether ``user`` holds one of ``roles`` on ``community``, above it or below it (a grid
    leader records the council of the buildings of their grid)."""
    paths = role_paths(user, roles)
    return paths is None or any(
        community.path.startswith(p) or p.startswith(community.path) for p in paths
    )


def is_needs_staff(user: AnyUser) -> bool:
    """Superuser, or one of :data:`STAFF_ROLES` somewhere."""
    paths = role_paths(user, STAFF_ROLES)
    return paths is None or bool(paths)


def contact_organizations(user: AnyUser) -> list[Organization]:
    """The organisations ``user`` is an enterprise contact (企业联络员) for, by name."""
    if not _active(user):
        return []
    return list(
        Organization.objects.filter(
            pk__in=Assignment.objects.filter(
                user_id=user.pk or 0, role=Role.ENTERPRISE_CONTACT, organization__isnull=False
            ).values("organization_id")
        ).select_related("area")
    )


def community_of(area: Area) -> Area | None:
    """The community at or above ``area``; ``None`` above community level."""
    node: Area | None = area
    while node is not None and node.kind != AreaKind.COMMUNITY:
        node = node.parent
    return node


def staff_communities(user: AnyUser) -> list[Area]:
    """Communities where ``user`` holds a staff role (on it, below it or above it)."""
    paths = role_paths(user, STAFF_ROLES)
    rows = Area.objects.filter(kind=AreaKind.COMMUNITY)
    if paths is None:
        return list(rows)
    below = Q(pk__in=[])
    for path in paths:
        # a street admin's communities lie under the path; a grid worker's community above it
        below |= Q(path__startswith=path)
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            below |= Q(path="/" + "/".join(parts[:depth]) + "/")
    return list(rows.filter(below))


# --- needs for staff ------------------------------------------------------------------------


def overdue_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """The latest ``created_at`` of a need that is overdue at ``now``.

    A need is overdue when it is still ``raised`` and :data:`ACCEPT_WITHIN_S` seconds of
    working time have passed since it was raised (``add_working_time(created_at, S) <= now``).
    ``add_working_time`` never decreases as its start moves later, so the overdue needs are
    exactly those raised at or before a cut-off, found by bisection to the second.
    """
    now = now or timezone.now()
    lo, hi = now - _OVERDUE_SEARCH, now
    if workcalendar.add_working_time(lo, ACCEPT_WITHIN_S) > now:
        return lo
    while (hi - lo).total_seconds() > 1:
        mid = lo + (hi - lo) / 2
        if workcalendar.add_working_time(mid, ACCEPT_WITHIN_S) <= now:
            lo = mid
        else:
            hi = mid
    return lo


def accept_due_at(need: Need) -> dt.datetime:
    """When ``need`` must be accepted (aware, Asia/Shanghai): 3 working days after raising."""
    return workcalendar.add_working_time(need.created_at, ACCEPT_WITHIN_S)


def is_overdue(need: Need, now: dt.datetime | None = None) -> bool:
    """Still ``raised`` after the 3 working days of :data:`ACCEPT_WITHIN_S`."""
    return need.status == NeedStatus.RAISED and accept_due_at(need) <= (now or timezone.now())


def needs_for_staff(user: AnyUser) -> QuerySet[Need]:
    """Needs under the user's staff areas (none for other roles), list columns joined."""
    paths = role_paths(user, STAFF_ROLES)
    rows = Need.objects.select_related("organization", "resident", "area", "menu_item")
    if paths is None:
        return rows
    if not paths:
        return rows.none()
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(area__path__startswith=path)
    return rows.filter(condition)


@dataclasses.dataclass(frozen=True)
class NeedFilters:
    """Filters of the needs board; empty strings mean "any".

    ``overdue`` keeps raised needs past the 3-working-day acceptance limit.
    """

    status: str = ""
    category: str = ""
    urgency: str = ""
    organization: int | None = None
    overdue: bool = False
    q: str = ""


def needs_filtered(
    user: AnyUser, filters: NeedFilters, *, now: dt.datetime | None = None
) -> QuerySet[Need]:
    """:func:`needs_for_staff` narrowed by ``filters`` (unknown choice values are ignored)."""
    rows = needs_for_staff(user)
    if filters.status in NeedStatus.values:
        rows = rows.filter(status=filters.status)
    if filters.category in NeedCategory.values:
        rows = rows.filter(category=filters.category)
    if filters.urgency in Urgency.values:
        rows = rows.filter(urgency=filters.urgency)
    if filters.organization:
        rows = rows.filter(organization_id=filters.organization)
    if filters.overdue:
        rows = rows.filter(status=NeedStatus.RAISED, created_at__lte=overdue_cutoff(now))
    if filters.q:
        rows = rows.filter(
            Q(number__icontains=filters.q)
            | Q(title__icontains=filters.q)
            | Q(organization__name__icontains=filters.q)
        )
    return rows


@dataclasses.dataclass(frozen=True)
class StatusCount:
    value: str
    label: str
    count: int


def need_counts(rows: QuerySet[Need]) -> list[StatusCount]:
    """How many of ``rows`` are in each status, every status listed (zeros included)."""
    found = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    return [StatusCount(s.value, str(s.label), found.get(s.value, 0)) for s in NeedStatus]


def overdue_count(rows: QuerySet[Need], *, now: dt.datetime | None = None) -> int:
    """Raised needs of ``rows`` past the acceptance limit."""
    return rows.filter(status=NeedStatus.RAISED, created_at__lte=overdue_cutoff(now)).count()


def need_for_staff(user: AnyUser, pk: int) -> Need | None:
    """Need ``pk`` if the user sees it as staff, else ``None`` (treat as missing: 404)."""
    return (
        needs_for_staff(user)
        .select_related("council", "partner", "activity", "raised_by")
        .filter(pk=pk)
        .first()
    )


def organizations_for_staff(user: AnyUser) -> QuerySet[Organization]:
    """Organisations under the user's staff areas (who may raise a need, or be a partner)."""
    paths = role_paths(user, STAFF_ROLES)
    rows = Organization.objects.select_related("area")
    if paths is None:
        return rows
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(area__path__startswith=path)
    return rows.filter(condition)


# --- needs for enterprise contacts ----------------------------------------------------------


def needs_for_contact(user: AnyUser) -> QuerySet[Need]:
    """Needs raised by the organisations the user is a contact for (newest first)."""
    orgs = [o.pk for o in contact_organizations(user)]
    return Need.objects.filter(organization_id__in=orgs).select_related(
        "organization", "menu_item", "activity", "partner"
    )


def need_for_contact(user: AnyUser, pk: int) -> Need | None:
    """Need ``pk`` if it belongs to one of the user's organisations, else ``None`` (404)."""
    return needs_for_contact(user).filter(pk=pk).first()


# --- the menu -------------------------------------------------------------------------------


def menu_for_community(community: Area, *, active_only: bool = True) -> QuerySet[MenuItem]:
    """The menu of ``community`` (a community ``Area``), by category and name."""
    rows = MenuItem.objects.filter(area=community).select_related("provider", "area")
    return rows.filter(active=True) if active_only else rows


def menu_for_contact(user: AnyUser) -> QuerySet[MenuItem]:
    """Active menu items of the communities of the user's organisations."""
    communities = {c.pk for o in contact_organizations(user) if (c := community_of(o.area))}
    return MenuItem.objects.filter(area_id__in=communities, active=True).select_related(
        "provider", "area"
    )


def menu_for_staff(user: AnyUser, *, active_only: bool = False) -> QuerySet[MenuItem]:
    """Menu items of the communities the user works in (retired ones too by default)."""
    rows = MenuItem.objects.filter(area__in=[c.pk for c in staff_communities(user)]).select_related(
        "provider", "area"
    )
    return rows.filter(active=True) if active_only else rows


# --- councils -------------------------------------------------------------------------------


def councils_for_staff(user: AnyUser) -> QuerySet[CouncilMeeting]:
    """Council meetings of the communities the user works in, newest first, with counts."""
    return (
        CouncilMeeting.objects.filter(area__in=[c.pk for c in staff_communities(user)])
        .select_related("area", "recorded_by")
        .annotate(
            attendee_count=Count("attendance", distinct=True),
            need_count=Count("needs", distinct=True),
        )
    )


def council_for_staff(user: AnyUser, pk: int) -> CouncilMeeting | None:
    """Meeting ``pk`` if the user works in its community, else ``None`` (404)."""
    return (
        CouncilMeeting.objects.filter(area__in=[c.pk for c in staff_communities(user)])
        .select_related("area", "recorded_by")
        .filter(pk=pk)
        .first()
    )


def visible_areas(user: AnyUser) -> QuerySet[Area]:
    """Areas under the user's assignments (any role); for admin choices."""
    paths = area_paths(user)
    if paths is None:
        return Area.objects.all()
    return scope(Area.objects.all(), user, area_field="")


@dataclasses.dataclass(frozen=True)
class TimelineRow:
    """One step of a need's history in words: ``what`` is "已提出 → 已受理" or the status."""

    at: dt.datetime
    what: str
    who: str
    note: str


def need_timeline(need: Need, *, names: bool = True) -> list[TimelineRow]:
    """The events of ``need`` oldest first; ``names=False`` says "社区工作人员" for staff
    (the enterprise sees who acted only as a role)."""
    rows = []
    ours = set(
        Assignment.objects.filter(
            role=Role.ENTERPRISE_CONTACT, organization_id=need.organization_id or 0
        ).values_list("user_id", flat=True)
    )
    for event in need.events.select_related("actor"):
        to = NeedStatus(event.to_status).label
        if not event.from_status:
            what = str(to)
        elif event.from_status == event.to_status:
            what = "补充记录"
        else:
            what = f"{NeedStatus(event.from_status).label} → {to}"
        actor = event.actor
        who = ""
        if actor is not None:
            if names:
                who = actor.get_full_name() or actor.username
            else:
                who = "本单位" if actor.pk in ours else "社区工作人员"
        rows.append(TimelineRow(at=event.at, what=what, who=who, note=event.note))
    return rows


# --- residents ------------------------------------------------------------------------------


def needs_for_resident_account(user: AnyUser) -> QuerySet[Need]:
    """Needs raised for the residents a resident account may act for (newest first)."""
    from linli.accounts.selectors import residents_actable_by

    return Need.objects.filter(resident__in=residents_actable_by(user)).select_related(
        "resident", "menu_item", "activity", "partner"
    )
