"""Reads of the population registry, always scoped to the acting user's areas.

Shapes:
* :func:`area_tree_counts` → the areas the user may see, in tree order, each with head
  counts rolled up from its sub-areas;
* :func:`residents_for` → the residents behind one of those counts (the drill-down).

Both scope through :func:`linli.people.scoping.scope`, so a user sees nothing outside
the subtree of their assignments; ancestors of an assigned area appear in the tree for
orientation only, without counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.orgs.models import Organization, OrgKind
from linli.people.models import CARE_TAGS, Resident
from linli.people.scoping import (
    AnyUser,
    area_paths,
    can_view_registry,
    can_view_sensitive,
    scope,
)
from linli.places.models import Area, Household

#: The "older people" threshold of the tree and of the ``aged60`` tag (老年人: 60 and over,
#: Law on the Protection of the Rights and Interests of the Elderly, art. 2).
ELDERLY_AGE = 60
#: Care tags that are sensitive personal information (PIPL art. 28: disability, subsistence
#: allowance and extreme-poverty status, minors); shown only if ``can_view_sensitive``.
SENSITIVE_TAGS = frozenset({"disabled", "dibao", "tekun", "left_behind_child"})
#: Tags accepted by :func:`residents_for`: every care tag plus ``aged60``.
TAG_LABELS: dict[str, str] = {"aged60": f"{ELDERLY_AGE}岁以上", **dict(CARE_TAGS)}
#: Count keys of an :class:`AreaNode`, in display order, with Chinese labels.
COUNT_LABELS: dict[str, str] = {
    "residents": "居民",
    "households": "户",
    "aged60": TAG_LABELS["aged60"],
    "living_alone": "独居",
    "disabled": "残疾",
    "dibao": "低保",
    "enterprises": "企业",
}
_SENSITIVE_COUNTS = frozenset({"disabled", "dibao"})
MAX_AGE = 150


@dataclass
class AreaNode:
    """One area of the tree.

    ``counts`` maps each key of :data:`COUNT_LABELS` the user may see to a head count
    (sensitive keys are absent without ``can_view_sensitive``); it is ``None`` for an
    ancestor shown only for context. ``depth`` is 0 for a root of the returned tree.
    """

    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    path: str
    parent_code: str | None
    depth: int = 0
    counts: dict[str, int] | None = None
    children: list[AreaNode] = field(default_factory=list)

    @property
    def in_scope(self) -> bool:
        return self.counts is not None


def birth_cutoff(age: int, today: dt.date | None = None) -> dt.date:
    """The latest birth date of someone at least ``age`` whole years old on ``today``.

    ``today`` defaults to today in Asia/Shanghai (``TIME_ZONE``). Someone whose birthday
    is today counts; someone born on 29 February turns a year older on 1 March, as in
    :func:`linli.common.identity.age_on`.
    """
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - age)
    except ValueError:  # today is 29 February, and that year was not a leap year
        return today.replace(year=today.year - age, day=28)


def _visible_count_keys(user: AnyUser) -> list[str]:
    sensitive = can_view_sensitive(user)
    return [key for key in COUNT_LABELS if sensitive or key not in _SENSITIVE_COUNTS]


def _direct_counts(user: AnyUser, today: dt.date) -> dict[int, dict[str, int]]:
    """Counts per area id for rows attached directly to that area (three grouped queries)."""
    direct: dict[int, dict[str, int]] = {}

    def add(area_id: int, values: Mapping[str, Any]) -> None:
        bucket = direct.setdefault(area_id, {})
        for key, value in values.items():
            bucket[key] = bucket.get(key, 0) + (value or 0)

    cutoff = birth_cutoff(ELDERLY_AGE, today)
    residents = (
        scope(Resident.objects.all(), user)
        .order_by()
        .values("area_id")
        .annotate(
            residents=Count("id"),
            aged60=Count("id", filter=Q(birth_date__lte=cutoff)),
            living_alone=Count("id", filter=Q(living_alone=True)),
            disabled=Count("id", filter=Q(disabled=True)),
            dibao=Count("id", filter=Q(dibao=True)),
        )
    )
    for counted in residents:
        add(counted["area_id"], {key: value for key, value in counted.items() if key != "area_id"})
    households = (
        scope(Household.objects.all(), user, area_field="building__micro_grid")
        .order_by()
        .values("building__micro_grid_id")
        .annotate(households=Count("id"))
    )
    for dwelling in households:
        add(dwelling["building__micro_grid_id"], {"households": dwelling["households"]})
    enterprises = (
        scope(Organization.objects.filter(kind=OrgKind.ENTERPRISE), user)
        .order_by()
        .values("area_id")
        .annotate(enterprises=Count("id"))
    )
    for firm in enterprises:
        add(firm["area_id"], {"enterprises": firm["enterprises"]})
    return direct


def _context_codes(paths: list[str] | None) -> set[str]:
    """Codes of the ancestors of the user's assigned areas (shown without counts)."""
    codes: set[str] = set()
    for path in paths or []:
        codes.update(path.strip("/").split("/")[:-1])
    return codes


