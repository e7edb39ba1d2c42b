"""The cockpit's KPI panels for one area: cases, orders, care alerts, canteen, activities,
enterprise needs and the registry, each figure with its trend and drill-down.

Shape: :func:`panels` → ``list[Panel]`` (:mod:`linli.cockpit.panels`), in display order.
Definitions (docs/cockpit.md "KPI panels"); dates are Asia/Shanghai:

* **事件** — on-time rate per stage and satisfaction over the last 7 days (``today`` − 6 …
  ``today``), with a trend of 8 such 7-day windows; the stages' times come from the case
  timeline exactly as :mod:`linli.cases.kpis` reads it (:func:`~linli.cases.kpis.timeline_read`,
  :func:`~linli.cases.kpis.stage_seconds`), so the figures match ``linli cases kpis`` over
  the same 7 days. Open cases and overdue-now (open, clock running, past ``due_at``).
* **服务订单** — order → arrival p50/p90 of immediate orders placed in the last 7 days
  against the 30-minute promise (:func:`linli.orders.views_staff.arrival_stats`, the order
  list's 「近 7 天」), p90 per day as the trend; orders in progress now.
* **关怀告警** — open alerts now, those past their acknowledgement deadline (``ack_due_at``);
  median / p90 minutes from raising to acknowledgement of the alerts raised in the last
  7 days; alerts raised per day as the trend.
* **社区食堂** — diners (distinct registered diners + walk-in meals per canteen and day, as
  :func:`linli.economy.daily.daily_figures` counts them) today and over 7 days, for the
  canteens whose facility lies in the area.
* **活动** — the last 30 days: confirmed registrations of activities with a (not cancelled)
  session that started in the period, and how many of them checked in at such a session.
* **企业服务** — enterprises' needs open now and done in the last 30 days.
* **人口** — residents 60+, living alone, disabled, dibao; the last two are sensitive
  (PIPL art. 28) and read 「无权查看」 without :func:`~linli.people.scoping.can_view_sensitive`.

A module with nothing recorded in the area gives a panel whose ``missing`` says so.

Access (:mod:`linli.cockpit.access`): rows are limited to the user's registry-role areas;
orders and care alerts further to the owning app's right and roles — without it their panel
reads 「无权查看」 and shows no figure.

Cost: a fixed number of queries (≈ 27) whatever the data size; everything is aggregated in
the database except the case timeline of the last 8 weeks (walked in Python, as
:mod:`linli.cases.kpis` does) and the arrival/acknowledgement minutes of the last 7 days
(percentiles in Python).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Case as SqlCase
from django.db.models import Count, F, JSONField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from linli.activities.models import Activity, Attendance, Registration, RegistrationStatus, Session
from linli.care.models import OPEN_STATUSES as ALERT_OPEN_STATUSES
from linli.care.models import AlertStatus, CareAlert, Watch
from linli.cases.escalation import CLOCKED_STATUSES, STAGE_LABELS
from linli.cases.kpis import STAGES, Event, StageTally, stage_seconds, timeline_read
from linli.cases.models import OPEN_STATUSES as CASE_OPEN_STATUSES
from linli.cases.models import Case, CaseAction, CaseCategory, CaseEvent
from linli.cockpit.access import (
    care_paths,
    may_see_alerts,
    may_see_orders,
    order_paths,
    registry_paths,
    within,
)
from linli.cockpit.panels import Figure, Panel
from linli.common import workcalendar
from linli.economy.models import Canteen, MealLine
from linli.engagement.models import Need, NeedStatus
from linli.orders.models import Order, OrderStatus
from linli.orders.views_staff import PROMISE_MIN, arrival_stats, percentile
from linli.people.models import Resident
from linli.people.scoping import AnyUser, can_view_sensitive
from linli.people.selectors import ELDERLY_AGE, birth_cutoff
from linli.places.models import Area, AreaKind

#: Days of the headline period of cases, orders and alerts (today and the 6 days before).
WEEK_DAYS = 7
#: 7-day windows in the case trend (8 weeks of timeline walked per request).
CASE_WEEKS = 8
#: Case events whose ``data`` :func:`linli.cases.kpis.timeline_read` reads (handler,
#: earlier category, closing unit, reopening, rating); the others' data is not fetched.
DATA_ACTIONS = (
    CaseAction.REGISTER,
    CaseAction.DISPATCH,
    CaseAction.CLOSE,
    CaseAction.REOPEN,
    CaseAction.RATE,
)
#: Seconds the case timeline tallies are reused (:func:`cached_case_weeks`).
CASE_WEEKS_CACHE_SECONDS = 300
#: Days of the activity and enterprise-need periods.
MONTH_DAYS = 30
#: Order statuses of an order still being worked on (not done, cancelled or unfulfilled).
ORDER_ACTIVE = (
    OrderStatus.PLACED,
    OrderStatus.ASSIGNED,
    OrderStatus.ACCEPTED,
    OrderStatus.EN_ROUTE,
    OrderStatus.ARRIVED,
    OrderStatus.IN_SERVICE,
)
#: Needs still waiting for an answer.
NEED_OPEN = (
    NeedStatus.RAISED,
    NeedStatus.ACCEPTED,
    NeedStatus.PLANNED,
    NeedStatus.IN_PROGRESS,
)
#: Shown instead of a sensitive count to users who may not see it.
NO_RIGHT = "无权查看"


# --- periods ------------------------------------------------------------------------------


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day`` (aware, Asia/Shanghai)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=workcalendar.TZ)


def _short(day: dt.date) -> str:
    return f"{day.month}/{day.day}"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def drill_url(key: str, area: Area) -> str:
    """The cockpit's own list behind figure ``key`` (:data:`~linli.cockpit.kpis_drill.DRILLS`)."""
    return reverse("cockpit_kpis:drill", args=[key]) + "?" + urlencode({"area": area.code})


