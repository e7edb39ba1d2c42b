"""Data for ``linli bench pages``: the demo street at a scale, then volume added fast.

Scale ``s`` = 1.0 means :data:`RESIDENTS` (30,000) residents, :data:`DEVICE_EVENTS`
(1,000,000) device events and :data:`CASES` (100,000) grid cases, with service orders
(:data:`ORDERS`) and care alerts (:data:`ALERTS`) in proportion. The skeleton is the real
demo (:func:`linli.places.demo.build_demo` plus its care, engagement, commons and social
steps: four communities with boundaries, grids, micro-grids, 194 buildings with
coordinates, facilities, households, residents, staff log-ins, devices, activities,
canteen…) built at ``s × 30,000 / 38,653`` of its full size (the full demo holds 38,653
residents), so residents, households and organisations scale with ``s`` while areas and
buildings stay those of the street. Above about 1.8× the street's dwellings are full (the
demo places households in the buildings' flats): 3× holds about 53,000 residents, not
90,000, while cases, events, orders and alerts are 3×. The volume is then added straight
into the tables:

- cases over the last 365 days, 82 % closed, 5 % not registered, the rest open across
  every open status (a fifth of the open ones overdue), each with its ``report`` event;
- device events over the last 60 days, spread over the demo's devices (door, water,
  power readings), on PostgreSQL into their monthly partitions;
- service orders over the last 180 days (95 % final, the rest in progress);
- care alerts over the last 180 days (95 % resolved, the rest open or acknowledged).

Rows go in with ``COPY … FROM STDIN`` on PostgreSQL (psycopg ``cursor.copy``) and
``executemany`` of one ``INSERT`` on SQLite: no model instances, no signals, no history.
Everything is drawn from ``random.Random(seed)`` streams and fixed reference instants
relative to the current hour, so one seed gives the same rows (up to that reference).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models

RESIDENTS = 30_000
DEVICE_EVENTS = 1_000_000
CASES = 100_000
ORDERS = 20_000
ALERTS = 3_000
#: Residents of the full-size demo street (``linli demo`` at scale 1).
DEMO_RESIDENTS = 38_653
SEED = 20261130
#: Rows per ``executemany`` (SQLite) / between progress lines.
CHUNK = 50_000
#: Case numbers made here use sequence numbers from this one up (the services count from 1).
CASE_SEQUENCE_FROM = 5000


@dataclass
class Volume:
    """What :func:`generate` wrote: row counts by kind and seconds by step."""

    scale: float
    counts: dict[str, int]
    seconds: dict[str, float]


def demo_scale(scale: float) -> float:
    """The ``linli demo`` scale giving ``scale × RESIDENTS`` residents."""
    return scale * RESIDENTS / DEMO_RESIDENTS


# --- fast inserts -----------------------------------------------------------------------


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """A function from a Python value to what this database's driver takes for ``field``."""
    if isinstance(field, models.JSONField):
        return lambda v: json.dumps(v, ensure_ascii=False)
    if connection.vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return lambda v: (
                None if v is None else v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            )
        if isinstance(field, models.DateField):
            return lambda v: None if v is None else v.isoformat()
        if isinstance(field, models.DecimalField):
            return lambda v: None if v is None else str(v)
    return lambda v: v


