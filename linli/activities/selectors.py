"""Reads of activities for the organiser and staff pages, always scoped to the acting user.

Who manages an activity (:func:`activities_managed_by`):

* a superuser: every activity;
* staff holding one of :data:`MANAGE_ROLES` — activities whose area lies under one of
  their assigned areas (a street admin: the whole street), or whose area *contains* their
  assigned area down to community level (a grid worker helps run the activities of the
  community their grid belongs to, e.g. at the door);
* an enterprise contact (``Assignment`` role ``enterprise_contact`` with an
  ``organization``) — the activities that organisation organises; besides, they register
  their own employees for any published activity whose audience admits them
  (:func:`activity_to_register`), on the register-one and bulk pages only.

Anyone else sees nothing; the pages answer 404 for an activity or check-in code outside
the user's activities, exactly like a missing one (no leak of who registered).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from linli.activities.models import (
    LIVE_STATUSES,
    Activity,
    ActivityStatus,
    Attendance,
    Audience,
    Registration,
    RegistrationStatus,
    Session,
    Venue,
)
from linli.activities.services import (
    CHECKIN_EARLY,
    Participant,
    audience_problem,
    current_session,
    first_day,
    person_key,
)
from linli.common.pii import mask_phone
from linli.orgs.models import Organization
from linli.people.models import Assignment, Resident, Role
from linli.people.scoping import area_paths
from linli.places.models import Area, AreaKind

AnyUser = User | AnonymousUser

#: Staff roles that create and run activities in their areas.
MANAGE_ROLES = frozenset(
    {
        Role.STREET_ADMIN,
        Role.COMMUNITY_ADMIN,
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.DISPATCHER,
    }
)
#: Area kinds an assignment below may reach *up* to (a grid worker → their community).
REACH_UP_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID)
#: Most residents a phone/name search shows.
SEARCH_LIMIT = 20


# --- who may manage -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ManagerScope:
    """What a user manages: ``everything`` (superuser), area ``paths`` (staff roles, each
    matched downwards), ``up_paths`` (exact ancestor areas reached upwards) and ``orgs``
    (organisation ids the user is the enterprise contact of)."""

    everything: bool = False
    paths: tuple[str, ...] = ()
    up_paths: tuple[str, ...] = ()
    orgs: tuple[int, ...] = ()

    @property
    def is_staff_side(self) -> bool:
        """Manages by area (superuser or a staff role), not only as an organiser."""
        return self.everything or bool(self.paths)

    @property
    def empty(self) -> bool:
        return not (self.everything or self.paths or self.orgs)


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]


def manager_scope(user: AnyUser) -> ManagerScope:
    """The :class:`ManagerScope` of ``user`` (cached on the user object for the request)."""
    cached: ManagerScope | None = getattr(user, "_linli_activity_scope", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        found = ManagerScope()
    elif getattr(user, "is_superuser", False):
        found = ManagerScope(everything=True)
    else:
        rows = list(
            Assignment.objects.filter(user_id=user.pk).values_list(
                "area__path", "role", "organization_id"
            )
        )
        paths = sorted({path for path, role, _ in rows if role in MANAGE_ROLES})
        orgs = sorted(
            {org for _, role, org in rows if role == Role.ENTERPRISE_CONTACT and org is not None}
        )
        wanted = {a for path in paths for a in _ancestors(path)}
        up = Area.objects.filter(path__in=wanted, kind__in=REACH_UP_KINDS)
        found = ManagerScope(
            paths=tuple(paths),
            up_paths=tuple(sorted(up.values_list("path", flat=True))),
            orgs=tuple(orgs),
        )
    user._linli_activity_scope = found  # type: ignore[union-attr]
    return found


def may_manage(user: AnyUser) -> bool:
    """Superuser, staff with one of :data:`MANAGE_ROLES`, or an enterprise contact."""
    return not manager_scope(user).empty


def _area_q(scope: ManagerScope, field: str) -> Q:
    condition = Q(pk__in=[])
    for path in scope.paths:
        condition |= Q(**{f"{field}__path__startswith": path})
    if scope.up_paths:
        condition |= Q(**{f"{field}__path__in": scope.up_paths})
    return condition


def activities_managed_by(user: AnyUser) -> QuerySet[Activity]:
    """Activities ``user`` may manage (see the module docstring); empty for anyone else."""
    scope = manager_scope(user)
    activities = Activity.objects.select_related("venue", "area", "organiser")
    if scope.everything:
        return activities
    if scope.empty:
        return activities.none()
    return activities.filter(_area_q(scope, "area") | Q(organiser_id__in=scope.orgs))


def activity_for(user: AnyUser, pk: int) -> Activity:
    """The activity ``pk`` if ``user`` manages it; :class:`Http404` otherwise."""
    activity = activities_managed_by(user).filter(pk=pk).first()
    if activity is None:
        raise Http404("没有找到这个活动，或您无权管理它")
    return activity


def employer_admitted(user: AnyUser, activity: Activity) -> Organization | None:
    """The organisation whose employees enterprise contact ``user`` may register for
    ``activity`` without organising it, or ``None``.

    Only a published activity, and only an organisation ``user`` is the contact of whose
    employees the audience admits: ``public``; ``employees`` and ``employees_children``
    (the organisation lies in the activity's community); ``invited`` (it is invited).
    """
    scope = manager_scope(user)
    if not scope.orgs or activity.status != ActivityStatus.PUBLISHED:
        return None
    orgs = Organization.objects.filter(pk__in=scope.orgs).select_related("area").order_by("pk")
    audience = activity.audience
    if audience == Audience.PUBLIC:
        return orgs.first()
    if audience in (Audience.EMPLOYEES, Audience.EMPLOYEES_CHILDREN):
        return orgs.filter(area__path__startswith=activity.area.path).first()
    if audience == Audience.INVITED:
        return orgs.filter(pk__in=activity.invited_orgs.values("pk")).first()
    return None


def activity_to_register(user: AnyUser, pk: int) -> tuple[Activity, Organization | None]:
    """The activity ``pk`` for the register-one and bulk pages, with the fixed employer.

    ``(activity, None)`` when ``user`` manages it (:func:`activity_for`); ``(activity,
    org)`` when ``user`` is an enterprise contact whose organisation ``org`` the audience
    admits (:func:`employer_admitted`) — they register their own employees only.

    Raises:
        Http404: neither.
    """
    managed = activities_managed_by(user).filter(pk=pk).first()
    if managed is not None:
        return managed, None
    activity = (
        Activity.objects.select_related("venue", "area", "organiser")
        .filter(pk=pk, status=ActivityStatus.PUBLISHED)
        .first()
    )
    employer = employer_admitted(user, activity) if activity is not None else None
    if activity is None or employer is None:
        raise Http404("没有找到这个活动，或您无权为它报名")
    return activity, employer


def registration_by_token(user: AnyUser, token: Any) -> Registration:
    """The registration with check-in ``token`` of an activity ``user`` manages, else 404."""
    registration = (
        Registration.objects.select_related("activity__venue", "resident", "organization")
        .filter(token=token, activity__in=activities_managed_by(user))
        .first()
    )
    if registration is None:
        raise Http404("没有找到这个签到码，或您无权为该活动签到")
    return registration


def registration_for(activity: Activity, pk: int) -> Registration:
    """Registration ``pk`` of ``activity`` (the caller already holds the activity), else 404."""
    registration = activity.registrations.filter(pk=pk).first()
    if registration is None:
        raise Http404("没有找到这条报名")
    return registration


def session_for(activity: Activity, pk: Any) -> Session:
    """Session ``pk`` of ``activity``, else 404."""
    session = activity.sessions.filter(pk=pk).first() if str(pk).isdigit() else None
    if session is None:
        raise Http404("没有找到这个场次")
    return session


# --- what one may choose when creating --------------------------------------------------------


def venues_for(user: AnyUser) -> QuerySet[Venue]:
    """Active venues ``user`` may hold an activity at.

    Staff: venues in (or containing, down to community) their areas. An enterprise
    contact: their organisation's own venues, and community venues (no organisation) of
    the community their organisation lies in.
    """
    scope = manager_scope(user)
    venues = Venue.objects.filter(active=True).select_related("area", "organization")
    venues = venues.prefetch_related("windows").order_by("area__path", "name")
    if scope.everything:
        return venues
    condition = Q(pk__in=[])
    if scope.paths:
        condition |= _area_q(scope, "area")
    if scope.orgs:
        condition |= Q(organization_id__in=scope.orgs)
        homes = Organization.objects.filter(pk__in=scope.orgs).values_list("area__path", flat=True)
        up = Area.objects.filter(
            path__in={a for path in homes for a in [path, *_ancestors(path)]},
            kind__in=REACH_UP_KINDS,
        ).values_list("path", flat=True)
        condition |= Q(organization__isnull=True, area__path__in=list(up))
    return venues.filter(condition)


_DAY_NAMES = "一二三四五六日"


def window_summary(venue: Venue) -> str:
    """The venue's weekly windows in words: ``每天 08:00–21:00``, ``周一至周五 18:00–21:00；
    周六 09:00–17:00``, or ``全天可用`` without windows (uses prefetched ``windows``)."""
    spans: dict[tuple[dt.time, dt.time], list[int]] = {}
    for window in venue.windows.all():
        spans.setdefault((window.start, window.end), []).append(window.weekday)
    if not spans:
        return "全天可用"
    parts = []
    for (start, end), days in sorted(spans.items(), key=lambda item: min(item[1])):
        parts.append(f"{_days_text(sorted(set(days)))} {start:%H:%M}–{end:%H:%M}")
    return "；".join(parts)


def _days_text(days: list[int]) -> str:
    if len(days) == 7:
        return "每天"
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"周{_DAY_NAMES[days[0]]}至周{_DAY_NAMES[days[-1]]}"
    return "、".join(f"周{_DAY_NAMES[d]}" for d in days)


def organisers_for(user: AnyUser) -> QuerySet[Organization]:
    """Organisations ``user`` may name as organiser: their own (enterprise contact), or for
    staff any organisation in their areas."""
    scope = manager_scope(user)
    orgs = Organization.objects.select_related("area").order_by("name")
    if scope.everything:
        return orgs
    condition = Q(pk__in=scope.orgs)
    if scope.paths:
        condition |= _area_q(scope, "area")
    return orgs.filter(condition)


def invitable_orgs(user: AnyUser) -> QuerySet[Organization]:
    """Organisations that may be invited: those in the user's areas, or for an enterprise
    contact those of their organisation's community."""
    scope = manager_scope(user)
    orgs = Organization.objects.order_by("name")
    if scope.everything:
        return orgs
    condition = _area_q(scope, "area") if scope.paths else Q(pk__in=[])
    for org in Organization.objects.filter(pk__in=scope.orgs).select_related("area"):
        community = community_of(org.area)
        condition |= Q(area__path__startswith=community.path)
    return orgs.filter(condition)


def community_of(area: Area) -> Area:
    """The community containing ``area`` (itself if it is one or lies above one)."""
    if area.kind == AreaKind.COMMUNITY:
        return area
    found = (
        Area.objects.filter(path__in=_ancestors(area.path), kind=AreaKind.COMMUNITY)
        .order_by("-path")
        .first()
    )
    return found or area


def need_for(user: AnyUser, pk: Any) -> Any:
    """The need ``pk`` (``linli.engagement.models.Need``) if ``user`` may see it, else None:
    staff see needs of their areas, an enterprise contact their organisation's needs."""
    from linli.engagement.models import Need

    if not str(pk).isdigit():
        return None
    scope = manager_scope(user)
    needs = Need.objects.filter(pk=int(pk)).select_related("organization", "area")
    if not scope.everything:
        condition = Q(organization_id__in=scope.orgs)
        if scope.paths:
            condition |= _area_q(scope, "area")
        needs = needs.filter(condition)
    return needs.first()


# --- the list ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ActivityRow:
    activity: Activity
    starts_at: dt.datetime | None
    confirmed: int
    waitlisted: int
    sessions: int

    @property
    def free(self) -> int:
        return max(self.activity.capacity - self.confirmed, 0)


#: List order: running first, then drafts, then closed/finished/cancelled.
_STATUS_ORDER: dict[str, int] = {
    ActivityStatus.PUBLISHED: 0,
    ActivityStatus.DRAFT: 1,
    ActivityStatus.CLOSED: 2,
    ActivityStatus.FINISHED: 3,
    ActivityStatus.CANCELLED: 4,
}


def activity_rows(user: AnyUser, *, status: str = "", past: bool = False) -> list[ActivityRow]:
    """The activities ``user`` manages with places taken, waitlist and first session.

    Upcoming activities (a session not yet ended) first, soonest first; ``past`` lists
    the others instead, latest first. ``status`` filters by :class:`ActivityStatus`.
    """
    now = timezone.now()
    activities = activities_managed_by(user).annotate(
        first_start=Min("sessions__starts_at", filter=Q(sessions__cancelled=False)),
        n_sessions=Count("sessions", filter=Q(sessions__cancelled=False), distinct=True),
        confirmed=Count(
            "registrations",
            filter=Q(registrations__status=RegistrationStatus.CONFIRMED),
            distinct=True,
        ),
        waitlisted=Count(
            "registrations",
            filter=Q(registrations__status=RegistrationStatus.WAITLISTED),
            distinct=True,
        ),
    )
    if status in ActivityStatus.values:
        activities = activities.filter(status=status)
    running = set(
        activities_managed_by(user)
        .filter(sessions__ends_at__gte=now, sessions__cancelled=False)
        .values_list("pk", flat=True)
    )
    rows = []
    for a in activities:
        start: dt.datetime | None = a.first_start  # type: ignore[attr-defined]
        upcoming = a.pk in running or start is None  # no session yet: a draft being built
        if upcoming != past:
            rows.append(ActivityRow(a, start, a.confirmed, a.waitlisted, a.n_sessions))  # type: ignore[attr-defined]
    far = timezone.make_aware(dt.datetime(9999, 1, 1))
    rows.sort(key=lambda r: (_STATUS_ORDER.get(r.activity.status, 9), r.starts_at or far))
    if past:
        rows.sort(key=lambda r: r.starts_at or far, reverse=True)
    return rows


# --- one activity --------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """A name as shown at the door: ``张*``, ``张*华``, ``欧阳**锋`` (first and last kept)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclasses.dataclass(frozen=True)
class RegistrationRow:
    registration: Registration
    position: int  # 1-based waitlist position; 0 when not waitlisted
    phone: str  # masked
    attended: int  # sessions checked in


def registration_rows(activity: Activity) -> list[RegistrationRow]:
    """Every registration of ``activity``: confirmed, then the waitlist in order, then
    cancelled; phones masked; waitlist positions computed in one pass."""
    registrations = list(
        activity.registrations.select_related("organization", "resident", "registered_by")
        .annotate(n_attended=Count("attendance"))
        .order_by("created_at", "pk")
    )
    order: dict[str, int] = {
        RegistrationStatus.CONFIRMED: 0,
        RegistrationStatus.WAITLISTED: 1,
        RegistrationStatus.CANCELLED: 2,
    }
    rows: list[RegistrationRow] = []
    position = 0
    for r in registrations:
        if r.status == RegistrationStatus.WAITLISTED:
            position += 1
        rows.append(
            RegistrationRow(
                r,
                position if r.status == RegistrationStatus.WAITLISTED else 0,
                mask_phone(contact_phone(r)),
                r.n_attended,  # type: ignore[attr-defined]
            )
        )
    rows.sort(key=lambda row: order.get(row.registration.status, 9))
    return rows


def contact_phone(registration: Registration) -> str:
    """The phone to reach a participant: their own, the guardian's, or the resident's."""
    if registration.phone:
        return registration.phone
    if registration.guardian_phone:
        return registration.guardian_phone
    if registration.resident is not None:
        return registration.resident.phone
    return ""


@dataclasses.dataclass(frozen=True)
class Counts:
    confirmed: int
    waitlisted: int
    cancelled: int


def registration_counts(activity: Activity) -> Counts:
    """How many registrations of ``activity`` are confirmed, waitlisted and cancelled."""
    by_status = dict(
        activity.registrations.values_list("status").annotate(n=Count("pk")).order_by()
    )
    return Counts(
        by_status.get(RegistrationStatus.CONFIRMED, 0),
        by_status.get(RegistrationStatus.WAITLISTED, 0),
        by_status.get(RegistrationStatus.CANCELLED, 0),
    )


@dataclasses.dataclass(frozen=True)
class Cell:
    session: Session
    attendance: Attendance | None  # None: not checked in


@dataclasses.dataclass(frozen=True)
class GridRow:
    registration: Registration
    cells: list[Cell]  # one per session, in session order

    @property
    def attended(self) -> int:
        return sum(1 for cell in self.cells if cell.attendance is not None)


@dataclasses.dataclass(frozen=True)
class Grid:
    sessions: list[Session]
    rows: list[GridRow]
    per_session: list[int]  # checked-in count per session


def attendance_grid(activity: Activity) -> Grid:
    """Confirmed registrations × live sessions with the attendance row (or None) in each
    cell. Two queries besides the sessions, whatever the size."""
    sessions = list(activity.sessions.filter(cancelled=False).order_by("starts_at", "pk"))
    registrations = list(
        activity.registrations.filter(status=RegistrationStatus.CONFIRMED).order_by("name", "pk")
    )
    marks = {
        (a.registration_id, a.session_id): a
        for a in Attendance.objects.filter(session__in=sessions).select_related("checked_in_by")
    }
    rows = [GridRow(r, [Cell(s, marks.get((r.pk, s.pk))) for s in sessions]) for r in registrations]
    per_session = [
        sum(1 for row in rows if row.cells[i].attendance is not None) for i in range(len(sessions))
    ]
    return Grid(sessions, rows, per_session)


@dataclasses.dataclass(frozen=True)
class DoorCount:
    checked_in: int
    registered: int


def door_count(activity: Activity, session: Session | None) -> DoorCount:
    """已签到 n / 报名 m for ``session`` (n = 0 without a session)."""
    registered = activity.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    checked = Attendance.objects.filter(session=session).count() if session is not None else 0
    return DoorCount(checked, registered)


def door_session(activity: Activity, chosen: Any = None) -> Session | None:
    """The session the door page works on: ``chosen`` (a pk) if given and valid, else the
    one open for check-in now, else the next one to come, else the last one."""
    sessions = activity.sessions.filter(cancelled=False)
    if chosen and str(chosen).isdigit():
        found = sessions.filter(pk=int(chosen)).first()
        if found is not None:
            return found
    now = timezone.now()
    return (
        current_session(activity, now)
        or sessions.filter(starts_at__gte=now).order_by("starts_at").first()
        or sessions.order_by("-starts_at").first()
    )


@dataclasses.dataclass(frozen=True)
class DoorMatch:
    registration: Registration
    masked_name: str
    phone_tail: str
    attendance: Attendance | None


def checkin_opens_next(activity: Activity, now: dt.datetime | None = None) -> dt.datetime | None:
    """When check-in opens for the next session not yet begun (its start minus
    ``CHECKIN_EARLY``, UTC), or ``None`` when no session lies ahead."""
    now = now or timezone.now()
    upcoming = (
        activity.sessions.filter(cancelled=False, starts_at__gt=now).order_by("starts_at").first()
    )
    return upcoming.starts_at - CHECKIN_EARLY if upcoming is not None else None


def door_matches(activity: Activity, session: Session | None, text: str) -> list[DoorMatch]:
    """Confirmed registrations matching the last 4 digits of a phone, or part of a name."""
    term = "".join(text.split())
    if not term:
        return []
    registrations = activity.registrations.filter(status=RegistrationStatus.CONFIRMED)
    if term.isdigit():
        if len(term) != 4:
            return []
        registrations = registrations.filter(
            Q(phone__endswith=term)
            | Q(guardian_phone__endswith=term)
            | Q(phone="", guardian_phone="", resident__phone__endswith=term)
        )
    else:
        registrations = registrations.filter(name__contains=term)
    found = list(registrations.select_related("resident").order_by("name", "pk")[:SEARCH_LIMIT])
    marks = {}
    if session is not None:
        marks = {
            a.registration_id: a
            for a in Attendance.objects.filter(session=session, registration__in=found)
        }
    return [DoorMatch(r, mask_name(r.name), contact_phone(r)[-4:], marks.get(r.pk)) for r in found]


# --- registering others -----------------------------------------------------------------------


def residents_for_pick(user: AnyUser, text: str) -> list[Resident]:
    """Residents a staff user may register (their areas) matching a full mobile number or
    part of a name; nobody for enterprise contacts (no registry access, PIPL art. 6)."""
    scope = manager_scope(user)
    if not scope.is_staff_side:
        return []
    term = "".join(text.split())
    if not term:
        return []
    residents = Resident.objects.select_related("household__building", "employer")
    paths = area_paths(user)
    if paths is not None:
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(area__path__startswith=path)
        residents = residents.filter(condition)
    if term.isdigit():
        return list(residents.filter(phone=term).order_by("name", "pk")[:SEARCH_LIMIT])
    return list(residents.filter(name__contains=term).order_by("name", "pk")[:SEARCH_LIMIT])


def resident_pickable(user: AnyUser, pk: Any) -> Resident | None:
    """Resident ``pk`` if ``user`` may register them (staff, in their areas), else None."""
    if not str(pk).isdigit() or not manager_scope(user).is_staff_side:
        return None
    paths = area_paths(user)
    residents = Resident.objects.filter(pk=int(pk))
    if paths is not None:
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(area__path__startswith=path)
        residents = residents.filter(condition)
    return residents.first()


@dataclasses.dataclass(frozen=True)
class BulkLine:
    """One pasted or uploaded line after checking: ``problem`` empty means it will be
    registered; ``waitlisted`` says it will go on the waitlist."""

    number: int  # 1-based line number in the paste/upload
    raw: str
    participant: Participant | None
    problem: str = ""
    waitlisted: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem


def bulk_check(activity: Activity, parsed: Sequence[tuple[int, str, Any]]) -> list[BulkLine]:
    """Check parsed lines ``(number, raw, Participant or a Chinese parse error)`` against
    the activity without writing: duplicates in the batch or already registered, audience
    and age band, and where capacity ends (later lines go on the waitlist, past the
    waitlist limit they are refused)."""
    on = first_day(activity)
    taken = set(
        activity.registrations.filter(status__in=LIVE_STATUSES).values_list("person_key", flat=True)
    )
    counts = registration_counts(activity)
    free = max(activity.capacity - counts.confirmed, 0)
    wait_free = max(activity.waitlist_limit - counts.waitlisted, 0)
    seen: dict[str, int] = {}
    out: list[BulkLine] = []
    for number, raw, item in parsed:
        if not isinstance(item, Participant):
            out.append(BulkLine(number, raw, None, str(item)))
            continue
        key = person_key(item)
        problem = ""
        if key in seen:
            problem = f"与第 {seen[key]} 行重复"
        elif key in taken:
            problem = f"{item.display_name} 已报名，不能重复报名"
        else:
            problem = audience_problem(activity, item, on) or ""
        seen.setdefault(key, number)
        waitlisted = False
        if not problem:
            if free > 0:
                free -= 1
            elif wait_free > 0:
                wait_free -= 1
                waitlisted = True
            else:
                problem = "名额和候补都已满"
        out.append(BulkLine(number, raw, item, problem, waitlisted))
    return out


def org_names(orgs: Iterable[Organization]) -> str:
    """``、``-joined organisation names (for messages)."""
    return "、".join(o.name for o in orgs)
