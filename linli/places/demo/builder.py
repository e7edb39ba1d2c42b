"""Writes the demo's places and organisations: the area tree, buildings, facilities, orgs.

Everything is written with ``bulk_create`` (no per-row saves, no change history: a demo
build is not a change). Areas are created level by level so each level knows its parents'
primary keys; ``path`` is set from the parent's path exactly as ``Area.build_path`` does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from linli.orgs.models import Organization, OrgKind, OrgSize
from linli.places.demo import plan as layout
from linli.places.demo.geo import Rect, to_decimal_lat_lng
from linli.places.demo.orgs import FIXED_ORGS, OrgMaker, OrgSpec
from linli.places.models import Area, AreaKind, Building, Facility

BATCH = 1000


class DemoError(ValueError):
    """The demo cannot be built; ``str(err)`` is a message in Chinese."""


#: The whole demo street: the four communities' rectangles side by side (metres).
STREET_RECT = Rect(0, 0, 3600, 1200)


@dataclass
class CommunityBuild:
    """What later steps need about one community: its areas, buildings and organisations."""

    plan: layout.CommunityPlan
    area: Area
    grids: list[Area] = field(default_factory=list)
    micro_grids: list[Area] = field(default_factory=list)
    mg_rects: list[Rect] = field(default_factory=list)
    buildings: dict[str, Building] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)  # role → organisation
    enterprises: list[Organization] = field(default_factory=list)


def _area(code: str, kind: str, name: str, parent: Area | None, rect: Rect | None) -> Area:
    area = Area(code=code, kind=kind, name=name, parent=parent)
    area.path = area.build_path()
    area.boundary = rect.polygon() if rect else None
    return area


def build_areas() -> tuple[Area, list[CommunityBuild]]:
    """City → district → street → 4 communities → grids → micro-grids, with boundaries.

    Returns the street and one :class:`CommunityBuild` per community, in plan order.
    """
    (city_code, city_name), (district_code, district_name) = layout.CITY, layout.DISTRICT
    city = _save(_area(city_code, AreaKind.CITY, city_name, None, None))
    district = _save(_area(district_code, AreaKind.DISTRICT, district_name, city, None))
    street = _save(
        _area(layout.STREET[0], AreaKind.STREET, layout.STREET[1], district, STREET_RECT)
    )
    communities = Area.objects.bulk_create(
        [
            _area(street.code + p.suffix, AreaKind.COMMUNITY, p.name, street, p.rect)
            for p in layout.COMMUNITIES
        ]
    )
    builds = [CommunityBuild(p, a) for p, a in zip(layout.COMMUNITIES, communities, strict=True)]
    grid_rows: list[tuple[CommunityBuild, Area, Rect]] = []
    for cb in builds:
        short = cb.plan.name.removesuffix("社区")
        for g, rect in enumerate(cb.plan.rect.tile(cb.plan.grid_cols, cb.plan.grid_rows), 1):
            name = f"{short}第{g}网格"
            grid_rows.append(
                (cb, _area(f"{cb.area.code}{g:03d}", AreaKind.GRID, name, cb.area, rect), rect)
            )
    Area.objects.bulk_create([grid for _, grid, _ in grid_rows], batch_size=BATCH)
    micro: list[Area] = []
    for cb, grid, rect in grid_rows:
        cb.grids.append(grid)
        g = len(cb.grids)
        for m, mg_rect in enumerate(rect.tile(cb.plan.mg_cols, cb.plan.mg_rows), 1):
            name = f"{cb.plan.name.removesuffix('社区')}{g}-{m}微网格"
            area = _area(f"{grid.code}{m:02d}", AreaKind.MICRO_GRID, name, grid, mg_rect)
            cb.micro_grids.append(area)
            cb.mg_rects.append(mg_rect)
            micro.append(area)
    Area.objects.bulk_create(micro, batch_size=BATCH)
    return street, builds


def _fields(area: Area) -> dict[str, object]:
    return {f: getattr(area, f) for f in ("code", "kind", "name", "parent", "path", "boundary")}


def _save(area: Area) -> Area:
    return Area.objects.create(**_fields(area))


def build_buildings(builds: list[CommunityBuild], street: Area) -> int:
    """Every planned building, placed inside its micro-grid's rectangle; returns the count."""
    rows: list[Building] = []
    for cb in builds:
        by_mg: dict[int, list[layout.BuildingPlan]] = {}
        for bp in cb.plan.buildings:
            by_mg.setdefault(bp.mg, []).append(bp)
        for mg, plans in sorted(by_mg.items()):
            for bp, (x, y) in zip(plans, cb.mg_rects[mg].slots(len(plans)), strict=True):
                lat, lng = to_decimal_lat_lng(x, y)
                building = Building(
                    micro_grid=cb.micro_grids[mg],
                    name=bp.name,
                    kind=bp.kind,
                    floors=bp.floors,
                    address=f"银川市金凤区{street.name}{cb.plan.name}{bp.name}",
                    lat=lat,
                    lng=lng,
                )
                cb.buildings[bp.name] = building
                rows.append(building)
    Building.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def build_facilities(builds: list[CommunityBuild], rng: random.Random) -> int:
    """The planned facilities: at their building if named, else inside their micro-grid."""
    rows: list[Facility] = []
    for cb in builds:
        for fp in cb.plan.facilities:
            building = cb.buildings.get(fp.building) if fp.building else None
            if building is not None:
                area, lat, lng = building.micro_grid, building.lat, building.lng
            else:
                rect = cb.mg_rects[fp.mg]
                x = rect.x0 + (rect.x1 - rect.x0) * rng.uniform(0.1, 0.9)
                y = rect.y0 + (rect.y1 - rect.y0) * rng.uniform(0.05, 0.12)
                area, (lat, lng) = cb.micro_grids[fp.mg], to_decimal_lat_lng(x, y)
            phone = "" if fp.kind == "parcel_locker" else f"0951{rng.randrange(5000000, 9000000)}"
            rows.append(
                Facility(
                    area=area,
                    kind=fp.kind,
                    name=fp.name,
                    building=building,
                    lat=lat,
                    lng=lng,
                    opening_hours=fp.opening_hours,
                    phone=phone,
                )
            )
    Facility.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _office_rooms(rng: random.Random) -> list[tuple[str, str]]:
    rooms = [("阅海金融大厦A座", f"{f}{d:02d}") for f in range(6, 29) for d in range(1, 11)]
    rooms += [("阅海金融大厦B座", f"{f}{d:02d}") for f in range(3, 27) for d in range(1, 11)]
    rooms += [("阅海汇商业综合体", f"{f}F-{d:02d}") for f in range(1, 6) for d in range(1, 21)]
    rng.shuffle(rooms)
    return rooms


