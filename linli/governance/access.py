"""Who may do what in deliberation and voting.

* Residents (resident accounts) raise topics and support them for themselves; they vote
  for themselves (or, in a household vote, for their household).
* Grid workers and every registry role over the community (:data:`RAISE_ROLES`) raise
  topics on residents' behalf and record in-person supports.
* Community and street administrators and grid leaders (:data:`MANAGE_ROLES`) run
  meetings, record decisions and follow-ups, create votes, enter paper ballots and count.
"""

from __future__ import annotations

from typing import Any

from linli.people.models import Assignment, Role
from linli.people.scoping import REGISTRY_ROLES
from linli.places.models import Area

MANAGE_ROLES: set[str] = {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.GRID_LEADER}
RAISE_ROLES: set[str] = set(REGISTRY_ROLES) | MANAGE_ROLES


def _holds(user: Any, area: Area, wanted: set[str], *, below: bool = False) -> bool:
    """Whether ``user`` holds a ``wanted`` role on ``area`` or an area above it (and, with
    ``below``, on an area under it); a superuser always does."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    for path, role in Assignment.objects.filter(user=user).values_list("area__path", "role"):
        if role not in wanted:
            continue
        if area.path.startswith(path) or (below and path.startswith(area.path)):
            return True
    return False


def may_manage(user: Any, area: Area) -> bool:
    """Runs meetings, decisions, votes and paper ballots in ``area`` (a community): a
    :data:`MANAGE_ROLES` assignment on the community or above it (street)."""
    return _holds(user, area, MANAGE_ROLES)


def may_raise_for_others(user: Any, community: Area) -> bool:
    """Raises topics for residents and records in-person supports in ``community``: a
    :data:`RAISE_ROLES` assignment on the community, above it (street) or under it (a grid
    or micro-grid worker of that community). Also who may own a decision or follow-up."""
    return _holds(user, community, RAISE_ROLES, below=True)
