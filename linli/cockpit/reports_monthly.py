"""The monthly community work report (社区月度工作报告) of a street or community.

Six modules, each from its own app's rows under the area (``area.path`` prefix), for the
month ``start``–``end`` (Asia/Shanghai dates, inclusive):

* **cases** — received (``report`` events in the month), closed (``close`` events), on-time
  rate per stage, satisfaction, reopenings and overdue-now from
  :func:`linli.cases.kpis.kpis_for` (its definitions, docs/cases.md); received and closed by
  category; received per day (chart);
* **resident services** — orders placed in the month by service (placed, completed), and
  order → arrival p50/p90 against the 30-minute promise from
  :func:`linli.orders.views_staff.arrival_stats`;
* **care alerts** — raised in the month by kind, acknowledged, median and p90 minutes from
  raised to acknowledged, still open;
* **activities** — sessions held in the month (not cancelled), activities, confirmed
  registrations of those activities, check-ins at those sessions, by activity kind;
* **canteen** — the canteens whose facility lies under the area, with the definitions of
  :mod:`linli.economy.daily` summed over the month's days (diner visits = registered diners
  of the day + walk-in meals, meals by price tier, subsidy by source, in fen), by aggregate
  queries over the month rather than ``daily_figures`` per canteen and day;
* **enterprise service** — needs raised (created) in the month, done (``done_at``) in the
  month, and open at the time of the report, by category.

A module with no rows says so (``本月无…数据``) instead of showing zeros. Cost: a fixed number
of queries (about 25) whatever the data size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from linli.activities.models import Activity, ActivityKind, Attendance, RegistrationStatus, Session
from linli.care.models import OPEN_STATUSES as ALERT_OPEN
from linli.care.models import AlertKind, CareAlert
from linli.cases.escalation import STAGE_LABELS
from linli.cases.kpis import STAGES, KpiRow, kpis_for, percent
from linli.cases.models import Case, CaseAction, CaseEvent
from linli.common.documents import Chart, Document, Section
from linli.economy.daily import NO_TIER, WALK_IN, amount
from linli.economy.models import MealLine, MealSubsidy
from linli.engagement.models import Need, NeedCategory, NeedStatus
from linli.orders.models import Order, OrderStatus
from linli.orders.views_staff import PROMISE_MIN, ArrivalStats, arrival_stats, percentile
from linli.places.models import Area

TITLE = "社区月度工作报告"


def local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes from ``start`` 00:00 to the day after ``end`` 00:00 (Asia/Shanghai)."""
    since = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    return since, until


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@dataclasses.dataclass
class CaseFigures:
    received: int
    closed: int
    kpis: KpiRow
    received_by_category: dict[str, int]
    closed_by_category: dict[str, int]
    received_by_day: dict[dt.date, int]


@dataclasses.dataclass
class OrderFigures:
    placed: int
    by_service: dict[str, tuple[int, int]]  # name → (placed, completed)
    arrival: ArrivalStats


@dataclasses.dataclass
class AlertFigures:
    raised: int
    by_kind: dict[str, int]
    acknowledged: int
    ack_p50_min: float | None
    ack_p90_min: float | None
    still_open: int


@dataclasses.dataclass
class ActivityFigures:
    sessions: int
    activities: int
    registrations: int
    attendance: int
    by_kind: dict[str, tuple[int, int, int]]  # label → (sessions, registrations, check-ins)


@dataclasses.dataclass
class CanteenFigures:
    canteens: int
    diners: int  # diner visits: per day, registered diners + walk-in meals, summed
    meals: int
    meals_by_tier: dict[str, int]
    subsidy_by_source: dict[str, int]  # fen
    diners_by_day: dict[dt.date, int]

    @property
    def subsidy_fen(self) -> int:
        return sum(self.subsidy_by_source.values())


@dataclasses.dataclass
class NeedFigures:
    opened: int
    done: int
    open_now: int
    by_category: dict[str, tuple[int, int]]  # label → (opened, done)