def fast_insert(
    model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (values in the order of the field ``names``; a ``ForeignKey`` by its
    ``*_id`` attribute name) into ``model``'s table; returns the number of rows.

    PostgreSQL: one ``COPY FROM STDIN`` (text format; psycopg writes each row). SQLite:
    ``executemany`` of a single-row ``INSERT`` per :data:`CHUNK` rows. Columns not
    given are filled with the field's default (``""``, ``0``, ``{}``…; auto times are not:
    name them).
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[n] for n in names]
    # Columns not named get the field's default ("" / 0 / {} / None), as the ORM would.
    rest = [
        f
        for f in meta.concrete_fields
        if f not in fields and not f.primary_key and (f.has_default() or not f.null)
    ]
    defaults = [f.get_default() for f in rest]
    if rest:
        fields = [*fields, *rest]
        rows = (tuple(row) + tuple(defaults) for row in rows)
    columns = [str(f.column) for f in fields]
    convert = [_converter(f) for f in fields]
    table = connection.ops.quote_name(str(meta.db_table))
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([c(v) for c, v in zip(convert, row, strict=True)])
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        raw = cursor.cursor  # the sqlite3 cursor: '?' placeholders, no Django formatting
        batch: list[list[Any]] = []
        for row in rows:
            batch.append([c(v) for c, v in zip(convert, row, strict=True)])
            if len(batch) >= CHUNK:
                raw.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            raw.executemany(sql, batch)
            count += len(batch)
    return count


def _reset_sequence(model: type[models.Model]) -> None:
    """After inserting explicit primary keys: the next ``pk`` follows the largest (PG)."""
    if connection.vendor != "postgresql":
        return
    sql = connection.ops.sequence_reset_sql(_no_style(), [model])
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def _no_style() -> Any:
    from django.core.management.color import no_style

    return no_style()


# --- the skeleton -----------------------------------------------------------------------


def build_skeleton(
    scale: float, *, seed: int, log: Callable[[str], None], extras: bool = True
) -> dict[str, int]:
    """The demo street at :func:`demo_scale` (``linli demo``'s steps, quietly).

    ``extras=False`` leaves out the engagement, commons and social steps (activities,
    needs, parking, canteen, market: about 25 s whatever the scale) — for the smoke test.
    """
    from django.db import transaction

    from linli.places.demo import build_demo
    from linli.places.demo.care import build_care
    from linli.places.demo.commons import build_commons
    from linli.places.demo.economy import build_engagement
    from linli.places.demo.social import build_social

    def quiet(message: str) -> None:
        pass

    with transaction.atomic():
        counts = build_demo(scale=demo_scale(scale), seed=seed, log=quiet)
    steps = (build_care, build_engagement, build_commons, build_social) if extras else (build_care,)
    for step in steps:
        counts.update(step(log=quiet))
    log(f"演示街道（规模 {demo_scale(scale):.4f}）：居民 {counts.get('residents', 0)} 人")
    return counts


# --- the volume -------------------------------------------------------------------------


@dataclass
class Place:
    """A household with where it is: building, micro-grid, coordinates, address."""

    household: int
    building: int
    area: int
    lat: Decimal
    lng: Decimal
    address: str


def _places() -> list[Place]:
    from linli.places.models import Household

    rows = Household.objects.filter(building__lat__isnull=False).values_list(
        "pk",
        "building_id",
        "building__micro_grid_id",
        "building__lat",
        "building__lng",
        "building__address",
        "unit",
        "room",
    )
    return [
        Place(pk, b, a, lat or Decimal(0), lng or Decimal(0), f"{addr}{unit}{room}")
        for pk, b, a, lat, lng, addr, unit, room in rows.order_by("pk")
    ]


