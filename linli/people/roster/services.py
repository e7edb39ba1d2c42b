"""Writing a checked ledger into the registry (台账导入).

:func:`roster_import` plans every row against what is stored (read-only), then — unless
``dry_run`` — writes the whole plan in ONE transaction: buildings, households, new
residents (``bulk_create_with_history``), changed residents (``bulk_update_with_history``)
and household heads. A crash or a conflicting concurrent import rolls everything back;
nothing is ever half-written.

Matching is by identity number through the keyed hash ``id_number_hash``: a stored person
of this community is updated, a person stored in another community is rejected (moving
people between communities is a transfer, not an import), anyone else is created.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from linli.common import pii
from linli.common.models import PiiAccessLog
from linli.people.models import (
    CARE_TAGS,
    Relation,
    Resident,
)
from linli.people.roster.reading import Table
from linli.people.roster.validation import (
    Issue,
    RosterRow,
    column_title,
    parse_table,
)
from linli.people.scoping import can_view_pii
from linli.places.models import Area, AreaKind, Building, BuildingKind, Household

logger = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
BATCH = 1000
CHANGE_REASON = "台账导入"

#: Resident fields an import may change (besides the identity, which is the key).
UPDATABLE = [
    "name",
    "phone",
    "area",
    "household",
    "relation_to_head",
    "residence_type",
    *[name for name, _ in CARE_TAGS],
    "disability_level",
    "note",
]


class RosterImportError(Exception):
    """The import as a whole cannot run (e.g. not a community); Chinese message."""


@dataclass
class RosterResult:
    """Outcome of an import or dry run.

    ``imported``/``updated`` count residents created/changed; a row identical to what is
    stored counts in ``unchanged`` only. ``issues`` maps the row number shown in the
    spreadsheet to every reason it was rejected; ``cells`` holds the original values of
    every data row (for the error report).
    """

    headers: list[str]
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: dict[int, list[Issue]] = field(default_factory=dict)
    cells: dict[int, list[Any]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    new_buildings: list[str] = field(default_factory=list)
    new_households: int = 0
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return len(self.issues)

    def summary_line(self) -> str:
        """The machine-readable last line: ``imported=N updated=M rejected=K``."""
        return f"imported={self.imported} updated={self.updated} rejected={self.rejected}"


@dataclass
class _Places:
    """The community's micro-grids, buildings and households, keyed for lookup."""

    micro_grids: dict[int, Area]
    micro_grid_names: dict[str, Area]
    buildings: dict[tuple[int, str], Building]
    by_name: dict[str, list[Building]]
    households: dict[tuple[int, str, str], int]
    heads: dict[int, int | None]
    new_buildings: dict[tuple[int, str], Building] = field(default_factory=dict)
    new_households: dict[tuple[tuple[int, str], str, str], Household] = field(default_factory=dict)