@dataclasses.dataclass
class MonthlyFigures:
    """The report's figures; a module is ``None`` when the month has no rows for it."""

    area: Area
    start: dt.date
    end: dt.date
    now: dt.datetime
    cases: CaseFigures | None
    orders: OrderFigures | None
    alerts: AlertFigures | None
    activities: ActivityFigures | None
    canteen: CanteenFigures | None
    needs: NeedFigures | None


def case_figures(area: Area, start: dt.date, end: dt.date, now: dt.datetime) -> CaseFigures | None:
    """Cases under ``area`` for the month; None when no case had an event in it."""
    since, until = local_range(start, end)
    cases = Case.objects.filter(area__path__startswith=area.path)
    events = CaseEvent.objects.filter(case__in=cases, at__gte=since, at__lt=until)
    if not events.exists():
        return None
    table = kpis_for(cases, by="community", since=start, until=end, now=now)
    received: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    for action, at, category in events.filter(
        action__in=[CaseAction.REPORT, CaseAction.CLOSE]
    ).values_list("action", "at", "case__category__name"):
        if action == CaseAction.REPORT:
            received[category] += 1
            per_day[timezone.localdate(at)] += 1
        else:
            closed[category] += 1
    return CaseFigures(
        received=sum(received.values()),
        closed=sum(closed.values()),
        kpis=table.total,
        received_by_category=dict(received.most_common()),
        closed_by_category=dict(closed),
        received_by_day={day: per_day[day] for day in days_of(start, end)},
    )


def order_figures(
    area: Area, start: dt.date, end: dt.date, now: dt.datetime
) -> OrderFigures | None:
    """Orders placed in the month under ``area``; None when none was placed."""
    since, until = local_range(start, end)
    orders = Order.objects.filter(
        area__path__startswith=area.path, placed_at__gte=since, placed_at__lt=until
    )
    rows = (
        orders.values("service_type__name")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(status=OrderStatus.COMPLETED)))
        .order_by("-n", "service_type__name")
    )
    by_service = {row["service_type__name"]: (row["n"], row["done"]) for row in rows}
    if not by_service:
        return None
    return OrderFigures(
        placed=sum(n for n, _ in by_service.values()),
        by_service=by_service,
        arrival=arrival_stats(orders, since=since, now=min(now, until)),
    )


def alert_figures(
    area: Area, start: dt.date, end: dt.date, now: dt.datetime
) -> AlertFigures | None:
    """Care alerts raised in the month under ``area``; None when none was raised."""
    since, until = local_range(start, end)
    rows = list(
        CareAlert.objects.filter(
            area__path__startswith=area.path, raised_at__gte=since, raised_at__lt=until
        ).values_list("kind", "raised_at", "acknowledged_at", "status")
    )
    if not rows:
        return None
    labels = dict(AlertKind.choices)
    by_kind = Counter(labels.get(kind, kind) for kind, *_ in rows)
    minutes = [(ack - raised).total_seconds() / 60 for _, raised, ack, _ in rows if ack]
    return AlertFigures(
        raised=len(rows),
        by_kind=dict(by_kind.most_common()),
        acknowledged=len(minutes),
        ack_p50_min=percentile(minutes, 50),
        ack_p90_min=percentile(minutes, 90),
        still_open=sum(1 for *_, status in rows if status in ALERT_OPEN),
    )