# --- the rows behind the counts (shared with the drill lists) ------------------------------


def cases_in(user: AnyUser, area: Area) -> QuerySet[Case]:
    """Cases under ``area`` within the user's cockpit scope (registry-role assignments,
    :func:`~linli.cockpit.access.registry_paths`).

    For an area the user covers (:func:`~linli.cockpit.access.area_for`) these are exactly
    :func:`linli.cases.selectors.cases_visible_to` ∩ the area: registry roles are never
    "involved-only", so the cases app shows every case under them; the plain path filter
    is used because it aggregates without the participants/organisation subquery.
    """
    return within(Case.objects.all(), registry_paths(user)).filter(area__path__startswith=area.path)


def overdue_q(now: dt.datetime) -> Q:
    """Open cases whose clock runs and is past due at ``now`` (cases.kpis ``overdue_now``)."""
    return Q(status__in=CLOCKED_STATUSES, paused_at__isnull=True, due_at__lt=now)


def orders_in(user: AnyUser, area: Area) -> QuerySet[Order]:
    """Orders under ``area`` where the user may handle orders
    (:func:`~linli.cockpit.access.order_paths`; none without the orders app's right)."""
    return within(Order.objects.all(), order_paths(user)).filter(area__path__startswith=area.path)


def alerts_in(user: AnyUser, area: Area) -> QuerySet[CareAlert]:
    """Care alerts under ``area`` where the user may use the care pages
    (:func:`~linli.cockpit.access.care_paths`; none without the care app's right)."""
    return within(CareAlert.objects.all(), care_paths(user)).filter(
        area__path__startswith=area.path
    )


def alert_late_q(now: dt.datetime) -> Q:
    """Alerts still waiting for acknowledgement past their ``ack_due_at`` at ``now``."""
    return Q(status=AlertStatus.OPEN, acknowledged_at__isnull=True, ack_due_at__lt=now)


