"""Who sees what: every read is limited to the areas of the acting user's assignments.

Rules (DESIGN.md "Scoping"):
* superusers see everything;
* a staff user sees rows whose area path starts with the path of any area they are
  assigned to (a street admin sees the whole street, a micro-grid worker one micro-grid);
* anyone else, including anonymous visitors and users with no assignment, sees nothing.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, Q, QuerySet

from linli.people.models import PII_ROLES, SENSITIVE_ROLES, Assignment, Role
from linli.places.models import Area

M = TypeVar("M", bound=Model)
AnyUser = User | AnonymousUser


def _cache(user: AnyUser) -> list[tuple[str, str]]:
    cached: list[tuple[str, str]] | None = getattr(user, "_linli_assignments", None)
    if cached is None:
        cached = list(
            Assignment.objects.filter(user_id=user.pk or 0).values_list("area__path", "role")
        )
        user._linli_assignments = cached  # type: ignore[union-attr]
    return cached


def area_paths(user: AnyUser) -> list[str] | None:
    """Path prefixes the user may see; ``None`` means everything (superuser).

    An anonymous or inactive user gets ``[]``.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_superuser", False):
        return None
    paths = sorted({path for path, _ in _cache(user)})
    # Drop paths already covered by a shorter one so the OR stays short.
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return kept


#: Roles whose work needs the resident registry of their areas. The others — service
#: providers' staff (caregivers), property staff, enterprise contacts, social-enterprise
#: staff, volunteers — see only what their own work brings them (orders, cases they take
#: part in), never the list of who lives where (PIPL art. 6: the minimum necessary).
REGISTRY_ROLES = SENSITIVE_ROLES | {Role.POLICE}


def can_view_registry(user: AnyUser) -> bool:
    """May browse residents (the home tree with counts, resident lists, the resident API)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(roles(user) & REGISTRY_ROLES)


def roles(user: AnyUser) -> set[str]:
    """The user's roles across all their areas."""
    if not user.is_authenticated:
        return set()
    return {role for _, role in _cache(user)}


def scope(queryset: QuerySet[M], user: AnyUser, *, area_field: str = "area") -> QuerySet[M]:
    """``queryset`` limited to rows whose ``area_field`` lies under the user's areas.

    Args:
        area_field: lookup path from the model to an ``Area`` (e.g. ``"micro_grid"``,
            ``"building__micro_grid"``, or ``""`` when the model *is* ``Area``).
    """
    paths = area_paths(user)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(under_paths(paths, area_field=area_field))


def under_paths(paths: list[str], *, area_field: str = "area") -> Q:
    """Rows whose ``area_field`` lies under any of ``paths`` (matches nothing when empty)."""
    lookup = f"{area_field}__path__startswith" if area_field else "path__startswith"
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{lookup: path})
    return condition


def can_view_pii(user: AnyUser) -> bool:
    """May see unmasked identity numbers and phones (each view is still logged)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or user.has_perm("people.view_pii"):
        return True
    return bool(roles(user) & PII_ROLES)


def can_view_sensitive(user: AnyUser) -> bool:
    """May see disability, dibao, tekun and minors' tags (PIPL art. 28 sensitive data)."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or user.has_perm("people.view_sensitive"):
        return True
    return bool(roles(user) & SENSITIVE_ROLES)


def covers(user: AnyUser, area: Area) -> bool:
    """Whether ``area`` lies under one of the user's areas (a superuser covers all)."""
    paths = area_paths(user)
    if paths is None:
        return True
    return any(area.path.startswith(path) for path in paths)
