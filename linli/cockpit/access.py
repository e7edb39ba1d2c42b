"""Who may open the cockpit, and which areas they may pick on it.

Rules (DESIGN.md "Scoping", issue #9 "The cockpit"):

* The cockpit is an operations screen for street and community staff: users who may browse
  the resident registry (:func:`linli.people.scoping.can_view_registry` — street/community
  admins, grid workers, police …); a superuser may open it for every area.
* Anonymous visitors are sent to the login page; a logged-in user without a registry role
  (a caregiver, an enterprise contact) gets HTTP 403 with a Chinese message.
* The areas a user may pick are the streets, communities, grids and micro-grids under the
  areas of their **registry-role** assignments only (:data:`~linli.people.scoping.REGISTRY_ROLES`,
  :func:`registry_paths`): someone who is police in one community and a volunteer or provider
  staff over the whole street covers the community, not the street. Any other code is a 404
  (:func:`area_for`), so the cockpit never confirms that an area outside the scope exists.
* Care alerts and service orders keep their own apps' rules: alerts need
  :func:`linli.care.views.may_use_care`, orders :func:`linli.orders.views_staff.may_handle_orders`
  (police hold neither; the emergency team holds the care right only). Without the right the
  panel reads 「无权查看」, the drill is a 404 and the map layer is empty and not offered; with
  it, rows are limited to the areas where the user holds a role of that app
  (:func:`care_paths`, :func:`order_paths`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from linli.care.views import may_use_care
from linli.cockpit.layers import Sight
from linli.orders.views_staff import ORDER_ROLES, may_handle_orders
from linli.people.models import SENSITIVE_ROLES
from linli.people.scoping import REGISTRY_ROLES, AnyUser, can_view_registry, under_paths
from linli.people.scoping import _cache as assignments_of
from linli.places.models import Area, AreaKind

#: The levels the cockpit works at, top down.
COCKPIT_KINDS: tuple[str, ...] = (
    AreaKind.STREET,
    AreaKind.COMMUNITY,
    AreaKind.GRID,
    AreaKind.MICRO_GRID,
)

#: Shown with the 403 when a logged-in user may not open the cockpit.
FORBIDDEN_MESSAGE = "驾驶舱仅对街道、社区工作人员开放（需要辖区居民信息查看权限）。"


def may_open_cockpit(user: AnyUser) -> bool:
    """Whether ``user`` may open the cockpit at all (registry roles; superusers)."""
    return can_view_registry(user)


M = TypeVar("M", bound=Model)

#: Path prefixes a user may see: ``None`` everything (superuser), ``[]`` nothing.
Paths = list[str] | None


def _role_paths(user: AnyUser, allowed: Collection[str]) -> list[str]:
    """Area paths of the user's assignments whose role is in ``allowed``, without the paths
    already covered by a shorter one. The ``(area path, role)`` pairs are the ones
    :mod:`linli.people.scoping` reads once per user object for its role checks (no extra
    query)."""
    rows = assignments_of(user)
    kept: list[str] = []
    for path in sorted({path for path, role in rows if role in allowed}):
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return kept


def _paths_if(user: AnyUser, right: bool, allowed: Collection[str]) -> Paths:
    if not right or not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_superuser", False):
        return None
    return _role_paths(user, allowed)


def registry_paths(user: AnyUser) -> Paths:
    """The cockpit's scope: paths of the user's assignments in
    :data:`~linli.people.scoping.REGISTRY_ROLES` (``None`` for a superuser, ``[]`` for
    anyone who may not open the cockpit). Other assignments (volunteer, provider staff …)
    never widen it."""
    return _paths_if(user, may_open_cockpit(user), REGISTRY_ROLES)


def care_paths(user: AnyUser) -> Paths:
    """Where the user may see care alerts on the cockpit: ``[]`` without
    :func:`~linli.care.views.may_use_care`, else the paths of their assignments in
    :data:`~linli.people.models.SENSITIVE_ROLES` (the care app's roles)."""
    return _paths_if(user, may_use_care(user), SENSITIVE_ROLES)


def order_paths(user: AnyUser) -> Paths:
    """Where the user may see service orders on the cockpit: ``[]`` without
    :func:`~linli.orders.views_staff.may_handle_orders`, else the paths of their
    assignments in :data:`~linli.orders.views_staff.ORDER_ROLES`."""
    return _paths_if(user, may_handle_orders(user), ORDER_ROLES)


def may_see_alerts(user: AnyUser) -> bool:
    """The care app's own check (:func:`linli.care.views.may_use_care`)."""
    return may_use_care(user)


def may_see_orders(user: AnyUser) -> bool:
    """The orders app's own check (:func:`linli.orders.views_staff.may_handle_orders`)."""
    return may_handle_orders(user)


def sight_for(user: AnyUser) -> Sight:
    """What the user may see of the map's guarded layers (:class:`~linli.cockpit.layers.Sight`):
    care alerts under :func:`care_paths`, orders and their workers under :func:`order_paths`."""
    return Sight(alerts=care_paths(user), orders=order_paths(user))


def within(queryset: QuerySet[M], paths: Paths, *, area_field: str = "area") -> QuerySet[M]:
    """``queryset`` limited to rows whose ``area_field`` lies under ``paths``
    (``None``: unchanged; ``[]``: none). ``area_field=""`` when the model is ``Area``."""
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(under_paths(paths, area_field=area_field))


def cockpit_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator: login required, then :func:`may_open_cockpit`.

    Anonymous → redirect to the login page; no cockpit right → ``PermissionDenied``
    (HTTP 403) with :data:`FORBIDDEN_MESSAGE`.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_open_cockpit(request.user):
            raise PermissionDenied(FORBIDDEN_MESSAGE)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def areas_for(user: AnyUser) -> QuerySet[Area]:
    """The streets, communities, grids and micro-grids ``user`` covers, in path order.

    "Covers" means the area lies under (or is) the area of one of the user's assignments
    with a registry role (:func:`registry_paths`); a superuser covers every area; a user
    who may not open the cockpit covers none.
    """
    queryset = Area.objects.filter(kind__in=COCKPIT_KINDS).order_by("path")
    return within(queryset, registry_paths(user), area_field="")


def area_for(user: AnyUser, code: str | None) -> Area:
    """The area ``code`` if ``user`` covers it; with no code, the user's top area.

    Args:
        code: an area code (digits, 9–17 long: street to micro-grid), or ``None``/``""``
            for the default — the first area the user covers in path order (their top area).

    Raises:
        Http404: the code is malformed, unknown, not a street/community/grid/micro-grid,
            or outside the user's areas (one message for all, so nothing leaks); or the
            user covers no area at all.
    """
    queryset = areas_for(user)
    code = (code or "").strip()
    if not code:
        # Path order puts an area before everything under it, so the first is a top area.
        area = queryset.first()
        if area is None:
            raise Http404("您的账号没有可查看的辖区，请联系街道管理员分配辖区。")
        return area
    if not code.isdigit() or not 9 <= len(code) <= 17:
        raise Http404(f"区域代码「{code[:20]}」无效：应为 9–17 位数字。")
    try:
        return queryset.get(code=code)
    except Area.DoesNotExist:
        raise Http404(f"没有找到区域「{code}」，或不在您的辖区内。") from None
