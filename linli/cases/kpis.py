"""Case KPIs per area (community, grid, micro-grid) and per handling unit, over a date range.

Definitions (docs/cases.md "KPIs"); the period is ``since``–``until`` inclusive, Asia/Shanghai
dates, and every figure comes from the immutable :class:`~linli.cases.models.CaseEvent`
timeline, so a later edit of a case never rewrites history:

* **on-time rate per stage** (register, dispatch, handle, verify): a stage runs from the
  event that entered it to the event that left it (``STAGE_OF_STATUS`` changes); its time
  is counted the way its category counts (working seconds from
  :mod:`linli.common.workcalendar`, or clock seconds), with pauses (``pause`` → ``unpause``)
  left out; on time when that time ≤ the category's limit for the stage. Counted in the
  period in which the stage *ended*; stages cut short by suspension (挂账) or merging are not
  counted; stages still running are not counted (see ``overdue_now``). The register stage
  uses the category the case had before a re-classification at registration.
* **median handling time**: median of the handle stages' times (as above, seconds).
* **satisfaction**: ratings (``rate`` events) in the period: mean 1–5 and share ≥ 4.
* **reopen rate**: of the closings in the period, the share followed by a reopening that
  counts against the closing unit (closed ≤ ``LINLI_CASE_REOPEN_DAYS`` days earlier, as
  recorded on the ``reopen`` event by ``case_reopen``). Closings near the period's end may
  still be reopened later.
* **overdue now**: open cases with a running (unpaused) clock past ``due_at`` at ``now``.

Grouping by area puts each case under its community, grid or micro-grid. Grouping by unit
(``handler_org`` or ``handler``) counts what the unit answers for: its handle stages (the
unit dispatched at the time), the closings of its cases (the closing unit on the ``close``
event), their ratings and reopenings, and its open overdue cases; register, dispatch and
verify are the community's stages and stay empty there.

Cost: a fixed number of queries (≈ 7) whatever the number of cases; the timeline is walked
in Python over the cases that had any event in the period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet

from linli.cases.errors import CaseInputError, NotAllowed
from linli.cases.escalation import CLOCKED_STATUSES, STAGE_LABELS
from linli.cases.models import STAGE_OF_STATUS, Case, CaseAction, CaseCategory, CaseEvent
from linli.common import workcalendar
from linli.orgs.models import Organization
from linli.people.scoping import area_paths, scope
from linli.places.models import AREA_DEPTH, Area, AreaKind

STAGES = tuple(STAGE_LABELS)
#: ``by`` → area kind to group under (None: a handling unit).
GROUPINGS: dict[str, str | None] = {
    "community": AreaKind.COMMUNITY,
    "grid": AreaKind.GRID,
    "micro_grid": AreaKind.MICRO_GRID,
    "handler_org": None,
    "handler": None,
}
GROUPING_LABELS = {
    "community": "社区",
    "grid": "网格",
    "micro_grid": "微网格",
    "handler_org": "处置单位",
    "handler": "处置人",
}
#: Longest period accepted, so one request stays a bounded amount of timeline.
MAX_DAYS = 366
#: Stages ended by these actions have no outcome to judge (parked or merged away).
NOT_JUDGED = {CaseAction.SUSPEND, CaseAction.MERGE}
NO_UNIT = "-"


@dataclasses.dataclass
class StageTally:
    """Finished stages of one kind: how many, how many within the limit."""

    on_time: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        """Share on time, 0–1; None without any finished stage."""
        return self.on_time / self.total if self.total else None


@dataclasses.dataclass
class KpiRow:
    """The figures of one group (an area or a handling unit), or of all of them."""

    key: str
    label: str
    stages: dict[str, StageTally] = dataclasses.field(
        default_factory=lambda: {stage: StageTally() for stage in STAGES}
    )
    handle_seconds: list[int] = dataclasses.field(default_factory=list, repr=False)
    closed: int = 0
    reopened: int = 0
    ratings: list[int] = dataclasses.field(default_factory=list, repr=False)
    overdue_now: int = 0

    @property
    def median_handle_seconds(self) -> int | None:
        return int(statistics.median(self.handle_seconds)) if self.handle_seconds else None

    @property
    def satisfaction_mean(self) -> float | None:
        return statistics.fmean(self.ratings) if self.ratings else None

    @property
    def satisfaction_good_share(self) -> float | None:
        """Share of ratings of 4 or 5, 0–1."""
        if not self.ratings:
            return None
        return sum(1 for score in self.ratings if score >= 4) / len(self.ratings)

    @property
    def reopen_rate(self) -> float | None:
        """Closings reopened against the closing unit / closings, 0–1."""
        return self.reopened / self.closed if self.closed else None

    def add(self, other: KpiRow) -> None:
        for stage in STAGES:
            self.stages[stage].on_time += other.stages[stage].on_time
            self.stages[stage].total += other.stages[stage].total
        self.handle_seconds += other.handle_seconds
        self.closed += other.closed
        self.reopened += other.reopened
        self.ratings += other.ratings
        self.overdue_now += other.overdue_now


@dataclasses.dataclass
class KpiTable:
    by: str
    since: dt.date
    until: dt.date
    now: dt.datetime
    rows: list[KpiRow]
    total: KpiRow


# --- the timeline ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StageSpan:
    """One finished stage of one case, with the handling unit of that time."""

    stage: str
    started: dt.datetime
    ended: dt.datetime
    pauses: tuple[tuple[dt.datetime, dt.datetime], ...]
    category_code: str
    org_id: int | None
    user_id: int | None
    judged: bool


@dataclasses.dataclass(frozen=True)
class Closing:
    at: dt.datetime
    org_id: int | None
    user_id: int | None
    reopened_against: bool


@dataclasses.dataclass(frozen=True)
class Rating:
    at: dt.datetime
    score: int
    org_id: int | None
    user_id: int | None


@dataclasses.dataclass
class Timeline:
    spans: list[StageSpan] = dataclasses.field(default_factory=list)
    closings: list[Closing] = dataclasses.field(default_factory=list)
    ratings: list[Rating] = dataclasses.field(default_factory=list)


Event = tuple[str, int | None, dt.datetime, str, str, Any]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def timeline_read(events: Sequence[Event], *, category_code: str) -> Timeline:
    """Stage spans, closings and ratings of one case from its events in time order.

    Args:
        events: ``(action, actor_id, at, from_status, to_status, data)`` ordered by
            ``(at, id)``.
        category_code: the case's category now; an earlier one recorded on the register
            event (``data["category_from"]``) applies to the register stage.
    """
    out = Timeline()
    stage: str | None = None
    started: dt.datetime | None = None
    pauses: list[tuple[dt.datetime, dt.datetime]] = []
    paused_from: dt.datetime | None = None
    org_id: int | None = None
    user_id: int | None = None
    closing: tuple[dt.datetime, int | None, int | None] | None = None
    for action, actor_id, at, from_status, to_status, raw in events:
        data = raw if isinstance(raw, dict) else {}
        if action == CaseAction.PAUSE:
            paused_from = paused_from or at
            continue
        if action == CaseAction.UNPAUSE:
            if paused_from is not None:
                pauses.append((paused_from, at))
            paused_from = None
            continue
        if action == CaseAction.DISPATCH:
            org_id, user_id = _int(data.get("handler_org_id")), _int(data.get("handler_id"))
        elif action == CaseAction.ACCEPT and user_id is None:
            user_id = actor_id
        new_stage = STAGE_OF_STATUS.get(to_status) if to_status else None
        old_stage = STAGE_OF_STATUS.get(from_status) if from_status else None
        if to_status and (new_stage != old_stage or not from_status):
            if stage is not None and started is not None:
                if paused_from is not None:
                    pauses.append((paused_from, at))
                code = category_code
                if stage == "register" and action == CaseAction.REGISTER:
                    code = str(data.get("category_from") or category_code)
                out.spans.append(
                    StageSpan(
                        stage, started, at, tuple(pauses), code, org_id, user_id,
                        judged=action not in NOT_JUDGED,
                    )
                )  # fmt: skip
            stage, started, pauses, paused_from = new_stage, at, [], None
        if action == CaseAction.CLOSE:
            closing = (at, _int(data.get("closing_org_id")), _int(data.get("closing_user_id")))
            out.closings.append(Closing(at, closing[1], closing[2], reopened_against=False))
        elif action == CaseAction.REOPEN and out.closings:
            last = out.closings[-1]
            against = bool(data.get("counts_against_closing_unit"))
            out.closings[-1] = dataclasses.replace(last, reopened_against=against)
        elif action == CaseAction.RATE and isinstance(data.get("satisfaction"), int):
            org, user = (closing[1], closing[2]) if closing else (org_id, user_id)
            out.ratings.append(Rating(at, int(data["satisfaction"]), org, user))
    return out


def stage_seconds(
    span: StageSpan, *, working_time: bool, calendar: workcalendar.WorkCalendar
) -> int:
    """Time the stage's clock ran: its span minus its pauses, in working or clock seconds."""
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    cursor = span.started
    for paused_from, paused_to in span.pauses:
        paused_from = min(max(paused_from, cursor), span.ended)
        intervals.append((cursor, paused_from))
        cursor = min(max(paused_to, paused_from), span.ended)
    intervals.append((cursor, span.ended))
    return calendar.elapsed_seconds(intervals, working_time=working_time, now=span.ended)