def _now() -> dt.datetime:
    """The reference instant: the current hour (UTC), so a seed's rows are stable within it."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def add_cases(count: int, rng: random.Random, places: list[Place]) -> int:
    """``count`` cases with their ``report`` events (see the module docstring)."""
    from linli.cases.models import Case, CaseCategory, CaseEvent, CaseStatus

    categories = list(
        CaseCategory.objects.filter(children__isnull=True).values_list("pk", "name")
    ) or list(CaseCategory.objects.values_list("pk", "name"))
    now = _now()
    open_statuses = [
        CaseStatus.REPORTED,
        CaseStatus.REGISTERED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.HANDLED,
        CaseStatus.RETURNED,
        CaseStatus.SUSPENDED,
    ]
    start = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    per_day: dict[str, int] = {}
    cases: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for n in range(count):
        pk = start + n
        created = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        day = (created + dt.timedelta(hours=8)).strftime("%Y%m%d")
        per_day[day] = per_day.get(day, CASE_SEQUENCE_FROM) + 1
        number = f"640106-{day}-{per_day[day]:04d}"
        place = rng.choice(places)
        category, name = rng.choice(categories)
        roll = rng.random()
        closed_at = satisfaction = None
        due = stage_started = None
        if roll < 0.82:
            status = CaseStatus.CLOSED
            closed_at = min(now, created + dt.timedelta(hours=rng.randrange(2, 240)))
            satisfaction = rng.choice([3, 4, 4, 5, 5, 5])
        elif roll < 0.87:
            status = CaseStatus.REJECTED
            closed_at = min(now, created + dt.timedelta(hours=rng.randrange(1, 24)))
        else:
            status = rng.choice(open_statuses)
            stage_started = created + dt.timedelta(hours=rng.randrange(0, 48))
            stage_started = min(stage_started, now)
            overdue = rng.random() < 0.2
            due = (
                now - dt.timedelta(hours=rng.randrange(1, 72))
                if overdue
                else (now + dt.timedelta(hours=rng.randrange(1, 120)))
            )
        updated = closed_at or stage_started or created
        cases.append(
            (
                pk, number, category, status, 3, "grid_patrol", f"{name}（基准）",
                f"基准数据：{place.address}发现{name}，请处理。", {}, place.area,
                place.building, place.household, place.lat, place.lng, place.address,
                "基准网格员", stage_started, due, 0, 0, 0, closed_at, satisfaction, "",
                "", created, updated,
            )
        )  # fmt: skip
        events.append((pk, "report", "基准网格员", created, "", "reported", "", "", {}))
    names = [
        "id", "number", "category_id", "status", "priority", "channel", "title",
        "description", "attributes", "area_id", "building_id", "household_id", "lat", "lng",
        "address", "reporter_name", "stage_started_at", "due_at", "paused_seconds",
        "escalation_level", "reopen_count", "closed_at", "satisfaction", "satisfaction_note",
        "status_before_suspend", "created_at", "updated_at",
    ]  # fmt: skip
    written = fast_insert(Case, names, cases)
    _reset_sequence(Case)
    fast_insert(
        CaseEvent,
        [
            "case_id", "action", "actor_label", "at", "from_status", "to_status", "note",
            "witness_name", "data",
        ],
        events,
    )  # fmt: skip
    return written


def add_device_events(count: int, rng: random.Random) -> int:
    """``count`` device events over the last 60 days on the demo's meters and door sensors."""
    from linli.devices.models import Device, DeviceEvent, DeviceKind
    from linli.devices.partitions import add_months, month_start, partitions_ensure

    devices = list(
        Device.objects.filter(
            kind__in=[DeviceKind.DOOR_SENSOR, DeviceKind.WATER_METER, DeviceKind.POWER_METER]
        ).values_list("pk", "kind")
    )
    if not devices or count <= 0:
        return 0
    now = _now()
    first = now - dt.timedelta(days=60)
    month = month_start(first)
    months = []
    while month <= month_start(now):
        months.append(month)
        month = add_months(month, 1)
    partitions_ensure(months)
    per_device, extra = divmod(count, len(devices))
    span = (now - first).total_seconds()

    def rows() -> Iterable[tuple[Any, ...]]:
        for n, (pk, kind) in enumerate(devices):
            quota = per_device + (1 if n < extra else 0)
            if not quota:
                continue
            step = span / quota
            value = float(rng.randrange(1000, 90000))
            for k in range(quota):
                ts = first + dt.timedelta(seconds=int(k * step) + rng.randrange(max(1, int(step))))
                if kind == DeviceKind.DOOR_SENSOR:
                    event_kind, reading = ("door_open" if k % 2 == 0 else "door_close"), None
                elif kind == DeviceKind.WATER_METER:
                    value += rng.random() * 20
                    event_kind, reading = "water", round(value, 1)
                else:
                    value += rng.random() * 50
                    event_kind, reading = "power", round(value, 1)
                yield (pk, f"bench-{k}", ts, event_kind, reading, ts + dt.timedelta(seconds=2))

    return fast_insert(
        DeviceEvent, ["device_id", "event_id", "ts", "kind", "value", "received_at"], rows()
    )


