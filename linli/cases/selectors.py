"""Reads of cases, always scoped to the acting user.

A user sees a case when it lies under one of their assigned areas, or when they take part
in it (a police officer or property-company employee added as a participant sees that case
even outside their areas), when they handle it or reported it, or when an organisation they
work for (``Assignment.organization``) takes part in or handles it.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from linli.cases.models import Case
from linli.people.models import Assignment
from linli.people.scoping import area_paths


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """All cases the user may see (none for anonymous or inactive users)."""
    queryset = Case.objects.select_related("category", "area")
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    paths = area_paths(user)
    if paths is None:
        return queryset
    orgs = Assignment.objects.filter(user=user, organization__isnull=False).values(
        "organization_id"
    )
    condition = (
        Q(participants__user=user)
        | Q(reporter=user)
        | Q(handler=user)
        | Q(participants__organization__in=orgs)
        | Q(handler_org__in=orgs)
    )
    for path in paths:
        condition |= Q(area__path__startswith=path)
    ids = Case.objects.filter(condition).values("pk")
    return queryset.filter(pk__in=ids)