# --- grouping -------------------------------------------------------------------------------


def _area_key(path: str, kind: str) -> str:
    """The path of the ``kind`` area above (or at) ``path``; the path itself if higher up."""
    codes = path.strip("/").split("/")
    depth = AREA_DEPTH[kind] + 1
    return "/" + "/".join(codes[:depth]) + "/" if len(codes) >= depth else path


def _unit_key(by: str, org_id: int | None, user_id: int | None) -> str:
    value = org_id if by == "handler_org" else user_id
    return str(value) if value is not None else NO_UNIT


def _period(since: Any, until: Any) -> tuple[dt.datetime, dt.datetime]:
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise CaseInputError("请填写日期（如 2025-10-01）", field=name)
    if until < since:
        raise CaseInputError("结束日期不能早于开始日期", field="until")
    if (until - since).days >= MAX_DAYS:
        raise CaseInputError(f"统计区间不能超过 {MAX_DAYS} 天", field="since")
    start = dt.datetime.combine(since, dt.time(), tzinfo=workcalendar.TZ)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=workcalendar.TZ)
    return start, end


def case_kpis(
    *,
    user: User | AnonymousUser,
    by: str,
    since: dt.date,
    until: dt.date,
    now: dt.datetime,
    area: Area | None = None,
) -> KpiTable:
    """KPIs of the cases under the user's areas (optionally under ``area``), grouped ``by``.

    Scoped by area only (``linli.people.scoping``): a grid leader's table covers their grid;
    cases they merely take part in elsewhere are not theirs to be measured on.

    Args:
        by: a key of :data:`GROUPINGS` (community, grid, micro_grid, handler_org, handler).
        since / until: inclusive Asia/Shanghai dates, at most :data:`MAX_DAYS` apart.
        now: aware; the moment "overdue now" is judged at.

    Raises:
        CaseInputError: unknown ``by``, bad or reversed dates, a period over MAX_DAYS.
        NotAllowed: ``area`` lies outside the user's areas.
    """
    cases = scope(Case.objects.all(), user)
    if area is not None:
        paths = area_paths(user)
        if paths is not None and not any(area.path.startswith(path) for path in paths):
            raise NotAllowed(f"您无权查看“{area.name}”的统计")
        cases = cases.filter(area__path__startswith=area.path)
    return kpis_for(cases, by=by, since=since, until=until, now=now)


