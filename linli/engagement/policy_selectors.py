"""Reads of the policy library (政策库) and its matches, scoped to the acting user.

Who sees what:

* staff holding one of :data:`POLICY_ROLES` see the policies that apply to their areas —
  a policy whose area lies under one of theirs, or above it (a street's policy applies
  to each of its communities) — and of each policy only the matches of subjects under
  their own areas; :data:`POLICY_EDIT_ROLES` may create and edit policies for an area at
  or under one of theirs;
* an enterprise contact (``enterprise_contact`` assignment naming an organisation) sees
  the matches of their organisations, never another organisation's;
* anyone else sees nothing.

Matching reads live here too (:func:`subjects_with_facts`, :func:`qualifying`), so the
preview before saving (:func:`match_preview`) and the matching service
(:func:`linli.engagement.policies.policy_match`) share one evaluation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.eligibility.conditions import ConditionError, contradiction, evaluate, validate
from linli.eligibility.facts import SubjectKind, _community_code, resident_facts
from linli.engagement.errors import EngagementError
from linli.engagement.models import MatchStatus, Policy, PolicyMatch, PolicyNote
from linli.engagement.selectors import contact_organizations, role_paths
from linli.orgs.models import Organization
from linli.people.models import Assignment, Resident, Role
from linli.people.scoping import AnyUser
from linli.places.models import Area, AreaKind

#: Staff who use the policy pages (see and act on matches in their areas).
POLICY_ROLES = frozenset(
    {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.GRID_LEADER, Role.DISPATCHER}
)
#: Staff who add and edit policies (for an area at or under one of theirs).
POLICY_EDIT_ROLES = frozenset({Role.STREET_ADMIN, Role.COMMUNITY_ADMIN})
#: Area kinds a policy may apply to: the relay works at community level and above.
POLICY_AREA_KINDS = (AreaKind.DISTRICT, AreaKind.STREET, AreaKind.COMMUNITY)
#: Matches that still count (a lapsed one is history).
LIVE_STATUSES = (
    MatchStatus.MATCHED,
    MatchStatus.NOTIFIED,
    MatchStatus.APPLIED,
    MatchStatus.GRANTED,
    MatchStatus.REJECTED,
)
#: Validity filters of the library page: value → Chinese label.
VALIDITY = {"current": "现行有效", "upcoming": "尚未生效", "expired": "已失效", "all": "全部"}
PREVIEW_ROWS = 50


# --- who may do what ------------------------------------------------------------------------


def may_use_policies(user: AnyUser) -> bool:
    """Superuser, or one of :data:`POLICY_ROLES` somewhere."""
    paths = role_paths(user, POLICY_ROLES)
    return paths is None or bool(paths)


def may_edit_policies(user: AnyUser) -> bool:
    """Superuser, or one of :data:`POLICY_EDIT_ROLES` somewhere."""
    paths = role_paths(user, POLICY_EDIT_ROLES)
    return paths is None or bool(paths)


def may_edit_policy_in(user: AnyUser, area: Area) -> bool:
    """Whether ``user`` may create or edit a policy applying to ``area``."""
    paths = role_paths(user, POLICY_EDIT_ROLES)
    return paths is None or any(area.path.startswith(p) for p in paths)


def editable_areas(user: AnyUser) -> QuerySet[Area]:
    """Districts, streets and communities at or under the user's edit areas (form choices)."""
    paths = role_paths(user, POLICY_EDIT_ROLES)
    rows = Area.objects.filter(kind__in=POLICY_AREA_KINDS).order_by("path")
    if paths is None:
        return rows
    return rows.filter(_under("path", paths))


def _under(field: str, paths: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]``."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1)]


# --- the library for staff ------------------------------------------------------------------


def validity_q(validity: str, on: dt.date) -> Q:
    """Policies ``current`` / ``upcoming`` / ``expired`` on local date ``on`` (else all)."""
    open_end = Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    if validity == "current":
        return Q(valid_from__lte=on) & open_end
    if validity == "upcoming":
        return Q(valid_from__gt=on)
    if validity == "expired":
        return Q(valid_to__lt=on)
    return Q()


