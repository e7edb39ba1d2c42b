"""The cockpit's own lists behind KPI figures that no existing list page can filter by area.

``/cockpit/kpis/drill/<key>/?area=<code>`` (:mod:`linli.cockpit.views_kpis`) shows the rows
of :data:`DRILLS` ``[key]``: exactly the rows the figure counted (the querysets are the ones
:mod:`linli.cockpit.kpis` aggregates), paginated, with 「导出 Excel」. Residents' names are
masked unless the user :func:`~linli.people.scoping.can_view_pii`; activity registrants'
names and phones are always masked (``Drill.masked``): the cockpit writes no
:class:`~linli.common.models.PiiAccessLog`, and the activity's own export — which logs each
unmasked showing (:mod:`linli.activities.exports`) — has the full list. Alerts and orders
drills need the owning app's right (``Drill.right``: the care app's
:func:`~linli.care.views.may_use_care`, the orders app's
:func:`~linli.orders.views_staff.may_handle_orders`); without it the view answers 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from linli.activities.selectors import mask_name
from linli.cockpit import kpis
from linli.cockpit.access import may_see_alerts, may_see_orders
from linli.common.exports import local_time
from linli.common.pii import mask_phone
from linli.people.scoping import AnyUser
from linli.places.models import Area

Cell = str | int | float
#: What a drill's ``rows`` returns: a queryset or a list, sliced by the paginator.
Records = QuerySet[Any] | list[Any]


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of a drill list: its cells (as the header) and the page to open, if any."""

    cells: tuple[Cell, ...]
    link: str = ""


@dataclasses.dataclass(frozen=True)
class Drill:
    """A drill list: title, column names and the rows.

    ``rows(user, area, today, now)`` returns a sliceable sequence of records (a queryset or
    a list) — its length is the figure's count; ``row(record, pii)`` turns one into a
    :class:`Row` (``pii``: the user may see unmasked names and phones). ``right(user)``,
    when set, is the owning app's check the user must pass to see the list at all;
    ``masked`` lists always show names and phones masked, whoever asks.
    """

    title: str
    header: tuple[str, ...]
    rows: Callable[[AnyUser, Area, dt.date, dt.datetime], Records]
    row: Callable[[Any, bool], Row]
    note: str = ""
    right: Callable[[AnyUser], bool] | None = None
    masked: bool = False

    def allowed(self, user: AnyUser) -> bool:
        """Whether ``user`` passes :attr:`right` (always, when there is none)."""
        return self.right is None or self.right(user)


def _name(name: str, pii: bool) -> str:
    return name if pii else mask_name(name)


def _case_rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
    return (
        kpis.cases_in(user, area)
        .filter(kpis.overdue_q(now))
        .select_related("category", "area")
        .order_by("due_at", "pk")
    )


def _case_row(case: Any, pii: bool) -> Row:
    return Row(
        (
            case.number,
            case.category.name,
            case.area.name,
            case.get_status_display(),
            local_time(case.due_at),
        ),
        reverse("cases:detail", args=[case.number]),
    )


def _order_rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
    return (
        kpis.orders_in(user, area)
        .filter(status__in=kpis.ORDER_ACTIVE)
        .select_related("service_type", "resident", "area")
        .order_by("placed_at", "pk")
    )


def _order_row(order: Any, pii: bool) -> Row:
    return Row(
        (
            order.number,
            order.service_type.name,
            _name(order.resident.name, pii) if order.resident_id else "",
            order.area.name,
            order.get_status_display(),
            local_time(order.placed_at),
        ),
        reverse("staff_orders:detail", args=[order.pk]),
    )


def _alert_rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
    return (
        kpis.alerts_in(user, area)
        .filter(status__in=kpis.ALERT_OPEN_STATUSES)
        .select_related("resident", "area")
        .order_by("raised_at", "pk")
    )


def _alert_late_rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
    return (
        kpis.alerts_in(user, area)
        .filter(kpis.alert_late_q(now))
        .select_related("resident", "area")
        .order_by("ack_due_at", "pk")
    )


def _alert_week_rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
    first = today - dt.timedelta(days=kpis.WEEK_DAYS - 1)
    return (
        kpis.alerts_in(user, area)
        .filter(
            raised_at__gte=kpis.day_start(first),
            raised_at__lt=kpis.day_start(today + dt.timedelta(days=1)),
        )
        .select_related("resident", "area")
        .order_by("-raised_at", "-pk")
    )


def _alert_row(alert: Any, pii: bool) -> Row:
    return Row(
        (
            alert.get_kind_display(),
            _name(alert.resident.name, pii) if alert.resident_id else "（整户）",
            alert.area.name,
            alert.get_status_display(),
            local_time(alert.raised_at),
            local_time(alert.acknowledged_at),
        ),
        reverse("care:alert", args=[alert.pk]),
    )