def kpis_for(
    cases: QuerySet[Case], *, by: str, since: dt.date, until: dt.date, now: dt.datetime
) -> KpiTable:
    """KPIs over an already scoped ``cases`` queryset (see :func:`case_kpis`)."""
    if by not in GROUPINGS:
        raise CaseInputError(f"未知的分组方式：{by}", field="by")
    start, end = _period(since, until)
    rows: dict[str, KpiRow] = {}

    def row(key: str) -> KpiRow:
        return rows.setdefault(key, KpiRow(key=key, label=""))

    active = cases.filter(events__at__gte=start, events__at__lt=end).values("pk")
    case_rows = {
        pk: (path, code)
        for pk, path, code in cases.filter(pk__in=active).values_list(
            "pk", "area__path", "category__code"
        )
    }
    categories = {c.code: c for c in CaseCategory.objects.all()}
    calendar = workcalendar.current_calendar()
    events: dict[int, list[Event]] = defaultdict(list)
    for case_id, *event in (
        CaseEvent.objects.filter(case__in=active)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "action", "actor_id", "at", "from_status", "to_status", "data")
    ):
        events[case_id].append(tuple(event))  # type: ignore[arg-type]
    kind = GROUPINGS[by]
    for case_id, (path, code) in case_rows.items():
        timeline = timeline_read(events[case_id], category_code=code)
        area_key = _area_key(path, kind) if kind else ""
        for span in timeline.spans:
            if not (start <= span.ended < end and span.judged):
                continue
            if kind is None and span.stage != "handle":
                continue
            category = categories.get(span.category_code) or categories[code]
            seconds = stage_seconds(span, working_time=category.working_time, calendar=calendar)
            target = row(area_key or _unit_key(by, span.org_id, span.user_id))
            tally = target.stages[span.stage]
            tally.total += 1
            tally.on_time += seconds <= category.limit_for(span.stage)
            if span.stage == "handle":
                target.handle_seconds.append(seconds)
        for closing in timeline.closings:
            if start <= closing.at < end:
                target = row(area_key or _unit_key(by, closing.org_id, closing.user_id))
                target.closed += 1
                target.reopened += closing.reopened_against
        for rating in timeline.ratings:
            if start <= rating.at < end:
                row(area_key or _unit_key(by, rating.org_id, rating.user_id)).ratings.append(
                    rating.score
                )
    _overdue(cases, by=by, kind=kind, now=now, row=row)
    _label(rows, by=by, kind=kind)
    total = KpiRow(key="", label="合计")
    for item in rows.values():
        total.add(item)
    ordered = sorted(rows.values(), key=lambda r: (r.key == NO_UNIT, r.label, r.key))
    return KpiTable(by=by, since=since, until=until, now=now, rows=ordered, total=total)