def needs_in(user: AnyUser, area: Area) -> QuerySet[Need]:
    """Needs raised by organisations (enterprises), not by residents, under ``area``."""
    return within(Need.objects.filter(organization__isnull=False), registry_paths(user)).filter(
        area__path__startswith=area.path
    )


def needs_done_q(today: dt.date) -> Q:
    """Needs done in the last :data:`MONTH_DAYS` days up to the end of ``today``."""
    return Q(
        status=NeedStatus.DONE,
        done_at__gte=day_start(today - dt.timedelta(days=MONTH_DAYS - 1)),
        done_at__lt=day_start(today + dt.timedelta(days=1)),
    )


def activity_sessions(
    user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime
) -> QuerySet[Session]:
    """Sessions (not cancelled) of the area's activities that started in the last 30 days."""
    return Session.objects.filter(
        activity__in=within(Activity.objects.all(), registry_paths(user)).filter(
            area__path__startswith=area.path
        ),
        cancelled=False,
        starts_at__gte=day_start(today - dt.timedelta(days=MONTH_DAYS - 1)),
        starts_at__lt=min(now, day_start(today + dt.timedelta(days=1))),
    )


def registrations_counted(
    user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime
) -> QuerySet[Registration]:
    """Confirmed registrations of activities with a session in the period (报名)."""
    sessions = activity_sessions(user, area, today=today, now=now)
    return Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        activity_id__in=sessions.values("activity_id"),
    )


def registrations_attended(
    user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime
) -> QuerySet[Registration]:
    """Of :func:`registrations_counted`, those checked in at one of the period's sessions."""
    sessions = activity_sessions(user, area, today=today, now=now)
    return registrations_counted(user, area, today=today, now=now).filter(
        pk__in=Attendance.objects.filter(session__in=sessions).values("registration_id")
    )


def canteens_in(area: Area) -> QuerySet[Canteen]:
    """Canteens whose facility lies under ``area`` (a canteen without facility is nowhere)."""
    return Canteen.objects.filter(facility__area__path__startswith=area.path)


@dataclasses.dataclass(frozen=True)
class CanteenDay:
    """Diners of one canteen on one day, counted as :func:`linli.economy.daily.daily_figures`
    counts them: distinct registered diners + walk-in meals (not refunded, not voided)."""

    canteen_id: int
    canteen: str
    day: dt.date
    registered: int
    walk_ins: int

    @property
    def diners(self) -> int:
        return self.registered + self.walk_ins


def canteen_days(area: Area, *, since: dt.date, until: dt.date) -> list[CanteenDay]:
    """Diners per canteen in ``area`` and day ``since``–``until`` (inclusive), newest first;
    days without meals are absent. One grouped query."""
    rows = (
        MealLine.objects.filter(
            menu__canteen__in=canteens_in(area),
            menu__date__gte=since,
            menu__date__lte=until,
            voided=False,
        )
        .order_by()
        .values("menu__date", "menu__canteen_id", "menu__canteen__name")
        .annotate(
            walk_ins=Sum(F("quantity") - F("refunded_quantity"), filter=Q(diner__isnull=True)),
            registered=Count("diner", distinct=True, filter=Q(diner__isnull=False)),
        )
    )
    days = [
        CanteenDay(
            canteen_id=row["menu__canteen_id"],
            canteen=row["menu__canteen__name"],
            day=row["menu__date"],
            registered=row["registered"] or 0,
            walk_ins=row["walk_ins"] or 0,
        )
        for row in rows
    ]
    return sorted(days, key=lambda d: (-d.day.toordinal(), d.canteen, d.canteen_id))


# --- panels -------------------------------------------------------------------------------


