"""Reads for the roster pages, limited to the acting user's communities."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from linli.people.models import RosterImport
from linli.people.scoping import AnyUser, area_paths, can_view_pii
from linli.places.models import Area, AreaKind

#: Length of ``/city/district/street/community/`` in a path: a community path has 4 codes.
_COMMUNITY_DEPTH = 4


def roster_communities(user: AnyUser) -> QuerySet[Area]:
    """Communities the user may import into: any community under one of their areas, or
    containing one of them (a micro-grid worker's community). Superusers: all.
    """
    communities = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path")
    paths = area_paths(user)
    if paths is None:
        return communities
    if not paths:
        return communities.none()
    condition = Q()
    for path in paths:
        codes = path.strip("/").split("/")
        if len(codes) > _COMMUNITY_DEPTH:
            condition |= Q(path="/" + "/".join(codes[:_COMMUNITY_DEPTH]) + "/")
        else:
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