def add_orders(count: int, rng: random.Random, places: list[Place]) -> int:
    """``count`` service orders over the last 180 days for residents of their households."""
    from linli.orders.models import Order, ServiceType
    from linli.people.models import Resident

    types = list(ServiceType.objects.values_list("pk", "list_price_fen"))
    by_household = dict(
        Resident.objects.filter(household__isnull=False)
        .order_by("household_id", "pk")
        .values_list("household_id", "pk")
    )
    homes = [p for p in places if p.household in by_household]
    if not types or not homes:
        return 0
    now = _now()
    final = ["completed"] * 17 + ["cancelled", "unfulfilled"]
    moving = ["placed", "assigned", "accepted", "en_route", "arrived", "in_service"]
    rows: list[tuple[Any, ...]] = []
    for n in range(count):
        place = rng.choice(homes)
        service, price = rng.choice(types)
        placed = now - dt.timedelta(seconds=rng.randrange(180 * 86400))
        status = rng.choice(final) if rng.random() < 0.95 else rng.choice(moving)
        if status in moving:
            placed = now - dt.timedelta(minutes=rng.randrange(5, 120))
        assigned = (
            placed + dt.timedelta(minutes=2) if status not in ("placed", "unfulfilled") else None
        )
        arrived = (
            placed + dt.timedelta(minutes=rng.randrange(12, 45))
            if status in ("arrived", "in_service", "completed")
            else None
        )
        completed = (
            arrived + dt.timedelta(minutes=60) if status == "completed" and arrived else None
        )
        rows.append(
            (
                f"BO{n:08d}", service, by_household[place.household], place.household,
                place.building, place.area, place.address, float(place.lat), float(place.lng),
                "staff", None, None, 1, 3600, status, price or 0, 0, {}, "",
                placed, assigned, assigned, arrived, arrived, completed,
                placed + dt.timedelta(minutes=5) if status == "cancelled" else None,
                placed + dt.timedelta(minutes=30) if status == "unfulfilled" else None,
                "", "", rng.choice([4, 5, 5]) if completed else None, "", completed,
                placed, completed or placed,
            )
        )  # fmt: skip
    names = [
        "number", "service_type_id", "resident_id", "household_id", "building_id", "area_id",
        "address", "lat", "lng", "channel", "slot_start", "slot_end", "workers_needed",
        "duration_s", "status", "price_fen", "subsidy_fen", "quote", "note", "placed_at",
        "assigned_at", "accepted_at", "arrived_at", "started_at", "completed_at",
        "cancelled_at", "unfulfilled_at", "cancel_reason", "completion_note", "rating",
        "rating_comment", "rated_at", "created_at", "updated_at",
    ]  # fmt: skip
    return fast_insert(Order, names, rows)


