"""Escalation benchmark: one pass over 20,000 open cases.

Run as ``linli bench escalation``. Works in a THROWAWAY database created the way Django's
test runner does it (as ``benchmarks/import.py``), so the developer's data is never
touched. One community of 5 grids × 4 micro-grids with a street admin, a community admin,
grid leaders and micro-grid workers; 20,000 open cases in every clocked status and every
community category (working and clock time), at ``NOW`` (a Wednesday morning) 3 % due soon
and 2 % overdue (see :func:`_cases`).

Figures: ``pass_seconds`` (the first pass: reads, then one transaction per case to warn or
escalate, with in-app notifications), ``steady_pass_seconds`` (the same pass a minute later,
when almost nothing new is due — what the every-minute schedule costs most of the time),
``catch_up_*`` (every due time moved 3 days back, as after a long outage: most cases climb
the whole ladder in one pass — the worst case, one transaction per case),
``baseline_seconds`` (a bare SELECT of the same open cases' clock columns, same run),
``ratio = pass_seconds / baseline_seconds``, the counts written, and
``target_seconds`` (the schedule interval, 60 s) with ``within_target``.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import OutputWrapper
from django.db import connection
from django.db.models import F

CASES = 20_000
SEED = 20251009
TARGET_SECONDS = 60.0
NOW = dt.datetime(2025, 6, 11, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
GRIDS, MICRO_GRIDS = 5, 4


def _areas_and_staff() -> list[Any]:
    """The community, its micro-grids, and one holder of every ladder role."""
    from linli.people.models import Role
    from linli.places.models import AreaKind
    from linli.places.services import area_create
    from linli.testing.factories import area_chain, staff_user

    chain = area_chain("640106098", name="基准")
    staff_user(chain["street"], Role.STREET_ADMIN, username="bench_street")
    staff_user(chain["community"], Role.COMMUNITY_ADMIN, username="bench_community")
    micros = []
    for g in range(1, GRIDS + 1):
        grid = chain["grid"] if g == 1 else None
        if grid is None:
            grid = area_create(
                code=f"{chain['community'].code}{g:03d}",
                kind=AreaKind.GRID,
                name=f"基准第{g}网格",
                parent=chain["community"],
            )
        staff_user(grid, Role.GRID_LEADER, username=f"bench_leader{g}")
        for m in range(1, MICRO_GRIDS + 1):
            micro = chain["micro_grid"] if (g, m) == (1, 1) else None
            if micro is None:
                micro = area_create(
                    code=f"{grid.code}{m:02d}",
                    kind=AreaKind.MICRO_GRID,
                    name=f"基准微网格{g}-{m}",
                    parent=grid,
                )
            staff_user(micro, Role.MICRO_GRID_WORKER, username=f"bench_mg{g}{m}")
            micros.append(micro)
    return micros


def _cases(micros: list[Any], rng: random.Random) -> int:
    """Open cases whose clocks have used a chosen share of their stage limit at ``NOW``:
    95 % below 80 %, 3 % due soon (80–100 %), 2 % overdue by up to 60 % of the limit.

    ``due_at`` is exact for cases not yet due (the calendar counts the rest of the limit
    from ``NOW``); for overdue ones and for ``stage_started_at`` it is approximate (clock
    seconds), which changes nothing the pass measures.
    """
    from linli.cases.escalation import CLOCKED_STATUSES
    from linli.cases.models import Case, CaseCategory, CaseChannel
    from linli.common import workcalendar

    calendar = workcalendar.current_calendar()
    categories = list(CaseCategory.objects.filter(kind="community"))
    rows = []
    for index in range(CASES):
        category = rng.choice(categories)
        case = Case(
            number=f"640106-20250611-{index:05d}",
            category=category,
            status=rng.choice(CLOCKED_STATUSES),
            channel=CaseChannel.GRID_PATROL,
            title=f"{category.name} 基准",
            description="基准事件",
            area=rng.choice(micros),
        )
        assert case.stage is not None
        limit = category.limit_for(case.stage)
        draw = rng.random()
        used = rng.uniform(0, 0.8) if draw < 0.95 else rng.uniform(0.8, 1.0)
        if draw >= 0.98:
            used = rng.uniform(1.0, 1.6)
        if used < 1:
            left = round(limit * (1 - used))
            case.due_at = calendar.due_at(NOW, left, working_time=category.working_time)
        else:
            case.due_at = NOW - dt.timedelta(seconds=round(limit * (used - 1)))
        case.stage_started_at = case.due_at - dt.timedelta(seconds=limit)
        rows.append(case)
    Case.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _measure(stdout: OutputWrapper) -> dict[str, Any]:
    from linli.cases.escalation import CLOCKED_STATUSES, cases_escalate
    from linli.cases.models import Case
    from linli.cases.tests.lifecycle import ensure_categories

    ensure_categories()
    rng = random.Random(SEED)
    started = time.perf_counter()
    created = _cases(_areas_and_staff(), rng)
    stdout.write(f"生成 {created} 件在办事件，用时 {time.perf_counter() - started:.1f} 秒")

    started = time.perf_counter()
    open_rows = list(
        Case.objects.filter(status__in=CLOCKED_STATUSES, paused_at__isnull=True).values_list(
            "pk", "status", "stage_started_at", "due_at", "area_id", "handler_id"
        )
    )
    baseline_seconds = time.perf_counter() - started

    started = time.perf_counter()
    first = cases_escalate(now=NOW)
    pass_seconds = time.perf_counter() - started
    stdout.write(f"日常一轮：{first.summary()}，用时 {pass_seconds:.2f} 秒")

    started = time.perf_counter()
    steady = cases_escalate(now=NOW + dt.timedelta(minutes=1))
    steady_seconds = time.perf_counter() - started
    stdout.write(f"一分钟后：{steady.summary()}，用时 {steady_seconds:.2f} 秒")

    # Catch-up: the task was down for days; every due time moves 3 days into the past.
    Case.objects.update(due_at=F("due_at") - dt.timedelta(days=3))
    started = time.perf_counter()
    catch_up = cases_escalate(now=NOW + dt.timedelta(minutes=2))
    catch_up_seconds = time.perf_counter() - started
    stdout.write(f"停机三天后补办：{catch_up.summary()}，用时 {catch_up_seconds:.2f} 秒")
    return {
        "cases": len(open_rows),
        "database": connection.vendor,
        "candidates": first.candidates,
        "warned": first.warned,
        "escalated_levels": first.escalated,
        "pass_seconds": round(pass_seconds, 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "ratio": round(pass_seconds / baseline_seconds, 1),
        "steady_pass_seconds": round(steady_seconds, 3),
        "steady_steps": len(steady.steps),
        "catch_up_cases_acted_on": len({step.case_id for step in catch_up.steps}),
        "catch_up_levels": len(catch_up.steps),
        "catch_up_seconds": round(catch_up_seconds, 3),
        "catch_up_ms_per_case": round(
            1000 * catch_up_seconds / max(1, len({s.case_id for s in catch_up.steps})), 2
        ),
        "target_seconds": TARGET_SECONDS,
        "within_target": pass_seconds < TARGET_SECONDS,
    }


def run(*, stdout: OutputWrapper) -> dict[str, Any]:
    """Build the cases in a throwaway database, time the passes, return the figures."""
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        if connection.vendor == "sqlite":
            # A file, not the test runner's in-memory default, so the timing is realistic.
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
                Path(tmp) / "bench.sqlite3"
            )
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            return _measure(stdout)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
