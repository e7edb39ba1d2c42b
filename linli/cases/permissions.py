"""Who may do what to a case — the one place the transition services ask.

Actors (``area staff`` = a user whose :class:`~linli.people.models.Assignment` area is the
case's area or one of its ancestors; roles from :class:`~linli.people.models.Role`):

* **coordinators** — area staff with role street_admin, community_admin, dispatcher or
  grid_leader;
* **grid staff** — area staff with role grid_worker or micro_grid_worker;
* **area staff** — any role over the area (includes police, property staff… assigned there)
  except :data:`INVOLVED_ONLY_ROLES` (provider staff, enterprise contacts, social-enterprise
  staff, volunteers), who act only as handler side, participant or reporter;
* **handler side** — the dispatched ``handler`` user, or any user whose assignment names
  the ``handler_org`` as their organisation;
* **participant** — a :class:`~linli.cases.models.CaseParticipant` with this user account,
  or whose organisation is one of the user's assignment organisations;
* **reporter** — ``case.reporter``.

A superuser may do everything. The matrix (action → who):

=====================  ==============================================================
register, reject,       coordinators
dispatch, close,
suspend, resume,
merge, reopen
verify (pass / fail)    coordinators, grid staff (核查 by the supervising grid workers)
accept, return, handle  handler side
pause / unpause clock   handler side, coordinators
add participant         coordinators, grid staff, handler side
note, witnessed action  area staff, handler side, participants
rate                    the reporter, area staff (recording a resident's rating)
=====================  ==============================================================

Reporting a case needs only an authenticated account (or an Open311 key); it is not
checked here.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from linli.cases.models import Case
from linli.people.models import Assignment, Role

AnyUser = User | AnonymousUser

COORDINATOR_ROLES = frozenset(
    {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.DISPATCHER, Role.GRID_LEADER}
)
GRID_STAFF_ROLES = frozenset({Role.GRID_WORKER, Role.MICRO_GRID_WORKER})
#: Roles that see a case only when it involves them (dispatched to them or their
#: organisation, a participant, the reporter) — never every case of their area: residents'
#: complaints name people, and a caregiver must not read the complaint about them.
INVOLVED_ONLY_ROLES = frozenset(
    {
        Role.PROVIDER_STAFF,
        Role.ENTERPRISE_CONTACT,
        Role.SOCIAL_ENTERPRISE_STAFF,
        Role.VOLUNTEER,
    }
)

COORDINATORS = "coordinators"
GRID_STAFF = "grid_staff"
AREA_STAFF = "area_staff"
HANDLER_SIDE = "handler_side"
PARTICIPANTS = "participants"
REPORTER = "reporter"

#: action → the actor groups allowed (see the module docstring).
MATRIX: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ["register", "reject", "dispatch", "close", "suspend", "resume", "merge", "reopen"],
        frozenset({COORDINATORS}),
    ),
    "verify": frozenset({COORDINATORS, GRID_STAFF}),
    **dict.fromkeys(["accept", "return", "handle"], frozenset({HANDLER_SIDE})),
    "pause": frozenset({HANDLER_SIDE, COORDINATORS}),
    "participant": frozenset({COORDINATORS, GRID_STAFF, HANDLER_SIDE}),
    **dict.fromkeys(["note", "witnessed"], frozenset({AREA_STAFF, HANDLER_SIDE, PARTICIPANTS})),
    "rate": frozenset({REPORTER, AREA_STAFF}),
}


def _area_roles(user: User, case: Case) -> set[str]:
    """Roles the user holds over the case's area (assignment on the area or an ancestor)."""
    path = case.area.path
    return {
        role
        for area_path, role in Assignment.objects.filter(user=user)
        .exclude(role__in=INVOLVED_ONLY_ROLES)
        .values_list("area__path", "role")
        if path.startswith(area_path)
    }


def _org_ids(user: User) -> set[int]:
    return set(
        Assignment.objects.filter(user=user, organization__isnull=False).values_list(
            "organization_id", flat=True
        )
    )


def is_handler_side(user: User, case: Case) -> bool:
    """The dispatched handler, or a member (by assignment) of the handler organisation."""
    if case.handler_id is not None and case.handler_id == user.pk:
        return True
    return case.handler_org_id is not None and case.handler_org_id in _org_ids(user)


def is_participant(user: User, case: Case) -> bool:
    """Takes part in the case by account, or through one of their organisations."""
    participants = case.participants.all()
    if participants.filter(user=user).exists():
        return True
    orgs = _org_ids(user)
    return bool(orgs) and participants.filter(organization_id__in=orgs).exists()


def groups_of(user: AnyUser, case: Case) -> set[str]:
    """The actor groups (module docstring) the user belongs to for this case."""
    if not isinstance(user, User) or not user.is_active:
        return set()
    area_roles = _area_roles(user, case)
    groups = set()
    if area_roles:
        groups.add(AREA_STAFF)
    if area_roles & COORDINATOR_ROLES:
        groups.add(COORDINATORS)
    if area_roles & GRID_STAFF_ROLES:
        groups.add(GRID_STAFF)
    if is_handler_side(user, case):
        groups.add(HANDLER_SIDE)
    if is_participant(user, case):
        groups.add(PARTICIPANTS)
    if case.reporter_id is not None and case.reporter_id == user.pk:
        groups.add(REPORTER)
    return groups


def coordinates_somewhere(user: AnyUser) -> bool:
    """Whether the user is a coordinator over any area (or a superuser): who the
    dispatcher board and the hotline intake are for."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Assignment.objects.filter(user=user, role__in=COORDINATOR_ROLES).exists()


def may(user: AnyUser, action: str, case: Case) -> bool:
    """Whether ``user`` may take ``action`` (a key of :data:`MATRIX`) on ``case``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return bool(MATRIX[action] & groups_of(user, case))


def allowed_actions(user: AnyUser, case: Case) -> list[str]:
    """Actions of :data:`MATRIX` the user may take on the case (state not considered)."""
    return [action for action in MATRIX if may(user, action, case)]