def add_alerts(count: int, rng: random.Random) -> int:
    """``count`` care alerts over the last 180 days about elders (60+) of the registry."""
    from linli.care.models import CareAlert
    from linli.people.models import Resident

    elders = list(
        Resident.objects.filter(household__isnull=False, birth_date__lt=dt.date(1966, 1, 1))
        .order_by("pk")
        .values_list("pk", "household_id", "area_id")[:5000]
    )
    if not elders:
        return 0
    now = _now()
    kinds = ["silence"] * 6 + ["water_running"] * 2 + ["sos", "smoke"]
    rows = []
    for _ in range(count):
        resident, household, area = rng.choice(elders)
        raised = now - dt.timedelta(seconds=rng.randrange(180 * 86400))
        roll = rng.random()
        acked = resolved = None
        outcome = ""
        if roll < 0.95:
            status = "resolved"
            acked = raised + dt.timedelta(minutes=rng.randrange(2, 40))
            resolved = acked + dt.timedelta(minutes=rng.randrange(5, 120))
            outcome = rng.choice(["fine", "fine", "false_alarm", "needed_help"])
        else:
            raised = now - dt.timedelta(minutes=rng.randrange(5, 600))
            status = rng.choice(["open", "acknowledged", "escalated"])
            acked = raised + dt.timedelta(minutes=3) if status == "acknowledged" else None
        kind = rng.choice(kinds)
        rows.append(
            (
                resident, household, area, kind, status, raised,
                raised - dt.timedelta(hours=14) if kind == "silence" else None,
                "基准告警", raised + dt.timedelta(minutes=30), 0, acked, resolved, outcome, "",
                raised, resolved or acked or raised,
            )
        )  # fmt: skip
    names = [
        "resident_id", "household_id", "area_id", "kind", "status", "raised_at",
        "silent_since", "detail", "ack_due_at", "escalation_level", "acknowledged_at",
        "resolved_at", "outcome", "outcome_note", "created_at", "updated_at",
    ]  # fmt: skip
    return fast_insert(CareAlert, names, rows)


def _analyze() -> None:
    """Fresh planner statistics after the bulk load (as autovacuum would do later)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def generate(
    scale: float,
    *,
    seed: int = SEED,
    log: Callable[[str], None] = print,
    extras: bool = True,
) -> Volume:
    """The demo street at ``scale`` plus the volume (see the module docstring).

    ``extras``: see :func:`build_skeleton`. Needs an empty, migrated database (the demo
    refuses one that holds areas). Raises
    ``ValueError`` for a scale outside (0, 10].
    """
    from django.db import transaction

    if not 0 < scale <= 10:
        raise ValueError(f"规模应在 0 到 10 之间，实际为 {scale}")
    from linli.devices import partitions

    # A new database (one clone per scale): the partitions this process saw are not in it.
    partitions.forget()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    counts = build_skeleton(scale, seed=seed, log=log, extras=extras)
    seconds["skeleton"] = time.perf_counter() - started
    places = _places()
    steps: list[tuple[str, Callable[[], int]]] = [
        ("cases", lambda: add_cases(round(CASES * scale), random.Random(f"{seed}:cases"), places)),
        (
            "device_events",
            lambda: add_device_events(round(DEVICE_EVENTS * scale), random.Random(f"{seed}:ev")),
        ),
        (
            "orders",
            lambda: add_orders(round(ORDERS * scale), random.Random(f"{seed}:orders"), places),
        ),
        ("alerts", lambda: add_alerts(round(ALERTS * scale), random.Random(f"{seed}:alerts"))),
    ]
    for name, step in steps:
        at = time.perf_counter()
        with transaction.atomic():
            added = step()
        seconds[name] = time.perf_counter() - at
        counts[f"bench_{name}"] = added
        log(f"  + {name} {added:,} 行，{seconds[name]:.1f} 秒")
    at = time.perf_counter()
    _analyze()
    seconds["analyze"] = time.perf_counter() - at
    seconds["total"] = time.perf_counter() - started
    counts.update(_totals())
    return Volume(scale=scale, counts=counts, seconds=seconds)


def _totals() -> dict[str, int]:
    """Rows in the tables the pages read (after the volume)."""
    from linli.care.models import CareAlert
    from linli.cases.models import Case
    from linli.devices.models import DeviceEvent
    from linli.orders.models import Order
    from linli.people.models import Resident

    return {
        "total_residents": Resident.objects.count(),
        "total_cases": Case.objects.count(),
        "total_device_events": DeviceEvent.objects.count(),
        "total_orders": Order.objects.count(),
        "total_alerts": CareAlert.objects.count(),
    }


__all__ = ["Volume", "demo_scale", "fast_insert", "generate"]