def panels(
    user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime | None = None
) -> list[Panel]:
    """The KPI panels of ``area`` for ``user`` on ``today`` (see the module docstring).

    Args:
        area: a street, community, grid or micro-grid the user covers — the caller checks
            it (:func:`linli.cockpit.access.area_for`); rows outside the user's areas are
            left out anyway.
        today: the local date the periods end on.
        now: aware; "now" for overdue cases, orders in progress and waiting alerts;
            defaults to the current time.

    Returns:
        panels in display order: cases, orders, care, canteen, activities, needs, registry.
    """
    now = now or timezone.now()
    return [
        cases_panel(user, area, today=today, now=now),
        orders_panel(user, area, today=today, now=now),
        care_panel(user, area, today=today, now=now),
        canteen_panel(area, today=today),
        activities_panel(user, area, today=today, now=now),
        needs_panel(user, area, today=today),
        registry_panel(user, area, today=today),
    ]


@dataclasses.dataclass
class _CaseWeek:
    stages: dict[str, StageTally] = dataclasses.field(
        default_factory=lambda: {stage: StageTally() for stage in STAGES}
    )
    ratings: list[int] = dataclasses.field(default_factory=list)

    @property
    def good_share(self) -> float | None:
        if not self.ratings:
            return None
        return sum(1 for score in self.ratings if score >= 4) / len(self.ratings)