def build_orgs(builds: list[CommunityBuild], maker: OrgMaker, scale: float) -> int:
    """Enterprises and partner organisations of all four communities; returns the count.

    At scale 1: 465 office-community enterprises (MISSION.md) and 30 factory enterprises.
    """
    sq2, sq4 = builds[1], builds[3]
    placed: list[tuple[CommunityBuild, str, OrgSpec]] = []
    for fixed in FIXED_ORGS:
        spec = maker.org(
            fixed.name,
            fixed.kind,
            authority=fixed.uscc_prefix[0],
            entity=fixed.uscc_prefix[1],
            industry=fixed.industry,
            employee_count=fixed.employees,
            building=fixed.building,
            room=fixed.room,
        )
        placed.append((builds[fixed.community], fixed.role, spec))
    office = maker.office_enterprises(max(1, round(465 * scale)), _office_rooms(maker.rng))
    factories = [bp.name for bp in sq4.plan.buildings if bp.kind == "factory"]
    factory = maker.factory_enterprises(max(1, round(30 * scale)), factories)
    placed += [(sq2, "", spec) for spec in office] + [(sq4, "", spec) for spec in factory]
    rows = []
    for cb, role, spec in placed:
        org = _org(cb, spec)
        rows.append(org)
        if role:
            cb.orgs[role] = org
        if spec.kind == OrgKind.ENTERPRISE:
            cb.enterprises.append(org)
    Organization.objects.bulk_create(rows, batch_size=BATCH)
    sq4.orgs["concrete"] = sq4.enterprises[0]
    return len(rows)


def org_size(employees: int | None) -> str:
    """Size class by employees alone (统计上大中小微型企业划分办法 2017, the thresholds of
    its information-services row: < 10 micro, < 100 small, < 300 medium). The real rule also
    weighs revenue and differs by industry; the demo has no revenue."""
    if employees is None:
        return ""
    if employees < 10:
        return OrgSize.MICRO
    if employees < 100:
        return OrgSize.SMALL
    if employees < 300:
        return OrgSize.MEDIUM
    return OrgSize.LARGE


def _org(cb: CommunityBuild, spec: OrgSpec) -> Organization:
    building = cb.buildings[spec.building] if spec.building else None
    return Organization(
        name=spec.name,
        kind=spec.kind,
        uscc=spec.uscc,
        area=building.micro_grid if building else cb.area,
        building=building,
        room=spec.room,
        industry=spec.industry,
        employee_count=spec.employee_count,
        size=org_size(spec.employee_count) if spec.kind == OrgKind.ENTERPRISE else "",
        contact_name=spec.contact_name,
        contact_phone=spec.contact_phone,
    )