def area_tree_counts(user: AnyUser, *, today: dt.date | None = None) -> list[AreaNode]:
    """Every area the user may see, in tree (``path``) order, with rolled-up counts.

    A node's counts cover everything under it (a community = the sum of its grids plus
    anyone attached to the community itself). Ancestors of the assigned areas are
    included with ``counts=None`` so the tree reads from the city down. ``children``
    links each node to the nodes below it; roots have ``depth == 0``.

    Cost: four queries whatever the tree size (areas, residents, households,
    enterprises), each grouped by area; the roll-up is done in Python along ``path``.
    An anonymous user, one without assignments or one whose roles do not need the
    registry (:func:`~linli.people.scoping.can_view_registry`) gets ``[]``.
    """
    paths = area_paths(user)
    if paths == [] or not can_view_registry(user):
        return []
    today = today or timezone.localdate()
    keys = _visible_count_keys(user)
    context = _context_codes(paths)
    areas = scope(Area.objects.all(), user, area_field="") | Area.objects.filter(code__in=context)
    nodes: dict[str, AreaNode] = {}
    for area in areas.select_related("parent").order_by("path"):
        nodes[area.code] = AreaNode(
            id=area.pk,
            code=area.code,
            name=area.name,
            kind=area.kind,
            kind_label=area.get_kind_display(),
            path=area.path,
            parent_code=area.parent.code if area.parent else None,
            counts=None if area.code in context else dict.fromkeys(keys, 0),
        )
    by_id = {node.id: node for node in nodes.values()}
    for area_id, counts in _direct_counts(user, today).items():
        leaf = by_id.get(area_id)
        if leaf is None:  # row attached to an area outside the tree (should not happen)
            continue
        for code in leaf.path.strip("/").split("/"):
            target = nodes.get(code)
            if target is None or target.counts is None:
                continue
            for key in keys:
                target.counts[key] += counts.get(key, 0)
    for node in nodes.values():  # parents precede children in path order
        parent = nodes.get(node.parent_code or "")
        if parent is not None:
            node.depth = parent.depth + 1
            parent.children.append(node)
    return list(nodes.values())


def resident_filters_from_query(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parse drill-down query parameters (``area``, ``tag``, ``age_min``, ``age_max``, ``q``).

    Shared by the staff list page and the REST API so both read filters the same way.

    Returns:
        keyword arguments for :func:`residents_for` (absent or blank parameters omitted).

    Raises:
        ValidationError: a non-integer or out-of-range age, an unknown tag, or
            ``age_min`` above ``age_max``; messages in Chinese keyed by parameter.
    """
    errors: dict[str, str] = {}
    filters: dict[str, Any] = {}
    for name in ("area", "tag", "q"):
        value = str(params.get(name) or "").strip()
        if value:
            filters["area_code" if name == "area" else name] = value
    if "tag" in filters and filters["tag"] not in TAG_LABELS:
        errors["tag"] = "未知的标签，可选：" + "、".join(TAG_LABELS)
    for name in ("age_min", "age_max"):
        raw = str(params.get(name) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) > MAX_AGE:
            errors[name] = f"年龄应为 0 到 {MAX_AGE} 之间的整数"
            continue
        filters[name] = int(raw)
    if not errors and filters.get("age_min", 0) > filters.get("age_max", MAX_AGE):
        errors["age_max"] = "最大年龄不能小于最小年龄"
    if errors:
        raise ValidationError(errors)
    return filters


def residents_for(
    user: AnyUser,
    *,
    area_code: str | None = None,
    tag: str | None = None,
    age_min: int | None = None,
    age_max: int | None = None,
    q: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Resident]:
    """The residents behind a count of :func:`area_tree_counts`, scoped to ``user``.

    Args:
        area_code: only residents under this area (its whole subtree).
        tag: a care-tag field name from ``CARE_TAGS`` or ``"aged60"``.
        age_min, age_max: whole years on ``today`` (Asia/Shanghai), both inclusive.
        q: part of the name.

    Returns:
        residents ordered by area path, household and id, with area and household
        (building) loaded, so a list page costs one query plus its count.

    Raises:
        ValidationError: unknown ``area_code`` or ``tag`` (Chinese message).
        PermissionDenied: a sensitive tag without ``can_view_sensitive``; a user whose
            roles do not need the registry (caregivers, property staff …).
    """
    if not can_view_registry(user):
        raise PermissionDenied("您的岗位不需要查看居民名单")
    today = today or timezone.localdate()
    queryset = scope(Resident.objects.all(), user).select_related("area", "household__building")
    if area_code:
        area = Area.objects.filter(code=area_code).only("path").first()
        if area is None:
            raise ValidationError({"area": f"区域代码 {area_code} 不存在"})
        queryset = queryset.filter(area__path__startswith=area.path)
    if tag:
        if tag not in TAG_LABELS:
            raise ValidationError({"tag": f"未知的标签：{tag}"})
        if tag in SENSITIVE_TAGS and not can_view_sensitive(user):
            raise PermissionDenied("您没有查看该敏感标签的权限")
        if tag == "aged60":
            queryset = queryset.filter(birth_date__lte=birth_cutoff(ELDERLY_AGE, today))
        else:
            queryset = queryset.filter(**{tag: True})
    if age_min is not None:
        queryset = queryset.filter(birth_date__lte=birth_cutoff(age_min, today))
    if age_max is not None:
        queryset = queryset.filter(birth_date__gt=birth_cutoff(age_max + 1, today))
    if q:
        queryset = queryset.filter(name__contains=q.strip())
    return queryset
