"""Reads of deliberation, always scoped: staff see their areas' communities, residents their
own community, the public board one community's public decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from linli.accounts.selectors import account_of
from linli.engagement.selectors import community_of
from linli.governance.models import (
    Decision,
    FollowUp,
    FollowUpStatus,
    FollowUpUpdate,
    Meeting,
    Topic,
    TopicStatus,
    TopicSupport,
)
from linli.people.models import Assignment, Role
from linli.people.scoping import area_paths, scope, under_paths
from linli.places.models import Area, AreaKind

AnyUser = User | AnonymousUser

#: Statuses shown to residents and the public as "on the way" (not yet decided).
ON_THE_WAY = (TopicStatus.OPEN, TopicStatus.QUALIFIED, TopicStatus.SCHEDULED)

ROLE_TITLES: dict[str, tuple[str, str]] = {
    Role.STREET_ADMIN: ("街道办事处", "主任"),
    Role.COMMUNITY_ADMIN: ("社区居委会", "主任"),
    Role.GRID_LEADER: ("社区居委会", "网格长"),
}


def topics_for_staff(
    user: AnyUser, *, status: str = "", category: str = "", q: str = ""
) -> QuerySet[Topic]:
    """Topics of communities under ``user``'s areas or above them (a micro-grid worker sees
    their community's topics), newest first, filtered by ``status``, ``category`` and a
    text ``q`` (number or title)."""
    rows = Topic.objects.select_related("area", "raised_for", "meeting")
    paths = area_paths(user)
    if paths is not None:
        communities = communities_for_staff(user)
        rows = rows.filter(area__in=communities)
    if status:
        rows = rows.filter(status=status)
    if category:
        rows = rows.filter(category=category)
    if q.strip():
        rows = rows.filter(Q(title__icontains=q.strip()) | Q(number__icontains=q.strip()))
    return rows


def communities_for_staff(user: AnyUser) -> list[Area]:
    """Communities ``user`` works in: on, below or above their assigned areas."""
    paths = area_paths(user)
    rows = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("code")
    if paths is None:
        return list(rows)
    if not paths:
        return []
    above = Q(pk__in=[])
    for path in paths:
        parts = [p for p in path.split("/") if p]
        above |= Q(path__in=["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))])
    return list(rows.filter(under_paths(paths, area_field="") | above))


def status_counts(rows: QuerySet[Topic]) -> dict[str, int]:
    """``{status: count}`` over ``rows`` for every :class:`TopicStatus` (zeros included)."""
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    return {value: counts.get(value, 0) for value in TopicStatus.values}


def community_of_account(user: AnyUser) -> Area | None:
    """The community a resident account's resident lives in (``None`` for others)."""
    account = account_of(user)
    if account is None:
        return None
    return community_of(account.resident.area)


def topics_for_resident(user: AnyUser) -> QuerySet[Topic]:
    """The topics of the resident account's community (all statuses), newest first."""
    community = community_of_account(user)
    if community is None:
        return Topic.objects.none()
    return Topic.objects.filter(area=community).select_related("meeting")


def supported_by(user: AnyUser, topic: Topic) -> bool:
    """Whether the account's own resident has supported ``topic``."""
    account = account_of(user)
    return bool(
        account
        and TopicSupport.objects.filter(topic=topic, resident_id=account.resident_id).exists()
    )


def supports_of(topic: Topic) -> QuerySet[TopicSupport]:
    return topic.supports.select_related("resident", "recorded_by").order_by("created_at", "pk")


def masked_name(name: str) -> str:
    """王** for 王小明: the surname and a star per other character (at least one)."""
    name = (name or "").strip()
    if not name:
        return "**"
    return name[0] + "*" * max(len(name) - 1, 1)


def meetings_for_staff(user: AnyUser) -> QuerySet[Meeting]:
    return scope(Meeting.objects.select_related("area", "venue"), user)


def owner_words(user: User, community: Area) -> str:
    """A decision owner for the public: role and surname only (社区居委会 王主任)."""
    surname = (user.last_name or user.first_name or "").strip()[:1]
    assignments = Assignment.objects.filter(user=user).select_related("area")
    for assignment in assignments.order_by("pk"):
        if assignment.role in ROLE_TITLES and community.path.startswith(assignment.area.path):
            unit, title = ROLE_TITLES[assignment.role]
            return f"{unit} {surname}{title}" if surname else f"{unit}{title}"
    return f"社区工作人员 {surname}（工作人员）" if surname else "社区工作人员"


def _latest_updates() -> Prefetch[Any]:
    return Prefetch("updates", queryset=FollowUpUpdate.objects.order_by("-at", "-pk"))


def public_decisions(community: Area) -> list[Decision]:
    """Public decisions of ``community``'s held meetings, newest meeting first, with owners,
    owner organisations and follow-ups (each with ``updates`` newest first)."""
    follow_ups = FollowUp.objects.select_related("owner_org").prefetch_related(_latest_updates())
    return list(
        Decision.objects.filter(meeting__area=community, public=True)
        .select_related("meeting", "topic")
        .prefetch_related("owners", "owner_orgs", Prefetch("follow_ups", queryset=follow_ups))
        .order_by("-meeting__starts_at", "pk")
    )


def overdue_follow_ups(user: AnyUser, today: dt.date | None = None) -> QuerySet[FollowUp]:
    """Follow-ups not done whose ``due`` date is before ``today`` (local), in communities
    ``user`` works in, most overdue first."""
    today = today or timezone.localdate()
    communities = communities_for_staff(user)
    return (
        FollowUp.objects.filter(decision__meeting__area__in=communities, due__lt=today)
        .exclude(status=FollowUpStatus.DONE)
        .select_related("decision__meeting__area", "decision__topic", "owner", "owner_org")
        .order_by("due", "pk")
    )
