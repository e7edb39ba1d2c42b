"""Who may work for a social enterprise.

* **Staff of the enterprise** — a ``social_enterprise_staff`` assignment whose organisation
  is the enterprise's: the counter, menus, samples, market sales, stock (:func:`may_operate`).
* **Community and street administrators** over the enterprise's community: everything the
  staff may, plus the company record, claims, the year-end close and the welfare fund
  (:func:`may_manage`), since the community holds shares and supervises the allocation.

A superuser may do everything. Anyone else gets 404 on the enterprise's pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from linli.economy.models import Canteen, SocialEnterprise
from linli.people.models import Assignment, Role

MANAGE_ROLES: set[str] = {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}


def _assignments(user: Any) -> list[tuple[str, str, int | None]]:
    cached = getattr(user, "_economy_assignments", None)
    if cached is None:
        cached = list(
            Assignment.objects.filter(user=user).values_list(
                "area__path", "role", "organization_id"
            )
        )
        user._economy_assignments = cached
    return cached


def may_manage(user: Any, enterprise: SocialEnterprise) -> bool:
    """Edits the company record, makes subsidy claims, closes years, spends the fund."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    path = enterprise.community.path
    return any(
        role in MANAGE_ROLES and path.startswith(area_path)
        for area_path, role, _ in _assignments(user)
    )


def may_operate(user: Any, enterprise: SocialEnterprise) -> bool:
    """Works the canteen counter, menus, samples, market and stock: the enterprise's own
    staff, or anyone who :func:`may_manage`."""
    if may_manage(user, enterprise):
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    return any(
        role == Role.SOCIAL_ENTERPRISE_STAFF and org_id == enterprise.organization_id
        for _, role, org_id in _assignments(user)
    )


def enterprises_for(user: Any) -> QuerySet[SocialEnterprise]:
    """The enterprises ``user`` may operate, by name."""
    queryset = SocialEnterprise.objects.select_related("organization", "community").order_by(
        "organization__name"
    )
    if user.is_superuser:
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    wanted = [e.pk for e in queryset if may_operate(user, e)]
    return queryset.filter(pk__in=wanted)


def canteen_for(request: Any, pk: int) -> Canteen:
    """The canteen ``pk`` with its enterprise, community and organisation, for a user who
    :func:`may_operate` its enterprise.

    Raises:
        Http404: no such canteen, or the user may not operate it (its existence is not
            revealed).
    """
    canteen = (
        Canteen.objects.select_related("enterprise__community", "enterprise__organization")
        .filter(pk=pk)
        .first()
    )
    if canteen is None or not may_operate(request.user, canteen.enterprise):
        raise Http404("没有找到这个食堂")
    return canteen