@dataclass
class _Plan:
    creates: list[tuple[RosterRow, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    heads: list[Any] = field(default_factory=list)


def _load_places(community: Area) -> _Places:
    grids = list(Area.objects.filter(kind=AreaKind.MICRO_GRID, path__startswith=community.path))
    micro_grids = {grid.pk: grid for grid in grids}
    names: dict[str, Area] = {}
    for grid in grids:
        names[grid.name] = grid
        names[grid.code] = grid
    buildings = {
        (b.micro_grid_id, b.name): b
        for b in Building.objects.filter(micro_grid__in=grids).select_related("micro_grid")
    }
    by_name: dict[str, list[Building]] = defaultdict(list)
    for building in buildings.values():
        by_name[building.name].append(building)
    households: dict[tuple[int, str, str], int] = {}
    heads: dict[int, int | None] = {}
    for pk, building_id, unit, room, head_id in Household.objects.filter(
        building__micro_grid__in=grids
    ).values_list("pk", "building_id", "unit", "room", "head_id"):
        households[(building_id, unit, room)] = pk
        heads[pk] = head_id
    return _Places(micro_grids, names, buildings, dict(by_name), households, heads)


def _stored_residents(
    community: Area, hashes: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Residents of the community by hash, and hash → other community's area name."""
    values = [
        "pk",
        "id_number_hash",
        *[f"{f}_id" if f in ("area", "household") else f for f in UPDATABLE],
    ]
    mine = {
        row["id_number_hash"]: row
        for row in Resident.objects.filter(area__path__startswith=community.path).values(*values)
    }
    missing = [h for h in hashes if h not in mine]
    elsewhere: dict[str, str] = {}
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        for digest, area_name in Resident.objects.filter(id_number_hash__in=chunk).values_list(
            "id_number_hash", "area__name"
        ):
            elsewhere[digest] = area_name
    return mine, elsewhere


def _locate(
    row: RosterRow,
    places: _Places,
    *,
    create_missing: bool,
    reject: Callable[[str, str, str], None],
) -> tuple[Area, Any] | None:
    """(micro-grid, household id or planned key) for the row's address; ``None`` if rejected."""
    grid: Area | None = None
    if row.micro_grid:
        grid = places.micro_grid_names.get(row.micro_grid)
        if grid is None:
            reject("micro_grid", row.micro_grid, f"本社区没有名为“{row.micro_grid}”的微网格")
            return None
    candidates = [
        b
        for b in places.by_name.get(row.building, [])
        if grid is None or b.micro_grid_id == grid.pk
    ]
    if len(candidates) > 1:
        grids = "、".join(b.micro_grid.name for b in candidates)
        reject(
            "building",
            row.building,
            f"楼栋“{row.building}”在多个微网格中都有（{grids}），请增加“微网格”列",
        )
        return None
    building_key: tuple[int, str]
    if candidates:
        building = candidates[0]
        grid = places.micro_grids[building.micro_grid_id]
        building_key = (building.micro_grid_id, building.name)
        existing = places.households.get((building.pk, row.unit, row.room))
        if existing is not None:
            return grid, existing
    else:
        if not create_missing:
            needs_grid = len(places.micro_grids) > 1 and grid is None
            hint = "，并在文件中增加“微网格”列" if needs_grid else ""
            reject(
                "building",
                row.building,
                f"楼栋“{row.building}”在本社区不存在（如确为新楼栋：勾选“自动创建楼栋/户”"
                f"或命令行加 --create-missing{hint}）",
            )
            return None
        if grid is None:
            if len(places.micro_grids) != 1:
                reject(
                    "building",
                    row.building,
                    f"无法确定新楼栋“{row.building}”属于哪个微网格：本社区有 "
                    f"{len(places.micro_grids)} 个微网格，请在文件中增加“微网格”列",
                )
                return None
            grid = next(iter(places.micro_grids.values()))
        building_key = (grid.pk, row.building)
        places.new_buildings.setdefault(
            building_key,
            Building(micro_grid=grid, name=row.building, kind=BuildingKind.RESIDENTIAL),
        )
    if not create_missing:
        reject(
            "room",
            row.room,
            f"户“{row.building}{row.unit}{row.room}”不存在（如确为新户：勾选“自动创建楼栋/户”或命令行加"
            " --create-missing）",
        )
        return None
    key = (building_key, row.unit, row.room)
    places.new_households.setdefault(key, Household(unit=row.unit, room=row.room))
    return grid, key


def _plan(
    parsed_rows: list[RosterRow],
    result: RosterResult,
    *,
    table: Table,
    community: Area,
    create_missing: bool,
    progress: Progress,
) -> tuple[_Plan, _Places]:
    places = _load_places(community)
    hashes = {row.row: pii.lookup_hash(row.id_number) for row in parsed_rows}
    stored, elsewhere = _stored_residents(community, list(hashes.values()))
    plan = _Plan()
    for index, row in enumerate(parsed_rows):
        if index % 2000 == 0:
            progress(30 + 40 * index // max(len(parsed_rows), 1), "核对已有数据")
        digest = hashes[row.row]
        issues: list[Issue] = []

        def reject(
            key: str, value: str, reason: str, row: RosterRow = row, issues: list[Issue] = issues
        ) -> None:
            issues.append(Issue(row.row, column_title(table, key), value, reason))

        if digest in elsewhere:
            reject(
                "id_number",
                pii.mask_id_number(row.id_number),
                f"此人已登记在其他区域（{elsewhere[digest]}），请先办理迁出",
            )
        located = None
        if not issues and row.building:
            located = _locate(row, places, create_missing=create_missing, reject=reject)
        if issues:
            result.issues[row.row] = issues
            continue
        wanted: dict[str, Any] = {"name": row.name, **row.fields}
        if located is not None:
            wanted["area_id"], wanted["household_id"] = located[0].pk, located[1]
        if row.fields.get("relation_to_head") == Relation.HEAD and located is not None:
            current_head = places.heads.get(located[1])
            if current_head is None or current_head != stored.get(digest, {}).get("pk"):
                plan.heads.append(located[1])
        current = stored.get(digest)
        if current is None:
            wanted.setdefault("area_id", community.pk)
            plan.creates.append((row, {"id_number_hash": digest, **wanted}))
            continue
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:
            plan.updates.append((current["pk"], changed))
        else:
            result.unchanged += 1
    return plan, places


def _apply(plan: _Plan, places: _Places, *, actor: User | None, community: Area) -> None:
    Area.objects.select_for_update().filter(pk=community.pk).first()
    created = Building.objects.bulk_create(list(places.new_buildings.values()), batch_size=BATCH)
    for building in created:
        places.buildings[(building.micro_grid_id, building.name)] = building
    new_households = []
    for (building_key, _unit, _room), household in places.new_households.items():
        household.building = places.buildings[building_key]
        new_households.append(household)
    Household.objects.bulk_create(new_households, batch_size=BATCH)

    def household_id(ref: Any) -> Any:
        return places.new_households[ref].pk if isinstance(ref, tuple) else ref

    now = timezone.now()
    residents = []
    for row, values in plan.creates:
        values = dict(values)
        if "household_id" in values:
            values["household_id"] = household_id(values["household_id"])
        residents.append(
            Resident(
                id_number_encrypted=pii.encrypt(row.id_number),
                id_number_masked=pii.mask_id_number(row.id_number),
                sex=row.sex,
                birth_date=row.birth_date,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
    bulk_create_with_history(
        residents,
        Resident,
        batch_size=BATCH,
        default_user=actor,
        default_change_reason=CHANGE_REASON,
    )
    _apply_updates(plan, household_id, actor=actor, now=now)
    _apply_heads(plan, household_id)


def _apply_updates(
    plan: _Plan, household_id: Callable[[Any], Any], *, actor: User | None, now: dt.datetime
) -> None:
    if not plan.updates:
        return
    changes = dict(plan.updates)
    objects = Resident.objects.in_bulk(list(changes))
    fields: set[str] = {"updated_at"}
    for pk, changed in changes.items():
        resident = objects[pk]
        for key, value in changed.items():
            if key == "household_id":
                value = household_id(value)
            setattr(resident, key, value)
            fields.add(key.removesuffix("_id"))
        resident.updated_at = now
    bulk_update_with_history(
        list(objects.values()),
        Resident,
        sorted(fields),
        batch_size=BATCH,
        default_user=actor,
        default_change_reason=CHANGE_REASON,
    )


def _apply_heads(plan: _Plan, household_id: Callable[[Any], Any]) -> None:
    """Point each household named with a 户主 row at its head (lowest id if several).

    One ``UPDATE … SET head_id = (subquery)`` per 1,000 households: Django's
    ``bulk_update`` builds a CASE per row and is several times slower here.
    """
    ids = sorted({household_id(ref) for ref in plan.heads})
    head = (
        Resident.objects.filter(household=OuterRef("pk"), relation_to_head=Relation.HEAD)
        .order_by("pk")
        .values("pk")[:1]
    )
    for start in range(0, len(ids), BATCH):
        Household.objects.filter(pk__in=ids[start : start + BATCH]).update(head=Subquery(head))


def roster_import(
    *,
    community: Area,
    table: Table,
    create_missing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> RosterResult:
    """Import a ledger table into ``community``; see the module docstring for the rules.

    Args:
        community: an ``Area`` of kind community.
        table: from :func:`linli.people.roster.reading.read_table`.
        create_missing: create buildings (in the micro-grid named by a 微网格 column, or
            the community's only micro-grid) and households named in the file; without it
            rows naming unknown buildings or households are rejected.
        dry_run: plan and count, write nothing.
        actor: recorded as the history user.
        progress: called with (percent 0–100, stage in Chinese).
        today: reference date for "birth date in the future" (default today).

    Returns:
        counts, rejected rows with reasons, skipped total/blank rows.

    Raises:
        RosterImportError: ``community`` is not a community, or the stored data changed
            during the import (nothing written; retry).
    """
    if community.kind != AreaKind.COMMUNITY:
        raise RosterImportError(f"“{community.name}”不是社区")
    started = timezone.now()
    report = progress or (lambda percent, stage: None)
    report(5, "检查每一行")
    parsed = parse_table(table, today=today)
    result = RosterResult(
        headers=table.headers,
        rows=len(parsed.cells),
        issues=parsed.issues,
        cells=parsed.cells,
        skipped=parsed.skipped,
        dry_run=dry_run,
    )
    report(30, "核对已有数据")
    plan, places = _plan(
        parsed.rows,
        result,
        table=table,
        community=community,
        create_missing=create_missing,
        progress=report,
    )
    result.imported, result.updated = len(plan.creates), len(plan.updates)
    result.new_buildings = sorted(name for _, name in places.new_buildings)
    result.new_households = len(places.new_households)
    result.issues = dict(sorted(result.issues.items()))
    if not dry_run:
        report(70, "写入数据库")
        try:
            with transaction.atomic():
                _apply(plan, places, actor=actor, community=community)
        except IntegrityError as exc:
            raise RosterImportError(
                f"导入期间数据被其他操作修改，已全部撤销，请重试（{exc}）"
            ) from None
    report(100, "完成")
    result.seconds = (timezone.now() - started).total_seconds()
    return result


def roster_export(*, community: Area, actor: User) -> tuple[bytes, int]:
    """The community's registry as an importable .xlsx for ``actor``; (bytes, residents).

    The file holds full identity numbers and phones, so the export is a PII reveal: it
    needs the PII right and is written to :class:`PiiAccessLog` (PIPL art. 51).

    Raises:
        PermissionDenied: the actor may not see full personal information.
    """
    from linli.people.roster.workbook import roster_export_xlsx

    if not can_view_pii(actor):
        raise PermissionDenied("导出台账包含完整身份证号，您没有查看完整个人信息的权限")
    data, count = roster_export_xlsx(community)
    PiiAccessLog.objects.create(
        user=actor,
        subject_type="community",
        subject_id=community.pk,
        subject_label=f"{community.name}（{count} 人）",
        fields="身份证号,电话",
        purpose="台账导出",
    )
    return data, count