def _needs(extra: Callable[[dt.date], Q]) -> Callable[..., Records]:
    def rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
        return (
            kpis.needs_in(user, area)
            .filter(extra(today))
            .select_related("organization", "area")
            .order_by("-created_at", "-pk")
        )

    return rows


def _need_row(need: Any, pii: bool) -> Row:
    return Row(
        (
            need.number,
            need.organization.name if need.organization_id else "",
            need.get_category_display(),
            need.area.name,
            need.get_status_display(),
            local_time(need.created_at),
            local_time(need.done_at),
        ),
        reverse("engagement:need", args=[need.pk]),
    )


def _registrations(attended: bool) -> Callable[..., Records]:
    def rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
        chosen = kpis.registrations_attended if attended else kpis.registrations_counted
        return (
            chosen(user, area, today=today, now=now)
            .select_related("activity")
            .order_by("activity__title", "activity_id", "created_at", "pk")
        )

    return rows


def _registration_row(registration: Any, pii: bool) -> Row:
    """Always masked, whatever ``pii`` says (see the module docstring)."""
    return Row(
        (
            registration.activity.title,
            mask_name(registration.name),
            mask_phone(registration.phone),
            local_time(registration.created_at),
        ),
    )


def _canteen(days: int) -> Callable[..., Records]:
    def rows(user: AnyUser, area: Area, today: dt.date, now: dt.datetime) -> Records:
        return kpis.canteen_days(area, since=today - dt.timedelta(days=days - 1), until=today)

    return rows


def _canteen_row(day: kpis.CanteenDay, pii: bool) -> Row:
    return Row((day.canteen, day.day.isoformat(), day.registered, day.walk_ins, day.diners))


_CASE_HEADER = ("事件编号", "类别", "区域", "状态", "处置时限")
_ALERT_HEADER = ("告警类型", "居民", "区域", "状态", "告警时间", "确认时间")
_NEED_HEADER = ("编号", "提出单位", "类别", "区域", "状态", "提出时间", "办结时间")
_REG_HEADER = ("活动", "报名人", "联系电话", "报名时间")
_CANTEEN_HEADER = ("食堂", "日期", "登记就餐人数", "散客份数", "就餐人次")
_REG_NOTE = "报名人姓名和电话一律脱敏；完整名单请在活动页面导出（留有个人信息查看记录）。"

#: Drill lists by key (the ``<key>`` of the URL).
DRILLS: dict[str, Drill] = {
    "cases_overdue": Drill("当前超期事件", _CASE_HEADER, _case_rows, _case_row),
    "orders_active": Drill(
        "进行中服务订单",
        ("订单号", "服务", "居民", "区域", "状态", "下单时间"),
        _order_rows,
        _order_row,
        right=may_see_orders,
    ),
    "alerts_open": Drill(
        "待处理关怀告警", _ALERT_HEADER, _alert_rows, _alert_row, right=may_see_alerts
    ),
    "alerts_late": Drill(
        "超时未确认的关怀告警",
        _ALERT_HEADER,
        _alert_late_rows,
        _alert_row,
        right=may_see_alerts,
    ),
    "alerts_week": Drill(
        "近 7 天关怀告警", _ALERT_HEADER, _alert_week_rows, _alert_row, right=may_see_alerts
    ),
    "needs_open": Drill(
        "待办企业需求",
        _NEED_HEADER,
        _needs(lambda today: Q(status__in=kpis.NEED_OPEN)),
        _need_row,
    ),
    "needs_done": Drill(
        "近 30 天办结的企业需求", _NEED_HEADER, _needs(kpis.needs_done_q), _need_row
    ),
    "activity_registered": Drill(
        "近 30 天活动报名",
        _REG_HEADER,
        _registrations(False),
        _registration_row,
        note=_REG_NOTE,
        masked=True,
    ),
    "activity_attended": Drill(
        "近 30 天活动到场",
        _REG_HEADER,
        _registrations(True),
        _registration_row,
        note=_REG_NOTE,
        masked=True,
    ),
    "canteen_today": Drill(
        "今日食堂就餐",
        _CANTEEN_HEADER,
        _canteen(1),
        _canteen_row,
        note="就餐人次 = 登记就餐人数 + 散客份数（不含退餐）；合计即面板上的数字。",
    ),
    "canteen_week": Drill(
        "近 7 天食堂就餐",
        _CANTEEN_HEADER,
        _canteen(kpis.WEEK_DAYS),
        _canteen_row,
        note="就餐人次 = 登记就餐人数 + 散客份数（不含退餐）；合计即面板上的数字。",
    ),
}
