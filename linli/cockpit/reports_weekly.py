"""The weekly 12345-style case report per grid (网格事件周报).

For a week Monday–Sunday (Asia/Shanghai) and every grid under the area (the area itself
when it is a grid), from the cases' immutable events:

* **received** — ``report`` events in the week, by channel and by category (top three);
* **closed**, **on time** (finished stages within their limit, all stages, as
  :func:`linli.cases.kpis.kpis_for` judges them), **satisfaction** (mean of the week's
  ratings), **reopened** (``reopen`` events in the week), **overdue** (open cases past
  ``due_at`` at the time of the report);
* **the overdue list** — case number, category, building, stage deadline and whole days
  overdue; no reporter, resident or phone (the report is passed around).

Cases filed on a community above any grid are grouped under that community's row.
Cost: a fixed number of queries whatever the number of grids and cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from django.utils import timezone

from linli.cases.escalation import CLOCKED_STATUSES
from linli.cases.kpis import KpiRow, kpis_for, percent
from linli.cases.models import Case, CaseAction, CaseChannel, CaseEvent
from linli.cockpit.reports_monthly import local_range
from linli.common.documents import Cell, Chart, Document, Section
from linli.places.models import AREA_DEPTH, Area, AreaKind

TITLE = "网格事件周报"


def grid_key(path: str) -> str:
    """The path of the grid above (or at) ``path``; ``path`` itself when it is higher."""
    codes = path.strip("/").split("/")
    depth = AREA_DEPTH[AreaKind.GRID] + 1
    return "/" + "/".join(codes[:depth]) + "/" if len(codes) >= depth else path


@dataclasses.dataclass
class OverdueCase:
    number: str
    category: str
    building: str
    due_at: dt.datetime
    days_overdue: int


@dataclasses.dataclass
class GridWeek:
    """One grid's week (``kpis`` from :func:`kpis_for`: closed, stages, ratings, overdue)."""

    path: str
    name: str
    received_by_channel: Counter[str] = dataclasses.field(default_factory=Counter)
    received_by_category: Counter[str] = dataclasses.field(default_factory=Counter)
    reopened: int = 0
    kpis: KpiRow = dataclasses.field(default_factory=lambda: KpiRow(key="", label=""))
    overdue: list[OverdueCase] = dataclasses.field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(self.received_by_channel.values())

    @property
    def on_time(self) -> tuple[int, int]:
        """(finished stages on time, finished stages) over all four stages."""
        stages = self.kpis.stages.values()
        return sum(s.on_time for s in stages), sum(s.total for s in stages)


@dataclasses.dataclass
class WeeklyFigures:
    area: Area
    start: dt.date
    end: dt.date
    now: dt.datetime
    grids: list[GridWeek]


def weekly_figures(area: Area, start: dt.date, end: dt.date, *, now: dt.datetime) -> WeeklyFigures:
    """Each grid's week under ``area`` (grids without cases included, by code)."""
    since, until = local_range(start, end)
    grids = {
        path: GridWeek(path=path, name=name)
        for path, name in Area.objects.filter(
            path__startswith=area.path, kind=AreaKind.GRID
        ).values_list("path", "name")
    }
    if area.kind == AreaKind.GRID:
        grids = {area.path: GridWeek(path=area.path, name=area.name)}

    def grid(path: str) -> GridWeek:
        key = grid_key(path)
        if key not in grids:
            grids[key] = GridWeek(path=key, name="")
        return grids[key]

    cases = Case.objects.filter(area__path__startswith=area.path)
    for action, channel, category, path in (
        CaseEvent.objects.filter(
            case__in=cases,
            at__gte=since,
            at__lt=until,
            action__in=[CaseAction.REPORT, CaseAction.REOPEN],
        )
        .order_by()
        .values_list("action", "case__channel", "case__category__name", "case__area__path")
    ):
        row = grid(path)
        if action == CaseAction.REPORT:
            row.received_by_channel[channel] += 1
            row.received_by_category[category] += 1
        else:
            row.reopened += 1
    table = kpis_for(cases, by="grid", since=start, until=end, now=now)
    codes = dict(Area.objects.filter(path__in=list(grids)).values_list("code", "path"))
    for kpi in table.rows:
        key = codes.get(kpi.key, kpi.key)
        if key in grids:
            grids[key].kpis = kpi
    overdue = (
        cases.filter(status__in=CLOCKED_STATUSES, paused_at__isnull=True, due_at__lt=now)
        .order_by("due_at")
        .values_list("number", "category__name", "building__name", "due_at", "area__path")
    )
    for number, category, building, due_at, path in overdue:
        assert due_at is not None  # filtered on due_at__lt
        days = (now - due_at).days
        grid(path).overdue.append(OverdueCase(number, category, building or "—", due_at, days))
    names = dict(Area.objects.filter(path__in=list(grids)).values_list("path", "name"))
    for row in grids.values():
        row.name = row.name or names.get(row.path, row.path)
    ordered = sorted(grids.values(), key=lambda g: g.path)
    return WeeklyFigures(area=area, start=start, end=end, now=now, grids=ordered)