def case_weeks(cases: QuerySet[Case], *, today: dt.date) -> tuple[list[dt.date], list[_CaseWeek]]:
    """Stage tallies and ratings in :data:`CASE_WEEKS` 7-day windows ending on ``today``.

    Returns ``(first day of each window, tallies)``, oldest first. The rules are those of
    :func:`linli.cases.kpis.kpis_for` (a stage counts in the window in which it ended; stages
    cut short by suspension or merging are not judged). Three queries; the events of the
    cases active in the 8 weeks are walked in Python.
    """
    first = today - dt.timedelta(days=CASE_WEEKS * WEEK_DAYS - 1)
    starts = [first + dt.timedelta(days=WEEK_DAYS * i) for i in range(CASE_WEEKS)]
    start, end = day_start(first), day_start(today + dt.timedelta(days=1))
    weeks = [_CaseWeek() for _ in starts]

    def week_of(moment: dt.datetime) -> _CaseWeek | None:
        if not start <= moment < end:
            return None
        return weeks[(timezone.localtime(moment, workcalendar.TZ).date() - first).days // 7]

    active = cases.filter(events__at__gte=start, events__at__lt=end).values("pk")
    categories = {c.code: c for c in CaseCategory.objects.all()}
    calendar = workcalendar.current_calendar()
    events: dict[int, list[Event]] = defaultdict(list)
    codes: dict[int, str] = {}
    # Only these actions' data is read by timeline_read: decoding the others' JSON was
    # half the cost of the walk at 100,000 cases.
    data = SqlCase(
        When(action__in=DATA_ACTIONS, then=F("data")),
        default=Value(None),
        output_field=JSONField(),
    )
    for case_id, code, *event in (
        CaseEvent.objects.filter(case__in=active)
        .order_by("case_id", "at", "id")
        .annotate(used_data=data)
        .values_list(
            "case_id",
            "case__category__code",
            "action",
            "actor_id",
            "at",
            "from_status",
            "to_status",
            "used_data",
        )
    ):
        codes[case_id] = code
        events[case_id].append(tuple(event))  # type: ignore[arg-type]
    for case_id, code in codes.items():
        timeline = timeline_read(events[case_id], category_code=code)
        for span in timeline.spans:
            week = week_of(span.ended)
            if week is None or not span.judged:
                continue
            category = categories.get(span.category_code) or categories[code]
            seconds = stage_seconds(span, working_time=category.working_time, calendar=calendar)
            tally = week.stages[span.stage]
            tally.total += 1
            tally.on_time += seconds <= category.limit_for(span.stage)
        for rating in timeline.ratings:
            week = week_of(rating.at)
            if week is not None:
                week.ratings.append(rating.score)
    return starts, weeks


def cached_case_weeks(
    user: AnyUser, area: Area, cases: QuerySet[Case], *, today: dt.date
) -> tuple[list[dt.date], list[_CaseWeek]]:
    """:func:`case_weeks`, kept :data:`CASE_WEEKS_CACHE_SECONDS` in the process's cache per
    area, user scope and day: the timeline walk costs seconds at 100,000 cases (see
    docs/cockpit.md) and a 7-day rate barely moves in minutes, while the cockpit polls
    every 30 s. The live counts (open, overdue) are never cached."""
    paths = registry_paths(user)
    scope_key = "*" if paths is None else ",".join(paths)
    key = f"linli:cockpit:case_weeks:{area.path}:{scope_key}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is None:
        cached = case_weeks(cases, today=today)
        cache.set(key, cached, CASE_WEEKS_CACHE_SECONDS)
    return cached  # type: ignore[no-any-return]


def cases_panel(user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime) -> Panel:
    """事件: on-time rate per stage and satisfaction (last 7 days, 8-week trend; reused for
    up to 5 minutes, :func:`cached_case_weeks`), open and overdue now. One query, plus three
    when the tallies are not cached."""
    cases = cases_in(user, area)
    counts = cases.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=CASE_OPEN_STATUSES)),
        overdue=Count("pk", filter=overdue_q(now)),
    )
    starts, weeks = cached_case_weeks(user, area, cases, today=today)
    if not counts["total"]:
        return Panel("cases", "事件", missing="本区域还没有事件记录")
    labels = [_short(day) for day in starts]
    last = weeks[-1]
    figures = [
        Figure(
            "当前超期事件",
            counts["overdue"],
            "件",
            drill_url=drill_url("cases_overdue", area),
            good=counts["overdue"] == 0,
            note="未结案、计时中且已过处置时限",
        ),
        Figure(
            "未结案事件",
            counts["open"],
            "件",
            drill_url=reverse("cases:board") + "?" + urlencode({"area": area.pk, "status": "open"}),
        ),
    ]
    for stage in STAGES:
        tally = last.stages[stage]
        figures.append(
            Figure(
                f"{STAGE_LABELS[stage]}按时率",
                _pct(tally.rate),
                "%",
                trend=tuple(
                    (label, _pct(week.stages[stage].rate))
                    for label, week in zip(labels, weeks, strict=True)
                ),
                note=f"近 7 天结束的{STAGE_LABELS[stage]}环节 {tally.on_time}/{tally.total} 按时",
            )
        )
    mean = statistics.fmean(last.ratings) if last.ratings else None
    figures.append(
        Figure(
            "满意率",
            _pct(last.good_share),
            "%",
            trend=tuple(
                (label, _pct(week.good_share)) for label, week in zip(labels, weeks, strict=True)
            ),
            note=(
                f"近 7 天 {len(last.ratings)} 条评价中 4–5 分的比例，平均 {mean:.1f} 分"
                if mean is not None
                else "近 7 天没有评价"
            ),
        )
    )
    return Panel("cases", "事件", figures=tuple(figures))