def _overdue(
    cases: QuerySet[Case], *, by: str, kind: str | None, now: dt.datetime, row: Any
) -> None:
    """Add the open, unpaused cases past due at ``now`` (one GROUP BY query)."""
    field = "area__path" if kind else ("handler_org_id" if by == "handler_org" else "handler_id")
    overdue = (
        cases.filter(status__in=CLOCKED_STATUSES, paused_at__isnull=True, due_at__lt=now)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
    )
    for item in overdue:
        value = item[field]
        key = _area_key(value, kind) if kind else (str(value) if value is not None else NO_UNIT)
        row(key).overdue_now += item["n"]


def _label(rows: dict[str, KpiRow], *, by: str, kind: str | None) -> None:
    """Names for the group keys (one query); area rows are keyed by code afterwards."""
    keys = [key for key in rows if key != NO_UNIT]
    names: dict[str, str] = {}
    if kind:
        for path, code, name in Area.objects.filter(path__in=keys).values_list(
            "path", "code", "name"
        ):
            names[path] = name
            rows[path].key = code
    elif by == "handler_org":
        names = {
            str(pk): name
            for pk, name in Organization.objects.filter(pk__in=keys).values_list("pk", "name")
        }
    else:
        for user in User.objects.filter(pk__in=keys):
            names[str(user.pk)] = user.get_full_name() or user.get_username()
    for key, item in rows.items():
        item.label = names.get(key) or ("未指定" if key == NO_UNIT else key)


# --- presentation ---------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def table_lines(table: KpiTable) -> Iterable[list[str]]:
    """The table as rows of cells (header first) for a terminal or a CSV."""
    yield [
        GROUPING_LABELS[table.by],
        *(f"{STAGE_LABELS[stage]}按时率" for stage in STAGES),
        "处置时长中位数",
        "满意度",
        "满意率(≥4)",
        "结案",
        "重开率",
        "当前超时",
    ]
    for item in [*table.rows, table.total]:
        median = item.median_handle_seconds
        mean = item.satisfaction_mean
        yield [
            item.label if not item.key or item.key == NO_UNIT else f"{item.label}（{item.key}）",
            *(
                f"{percent(item.stages[s].rate)} ({item.stages[s].on_time}/{item.stages[s].total})"
                for s in STAGES
            ),
            "—" if median is None else f"{median / 3600:.1f} 小时",
            "—" if mean is None else f"{mean:.2f} ({len(item.ratings)})",
            percent(item.satisfaction_good_share),
            str(item.closed),
            f"{percent(item.reopen_rate)} ({item.reopened})",
            str(item.overdue_now),
        ]