def activity_figures(area: Area, start: dt.date, end: dt.date) -> ActivityFigures | None:
    """Activities with a session held in the month under ``area``; None when none."""
    since, until = local_range(start, end)
    sessions = Session.objects.filter(
        activity__area__path__startswith=area.path,
        starts_at__gte=since,
        starts_at__lt=until,
        cancelled=False,
    )
    per_kind = dict(sessions.values_list("activity__kind").annotate(n=Count("pk")).order_by())
    if not per_kind:
        return None
    activities = Activity.objects.filter(pk__in=sessions.values("activity"))
    registrations = dict(
        activities.values_list("kind")
        .annotate(
            n=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED))
        )
        .order_by()
    )
    checkins = dict(
        Attendance.objects.filter(session__in=sessions)
        .values_list("session__activity__kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    labels = dict(ActivityKind.choices)
    by_kind = {
        labels.get(kind or "", kind or "—"): (n, registrations.get(kind, 0), checkins.get(kind, 0))
        for kind, n in sorted(per_kind.items(), key=lambda item: -item[1])
    }
    return ActivityFigures(
        sessions=sum(per_kind.values()),
        activities=activities.count(),
        registrations=sum(registrations.values()),
        attendance=sum(checkins.values()),
        by_kind=by_kind,
    )


def canteen_figures(area: Area, start: dt.date, end: dt.date) -> CanteenFigures | None:
    """Canteen meals of the month at canteens under ``area`` (definitions of
    :mod:`linli.economy.daily`, summed over the days); None when no meal was served."""
    lines = MealLine.objects.filter(
        menu__canteen__facility__area__path__startswith=area.path,
        menu__date__gte=start,
        menu__date__lte=end,
        voided=False,
    )
    walk_ins_by_day: Counter[dt.date] = Counter()
    tiers: Counter[str] = Counter()
    meals = 0
    for row in lines.values("menu__date", "tier").annotate(
        walk_ins=Sum(F("quantity") - F("refunded_quantity"), filter=Q(diner__isnull=True)),
        registered=Count("pk", filter=Q(diner__isnull=False)),
    ):
        walk_ins, registered = row["walk_ins"] or 0, row["registered"]
        walk_ins_by_day[row["menu__date"]] += walk_ins
        if walk_ins:
            tiers[WALK_IN] += walk_ins
        if registered:
            tiers[row["tier"] or NO_TIER] += registered
        meals += walk_ins + registered
    if not meals:
        return None
    # Distinct diners per canteen and day, as daily_figures counts them per canteen.
    registered_by_day: Counter[dt.date] = Counter()
    for day, n in (
        lines.filter(diner__isnull=False)
        .values("menu__date", "menu__canteen")
        .annotate(n=Count("diner", distinct=True))
        .values_list("menu__date", "n")
    ):
        registered_by_day[day] += n
    subsidies = dict(
        MealSubsidy.objects.filter(line__in=lines)
        .values_list("source")
        .annotate(fen=Sum("amount_fen"))
        .order_by("source")
    )
    by_day = {day: registered_by_day[day] + walk_ins_by_day[day] for day in days_of(start, end)}
    return CanteenFigures(
        canteens=lines.values("menu__canteen").distinct().count(),
        diners=sum(by_day.values()),
        meals=meals,
        meals_by_tier=dict(sorted(tiers.items(), key=lambda item: (item[0] == WALK_IN, item[0]))),
        subsidy_by_source=subsidies,
        diners_by_day=by_day,
    )


def need_figures(area: Area, start: dt.date, end: dt.date) -> NeedFigures | None:
    """Enterprise needs (raised by an organisation, not a resident — as
    :func:`linli.cockpit.kpis.needs_in` counts them) under ``area`` raised or done in the
    month; None when neither."""
    since, until = local_range(start, end)
    needs: QuerySet[Need] = Need.objects.filter(
        organization__isnull=False, area__path__startswith=area.path
    )
    opened_q = Q(created_at__gte=since, created_at__lt=until)
    done_q = Q(done_at__gte=since, done_at__lt=until)
    rows = (
        needs.filter(opened_q | done_q)
        .values("category")
        .annotate(opened=Count("pk", filter=opened_q), done=Count("pk", filter=done_q))
        .order_by("category")
    )
    labels = dict(NeedCategory.choices)
    by_category = {labels.get(r["category"], r["category"]): (r["opened"], r["done"]) for r in rows}
    if not by_category:
        return None
    return NeedFigures(
        opened=sum(o for o, _ in by_category.values()),
        done=sum(d for _, d in by_category.values()),
        open_now=needs.exclude(status__in=[NeedStatus.DONE, NeedStatus.DECLINED]).count(),
        by_category=by_category,
    )


def monthly_figures(
    area: Area, start: dt.date, end: dt.date, *, now: dt.datetime
) -> MonthlyFigures:
    """All six modules for ``area`` and the month ``start``–``end`` (figures at ``now``)."""
    return MonthlyFigures(
        area=area,
        start=start,
        end=end,
        now=now,
        cases=case_figures(area, start, end, now),
        orders=order_figures(area, start, end, now),
        alerts=alert_figures(area, start, end, now),
        activities=activity_figures(area, start, end),
        canteen=canteen_figures(area, start, end),
        needs=need_figures(area, start, end),
    )


# --- the document ---------------------------------------------------------------------------


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _empty(title: str, what: str) -> Section:
    return Section(title, [], [], note=f"本月无{what}数据。")


def _case_sections(f: CaseFigures | None) -> list[Section]:
    if f is None:
        return [_empty("一、网格事件", "网格事件")]
    k = f.kpis
    mean = k.satisfaction_mean
    summary = Section(
        "一、网格事件",
        ["指标", "数值"],
        [
            ["受理（件）", f.received],
            ["结案（件）", f.closed],
            *(
                [
                    f"{STAGE_LABELS[s]}按时率",
                    f"{percent(k.stages[s].rate)}（{k.stages[s].on_time}/{k.stages[s].total}）",
                ]
                for s in STAGES
            ),
            ["满意度（1–5）", "—" if mean is None else f"{mean:.2f}（{len(k.ratings)} 条评价）"],
            ["满意率（≥4 分）", percent(k.satisfaction_good_share)],
            ["重开率", f"{percent(k.reopen_rate)}（{k.reopened} 件）"],
            ["截至生成时超时未办（件）", k.overdue_now],
        ],
        widths=[2, 3],
    )
    categories = list(f.received_by_category) + [
        c for c in f.closed_by_category if c not in f.received_by_category
    ]
    received = [f.received_by_category.get(c, 0) for c in categories]
    closed = [f.closed_by_category.get(c, 0) for c in categories]
    by_category = Section(
        "事件分类",
        ["类别", "受理（件）", "结案（件）"],
        [[c, r, d] for c, r, d in zip(categories, received, closed, strict=True)],
        footer=["合计", f.received, f.closed],
        chart=Chart(
            "bar",
            "各类事件受理与结案",
            categories,
            [("受理", received), ("结案", closed)],
            unit="件",
        )
        if categories
        else None,
    )
    days = list(f.received_by_day)
    by_day = Section(
        "每日受理",
        [],
        [],
        chart=Chart(
            "line",
            "每日受理事件",
            [str(d.day) for d in days],
            [("受理", list(f.received_by_day.values()))],
            unit="件",
        ),
    )
    return [summary, by_category, by_day]


def _order_sections(f: OrderFigures | None) -> list[Section]:
    if f is None:
        return [_empty("二、居民服务", "服务订单")]
    a = f.arrival
    # The promise (orders.views_staff.ArrivalStats.p90_kept) also fails on orders nobody
    # took or that are late still waiting; say which, so a P90 under 30 minutes next to
    # 「未达标」 is not read as a contradiction (the cockpit's P90 figure judges P90 alone).
    if a.p90_kept is None:
        kept = "—"
    elif a.p90_kept:
        kept = "达标"
    elif a.p90_min is not None and a.p90_min <= PROMISE_MIN:
        kept = f"P90 在承诺内，但有 {a.failed} 单无人接单或超时未到，未达标"
    else:
        kept = f"P90 超过 {PROMISE_MIN} 分钟，未达标"
    names = list(f.by_service)
    return [
        Section(
            "二、居民服务",
            ["服务", "下单（单）", "完成（单）"],
            [[name, n, done] for name, (n, done) in f.by_service.items()],
            footer=["合计", f.placed, sum(d for _, d in f.by_service.values())],
            note=(
                f"即时服务下单→到达：到达 {a.arrived} 单，中位数 {_minutes(a.p50_min)} 分钟，"
                f"P90 {_minutes(a.p90_min)} 分钟（承诺 {PROMISE_MIN} 分钟：{kept}）；"
                f"按时率 {percent(a.on_time)}；"
                f"无人接单 {a.unfulfilled} 单，超时未到 {a.overdue} 单。"
            ),
            widths=[3, 2, 2],
            chart=Chart(
                "bar",
                "各项服务订单",
                names,
                [
                    ("下单", [f.by_service[n][0] for n in names]),
                    ("完成", [f.by_service[n][1] for n in names]),
                ],
                unit="单",
            ),
        )
    ]


def _alert_sections(f: AlertFigures | None) -> list[Section]:
    if f is None:
        return [_empty("三、关怀告警", "关怀告警")]
    return [
        Section(
            "三、关怀告警",
            ["告警类型", "告警（次）"],
            [[kind, n] for kind, n in f.by_kind.items()],
            footer=["合计", f.raised],
            note=(
                f"已确认 {f.acknowledged} 次，告警→确认中位数 {_minutes(f.ack_p50_min)} 分钟，"
                f"P90 {_minutes(f.ack_p90_min)} 分钟；截至生成时仍未解除 {f.still_open} 次。"
            ),
            chart=Chart(
                "bar", "各类告警", list(f.by_kind), [("告警", list(f.by_kind.values()))], unit="次"
            ),
        )
    ]


def _activity_sections(f: ActivityFigures | None) -> list[Section]:
    if f is None:
        return [_empty("四、社区活动", "活动")]
    kinds = list(f.by_kind)
    return [
        Section(
            "四、社区活动",
            ["活动类型", "举办场次", "报名（人）", "签到（人次）"],
            [[kind, *values] for kind, values in f.by_kind.items()],
            footer=["合计", f.sessions, f.registrations, f.attendance],
            note=f"本月共 {f.activities} 项活动举办 {f.sessions} 场。",
            chart=Chart(
                "bar",
                "各类活动报名与签到",
                kinds,
                [
                    ("报名", [f.by_kind[k][1] for k in kinds]),
                    ("签到", [f.by_kind[k][2] for k in kinds]),
                ],
                unit="人",
            ),
        )
    ]


def _canteen_sections(f: CanteenFigures | None) -> list[Section]:
    if f is None:
        return [_empty("五、长者食堂", "食堂就餐")]
    days = list(f.diners_by_day)
    return [
        Section(
            "五、长者食堂",
            ["价格档位", "餐数（份）"],
            [[tier, n] for tier, n in f.meals_by_tier.items()],
            footer=["合计", f.meals],
            note=f"{f.canteens} 个食堂，就餐 {f.diners} 人次（每日登记就餐人数 + 散客份数之和）。",
        ),
        Section(
            "助餐补贴",
            ["资金来源", "补贴（元）"],
            [[source, amount(fen)] for source, fen in f.subsidy_by_source.items()],
            footer=["合计", amount(f.subsidy_fen)],
            note="" if f.subsidy_by_source else "本月无助餐补贴数据。",
            chart=Chart(
                "line",
                "每日就餐人次",
                [str(d.day) for d in days],
                [("就餐人次", list(f.diners_by_day.values()))],
                unit="人次",
            ),
        ),
    ]


def _need_sections(f: NeedFigures | None) -> list[Section]:
    if f is None:
        return [_empty("六、企业服务", "企业需求")]
    return [
        Section(
            "六、企业服务",
            ["需求类别", "新提出（项）", "办结（项）"],
            [[label, o, d] for label, (o, d) in f.by_category.items()],
            footer=["合计", f.opened, f.done],
            note=f"截至生成时尚未办结 {f.open_now} 项。",
        )
    ]


def monthly_document(f: MonthlyFigures) -> Document:
    """The report as a :class:`Document` with charts (PDF and workbook alike)."""
    made = timezone.localtime(f.now)
    return Document(
        title=f"{f.area.name} {f.start.year}年{f.start.month}月 {TITLE}",
        lines=[
            f"区域：{f.area.name}（{f.area.get_kind_display()}，{f.area.code}）",
            f"统计期间：{f.start:%Y-%m-%d} 至 {f.end:%Y-%m-%d}"
            + (f"（本月尚未结束，数据截至 {made:%m-%d %H:%M}）" if made.date() <= f.end else ""),
            f"生成时间：{made:%Y-%m-%d %H:%M}",
        ],
        sections=[
            *_case_sections(f.cases),
            *_order_sections(f.orders),
            *_alert_sections(f.alerts),
            *_activity_sections(f.activities),
            *_canteen_sections(f.canteen),
            *_need_sections(f.needs),
        ],
    )