def orders_panel(user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime) -> Panel:
    """服务订单: arrival p50/p90 and on-time share (7 days) against :data:`PROMISE_MIN`,
    p90 per day, in progress now. Nine queries (one per day of the trend). Without the
    orders app's right (:func:`~linli.cockpit.access.may_see_orders`) the panel reads
    :data:`NO_RIGHT` and no query runs."""
    if not may_see_orders(user):
        return Panel("orders", "服务订单", missing=NO_RIGHT)
    orders = orders_in(user, area)
    counts = orders.aggregate(
        total=Count("pk"), active=Count("pk", filter=Q(status__in=ORDER_ACTIVE))
    )
    days = [today - dt.timedelta(days=WEEK_DAYS - 1 - i) for i in range(WEEK_DAYS)]
    week = arrival_stats(orders, since=day_start(days[0]), now=now)
    trend = []
    for day in days:
        stats = arrival_stats(
            orders.filter(placed_at__lt=day_start(day + dt.timedelta(days=1))),
            since=day_start(day),
            now=now,
        )
        trend.append((_short(day), _minutes(stats.p90_min)))
    if not counts["total"]:
        return Panel("orders", "服务订单", missing="本区域还没有服务订单")
    promise = f"承诺 {PROMISE_MIN} 分钟内上门"
    figures = (
        Figure(
            "到达用时中位数",
            _minutes(week.p50_min),
            "分钟",
            good=None if week.p50_min is None else week.p50_min <= PROMISE_MIN,
            note=f"近 7 天即时订单，下单到上门；{promise}",
        ),
        Figure(
            "到达用时 P90",
            _minutes(week.p90_min),
            "分钟",
            trend=tuple(trend),
            good=None if week.p90_min is None else week.p90_min <= PROMISE_MIN,
            note=f"近 7 天 90% 的订单在此时间内到达；{promise}",
        ),
        Figure(
            "按时上门率",
            _pct(week.on_time),
            "%",
            note=f"近 7 天到达 {week.arrived} 单，无人接单 {week.unfulfilled} 单，"
            f"超时仍在等 {week.overdue} 单",
        ),
        Figure(
            "进行中订单",
            counts["active"],
            "单",
            drill_url=drill_url("orders_active", area),
            note="已下单至服务中，尚未完成",
        ),
    )
    return Panel("orders", "服务订单", figures=figures)


def care_panel(user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime) -> Panel:
    """关怀告警: open now, acknowledgement minutes (median, p90) of the last 7 days'
    alerts, alerts raised per day. Three queries. Without the care app's right
    (:func:`~linli.cockpit.access.may_see_alerts`) the panel reads :data:`NO_RIGHT` and no
    query runs."""
    if not may_see_alerts(user):
        return Panel("care", "关怀告警", missing=NO_RIGHT)
    alerts = alerts_in(user, area)
    counts = alerts.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=ALERT_OPEN_STATUSES)),
        late=Count("pk", filter=alert_late_q(now)),
    )
    watched = (
        within(Watch.objects.filter(active=True), care_paths(user), area_field="resident__area")
        .filter(resident__area__path__startswith=area.path)
        .exists()
    )
    first = today - dt.timedelta(days=WEEK_DAYS - 1)
    recent = list(
        alerts.filter(
            raised_at__gte=day_start(first), raised_at__lt=day_start(today + dt.timedelta(1))
        ).values_list("raised_at", "acknowledged_at")
    )
    if not counts["total"] and not watched:
        return Panel("care", "关怀告警", missing="本区域没有开通关怀守护（没有关注对象和告警）")
    per_day: dict[dt.date, int] = defaultdict(int)
    waits: list[float] = []
    for raised, acknowledged in recent:
        per_day[timezone.localtime(raised, workcalendar.TZ).date()] += 1
        if acknowledged is not None:
            waits.append((acknowledged - raised).total_seconds() / 60)
    days = [first + dt.timedelta(days=i) for i in range(WEEK_DAYS)]
    figures = (
        Figure(
            "待处理告警",
            counts["open"],
            "条",
            drill_url=drill_url("alerts_open", area),
            note="待确认、处理中和已升级的告警",
        ),
        Figure(
            "超时未确认",
            counts["late"],
            "条",
            drill_url=drill_url("alerts_late", area),
            good=counts["late"] == 0,
            note="过了确认时限仍无人确认（此后逐级升级）",
        ),
        Figure(
            "近 7 天告警",
            len(recent),
            "条",
            drill_url=drill_url("alerts_week", area),
            trend=tuple((_short(day), float(per_day.get(day, 0))) for day in days),
        ),
        Figure(
            "确认用时中位数",
            _minutes(percentile(waits, 50)),
            "分钟",
            note=f"近 7 天已确认 {len(waits)} 条，告警到确认",
        ),
        Figure("确认用时 P90", _minutes(percentile(waits, 90)), "分钟"),
    )
    return Panel("care", "关怀告警", figures=figures)


