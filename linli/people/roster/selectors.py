"""Reads for the roster pages, limited to the acting user's communities."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from linli.people.models import Assignment, Role, RosterImport
from linli.people.scoping import AnyUser, can_view_pii
from linli.places.models import Area, AreaKind

#: Codes in a community's path: /city/district/street/community/.
_COMMUNITY_DEPTH = 4

#: Roles that keep the population registry (residents' committee staff and grid workers);
#: volunteers, police, property or provider staff do not import ledgers.
ROSTER_ROLES = {
    Role.STREET_ADMIN,
    Role.COMMUNITY_ADMIN,
    Role.GRID_LEADER,
    Role.GRID_WORKER,
    Role.MICRO_GRID_WORKER,
}


def roster_communities(user: AnyUser) -> QuerySet[Area]:
    """Communities the user may import into.

    Superusers: all. Other active staff users (``is_staff``): every community at or under
    an area they hold a :data:`ROSTER_ROLES` assignment for. A ledger covers a whole
    community, so grid and micro-grid workers (assigned below the community) cannot import
    one: they would create or change residents outside their own grid. Anyone else: none.
    """
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
    if not user.is_authenticated or not user.is_active:
        return communities.none()
    if getattr(user, "is_superuser", False):
        return communities
    if not getattr(user, "is_staff", False):
        return communities.none()
    paths = Assignment.objects.filter(user_id=user.pk, role__in=ROSTER_ROLES).values_list(
        "area__path", flat=True
    )
    condition = Q(pk__in=[])
    for path in paths:
        if len(path.strip("/").split("/")) <= _COMMUNITY_DEPTH:
            condition |= Q(path__startswith=path)
    return communities.filter(condition)


def roster_uploads(user: AnyUser) -> QuerySet[RosterImport]:
    """Uploads into the user's communities, newest first.

    Rejected rows and error reports show identity numbers as written, so staff without
    the PII right see only their own uploads.
    """
    uploads = RosterImport.objects.filter(community__in=roster_communities(user))
    if not can_view_pii(user):
        uploads = uploads.filter(created_by_id=user.pk)
    return uploads.select_related("community", "created_by")