def policies_for_staff(
    user: AnyUser, *, validity: str = "all", search: str = "", on: dt.date | None = None
) -> QuerySet[Policy]:
    """Policies applying to the user's areas (under them or above them), newest first.

    Args:
        validity: a key of :data:`VALIDITY` (unknown → all).
        search: part of the title, issuer or document number.
        on: the local date validity is judged on (default today, Asia/Shanghai).
    """
    paths = role_paths(user, POLICY_ROLES)
    rows = Policy.objects.select_related("area")
    if paths is not None:
        above = [a for p in paths for a in ancestor_paths(p)]
        rows = rows.filter(_under("area__path", paths) | Q(area__path__in=above))
    rows = rows.filter(validity_q(validity, on or timezone.localdate()))
    if search.strip():
        term = search.strip()
        rows = rows.filter(
            Q(title__icontains=term)
            | Q(issuer__icontains=term)
            | Q(document_number__icontains=term)
        )
    return rows


def policy_for_staff(user: AnyUser, pk: int) -> Policy | None:
    """Policy ``pk`` if it applies to the user's areas, else ``None`` (404)."""
    return policies_for_staff(user).filter(pk=pk).first()


def matches_for_staff(user: AnyUser) -> QuerySet[PolicyMatch]:
    """Matches whose organisation or resident lies under the user's policy areas."""
    paths = role_paths(user, POLICY_ROLES)
    rows = PolicyMatch.objects.select_related("policy", "organization__area", "resident__area")
    if paths is None:
        return rows
    return rows.filter(
        _under("organization__area__path", paths) | _under("resident__area__path", paths)
    )


def match_for_staff(user: AnyUser, pk: int) -> PolicyMatch | None:
    """Match ``pk`` if its subject lies under the user's areas, else ``None`` (404)."""
    return matches_for_staff(user).filter(pk=pk).first()