def canteen_panel(area: Area, *, today: dt.date) -> Panel:
    """社区食堂: diners today and over the last 7 days. Two queries."""
    first = today - dt.timedelta(days=WEEK_DAYS - 1)
    has_canteen = canteens_in(area).exists()
    days = canteen_days(area, since=first, until=today)
    if not has_canteen:
        return Panel("canteen", "社区食堂", missing="本区域没有社区食堂")
    per_day: dict[dt.date, int] = defaultdict(int)
    for each in days:
        per_day[each.day] += each.diners
    figures = (
        Figure(
            "今日就餐人次",
            per_day.get(today, 0),
            "人次",
            drill_url=drill_url("canteen_today", area),
            note="登记就餐人数 + 散客份数（不含退餐）",
        ),
        Figure(
            "近 7 天就餐人次",
            sum(per_day.values()),
            "人次",
            drill_url=drill_url("canteen_week", area),
            trend=tuple(
                (
                    _short(first + dt.timedelta(days=i)),
                    float(per_day.get(first + dt.timedelta(i), 0)),
                )
                for i in range(WEEK_DAYS)
            ),
        ),
    )
    return Panel("canteen", "社区食堂", figures=figures)


def activities_panel(user: AnyUser, area: Area, *, today: dt.date, now: dt.datetime) -> Panel:
    """活动: registrations and attendance of the last 30 days; check-ins per week (8 weeks)
    as the trend. Four queries."""
    activities = within(Activity.objects.all(), registry_paths(user)).filter(
        area__path__startswith=area.path
    )
    has_any = activities.exists()
    registered = registrations_counted(user, area, today=today, now=now).count()
    attended = registrations_attended(user, area, today=today, now=now).count()
    first = today - dt.timedelta(days=CASE_WEEKS * WEEK_DAYS - 1)
    checkins = (
        Attendance.objects.filter(
            session__activity__in=activities,
            checked_in_at__gte=day_start(first),
            checked_in_at__lt=day_start(today + dt.timedelta(days=1)),
        )
        .annotate(day=TruncDate("checked_in_at", tzinfo=workcalendar.TZ))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    )
    if not has_any:
        if area.kind in (AreaKind.GRID, AreaKind.MICRO_GRID):
            return Panel("activities", "活动", missing="活动按社区登记，请选择社区或街道查看")
        return Panel("activities", "活动", missing="本区域还没有活动")
    per_week = [0] * CASE_WEEKS
    for row in checkins:
        per_week[(row["day"] - first).days // WEEK_DAYS] += row["n"]
    figures = (
        Figure(
            "近 30 天报名",
            registered,
            "人",
            drill_url=drill_url("activity_registered", area),
            note="近 30 天有场次的活动的有效报名",
        ),
        Figure(
            "近 30 天到场",
            attended,
            "人",
            drill_url=drill_url("activity_attended", area),
            note="上述报名中至少签到一次的",
        ),
        Figure(
            "到场率",
            _pct(attended / registered if registered else None),
            "%",
            trend=tuple(
                (_short(first + dt.timedelta(days=WEEK_DAYS * i)), float(n))
                for i, n in enumerate(per_week)
            ),
            note="趋势为每周签到人次",
        ),
    )
    return Panel("activities", "活动", figures=figures)


def needs_panel(user: AnyUser, area: Area, *, today: dt.date) -> Panel:
    """企业服务: enterprises' needs open now and done in the last 30 days. One query."""
    counts = needs_in(user, area).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=NEED_OPEN)),
        done=Count("pk", filter=needs_done_q(today)),
    )
    if not counts["total"]:
        return Panel("needs", "企业服务", missing="本区域还没有企业需求记录")
    figures = (
        Figure(
            "待办企业需求",
            counts["open"],
            "件",
            drill_url=drill_url("needs_open", area),
            note="已提出、已受理、已安排、办理中",
        ),
        Figure(
            "近 30 天办结",
            counts["done"],
            "件",
            drill_url=drill_url("needs_done", area),
        ),
    )
    return Panel("needs", "企业服务", figures=figures)