def weekly_document(f: WeeklyFigures) -> Document:
    """The week as a :class:`Document`: per-grid summary with a chart, received by
    channel, and the overdue list."""
    year, week, _ = f.start.isocalendar()
    channels = [c for c in CaseChannel if any(g.received_by_channel[c] for g in f.grids)]
    summary_rows: list[list[Cell]] = []
    for g in f.grids:
        on_time, finished = g.on_time
        mean = g.kpis.satisfaction_mean
        top = "、".join(f"{name}({n})" for name, n in g.received_by_category.most_common(3))
        summary_rows.append(
            [
                g.name,
                g.received,
                g.kpis.closed,
                f"{percent(on_time / finished if finished else None)}（{on_time}/{finished}）",
                len(g.overdue),
                "—" if mean is None else f"{mean:.2f}",
                g.reopened,
                top or "—",
            ]
        )
    names = [g.name for g in f.grids]
    overdue_rows: list[list[Cell]] = [
        [
            g.name,
            o.number,
            o.category,
            o.building,
            f"{timezone.localtime(o.due_at):%m-%d %H:%M}",
            o.days_overdue,
        ]
        for g in f.grids
        for o in g.overdue
    ]
    totals: defaultdict[str, int] = defaultdict(int)
    for g in f.grids:
        for channel, n in g.received_by_channel.items():
            totals[channel] += n
    sections = [
        Section(
            "各网格事件概况",
            ["网格", "受理", "办结", "按时率（环节）", "超时", "满意度", "重开", "主要类别"],
            summary_rows,
            footer=[
                "合计",
                sum(g.received for g in f.grids),
                sum(g.kpis.closed for g in f.grids),
                "",
                sum(len(g.overdue) for g in f.grids),
                "",
                sum(g.reopened for g in f.grids),
                "",
            ],
            widths=[2.2, 1, 1, 1.8, 1, 1, 1, 3],
            note="" if f.grids else "该区域下没有网格。",
            chart=Chart(
                "bar",
                "各网格受理与办结",
                names,
                [
                    ("受理", [g.received for g in f.grids]),
                    ("办结", [g.kpis.closed for g in f.grids]),
                ],
                unit="件",
            )
            if names
            else None,
        ),
        Section(
            "按来源渠道受理",
            ["网格", *(CaseChannel(c).label for c in channels)],
            [[g.name, *(g.received_by_channel[c] for c in channels)] for g in f.grids],
            footer=["合计", *(totals[c] for c in channels)],
        )
        if channels
        else Section("按来源渠道受理", [], [], note="本周无受理事件。"),
        Section(
            "超时未办清单",
            ["网格", "事件编号", "类别", "楼栋", "时限", "超时天数"],
            overdue_rows,
            widths=[2, 2.4, 2, 2, 1.6, 1],
        )
        if overdue_rows
        else Section("超时未办清单", [], [], note="截至生成时无超时未办事件。"),
    ]
    return Document(
        title=f"{f.area.name} {year}年第{week}周 {TITLE}",
        lines=[
            f"区域：{f.area.name}（{f.area.get_kind_display()}，{f.area.code}）",
            f"统计期间：{f.start:%Y-%m-%d}（周一）至 {f.end:%Y-%m-%d}（周日）"
            + (
                f"（本周尚未结束，数据截至 {timezone.localtime(f.now):%m-%d %H:%M}）"
                if timezone.localtime(f.now).date() <= f.end
                else ""
            ),
            f"生成时间：{timezone.localtime(f.now):%Y-%m-%d %H:%M}；超时按生成时计",
        ],
        sections=sections,
        landscape=True,
    )