def match_counts(user: AnyUser, policy_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per policy, the number of the user's visible matches per status (one query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        matches_for_staff(user)
        .filter(policy_id__in=list(policy_ids))
        .order_by()
        .values("policy_id", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts.setdefault(row["policy_id"], {})[row["status"]] = row["n"]
    return counts


def notes_of(policy: Policy) -> QuerySet[PolicyNote]:
    """The relay's explanations of ``policy``, oldest first, with their authors."""
    return policy.notes.select_related("author")


def note_for_staff(user: AnyUser, pk: int) -> PolicyNote | None:
    """Note ``pk`` if its policy applies to the user's areas."""
    return PolicyNote.objects.filter(pk=pk, policy__in=policies_for_staff(user)).first()


# --- enterprise contacts --------------------------------------------------------------------


def matches_for_contact(user: AnyUser) -> QuerySet[PolicyMatch]:
    """Live (not lapsed) matches of the organisations the user is a contact for."""
    orgs = [o.pk for o in contact_organizations(user)]
    return (
        PolicyMatch.objects.filter(organization_id__in=orgs, status__in=LIVE_STATUSES)
        .select_related("policy", "organization")
        .order_by("-matched_at", "pk")
    )


def match_for_contact(user: AnyUser, pk: int) -> PolicyMatch | None:
    """Match ``pk`` of one of the user's organisations, else ``None`` (404)."""
    return matches_for_contact(user).filter(pk=pk).first()


def note_for_contact(user: AnyUser, pk: int) -> PolicyNote | None:
    """Note ``pk`` if its policy matches one of the user's organisations."""
    policies = matches_for_contact(user).values("policy_id")
    return PolicyNote.objects.filter(pk=pk, policy_id__in=policies).first()


def enterprise_contacts(organization_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Active users who are enterprise contacts, per organisation id (one query)."""
    contacts: dict[int, list[Any]] = {}
    rows = Assignment.objects.filter(
        role=Role.ENTERPRISE_CONTACT,
        organization_id__in=list(organization_ids),
        user__is_active=True,
    ).select_related("user")
    for row in rows:
        assert row.organization_id is not None
        if row.user not in contacts.setdefault(row.organization_id, []):
            contacts[row.organization_id].append(row.user)
    return contacts


# --- matching (shared by the preview and the service) ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Subject:
    """One organisation or resident with its facts; ``key`` is ``("organization", id)``."""

    kind: str
    id: int
    name: str
    area_name: str
    facts: Mapping[str, object]

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


def organization_subjects(organizations: QuerySet[Organization]) -> Iterator[Subject]:
    """Facts of many organisations in one query (disabled employees counted by SQL).

    The facts are those of :func:`linli.eligibility.facts.organization_facts`, which
    counts each organisation's disabled employees with a query of its own; here one
    grouped query serves all (465 enterprises in the demo office community).
    """
    rows = (
        organizations.select_related("area")
        .annotate(disabled_count=Count("employees", filter=Q(employees__disabled=True)))
        .order_by("name", "pk")
    )
    for org in rows:
        facts: dict[str, object] = {
            "size": org.size or None,
            "internship_base": org.internship_base,
            "kind": org.kind,
            "industry": org.industry or None,
            "employee_count": org.employee_count,
            "disabled_employees": org.disabled_count,  # type: ignore[attr-defined]
            "community": _community_code(org.area),
        }
        yield Subject(SubjectKind.ORGANIZATION, org.pk, org.name, org.area.name, facts)


def resident_subjects(residents: QuerySet[Resident], on: dt.date) -> Iterator[Subject]:
    """Facts of many residents on local date ``on`` (one query, streamed)."""
    for resident in residents.select_related("area").order_by("pk").iterator(chunk_size=2000):
        yield Subject(
            SubjectKind.RESIDENT,
            resident.pk,
            resident.name,
            resident.area.name,
            resident_facts(resident, on),
        )


def subjects_with_facts(
    area: Area, subject_kind: str, on: dt.date, *, within: list[str] | None = None
) -> Iterator[Subject]:
    """Every organisation (or resident) under ``area`` with its facts on ``on``.

    ``within``: only subjects also under one of these area paths (``None``: no limit).
    """
    model: type[Organization] | type[Resident]
    model = Resident if subject_kind == SubjectKind.RESIDENT else Organization
    rows: Any = model.objects.filter(area__path__startswith=area.path)
    if within is not None:
        rows = rows.filter(_under("area__path", within))
    if subject_kind == SubjectKind.RESIDENT:
        return resident_subjects(rows, on)
    return organization_subjects(rows)


def reasons_text(held: Iterable[str]) -> str:
    """The held comparisons as one Chinese line: "青年见习基地；从业人数 ≥ 10（35）"."""
    return "；".join(dict.fromkeys(held)) or "无附加条件"


def qualifying(
    condition: Mapping[str, Any], subject_kind: str, subjects: Iterable[Subject]
) -> list[tuple[Subject, str]]:
    """The subjects whose facts meet ``condition`` (validated), each with its reasons."""
    found = []
    for subject in subjects:
        outcome = evaluate(condition, subject.facts, subject_kind)
        if outcome.passed:
            found.append((subject, reasons_text(outcome.held)))
    return found


def condition_check(condition: object, subject_kind: str) -> None:
    """Grammar and contradictions of a policy condition.

    Raises:
        EngagementError: ``field="condition"``, the Chinese reason (path of a bad node, or
            why no one could ever qualify).
    """
    try:
        validate(condition, subject_kind)
    except ConditionError as err:
        raise EngagementError(f"资格条件有误：{err}", field="condition") from None
    assert isinstance(condition, Mapping)
    problem = contradiction(condition, subject_kind)
    if problem:
        raise EngagementError(
            f"资格条件自相矛盾，任何对象都不可能符合：{problem}", field="condition"
        )


@dataclasses.dataclass(frozen=True)
class Preview:
    """Who would match: ``count`` of ``considered`` subjects, the first rows with reasons."""

    considered: int
    count: int
    rows: list[tuple[Subject, str]]


def match_preview(
    *,
    actor: AnyUser,
    area: Area,
    subject_kind: str,
    condition: object,
    on: dt.date | None = None,
) -> Preview:
    """Who under ``area`` would match ``condition`` today, without writing anything.

    Only subjects under the actor's own areas are counted (a community admin previewing a
    street policy sees their community's organisations).

    Raises:
        EngagementError: bad or contradictory condition (see :func:`condition_check`).
    """
    condition_check(condition, subject_kind)
    assert isinstance(condition, Mapping)
    on = on or timezone.localdate()
    within = role_paths(actor, POLICY_ROLES)
    subjects = list(subjects_with_facts(area, subject_kind, on, within=within))
    found = qualifying(condition, subject_kind, subjects)
    return Preview(considered=len(subjects), count=len(found), rows=found[:PREVIEW_ROWS])