def registry_panel(user: AnyUser, area: Area, *, today: dt.date) -> Panel:
    """人口: residents 60+, living alone, disabled, dibao (the last two only with
    ``can_view_sensitive``); each drills to the resident list ``/people/?area=&tag=``. One query."""
    counts = (
        within(Resident.objects.all(), registry_paths(user))
        .filter(area__path__startswith=area.path)
        .aggregate(
            total=Count("pk"),
            aged60=Count("pk", filter=Q(birth_date__lte=birth_cutoff(ELDERLY_AGE, today))),
            living_alone=Count("pk", filter=Q(living_alone=True)),
            disabled=Count("pk", filter=Q(disabled=True)),
            dibao=Count("pk", filter=Q(dibao=True)),
        )
    )
    if not counts["total"]:
        return Panel("registry", "人口", missing="本区域还没有居民登记")
    sensitive = can_view_sensitive(user)
    people = reverse("people-list")

    def figure(label: str, tag: str, *, secret: bool = False) -> Figure:
        if secret and not sensitive:
            return Figure(label, NO_RIGHT, note="敏感个人信息，仅限有权限的工作人员查看")
        return Figure(
            label,
            counts[tag],
            "人",
            drill_url=f"{people}?{urlencode({'area': area.code, 'tag': tag})}",
        )

    figures = (
        Figure(
            "登记居民",
            counts["total"],
            "人",
            drill_url=f"{people}?{urlencode({'area': area.code})}",
        ),
        figure(f"{ELDERLY_AGE}岁以上", "aged60"),
        figure("独居", "living_alone"),
        figure("残疾", "disabled", secret=True),
        figure("低保", "dibao", secret=True),
    )
    return Panel("registry", "人口", figures=figures)


# --- JSON -------------------------------------------------------------------------------


def panels_json(items: Iterable[Panel], *, area: Area, now: dt.datetime) -> dict[str, Any]:
    """``{"area": {...}, "generated_at": ISO, "panels": [Panel.as_json() …]}``."""
    return {
        "area": {"code": area.code, "name": area.name, "kind": area.kind},
        "generated_at": timezone.localtime(now, workcalendar.TZ).isoformat(),
        "panels": [panel.as_json() for panel in items],
    }


def sparkline(
    trend: Sequence[tuple[str, float | None]], *, width: int = 120, height: int = 28
) -> str:
    """SVG polyline points (``"x,y x,y …"``) for ``trend``; gaps (None) are skipped; ``""``
    when fewer than two points have values."""
    values = [v for _, v in trend if v is not None]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(len(trend) - 1, 1)
    points = []
    for i, (_, value) in enumerate(trend):
        if value is None:
            continue
        y = height - 2 - (value - low) / span * (height - 4)
        points.append(f"{i * step:.1f},{y:.1f}")
    return " ".join(points)


def with_sparklines(items: Iterable[Panel]) -> list[dict[str, Any]]:
    """Panels for the template: ``{"panel": Panel, "figures": [{"figure": Figure,
    "points": sparkline points, "state": 达标/未达标/""}]}``."""
    shown = []
    for panel in items:
        figures = []
        for figure in panel.figures:
            state = {True: "达标", False: "未达标"}.get(figure.good, "")  # type: ignore[arg-type]
            figures.append({"figure": figure, "points": sparkline(figure.trend), "state": state})
        shown.append({"panel": panel, "figures": figures})
    return shown
