"""Reads of cases, always scoped to the acting user.

A user sees a case when it lies under one of their assigned areas, or when they take part
in it (a police officer or property-company employee added as a participant sees that case
even outside their areas), when they handle it or reported it, or when an organisation they
work for (``Assignment.organization``) takes part in or handles it.

What a user *sees* is wider than what is *theirs to work on*: :func:`cases_worklist` is the
"my cases" list — the whole area only for those whose role works the area's cases
(coordinators and grid staff, :mod:`linli.cases.permissions`), otherwise just the cases
the user or their organisation is involved in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from linli.cases.models import Case
from linli.cases.permissions import COORDINATOR_ROLES, GRID_STAFF_ROLES, INVOLVED_ONLY_ROLES
from linli.people.models import Assignment
from linli.people.scoping import under_paths

#: Roles whose "my cases" list is every case of their areas (they register, dispatch,
#: verify or patrol there); other roles (property, provider, police…) see their own cases.
AREA_WORK_ROLES = COORDINATOR_ROLES | GRID_STAFF_ROLES


def _organizations(user: User) -> QuerySet[Assignment, Any]:
    """Subquery: ids of the organisations the user works for (by assignment)."""
    return Assignment.objects.filter(user=user, organization__isnull=False).values(
        "organization_id"
    )


def dispatched_to(user: User) -> Q:
    """Cases dispatched to the user or to an organisation they work for."""
    return Q(handler=user) | Q(handler_org__in=_organizations(user))


def _involved(user: User) -> Q:
    """Cases the user takes part in, handles or reported — in person or by organisation."""
    orgs = _organizations(user)
    return (
        Q(participants__user=user)
        | Q(reporter=user)
        | Q(participants__organization__in=orgs)
        | dispatched_to(user)
    )


def _with_paths(user: User, condition: Q, paths: list[str]) -> QuerySet[Case]:
    ids = Case.objects.filter(condition | under_paths(paths)).values("pk")
    return Case.objects.select_related("category", "area").filter(pk__in=ids)


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """All cases the user may see (none for anonymous or inactive users): every case under
    the areas of their assignments — except assignments in :data:`INVOLVED_ONLY_ROLES`,
    which show only the cases that involve the user — plus those involving them."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.select_related("category", "area")
    paths = sorted(
        set(
            Assignment.objects.filter(user=user)
            .exclude(role__in=INVOLVED_ONLY_ROLES)
            .values_list("area__path", flat=True)
        )
    )
    return _with_paths(user, _involved(user), paths)


def cases_worklist(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases of the user's "my cases" page (any state; the page filters open ones).

    * every case under an area where the user holds a role of :data:`AREA_WORK_ROLES`;
    * plus, anywhere, the cases dispatched to the user or their organisation, those they
      or their organisation take part in, and those they reported.

    A superuser gets every case; anonymous and inactive users none. Always a subset of
    :func:`cases_visible_to`.
    """
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.select_related("category", "area")
    paths = sorted(
        set(
            Assignment.objects.filter(user=user, role__in=AREA_WORK_ROLES).values_list(
                "area__path", flat=True
            )
        )
    )
    return _with_paths(user, _involved(user), paths)


def actor_descriptions(case: Case, user_ids: Iterable[int]) -> dict[int, str]:
    """What each acting user is on this case, for the timeline: "调度员", "物业人员 ·
    金凤苑物业", "民警（参与方）"… (user id → text; users with nothing known are absent).

    From the users' :class:`Assignment` roles over the case's area (the area or an
    ancestor) and the organisations of their assignments; failing a role there, their
    participant role on the case. Current assignments, not those at the event's time.
    Two queries whatever the number of events.
    """
    from linli.cases.models import CaseParticipant
    from linli.people.models import Role

    ids = set(user_ids)
    roles: dict[int, list[str]] = defaultdict(list)
    units: dict[int, list[str]] = defaultdict(list)
    rows = Assignment.objects.filter(user_id__in=ids).select_related("area", "organization")
    for row in rows.order_by("area__path", "role"):
        if case.area.path.startswith(row.area.path):
            roles[row.user_id].append(Role(row.role).label)
        if row.organization is not None:
            units[row.user_id].append(row.organization.name)
    taking_part = CaseParticipant.objects.filter(case=case, user_id__in=ids).order_by("pk")
    for participant in taking_part:
        if participant.user_id is not None and not roles[participant.user_id]:
            roles[participant.user_id].append(f"{participant.get_role_display()}（参与方）")
    described = {}
    for user_id in ids:
        parts = list(dict.fromkeys(roles[user_id])) + list(dict.fromkeys(units[user_id]))
        if parts:
            described[user_id] = " · ".join(parts)
    return described
